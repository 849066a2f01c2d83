"""Stage 1: YAML with line numbers, extends (deep merge, null deletes), and the loader's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfgen.errors import KfgenError
from kfgen.loader import deep_merge, list_profiles, load_profile, read_yaml


def write(dir_: Path, name: str, text: str) -> Path:
    dir_.mkdir(parents=True, exist_ok=True)
    path = dir_ / f"{name}.yaml"
    path.write_text(text)
    return path


def test_read_yaml_keeps_line_of_every_key_and_item(tmp_path: Path) -> None:
    path = write(tmp_path, "p", "a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n")
    data, sources = read_yaml(path)
    assert data == {"a": 1, "b": {"c": ["x", "y"], "d": [{"e": 2}]}}
    assert sources.locate(("a",))[1] == 1
    assert sources.locate(("b", "c"))[1] == 3
    assert sources.locate(("b", "d", 0, "e"))[1] == 5
    # a path that does not exist falls back to its nearest ancestor
    assert sources.locate(("b", "d", 0, "nope"))[1] == 5


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("a: 1\nb: [1, 2\n", 3, "YAML syntax error"),
        ("a: 1\n  b: 2\n", 2, "YAML syntax error"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("key: value\n\tindented: tab\n", 2, "YAML syntax error"),
    ],
)
def test_yaml_errors_name_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    write(tmp_path, "bad", text)
    with pytest.raises(KfgenError) as info:
        load_profile(tmp_path, "bad")
    problem = info.value.problems[0]
    assert fragment in problem.message
    assert problem.file.endswith("bad.yaml")
    assert problem.line == line


@pytest.mark.parametrize(
    "base, over, merged",
    [
        ({"a": 1, "b": 2}, {"b": 3}, {"a": 1, "b": 3}),
        ({"a": {"x": 1, "y": 2}}, {"a": {"y": 3, "z": 4}}, {"a": {"x": 1, "y": 3, "z": 4}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": {"x": 1}, "b": 1}, {"a": None}, {"b": 1}),
        ({"a": 1}, {"a": {"x": 1}}, {"a": {"x": 1}}),
    ],
)
def test_deep_merge_child_wins(base: dict, over: dict, merged: dict) -> None:
    assert deep_merge(base, over) == merged


def test_extends_merges_and_points_at_the_file_that_set_each_value(tmp_path: Path) -> None:
    write(tmp_path, "base", "namespace: base-ns\ncomponents:\n  a:\n    prototype: core\n    params:\n      reportUsage: false\n")
    write(tmp_path, "child", "extends: base\n\ncomponents:\n  a:\n    params:\n      usageId: x\n")
    loaded = load_profile(tmp_path, "child")
    assert loaded.chain == ("child", "base")
    assert loaded.data == {"namespace": "base-ns",
                           "components": {"a": {"prototype": "core", "params": {"reportUsage": False, "usageId": "x"}}}}
    file, line = loaded.sources.locate(("components", "a", "params", "usageId"))
    assert file.endswith("child.yaml") and line == 6
    file, line = loaded.sources.locate(("components", "a", "params", "reportUsage"))
    assert file.endswith("base.yaml") and line == 6
    file, line = loaded.sources.locate(("namespace",))
    assert file.endswith("base.yaml") and line == 1


def test_extends_null_removes_an_inherited_component(tmp_path: Path) -> None:
    write(tmp_path, "base", "components:\n  a: {prototype: core}\n  b: {prototype: core}\n")
    write(tmp_path, "child", "extends: base\ncomponents:\n  b: null\n")
    assert load_profile(tmp_path, "child").data == {"components": {"a": {"prototype": "core"}}}


def test_extends_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "a", "extends: b\n")
    write(tmp_path, "b", "namespace: x\nextends: c\n")
    write(tmp_path, "c", "extends: a\n")
    with pytest.raises(KfgenError) as info:
        load_profile(tmp_path, "a")
    p = info.value.problems[0]
    assert "extends cycle: a -> b -> c -> a" in p.message
    assert p.file.endswith("c.yaml") and p.line == 1 and p.path == ("extends",)


def test_missing_parent_points_at_the_extends_line(tmp_path: Path) -> None:
    write(tmp_path, "gpu-lab", "x: 1\n")
    write(tmp_path, "child", "namespace: n\nextends: gpu-lb\n")
    with pytest.raises(KfgenError) as info:
        load_profile(tmp_path, "child")
    p = info.value.problems[0]
    assert "extends 'gpu-lb', which does not exist" in p.message
    assert p.line == 2 and p.hint == "did you mean 'gpu-lab'?"


def test_unknown_profile_suggests_a_close_name(tmp_path: Path) -> None:
    write(tmp_path, "gpu-lab", "x: 1\n")
    write(tmp_path, "cpu-laptop", "x: 1\n")
    with pytest.raises(KfgenError) as info:
        load_profile(tmp_path, "gpu-labb")
    p = info.value.problems[0]
    assert "unknown profile 'gpu-labb'" in p.message
    assert p.hint == "did you mean 'gpu-lab'?"
    assert "cpu-laptop, gpu-lab" in p.expected


def test_profile_must_be_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "list", "- a\n- b\n")
    with pytest.raises(KfgenError, match="must be a mapping"):
        load_profile(tmp_path, "list")


def test_list_profiles_hides_partials(tmp_path: Path) -> None:
    write(tmp_path, "b", "x: 1\n")
    write(tmp_path, "a", "x: 1\n")
    write(tmp_path, "_base", "x: 1\n")
    assert list_profiles(tmp_path) == ["a", "b"]
