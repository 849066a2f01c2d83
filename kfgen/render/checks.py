"""Whole-profile checks that run on rendered objects: the GPU budget and whether pods fit the nodes.

A profile describes its nodes. kfgen refuses a pod that asks for more GPUs than the largest node
has (it would stay Pending forever), and a TFJob whose replicas together need more GPUs than the
cluster has (a gang that can never start). It warns when GPUs are requested in a profile that
declares nodes but none with GPUs, and reports a one-line budget: requested / available.
It also refuses a pod whose CPU or memory request no node it may run on can hold, and warns when a
pod's nodeSelector matches none of the declared nodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from kfgen.errors import Problem, object_ref
from kfgen.kube.constants import GPU_RESOURCE as GPU
from kfgen.kube.constants import INSTANCE_LABEL, TFJOB_REPLICA_TYPES
from kfgen.kube.objects import PodTemplate, pod_templates
from kfgen.kube.quantity import parse_quantity
from kfgen.profile import Profile
from kfgen.prototypes.base import Node


@dataclass
class CheckResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


# A check looks at a whole profile's rendered objects (e.g. the GPU budget) and returns notes.
Check = Callable[[Profile, list[dict[str, Any]]], CheckResult]


class PodGroup(NamedTuple):
    """Pods of one shape: *replicas* pods each asking for *gpus* GPUs. (A NamedTuple, immutable: two checks
    build one per pod template of every object, and a frozen dataclass's __init__ cost 4x as much.)"""

    obj: dict[str, Any]
    part: str  # e.g. "replica Worker", "" for plain workloads
    replicas: int
    gpus: int
    pod: dict[str, Any]  # the pod spec


#: The extended resources counted as GPUs: NVIDIA's, AMD's and Intel's device plugins (tf-job's gpuResource).
GPU_RESOURCES = (GPU, "amd.com/gpu", "gpu.intel.com/i915")
_GPUS = frozenset(GPU_RESOURCES)
_PARTS = {rtype: f"replica {rtype}" for rtype in TFJOB_REPLICA_TYPES}  # a TFJob pod group's part, by replica type


def _pod_gpus(pod_spec: dict[str, Any]) -> int:
    total = 0
    for c in pod_spec.get("containers", []):
        res = c.get("resources", {})
        limits, requests = res.get("limits", {}), res.get("requests", {})
        if type(limits) is dict and type(requests) is dict and _GPUS.isdisjoint(limits) and _GPUS.isdisjoint(requests):
            continue  # no GPU named: the loop below would add 0
        for gpu in GPU_RESOURCES:
            total += int(limits.get(gpu, requests.get(gpu, 0)))
    return total


def pod_groups(obj: dict[str, Any], templates: list[PodTemplate] | None = None) -> list[PodGroup]:
    """The pod groups of *obj* (:func:`kfgen.kube.objects.pod_templates`; a TFJob's replica types in name order),
    as a list: each check walks them once. A CronJob's pods count as one pod (one run at a time); a
    PodTemplate starts no pod, so it has none. *templates*: the pod templates of *obj* when the caller has
    walked it already (the render walks each object once for all its checks)."""
    groups = []
    for t in pod_templates(obj) if templates is None else templates:
        if t.kind == "PodTemplate":
            continue
        replicas = 1 if t.replicas is None else int(t.replicas)
        part = (_PARTS.get(t.replica) or f"replica {t.replica}") if t.replica else ""
        groups.append(PodGroup(obj, part, replicas, _pod_gpus(t.spec), t.spec))
    return groups


def _instance(obj: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The instance that rendered *obj* ("" for the pipeline's own objects) and its path in the profile."""
    instance = obj.get("metadata", {}).get("labels", {}).get(INSTANCE_LABEL, "")
    return instance, (("components", instance) if instance else ())


def gpu_budget(profile: Profile, objects: list[dict[str, Any]]) -> CheckResult:
    """Refuse pods asking for more GPUs than any node has and TFJobs needing more than the cluster has; warn on
    over-subscription; the budget line."""
    return _gpu_budget(profile, [pod_groups(obj) for obj in objects])


def _gpu_budget(profile: Profile, groups_of_objects: list[list[PodGroup]]) -> CheckResult:
    result = CheckResult()
    nodes = profile.nodes
    available = sum(n.gpus for n in nodes)
    largest = max(nodes, key=lambda n: n.gpus, default=None)  # the first of equals
    sized = bool(nodes and available)  # pods and gangs are checked against the nodes (largest is then set)
    requested = 0
    for groups in groups_of_objects:
        job_total = 0
        for g in groups:
            if g.gpus == 0:
                continue
            job_total += g.gpus * g.replicas
            if sized and largest is not None and g.gpus > largest.gpus:
                instance, path = _instance(g.obj)
                what = f"{object_ref(g.obj)}" + (f" {g.part}" if g.part else "")
                result.errors.append(profile.sources.problem(
                    path, f"instance '{instance}': {what} asks for {g.gpus} GPUs per pod, more than any node has",
                    expected=f"at most {largest.gpus} (node {largest.name})", found=f"{g.gpus} GPUs per pod",
                    hint="lower the GPU count per replica and add replicas instead"))
        requested += job_total
        if sized and job_total > available and groups[0].obj.get("kind") == "TFJob":  # job_total > 0: a group
            obj = groups[0].obj
            instance, path = _instance(obj)
            result.errors.append(profile.sources.problem(
                path, f"instance '{instance}': {object_ref(obj)} needs {job_total} GPUs at once, "
                      f"the cluster has {available}; its replicas would never all start",
                expected=f"at most {available} GPUs for the whole job", found=f"{job_total} GPUs",
                hint="reduce num_workers or num_gpus"))
    if nodes and available and requested > available:
        result.warnings.append(f"{requested} GPUs requested in all, {available} available: "
                               "these workloads cannot all run at the same time")
    if requested and nodes and not available:
        result.warnings.append(f"{requested} GPU(s) requested, but no node in the profile has a GPU "
                               "(declare gpus: on cluster.nodes)")
    if nodes:
        per_node = ", ".join(f"{n.name}: {n.gpus}" for n in nodes if n.gpus)
        result.summary.append(f"GPU budget: {requested} requested / {available} available"
                              + (f" ({per_node})" if per_node else ""))
    else:
        result.summary.append(f"GPU budget: {requested} requested / unknown available (profile declares no nodes)")
    return result


def _reserved(pod: dict[str, Any]) -> tuple[Any, ...]:
    """What the scheduler reserves for each container of *pod*, as written: its CPU and its memory request (a
    limit without a request counts as the request, as Kubernetes defaults it; None: neither), container by
    container. The pod's fit depends on nothing else, so node_fit remembers its answers by this."""
    reserved = []
    for c in pod.get("containers", []):
        res = c.get("resources", {})
        requests, limits = res.get("requests", {}), res.get("limits", {})
        reserved.append(requests.get("cpu", limits.get("cpu")))
        reserved.append(requests.get("memory", limits.get("memory")))
    return tuple(reserved)


def _need(reserved: tuple[Any, ...], quantity: Callable[[str], Decimal]) -> dict[str, Decimal]:
    """The pod's CPU and memory: the sums of :func:`_reserved`'s quantities (*quantity* parses one)."""
    need = {}
    for resource, values in (("cpu", reserved[0::2]), ("memory", reserved[1::2])):
        total = Decimal(0)
        for value in values:
            if value is not None:
                total += quantity(str(value))
        need[resource] = total
    return need


def _matches(node: Node, selector: dict[str, str]) -> bool:
    labels = {"kubernetes.io/hostname": node.name, **dict(node.labels)}
    return all(labels.get(k) == v for k, v in selector.items())


def _memo(fn: Callable[[str], Decimal]) -> Callable[[str], Decimal]:
    """*fn* remembering its results for the length of one check (quantities repeat across pods)."""
    seen: dict[str, Decimal] = {}

    def get(text: str) -> Decimal:
        value = seen.get(text)
        if value is None:
            value = seen[text] = fn(text)
        return value
    return get


def node_fit(profile: Profile, objects: list[dict[str, Any]]) -> CheckResult:
    """Refuse pods no declared node can hold (CPU, memory); warn on nodeSelectors matching no node."""
    return _node_fit(profile, [pod_groups(obj) for obj in objects])


def _node_fit(profile: Profile, groups_of_objects: list[list[PodGroup]]) -> CheckResult:
    result = CheckResult()
    nodes = profile.nodes
    if not nodes:
        return result
    quantity = _memo(parse_quantity)
    capacity = {n.name: {"cpu": quantity(n.cpu), "memory": quantity(n.memory)} for n in nodes}
    everywhere: list[Node] = list(nodes)  # the candidates of a pod without a nodeSelector
    # what such a pod reserves (_reserved) -> (its need, whether a node of everywhere holds it): pods repeat
    seen: dict[tuple[Any, ...], tuple[dict[str, Decimal], bool]] = {}
    for groups in groups_of_objects:
        for g in groups:
            obj = g.obj
            selector = g.pod.get("nodeSelector", {})
            candidates = [n for n in nodes if _matches(n, selector)] if selector else everywhere
            if not candidates:
                what = object_ref(obj) + (f" {g.part}" if g.part else "")
                wanted = ", ".join(f"{k}={v}" for k, v in sorted(selector.items()))
                result.warnings.append(f"{what}: nodeSelector {wanted} matches none of the profile's nodes "
                                       "(declare the label under cluster.nodes[].labels)")
                continue
            reserved = _reserved(g.pod)
            try:
                known = seen.get(reserved) if candidates is everywhere else None
            except TypeError:  # an unhashable value: not remembered (parsing it refuses it below)
                known = None
            if known is not None:
                need, fits = known
            else:
                need = _need(reserved, quantity)
                fits = _fits(need, candidates, capacity)
                if candidates is everywhere:
                    seen[reserved] = need, fits
            if fits:
                continue
            instance, path = _instance(obj)
            what = object_ref(obj) + (f" {g.part}" if g.part else "")
            biggest = max(candidates, key=lambda n: (capacity[n.name]["cpu"], capacity[n.name]["memory"]))
            result.errors.append(profile.sources.problem(
                path, f"instance '{instance}': {what} requests cpu {need['cpu'].normalize():f}, memory "
                f"{_human_bytes(need['memory'])} per pod; no node it may run on has that much",
                expected=f"at most cpu {biggest.cpu}, memory {biggest.memory} (node {biggest.name})",
                found=f"cpu {need['cpu'].normalize():f}, memory {_human_bytes(need['memory'])}",
                hint="lower the requests, or declare the node that can hold it under cluster.nodes"))
    return result


def _fits(need: dict[str, Decimal], candidates: list[Node], capacity: dict[str, dict[str, Decimal]]) -> bool:
    return any(all(need[r] <= capacity[n.name][r] for r in need) for n in candidates)


def _human_bytes(value: Decimal) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value >= size:
            return f"{(value / size).normalize():f}{suffix}"
    return f"{value.normalize():f}"


def pods(profile: Profile, objects: list[dict[str, Any]],
         walks: Mapping[int, list[PodTemplate]] | None = None) -> CheckResult:
    """:func:`gpu_budget` and :func:`node_fit` (their notes in that order) over one walk of the pod groups.
    *walks*: id(object) -> its pod templates, for the objects the caller has walked already (the render's;
    the others are walked here)."""
    if walks is None:
        groups_of_objects = [pod_groups(obj) for obj in objects]
    else:
        groups_of_objects = [pod_groups(obj, walks.get(id(obj))) for obj in objects]
    gpus, fit = _gpu_budget(profile, groups_of_objects), _node_fit(profile, groups_of_objects)
    return CheckResult(gpus.errors + fit.errors, gpus.warnings + fit.warnings, gpus.summary + fit.summary)


CHECKS: tuple[Check, ...] = (pods,)
#: The checks that take the render's pod walk as a third argument (``walks``, as :func:`pods`).
WALKING: tuple[Check, ...] = (pods,)
