"""kfgen's own typed model of the Kubeflow TFJob ``kubeflow.org/v1`` API.

Three things live here:

* Pydantic v2 models (:class:`TFJob` and friends). The TFJob-specific objects
  (``TFJob``, ``TFJobSpec``, ``ReplicaSpec``, ``RunPolicy``, ``SchedulingPolicy``)
  forbid unknown fields, so typos are caught by kfgen before anything reaches a
  cluster. The pod template is a *typed subset* of the Kubernetes PodSpec that
  allows extra fields: kfgen's renderers get attribute access to what they use,
  while any other PodSpec/Container field a user adds passes through untouched
  (the API server / CRD schema validates those).
* :func:`tfjob_openapi_schema` - a *structural* OpenAPI v3 schema, as required by
  ``apiextensions.k8s.io/v1``, derived from the pydantic model. The pod template
  part is not hand-written: it is converted from the Kubernetes
  ``io.k8s.api.core.v1.PodTemplateSpec`` definition shipped with the pinned
  ``kubernetes-validate`` package.
* :func:`tfjob_crd` - the ``tfjobs.kubeflow.org`` CustomResourceDefinition, and
  :func:`tfjob_validation_schema` - a stricter JSON schema variant for offline
  validation (jsonschema / kubeconform) that also rejects unknown fields in the
  TFJob-specific objects (a CRD schema cannot: ``additionalProperties: false``
  beside ``properties`` is not structural; the server prunes unknown fields).

Heavy imports (json files, jsonschema, yaml) happen lazily: the CLI imports this
module at start-up.
"""

from __future__ import annotations

import copy
import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "API_GROUP",
    "API_VERSION",
    "KIND",
    "REPLICA_TYPES",
    "ReplicaType",
    "TFJob",
    "TFJobSpec",
    "ReplicaSpec",
    "RunPolicy",
    "SchedulingPolicy",
    "ObjectMeta",
    "PodTemplateSpec",
    "PodTemplateMetadata",
    "PodSpec",
    "Container",
    "tfjob_to_dict",
    "tfjob_openapi_schema",
    "tfjob_validation_schema",
    "tfjob_crd",
]

API_GROUP = "kubeflow.org"
API_VERSION = "kubeflow.org/v1"
KIND = "TFJob"

ReplicaType = Literal["Chief", "Master", "PS", "Worker", "Evaluator"]
REPLICA_TYPES: tuple[str, ...] = ("Chief", "Master", "PS", "Worker", "Evaluator")

# Kubernetes resource.Quantity serialisation (same expression the API machinery and
# controller-gen use; defined once, in kfgen.kube.objects). Valid in Python `re`, Rust regex (pydantic) and Go RE2.
from kfgen.kube.objects import QUANTITY_PATTERN  # noqa: E402  (re-exported: the CRD schema and tests use it from here)

# The kubernetes-validate schema set the pod template schema is converted from.
# Pinned together with the `kubernetes-validate==1.37.0` dependency.
K8S_SCHEMA_VERSION = "1.37.0"

# --------------------------------------------------------------------------------------
# Reusable field types
# --------------------------------------------------------------------------------------

# TFJob-specific integers are strict: "2" (a string) is refused exactly like the
# schema refuses it, instead of being silently coerced by pydantic.
Int32 = Annotated[int, Field(strict=True, json_schema_extra={"format": "int32"})]
Int64 = Annotated[int, Field(strict=True, json_schema_extra={"format": "int64"})]
NonNegInt32 = Annotated[int, Field(strict=True, ge=0, json_schema_extra={"format": "int32"})]

# A Kubernetes quantity ("500m", "4Gi", 2). Floats are refused on purpose: the CRD
# schema (ours and upstream's) only admits integer-or-string there.
Quantity = Annotated[int, Field(strict=True)] | Annotated[
    str, Field(strict=True, pattern=QUANTITY_PATTERN)
]

_FORBID = ConfigDict(extra="forbid")
# Kubernetes core objects: typed for what kfgen uses, anything else passes through.
_ALLOW = ConfigDict(extra="allow")


# --------------------------------------------------------------------------------------
# Object metadata
# --------------------------------------------------------------------------------------


class ObjectMeta(BaseModel):
    """Standard Kubernetes object metadata (the subset kfgen renders; other ObjectMeta
    fields are accepted and passed through)."""

    model_config = _ALLOW

    name: str | None = Field(None, description="Name of the TFJob, unique within its namespace.")
    generateName: str | None = Field(
        None, description="Prefix for a server-generated name, used when name is not set."
    )
    namespace: str | None = Field(None, description="Namespace the TFJob lives in.")
    labels: dict[str, str] | None = Field(None, description="Labels of the TFJob.")
    annotations: dict[str, str] | None = Field(None, description="Annotations of the TFJob.")

    @model_validator(mode="after")
    def _named(self) -> ObjectMeta:
        if not self.name and not self.generateName:
            raise ValueError("metadata.name (or metadata.generateName) is required")
        return self


# --------------------------------------------------------------------------------------
# Pod template: a typed subset of core/v1, extra fields allowed
# --------------------------------------------------------------------------------------


class KeySelector(BaseModel):
    """Selects a key of a ConfigMap or Secret (configMapKeyRef / secretKeyRef)."""

    model_config = _ALLOW

    name: str | None = Field(None, description="Name of the ConfigMap or Secret.")
    key: str = Field(description="The key to select.")
    optional: bool | None = Field(None, description="Whether the object or key may be missing.")


class ObjectFieldSelector(BaseModel):
    """Selects a field of the pod (fieldRef)."""

    model_config = _ALLOW

    apiVersion: str | None = Field(None, description='Schema version of fieldPath, "v1" by default.')
    fieldPath: str = Field(description="Path of the field to select, e.g. metadata.namespace.")


class ResourceFieldSelector(BaseModel):
    """Selects a container resource limit or request (resourceFieldRef)."""

    model_config = _ALLOW

    containerName: str | None = Field(None, description="Container name, for volumes.")
    resource: str = Field(description="Resource to select, e.g. limits.cpu.")
    divisor: Quantity | None = Field(None, description="Output format of the exposed resource.")


class EnvVarSource(BaseModel):
    """Source of an environment variable's value."""

    model_config = _ALLOW

    configMapKeyRef: KeySelector | None = Field(None, description="A key of a ConfigMap.")
    secretKeyRef: KeySelector | None = Field(None, description="A key of a Secret.")
    fieldRef: ObjectFieldSelector | None = Field(None, description="A field of the pod.")
    resourceFieldRef: ResourceFieldSelector | None = Field(
        None, description="A resource limit or request of a container."
    )


class EnvVar(BaseModel):
    """An environment variable of a container."""

    model_config = _ALLOW

    name: str = Field(description="Name of the environment variable.")
    value: str | None = Field(None, description="Literal value.")
    valueFrom: EnvVarSource | None = Field(None, description="Source for the value, if not literal.")


class ContainerPort(BaseModel):
    """A network port exposed by a container."""

    model_config = _ALLOW

    containerPort: int = Field(ge=1, le=65535, description="Port number on the pod's IP address.")
    name: str | None = Field(None, description="IANA_SVC_NAME of the port, unique within the pod.")
    protocol: Literal["TCP", "UDP", "SCTP"] | None = Field(None, description='Protocol, "TCP" by default.')
    hostPort: int | None = Field(None, description="Port number on the host, rarely needed.")


class ResourceRequirements(BaseModel):
    """Compute resource requirements of a container."""

    model_config = _ALLOW

    limits: dict[str, Quantity] | None = Field(
        None, description='Maximum resources, e.g. {"cpu": "2", "nvidia.com/gpu": 1}.'
    )
    requests: dict[str, Quantity] | None = Field(None, description="Minimum resources.")


class VolumeMount(BaseModel):
    """Mount of a pod volume into a container."""

    model_config = _ALLOW

    name: str = Field(description="Name of the pod volume.")
    mountPath: str = Field(description="Path in the container to mount at.")
    readOnly: bool | None = Field(None, description="Mount read-only.")
    subPath: str | None = Field(None, description="Sub-path inside the volume to mount.")


class Container(BaseModel):
    """A container of a TFJob replica pod (typed subset of core/v1 Container)."""

    model_config = _ALLOW

    name: str = Field(
        description='Container name. The training operator requires one named "tensorflow".'
    )
    image: str = Field(description="Container image (required by the training operator).")
    command: list[str] | None = Field(None, description="Entrypoint array.")
    args: list[str] | None = Field(None, description="Arguments to the entrypoint.")
    env: list[EnvVar] | None = Field(None, description="Environment variables.")
    ports: list[ContainerPort] | None = Field(None, description="Ports to expose.")
    resources: ResourceRequirements | None = Field(None, description="Compute resources.")
    volumeMounts: list[VolumeMount] | None = Field(None, description="Pod volumes to mount.")
    workingDir: str | None = Field(None, description="Working directory.")
    imagePullPolicy: Literal["Always", "IfNotPresent", "Never"] | None = Field(
        None, description="Image pull policy."
    )
    securityContext: dict[str, Any] | None = Field(None, description="Container security context.")


class PersistentVolumeClaimVolumeSource(BaseModel):
    """Reference to a PersistentVolumeClaim in the pod's namespace."""

    model_config = _ALLOW

    claimName: str = Field(description="Name of the PersistentVolumeClaim.")
    readOnly: bool | None = Field(None, description="Force read-only mounts.")


class EmptyDirVolumeSource(BaseModel):
    """A temporary directory sharing the pod's lifetime."""

    model_config = _ALLOW

    medium: str | None = Field(None, description='Storage medium: "" or "Memory".')
    sizeLimit: Quantity | None = Field(None, description="Size limit of the volume.")


class Volume(BaseModel):
    """A pod volume. Common sources are typed; any other source passes through."""

    model_config = _ALLOW

    name: str = Field(description="Volume name, unique within the pod.")
    persistentVolumeClaim: PersistentVolumeClaimVolumeSource | None = Field(
        None, description="A PersistentVolumeClaim."
    )
    emptyDir: EmptyDirVolumeSource | None = Field(None, description="A temporary directory.")
    configMap: dict[str, Any] | None = Field(None, description="A ConfigMap projected as files.")
    secret: dict[str, Any] | None = Field(None, description="A Secret projected as files.")
    hostPath: dict[str, Any] | None = Field(None, description="A path on the host.")


class Toleration(BaseModel):
    """A toleration of node taints."""

    model_config = _ALLOW

    key: str | None = Field(None, description="Taint key; empty with Exists matches all taints.")
    operator: Literal["Exists", "Equal"] | None = Field(None, description='"Equal" by default.')
    value: str | None = Field(None, description="Taint value for the Equal operator.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="Taint effect to match; empty matches all effects."
    )
    tolerationSeconds: int | None = Field(None, description="How long a NoExecute taint is tolerated.")


class LocalObjectReference(BaseModel):
    """Reference to an object in the same namespace."""

    model_config = _ALLOW

    name: str = Field(description="Name of the referent.")


class PodSpec(BaseModel):
    """A typed subset of core/v1 PodSpec. Other PodSpec fields are accepted as-is."""

    model_config = _ALLOW

    containers: list[Container] = Field(min_length=1, description="Containers of the pod.")
    initContainers: list[Container] | None = Field(None, description="Init containers.")
    volumes: list[Volume] | None = Field(None, description="Volumes of the pod.")
    nodeSelector: dict[str, str] | None = Field(None, description="Node label selector.")
    tolerations: list[Toleration] | None = Field(None, description="Tolerations of node taints.")
    restartPolicy: Literal["Always", "OnFailure", "Never"] | None = Field(
        None,
        description="Pod restart policy; the operator derives it from the replica restartPolicy.",
    )
    serviceAccountName: str | None = Field(None, description="Service account the pod runs as.")
    securityContext: dict[str, Any] | None = Field(None, description="Pod-level security context.")
    imagePullSecrets: list[LocalObjectReference] | None = Field(
        None, description="Secrets for pulling the images."
    )


class PodTemplateMetadata(BaseModel):
    """Metadata of the replica pods."""

    model_config = _ALLOW

    labels: dict[str, str] | None = Field(None, description="Labels added to the replica pods.")
    annotations: dict[str, str] | None = Field(
        None, description="Annotations added to the replica pods."
    )


class PodTemplateSpec(BaseModel):
    """Template of the pods of one replica type (core/v1 PodTemplateSpec)."""

    # The schema converter replaces this model's JSON schema with the Kubernetes
    # definition named here (see _Structuralizer), so the CRD describes the full PodSpec.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"x-kfgen-k8s-definition": "io.k8s.api.core.v1.PodTemplateSpec"},
    )

    metadata: PodTemplateMetadata | None = Field(None, description="Labels/annotations of the pods.")
    spec: PodSpec = Field(description="Specification of the replica pods.")


# --------------------------------------------------------------------------------------
# TFJob-specific models (unknown fields forbidden)
# --------------------------------------------------------------------------------------


class SchedulingPolicy(BaseModel):
    """Gang-scheduling options (Volcano / scheduler-plugins)."""

    model_config = _FORBID

    minAvailable: Int32 | None = Field(None, description="Minimum number of pods to gang-schedule.")
    queue: str | None = Field(
        None,
        description="Scheduler queue of the job. Immutable.",
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self == oldSelf",
                    "message": "spec.runPolicy.schedulingPolicy.queue is immutable",
                }
            ]
        },
    )
    minResources: dict[str, Quantity] | None = Field(
        None, description="Minimum resources the gang needs, by resource name."
    )
    priorityClass: str | None = Field(None, description="PriorityClass of the pod group.")
    scheduleTimeoutSeconds: Int32 | None = Field(
        None, description="Seconds to wait for the gang to be scheduled."
    )


class RunPolicy(BaseModel):
    """Runtime policies of the distributed training job (clean-up, deadlines, retries)."""

    model_config = _FORBID

    cleanPodPolicy: Literal["All", "Running", "None"] | None = Field(
        None, description="Which pods to delete when the job finishes (operator default: None)."
    )
    ttlSecondsAfterFinished: Int32 | None = Field(
        None, description="Seconds after completion before the job is deleted; unset means never."
    )
    activeDeadlineSeconds: Int64 | None = Field(
        None, description="Seconds, relative to startTime, the job may stay active."
    )
    backoffLimit: NonNegInt32 | None = Field(
        None, description="Number of retries before the job is marked failed."
    )
    schedulingPolicy: SchedulingPolicy | None = Field(
        None, description="Gang-scheduling options."
    )
    suspend: Annotated[bool, Field(strict=True)] | None = Field(
        None,
        description="Suspend the job: delete its pods and stop creating new ones.",
        # Upstream's CRD defaults this on the server; the pydantic default stays None
        # so rendered output only contains what the user set.
        json_schema_extra={"default": False},
    )
    managedBy: str | None = Field(
        None,
        description=(
            "Controller that manages the job: kubeflow.org/training-operator (default) or "
            "kueue.x-k8s.io/multikueue."
        ),
    )


class ReplicaSpec(BaseModel):
    """Replicas of one type (PS, Worker, ...) and their pod template."""

    model_config = _FORBID

    replicas: NonNegInt32 | None = Field(
        None, description="Number of desired replicas (operator default: 1)."
    )
    restartPolicy: Literal["Always", "OnFailure", "Never", "ExitCode"] | None = Field(
        None,
        description=(
            "Restart policy of the replica pods; ExitCode restarts on retryable exit codes "
            "(operator default: Never)."
        ),
    )
    template: PodTemplateSpec = Field(description="Template of the replica pods.")


_REPLICA_TYPE_RULE = "self.all(k, k in [" + ", ".join(f"'{t}'" for t in REPLICA_TYPES) + "])"


class TFJobSpec(BaseModel):
    """Desired state of a TFJob."""

    model_config = _FORBID

    tfReplicaSpecs: dict[ReplicaType, ReplicaSpec] = Field(
        max_length=len(REPLICA_TYPES),
        description=(
            "Replica specs by replica type (Chief, Master, PS, Worker, Evaluator): "
            "the TensorFlow cluster configuration."
        ),
        # A structural schema cannot use propertyNames; on the server, unknown replica
        # types are refused by this CEL rule (maxProperties bounds its cost).
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": _REPLICA_TYPE_RULE,
                    "message": "replica types must be Chief, Master, PS, Worker or Evaluator",
                }
            ]
        },
    )
    runPolicy: RunPolicy | None = Field(None, description="Runtime policies of the job.")
    successPolicy: Literal["", "AllWorkers"] | None = Field(
        None,
        description=(
            'When the job succeeds: "" (default rules: chief, or worker 0, finished) '
            "or AllWorkers."
        ),
    )
    enableDynamicWorker: Annotated[bool, Field(strict=True)] | None = Field(
        None, description="Enable dynamic workers (elastic training)."
    )


class TFJob(BaseModel):
    """TFJob runs a distributed TensorFlow training job (kubeflow.org/v1)."""

    model_config = _FORBID

    apiVersion: Literal["kubeflow.org/v1"] = Field(
        API_VERSION, description="API version of the object: kubeflow.org/v1."
    )
    kind: Literal["TFJob"] = Field(KIND, description="Kind of the object: TFJob.")
    metadata: ObjectMeta = Field(description="Standard object metadata.")
    spec: TFJobSpec = Field(description="Desired state of the TFJob.")
    status: dict[str, Any] | None = Field(
        None, description="Observed state, written by the operator; kfgen never renders it."
    )


def tfjob_to_dict(model: TFJob) -> dict[str, Any]:
    """Plain-dict (JSON-compatible) form of a TFJob, without unset/None fields."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


# --------------------------------------------------------------------------------------
# Structural OpenAPI schema
# --------------------------------------------------------------------------------------

# Keywords apiextensions.k8s.io/v1 JSONSchemaProps knows (the ones we may emit).
_CRD_KEYWORDS = frozenset(
    {
        "type", "format", "description", "properties", "items", "additionalProperties",
        "required", "enum", "default", "minimum", "maximum", "minLength", "maxLength",
        "pattern", "minItems", "maxItems", "minProperties", "maxProperties", "multipleOf",
        "anyOf", "example",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
        "x-kubernetes-embedded-resource", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations",
    }
)
# Keywords that are dropped silently: annotations for humans or for other tools
# (strategic-merge-patch hints and union discriminators are not CRD schema fields).
_DROPPED_KEYWORDS = frozenset(
    {
        "title", "$schema", "$id", "examples",
        "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-unions",
        "x-kfgen-k8s-definition",
    }
)

_INT_OR_STRING = {
    "x-kubernetes-int-or-string": True,
    "anyOf": [{"type": "integer"}, {"type": "string"}],
}

# Embedded ObjectMeta (pod template metadata, PVC templates): the subset the API
# server honours there, the same one controller-gen emits.
_EMBEDDED_OBJECT_META = {
    "type": "object",
    "properties": {
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "name": {"type": "string"},
        "namespace": {"type": "string"},
    },
}

# Kubernetes definitions replaced wholesale during conversion.
_K8S_OVERRIDES: dict[str, dict[str, Any]] = {
    # oneOf [string, number] in the JSON schema set; the CRD form is int-or-string.
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {**_INT_OR_STRING, "pattern": QUANTITY_PATTERN},
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _INT_OR_STRING,
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": _EMBEDDED_OBJECT_META,
}

# Server-side defaults the JSON schema set omits but apiextensions needs: every
# x-kubernetes-list-map-keys entry must be required or defaulted. Values as in the
# Kubernetes OpenAPI spec (and upstream's controller-gen output).
_K8S_DEFAULTS: dict[str, dict[str, Any]] = {
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.LocalObjectReference": {"name": ""},
}


def _load_k8s_definitions() -> tuple[dict[str, Any], dict[str, Any]]:
    """(PodTemplateSpec root schema, $defs) from the kubernetes-validate package data."""
    import importlib.resources
    import json

    base = (
        importlib.resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{K8S_SCHEMA_VERSION}-local"
    )
    try:
        root = json.loads((base / "podtemplatespec-v1.json").read_text(encoding="utf-8"))
        defs = json.loads((base / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
    except FileNotFoundError as exc:  # pragma: no cover - depends on the installed package
        raise RuntimeError(
            f"kubernetes-validate does not ship the v{K8S_SCHEMA_VERSION} schemas "
            f"(kfgen pins kubernetes-validate=={K8S_SCHEMA_VERSION}): {exc}"
        ) from exc
    return root, defs


class _Structuralizer:
    """Turns a JSON schema (pydantic's or Kubernetes') into a structural OpenAPI v3 schema.

    Rules applied to every node:
      * ``$ref`` is inlined (sibling keywords such as ``description`` win); a definition
        that refers back to itself is cut to ``type: object`` preserving unknown fields;
      * ``type: [X, "null"]`` -> ``type: X`` and ``anyOf/oneOf [X, null]`` -> ``X``;
      * integer-or-string unions -> ``x-kubernetes-int-or-string: true``;
      * ``const`` -> one-value ``enum``; ``title``, ``None`` defaults and keywords that
        are not CRD schema fields (strategic-merge hints, unions) are dropped;
      * ``additionalProperties: true`` is dropped (alone, it becomes
        ``x-kubernetes-preserve-unknown-fields: true``); ``additionalProperties: false``
        and ``propertyNames`` are kept only in strict mode (not structural, but
        jsonschema understands them). In pydantic's schema ``false`` comes exactly from
        the extra="forbid" models, so strictness stays on the TFJob-specific objects;
      * an ``object`` with neither properties nor additionalProperties preserves
        unknown fields (otherwise the server would prune all of its content);
      * list-map keys that are neither required nor defaulted get Kubernetes' default
        (see ``_K8S_DEFAULTS``), else the list is downgraded to atomic.
    Kubernetes definitions lose their descriptions (they would triple the CRD size);
    kfgen's own descriptions are kept for ``kubectl explain``.
    """

    def __init__(self, defs: dict[str, Any], *, strict: bool) -> None:
        self.defs = defs
        self.strict = strict

    def convert(self, node: dict[str, Any], stack: tuple[str, ...] = (), k8s: bool = False) -> dict:
        node = dict(node)

        # kfgen models standing for a Kubernetes type are replaced by its definition.
        k8s_name = node.pop("x-kfgen-k8s-definition", None)
        if k8s_name is not None:
            description = node.get("description")
            node = {"$ref": f"#/$defs/{k8s_name}"}
            if description:
                node["description"] = description

        if "$ref" in node:
            return self._inline(node, stack, k8s)

        for union in ("anyOf", "oneOf"):
            if union in node:
                return self._union(node, union, stack, k8s)

        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "type":
                out["type"] = self._type(value)
            elif key == "const":
                out["enum"] = [value]
            elif key == "default":
                if value is not None:
                    out["default"] = copy.deepcopy(value)
            elif key == "description":
                if not k8s:
                    out["description"] = value
            elif key == "properties":
                out["properties"] = {
                    name: self.convert(sub, stack, k8s) for name, sub in value.items()
                }
            elif key == "items":
                out["items"] = self.convert(value, stack, k8s)
            elif key == "additionalProperties":
                if isinstance(value, dict):
                    out["additionalProperties"] = self.convert(value, stack, k8s)
                elif value is False and self.strict:
                    out["additionalProperties"] = False
                elif value is True and "properties" not in node:
                    out["x-kubernetes-preserve-unknown-fields"] = True
            elif key == "propertyNames":
                if self.strict:
                    out["propertyNames"] = copy.deepcopy(value)
            elif key in _CRD_KEYWORDS:
                out[key] = copy.deepcopy(value)
            elif key in _DROPPED_KEYWORDS or key.startswith("x-"):
                continue
            else:
                raise ValueError(f"unsupported JSON schema keyword {key!r} in {stack or 'root'}")

        # An object without properties/additionalProperties would have every field pruned.
        if out.get("type") == "object" and not (
            {"properties", "additionalProperties", "x-kubernetes-preserve-unknown-fields"} & out.keys()
        ):
            out["x-kubernetes-preserve-unknown-fields"] = True
        if out.get("x-kubernetes-list-type") == "map":
            self._check_list_map(out)
        return out

    @staticmethod
    def _type(value: Any) -> str:
        if isinstance(value, list):
            types = [t for t in value if t != "null"]
            if len(types) != 1:
                raise ValueError(f"unsupported multi-type {value!r}")
            return types[0]
        return value

    def _inline(self, node: dict[str, Any], stack: tuple[str, ...], k8s: bool) -> dict:
        name = node["$ref"].rsplit("/", 1)[-1]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        in_k8s = k8s or name.startswith("io.k8s.")
        if name in _K8S_OVERRIDES:
            target = copy.deepcopy(_K8S_OVERRIDES[name])
        elif name in stack:
            # Recursive definition (none in PodSpec today, but guard anyway).
            target = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        else:
            definition = self.defs.get(name)
            if definition is None:
                raise KeyError(f"unresolved $ref {node['$ref']!r}")
            target = self.convert(definition, stack + (name,), in_k8s)
            for prop, default in _K8S_DEFAULTS.get(name, {}).items():
                target["properties"][prop].setdefault("default", default)
        if siblings:
            target.update(self.convert(siblings, stack, k8s))
        return target

    def _union(self, node: dict[str, Any], union: str, stack: tuple[str, ...], k8s: bool) -> dict:
        members = [m for m in node[union] if m.get("type") not in ("null", ["null"])]
        rest = {k: v for k, v in node.items() if k != union}
        converted = [self.convert(m, stack, k8s) for m in members]
        types = sorted(m.get("type", "") for m in converted)
        if len(converted) == 1:
            out = converted[0]
        elif types == ["integer", "string"]:
            out = copy.deepcopy(_INT_OR_STRING)
            # Keep string-only constraints (a quantity pattern) at the node level,
            # which is where the int-or-string form allows them.
            for member in converted:
                out.update({k: v for k, v in member.items() if k != "type"})
        else:
            raise ValueError(f"unsupported {union} at {stack or 'root'}: {node[union]!r}")
        if rest:
            out.update(self.convert(rest, stack, k8s))
        return out

    @staticmethod
    def _check_list_map(out: dict[str, Any]) -> None:
        """apiextensions requires list-map keys to be required or defaulted; a list whose
        keys are neither (a future Kubernetes schema) is downgraded to an atomic list
        rather than producing a CRD the API server refuses."""
        items = out.get("items", {})
        required = set(items.get("required", ()))
        props = items.get("properties", {})
        keys = out.get("x-kubernetes-list-map-keys", ())
        if not keys or any(k not in required and "default" not in props.get(k, {}) for k in keys):
            out.pop("x-kubernetes-list-map-keys", None)
            out["x-kubernetes-list-type"] = "atomic"


@functools.lru_cache(maxsize=2)
def _schema(strict: bool) -> dict[str, Any]:
    """Build the (cached, never mutated) schema; callers get deep copies."""
    pod_root, k8s_defs = _load_k8s_definitions()
    model_schema = TFJob.model_json_schema()
    model_defs = model_schema.pop("$defs", {})
    clash = model_defs.keys() & k8s_defs.keys()
    if clash:
        raise RuntimeError(f"definition name clash: {sorted(clash)}")
    defs = {**k8s_defs, **model_defs}
    # Resolve the PodTemplateSpec through the per-kind file's refs (the entry point
    # kubernetes-validate uses); both ref styles end in "#/$defs/<name>".
    defs["io.k8s.api.core.v1.PodTemplateSpec"] = pod_root

    schema = _Structuralizer(defs, strict=strict).convert(model_schema)
    props = schema["properties"]
    # `status` (dict[str, Any]) has become `type: object` preserving unknown fields.
    if strict:
        # Declare the draft: kubeconform assumes draft 4 otherwise, which ignores
        # propertyNames (the replica type check).
        schema = {"$schema": "http://json-schema.org/draft-07/schema#", **schema}
        schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    else:
        # Root rules of structural schemas: metadata may only be `type: object`, and
        # apiVersion/kind are plain strings (the server sets/validates them itself).
        props["metadata"] = {"type": "object"}
        for key in ("apiVersion", "kind"):
            props[key] = {"description": props[key]["description"], "type": "string"}
        schema.pop("required", None)
    return schema


def tfjob_openapi_schema() -> dict[str, Any]:
    """Structural OpenAPI v3 schema of TFJob for the CRD (a fresh deep copy per call)."""
    return copy.deepcopy(_schema(False))


def tfjob_validation_schema() -> dict[str, Any]:
    """Strict JSON schema of a TFJob for offline validation (jsonschema, kubeconform).

    Same as :func:`tfjob_openapi_schema`, plus: unknown fields are refused in the
    TFJob-specific objects (root, spec, replica specs, runPolicy, schedulingPolicy),
    replica types are restricted with ``propertyNames``, apiVersion/kind are enums and
    metadata is typed. The pod template keeps Kubernetes' open semantics.
    """
    return copy.deepcopy(_schema(True))


def tfjob_crd(labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``tfjobs.kubeflow.org`` CustomResourceDefinition (apiextensions.k8s.io/v1)."""
    metadata: dict[str, Any] = {"name": f"tfjobs.{API_GROUP}"}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": metadata,
        "spec": {
            "group": API_GROUP,
            "names": {
                "kind": KIND,
                "listKind": f"{KIND}List",
                "plural": "tfjobs",
                "singular": "tfjob",
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "additionalPrinterColumns": [
                        {"name": "State", "type": "string", "jsonPath": ".status.conditions[-1:].type"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": tfjob_openapi_schema()},
                }
            ],
        },
    }
