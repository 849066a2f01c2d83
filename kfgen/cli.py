"""The ``kfgen`` command: a thin layer over :mod:`kfgen.actions`. Heavy imports happen inside commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.core import TyperArgument

from kfgen.edit.complete import complete_instance, complete_param, complete_profile, complete_prototype
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION

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


def _project_dir(ctx: typer.Context, param: typer.CallbackParam, value: Path) -> Path:
    """--profiles-dir/--out-dir when given; otherwise profiles/ and out/ of the project root (kfgen.project)."""
    from kfgen.project import default_out_dir, default_profiles_dir

    if ctx.get_parameter_source(param.name or "").name not in ("DEFAULT", "DEFAULT_MAP"):
        return value
    return default_out_dir() if param.name == "out_dir" else default_profiles_dir()


ProfilesDir = typer.Option(Path("profiles"), "--profiles-dir", metavar="DIR", callback=_project_dir,
                           help="Directory of profile files (default: profiles/ of the project root, the nearest "
                                "directory upward that has one).", show_default=False)
OutDir = typer.Option(Path("out"), "--out-dir", metavar="DIR", callback=_project_dir,
                      help="Directory that receives out/<profile>/ (default: out/ of the project root).",
                      show_default=False)


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _fail(exc: Exception, code: int = 1, tail: str = "nothing was written.") -> typer.Exit:
    from kfgen.errors import KfgenError

    if isinstance(exc, KfgenError):
        _err(exc.format())
        n = len(exc.problems)
        _err(f"{n} problem{'s' if n != 1 else ''}; {tail}")
    else:
        _err(f"error: {exc}")
    return typer.Exit(code)


@app.command()
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
                                     "out/<profile>.foreign-<UTC time>/.", show_default=True),
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
) -> None:
    """Render profiles into out/<profile>/ (one file per object, plus a Kustomization).

    Each out/<profile>/ is built beside the old one and swapped in atomically, so a run that fails or
    is killed leaves the complete old or the complete new output (its leftovers are removed by the next
    run); concurrent runs take turns on a lock. kfgen never deletes a file it did not write: see --foreign.
    """
    from kfgen import actions as api
    from kfgen.errors import KfgenError
    from kfgen.output.write import FOREIGN_POLICIES

    ws = api.Workspace(profiles_dir, out_dir)
    if check and stdout:
        _err("error: --check and --stdout exclude each other: --check compares with out/, --stdout prints")
        raise typer.Exit(2)
    if foreign not in FOREIGN_POLICIES:
        _err(f"error: --foreign must be one of {', '.join(FOREIGN_POLICIES)}, not {foreign!r}")
        raise typer.Exit(2)
    removed: dict[Path, Path | None] = {}
    try:
        names = api.resolve_names(ws, profile, all_)
        # stale directories holding foreign files stop the run before anything is written
        stale = (api.stale_outputs(ws, foreign=None if check or foreign == "keep" else foreign)
                 if all_ and not stdout else [])
        outcomes = api.render(ws, names, check=check, stream=stdout, foreign=foreign)
        if stale and not check:
            removed = api.remove_outputs(stale, foreign=foreign)
    except api.WriteError as exc:
        written = ", ".join(exc.written) or "none"
        raise _fail(exc, 2, f"that profile's output is unchanged; profiles written before it: {written}.") from None
    except KfgenError as exc:
        raise _fail(exc, 2) from None
    drifted = False
    if check:
        for d in stale:
            drifted = True
            _err(f"{d}/ is output of a profile that no longer exists (render --all removes it)")
    for d, aside in removed.items():
        typer.echo(f"removed {d}/: its profile no longer exists"
                   + (f" (files kfgen did not write moved to {aside}/)" if aside else ""))
    for d in stale:
        if not check and d not in removed:
            _err(f"kept {d}/: its profile no longer exists, but it holds files kfgen did not write (--foreign=keep)")
    for o in outcomes:
        for w in o.warnings:
            _err(f"warning: {o.profile}: {w}")
        if stdout:
            sys.stdout.write(o.stream)
            continue
        for line in o.summary:
            _err(f"{o.profile}: {line}")
        target = ws.target(o.profile)
        if check:
            if o.drift:
                drifted = True
                _err(f"{target}/ differs from a fresh render of profile '{o.profile}':")
                for d in o.drift:
                    _err(f"  {d.change:8} {target / d.file}")
            else:
                typer.echo(f"{target}/ is up to date ({o.objects} objects)")
        else:
            state = f"{len(o.drift)} file(s) changed" if o.drift else "unchanged"
            typer.echo(f"rendered {o.profile}: {o.objects} objects -> {target}/ ({state})")
            if o.moved_to:
                _err(f"{o.profile}: moved files kfgen did not write to {o.moved_to}/")
            if o.kept:
                _err(f"{o.profile}: kept {len(o.kept)} file(s) kfgen did not write: {', '.join(o.kept)}")
    if drifted:
        _err("run 'kfgen render' and commit out/ to fix the drift.")
        raise typer.Exit(1)


@app.command()
def profiles(profiles_dir: Path = ProfilesDir) -> None:
    """List the profiles (ksonnet's environments)."""
    from kfgen import actions as api
    from kfgen.errors import KfgenError

    ws = api.Workspace(profiles_dir)
    names = ws.profile_names()
    if not names:
        _err(f"no profiles in {profiles_dir}/")
        raise typer.Exit(1)
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
        raise typer.Exit(1)


@app.command()
def prototypes() -> None:
    """List the prototypes a profile's components can use."""
    from kfgen.prototypes.base import prototypes as protos

    for name, proto in protos().items():
        typer.echo(f"{name:12} {proto.summary}" + (f"  [ksonnet: {proto.ksonnet}]" if proto.ksonnet else ""))


# ------------------------------------------------------------------ ksonnet's verbs: param, generate, init

param_app = typer.Typer(help="Set, unset and list the params of a profile's instances (ksonnet's 'ks param').",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(param_app, name="param")

EditProfile = typer.Option(..., "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                           help="Profile whose file is edited.")
InstanceArg = typer.Argument(..., metavar="INSTANCE", autocompletion=complete_instance,
                             help="Instance (component) name in the profile.")


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


@param_app.command("set")
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
        raise _fail(exc, 2, "the profile is unchanged.") from None
    _changed(change)


@param_app.command("unset")
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
        raise _fail(exc, 2, "the profile is unchanged.") from None
    _changed(change)


@param_app.command("list")
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
        raise _fail(exc, 2, "") from None
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


@app.command()
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
            raise _fail(KfgenError(Problem(f"--param {item!r}: expected KEY=VALUE", found=repr(item))), 2,
                        "the profile is unchanged.")
        raws[key.strip()] = value
    try:
        change = run_generate(profiles_dir, profile, prototype, instance, raws)
    except KfgenError as exc:
        raise _fail(exc, 2, "the profile is unchanged.") from None
    _changed(change)
    typer.echo(f"next: kfgen param list {instance} -p {profile}; kfgen render -p {profile}")


@app.command()
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
        raise _fail(exc, 2) from None
    for path in written:
        typer.echo(f"wrote {display(path)}")
    cd = f"cd {display(directory)} && " if directory != Path(".") else ""
    typer.echo(f"next: {cd}kfgen render -p {name} && git init && git add . && git commit -m 'kfgen init'")


@app.command()
def params(prototype: str = typer.Argument(..., metavar="PROTOTYPE", autocompletion=complete_prototype,
                                                help="Prototype name, e.g. core.")) -> None:
    """Show a prototype's parameters: name, type, default and doc."""
    from kfgen import actions as api
    from kfgen.errors import KfgenError

    try:
        proto = api.get_prototype(prototype)
    except KfgenError as exc:
        raise _fail(exc, 2, "see 'kfgen prototypes'.") from None
    rows = api.param_docs(proto.params)
    typer.echo(f"{proto.name}: {proto.summary}\n")
    w_name = max(len(r.name) for r in rows)
    w_type = min(max(len(r.type) for r in rows), 40)
    for r in rows:
        typer.echo(f"  {r.name:{w_name}}  {r.type:{w_type}}  default: {r.default}")
        if r.doc:
            typer.echo(f"  {'':{w_name}}  {r.doc}")


@app.command("import")
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
        raise _fail(exc, 2) from None
    for e in result.environments:
        typer.echo(f"wrote {e.path} (ksonnet app '{result.app}', environment '{e.env}', namespace {e.namespace}): "
                   f"{len(e.components)} component(s)")
        for m in e.components:
            target = m.instance if m.instance == m.component else f"instance {m.instance}"
            params = ", ".join(f"{k}={show(v)}" for k, v in m.params.items()) or "(all defaults)"
            typer.echo(f"  {m.component} -> {target} ({m.prototype}): {params}")
            for key, (old, new) in m.new_defaults.items():
                typer.echo(f"    {key}: ksonnet's default {show(old)} -> kfgen's default {show(new)}")
        for r in e.retired:
            typer.echo(f"  retired: {r.component}.{r.param} = {show(r.value)} is not carried over: {r.reason}")
        for s in e.skipped:
            typer.echo(f"  skipped: {s.component}: {s.reason}")
        for note in e.notes:
            typer.echo(f"  note: {note}")
    typer.echo("next: kfgen render " + " ".join(f"-p {e.profile}" for e in result.environments)
               + (f" --profiles-dir {profiles_dir}" if profiles_dir != Path("profiles") else ""))


schemas_app = typer.Typer(help="Kubernetes JSON schemas for offline validation (kubeconform).",
                          no_args_is_help=True, rich_markup_mode=None)
app.add_typer(schemas_app, name="schemas")


@app.command()
def validate(
    paths: list[Path] | None = typer.Argument(
        None, metavar="FILE_OR_DIR", show_default=False,
        help="Manifest files, or directories searched recursively for *.yaml, *.yml and *.json, that kfgen did not "
             "render (other tools' output, upstream examples): every document, and the items of a List, against "
             "the strict schemas of --kubernetes-version and kfgen's TFJob. Kustomization files and kinds with no "
             "schema outside the Kubernetes API groups (CRDs other than TFJob) are skipped with a note. "
             "Combine with -p/--all to validate both; alone, no profile is validated."),
    profile: list[str] | None = typer.Option(None, "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                                               help="Profile to validate (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="Validate every profile in the profiles directory."),
    kubernetes_version: str | None = typer.Option(
        None, "--kubernetes-version", metavar="VERSION", show_default=False,
        help="Kubernetes minor version of the schemas for FILE_OR_DIR (default: kfgen's default, "
             "kfgen.kube.constants.DEFAULT_KUBERNETES_VERSION); profiles use their own kubernetesVersion."),
    strict_kinds: bool = typer.Option(False, "--strict-kinds",
                                      help="Make objects of kinds with no schema (CRDs other than TFJob) in "
                                           "FILE_OR_DIR errors instead of skipping them."),
    kubeconform: bool = typer.Option(True, "--kubeconform/--no-kubeconform",
                                     help="Also run kubeconform when installed ($KFGEN_TOOLS_DIR, ~/.cache/kfgen/bin, "
                                          "PATH)."),
    profiles_dir: Path = ProfilesDir,
    out_dir: Path = OutDir,
) -> None:
    """Validate profiles, their fresh render and committed out/<profile>/, or any manifest files, against strict
    Kubernetes schemas, offline.

    Exit 0 when everything is valid; 1 when something is invalid (a YAML syntax error is an invalid file, shown
    with its line); 2 for bad input, before anything is validated: a path that does not exist, a file that
    cannot be read, a directory without manifest files, an unknown profile or Kubernetes version.
    """
    from kfgen import actions as api
    from kfgen.errors import KfgenError
    from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
    from kfgen.validate.kubeconform import find_kubeconform
    from kfgen.validate.paths import validate_manifest_paths
    from kfgen.validate.profiles import validate_profiles

    ws = api.Workspace(profiles_dir, out_dir)
    try:
        names = api.resolve_names(ws, profile, all_) if profile or all_ or not paths else []
        files = (validate_manifest_paths(paths, kubernetes_version or DEFAULT_KUBERNETES_VERSION,
                                         strict_kinds=strict_kinds, kubeconform_bin=kubeconform) if paths else None)
        reports = validate_profiles(ws, names, kubeconform_bin=kubeconform) if names else []
    except KfgenError as exc:
        raise _fail(exc, 2, "nothing was validated.") from None
    if kubeconform and find_kubeconform() is None:
        _err("note: kubeconform not found ($KFGEN_TOOLS_DIR, ~/.cache/kfgen/bin, PATH): "
             "validated in-process only (scripts/tools.sh kubeconform builds it)")
    for report in reports:
        for finding in report.findings:
            _err(finding.format())
        typer.echo(report.summary())
    if files is not None:
        for skipped in files.skipped:
            _err(skipped.format())
        for finding in files.findings:
            _err(finding.format())
        typer.echo(files.summary())
    if not all(r.ok for r in reports) or (files is not None and not files.ok):
        raise typer.Exit(1)


@schemas_app.command("export")
def schemas_export(
    directory: Path = typer.Option(..., "--dir", metavar="DIR", help="Directory that receives the schema files."),
    kubernetes_version: str = typer.Option(DEFAULT_KUBERNETES_VERSION, "--kubernetes-version", metavar="VERSION",
                                      help="Kubernetes minor version, e.g. 1.37."),
    descriptions: bool = typer.Option(False, "--descriptions", help="Keep description texts (about 4x larger)."),
) -> None:
    """Write standalone strict JSON schemas (every Kubernetes kind, plus TFJob) for offline kubeconform."""
    from kfgen.errors import KfgenError
    from kfgen.validate.export import SCHEMA_TEMPLATE, export_schemas

    try:
        files = export_schemas(directory, kubernetes_version, descriptions=descriptions)
    except KfgenError as exc:
        raise _fail(exc, 2) from None
    except OSError as exc:
        _err(f"error: cannot write schemas to {directory}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    typer.echo(f"wrote {len(files)} schemas to {directory}/")
    typer.echo("validate with: kubeconform -strict -summary "
               f"-schema-location '{directory}/{SCHEMA_TEMPLATE}' FILE_OR_DIR...")


@schemas_app.command("profile")
def schemas_profile(
    output: Path | None = typer.Option(None, "--output", "-o", metavar="FILE",
                                       help="Where to write it ('-' for stdout).  "
                                            "[default: schemas/profile.schema.json]"),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when the file differs."),
) -> None:
    """Write the JSON Schema of profile files (editors use it through the yaml-language-server comment)."""
    from kfgen.errors import KfgenError
    from kfgen.output.files import write_file
    from kfgen.profile.schema import PROFILE_SCHEMA, profile_json_schema

    output = output or PROFILE_SCHEMA
    text = profile_json_schema()
    if str(output) == "-":
        sys.stdout.write(text)
        return
    if output.name in ("", ".", "..") or output.is_dir():
        _err(f"error: cannot write {output}: it is a directory (name a file, e.g. {output / PROFILE_SCHEMA.name})")
        raise typer.Exit(2)
    try:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        if check:
            _err(f"error: cannot read {output}: {getattr(exc, 'strerror', None) or exc}")
            raise typer.Exit(2) from None
        current = None  # rewritten below
    if check:
        if current != text:
            _err(f"{output} is out of date; run 'kfgen schemas profile'")
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    if current != text:
        try:
            write_file(output, text)
        except KfgenError as exc:
            raise _fail(exc, 2) from None
    typer.echo(f"wrote {output}")


# --------------------------------------------------------------------------------------- day 2: kubectl

DeployProfile = typer.Option(..., "--profile", "-p", metavar="NAME", autocompletion=complete_profile,
                             help="Profile (rendered fresh from the profiles directory).")
DeployInstances = typer.Option(None, "--component", "-c", metavar="INSTANCE", autocompletion=complete_instance,
                                help="Only this instance (repeatable); apply prunes nothing.")
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
        kubectl = Kubectl(find_kubectl(), log=_err if verbose else None)
        target = ctx.resolve(kubectl, plan.profile, context)
    except KfgenError as exc:
        raise _fail(exc, 2, "nothing was changed.") from None
    for w in plan.warnings + (plan.render_warnings if warn_unpinned else []):
        _err(f"warning: {profile}: {w}")
    unpinned = ctx.unpinned_warning(plan.profile, target)
    if unpinned and warn_unpinned:
        _err(f"warning: {unpinned}")
    return plan, kubectl, target


@app.command()
def apply(
    profile: str = DeployProfile,
    component: list[str] | None = DeployInstances,
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
        raise _fail(exc, 2, "objects applied before the failure stay applied.") from None
    for w in res.warnings:
        _err(w)
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


@app.command()
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
        raise _fail(exc, 2, "nothing was changed.") from None
    sys.stdout.write(res.text)
    for name, needs in res.blocked.items():
        typer.echo(f"+ {name} (created after {needs})")
    for name in res.prune:
        typer.echo(f"- {name} (pruned: no longer rendered)")
    if res.has_changes:
        _err(f"{profile} on {target.describe()}: {len(res.changed) + len(res.blocked)} to create or change, "
             f"{len(res.prune)} to prune")
        raise typer.Exit(1)
    _err(f"{profile} on {target.describe()}: no changes")


@app.command()
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
        raise _fail(exc, 2, "objects deleted before the failure stay deleted.") from None
    for w in res.warnings:
        _err(w)
    for name in res.deleted:
        typer.echo(f"deleted {name}")
    scope = f"{profile}" + (f" [{', '.join(plan.instances)}]" if plan.instances else "")
    typer.echo(f"{scope} on {target.describe()}: {len(res.deleted)} deleted" if res.deleted
               else f"{scope} on {target.describe()}: nothing to delete")


@app.command()
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
        raise _fail(exc, 2, "") from None
    width = max((len(o.object) for o in res.objects), default=0)
    for o in res.objects:
        typer.echo(f"{o.state:8} {o.object:{width}}  {o.detail}".rstrip())
    for w in res.warnings:
        _err(f"warning: {w}")
    counts = {s: sum(o.state == s for o in res.objects) for s in ("present", "differs", "missing")}
    typer.echo(f"{profile} on {target.describe()}: " + ", ".join(f"{n} {s}" for s, n in counts.items())
               + f", {len(res.warnings)} warning(s)")
    if res.problems:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
