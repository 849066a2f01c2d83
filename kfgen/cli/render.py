"""``kfgen render`` and ``kfgen profiles``: print what :mod:`kfgen.actions` renders and loads."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from kfgen.cli.common import OutDir, ProfilesDir, complete_profile, err, fail


def render(
    profile: list[str] | None = typer.Option(None, "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                                               help="Profile to render (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="Render every profile in the profiles directory; remove out/X/ "
                              "of profiles that no longer exist (never when profiles/X.yaml exists in any form)."),
    stdout: bool = typer.Option(False, "--stdout", help="Print one multi-document YAML stream; write nothing."),
    check: bool = typer.Option(False, "--check",
                               help="Write nothing; exit 1 listing every file that differs from a fresh render."),
    foreign: str = typer.Option("refuse", "--foreign", metavar="refuse|keep|move",
                                help="What to do with files in out/<profile>/ that kfgen did not write (not listed in "
                                     "its Kustomization): 'refuse' stops with a list of them and exit 2, changing "
                                     "nothing; 'keep' leaves them in the new output; 'move' moves them to "
                                     "out/<profile>.foreign-<UTC time>/ (gitignored by 'kfgen init'; "
                                     "--check warns while one is left).", show_default=True),
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
    no_cache: bool = typer.Option(False, "--no-cache",
                                  help="Render even when the render cache holds this render of the same inputs "
                                       "(also KFGEN_NO_CACHE=1)."),
) -> None:
    """Render profiles into out/<profile>/ (one file per object, plus a Kustomization).

    Each out/<profile>/ is built beside the old one and swapped in atomically, so a run that fails or
    is killed leaves the complete old or the complete new output (its leftovers are removed by the next
    run); concurrent runs take turns on a lock. kfgen never deletes a file it did not write: see --foreign.

    A render of inputs rendered before (every file in the profiles directory, kfgen and its libraries the
    same) is taken from the render cache, ${KFGEN_CACHE_DIR:-~/.cache/kfgen/render}: same output, faster.
    """
    from kfgen import actions as api
    from kfgen.errors import KfgenError
    from kfgen.output import cache
    from kfgen.output.write import FOREIGN_POLICIES

    ws = api.Workspace(profiles_dir, out_dir)
    if check and stdout:
        err("error: --check and --stdout exclude each other: --check compares with out/, --stdout prints")
        raise typer.Exit(2)
    if foreign not in FOREIGN_POLICIES:
        err(f"error: --foreign must be one of {', '.join(FOREIGN_POLICIES)}, not {foreign!r}")
        raise typer.Exit(2)
    removed: dict[Path, Path | None] = {}
    request = {"profiles": profile or [], "all": all_, "stream": stdout}
    snap = cache.snapshot(ws.profiles_dir, request) if cache.enabled(no_cache) else None
    hit = cache.load(snap) if snap is not None else None  # only ever renders that succeeded
    try:
        names = [r.profile for r in hit] if hit is not None else api.resolve_names(ws, profile, all_)
        # stale directories holding foreign files stop the run before anything is written
        stale = (api.stale_outputs(ws, foreign=None if check or foreign == "keep" else foreign,
                                   known=names if hit is not None else None)
                 if all_ and not stdout else [])
        rendered = hit if hit is not None else api.render_profiles(ws, names, stream=stdout)
        if hit is None and snap is not None:
            cache.store(snap, ws.profiles_dir, request, rendered)
        outcomes = api.render(ws, names, check=check, stream=stdout, foreign=foreign, rendered=rendered)
        if stale and not check:
            removed = api.remove_outputs(stale, foreign=foreign)
    except api.WriteError as exc:
        written = ", ".join(exc.written) or "none"
        raise fail(exc, 2, f"that profile's output is unchanged; profiles written before it: {written}.") from None
    except KfgenError as exc:
        raise fail(exc, 2) from None
    drifted = False
    if check:
        for d in stale:
            drifted = True
            err(f"{d}/ is output of a profile that no longer exists (render --all removes it)")
        for d in api.moved_aside(ws, None if all_ else names):  # not output: reported, not drift
            err(f"warning: {d}/ holds files kfgen did not write, moved aside by --foreign=move: review them, "
                "then delete it (keep it out of git)")
    for d, aside in removed.items():
        typer.echo(f"removed {d}/: its profile no longer exists"
                   + (f" (files kfgen did not write moved to {aside}/)" if aside else ""))
    for d in stale:
        if not check and d not in removed:
            err(f"kept {d}/: its profile no longer exists, but it holds files kfgen did not write (--foreign=keep)")
    for o in outcomes:
        for w in o.warnings:
            err(f"warning: {o.profile}: {w}")
        if stdout:
            sys.stdout.write(o.stream)
            continue
        for line in o.summary:
            err(f"{o.profile}: {line}")
        target = ws.target(o.profile)
        if check:
            if o.drift:
                drifted = True
                err(f"{target}/ differs from a fresh render of profile '{o.profile}':")
                for d in o.drift:
                    err(f"  {d.change:8} {target / d.file}")
            else:
                typer.echo(f"{target}/ is up to date ({_count(o.objects, 'object')})")
        else:
            state = f"{_count(len(o.drift), 'file')} changed" if o.drift else "unchanged"
            typer.echo(f"rendered {o.profile}: {_count(o.objects, 'object')} -> {target}/ ({state})")
            if o.moved_to:
                err(f"{o.profile}: moved files kfgen did not write to {o.moved_to}/")
            if o.kept:
                err(f"{o.profile}: kept {len(o.kept)} file(s) kfgen did not write: {', '.join(o.kept)}")
    if drifted:
        err("run 'kfgen render' and commit out/ to fix the drift.")
        raise typer.Exit(1)


def profiles(profiles_dir: Path = ProfilesDir) -> None:
    """List the profiles (ksonnet's environments).

    Exit 0 when every profile loads; 2 when one is invalid (listed as INVALID) or there is none (bad
    input, as everywhere else).
    """
    from kfgen import actions as api
    from kfgen.errors import KfgenError

    ws = api.Workspace(profiles_dir)
    names = ws.profile_names()
    if not names:
        try:
            api.resolve_names(ws, None, True)
        except KfgenError as exc:
            raise fail(exc, 2, "nothing to list.") from None
    failed = False
    for name in names:
        try:
            p = ws.load(name)
        except KfgenError as exc:
            failed = True
            typer.echo(f"{name:16} INVALID ({len(exc.problems)} problem(s); run 'kfgen render -p {name}')")
            continue
        extends = f"  extends {' -> '.join(p.chain[1:])}" if len(p.chain) > 1 else ""
        comps = ", ".join(f"{i} ({c.prototype})" for i, c in p.components.items())
        typer.echo(f"{name:16} ns={p.namespace} k8s={p.kubernetes_version} gpus={sum(n.gpus for n in p.nodes)}"
                   f"{extends}\n{'':16} {p.model.description}\n{'':16} components: {comps or '(none)'}")
    if failed:
        raise typer.Exit(2)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
