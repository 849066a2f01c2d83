"""``kfgen status``: each rendered object present / differs / missing, workloads ready or not, TFJobs'
conditions, and the profile's declared nodes against the live ones (GPUs: ``status.allocatable``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kfgen.deploy.kubectl import FIELD_MANAGER, Kubectl, failure
from kfgen.deploy.live import diff_objects, error_lines, get_live, kubectl_diff, prerequisites
from kfgen.deploy.plan import Item, Plan
from kfgen.kube.constants import GPU_RESOURCE, TFJOB_KIND


@dataclass(frozen=True)
class ObjectStatus:
    object: str
    state: str  # present | differs | missing
    detail: str = ""  # readiness of workloads, TFJob conditions


@dataclass
class StatusResult:
    profile: str
    objects: list[ObjectStatus] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # node mismatches, workloads not ready

    @property
    def problems(self) -> bool:
        return bool(self.warnings) or any(o.state != "present" for o in self.objects)


def _readiness(item: Item, live: dict[str, Any]) -> tuple[str, bool]:
    """(detail, ready) for Deployments, StatefulSets and TFJobs; ("", True) for other kinds."""
    status = live.get("status") or {}
    if item.kind in ("Deployment", "StatefulSet"):
        want = (live.get("spec") or {}).get("replicas", 1)
        ready = status.get("readyReplicas", 0)
        current = status.get("observedGeneration", 0) >= live["metadata"].get("generation", 0)
        return f"{ready}/{want} ready", ready >= want and current
    if item.kind == TFJOB_KIND:
        conds = [c for c in status.get("conditions") or [] if c.get("status") == "True"]
        if not conds:
            return "no conditions yet (is the training operator running?)", True
        last = conds[-1]
        text = f"{last.get('type')}" + (f": {last['reason']}" if last.get("reason") else "")
        return text, last.get("type") != "Failed"
    return "", True


def status(k: Kubectl, plan: Plan) -> StatusResult:
    result = StatusResult(plan.name)
    state = prerequisites(k, plan)
    blocked = plan.blocked(state.missing_namespaces, state.missing_crds)
    readable = [i for i in plan.items if i.key not in blocked]
    live = get_live(k, readable, "reading the profile's objects")
    present = [i for i in readable if i.key in live]
    _, changed = kubectl_diff(k, present, FIELD_MANAGER)
    differs = set(changed)
    for i in plan.items:
        obj = live.get(i.key)
        if obj is None:
            why = f"needs {blocked[i.key]}" if i.key in blocked else ""
            result.objects.append(ObjectStatus(i.display(), "missing", why))
            continue
        detail, ready = _readiness(i, obj)
        result.objects.append(ObjectStatus(i.display(), "differs" if i.display() in differs else "present", detail))
        if not ready:
            result.warnings.append(f"{i.display()} is not ready ({detail})")
    result.warnings += node_warnings(k, plan)
    return result


def node_warnings(k: Kubectl, plan: Plan) -> list[str]:
    """The profile's ``cluster.nodes`` against ``kubectl get nodes``: missing nodes, GPU counts."""
    declared = plan.profile.nodes
    if not declared:
        return []
    res = k.run("get", "nodes", "-o", "json")
    if not res.ok or error_lines(res):
        raise failure(res, "kubectl get nodes")
    nodes = {n["metadata"]["name"]: n for n in (res.json() or {}).get("items", [])}
    out = []
    for node in declared:
        live = nodes.get(node.name)
        if live is None:
            out.append(f"node {node.name} (declared with {node.gpus} GPU(s)) is not in the cluster")
            continue
        allocatable = ((live.get("status") or {}).get("allocatable") or {}).get(GPU_RESOURCE, "0")
        try:
            gpus = int(str(allocatable))
        except ValueError:
            gpus = -1
        if gpus != node.gpus:
            out.append(f"node {node.name}: {GPU_RESOURCE} allocatable is {allocatable}, "
                       f"the profile declares {node.gpus}")
    return out


__all__ = ["ObjectStatus", "StatusResult", "diff_objects", "status"]
