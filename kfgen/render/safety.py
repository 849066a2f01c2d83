"""The checks every rendered object meets, whoever wrote it: a prototype, a ``patches:`` entry or a ``manifests``
instance (what a user adds is held to what kfgen renders).

:func:`findings` looks at one object and returns what is wrong with it, each a :class:`Finding` tagged with
its rule:

* ``secretValues``: a Secret with ``data`` or ``stringData``: its values would sit in clear in ``out/`` (and
  in git). Create it with kubectl, a SealedSecret or an ExternalSecret and reference it by name; opt-in
  ``allowSecretValues: true`` (a ``manifests`` param, or on the patch).
* ``rbacWildcards``: a Role or ClusterRole rule with ``*`` in ``verbs``, ``resources``, ``apiGroups`` or
  ``nonResourceURLs``, or a ClusterRole ``aggregationRule`` selector that could match every ClusterRole
  (cluster-admin included): one without a positive requirement (``{}``, or only ``NotIn``/``DoesNotExist``
  expressions); opt-in ``allowRbacWildcards: true``.
* ``adminRoleBindings``: a RoleBinding or ClusterRoleBinding to the ClusterRole ``cluster-admin`` (every verb
  on every resource), or a ClusterRoleBinding to ``admin`` or ``edit`` (those in every namespace, Secrets
  included); a RoleBinding to ``admin`` or ``edit`` (one namespace, the documented way to give a user or a
  service account a namespace) is no finding; opt-in ``allowAdminRoleBindings: true``.
* ``externalExposure``: an object that makes something reachable from outside the cluster: a Service of type
  NodePort or LoadBalancer, a Service with ``externalIPs``, an Ingress (kfgen's Kubernetes schemas have no
  Gateway API kinds, so a Gateway or HTTPRoute is refused as an unknown kind); opt-in
  ``allowExternalExposure: true``. Prototypes check what their own params expose (core's
  ``…AllowUnauthenticatedExternalAccess``, tf-serving's ``allowUnauthenticatedExternalAccess``), so the
  render looks for this one only in patches and ``manifests`` objects (:data:`PARAM_CHECKED`).
* ``image``: a container or initContainer without ``image`` (the API server refuses the pod). A merge patch
  whose container name matches no container adds a new, empty one: the message says which name was meant.
* ``resources``: a container or initContainer without CPU and memory requests and limits, in every pod
  template (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs,
  PodTemplates, TFJob replicas).

The pipeline (:mod:`kfgen.render.pipeline`) reports them at the patch that introduced them, the ``manifests``
object that has them, or the instance that rendered them. An opt-in covers only what it is written beside: a
patch's, that patch's change; a ``manifests`` param, that instance's objects. No opt-in exists for ``image``
and ``resources``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kfgen.errors import did_you_mean, object_ref
from kfgen.kube.objects import PodTemplate
from kfgen.kube.objects import pod_templates as _pod_templates

Json = dict[str, Any]

#: The rules a user may opt out of, and the name of the opt-in (a manifests param, a patch field).
OPT_INS = {"secretValues": "allowSecretValues", "rbacWildcards": "allowRbacWildcards",
           "adminRoleBindings": "allowAdminRoleBindings", "externalExposure": "allowExternalExposure"}
#: The rules prototypes check from their own params (with their own opt-ins): the render's check of what a
#: prototype rendered skips them; patches and ``manifests`` objects are held to them.
PARAM_CHECKED = frozenset({"externalExposure"})

_RBAC_FIELDS = ("apiGroups", "resources", "verbs", "nonResourceURLs")
#: ClusterRoles whose binding is an ``adminRoleBindings`` finding: in any binding / in a ClusterRoleBinding.
_ADMIN_ANYWHERE = frozenset({"cluster-admin"})
_ADMIN_CLUSTER_WIDE = frozenset({"admin", "edit"})
_EXPOSING_TYPES = frozenset({"NodePort", "LoadBalancer"})
_POSITIVE_OPERATORS = frozenset({"In", "Exists"})
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
    """(JSON pointer, pod spec) of every pod spec in *obj* (:func:`kfgen.kube.objects.pod_templates`: Pods,
    workloads, CronJobs, PodTemplates and TFJob replicas)."""
    return [(t.pointer, t.spec) for t in _pod_templates(obj)]


def findings(obj: Json, skip: frozenset[str] = frozenset(),
             templates: list[PodTemplate] | None = None) -> list[Finding]:
    """Everything :mod:`kfgen.render.safety` refuses in *obj* (empty: nothing), apart from the rules in *skip*
    (not even looked at: the render skips what it does not refuse, for 1,000s of objects). Only the rules the
    object's kind can break are looked at (:data:`_BY_KIND`; any other kind: its pod templates' ``image`` and
    ``resources``). *templates*: :func:`kfgen.kube.objects.pod_templates` of *obj* when the caller has walked
    it already (the render walks each object once for all its checks)."""
    kind = obj.get("kind")
    by_kind = _BY_KIND.get(kind) if type(kind) is str else None
    if by_kind is not None:
        rule, check = by_kind
        return [] if rule in skip else check(obj)
    out: list[Finding] = []
    resources = "resources" not in skip
    for t in _pod_templates(obj) if templates is None else templates:
        out.extend(_containers(obj, t.pointer, t.spec, resources))
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
                    hint=("name each path (e.g. /metrics, /healthz)" if field == "nonResourceURLs" else
                          "name each one (kubectl api-resources lists resources and their groups)")
                    + "; if the role really needs all of them, set allowRbacWildcards: true"))
    aggregation = obj.get("aggregationRule")
    selectors = aggregation.get("clusterRoleSelectors") if isinstance(aggregation, dict) else None
    for i, selector in enumerate(selectors if isinstance(selectors, list) else []):
        if not _selects_by_label(selector):
            out.append(Finding(
                "rbacWildcards", f"/aggregationRule/clusterRoleSelectors/{i}",
                f"{object_ref(obj)} aggregates the rules of every ClusterRole its clusterRoleSelectors[{i}] "
                "matches, and that selector requires no label: it matches every ClusterRole (but those with a label "
                "it excludes), cluster-admin included",
                expected="matchLabels or a matchExpressions In/Exists naming the label of the roles to aggregate",
                found=f"clusterRoleSelectors[{i}]: {json.dumps(selector, sort_keys=True)}",
                hint="select the roles by a label only they carry (e.g. matchLabels: {example.com/aggregate-to-"
                     "reader: \"true\"}); if the role really aggregates every ClusterRole, set "
                     "allowRbacWildcards: true"))
    return out


def _selects_by_label(selector: Any) -> bool:
    """Whether a label selector requires some label to be there (a matchLabels entry, an In or Exists
    expression): ``{}``, and one of only NotIn/DoesNotExist expressions, match every object without it."""
    if not isinstance(selector, dict):
        return False
    labels, expressions = selector.get("matchLabels"), selector.get("matchExpressions")
    if isinstance(labels, dict) and labels:
        return True
    return isinstance(expressions, list) and any(
        isinstance(e, dict) and e.get("operator") in _POSITIVE_OPERATORS for e in expressions)


def _binding(obj: Json) -> list[Finding]:
    ref = obj.get("roleRef")
    if not isinstance(ref, dict) or ref.get("kind") != "ClusterRole":
        return []
    role = ref.get("name")
    cluster_wide = obj.get("kind") == "ClusterRoleBinding"
    if role not in _ADMIN_ANYWHERE and not (cluster_wide and role in _ADMIN_CLUSTER_WIDE):
        return []
    scope = "in every namespace" if cluster_wide else f"in namespace {obj.get('metadata', {}).get('namespace')}"
    grants = ("every verb on every resource" if role == "cluster-admin"
              else "write access to most objects, Secrets included" if role == "edit"
              else "control of most objects, Secrets and RoleBindings included")
    return [Finding(
        "adminRoleBindings", "/roleRef/name",
        f"{object_ref(obj)} grants ClusterRole {role} ({grants}) {scope} to its subjects",
        expected="a Role or ClusterRole with the rules the subjects need" + (
            "" if cluster_wide else " (or a RoleBinding to admin or edit)"),
        found=f"roleRef: ClusterRole {role}",
        hint="bind a role that names what the subjects need" + (
            ", or bind admin/edit with a RoleBinding in each namespace they work in" if role != "cluster-admin"
            else "") + f"; if they really need {role}, set allowAdminRoleBindings: true")]


def _exposure_hint(what: str) -> str:
    return (f"{what}, and reach it with `kubectl port-forward`; if it must be reachable from outside the cluster, "
            "check that what it exposes authenticates every request (Ambassador, TF Serving and the TFJob "
            "dashboard authenticate nobody; JupyterHub only with an authenticator other than dummy) and set "
            "allowExternalExposure: true")


def _service(obj: Json) -> list[Finding]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    out = []
    kind = spec.get("type")
    if kind in _EXPOSING_TYPES:
        out.append(Finding(
            "externalExposure", "/spec/type", f"{object_ref(obj)} is reachable from outside the cluster "
            f"(type: {kind}): whoever reaches it talks to its pods, whether or not they authenticate anyone",
            expected="type: ClusterIP", found=f"type: {kind}", hint=_exposure_hint("keep type ClusterIP")))
    ips = spec.get("externalIPs")
    if isinstance(ips, list) and ips:
        listed = ", ".join(map(str, ips))
        out.append(Finding(
            "externalExposure", "/spec/externalIPs", f"{object_ref(obj)} is reachable from outside the cluster "
            f"at externalIPs {listed}: whoever reaches them talks to its pods, whether or not they authenticate "
            "anyone", expected="no externalIPs", found=f"externalIPs: {listed}",
            hint=_exposure_hint("remove externalIPs")))
    return out


def _ingress(obj: Json) -> list[Finding]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    backends = [spec.get("defaultBackend")]
    for rule in spec.get("rules") or []:
        paths = ((rule or {}).get("http") or {}).get("paths") if isinstance(rule, dict) else None
        backends.extend(p.get("backend") for p in paths or [] if isinstance(p, dict))
    services = sorted({str(b["service"].get("name")) for b in backends
                       if isinstance(b, dict) and isinstance(b.get("service"), dict)})
    to = f"Service {', '.join(services)}" if services else "its backends"
    return [Finding(
        "externalExposure", "/spec", f"{object_ref(obj)} routes requests from outside the cluster to {to}, "
        "whether or not they authenticate anyone", expected="no Ingress", found=f"an Ingress to {to}",
        hint=_exposure_hint("leave the Ingress out"))]


def _secret_values(obj: Json) -> list[Finding]:
    return _secret(obj) if obj.get("data") or obj.get("stringData") else []


#: kind -> (its rule, the check of that rule): the kinds that can break a rule other than ``image`` and
#: ``resources`` (a Secret's values, a role's rules, a binding's role, a Service's or an Ingress's exposure) and
#: have no pod template; every other kind is looked at for its pod templates only.
_BY_KIND: dict[str, tuple[str, Callable[[Json], list[Finding]]]] = {
    "Secret": ("secretValues", _secret_values),
    "Role": ("rbacWildcards", _rbac), "ClusterRole": ("rbacWildcards", _rbac),
    "RoleBinding": ("adminRoleBindings", _binding), "ClusterRoleBinding": ("adminRoleBindings", _binding),
    "Service": ("externalExposure", _service), "Ingress": ("externalExposure", _ingress)}


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
            if not resources:
                continue
            res = c.get("resources")
            if type(res) is dict:  # the usual case, without a call: requests and limits of both
                requests, limits = res.get("requests"), res.get("limits")
                if (type(requests) is dict and type(limits) is dict and "cpu" in requests and "memory" in requests
                        and "cpu" in limits and "memory" in limits):
                    continue
            missing = _missing_resources(res)
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
