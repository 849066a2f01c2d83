"""Install order and stable file names.

Objects are sorted the way Helm installs them (its ``InstallOrder``): Namespaces, then policy,
ServiceAccounts, config, storage, CRDs, RBAC, Services, workloads, and last the kinds it does not
know — custom resources such as TFJob, whose CRD must exist first. File names carry the kind's rank
as a two-digit prefix, so ``kubectl apply -f out/<profile>/`` (which reads files in name order)
applies them in this order too, and a file's name does not change when other objects come or go.
"""

from __future__ import annotations

from typing import Any

INSTALL_ORDER = (
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
    "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
    "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
    "IngressClass", "Ingress", "APIService",
    # after the workloads that serve them (kfgen's addition to Helm's list)
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)
_RANK = {kind: i for i, kind in enumerate(INSTALL_ORDER)}
UNKNOWN_RANK = 99


def kind_rank(kind: str) -> int:
    return _RANK.get(kind, UNKNOWN_RANK)


def sort_key(obj: dict[str, Any]) -> tuple[int, str, str, str]:
    meta = obj.get("metadata", {})
    return (kind_rank(obj["kind"]), obj["kind"], meta.get("namespace", ""), meta["name"])


def sort_objects(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=sort_key)


def file_name(obj: dict[str, Any], default_namespace: str) -> str:
    """``NN-kind-name.yaml``; objects outside the profile's namespace add ``@namespace``.

    Kubernetes names never contain '@', so names cannot collide.
    """
    meta = obj["metadata"]
    ns = meta.get("namespace")
    suffix = f"@{ns}" if ns and ns != default_namespace else ""
    return f"{kind_rank(obj['kind']):02d}-{obj['kind'].lower()}-{meta['name']}{suffix}.yaml"
