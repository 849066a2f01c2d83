"""Reading the cluster through kubectl: prerequisites, live objects, CRDs becoming Established."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from kfgen.deploy.kubectl import Kubectl, Result, failure
from kfgen.deploy.plan import Item, Plan, key_of, stream
from kfgen.output.yaml import to_yaml

_KLOG = re.compile(r"^[IWE]\d{4} ")  # client-go log lines (e.g. client-side throttling notes)
NOT_SERVED = re.compile(r"the server doesn't have a resource type|could not find the requested resource|"
                        r"no matches for kind")  # kubectl's errors for a type no API serves (a CRD gone)
APPLYSET_KINDS = "applyset.kubernetes.io/contains-group-kinds"  # on the parent: the members' kinds
APPLYSET_NAMESPACES = "applyset.kubernetes.io/additional-namespaces"  # on the parent: besides its own


def error_lines(res: Result) -> list[str]:
    return [line for line in res.errors() if not _KLOG.match(line)]


@dataclass
class Prerequisites:
    """What the profile's Namespaces, CRDs and ApplySet parent look like on the cluster."""

    missing_namespaces: set[str] = field(default_factory=set)
    missing_crds: set[str] = field(default_factory=set)  # absent or not Established yet
    parent: dict[str, Any] | None = None

    @property
    def missing(self) -> bool:
        return bool(self.missing_namespaces or self.missing_crds)

    def _annotation(self, key: str) -> set[str]:
        annotations = (self.parent or {}).get("metadata", {}).get("annotations") or {}
        return {v for v in annotations.get(key, "").split(",") if v}

    @property
    def recorded_kinds(self) -> set[str]:
        """The ``Kind.group`` of the ApplySet's members as kubectl recorded them on the parent."""
        return self._annotation(APPLYSET_KINDS)

    @property
    def recorded_namespaces(self) -> set[str]:
        """Namespaces besides the parent's that kubectl recorded members in (prunes there too)."""
        return self._annotation(APPLYSET_NAMESPACES)


def get_live(k: Kubectl, items: list[Item], what: str) -> dict[tuple, dict[str, Any]]:
    """``kubectl get -f - -o json --ignore-not-found`` of *items*: key -> live object."""
    if not items:
        return {}
    res = k.run("get", "-f", "-", "-o", "json", "--ignore-not-found", input=stream(items))
    if not res.ok or error_lines(res):
        raise failure(res, what)
    doc = res.json() or {}
    objs = doc.get("items", []) if doc.get("kind", "").endswith("List") else ([doc] if doc else [])
    return {key_of(o): o for o in objs}


def prerequisites(k: Kubectl, plan: Plan) -> Prerequisites:
    """One ``kubectl get`` of the profile's Namespaces, CRDs and ApplySet parent."""
    parent = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": plan.applyset.name, "namespace": plan.applyset.namespace}}
    wanted = plan.prerequisites(plan.rendered)
    live = get_live(k, [*wanted, Item("(applyset parent)", parent)], "reading the profile's Namespaces and CRDs")
    state = Prerequisites(parent=live.get(key_of(parent)))
    for i in wanted:
        obj = live.get(i.key)
        if i.kind == "Namespace" and obj is None:
            state.missing_namespaces.add(i.name)
        elif i.kind == "CustomResourceDefinition" and (obj is None or not established(obj)):
            state.missing_crds.add(i.name)
    return state


def established(crd: dict[str, Any]) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


def wait_established(k: Kubectl, names: list[str], timeout: float = 60) -> None:
    """``kubectl wait --for=condition=Established crd/NAME``; retried while the CRD has no conditions
    yet (kubectl 1.37 then fails with ``.status.conditions accessor error`` instead of waiting)."""
    if not names:
        return
    deadline = time.monotonic() + timeout
    while True:
        res = k.run("wait", "--for=condition=Established", *[f"crd/{n}" for n in names], f"--timeout={int(timeout)}s")
        if res.ok:
            return
        if "accessor error" in res.stderr and time.monotonic() < deadline:
            time.sleep(0.2)
            continue
        raise failure(res, f"waiting for CRD(s) {', '.join(names)} to be Established")


_DIFF_HEADER = re.compile(r"^diff -u -N \S+/LIVE-[^/]+/(\S+) \S+/MERGED-[^/]+/\S+$")


def diff_objects(diff_text: str) -> list[str]:
    """Objects named in ``kubectl diff`` output headers (``apps.v1.Deployment.kubeflow.ambassador``)."""
    return [m.group(1) for line in diff_text.splitlines() if (m := _DIFF_HEADER.match(line))]


def diff_name(item: Item) -> str:
    """The name ``kubectl diff`` gives an object: ``<group>.<version>.<Kind>.<namespace>.<name>``, the
    group and its dot left out for the core group, the namespace left empty for cluster-scoped objects
    (``v1.Namespace..kubeflow``)."""
    return f"{item.body['apiVersion'].replace('/', '.')}.{item.kind}.{item.namespace}.{item.name}"


def kubectl_diff(k: Kubectl, items: list[Item], field_manager: str) -> tuple[str, list[str]]:
    """``kubectl diff --server-side``: (diff text, the changed objects as :meth:`Item.display` names).
    Exit 0/1 are answers, >1 an error."""
    if not items:
        return "", []
    res = k.run("diff", "--server-side", f"--field-manager={field_manager}", "--force-conflicts", "-f", "-",
                input=stream(items))
    if res.returncode not in (0, 1) or (res.returncode == 1 and not res.stdout.strip()):
        raise failure(res, "kubectl diff")
    names = {diff_name(i): i.display() for i in items}
    return res.stdout, [names.get(n, n) for n in diff_objects(res.stdout)]


def verb_lines(stdout: str, verb: str) -> list[str]:
    """``kind.group/name`` of kubectl output lines ``kind.group/name VERB`` (``pruned``, ``deleted``…)."""
    out = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1] == verb:
            out.append(words[0])
    return out


def yaml_of(obj: dict[str, Any]) -> str:
    return "---\n" + to_yaml(obj)
