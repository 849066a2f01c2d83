"""Stage 2: validate a loaded profile with pydantic and turn its errors into people's errors.

A profile is ksonnet's environment, declared: the namespace, the Kubernetes version, the cluster's
nodes, and ``components``: instance name -> ``prototype`` + ``params``. The component union is
built from the prototype registry, discriminated on ``prototype``, so every prototype's params are
checked with its own model (and the JSON schema of profiles comes from the same place).
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
from functools import cache, lru_cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from pydantic.fields import FieldInfo

from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.profile.loader import LoadedProfile, SourceMap
from kfgen.prototypes.base import Node, Params, RenderContext, prototypes
from kfgen.prototypes.params import DNS_LABEL, INT32_MAX, PATTERN_HELP, ParamError, QuantityString, described, repeated

NODE_NAME = described(r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$",
                      "a node name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
                      short="a node name")
KUBERNETES_VERSION = described(r"^1\.[0-9]{2}$", "a Kubernetes minor version, as a string such as '1.37'",
                               short="a version string such as '1.37'")
#: Namespace and instance names: DNS labels (instance names become object names and label values).
Name = Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]


def _supported_version(version: str) -> str:
    """kubernetesVersion must be one kfgen has schemas for (what ``kfgen validate`` checks against)."""
    from kfgen.kube.schemas import shipped_versions  # lazily: it looks through the installed schema sets

    try:
        shipped = shipped_versions()
    except KfgenError:  # kubernetes-validate missing: `kfgen validate` says so; rendering needs no schemas
        return version
    if shipped and version not in shipped:
        raise ParamError(f"kfgen has no Kubernetes schemas for version {version}",
                         expected="one of: " + ", ".join(shipped),
                         hint=f"the newest supported version is '{shipped[-1]}'")
    return version


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NodeSpec(Strict):
    """One machine of the cluster, as far as scheduling is concerned."""

    name: Annotated[str, Field(description="Node name (kubernetes.io/hostname).", pattern=NODE_NAME, max_length=253)]
    cpu: Annotated[QuantityString, Field(description="Allocatable CPU, as a Kubernetes quantity (e.g. '4', '3500m').")] = "1"
    memory: Annotated[QuantityString, Field(description="Allocatable memory, as a Kubernetes quantity (e.g. '16Gi').")] = "1Gi"
    gpus: Annotated[int, Field(ge=0, le=INT32_MAX, description="nvidia.com/gpu devices on this node.")] = 0
    gpuModel: Annotated[str | None, Field(description="GPU model, for people (e.g. 'GTX 1060 3GB').")] = None
    labels: Annotated[dict[str, str], Field(description="Node labels, for nodeSelectors.")] = {}


class ClusterSpec(Strict):
    """Facts about the cluster the profile deploys to."""

    nodes: Annotated[list[NodeSpec], Field(description="The cluster's nodes.")] = []

    @field_validator("nodes")
    @classmethod
    def _unique_names(cls, nodes: list[NodeSpec]) -> list[NodeSpec]:
        dupes = repeated([n.name for n in nodes])
        if dupes:
            raise ValueError(f"node names must be unique; repeated: {', '.join(dupes)}")
        return nodes


@cache
def _component_model(name: str, params: type[Params]) -> type[BaseModel]:
    cls_name = "".join(part.capitalize() for part in re.split(r"[-_]", name)) + "Component"
    return create_model(
        cls_name,
        __config__=ConfigDict(extra="forbid", strict=True, frozen=True),
        __doc__=f"An instance of the '{name}' prototype.",
        prototype=(Literal[name], Field(description="The prototype this instance renders.")),  # type: ignore[valid-type]
        namespace=(Annotated[Name | None, Field(description="Namespace for this instance (default: the profile's).")], None),
        # default {} is validated like a written one, so missing required params are reported
        params=(params, Field(default_factory=dict, validate_default=True, description=f"Parameters of '{name}'.")),
    )


@lru_cache(maxsize=1)
def profile_model() -> type[BaseModel]:
    comps = tuple(_component_model(n, p.params) for n, p in prototypes().items())
    Component = Annotated[Union[comps], Field(discriminator="prototype")]  # type: ignore[valid-type]  # noqa: UP007
    return create_model(
        "Profile",
        __config__=ConfigDict(extra="forbid", strict=True, frozen=True),
        __doc__="A kfgen profile: ksonnet's environment, declared.",
        description=(Annotated[str, Field(description="What this profile is for.")], ""),
        namespace=(Annotated[Name, Field(description="Default namespace of every component (ksonnet's env namespace).")], "kubeflow"),
        kubernetesVersion=(Annotated[str, Field(pattern=KUBERNETES_VERSION, description="Minor version of the target cluster, e.g. '1.37'. Selects the schemas output is validated against."),
                                     AfterValidator(_supported_version)], "1.37"),
        cluster=(ClusterSpec, Field(default_factory=ClusterSpec, description="Facts about the cluster.")),
        components=(Annotated[dict[Name, Component], Field(description="Component instances: instance name -> prototype and params.")], {}),
    )


class Profile:
    """A validated profile, with where each setting came from."""

    def __init__(self, loaded: LoadedProfile, model: BaseModel):
        self.name = loaded.name
        self.chain = loaded.chain
        self.sources = loaded.sources
        self.model = model

    @property
    def namespace(self) -> str:
        return self.model.namespace  # type: ignore[attr-defined]

    @property
    def kubernetes_version(self) -> str:
        return self.model.kubernetesVersion  # type: ignore[attr-defined]

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(Node(n.name, n.gpus, n.cpu, n.memory, tuple(sorted(n.labels.items())))
                     for n in self.model.cluster.nodes)  # type: ignore[attr-defined]

    @property
    def components(self) -> dict[str, Any]:
        return dict(sorted(self.model.components.items()))  # type: ignore[attr-defined]

    def context(self, instance: str) -> RenderContext:
        comp = self.model.components[instance]  # type: ignore[attr-defined]
        return RenderContext(profile=self.name, instance=instance, namespace=comp.namespace or self.namespace,
                             kubernetes_version=self.kubernetes_version, nodes=self.nodes)


def validate_profile(loaded: LoadedProfile) -> Profile:
    model = profile_model()
    data = dict(loaded.data)
    try:
        return Profile(loaded, model.model_validate(data))
    except ValidationError as exc:
        raise KfgenError(_problems(exc, loaded.data, loaded.sources)) from None


# --- turning pydantic's errors into ours -------------------------------------------------------

_TYPE_NAMES = {"str": "string", "int": "integer", "bool": "boolean (true/false)", "float": "number",
               "dict": "mapping", "list": "list", "NoneType": "null"}
_UNIONS = (Union, types.UnionType)
_MEMBER_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_BOOLEAN_HINT = "quote it (YAML reads unquoted yes, no, on, off, true and false as booleans; write e.g. 'yes')"


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, datetime.datetime):
        return f"timestamp {value.isoformat(sep=' ')}"
    if isinstance(value, datetime.date):
        return f"date {value.isoformat()}"
    if isinstance(value, (dict, list)):
        return _TYPE_NAMES[type(value).__name__]
    return f"{_TYPE_NAMES.get(type(value).__name__, type(value).__name__)} {value!r}"


def _sort_key(problem: Problem) -> tuple[Any, ...]:
    return (problem.file or "", problem.line or 0,
            tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in problem.path))


def _user_path(loc: tuple[Any, ...], data: dict[str, Any], kind: str) -> tuple[tuple[str | int, ...], tuple[str | int, ...] | None, bool]:
    """Where an error is, in the user's terms: (path, union, key).

    pydantic's locations hold, besides keys and indexes, the names of union members
    (``cpu.constrained-int``, ``args.list[str].0``, ``components.<name>.<prototype>``) and ``[key]``
    for an invalid mapping key. Walking the user's data along the location tells them apart: a part
    that is not a key of the mapping (nor a declared field left unset: a default being validated) or
    not an index of the list is a member's name; once the data is a scalar, the rest is too. *union*
    is the path where a member name was dropped (the errors of a union's members are merged later),
    *key* says the error is about the last key of *path* rather than its value.
    """
    parts = list(loc)
    if len(parts) >= 3 and parts[0] == "components":  # the discriminated union: one member, no merging
        comps = data.get("components")
        comp = comps.get(parts[1]) if isinstance(comps, dict) else None
        if isinstance(comp, dict) and parts[2] == comp.get("prototype"):
            del parts[2]
    path: list[str | int] = []
    node: Any = data
    union: tuple[str | int, ...] | None = None
    absent = False  # walking below a value the user did not write (a default being validated)
    for i, part in enumerate(parts):
        if part == "[key]":
            return tuple(path), union, True
        if absent:
            path.append(part)
        elif isinstance(node, dict):
            if part in node:
                path.append(part)
                node = node[part]
            elif kind == "missing" or part in _fields_at(tuple(path) + (part,), data):
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


def _type_at(path: tuple[str | int, ...], data: dict[str, Any]) -> Any:
    """The declared type of the value at *path* (with its constraints), or None if unknown."""
    tp: Any = profile_model()
    rest = path
    if len(path) >= 2 and path[0] == "components":
        comps = data.get("components")
        comp = comps.get(path[1]) if isinstance(comps, dict) else None
        proto = prototypes().get(comp.get("prototype")) if isinstance(comp, dict) else None  # type: ignore[arg-type]
        if proto is None:
            return None
        tp, rest = _component_model(proto.name, proto.params), path[2:]
    for part in rest:
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
    return tp


def _fields_at(path: tuple[str | int, ...], data: dict[str, Any]) -> list[str]:
    """Field names allowed in the mapping that holds path[-1] (for did-you-mean)."""
    model = _unwrap(_type_at(path[:-1], data))
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in _UNIONS:
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _pattern_of(tp: Any) -> str | None:
    """The regex constraint of a (possibly Annotated, possibly Optional) string type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            for meta in get_args(tp)[1:]:
                for item in (meta.metadata if isinstance(meta, FieldInfo) else [meta]):
                    pattern = getattr(item, "pattern", None)
                    if isinstance(pattern, str):
                        return pattern
            tp = get_args(tp)[0]
        elif origin in _UNIONS:
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return None
            tp = args[0]
        else:
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
        candidates = [text, text + "0"] if isinstance(value, float) and re.match(r"^-?[0-9]+\.[0-9]+$", text) else [text]
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
    return label if label and label != text and len(label) <= 63 and re.match(DNS_LABEL, label) else None


def _is_type_error(kind: str) -> bool:
    return kind.endswith("_type")


def _problems(exc: ValidationError, data: dict[str, Any], sources: SourceMap) -> list[Problem]:
    errors = []
    for err in exc.errors(include_url=False):
        path, union, key = _user_path(tuple(err["loc"]), data, err["type"])
        errors.append((path, union, key, err))
    # A union's members each report why they refused the value. A member that refused its *type*
    # is noise when another member took the type and found something wrong inside or with the value
    # ('args: [1]': the list member's complaint about item 0 is the one that matters); when every
    # member refused the type, the complaints merge into one ("integer or a quantity string").
    by_union: dict[tuple[str | int, ...], list[int]] = {}
    for i, (path, union, key, err) in enumerate(errors):
        if union is not None and not key:
            by_union.setdefault(union, []).append(i)
    drop: set[int] = set()
    merged: list[Problem] = []
    for site, indexes in by_union.items():
        at_site = [i for i in indexes if errors[i][0] == site]
        deeper = len(at_site) < len(indexes)
        specific = [i for i in at_site if not _is_type_error(errors[i][3]["type"])]
        if deeper or specific:
            drop.update(i for i in at_site if _is_type_error(errors[i][3]["type"]))
        elif at_site:
            drop.update(at_site)
            merged.append(_union_problem(site, [errors[i][3] for i in at_site], data, sources))

    problems = list(merged)
    seen: set[tuple[Any, ...]] = set()
    for i, (path, union, key, err) in enumerate(errors):
        if i in drop:
            continue
        problem = _key_problem(path, err, sources) if key else _problem(path, err, data, sources)
        ident = (problem.path, problem.message, problem.expected)
        if ident not in seen:
            seen.add(ident)
            problems.append(problem)
    return sorted(problems, key=_sort_key)


def _union_problem(path: tuple[str | int, ...], errs: list[dict[str, Any]], data: dict[str, Any],
                   sources: SourceMap) -> Problem:
    """One problem for a value every member of a union refused by type."""
    value = errs[0].get("input")
    members = _members(_type_at(path, data))
    if members:
        texts = [_member_text(m) for m in members]
        patterns = [_pattern_of(m) for m in members if _unwrap(m) is str]
    else:  # unknown declaration: pydantic's own words
        texts = [e["msg"].removeprefix("Input should be ") for e in errs]
        patterns = []
    expected = " or ".join(dict.fromkeys(texts))
    hint = _quote_hint(value, patterns) if patterns else None
    return sources.problem(path, "invalid value", expected=expected, found=_describe(value), hint=hint)


def _key_problem(path: tuple[str | int, ...], err: dict[str, Any], sources: SourceMap) -> Problem:
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
        if hint is None and pattern == DNS_LABEL:
            label = _dns_label_for(str(name))
            hint = f"try '{label}'" if label else None
    elif kind == "string_too_long":
        expected = f"at most {ctx.get('max_length')} characters"
    else:
        expected = err["msg"].removeprefix("Input should be ")
    found = _describe(name) + (f" ({len(name)} characters)" if kind == "string_too_long" and isinstance(name, str) else "")
    return sources.problem(path, f"invalid name {str(name)!r}", expected=expected, found=found, hint=hint)


def _problem(path: tuple[str | int, ...], err: dict[str, Any], data: dict[str, Any], sources: SourceMap) -> Problem:
    protos = prototypes()
    kind = err["type"]
    value = err.get("input")
    found = _describe(value)
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _fields_at(path, data)
        field = str(path[-1])
        hint = did_you_mean(field, allowed)
        if len(path) == 4 and path[0] == "components" and path[2] == "params" and field in _fields_at(path[:3], data):
            # the usual leftover of `ks generate <prototype> <name> --namespace=...`
            hint = f"'{field}' goes beside 'prototype', not under 'params'"
        elif len(path) == 3 and path[0] == "components":
            comp = data["components"][path[1]]
            proto = protos.get(comp.get("prototype")) if isinstance(comp, dict) else None  # type: ignore[arg-type]
            if proto is not None and field in proto.params.model_fields:
                hint = f"'{field}' is a parameter of '{proto.name}': put it under 'params'"
        if len(path) == 4 and path[0] == "components" and path[2] == "params":
            comp = data["components"][path[1]]
            proto = protos.get(comp.get("prototype")) if isinstance(comp, dict) else None  # type: ignore[arg-type]
            if proto is not None and field in proto.retired:
                return sources.problem(path, f"'{field}' is a ksonnet parameter that kfgen retired: "
                                             f"{proto.retired[field]}", hint="remove it")
        return sources.problem(path, f"unknown field '{field}'",
                               expected="one of: " + ", ".join(sorted(allowed)) if allowed else None, hint=hint)
    if kind == "union_tag_invalid":
        comp = value if isinstance(value, dict) else {}
        written = comp.get("prototype")
        if written is None:
            return sources.problem(path + ("prototype",), "component has no prototype",
                                   expected="prototype: one of " + ", ".join(protos), found="null")
        if not isinstance(written, str):
            return sources.problem(path + ("prototype",), "prototype must be a prototype's name",
                                   expected="one of: " + ", ".join(protos), found=_describe(written))
        return sources.problem(path + ("prototype",), f"unknown prototype '{written}'",
                               expected="one of: " + ", ".join(protos), found=repr(written),
                               hint=did_you_mean(written, protos))
    if kind == "union_tag_not_found":
        return sources.problem(path, "component has no 'prototype'",
                               expected="prototype: one of " + ", ".join(protos), found="nothing")
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        hint = did_you_mean(value, options) if isinstance(value, str) else _quote_hint(value, [
            "^" + re.escape(o) + "$" for o in options])
        return sources.problem(path, "value not allowed", expected=f"one of {expected}", found=found, hint=hint)
    if kind == "missing":
        return sources.problem(path, f"missing required field '{path[-1]}'", expected="a value", found="nothing")
    if kind == "value_error":  # a model's own check: its message is already for people
        error = ctx.get("error")
        message = str(error or err["msg"].removeprefix("Value error, "))
        if isinstance(error, ParamError):
            return sources.problem(path, message, expected=error.expected, hint=error.hint,
                                   found=None if isinstance(value, (dict, list)) else found)
        return sources.problem(path, message)
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        hint = None
        if pattern == DNS_LABEL and isinstance(value, str):
            label = _dns_label_for(value)
            hint = f"try '{label}'" if label else None
        return sources.problem(path, "value has the wrong format", expected=_pattern_text(pattern),
                               found=found, hint=hint)
    if kind == "string_too_long":
        length = f" ({len(value)} characters)" if isinstance(value, str) else ""
        return sources.problem(path, "value is too long", expected=f"at most {ctx.get('max_length')} characters",
                               found=found + length)
    msg = err["msg"]
    expected = msg[len("Input should be "):] if msg.startswith("Input should be ") else None
    if kind in ("model_type", "model_attributes_type", "dict_type"):  # not pydantic's "instance of CoreParams"
        expected = ("a component: a mapping with prototype and params" if len(path) == 2 and path[0] == "components"
                    else "a mapping (key: value)")
    hint = None
    if kind == "string_type":
        pattern = _pattern_of(_type_at(path, data))
        hint = _quote_hint(value, [pattern])
        if pattern is not None:
            expected = _pattern_text(pattern) if pattern in PATTERN_HELP else f"a string matching {pattern}"
    return sources.problem(path, "invalid value" if expected else msg, expected=expected, found=found, hint=hint)
