"""Validate rendered objects and committed ``out/`` files against strict Kubernetes schemas.

Two validators, the same schemas:

* in-process (:func:`validate_objects`): every object against the strict (unknown fields are
  errors) JSON schema of its kind for the profile's ``kubernetesVersion``, straight from the
  ``kubernetes-validate`` package (:mod:`kfgen.kube.schemas`); TFJob ``kubeflow.org/v1`` against
  :func:`kfgen.kube.tfjob.tfjob_validation_schema`. Every error is reported, each with the object, the
  JSON pointer of the field, what was expected and what was found. A kind without a schema is an
  error too, never silently skipped.
* kubeconform (:func:`run_kubeconform`), fully offline, against schemas exported by
  :func:`export_schemas`. Export once, then validate any manifests with exactly::

      kfgen schemas export --dir build/k8s-schemas --kubernetes-version 1.37
      kubeconform -strict -summary -schema-location 'build/k8s-schemas/{{.ResourceKind}}{{.KindSuffix}}.json' out/<profile>/

  Pass only that ``-schema-location`` (never ``default``, which downloads from GitHub). File names
  follow kubeconform's template: ``{{.ResourceKind}}`` is the lower-cased kind, ``{{.KindSuffix}}``
  is ``-<first dot-segment of the API group>-<version>`` (``-v1`` for the core group), e.g.
  ``deployment-apps-v1.json``, ``service-v1.json``, ``clusterrole-rbac-v1.json``,
  ``tfjob-kubeflow-v1.json``. Each file is standalone (local ``$defs`` only, no ``$id``).

Both validators see the same integer ranges: JSON Schema ignores ``format: int32``/``int64``, the
API server does not (``replicas: 99999999999`` cannot be decoded into an int32), so every such
integer gets the format's ``minimum``/``maximum`` (:func:`kfgen.kube.schemas.bound_integers`), once
per schema, in the Kubernetes schemas and in the TFJob schema.

:func:`validate_profile` puts it together for one profile: the profile itself (kfgen's own errors),
a fresh render, the committed ``out/<profile>/`` files as they are on disk (with file and line), and
drift between the two; :func:`validate_profiles` does several and runs kubeconform too when it is
installed.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfgen.errors import KfgenError, Problem, did_you_mean, format_path
from kfgen.kube import schemas as k8s_schemas
from kfgen.profile.loader import display as _display

if TYPE_CHECKING:  # pragma: no cover
    from kfgen.actions import Workspace
    from kfgen.output.files import Drift

DEFAULT_KUBERNETES_VERSION = "1.37"
SCHEMA_TEMPLATE = "{{.ResourceKind}}{{.KindSuffix}}.json"
TFJOB = ("kubeflow.org/v1", "TFJob")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


# --- findings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One thing wrong, found by a validator. ``pointer`` is a JSON pointer into the object."""

    message: str
    kind: str = ""
    namespace: str = ""
    name: str = ""
    api_version: str = ""
    pointer: str = ""
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    instance: str = ""  # the profile's component instance that rendered the object, when known
    source: str = "schema"  # schema | kubeconform | profile | render | yaml | drift | version

    @property
    def object(self) -> str:
        """``Deployment kubeflow/ambassador`` (or '' when the finding is not about an object)."""
        if not self.kind and not self.name:
            return ""
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'} {ns}{self.name or '?'}".strip()

    def to_problem(self) -> Problem:
        subject = self.object
        if self.instance:
            subject += f" (instance '{self.instance}')"
        message = f"{subject}: {self.message}" if subject else self.message
        if self.source == "kubeconform":
            message = f"kubeconform: {message}"
        return Problem(message, file=self.file, line=self.line, path=(self.pointer,) if self.pointer else (),
                       expected=self.expected, found=self.found, hint=self.hint)

    def format(self) -> str:
        """``error: FILE:LINE: Kind ns/name /json/pointer: message`` plus expected/found/hint lines."""
        p = self.to_problem()
        head = f"{p.where}: " if p.where else ""
        subject = self.object + (f" (instance '{self.instance}')" if self.instance else "")
        where = " ".join(x for x in (subject, self.pointer) if x)
        tool = "kubeconform: " if self.source == "kubeconform" else ""
        lines = [f"error: {head}{tool}{where + ': ' if where else ''}{self.message}"]
        for label, value in (("expected", self.expected), ("found", self.found), ("hint", self.hint)):
            if value is not None:
                lines.append(f"  {label + ':':9} {value}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def _ident(obj: Any) -> dict[str, str]:
    if not isinstance(obj, dict):
        return {}
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return {"kind": str(obj.get("kind") or ""), "namespace": str(meta.get("namespace") or ""),
            "name": str(meta.get("name") or ""), "api_version": str(obj.get("apiVersion") or "")}


def json_pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def describe(value: Any) -> str:
    """How a found value is shown: ``string '80'``, ``integer 3``, ``mapping``, ``null``."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"string {shown!r}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, dict):
        return "mapping with fields " + ", ".join(map(str, list(value)[:8])) + (", ..." if len(value) > 8 else "") if value else "empty mapping"
    if isinstance(value, list):
        return f"list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return type(value).__name__


# --- in-process validation -----------------------------------------------------------------------

_VALIDATORS: dict[tuple[str, str, str], Any] = {}


_TFJOB_SCHEMA: list[dict[str, Any]] = []  # the one built by _tfjob_schema(), until clear_cache()


def _tfjob_schema() -> dict[str, Any]:
    """:func:`tfjob_schema`, built once (until :func:`clear_cache`); shared, do not mutate."""
    if not _TFJOB_SCHEMA:
        from kfgen.kube.tfjob import tfjob_validation_schema

        schema = k8s_schemas.bound_integers(tfjob_validation_schema())
        _TFJOB_SCHEMA.append({"$schema": DRAFT_2020_12, **schema})
    return _TFJOB_SCHEMA[0]


def tfjob_schema() -> dict[str, Any]:
    """TFJob's strict validation schema (a fresh copy) with its draft declared (2020-12 unless
    kfgen.kube.tfjob declares one): kubeconform reads a schema without ``$schema`` as draft 4, where
    ``propertyNames`` does not exist. Its ``int32``/``int64`` integers carry ``minimum``/``maximum``
    (:func:`kfgen.kube.schemas.bound_integers`): validators ignore ``format``, the API server does not."""
    import copy

    return copy.deepcopy(_tfjob_schema())


def validator_for(api_version: str, kind: str, kubernetes_version: str) -> Any | None:
    """A jsonschema validator for the kind (built once per kind and version), or None without a schema."""
    version = k8s_schemas.normalize_version(kubernetes_version)
    key = (version, api_version, kind)
    if key in _VALIDATORS:
        return _VALIDATORS[key]
    from jsonschema import Draft202012Validator

    if (api_version, kind) == TFJOB:
        from jsonschema.validators import validator_for as jsonschema_validator_for

        schema = _tfjob_schema()
        validator = jsonschema_validator_for(schema, default=Draft202012Validator)(schema)
    elif k8s_schemas.has_schema(api_version, kind, version):
        validator = Draft202012Validator(k8s_schemas.validation_schema(api_version, kind, version),
                                         registry=k8s_schemas.registry(version))
    else:
        validator = None
    _VALIDATORS[key] = validator
    return validator


def clear_cache() -> None:
    """Forget the validators and the TFJob schema (the Kubernetes schemas stay cached in
    :mod:`kfgen.kube.schemas`, once per version)."""
    _VALIDATORS.clear()
    _TFJOB_SCHEMA.clear()


def validate_objects(objects: Iterable[Any], kubernetes_version: str, *, file: str | None = None,
                     locators: Sequence[Any] | None = None, instances: dict[int, str] | None = None) -> list[Finding]:
    """Validate every object against its kind's strict schema; every error, in object order.

    Raises :class:`kfgen.kube.schemas.UnsupportedKubernetesVersion` for a version without schemas.
    *locators* (parallel to *objects*) map a JSON pointer to a line, for objects read from a file;
    *instances* maps ``id(object)`` to the component instance that rendered it.
    """
    version = k8s_schemas.normalize_version(kubernetes_version)
    k8s_schemas.schema_dir(version)  # the clear error, before anything else
    findings: list[Finding] = []
    for i, obj in enumerate(objects):
        locate = locators[i] if locators is not None else None
        extra = {"file": file, "instance": (instances or {}).get(id(obj), "")}
        found = _validate_one(obj, version)
        for f in found:
            line = locate(f.pointer) if locate else None
            findings.append(_with(f, line=line, **extra))
    return findings


def _with(f: Finding, **changes: Any) -> Finding:
    return Finding(**{**f.__dict__, **{k: v for k, v in changes.items() if v not in (None, "")}})


def _validate_one(obj: Any, version: str) -> list[Finding]:
    ident = _ident(obj)
    if not isinstance(obj, dict):
        return [Finding("a manifest must be a mapping (a Kubernetes object)", found=describe(obj))]
    missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj.get(k)]
    if missing:
        return [Finding(f"'{k}' is missing or not a string", pointer=f"/{k}", expected="a non-empty string",
                        found=describe(obj.get(k)), **ident) for k in missing]
    api_version, kind = obj["apiVersion"], obj["kind"]
    validator = validator_for(api_version, kind, version)
    if validator is None:
        known = {k for _, k in k8s_schemas.kinds(version)} | {TFJOB[1]}
        same_kind = sorted(av for av, k in k8s_schemas.kinds(version) if k == kind) or (
            [TFJOB[0]] if kind == TFJOB[1] else [])
        hint = (f"{kind} exists as apiVersion {', '.join(same_kind)}" if same_kind
                else did_you_mean(kind, known))
        return [Finding(f"no schema for kind {kind} (apiVersion {api_version}) in Kubernetes {version} or kfgen's CRDs",
                        pointer="/kind", expected="a kind with a schema (Kubernetes built-in kinds, TFJob kubeflow.org/v1)",
                        found=f"{api_version} {kind}", hint=hint, **ident)]
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
        findings.append(Finding("object has no name", pointer="/metadata/name", expected="metadata.name (a string)",
                                found=describe(meta.get("name") if isinstance(meta, dict) else meta), **ident))
        seen.add(("/metadata/name", "object has no name"))
    for err in validator.iter_errors(obj):
        for f in _from_error(err, ident):
            if (f.pointer, f.message) not in seen:
                seen.add((f.pointer, f.message))
                findings.append(f)
    findings.sort(key=lambda f: f.pointer)
    return findings


def _types(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    t = schema.get("type")
    types = [t] if isinstance(t, str) else list(t or [])
    return [x for x in types if x != "null"] or types


def _from_error(err: Any, ident: dict[str, str]) -> Iterator[Finding]:
    """One jsonschema error -> findings (an additionalProperties error lists several fields)."""
    path = list(err.absolute_path)
    pointer = json_pointer(path)
    validator, value, instance, schema = err.validator, err.validator_value, err.instance, err.schema
    if "propertyNames" in err.relative_schema_path:  # instance is the offending key itself
        allowed = value if validator == "enum" else None
        yield Finding(f"invalid key '{instance}'", pointer=json_pointer(path + [instance]),
                      expected=("one of: " + ", ".join(map(str, allowed))) if allowed else f"{validator} {value!r}",
                      found=repr(instance), hint=did_you_mean(str(instance), map(str, allowed or [])), **ident)
    elif validator == "additionalProperties" and value is False and isinstance(instance, dict):
        props = list(schema.get("properties", {}))
        patterns = "|".join(schema.get("patternProperties", {}))
        for key in instance:
            if key in schema.get("properties", {}) or (patterns and re.search(patterns, key)):
                continue
            shown = ", ".join(sorted(props)[:15]) + (", ..." if len(props) > 15 else "")
            yield Finding(f"unknown field '{key}'", pointer=json_pointer(path + [key]),
                          expected=f"one of the fields: {shown}" if props else "no fields here",
                          found=repr(key), hint=did_you_mean(str(key), props), **ident)
    elif validator == "required" and isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield Finding("required field is missing", pointer=json_pointer(path + [key]),
                              expected=f"field '{key}'", found="nothing", **ident)
    elif validator == "type":
        expected = " or ".join(_types(schema))
        yield Finding("wrong type", pointer=pointer, expected=expected, found=describe(instance), **ident)
    elif validator in ("oneOf", "anyOf") and all(_types(s) and set(s) <= {"type", "description"} for s in value):
        expected = " or ".join(sorted({t for s in value for t in _types(s)}))
        yield Finding("wrong type", pointer=pointer, expected=expected, found=describe(instance), **ident)
    elif validator in ("oneOf", "anyOf") and err.context:
        from jsonschema.exceptions import best_match

        yield from _from_error(best_match(err.context), ident)
    elif validator == "enum":
        yield Finding("value not allowed", pointer=pointer, expected="one of: " + ", ".join(map(str, value)),
                      found=describe(instance), hint=did_you_mean(str(instance), map(str, value)), **ident)
    elif validator == "const":
        yield Finding("value not allowed", pointer=pointer, expected=repr(value), found=describe(instance), **ident)
    elif validator in ("minimum", "maximum") and _format_bound(schema, validator) == value:
        fmt = schema["format"]
        low, high = k8s_schemas.INTEGER_FORMAT_BOUNDS[fmt]
        yield Finding(f"integer out of range for {fmt}", pointer=pointer,
                      expected=f"an {fmt}: from {low} to {high}", found=describe(instance),
                      hint=f"the API server cannot decode this number into an {fmt}", **ident)
    else:
        message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
        yield Finding(message, pointer=pointer, expected=f"{validator}: {value!r}"[:200],
                      found=describe(instance), **ident)


def _format_bound(schema: Any, keyword: str) -> int | None:
    """The bound *keyword* (minimum/maximum) of the schema's integer ``format``, if it has one."""
    fmt = schema.get("format") if isinstance(schema, dict) else None
    bounds = k8s_schemas.INTEGER_FORMAT_BOUNDS.get(fmt) if isinstance(fmt, str) else None
    return None if bounds is None else bounds[0 if keyword == "minimum" else 1]


# --- reading manifests from files ----------------------------------------------------------------

@dataclass
class Document:
    data: Any
    index: int  # position among the file's non-empty documents
    _nodes: list[Any] = field(default_factory=list, repr=False)  # shared per file, composed lazily
    _text: str = field(default="", repr=False)

    def locate(self, pointer: str) -> int | None:
        """Line of the field at *pointer* (its nearest existing ancestor when it is missing)."""
        import yaml

        if not self._nodes:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            self._nodes.extend(n for n in yaml.compose_all(self._text, Loader=loader)
                               if n is not None and not _is_null(n))
        if self.index >= len(self._nodes):
            return None
        node = self._nodes[self.index]
        line = node.start_mark.line + 1
        for raw in pointer.split("/")[1:] if pointer else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, yaml.MappingNode):
                hit = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
                if hit is None:
                    break
                line, node = hit[0].start_mark.line + 1, hit[1]
            elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
                node = node.value[int(part)]
                line = node.start_mark.line + 1
            else:
                break
        return line


def _is_null(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line
        super().__init__(f"duplicate key '{key}'")


_STRICT_LOADER: Any = None


def _strict_loader() -> Any:
    """PyYAML's safe loader (the C one when built) that refuses duplicate keys, as kubeconform -strict does."""
    global _STRICT_LOADER
    if _STRICT_LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class StrictLoader(base):  # type: ignore[misc,valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                        if key_node.value in seen:
                            raise DuplicateKey(key_node.value, key_node.start_mark.line + 1)
                        seen.add(key_node.value)
                return super().construct_mapping(node, deep=deep)

        _STRICT_LOADER = StrictLoader
    return _STRICT_LOADER


def read_manifests(path: Path) -> list[Document]:
    """Every non-empty YAML document of a file; duplicate keys raise :class:`DuplicateKey`."""
    import yaml

    text = path.read_text(encoding="utf-8")
    nodes: list[Any] = []
    datas = [d for d in yaml.load_all(text, Loader=_strict_loader()) if d is not None]
    return [Document(d, i, nodes, text) for i, d in enumerate(datas)]


def validate_files(paths: Iterable[Path], kubernetes_version: str, *, display: Any = str) -> tuple[list[Finding], int, int]:
    """Validate every document of every file. Returns (findings, files read, objects validated)."""
    import yaml

    findings: list[Finding] = []
    nfiles = nobjects = 0
    for path in paths:
        shown = display(path)
        nfiles += 1
        try:
            docs = read_manifests(path)
        except (OSError, UnicodeDecodeError) as exc:
            findings.append(Finding(f"cannot read file: {exc}", file=shown, source="yaml"))
            continue
        except DuplicateKey as exc:
            findings.append(Finding(str(exc), file=shown, line=exc.line, source="yaml",
                                    hint="kubectl and kubeconform -strict refuse duplicate keys"))
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            findings.append(Finding(f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", file=shown,
                                    line=mark.line + 1 if mark else None, source="yaml"))
            continue
        nobjects += len(docs)
        findings.extend(validate_objects([d.data for d in docs], kubernetes_version, file=shown,
                                         locators=[d.locate for d in docs]))
    return findings, nfiles, nobjects


def manifest_files(directory: Path) -> list[Path]:
    """The files kubeconform would read in a directory: ``*.yaml``, ``*.yml``, ``*.json``, sorted."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json"))


# --- kubeconform ---------------------------------------------------------------------------------

def find_kubeconform(*, include_cache: bool = True) -> Path | None:
    """``$KFGEN_TOOLS_DIR/kubeconform``, else ``~/.cache/kfgen/bin/kubeconform`` (scripts/tools.sh),
    else ``kubeconform`` on PATH; None when there is none."""
    candidates = []
    if os.environ.get("KFGEN_TOOLS_DIR"):
        candidates.append(Path(os.environ["KFGEN_TOOLS_DIR"]) / "kubeconform")
    if include_cache:
        candidates.append(Path.home() / ".cache" / "kfgen" / "bin" / "kubeconform")
    for cand in candidates:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    import shutil

    found = shutil.which("kubeconform")
    return Path(found) if found else None


@dataclass
class KubeconformResult:
    findings: list[Finding]
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    command: list[str] = field(default_factory=list)

    @property
    def resources(self) -> int:
        return self.valid + self.invalid + self.errors + self.skipped

    @property
    def ok(self) -> bool:
        return not self.findings


_AT = re.compile(r"(\s*)- at '([^']*)': ")


def parse_kubeconform_message(msg: str) -> list[tuple[str, str]]:
    """(JSON pointer, message) of every leaf error in kubeconform's ``msg``.

    kubeconform prints santhosh-tekuri/jsonschema's error tree with newlines replaced by spaces:
    ``... - at '/spec': validation failed   - at '/spec/replicas': got string, want integer``; two
    more spaces of indentation per level. Leaves are kept; a parent's own text (other than
    "validation failed") prefixes its leaves, e.g. ``invalid propertyName 'Boss': value must be one
    of ...``.
    """
    matches = list(_AT.finditer(msg))
    entries = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(msg)
        entries.append((max(0, len(m.group(1)) - 1) // 2, m.group(2), msg[m.end():end].strip()))
    out: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []  # (depth, text) of the current ancestors
    for i, (depth, pointer, text) in enumerate(entries):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if i + 1 < len(entries) and entries[i + 1][0] > depth:
            stack.append((depth, text))
            continue
        context = [t for _, t in stack if t != "validation failed"]
        out.append((pointer, ": ".join(context + [text])))
    return out


def kubeconform_command(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str) -> list[str]:
    return [str(kubeconform_bin), "-strict", "-summary", "-output", "json",
            "-schema-location", f"{Path(schema_dir)}/{SCHEMA_TEMPLATE}", *map(str, paths)]


def kubeconform(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str, *,
                display: Any = str) -> KubeconformResult:
    """Run kubeconform -strict with only *schema_dir* as schema location; parse its JSON output.

    Invalid resources give one finding per failing field (kubeconform's ``validationErrors`` only
    name top-level fields, so the detailed ``- at '/json/pointer': message`` parts of its message are
    used); errors (unparsable YAML, no schema for the kind) and skipped resources are findings too.
    """
    if not paths:
        return KubeconformResult([])
    import subprocess

    cmd = kubeconform_command(paths, schema_dir, kubeconform_bin)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        msg = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
        return KubeconformResult([Finding(f"kubeconform failed: {msg}", source="kubeconform",
                                          hint=" ".join(cmd))], seconds=seconds, command=cmd)
    findings: list[Finding] = []
    for res in out.get("resources") or []:
        ident = {"kind": res.get("kind", ""), "name": res.get("name", ""), "api_version": res.get("version", ""),
                 "file": display(res["filename"]) if res.get("filename") else None, "source": "kubeconform"}
        status, msg = res.get("status", ""), res.get("msg", "")
        if status == "statusInvalid":
            parts = parse_kubeconform_message(msg)
            if not parts:
                parts = [(ve.get("path", ""), ve.get("msg", "")) for ve in res.get("validationErrors") or []] or [("", msg)]
            locate = _locator(res.get("filename"), ident["kind"], ident["name"])
            findings.extend(Finding(m, pointer=p, line=locate(p) if locate else None, **ident) for p, m in parts)
        elif status == "statusSkipped":
            findings.append(Finding("skipped by kubeconform (not validated)", **ident))
        elif status == "statusError":
            hint = ("export the schemas with 'kfgen schemas export --dir DIR'"
                    if msg.startswith("could not find schema") else None)
            findings.append(Finding(msg or "error", hint=hint, **ident))
    summary = out.get("summary") or {}
    skipped = int(summary.get("skipped", 0))
    if skipped and not any(f.message.startswith("skipped") for f in findings):
        findings.append(Finding(f"kubeconform skipped {skipped} resource(s) (not validated)", source="kubeconform"))
    if proc.returncode != 0 and not findings:
        findings.append(Finding(f"kubeconform exited with status {proc.returncode}: {proc.stderr.strip()}",
                                source="kubeconform"))
    return KubeconformResult(findings, int(summary.get("valid", 0)), int(summary.get("invalid", 0)),
                             int(summary.get("errors", 0)), skipped, seconds, cmd)


def _locator(filename: str | None, kind: str, name: str) -> Any:
    """The line finder of the document (kind, name) in *filename*, or None."""
    try:
        docs = read_manifests(Path(filename)) if filename else []
    except Exception:  # unreadable or unparsable here: kubeconform reports that itself
        return None
    for doc in docs:
        ident = _ident(doc.data)
        if ident.get("kind") == kind and ident.get("name") == name:
            return doc.locate
    return None


def run_kubeconform(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str) -> list[Finding]:
    """Findings of ``kubeconform -strict -summary -output json -schema-location DIR/{{...}}.json PATHS``."""
    return kubeconform(paths, schema_dir, kubeconform_bin).findings


# --- exporting schemas ---------------------------------------------------------------------------

def export_schemas(directory: Path, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *,
                   kinds: Iterable[tuple[str, str]] | None = None, descriptions: bool = False) -> list[Path]:
    """Write kubeconform's offline schema layout into *directory*; return the files written.

    Every Kubernetes kind of that version (about 200 files, or only *kinds*), standalone and strict,
    plus ``tfjob-kubeflow-v1.json``. Names match ``-schema-location 'DIR/{{.ResourceKind}}{{.KindSuffix}}.json'``.
    Output is deterministic (sorted keys, compact JSON, one trailing newline); ``description`` texts
    are left out unless *descriptions* (they quadruple the size and validation ignores them).
    ``int32``/``int64`` integers carry ``minimum``/``maximum``, as in the in-process validators.
    """
    version = k8s_schemas.normalize_version(kubernetes_version)
    k8s_schemas.schema_dir(version)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = sorted(set(kinds)) if kinds is not None else k8s_schemas.kinds(version)
    written: list[Path] = []
    for api_version, kind in wanted:
        if (api_version, kind) == TFJOB:
            continue
        schema = k8s_schemas.standalone_schema(api_version, kind, version, descriptions=descriptions)
        written.append(_write_json(directory / k8s_schemas.schema_for(api_version, kind), schema))
    tfjob = _tfjob_schema()  # shared: only read (strip_descriptions copies)
    if not descriptions:
        tfjob = k8s_schemas.strip_descriptions(tfjob)
    written.append(_write_json(directory / k8s_schemas.schema_for(*TFJOB), tfjob))
    return sorted(written)


def _write_json(path: Path, data: Any) -> Path:
    from kfgen.output.files import write_file

    write_file(path, json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    return path


class SchemaCache:
    """Exported schema directories, one per Kubernetes version, made on first use (in a temp dir
    unless *root* is given). A context manager: the temp dir goes away on exit."""

    def __init__(self, root: Path | None = None):
        self._tmp: Any = None
        self.root = root
        self.dirs: dict[str, Path] = {}

    def __call__(self, kubernetes_version: str) -> Path:
        version = k8s_schemas.normalize_version(kubernetes_version)
        if version not in self.dirs:
            if self.root is None:
                import tempfile

                self._tmp = tempfile.TemporaryDirectory(prefix="kfgen-schemas-")
                self.root = Path(self._tmp.name)
            target = self.root / f"v{version}"
            export_schemas(target, version)
            self.dirs[version] = target
        return self.dirs[version]

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SchemaCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- profiles ------------------------------------------------------------------------------------

@dataclass
class Report:
    """Everything wrong with one profile and its committed output. ``ok`` when nothing is."""

    profile: str
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    findings: list[Finding] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    objects: int = 0  # objects of the fresh render
    files: int = 0  # committed files validated on disk
    kubeconform: KubeconformResult | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def problems(self) -> list[Problem]:
        return [f.to_problem() for f in self.findings]

    def summary(self) -> str:
        parts = [f"{self.objects} objects rendered", f"{self.files} committed files checked"]
        if self.kubeconform is not None:
            kc = self.kubeconform
            parts.append(f"kubeconform: {kc.valid} valid, {kc.invalid} invalid, {kc.errors} errors, {kc.skipped} skipped")
        state = "valid" if self.ok else f"{len(self.findings)} problem{'s' if len(self.findings) != 1 else ''}"
        return f"{self.profile}: {state} (k8s {self.kubernetes_version}; {', '.join(parts)})"


def validate_profile(ws: Workspace, name: str, *, kubeconform_bin: Path | str | None = None,
                     schemas: SchemaCache | None = None) -> Report:
    """Validate profile *name* end to end and list every problem.

    1. the profile (kfgen's own errors: unknown keys, wrong types, … with file and line);
    2. a fresh render, every object against the strict schema of its kind;
    3. when ``out/<name>/`` exists, its files as they are on disk (with file and line), and drift
       between them and the fresh render (each differing file is a finding);
    4. with *kubeconform_bin*, kubeconform over ``out/<name>/`` (or over the fresh render written to
       a temp dir when there is no ``out/<name>/``). Its findings are added for objects the
       in-process validator found valid (the two disagree: e.g. YAML that Go reads differently,
       or a missing schema), so the same error is not listed twice.

    Raises nothing for bad input: everything is in ``Report.findings``.
    """
    from kfgen.output.files import diff_dir, render_files
    from kfgen.profile.loader import load_profile
    from kfgen.profile.model import validate_profile as check_profile
    from kfgen.render.order import file_name
    from kfgen.render.pipeline import render_profile

    report = Report(name)
    profile = result = files = loaded = None
    try:
        loaded = load_profile(ws.profiles_dir, name)
        raw_version = loaded.data.get("kubernetesVersion")
        if isinstance(raw_version, str) and raw_version:
            report.kubernetes_version = raw_version
        profile = check_profile(loaded)
    except KfgenError as exc:
        report.findings.extend(_from_problem(p, "profile") for p in exc.problems)
    version_ok = True
    try:
        k8s_schemas.schema_dir(report.kubernetes_version)
    except k8s_schemas.UnsupportedKubernetesVersion as exc:
        version_ok = False
        p = exc.problems[0]
        if loaded is not None:
            p = loaded.sources.problem(("kubernetesVersion",), p.message, expected=p.expected, found=p.found, hint=p.hint)
        if not any(f.pointer == "kubernetesVersion" for f in report.findings):  # the profile check may say it already
            report.findings.append(_from_problem(p, "version"))
    if profile is not None:
        try:
            result = render_profile(profile)
            files = render_files(result, profile.namespace)
        except KfgenError as exc:
            report.findings.extend(_from_problem(p, "render") for p in exc.problems)
    target = ws.target(name)
    on_disk = target.is_dir()
    if result is not None:
        report.objects = len(result.objects)
        report.drift = diff_dir(target, files or {}) if on_disk else []
        changed = {d.file for d in report.drift}
        # Objects whose committed file is byte-identical are validated from that file below (with
        # file and line); the rest (not written yet, or drifted) are validated from the render.
        fresh = [o for o in result.objects
                 if not on_disk or file_name(o, profile.namespace) in changed]  # type: ignore[union-attr]
        if version_ok:
            report.findings.extend(validate_objects(fresh, report.kubernetes_version, instances=result.instance_of))
    if on_disk and version_ok:
        found, report.files, _ = validate_files(manifest_files(target), report.kubernetes_version, display=_display)
        report.findings.extend(found)
    for d in report.drift:
        what = {"modified": "differs from a fresh render", "missing": "is missing (a fresh render writes it)",
                "extra": "is not produced by a fresh render"}.get(d.change, d.change)
        report.findings.append(Finding(f"committed file {what}", file=_display(target / d.file), source="drift",
                                       hint=f"run 'kfgen render --profile {name}' and commit {target}/"))
    if kubeconform_bin is not None and version_ok and (on_disk or files):
        report.kubeconform = _kubeconform_profile(report, target if on_disk else None, files,
                                                  Path(kubeconform_bin), schemas)
    return report


def _kubeconform_profile(report: Report, target: Path | None, files: dict[str, str] | None,
                         binary: Path, schemas: SchemaCache | None) -> KubeconformResult:
    import tempfile

    own = schemas or SchemaCache()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        schema_dir = own(report.kubernetes_version)
        if target is None:
            tmp = tempfile.TemporaryDirectory(prefix="kfgen-render-")
            for fname, text in (files or {}).items():
                (Path(tmp.name) / fname).write_text(text, encoding="utf-8")
            paths, display = [Path(tmp.name)], (lambda p: f"(fresh render)/{Path(p).name}")
        else:
            paths, display = [target], _display
        result = kubeconform(paths, schema_dir, binary, display=display)
    finally:
        if tmp is not None:
            tmp.cleanup()
        if schemas is None:
            own.close()
    flagged = {(f.kind, f.name) for f in report.findings if f.kind}
    flagged_files = {f.file for f in report.findings if f.file and not f.kind}  # e.g. YAML syntax errors
    report.findings.extend(f for f in result.findings
                           if (f.kind, f.name) not in flagged and not (not f.kind and f.file in flagged_files))
    return result


def _from_problem(p: Problem, source: str) -> Finding:
    path = format_path(p.path) if p.path else ""
    return Finding(p.message, pointer=path, expected=p.expected, found=p.found, hint=p.hint,
                   file=p.file, line=p.line, source=source)


def validate_profiles(ws: Workspace, names: Sequence[str], *, kubeconform_bin: Path | str | None | bool = True) -> list[Report]:
    """:func:`validate_profile` for each name. ``kubeconform_bin=True`` finds kubeconform
    (:func:`find_kubeconform`) and uses it when present; ``False``/``None`` never runs it.
    Schemas are exported once per Kubernetes version, into a temp dir removed afterwards."""
    binary = find_kubeconform() if kubeconform_bin is True else (kubeconform_bin or None)
    with SchemaCache() as schemas:
        return [validate_profile(ws, n, kubeconform_bin=binary, schemas=schemas) for n in names]


# --- throughput ----------------------------------------------------------------------------------

def bench_validate(objects: Sequence[Any], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *,
                   rounds: int = 3, warm: bool = True) -> float:
    """In-process validation throughput in objects/second (best of *rounds*). With *warm*, validators
    are built first (as in any run after the first object of a kind); otherwise caches start empty."""
    if warm:
        validate_objects(objects, kubernetes_version)
    best = float("inf")
    for _ in range(max(1, rounds)):
        if not warm:
            clear_cache()
        start = time.perf_counter()
        validate_objects(objects, kubernetes_version)
        best = min(best, time.perf_counter() - start)
    return len(objects) / best if best > 0 else float("inf")


def bench_kubeconform(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str, *,
                      rounds: int = 3) -> float:
    """kubeconform throughput over *paths* in objects/second (best of *rounds*, process start included)."""
    best, count = float("inf"), 0
    for _ in range(max(1, rounds)):
        res = kubeconform(paths, schema_dir, kubeconform_bin)
        count = res.resources
        best = min(best, res.seconds)
    return count / best if best > 0 else float("inf")


def bench_corpus(n: int = 1000, namespace: str = "bench") -> list[dict[str, Any]]:
    """*n* valid objects of the kinds kfgen renders (Deployment, Service, ConfigMap, ServiceAccount,
    Role, RoleBinding, StatefulSet, PersistentVolumeClaim, TFJob), for throughput measurements."""
    def container(i: int) -> dict[str, Any]:
        return {"name": "main", "image": f"registry.example/app:{i}", "imagePullPolicy": "IfNotPresent",
                "args": ["--port=8080", f"--id={i}"], "ports": [{"containerPort": 8080, "name": "http"}],
                "env": [{"name": "ID", "value": str(i)}, {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1, "memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
                "volumeMounts": [{"name": "data", "mountPath": "/data"}]}

    def pod(i: int, labels: dict[str, str]) -> dict[str, Any]:
        return {"metadata": {"labels": labels},
                "spec": {"containers": [container(i)], "serviceAccountName": f"sa-{i}",
                         "volumes": [{"name": "data", "emptyDir": {}}], "nodeSelector": {"kubernetes.io/os": "linux"},
                         "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}

    def make(i: int) -> dict[str, Any]:
        name, labels = f"app-{i}", {"app": f"app-{i}", "app.kubernetes.io/managed-by": "kfgen"}
        meta = {"name": name, "namespace": namespace, "labels": labels}
        kind = i % 9
        if kind == 0:
            return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                    "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": pod(i, labels)}}
        if kind == 1:
            return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
                    "spec": {"selector": labels, "type": "ClusterIP",
                             "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}
        if kind == 2:
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"config.yaml": f"id: {i}\n"}}
        if kind == 3:
            return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
        if kind == 4:
            return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
                    "rules": [{"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]}]}
        if kind == 5:
            return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                    "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]}
        if kind == 6:
            return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
                    "spec": {"serviceName": name, "replicas": 1, "selector": {"matchLabels": labels},
                             "template": pod(i, labels)}}
        if kind == 7:
            return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
        tf_pod = pod(i, labels)
        tf_pod["spec"]["containers"][0]["name"] = "tensorflow"
        return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": meta,
                "spec": {"runPolicy": {"cleanPodPolicy": "None"},
                         "tfReplicaSpecs": {"PS": {"replicas": 1, "restartPolicy": "Never", "template": tf_pod},
                                            "Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": tf_pod}}}}

    return [make(i) for i in range(n)]
