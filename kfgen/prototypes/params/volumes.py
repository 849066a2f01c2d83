"""Volumes of a pod and their mounts: PersistentVolumeClaims, emptyDir, ConfigMaps, Secrets and hostPath."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from kfgen.kube import objects as k8s
from kfgen.prototypes.params.patterns import ABSOLUTE_PATH, DNS_LABEL, DNS_SUBDOMAIN, SECRET_KEY, Quantity
from kfgen.prototypes.params.spec import Spec


class EmptyDir(Spec):
    """Scratch space of the pod (emptyDir); medium Memory is a tmpfs, e.g. for /dev/shm."""

    medium: Literal["", "Memory"] | None = Field(None, description="Memory: a tmpfs (counts against memory).")
    sizeLimit: Quantity | None = Field(None, description="Size limit, e.g. 1Gi.")

    def render(self) -> dict[str, Any]:
        out = self.model_dump(exclude_none=True)
        if "sizeLimit" in out:
            out["sizeLimit"] = str(out["sizeLimit"])
        return out


class KeyToPath(Spec):
    """One key of a ConfigMap or Secret volume, as a file."""

    key: str = Field(pattern=SECRET_KEY, description="The key.")
    path: str = Field(pattern=r"^[^/]", description="Relative path of the file in the volume.")


class ConfigMapSource(Spec):
    """A ConfigMap as files."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the ConfigMap.")
    items: list[KeyToPath] | None = Field(None, description="Only these keys, at these paths (default: all keys).")
    optional: bool | None = Field(None, description="Start even if the ConfigMap is missing.")


class SecretSource(Spec):
    """A Secret as files."""

    secretName: str = Field(pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the Secret.")
    items: list[KeyToPath] | None = Field(None, description="Only these keys, at these paths (default: all keys).")
    optional: bool | None = Field(None, description="Start even if the Secret is missing.")


class HostPathSource(Spec):
    """A directory or file of the node (hostPath): needs the prototype's explicit opt-in."""

    path: str = Field(pattern=ABSOLUTE_PATH, description="Path on the node.")
    type: Literal["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                  "BlockDevice"] | None = Field(None, description="What must exist at path.")


VOLUME_SOURCES = ("claimName", "emptyDir", "configMap", "secret", "hostPath")


class VolumeMount(Spec):
    """A volume mounted into the container: a PersistentVolumeClaim (claimName), emptyDir, configMap, secret,
    or hostPath (only with the prototype's allowHostPath)."""

    mountPath: str = Field(pattern=ABSOLUTE_PATH, description="Absolute path to mount the volume at.")
    readOnly: bool = Field(False, description="Mount read-only.")
    subPath: str | None = Field(None, pattern=r"^[^/]", description="Mount only this path inside the volume.")
    name: str | None = Field(
        None, pattern=DNS_LABEL, max_length=63,
        description="Volume name; required for every source but claimName (a claim's volume is named pvc-<n> "
                    "unless named here).")
    claimName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253,
        description="Name of an existing PersistentVolumeClaim in the job's namespace.")
    emptyDir: EmptyDir | None = Field(None, description="Scratch space, e.g. {medium: Memory, sizeLimit: 1Gi}.")
    configMap: ConfigMapSource | None = Field(None, description="A ConfigMap as files.")
    secret: SecretSource | None = Field(None, description="A Secret as files.")
    hostPath: HostPathSource | None = Field(None, description="A node path: refused unless allowHostPath is true.")

    @model_validator(mode="after")
    def _one_source(self) -> VolumeMount:
        given = [s for s in VOLUME_SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one volume source: {', '.join(VOLUME_SOURCES)}"
                             + (f" (found {', '.join(given)})" if given else ""))
        if self.claimName is None and self.name is None:
            raise ValueError(f"a {given[0]} volume needs a name")
        if self.claimName is None and self.name is not None and re.fullmatch(r"pvc-[0-9]+", self.name):
            raise ValueError(f"volume name {self.name!r}: pvc-<n> names are kept for claims")
        return self

    def source(self) -> dict[str, Any]:
        for key in ("emptyDir", "configMap", "secret", "hostPath"):
            value = getattr(self, key)
            if value is not None:
                return {key: value.render() if isinstance(value, EmptyDir) else value.model_dump(exclude_none=True)}
        raise ValueError("a claim has no inline source")


def pod_volumes(mounts: list[VolumeMount]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pod volumes, container volumeMounts) for *mounts*: each claim once, under its ``name`` or else
    ``pvc-<n>`` (n counts the distinct claims), other sources under their own name (one volume per name; a
    name used twice must have the same source)."""
    names: dict[str, str] = {}
    volumes: list[dict[str, Any]] = []
    named: dict[str, dict[str, Any]] = {}
    volume_mounts: list[dict[str, Any]] = []
    for m in mounts:
        if m.claimName is not None:
            if m.claimName not in names:
                names[m.claimName] = m.name or f"pvc-{len(names)}"
                if names[m.claimName] in named or names[m.claimName] in list(names.values())[:-1]:
                    raise ValueError(f"volume name {names[m.claimName]!r} is used twice")
                named[names[m.claimName]] = {"persistentVolumeClaim": {"claimName": m.claimName}}
                volumes.append(k8s.pvc_volume(names[m.claimName], m.claimName))
            elif m.name is not None and m.name != names[m.claimName]:
                raise ValueError(f"claim {m.claimName!r} is mounted under two volume names: "
                                 f"{names[m.claimName]!r} and {m.name!r}")
            name = names[m.claimName]
        else:
            name = m.name or ""
            source = m.source()
            if name in named and named[name] != source:
                raise ValueError(f"volume {name!r} is given twice with different sources")
            if name not in named:
                named[name] = source
                volumes.append({"name": name, **source})
        volume_mounts.append(k8s.volume_mount(name, m.mountPath, read_only=m.readOnly or None, sub_path=m.subPath))
    return volumes, volume_mounts
