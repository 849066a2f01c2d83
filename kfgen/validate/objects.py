"""In-process validation: every object against the strict JSON schema of its kind.

The Kubernetes schemas come from ``kubernetes-validate`` (:mod:`kfgen.kube.schemas`), strict:
unknown fields are errors; TFJob ``kubeflow.org/v1`` is checked against
:func:`kfgen.kube.tfjob.tfjob_validation_schema`. Every error is reported, each with the object,
the JSON pointer of the field, what was expected and what was found. A kind without a schema is an
error too, never silently skipped.

Two validators, one verdict: each object is checked first by a compiled validator (``jsonschema-rs``,
built once per kind and version from the same schemas, integer ranges included). Only an object it
finds invalid, or one it cannot judge (a value that is not plain JSON: a date, a tuple, a
``Decimal``), goes through pure-Python ``jsonschema``, which words every error as before: the
messages and JSON pointers do not depend on the compiled validator. Without ``jsonschema-rs``
everything goes through ``jsonschema``, as it did.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from kfgen.errors import Problem, describe, did_you_mean, object_ident
from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.constants import TFJOB_API_VERSION, TFJOB_KIND

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

_VALIDATORS: dict[tuple[str, str, str], Any] = {}
_COMPILED: dict[tuple[str, str, str], Any] = {}  # jsonschema-rs validators (None: that kind has none)
_TFJOB_SCHEMA: list[dict[str, Any]] = []  # the one built by _tfjob_schema(), until clear_cache()


def json_pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _tfjob_schema() -> dict[str, Any]:
    """:func:`tfjob_schema`, built once (until :func:`clear_cache`); shared, do not mutate."""
    if not _TFJOB_SCHEMA:
        from kfgen.kube.tfjob.crd import shared_validation_schema

        # bound_integers builds a new schema and never changes its input: no copy of the shipped one needed
        schema = k8s_schemas.bound_integers(shared_validation_schema())
        _TFJOB_SCHEMA.append({"$schema": DRAFT_2020_12, **schema})
    return _TFJOB_SCHEMA[0]


def tfjob_schema() -> dict[str, Any]:
    """TFJob's strict validation schema (a fresh copy) with its draft declared (2020-12 unless
    kfgen.kube.tfjob declares one): kubeconform reads a schema without ``$schema`` as draft 4, where
    ``propertyNames`` does not exist. Its ``int32``/``int64`` integers carry ``minimum``/``maximum``
    (:func:`kfgen.kube.schemas.bound_integers`): validators ignore ``format``, the API server does not."""
    return copy.deepcopy(_tfjob_schema())


def validator_for(api_version: str, kind: str, kubernetes_version: str) -> Any | None:
    """A jsonschema validator for the kind (built once per kind and version), or None without a schema."""
    version = k8s_schemas.normalize_version(kubernetes_version)
    key = (version, api_version, kind)
    if key in _VALIDATORS:
        return _VALIDATORS[key]
    from jsonschema import Draft202012Validator

    if (api_version, kind) == (TFJOB_API_VERSION, TFJOB_KIND):
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


def has_validation_schema(api_version: str, kind: str, kubernetes_version: str) -> bool:
    """Whether kfgen validates that kind (a Kubernetes kind of that version, or TFJob): what
    ``validator_for(...) is not None`` says, without building a validator."""
    if (api_version, kind) == (TFJOB_API_VERSION, TFJOB_KIND):
        return True
    return k8s_schemas.has_schema(api_version, kind, k8s_schemas.normalize_version(kubernetes_version))


def compiled_validator_for(api_version: str, kind: str, kubernetes_version: str) -> Any | None:
    """A ``jsonschema-rs`` validator of the kind (built once per kind and version) from the schema
    :func:`validator_for` uses, or None: no schema, ``jsonschema-rs`` missing, or a schema it cannot
    compile (then :func:`validate_objects` uses ``jsonschema`` alone for that kind)."""
    version = k8s_schemas.normalize_version(kubernetes_version)
    key = (version, api_version, kind)
    if key in _COMPILED:
        return _COMPILED[key]
    compiled = None
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a declared dependency; jsonschema alone still gives every verdict
        jsonschema_rs = None
    if jsonschema_rs is not None and has_validation_schema(api_version, kind, version):
        try:
            if (api_version, kind) == (TFJOB_API_VERSION, TFJOB_KIND):
                # the draft the schema declares (draft 7), as jsonschema's validator_for picks it
                compiled = jsonschema_rs.validator_for(_tfjob_schema(), validate_formats=False, offline=True)
            else:
                # the kind's schema with only the (bounded) definitions it reaches, refs made local: a
                # fraction of _definitions.json to bound and compile, same verdicts as the whole of it
                compiled = jsonschema_rs.Draft202012Validator(
                    k8s_schemas.standalone_schema(api_version, kind, version), validate_formats=False, offline=True)
        except (ValueError, KeyError, jsonschema_rs.ReferencingError):  # cannot compile, or a ref it cannot
            # resolve (KeyError: a definition missing from _definitions.json): jsonschema only
            compiled = None
    _COMPILED[key] = compiled
    return compiled


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_json(value: Any) -> bool:
    """Whether *value* holds only what JSON has (dicts with string keys, lists, strings, numbers,
    booleans, null), by exact type: the values the compiled validator judges exactly as
    ``jsonschema`` does. (``jsonschema-rs`` takes a tuple for an array and a ``Decimal`` for an
    integer, which ``jsonschema`` refuses; such objects go to ``jsonschema``.)"""
    stack = [value]
    while stack:
        item = stack.pop()
        cls = type(item)
        if cls is dict:
            for k, v in item.items():
                if type(k) is not str:
                    return False
                if type(v) not in _JSON_SCALARS:
                    stack.append(v)
        elif cls is list:
            stack.extend(v for v in item if type(v) not in _JSON_SCALARS)
        elif cls not in _JSON_SCALARS:
            return False
    return True


def _compiled_says_valid(api_version: str, kind: str, version: str, obj: dict[str, Any], plain: bool) -> bool:
    """True when the compiled validator finds *obj* valid: then ``jsonschema`` would report nothing
    either. False for anything else (invalid, not judged), which ``jsonschema`` then words. *plain*:
    the caller certifies *obj* as plain JSON (:func:`_plain_json` would say so), which is not walked again."""
    compiled = compiled_validator_for(api_version, kind, version)
    if compiled is None or not (plain or _plain_json(obj)):
        return False
    try:
        return bool(compiled.is_valid(obj))
    except (ValueError, TypeError, OverflowError):  # a value it cannot convert: jsonschema decides
        return False


def clear_cache() -> None:
    """Forget the validators (both kinds) and the TFJob schema (the Kubernetes schemas stay cached
    in :mod:`kfgen.kube.schemas`, once per version)."""
    _VALIDATORS.clear()
    _COMPILED.clear()
    _TFJOB_SCHEMA.clear()


def validate_objects(objects: Iterable[Any], kubernetes_version: str, *, file: str | None = None,
                     locators: Sequence[Callable[[str], int | None]] | None = None,
                     instances: dict[int, str] | None = None, plain: Sequence[bool] | None = None) -> list[Problem]:
    """Validate every object against its kind's strict schema; every error, in object order.

    Raises :class:`kfgen.kube.schemas.UnsupportedKubernetesVersion` for a version without schemas.
    *locators* (parallel to *objects*) map a JSON pointer to a line, for objects read from a file;
    *instances* maps ``id(object)`` to the component instance that rendered it. *plain* (parallel
    to *objects*) marks the objects known to be plain JSON by exact type (the YAML writer's fast
    path wrote them: :attr:`kfgen.output.files.RenderedFiles.plain`); only the others are walked to
    decide whether the compiled validator may judge them. It changes no verdict and no message.
    """
    per_object = validate_each(objects, kubernetes_version, file=file, locators=locators, instances=instances,
                               plain=plain)
    return [p for problems in per_object for p in problems]


def validate_each(objects: Iterable[Any], kubernetes_version: str, *, file: str | None = None,
                  locators: Sequence[Callable[[str], int | None]] | None = None,
                  instances: dict[int, str] | None = None,
                  plain: Sequence[bool] | None = None) -> list[list[Problem]]:
    """:func:`validate_objects`, the problems of each object apart (a list per object, in order)."""
    version = k8s_schemas.normalize_version(kubernetes_version)
    k8s_schemas.schema_dir(version)  # the clear error, before anything else
    out: list[list[Problem]] = []
    for i, obj in enumerate(objects):
        locate = locators[i] if locators is not None else None
        instance = (instances or {}).get(id(obj), "")
        problems: list[Problem] = []
        for p in _validate_one(obj, version, plain[i] if plain is not None else False):
            line = locate(p.pointer) if locate else None
            problems.append(replace(p, file=file or p.file, line=line if line is not None else p.line,
                                    instance=instance or p.instance))
        out.append(problems)
    return out


def _problem(message: str, **fields: Any) -> Problem:
    return Problem(message, source="schema", **fields)


def _foreign_crd_hint(api_version: str, kind: str) -> str | None:
    """For a kind of another operator's API group (``cert-manager.io/v1``: a dotted group outside
    Kubernetes' own ``*.k8s.io``; ``kubeflow.org`` kinds but TFJob, e.g. PyTorchJob): where its schema
    lives, instead of a look-alike built-in kind."""
    group = api_version.rpartition("/")[0]
    if "." not in group or group == "k8s.io" or group.endswith(".k8s.io"):
        return None
    if group == TFJOB_API_VERSION.split("/")[0]:
        if kind == TFJOB_KIND:
            return None  # TFJob of another version: the caller says which version exists
        return (f"{kind} is a custom resource of {group} (the training operator): of its kinds kfgen has a schema "
                "for TFJob only; check it with kubeconform and that CRD's schema (kubeconform -schema-location)")
    return (f"a custom resource of {group}: kfgen has schemas for Kubernetes' own kinds and TFJob only; check it "
            "with kubeconform and that CRD's schema (kubeconform -schema-location)")


def _validate_one(obj: Any, version: str, plain: bool) -> list[Problem]:
    ident = object_ident(obj)
    if not isinstance(obj, dict):
        return [_problem("a manifest must be a mapping (a Kubernetes object)", found=describe(obj))]
    missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj.get(k)]
    if missing:
        profile_like = "components" in obj or "extends" in obj  # a kfgen profile given as a manifest
        hint = ("this looks like a kfgen profile, not a manifest: validate it with 'kfgen validate -p NAME' "
                "(NAME: the file's name without .yaml)") if profile_like else None
        return [_problem(f"'{k}' is missing or not a string", pointer=f"/{k}", expected="a non-empty string",
                         found=describe(obj.get(k)), hint=hint, **ident) for k in missing]
    api_version, kind = obj["apiVersion"], obj["kind"]
    if not has_validation_schema(api_version, kind, version):
        known = {k for _, k in k8s_schemas.kinds(version)} | {TFJOB_KIND}
        same_kind = sorted(av for av, k in k8s_schemas.kinds(version) if k == kind) or (
            [TFJOB_API_VERSION] if kind == TFJOB_KIND else [])
        hint = (f"{kind} exists as apiVersion {', '.join(same_kind)}" if same_kind
                else _foreign_crd_hint(api_version, kind) or did_you_mean(kind, known))
        return [_problem(f"no schema for kind {kind} (apiVersion {api_version}) in Kubernetes {version} "
                         "or kfgen's CRDs", pointer="/kind",
                         expected="a kind with a schema (Kubernetes built-in kinds, TFJob kubeflow.org/v1)",
                         found=f"{api_version} {kind}", hint=hint, **ident)]
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
        problems.append(_problem("object has no name", pointer="/metadata/name", expected="metadata.name (a string)",
                                 found=describe(meta.get("name") if isinstance(meta, dict) else meta), **ident))
        seen.add(("/metadata/name", "object has no name"))
    if _compiled_says_valid(api_version, kind, version, obj, plain):
        return problems
    validator = validator_for(api_version, kind, version)
    for err in validator.iter_errors(obj):
        for p in _from_error(err, ident):
            if (p.pointer, p.message) not in seen:
                seen.add((p.pointer, p.message))
                problems.append(p)
    problems.sort(key=lambda p: p.pointer)
    return problems


def _types(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    t = schema.get("type")
    types = [t] if isinstance(t, str) else list(t or [])
    return [x for x in types if x != "null"] or types


def _from_error(err: Any, ident: dict[str, str]) -> Iterator[Problem]:
    """One jsonschema error -> problems (an additionalProperties error lists several fields)."""
    path = list(err.absolute_path)
    pointer = json_pointer(path)
    validator, value, instance, schema = err.validator, err.validator_value, err.instance, err.schema
    if "propertyNames" in err.relative_schema_path:  # instance is the offending key itself
        allowed = value if validator == "enum" else None
        yield _problem(f"invalid key '{instance}'", pointer=json_pointer(path + [instance]),
                       expected=("one of: " + ", ".join(map(str, allowed))) if allowed else f"{validator} {value!r}",
                       found=repr(instance), hint=did_you_mean(str(instance), map(str, allowed or [])), **ident)
    elif validator == "additionalProperties" and value is False and isinstance(instance, dict):
        props = list(schema.get("properties", {}))
        patterns = "|".join(schema.get("patternProperties", {}))
        for key in instance:
            if key in schema.get("properties", {}) or (patterns and re.search(patterns, key)):
                continue
            shown = ", ".join(sorted(props)[:15]) + (", ..." if len(props) > 15 else "")
            yield _problem(f"unknown field '{key}'", pointer=json_pointer(path + [key]),
                           expected=f"one of the fields: {shown}" if props else "no fields here",
                           found=repr(key), hint=did_you_mean(str(key), props), **ident)
    elif validator == "required" and isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield _problem("required field is missing", pointer=json_pointer(path + [key]),
                               expected=f"field '{key}'", found="nothing", **ident)
    elif validator == "type":
        expected = " or ".join(_types(schema))
        yield _problem("wrong type", pointer=pointer, expected=expected, found=describe(instance), **ident)
    elif validator in ("oneOf", "anyOf") and all(_types(s) and set(s) <= {"type", "description"} for s in value):
        expected = " or ".join(sorted({t for s in value for t in _types(s)}))
        yield _problem("wrong type", pointer=pointer, expected=expected, found=describe(instance), **ident)
    elif validator in ("oneOf", "anyOf") and err.context:
        from jsonschema.exceptions import best_match

        yield from _from_error(best_match(err.context), ident)
    elif validator == "enum":
        yield _problem("value not allowed", pointer=pointer, expected="one of: " + ", ".join(map(str, value)),
                       found=describe(instance), hint=did_you_mean(str(instance), map(str, value)), **ident)
    elif validator == "const":
        yield _problem("value not allowed", pointer=pointer, expected=repr(value), found=describe(instance), **ident)
    elif validator in ("minimum", "maximum") and _format_bound(schema, validator) == value:
        fmt = schema["format"]
        low, high = k8s_schemas.INTEGER_FORMAT_BOUNDS[fmt]
        yield _problem(f"integer out of range for {fmt}", pointer=pointer,
                       expected=f"an {fmt}: from {low} to {high}", found=describe(instance),
                       hint=f"the API server cannot decode this number into an {fmt}", **ident)
    else:
        message = err.message if len(err.message) <= 200 else err.message[:197] + "..."
        yield _problem(message, pointer=pointer, expected=f"{validator}: {value!r}"[:200],
                       found=describe(instance), **ident)


def _format_bound(schema: Any, keyword: str) -> int | None:
    """The bound *keyword* (minimum/maximum) of the schema's integer ``format``, if it has one."""
    fmt = schema.get("format") if isinstance(schema, dict) else None
    bounds = k8s_schemas.INTEGER_FORMAT_BOUNDS.get(fmt) if isinstance(fmt, str) else None
    return None if bounds is None else bounds[0 if keyword == "minimum" else 1]
