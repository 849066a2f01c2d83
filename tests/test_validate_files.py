"""``kfgen validate FILE_OR_DIR...``: manifests kfgen did not render (tests/fixtures/manifests/: upstream
training-operator v1.9 TFJob examples and plain objects), through Typer's runner, with the strict schemas and
the error format of the profile path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.validate.kubeconform import find_kubeconform

runner = CliRunner()
F = "tests/fixtures/manifests"
needs_kubeconform = pytest.mark.skipif(find_kubeconform() is None, reason="kubeconform not installed")

CERT_NOTE = (f"note: {F}/valid/certificate.yaml:1: skipped Certificate demo/web-tls: no schema for kind Certificate "
             "(apiVersion cert-manager.io/v1): neither a Kubernetes kind nor TFJob "
             "(--strict-kinds makes this an error)")
KUST_NOTE = (f"note: {F}/valid/kustomization.yaml: skipped file: a kustomization file (kustomize's input, not a "
             "Kubernetes object)")
CONTAINER_FIELDS = ("one of the fields: args, command, env, envFrom, image, imagePullPolicy, lifecycle, livenessProbe, "
                    "name, ports, readinessProbe, resizePolicy, resources, restartPolicy, restartPolicyRules, ...")
TYPO_TAIL = (f"unknown field 'imagePullPolicyy'\n  expected: {CONTAINER_FIELDS}\n  found:    'imagePullPolicyy'\n"
             "  hint:     did you mean 'imagePullPolicy'?")
DEPLOYMENT_TYPO = (f"error: {F}/invalid/deployment-typo.yaml:21: Deployment demo/web "
                   f"/spec/template/spec/containers/0/imagePullPolicyy: {TYPO_TAIL}")
TFJOB_TYPO = (f"error: {F}/invalid/tfjob-typo.yaml:23: TFJob dist-mnist-for-e2e-test "
              f"/spec/tfReplicaSpecs/Worker/template/spec/containers/0/imagePullPolicyy: {TYPO_TAIL}")
SYNTAX = f"error: {F}/invalid/syntax-error.yaml:7: YAML syntax error: did not find expected ',' or ']'"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # files are shown as given: relative to the project root


def run(*args: str):
    res = runner.invoke(app, ["validate", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def test_upstream_examples_are_valid_with_crds_and_kustomizations_skipped() -> None:
    res = run(f"{F}/valid", "--no-kubeconform")
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == [CERT_NOTE, KUST_NOTE]
    # 8 objects: a List's 2 items, a 2-document file (and its empty third document), 2 TFJobs, a Deployment,
    # a Service; the Certificate and the kustomization are read, not validated
    assert res.stdout == ("manifests: valid (k8s 1.37; 8 files read, 8 objects validated, "
                          "1 object of unknown kind skipped, 1 kustomization skipped)\n")


@needs_kubeconform
def test_kubeconform_agrees_and_its_missing_schema_for_the_crd_is_a_skip() -> None:
    res = run(f"{F}/valid")
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines() == [CERT_NOTE, KUST_NOTE]
    assert res.stdout.endswith("kubeconform: 8 valid, 0 invalid, 0 errors, 1 skipped)\n")


def test_strict_kinds_makes_an_unknown_kind_an_error() -> None:
    res = run(f"{F}/valid/certificate.yaml", "--strict-kinds", "--no-kubeconform")
    assert res.exit_code == 1
    assert res.stderr == (
        f"error: {F}/valid/certificate.yaml:2: Certificate demo/web-tls /kind: no schema for kind Certificate "
        "(apiVersion cert-manager.io/v1) in Kubernetes 1.37 or kfgen's CRDs\n"
        "  expected: a kind with a schema (Kubernetes built-in kinds, TFJob kubeflow.org/v1)\n"
        "  found:    cert-manager.io/v1 Certificate\n"
        "  hint:     a custom resource of cert-manager.io: kfgen has schemas for Kubernetes' own kinds and TFJob "
        "only; check it with kubeconform and that CRD's schema (kubeconform -schema-location)\n")


@pytest.mark.parametrize("kubeconform", ["--no-kubeconform",
                                         pytest.param("--kubeconform", marks=needs_kubeconform)])
@pytest.mark.parametrize(("name", "expected"), [("tfjob-typo.yaml", TFJOB_TYPO),
                                                ("deployment-typo.yaml", DEPLOYMENT_TYPO),
                                                ("syntax-error.yaml", SYNTAX)])
def test_each_bad_file_gives_exactly_one_error_with_file_line_object_and_pointer(
        name: str, expected: str, kubeconform: str) -> None:
    res = run(f"{F}/invalid/{name}", kubeconform)
    assert res.exit_code == 1
    assert res.stderr == expected + "\n"  # kubeconform finds the typos too: not listed twice
    assert res.stdout.startswith("manifests: 1 problem (k8s 1.37; 1 file read, ")


def test_a_directory_lists_every_problem_in_file_order() -> None:
    res = run(f"{F}/invalid", "--no-kubeconform")
    assert res.exit_code == 1
    assert res.stderr == "\n".join([DEPLOYMENT_TYPO, SYNTAX, TFJOB_TYPO]) + "\n"
    assert res.stdout == "manifests: 3 problems (k8s 1.37; 3 files read, 2 objects validated)\n"


def test_bad_input_is_exit_2_and_nothing_is_validated(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    res = run("nope.yaml", f"{F}/invalid", str(tmp_path / "empty"), "--no-kubeconform")
    assert res.exit_code == 2
    assert res.stderr == ("error: nope.yaml: no such file or directory\n"
                          f"error: {tmp_path / 'empty'}: no manifest files in this directory\n"
                          "  expected: files named *.yaml, *.yml or *.json (searched recursively)\n"
                          "2 problems; nothing was validated.\n")
    assert res.stdout == ""
    res = run(f"{F}/valid", "--kubernetes-version", "1.2", "--no-kubeconform")
    assert res.exit_code == 2
    assert "error: kubernetesVersion '1.2' has no Kubernetes schemas" in res.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_bad_input(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    secret.chmod(0)
    res = run(str(secret), "--no-kubeconform")
    assert res.exit_code == 2
    assert res.stderr == f"error: {secret}: cannot read file: Permission denied\n1 problem; nothing was validated.\n"


def test_list_items_json_and_wrong_api_versions(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: ok}\n"
        "  - apiVersion: v1\n    kind: Service\n    metadata:\n      name: web\n    spec:\n      ports:\n"
        "        - port: \"80\"\n")
    (tmp_path / "pod.json").write_text(json.dumps(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
         "spec": {"containers": [{"name": "c", "image": "busybox", "imagePullPolicyy": "Always"}]}}, indent=2))
    (tmp_path / "old.yaml").write_text(  # a Kubernetes kind under a removed version; a typo'd kind in 'apps'
        "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n---\n"
        "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: typo}\n")
    (tmp_path / "latin1.yaml").write_bytes("metadata: {name: caf\xe9}\n".encode("latin-1"))
    res = run(str(tmp_path), str(tmp_path / "list.yaml"), "--no-kubeconform")  # the same file twice: read once
    assert res.exit_code == 1
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path}/latin1.yaml: not UTF-8 text",
        f"error: {tmp_path}/list.yaml:13: Service web /spec/ports/0/port: wrong type",
        f"error: {tmp_path}/old.yaml:2: Deployment old /kind: no schema for kind Deployment (apiVersion "
        "extensions/v1beta1) in Kubernetes 1.37 or kfgen's CRDs",
        f"error: {tmp_path}/old.yaml:6: Deploymnet typo /kind: no schema for kind Deploymnet (apiVersion apps/v1) "
        "in Kubernetes 1.37 or kfgen's CRDs",
        f"error: {tmp_path}/pod.json:12: Pod p /spec/containers/0/imagePullPolicyy: unknown field 'imagePullPolicyy'",
    ]
    assert "  hint:     Deployment exists as apiVersion apps/v1" in res.stderr
    assert "  hint:     did you mean 'Deployment'?" in res.stderr
    assert res.stdout == "manifests: 5 problems (k8s 1.37; 4 files read, 5 objects validated)\n"


def test_paths_and_profiles_combine(tmp_path: Path) -> None:
    out = str(tmp_path / "out")  # no committed output: the profile is rendered and validated, whatever out/ holds
    res = run("-p", "cpu-laptop", f"{F}/valid/tf_job_mnist.yaml", "--no-kubeconform", "--out-dir", out)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("cpu-laptop: valid (k8s ")
    assert lines[1] == "manifests: valid (k8s 1.37; 1 file read, 1 objects validated)"
    res = run("-p", "cpu-laptop", f"{F}/invalid/tfjob-typo.yaml", "--no-kubeconform", "--out-dir", out)
    assert res.exit_code == 1
    assert res.stderr == TFJOB_TYPO + "\n"
    res = run("--no-kubeconform")  # neither paths nor profiles: as before, a profile must be named
    assert res.exit_code == 2
    assert "name a profile with --profile NAME, or use --all" in res.stderr
