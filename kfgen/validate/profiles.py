"""Validate profiles end to end: the profile, a fresh render, the committed ``out/<profile>/``
files, drift between the two, and kubeconform when it is installed. Bad input raises nothing:
everything wrong is a :class:`kfgen.errors.Problem` in :attr:`Report.findings`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfgen.errors import KfgenError, Problem
from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
from kfgen.output.files import Drift, RenderedFiles, diff_dir
from kfgen.profile import display, load_profile
from kfgen.render.order import file_name
from kfgen.validate.export import SchemaCache
from kfgen.validate.kubeconform import KubeconformResult, find_kubeconform, kubeconform, not_yet_reported
from kfgen.validate.manifests import manifest_files, validate_files
from kfgen.validate.objects import validate_each

if TYPE_CHECKING:  # pragma: no cover
    from kfgen.actions import Workspace
    from kfgen.profile import Profile, SourceMap
    from kfgen.render.pipeline import RenderResult

_DRIFT = {"modified": "differs from a fresh render", "missing": "is missing (a fresh render writes it)",
          "extra": "is not produced by a fresh render"}


@dataclass
class Report:
    """Everything wrong with one profile and its committed output. ``ok`` when nothing is."""

    profile: str
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    findings: list[Problem] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    objects: int = 0  # objects of the fresh render
    files: int = 0  # committed files validated on disk
    committed: bool = True  # out/<profile>/ exists (False: only the fresh render was validated)
    kubeconform: KubeconformResult | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def bad_profile(self) -> bool:
        """The profile itself is refused (it does not load, or kfgen refuses to render it): bad input, exit 2."""
        return any(f.source in ("profile", "render") for f in self.findings)

    def summary(self) -> str:
        parts = [f"{self.objects} objects rendered",
                 f"{self.files} committed files checked" if self.committed
                 else "nothing committed in its out/ directory yet: the fresh render was validated"]
        if self.kubeconform is not None:
            kc = self.kubeconform
            parts.append(f"kubeconform: {kc.valid} valid, {kc.invalid} invalid, {kc.errors} errors, "
                         f"{kc.skipped} skipped")
        state = "valid" if self.ok else f"{len(self.findings)} problem{'s' if len(self.findings) != 1 else ''}"
        return f"{self.profile}: {state} (k8s {self.kubernetes_version}; {', '.join(parts)})"


def validate_profile(ws: Workspace, name: str, *, kubeconform_bin: Path | str | None = None,
                     schemas: SchemaCache | None = None) -> Report:
    """Validate profile *name* end to end and list every problem.

    1. the profile (kfgen's own errors: unknown keys, wrong types, … with file and line);
    2. a fresh render, every object against the strict schema of its kind;
    3. when ``out/<name>/`` exists, its files as they are on disk (with file and line), and drift
       between them and the fresh render (each differing file is a problem);
    4. with *kubeconform_bin*, kubeconform over ``out/<name>/`` (or over the fresh render written to
       a temp dir when there is no ``out/<name>/``). Its problems are added for objects the
       in-process validator found valid (the two disagree: e.g. YAML that Go reads differently,
       or a missing schema), so the same error is not listed twice.

    Raises nothing for bad input: everything is in ``Report.findings``.
    """
    report = Report(name)
    profile, result, files, sources = _render(ws, name, report)
    version_ok = _check_version(report, sources)
    target = ws.target(name)
    on_disk = report.committed = target.is_dir()
    known_valid: dict[str, int] = {}
    if profile is not None and result is not None:
        report.objects = len(result.objects)
        report.drift = diff_dir(target, files or {}) if on_disk else []
        if version_ok:
            plain = files.plain if isinstance(files, RenderedFiles) else frozenset()
            known_valid = _validate_render(report, result, profile.namespace, target if on_disk else None, plain)
    if on_disk and version_ok:
        found, report.files, _ = validate_files(manifest_files(target), report.kubernetes_version, display=display,
                                                known_valid=known_valid)
        report.findings.extend(found)
    for d in report.drift:
        report.findings.append(Problem(f"committed file {_DRIFT.get(d.change, d.change)}",
                                       file=display(target / d.file), source="drift",
                                       hint=f"run 'kfgen render --profile {name}' and commit {target}/"))
    if kubeconform_bin is not None and version_ok and (on_disk or files):
        report.kubeconform = _kubeconform_profile(report, target if on_disk else None, files,
                                                  Path(kubeconform_bin), schemas)
    return report


def _validate_render(report: Report, result: RenderResult, namespace: str, target: Path | None,
                     plain: frozenset[int] = frozenset()) -> dict[str, int]:
    """Validate the rendered objects, each once. The problems of an object whose committed file is
    missing or drifted (or of every object, *target* None: nothing committed) are the report's, with
    the instance that rendered it. A committed file byte-identical to the fresh render's holds exactly
    the rendered object, so it is not parsed again when that object is valid: those files are
    returned (``str`` of the path -> objects), for :func:`validate_files` to count without reading. A file whose
    object is invalid is read and validated as it is on disk, for its file and lines. *plain*: ids of
    the objects the YAML writer certified as plain JSON (:attr:`RenderedFiles.plain`)."""
    per_object = validate_each(result.objects, report.kubernetes_version, instances=result.instance_of,
                               plain=[id(obj) in plain for obj in result.objects])
    changed = {d.file for d in report.drift}
    valid: dict[str, int] = {}  # file name -> its objects, all valid
    invalid: set[str] = set()
    for obj, problems in zip(result.objects, per_object, strict=True):
        fname = file_name(obj, namespace)
        if target is None or fname in changed:
            report.findings.extend(problems)
        elif problems:
            invalid.add(fname)
        else:
            valid[fname] = valid.get(fname, 0) + 1
    if target is None:
        return {}
    base = str(target)  # the spelling of the paths manifest_files(target) yields: no Path per file
    return {os.path.join(base, fname): n for fname, n in valid.items() if fname not in invalid}


def _render(ws: Workspace, name: str, report: Report
            ) -> tuple[Profile | None, RenderResult | None, dict[str, str] | None, SourceMap | None]:
    """``ws.render(name)``: (profile, result, files, where the profile's values are written). When
    it fails, its problems go into the report as the profile's or, when the profile loads, the
    render's; the report's Kubernetes version is the profile's, as written when it does not load."""
    try:
        profile, result, files = ws.render(name)
    except KfgenError as exc:
        try:
            profile = ws.load(name)
        except KfgenError:
            report.findings.extend(replace(p, source="profile") for p in exc.problems)
            return None, None, None, _as_written(ws, name, report)
        report.findings.extend(replace(p, source="render") for p in exc.problems)
        report.kubernetes_version = profile.kubernetes_version
        return profile, None, None, profile.sources
    report.kubernetes_version = profile.kubernetes_version
    return profile, result, files, profile.sources


def _as_written(ws: Workspace, name: str, report: Report) -> SourceMap | None:
    """A profile that does not validate, as written (merged, unvalidated): its ``kubernetesVersion``
    (which schemas the committed files are checked against) and its lines; None when unreadable."""
    try:
        loaded = load_profile(ws.profiles_dir, name)
    except KfgenError:  # already among the profile's problems
        return None
    version = loaded.data.get("kubernetesVersion")
    if isinstance(version, str) and version:
        report.kubernetes_version = version
    return loaded.sources


def _check_version(report: Report, sources: SourceMap | None) -> bool:
    """Whether kfgen has schemas for the report's Kubernetes version; a problem when not (unless the
    profile's own check already said so)."""
    try:
        k8s_schemas.schema_dir(report.kubernetes_version)
    except k8s_schemas.UnsupportedKubernetesVersion as exc:
        p = exc.problems[0]
        if sources is not None:
            p = sources.problem(("kubernetesVersion",), p.message, expected=p.expected, found=p.found, hint=p.hint)
        if not any(f.path == ("kubernetesVersion",) for f in report.findings):
            report.findings.append(replace(p, source="version"))
        return False
    return True


def _kubeconform_profile(report: Report, target: Path | None, files: dict[str, str] | None,
                         binary: Path, schemas: SchemaCache | None) -> KubeconformResult:
    own = schemas or SchemaCache()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        schema_dir = own(report.kubernetes_version)
        if target is None:
            tmp = tempfile.TemporaryDirectory(prefix="kfgen-render-")
            for fname, text in (files or {}).items():
                (Path(tmp.name) / fname).write_text(text, encoding="utf-8")
            paths, shown = [Path(tmp.name)], _fresh_render
        else:
            paths, shown = [target], display
        result = kubeconform(paths, schema_dir, binary, display=shown)
    finally:
        if tmp is not None:
            tmp.cleanup()
        if schemas is None:
            own.close()
    report.findings.extend(not_yet_reported(report.findings, result.findings))
    return result


def _fresh_render(path: Any) -> str:
    return f"(fresh render)/{Path(path).name}"


def validate_profiles(ws: Workspace, names: Sequence[str], *,
                      kubeconform_bin: Path | str | None | bool = True) -> list[Report]:
    """:func:`validate_profile` for each name. ``kubeconform_bin=True`` finds kubeconform
    (:func:`kfgen.validate.kubeconform.find_kubeconform`) and uses it when present;
    ``False``/``None`` never runs it. Schemas are exported once per Kubernetes version, into a temp
    dir removed afterwards."""
    binary = find_kubeconform() if kubeconform_bin is True else (kubeconform_bin or None)
    with SchemaCache() as schemas:
        return [validate_profile(ws, n, kubeconform_bin=binary, schemas=schemas) for n in names]
