"""pydantic's ValidationError, told as kfgen Problems: file, line, path, expected, found, did-you-mean.

pydantic reports where a value failed in *its* terms: locations that name union members and
validators, messages about Python types. :func:`translate` walks each location along the user's
data to the path they wrote, reads the declared type there (its pattern, its union members, the
fields a mapping allows) to say what was expected, describes what YAML actually read, and adds the
hint that usually fixes it: quote a number or a yes/no, the field name that is close, the prototype
a parameter belongs to.

(Over 400 lines: one chain of error translation; splitting it would cut the call chain in two.)
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from kfgen.errors import Problem, describe, did_you_mean
from kfgen.kube.constants import DNS_LABEL_MAX, DNS_LABEL_PATTERN
from kfgen.profile.yaml import Path_, SourceMap
from kfgen.prototypes.base import Prototype
from kfgen.prototypes.params import PATTERN_HELP, ParamError

_UNIONS = (Union, types.UnionType)
_MEMBER_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_BOOLEAN_HINT = "quote it (YAML reads unquoted yes, no, on, off, true and false as booleans; write e.g. 'yes')"


def _describe(value: Any) -> str:
    """A found value as profile errors show it: strings whole, containers as ``mapping``/``list``."""
    return describe(value, detail=False)


def _sort_key(problem: Problem) -> tuple[Any, ...]:
    return (problem.file or "", problem.line or 0,
            tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in problem.path))


def _layers(tp: Any) -> Iterator[Any]:
    """*tp*, then the types it wraps through Annotated and Optional (a union with None only)."""
    while True:
        yield tp
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        args = [a for a in get_args(tp) if a is not type(None)] if origin in _UNIONS else []
        if len(args) != 1:
            return
        tp = args[0]


def _unwrap(tp: Any) -> Any:
    """The type inside Annotated and Optional (a real union stays a union)."""
    *_, inner = _layers(tp)
    return inner


def _pattern_of(tp: Any) -> str | None:
    """The regex constraint of a (possibly Annotated, possibly Optional) string type."""
    for layer in _layers(tp):
        for meta in get_args(layer)[1:] if get_origin(layer) is Annotated else ():
            for item in (meta.metadata if isinstance(meta, FieldInfo) else [meta]):
                pattern = getattr(item, "pattern", None)
                if isinstance(pattern, str):
                    return pattern
    return None


def _members(tp: Any) -> list[Any]:
    """The members of the union *tp* (inside Annotated), or []."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in _UNIONS:
        return list(get_args(tp))
    return []


def _member_text(tp: Any) -> str:
    """One alternative of a union, for 'expected': integer, string, list of strings, a quantity string …"""
    pattern = _pattern_of(tp)
    base = _unwrap(tp)
    if base is str and pattern is not None:
        helped = PATTERN_HELP.get(pattern)
        return helped.short if helped else f"a string matching {pattern}"
    if base in _MEMBER_NAMES:
        return _MEMBER_NAMES[base]
    if get_origin(base) is list:
        item = _member_text(get_args(base)[0]) if get_args(base) else ""
        return f"list of {item}s" if item in ("string", "integer", "number", "boolean") else "list"
    if get_origin(base) is dict or (isinstance(base, type) and issubclass(base, BaseModel)):
        return "mapping"
    if get_origin(base) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(base))
    return getattr(base, "__name__", str(base))


def _pattern_text(pattern: str | None) -> str:
    helped = PATTERN_HELP.get(pattern or "")
    return helped.description if helped else f"a string matching {pattern}"


def _quote_hint(value: Any, patterns: list[str | None]) -> str | None:
    """'quote it' when YAML read a number, boolean or date where a string was meant (and the string
    would do: it matches one of *patterns*, None meaning any string)."""
    def fits(text: str) -> bool:
        return any(p is None or re.match(p, text) for p in patterns)

    if isinstance(value, bool):
        words = ("yes", "true", "on", "y") if value else ("no", "false", "off", "n")
        return _BOOLEAN_HINT if any(fits(w) for w in words) else None
    if isinstance(value, (int, float)):
        text = str(value)
        # YAML drops a float's trailing zeros (1.30 -> 1.3): offer the padded text when only that fits
        padded = isinstance(value, float) and re.match(r"^-?[0-9]+\.[0-9]+$", text)
        candidates = [text, text + "0"] if padded else [text]
        fitting = next((c for c in candidates if fits(c)), None)
        if fitting is None:
            return None
        return f"quote it (YAML read the number {text}; write it as a string, e.g. '{fitting}')"
    if isinstance(value, datetime.date):
        text = value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
        what = "timestamp" if isinstance(value, datetime.datetime) else "date"
        return f"quote it (YAML read the {what} {text}; write it as a string, e.g. '{text}')" if fits(text) else None
    return None


def _dns_label_for(text: str) -> str | None:
    """A DNS label close to *text* ('Kubeflow_Core' -> 'kubeflow-core'), if one is easy to make."""
    label = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")
    fits = label and label != text and len(label) <= DNS_LABEL_MAX and re.match(DNS_LABEL_PATTERN, label)
    return label if fits else None


def _is_type_error(kind: str) -> bool:
    return kind.endswith("_type")


def _variant(tp: Any, node: Any) -> Any:
    """In a union of models told apart by Literal fields (a component: its ``prototype``), the
    member *node* selects, or None; any other type unchanged."""
    members = _members(tp)
    if not members or not all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
        return tp
    if not isinstance(node, dict):
        return None
    for member in members:
        tags = {name: get_args(f.annotation) for name, f in member.model_fields.items()
                if get_origin(f.annotation) is Literal}
        if tags and all(node.get(name) in values for name, values in tags.items()):
            return member
    return None


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def translate(exc: ValidationError, data: dict[str, Any], sources: SourceMap, *, root: type[BaseModel],
              prototypes: Mapping[str, Prototype]) -> list[Problem]:
    """The problems of *exc*, raised validating *data* (read with *sources*) against *root*, whose
    components are instances of *prototypes*; sorted by file, line and path."""
    return _Translation(data, sources, root, prototypes).problems(exc)


class _Translation:
    def __init__(self, data: dict[str, Any], sources: SourceMap, root: type[BaseModel],
                 prototypes: Mapping[str, Prototype]) -> None:
        self.data = data
        self.sources = sources
        self.root = root
        self.protos = prototypes

    def problems(self, exc: ValidationError) -> list[Problem]:
        errors = []
        for err in exc.errors(include_url=False):
            path, union, key = self.user_path(tuple(err["loc"]), err["type"])
            errors.append((path, union, key, err))
        # A union's members each report why they refused the value. A member that refused its *type*
        # is noise when another member took the type and found something wrong inside or with the
        # value ('args: [1]': the list member's complaint about item 0 is the one that matters); when
        # every member refused the type, the complaints merge into one ("integer or a quantity string").
        by_union: dict[Path_, list[int]] = {}
        for i, (_, union, key, _) in enumerate(errors):
            if union is not None and not key:
                by_union.setdefault(union, []).append(i)
        drop: set[int] = set()
        problems: list[Problem] = []
        for site, indexes in by_union.items():
            at_site = [i for i in indexes if errors[i][0] == site]
            deeper = len(at_site) < len(indexes)
            specific = [i for i in at_site if not _is_type_error(errors[i][3]["type"])]
            if deeper or specific:
                drop.update(i for i in at_site if _is_type_error(errors[i][3]["type"]))
            elif at_site:
                drop.update(at_site)
                problems.append(self.union_problem(site, [errors[i][3] for i in at_site]))
        seen: set[tuple[Any, ...]] = set()
        for i, (path, _, key, err) in enumerate(errors):
            if i in drop:
                continue
            problem = self.key_problem(path, err) if key else self.problem(path, err)
            ident = (problem.path, problem.message, problem.expected)
            if ident not in seen:
                seen.add(ident)
                problems.append(problem)
        return sorted(problems, key=_sort_key)

    def user_path(self, loc: tuple[Any, ...], kind: str) -> tuple[Path_, Path_ | None, bool]:
        """Where an error is, in the user's terms: (path, union, key).

        pydantic's locations hold, besides keys and indexes, the names of union members
        (``cpu.constrained-int``, ``args.list[str].0``, ``components.<name>.<prototype>``) and
        ``[key]`` for an invalid mapping key. Walking the user's data along the location tells them
        apart: a part that is not a key of the mapping (nor a declared field left unset: a default
        being validated) or not an index of the list is a member's name; once the data is a scalar,
        the rest is too. *union* is the path where a member name was dropped (the errors of a
        union's members are merged later), *key* says the error is about the last key of *path*
        rather than its value.
        """
        parts = list(loc)
        if len(parts) >= 3 and parts[0] == "components":  # the discriminated union: one member, no merging
            comp = _child(self.data.get("components"), parts[1])
            if isinstance(comp, dict) and parts[2] == comp.get("prototype"):
                del parts[2]
        path: list[str | int] = []
        node: Any = self.data
        union: Path_ | None = None
        absent = False  # walking below a value the user did not write (a default being validated)
        for part in parts:
            if part == "[key]":
                return tuple(path), union, True
            if absent:
                path.append(part)
            elif isinstance(node, dict):
                if part in node:
                    path.append(part)
                    node = node[part]
                elif kind == "missing" or part in self.fields_at(tuple(path) + (part,)):
                    path.append(part)
                    absent = True
                else:
                    union = union if union is not None else tuple(path)
            elif isinstance(node, list):
                if isinstance(part, int) and not isinstance(part, bool) and 0 <= part < len(node):
                    path.append(part)
                    node = node[part]
                else:
                    union = union if union is not None else tuple(path)
            else:  # a scalar has no parts: what follows names the union member (and its validator)
                union = union if union is not None else tuple(path)
                break
        return tuple(path), union, False

    def type_at(self, path: Path_) -> Any:
        """The declared type of the value at *path* (with its constraints), or None if unknown."""
        tp: Any = self.root
        node: Any = self.data
        for part in path:
            tp = _unwrap(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                field = tp.model_fields.get(part) if isinstance(part, str) else None
                if field is None:
                    return None
                tp = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            elif get_origin(tp) in (list, dict):  # a list item or a map value
                tp = get_args(tp)[-1]
            else:
                return None
            node = _child(node, part)
            tp = _variant(tp, node)
            if tp is None:
                return None
        return tp

    def fields_at(self, path: Path_) -> list[str]:
        """Field names allowed in the mapping that holds path[-1] (for did-you-mean)."""
        model = _unwrap(self.type_at(path[:-1]))
        if isinstance(model, type) and issubclass(model, BaseModel):
            return list(model.model_fields)
        return []

    def prototype_of(self, instance: str | int) -> Prototype | None:
        comp = _child(self.data.get("components"), instance)
        name = comp.get("prototype") if isinstance(comp, dict) else None
        return self.protos.get(name) if isinstance(name, str) else None

    def union_problem(self, path: Path_, errs: list[dict[str, Any]]) -> Problem:
        """One problem for a value every member of a union refused by type."""
        value = errs[0].get("input")
        members = _members(self.type_at(path))
        if members:
            texts = [_member_text(m) for m in members]
            patterns = [_pattern_of(m) for m in members if _unwrap(m) is str]
        else:  # unknown declaration: pydantic's own words
            texts = [e["msg"].removeprefix("Input should be ") for e in errs]
            patterns = []
        expected = " or ".join(dict.fromkeys(texts))
        hint = _quote_hint(value, patterns) if patterns else None
        return self.sources.problem(path, "invalid value", expected=expected, found=_describe(value), hint=hint)

    def key_problem(self, path: Path_, err: dict[str, Any]) -> Problem:
        """An invalid mapping key: an instance name, a resource name under limits, an env name …"""
        name = path[-1] if path else err.get("input")
        ctx = err.get("ctx") or {}
        kind = err["type"]
        pattern = ctx.get("pattern")
        helped = PATTERN_HELP.get(pattern or "")
        hint = None
        if kind == "string_pattern_mismatch":
            expected = _pattern_text(pattern)
            if helped and helped.names:
                # 'gpu' or 'gpus' for 'nvidia.com/gpu': the last segment of a prefixed name counts first
                last = {n.rsplit("/", 1)[-1].lower(): n for n in helped.names if "/" in n}
                close = difflib.get_close_matches(str(name).lower(), list(last), n=1, cutoff=0.75)
                hint = f"did you mean '{last[close[0]]}'?" if close else did_you_mean(str(name), helped.names)
            if hint is None and pattern == DNS_LABEL_PATTERN:
                label = _dns_label_for(str(name))
                hint = f"try '{label}'" if label else None
        elif kind == "string_too_long":
            expected = f"at most {ctx.get('max_length')} characters"
        else:
            expected = err["msg"].removeprefix("Input should be ")
        found = _describe(name)
        if kind == "string_too_long" and isinstance(name, str):
            found += f" ({len(name)} characters)"
        return self.sources.problem(path, f"invalid name {str(name)!r}", expected=expected, found=found, hint=hint)

    def unknown_field(self, path: Path_) -> Problem:
        allowed = self.fields_at(path)
        field = str(path[-1])
        hint = did_you_mean(field, allowed)
        in_params = len(path) == 4 and path[0] == "components" and path[2] == "params"
        if in_params and field in self.fields_at(path[:3]):
            # the usual leftover of `ks generate <prototype> <name> --namespace=...`
            hint = f"'{field}' goes beside 'prototype', not under 'params'"
        elif len(path) == 3 and path[0] == "components":
            proto = self.prototype_of(path[1])
            if proto is not None and field in proto.params.model_fields:
                hint = f"'{field}' is a parameter of '{proto.name}': put it under 'params'"
        if in_params:
            proto = self.prototype_of(path[1])
            if proto is not None and field in proto.retired:
                return self.sources.problem(path, f"'{field}' is a ksonnet parameter that kfgen retired: "
                                                  f"{proto.retired[field]}", hint="remove it")
        return self.sources.problem(path, f"unknown field '{field}'",
                                    expected="one of: " + ", ".join(sorted(allowed)) if allowed else None, hint=hint)

    def bad_prototype(self, path: Path_, value: Any) -> Problem:
        protos = self.protos
        written = value.get("prototype") if isinstance(value, dict) else None
        at = path + ("prototype",)
        if written is None:
            return self.sources.problem(at, "component has no prototype",
                                        expected="prototype: one of " + ", ".join(protos), found="null")
        if not isinstance(written, str):
            return self.sources.problem(at, "prototype must be a prototype's name",
                                        expected="one of: " + ", ".join(protos), found=_describe(written))
        return self.sources.problem(at, f"unknown prototype '{written}'", expected="one of: " + ", ".join(protos),
                                    found=repr(written), hint=did_you_mean(written, protos))

    def problem(self, path: Path_, err: dict[str, Any]) -> Problem:
        problem = self.sources.problem
        kind = err["type"]
        value = err.get("input")
        found = _describe(value)
        ctx = err.get("ctx") or {}
        if kind == "extra_forbidden":
            return self.unknown_field(path)
        if kind == "union_tag_invalid":
            return self.bad_prototype(path, value)
        if kind == "union_tag_not_found":
            return problem(path, "component has no 'prototype'",
                           expected="prototype: one of " + ", ".join(self.protos), found="nothing")
        if kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            options = re.findall(r"'([^']*)'", expected)
            hint = did_you_mean(value, options) if isinstance(value, str) else _quote_hint(value, [
                "^" + re.escape(o) + "$" for o in options])
            return problem(path, "value not allowed", expected=f"one of {expected}", found=found, hint=hint)
        if kind == "missing":
            return problem(path, f"missing required field '{path[-1]}'", expected="a value", found="nothing")
        if kind == "value_error":  # a model's own check: its message is already for people
            error = ctx.get("error")
            message = str(error or err["msg"].removeprefix("Value error, "))
            if isinstance(error, ParamError):
                return problem(path, message, expected=error.expected, hint=error.hint,
                               found=None if isinstance(value, (dict, list)) else found)
            return problem(path, message)
        if kind == "string_pattern_mismatch":
            pattern = ctx.get("pattern")
            label = _dns_label_for(value) if pattern == DNS_LABEL_PATTERN and isinstance(value, str) else None
            return problem(path, "value has the wrong format", expected=_pattern_text(pattern),
                           found=found, hint=f"try '{label}'" if label else None)
        if kind == "string_too_long":
            length = f" ({len(value)} characters)" if isinstance(value, str) else ""
            return problem(path, "value is too long", expected=f"at most {ctx.get('max_length')} characters",
                           found=found + length)
        msg = err["msg"]
        expected = msg[len("Input should be "):] if msg.startswith("Input should be ") else None
        if kind in ("model_type", "model_attributes_type", "dict_type"):  # not "instance of CoreParams"
            expected = ("a component: a mapping with prototype and params"
                        if len(path) == 2 and path[0] == "components" else "a mapping (key: value)")
        hint = None
        if kind == "string_type":
            pattern = _pattern_of(self.type_at(path))
            hint = _quote_hint(value, [pattern])
            if pattern is not None:
                expected = _pattern_text(pattern) if pattern in PATTERN_HELP else f"a string matching {pattern}"
        return problem(path, "invalid value" if expected else msg, expected=expected, found=found, hint=hint)
