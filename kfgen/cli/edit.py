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
    err,
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
    for note in change.notes:  # type: ignore[attr-defined]
        err(f"note: {note}")


SET_HELP = """Set params of an instance, in the profile's own file (keeping its comments and layout).

Several KEY VALUE pairs make one edit, for params that must change together:
'kfgen param set kubeflow-core jupyterHubAuthenticator native jupyterHubAdminUsers [alice] -p NAME'.

A string param takes VALUE exactly as typed ('#x', 'null' and '--a=1 # b' are those strings); other params
read it as YAML: true, 3, '[a, b]', '{cpu: 500m}', null. A bool param takes true or false (yes, no, on and
off are refused: YAML 1.1 reads them as booleans, YAML 1.2 as text); an integer is written in decimal
(010, 0x10, 1_000 and 1:30 are refused: YAML 1.1 reads them as 8, 16, 1000 and 90). A param that also takes
text keeps such a VALUE as typed. 'kfgen param unset' removes a value. A VALUE
starting with '-' works as it is ('param set job args --train_steps=1000 -p NAME'); put '--' before the
pairs when one could be read as kfgen's own option (-p, -h): 'param set -p NAME job args -- -p'.

An instance of the profile it extends gets an override in this profile's file; a partial (-p _NAME) can be
edited too. The edit is rendered first, in memory, with every profile that extends the file: when a profile
that rendered would no longer render, nothing is written (exit 2). A profile that did not render before
may be fixed one edit at a time.
"""


def _refused(exc: Exception, profiles_dir: Path, name: str, hint: str | None = None) -> typer.Exit:
    """The exit of an edit of profile *name* that was refused, saying which file is unchanged; *hint*: what to
    do next, shown when the edit stopped profile *name* alone (not profiles that extend the edited file)."""
    from kfgen.edit.check import EditRefused
    from kfgen.profile import display, profile_path

    path = profile_path(profiles_dir, name)
    unchanged = f"{display(path)} is unchanged." if path.is_file() else "the profile is unchanged."
    if isinstance(exc, EditRefused) and exc.profiles:
        names = [f"'{n}'" for n in exc.profiles]
        who = f"profile {names[0]}" if len(names) == 1 else f"profiles {', '.join(names[:-1])} and {names[-1]}"
        tail = f"\nhint: {hint}" if hint and exc.profiles == [name] else ""
        return fail(exc, 2, f"the edit would stop {who} from rendering; {unchanged}{tail}")
    return fail(exc, 2, unchanged)


def param_set(
    instance: str = InstanceArg,
    pairs: list[str] = typer.Argument(..., metavar="KEY VALUE [KEY VALUE]...", autocompletion=complete_param,
                                      help="Param names and their values (see above for how VALUE is read)."),
    profile: str = EditProfile,
    profiles_dir: Path = ProfilesDir,
) -> None:
    from kfgen.edit import set_params
    from kfgen.errors import KfgenError, Problem

    if len(pairs) % 2:
        given = " ".join(pairs)
        raise fail(KfgenError(Problem(f"expected KEY VALUE pairs after the instance, got {len(pairs)} word(s)",
                                      found=repr(given), expected="KEY VALUE [KEY VALUE]...",
                                      hint="quote a VALUE with spaces; an empty VALUE is ''")), 2,
                   "the profile is unchanged.")
    raws = dict(zip(pairs[::2], pairs[1::2], strict=True))
    if len(raws) != len(pairs) // 2:
        raise fail(KfgenError(Problem("a KEY is given twice", found=" ".join(pairs[::2]))), 2,
                   "the profile is unchanged.")
    try:
        change = set_params(profiles_dir, profile, instance, raws)
    except KfgenError as exc:
        several = ("change several params in one edit: kfgen param set INSTANCE KEY VALUE KEY VALUE ... "
                   f"-p {profile}") if len(raws) == 1 else None
        raise _refused(exc, profiles_dir, profile, several) from None
    _changed(change)


param_set.__doc__ = SET_HELP


def param_unset(
    instance: str = InstanceArg,
    key: str = typer.Argument(..., metavar="KEY", autocompletion=complete_param, help="Param name."),
    profile: str = EditProfile,
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Remove a param from the profile's own file: the extended profile's value or the default applies.

    A value that only an extended profile sets gets 'KEY: null' in this file (the default applies here).
    """
    from kfgen.edit import unset_param
    from kfgen.errors import KfgenError

    try:
        change = unset_param(profiles_dir, profile, instance, key)
    except KfgenError as exc:
        raise _refused(exc, profiles_dir, profile) from None
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
        raise fail(exc, 2, "nothing to list.") from None
    if not rows:
        typer.echo(f"profile '{profile}' has no instances")
        return
    w_inst = max(len('INSTANCE'), *(len(r.instance) for r in rows))
    w_key = max(len('PARAM'), *(len(r.key) for r in rows))
    shown = [_show_value(r.value) for r in rows]
    w_val = min(max(len('VALUE'), *(len(v) for v in shown)), 50)
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
    namespace: str | None = typer.Option(None, "--namespace", metavar="NAMESPACE",
                                         help="Namespace of the new instance (default: the profile's)."),
    profiles_dir: Path = ProfilesDir,
) -> None:
    """Add an instance of a prototype to a profile (ksonnet's 'ks generate'), validated before it is written.

    The podSecurity entry its pods need is added where the profile has none for its namespace; a level the
    profile (or one it extends) writes is never lowered: generate refuses (exit 2) and says where it is.
    """
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
        change = run_generate(profiles_dir, profile, prototype, instance, raws, namespace)
    except KfgenError as exc:
        raise _refused(exc, profiles_dir, profile) from None
    _changed(change)
    for line in change.added:
        typer.echo(line)
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

    Asks nothing, and adds only what is missing: never overwrites a file. In an existing repository, the
    lines kfgen needs are appended to its .gitignore and every other file that exists is kept (listed).
    """
    from kfgen.edit.init import init_project
    from kfgen.errors import KfgenError
    from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
    from kfgen.profile import display

    try:
        done = init_project(directory, name, namespace, kubernetes_version or DEFAULT_KUBERNETES_VERSION,
                            kfgen_source)
    except KfgenError as exc:
        raise fail(exc, 2) from None
    for path in done.written:
        typer.echo(f"wrote {display(path)}")
    if done.profiles:
        typer.echo(f"kept: {display(directory / 'profiles')}/ already has profiles: {', '.join(done.profiles)} "
                   "(no starter profile written)")
    if done.appended:
        typer.echo(f"added to {display(directory / '.gitignore')}: {' '.join(done.appended)}")
    if done.out_ignored:
        lines = "; ".join(f"line {n.partition(': ')[0]} `{n.partition(': ')[2]}`" for n in done.out_ignored)
        negated = " ".join(line for line in done.appended if line.startswith("!"))
        err(f"warning: {display(directory / '.gitignore')} ignored out/ ({lines}), but kfgen's out/ is committed: "
            f"CI's 'kfgen render --all --check' would fail on a clean checkout. Appended {negated} (git tracks "
            f"out/ again); or remove {lines.replace('; ', ' and ')} yourself")
    for path in done.skipped:  # named as is, not where a symlink points
        shown = Path(display(path.parent)) / path.name
        typer.echo(f"kept {shown} (it exists; kfgen init never overwrites a file)")
    if not done.written and not done.appended:
        typer.echo("nothing to add: the repository has every file kfgen init writes")
    cd = f"cd {display(directory)} && " if directory != Path(".") else ""
    what = "--all" if done.profiles else f"-p {name}"
    typer.echo(f"next: {cd}kfgen render {what} && git init && git add . && git commit -m 'kfgen init'")
    if any(p.name == "kfgen.yaml" for p in done.written):
        if done.pip_spec:
            typer.echo(f"next: CI (.github/workflows/kfgen.yaml) installs kfgen with pip from '{done.pip_spec}'; "
                       "set the repository variable KFGEN_PIP_SPEC to install it from elsewhere")
        else:
            typer.echo("next: set the repository variable KFGEN_PIP_SPEC to kfgen's pip requirement (e.g. "
                       "'kfgen @ git+https://HOST/OWNER/kfgen@TAG'): CI (.github/workflows/kfgen.yaml) needs it, as "
                       "this kfgen was not installed from a git repository (or pass --kfgen-source URL to init)")
