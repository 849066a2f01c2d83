"""The profile's podSecurity: every namespace is 'restricted' unless the profile lowers it, a pod below its
namespace's level is a render error (the pod, the level it needs, why, the line to add), and each Namespace kfgen
renders is labelled with its level, so one pod never lowers the level of the others silently."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.kube import podsecurity

HOST_PATH_JOB = """\
  train:
    prototype: tf-job
    params:
      image: registry.example/train:1.0
      allowHostPath: true
      volumes: [{name: data, hostPath: {path: /data}, mountPath: /data}]
"""
NOTEBOOK_JOB = """\
  plain:
    prototype: tf-job
    namespace: team-b
    params: {image: "registry.example/train:1.0"}
"""


def run(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, Path]:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "p.yaml").write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "p", "--profiles-dir", "profiles", "--out-dir", "out"])
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else ""), tmp_path / "out"


def levels(out: Path) -> dict[str, str]:
    found = {}
    for path in (out / "p").glob("00-namespace-*.yaml"):
        ns = yaml.safe_load(path.read_text())
        labels = ns["metadata"]["labels"]
        assert labels[podsecurity.ENFORCE_LABEL] == labels[podsecurity.AUDIT_LABEL] == labels[podsecurity.WARN_LABEL]
        found[ns["metadata"]["name"]] = labels[podsecurity.ENFORCE_LABEL]
    return found


def test_a_pod_below_restricted_is_an_error_with_the_line_to_add(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, "namespace: team-a\ncomponents:\n" + HOST_PATH_JOB, monkeypatch)
    assert code == 2, text
    assert ("profiles/p.yaml:3: components.train: instance 'train': TFJob team-a/train replica Chief meets only the "
            "Pod Security Standard 'privileged', below namespace team-a's 'restricted'") in text
    assert "found:    privileged: hostPath volume" in text
    assert "add `podSecurity: {team-a: privileged}` at the top level of profiles/p.yaml" in text
    assert not (out / "p").exists()


def test_the_lowered_namespace_only_is_lowered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, "namespace: team-a\npodSecurity: {team-a: privileged}\ncomponents:\n"
                          + HOST_PATH_JOB + NOTEBOOK_JOB, monkeypatch)
    assert code == 0, text
    assert levels(out) == {"team-a": "privileged", "team-b": "restricted"}


def test_a_namespace_is_labelled_with_the_declared_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a declared level holds for the pods created later (notebooks, users' TFJobs), whatever kfgen renders there
    code, text, out = run(tmp_path, "namespace: team-b\npodSecurity: {team-b: baseline}\ncomponents:\n"
                          + NOTEBOOK_JOB, monkeypatch)
    assert code == 0, text
    assert levels(out) == {"team-b": "baseline"}


def test_lowered_too_little_is_still_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, "namespace: team-a\npodSecurity: {team-a: baseline}\ncomponents:\n"
                        + HOST_PATH_JOB, monkeypatch)
    assert code == 2, text
    assert "below namespace team-a's 'baseline'" in text and "add `team-a: privileged` under podSecurity:" in text


def test_an_unknown_namespace_in_pod_security_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, "namespace: team-b\npodSecurity: {team-c: baseline}\ncomponents:\n"
                        + NOTEBOOK_JOB, monkeypatch)
    assert code == 2, text
    assert "profiles/p.yaml:2: podSecurity.team-c: podSecurity names namespace team-c, which no instance" in text
    assert "did you mean 'team-b'?" in text


def test_a_bad_level_is_refused_by_the_profile_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, "namespace: team-b\npodSecurity: {team-b: basline}\ncomponents:\n"
                        + NOTEBOOK_JOB, monkeypatch)
    assert code == 2 and "did you mean 'baseline'?" in text, text


def test_system_namespaces_are_left_to_the_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = "  plugin:\n    prototype: nvidia-device-plugin\n    namespace: kube-system\n"
    code, text, _ = run(tmp_path, "namespace: team-a\ncomponents:\n" + plugin, monkeypatch)
    assert code == 0, text
    code, text, _ = run(tmp_path, "namespace: team-a\ncomponents:\n" + plugin.replace("kube-system", "team-a"),
                        monkeypatch)
    assert code == 2 and "DaemonSet team-a/nvidia-device-plugin-daemonset meets only" in text, text


def test_an_inherited_entry_for_a_namespace_left_behind_is_no_error(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "base.yaml").write_text(
        "namespace: team-a\npodSecurity: {team-a: privileged}\ncomponents:\n" + HOST_PATH_JOB)
    # the child moves everything to team-b: the parent's team-a entry is not the child's mistake
    code, text, out = run(tmp_path, "extends: base\nnamespace: team-b\npodSecurity: {team-b: privileged}\n",
                          monkeypatch)
    assert code == 0, text
    assert levels(out) == {"team-b": "privileged"}
    # written in the child itself, the same entry is an error at its line
    code, text, _ = run(tmp_path, "extends: base\nnamespace: team-b\npodSecurity: {team-b: privileged, "
                                  "team-c: baseline}\n", monkeypatch)
    assert code == 2 and "profiles/p.yaml:3: podSecurity.team-c: podSecurity names namespace team-c" in text


def _manifests(*objects: dict) -> str:
    return ("  extra:\n    prototype: manifests\n    params:\n      objects:\n"
            + "".join(f"        - {json.dumps(o)}\n" for o in objects))


def _baseline_deployment(namespace: str) -> dict:
    """A Deployment in *namespace* whose pod meets baseline, not restricted (no runAsNonRoot), with everything else
    the render asks of a pod (image, requests and limits)."""
    container = {"name": "app", "image": "registry.example/app:1", "resources": {
        "requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": namespace},
            "spec": {"selector": {"matchLabels": {"app": "app"}}, "template": {
                "metadata": {"labels": {"app": "app"}}, "spec": {"containers": [container]}}}}


def _namespaces_rendered(out: Path) -> set[str]:
    return {o["metadata"]["name"] for path in (out / "p").glob("*.yaml")
            for o in yaml.safe_load_all(path.read_text()) if o and o["kind"] == "Namespace"}


def test_a_pod_in_a_namespace_no_instance_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifests object with its own metadata.namespace: its pod is held to that namespace's level, the line the
    error offers is accepted, and kfgen still renders no Namespace for it (someone else manages it)."""
    extra = _manifests(_baseline_deployment("other"))
    code, text, out = run(tmp_path, "namespace: team-a\ncomponents:\n" + extra, monkeypatch)
    assert code == 2, text
    assert "Deployment other/app meets only the Pod Security Standard 'baseline', below namespace other's" in text
    assert ("add `podSecurity: {other: baseline}` at the top level of profiles/p.yaml: kfgen renders no Namespace for "
            "other (no instance uses it) and leaves its labels alone, so the entry labels nothing: it states that "
            "you vouch the cluster lets pods of other run at 'baseline'") in text
    assert "every pod of other may then run" not in text
    code, text, out = run(tmp_path, "namespace: team-a\npodSecurity: {other: baseline}\ncomponents:\n" + extra,
                          monkeypatch)
    assert code == 0, text
    assert _namespaces_rendered(out) == {"team-a"} and levels(out) == {"team-a": "restricted"}
    # the instance's own namespace is still checked, labelled and offered the usual line
    code, text, _ = run(tmp_path, "namespace: team-a\npodSecurity: {other: baseline}\ncomponents:\n"
                        + _manifests(_baseline_deployment("other"), _baseline_deployment("team-a")), monkeypatch)
    assert code == 2, text
    assert "add `team-a: baseline` under podSecurity: in profiles/p.yaml (every pod of team-a may then run at" in text


def test_pod_security_may_not_name_a_namespace_without_pods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "other"},
              "data": {"k": "v"}}
    code, text, _ = run(tmp_path, "namespace: team-a\npodSecurity: {other: baseline}\ncomponents:\n"
                        + _manifests(config), monkeypatch)
    assert code == 2, text
    assert "podSecurity.other: podSecurity names namespace other, which no instance of the profile uses" in text


def test_a_namespace_an_instance_renders_itself_is_not_labelled_by_pod_security(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    extra = _manifests(namespace, _baseline_deployment("team-a"))
    code, text, _ = run(tmp_path, "namespace: team-a\ncomponents:\n" + extra, monkeypatch)
    assert code == 2, text
    assert ("add `podSecurity: {team-a: baseline}` at the top level of profiles/p.yaml: instance 'extra' renders "
            "Namespace team-a with the labels it gives it, so the entry labels nothing") in text
    code, text, out = run(tmp_path, "namespace: team-a\npodSecurity: {team-a: baseline}\ncomponents:\n" + extra,
                          monkeypatch)
    assert code == 0, text
    (ns,) = [o for path in (out / "p").glob("*.yaml") for o in yaml.safe_load_all(path.read_text())
             if o and o["kind"] == "Namespace"]
    assert podsecurity.ENFORCE_LABEL not in ns["metadata"]["labels"]  # the instance's Namespace, as it wrote it


def test_the_hint_names_the_rendered_profiles_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that moves the parent's pods to another namespace is told to add the entry to its own file (the
    error still points at the instance's line, in the parent)."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "base.yaml").write_text(
        "namespace: team-a\npodSecurity: {team-a: privileged}\ncomponents:\n" + HOST_PATH_JOB)
    code, text, _ = run(tmp_path, "extends: base\nnamespace: team-b\n", monkeypatch)
    assert code == 2
    assert "error: profiles/base.yaml:4: components.train" in text  # where the pod comes from
    assert "add `team-b: privileged` under podSecurity: in profiles/p.yaml" in text  # where the fix goes
