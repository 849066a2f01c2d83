"""The loader's fast path (kfgen.profile.yaml_fast) reads what it accepts exactly as the full reader does
(values, their types, the line of every key and item), shares no dict or list between two places, and leaves
everything outside its subset to the full reader."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfgen.errors import KfgenError
from kfgen.profile import yaml as loader
from kfgen.profile.yaml_fast import read_plain

ROOT = Path(__file__).resolve().parents[1]
JUNK = [" ", "  ", "-", "- ", ":", ": ", "#", " #", "[", "]", "{", "}", ",", "'", '"', "&a", "*a", "!", "|", ">",
        "?", "\n", "\n  ", "  -", "yes", "0x1", "1e3", "~", "null", "2024-02-30", "<<: ", "'a''b'", '"\\n"', "%",
        "@", "`", "...", "---", "=", ".inf", "a: b", "\\", "  x", "- a: b\n  c: d", "[a, {b: c}]", "{a: [1, 2]}",
        "{a: b,}", "[a,,b]", "[ ]", "{ }", " : ", "\t", "é"]


def full(text: str) -> tuple[Any, dict[Any, Any]] | None:
    sources = loader.SourceMap(default_file="f")
    node = yaml.compose(text, Loader=loader._FastCLoader)
    return None if node is None else (loader._Builder("f", sources).build(node, ()), sources.locations)


def typed(value: Any) -> Any:
    if isinstance(value, dict):
        return ("d", tuple((k, typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", tuple(typed(v) for v in value))
    return (type(value).__name__, repr(value))


def unshared(value: Any, seen: set[int]) -> None:
    if isinstance(value, (dict, list)):
        assert id(value) not in seen, "a dict or list in two places"
        seen.add(id(value))
        for v in value.values() if isinstance(value, dict) else value:
            unshared(v, seen)


def seeds() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "profiles").glob("*.yaml"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "testdata").rglob("*.yaml"))]
    texts.append("a:\n- x\n- {b: [1, 2.5, true, null, '1', \"two\"]}\nc: [ ]\nd: {}\ne:\n  - k: v  # note\n"
                 "    l:\n    - 1\n  - [a, b]\nf: ~\ng: 2024-01-02\nh: 'it''s'\ni: a#b\n")
    return texts


def agree(text: str) -> bool:
    """Whether the fast path took *text* (then asserting it read it as the full reader)."""
    got = read_plain(text, "f")
    if got is None:
        return False
    unshared(got[0], set())
    try:
        want = full(text)
    except (yaml.YAMLError, KfgenError) as exc:
        pytest.fail(f"the fast path read {text!r}, which the full reader refuses: {exc}")
    assert want is not None
    assert typed(got[0]) == typed(want[0]), text
    assert got[1] == want[1], text
    return True


def test_fast_path_reads_the_seeds_as_the_full_reader() -> None:
    taken = [agree(t) for t in seeds()]
    assert sum(taken) >= 3  # the committed profiles are in the subset


def test_fast_path_agrees_on_mutants() -> None:
    base = seeds()
    rng = random.Random(13)
    taken = 0
    for _ in range(3000):
        text = rng.choice(base)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            r = rng.random()
            if r < 0.6:
                text = text[:at] + rng.choice(JUNK) + text[at:]
            elif r < 0.8:
                text = text[:at] + text[at + rng.randint(1, 4):]
            else:
                lines = text.split("\n")
                i = rng.randrange(len(lines))
                lines.insert(i, " " * rng.randint(0, 3) + lines[i])
                text = "\n".join(lines)
        taken += agree(text)
    assert taken > 100  # the mutants exercise the fast path, not only the fallback


@pytest.mark.parametrize("text", ["", "# only a comment\n", "a: &x {b: 1}\nc: *x\n", "a: !!str 1\n", "a: |\n  x\n",
                                  "a: 1\na: 2\n", "---\na: 1\n", "a: b\n  c\n", "1: x\n", "a:\tb\n", "a: é\n",
                                  "a: 2024-02-30\n", "<<: {a: 1}\n", "a: [1,\n  2]\n", "  a: 1\n", "x\n"])
def test_outside_the_subset_is_left_to_the_full_reader(text: str) -> None:
    assert read_plain(text, "f") is None
