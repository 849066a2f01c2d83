"""The loader's speed-ups change nothing but speed: memoized tags and scalars, the GC pause.

kfgen/profile/yaml.py resolves the implicit tag of each distinct plain scalar once per file
(``_FastCLoader``), memoizes the values of non-string scalars per file (``_Builder.scalars``) and
pauses the cyclic garbage collector while reading. (The shipped TFJob CRD schema has its own drift
test: tests/test_tfjob_crd_schema.py.)
"""

from __future__ import annotations

import datetime
import gc
from pathlib import Path

import pytest
import yaml

from kfgen.errors import KfgenError
from kfgen.profile import read_yaml
from kfgen.profile import yaml as profile_yaml

# the same texts as plain, quoted and in several types, over and over: what the memos are keyed on
DOC = """\
a: [1, "1", '1', 1.0, "1.0", yes, "yes", no, null, ~, "null", 2024-01-02, "2024-01-02", 0x1f, 1e3, .inf]
b: [1, "1", '1', 1.0, "1.0", yes, "yes", no, null, ~, "null", 2024-01-02, "2024-01-02", 0x1f, 1e3, .inf]
c:
  1x: 1
  "on": "on"
  "off": off
  n: -0
  t: 2024-01-02T03:04:05Z
d: [-0, 0, +0, "-0", 010, 0o10, 1_000]
"""


def test_values_are_what_safe_load_reads(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(DOC, encoding="utf-8")
    data, _ = read_yaml(path)
    assert data == yaml.safe_load(DOC)
    assert data["a"] == data["b"]
    assert [type(v) for v in data["a"]] == [type(v) for v in yaml.safe_load(DOC)["a"]]
    assert data["a"][:3] == [1, "1", "1"] and data["a"][5:8] == [True, "yes", False]
    assert data["a"][11] == datetime.date(2024, 1, 2) and data["a"][12] == "2024-01-02"


def test_resolved_tags_are_libyamls(tmp_path: Path) -> None:
    if profile_yaml._CLoader is None:
        pytest.skip("libyaml not available")

    def tags(loader: type) -> list[str]:
        out: list[str] = []
        stack = [yaml.compose(DOC, Loader=loader)]
        while stack:
            node = stack.pop()
            out.append(node.tag)
            if isinstance(node, yaml.MappingNode):
                stack.extend(n for pair in node.value for n in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return out

    assert tags(profile_yaml._FastCLoader) == tags(yaml.CSafeLoader)


def test_a_failed_scalar_is_not_memoized(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: 2024-01-02\nb: 2024-02-30\n", encoding="utf-8")
    with pytest.raises(KfgenError) as info:
        read_yaml(path)
    assert info.value.problems[0].line == 2 and "2024-02-30" in info.value.problems[0].message


@pytest.mark.parametrize("text", [DOC, "a: [1\n", "a: 1\na: 2\n", "a: !!python/none x\n"])
def test_gc_is_on_again_after_reading(tmp_path: Path, text: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert gc.isenabled()
    try:
        read_yaml(path)
    except KfgenError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:  # and stays off for a caller that had switched it off
        try:
            read_yaml(path)
        except KfgenError:
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
