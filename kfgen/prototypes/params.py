"""Parameter types that several prototypes share: quantities, resources, tolerations, volumes, env, ports.

Nested parameter objects are as strict as :class:`kfgen.prototypes.base.Params` (unknown keys refused, no
coercion), so a typo inside ``resources:`` is reported like a typo in a top-level param.
"""

from __future__ import annotations

import re
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

    def render(self, gpus: int = 0, gpu_resource: str = GPU_RESOURCE) -> dict[str, Any]:
        """The container's ``resources`` (empty when nothing is set), plus *gpus* limits of *gpu_resource*.

        Quantities are rendered as strings, the form the API server stores, so that a re-apply
        (client- or server-side) sees no change.
        """
        limits = dict(self.limits)
        if gpus:
            limits[gpu_resource] = gpus
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


# --- containers and pods: the vocabulary tf-job (and any workload prototype) shares ---------------------

SECRET_KEY = described(r"^[-._a-zA-Z0-9]+$", "a ConfigMap or Secret key: letters, digits, '-', '_' and '.'",
                       short="a key")
PORT_NAME = described(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", "a port name: at most 15 lower-case letters, digits "
                      "and '-', starting and ending with a letter or digit", short="a port name")
FIELD_PATH = described(
    r"^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)(\['[^']+'\])?|"
    r"spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$",
    "a downward-API field: metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'], "
    "metadata.annotations['KEY'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP …",
    short="a downward-API field path")
PullPolicy = Literal["Always", "IfNotPresent", "Never"]


class KeyRef(Spec):
    """One key of a Secret or ConfigMap."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the Secret or ConfigMap.")
    key: str = Field(pattern=SECRET_KEY, max_length=253, description="The key whose value is used.")
    optional: bool | None = Field(None, description="Start the container even if the object or key is missing.")


class FieldRef(Spec):
    """A field of the pod (downward API)."""

    fieldPath: str = Field(pattern=FIELD_PATH, description="The pod field, e.g. metadata.name or status.podIP.")


class EnvFrom(Spec):
    """Where one environment variable's value comes from: exactly one of the three."""

    secretKeyRef: KeyRef | None = Field(None, description="A key of a Secret (e.g. a password).")
    configMapKeyRef: KeyRef | None = Field(None, description="A key of a ConfigMap.")
    fieldRef: FieldRef | None = Field(None, description="A field of the pod (downward API).")

    @model_validator(mode="after")
    def _one(self) -> EnvFrom:
        if sum(v is not None for v in (self.secretKeyRef, self.configMapKeyRef, self.fieldRef)) != 1:
            raise ValueError("give exactly one of secretKeyRef, configMapKeyRef, fieldRef")
        return self

    def render(self) -> dict[str, Any]:
        if self.fieldRef is not None:  # apiVersion: what the server defaults (no diff on re-apply)
            return {"fieldRef": {"apiVersion": "v1", "fieldPath": self.fieldRef.fieldPath}}
        return self.model_dump(exclude_none=True)


#: An environment variable's value: a literal string, or where to read it from.
EnvValue = str | EnvFrom


def render_env(env: dict[str, EnvValue]) -> list[dict[str, Any]]:
    """A container's ``env``, sorted by name."""
    return [k8s.env_var(name, value) if isinstance(value, str) else {"name": name, "valueFrom": value.render()}
            for name, value in sorted(env.items())]


class ObjectRef(Spec):
    """A whole Secret or ConfigMap."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the Secret or ConfigMap.")
    optional: bool | None = Field(None, description="Start the container even if it is missing.")


class EnvFromSource(Spec):
    """Every key of a Secret or ConfigMap as environment variables (container envFrom)."""

    secretRef: ObjectRef | None = Field(None, description="A Secret whose keys become variables.")
    configMapRef: ObjectRef | None = Field(None, description="A ConfigMap whose keys become variables.")
    prefix: str | None = Field(None, pattern=ENV_NAME, description="Prefix added to every variable name.")

    @model_validator(mode="after")
    def _one(self) -> EnvFromSource:
        if (self.secretRef is None) == (self.configMapRef is None):
            raise ValueError("give exactly one of secretRef, configMapRef")
        return self

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ContainerPort(Spec):
    """A port the container listens on."""

    containerPort: int = Field(ge=1, le=65535, description="Port number.")
    name: str | None = Field(None, pattern=PORT_NAME, max_length=15, description="Port name (unique in the pod).")
    protocol: Literal["TCP", "UDP", "SCTP"] = Field("TCP", description="Protocol.")

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def unique_ports(ports: list[ContainerPort]) -> list[ContainerPort]:
    """*ports*, refused when a name or a (port, protocol) repeats."""
    dupes = repeated([p.name for p in ports if p.name]) + repeated([f"{p.containerPort}/{p.protocol}" for p in ports])
    if dupes:
        raise ValueError(f"ports repeat: {', '.join(dupes)}")
    return ports


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
        description="Volume name; required for every source but claimName (claims are named pvc-<n>).")
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
        if self.claimName is not None and self.name is not None:
            raise ValueError("a claim's volume is named pvc-<n>: leave name out")
        if self.name is not None and re.fullmatch(r"pvc-[0-9]+", self.name):
            raise ValueError(f"volume name {self.name!r}: pvc-<n> names are kept for claims")
        return self

    def source(self) -> dict[str, Any]:
        for key in ("emptyDir", "configMap", "secret", "hostPath"):
            value = getattr(self, key)
            if value is not None:
                return {key: value.render() if isinstance(value, EmptyDir) else value.model_dump(exclude_none=True)}
        raise ValueError("a claim has no inline source")


def pod_volumes(mounts: list[VolumeMount]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pod volumes, container volumeMounts) for *mounts*: claims as :func:`claim_volumes` names them
    (``pvc-<n>``), other sources under their own name (one volume per name; a name used twice must have the
    same source)."""
    names: dict[str, str] = {}
    volumes: list[dict[str, Any]] = []
    named: dict[str, dict[str, Any]] = {}
    volume_mounts: list[dict[str, Any]] = []
    for m in mounts:
        if m.claimName is not None:
            if m.claimName not in names:
                names[m.claimName] = f"pvc-{len(names)}"
                volumes.append(k8s.pvc_volume(names[m.claimName], m.claimName))
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


def k8s_definition(definition: str) -> Any:
    """An AfterValidator checking a mapping against Kubernetes' own (strict) definition *definition*, e.g.
    ``io.k8s.api.core.v1.Affinity``: unknown fields and wrong types are refused where the user wrote them."""

    def check(value: dict[str, Any]) -> dict[str, Any]:
        from jsonschema import Draft202012Validator

        from kfgen.kube import schemas
        from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION

        ref = {"$ref": f"{schemas.DEFINITIONS_ID}#/$defs/{definition}"}
        validator = Draft202012Validator(ref, registry=schemas.registry(DEFAULT_KUBERNETES_VERSION))
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            at = ".".join(str(p) for p in err.absolute_path)
            raise ValueError(f"{at + ': ' if at else ''}{err.message} ({definition.rsplit('.', 1)[-1]})")
        return value

    return AfterValidator(check)
