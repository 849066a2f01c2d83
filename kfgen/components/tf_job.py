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

* The container is built by :func:`kfgen.k8s.container`, so privilege escalation is off.

The building blocks are shared: tf-cnn builds its job with :func:`tfjob`; tf-serving uses
:class:`Resources` (quantity-validated requests/limits).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .. import k8s
from ..prototype import Params, Prototype, RenderContext, Rendered

API_VERSION = "kubeflow.org/v1"
KIND = "TFJob"
CONTAINER = "tensorflow"  # the container name the training operator looks for
GPU = "nvidia.com/gpu"

ReplicaType = Literal["Chief", "PS", "Worker"]
REPLICA_ORDER: tuple[ReplicaType, ...] = ("Chief", "PS", "Worker")

# Shared value types ---------------------------------------------------------------------------

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
        """The container's ``resources`` (empty when nothing is set), plus *gpus* GPU limits."""
        limits = dict(self.limits)
        if gpus:
            limits[GPU] = gpus
        out: dict[str, Any] = {}
        if limits:
            out["limits"] = dict(sorted(limits.items()))
        if self.requests:
            out["requests"] = dict(sorted(self.requests.items()))
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


class RunPolicy(Spec):
    """Job-level run policy of the training operator (TFJob spec.runPolicy)."""

    cleanPodPolicy: Annotated[Literal["All", "Running", "None"] | None, Field(
        description="Which pods to delete when the job finishes: All, Running, or None.")] = None
    backoffLimit: Annotated[int | None, Field(ge=0, le=2**31 - 1,
                                              description="Retries before the job is marked failed.")] = None
    ttlSecondsAfterFinished: Annotated[int | None, Field(
        ge=0, le=2**31 - 1, description="Delete the job this many seconds after it finishes; unset keeps it.")] = None
    activeDeadlineSeconds: Annotated[int | None, Field(
        ge=1, description="Seconds the job may stay active (from its start) before it is terminated.")] = None

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
        pattern=r"^/", description="Working directory of the training container.")] = None
    num_masters: Annotated[int, Field(
        ge=0, le=1, description="Chief replicas (ksonnet's MASTER): 0 or 1. With 0, worker 0 is the chief.")] = 1
    num_ps: Annotated[int, Field(ge=0, description="Parameter-server (PS) replicas.")] = 0
    num_workers: Annotated[int, Field(ge=0, description="Worker replicas.")] = 0
    num_gpus: Annotated[int, Field(
        ge=0, description="nvidia.com/gpu limit of each Worker replica (workers only, as ksonnet).")] = 0
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
        paths = [m.mountPath for m in value]
        dupes = sorted({p for p in paths if paths.count(p) > 1})
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
