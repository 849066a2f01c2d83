"""generate never lowers a podSecurity level the profile writes: it refuses, naming the entry's file:line, the pod
that needs less and what to do; only a missing entry is added (also into a flow mapping, and for --namespace)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import invoke, snapshot

SERVING = "  s: {prototype: tf-serving, params: {modelPath: gs://b/m}}\n"
WHY = "kf (core): Deployment g1/ambassador meets only 'baseline'"


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "profiles").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "profiles"


@pytest.mark.parametrize("entry", ["podSecurity: {g1: restricted}   # we want strict\n",
                                   "podSecurity:\n  g1: restricted   # we want strict\n"])
def test_generate_refuses_to_lower_a_level_the_profile_writes(profiles: Path, entry: str) -> None:
    (profiles / "g.yaml").write_text("namespace: g1\n" + entry + "components:\n" + SERVING)
    before = snapshot(profiles)
    res = invoke("generate", "core", "kf", "-p", "g", "--param", "reportUsage=false")
    assert res.exit_code == 2, res.output
    line = 2 if entry.startswith("podSecurity: {") else 3
    assert f"error: profiles/g.yaml:{line}: podSecurity.g1: podSecurity `g1: restricted` is stricter" in res.output
    assert "kfgen never lowers a level the profile writes" in res.output
    assert f"expected: `g1: baseline` (or lower): {WHY}" in res.output and "found:    `g1: restricted`" in res.output
    hint = " ".join(res.output.split("hint:")[1].split())
    assert hint.startswith(f"if you accept 'baseline' pods in g1, change the entry to `g1: baseline` yourself "
                           f"(profiles/g.yaml:{line}); or give the instance another namespace: kfgen generate core "
                           "kf -p g --param reportUsage=false --namespace OTHER")
    assert "added `" not in res.output and "profiles/g.yaml is unchanged" in res.output
    assert snapshot(profiles) == before


def test_a_level_written_in_the_extended_profile_is_not_lowered_either(profiles: Path) -> None:
    (profiles / "_base.yaml").write_text("# shared\npodSecurity:\n  g1: restricted\n")
    (profiles / "g.yaml").write_text("extends: _base\nnamespace: g1\ncomponents:\n" + SERVING)
    before = snapshot(profiles)
    res = invoke("generate", "core", "kf", "-p", "g")
    assert res.exit_code == 2, res.output
    assert "error: profiles/_base.yaml:3: podSecurity.g1:" in res.output
    text = " ".join(res.output.split())
    assert ("(profiles/_base.yaml:3; that file is extended by others too: to change it for 'g' only, write "
            "`g1: baseline` under podSecurity in g's own file)") in text
    assert snapshot(profiles) == before


def test_an_entry_the_child_removes_is_missing_and_added(profiles: Path) -> None:
    (profiles / "_base.yaml").write_text("podSecurity:\n  g1: restricted\n")
    (profiles / "g.yaml").write_text("extends: _base\nnamespace: g1\npodSecurity: {g1: null}\ncomponents:\n"
                                     + SERVING)
    res = invoke("generate", "core", "kf", "-p", "g", "--param", "reportUsage=false")
    assert res.exit_code == 0, res.output
    assert "added `g1: baseline` under podSecurity" in res.output
    data = yaml.safe_load((profiles / "g.yaml").read_text())
    assert data["podSecurity"] == {"g1": "baseline"}
    assert invoke("render", "-p", "g", "--stdout").exit_code == 0


def test_another_namespace_gets_its_entry_in_a_flow_mapping(profiles: Path) -> None:
    g = profiles / "g.yaml"
    g.write_text("namespace: g1\npodSecurity: {g1: restricted}   # we want strict\ncomponents:\n" + SERVING)
    res = invoke("generate", "core", "kf", "-p", "g", "--namespace", "g2", "--param", "reportUsage=false")
    assert res.exit_code == 0, res.output
    assert "added `g2: baseline` under podSecurity" in res.output
    text = g.read_text()
    assert text.splitlines()[1] == "podSecurity: {g1: restricted, g2: baseline} # we want strict"
    data = yaml.safe_load(text)
    assert data["components"]["kf"] == {"prototype": "core", "namespace": "g2", "params": {"reportUsage": False}}
    assert invoke("render", "-p", "g", "--stdout").exit_code == 0


@pytest.mark.parametrize("namespace", ["Bad_NS", "", "kube-system"])
def test_generate_with_a_bad_namespace_writes_nothing(profiles: Path, namespace: str) -> None:
    (profiles / "g.yaml").write_text("namespace: g1\ncomponents:\n" + SERVING)
    before = snapshot(profiles)
    res = invoke("generate", "tf-serving", "t", "-p", "g", "--namespace", namespace, "--param", "modelPath=gs://b/m")
    if namespace == "kube-system":  # a valid name: kfgen neither labels nor checks a system namespace
        assert res.exit_code == 0, res.output
        assert "podSecurity" not in (profiles / "g.yaml").read_text()
        return
    assert res.exit_code == 2, res.output
    assert "components.t.namespace" in res.output and "profiles/g.yaml is unchanged" in res.output
    assert snapshot(profiles) == before
