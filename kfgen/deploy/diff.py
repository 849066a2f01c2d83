"""``kfgen diff``: what ``kfgen apply`` would change (``kubectl diff --server-side``) and prune."""

from __future__ import annotations

from dataclasses import dataclass, field

from kfgen.deploy.kubectl import FIELD_MANAGER, Kubectl, failure
from kfgen.deploy.live import Prerequisites, error_lines, kubectl_diff, prerequisites, verb_lines
from kfgen.deploy.plan import APPLYSET_ENV, Plan, stream


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
        result.prune = prune_preview(k, plan)
    return result
