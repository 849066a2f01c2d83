"""``kfgen delete``: the profile's objects (or one instance's) in reverse install order.

Deletion goes by kfgen's labels (``app.kubernetes.io/managed-by=kfgen``, ``kfgen.io/profile=NAME``
and, with ``-c``, ``kfgen.io/instance``), one ``kubectl delete TYPES -A -l SELECTOR`` per install
rank: custom resources before their CRDs, workloads before the RBAC and ServiceAccounts they run
as, Namespaces last. It never matches another profile's objects, and what is already gone is not an
error. Besides the kinds the profile renders now, the kinds its ApplySet parent recorded are
included, so objects of instances removed since the last apply go too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kfgen.deploy.kubectl import Kubectl, failure
from kfgen.deploy.live import NOT_SERVED, error_lines, prerequisites
from kfgen.deploy.plan import Plan

_DELETED = re.compile(r'^(\S+) "([^"]+)" deleted(?: from (\S+) namespace)?$')


@dataclass
class DeleteResult:
    profile: str
    deleted: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def delete(k: Kubectl, plan: Plan, wait: bool = False, timeout: str = "5m") -> DeleteResult:
    result = DeleteResult(plan.name)
    state = prerequisites(k, plan)
    groups = plan.deletion_groups(set() if plan.instances else state.recorded_kinds)
    wait_args = [f"--wait={'true' if wait else 'false'}"] + ([f"--timeout={timeout}"] if wait else [])
    for n, group in enumerate(groups):
        if n == len(groups) - 1 and not plan.instances and state.parent is not None:
            _delete_parent(k, plan, wait_args, result)
        res = k.run("delete", ",".join(group), "--all-namespaces", "-l", plan.selector, "--ignore-not-found",
                    *wait_args)
        errors = [e for e in error_lines(res) if not NOT_SERVED.search(e)]  # a kind nobody serves: none left
        if errors or (not res.ok and not error_lines(res)):
            raise failure(res, f"kubectl delete {','.join(group)}")
        result.deleted += _deleted(res.stdout)
        result.warnings += res.warnings()
    return result


def _delete_parent(k: Kubectl, plan: Plan, wait_args: list[str], result: DeleteResult) -> None:
    """The ApplySet parent, just before the Namespaces (it carries no kfgen label: it is kubectl's)."""
    res = k.run("delete", plan.applyset.ref, "-n", plan.applyset.namespace, "--ignore-not-found", *wait_args)
    if not res.ok:
        raise failure(res, "deleting the ApplySet parent")
    result.deleted += _deleted(res.stdout)


def _deleted(stdout: str) -> list[str]:
    out = []
    for line in stdout.splitlines():
        m = _DELETED.match(line.strip())
        if m:
            out.append(f"{m.group(1)}/{m.group(2)}" + (f" -n {m.group(3)}" if m.group(3) else ""))
    return out
