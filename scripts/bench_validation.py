"""Validation throughput helpers for scripts/bench.py (and a corpus of valid objects the tests reuse).

Not part of the kfgen package: benchmark code lives in scripts/. Import it with ``scripts/`` on
``sys.path`` (as ``python scripts/bench.py`` has) or load it by path.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
from kfgen.validate.kubeconform import kubeconform
from kfgen.validate.objects import clear_cache, validate_objects


def bench_validate(objects: Sequence[Any], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *,
                   rounds: int = 3, warm: bool = True) -> float:
    """In-process validation throughput in objects/second (best of *rounds*). With *warm*, validators
    are built first (as in any run after the first object of a kind); otherwise caches start empty."""
    if warm:
        validate_objects(objects, kubernetes_version)
    best = float("inf")
    for _ in range(max(1, rounds)):
        if not warm:
            clear_cache()
        start = time.perf_counter()
        validate_objects(objects, kubernetes_version)
        best = min(best, time.perf_counter() - start)
    return len(objects) / best if best > 0 else float("inf")


def bench_kubeconform(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str, *,
                      rounds: int = 3) -> float:
    """kubeconform throughput over *paths* in objects/second (best of *rounds*, process start included)."""
    best, count = float("inf"), 0
    for _ in range(max(1, rounds)):
        res = kubeconform(paths, schema_dir, kubeconform_bin)
        count = res.resources
        best = min(best, res.seconds)
    return count / best if best > 0 else float("inf")


def bench_corpus(n: int = 1000, namespace: str = "bench") -> list[dict[str, Any]]:
    """*n* valid objects of the kinds kfgen renders (Deployment, Service, ConfigMap, ServiceAccount,
    Role, RoleBinding, StatefulSet, PersistentVolumeClaim, TFJob), for throughput measurements."""
    def container(i: int) -> dict[str, Any]:
        return {"name": "main", "image": f"registry.example/app:{i}", "imagePullPolicy": "IfNotPresent",
                "args": ["--port=8080", f"--id={i}"], "ports": [{"containerPort": 8080, "name": "http"}],
                "env": [{"name": "ID", "value": str(i)},
                        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"cpu": 1, "memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}

    def pod(i: int, labels: dict[str, str]) -> dict[str, Any]:
        return {"metadata": {"labels": labels},
                "spec": {"containers": [container(i)], "serviceAccountName": f"sa-{i}",
                         "volumes": [{"name": "data", "emptyDir": {}}],
                         "nodeSelector": {"kubernetes.io/os": "linux"},
                         "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}

    def make(i: int) -> dict[str, Any]:
        name, labels = f"app-{i}", {"app": f"app-{i}", "app.kubernetes.io/managed-by": "kfgen"}
        meta = {"name": name, "namespace": namespace, "labels": labels}
        kind = i % 9
        if kind == 0:
            return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                    "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": pod(i, labels)}}
        if kind == 1:
            return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
                    "spec": {"selector": labels, "type": "ClusterIP",
                             "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}
        if kind == 2:
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"config.yaml": f"id: {i}\n"}}
        if kind == 3:
            return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
        if kind == 4:
            return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
                    "rules": [{"apiGroups": [""], "resources": ["pods", "services"],
                               "verbs": ["get", "list", "watch"]}]}
        if kind == 5:
            return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                    "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]}
        if kind == 6:
            return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                    "spec": {"serviceName": name, "replicas": 1, "selector": {"matchLabels": labels},
                             "template": pod(i, labels)}}
        if kind == 7:
            return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
        tf_pod = pod(i, labels)
        tf_pod["spec"]["containers"][0]["name"] = "tensorflow"
        return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": meta,
                "spec": {"runPolicy": {"cleanPodPolicy": "None"},
                         "tfReplicaSpecs": {
                             "PS": {"replicas": 1, "restartPolicy": "Never", "template": tf_pod},
                             "Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": tf_pod}}}}

    return [make(i) for i in range(n)]
