"""core's RBAC beyond test_core.py's least-privilege sweep: Ambassador writes nothing, and the hub manages
PersistentVolumeClaims only when KubeSpawner creates per-user claims."""

from __future__ import annotations

from typing import Any

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
