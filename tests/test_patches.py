"""Patches on component instances (kfgen.render.patches): the strategic-merge-style rules, RFC 6902 JSON Patch
(the RFC's own examples, appendix A), and the pipeline step: a patch that targets nothing, fails, or makes an
object invalid is an error at the patch's file and line, through the CLI, leaving out/ untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.render.patches import JsonPatchOp, Patch, PatchFailed, apply_json_patch, merge


def ops(*items: dict[str, Any]) -> list[JsonPatchOp]:
    return [JsonPatchOp.model_validate(i) for i in items]


# --- strategic-merge style ------------------------------------------------------------------------


def test_merge_maps_null_deletes_lists_replace() -> None:
    base = {"a": {"b": 1, "c": 2}, "args": ["x", "y"], "keep": True}
    patch = {"a": {"b": 10, "c": None, "d": 4}, "args": ["z"]}
    assert merge(base, patch) == {"a": {"b": 10, "d": 4}, "args": ["z"], "keep": True}
    assert base == {"a": {"b": 1, "c": 2}, "args": ["x", "y"], "keep": True}  # not changed


def test_merge_named_lists_by_name() -> None:
    base = {"containers": [{"name": "a", "image": "i:1", "env": [{"name": "X", "value": "1"}]},
                           {"name": "b", "image": "j:1"}]}
    patch = {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "3"}]},
                            {"name": "c", "image": "k:1"}, {"name": "b", "$patch": "delete"}]}
    assert merge(base, patch) == {"containers": [
        {"name": "a", "image": "i:1", "env": [{"name": "X", "value": "3"}, {"name": "Y", "value": "2"}]},
        {"name": "c", "image": "k:1"}]}


def test_merge_volume_mounts_by_mount_path() -> None:
    base = {"volumeMounts": [{"name": "v", "mountPath": "/a"}, {"name": "v", "mountPath": "/b"}]}
    patch = {"volumeMounts": [{"name": "v", "mountPath": "/b", "readOnly": True}]}
    assert merge(base, patch)["volumeMounts"] == [{"name": "v", "mountPath": "/a"},
                                                  {"name": "v", "mountPath": "/b", "readOnly": True}]


def test_merge_unnamed_list_of_maps_is_replaced() -> None:
    base = {"tolerations": [{"key": "a", "operator": "Exists"}]}
    assert merge(base, {"tolerations": []}) == {"tolerations": []}


# --- JSON Patch: RFC 6902 appendix A ---------------------------------------------------------------


@pytest.mark.parametrize("doc, patch, expected", [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
    ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ({"baz": "qux", "foo": ["a", 2, "c"]}, [{"op": "test", "path": "/baz", "value": "qux"},
                                           {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}], {"foo": ["bar", ["abc", "def"]]}),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ({"foo": {"bar": 1}}, [{"op": "copy", "from": "/foo", "path": "/baz"}], {"foo": {"bar": 1}, "baz": {"bar": 1}}),
    ({"a": None}, [{"op": "replace", "path": "/a", "value": None}], {"a": None}),
])
def test_rfc6902_examples(doc: Any, patch: list[dict[str, Any]], expected: Any) -> None:
    assert apply_json_patch(doc, ops(*patch)) == expected


@pytest.mark.parametrize("doc, patch, fragment", [
    ({"foo": "bar"}, [{"op": "remove", "path": "/baz"}], "no such member"),
    ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "test failed"),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], "test failed"),
    ({"a": 1}, [{"op": "test", "path": "/a", "value": True}], "test failed"),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "no such member"),
    ({"foo": [1]}, [{"op": "add", "path": "/foo/5", "value": 2}], "out of range"),
    ({"foo": [1]}, [{"op": "replace", "path": "/foo/01", "value": 2}], "not an array index"),
    ({"foo": {"a": 1}}, [{"op": "move", "from": "/foo", "path": "/foo/a/b"}], "its own child"),
    ({"foo": 1}, [{"op": "replace", "path": "/bar", "value": 2}], "no such member"),
])
def test_rfc6902_errors(doc: Any, patch: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(PatchFailed, match=fragment):
        apply_json_patch(doc, ops(*patch))
    # all or nothing: the document is untouched
    assert apply_json_patch(doc, []) == doc


@pytest.mark.parametrize("patch, fragment", [
    ({"target": {"kind": "TFJob", "name": "x"}}, "exactly one of merge, jsonPatch"),
    ({"target": {"kind": "TFJob", "name": "x"}, "merge": {}, "jsonPatch": []}, "exactly one of merge, jsonPatch"),
    ({"target": {"kind": "TFJob"}, "merge": {}}, "name"),
    ({"target": {"kind": "TFJob", "name": "x"}, "jsonPatch": [{"op": "add", "path": "/a"}]}, "needs a value"),
    ({"target": {"kind": "TFJob", "name": "x"}, "jsonPatch": [{"op": "copy", "path": "/a"}]}, "needs from"),
    ({"target": {"kind": "TFJob", "name": "x"}, "jsonPatch": [{"op": "add", "path": "a", "value": 1}]}, "pattern"),
    ({"target": {"kind": "TFJob", "name": "x"}, "jsonPatch": [{"op": "append", "path": "/a", "value": 1}]}, "op"),
])
def test_invalid_patches(patch: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Patch.model_validate(patch)


# --- the pipeline, through the CLI ------------------------------------------------------------------


PROFILE = """\
namespace: team-a
components:
  train:
    prototype: tf-job
    params:
      image: registry.example/train:1.0
      num_workers: 2
    patches:
{patches}
"""


def render(tmp_path: Path, patches: str, monkeypatch: pytest.MonkeyPatch, head: str = "") -> tuple[int, str, Path]:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "p.yaml").write_text(head + PROFILE.format(patches=patches))
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "p", "--profiles-dir", "profiles", "--out-dir", "out"])
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else ""), out


def test_merge_and_json_patch_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    code, text, out = render(tmp_path, """\
      - target: {kind: TFJob, name: train}
        merge:
          spec:
            tfReplicaSpecs:
              Worker:
                template:
                  spec:
                    hostIPC: true
                    containers:
                      - name: tensorflow
                        env: [{name: NCCL_DEBUG, value: INFO}]
      - target: {kind: TFJob, name: train, apiVersion: kubeflow.org/v1, namespace: team-a}
        jsonPatch:
          - {op: test, path: /spec/tfReplicaSpecs/Worker/replicas, value: 2}
          - {op: replace, path: /spec/tfReplicaSpecs/Worker/replicas, value: 3}
          - {op: add, path: /spec/tfReplicaSpecs/Chief/template/spec/containers/0/args, value: [--steps=10]}
""", monkeypatch, head="podSecurity: {team-a: privileged}  # hostIPC\n")
    assert code == 0, text
    job = yaml.safe_load((out / "p" / "99-tfjob-train.yaml").read_text())
    worker = job["spec"]["tfReplicaSpecs"]["Worker"]
    assert worker["replicas"] == 3 and worker["template"]["spec"]["hostIPC"] is True
    assert worker["template"]["spec"]["containers"][0]["env"] == [{"name": "NCCL_DEBUG", "value": "INFO"}]
    assert worker["template"]["spec"]["containers"][0]["image"] == "registry.example/train:1.0"
    assert job["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]["containers"][0]["args"] == ["--steps=10"]
    assert job["metadata"]["labels"]["kfgen.io/instance"] == "train"


def test_a_patch_lowering_a_pod_below_its_namespace_level_is_refused(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = render(tmp_path, """\
      - target: {kind: TFJob, name: train}
        merge: {spec: {tfReplicaSpecs: {Worker: {template: {spec: {hostIPC: true}}}}}}
""", monkeypatch)
    assert code == 2, text
    assert ("instance 'train': TFJob team-a/train replica Worker meets only the Pod Security Standard 'privileged', "
            "below namespace team-a's 'restricted'") in text
    assert "found:    privileged: hostIPC: true" in text and "add `podSecurity: {team-a: privileged}`" in text
    assert not (out / "p").exists()


@pytest.mark.parametrize("patches, line, fragments", [
    pytest.param("""\
      - target: {kind: TFJob, name: trian}
        merge: {spec: {}}
""", 9, ["components.train.patches[0].target", "targets TFJob trian, which this instance does not render",
          "TFJob team-a/train"], id="bad-target"),
    pytest.param("""\
      - target: {kind: TFJob, name: train}
        merge:
          spec:
            tfReplicaSpecs:
              Worker:
                template:
                  spec:
                    containers:
                      - {name: tensorflow, imagePullPolicyy: Always}
""", 9, ["components.train.patches[0]", "patch 0 makes TFJob team-a/train invalid",
          "/spec/tfReplicaSpecs/Worker/template/spec/containers/0"], id="invalid-result"),
    pytest.param("""\
      - target: {kind: TFJob, name: train}
        jsonPatch:
          - {op: replace, path: /spec/tfReplicaSpecs/PS/replicas, value: 1}
""", 10, ["components.train.patches[0].jsonPatch", "operation 0 (replace)", "no such member"], id="op-fails"),
    pytest.param("""\
      - target: {kind: TFJob, name: train}
        jsonPatch:
          - {op: replace, path: /spec/tfReplicaSpecs/Worker/replicas, value: "3"}
""", 9, ["patch 0 makes TFJob team-a/train invalid", "/spec/tfReplicaSpecs/Worker/replicas"], id="wrong-type"),
])
def test_bad_patches_fail_with_file_line_and_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patches: str,
                                                  line: int, fragments: list[str]) -> None:
    code, text, out = render(tmp_path, patches, monkeypatch)
    assert code != 0
    assert f"profiles/p.yaml:{line}:" in text, text
    for fragment in fragments:
        assert fragment in text, text
    assert not (out / "p").exists()  # nothing written
