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
* Masters render as replica type ``Chief`` (``num_evaluators``: one ``Evaluator``). The v1 operator accepts
  ``Master`` only for backwards
  compatibility, and it writes the lower-cased replica type into ``TF_CONFIG``: TensorFlow 2's
  distribution strategies know the ``chief`` task type, not ``master``. ``num_masters`` is 0 or 1
  (TensorFlow allows one chief). With no chief, worker 0 acts as chief (the v1 default that
  replaces ksonnet's ``terminationPolicy``).
* ``args`` takes a comma-separated string (ksonnet's form; items are stripped, empty items dropped)
  or a real list, kept verbatim (the way to pass an argument that contains a comma).
* ``restartPolicy`` is set on each replica spec, where v1 reads it (the operator derives the pod's
  policy from it; ``ExitCode`` is only valid there).
* Replicas with GPUs (of ``gpuResource``, default ``nvidia.com/gpu``) get that resource's ``NoSchedule``
  toleration (operator ``Exists``) unless ``tolerations`` is given: then those are used as written, on every
  replica; an explicit ``[]`` means none (GPU nodes without taints). A non-empty ``tolerations`` that tolerates
  no taint of ``gpuResource`` while replicas have GPUs renders with a warning (they would stay Pending).
* ``env`` (literal values or ``secretKeyRef`` / ``configMapKeyRef`` / ``fieldRef``), ``envFrom``, ``ports``,
  ``volumes`` (claims, emptyDir, configMap, secret; hostPath only with ``allowHostPath``), ``nodeSelector``,
  ``tolerations``, ``workingDir``, ``command`` and the pod-template settings apply to every replica type;
  ``replicaSpecs.<type>`` overrides image, command, args, env (merged by name), resources, restartPolicy and
  ports per replica type (``Chief``, ``PS``, ``Worker``, ``Evaluator``).
* Every replica's container has CPU and memory requests and limits: what ``resources.<type>`` (or
  ``replicaSpecs.<type>.resources``) leaves unset comes from :data:`DEFAULT_REQUESTS` / :data:`DEFAULT_LIMITS`
  (requests 1 CPU / 1Gi, limits 2 CPUs / 4Gi), value by value, the user's values kept
  (:meth:`kfgen.prototypes.params.Resources.completed`: a filled request never exceeds the limit given, a
  filled limit is never below the request given). GPUs are not defaulted: Worker GPUs come from ``num_gpus``.
  ksonnet rendered no resources: an unbounded training pod can starve its node.
* Training pods get ``automountServiceAccountToken: false`` unless ``serviceAccountName`` is set, and a pod
  ``securityContext`` of ``runAsNonRoot: true`` + ``seccompProfile: RuntimeDefault`` (``securityContext`` is merged
  over it: an image that runs as root needs ``runAsUser``).

* The container is built by :func:`kfgen.kube.objects.container`, so privilege escalation is off.
* The job is what kfgen's TFJob model (:class:`kfgen.kube.tfjob.model.TFJob`, the source of the
  ``tfjobs.kubeflow.org`` CRD's schema) dumps: built as that dict directly, the model accepting it (tested).

The building blocks are shared: tf-cnn builds its job with :func:`tfjob`; tf-serving uses
:class:`kfgen.prototypes.params.Resources` (quantity-validated requests/limits) too.

(Over 400 lines: one prototype's params and renderer, kept together as every prototype is.)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from kfgen.kube import objects as k8s
from kfgen.kube.constants import GPU_RESOURCE, TFJOB_API_VERSION, TFJOB_KIND, TFJOB_REPLICA_TYPES
from kfgen.kube.tfjob import model as api
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered
from kfgen.prototypes.params import (
    ABSOLUTE_PATH,
    DEFAULT_LIST,
    DEFAULT_MAP,
    DNS_LABEL,
    DNS_SUBDOMAIN,
    ENV_NAME,
    IMAGE,
    INT32_MAX,
    QUALIFIED_NAME,
    ContainerPort,
    EnvFromSource,
    EnvValue,
    PullPolicy,
    ResourceMap,
    ResourceName,
    Resources,
    Spec,
    Toleration,
    VolumeMount,
    k8s_definition,
    pod_volumes,
    render_env,
    repeated,
    unique_ports,
    untolerated_gpu_taint,
)

CONTAINER = "tensorflow"  # the container name the training operator looks for

#: CPU and memory of every replica's container where the profile sets none (filled value by value, see
#: Resources.completed). A training replica is CPU-bound without a GPU and feeds the GPU with one: a whole CPU
#: reserved. The memory request is 1Gi, what a cluster node declared without sizes holds (kfgen.profile's
#: NodeSpec defaults to cpu 1 / memory 1Gi, and the node-fit check refuses a pod no node can hold), so a profile
#: that lists its nodes only for their GPUs still renders its default jobs; the limits (2 CPUs, 4Gi) leave room
#: for TensorFlow's start-up and a small model's batches. A chief, a PS and a worker together reserve 3 CPUs and
#: 3Gi: they fit a 4-CPU laptop. Real jobs size their replicas with resources.<type>.
DEFAULT_REQUESTS: dict[str, str] = {"cpu": "1", "memory": "1Gi"}
DEFAULT_LIMITS: dict[str, str] = {"cpu": "2", "memory": "4Gi"}
DEFAULT_RESOURCES_TEXT = "requests cpu 1 / memory 1Gi, limits cpu 2 / memory 4Gi"

#: The replica types tf-job renders, a subset of TFJOB_REPLICA_TYPES: masters render as Chief (Master is
#: the v1 API's backwards-compatible alias). Rendered in the order of TFJOB_REPLICA_TYPES.
TfJobReplicaType = Literal["Chief", "PS", "Worker", "Evaluator"]
EnvName = Annotated[str, Field(pattern=ENV_NAME)]
LabelKey = Annotated[str, Field(pattern=QUALIFIED_NAME)]
SecretName = Annotated[str, Field(pattern=DNS_SUBDOMAIN, max_length=253)]
Args = str | list[str]

#: The pod securityContext of training pods unless the user's securityContext says otherwise (it is merged over
#: this): no root, the container runtime's default seccomp profile. The TensorFlow images (tensorflow/tensorflow,
#: the tf_cnn_benchmarks images) declare no user, i.e. root, which runAsNonRoot alone makes the kubelet refuse:
#: an explicit unprivileged uid/gid lets them start (TensorFlow needs no root; write to mounted volumes).
TRAINING_UID = 1000
DEFAULT_POD_SECURITY: dict[str, Any] = {"runAsNonRoot": True, "runAsUser": TRAINING_UID, "runAsGroup": TRAINING_UID,
                                        "seccompProfile": {"type": "RuntimeDefault"}}


def _args_list(value: Args | None) -> list[str] | None:
    if isinstance(value, str):
        return [a.strip() for a in value.split(",") if a.strip()]
    return None if value is None else list(value)


def _no_tf_config(value: dict[str, EnvValue] | None) -> dict[str, EnvValue] | None:
    if value and "TF_CONFIG" in value:
        raise ValueError("TF_CONFIG is written by the training operator (the cluster spec of the job); "
                         "do not set it")
    return value


# The part of the TFJob's kfgen.kube.tfjob.model.RunPolicy that tf-job users set, bounded as the API server bounds
# it (int32; int64 for the deadline, where 2^31-1 seconds, 68 years, is bound enough). Its own classes, because
# they are parameters: the bounds, descriptions and names are in schemas/profile.schema.json (the model's classes
# stay as upstream's CRD has them). The renderer turns them into the model's (to_api), which refuses any field
# the API does not have.
class SchedulingPolicy(Spec):
    """Gang scheduling of the job's pods (Volcano, scheduler-plugins): TFJob spec.runPolicy.schedulingPolicy."""

    minAvailable: int | None = Field(
        None, ge=1, le=INT32_MAX, description="Pods that must be schedulable together before any starts.")
    queue: str | None = Field(None, min_length=1, description="Scheduler queue of the job (Volcano queue).")
    priorityClass: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253, description="PriorityClass of the job's pod group.")
    minResources: ResourceMap | None = Field(None, description="Resources the whole gang needs, by resource name.")
    scheduleTimeoutSeconds: int | None = Field(
        None, ge=1, le=INT32_MAX, description="Seconds to wait for the gang to be scheduled.")


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
    schedulingPolicy: SchedulingPolicy | None = Field(
        None, description="Gang scheduling: minAvailable, queue, priorityClass (needs a gang scheduler).")
    suspend: bool | None = Field(None, description="Create the job suspended: no pods until it is resumed.")

    def to_api(self) -> api.RunPolicy | None:
        """The TFJob's runPolicy, or None when nothing is set."""
        fields = self.model_dump(exclude_none=True)
        if fields.get("schedulingPolicy") == {}:
            del fields["schedulingPolicy"]
        return api.RunPolicy(**fields) if fields else None


class ReplicaSettings(Spec):
    """Settings of one replica type that override the job-wide ones."""

    image: str | None = Field(None, pattern=IMAGE, description="Image of this replica type (over image/image_gpu).")
    command: list[str] | None = Field(None, min_length=1, description="Entrypoint (over the job's command).")
    args: Args | None = Field(None, description="Arguments (over the job's args), a comma-separated string or a list.")
    env: dict[EnvName, EnvValue] | None = Field(
        None, description="Environment merged over the job's env (a name set here wins).")
    resources: Resources | None = Field(
        None, description="Resources (instead of resources.<type>); CPU and memory left unset are filled in from "
                          f"the defaults ({DEFAULT_RESOURCES_TEXT}), as for resources.<type>.")
    restartPolicy: api.ReplicaRestartPolicy | None = Field(None, description="Restart policy (over the job's).")
    ports: list[ContainerPort] | None = Field(None, description="Container ports (instead of the job's ports).")

    _args = field_validator("args", mode="after")(classmethod(lambda cls, v: _args_list(v)))
    _env = field_validator("env", mode="after")(classmethod(lambda cls, v: _no_tf_config(v)))
    _ports = field_validator("ports", mode="after")(classmethod(lambda cls, v: v if v is None else unique_ports(v)))


# Params ---------------------------------------------------------------------------------------


class TfJobParams(Params):
    """Parameters of tf-job (ksonnet's io.ksonnet.pkg.tf-job, plus what jobs need today)."""

    name: str | None = Field(
        None, pattern=DNS_LABEL, max_length=63,
        description="Name of the TFJob; unset: the instance name (two instances may then share a job name in "
                    "two namespaces).")
    image: str = Field(
        pattern=IMAGE, description="Image of every replica (and of GPU workers when image_gpu is unset). "
                                   "Required: pin a tag or digest.")
    image_gpu: str | None = Field(
        None, pattern=IMAGE, description="Image of Worker replicas when num_gpus > 0; unset: they run image.")
    imagePullPolicy: PullPolicy | None = Field(None, description="Always, IfNotPresent or Never; unset: Kubernetes'.")
    args: Args = Field(
        default_factory=list, json_schema_extra=DEFAULT_LIST,
        description="Arguments of the training container: a comma-separated string (ksonnet's form; "
                    "items are stripped, empty items dropped) or a list (kept verbatim).")
    command: list[str] | None = Field(
        None, min_length=1, description="Entrypoint of the training container; unset: the image's.")
    workingDir: str | None = Field(
        None, pattern=ABSOLUTE_PATH, description="Working directory of the training container.")
    num_masters: int = Field(
        1, ge=0, le=1, description="Chief replicas (ksonnet's MASTER): 0 or 1. With 0, worker 0 is the chief.")
    num_ps: int = Field(0, ge=0, le=INT32_MAX, description="Parameter-server (PS) replicas.")
    num_workers: int = Field(0, ge=0, le=INT32_MAX, description="Worker replicas.")
    num_evaluators: int = Field(
        0, ge=0, le=1, description="Evaluator replicas: 0 or 1 (evaluates checkpoints beside the training).")
    num_gpus: int = Field(
        0, ge=0, le=INT32_MAX,
        description="GPU limit (of gpuResource) of each Worker replica (workers only, as ksonnet).")
    gpuResource: ResourceName = Field(
        GPU_RESOURCE, description="The extended resource GPUs are counted in, e.g. nvidia.com/gpu, amd.com/gpu, "
                                  "gpu.intel.com/i915; also the key of the default GPU toleration.")
    resources: dict[TfJobReplicaType, Resources] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Resources per replica type (Chief, PS, Worker, Evaluator). Every replica's container gets CPU "
                    "and memory requests and limits: unset ones come from the defaults "
                    f"({DEFAULT_RESOURCES_TEXT}), each value on its own, yours kept (a filled request is at most "
                    "your limit, a filled limit at least your request). Worker GPUs come from num_gpus; other "
                    "types may set limits.<gpuResource> here.")
    restartPolicy: api.ReplicaRestartPolicy = Field(
        "OnFailure",
        description="Restart policy of every replica; ExitCode restarts on retryable exit codes only.")
    replicaSpecs: dict[TfJobReplicaType, ReplicaSettings] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Per replica type: image, command, args, env, resources, restartPolicy, ports overriding "
                    "the job-wide values, e.g. {Chief: {image: ...}, Worker: {args: [...]}}.")
    runPolicy: RunPolicy = Field(
        default_factory=RunPolicy,
        description="Clean-up, retries, deadline, TTL, suspend and gang scheduling of the job.")
    successPolicy: Literal["", "AllWorkers"] | None = Field(
        None, description="When the job succeeds: unset/'' when the chief (or worker 0) does; AllWorkers.")
    enableDynamicWorker: bool | None = Field(None, description="Let workers join and leave (elastic training).")
    env: dict[EnvName, EnvValue] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Environment of the training container, name -> a value or {secretKeyRef|configMapKeyRef|"
                    "fieldRef: ...} (rendered sorted by name). TF_CONFIG is set by the operator.")
    envFrom: list[EnvFromSource] = Field(
        default_factory=list, json_schema_extra=DEFAULT_LIST,
        description="Secrets and ConfigMaps whose every key becomes a variable: [{secretRef: {name: x}}].")
    ports: list[ContainerPort] = Field(
        default_factory=list, json_schema_extra=DEFAULT_LIST,
        description="Ports of the training container (e.g. TensorBoard).")
    allowHostPath: bool = Field(
        False, description="Allow hostPath volumes (a node's files inside the job: a security exposure, and the "
                           "job only works on nodes that have that path). Off: hostPath volumes are refused.")
    volumes: list[VolumeMount] = Field(
        default_factory=list, json_schema_extra=DEFAULT_LIST,
        description="Volumes to mount into every replica: {claimName} (a PVC), or {name, emptyDir|configMap|"
                    "secret|hostPath}; e.g. {name: dshm, mountPath: /dev/shm, emptyDir: {medium: Memory}}.")
    nodeSelector: dict[LabelKey, str] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Node labels every replica pod must match.")
    tolerations: list[Toleration] | None = Field(
        None, description="Tolerations of every replica pod. Unset: replicas with GPUs tolerate the <gpuResource> "
                          "NoSchedule taint; [] : none (say so when your GPU nodes are not tainted). A list "
                          "without a toleration of <gpuResource> while replicas have GPUs renders with a warning.")
    podLabels: dict[LabelKey, str] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Labels of every replica pod.")
    podAnnotations: dict[LabelKey, str] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Annotations of every replica pod (e.g. for a gang scheduler or a service mesh).")
    serviceAccountName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253,
        description="ServiceAccount of the pods; unset: none mounted (automountServiceAccountToken: false).")
    affinity: Annotated[dict[str, Any], k8s_definition("io.k8s.api.core.v1.Affinity")] | None = Field(
        None, description="Pod affinity (core/v1 Affinity: nodeAffinity, podAffinity, podAntiAffinity).")
    priorityClassName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253, description="PriorityClass of the pods.")
    schedulerName: str | None = Field(None, min_length=1, description="Scheduler of the pods, e.g. volcano.")
    imagePullSecrets: list[SecretName] = Field(
        default_factory=list, json_schema_extra=DEFAULT_LIST,
        description="Secrets to pull the images with.")
    securityContext: Annotated[dict[str, Any], k8s_definition("io.k8s.api.core.v1.PodSecurityContext")] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Pod securityContext (core/v1 PodSecurityContext) merged over the default "
                    "{runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: "
                    "RuntimeDefault}} (the TensorFlow images run as root unless told otherwise).")

    _args = field_validator("args", mode="after")(classmethod(lambda cls, v: _args_list(v)))
    _env = field_validator("env", mode="after")(classmethod(lambda cls, v: _no_tf_config(v)))
    _ports = field_validator("ports", mode="after")(classmethod(lambda cls, v: unique_ports(v)))

    @field_validator("volumes", mode="after")
    @classmethod
    def _volumes(cls, value: list[VolumeMount], info: Any) -> list[VolumeMount]:
        dupes = repeated([m.mountPath for m in value])
        if dupes:
            raise ValueError(f"two volumes mount at the same path: {', '.join(dupes)}")
        host = [m.mountPath for m in value if m.hostPath is not None]
        if host and not info.data.get("allowHostPath"):
            raise ValueError(f"hostPath volume at {', '.join(host)}: hostPath is off unless allowHostPath: true "
                             "(it exposes the node's files to the job and ties it to nodes that have the path)")
        pod_volumes(value)  # a name given twice with different sources
        return value

    @model_validator(mode="after")
    def _replicas(self) -> TfJobParams:
        counts = self.replica_counts()
        if not any(counts.values()):
            raise ValueError("the job has no replicas: num_masters, num_ps and num_workers are all 0; "
                             "set num_workers (or num_masters) to at least 1")
        if self.num_gpus and not self.num_workers:
            raise ValueError("num_gpus goes to Worker replicas, and num_workers is 0; set num_workers")
        for what, keys in (("resources", self.resources), ("replicaSpecs", self.replicaSpecs)):
            for rtype in sorted(keys):
                if not counts[rtype]:
                    raise ValueError(f"{what}.{rtype} is set, but the job has no {rtype} replicas")
        for rtype, spec in sorted(self.replicaSpecs.items()):
            if spec.resources is not None and rtype in self.resources:
                raise ValueError(f"resources of {rtype} are set twice: resources.{rtype} and "
                                 f"replicaSpecs.{rtype}.resources; keep one")
        worker = self.replica_resources("Worker")
        if self.gpuResource in worker.limits or self.gpuResource in worker.requests:
            raise ValueError(f"Worker {self.gpuResource}: set Worker GPUs with num_gpus")
        return self

    def replica_counts(self) -> dict[TfJobReplicaType, int]:
        return {"Chief": self.num_masters, "PS": self.num_ps, "Worker": self.num_workers,
                "Evaluator": self.num_evaluators}

    def replica_resources(self, rtype: TfJobReplicaType) -> Resources:
        """The resources the profile sets for *rtype* (replicaSpecs.<type>.resources, else resources.<type>),
        as written: :meth:`container_resources` has what the container gets."""
        spec = self.replicaSpecs.get(rtype)
        if spec is not None and spec.resources is not None:
            return spec.resources
        return self.resources.get(rtype) or _NO_RESOURCES

    def container_resources(self, rtype: TfJobReplicaType) -> Resources:
        """What the container of *rtype* gets (GPUs of num_gpus apart): :meth:`replica_resources` with the CPU and
        memory it leaves unset filled in from DEFAULT_REQUESTS / DEFAULT_LIMITS."""
        own = self.replica_resources(rtype)
        return _DEFAULT_RESOURCES if own is _NO_RESOURCES else own.completed(DEFAULT_REQUESTS, DEFAULT_LIMITS)


_NO_RESOURCES, _NO_SETTINGS = Resources(), ReplicaSettings()  # frozen "nothing set", not built per replica
_DEFAULT_RESOURCES = _NO_RESOURCES.completed(DEFAULT_REQUESTS, DEFAULT_LIMITS)  # rendered fresh per container


# Rendering ------------------------------------------------------------------------------------


def _container(p: TfJobParams, rtype: TfJobReplicaType, own: ReplicaSettings, gpus: int,
               mounts: list[dict[str, Any]]) -> dict[str, Any]:
    image = own.image or ((p.image_gpu or p.image) if gpus else p.image)
    args = own.args if own.args is not None else p.args
    ports = own.ports if own.ports is not None else p.ports
    env = {**p.env, **own.env} if own.env else p.env
    container = k8s.container(
        CONTAINER, image, command=own.command or p.command, args=args or None, working_dir=p.workingDir,
        env=render_env(env) if env else (), ports=[port.render() for port in ports], volume_mounts=mounts,
        resources=p.container_resources(rtype).render(gpus, p.gpuResource))
    if p.envFrom:
        container["envFrom"] = [e.render() for e in p.envFrom]
    if p.imagePullPolicy:
        container["imagePullPolicy"] = p.imagePullPolicy
    return container


def _json_copy(value: Any) -> Any:
    """A copy of a JSON-like value, new dicts and lists all the way down (tuples become lists): no object
    shares a dict with another, or with the params (as the model's dump had it)."""
    if isinstance(value, dict):
        return {k: v if type(v) in _SCALARS else _json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _SCALARS else _json_copy(v) for v in value]
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})  # what _json_copy returns as it is (exact types: no call)


_POD_SECURITY_DICTS = tuple(k for k, v in DEFAULT_POD_SECURITY.items() if type(v) is dict)  # seccompProfile


def _default_pod_security() -> dict[str, Any]:
    """A fresh copy of DEFAULT_POD_SECURITY: what _json_copy gives (its values are scalars and flat dicts), cheaper."""
    out = DEFAULT_POD_SECURITY.copy()
    for key in _POD_SECURITY_DICTS:
        out[key] = out[key].copy()
    return out


def _replica_spec(p: TfJobParams, rtype: TfJobReplicaType, replicas: int) -> dict[str, Any]:
    """spec.tfReplicaSpecs.<rtype>: the shape of the TFJob model's ReplicaSpec (api.ReplicaSpec), dumped."""
    gpus = p.num_gpus if rtype == "Worker" else 0
    own = p.replicaSpecs.get(rtype) or _NO_SETTINGS
    volumes, mounts = pod_volumes(p.volumes) if p.volumes else ([], [])
    container = _container(p, rtype, own, gpus, mounts)
    pod: dict[str, Any] = {"containers": [container]}
    if volumes:
        pod["volumes"] = volumes
    if p.nodeSelector:
        pod["nodeSelector"] = dict(sorted(p.nodeSelector.items()))
    if p.tolerations is not None:
        if p.tolerations:
            pod["tolerations"] = [t.render() for t in p.tolerations]
    elif p.gpuResource in container.get("resources", {}).get("limits", {}):
        # the GPU toleration (what Toleration.render() gives) when the container asks for GPUs
        pod["tolerations"] = [{"key": p.gpuResource, "operator": "Exists", "effect": "NoSchedule"}]
    if p.serviceAccountName is None:  # no API credentials in a training pod unless it names its account
        pod["automountServiceAccountToken"] = False
    else:
        pod["serviceAccountName"] = p.serviceAccountName
    if p.affinity is not None:
        pod["affinity"] = _json_copy(p.affinity)
    if p.priorityClassName is not None:
        pod["priorityClassName"] = p.priorityClassName
    if p.schedulerName is not None:
        pod["schedulerName"] = p.schedulerName
    if p.imagePullSecrets:
        pod["imagePullSecrets"] = [{"name": s} for s in p.imagePullSecrets]
    pod["securityContext"] = (_json_copy({**DEFAULT_POD_SECURITY, **p.securityContext}) if p.securityContext
                              else _default_pod_security())
    template: dict[str, Any] = {"spec": pod}
    if p.podLabels or p.podAnnotations:
        meta: dict[str, Any] = {}
        if p.podLabels:
            meta["labels"] = dict(sorted(p.podLabels.items()))
        if p.podAnnotations:
            meta["annotations"] = dict(sorted(p.podAnnotations.items()))
        template = {"metadata": meta, "spec": pod}
    return {"replicas": replicas, "restartPolicy": own.restartPolicy or p.restartPolicy, "template": template}


#: A RunPolicy's field values (in field order) -> its dumped API runPolicy. Keyed by the values, not the model:
#: every job has its own (equal) RunPolicy, and pydantic's __hash__ and __eq__ of a model are Python functions
#: that cost more than the dict lookup they serve.
_RUN_POLICIES: dict[tuple[Any, ...], dict[str, Any] | None] = {}


def _run_policy(policy: RunPolicy) -> dict[str, Any] | None:
    """spec.runPolicy for *policy* (new dicts on every call), or None: the API model's dump, memoised by value
    (a profile's jobs mostly share one policy, and building the model cost as much as a replica spec)."""
    key = tuple(policy.__dict__.values())
    try:
        dumped = _RUN_POLICIES.get(key, _RUN_POLICIES)
    except TypeError:  # unhashable (e.g. schedulingPolicy.minResources, a dict)
        return _dump_run_policy(policy)
    if dumped is _RUN_POLICIES:
        dumped = _dump_run_policy(policy)
        if len(_RUN_POLICIES) >= 1024:
            _RUN_POLICIES.clear()
        _RUN_POLICIES[key] = dumped
    return _json_copy(dumped)


def _dump_run_policy(policy: RunPolicy) -> dict[str, Any] | None:
    api_policy = policy.to_api()
    return None if api_policy is None else api_policy.model_dump(mode="json", exclude_none=True)


def tfjob(ctx: RenderContext, p: TfJobParams) -> dict[str, Any]:
    """The TFJob object for *p*, replica types with 0 replicas left out: the dict kfgen's TFJob model (the CRD's
    source) dumps, built directly (building and dumping the model per job cost more than the rest of the render).
    Tests check the model accepts every rendered job and dumps it back unchanged (test_tf_job, test_perf_paths).
    The run policy goes through the model: it refuses any field the API does not have."""
    counts: dict[str, int] = dict(p.replica_counts())
    meta: dict[str, Any] = {"name": p.name or ctx.instance}
    if ctx.namespace:
        meta["namespace"] = ctx.namespace
    spec: dict[str, Any] = {"tfReplicaSpecs": {rtype: _replica_spec(p, rtype, counts[rtype])
                                               for rtype in TFJOB_REPLICA_TYPES if counts.get(rtype)}}
    run_policy = _run_policy(p.runPolicy)
    if run_policy is not None:
        spec["runPolicy"] = run_policy
    if p.successPolicy is not None:
        spec["successPolicy"] = p.successPolicy
    if p.enableDynamicWorker is not None:
        spec["enableDynamicWorker"] = p.enableDynamicWorker
    return {"apiVersion": TFJOB_API_VERSION, "kind": TFJOB_KIND, "metadata": meta, "spec": spec}


def render(ctx: RenderContext, params: TfJobParams) -> Rendered:
    warnings = []
    if params.image_gpu is not None and not params.num_gpus:
        warnings.append("image_gpu is not used: num_gpus is 0, so every replica runs image")
    if params.tolerations:
        gpu_types = [rtype for rtype, count in params.replica_counts().items()
                     if count and (params.gpuResource in params.replica_resources(rtype).limits
                                   or (rtype == "Worker" and params.num_gpus))]
        if gpu_types:
            warnings += untolerated_gpu_taint("tolerations", params.tolerations, params.gpuResource,
                                              f"{', '.join(gpu_types)} replicas request {params.gpuResource}")
    return Rendered([tfjob(ctx, params)], warnings)


PROTOTYPE = Prototype(
    name="tf-job",
    summary="A distributed TensorFlow training job (kubeflow.org/v1 TFJob: Chief, PS, Worker and Evaluator "
            "replicas).",
    params=TfJobParams,
    render=render,
    ksonnet="io.ksonnet.pkg.tf-job",
)
