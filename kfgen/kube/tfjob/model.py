"""kfgen's typed model of the Kubeflow TFJob ``kubeflow.org/v1`` API: the one TFJob of kfgen.

The tf-job prototype builds its jobs as :class:`TFJob` objects (:func:`kfgen.prototypes.tf_job.tfjob`)
and the CRD's schema is derived from these same classes (:mod:`kfgen.kube.tfjob.crd`), so what kfgen
renders and what its CRD describes cannot drift apart.

The TFJob-specific objects (``TFJob``, ``TFJobSpec``, ``ReplicaSpec``, ``RunPolicy``,
``SchedulingPolicy``) forbid unknown fields and coerce nothing, so a typo or a string where a number
belongs is caught before anything reaches a cluster. The pod template is Kubernetes' own
``PodTemplateSpec``: kfgen does not re-type it. The model keeps it as the mapping the renderer built
(with :mod:`kfgen.kube.objects`), and both schemas describe it with the Kubernetes definition that
:mod:`kfgen.kube.tfjob.structural` substitutes for :class:`PodTemplateSpec`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kfgen.kube.constants import TFJOB_API_VERSION, TFJOB_KIND, TFJOB_REPLICA_TYPES
from kfgen.kube.quantity import QUANTITY_PATTERN
from kfgen.kube.tfjob.structural import K8S_DEFINITION

__all__ = [
    "CleanPodPolicy",
    "ObjectMeta",
    "PodTemplateSpec",
    "ReplicaRestartPolicy",
    "ReplicaSpec",
    "ReplicaType",
    "RunPolicy",
    "SchedulingPolicy",
    "TFJob",
    "TFJobSpec",
    "tfjob_to_dict",
]

# --------------------------------------------------------------------------------------
# Reusable field types
# --------------------------------------------------------------------------------------

# The replica types of the v1 API (the keys of spec.tfReplicaSpecs).
ReplicaType = Literal[TFJOB_REPLICA_TYPES]  # Literal[tuple] is Literal of its items

# TFJob-specific integers are strict: "2" (a string) is refused exactly like the
# schema refuses it, instead of being silently coerced by pydantic.
Int32 = Annotated[int, Field(strict=True, json_schema_extra={"format": "int32"})]
Int64 = Annotated[int, Field(strict=True, json_schema_extra={"format": "int64"})]
NonNegInt32 = Annotated[int, Field(strict=True, ge=0, json_schema_extra={"format": "int32"})]
StrictBool = Annotated[bool, Field(strict=True)]

# A Kubernetes quantity ("500m", "4Gi", 2). Floats are refused on purpose: the CRD
# schema (ours and upstream's) only admits integer-or-string there.
Quantity = Annotated[int, Field(strict=True)] | Annotated[
    str, Field(strict=True, pattern=QUANTITY_PATTERN)
]

#: Which pods the operator deletes when a job finishes (tf-job's runPolicy parameter uses it too).
CleanPodPolicy = Literal["All", "Running", "None"]
#: Restart policy of a replica type's pods (tf-job's restartPolicy parameter uses it too).
ReplicaRestartPolicy = Literal["Always", "OnFailure", "Never", "ExitCode"]

_FORBID = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------
# Object metadata and pod template
# --------------------------------------------------------------------------------------


class ObjectMeta(BaseModel):
    """Standard Kubernetes object metadata (the subset kfgen renders; other ObjectMeta
    fields are accepted and passed through)."""

    model_config = ConfigDict(extra="allow")

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


class PodTemplateSpec(BaseModel):
    """Template of the pods of one replica type (core/v1 PodTemplateSpec)."""

    # The schema converter replaces this model's JSON schema with the Kubernetes
    # definition named here, so the CRD describes the full PodTemplateSpec; the content
    # is Kubernetes' business (validated by those schemas), not re-typed by kfgen.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={K8S_DEFINITION: "io.k8s.api.core.v1.PodTemplateSpec"},
    )

    metadata: dict[str, Any] | None = Field(
        None, description="Labels/annotations of the pods (embedded ObjectMeta)."
    )
    spec: dict[str, Any] = Field(description="Specification of the replica pods (core/v1 PodSpec).")


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

    cleanPodPolicy: CleanPodPolicy | None = Field(
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
    suspend: StrictBool | None = Field(
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
    restartPolicy: ReplicaRestartPolicy | None = Field(
        None,
        description=(
            "Restart policy of the replica pods; ExitCode restarts on retryable exit codes "
            "(operator default: Never)."
        ),
    )
    template: PodTemplateSpec = Field(description="Template of the replica pods.")


_REPLICA_TYPE_RULE = "self.all(k, k in [" + ", ".join(f"'{t}'" for t in TFJOB_REPLICA_TYPES) + "])"
_REPLICA_TYPE_WORDS = ", ".join(TFJOB_REPLICA_TYPES[:-1]) + " or " + TFJOB_REPLICA_TYPES[-1]


class TFJobSpec(BaseModel):
    """Desired state of a TFJob."""

    model_config = _FORBID

    tfReplicaSpecs: dict[ReplicaType, ReplicaSpec] = Field(
        max_length=len(TFJOB_REPLICA_TYPES),
        description=(
            f"Replica specs by replica type ({', '.join(TFJOB_REPLICA_TYPES)}): "
            "the TensorFlow cluster configuration."
        ),
        # A structural schema cannot use propertyNames; on the server, unknown replica
        # types are refused by this CEL rule (maxProperties bounds its cost).
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": _REPLICA_TYPE_RULE,
                    "message": f"replica types must be {_REPLICA_TYPE_WORDS}",
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
    enableDynamicWorker: StrictBool | None = Field(
        None, description="Enable dynamic workers (elastic training)."
    )


class TFJob(BaseModel):
    """TFJob runs a distributed TensorFlow training job (kubeflow.org/v1)."""

    model_config = _FORBID

    apiVersion: Literal[TFJOB_API_VERSION] = Field(
        TFJOB_API_VERSION, description=f"API version of the object: {TFJOB_API_VERSION}."
    )
    kind: Literal[TFJOB_KIND] = Field(
        TFJOB_KIND, description=f"Kind of the object: {TFJOB_KIND}."
    )
    metadata: ObjectMeta = Field(description="Standard object metadata.")
    spec: TFJobSpec = Field(description="Desired state of the TFJob.")
    status: dict[str, Any] | None = Field(
        None, description="Observed state, written by the operator; kfgen never renders it."
    )


def tfjob_to_dict(model: TFJob) -> dict[str, Any]:
    """Plain-dict (JSON-compatible) form of a TFJob, without unset/None fields."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)
