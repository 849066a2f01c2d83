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

The building blocks are shared: tf-cnn builds its job with :func:`tfjob`; tf-serving uses
:class:`Resources` (quantity-validated requests/limits).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered
from kfgen.prototypes.params import (
    ABSOLUTE_PATH,
    ENV_NAME,
    GPU,
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

API_VERSION = "kubeflow.org/v1"
KIND = "TFJob"
CONTAINER = "tensorflow"  # the container name the training operator looks for

ReplicaType = Literal["Chief", "PS", "Worker"]
REPLICA_ORDER: tuple[ReplicaType, ...] = ("Chief", "PS", "Worker")

class RunPolicy(Spec):
    """Job-level run policy of the training operator (TFJob spec.runPolicy)."""

    cleanPodPolicy: Annotated[Literal["All", "Running", "None"] | None, Field(
        description="Which pods to delete when the job finishes: All, Running, or None.")] = None
    backoffLimit: Annotated[int | None, Field(ge=0, le=INT32_MAX,
                                              description="Retries before the job is marked failed.")] = None
    ttlSecondsAfterFinished: Annotated[int | None, Field(
        ge=0, le=INT32_MAX, description="Delete the job this many seconds after it finishes; unset keeps it.")] = None
    # int64 in the CRD; 2^31-1 seconds (68 years) is bound enough
    activeDeadlineSeconds: Annotated[int | None, Field(
        ge=1, le=INT32_MAX, description="Seconds the job may stay active (from its start) before it is terminated.")] = None

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


# Params ---------------------------------------------------------------------------------------


class TfJobParams(Params):
    """Parameters of tf-job (ksonnet's io.ksonnet.pkg.tf-job, plus what jobs need today)."""

    image: Annotated[str, Field(
        pattern=IMAGE, description="Image of every replica (and of GPU workers when image_gpu is unset). "
                                   "Required: pin a tag or digest.")]
    image_gpu: Annotated[str | None, Field(
        pattern=IMAGE, description="Image of Worker replicas when num_gpus > 0; unset: they run image.")] = None
    args: Annotated[str | list[str], Field(
        description="Arguments of the training container: a comma-separated string (ksonnet's form; "
                    "items are stripped, empty items dropped) or a list (kept verbatim).")] = []
    command: Annotated[list[str] | None, Field(
        min_length=1, description="Entrypoint of the training container; unset: the image's.")] = None
    workingDir: Annotated[str | None, Field(
        pattern=ABSOLUTE_PATH, description="Working directory of the training container.")] = None
    num_masters: Annotated[int, Field(
        ge=0, le=1, description="Chief replicas (ksonnet's MASTER): 0 or 1. With 0, worker 0 is the chief.")] = 1
    num_ps: Annotated[int, Field(ge=0, le=INT32_MAX, description="Parameter-server (PS) replicas.")] = 0
    num_workers: Annotated[int, Field(ge=0, le=INT32_MAX, description="Worker replicas.")] = 0
    num_gpus: Annotated[int, Field(
        ge=0, le=INT32_MAX, description="nvidia.com/gpu limit of each Worker replica (workers only, as ksonnet).")] = 0
    resources: Annotated[dict[ReplicaType, Resources], Field(
        description="Resources per replica type (Chief, PS, Worker). Worker GPUs come from num_gpus; "
                    "Chief and PS may set limits.nvidia.com/gpu here.")] = {}
    restartPolicy: Annotated[Literal["Always", "OnFailure", "Never", "ExitCode"], Field(
        description="Restart policy of every replica; ExitCode restarts on retryable exit codes only.")] = "OnFailure"
    runPolicy: Annotated[RunPolicy, Field(
        default_factory=RunPolicy, description="Clean-up, retries, deadline and TTL of the job.")]
    env: Annotated[dict[Annotated[str, Field(pattern=ENV_NAME)], str], Field(
        description="Environment of the training container, name -> value (rendered sorted by name). "
                    "TF_CONFIG is set by the operator.")] = {}
    volumes: Annotated[list[ClaimMount], Field(
        description="PersistentVolumeClaims to mount into every replica.")] = []
    nodeSelector: Annotated[dict[Annotated[str, Field(pattern=QUALIFIED_NAME)], str], Field(
        description="Node labels every replica pod must match.")] = {}
    tolerations: Annotated[list[Toleration], Field(
        description="Tolerations of every replica pod. Unset and num_gpus > 0: workers tolerate the "
                    "nvidia.com/gpu NoSchedule taint.")] = []

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
        if worker is not None and GPU in worker.limits:
            raise ValueError(f"resources.Worker.limits.{GPU}: set Worker GPUs with num_gpus")
        return self

    def replica_counts(self) -> dict[ReplicaType, int]:
        return {"Chief": self.num_masters, "PS": self.num_ps, "Worker": self.num_workers}


# Rendering ------------------------------------------------------------------------------------


def _replica_spec(p: TfJobParams, rtype: ReplicaType, replicas: int) -> dict[str, Any]:
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
    return {"replicas": replicas, "restartPolicy": p.restartPolicy, "template": {"spec": pod}}


def tfjob(ctx: RenderContext, p: TfJobParams) -> dict[str, Any]:
    """The TFJob object for *p*: replica types with 0 replicas left out."""
    counts = p.replica_counts()
    spec: dict[str, Any] = {"tfReplicaSpecs": {
        rtype: _replica_spec(p, rtype, counts[rtype]) for rtype in REPLICA_ORDER if counts[rtype]}}
    run_policy = p.runPolicy.render()
    if run_policy:
        spec["runPolicy"] = run_policy
    return k8s.obj(API_VERSION, KIND, ctx.instance, ctx.namespace, spec=spec)


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
