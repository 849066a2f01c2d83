"""nvidia-device-plugin: on the profile's GPU nodes, pinned image, least privilege; validated strictly."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from kfgen.prototypes.base import Node, RenderContext, Rendered, prototypes
from kfgen.prototypes.nvidia_device_plugin import DEFAULT_IMAGE
from kfgen.render.safety import findings
from kfgen.validate.objects import validate_objects

NODES = (Node("gpu-b", 2, "8", "32Gi"), Node("cpu-a", 0, "4", "8Gi"), Node("gpu-a", 1, "8", "32Gi"))


def render(params: dict[str, Any], nodes: tuple[Node, ...] = NODES) -> Rendered:
    proto = prototypes()["nvidia-device-plugin"]
    ctx = RenderContext(profile="t", instance="gpu", namespace="kube-system", kubernetes_version="1.37", nodes=nodes)
    out = proto.render_instance(ctx, proto.params.model_validate(params))
    assert validate_objects(out.objects, "1.37") == []
    return out


def test_daemon_set_on_the_gpu_nodes_least_privilege() -> None:
    out = render({})
    ds, _ = out.objects
    assert out.warnings == []
    assert ds["kind"] == "DaemonSet" and ds["metadata"]["namespace"] == "kube-system"
    pod = ds["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == DEFAULT_IMAGE and ":" in DEFAULT_IMAGE.rsplit("/", 1)[1]
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert "privileged" not in str(pod)
    assert pod["volumes"] == [{"name": "device-plugin",
                               "hostPath": {"path": "/var/lib/kubelet/device-plugins", "type": "Directory"}}]
    assert c["volumeMounts"] == [{"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}]
    assert pod["priorityClassName"] == "system-node-critical"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In",
                                            "values": ["gpu-a", "gpu-b"]}]}]


def test_node_selector_replaces_the_affinity() -> None:
    pod = render({"nodeSelector": {"nvidia.com/gpu.present": "true"}}).objects[0]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"} and "affinity" not in pod


def test_no_gpu_nodes_runs_everywhere_with_a_warning() -> None:
    out = render({}, nodes=(Node("cpu-a", 0, "4", "8Gi"),))
    assert "affinity" not in out.objects[0]["spec"]["template"]["spec"]
    assert out.warnings and "no node with gpus > 0" in out.warnings[0]


def test_cpu_and_memory_requests_and_limits_by_default() -> None:
    ds, _ = render({}).objects
    (c,) = ds["spec"]["template"]["spec"]["containers"]
    assert c["resources"] == {"requests": {"cpu": "10m", "memory": "32Mi"},
                              "limits": {"cpu": "100m", "memory": "128Mi"}}
    assert findings(ds) == []


def test_resources_must_stay_bounded() -> None:
    proto = prototypes()["nvidia-device-plugin"]
    with pytest.raises(ValidationError, match="set requests.cpu, requests.memory, limits.cpu"):
        proto.params.model_validate({"resources": {"limits": {"memory": "256Mi"}}})
    ds, _ = render({"resources": {"requests": {"cpu": "20m", "memory": "64Mi"},
                                  "limits": {"cpu": "200m", "memory": "256Mi"}}}).objects
    assert ds["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "200m", "memory": "256Mi"}


def test_a_network_policy_admits_no_ingress_unless_turned_off() -> None:
    ds, policy = render({}).objects
    pod_labels = ds["spec"]["template"]["metadata"]["labels"]
    assert policy["kind"] == "NetworkPolicy" and policy["metadata"]["namespace"] == "kube-system"
    assert policy["spec"] == {"podSelector": {"matchLabels": pod_labels}, "policyTypes": ["Ingress"]}
    assert validate_objects([policy], "1.37") == []
    assert [o["kind"] for o in render({"networkPolicy": False}).objects] == ["DaemonSet"]
