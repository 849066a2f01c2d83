"""tf-job: one distributed TensorFlow training job, as a ``kubeflow.org/v1`` TFJob.

Replaces ksonnet's ``io.ksonnet.pkg.tf-job`` (kubeflow v0.1.0), keeping its parameter names and
meaning: ``num_masters`` / ``num_ps`` / ``num_workers`` replicas of one image running ``args``;
``num_gpus`` GPUs on each WORKER (and only there), which then runs ``image_gpu``. Replica types with
0 replicas are left out.

Decisions, and what changed from ksonnet:

* ``image`` is required. ksonnet's default (``gcr.io/tf-on-k8s-dogfood/tf_sample``) no longer
  exists, and a generic TensorFlow image runs nothing without a command: a job has no sensible
  default program.
* ``image_gpu`` is optional: unset, GPU workers run ``image`` (ksonnet rendered the literal string
  ``"null"`` as the worker image instead).
* Masters render as replica type ``Chief``. The v1 operator accepts ``Master`` only for backwards
  compatibility, and it writes the lower-cased replica type into ``TF_CONFIG``: TensorFlow 2's
  distribution strategies know the ``chief`` task type, not ``master``. ``num_masters`` is 0 or 1
  (TensorFlow allows one chief). With no chief, worker 0 acts as chief (the v1 default that
  replaces ksonnet's ``terminationPolicy``).
* ``args`` takes a comma-separated string (ksonnet's form; items are stripped, empty items dropped)
  or a real list, kept verbatim (the way to pass an argument that contains a comma).
* ``restartPolicy`` is set on each replica spec, where v1 reads it (the operator derives the pod's
  policy from it; ``ExitCode`` is only valid there).
* GPU workers get the ``nvidia.com/gpu`` ``NoSchedule`` toleration (operator ``Exists``) that GPU
  node pools are commonly tainted with, unless ``tolerations`` is given: then those are used as
  written, on every replica.
* ``env``, ``volumes``, ``nodeSelector``, ``tolerations``, ``workingDir`` and ``command`` apply to
  every replica type; ``resources`` is per replica type.

* The container is built by :func:`kfgen.kube.objects.container`, so privilege escalation is off.
* The job is built as kfgen's TFJob model (:class:`kfgen.kube.tfjob.model.TFJob`), the model the
  ``tfjobs.kubeflow.org`` CRD's schema is derived from.

The building blocks are shared: tf-cnn builds its job with :func:`tfjob`; tf-serving uses
:class:`kfgen.prototypes.params.Resources` (quantity-validated requests/limits) too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from kfgen.kube import objects as k8s
from kfgen.kube.constants import GPU_RESOURCE, TFJOB_REPLICA_TYPES
from kfgen.kube.tfjob import model as api
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered
from kfgen.prototypes.params import (
    ABSOLUTE_PATH,
    ENV_NAME,
    GPU_TOLERATION,
    IMAGE,
    INT32_MAX,
    QUALIFIED_NAME,
    ClaimMount,
    Resources,
    Spec,
    Toleration,
    claim_volumes,
    repeated,
)

CONTAINER = "tensorflow"  # the container name the training operator looks for

#: The replica types tf-job renders, a subset of TFJOB_REPLICA_TYPES: masters render as Chief, and
#: there is no Evaluator. Rendered in the order of TFJOB_REPLICA_TYPES.
TfJobReplicaType = Literal["Chief", "PS", "Worker"]
EnvName = Annotated[str, Field(pattern=ENV_NAME)]
LabelKey = Annotated[str, Field(pattern=QUALIFIED_NAME)]


# The part of the TFJob's kfgen.kube.tfjob.model.RunPolicy that tf-job users set, bounded as the API server bounds
# it (int32; int64 for the deadline, where 2^31-1 seconds, 68 years, is bound enough). Its own class, because it is
# a parameter: the bounds, its descriptions and its name are in schemas/profile.schema.json (the model's RunPolicy
# stays as upstream's CRD has it). The renderer turns it into the model's RunPolicy (to_api), which refuses any
# field the API does not have.
class RunPolicy(Spec):
    """Job-level run policy of the training operator (TFJob spec.runPolicy)."""

    cleanPodPolicy: api.CleanPodPolicy | None = Field(
        None, description="Which pods to delete when the job finishes: All, Running, or None.")
    backoffLimit: int | None = Field(
        None, ge=0, le=INT32_MAX, description="Retries before the job is marked failed.")
    ttlSecondsAfterFinished: int | None = Field(
        None, ge=0, le=INT32_MAX, description="Delete the job this many seconds after it finishes; unset keeps it.")
    activeDeadlineSeconds: int | None = Field(
        None, ge=1, le=INT32_MAX,
        description="Seconds the job may stay active (from its start) before it is terminated.")

    def to_api(self) -> api.RunPolicy | None:
        """The TFJob's runPolicy, or None when nothing is set."""
        fields = self.model_dump(exclude_none=True)
        return api.RunPolicy(**fields) if fields else None


# Params ---------------------------------------------------------------------------------------


class TfJobParams(Params):
    """Parameters of tf-job (ksonnet's io.ksonnet.pkg.tf-job, plus what jobs need today)."""

    image: str = Field(
        pattern=IMAGE, description="Image of every replica (and of GPU workers when image_gpu is unset). "
                                   "Required: pin a tag or digest.")
    image_gpu: str | None = Field(
        None, pattern=IMAGE, description="Image of Worker replicas when num_gpus > 0; unset: they run image.")
    args: str | list[str] = Field(
        [], description="Arguments of the training container: a comma-separated string (ksonnet's form; "
                        "items are stripped, empty items dropped) or a list (kept verbatim).")
    command: list[str] | None = Field(
        None, min_length=1, description="Entrypoint of the training container; unset: the image's.")
    workingDir: str | None = Field(
        None, pattern=ABSOLUTE_PATH, description="Working directory of the training container.")
    num_masters: int = Field(
        1, ge=0, le=1, description="Chief replicas (ksonnet's MASTER): 0 or 1. With 0, worker 0 is the chief.")
    num_ps: int = Field(0, ge=0, le=INT32_MAX, description="Parameter-server (PS) replicas.")
    num_workers: int = Field(0, ge=0, le=INT32_MAX, description="Worker replicas.")
    num_gpus: int = Field(
        0, ge=0, le=INT32_MAX,
        description="nvidia.com/gpu limit of each Worker replica (workers only, as ksonnet).")
    resources: dict[TfJobReplicaType, Resources] = Field(
        {}, description="Resources per replica type (Chief, PS, Worker). Worker GPUs come from num_gpus; "
                        "Chief and PS may set limits.nvidia.com/gpu here.")
    restartPolicy: api.ReplicaRestartPolicy = Field(
        "OnFailure",
        description="Restart policy of every replica; ExitCode restarts on retryable exit codes only.")
    runPolicy: RunPolicy = Field(
        default_factory=RunPolicy, description="Clean-up, retries, deadline and TTL of the job.")
    env: dict[EnvName, str] = Field(
        {}, description="Environment of the training container, name -> value (rendered sorted by name). "
                        "TF_CONFIG is set by the operator.")
    volumes: list[ClaimMount] = Field([], description="PersistentVolumeClaims to mount into every replica.")
    nodeSelector: dict[LabelKey, str] = Field({}, description="Node labels every replica pod must match.")
    tolerations: list[Toleration] = Field(
        [], description="Tolerations of every replica pod. Unset and num_gpus > 0: workers tolerate the "
                        "nvidia.com/gpu NoSchedule taint.")

    @field_validator("args", mode="after")
    @classmethod
    def _args_list(cls, value: str | list[str]) -> list[str]:
        if isinstance(value, str):
            return [a.strip() for a in value.split(",") if a.strip()]
        return list(value)

    @field_validator("env", mode="after")
    @classmethod
    def _no_tf_config(cls, value: dict[str, str]) -> dict[str, str]:
        if "TF_CONFIG" in value:
            raise ValueError("TF_CONFIG is written by the training operator (the cluster spec of the job); "
                             "do not set it")
        return value

    @field_validator("volumes", mode="after")
    @classmethod
    def _unique_mounts(cls, value: list[ClaimMount]) -> list[ClaimMount]:
        dupes = repeated([m.mountPath for m in value])
        if dupes:
            raise ValueError(f"two volumes mount at the same path: {', '.join(dupes)}")
        return value

    @model_validator(mode="after")
    def _replicas(self) -> TfJobParams:
        counts = self.replica_counts()
        if not any(counts.values()):
            raise ValueError("the job has no replicas: num_masters, num_ps and num_workers are all 0; "
                             "set num_workers (or num_masters) to at least 1")
        if self.num_gpus and not self.num_workers:
            raise ValueError("num_gpus goes to Worker replicas, and num_workers is 0; set num_workers")
        for rtype in sorted(self.resources):
            if not counts[rtype]:
                raise ValueError(f"resources.{rtype} is set, but the job has no {rtype} replicas")
        worker = self.resources.get("Worker")
        if worker is not None and GPU_RESOURCE in worker.limits:
            raise ValueError(f"resources.Worker.limits.{GPU_RESOURCE}: set Worker GPUs with num_gpus")
        return self

    def replica_counts(self) -> dict[TfJobReplicaType, int]:
        return {"Chief": self.num_masters, "PS": self.num_ps, "Worker": self.num_workers}


# Rendering ------------------------------------------------------------------------------------


def _replica_spec(p: TfJobParams, rtype: TfJobReplicaType, replicas: int) -> api.ReplicaSpec:
    gpus = p.num_gpus if rtype == "Worker" else 0
    volumes, mounts = claim_volumes(p.volumes)
    container = k8s.container(
        CONTAINER, (p.image_gpu or p.image) if gpus else p.image,
        command=p.command, args=p.args or None, working_dir=p.workingDir,
        env=[k8s.env_var(k, v) for k, v in sorted(p.env.items())],
        volume_mounts=mounts,
        resources=p.resources.get(rtype, Resources()).render(gpus) or None)
    pod: dict[str, Any] = {"containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    if p.nodeSelector:
        pod["nodeSelector"] = dict(sorted(p.nodeSelector.items()))
    tolerations = list(p.tolerations) or ([GPU_TOLERATION] if gpus else [])
    if tolerations:
        pod["tolerations"] = [t.render() for t in tolerations]
    return api.ReplicaSpec(replicas=replicas, restartPolicy=p.restartPolicy, template=api.PodTemplateSpec(spec=pod))


def tfjob(ctx: RenderContext, p: TfJobParams) -> dict[str, Any]:
    """The TFJob object for *p*, built as kfgen's TFJob model: replica types with 0 replicas left out."""
    counts: dict[str, int] = dict(p.replica_counts())
    job = api.TFJob(
        metadata=api.ObjectMeta(name=ctx.instance, namespace=ctx.namespace or None),
        spec=api.TFJobSpec(
            tfReplicaSpecs={rtype: _replica_spec(p, rtype, counts[rtype])
                            for rtype in TFJOB_REPLICA_TYPES if counts.get(rtype)},
            runPolicy=p.runPolicy.to_api()))
    return api.tfjob_to_dict(job)


def render(ctx: RenderContext, params: TfJobParams) -> Rendered:
    warnings = []
    if params.image_gpu is not None and not params.num_gpus:
        warnings.append("image_gpu is not used: num_gpus is 0, so every replica runs image")
    return Rendered([tfjob(ctx, params)], warnings)


PROTOTYPE = Prototype(
    name="tf-job",
    summary="A distributed TensorFlow training job (kubeflow.org/v1 TFJob: Chief, PS and Worker replicas).",
    params=TfJobParams,
    render=render,
    ksonnet="io.ksonnet.pkg.tf-job",
)
