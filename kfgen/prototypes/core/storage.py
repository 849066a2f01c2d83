"""Shared notebook storage of ``core`` (``jupyterNotebookStorage: shared``): with ``nfsServer`` a static NFS
PersistentVolume and the claim bound to it, otherwise one ReadWriteMany claim from a StorageClass.

Per-user claims are not rendered here: KubeSpawner creates each user's claim when the user's server first
starts (see :mod:`~kfgen.prototypes.core.jupyterhub`).
"""

from __future__ import annotations

from typing import Any

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams

NFS_CLAIM = "notebooks-nfs"
SHARED_CLAIM = "notebooks-shared"  # the shared claim from a StorageClass (no nfsServer)


def shared_claim(p: CoreParams) -> str | None:
    """The claim every notebook mounts, or None (per-user claims, or no notebook storage)."""
    if p.notebook_storage != "shared":
        return None
    return NFS_CLAIM if p.nfsServer else SHARED_CLAIM


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """The NFS volume and its claim (nfsServer), or the shared StorageClass claim, or nothing."""
    if p.nfsServer is not None:
        return _nfs(ctx, p)
    if shared_claim(p) is None:
        return []
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteMany"],  # notebooks on every node mount it at once
        "resources": {"requests": {"storage": p.notebook_storage_capacity}},
    }
    if p.jupyterNotebookStorageClassName is not None:  # unset: the cluster's default StorageClass provisions it
        spec["storageClassName"] = p.jupyterNotebookStorageClassName
    spec["volumeMode"] = "Filesystem"
    return [k8s.obj("v1", "PersistentVolumeClaim", SHARED_CLAIM, ctx.namespace, labels={"app": SHARED_CLAIM},
                    spec=spec)]


def _nfs(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """A statically provisioned NFS PersistentVolume, reserved for (and bound to) the claim notebooks-nfs."""
    ns = ctx.namespace
    pv_name = f"{ns}-notebooks-nfs"
    labels = {"app": "notebooks-nfs"}
    # a PV without class, a claim with storageClassName "" + claimRef/volumeName: the documented way to
    # pre-bind a static volume; no StorageClass is needed and a default StorageClass cannot intercept it.
    pv = k8s.obj("v1", "PersistentVolume", pv_name, labels=labels, spec={
        "capacity": {"storage": p.nfsCapacity},
        "accessModes": [p.nfsAccessMode],
        "persistentVolumeReclaimPolicy": "Retain",  # no storageClassName: "" is its unset value on a PV
        "volumeMode": "Filesystem",
        "claimRef": {"namespace": ns, "name": NFS_CLAIM},
        "nfs": {"server": p.nfsServer, "path": p.nfsPath},
    })
    pvc = k8s.obj("v1", "PersistentVolumeClaim", NFS_CLAIM, ns, labels=labels, spec={
        "accessModes": [p.nfsAccessMode],
        "resources": {"requests": {"storage": p.nfsCapacity}},
        "storageClassName": "",
        "volumeMode": "Filesystem",
        "volumeName": pv_name,
    })
    return [pv, pvc]
