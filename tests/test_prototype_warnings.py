"""Render warnings of the prototypes for settings that cannot do what they seem to: tolerations that leave GPU pods
Pending on tainted GPU nodes, and opt-ins (``allow…: true``) that allow nothing in this render (left in, they
would silently allow what a later change adds)."""

from __future__ import annotations

from typing import Any

import pytest

from kfgen.kube.constants import GPU_RESOURCE
from kfgen.prototypes.base import Prototype, RenderContext
from kfgen.prototypes.core import PROTOTYPE as CORE
from kfgen.prototypes.manifests import PROTOTYPE as MANIFESTS
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


# --- opt-ins that allow nothing

SUFFIX = ": remove it, so that it cannot silently allow what is added later"


def test_tf_serving_opt_in_with_cluster_ip_warns() -> None:
    (warning,) = warnings(TF_SERVING, **SERVING, allowUnauthenticatedExternalAccess=True)
    assert warning.startswith("allowUnauthenticatedExternalAccess: true allows nothing here (serviceType is "
                              "ClusterIP") and warning.endswith(SUFFIX)
    used = warnings(TF_SERVING, **SERVING, serviceType="NodePort", allowUnauthenticatedExternalAccess=True)
    assert len(used) == 1 and "allows nothing" not in used[0]  # the exposure warning only


@pytest.mark.parametrize("consent, service_type", [
    ("tfAmbassadorAllowUnauthenticatedExternalAccess", "tfAmbassadorServiceType"),
    ("tfJobUiAllowUnauthenticatedExternalAccess", "tfJobUiServiceType"),
])
def test_core_service_opt_ins_with_cluster_ip_warn(consent: str, service_type: str) -> None:
    (warning,) = warnings(CORE, **{consent: True})
    assert warning.startswith(f"{consent}: true allows nothing here ({service_type} is ClusterIP")
    assert warning.endswith(SUFFIX)
    used = warnings(CORE, **{consent: True, service_type: "LoadBalancer"})
    assert len(used) == 1 and "allows nothing" not in used[0]


HUB_OPT_IN = "jupyterHubAllowUnauthenticatedExternalAccess"


@pytest.mark.parametrize("params, why", [
    pytest.param({}, "jupyterHubServiceType is ClusterIP without jupyterHubExternalIPs", id="not-exposed"),
    pytest.param({"jupyterHubServiceType": "LoadBalancer", "jupyterHubAuthenticator": "native",
                  "jupyterHubAdminUsers": ["admin"]}, "jupyterHubAuthenticator is native", id="native"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.1"], "jupyterHubAuthenticator": "shared-password",
                  "jupyterHubPasswordSecret": "pw"}, "jupyterHubAuthenticator is shared-password", id="shared"),
    pytest.param({"jupyterHubAuthenticator": "iap", "cloud": "gcp"}, "jupyterHubAuthenticator is iap", id="iap"),
])
def test_hub_opt_in_that_allows_nothing_warns(params: dict[str, Any], why: str) -> None:
    (warning,) = warnings(CORE, **params, **{HUB_OPT_IN: True})
    assert warning.startswith(f"{HUB_OPT_IN}: true allows nothing here ({why}") and warning.endswith(SUFFIX)


def test_hub_opt_in_that_allows_the_dummy_hub_warns_about_the_exposure_only() -> None:
    for params in ({"jupyterHubServiceType": "NodePort"}, {"jupyterHubExternalIPs": ["192.0.2.1"]}):
        (warning,) = warnings(CORE, **params, **{HUB_OPT_IN: True})
        assert "with the dummy authenticator" in warning and "allows nothing" not in warning


def test_core_defaults_do_not_warn() -> None:
    assert warnings(CORE) == []


CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "v"}}
EMPTY_SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "e"}, "type": "Opaque"}
ROLE = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]}
NARROW_ROLE = {**ROLE, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
ADMIN_BINDING = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                 "metadata": {"name": "b"},
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                 "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]}
EDIT_IN_NAMESPACE = {**ADMIN_BINDING, "kind": "RoleBinding",
                     "roleRef": {**ADMIN_BINDING["roleRef"], "name": "edit"}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
           "spec": {"type": "NodePort", "selector": {"app": "a"}, "ports": [{"port": 80}]}}
CLUSTER_IP = {**SERVICE, "spec": {**SERVICE["spec"], "type": "ClusterIP"}}


@pytest.mark.parametrize("opt_in, useless, useful", [
    ("allowSecretValues", [CONFIG_MAP, EMPTY_SECRET], [SECRET]),
    ("allowRbacWildcards", [NARROW_ROLE], [ROLE]),
    ("allowAdminRoleBindings", [EDIT_IN_NAMESPACE], [ADMIN_BINDING]),
    ("allowExternalExposure", [CLUSTER_IP], [SERVICE]),
])
def test_manifests_opt_in_that_allows_nothing_warns(opt_in: str, useless: list[dict[str, Any]],
                                                    useful: list[dict[str, Any]]) -> None:
    (warning,) = warnings(MANIFESTS, objects=useless, **{opt_in: True})
    assert warning.startswith(f"{opt_in}: true allows nothing here (no ") and warning.endswith(SUFFIX)
    assert warnings(MANIFESTS, objects=[*useless, *useful], **{opt_in: True}) == []
    assert warnings(MANIFESTS, objects=useless) == []


def test_manifests_warns_for_each_opt_in_that_allows_nothing() -> None:
    out = warnings(MANIFESTS, objects=[SECRET], allowSecretValues=True, allowRbacWildcards=True,
                   allowExternalExposure=True)
    assert [w.split(":")[0] for w in out] == ["allowRbacWildcards", "allowExternalExposure"]
