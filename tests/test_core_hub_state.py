"""The hub's state (/srv/jupyterhub: jupyterhub.sqlite, the cookie secret) on a claim of StatefulSet tf-hub:
by default with NativeAuthenticator (its accounts live there), on request otherwise; an exposed native hub
whose accounts a restart would wipe is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from kfgen.errors import KfgenError
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core import PROTOTYPE, CoreParams

CTX = RenderContext(profile="t", instance="kubeflow-core", namespace="kubeflow", kubernetes_version="1.37")
NATIVE = {"jupyterHubAuthenticator": "native", "jupyterHubAdminUsers": ["admin"]}


def hub(**params: Any) -> dict[str, Any]:
    objects = PROTOTYPE.render_instance(CTX, CoreParams(**params)).objects
    (sts,) = [o for o in objects if o["kind"] == "StatefulSet"]
    return sts


def state_volume(sts: dict[str, Any]) -> dict[str, Any] | None:
    """The pod volume named hub-db (None: it comes from the volumeClaimTemplate)."""
    return next((v for v in sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "hub-db"), None)


def test_native_keeps_its_accounts_on_a_claim_by_default() -> None:
    sts = hub(**NATIVE)
    (template,) = sts["spec"]["volumeClaimTemplates"]
    assert template["metadata"]["name"] == "hub-db"
    assert template["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert template["spec"]["resources"] == {"requests": {"storage": "1Gi"}}
    assert "storageClassName" not in template["spec"]  # the cluster's default StorageClass
    assert state_volume(sts) is None
    (tf_hub,) = [c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "tf-hub"]
    assert {"name": "hub-db", "mountPath": "/srv/jupyterhub"} in tf_hub["volumeMounts"]
    assert sts["spec"]["template"]["spec"]["securityContext"]["fsGroup"] == 1000  # uid 1000 writes the claim


@pytest.mark.parametrize("params", [
    pytest.param({}, id="dummy-default"),
    pytest.param({**NATIVE, "jupyterHubStatePersistent": False}, id="native-off"),
])
def test_ephemeral_state_is_an_empty_dir(params: dict[str, Any]) -> None:
    sts = hub(**params)
    assert "volumeClaimTemplates" not in sts["spec"]
    assert state_volume(sts) == {"name": "hub-db", "emptyDir": {}}
    assert "securityContext" not in sts["spec"]["template"]["spec"]


def test_size_and_storage_class_are_params() -> None:
    sts = hub(jupyterHubStatePersistent=True, jupyterHubStateStorageCapacity="5Gi",
              jupyterHubStateStorageClassName="fast-ssd")
    (template,) = sts["spec"]["volumeClaimTemplates"]
    assert template["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert template["spec"]["storageClassName"] == "fast-ssd"


@pytest.mark.parametrize("params, fragment", [
    pytest.param({"jupyterHubStateStorageCapacity": "5Gi"}, "only apply to persistent hub state", id="size-no-state"),
    pytest.param({**NATIVE, "jupyterHubStatePersistent": False, "jupyterHubStateStorageClassName": "x"},
                 "only apply to persistent hub state", id="class-state-off"),
    pytest.param({"jupyterHubStatePersistent": True, "jupyterHubStateStorageCapacity": "10Ki"}, "not a usable size",
                 id="tiny"),
    pytest.param({"jupyterHubStatePersistent": True, "jupyterHubStateStorageClassName": "Bad_Class"}, "pattern",
                 id="bad-class"),
])
def test_bad_state_params_are_refused(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        CoreParams(**params)


@pytest.mark.parametrize("exposure", [
    pytest.param({"jupyterHubServiceType": "LoadBalancer"}, id="load-balancer"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.10"]}, id="external-ip"),
])
def test_exposed_native_hub_without_persistent_state_is_refused(exposure: dict[str, Any]) -> None:
    with pytest.raises(KfgenError) as err:
        hub(**NATIVE, **exposure, jupyterHubStatePersistent=False)
    (problem,) = err.value.problems
    assert problem.path == ("components", "kubeflow-core", "params", "jupyterHubStatePersistent")
    assert "wipes every account" in problem.message and "admin" in problem.message
    assert "jupyterHubStatePersistent" in problem.hint
    assert hub(**NATIVE, **exposure)["spec"]["volumeClaimTemplates"]  # the default: persistent, renders
    assert "volumeClaimTemplates" not in hub(**NATIVE, jupyterHubStatePersistent=False)["spec"]  # ClusterIP: fine
