"""Bad profiles: every mistake gets file, line, field path, expected vs found, and did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfgen.errors import KfgenError
from kfgen.loader import load_profile
from kfgen.profile import validate_profile

GOOD = """\
namespace: kubeflow
kubernetesVersion: "1.37"
cluster:
  nodes:
    - name: n1
      gpus: 1
components:
  kubeflow-core:
    prototype: core
    params:
      jupyterHubServiceType: LoadBalancer
      reportUsage: false
"""


def problems_for(tmp_path: Path, text: str) -> list:
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(KfgenError) as info:
        validate_profile(load_profile(tmp_path, "p"))
    return info.value.problems


def test_good_profile_validates(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD)
    profile = validate_profile(load_profile(tmp_path, "p"))
    comp = profile.components["kubeflow-core"]
    assert comp.prototype == "core"
    assert comp.params.jupyterHubServiceType == "LoadBalancer"
    assert comp.params.reportUsage is False
    assert profile.nodes[0].gpus == 1


# (replace this, with that) -> line, path, message fragment, expected fragment, found fragment, hint
CASES = [
    pytest.param("reportUsage: false", "reportUsage: 'true'", 12,
                 ("components", "kubeflow-core", "params", "reportUsage"), "invalid value",
                 "valid boolean", "string 'true'", None, id="bool-as-string"),
    pytest.param("jupyterHubServiceType: LoadBalancer", "jupyterHubServiceType: LoadBalancr", 11,
                 ("components", "kubeflow-core", "params", "jupyterHubServiceType"), "value not allowed",
                 "'ClusterIP', 'NodePort' or 'LoadBalancer'", "string 'LoadBalancr'",
                 "did you mean 'LoadBalancer'?", id="enum-typo"),
    pytest.param("reportUsage: false", "reportUsge: false", 12,
                 ("components", "kubeflow-core", "params", "reportUsge"), "unknown field 'reportUsge'",
                 "reportUsage", None, "did you mean 'reportUsage'?", id="unknown-param"),
    pytest.param("prototype: core", "prototype: cor", 9,
                 ("components", "kubeflow-core", "prototype"), "unknown prototype 'cor'",
                 "core", "'cor'", "did you mean 'core'?", id="unknown-prototype"),
    pytest.param("namespace: kubeflow", "namespce: kubeflow", 1,
                 ("namespce",), "unknown field 'namespce'", "namespace", None,
                 "did you mean 'namespace'?", id="unknown-top-level"),
    pytest.param("      gpus: 1", "      gpus: one", 6,
                 ("cluster", "nodes", 0, "gpus"), "invalid value", "valid integer", "string 'one'",
                 None, id="node-gpus-type"),
    pytest.param("      gpus: 1", "      gpu: 1", 6,
                 ("cluster", "nodes", 0, "gpu"), "unknown field 'gpu'", "gpus", None,
                 "did you mean 'gpus'?", id="node-field-typo"),
    pytest.param('kubernetesVersion: "1.37"', "kubernetesVersion: 1.37", 2,
                 ("kubernetesVersion",), "invalid value", "valid string", "number 1.37", "quote it: '1.37'",
                 id="version-unquoted"),
    pytest.param("namespace: kubeflow", "namespace: Kube_Flow", 1,
                 ("namespace",), "wrong format", "matching", "string 'Kube_Flow'", None, id="bad-namespace"),
]


@pytest.mark.parametrize("old, new, line, path, message, expected, found, hint", CASES)
def test_bad_value_is_reported_precisely(tmp_path: Path, old: str, new: str, line: int, path: tuple,
                                         message: str, expected: str | None, found: str | None,
                                         hint: str | None) -> None:
    assert old in GOOD
    problems = problems_for(tmp_path, GOOD.replace(old, new))
    assert len(problems) == 1, [p.format() for p in problems]
    p = problems[0]
    assert p.file.endswith("p.yaml")
    assert p.line == line
    assert p.path == path
    assert message in p.message
    if expected:
        assert expected in (p.expected or "")
    if found:
        assert found in (p.found or "")
    assert p.hint == hint
    text = p.format()
    assert f"p.yaml:{line}" in text and "Traceback" not in text


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = GOOD.replace("reportUsage: false", "reportUsage: 'yes'\n      bogus: 1").replace(
        "namespace: kubeflow", "namespace: Bad")
    problems = problems_for(tmp_path, text)
    paths = sorted(str(p.path) for p in problems)
    assert len(problems) == 3, paths
    assert {p.line for p in problems} == {1, 12, 13}


def test_component_without_prototype(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, GOOD.replace("    prototype: core\n", ""))
    assert problems[0].path == ("components", "kubeflow-core")
    assert "no 'prototype'" in problems[0].message


def test_duplicate_node_names(tmp_path: Path) -> None:
    text = GOOD.replace("      gpus: 1\n", "      gpus: 1\n    - name: n1\n")
    problems = problems_for(tmp_path, text)
    assert "repeated: n1" in problems[0].message
    assert problems[0].path == ("cluster", "nodes")


def test_error_in_a_parent_profile_points_at_the_parent(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(GOOD.replace("reportUsage: false", "reportUsage: 1"))
    (tmp_path / "p.yaml").write_text("extends: base\nnamespace: other\n")
    with pytest.raises(KfgenError) as info:
        validate_profile(load_profile(tmp_path, "p"))
    p = info.value.problems[0]
    assert p.file.endswith("base.yaml") and p.line == 12
