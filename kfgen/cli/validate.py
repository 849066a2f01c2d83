"""``kfgen validate`` and ``kfgen schemas export|profile``: strict offline validation and the schemas behind it."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from kfgen.cli.common import OutDir, ProfilesDir, complete_profile, err, fail
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION


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
    cannot be read, a directory without manifest files, an unknown profile or Kubernetes version; and 2 when a
    profile is refused (its problems listed, as render does).
    """
    from kfgen.actions import Workspace
    from kfgen.actions.validate import validate as run_validate
    from kfgen.errors import KfgenError

    try:
        result = run_validate(Workspace(profiles_dir, out_dir), paths, profile, all_,
                              kubernetes_version=kubernetes_version, strict_kinds=strict_kinds,
                              kubeconform=kubeconform)
    except KfgenError as exc:
        raise fail(exc, 2, "nothing was validated.") from None
    if result.kubeconform_missing:
        err("note: kubeconform not found ($KFGEN_TOOLS_DIR, ~/.cache/kfgen/bin, PATH): "
            "validated in-process only (scripts/tools.sh kubeconform builds it)")
    for report in result.reports:
        for finding in report.findings:
            err(finding.format())
        typer.echo(report.summary())
    if result.files is not None:
        for skipped in result.files.skipped:
            err(skipped.format())
        for finding in result.files.findings:
            err(finding.format())
        typer.echo(result.files.summary())
    if any(r.bad_profile for r in result.reports):
        raise typer.Exit(2)
    if not result.ok:
        raise typer.Exit(1)

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
        raise fail(exc, 2) from None
    except OSError as exc:
        err(f"error: cannot write schemas to {directory}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    typer.echo(f"wrote {len(files)} schemas to {directory}/")
    typer.echo("validate with: kubeconform -strict -summary "
               f"-schema-location '{directory}/{SCHEMA_TEMPLATE}' FILE_OR_DIR...")


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
        err(f"error: cannot write {output}: it is a directory (name a file, e.g. {output / PROFILE_SCHEMA.name})")
        raise typer.Exit(2)
    try:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        if check:
            err(f"error: cannot read {output}: {getattr(exc, 'strerror', None) or exc}")
            raise typer.Exit(2) from None
        current = None  # rewritten below
    if check:
        if current != text:
            err(f"{output} is out of date; run 'kfgen schemas profile'")
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    if current != text:
        try:
            write_file(output, text)
        except KfgenError as exc:
            raise fail(exc, 2) from None
    typer.echo(f"wrote {output}")
