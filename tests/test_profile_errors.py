"""Bad profiles: every mistake gets file, line, field path, expected vs found, and did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfgen.errors import KfgenError
from kfgen.kube.schemas import shipped_versions
from kfgen.profile import load_profile, validate_profile

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
  job:
    prototype: tf-job
    params:
      image: docker.io/tensorflow/tensorflow:2.18.0
      num_workers: 1
      resources:
        Worker:
          requests: {cpu: 500m}
          limits: {cpu: "1", memory: 2Gi}
"""
JOB = ("components", "job", "params")
CPU = JOB + ("resources", "Worker", "requests", "cpu")
LIMITS = JOB + ("resources", "Worker", "limits")
CORE = ("components", "kubeflow-core", "params")


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



@pytest.mark.parametrize("server", ["https://192.0.2.10:6443", "http://127.0.0.1:8080", "https://k8s.example/api"])
def test_cluster_context_and_server_pin_the_deploy_target(tmp_path: Path, server: str) -> None:
    pinned = GOOD.replace("cluster:\n", f"cluster:\n  context: kind-kfgen\n  server: {server}\n")
    (tmp_path / "p.yaml").write_text(pinned)
    profile = validate_profile(load_profile(tmp_path, "p"))
    assert (profile.model.cluster.context, profile.model.cluster.server) == ("kind-kfgen", server)
    assert profile.cluster.context == "kind-kfgen" and profile.nodes[0].name == "n1"
    (tmp_path / "p.yaml").write_text(GOOD)
    unpinned = validate_profile(load_profile(tmp_path, "p"))
    assert (unpinned.cluster.context, unpinned.cluster.server) == (None, None)

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
                 ("kubernetesVersion",), "invalid value", "a Kubernetes minor version, as a string such as '1.37'",
                 "number 1.37", "quote it (YAML read the number 1.37; write it as a string, e.g. '1.37')",
                 id="version-unquoted"),
    pytest.param("namespace: kubeflow", "namespace: Kube_Flow", 1,
                 ("namespace",), "wrong format", "a DNS label: lower-case letters, digits and '-'",
                 "string 'Kube_Flow'", "try 'kube-flow'", id="bad-namespace"),
    pytest.param("cluster:\n", "cluster:\n  context: kind kfgen\n", 4, ("cluster", "context"), "wrong format",
                 "a kubectl context name: not empty, no spaces", "string 'kind kfgen'", None, id="context-space"),
    pytest.param("cluster:\n", "cluster:\n  context: ''\n", 4, ("cluster", "context"), "wrong format",
                 "a kubectl context name", "string ''", None, id="context-empty"),
    pytest.param("cluster:\n", "cluster:\n  server: 127.0.0.1:6443\n", 4, ("cluster", "server"), "wrong format",
                 "an API server URL: http:// or https://", "string '127.0.0.1:6443'", None, id="server-no-scheme"),
    pytest.param("cluster:\n", "cluster:\n  contxt: kind\n", 4, ("cluster", "contxt"), "unknown field 'contxt'",
                 "context, nodes, server", None, "did you mean 'context'?", id="context-typo"),

    # 1. a union's members (Quantity = int | quantity string; args = str | list[str]) give ONE problem,
    #    at the user's path, without pydantic's member names (constrained-int, list[str] ...)
    pytest.param("requests: {cpu: 500m}", "requests: {cpu: 0.5}", 20, CPU, "invalid value",
                 "integer or a quantity string such as '500m'", "number 0.5",
                 "quote it (YAML read the number 0.5; write it as a string, e.g. '0.5')", id="union-float-quantity"),
    pytest.param("requests: {cpu: 500m}", "requests: {cpu: yes}", 20, CPU, "invalid value",
                 "integer or a quantity string such as '500m'", "boolean true", None, id="union-boolean-quantity"),
    pytest.param("requests: {cpu: 500m}", "requests: {cpu: -1}", 20, CPU, "invalid value",
                 "greater than or equal to 0", "integer -1", None, id="union-member-that-took-the-type"),
    pytest.param("      num_workers: 1\n", "      num_workers: 1\n      args: 5\n", 18, JOB + ("args",),
                 "invalid value",
                 "string or list of strings", "integer 5",
                 "quote it (YAML read the number 5; write it as a string, e.g. '5')", id="union-args-number"),
    pytest.param("      num_workers: 1\n", "      num_workers: 1\n      args: [--a, 1]\n", 18, JOB + ("args", 1),
                 "invalid value", "valid string", "integer 1",
                 "quote it (YAML read the number 1; write it as a string, e.g. '1')", id="union-list-item"),

    # 2. patterns are described, not shown as regexes
    pytest.param("tensorflow:2.18.0", "TensorFlow:2.18.0", 16, JOB + ("image",), "wrong format",
                 "an image reference such as registry.example/name:tag",
                 "string 'docker.io/tensorflow/TensorFlow:2.18.0'",
                 None, id="regex-image"),
    pytest.param("requests: {cpu: 500m}", "requests: {cpu: 2 cores}", 20, CPU, "wrong format",
                 "a Kubernetes quantity such as 500m, 2 or 20Gi", "string '2 cores'", None, id="regex-quantity"),
    pytest.param("      gpus: 1", "      gpus: 1\n      cpu: 0.5", 7, ("cluster", "nodes", 0, "cpu"), "invalid value",
                 "integer or a quantity string such as '500m'", "number 0.5",
                 "quote it (YAML read the number 0.5; write it as a string, e.g. '0.5')", id="node-cpu-number"),
    pytest.param('limits: {cpu: "1", memory: 2Gi}', 'limits: {cpu: "1", memry: 2Gi}', 21, LIMITS + ("memry",),
                 "invalid name 'memry'", "a resource name: cpu, memory, ephemeral-storage", "string 'memry'",
                 "did you mean 'memory'?", id="resource-name-typo"),
    pytest.param('limits: {cpu: "1", memory: 2Gi}', 'limits: {cpu: "1", gpu: 1}', 21, LIMITS + ("gpu",),
                 "invalid name 'gpu'", "a resource name", "string 'gpu'", "did you mean 'nvidia.com/gpu'?",
                 id="resource-name-gpu"),
    pytest.param("      num_workers: 1\n", "      num_workers: 1\n      env: {1ST: x}\n", 18, JOB + ("env", "1ST"),
                 "invalid name '1ST'", "an environment variable name", "string '1ST'", None, id="env-name"),

    # 3. invalid keys: the key's path, no '[key]'
    pytest.param("  job:\n", "  Kubeflow_Job:\n", 13, ("components", "Kubeflow_Job"), "invalid name 'Kubeflow_Job'",
                 "a DNS label: lower-case letters, digits and '-'", "string 'Kubeflow_Job'", "try 'kubeflow-job'",
                 id="instance-name"),
    pytest.param("  job:\n", "  " + "j" * 64 + ":\n", 13, ("components", "j" * 64), "invalid name",
                 "at most 63 characters", "(64 characters)", None, id="instance-name-too-long"),

    # 4. hints
    pytest.param('kubernetesVersion: "1.37"', "kubernetesVersion: 1.30", 2, ("kubernetesVersion",), "invalid value",
                 "a Kubernetes minor version", "number 1.3",
                 "quote it (YAML read the number 1.3; write it as a string, e.g. '1.30')", id="version-trailing-zero"),
    pytest.param("      reportUsage: false\n", "      reportUsage: false\n      namespace: lab\n", 13,
                 CORE + ("namespace",), "unknown field 'namespace'", "reportUsage", None,
                 "'namespace' goes beside 'prototype', not under 'params'", id="namespace-under-params"),
    pytest.param("    prototype: tf-job\n", "    prototype: tf-job\n    num_ps: 1\n", 15,
                 ("components", "job", "num_ps"), "unknown field 'num_ps'", "params", None,
                 "'num_ps' is a parameter of 'tf-job': put it under 'params'", id="param-beside-prototype"),
    pytest.param("prototype: core", "prototype: null", 9, ("components", "kubeflow-core", "prototype"),
                 "component has no prototype", "core, manifests, nvidia-device-plugin, tf-cnn", "null", None,
                 id="prototype-null"),
    pytest.param("      reportUsage: false\n", "      reportUsage: false\n      usageId: 2018-01-01\n", 13,
                 CORE + ("usageId",), "invalid value", None, "date 2018-01-01",
                 "quote it (YAML read the date 2018-01-01; write it as a string, e.g. '2018-01-01')", id="date"),
    pytest.param("      num_workers: 1\n", "      num_workers: 1\n      nodeSelector: {gpu: yes}\n", 18,
                 JOB + ("nodeSelector", "gpu"), "invalid value", "valid string", "boolean true",
                 "quote it (YAML reads unquoted yes, no, on, off, true and false as booleans; write e.g. 'yes')",
                 id="boolean-for-string"),

    # 5. what the API server would refuse
    pytest.param("num_workers: 1", "num_workers: 2147483648", 17, JOB + ("num_workers",), "invalid value",
                 "less than or equal to 2147483647", "integer 2147483648", None, id="int32-replicas"),
    pytest.param("      gpus: 1", "      gpus: 2147483648", 6, ("cluster", "nodes", 0, "gpus"), "invalid value",
                 "less than or equal to 2147483647", None, None, id="int32-node-gpus"),
    pytest.param("namespace: kubeflow", "namespace: " + "n" * 64, 1, ("namespace",), "value is too long",
                 "at most 63 characters", "(64 characters)", None, id="namespace-too-long"),
    pytest.param('kubernetesVersion: "1.37"', 'kubernetesVersion: "1.24"', 2, ("kubernetesVersion",),
                 "kfgen has no Kubernetes schemas for version 1.24", "one of: " + ", ".join(shipped_versions()),
                 "string '1.24'", f"the newest supported version is '{shipped_versions()[-1]}'",
                 id="unsupported-version"),

    # 6. quantities the parser refuses are field errors, not tracebacks
    pytest.param("requests: {cpu: 500m}", 'requests: {cpu: "1e9999999"}', 20, CPU,
                 "'1e9999999' is too large for a Kubernetes quantity", None, None, None, id="quantity-overflow"),
    pytest.param("requests: {cpu: 500m}", 'requests: {cpu: "1e1.5"}', 20, CPU,
                 "the exponent must be a whole number", None, None, None, id="quantity-fractional-exponent"),
    pytest.param("      reportUsage: false\n", "      reportUsage: false\n      nfsServer: 192.0.2.10\n"
                 "      jupyterNotebookPVCMount: /home/jovyan/work\n      nfsCapacity: '9e99999999'\n", 15,
                 CORE + ("nfsCapacity",), "'9e99999999' is too large for a Kubernetes quantity", None, None, None,
                 id="nfs-capacity-overflow"),
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
    # pydantic's internals, and regexes
    for leak in ("constrained-", "[key]", "list[str]", "function-", "datetime.", "^[", "^(", "]*"):
        assert leak not in text, text


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


def test_problems_are_sorted_by_file_line_and_path(tmp_path: Path) -> None:
    # pydantic reports in model order (namespace before components); people read files top down
    text = GOOD.replace("namespace: kubeflow\n", "").replace("reportUsage: false", "reportUsage: 1")
    text += "namespace: Bad\n"
    text = text.replace("num_workers: 1", "num_workers: -1")
    text = text.replace("kubernetesVersion: \"1.37\"", "kubernetesVersion: 1.37")
    problems = problems_for(tmp_path, text)
    lines = [p.line for p in problems]
    assert lines == sorted(lines) and len(problems) == 4, [p.format() for p in problems]
    assert problems[-1].path == ("namespace",)


def test_problems_at_one_line_are_sorted_by_path(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, GOOD.replace('limits: {cpu: "1", memory: 2Gi}', "limits: {memory: x, cpu: y}"))
    assert [p.path[-1] for p in problems] == ["cpu", "memory"]


def test_every_invalid_param_of_a_union_member_is_one_problem(tmp_path: Path) -> None:
    text = GOOD.replace("requests: {cpu: 500m}", "requests: {cpu: 0.5, memory: 1.5}")
    problems = problems_for(tmp_path, text)
    assert [p.path[-1] for p in problems] == ["cpu", "memory"]
    assert all(p.expected == "integer or a quantity string such as '500m'" for p in problems)


@pytest.mark.parametrize("param, reason", [
    ("tfDefaultImage: tensorflow/tensorflow:1.7.0", "training-operator v1 has no default image"),
    ("disks: disk1,disk2", "NFS provisioner whose image is gone"),
])
def test_retired_ksonnet_params_explain_themselves(tmp_path: Path, param: str, reason: str) -> None:
    problems = problems_for(tmp_path, GOOD.replace("reportUsage: false", "reportUsage: false\n      " + param))
    assert len(problems) == 1
    p = problems[0]
    name = param.split(":")[0]
    assert p.message.startswith(f"'{name}' is a ksonnet parameter that kfgen retired:") and reason in p.message
    assert p.line == 13 and p.path == ("components", "kubeflow-core", "params", name)
    assert p.hint == "remove it"
