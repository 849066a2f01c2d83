"""volume: a PersistentVolume and/or a PersistentVolumeClaim, the storage that training jobs mount.

Three shapes, one instance each:

* ``nfs: {server, path}``: a static NFS PersistentVolume ``<namespace>-<name>`` and the claim ``<name>`` bound to
  it (the 2018 article's NFS share, the ``tfevent-volume`` the training operator's examples ship);
* ``hostPath: {path}``: the same with a directory of the node - only with ``allowHostPath: true`` (it exposes
  the node's files, and the data stays on whichever node the pod ran on: single-node clusters and tests);
* neither: a claim on a StorageClass (``storageClassName``; unset: the cluster's default class).

A static volume is pre-bound both ways (the PV's ``claimRef``, the claim's ``volumeName`` and
``storageClassName: ""``), so a default StorageClass cannot intercept the claim. ``claim: false`` renders the
PersistentVolume alone (for a claim made elsewhere, e.g. by a StatefulSet); ``reclaimPolicy`` defaults to Retain:
deleting the claim never deletes the data.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered
from kfgen.prototypes.params import DNS_SUBDOMAIN, QUALIFIED_NAME, HostPathSource, Quantity, Spec, described

AccessMode = Literal["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
NFS_SERVER = described(r"^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$", "an NFS server: a host name or IP address",
                       short="a host name or IP address")


LabelKey = Annotated[str, Field(pattern=QUALIFIED_NAME)]


class NfsSource(Spec):
    """An NFS export."""

    server: str = Field(pattern=NFS_SERVER, description="NFS server (host name or IP address).")
    path: str = Field(pattern=r"^/", description="Exported path on the server.")
    readOnly: bool | None = Field(None, description="Mount the export read-only.")


class VolumeParams(Params):
    """Parameters of volume."""

    name: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the claim; unset: the instance name.")
    volumeName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253,
        description="Name of the static PersistentVolume (cluster-wide); unset: <namespace>-<name>.")
    labels: dict[LabelKey, str] = Field(
        {}, description="Labels of the PersistentVolume and the claim, over app: <name>.")
    storage: Quantity = Field(description="Capacity, e.g. 10Gi.")
    accessModes: list[AccessMode] = Field(
        ["ReadWriteOnce"], min_length=1, description="Access modes (ReadWriteMany for a share many pods write).")
    nfs: NfsSource | None = Field(None, description="A static NFS PersistentVolume: {server, path}.")
    allowHostPath: bool = Field(
        False, description="Allow hostPath (a node's directory as the volume: exposes the node's files and ties the "
                           "data to one node). Off: hostPath is refused.")
    hostPath: HostPathSource | None = Field(None, description="A static hostPath PersistentVolume: {path, type}.")
    storageClassName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253,
        description="StorageClass of the claim (without nfs/hostPath: the class that provisions it; unset: the "
                    "cluster's default class). With nfs/hostPath: the class written on both the volume and its "
                    "claim (unset: none, \"\"), which stay bound to each other by name.")
    claim: bool = Field(True, description="Render the PersistentVolumeClaim (false: only the PersistentVolume).")
    reclaimPolicy: Literal["Retain", "Delete"] = Field(
        "Retain", description="What happens to a static volume's data when its claim is deleted.")
    volumeMode: Literal["Filesystem", "Block"] = Field("Filesystem", description="Filesystem or raw Block device.")

    @model_validator(mode="after")
    def _shape(self) -> VolumeParams:
        if self.nfs is not None and self.hostPath is not None:
            raise ValueError("give one of nfs, hostPath (or neither, for a StorageClass claim)")
        if self.hostPath is not None and not self.allowHostPath:
            raise ValueError("hostPath is off unless allowHostPath: true (a node's files as a volume: it exposes "
                             "them and ties the data to one node)")
        static = self.nfs is not None or self.hostPath is not None
        if not static and self.volumeName is not None:
            raise ValueError("volumeName names a static volume: give nfs or hostPath (a StorageClass names its own)")
        if not static and not self.claim:
            raise ValueError("claim: false leaves nothing to render without nfs or hostPath")
        return self


def render(ctx: RenderContext, p: VolumeParams) -> Rendered:
    ns = ctx.namespace
    name = p.name or ctx.instance
    size = str(p.storage)
    out: list[dict[str, Any]] = []
    pv_name = p.volumeName or f"{ns}-{name}"
    labels = {"app": name, **p.labels}
    source = ({"nfs": p.nfs.model_dump(exclude_none=True)} if p.nfs is not None
              else {"hostPath": p.hostPath.model_dump(exclude_none=True)} if p.hostPath is not None else None)
    if source is not None:
        spec: dict[str, Any] = {"capacity": {"storage": size}, "accessModes": list(p.accessModes),
                                "persistentVolumeReclaimPolicy": p.reclaimPolicy, "volumeMode": p.volumeMode,
                                **source}
        if p.claim:
            spec["claimRef"] = {"namespace": ns, "name": name}
        if p.storageClassName is not None:
            spec["storageClassName"] = p.storageClassName
        out.append(k8s.obj("v1", "PersistentVolume", pv_name, labels=labels, spec=spec))
    if p.claim:
        claim: dict[str, Any] = {"accessModes": list(p.accessModes), "resources": {"requests": {"storage": size}},
                                 "volumeMode": p.volumeMode}
        if source is not None:  # bound by name; "" keeps a default StorageClass from provisioning another volume
            claim.update(storageClassName=p.storageClassName or "", volumeName=pv_name)
        elif p.storageClassName is not None:
            claim["storageClassName"] = p.storageClassName
        out.append(k8s.obj("v1", "PersistentVolumeClaim", name, ns, labels=labels, spec=claim))
    return Rendered(out)


PROTOTYPE = Prototype(
    name="volume",
    summary="A PersistentVolume (NFS, or hostPath behind allowHostPath) and/or a PersistentVolumeClaim "
            "(bound to it, or on a StorageClass).",
    params=VolumeParams,
    render=render,
)
