"""core's RBAC beyond test_core.py's least-privilege sweep: Ambassador writes nothing, and the hub manages
PersistentVolumeClaims only when KubeSpawner creates per-user claims."""

from __future__ import annotations

from typing import Any

import pytest

from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core import PROTOTYPE, CoreParams

CTX = RenderContext(profile="t", instance="kubeflow-core", namespace="kubeflow", kubernetes_version="1.37")


def role(name: str, **params: Any) -> list[dict[str, Any]]:
    objects = PROTOTYPE.render_instance(CTX, CoreParams(**params)).objects
    (found,) = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == name]
    return found["rules"]


def grants(rules: list[dict[str, Any]], resource: str) -> set[tuple[str, str | None]]:
    """(verb, resource name or None for every name) pairs a role grants on a core resource."""
    return {(verb, name) for r in rules if resource in r["resources"] and r["apiGroups"] == [""]
            for verb in r["verbs"] for name in r.get("resourceNames", [None])}


def test_ambassador_reads_only_what_0_30_reads_and_writes_nothing() -> None:
    rules = role("ambassador")
    assert grants(rules, "configmaps") == {("list", None), ("get", "ambassador-config")}
    assert grants(rules, "services") == {("list", None), ("watch", None)}
    assert grants(rules, "secrets") == {("get", "ambassador-certs"), ("get", "ambassador-cacert")}
    writes = {"create", "update", "patch", "delete", "deletecollection"}
    assert not [r for r in rules if writes & set(r["verbs"])]


@pytest.mark.parametrize("params, claims", [
    pytest.param({"jupyterNotebookPVCMount": "/home/jovyan/work"}, True, id="per-user"),
    pytest.param({"jupyterNotebookPVCMount": "/home/jovyan/work", "jupyterNotebookStorage": "per-user",
                  "jupyterNotebookStorageClassName": "fast"}, True, id="per-user-class"),
    pytest.param({}, False, id="no-storage"),
    pytest.param({"jupyterNotebookPVCMount": "/home/jovyan/work", "nfsServer": "192.0.2.10"}, False, id="nfs"),
    pytest.param({"jupyterNotebookPVCMount": "/home/jovyan/work", "jupyterNotebookStorage": "shared"}, False,
                 id="shared-class"),
])
def test_hub_manages_claims_only_with_per_user_storage(params: dict[str, Any], claims: bool) -> None:
    rules = role("jupyter-role", **params)
    spawner = {"get", "list", "watch", "create", "delete"}
    assert {v for v, _ in grants(rules, "pods")} == spawner
    assert {v for v, _ in grants(rules, "persistentvolumeclaims")} == (spawner if claims else set())
    assert {v for v, _ in grants(rules, "events")} == {"get", "list", "watch"}
