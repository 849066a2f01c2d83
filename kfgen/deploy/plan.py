"""From a fresh render to what kubectl is handed: objects, install phases, the profile's ApplySet.

The objects come from :meth:`kfgen.actions.Workspace.render` (the same bytes ``out/<profile>/``
holds, parsed back), in install order. Every object gets the ApplySet label
``applyset.kubernetes.io/part-of`` of its profile's ApplySet (parent: the ConfigMap
``kfgen-applyset-<profile>`` in the profile's namespace), so that ``kubectl diff`` and a ``-c``
apply (which run without ``--applyset``) send exactly what ``kubectl apply --applyset`` sends and
neither drops the label.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.kube.constants import INSTANCE_LABEL, MANAGED_BY_LABEL, PROFILE_LABEL
from kfgen.output.files import KUSTOMIZATION
from kfgen.output.yaml import to_yaml
from kfgen.profile import Profile
from kfgen.render.order import UNKNOWN_RANK, kind_rank

APPLYSET_PART_OF = "applyset.kubernetes.io/part-of"
APPLYSET_ID_LABEL = "applyset.kubernetes.io/id"
APPLYSET_ENV = {"KUBECTL_APPLYSET": "true"}  # ApplySet pruning is behind this gate in kubectl 1.37
PREREQUISITE_KINDS = ("Namespace", "CustomResourceDefinition")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ApplySet:
    """kubectl's ApplySet parent of one profile (KEP 3659), a ConfigMap in the profile's namespace."""

    name: str
    namespace: str

    @property
    def ref(self) -> str:
        """``--applyset`` value (with ``-n namespace``)."""
        return f"configmaps/{self.name}"

    @property
    def id(self) -> str:
        """The ID kubectl writes on the parent and, as ``applyset.kubernetes.io/part-of``, on members:
        ``applyset-<base64url(sha256(<name>.<namespace>.<Kind>.<group>))>-v1``."""
        digest = hashlib.sha256(f"{self.name}.{self.namespace}.ConfigMap.".encode()).digest()
        return f"applyset-{base64.urlsafe_b64encode(digest).decode().rstrip('=')}-v1"


def applyset_of(profile: Profile) -> ApplySet:
    return ApplySet(f"kfgen-applyset-{profile.name}", profile.namespace)


@dataclass(frozen=True)
class Item:
    """One rendered object (with the ApplySet label added)."""

    file: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def group(self) -> str:
        api = self.body["apiVersion"]
        return api.split("/", 1)[0] if "/" in api else ""

    @property
    def name(self) -> str:
        return self.body["metadata"]["name"]

    @property
    def namespace(self) -> str:
        return self.body["metadata"].get("namespace", "")

    @property
    def labels(self) -> dict[str, str]:
        return self.body["metadata"].get("labels", {})

    @property
    def instance(self) -> str:
        return self.labels.get(INSTANCE_LABEL, "")

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.group, self.kind, self.namespace, self.name

    @property
    def resource(self) -> str:
        """kubectl's type argument: ``Kind.group`` (``Kind`` in the core group)."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def display(self) -> str:
        return f"{self.resource}/{self.name}" + (f" -n {self.namespace}" if self.namespace else "")


def key_of(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    api = obj.get("apiVersion", "")
    meta = obj.get("metadata", {})
    return (api.split("/", 1)[0] if "/" in api else "", obj.get("kind", ""), meta.get("namespace", ""),
            meta.get("name", ""))


def stream(items: list[Item], applyset_label: bool = True) -> str:
    """The objects as one YAML stream, in the given order (kubectl's ``-f -``). Without the ApplySet
    label for ``kubectl apply --applyset``, which adds it itself and refuses input that has it."""
    return "".join("---\n" + to_yaml(i.body if applyset_label else _without_part_of(i.body)) for i in items)


def _without_part_of(body: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["metadata"]["labels"].pop(APPLYSET_PART_OF, None)
    return body


@dataclass
class Plan:
    """One profile's rendered objects in install order, and the selection (``-c``) a command works on."""

    profile: Profile
    applyset: ApplySet
    rendered: list[Item]
    instances: tuple[str, ...] = ()  # empty: the whole profile
    warnings: list[str] = field(default_factory=list)  # out/<profile>/ is not the fresh render
    render_warnings: list[str] = field(default_factory=list)  # the render's own (GPU budget, exposure)

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def selector(self) -> str:
        """Labels every object of the selection carries (kfgen's own: nothing kfgen did not create)."""
        sel = f"{MANAGED_BY_LABEL}=kfgen,{PROFILE_LABEL}={self.name}"
        if self.instances:
            sel += f",{INSTANCE_LABEL} in ({','.join(self.instances)})"
        return sel

    @property
    def items(self) -> list[Item]:
        """What apply/diff/status work on: the selected instances' objects, and with ``-c`` the
        profile's Namespaces too (instances need them; they carry no instance label)."""
        if not self.instances:
            return list(self.rendered)
        return [i for i in self.rendered if i.instance in self.instances or (i.kind == "Namespace" and not i.instance)]

    @property
    def owned(self) -> list[Item]:
        """What delete removes: the selected instances' objects (the Namespaces only without ``-c``)."""
        if not self.instances:
            return list(self.rendered)
        return [i for i in self.rendered if i.instance in self.instances]

    @property
    def crd_kinds(self) -> dict[tuple[str, str], str]:
        """(group, kind) -> CRD name, for the CRDs the profile renders."""
        return {(c.body["spec"]["group"], c.body["spec"]["names"]["kind"]): c.name
                for c in self.rendered if c.kind == "CustomResourceDefinition"}

    def is_custom(self, item: Item) -> bool:
        return (item.group, item.kind) in self.crd_kinds or kind_rank(item.kind) == UNKNOWN_RANK

    def prerequisites(self, items: list[Item] | None = None) -> list[Item]:
        return [i for i in (self.items if items is None else items) if i.kind in PREREQUISITE_KINDS]

    def blocked(self, missing_namespaces: set[str], missing_crds: set[str]) -> dict[tuple, str]:
        """Objects kubectl cannot even map or dry-run yet (their Namespace or CRD is not there):
        key -> what they wait for."""
        out: dict[tuple, str] = {}
        crd_kinds = self.crd_kinds
        for i in self.items:
            crd = crd_kinds.get((i.group, i.kind))
            if crd in missing_crds:
                out[i.key] = f"CRD {crd}"
            elif i.namespace in missing_namespaces:
                out[i.key] = f"Namespace {i.namespace}"
        return out

    def deletion_groups(self, extra_resources: set[str] = frozenset()) -> list[list[str]]:
        """kubectl type arguments in reverse install order, one group per install rank: custom
        resources first, then webhooks, workloads, Services, RBAC, CRDs, config, ServiceAccounts and
        Namespaces last. *extra_resources* (``Kind.group`` strings, e.g. from the ApplySet parent) are
        placed by their kind's rank."""
        ranked: dict[int, set[str]] = {}
        for i in self.owned:
            rank = UNKNOWN_RANK + 1 if self.is_custom(i) else kind_rank(i.kind)
            ranked.setdefault(rank, set()).add(i.resource)
        for res in extra_resources:
            kind, _, group = res.partition(".")
            if self.instances and kind == "Namespace":
                continue
            custom = (group, kind) in self.crd_kinds or kind_rank(kind) == UNKNOWN_RANK
            ranked.setdefault(UNKNOWN_RANK + 1 if custom else kind_rank(kind), set()).add(res)
        return [sorted(ranked[r]) for r in sorted(ranked, reverse=True)]


def build_plan(profile: Profile, files: dict[str, str], instances: list[str] | None = None) -> Plan:
    """Parse the rendered files back into objects (in file = install order) and select instances."""
    known = list(profile.components)
    unknown = [c for c in dict.fromkeys(instances or []) if c not in known]
    if unknown:
        raise KfgenError([Problem(f"profile '{profile.name}' has no instance '{c}'", found=repr(c),
                                  expected="one of: " + ", ".join(known), hint=did_you_mean(c, known))
                          for c in unknown])
    applyset = applyset_of(profile)
    items = []
    for name in sorted(files):
        if name == KUSTOMIZATION:
            continue
        body = copy.deepcopy(yaml.load(files[name], Loader=_LOADER))
        body["metadata"].setdefault("labels", {})[APPLYSET_PART_OF] = applyset.id
        items.append(Item(name, body))
    return Plan(profile, applyset, items, tuple(dict.fromkeys(instances or [])))


def plan_profile(profiles_dir: Path, out_dir: Path, name: str, instances: list[str] | None = None) -> Plan:
    """Render profile *name* fresh (in memory) and plan it; warns when ``out/<name>/`` is not that render."""
    from kfgen.actions import Workspace, resolve_names
    from kfgen.output.files import diff_dir

    ws = Workspace(profiles_dir, out_dir)
    resolve_names(ws, [name], False)  # a profile name, never a path
    profile, result, files = ws.render(name)
    plan = build_plan(profile, files, instances)
    plan.render_warnings += result.warnings
    target = ws.target(name)
    if target.is_dir() and diff_dir(target, files):
        plan.warnings.append(f"{target}/ differs from a fresh render of '{name}' (kfgen deploys the fresh render; "
                             f"run 'kfgen render -p {name}' and commit it)")
    return plan
