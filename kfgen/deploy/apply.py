"""``kfgen apply``: Namespaces and CRDs first (waiting until the CRDs are Established), then the whole
profile with one server-side ``kubectl apply --prune --applyset`` (field manager ``kfgen``).

A run first asks ``kubectl diff`` (and, when it finds nothing, lists the ApplySet's members to see
whether anything would be pruned: :func:`~kfgen.deploy.diff.prune_members`) and writes nothing
when there is nothing to do: a second apply is a no-op and says so. With ``-c`` only
the named instances are applied, without ``--applyset`` (the objects still carry the ApplySet's
label, so later whole-profile applies keep tracking them) and nothing is pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kfgen.deploy.diff import applyset_args, diff, prune_members
from kfgen.deploy.kubectl import FIELD_MANAGER, Kubectl, failure
from kfgen.deploy.live import error_lines, prerequisites, verb_lines, wait_established
from kfgen.deploy.plan import APPLYSET_ENV, Plan, stream
from kfgen.errors import KfgenError, Problem


@dataclass
class ApplyResult:
    profile: str
    dry_run: bool = False
    prerequisites: list[str] = field(default_factory=list)  # Namespaces/CRDs created in phase 1
    changed: list[str] = field(default_factory=list)  # objects kubectl diff named before the apply
    blocked: dict[str, str] = field(default_factory=dict)  # dry run: objects waiting for a Namespace/CRD
    pruned: list[str] = field(default_factory=list)
    applied: int = 0  # objects handed to kubectl apply in phase 2 (0: skipped, nothing to do)
    warnings: list[str] = field(default_factory=list)

    @property
    def no_changes(self) -> bool:
        return not (self.prerequisites or self.changed or self.pruned or self.blocked)


def _check_namespaces(plan: Plan) -> None:
    """kubectl's ApplySet mode (``-n`` names the parent's namespace) refuses objects of other namespaces."""
    other = sorted({i.namespace for i in plan.items if i.namespace and i.namespace != plan.applyset.namespace})
    if other and not plan.instances:
        raise KfgenError(Problem(
            f"profile '{plan.name}' puts objects in namespace(s) {', '.join(other)} besides its own "
            f"'{plan.applyset.namespace}': kubectl's ApplySet pruning (kubectl apply --applyset -n "
            f"{plan.applyset.namespace}) refuses them",
            hint="apply those instances with -c INSTANCE (no pruning), or use the profile's namespace"))


def _run_apply(k: Kubectl, args: list[str], text: str, env: dict[str, str] | None, what: str,
               result: ApplyResult) -> str:
    res = k.run(*args, input=text, env=env)
    result.warnings += [w for w in res.warnings() if w not in result.warnings]
    if not res.ok or error_lines(res):
        raise failure(res, what)
    return res.stdout


def apply(k: Kubectl, plan: Plan, dry_run: bool = False) -> ApplyResult:
    _check_namespaces(plan)
    result = ApplyResult(plan.name, dry_run=dry_run)
    state = prerequisites(k, plan)
    dry = ["--dry-run=server"] if dry_run else []

    # phase 1: the Namespaces and CRDs that are not there yet (kubectl maps every object of an apply
    # before it writes any, so a TFJob cannot be applied in the same run as its CRD)
    missing = [i for i in plan.prerequisites()
               if i.name in (state.missing_namespaces if i.kind == "Namespace" else state.missing_crds)]
    if missing:
        _run_apply(k, ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts", "-f", "-",
                       *dry], stream(missing), None, "applying Namespaces and CRDs (phase 1)", result)
        result.prerequisites = [i.display() for i in missing]
        if dry_run:
            d = diff(k, plan, state)  # what can be checked before phase 1 really ran
            result.changed = [name for name in d.changed if name not in result.prerequisites]
            result.blocked = d.blocked
            return result
        wait_established(k, sorted(i.name for i in missing if i.kind == "CustomResourceDefinition"))
        state = prerequisites(k, plan)

    # phase 2: everything, if kubectl diff (or the ApplySet's members) finds something to do; also when
    # the parent does not record a kind the profile renders (objects a -c apply added): kubectl then
    # records it, so that they are pruned once their instance is removed
    d = diff(k, plan, state, prune="if-unchanged")
    result.changed, result.pruned = d.changed, d.prune
    parent_stale = not plan.instances and (
        state.parent is None or not {i.resource for i in plan.rendered} <= state.recorded_kinds)
    if not (d.changed or d.prune or parent_stale):
        return result
    if plan.instances:
        out = _run_apply(k, ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts",
                             "-f", "-", *dry], stream(plan.items), None, "kubectl apply", result)
    else:
        out = _run_apply(k, applyset_args(plan, dry_run), stream(plan.items, applyset_label=False), APPLYSET_ENV,
                         "kubectl apply --prune --applyset", result)
        result.pruned = verb_lines(out, "pruned")
    result.applied = len(plan.items)
    return result


__all__ = ["ApplyResult", "apply", "prune_members"]
