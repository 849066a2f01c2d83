"""The ``podSecurity`` entries new instances need: what ``kfgen init``, ``generate`` and ``import`` add.

Every namespace is Pod Security ``restricted`` unless the profile's ``podSecurity`` lowers it, and the render
refuses a pod below its namespace's level (:func:`kfgen.render.pipeline.namespaces`). So the verbs that add
instances also add the entry an instance's pods need (core's Ambassador 0.30.1 runs as root: ``baseline``),
with a comment saying why, and what they write renders. The level and the reasons come from the instance's
own render, checked as the render checks it (:func:`kfgen.kube.podsecurity.pod_level`), not from a list of
prototypes: a prototype whose pods meet ``restricted`` one day needs no entry that day.

Only a missing entry is added. A level the profile (or a profile it extends) writes for the namespace is the
user's: when it is stricter than the new instance needs, ``generate`` refuses (:func:`lowering`) and says
where the entry is, which pod needs less, and what to do; it never lowers a level silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml as pyyaml
from ruamel.yaml.comments import CommentedMap

from kfgen.edit.document import Document, eol_comment, insert_after, node_for, put
from kfgen.errors import KfgenError, Problem, object_ref
from kfgen.kube.objects import pod_templates
from kfgen.kube.podsecurity import LEVELS, Level, pod_level
from kfgen.profile import Profile
from kfgen.prototypes.base import prototypes
from kfgen.render.pipeline import SYSTEM_NAMESPACES


@dataclass(frozen=True)
class Entry:
    """One ``podSecurity`` entry to add: *namespace*'s pods may run at *level*, *why* (the comment)."""

    namespace: str
    level: Level
    why: str

    @property
    def line(self) -> str:
        return f"{self.namespace}: {self.level}"


def needed(profile: Profile, instances: Iterable[str]) -> list[Entry]:
    """The entries *instances* of the validated *profile* need, by namespace: the lowest level any of their pods
    meets, where the profile's ``podSecurity`` does not allow it yet. Instances are rendered without patches
    (new ones have none); one the prototype refuses to render is left out: the render reports it."""
    allowed = profile.pod_security
    protos = prototypes()
    lowest: dict[str, tuple[Level, list[str]]] = {}  # namespace -> level needed, and the pods that need it
    for name in instances:
        comp = profile.components[name]
        ctx = profile.context(name)
        try:
            objects = protos[comp.prototype].render_instance(ctx, comp.params).objects
        except KfgenError:
            continue
        for obj in objects:
            ns = (obj.get("metadata") or {}).get("namespace") or ctx.namespace
            if ns in SYSTEM_NAMESPACES:  # kfgen neither labels nor checks them
                continue
            for t in pod_templates(obj):
                where = t.replica
                level, reasons = pod_level(t.spec, t.annotations, profile.kubernetes_version)
                if LEVELS.index(level) >= LEVELS.index(allowed.get(ns, "restricted")):
                    continue
                what = object_ref(obj) + (f" replica {where}" if where else "")
                pod = f"{name} ({comp.prototype}): {what} meets only '{level}' ({'; '.join(reasons)})"
                have = lowest.get(ns)
                if have is None or LEVELS.index(level) < LEVELS.index(have[0]):
                    lowest[ns] = (level, [pod])
                elif level == have[0]:
                    have[1].append(pod)
    return [Entry(ns, level, " / ".join(pods)) for ns, (level, pods) in sorted(lowest.items())]


def lowering(entries: list[Entry], declared: dict[str, str], locate: Callable[[str], tuple[str, int | None]],
             profile: str, command: str) -> list[Problem]:
    """A problem for each of *entries* whose namespace the profile writes (*declared*: its ``podSecurity``, as
    merged) at a stricter level than needed: kfgen would have to lower a level the user wrote. *locate*: a
    namespace's entry -> (file, line); *command*: the generate command, to repeat with another namespace."""
    problems = []
    for e in entries:
        if e.namespace not in declared:
            continue
        file, line = locate(e.namespace)
        where = f"{file}:{line}" if line is not None else file
        has = f"{e.namespace}: {declared[e.namespace]}"
        own = Path(file).name == f"{profile}.yaml"
        there = "" if own else (f"; that file is extended by others too: to change it for '{profile}' only, "
                                f"write `{e.line}` under podSecurity in {profile}'s own file")
        problems.append(Problem(
            f"podSecurity `{has}` is stricter than the new instance needs: kfgen never lowers a level the "
            "profile writes", file=file, line=line, path=("podSecurity", e.namespace),
            expected=f"`{e.line}` (or lower): {e.why}", found=f"`{has}`",
            hint=f"if you accept '{e.level}' pods in {e.namespace}, change the entry to `{e.line}` yourself "
                 f"({where}{there}); or give the instance another namespace: {command} --namespace OTHER"))
    return problems


def yaml_key(text: str) -> str:
    """*text* as a YAML mapping key that reads back as that string (a namespace named 'true' or '1' quoted)."""
    try:
        plain = pyyaml.safe_load(f"{text}: x") == {text: "x"}
    except pyyaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text)


def block(entries: list[Entry]) -> str:
    """A top-level ``podSecurity:`` mapping of *entries*, each with its comment ('' when there are none)."""
    if not entries:
        return ""
    return "podSecurity:\n" + "".join(f"  {yaml_key(e.namespace)}: {e.level}   # {e.why}\n" for e in entries)


def note(entry: Entry) -> str:
    """What a verb says it added for *entry*."""
    return (f"added `{entry.line}` under podSecurity (a namespace is Pod Security 'restricted' unless the "
            f"profile lowers it): {entry.why}")


def add(doc: Document, entries: list[Entry]) -> None:
    """Add *entries* to the profile file *doc* (round trip), each with its comment: into its ``podSecurity:``
    mapping, or a new one after the profile's first settings (``namespace:``, ``kubernetesVersion:`` …). In a
    flow mapping (``{a: baseline}``) an entry goes without its comment: the verb's note says why."""
    if not entries:
        return
    data = doc.data
    if isinstance(data.get("podSecurity"), CommentedMap):
        mapping = data["podSecurity"]
    else:
        mapping = CommentedMap()
        mapping.fa.set_block_style()
    for e in entries:
        key = node_for(e.namespace)
        had = key in mapping
        put(mapping, key, e.level)
        if not had and not mapping.fa.flow_style():  # a comment cannot go inside a flow mapping's line
            eol_comment(mapping, key, e.why, doc.indent + len(yaml_key(e.namespace)) + len(e.level) + 5)
    if "podSecurity" in data and data["podSecurity"] is mapping:
        return
    head = [k for k in data if k in _HEAD]
    if "podSecurity" in data:  # null: replaced where it is
        data["podSecurity"] = mapping
    elif head:
        insert_after(data, head[-1], "podSecurity", mapping)
    else:
        put(data, "podSecurity", mapping)


#: The settings a new ``podSecurity:`` follows (the shipped profiles' order).
_HEAD = ("extends", "description", "namespace", "kubernetesVersion")
