"""``kfgen diff``: what ``kfgen apply`` would change (``kubectl diff --server-side``) and prune.

What an ApplySet apply would prune is read, not rehearsed: one ``kubectl get`` of the ApplySet's
members (label ``applyset.kubernetes.io/part-of=ID``) of every kind kubectl's prune would search
(those the parent records and those the profile renders), in the parent's namespace(s) and cluster
wide, minus what the profile renders. A server dry run of the prune (which lists every type
separately, several seconds) is only the fallback when a recorded kind is no longer served.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kfgen.deploy.kubectl import FIELD_MANAGER, Kubectl, failure
from kfgen.deploy.live import NOT_SERVED, Prerequisites, error_lines, kubectl_diff, prerequisites, verb_lines
from kfgen.deploy.plan import APPLYSET_ENV, APPLYSET_PART_OF, Plan, key_of, stream


@dataclass
class DiffResult:
    profile: str
    text: str = ""  # kubectl diff's unified diff
    changed: list[str] = field(default_factory=list)  # objects kubectl diff names
    blocked: dict[str, str] = field(default_factory=dict)  # object -> the Namespace/CRD it waits for (created)
    prune: list[str] = field(default_factory=list)  # objects apply would prune
    warnings: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.changed or self.blocked or self.prune)


def applyset_args(plan: Plan, dry_run: bool) -> list[str]:
    """``kubectl apply`` arguments for a server-side apply of the whole profile with ApplySet pruning."""
    return ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts",
            "--prune", f"--applyset={plan.applyset.ref}", "-n", plan.applyset.namespace, "-f", "-",
            *(["--dry-run=server"] if dry_run else [])]


def prune_preview(k: Kubectl, plan: Plan) -> list[str]:
    """What an ApplySet apply would prune: a server dry run of it (kubectl prints ``... pruned``)."""
    res = k.run(*applyset_args(plan, dry_run=True), input=stream(plan.items, applyset_label=False), env=APPLYSET_ENV)
    if not res.ok or error_lines(res):
        raise failure(res, "kubectl apply --prune --dry-run=server (prune preview)")
    return verb_lines(res.stdout, "pruned")


def prune_members(k: Kubectl, plan: Plan, state: Prerequisites) -> list[str]:
    """What an ApplySet apply would prune, as kubectl names it (``deployment.apps/NAME``): the
    ApplySet's live members the profile no longer renders (objects being deleted left out). kubectl
    searches the kinds the parent records plus those it applies, in the parent's namespace, the
    namespaces the parent records, and cluster-scoped; so does this one ``kubectl get``."""
    kinds = sorted(state.recorded_kinds | {i.resource for i in plan.rendered})
    res = k.run("get", ",".join(kinds), "--all-namespaces", "-l", f"{APPLYSET_PART_OF}={plan.applyset.id}",
                "-o", "json")
    errors = error_lines(res)
    if errors and all(NOT_SERVED.search(e) for e in errors):
        return prune_preview(k, plan)  # a recorded kind is no longer served: let kubectl say what it prunes
    if not res.ok or errors:
        raise failure(res, "listing the ApplySet's members")
    namespaces = {plan.applyset.namespace} | state.recorded_namespaces
    rendered = {i.key for i in plan.rendered}
    out = []
    for obj in (res.json() or {}).get("items", []):
        group, kind, namespace, name = key_of(obj)
        if (group, kind, namespace, name) in rendered or obj["metadata"].get("deletionTimestamp"):
            continue
        if not namespace or namespace in namespaces:
            out.append(f"{kind.lower()}.{group}/{name}" if group else f"{kind.lower()}/{name}")
    return out


def diff(k: Kubectl, plan: Plan, state: Prerequisites | None = None, prune: str = "always") -> DiffResult:
    """Objects whose Namespace or CRD is not there yet cannot be diffed by kubectl; they are listed
    as ``blocked`` (apply creates them after the Namespaces and CRDs) and the rest is diffed."""
    state = state or prerequisites(k, plan)
    blocked = plan.blocked(state.missing_namespaces, state.missing_crds)
    result = DiffResult(plan.name)
    items = [i for i in plan.items if i.key not in blocked]
    result.blocked = {i.display(): blocked[i.key] for i in plan.items if i.key in blocked}
    result.text, result.changed = kubectl_diff(k, items, FIELD_MANAGER)
    # pruning is done by a whole-profile apply only (never with -c), and there is nothing to prune
    # before the ApplySet's parent exists
    # (prune="if-unchanged": apply's check, which prunes anyway when there are changes)
    if not plan.instances and state.parent is not None and not blocked and (prune == "always" or not result.changed):
        result.prune = prune_members(k, plan, state)
    return result
