"""``kfgen import``: a ksonnet app's environments become profiles (:mod:`kfgen.ksonnet`)."""

from __future__ import annotations

from pathlib import Path

import typer

from kfgen.cli.common import ProfilesDir, fail


def import_(
    app_dir: Path = typer.Argument(..., metavar="KSONNET_APP_DIR",
                                   help="The ksonnet app (the directory with app.yaml)."),
    env: str | None = typer.Option(None, "--env", metavar="ENV",
                                   help="Import only this environment (default: every one)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing profiles of the same name."),
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Bring a ksonnet app over: one profile per environment, same components and params."""
    from kfgen.errors import KfgenError
    from kfgen.ksonnet import import_app
    from kfgen.output.yaml import to_yaml

    def show(value: object) -> str:
        return to_yaml(value).strip().removesuffix("\n...").replace("\n", " ")

    try:
        result = import_app(app_dir, profiles_dir, env, force=force)
    except KfgenError as exc:
        raise fail(exc, 2) from None
    for e in result.environments:
        typer.echo(f"wrote {e.path} (ksonnet app '{result.app}', environment '{e.env}', namespace {e.namespace}): "
                   f"{len(e.components)} component(s)")
        for m in e.components:
            target = m.instance if m.instance == m.component else f"instance {m.instance}"
            params = ", ".join(f"{k}={show(v)}" for k, v in m.params.items()) or "(all defaults)"
            typer.echo(f"  {m.component} -> {target} ({m.prototype}): {params}")
            for key, (old, new) in m.new_defaults.items():
                now = "kfgen leaves it unset" if new is None else f"kfgen's default {show(new)}"
                typer.echo(f"    {key}: ksonnet's default {show(old)} -> {now}")
        for r in e.retired:
            typer.echo(f"  retired: {r.component}.{r.param} = {show(r.value)} is not carried over: {r.reason}")
        for s in e.skipped:
            typer.echo(f"  skipped: {s.component}: {s.reason}")
        for note in e.notes:
            typer.echo(f"  note: {note}")
    if result.schema is not None:
        typer.echo(f"wrote {result.schema} (the profile JSON Schema editors read)")
    typer.echo("next: kfgen render " + " ".join(f"-p {e.profile}" for e in result.environments)
               + (f" --profiles-dir {profiles_dir}" if profiles_dir != Path("profiles") else ""))
