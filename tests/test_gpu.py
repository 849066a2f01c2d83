"""GPU awareness: pods bigger than any node and TFJob gangs bigger than the cluster are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfgen.actions import Workspace
from kfgen.errors import KfgenError
from kfgen.render.pipeline import render_profile

LAB_NODES = """\
cluster:
  nodes:
    - {name: master1}
    - {name: gpu-node1, gpus: 1}
    - {name: gpu-node2, gpus: 1}
"""
NO_GPU_NODES = "cluster:\n  nodes:\n    - {name: laptop}\n"


def job(name: str, workers: int, gpus: int, ps: int = 1) -> str:
    return (f"  {name}:\n    prototype: tf-job\n    params:\n      image: img:1\n"
            f"      num_ps: {ps}\n      num_workers: {workers}\n      num_gpus: {gpus}\n")


def serving(name: str, gpus: int) -> str:
    return f"  {name}:\n    prototype: tf-serving\n    params:\n      modelPath: /m\n      numGpus: {gpus}\n"


def render(tmp_path: Path, text: str):
    (tmp_path / "p.yaml").write_text(text)
    ws = Workspace(tmp_path, tmp_path / "out")
    return render_profile(ws.load("p"))


@pytest.mark.parametrize(
    "nodes, components, budget",
    [
        (LAB_NODES, job("j", 2, 1), "GPU budget: 2 requested / 2 available (gpu-node1: 1, gpu-node2: 1)"),
        (LAB_NODES, job("j", 1, 1) + serving("s", 1), "GPU budget: 2 requested / 2 available"),
        (LAB_NODES, job("j", 2, 0), "GPU budget: 0 requested / 2 available"),
        (NO_GPU_NODES, job("j", 1, 0), "GPU budget: 0 requested / 0 available"),
        ("", job("j", 1, 1), "GPU budget: 1 requested / unknown available (profile declares no nodes)"),
    ],
)
def test_budget_line(tmp_path: Path, nodes: str, components: str, budget: str) -> None:
    result = render(tmp_path, nodes + "components:\n" + components)
    assert len(result.summary) == 1 and result.summary[0].startswith(budget), result.summary
    assert result.warnings == []


def test_pod_larger_than_any_node_is_refused_naming_instance_and_replica(tmp_path: Path) -> None:
    with pytest.raises(KfgenError) as info:
        render(tmp_path, LAB_NODES + "components:\n" + job("big", 1, 2))
    messages = [p.format() for p in info.value.problems]
    wanted = "instance 'big': TFJob kubeflow/big replica Worker asks for 2 GPUs per pod"
    assert any(wanted in m for m in messages), messages
    p = next(p for p in info.value.problems if "per pod" in p.message)
    assert p.expected == "at most 1 (node gpu-node1)"
    assert p.path == ("components", "big")
    assert p.file.endswith("p.yaml") and p.line == 7


def test_serving_pod_larger_than_any_node_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KfgenError, match="instance 's': Deployment kubeflow/s asks for 2 GPUs per pod"):
        render(tmp_path, LAB_NODES + "components:\n" + serving("s", 2))


def test_gang_larger_than_the_cluster_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KfgenError) as info:
        render(tmp_path, LAB_NODES + "components:\n" + job("gang", 3, 1))
    assert len(info.value.problems) == 1
    p = info.value.problems[0]
    assert "instance 'gang': TFJob kubeflow/gang needs 3 GPUs at once, the cluster has 2" in p.message
    assert p.found == "3 GPUs"


def test_over_subscription_across_workloads_is_a_warning(tmp_path: Path) -> None:
    result = render(tmp_path, LAB_NODES + "components:\n" + job("j", 2, 1) + serving("s", 1))
    assert result.summary == ["GPU budget: 3 requested / 2 available (gpu-node1: 1, gpu-node2: 1)"]
    assert result.warnings == ["3 GPUs requested in all, 2 available: these workloads cannot all run at the same time"]


def test_gpu_request_without_gpu_nodes_warns(tmp_path: Path) -> None:
    result = render(tmp_path, NO_GPU_NODES + "components:\n" + job("j", 1, 1))
    assert any("1 GPU(s) requested, but no node in the profile has a GPU" in w for w in result.warnings)


def test_committed_gpu_lab_fits_its_nodes() -> None:
    from conftest import ROOT

    ws = Workspace(ROOT / "profiles", ROOT / "out")
    result = render_profile(ws.load("gpu-lab"))
    assert result.summary[0].startswith("GPU budget: 3 requested / 2 available")


# --- CPU, memory and nodeSelector against the declared nodes ----------------------------------

SMALL_NODES = """\
cluster:
  nodes:
    - {name: small, cpu: "2", memory: 4Gi, labels: {pool: cpu}}
    - {name: big, cpu: "8", memory: 32Gi, gpus: 1, labels: {pool: gpu}}
"""


def sized_job(name: str, cpu: str, memory: str, selector: str = "") -> str:
    return (f"  {name}:\n    prototype: tf-job\n    params:\n      image: img:1\n      num_workers: 1\n"
            f"      resources:\n        Worker:\n          requests: {{cpu: '{cpu}', memory: {memory}}}\n"
            + (f"      nodeSelector: {{{selector}}}\n" if selector else ""))


@pytest.mark.parametrize("cpu, memory, selector, fits", [
    ("8", "32Gi", "", True),                 # exactly the big node
    ("8500m", "1Gi", "", False),             # more CPU than any node
    ("1", "33Gi", "", False),                # more memory than any node
    ("4", "8Gi", "pool: gpu", True),
    ("4", "8Gi", "pool: cpu", False),        # fits the cluster, not the nodes it may run on
    ("1", "1Gi", "kubernetes.io/hostname: small", True),
])
def test_pods_must_fit_a_node_they_may_run_on(tmp_path: Path, cpu: str, memory: str, selector: str, fits: bool) -> None:
    text = SMALL_NODES + "components:\n" + sized_job("j", cpu, memory, selector)
    if fits:
        render(tmp_path, text)
        return
    with pytest.raises(KfgenError) as info:
        render(tmp_path, text)
    p = info.value.problems[0]
    assert "instance 'j': TFJob kubeflow/j replica Worker requests cpu" in p.message
    assert "no node it may run on has that much" in p.message
    assert p.expected.startswith("at most cpu") and p.path == ("components", "j")


def test_node_selector_matching_no_node_warns(tmp_path: Path) -> None:
    result = render(tmp_path, SMALL_NODES + "components:\n" + sized_job("j", "1", "1Gi", "pool: tpu"))
    assert result.warnings == [f"TFJob kubeflow/j replica {r}: nodeSelector pool=tpu matches none of the "
                               "profile's nodes (declare the label under cluster.nodes[].labels)"
                               for r in ("Chief", "Worker")]


def test_node_quantities_are_int_or_string_as_in_kubernetes(tmp_path: Path) -> None:
    # cpu: 4 (a YAML number) is what `kubectl get node -o yaml` shows for allocatable cpu; it means "4"
    numbers = SMALL_NODES.replace('cpu: "2"', "cpu: 2").replace('cpu: "8"', "cpu: 8")
    render(tmp_path, numbers + "components:\n" + sized_job("j", "8", "32Gi"))
    with pytest.raises(KfgenError) as info:
        render(tmp_path, numbers + "components:\n" + sized_job("j", "8500m", "1Gi"))
    assert info.value.problems[0].expected == "at most cpu 8, memory 32Gi (node big)"
    bytes_ = SMALL_NODES.replace("memory: 32Gi", f"memory: {32 * 2 ** 30}")
    render(tmp_path, bytes_ + "components:\n" + sized_job("j", "1", "32Gi"))


@pytest.mark.parametrize("value, found, hint", [
    ("0.5", "number 0.5", "quote it"),                     # a fraction must be a string, as in tf-job's resources
    ('"20GB"', "string '20GB'", None),                     # refused by the pattern: expected and found
    ('"9e99999999"', "string '9e99999999'", None),        # refused by the parser: expected and found too
])
def test_node_quantity_errors_carry_expected_and_found(tmp_path: Path, value: str, found: str,
                                                       hint: str | None) -> None:
    with pytest.raises(KfgenError) as info:
        render(tmp_path, f"cluster:\n  nodes:\n    - {{name: n, memory: {value}}}\ncomponents: {{}}\n")
    (p,) = info.value.problems
    assert p.path == ("cluster", "nodes", 0, "memory") and p.expected and p.found == found, p.format()
    assert hint is None or hint in (p.hint or "")


def test_quantity_slips_get_the_quantity_meant() -> None:
    from kfgen.prototypes.params.patterns import QUANTITY_EXPECTED, quantity_error

    for value, hint in (("20GB", "did you mean '20Gi' (binary) or '20G' (decimal)?"),
                        ("20gi", "did you mean '20Gi' (binary) or '20G' (decimal)?"),
                        ("1K", "did you mean '1Ki' (binary) or '1k' (decimal)?"),
                        ("3 G", "did you mean '3G'?"), ("abc", None)):
        error = quantity_error(value, ValueError("no"))
        assert (error.hint, error.expected) == (hint, QUANTITY_EXPECTED), value


# --- CronJob pods count like any other (one pod per run) ----------------------------------------


def cronjob(name: str, gpus: int, cpu: str = "1", memory: str = "1Gi") -> str:
    """A manifests instance with one CronJob whose pod asks for *gpus* GPUs, *cpu* and *memory* (restricted, with
    requests and limits: it meets every other check)."""
    limits = {"cpu": cpu, "memory": memory, **({"nvidia.com/gpu": gpus} if gpus else {})}
    container = {"name": "train", "image": "registry.example/train:1", "resources": {"requests": {
        "cpu": cpu, "memory": memory}, "limits": limits}, "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"}}}
    obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name}, "spec": {
        "schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [container]}}}}}}
    return f"  {name}:\n    prototype: manifests\n    params:\n      objects: [{json.dumps(obj)}]\n"


def test_cronjob_gpus_count_in_the_budget(tmp_path: Path) -> None:
    result = render(tmp_path, LAB_NODES + "components:\n" + cronjob("nightly", 1) + job("j", 2, 1))
    assert result.summary == ["GPU budget: 3 requested / 2 available (gpu-node1: 1, gpu-node2: 1)"]
    assert result.warnings == ["3 GPUs requested in all, 2 available: these workloads cannot all run at the same time"]


def test_cronjob_pod_larger_than_any_node_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KfgenError) as info:
        render(tmp_path, LAB_NODES + "components:\n" + cronjob("nightly", 2))
    (p,) = info.value.problems
    assert p.message == "instance 'nightly': CronJob kubeflow/nightly asks for 2 GPUs per pod, more than any node has"
    assert p.expected == "at most 1 (node gpu-node1)" and p.path == ("components", "nightly")


def test_cronjob_pod_must_fit_a_node(tmp_path: Path) -> None:
    render(tmp_path, SMALL_NODES + "components:\n" + cronjob("nightly", 1, cpu="8", memory="32Gi"))
    with pytest.raises(KfgenError) as info:
        render(tmp_path, SMALL_NODES + "components:\n" + cronjob("nightly", 0, cpu="9"))
    (p,) = info.value.problems
    assert p.message == ("instance 'nightly': CronJob kubeflow/nightly requests cpu 9, memory 1Gi per pod; "
                         "no node it may run on has that much")
    assert p.expected == "at most cpu 8, memory 32Gi (node big)"
