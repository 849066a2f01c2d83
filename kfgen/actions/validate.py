"""``kfgen validate``: profiles (the profile, a fresh render and the committed output) and manifest files
kfgen did not render, against strict offline schemas. Imported on its own (not by :mod:`kfgen.actions`),
so rendering never loads the validators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kfgen.actions.workspace import Workspace, resolve_names
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
from kfgen.validate.kubeconform import find_kubeconform
from kfgen.validate.paths import FilesReport, validate_manifest_paths
from kfgen.validate.profiles import Report, validate_profiles


@dataclass
class Validation:
    """One report per profile, the report on the files (None when no file was named), and whether
    kubeconform was wanted but not found (then everything was validated in-process only)."""

    reports: list[Report]
    files: FilesReport | None
    kubeconform_missing: bool

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports) and (self.files is None or self.files.ok)


def validate(ws: Workspace, paths: Sequence[Path] | None, profile: list[str] | None, all_: bool, *,
             kubernetes_version: str | None = None, strict_kinds: bool = False,
             kubeconform: bool = True) -> Validation:
    """Validate the files and directories in *paths* and the profiles named by *profile* / *all_*; with
    neither paths nor profiles, :func:`resolve_names` says what to name. Bad input (an unknown profile
    or version, a path that does not exist) raises :class:`~kfgen.errors.KfgenError` before anything is
    validated; what is invalid is in the reports."""
    names = resolve_names(ws, profile, all_) if profile or all_ or not paths else []
    files = (validate_manifest_paths(paths, kubernetes_version or DEFAULT_KUBERNETES_VERSION,
                                     strict_kinds=strict_kinds, kubeconform_bin=kubeconform) if paths else None)
    reports = validate_profiles(ws, names, kubeconform_bin=kubeconform) if names else []
    return Validation(reports, files, kubeconform and find_kubeconform() is None)
