"""ksonnet's editing verbs: ``kfgen init``, ``generate`` and ``param set|unset|list`` print what :mod:`kfgen.edit`
changed."""

from __future__ import annotations

from pathlib import Path

import typer

from kfgen.cli.common import (
    EditProfile,
    InstanceArg,
    ProfilesDir,
    complete_instance,
    complete_param,
    complete_profile,
    complete_prototype,
    fail,
)


def _show_value(value: object) -> str:
    import json

    return "(unset)" if value is None else value if isinstance(value, str) else json.dumps(value)


def _changed(change: object) -> None:
    """Print the lines an edit changed, as a diff of the profile file."""
    import difflib

    from kfgen.profile import display

    before, after = change.before.splitlines(keepends=True), change.after.splitlines(keepends=True)  # type: ignore[attr-defined]
    if before == after:
        typer.echo(f"{display(change.path)}: unchanged")  # type: ignore[attr-defined]
        return
    typer.echo(f"edited {display(change.path)}:")  # type: ignore[attr-defined]
    for line in difflib.unified_diff(before, after, n=0):
        if not line.startswith(("---", "+++")):
            typer.echo("  " + line.rstrip("\n"))


def param_set(
    instance: str = InstanceArg,
    key: str = typer.Argument(..., metavar="KEY", autocompletion=complete_param, help="Param name."),
    value: str = typer.Argument(..., metavar="VALUE",
                                help="YAML, read by the param's type: true, 3, '[a, b]', '{cpu: 500m}'; "
                                     "a string param takes the text as it is."),
    profile: str = EditProfile,
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Set a param of an instance, in the profile's own file (keeping its comments and layout).

    An instance of the profile it extends gets an override in this profile's file. The edited profile
    is validated first: an invalid value changes nothing (exit 2).
    """
    from kfgen.edit import set_params
    from kfgen.errors import KfgenError

    try:
        change = set_params(profiles_dir, profile, instance, {key: value})
    except KfgenError as exc:
        raise fail(exc, 2, "the profile is unchanged.") from None
    _changed(change)


def param_unset(
    instance: str = InstanceArg,
    key: str = typer.Argument(..., metavar="KEY", autocompletion=complete_param, help="Param name."),
    profile: str = EditProfile,
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Remove a param from the profile's own file: the extended profile's value or the default applies."""
    from kfgen.edit import unset_param
    from kfgen.errors import KfgenError

    try:
        change = unset_param(profiles_dir, profile, instance, key)
    except KfgenError as exc:
        raise fail(exc, 2, "the profile is unchanged.") from None
    _changed(change)


def param_list(
    instance: str | None = typer.Argument(None, metavar="INSTANCE", autocompletion=complete_instance,
                                          help="Only this instance."),
    profile: str = typer.Option(..., "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                                help="Profile."),
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Every param's effective value and where it comes from: default, this profile, or an extended profile."""
    from kfgen.edit import list_params
    from kfgen.errors import KfgenError

    try:
        rows = list_params(profiles_dir, profile, instance)
    except KfgenError as exc:
        raise fail(exc, 2, "") from None
    if not rows:
        typer.echo(f"profile '{profile}' has no instances")
        return
    w_inst = max(len(r.instance) for r in rows)
    w_key = max(len(r.key) for r in rows)
    shown = [_show_value(r.value) for r in rows]
    w_val = min(max(len(v) for v in shown), 50)
    typer.echo(f"{'INSTANCE':{w_inst}}  {'PARAM':{w_key}}  {'VALUE':{w_val}}  FROM")
    for r, v in zip(rows, shown, strict=True):
        typer.echo(f"{r.instance:{w_inst}}  {r.key:{w_key}}  {v:{w_val}}  {r.source}")


def generate(
    prototype: str = typer.Argument(..., metavar="PROTOTYPE", autocompletion=complete_prototype,
                                    help="Prototype of the new instance ('kfgen prototypes' lists them)."),
    instance: str = typer.Argument(..., metavar="INSTANCE", help="Name of the new instance (a DNS label)."),
    profile: str = EditProfile,
    param: list[str] | None = typer.Option(None, "--param", metavar="KEY=VALUE",
                                           help="A param of the new instance (repeatable); VALUE as in 'param set'."),
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Add an instance of a prototype to a profile (ksonnet's 'ks generate'), validated before it is written."""
    from kfgen.edit import generate as run_generate
    from kfgen.errors import KfgenError, Problem

    raws: dict[str, str] = {}
    for item in param or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise fail(KfgenError(Problem(f"--param {item!r}: expected KEY=VALUE", found=repr(item))), 2,
                        "the profile is unchanged.")
        raws[key.strip()] = value
    try:
        change = run_generate(profiles_dir, profile, prototype, instance, raws)
    except KfgenError as exc:
        raise fail(exc, 2, "the profile is unchanged.") from None
    _changed(change)
    typer.echo(f"next: kfgen param list {instance} -p {profile}; kfgen render -p {profile}")


def init(
    directory: Path = typer.Argument(Path("."), metavar="DIR", help="Directory of the new repository.",
                                     show_default=False),
    name: str = typer.Option("default", "--name", metavar="NAME", help="Name of the starter profile."),
    namespace: str = typer.Option("kubeflow", "--namespace", metavar="NAMESPACE",
                                  help="Namespace of the starter profile."),
    kubernetes_version: str | None = typer.Option(None, "--kubernetes-version", metavar="VERSION",
                                                  help="Kubernetes minor version, e.g. 1.37 (default: the newest "
                                                       "kfgen supports)."),
    kfgen_source: str | None = typer.Option(None, "--kfgen-source", metavar="URL",
                                            help="kfgen's git repository: pre-commit and CI install kfgen from it "
                                                 "(default: pre-commit runs the kfgen on PATH)."),
) -> None:
    """Start a repository of profiles (ksonnet's 'ks init'): a starter profile, .gitignore, pre-commit and CI.

    Asks nothing; never overwrites a file (when one exists, nothing is written).
    """
    from kfgen.edit.init import init_project
    from kfgen.errors import KfgenError
    from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
    from kfgen.profile import display

    try:
        written = init_project(directory, name, namespace, kubernetes_version or DEFAULT_KUBERNETES_VERSION,
                               kfgen_source)
    except KfgenError as exc:
        raise fail(exc, 2) from None
    for path in written:
        typer.echo(f"wrote {display(path)}")
    cd = f"cd {display(directory)} && " if directory != Path(".") else ""
    typer.echo(f"next: {cd}kfgen render -p {name} && git init && git add . && git commit -m 'kfgen init'")
