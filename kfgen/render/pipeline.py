"""Stage 3: render a validated profile into Kubernetes objects. Pure: no I/O, clock or randomness.

Each component instance is rendered by its prototype; the pipeline then adds what every object
carries (kfgen's labels), adds the Namespaces the profile uses, refuses two instances that render
the same object, and sorts everything into install order.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kfgen.errors import KfgenError, Problem
from kfgen.profile.model import Profile
from kfgen.prototypes.base import Prototype, RenderContext, prototypes
from kfgen.render.order import sort_objects

MANAGED_BY = "app.kubernetes.io/managed-by"
PROFILE_LABEL = "kfgen.io/profile"
INSTANCE_LABEL = "kfgen.io/instance"
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})

# Checks that look at a whole profile's output (e.g. the GPU budget): (profile, objects) -> notes.
Check = Callable[[Profile, list[dict[str, Any]]], "CheckResult"]


@dataclass
class CheckResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


@dataclass
class RenderResult:
    profile: str
    objects: list[dict[str, Any]]
    instance_of: dict[int, str]  # id(object) -> instance that rendered it ("" for the pipeline's own)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


def object_key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata", {})
    return (obj.get("apiVersion", "").split("/")[0] if "/" in obj.get("apiVersion", "") else "",
            obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))


def describe(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata", {})
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {ns}{meta.get('name')}"


def _label(obj: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    meta["labels"] = {**meta.get("labels", {}), **labels}
    return obj


def render_profile(profile: Profile, checks: tuple[Check, ...] | None = None) -> RenderResult:
    protos = prototypes()
    if checks is None:
        checks = default_checks()
    objects: list[dict[str, Any]] = []
    owner: dict[tuple[str, str, str, str], str] = {}
    instance_of: dict[int, str] = {}
    warnings: list[str] = []
    problems: list[Problem] = []
    namespaces: set[str] = set()
    if not profile.components:
        warnings.append("the profile has no components: its output is empty (add some under components:)")
    for instance, comp in profile.components.items():
        proto: Prototype = protos[comp.prototype]
        ctx: RenderContext = profile.context(instance)
        namespaces.add(ctx.namespace)
        try:
            out = proto.render_instance(ctx, comp.params)
        except KfgenError as exc:  # a prototype's own refusal (e.g. impossible combination)
            path = ("components", instance, "params")
            problems.extend(profile.sources.problem(p.path or path, p.message, expected=p.expected,
                                                    found=p.found, hint=p.hint) for p in exc.problems)
            continue
        warnings.extend(f"{instance}: {w}" for w in out.warnings)
        labels = {MANAGED_BY: "kfgen", PROFILE_LABEL: profile.name, INSTANCE_LABEL: instance}
        for obj in out.objects:
            labelled = _label(obj, labels)
            key = object_key(labelled)
            if key in owner:
                cluster_scoped = not labelled["metadata"].get("namespace")
                problems.append(profile.sources.problem(
                    ("components", instance), f"{describe(labelled)} is rendered by both '{owner[key]}' and '{instance}'",
                    hint="it is cluster-scoped, so only one instance may render it: switch it off in one of them"
                    if cluster_scoped
                    else "give one instance another namespace, or remove one"))
                continue
            owner[key] = instance
            instance_of[id(labelled)] = instance
            objects.append(labelled)
    if problems:
        raise KfgenError(problems)
    for ns in sorted(namespaces - SYSTEM_NAMESPACES):
        ns_obj = {"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": ns, "labels": {MANAGED_BY: "kfgen", PROFILE_LABEL: profile.name}}}
        if object_key(ns_obj) not in owner:
            instance_of[id(ns_obj)] = ""
            objects.append(ns_obj)
    summary: list[str] = []
    for check in checks:
        result = check(profile, objects)
        problems.extend(result.errors)
        warnings.extend(result.warnings)
        summary.extend(result.summary)
    if problems:
        raise KfgenError(problems)
    return RenderResult(profile.name, sort_objects(objects), instance_of, warnings, summary)


def default_checks() -> tuple[Check, ...]:
    """Whole-profile checks run after rendering (registered in kfgen.render.checks)."""
    from kfgen.render.checks import CHECKS

    return CHECKS
