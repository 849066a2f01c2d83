"""The ``kfgen`` command: a thin layer over the actions (:mod:`kfgen.actions`, :mod:`kfgen.edit`,
:mod:`kfgen.validate`, :mod:`kfgen.deploy`, :mod:`kfgen.ksonnet`) that prints what they return.

This module is the table of commands, in the order ``kfgen --help`` lists them; each command group's
functions live in a module of its own. Heavy imports (pydantic, YAML, schemas, jsonnet) happen inside the
commands, so ``kfgen --help`` and shell completion start fast.
"""

from __future__ import annotations

import gc
import os

import typer
from typer.core import TyperArgument

from kfgen.cli import deploy, edit, info, ksonnet, render, validate

app = typer.Typer(
    name="kfgen",
    help="Typed Kubeflow manifests from declarative profiles (ksonnet's prototypes and environments, reborn).",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Typer prints an argument's Python type after its name ("INSTANCE <str>"); kfgen's metavars say what it is.
if hasattr(TyperArgument, "display_type_rich"):
    TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign, assignment]


def _version(value: bool) -> None:
    if value:
        from kfgen import __version__

        typer.echo(f"kfgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print kfgen's version and exit."),
) -> None:
    """Typed Kubeflow manifests from declarative profiles (ksonnet's prototypes and environments, reborn).

    Run from any directory of a project: kfgen finds the nearest directory upward holding profiles/.
    """


app.command()(render.render)
app.command()(render.profiles)
app.command()(info.prototypes)
app.command()(edit.generate)
app.command()(edit.init)
app.command()(info.params)
app.command("import")(ksonnet.import_)
app.command()(validate.validate)
app.command()(deploy.apply)
app.command()(deploy.diff)
app.command()(deploy.delete)
app.command()(deploy.status)

param_app = typer.Typer(help="Set, unset and list the params of a profile's instances (ksonnet's 'ks param').",
                        no_args_is_help=True, rich_markup_mode=None)
param_app.command("set", context_settings={"ignore_unknown_options": True})(edit.param_set)
param_app.command("unset")(edit.param_unset)
param_app.command("list")(edit.param_list)
app.add_typer(param_app, name="param")

schemas_app = typer.Typer(help="Kubernetes JSON schemas for offline validation (kubeconform).",
                          no_args_is_help=True, rich_markup_mode=None)
schemas_app.command("export")(validate.schemas_export)
schemas_app.command("profile")(validate.schemas_profile)
app.add_typer(schemas_app, name="schemas")


def main() -> None:
    # A kfgen command is a short-lived process whose objects (pydantic models, rendered manifests) live
    # until it exits: the cyclic garbage collector found next to nothing to free in it, yet its passes cost
    # ~45 ms of a 1,000-instance render (~200 passes; peak RSS +0.6 MiB without them). Reference counting
    # still frees everything that is not a cycle.
    gc.disable()
    # pydantic looks for plugins (the "pydantic" entry point group, a scan of every installed distribution's
    # metadata, ~2 ms) when kfgen builds its first model; kfgen uses none. A user's own setting is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


if __name__ == "__main__":
    main()
