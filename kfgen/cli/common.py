"""What every command module shares: printing to stderr, failures as exit codes, the project-directory options,
and the completion callbacks.

Nothing here imports more than typer at import time: ``kfgen --help`` loads no pydantic, YAML or schema code.
"""

from __future__ import annotations

from pathlib import Path

import typer


def err(text: str) -> None:
    """One line to stderr (messages, warnings and errors; results go to stdout)."""
    typer.echo(text, err=True)


def fail(exc: Exception, code: int = 1, tail: str = "nothing was written.") -> typer.Exit:
    """Print a failure (a :class:`~kfgen.errors.KfgenError`'s problems and their count) and return the exit to raise."""
    from kfgen.errors import KfgenError

    if isinstance(exc, KfgenError):
        err(exc.format())
        n = len(exc.problems)
        err(f"{n} problem{'s' if n != 1 else ''}; {tail}")
    else:
        err(f"error: {exc}")
    return typer.Exit(code)


# ------------------------------------------------------------------ completion (kfgen.edit.complete, loaded on TAB)

def complete_profile(ctx: typer.Context, incomplete: str) -> list[str]:
    from kfgen.edit.complete import complete_profile as complete

    return complete(ctx, incomplete)


def complete_prototype(incomplete: str) -> list[str]:
    from kfgen.edit.complete import complete_prototype as complete

    return complete(incomplete)


def complete_instance(ctx: typer.Context, incomplete: str) -> list[str]:
    from kfgen.edit.complete import complete_instance as complete

    return complete(ctx, incomplete)


def complete_param(ctx: typer.Context, incomplete: str) -> list[str]:
    from kfgen.edit.complete import complete_param as complete

    return complete(ctx, incomplete)


# ------------------------------------------------------------------ options shared by several commands

def _given(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _project_dir(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """--profiles-dir/--out-dir when given; --out-dir defaults to out/ beside a --profiles-dir given (that
    project's output, never the working directory's); otherwise profiles/ and out/ of the project root
    (kfgen.project)."""
    from kfgen.project import OUT, default_out_dir, default_profiles_dir

    if _given(ctx, param.name or ""):
        return value
    if param.name == "out_dir":
        if _given(ctx, "profiles_dir") and isinstance(ctx.params.get("profiles_dir"), Path):
            return ctx.params["profiles_dir"].parent / OUT
        return default_out_dir()
    return default_profiles_dir()


ProfilesDir = typer.Option(Path("profiles"), "--profiles-dir", metavar="DIR", callback=_project_dir,
                           help="Directory of profile files (default: profiles/ of the project root, the nearest "
                                "directory upward that has one).", show_default=False)
OutDir = typer.Option(Path("out"), "--out-dir", metavar="DIR", callback=_project_dir,
                      help="Directory that receives out/<profile>/ (default: out/ of the project root, or beside "
                           "the --profiles-dir given).",
                      show_default=False)
EditProfile = typer.Option(..., "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                           help="Profile whose file is edited.")
InstanceArg = typer.Argument(..., metavar="INSTANCE", autocompletion=complete_instance,
                             help="Instance (component) name in the profile.")
