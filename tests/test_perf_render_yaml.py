"""The shortcuts of kfgen.profile.yaml_fast give what the regular expressions and line checks they skip give."""

from __future__ import annotations

import random

import pytest
import yaml

from kfgen.profile import yaml_fast
from kfgen.profile.yaml_fast import read_plain

# characters that matter to plain scalars and flow collections, and a few ordinary ones
ALPHABET = "ab0 -_./~$(+=<^;\\\"'{}[],!&*|>%@`?:#"


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))).strip(" ")
        if text:
            out.append(text)
    return out


def test_plain_scalar_shortcut_matches_the_plain_pattern() -> None:
    reader = yaml_fast._Reader([], "f")
    taken = 0
    for text in _texts(40_000, 13):
        match = yaml_fast._PLAIN.match(text)
        try:
            got = reader.parse_inline(text)
        except yaml_fast._Outside:
            got = None
        if text[0] in "[{\"'":
            continue  # flow collections and quoted strings: not plain scalars
        taken += ":" not in text and "#" not in text and match is not None
        expected = None
        if match is not None:
            try:
                expected = (reader.plain(match.group().rstrip(" ")), None, 0)
            except yaml_fast._Outside:
                expected = None
        assert got == expected, text
    assert taken > 1000  # the shortcut was exercised


@pytest.mark.parametrize("line", ["---", "--- x", "...", "... #", "%YAML 1.1", "%TAG ! x"])
def test_a_document_marker_or_directive_at_a_line_start_leaves_the_subset(line: str) -> None:
    assert read_plain(f"a: 1\n{line}\nb: 2\n", "f") is None
    assert read_plain(f"{line}\na: 1\n", "f") is None


@pytest.mark.parametrize("text", ["x: 1\n# ---\n", "x: 1\na: ---\n", "b: ...\n", "c: '%x'\n", "x:\n  - ...\n  - a%x\n",
                                  "x: 1\n  # %x\n"])
def test_marker_like_text_elsewhere_stays_in_the_subset(text: str) -> None:
    plain = read_plain(text, "f")
    assert plain is not None and plain[0] == yaml.safe_load(text)
