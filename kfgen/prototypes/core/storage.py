"""Shared notebook storage of ``core``: a static NFS PersistentVolume and the claim bound to it."""

from __future__ import annotations

from typing import Any

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams

NFS_CLAIM = "notebooks-nfs"


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """A statically provisioned NFS PersistentVolume, reserved for (and bound to) the claim notebooks-nfs."""
    if p.nfsServer is None:
        return []
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
