"""Parameter types that several prototypes share: quantities, resources, tolerations, PVC mounts.

Nested parameter objects are as strict as :class:`kfgen.prototype.Params` (unknown keys refused, no
coercion), so a typo inside ``resources:`` is reported like a typo in a top-level param.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from . import k8s
from .prototype import Params

GPU = "nvidia.com/gpu"

# A Kubernetes quantity (kfgen.k8s.parse_quantity's syntax) without sign: resources are never negative.
QUANTITY_PATTERN = r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
Quantity = Annotated[int, Field(ge=0)] | Annotated[str, Field(pattern=QUANTITY_PATTERN)]
RESOURCE_NAME_PATTERN = (r"^(cpu|memory|ephemeral-storage|hugepages-[0-9A-Za-z.]+|"
                         r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
ResourceName = Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
ResourceMap = dict[ResourceName, Quantity]
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# A label key / taint key: optional DNS-subdomain prefix, then a name.
QUALIFIED_NAME = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
ENV_NAME = r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"
IMAGE = k8s.IMAGE_PATTERN


def quantity_value(q: int | str) -> Decimal:
    """The numeric value of a quantity: '500m' -> 0.5, '1Gi' -> 2**30, 2 -> 2."""
    return Decimal(q) if isinstance(q, int) else k8s.parse_quantity(q)


class Spec(BaseModel):
    """Base of nested parameter objects: as strict as Params (unknown keys refused, no coercion)."""

    model_config = Params.model_config


class Resources(Spec):
    """Compute resources of a container: requests and limits by resource name."""

    requests: Annotated[ResourceMap, Field(
        description="Minimum resources, e.g. {cpu: '1', memory: 1Gi}. Quote decimals ('0.5') or use "
                    "milli-units (500m).")] = {}
    limits: Annotated[ResourceMap, Field(
        description="Maximum resources, e.g. {cpu: '2', memory: 4Gi}. Each must be at least its request.")] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Resources:
        if GPU in self.requests:
            raise ValueError(f"{GPU} goes under limits only: Kubernetes does not overcommit GPUs, "
                             "the request is the limit")
        gpu = self.limits.get(GPU)
        if gpu is not None and not (isinstance(gpu, int) or gpu.isdigit()):
            raise ValueError(f"limits.{GPU} must be a whole number of GPUs, not {gpu!r}")
        for name in sorted(self.requests.keys() & self.limits.keys()):
            req, lim = self.requests[name], self.limits[name]
            if quantity_value(req) > quantity_value(lim):
                raise ValueError(f"requests.{name} ({req}) is more than limits.{name} ({lim}); "
                                 "Kubernetes refuses a request above its limit")
        return self

    def render(self, gpus: int = 0) -> dict[str, Any]:
        """The container's ``resources`` (empty when nothing is set), plus *gpus* GPU limits.

        Quantities are rendered as strings, the form the API server stores, so that a re-apply
        (client- or server-side) sees no change.
        """
        limits = dict(self.limits)
        if gpus:
            limits[GPU] = gpus
        out: dict[str, Any] = {}
        if limits:
            out["limits"] = {k: str(v) for k, v in sorted(limits.items())}
        if self.requests:
            out["requests"] = {k: str(v) for k, v in sorted(self.requests.items())}
        return out


class Toleration(Spec):
    """A toleration of node taints (core/v1 Toleration)."""

    key: Annotated[str | None, Field(pattern=QUALIFIED_NAME,
                                     description="Taint key; unset with operator Exists tolerates every taint.")] = None
    operator: Annotated[Literal["Exists", "Equal"], Field(
        description="Equal matches key and value; Exists matches the key with any value.")] = "Equal"
    value: Annotated[str | None, Field(description="Taint value (operator Equal only).")] = None
    effect: Annotated[Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None, Field(
        description="Taint effect to match; unset matches every effect.")] = None
    tolerationSeconds: Annotated[int | None, Field(
        ge=0, description="How long a NoExecute taint is tolerated before eviction (effect NoExecute only).")] = None

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        if self.operator == "Exists" and self.value is not None:
            raise ValueError("a toleration with operator Exists takes no value")
        if self.key is None and self.operator != "Exists":
            raise ValueError("a toleration without key must use operator Exists")
        if self.tolerationSeconds is not None and self.effect != "NoExecute":
            raise ValueError("tolerationSeconds only applies to effect NoExecute")
        return self

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


GPU_TOLERATION = Toleration(key=GPU, operator="Exists", effect="NoSchedule")


class ClaimMount(Spec):
    """A PersistentVolumeClaim mounted into the training container."""

    claimName: Annotated[str, Field(pattern=DNS_SUBDOMAIN, max_length=253,
                                    description="Name of an existing PersistentVolumeClaim in the job's namespace.")]
    mountPath: Annotated[str, Field(pattern=r"^/", description="Absolute path to mount the claim at.")]
    readOnly: Annotated[bool, Field(description="Mount read-only.")] = False


def claim_volumes(mounts: list[ClaimMount]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pod volumes, container volumeMounts) for *mounts*. One volume per distinct claim, named
    ``pvc-<n>`` in order of first appearance (claim names may hold dots, volume names may not)."""
    names: dict[str, str] = {}
    volumes: list[dict[str, Any]] = []
    volume_mounts: list[dict[str, Any]] = []
    for m in mounts:
        if m.claimName not in names:
            names[m.claimName] = f"pvc-{len(names)}"
            volumes.append(k8s.pvc_volume(names[m.claimName], m.claimName))
        volume_mounts.append(k8s.volume_mount(names[m.claimName], m.mountPath, read_only=m.readOnly or None))
    return volumes, volume_mounts
