"""Manifests kfgen did not render (other tools' output, upstream examples): ``kfgen validate PATH...``.

Every YAML/JSON file named, or found in a named directory (recursively: ``*.yaml``, ``*.yml``,
``*.json``), every document of it, and the items of a ``kind: List``, against the same strict schemas
as a profile's output (:func:`kfgen.validate.objects.validate_objects`: the Kubernetes kinds of one
version, kfgen's TFJob), with the same :class:`kfgen.errors.Problem` records (file, line, object,
JSON pointer). What is not a Kubernetes object kfgen knows is not an error but a note:

* kustomization files (``kustomization.yaml``/``.yml``/``Kustomization``, or a document of
  ``kustomize.config.k8s.io``) are skipped;
* objects of kinds with no schema whose API group is not a Kubernetes one (CRDs other than TFJob)
  are skipped and counted, unless *strict_kinds* makes them errors. A kind Kubernetes or kfgen
  knows, under an unknown version (``extensions/v1beta1 Deployment``), and an unknown kind in a
  Kubernetes group (``apps/v1 Deploymnet``) stay errors.

Bad input (a path that does not exist, a file that cannot be read, a directory without manifest
files) raises :class:`kfgen.errors.KfgenError` before anything is validated; a file that is not
UTF-8 or not YAML (syntax error, duplicate key) is an invalid file, a problem with its line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kfgen.errors import KfgenError, Problem, object_ident, object_ref
from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION, TFJOB_KIND
from kfgen.validate.export import SchemaCache
from kfgen.validate.kubeconform import KubeconformResult, find_kubeconform, kubeconform, not_yet_reported
from kfgen.validate.manifests import Document, manifest_files, read_documents
from kfgen.validate.objects import has_validation_schema, validate_objects

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZE_GROUP = "kustomize.config.k8s.io"


@dataclass(frozen=True)
class Skipped:
    """Something read but not validated, and why (a note, not an error)."""

    file: str
    reason: str
    line: int | None = None
    subject: str = ""  # the object, '' for a whole file
    kind: str = ""
    name: str = ""

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"note: {where}: skipped {self.subject or 'file'}: {self.reason}"


@dataclass
class FilesReport:
    """Everything wrong with the manifest files of ``kfgen validate PATH...``. ``ok`` when nothing is."""

    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    findings: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0  # files read (kustomization files included)
    objects: int = 0  # objects validated in-process
    kubeconform: KubeconformResult | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        kinds = sum(1 for s in self.skipped if s.kind)
        parts = [f"{self.files} file{'s' if self.files != 1 else ''} read", f"{self.objects} objects validated"]
        if kinds:
            parts.append(f"{kinds} object{'s' if kinds != 1 else ''} of unknown kind{'s' if kinds != 1 else ''} "
                         "skipped")
        if len(self.skipped) > kinds:
            n = len(self.skipped) - kinds
            parts.append(f"{n} kustomization{'s' if n != 1 else ''} skipped")
        if self.kubeconform is not None:
            kc = self.kubeconform
            parts.append(f"kubeconform: {kc.valid} valid, {kc.invalid} invalid, {kc.errors} errors, "
                         f"{kc.skipped} skipped")
        n = len(self.findings)
        state = "valid" if self.ok else f"{n} problem{'s' if n != 1 else ''}"
        return f"manifests: {state} (k8s {self.kubernetes_version}; {', '.join(parts)})"


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each named file (whatever its name), and each directory's manifest files
    (:func:`kfgen.validate.manifests.manifest_files`), once each, in the order given. Raises
    :class:`KfgenError` listing every path that does not exist and every directory without manifests."""
    problems: list[Problem] = []
    files: dict[Path, Path] = {}
    for path in paths:
        if path.is_dir():
            found = manifest_files(path)
            if not found:
                problems.append(Problem("no manifest files in this directory", file=str(path),
                                        expected="files named *.yaml, *.yml or *.json (searched recursively)"))
            for f in found:
                files.setdefault(f.resolve(), f)
        elif path.exists():
            files.setdefault(path.resolve(), path)
        else:
            problems.append(Problem("no such file or directory", file=str(path)))
    if problems:
        raise KfgenError(problems)
    return list(files.values())


def _read_all(files: Sequence[Path]) -> list[tuple[Path, str | bytes]]:
    """Every file's content (text, or bytes when it is not UTF-8); :class:`KfgenError` listing every
    file that cannot be read."""
    out: list[tuple[Path, str | bytes]] = []
    problems: list[Problem] = []
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as exc:
            problems.append(Problem(f"cannot read file: {exc.strerror or exc}", file=str(f)))
            continue
        try:
            out.append((f, data.decode("utf-8")))
        except UnicodeDecodeError:
            out.append((f, data))
    if problems:
        raise KfgenError(problems)
    return out


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _unknown_kind(obj: Any, version: str) -> bool:
    """An object of a kind with no schema whose kind and API group Kubernetes and kfgen do not know: a CRD's."""
    if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        return False
    api_version, kind = obj["apiVersion"], obj["kind"]
    if not api_version or not kind or has_validation_schema(api_version, kind, version):
        return False
    known = k8s_schemas.kinds(version)
    return kind not in {k for _, k in known} | {TFJOB_KIND} and _group(api_version) not in {_group(a) for a, _ in known}


def _objects(doc: Document) -> list[tuple[Any, Callable[[str], int | None]]]:
    """A document's objects with their line finders: the items of a ``kind: List``, else the document."""
    data = doc.data
    if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
        return [(item, lambda p, i=i: doc.locate(f"/items/{i}{p}")) for i, item in enumerate(data["items"])]
    return [(data, doc.locate)]


def validate_paths(paths: Sequence[Path], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *,
                   strict_kinds: bool = False, kubeconform_bin: Path | str | None = None,
                   schemas: SchemaCache | None = None) -> FilesReport:
    """Validate every manifest in *paths* (see the module's text); with *kubeconform_bin*,
    kubeconform over the same files (with the schemas of *kubernetes_version* exported into *schemas*,
    or a temp dir), its problems added as the profile path adds them
    (:func:`kfgen.validate.kubeconform.not_yet_reported`).

    Raises :class:`KfgenError` for bad input: a missing path, an unreadable file, a directory
    without manifest files, a Kubernetes version without schemas.
    """
    version = k8s_schemas.normalize_version(kubernetes_version)
    k8s_schemas.schema_dir(version)  # UnsupportedKubernetesVersion (a KfgenError) before anything else
    report = FilesReport(kubernetes_version)
    contents = _read_all(collect_files(paths))
    report.files = len(contents)
    checked: list[Path] = []  # files for kubeconform: read, not kustomization files
    for path, content in contents:
        shown = str(path)
        if path.name in KUSTOMIZATION_FILES:
            report.skipped.append(Skipped(shown, "a kustomization file (kustomize's input, not a Kubernetes object)"))
            continue
        if isinstance(content, bytes):
            report.findings.append(Problem("not UTF-8 text", file=shown, source="yaml",
                                           expected="a YAML or JSON file in UTF-8"))
            continue
        docs = read_documents(path, shown, content)
        if isinstance(docs, Problem):
            report.findings.append(docs)
            continue
        checked.append(path)
        for doc in docs:
            for obj, locate in _objects(doc):
                ident = object_ident(obj)
                subject = object_ref(obj)
                if _group(ident.get("api_version", "")) == KUSTOMIZE_GROUP:
                    report.skipped.append(Skipped(shown, "kustomize's input, not a Kubernetes object", locate(""),
                                                  subject))
                    continue
                if not strict_kinds and _unknown_kind(obj, version):
                    reason = (f"no schema for kind {ident['kind']} (apiVersion {ident['api_version']}): neither a "
                              "Kubernetes kind nor TFJob (--strict-kinds makes this an error)")
                    report.skipped.append(Skipped(shown, reason, locate(""), subject, ident["kind"], ident["name"]))
                    continue
                report.objects += 1
                report.findings.extend(validate_objects([obj], version, file=shown, locators=[locate]))
    if kubeconform_bin is not None and checked:
        with SchemaCache() if schemas is None else nullcontext(schemas) as cache:
            report.kubeconform = _kubeconform(report, checked, Path(kubeconform_bin), cache(version))
    return report


def validate_manifest_paths(paths: Sequence[Path], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *,
                            strict_kinds: bool = False,
                            kubeconform_bin: Path | str | None | bool = True) -> FilesReport:
    """:func:`validate_paths`; ``kubeconform_bin=True`` finds kubeconform
    (:func:`kfgen.validate.kubeconform.find_kubeconform`) and uses it when present, ``False``/``None``
    never runs it (as :func:`kfgen.validate.profiles.validate_profiles`)."""
    binary = find_kubeconform() if kubeconform_bin is True else (kubeconform_bin or None)
    return validate_paths(paths, kubernetes_version, strict_kinds=strict_kinds, kubeconform_bin=binary)


def _kubeconform(report: FilesReport, files: list[Path], binary: Path, schema_dir: Path) -> KubeconformResult:
    """kubeconform over *files*; its problems about the skipped objects (no schema) are dropped, and
    those objects counted as skipped rather than as errors."""
    result = kubeconform(files, schema_dir, binary)
    skipped = {(s.file, s.kind, s.name) for s in report.skipped if s.kind}
    theirs = [p for p in result.findings if (p.file, p.kind, p.name) not in skipped]
    dropped = len(result.findings) - len(theirs)
    result = replace(result, findings=theirs, errors=max(0, result.errors - dropped),
                     skipped=result.skipped + dropped)
    report.findings.extend(not_yet_reported(report.findings, theirs, by_file=True))
    return result
