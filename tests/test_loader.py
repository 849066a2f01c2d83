"""Stage 1: YAML with line numbers, extends (deep merge, null deletes), and the loader's errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from kfgen import errors
from kfgen.errors import KfgenError, Problem, format_path
from kfgen.profile import MAX_ALIAS_VALUES, MAX_DEPTH, deep_merge, list_profiles, load_profile, read_yaml
from kfgen.profile import yaml as profile_yaml


def write(dir_: Path, name: str, text: str | bytes) -> Path:
    dir_.mkdir(parents=True, exist_ok=True)
    path = dir_ / f"{name}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problem_of(profiles: Path, name: str, **kw: object) -> Problem:
    with pytest.raises(KfgenError) as info:
        load_profile(profiles, name, **kw)  # type: ignore[arg-type]
    assert len(info.value.problems) == 1
    return info.value.problems[0]


@pytest.fixture(params=["libyaml", "python"])
def any_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml's composer and with PyYAML's pure-Python one (used without libyaml)."""
    if request.param == "python":
        monkeypatch.setattr(profile_yaml, "_Loader", profile_yaml._SafeLoader)
    else:
        assert profile_yaml._Loader is yaml.CSafeLoader
    return request.param


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
        ("a: 1\na: 2\n", 2, "duplicate key 'a' (first set on line 1)"),
        ("a:\n  x: 1\n  y: 2\n  x: 3\n", 4, "duplicate key 'x' (first set on line 2)"),
        ("key: value\n\tindented: tab\n", 2, "YAML syntax error"),
        # what used to be a traceback
        ("a: !custom x\n", 1, "unsupported YAML tag !custom on a value"),
        ("a: 1\nb: !!python/object:os.system x\n", 2, "unsupported YAML tag !!python/object:os.system"),
        ("a: !!python/object/apply:os.system [echo]\n", 1,
         "unsupported YAML tag !!python/object/apply:os.system on a list"),
        ("a:\n  b: !custom {x: 1}\n", 2, "unsupported YAML tag !custom on a mapping"),
        ("a: !!set {x, y}\n", 1, "unsupported YAML tag !!set on a mapping"),
        ("a: !!int abc\n", 1, "cannot read 'abc' as an integer"),
        ("when: 2024-02-30\n", 1, "cannot read '2024-02-30' as a date: day is out of range for month"),
        ("a: &x [*x]\n", 1, "recursive alias"),
        ("a: &x {b: [1, *x]}\n", 1, "recursive alias"),
        ("a: &x {<<: *x}\n", 1, "recursive alias: a mapping merges itself"),
        ("a: *nope\n", 1, "found undefined alias"),
        ("a: ok\nb: \x01\n", 2, "YAML does not allow the character #x0001"),
        ("a: 1\n---\nb: 2\n", 2, "YAML syntax error"),
        ("x: 1\na: " + "[" * 600 + "]" * 600 + "\n", 2, f"nested too deeply: more than {MAX_DEPTH} levels"),
        # block nesting: reported where level 101 starts
        ("a:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, 150)) + "  " * 150 + "v: 1\n", 51,
         "nested too deeply"),
        ("a:\n" + "".join("  " * i + f"- k{i}:\n" for i in range(1, 400)) + "  " * 400 + "v: 1\n", 51,
         "nested too deeply"),
    ],
)
def test_yaml_errors_name_file_and_line(tmp_path: Path, any_loader: str, text: str, line: int, fragment: str) -> None:
    write(tmp_path, "bad", text)
    problem = problem_of(tmp_path, "bad")
    assert fragment in problem.message
    assert problem.file.endswith("bad.yaml")
    assert problem.line == line


def test_deep_nesting_is_refused_without_a_traceback(tmp_path: Path, any_loader: str) -> None:
    # 600 levels: deeper than the pure-Python composer can recurse, shallower than libyaml's own cap
    write(tmp_path, "deep", "a: " + "[" * 600 + "]" * 600 + "\n")
    problem = problem_of(tmp_path, "deep")
    assert "nested too deeply" in problem.message
    assert problem.line == 1


@pytest.mark.parametrize(
    "text, hint",
    [
        ("key: value\n\tindented: tab\n", "tabs"),
        ("a:\n\t- x\n", "tabs"),  # libyaml: "found character that cannot start any token"
        ("a:\n  b: 1\n\tc: 2\n", "tabs"),
        ("a: 1\n  b: 2\n", "indentation"),
        ("a: 1\n---\nb: 2\n", "one YAML document"),
        ("a: *nope\n", "define the anchor"),
    ],
)
def test_yaml_syntax_errors_give_a_useful_hint(tmp_path: Path, any_loader: str, text: str, hint: str) -> None:
    write(tmp_path, "bad", text)
    problem = problem_of(tmp_path, "bad")
    assert "YAML syntax error" in problem.message
    assert hint in (problem.hint or "")
    if hint == "tabs":
        assert problem.hint == "YAML forbids tabs for indentation: indent with spaces"


@pytest.mark.parametrize(
    "content, line, found",
    [
        (b"a: caf\xe9\n", 1, "byte 0xe9 at line 1, column 7, which is not valid UTF-8"),
        (b"a: 1\nb: \xff\xfe\n", 2, "byte 0xff at line 2, column 4, which is not valid UTF-8"),
        ("a: 1\n".encode("utf-16"), 1, "UTF-16 text (byte-order mark)"),
    ],
)
def test_file_that_is_not_utf8(tmp_path: Path, content: bytes, line: int, found: str) -> None:
    write(tmp_path, "latin", content)
    problem = problem_of(tmp_path, "latin")
    assert problem.message == "file is not UTF-8 text"
    assert problem.file.endswith("latin.yaml") and problem.line == line
    assert problem.found == found
    assert "UTF-8" in (problem.hint or "")


def test_utf8_with_byte_order_mark_and_crlf_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "bom", "\ufeffnamespace: caf\u00e9\r\ncomponents: {}\r\n".encode("utf-8"))
    loaded = load_profile(tmp_path, "bom")
    assert loaded.data == {"namespace": "caf\u00e9", "components": {}}
    assert loaded.sources.locate(("components",))[1] == 2


def test_alias_bomb_is_refused_quickly(tmp_path: Path, any_loader: str) -> None:
    # "billion laughs": 7 levels of 10 aliases would build 10**7 values
    levels = "abcdefg"
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip(levels, levels[1:], strict=False))
    write(tmp_path, "bomb", text)
    start = time.perf_counter()
    problem = problem_of(tmp_path, "bomb")
    assert time.perf_counter() - start < 10
    assert f"aliases expand into more than {MAX_ALIAS_VALUES:,} values" in problem.message
    assert problem.line == 6 and problem.path[0] == "f"  # the key whose alias crossed the limit


def test_ordinary_aliases_are_not_a_bomb(tmp_path: Path) -> None:
    # 1,000 instances sharing one anchor of defaults: 10,000 values through aliases, well under the cap
    lines = ["defaults: &defaults", *[f"  k{i}: [v{i}]" for i in range(5)], "components:"]
    for i in range(1000):
        lines += [f"  job-{i:04d}:", "    params:", "      <<: *defaults", f"      k0: [{i}]"]
    write(tmp_path, "many", "\n".join(lines) + "\n")
    data = load_profile(tmp_path, "many").data
    assert len(data["components"]) == 1000
    assert data["components"]["job-0999"]["params"] == {
        "k0": [999], "k1": ["v1"], "k2": ["v2"], "k3": ["v3"], "k4": ["v4"]}


@pytest.mark.parametrize("text, found", [("", "no settings (an empty file, or only comments)"),
                                         ("# only a comment\n", "no settings (an empty file, or only comments)"),
                                         ("null\n", "null"), ("~\n", "null"), ("---\n", "null")])
def test_empty_or_null_profile_is_refused(tmp_path: Path, text: str, found: str) -> None:
    write(tmp_path, "empty", text)
    problem = problem_of(tmp_path, "empty")
    assert problem.message == "profile is empty"
    assert problem.file.endswith("empty.yaml") and problem.line == 1
    assert problem.found == found


@pytest.mark.parametrize("text, found", [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")])
def test_profile_that_is_a_list_or_scalar_is_refused(tmp_path: Path, text: str, found: str) -> None:
    write(tmp_path, "p", text)
    problem = problem_of(tmp_path, "p")
    assert "must be a mapping" in problem.message and problem.found == found


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
    write(tmp_path, "base",
          "namespace: base-ns\ncomponents:\n  a:\n    prototype: core\n    params:\n      reportUsage: false\n")
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


def test_extends_with_another_prototype_replaces_the_instance(tmp_path: Path) -> None:
    write(tmp_path, "base", "components:\n  serve:\n    prototype: tf-serving\n    params:\n"
                            "      modelPath: gs://m/x\n      numGpus: 1\n  keep: {prototype: core}\n")
    write(tmp_path, "child", "extends: base\ncomponents:\n  serve:\n    prototype: tf-job\n    params:\n"
                             "      image: docker.io/tensorflow/tensorflow:2.18.0\n")
    loaded = load_profile(tmp_path, "child")
    assert loaded.data["components"] == {
        "serve": {"prototype": "tf-job", "params": {"image": "docker.io/tensorflow/tensorflow:2.18.0"}},
        "keep": {"prototype": "core"}}
    assert all(at[0].endswith("child.yaml") for path, at in loaded.sources.locations.items()
               if path[:2] == ("components", "serve"))
    file, line = loaded.sources.locate(("components", "serve", "params", "numGpus"))
    assert file.endswith("child.yaml") and line == 5  # the child's params: nothing of the parent's is left
    file, _ = loaded.sources.locate(("components", "keep"))
    assert file.endswith("base.yaml")


def test_extends_same_prototype_still_merges(tmp_path: Path) -> None:
    write(tmp_path, "base", "components:\n  serve:\n    prototype: tf-serving\n    params: {modelPath: gs://m/x}\n")
    write(tmp_path, "child", "extends: base\ncomponents:\n  serve:\n    prototype: tf-serving\n"
                             "    params: {numGpus: 1}\n")
    assert load_profile(tmp_path, "child").data["components"]["serve"]["params"] == {
        "modelPath": "gs://m/x", "numGpus": 1}


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


# --- profile names and partials ------------------------------------------------------------------

NAME_RULE = "lowercase letters, digits and '-'"


@pytest.mark.parametrize(
    "name, message, hint",
    [
        ("../src", "invalid profile name '../src'", "not a path"),
        ("../../etc/passwd", "invalid profile name", "not a path"),
        ("/abs/lab", "invalid profile name", "not a path"),
        ("my lab", "invalid profile name 'my lab'", None),
        ("GPU-lab", "invalid profile name", "did you mean 'gpu-lab'?"),
        ("gpu_lab", "invalid profile name", "did you mean 'gpu-lab'?"),
        ("gpu-lab.yaml", "invalid profile name", "did you mean 'gpu-lab'?"),
        ("profiles/gpu-lab.yaml", "invalid profile name", "did you mean 'gpu-lab'?"),
        ("-lab", "invalid profile name", "did you mean 'gpu-lab'?"),
        ("lab-", "invalid profile name", None),
        ("gpu-lab\n", "invalid profile name", "did you mean 'gpu-lab'?"),
        ("", "invalid profile name ''", None),
        ("a" * 64, "profile name is 64 characters long: at most 63 are allowed", "shorten"),
    ],
)
def test_profile_names_on_the_command_line_are_checked(tmp_path: Path, name: str, message: str,
                                                        hint: str | None) -> None:
    profiles = tmp_path / "profiles"
    write(profiles, "gpu-lab", "namespace: x\n")
    write(tmp_path, "src", "namespace: outside\n")  # what '../src' would have read
    write(tmp_path / "abs", "lab", "namespace: outside\n")
    problem = problem_of(profiles, name)
    assert message in problem.message
    assert NAME_RULE in (problem.expected or "") and "at most 63 characters" in (problem.expected or "")
    assert problem.found == repr(name)
    assert (problem.hint is None) if hint is None else (hint in (problem.hint or ""))


def test_a_file_with_an_invalid_name_is_listed_and_refused_with_a_rename_hint(tmp_path: Path) -> None:
    write(tmp_path, "My Lab", "namespace: x\n")
    assert list_profiles(tmp_path) == ["My Lab"]  # so that --all reports it rather than skipping it
    problem = problem_of(tmp_path, "My Lab")
    assert "invalid profile name 'My Lab'" in problem.message
    assert problem.hint is not None and problem.hint.endswith("My Lab.yaml to my-lab.yaml")


@pytest.mark.parametrize("name", ["gpu-lab", "a", "0", "lab-2018", "a" * 63])
def test_valid_profile_names_load(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, "namespace: x\n")
    assert load_profile(tmp_path, name).data == {"namespace": "x"}


@pytest.mark.parametrize(
    "parent, message, hint",
    [
        ("../../x", "invalid profile name '../../x'", "not a path"),
        ("../outside", "invalid profile name", "not a path"),
        ("my lab", "invalid profile name 'my lab'", None),
        ("Base", "invalid profile name", "did you mean 'base'?"),
        ("_Base", "invalid profile name", "did you mean '_base'?"),
        ("base.yaml", "invalid profile name", "did you mean 'base'?"),
        ("_", "invalid profile name '_'", None),
        ("__base", "invalid profile name", "did you mean"),
        ("_" + "a" * 64, "profile name is 65 characters long", "shorten"),
    ],
)
def test_extends_names_are_checked(tmp_path: Path, parent: str, message: str, hint: str | None) -> None:
    profiles = tmp_path / "profiles"
    write(profiles, "base", "namespace: base\n")
    write(profiles, "_base", "namespace: partial\n")
    write(tmp_path, "outside", "namespace: outside\n")
    write(profiles, "child", f"namespace: n\nextends: {parent!r}\n".replace("'", '"') if "\n" in parent else
          f"namespace: n\nextends: '{parent}'\n")
    problem = problem_of(profiles, "child")
    assert message in problem.message
    assert problem.file.endswith("child.yaml") and problem.line == 2 and problem.path == ("extends",)
    assert problem.found == repr(parent)
    assert NAME_RULE in (problem.expected or "") and "leading '_' names a partial" in (problem.expected or "")
    assert (problem.hint is None) if hint is None else (hint in (problem.hint or ""))


def test_partials_can_be_extended_but_not_loaded_by_name(tmp_path: Path) -> None:
    write(tmp_path, "_base", "namespace: shared\ncomponents:\n  a: {prototype: core}\n")
    write(tmp_path, "_gpu", "extends: _base\ncluster: {nodes: []}\n")
    write(tmp_path, "lab", "extends: _gpu\nnamespace: lab\n")
    loaded = load_profile(tmp_path, "lab")
    assert loaded.chain == ("lab", "_gpu", "_base")
    assert loaded.data == {"namespace": "lab", "components": {"a": {"prototype": "core"}}, "cluster": {"nodes": []}}

    problem = problem_of(tmp_path, "_base")
    assert "partials can only be extended" in problem.message
    assert problem.found == "'_base'" and problem.expected == "a profile that can be rendered: one of: lab"
    assert "extends: _base" in (problem.hint or "")
    # the CLI layer can still read a partial on its own when it means to
    assert load_profile(tmp_path, "_base", partial_ok=True).data["namespace"] == "shared"


def test_unknown_profile_whose_partial_exists_says_so(tmp_path: Path) -> None:
    write(tmp_path, "_base", "namespace: x\n")
    problem = problem_of(tmp_path, "base")
    assert "unknown profile 'base'" in problem.message
    assert problem.hint == "'_base' is a partial: it can only be extended"


def test_missing_parent_suggests_a_partial(tmp_path: Path) -> None:
    write(tmp_path, "_base", "namespace: x\n")
    write(tmp_path, "child", "extends: _bse\n")
    problem = problem_of(tmp_path, "child")
    assert "extends '_bse', which does not exist" in problem.message
    assert problem.hint == "did you mean '_base'?"
    assert problem.expected == "one of: _base"


def test_list_profiles_lists_only_files(tmp_path: Path) -> None:
    write(tmp_path, "a", "x: 1\n")
    write(tmp_path, "_base", "x: 1\n")
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "_dir.yaml").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    assert list_profiles(tmp_path) == ["a"]
    assert list_profiles(tmp_path, partials=True) == ["_base", "a"]
    problem = problem_of(tmp_path, "dir")
    assert "unknown profile 'dir'" in problem.message and problem.expected == "one of: a"


# --- YAML merge keys -----------------------------------------------------------------------------

DEFAULTS = "defaults: &d\n  image: tf:2\n  num_workers: 1\n  num_ps: 1\n"
GPU = "gpu: &g\n  image: tf:2-gpu\n  gpus: 1\n"


@pytest.mark.parametrize(
    "body, params",
    [
        # explicit keys override merged ones (the review's case)
        ("  <<: *d\n  num_workers: 2\n", {"image": "tf:2", "num_workers": 2, "num_ps": 1}),
        # ... wherever the merge key is written
        ("  num_workers: 2\n  <<: *d\n", {"num_workers": 2, "image": "tf:2", "num_ps": 1}),
        # among merged mappings the first wins
        ("  <<: [*g, *d]\n", {"image": "tf:2-gpu", "gpus": 1, "num_workers": 1, "num_ps": 1}),
        ("  <<: [*d, *g]\n", {"image": "tf:2", "num_workers": 1, "num_ps": 1, "gpus": 1}),
        ("  <<: [*d, *g]\n  image: mine\n", {"image": "mine", "num_workers": 1, "num_ps": 1, "gpus": 1}),
        # flow style, and an explicit null stays (it deletes only across extends)
        ("  {<<: *d, num_ps: null}\n", {"image": "tf:2", "num_workers": 1, "num_ps": None}),
        # a merged mapping that itself merges
        ("  <<: *both\n", {"image": "tf:2-gpu", "gpus": 1, "num_workers": 1, "num_ps": 1}),
    ],
)
def test_merge_keys(tmp_path: Path, any_loader: str, body: str, params: dict) -> None:
    text = DEFAULTS + GPU + "both: &both\n  <<: [*g, *d]\nparams:\n" + body
    write(tmp_path, "p", text)
    data = load_profile(tmp_path, "p").data
    assert data["params"] == params
    assert list(data["params"]) == list(params)  # the order is deterministic


def test_merged_keys_point_at_the_anchor_and_explicit_keys_at_themselves(tmp_path: Path) -> None:
    write(tmp_path, "p", DEFAULTS + "components:\n  job:\n    params:\n      <<: *d\n      num_workers: 2\n")
    sources = load_profile(tmp_path, "p").sources
    assert sources.locate(("components", "job", "params", "image"))[1] == 2  # where the anchor's key is
    assert sources.locate(("components", "job", "params", "num_workers"))[1] == 9


@pytest.mark.parametrize(
    "text, line, message, found",
    [
        # explicit duplicates are still errors, merge or not
        (DEFAULTS + "p:\n  <<: *d\n  a: 1\n  a: 2\n", 8, "duplicate key 'a' (first set on line 7)", None),
        ("p: {<<: 1}\n", 1, "a merge key (<<) takes a mapping or a list of mappings", "the value 1"),
        ("l: &l [1]\np: {<<: *l}\n", 2, "a merge key (<<) takes a mapping or a list of mappings", "the value 1"),
        ("l: &l [[1]]\np: {<<: *l}\n", 2, "a merge key (<<) takes a mapping or a list of mappings", "a list"),
        ("a: &a {x: 1}\np: {<<: [*a, 2]}\n", 2, "a merge key (<<) takes a mapping or a list of mappings",
         "the value 2"),
        ("a: &a {b: {<<: *a}}\n", 1, "recursive alias: a mapping merges itself", None),
    ],
)
def test_merge_key_errors(tmp_path: Path, text: str, line: int, message: str, found: str | None) -> None:
    write(tmp_path, "p", text)
    problem = problem_of(tmp_path, "p")
    assert message in problem.message
    assert problem.line == line and problem.found == found


def test_merges_of_merges_stay_linear(tmp_path: Path) -> None:
    # each level merges the previous one ten times: flattening naively would copy 10**30 entries
    lines = ["m0: &m0 {k0: 0}"] + [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}], k{i}: {i}}}"
                                   for i in range(1, 31)]
    write(tmp_path, "p", "\n".join(lines) + "\n")
    start = time.perf_counter()
    data = load_profile(tmp_path, "p").data
    assert time.perf_counter() - start < 5
    assert data["m30"] == {f"k{i}": i for i in range(31)}
    assert list(data["m30"]) == [f"k{i}" for i in range(31)]


# --- keys that are not strings -------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, line, path, found, hint",
    [
        ("on: push\n", 1, ("on",), "key on (read as boolean true)", "quote the key: 'on'"),
        ("a:\n  off: 1\n", 2, ("a", "off"), "key off (read as boolean false)", "quote the key: 'off'"),
        ("yes: 1\n", 1, ("yes",), "key yes (read as boolean true)", "quote the key: 'yes'"),
        ("No: 1\n", 1, ("No",), "key No (read as boolean false)", "quote the key: 'No'"),
        ("null: 1\n", 1, ("null",), "key null (read as null)", "quote the key: 'null'"),
        ("~: 1\n", 1, ("~",), "key ~ (read as null)", "quote the key: '~'"),
        ("x:\n  y:\n    1: a\n", 3, ("x", "y", "1"), "key 1 (read as integer 1)", "quote the key: '1'"),
        ("0x10: a\n", 1, ("0x10",), "key 0x10 (read as integer 16)", "quote the key: '0x10'"),
        ("1.5: a\n", 1, ("1.5",), "key 1.5 (read as number 1.5)", "quote the key: '1.5'"),
        ("2024-01-02: a\n", 1, ("2024-01-02",), "key 2024-01-02 (read as date 2024-01-02)",
         "quote the key: '2024-01-02'"),
        ("? \n: a\n", 1, ("",), "an empty key (read as null)", "write a name before the ':'"),
        ("? [a, b]\n: c\n", 1, (), "a list used as a key", "use a plain name as the key"),
        ("? {a: b}\n: c\n", 1, (), "a mapping used as a key", "use a plain name as the key"),
    ],
)
def test_keys_must_be_strings(tmp_path: Path, text: str, line: int, path: tuple, found: str, hint: str) -> None:
    write(tmp_path, "p", text)
    problem = problem_of(tmp_path, "p")
    assert problem.message == "mapping keys must be strings"
    assert (problem.line, problem.path, problem.found, problem.hint) == (line, path, found, hint)
    assert problem.expected == "a string key"


def test_quoted_keys_that_look_like_other_types_are_strings(tmp_path: Path) -> None:
    write(tmp_path, "p", "'on': 1\n\"1\": 2\n!!str yes: 3\n'null': 4\n")
    assert load_profile(tmp_path, "p").data == {"on": 1, "1": 2, "yes": 3, "null": 4}


# --- errors.py -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "path, shown",
    [
        (("components", "kubeflow-core", "params", "reportUsage"), "components.kubeflow-core.params.reportUsage"),
        (("cluster", "nodes", 0, "name"), "cluster.nodes[0].name"),
        ((0,), "[0]"),
        ((0, "a"), "[0].a"),
        (("components", "1-job"), "components.1-job"),
        (("env", "MY.VAR"), "env['MY.VAR']"),
        (("env", "MY VAR", 2), "env['MY VAR'][2]"),
        (("resources", "limits", "nvidia.com/gpu"), "resources.limits['nvidia.com/gpu']"),
        (("a", "0"), "a['0']"),  # a string key that would read as an index
        (("a", ""), "a['']"),
        (("a", "it's"), "a['it\\'s']"),
        (("a b", "c"), "['a b'].c"),
        ((), ""),
    ],
)
def test_format_path_reads_well(path: tuple, shown: str) -> None:
    assert format_path(path) == shown


def test_problem_format_uses_the_readable_path() -> None:
    p = Problem("bad", file="p.yaml", line=3, path=("env", "MY.VAR"), expected="x", found="y", hint="z")
    assert p.format() == "error: p.yaml:3: env['MY.VAR']: bad\n  expected: x\n  found:    y\n  hint:     z"


def test_unused_collector_is_gone() -> None:
    assert not hasattr(errors, "Collector")


def test_a_symlink_loop_profile_is_refused_without_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kfgen.cli import app

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "loop.yaml").symlink_to("loop.yaml")
    res = CliRunner().invoke(app, ["render", "-p", "loop", "--profiles-dir", str(tmp_path / "profiles"),
                                   "--out-dir", str(tmp_path / "out")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "unknown profile 'loop'" in res.stderr
    assert not (tmp_path / "out").exists()


def test_an_extends_chain_has_a_stated_depth_limit(tmp_path: Path) -> None:
    from kfgen.profile.store import MAX_EXTENDS_DEPTH

    for i in range(MAX_EXTENDS_DEPTH + 5):
        (tmp_path / f"p{i}.yaml").write_text(f"extends: p{i + 1}\n")
    (tmp_path / f"p{MAX_EXTENDS_DEPTH + 5}.yaml").write_text("namespace: x\n")
    with pytest.raises(KfgenError) as info:
        load_profile(tmp_path, "p0")
    assert f"extends chain longer than {MAX_EXTENDS_DEPTH} profiles" in info.value.format()
    # a chain at the limit loads
    assert load_profile(tmp_path, f"p{5 + 1}").chain[-1] == f"p{MAX_EXTENDS_DEPTH + 5}"
