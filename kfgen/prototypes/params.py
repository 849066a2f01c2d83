"""Parameter types that several prototypes share: quantities, resources, tolerations, PVC mounts.

Nested parameter objects are as strict as :class:`kfgen.prototypes.base.Params` (unknown keys refused, no
coercion), so a typo inside ``resources:`` is reported like a typo in a top-level param.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from kfgen.kube import objects as k8s
from kfgen.kube.constants import DNS_LABEL_PATTERN, GPU_RESOURCE
from kfgen.kube.quantity import NON_NEGATIVE_QUANTITY_PATTERN, parse_quantity
from kfgen.kube.quantity import QUANTITY_PATTERN as K8S_QUANTITY_PATTERN
from kfgen.prototypes.base import Params


def repeated(values: list[str]) -> list[str]:
    """The values that occur more than once, sorted (for "must be unique" checks)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for v in values:
        (twice if v in seen else seen).add(v)
    return sorted(twice)


#: Kubernetes stores replica counts, deadlines and the like as int32: larger values are refused.
INT32_MAX = 2 ** 31 - 1


# --- patterns, and what they mean to people --------------------------------------------------------


@dataclass(frozen=True)
class PatternHelp:
    """What a regular expression admits, in words, for error messages (instead of the regex)."""

    description: str  # the whole of 'expected:', e.g. "a Kubernetes quantity such as 500m, 2 or 20Gi"
    short: str  # as one alternative among several ("integer or <short>")
    names: tuple[str, ...] = ()  # the usual values, for did-you-mean


#: pattern -> its description; filled by :func:`described` where the patterns are defined.
PATTERN_HELP: dict[str, PatternHelp] = {}


def described(pattern: str, description: str, *, short: str | None = None, names: tuple[str, ...] = ()) -> str:
    """Register what *pattern* means (for error messages) and return it unchanged."""
    PATTERN_HELP[pattern] = PatternHelp(description, short or description, names)
    return pattern


class ParamError(ValueError):
    """A validator's refusal with the parts of a problem report: the message, what was expected, a hint."""

    def __init__(self, message: str, *, expected: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.expected = expected
        self.hint = hint


def _quantity(value: str) -> str:
    parse_quantity(value)  # the pattern admits 1e1.5 and 1e99999999; the parser refuses them, with a reason
    return value


# A Kubernetes quantity without sign: resources and sizes are never negative.
QUANTITY_PATTERN = described(NON_NEGATIVE_QUANTITY_PATTERN, "a Kubernetes quantity such as 500m, 2 or 20Gi",
                             short="a quantity string such as '500m'")
described(K8S_QUANTITY_PATTERN, "a Kubernetes quantity such as 500m, -2 or 20Gi",
          short="a quantity string such as '500m'")
QuantityString = Annotated[str, Field(pattern=QUANTITY_PATTERN), AfterValidator(_quantity)]
Quantity = Annotated[int, Field(ge=0, le=2 ** 63 - 1)] | QuantityString
RESOURCE_NAME_PATTERN = described(
    r"^(cpu|memory|ephemeral-storage|hugepages-[0-9A-Za-z.]+|"
    r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$",
    "a resource name: cpu, memory, ephemeral-storage, hugepages-<size>, or <domain>/<name> such as nvidia.com/gpu",
    short="a resource name", names=("cpu", "memory", "ephemeral-storage", GPU_RESOURCE))
ResourceName = Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
ResourceMap = dict[ResourceName, Quantity]
DNS_LABEL = described(
    DNS_LABEL_PATTERN,
    "a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit, "
    "at most 63 characters", short="a DNS label")
DNS_SUBDOMAIN = described(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "a DNS subdomain: dot-separated DNS labels (lower-case letters, digits and '-'), at most 253 characters",
    short="a DNS subdomain")
# A label key / taint key: optional DNS-subdomain prefix, then a name.
QUALIFIED_NAME = described(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
    "a label key such as gpu or example.com/pool: letters, digits, '-', '_' and '.' (starting and ending "
    "with a letter or digit), optionally after a DNS-subdomain prefix and '/'", short="a label key")
ENV_NAME = described(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$",
                     "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit",
                     short="an environment variable name")
ABSOLUTE_PATH = described(r"^/", "an absolute path (starting with '/')", short="an absolute path")
IMAGE = described(k8s.IMAGE_PATTERN, "an image reference such as registry.example/name:tag (lower-case name; "
                  "optional registry host, :tag and @sha256:digest)", short="an image reference")


def quantity_value(q: int | str) -> Decimal:
    """The numeric value of a quantity: '500m' -> 0.5, '1Gi' -> 2**30, 2 -> 2."""
    return Decimal(q) if isinstance(q, int) else parse_quantity(q)


class Spec(BaseModel):
    """Base of nested parameter objects: as strict as Params (unknown keys refused, no coercion)."""

    model_config = Params.model_config


class Resources(Spec):
    """Compute resources of a container: requests and limits by resource name."""

    requests: ResourceMap = Field(
        {}, description="Minimum resources, e.g. {cpu: '1', memory: 1Gi}. Quote decimals ('0.5') or use "
                        "milli-units (500m).")
    limits: ResourceMap = Field(
        {}, description="Maximum resources, e.g. {cpu: '2', memory: 4Gi}. Each must be at least its request.")

    @model_validator(mode="after")
    def _consistent(self) -> Resources:
        if GPU_RESOURCE in self.requests:
            raise ValueError(f"{GPU_RESOURCE} goes under limits only: Kubernetes does not overcommit GPUs, "
                             "the request is the limit")
        gpu = self.limits.get(GPU_RESOURCE)
        if gpu is not None and not (isinstance(gpu, int) or gpu.isdigit()):
            raise ValueError(f"limits.{GPU_RESOURCE} must be a whole number of GPUs, not {gpu!r}")
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
            limits[GPU_RESOURCE] = gpus
        out: dict[str, Any] = {}
        if limits:
            out["limits"] = {k: str(v) for k, v in sorted(limits.items())}
        if self.requests:
            out["requests"] = {k: str(v) for k, v in sorted(self.requests.items())}
        return out


class Toleration(Spec):
    """A toleration of node taints (core/v1 Toleration)."""

    key: str | None = Field(
        None, pattern=QUALIFIED_NAME, description="Taint key; unset with operator Exists tolerates every taint.")
    operator: Literal["Exists", "Equal"] = Field(
        "Equal", description="Equal matches key and value; Exists matches the key with any value.")
    value: str | None = Field(None, description="Taint value (operator Equal only).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="Taint effect to match; unset matches every effect.")
    # Kubernetes stores int64 here; 2^31-1 seconds (68 years) is bound enough.
    tolerationSeconds: int | None = Field(
        None, ge=0, le=INT32_MAX,
        description="How long a NoExecute taint is tolerated before eviction (effect NoExecute only).")

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


GPU_TOLERATION = Toleration(key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")


class ClaimMount(Spec):
    """A PersistentVolumeClaim mounted into the training container."""

    claimName: str = Field(
        pattern=DNS_SUBDOMAIN, max_length=253,
        description="Name of an existing PersistentVolumeClaim in the job's namespace.")
    mountPath: str = Field(pattern=ABSOLUTE_PATH, description="Absolute path to mount the claim at.")
    readOnly: bool = Field(False, description="Mount read-only.")


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
