"""Day 2 through kubectl: ``kfgen apply``, ``diff``, ``delete`` and ``status`` print what :mod:`kfgen.deploy`
returns."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from kfgen.cli.common import OutDir, ProfilesDir, complete_instance, complete_profile, err, fail

DeployProfile = typer.Option(..., "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                             help="Profile (rendered fresh from the profiles directory).")
ApplyInstances = typer.Option(None, "--component", "-c", metavar="INSTANCE", autocompletion=complete_instance,
                              help="Only this instance (repeatable); apply prunes nothing.")
DeployInstances = typer.Option(None, "--component", "-c", metavar="INSTANCE", autocompletion=complete_instance,
                                help="Only this instance (repeatable).")
DeployContext = typer.Option(None, "--context", metavar="CONTEXT",
                             help="kube context to use (default: kubectl's current context).")
DeployVerbose = typer.Option(False, "--verbose", "-v", help="Print every kubectl command line (to stderr).")


def _deploy_setup(profile: str, instances: list[str] | None, context: str | None, verbose: bool,
                  profiles_dir: Path, out_dir: Path, warn_unpinned: bool):
    """Render and plan the profile, find kubectl, resolve and check the kube context (exit 2 on errors)."""
    from kfgen.deploy import context as ctx
    from kfgen.deploy.kubectl import Kubectl, find_kubectl
    from kfgen.deploy.plan import plan_profile
    from kfgen.errors import KfgenError

    try:
        plan = plan_profile(profiles_dir, out_dir, profile, instances)
        kubectl = Kubectl(find_kubectl(), log=err if verbose else None)
        target = ctx.resolve(kubectl, plan.profile, context)
    except KfgenError as exc:
        raise fail(exc, 2, "nothing was changed.") from None
    for w in plan.warnings + (plan.render_warnings if warn_unpinned else []):
        err(f"warning: {profile}: {w}")
    unpinned = ctx.unpinned_warning(plan.profile, target)
    if unpinned and warn_unpinned:
        err(f"warning: {unpinned}")
    return plan, kubectl, target


def apply(
    profile: str = DeployProfile,
    component: list[str] | None = ApplyInstances,
    dry_run: bool = typer.Option(False, "--dry-run", help="Server-side dry run: change nothing."),
    context: str | None = DeployContext,
    verbose: bool = DeployVerbose,
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
) -> None:
    """Apply a profile: Namespaces and CRDs first, then everything (server-side), pruning what it no longer renders."""
    from kfgen.deploy.apply import apply as run_apply
    from kfgen.errors import KfgenError

    plan, kubectl, target = _deploy_setup(profile, component, context, verbose, profiles_dir, out_dir, True)
    try:
        res = run_apply(kubectl, plan, dry_run=dry_run)
    except KfgenError as exc:
        raise fail(exc, 2, "nothing was changed (server dry run)." if dry_run or not kubectl.writes
                   else "objects applied before the failure stay applied.") from None
    for w in res.warnings:
        err(w)
    tag = " (server dry run)" if dry_run else ""
    where = f"{profile}" + (f" [{', '.join(plan.instances)}]" if plan.instances else "") + f" on {target.describe()}"
    for name in res.prerequisites:
        typer.echo(f"created {name}{tag}")
    for name in res.changed:
        typer.echo(f"changed {name}{tag}")
    for name, needs in res.blocked.items():
        typer.echo(f"would create {name} (after {needs})")
    for name in res.pruned:
        typer.echo(f"pruned {name}{tag}")
    if res.no_changes:
        typer.echo(f"{where}: no changes")
    else:
        typer.echo(f"{where}: {len(res.prerequisites) + len(res.changed)} created or changed, "
                   f"{len(res.pruned)} pruned{tag}")


def diff(
    profile: str = DeployProfile,
    component: list[str] | None = DeployInstances,
    context: str | None = DeployContext,
    verbose: bool = DeployVerbose,
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
) -> None:
    """What 'kfgen apply' would change and prune: exit 0 no changes, 1 changes, 2 error."""
    from kfgen.deploy.diff import diff as run_diff
    from kfgen.errors import KfgenError

    plan, kubectl, target = _deploy_setup(profile, component, context, verbose, profiles_dir, out_dir, False)
    try:
        res = run_diff(kubectl, plan)
    except KfgenError as exc:
        raise fail(exc, 2, "nothing was changed.") from None
    sys.stdout.write(res.text)
    for name, needs in res.blocked.items():
        typer.echo(f"+ {name} (created after {needs})")
    for name in res.prune:
        typer.echo(f"- {name} (pruned: no longer rendered)")
    if res.has_changes:
        err(f"{profile} on {target.describe()}: {len(res.changed) + len(res.blocked)} to create or change, "
             f"{len(res.prune)} to prune")
        raise typer.Exit(1)
    err(f"{profile} on {target.describe()}: no changes")


def delete(
    profile: str = DeployProfile,
    component: list[str] | None = DeployInstances,
    wait: bool = typer.Option(False, "--wait", help="Wait until the objects are gone (finalizers done)."),
    context: str | None = DeployContext,
    verbose: bool = DeployVerbose,
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
) -> None:
    """Delete a profile's objects (or one instance's), in reverse install order; never another profile's."""
    from kfgen.deploy.delete import delete as run_delete
    from kfgen.errors import KfgenError

    plan, kubectl, target = _deploy_setup(profile, component, context, verbose, profiles_dir, out_dir, True)
    try:
        res = run_delete(kubectl, plan, wait=wait)
    except KfgenError as exc:
        raise fail(exc, 2, "objects deleted before the failure stay deleted." if kubectl.writes
                   else "nothing was deleted.") from None
    for w in res.warnings:
        err(w)
    for name in res.deleted:
        typer.echo(f"deleted {name}")
    scope = f"{profile}" + (f" [{', '.join(plan.instances)}]" if plan.instances else "")
    typer.echo(f"{scope} on {target.describe()}: {len(res.deleted)} deleted" if res.deleted
               else f"{scope} on {target.describe()}: nothing to delete")


def status(
    profile: str = DeployProfile,
    component: list[str] | None = DeployInstances,
    context: str | None = DeployContext,
    verbose: bool = DeployVerbose,
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
) -> None:
    """Each object present / differs / missing, workloads' readiness, TFJobs, declared nodes and GPUs."""
    from kfgen.deploy.status import status as run_status
    from kfgen.errors import KfgenError

    plan, kubectl, target = _deploy_setup(profile, component, context, verbose, profiles_dir, out_dir, False)
    try:
        res = run_status(kubectl, plan)
    except KfgenError as exc:
        raise fail(exc, 2, "nothing was changed.") from None
    width = max((len(o.object) for o in res.objects), default=0)
    for o in res.objects:
        typer.echo(f"{o.state:8} {o.object:{width}}  {o.detail}".rstrip())
    for w in res.warnings:
        err(f"warning: {w}")
    counts = {s: sum(o.state == s for o in res.objects) for s in ("present", "differs", "missing")}
    typer.echo(f"{profile} on {target.describe()}: " + ", ".join(f"{n} {s}" for s, n in counts.items())
               + f", {len(res.warnings)} warning(s)")
    if res.problems:
        raise typer.Exit(1)
