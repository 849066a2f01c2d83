"""Render warnings of the prototypes for settings that cannot do what they seem to: tolerations that leave GPU pods
Pending on tainted GPU nodes, and opt-ins (``allow…: true``) that allow nothing in this render (left in, they
would silently allow what a later change adds)."""

from __future__ import annotations

from typing import Any

import pytest

from kfgen.kube.constants import GPU_RESOURCE
from kfgen.prototypes.base import Prototype, RenderContext
from kfgen.prototypes.tf_cnn import PROTOTYPE as TF_CNN
from kfgen.prototypes.tf_job import PROTOTYPE as TF_JOB
from kfgen.prototypes.tf_serving import PROTOTYPE as TF_SERVING

CTX = RenderContext(profile="t", instance="x", namespace="kubeflow", kubernetes_version="1.37")
SERVING = {"modelPath": "gs://bucket/model"}
JOB = {"image": "registry.example/train:1", "num_workers": 2}
OTHER = [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]
NEEDED = f"{{key: {GPU_RESOURCE}, operator: Exists, effect: NoSchedule}}"


def warnings(proto: Prototype, **params: Any) -> list[str]:
    return proto.render_instance(CTX, proto.params(**params)).warnings


def tolerations(proto: Prototype, pod: str, **params: Any) -> list[dict[str, Any]] | None:
    """The tolerations of the pod template at *pod* (Deployment, or a TFJob replica type)."""
    objs = proto.render_instance(CTX, proto.params(**params)).objects
    if proto is TF_SERVING:
        (dep,) = [o for o in objs if o["kind"] == "Deployment"]
        return dep["spec"]["template"]["spec"].get("tolerations")
    (job,) = objs
    return job["spec"]["tfReplicaSpecs"][pod]["template"]["spec"].get("tolerations")


# --- GPU tolerations


def test_tf_serving_warns_when_its_tolerations_leave_the_gpu_taint_untolerated() -> None:
    (warning,) = warnings(TF_SERVING, **SERVING, numGpus=1, tolerations=OTHER)
    assert warning.startswith(f"tolerations tolerates no taint of {GPU_RESOURCE}, yet numGpus is 1")
    assert NEEDED in warning and "tolerations: []" in warning
    assert tolerations(TF_SERVING, "", **SERVING, numGpus=1, tolerations=OTHER) == OTHER  # rendered as written


@pytest.mark.parametrize("given", [
    pytest.param(None, id="unset: kfgen adds the GPU toleration"),
    pytest.param([], id="[]: GPU nodes without taints"),
    pytest.param([*OTHER, {"key": GPU_RESOURCE, "operator": "Exists"}], id="tolerates the GPU key"),
    pytest.param([{"key": GPU_RESOURCE, "operator": "Equal", "value": "present", "effect": "NoSchedule"}],
                 id="tolerates one value of the GPU key"),
    pytest.param([{"operator": "Exists"}], id="tolerates every taint"),
])
def test_tolerations_that_cover_the_gpu_taint_or_say_there_is_none_do_not_warn(given: Any) -> None:
    assert warnings(TF_SERVING, **SERVING, numGpus=1, tolerations=given) == []
    assert warnings(TF_JOB, **JOB, num_gpus=1, tolerations=given) == []


def test_tolerations_without_gpus_do_not_warn() -> None:
    assert warnings(TF_SERVING, **SERVING, tolerations=OTHER) == []
    assert warnings(TF_JOB, **JOB, tolerations=OTHER) == []


def test_tf_job_warns_for_the_replica_types_with_gpus() -> None:
    (warning,) = warnings(TF_JOB, **JOB, num_gpus=1, tolerations=OTHER)
    assert warning.startswith(f"tolerations tolerates no taint of {GPU_RESOURCE}, yet Worker replicas request")
    assert NEEDED in warning
    assert tolerations(TF_JOB, "Worker", **JOB, num_gpus=1, tolerations=OTHER) == OTHER
    # GPUs of another replica type (its resources), and another GPU resource: the toleration needed is its
    (warning,) = warnings(TF_JOB, **JOB, gpuResource="amd.com/gpu", tolerations=OTHER,
                          resources={"Chief": {"limits": {"amd.com/gpu": 1}}})
    assert "no taint of amd.com/gpu, yet Chief replicas request amd.com/gpu" in warning
    assert "{key: amd.com/gpu, operator: Exists, effect: NoSchedule}" in warning
    # a toleration of nvidia.com/gpu does not tolerate the taint of amd.com/gpu
    assert warnings(TF_JOB, **JOB, num_gpus=1, gpuResource="amd.com/gpu",
                    tolerations=[{"key": GPU_RESOURCE, "operator": "Exists"}])


def test_tf_cnn_has_no_tolerations_param_and_keeps_the_default_gpu_toleration() -> None:
    assert "tolerations" not in TF_CNN.params.model_fields
    objs = TF_CNN.render_instance(CTX, TF_CNN.params(num_gpus=1)).objects
    worker = objs[0]["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]
    assert worker["tolerations"] == [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]


@pytest.mark.parametrize("proto", [TF_SERVING, TF_JOB])
def test_the_tolerations_description_says_what_an_empty_list_means(proto: Prototype) -> None:
    text = proto.params.model_fields["tolerations"].description or ""
    assert "not tainted" in text and "warning" in text
