"""Stage 3: render a validated profile into Kubernetes objects. Pure: no I/O, clock or randomness.

The pipeline is a fixed sequence of named steps, each a small function:

1. :func:`instances`   each component instance rendered by its prototype (a prototype's own
                       refusal becomes a problem at ``components.<instance>.params``);
2. :func:`labels`      kfgen's labels added to every object (copies: the prototype's dicts stay as
                       they were);
   :func:`patched`     each instance's ``patches:`` applied to its objects, which are then validated
                       strictly (:mod:`kfgen.render.patches`);
   :func:`secured`     every object meets :mod:`kfgen.render.safety` (Secret values, RBAC wildcards, images,
                       resources), apart from the instance's params' opt-ins (a patch's opt-in covers only that
                       patch's change, checked at the patch); objects outside the profile's namespace
                       get a warning (whole-profile apply cannot prune them);
3. :func:`collisions`  two instances rendering the same object refused;
4. :func:`namespaces`  the Namespaces the profile uses, unless a component renders them;
5. checks              whole-profile checks (:mod:`kfgen.render.checks`: GPU budget, node fit);
6. order               install order (:mod:`kfgen.render.order`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kfgen.errors import KfgenError, Problem, did_you_mean, object_ref
from kfgen.kube import podsecurity
from kfgen.kube.constants import INSTANCE_LABEL, MANAGED_BY_LABEL, PROFILE_LABEL
from kfgen.kube.objects import PodTemplate, pod_templates
from kfgen.nogc import gc_paused
from kfgen.profile import Profile
from kfgen.prototypes.base import Prototype, prototypes
from kfgen.render.checks import CHECKS, WALKING, Check
from kfgen.render.order import sort_objects
from kfgen.render.patches import apply_patches
from kfgen.render.safety import OPT_INS, PARAM_CHECKED, findings

SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
_OPT_IN_NAMES = frozenset(OPT_INS.values())

Json = dict[str, Any]
Key = tuple[str, str, str, str]
Walks = dict[int, list[PodTemplate]]  # id(object) -> its pod templates (pod_walks)


@dataclass
class RenderResult:
    profile: str
    objects: list[Json]
    instance_of: dict[int, str]  # id(object) -> instance that rendered it ("" for the pipeline's own)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


@dataclass
class _Instance:
    name: str
    namespace: str
    objects: list[Json]


def object_key(obj: Json) -> Key:
    """(API group, kind, namespace, name): what makes an object one object on a cluster."""
    meta = obj.get("metadata", {})
    api_version = obj.get("apiVersion", "")
    return (api_version.split("/")[0] if "/" in api_version else "", obj.get("kind", ""),
            meta.get("namespace", ""), meta.get("name", ""))


def instances(profile: Profile) -> tuple[list[_Instance], list[str]]:
    """Step 1: every component instance rendered by its prototype, in instance-name order."""
    protos = prototypes()
    rendered: list[_Instance] = []
    warnings: list[str] = []
    problems: list[Problem] = []
    if not profile.components:
        warnings.append("the profile has no components: its output is empty (add some under components:)")
    found: dict[str, Prototype] = {}  # the registry's lookup is a Python method: once per prototype
    for name, comp in profile.components.items():
        ctx = profile.context(name)
        proto = found.get(comp.prototype)
        if proto is None:
            proto = found[comp.prototype] = protos[comp.prototype]
        try:
            out = proto.render_instance(ctx, comp.params)
        except KfgenError as exc:  # a prototype's own refusal (e.g. impossible combination)
            path = ("components", name, "params")
            problems.extend(profile.sources.problem(p.path or path, p.message, expected=p.expected,
                                                    found=p.found, hint=p.hint, pointer=p.pointer)
                            for p in exc.problems)
            continue
        if out.warnings:
            warnings.extend(f"{name}: {w}" for w in out.warnings)
        rendered.append(_Instance(name, ctx.namespace, out.objects))
    if problems:
        raise KfgenError(problems)
    return rendered, warnings


def labels(profile: Profile, rendered: list[_Instance]) -> list[_Instance]:
    """Step 2: kfgen's labels on every object (shallow copies down to ``metadata``; nothing else is
    shared with the prototype's output, and nothing later in the pipeline mutates objects)."""
    out = []
    for inst in rendered:
        added = {MANAGED_BY_LABEL: "kfgen", PROFILE_LABEL: profile.name, INSTANCE_LABEL: inst.name}
        objs = []
        for obj in inst.objects:
            meta = dict(obj.get("metadata", {}))
            meta["labels"] = {**meta.get("labels", {}), **added}
            objs.append({**obj, "metadata": meta})
        out.append(_Instance(inst.name, inst.namespace, objs))
    return out


def patched(profile: Profile, rendered: list[_Instance]) -> list[_Instance]:
    """Step 2b: each instance's ``patches:`` applied to its objects (:mod:`kfgen.render.patches`), every
    patched object validated strictly; problems point at the patch in the profile."""
    out = []
    problems: list[Problem] = []
    components = profile.components  # a sorted copy per access: taken once, not once per instance
    for inst in rendered:
        patches = components[inst.name].patches
        if not patches:
            out.append(inst)
            continue

        def where(i: int, sub: tuple[str, ...], message: str, _name: str = inst.name, **kw: Any) -> Problem:
            return profile.sources.problem(("components", _name, "patches", i, *sub), message, **kw)

        try:
            objs = apply_patches(inst.objects, patches, kubernetes_version=profile.kubernetes_version, where=where)
        except KfgenError as exc:
            problems.extend(exc.problems)
            continue
        out.append(_Instance(inst.name, inst.namespace, objs))
    if problems:
        raise KfgenError(problems)
    return out


def secured(profile: Profile, rendered: list[_Instance], before: list[_Instance],
            walks: Walks | None = None) -> list[str]:
    """Step 2c: every object meets :mod:`kfgen.render.safety`, apart from what its instance's params opt in to
    (a ``manifests`` instance's allowSecretValues …). *before* is *rendered* before the patches: what a patch
    changed was checked at the patch (refused there, or let through by the patch's own opt-in, which covers
    that change and nothing else), so a patched object is held here to what it had before its patches; what
    ``manifests`` objects hold was refused where they are written; what is left comes from a prototype (every
    prototype's containers have requests and limits: a finding here is a kfgen bug, reported rather than
    written). What a prototype exposes outside the cluster its own params check (``PARAM_CHECKED``). Returns a
    warning for each instance that puts objects outside the profile's namespace. *walks*: :func:`pod_walks` of
    *rendered* (walked here without it)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    components = profile.components
    for inst, original in zip(rendered, before, strict=True):
        params = vars(components[inst.name].params)  # a params model's fields are in its __dict__
        skip = PARAM_CHECKED if _OPT_IN_NAMES.isdisjoint(params) else (
            PARAM_CHECKED | {rule for rule, name in OPT_INS.items() if params.get(name)})  # most params have none
        elsewhere: set[str] = set()
        for obj, was in zip(inst.objects, original.objects, strict=True):
            found = findings(obj, skip, None if walks is None else walks[id(obj)])
            if found and obj is not was:  # patched: only what the prototype's object had is left to report
                had = {(f.rule, f.pointer) for f in findings(was, skip)}
                found = [f for f in found if (f.rule, f.pointer) in had]
            for f in found:
                problems.append(profile.sources.problem(
                    ("components", inst.name), f"instance '{inst.name}': {f.message}", pointer=f.pointer,
                    expected=f.expected, found=f.found, hint=f.hint))
            ns = obj.get("metadata", {}).get("namespace")
            if ns and ns != profile.namespace:
                elsewhere.add(ns)
        if elsewhere:
            warnings.append(
                f"{inst.name}: objects in namespace {', '.join(sorted(elsewhere))}, not the profile's "
                f"'{profile.namespace}': a whole-profile `kfgen apply -p {profile.name}` (ApplySet pruning) "
                f"refuses them; apply this instance with `kfgen apply -p {profile.name} -c {inst.name}`")
    if problems:
        raise KfgenError(problems)
    return warnings


def collisions(profile: Profile, rendered: list[_Instance]) -> dict[Key, str]:
    """Step 3: refuse two instances that render the same object; returns object key -> instance."""
    owner: dict[Key, str] = {}
    problems: list[Problem] = []
    for inst in rendered:
        for obj in inst.objects:
            key = object_key(obj)
            if key in owner:
                cluster_scoped = not obj["metadata"].get("namespace")
                problems.append(profile.sources.problem(
                    ("components", inst.name),
                    f"{object_ref(obj)} is rendered by both '{owner[key]}' and '{inst.name}'",
                    hint="it is cluster-scoped, so only one instance may render it: switch it off in one of them"
                    if cluster_scoped else "give one instance another namespace, or remove one"))
                continue
            owner[key] = inst.name
    if problems:
        raise KfgenError(problems)
    return owner


def namespaces(profile: Profile, rendered: list[_Instance], owner: dict[Key, str],
               walks: Walks | None = None) -> list[Json]:
    """Step 4: a Namespace for each namespace the instances use (not the system ones), unless an
    instance renders it itself. Each is labelled for the PodSecurity admission plugin (enforce, audit
    and warn) with its Pod Security Standard level: ``restricted``, unless the profile's ``podSecurity``
    lowers it. A pod below its namespace's level is an error naming the pod, the level it needs, why, and
    the ``podSecurity`` line that would allow it (:mod:`kfgen.kube.podsecurity`): one pod never lowers the
    level of the others silently. kfgen leaves the system namespaces (kube-system …) alone.

    A pod may sit in a namespace no instance uses (a ``manifests`` object's own ``metadata.namespace``): it is
    held to that namespace's level the same way, and ``podSecurity`` may name the namespace; but kfgen renders
    no Namespace for it (it would take over a namespace someone else manages, and pruning could delete it).
    There, as in a namespace whose Namespace an instance renders itself, the entry labels nothing: it only
    states the level the user vouches the cluster's labels allow there. *walks*: :func:`pod_walks` of *rendered*
    (walked here without it)."""
    rank = {level: i for i, level in enumerate(podsecurity.LEVELS)}  # weakest first
    version = profile.kubernetes_version  # the cluster's PodSecurity admission judges by its own version
    allowed = profile.pod_security
    used = {inst.namespace for inst in rendered}
    # the namespaces kfgen renders a Namespace for: the instances', but those an instance renders itself
    labelled = {ns for ns in used - SYSTEM_NAMESPACES
                if object_key({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}) not in owner}
    with_pods: set[str] = set()  # the namespaces of the pods, wherever they are: podSecurity may name them
    below: list[Problem] = []
    pod_level = podsecurity.pod_level
    for inst in rendered:
        for obj in inst.objects:
            templates = pod_templates(obj) if walks is None else walks[id(obj)]
            if not templates:
                continue
            ns = obj.get("metadata", {}).get("namespace") or inst.namespace
            if ns in SYSTEM_NAMESPACES:
                continue
            with_pods.add(ns)
            level = allowed.get(ns, "restricted")
            for t in templates:
                needs, why = pod_level(t.spec, t.annotations, version)
                if rank[needs] < rank[level]:
                    below.append(_below(profile, inst.name, obj, t.replica, ns, level, needs, why,
                                        None if ns in labelled else _unlabelled(ns, used, owner)))
    # an entry for a namespace no instance uses is a mistake where it is written; one inherited through
    # `extends` was right for the parent (a child that moves to another namespace need not undo it)
    known = used | with_pods
    own_file = profile.sources.default_file
    problems = [_unknown_namespace(profile, ns, known) for ns in allowed if ns in SYSTEM_NAMESPACES
                or (ns not in known and profile.sources.locate(("podSecurity", ns))[0] == own_file)]
    problems.extend(below)
    if problems:
        raise KfgenError(problems)
    out = []
    for ns in sorted(labelled):
        level = allowed.get(ns, "restricted")
        pss = {key: level for key in (podsecurity.ENFORCE_LABEL, podsecurity.AUDIT_LABEL, podsecurity.WARN_LABEL)}
        ns_labels = {MANAGED_BY_LABEL: "kfgen", PROFILE_LABEL: profile.name, **pss}
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": ns_labels}})
    return out


def _unlabelled(ns: str, used: set[str], owner: dict[Key, str]) -> str:
    """Why kfgen's own Namespace labels do not apply to *ns* (a namespace of pods it renders no Namespace for)."""
    key = object_key({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if ns in used and key in owner:
        return f"instance '{owner[key]}' renders Namespace {ns} with the labels it gives it"
    return f"kfgen renders no Namespace for {ns} (no instance uses it) and leaves its labels alone"


def _below(profile: Profile, instance: str, obj: Json, where: str, ns: str, level: str, needs: str,
           why: list[str], unlabelled: str | None) -> Problem:
    """A pod below its namespace's Pod Security Standard level: the pod, the level it needs, why, the fix.
    *unlabelled* (:func:`_unlabelled`): why kfgen does not label *ns* with the entry's level; the entry then
    only states what the user vouches the cluster allows there, and the hint says so."""
    what = object_ref(obj) + (f" replica {where}" if where else "")
    line = f"{ns}: {needs}"
    own = profile.sources.default_file or "the profile"  # the rendered profile's own file, not a parent's
    hint = (f"add `{line}` under podSecurity: in {own}" if profile.pod_security
            else f"add `podSecurity: {{{line}}}` at the top level of {own}")
    hint = (f"{hint} (every pod of {ns} may then run at '{needs}')" if unlabelled is None else
            f"{hint}: {unlabelled}, so the entry labels nothing: it states that you vouch the cluster lets pods "
            f"of {ns} run at '{needs}' (its pod-security.kubernetes.io/enforce label)")
    return profile.sources.problem(
        ("components", instance),
        f"instance '{instance}': {what} meets only the Pod Security Standard '{needs}', below namespace {ns}'s "
        f"'{level}'", expected=f"pods that meet '{level}' in namespace {ns}", found=f"{needs}: {'; '.join(why)}",
        hint=f"make the pod meet '{level}' (a patch can change what it misses), or, if it must run so, {hint}")


def _unknown_namespace(profile: Profile, ns: str, used: set[str]) -> Problem:
    choices = sorted(used - SYSTEM_NAMESPACES)
    if ns in SYSTEM_NAMESPACES:
        return profile.sources.problem(("podSecurity", ns), f"podSecurity names system namespace {ns}: kfgen "
                                       "neither labels it nor checks its pods", expected="one of: "
                                       + (", ".join(choices) or "(no namespace of the profile)"), found=ns,
                                       hint=f"remove the line; the cluster's admin sets {ns}'s Pod Security labels")
    guess = did_you_mean(ns, choices)
    return profile.sources.problem(
        ("podSecurity", ns), f"podSecurity names namespace {ns}, which no instance of the profile uses",
        expected="one of: " + (", ".join(choices) or "(no namespace of the profile)"), found=ns,
        hint=guess or "remove the line, or fix the namespace's name")


def pod_walks(rendered: list[_Instance]) -> Walks:
    """id(object) -> :func:`kfgen.kube.objects.pod_templates` of each object of *rendered*: the render walks each
    object's pods once and :func:`secured`, :func:`namespaces` and the checks (:data:`kfgen.render.checks.WALKING`)
    share the result. The objects must outlive it and stay as they are (nothing in the pipeline mutates them)."""
    return {id(obj): pod_templates(obj) for inst in rendered for obj in inst.objects}


@gc_paused
def render_profile(profile: Profile, checks: tuple[Check, ...] = CHECKS) -> RenderResult:
    rendered, warnings = instances(profile)
    labelled = labels(profile, rendered)
    rendered = patched(profile, labelled)
    walks = pod_walks(rendered)
    warnings.extend(secured(profile, rendered, labelled, walks))
    owner = collisions(profile, rendered)
    instance_of: dict[int, str] = {}
    objects: list[Json] = []
    for inst in rendered:
        for obj in inst.objects:
            instance_of[id(obj)] = inst.name
            objects.append(obj)
    for ns_obj in namespaces(profile, rendered, owner, walks):
        instance_of[id(ns_obj)] = ""
        objects.append(ns_obj)
    summary: list[str] = []
    problems: list[Problem] = []
    for check in checks:
        result = check(profile, objects, walks) if check in WALKING else check(profile, objects)
        problems.extend(result.errors)
        warnings.extend(result.warnings)
        summary.extend(result.summary)
    if problems:
        raise KfgenError(problems)
    return RenderResult(profile.name, sort_objects(objects), instance_of, warnings, summary)
