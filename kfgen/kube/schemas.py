"""The Kubernetes JSON schemas shipped by the pinned ``kubernetes-validate`` package, read in place.

``kubernetes-validate`` ships, per Kubernetes minor, ``kubernetes-json-schema/v1.NN.0-local-strict/``:
one file per definition (``deployment-apps-v1.json``, ``service-v1.json``, …) whose ``$ref``s point
into a shared ``_definitions.json`` (``/api/_definitions.json#/$defs/<name>``, resolved against the
file's ``$id`` ``https://kubernetes.io/api/...``), with ``additionalProperties: false`` on every
object ("strict": unknown fields are errors). Nothing is copied into kfgen: this module finds that
directory, resolves its references (:func:`registry`), maps ``apiVersion``/``kind`` to schema files
(:func:`schema_for`, kubeconform's naming) and builds self-contained schemas for kubeconform
(:func:`standalone_schema`).

Integer ranges: JSON Schema validators (jsonschema, kubeconform) ignore ``format``, so a shipped
``{"type": "integer", "format": "int32"}`` accepts ``replicas: 99999999999``, which the API server
refuses (it cannot unmarshal the number into an int32). Every schema kfgen validates with or exports
therefore goes through :func:`bound_integers`, which adds the format's ``minimum``/``maximum``
(int32: -2^31..2^31-1, int64: -2^63..2^63-1). For the shipped definitions that is done once per
Kubernetes version for :func:`registry` (:func:`bounded_definitions_document`, cached: ``jsonschema``,
which words the errors), and once per definition a kind reaches for :func:`standalone_schema` (cached:
the compiled in-process validator, ``kfgen schemas export``); both give the same bounded definitions.

Standalone, not inlined: some definitions are recursive (``JSONSchemaProps`` in a
CustomResourceDefinition refers to itself), so a schema cannot be fully inlined. A standalone
schema is the kind's schema plus, under ``$defs``, exactly the definitions it reaches, with every
reference rewritten to a local ``#/$defs/<name>``. kubeconform (santhosh-tekuri/jsonschema v6)
compiles such a file on its own: no ``$id``, no relative or remote reference, so it never resolves
anything against the schema's location or the network.

Only the standard library is imported at module load; ``referencing`` is imported when needed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfgen.errors import KfgenError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from referencing import Registry

DEFINITIONS = "_definitions.json"
DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_REMOTE_REF = "/api/_definitions.json#"
_VERSION_RE = re.compile(r"^1\.[0-9]+$")
_DIR_RE = re.compile(r"^v(1\.[0-9]+)\.0-local-strict$")

#: ``format`` -> (minimum, maximum) of the Go type the API server decodes the number into.
INTEGER_FORMAT_BOUNDS: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


class UnsupportedKubernetesVersion(KfgenError):
    """No strict schema set for the requested Kubernetes minor."""

    def __init__(self, version: str, shipped: list[str]):
        self.version = version
        self.shipped = shipped
        super().__init__(Problem(
            f"kubernetesVersion '{version}' has no Kubernetes schemas in kubernetes-validate",
            expected="one of: " + (", ".join(shipped) or "(none: is kubernetes-validate installed?)"),
            found=repr(version),
            hint=f"set kubernetesVersion to one of those (the newest is {shipped[-1]})" if shipped else None))


class SchemaNotFound(KfgenError):
    """No schema for an apiVersion/kind in a schema set."""

    def __init__(self, api_version: str, kind: str, version: str):
        self.api_version, self.kind, self.version = api_version, kind, version
        super().__init__(Problem(
            f"no schema for {kind} {api_version} in the Kubernetes {version} schemas",
            expected=f"a kind of Kubernetes {version} or a kind kfgen knows (TFJob kubeflow.org/v1)",
            found=f"apiVersion {api_version!r}, kind {kind!r}"))


# --- where the schemas are -----------------------------------------------------------------------

@lru_cache(maxsize=1)
def schema_root() -> Path:
    """``<site-packages>/kubernetes_validate/kubernetes-json-schema`` (found without importing it)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise KfgenError(Problem("the kubernetes-validate package is not installed",
                                 hint="pip install -e . (kfgen pins kubernetes-validate)"))
    return Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"


def shipped_versions() -> list[str]:
    """Kubernetes minors with a strict schema set, oldest first: ``['1.25', …, '1.37']``."""
    root = schema_root()
    found = [m.group(1) for p in root.iterdir() if (m := _DIR_RE.match(p.name))] if root.is_dir() else []
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def normalize_version(kubernetes_version: str) -> str:
    """'1.37', 'v1.37', '1.37.2' -> '1.37'."""
    v = str(kubernetes_version).strip().lstrip("v")
    parts = v.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else v


def schema_dir(kubernetes_version: str) -> Path:
    """The strict schema directory for a minor ('1.37' -> ``…/v1.37.0-local-strict``); exact match only."""
    version = normalize_version(kubernetes_version)
    path = schema_root() / f"v{version}.0-local-strict"
    if not _VERSION_RE.match(version) or not (path / DEFINITIONS).is_file():
        raise UnsupportedKubernetesVersion(str(kubernetes_version), shipped_versions())
    return path


@lru_cache(maxsize=8)
def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def definitions_document(kubernetes_version: str) -> dict[str, Any]:
    """``_definitions.json`` of that version (cached; do not mutate)."""
    return _load(schema_dir(kubernetes_version) / DEFINITIONS)


def definitions(kubernetes_version: str) -> dict[str, Any]:
    """Definition name -> schema (``io.k8s.api.apps.v1.Deployment`` -> {...}); cached, do not mutate."""
    return definitions_document(kubernetes_version)["$defs"]


# --- names ---------------------------------------------------------------------------------------

def split_api_version(api_version: str) -> tuple[str, str]:
    """'apps/v1' -> ('apps', 'v1'); 'v1' -> ('', 'v1')."""
    group, _, version = api_version.rpartition("/")
    return group, version


def schema_for(api_version: str, kind: str) -> str:
    """The file name kubeconform's ``{{.ResourceKind}}{{.KindSuffix}}.json`` expects.

    ResourceKind is the lower-cased kind; KindSuffix is ``-<first dot-segment of the group>`` then
    ``-<version>``, both lower-cased (core: just ``-v1``). Examples: Deployment apps/v1 ->
    ``deployment-apps-v1.json``; Service v1 -> ``service-v1.json``; ClusterRole
    rbac.authorization.k8s.io/v1 -> ``clusterrole-rbac-v1.json``; TFJob kubeflow.org/v1 ->
    ``tfjob-kubeflow-v1.json``.
    """
    parts = api_version.split("/")
    suffix = "-" + parts[0].split(".")[0].lower()
    if len(parts) > 1:
        suffix += "-" + parts[1].lower()
    return f"{kind.lower()}{suffix}.json"


def api_version_of(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


@lru_cache(maxsize=8)
def _gvk_index(kubernetes_version: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(apiVersion, kind) -> (definition name, shipped file name), for definitions with one GVK.

    Definitions listing many GVKs (DeleteOptions, WatchEvent: API plumbing, never manifests) are
    left out. The shipped file is usually kubeconform's name; a few are named after the Go package
    (``storageversion-apiserverinternal-v1alpha1.json`` for internal.apiserver.k8s.io,
    ``status-meta-v1.json`` for core Status), so both names are tried.
    """
    directory = schema_dir(kubernetes_version)
    with os.scandir(directory) as entries:  # one listing, not a stat per candidate name
        files = {e.name for e in entries if e.is_file()}
    index: dict[tuple[str, str], tuple[str, str]] = {}
    for name, schema in definitions(kubernetes_version).items():
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if len(gvks) != 1:
            continue
        gvk = gvks[0]
        api_version = api_version_of(gvk["group"], gvk["version"])
        segments = name.split(".")
        candidates = [schema_for(api_version, gvk["kind"]),
                      f"{segments[-1].lower()}-{segments[-3]}-{segments[-2]}.json"]
        for cand in candidates:
            if cand in files:
                index[(api_version, gvk["kind"])] = (name, cand)
                break
    return index


def kinds(kubernetes_version: str) -> list[tuple[str, str]]:
    """Every (apiVersion, kind) with a schema in that version, sorted."""
    return sorted(_gvk_index(normalize_version(kubernetes_version)))


def has_schema(api_version: str, kind: str, kubernetes_version: str) -> bool:
    return (api_version, kind) in _gvk_index(normalize_version(kubernetes_version))


def schema_path(api_version: str, kind: str, kubernetes_version: str) -> Path:
    """The shipped per-kind schema file (refs still pointing into ``_definitions.json``)."""
    version = normalize_version(kubernetes_version)
    hit = _gvk_index(version).get((api_version, kind))
    if hit is None:
        raise SchemaNotFound(api_version, kind, version)
    return schema_dir(version) / hit[1]


def kind_schema(api_version: str, kind: str, kubernetes_version: str) -> dict[str, Any]:
    """The shipped per-kind schema as is (cached; do not mutate). Resolve its refs with :func:`registry`."""
    return _load(schema_path(api_version, kind, kubernetes_version))


# --- integer ranges ------------------------------------------------------------------------------

# Keywords whose value maps names to schemas (property names are not keywords: a property may be
# called "format", "type", "minimum" or "x-foo", as in JSONSchemaProps).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
# Keywords whose value is data, never a schema: left as is.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example", "required", "description"})


def _is_integer_type(schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    return t == "integer" or (isinstance(t, list) and "integer" in t)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def bound_integers(schema: Any) -> Any:
    """A copy of *schema* in which every integer schema with ``format: int32`` or ``int64`` (``type``
    ``integer`` or a list holding it, e.g. ``["integer", "null"]``) also carries that format's
    ``minimum`` and ``maximum`` (:data:`INTEGER_FORMAT_BOUNDS`). A tighter bound already there is
    kept (TFJob ``replicas`` keeps ``minimum: 0``). Only schema positions are rewritten: data
    (``enum``, ``default``, ``x-…`` extensions, …) is shared with *schema*, never changed. Pure and
    deterministic; *schema* is not modified. Applying it twice changes nothing more."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: bound_integers(sub) for name, sub in value.items()}
        elif key in _DATA_KEYWORDS or key.startswith("x-"):
            out[key] = value
        elif isinstance(value, dict):
            out[key] = bound_integers(value)
        elif isinstance(value, list):
            out[key] = [bound_integers(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    bounds = INTEGER_FORMAT_BOUNDS.get(out.get("format")) if isinstance(out.get("format"), str) else None
    if bounds is not None and _is_integer_type(out):
        low, high = bounds
        if not (_number(out.get("minimum")) and out["minimum"] >= low):
            out["minimum"] = low
        if not (_number(out.get("maximum")) and out["maximum"] <= high):
            out["maximum"] = high
    return out


def bounded_definitions_document(kubernetes_version: str) -> dict[str, Any]:
    """``_definitions.json`` of that version through :func:`bound_integers`: computed once per
    version, however the version is spelled (cached; do not mutate)."""
    return _bounded_definitions_document(normalize_version(kubernetes_version))


@lru_cache(maxsize=8)
def _bounded_definitions_document(version: str) -> dict[str, Any]:
    return bound_integers(definitions_document(version))


def bounded_definitions(kubernetes_version: str) -> dict[str, Any]:
    """:func:`definitions` with integer ranges (cached; do not mutate)."""
    return bounded_definitions_document(kubernetes_version)["$defs"]


@lru_cache(maxsize=4096)
def _bounded_definition(version: str, name: str) -> dict[str, Any]:
    """One definition through :func:`bound_integers` (cached; do not mutate): what
    ``bounded_definitions(version)[name]`` holds, without bounding every other definition."""
    return bound_integers(definitions(version)[name])  # type: ignore[no-any-return]


def validation_schema(api_version: str, kind: str, kubernetes_version: str) -> dict[str, Any]:
    """The per-kind schema kfgen validates with: :func:`kind_schema` through :func:`bound_integers`
    (a few kinds have integer fields inline: ControllerRevision, Event, PriorityClass, Status).
    Cached; do not mutate. Resolve its refs with :func:`registry`."""
    return _validation_schema(api_version, kind, normalize_version(kubernetes_version))


@lru_cache(maxsize=1024)
def _validation_schema(api_version: str, kind: str, version: str) -> dict[str, Any]:
    return bound_integers(kind_schema(api_version, kind, version))


# --- references ----------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def registry(kubernetes_version: str) -> Registry:
    """A ``referencing.Registry`` holding ``_definitions.json`` (with integer ranges,
    :func:`bounded_definitions_document`) under its ``$id``.

    The per-kind files carry ``$id: https://kubernetes.io/api/<kind>/<group>/<version>`` and refer to
    ``/api/_definitions.json#/$defs/...``, which resolves against that id to ``$id`` of
    ``_definitions.json``; its own refs are ``#/$defs/...``. So one resource is all it takes::

        Draft202012Validator(validation_schema(av, kind, v), registry=registry(v))
    """
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    doc = bounded_definitions_document(kubernetes_version)
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Registry().with_resource(doc.get("$id", DEFINITIONS_ID), resource).crawl()


def _local_ref(ref: str) -> str:
    if ref.startswith(_REMOTE_REF):
        return "#" + ref[len(_REMOTE_REF):]
    if ref.startswith(DEFINITIONS_ID + "#"):
        return ref[len(DEFINITIONS_ID):]
    return ref


def _def_name(ref: str) -> str | None:
    local = _local_ref(ref)
    return local[len("#/$defs/"):] if local.startswith("#/$defs/") else None


def _refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` string in a schema. (``JSONSchemaProps`` has a *property* named ``$ref``,
    whose value is a schema, not a string: only string values are references.)"""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "$ref" and isinstance(value, str):
                    yield value
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_local_ref(v) if k == "$ref" and isinstance(v, str) else _rewrite(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


def _closure(root: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """Names of the definitions *root* reaches, transitively, sorted."""
    seen: set[str] = set()
    todo = [n for r in _refs(root) if (n := _def_name(r))]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in defs:
            raise KeyError(f"unresolvable $ref to definition {name!r}")
        seen.add(name)
        todo.extend(n for r in _refs(defs[name]) if (n := _def_name(r)) and n not in seen)
    return sorted(seen)


def standalone(schema: dict[str, Any], kubernetes_version: str, *, descriptions: bool = True) -> dict[str, Any]:
    """*schema* made self-contained: reachable definitions under ``$defs``, refs local, no ``$id``;
    integer formats carry their ranges (:func:`bound_integers`) in *schema* and the definitions.
    Only the definitions it reaches are bounded (once each, cached), not the whole document."""
    version = normalize_version(kubernetes_version)
    out = _rewrite(bound_integers(schema))
    out.pop("$id", None)
    out.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    needed = _closure(out, definitions(version))  # bound_integers leaves every $ref as it is
    if needed:
        out["$defs"] = {**out.get("$defs", {}), **{n: _rewrite(_bounded_definition(version, n)) for n in needed}}
    if not descriptions:
        out = strip_descriptions(out)
    return out


def standalone_schema(api_version: str, kind: str, kubernetes_version: str, *,
                      descriptions: bool = True) -> dict[str, Any]:
    """The strict schema of a kind as one self-contained document (a fresh copy).

    ``descriptions=False`` drops ``description`` texts (about half the bytes; validation is
    unchanged). ``int32``/``int64`` integers carry ``minimum``/``maximum`` (:func:`bound_integers`).
    """
    version = normalize_version(kubernetes_version)
    return standalone(validation_schema(api_version, kind, version), version, descriptions=descriptions)


def strip_descriptions(node: Any, *, _in_properties: bool = False) -> Any:
    """Drop ``description`` keywords, keeping properties that happen to be named ``description``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "description" and not _in_properties and isinstance(value, str):
                continue
            out[key] = strip_descriptions(value, _in_properties=key in ("properties", "$defs", "patternProperties"))
        return out
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node
