"""Small builders for Kubernetes objects, shared by the prototypes.

Every builder returns plain dicts (what a render function returns) in current API versions
(``apps/v1``, ``rbac.authorization.k8s.io/v1`` …) and never emits ``None``: an optional argument
left unset is simply absent from the object. Nothing here knows about a particular component;
prototype-specific choices (names, images, labels) stay in ``kfgen/prototypes/``. Quantities are in
:mod:`kfgen.kube.quantity`.

:func:`pod_templates` is the one reader of the pod templates in an object, whoever wrote it (the render's
resource, Pod Security and GPU / node checks all walk pods through it).

Typical use::

    from kfgen.kube import objects as k8s

    labels = {"app": "web"}
    objects = [
        k8s.service("web", ns, ports=[k8s.port(80, 8080, name="http")], selector=labels),
        k8s.deployment("web", ns, template=k8s.pod_template(labels, [
            k8s.container("web", "registry.example/web:1.0", ports=[k8s.container_port(8080)]),
        ])),
    ]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from kfgen.kube.constants import TFJOB_KIND

# Quantities live in kfgen.kube.quantity; these names stay importable from here for the importers that
# still use them (kfgen/render/checks.py, kfgen/prototypes/core/params.py, tests/test_core.py).
from kfgen.kube.quantity import NON_NEGATIVE_QUANTITY_PATTERN as NON_NEGATIVE_QUANTITY_PATTERN
from kfgen.kube.quantity import QUANTITY_PATTERN as QUANTITY_PATTERN
from kfgen.kube.quantity import parse_quantity as _parse_quantity

Json = dict[str, Any]

RBAC_API = "rbac.authorization.k8s.io/v1"

#: A container image reference: ``[registry[:port]/]path[:tag][@sha256:digest]`` (lower-case path).
IMAGE_PATTERN = (
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)


# Values prune() returns as they are, recognised by their exact type (no ABC isinstance check).
_LEAVES = frozenset({str, int, float, bool})


def prune(value: Any) -> Any:
    """*value* with every ``None`` removed from its mappings (recursively). Lists keep their length.

    Mappings (any :class:`~collections.abc.Mapping`) become plain dicts and lists (subclasses too)
    plain lists; everything else is returned as is. Scalars are recognised by their exact type, so
    most values never reach the ``isinstance`` checks (this runs on every container kfgen builds)."""
    if type(value) is dict or (type(value) is not list and isinstance(value, Mapping)):
        return {k: v if type(v) in _LEAVES else prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [v if type(v) in _LEAVES else prune(v) for v in value]
    return value


def parse_quantity(text: str) -> Any:
    """:func:`kfgen.kube.quantity.parse_quantity` for profile validators (core's params): a refusal is a
    ``ParamError`` (a ValueError) with what a quantity looks like and, for 20GB or 20gi, the quantity meant, so the
    profile error has its expected and hint lines."""
    try:
        return _parse_quantity(text)
    except ValueError as exc:
        from kfgen.prototypes.params.patterns import quantity_error  # lazily: that module imports this one

        raise quantity_error(text, exc) from None


# --- metadata and generic objects ---------------------------------------------------------------


def obj(api_version: str, kind: str, name: str, namespace: str | None = None, *,
        labels: Mapping[str, str] | None = None, annotations: Mapping[str, str] | None = None,
        **body: Any) -> Json:
    """Any object: ``apiVersion``, ``kind``, ``metadata`` (name, namespace, labels, annotations) and
    the top-level fields in *body* (``spec=...``, ``data=...``, ``rules=...``); ``None`` fields are dropped."""
    meta: Json = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    out: Json = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    out.update(prune({k: v for k, v in body.items() if v is not None}))
    return out


def config_map(name: str, namespace: str, data: Mapping[str, str], *,
               labels: Mapping[str, str] | None = None) -> Json:
    """A ConfigMap with string *data*."""
    return obj("v1", "ConfigMap", name, namespace, labels=labels, data=dict(data))


def service_account(name: str, namespace: str, *, labels: Mapping[str, str] | None = None) -> Json:
    """A ServiceAccount."""
    return obj("v1", "ServiceAccount", name, namespace, labels=labels)


# --- services ---------------------------------------------------------------------------------


def port(port: int, target_port: int | str | None = None, *, name: str | None = None,
         protocol: str | None = None, node_port: int | None = None) -> Json:
    """One Service port (``targetPort`` defaults to *port* on the server side when left out)."""
    return prune({"name": name, "port": port, "targetPort": target_port, "protocol": protocol, "nodePort": node_port})


def service(name: str, namespace: str, *, ports: Sequence[Json], selector: Mapping[str, str],
            type: str | None = "ClusterIP", cluster_ip: str | None = None,
            external_ips: Sequence[str] = (), labels: Mapping[str, str] | None = None,
            annotations: Mapping[str, str] | None = None) -> Json:
    """A Service. ``cluster_ip="None"`` makes it headless (then *type* is usually ``None``)."""
    spec: Json = {"clusterIP": cluster_ip, "ports": list(ports), "selector": dict(selector), "type": type}
    if external_ips:
        spec["externalIPs"] = list(external_ips)
    return obj("v1", "Service", name, namespace, labels=labels, annotations=annotations, spec=spec)


# --- containers and pods ----------------------------------------------------------------------


def env_var(name: str, value: str) -> Json:
    """An environment variable with a literal value."""
    return {"name": name, "value": value}


def env_from_field(name: str, field_path: str) -> Json:
    """An environment variable from the downward API (``metadata.namespace``, ``metadata.name`` …)."""
    # apiVersion is what the server defaults: rendering it keeps client- and server-side apply in agreement
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": field_path}}}


def container_port(port: int, *, name: str | None = None, protocol: str | None = None) -> Json:
    """One container port."""
    return prune({"containerPort": port, "name": name, "protocol": protocol})


def http_probe(path: str, port: int | str, *, initial_delay: int | None = None, period: int | None = None,
               timeout: int | None = None) -> Json:
    """An HTTP GET probe (liveness or readiness)."""
    return prune({"httpGet": {"path": path, "port": port}, "initialDelaySeconds": initial_delay,
                  "periodSeconds": period, "timeoutSeconds": timeout})


def resources(*, requests: Mapping[str, str] | None = None, limits: Mapping[str, str] | None = None) -> Json:
    """Container resource requests and limits (quantities as strings)."""
    return prune({"limits": dict(limits) if limits else None, "requests": dict(requests) if requests else None})


#: The seccomp profile every container gets: the container runtime's default filter.
RUNTIME_DEFAULT_SECCOMP: Json = {"type": "RuntimeDefault"}


def security_context(*, run_as_user: int | None = None, run_as_group: int | None = None,
                     run_as_non_root: bool = True, read_only_root_filesystem: bool | None = None,
                     add_capabilities: Sequence[str] = ()) -> Json:
    """A container securityContext that meets the Pod Security Standard ``restricted`` by default:
    no privilege escalation, every capability dropped, the runtime's default seccomp profile, and
    ``runAsNonRoot`` (the kubelet refuses to start an image whose user is root unless *run_as_user*
    names another).

    ``run_as_non_root=False`` is the ``baseline`` exception for an image that must run as root: the
    caller writes why next to the call. *add_capabilities* adds back capabilities after the drop
    (``restricted`` allows only ``NET_BIND_SERVICE``)."""
    caps: Json = {"drop": ["ALL"]}
    if add_capabilities:
        caps["add"] = list(add_capabilities)
    # built key by key, in this order, leaving out what is None (what prune() of the full dict gives)
    ctx: Json = {"allowPrivilegeEscalation": False, "capabilities": caps}
    if run_as_user is not None:
        ctx["runAsUser"] = run_as_user
    if run_as_group is not None:
        ctx["runAsGroup"] = run_as_group
    if run_as_non_root:
        ctx["runAsNonRoot"] = True
    if read_only_root_filesystem is not None:
        ctx["readOnlyRootFilesystem"] = read_only_root_filesystem
    ctx["seccompProfile"] = dict(RUNTIME_DEFAULT_SECCOMP)
    return ctx


_restricted_context = security_context  # container()'s default (its parameter shadows the name)


def volume_mount(name: str, mount_path: str, *, read_only: bool | None = None, sub_path: str | None = None) -> Json:
    """A container volumeMount."""
    return prune({"mountPath": mount_path, "name": name, "readOnly": read_only, "subPath": sub_path})


def container(name: str, image: str, *, command: Sequence[str] | None = None, args: Sequence[str] | None = None,
              env: Sequence[Json] = (), ports: Sequence[Json] = (), volume_mounts: Sequence[Json] = (),
              resources: Json | None = None, liveness_probe: Json | None = None,
              readiness_probe: Json | None = None, security_context: Json | None = None,
              working_dir: str | None = None) -> Json:
    """A container. *security_context* defaults to :func:`security_context()` (Pod Security Standard
    ``restricted``: the image must not need root, or the caller passes its own context)."""
    # What prune() of the whole dict {"name": name, "image": image, "command": ..., "securityContext": ...} gives
    # (None left out, every value pruned, i.e. copied; empty env/ports/volumeMounts left out), in that key order,
    # built key by key: this runs for every container kfgen renders.
    out: Json = {"name": name, "image": image} if type(name) is str and type(image) is str else prune(
        {"name": name, "image": image})
    if command is not None:
        out["command"] = [v if type(v) in _LEAVES else prune(v) for v in command]
    if args is not None:
        out["args"] = [v if type(v) in _LEAVES else prune(v) for v in args]
    if working_dir is not None:
        out["workingDir"] = prune(working_dir)
    for key, items in (("env", env), ("ports", ports), ("volumeMounts", volume_mounts)):
        if items:
            pruned = [v if type(v) in _LEAVES else prune(v) for v in items]
            if pruned:
                out[key] = pruned
    for key, value in (("resources", resources), ("livenessProbe", liveness_probe),
                       ("readinessProbe", readiness_probe)):
        if value is not None:
            out[key] = prune(value)
    out["securityContext"] = _restricted_context() if security_context is None else prune(security_context)
    return out


def config_map_volume(name: str, config_map_name: str) -> Json:
    """A pod volume backed by a ConfigMap."""
    return {"name": name, "configMap": {"name": config_map_name}}


def secret_volume(name: str, secret_name: str) -> Json:
    """A pod volume backed by a Secret."""
    return {"name": name, "secret": {"secretName": secret_name}}


def empty_dir_volume(name: str, *, medium: str | None = None) -> Json:
    """A pod-private scratch volume (``medium="Memory"`` for tmpfs)."""
    return {"name": name, "emptyDir": prune({"medium": medium})}


def pvc_volume(name: str, claim_name: str, *, read_only: bool | None = None) -> Json:
    """A pod volume backed by a PersistentVolumeClaim."""
    return {"name": name, "persistentVolumeClaim": prune({"claimName": claim_name, "readOnly": read_only})}


def pod_template(labels: Mapping[str, str], containers: Sequence[Json], *,
                 init_containers: Sequence[Json] = (), volumes: Sequence[Json] = (),
                 service_account: str | None = None, annotations: Mapping[str, str] | None = None,
                 restart_policy: str | None = None, pod_security_context: Json | None = None,
                 automount_service_account_token: bool | None = None) -> Json:
    """A pod template (``metadata.labels`` + ``spec``) for a workload. Pass
    ``automount_service_account_token=False`` for pods that never call the Kubernetes API."""
    meta: Json = {"labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    spec: Json = {
        "initContainers": list(init_containers) or None,
        "containers": list(containers),
        "volumes": list(volumes) or None,
        "serviceAccountName": service_account,
        "automountServiceAccountToken": automount_service_account_token,
        "restartPolicy": restart_policy,
        "securityContext": pod_security_context,
    }
    return {"metadata": meta, "spec": prune(spec)}


def _selector(template: Json, selector: Mapping[str, str] | None) -> Json:
    labels = dict(selector) if selector is not None else dict(template["metadata"]["labels"])
    missing = {k: v for k, v in labels.items() if template["metadata"]["labels"].get(k) != v}
    if missing:
        raise ValueError(f"selector {labels} does not match the pod template labels {template['metadata']['labels']}")
    return {"matchLabels": labels}


def deployment(name: str, namespace: str, *, template: Json, replicas: int | None = 1,
               selector: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
               annotations: Mapping[str, str] | None = None) -> Json:
    """An ``apps/v1`` Deployment whose selector is the template's labels (or *selector*, which must match them)."""
    spec = {"replicas": replicas, "selector": _selector(template, selector), "template": template}
    return obj("apps/v1", "Deployment", name, namespace, labels=labels, annotations=annotations, spec=spec)


def stateful_set(name: str, namespace: str, *, service_name: str, template: Json, replicas: int = 1,
                 selector: Mapping[str, str] | None = None, update_strategy: str | None = "RollingUpdate",
                 labels: Mapping[str, str] | None = None) -> Json:
    """An ``apps/v1`` StatefulSet governed by the (headless) Service *service_name*."""
    spec = {"replicas": replicas, "selector": _selector(template, selector), "serviceName": service_name,
            "template": template, "updateStrategy": {"type": update_strategy} if update_strategy else None}
    return obj("apps/v1", "StatefulSet", name, namespace, labels=labels, spec=spec)


# --- RBAC -------------------------------------------------------------------------------------


def rule(api_groups: Iterable[str], resources: Iterable[str], verbs: Iterable[str], *,
         resource_names: Iterable[str] | None = None) -> Json:
    """One RBAC policy rule. ``"*"`` is refused: name the verbs and resources you need."""
    groups, res, vs = list(api_groups), list(resources), list(verbs)
    if "*" in res or "*" in vs:
        raise ValueError("RBAC rules built here name their resources and verbs; '*' is not allowed")
    out: Json = {"apiGroups": groups, "resources": res, "verbs": vs}
    if resource_names is not None:
        out["resourceNames"] = list(resource_names)
    return out


def role(name: str, rules: Sequence[Json], *, namespace: str | None = None,
         labels: Mapping[str, str] | None = None) -> Json:
    """A Role in *namespace*, or a ClusterRole when *namespace* is ``None``."""
    kind = "Role" if namespace else "ClusterRole"
    return obj(RBAC_API, kind, name, namespace, labels=labels, rules=list(rules))


def sa_subject(name: str, namespace: str) -> Json:
    """A ServiceAccount as a binding subject."""
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def binding(name: str, role_name: str, subjects: Sequence[Json], *, namespace: str | None = None,
            role_kind: str | None = None, labels: Mapping[str, str] | None = None) -> Json:
    """A RoleBinding in *namespace* (to a Role, or to a ClusterRole with ``role_kind="ClusterRole"``),
    or a ClusterRoleBinding to a ClusterRole when *namespace* is ``None``."""
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    ref_kind = role_kind or ("Role" if namespace else "ClusterRole")
    if not namespace and ref_kind != "ClusterRole":
        raise ValueError("a ClusterRoleBinding can only reference a ClusterRole")
    return obj(RBAC_API, kind, name, namespace, labels=labels,
               roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": role_name},
               subjects=list(subjects))


# --- reading pod templates ----------------------------------------------------------------------


class PodTemplate(NamedTuple):
    """One pod template of an object (:func:`pod_templates`)."""

    kind: str  # the object's kind
    replica: str  # a TFJob's replica type (Worker, PS …); "" for every other kind
    pointer: str  # JSON pointer to the pod spec in the object: /spec/template/spec, /spec …
    annotations: Json  # the template's metadata.annotations (a Pod's own); {} when it has none
    spec: Json  # the pod spec
    replicas: Any  # the replicas field that counts these pods (as written; None: not set, or the kind has none)


#: Kinds whose pod template is spec.template, and whether spec.replicas counts their pods.
_TEMPLATE_KINDS = {"Deployment": True, "StatefulSet": True, "ReplicaSet": True, "ReplicationController": True,
                   "DaemonSet": False, "Job": False}


def _dict(value: Any) -> Json:
    return value if type(value) is dict else {}


def pod_templates(obj: Json) -> list[PodTemplate]:
    """Every pod template in *obj*: a Pod's own spec, the template of a Deployment, StatefulSet, DaemonSet,
    ReplicaSet, ReplicationController or Job, a CronJob's job template, a PodTemplate's template, and each
    TFJob replica's (in replica-type order). Anything else has none; so has a template whose spec is not a
    mapping (a user's object that is not valid yet: nothing there to check)."""
    kind = obj.get("kind")
    if kind == "PodTemplate":
        return _template(kind, obj, "/template/spec", None)
    spec = obj.get("spec")
    if type(spec) is not dict:
        return []
    if kind == "Pod":
        return [PodTemplate(kind, "", "/spec", _dict(_dict(obj.get("metadata")).get("annotations")), spec, None)]
    counted = _TEMPLATE_KINDS.get(kind)
    if counted is not None:
        return _template(kind, spec, "/spec/template/spec", spec.get("replicas") if counted else None)
    if kind == "CronJob":
        job = _dict(_dict(spec.get("jobTemplate")).get("spec"))
        return _template(kind, job, "/spec/jobTemplate/spec/template/spec", None)
    if kind != TFJOB_KIND:
        return []
    out = []
    replicas = spec.get("tfReplicaSpecs")
    if type(replicas) is not dict:
        return out
    for rtype in sorted(replicas):  # the hot path (1,000s of TFJobs): the common shapes without helper calls
        rspec = replicas[rtype]
        template = rspec.get("template") if type(rspec) is dict else None
        pod = template.get("spec") if type(template) is dict else None
        if type(pod) is not dict:
            continue
        meta = template.get("metadata")
        notes = meta.get("annotations") if type(meta) is dict else None
        name = str(rtype)
        escaped = name if "~" not in name and "/" not in name else name.replace("~", "~0").replace("/", "~1")
        out.append(PodTemplate(kind, rtype, f"/spec/tfReplicaSpecs/{escaped}/template/spec",
                               notes if type(notes) is dict else {}, pod, rspec.get("replicas")))
    return out


def _template(kind: str, outer: Json, pointer: str, replicas: Any, replica: str = "") -> list[PodTemplate]:
    """The pod template at outer.template (none when its spec is not a mapping)."""
    template = _dict(outer.get("template"))
    spec = template.get("spec")
    if type(spec) is not dict:
        return []
    return [PodTemplate(kind, replica, pointer, _dict(_dict(template.get("metadata")).get("annotations")), spec,
                        replicas)]
