"""The checks every rendered object meets, whoever wrote it: a prototype, a ``patches:`` entry or a ``manifests``
instance (what a user adds is held to what kfgen renders).

:func:`findings` looks at one object and returns what is wrong with it, each a :class:`Finding` tagged with
its rule:

* ``secretValues``: a Secret with ``data`` or ``stringData``: its values would sit in clear in ``out/`` (and
  in git). Create it with kubectl, a SealedSecret or an ExternalSecret and reference it by name; opt-in
  ``allowSecretValues: true`` (a ``manifests`` param, or on the patch).
* ``rbacWildcards``: a Role or ClusterRole rule with ``*`` in ``verbs``, ``resources`` or ``apiGroups``; opt-in
  ``allowRbacWildcards: true``.
* ``image``: a container or initContainer without ``image`` (the API server refuses the pod). A merge patch
  whose container name matches no container adds a new, empty one: the message says which name was meant.
* ``resources``: a container or initContainer without CPU and memory requests and limits, in every pod
  template (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, TFJob replicas).

The pipeline (:mod:`kfgen.render.pipeline`) reports them at the patch that introduced them, the ``manifests``
object that has them, or the instance that rendered them. No opt-in exists for ``image`` and ``resources``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kfgen.errors import did_you_mean, object_ref
from kfgen.kube.constants import TFJOB_KIND

Json = dict[str, Any]

#: The rules a user may opt out of, and the name of the opt-in (a manifests param, a patch field).
OPT_INS = {"secretValues": "allowSecretValues", "rbacWildcards": "allowRbacWildcards"}

_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"})
_RBAC_FIELDS = ("apiGroups", "resources", "verbs")
_COMPUTE = ("cpu", "memory")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with an object: its rule (see the module's doc), a JSON pointer into the object, and
    the parts of a :class:`kfgen.errors.Problem`."""

    rule: str
    pointer: str
    message: str
    expected: str | None = None
    found: str | None = None
    hint: str | None = None


def pod_templates(obj: Json) -> list[tuple[str, Json]]:
    """(JSON pointer, pod spec) of every pod spec in *obj*: Pods, workloads, CronJobs and TFJob replicas."""
    kind, spec = obj.get("kind"), obj.get("spec")
    if not isinstance(spec, dict):
        return []
    if kind == "Pod":
        return [("/spec", spec)]
    if kind in _WORKLOADS:
        pod = (spec.get("template") or {}).get("spec")
        return [("/spec/template/spec", pod)] if isinstance(pod, dict) else []
    if kind == "CronJob":
        pod = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
        return [("/spec/jobTemplate/spec/template/spec", pod)] if isinstance(pod, dict) else []
    if kind == TFJOB_KIND:
        replicas = spec.get("tfReplicaSpecs") or {}
        out = []
        for rtype in sorted(replicas):
            pod = ((replicas[rtype] or {}).get("template") or {}).get("spec")
            if isinstance(pod, dict):
                out.append((f"/spec/tfReplicaSpecs/{rtype}/template/spec", pod))
        return out
    return []


def findings(obj: Json, skip: frozenset[str] = frozenset()) -> list[Finding]:
    """Everything :mod:`kfgen.render.safety` refuses in *obj* (empty: nothing), apart from the rules in *skip*
    (not even looked at: the render skips what it does not refuse, for 1,000s of objects)."""
    kind = obj.get("kind")
    if kind == "Secret":
        return [] if "secretValues" in skip or not (obj.get("data") or obj.get("stringData")) else _secret(obj)
    if kind in ("Role", "ClusterRole"):
        return [] if "rbacWildcards" in skip else _rbac(obj)
    out: list[Finding] = []
    resources = "resources" not in skip
    for at, pod in pod_templates(obj):
        out.extend(_containers(obj, at, pod, resources))
    return out


def allowed(found: Iterable[Finding], opt_ins: Iterable[str]) -> list[Finding]:
    """*found* without the findings whose rule *opt_ins* (rule names) allows."""
    allow = frozenset(opt_ins)
    return [f for f in found if f.rule not in allow]


def _secret(obj: Json) -> list[Finding]:
    ref = object_ref(obj)
    out = []
    for field in ("data", "stringData"):
        values = obj.get(field)
        if values:
            keys = ", ".join(sorted(map(str, values))) if isinstance(values, dict) else "?"
            out.append(Finding(
                "secretValues", f"/{field}", f"{ref} holds values in clear ({field}: {keys}): they would be written "
                "to out/ (and to git)",
                expected="a Secret without data or stringData, referenced by name", found=f"{field} with keys {keys}",
                hint="create the Secret with `kubectl create secret`, a SealedSecret or an ExternalSecret and keep "
                     "only its name in the profile; if the values are not secret, set allowSecretValues: true"))
    return out


def _rbac(obj: Json) -> list[Finding]:
    out = []
    rules = obj.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        for field in _RBAC_FIELDS:
            values = rule.get(field)
            if isinstance(values, list) and "*" in values:
                out.append(Finding(
                    "rbacWildcards", f"/rules/{i}/{field}",
                    f"{object_ref(obj)} rule {i} grants '*' {field}: every one there is, including those added later",
                    expected=f"the {field} the role needs, by name", found=f"{field}: {values}",
                    hint="name each one (kubectl api-resources lists resources and their groups); if the role "
                         "really needs all of them, set allowRbacWildcards: true"))
    return out


def _containers(obj: Json, at: str, pod: Json, resources: bool) -> list[Finding]:
    out: list[Finding] = []
    for field in ("initContainers", "containers"):
        containers = pod.get(field)
        if not isinstance(containers, list):
            continue
        for i, c in enumerate(containers):
            if not isinstance(c, dict):
                continue
            if not c.get("image"):
                out.append(_no_image(obj, at, field, i, c, containers))
                continue  # its missing resources follow from the same mistake: one problem, not two
            missing = _missing_resources(c.get("resources")) if resources else None
            if missing:
                out.append(Finding(
                    "resources", f"{at}/{field}/{i}/resources", f"{object_ref(obj)}: {field[:-1]} '{c.get('name')}' "
                    f"has no {', '.join(missing)}",
                    expected="CPU and memory requests and limits on every container",
                    found="missing: " + ", ".join(missing),
                    hint="set resources.requests and resources.limits (cpu and memory): a container without them "
                         "can starve the node, or be killed first when memory runs short"))
    return out


def _no_image(obj: Json, at: str, field: str, i: int, c: Json, containers: list[Any]) -> Finding:
    name = c.get("name")
    others = [str(o.get("name")) for o in containers
              if isinstance(o, dict) and o.get("image") and o.get("name") != name]
    guess = did_you_mean(str(name), others) if others else None
    return Finding(
        "image", f"{at}/{field}/{i}", f"{object_ref(obj)}: {field[:-1]} '{name}' has no image",
        expected="an image on every container" + (f" (the containers: {', '.join(others)})" if others else ""),
        found=f"{field[:-1]} '{name}' without image",
        hint=(f"{guess} a patch merges containers by name, so a name that matches none adds a new, empty container"
              if guess else "set image, or fix the container's name if a patch meant to change an existing "
                            "container"))


def _missing_resources(resources: Any) -> list[str] | None:
    if type(resources) is dict:
        requests, limits = resources.get("requests"), resources.get("limits")
        if (type(requests) is dict and type(limits) is dict and "cpu" in requests and "memory" in requests
                and "cpu" in limits and "memory" in limits):
            return None  # the usual case, without building a list
    res = resources if isinstance(resources, dict) else {}
    missing = []
    for part in ("requests", "limits"):
        values = res.get(part)
        values = values if isinstance(values, dict) else {}
        missing.extend(f"{part}.{name}" for name in _COMPUTE if name not in values)
    return missing
