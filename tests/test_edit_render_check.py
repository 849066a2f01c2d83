"""param set / unset / generate: the edit renders (in memory) before it is written; values read by the param's
type; partials editable; an edit changes only its own lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import invoke, snapshot

BASE = """\
namespace: kubeflow
cluster:
  nodes: [{name: n1, cpu: "8", memory: 32Gi, gpus: 2}]
components:
  serve:
    prototype: tf-serving
    params:
      modelName: m
      modelPath: gs://b/m
"""
PROD = """\
extends: _base
description: prod
extra: null
components:
  serve:
    params:
      replicas: 1   # one is enough
"""
LAB = """\
namespace: kubeflow
podSecurity:
  kubeflow: baseline   # Ambassador 0.30.1 runs as root to bind port 80
cluster:
  nodes: [{name: n1, cpu: "8", memory: 32Gi, gpus: 2}]
components:
  kubeflow-core:
    prototype: core
    params:
      reportUsage: false
  job:
    prototype: tf-job
    params:
      image: registry.example/train:1
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "_base.yaml").write_text(BASE)
    (profiles / "prod.yaml").write_text(PROD)
    (profiles / "lab.yaml").write_text(LAB)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def params_of(path: Path, instance: str) -> dict:
    return yaml.safe_load(path.read_text())["components"][instance].get("params", {})


def test_edit_that_stops_the_render_is_refused_with_the_render_problem(project: Path) -> None:
    before = snapshot(project)
    res = invoke("param", "set", "kubeflow-core", "jupyterHubServiceType", "LoadBalancer", "-p", "lab")
    assert res.exit_code == 2
    assert "profiles/lab.yaml:" in res.output and "dummy authenticator" in res.output
    assert "the edit would stop profile 'lab' from rendering; profiles/lab.yaml is unchanged." in res.output
    assert "kfgen param set INSTANCE KEY VALUE KEY VALUE ... -p lab" in res.output
    assert snapshot(project) == before
    assert not (project / "out").exists()


def test_several_pairs_are_one_edit(project: Path) -> None:
    res = invoke("param", "set", "kubeflow-core", "jupyterHubServiceType", "LoadBalancer",
                 "jupyterHubAuthenticator", "native", "jupyterHubAdminUsers", "[alice]", "-p", "lab")
    assert res.exit_code == 0, res.output
    core = params_of(project / "profiles" / "lab.yaml", "kubeflow-core")
    assert core["jupyterHubAuthenticator"] == "native" and core["jupyterHubAdminUsers"] == ["alice"]
    assert invoke("render", "-p", "lab").exit_code == 0


@pytest.mark.parametrize("args", [("kubeflow-core", "reportUsage"), ("kubeflow-core", "a", "b", "a", "c")])
def test_bad_pairs(project: Path, args: tuple[str, ...]) -> None:
    before = snapshot(project)
    res = invoke("param", "set", *args, "-p", "lab")
    assert res.exit_code == 2
    assert "KEY VALUE" in res.output or "given twice" in res.output
    assert snapshot(project) == before


def test_generate_that_stops_the_render_is_refused(project: Path) -> None:
    before = snapshot(project)
    res = invoke("generate", "tf-job", "j", "-p", "lab", "--param", "image=x", "--param", "num_workers=1",
                 "--param", "num_gpus=5")
    assert res.exit_code == 2 and "GPU" in res.output
    assert snapshot(project) == before
    res = invoke("generate", "tf-job", "j", "-p", "lab", "--param", "image=x", "--param", "num_workers=1")
    assert res.exit_code == 0, res.output


def test_profile_that_did_not_render_can_be_fixed_step_by_step(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    lab.write_text(LAB.replace("reportUsage: false", "reportUsage: false\n      jupyterHubServiceType: NodePort"))
    assert invoke("render", "-p", "lab").exit_code == 2
    res = invoke("param", "set", "job", "num_workers", "2", "-p", "lab")
    assert res.exit_code == 0, res.output
    assert "did not render before this edit and still does not" in res.output
    assert params_of(lab, "job")["num_workers"] == 2
    # a new problem about the value written is still refused
    res = invoke("param", "set", "job", "num_workers", "lots", "-p", "lab")
    assert res.exit_code == 2 and params_of(lab, "job")["num_workers"] == 2
    res = invoke("param", "set", "kubeflow-core", "jupyterHubServiceType", "ClusterIP", "-p", "lab")
    assert res.exit_code == 0 and "renders now" in res.output


@pytest.mark.parametrize(("key", "value"), [("args", "--a=1,--b=2 # c"), ("image_gpu", "#x"),
                                            ("image_gpu", "null"), ("args", "true"), ("args", "--train_steps=1000"),
                                            ("args", "-1")])
def test_string_param_takes_the_text_as_typed(project: Path, key: str, value: str) -> None:
    res = invoke("param", "set", "job", key, value, "-p", "lab")
    if key == "image_gpu" and value == "#x":  # written as typed, then refused by the image format
        assert res.exit_code == 2 and "'#x'" in res.output
        return
    assert res.exit_code == 0, res.output
    assert params_of(project / "profiles" / "lab.yaml", "job")[key] == value


def test_double_dash_before_a_value_that_looks_like_an_option(project: Path) -> None:
    res = invoke("param", "set", "-p", "lab", "job", "args", "--", "-p")
    assert res.exit_code == 0, res.output
    assert params_of(project / "profiles" / "lab.yaml", "job")["args"] == "-p"


@pytest.mark.parametrize(("key", "value", "expected"), [("num_workers", "3", 3), ("args", "[--a, --b]", ["--a", "--b"]),
                                                        ("nodeSelector", "{gpu: 'yes'}", {"gpu": "yes"}),
                                                        ("num_ps", "0", 0)])
def test_typed_params_read_yaml(project: Path, key: str, value: str, expected: object) -> None:
    res = invoke("param", "set", "job", key, value, "-p", "lab")
    assert res.exit_code == 0, res.output
    assert params_of(project / "profiles" / "lab.yaml", "job")[key] == expected


def test_typed_param_with_text_is_refused(project: Path) -> None:
    before = snapshot(project)
    res = invoke("param", "set", "job", "num_workers", "three", "-p", "lab")
    assert res.exit_code == 2 and "num_workers" in res.output
    assert snapshot(project) == before


def test_partial_set_list_unset(project: Path) -> None:
    base = project / "profiles" / "_base.yaml"
    res = invoke("param", "list", "serve", "-p", "_base")
    assert res.exit_code == 0, res.output
    assert any(line.split()[:3] == ["serve", "modelName", "m"] for line in res.output.splitlines())
    res = invoke("param", "set", "serve", "numGpus", "1", "-p", "_base")
    assert res.exit_code == 0, res.output
    assert params_of(base, "serve")["numGpus"] == 1
    assert invoke("param", "unset", "serve", "numGpus", "-p", "_base").exit_code == 0
    assert "numGpus" not in params_of(base, "serve")
    assert base.read_text() == BASE


def test_partial_edit_that_stops_a_child_is_refused(project: Path) -> None:
    before = snapshot(project)
    res = invoke("param", "set", "serve", "numGpus", "5", "-p", "_base")
    assert res.exit_code == 2
    assert "profiles/prod.yaml" in res.output and "stop profile 'prod'" in res.output
    res = invoke("param", "set", "serve", "replicas", "lots", "-p", "_base")
    assert res.exit_code == 2 and "replicas" in res.output
    assert snapshot(project) == before


def test_generate_in_a_partial_is_refused(project: Path) -> None:
    before = snapshot(project)
    res = invoke("generate", "tf-job", "j", "-p", "_base", "--param", "image=x")
    assert res.exit_code == 2 and "error: profiles/_base.yaml: '_base' is a partial: generate adds instances to " \
                                  "profiles, not to partials" in res.output
    assert "rendering" not in res.output  # not about rendering a partial
    text = " ".join(res.output.split())
    assert ("hint: generate it into a profile that extends it (prod): 'kfgen generate tf-job j -p prod'; or write it "
            "under components: in the partial yourself and set its params with 'kfgen param set j KEY VALUE -p "
            "_base'") in text
    assert "1 problem; profiles/_base.yaml is unchanged." in res.output
    (project / "profiles" / "_lone.yaml").write_text("namespace: x\n")  # extended by no profile
    res = invoke("generate", "tf-job", "j", "-p", "_lone")
    assert res.exit_code == 2 and "hint: generate it into a profile; or write it" in " ".join(res.output.split())
    res = invoke("generate", "tf-job", "j", "-p", "_nope")  # no such partial: the usual unknown-profile error
    assert res.exit_code == 2 and "_nope" in res.output and "adds instances to profiles" not in res.output
    assert snapshot(project) == before | {"profiles/_lone.yaml": snapshot(project)["profiles/_lone.yaml"]}


def test_param_set_changes_exactly_one_line_in_a_child(project: Path) -> None:
    res = invoke("param", "set", "serve", "replicas", "2", "-p", "prod")
    assert res.exit_code == 0, res.output
    assert (project / "profiles" / "prod.yaml").read_text() == PROD.replace("replicas: 1", "replicas: 2")


def test_unset_of_an_inherited_value_writes_null(project: Path) -> None:
    prod = project / "profiles" / "prod.yaml"
    assert invoke("param", "set", "serve", "numGpus", "1", "-p", "_base").exit_code == 0
    res = invoke("param", "unset", "serve", "numGpus", "-p", "prod")
    assert res.exit_code == 0, res.output
    assert "      numGpus: null\n" in prod.read_text()
    assert "extra: null\n" in prod.read_text()
    rows = [line.split() for line in invoke("param", "list", "serve", "-p", "prod").output.splitlines()]
    assert ["serve", "numGpus", "0", "this", "profile"] in rows


def test_param_list_columns_fit_the_header(project: Path) -> None:
    (project / "profiles" / "t.yaml").write_text("namespace: kubeflow\ncomponents:\n  j:\n    prototype: tf-job\n"
                                                 "    params: {image: x}\n")
    lines = invoke("param", "list", "-p", "t").output.splitlines()
    assert lines[0].startswith("INSTANCE  PARAM")
    assert all(line.index(line.split()[1]) == lines[0].index("PARAM") for line in lines[1:])
    res = invoke("param", "list", "nope", "-p", "t")
    assert res.exit_code == 2 and "1 problem; nothing to list." in res.output


KID = "extends: lab\ncomponents:\n  job:\n    params:\n      num_workers: 3\n"


def test_edit_of_a_parent_stopping_only_a_child_names_the_edited_file_without_the_pairs_hint(project: Path) -> None:
    (project / "profiles" / "kid.yaml").write_text(KID)
    assert invoke("param", "set", "job", "num_workers", "1", "-p", "lab").exit_code == 0
    assert invoke("render", "-p", "kid", "--stdout").exit_code == 0
    before = snapshot(project)
    res = invoke("param", "set", "job", "num_gpus", "1", "-p", "lab")  # lab: 1 worker fits; kid: 3 GPUs > 2
    assert res.exit_code == 2, res.output
    assert "the edit would stop profile 'kid' from rendering; profiles/lab.yaml is unchanged." in res.output
    assert "the profile is unchanged" not in res.output and "hint: change several params" not in res.output
    assert snapshot(project) == before


def test_no_pairs_hint_when_several_pairs_were_given(project: Path) -> None:
    before = snapshot(project)
    res = invoke("param", "set", "kubeflow-core", "jupyterHubServiceType", "LoadBalancer", "reportUsage", "true",
                 "-p", "lab")
    assert res.exit_code == 2, res.output
    assert "the edit would stop profile 'lab' from rendering; profiles/lab.yaml is unchanged." in res.output
    assert "change several params in one edit" not in res.output
    assert snapshot(project) == before


def test_partial_edit_names_the_partial_file(project: Path) -> None:
    res = invoke("param", "set", "serve", "numGpus", "5", "-p", "_base")
    assert res.exit_code == 2
    assert "stop profile 'prod' from rendering; profiles/_base.yaml is unchanged." in res.output
    assert "change several params" not in res.output


def test_a_line_the_edit_would_write_is_said_to_be_after_the_edit(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    n = len(lab.read_text().splitlines())
    res = invoke("param", "set", "job", "num_workers", "-1", "-p", "lab")  # a new last line, n + 1
    assert res.exit_code == 2, res.output
    assert (f"error: profiles/lab.yaml:{n + 1}: components.job.params.num_workers: invalid value "
            f"(line {n + 1} after the edit: a line the edit would write)") in res.output


def test_lines_the_edit_leaves_are_mapped_back_to_the_file() -> None:
    from kfgen.edit.check import _line_map, _relined
    from kfgen.errors import Problem

    before, after = "a\nb\nc\n", "a\nnew\nb\nc\n"
    lines = _line_map(before, after)
    assert lines == {1: 1, 3: 2, 4: 3}
    assert _relined(Problem("m", file="f", line=4), "f", lines).line == 3  # c: line 3 of the file
    moved = _relined(Problem("m", file="f", line=2), "f", lines)
    assert moved.line == 2 and moved.message == "m (line 2 after the edit: a line the edit would write)"
    other = Problem("m", file="g", line=4)
    assert _relined(other, "f", lines) is other  # another file's lines are its own
