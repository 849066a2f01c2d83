"""Stage 2: validate a loaded profile with pydantic and turn its errors into people's errors.

A profile is ksonnet's environment, declared: the namespace, the Kubernetes version, the cluster's
nodes, and ``components``: instance name -> ``prototype`` + ``params``. The component union is
built from the prototype registry, discriminated on ``prototype``, so every prototype's params are
checked with its own model (and the JSON schema of profiles comes from the same place).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from .errors import KfgenError, Problem, did_you_mean
from .loader import LoadedProfile, SourceMap
from .prototype import Node, Params, RenderContext, prototypes

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NodeSpec(Strict):
    """One machine of the cluster, as far as scheduling is concerned."""

    name: Annotated[str, Field(description="Node name (kubernetes.io/hostname).", pattern=r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")]
    cpu: Annotated[str, Field(description="Allocatable CPU, as a Kubernetes quantity (e.g. '4', '3500m').", pattern=QUANTITY)] = "1"
    memory: Annotated[str, Field(description="Allocatable memory, as a Kubernetes quantity (e.g. '16Gi').", pattern=QUANTITY)] = "1Gi"
    gpus: Annotated[int, Field(ge=0, description="nvidia.com/gpu devices on this node.")] = 0
    gpuModel: Annotated[str | None, Field(description="GPU model, for people (e.g. 'GTX 1060 3GB').")] = None
    labels: Annotated[dict[str, str], Field(description="Node labels, for nodeSelectors.")] = {}


class ClusterSpec(Strict):
    """Facts about the cluster the profile deploys to."""

    nodes: Annotated[list[NodeSpec], Field(description="The cluster's nodes.")] = []

    @field_validator("nodes")
    @classmethod
    def _unique_names(cls, nodes: list[NodeSpec]) -> list[NodeSpec]:
        names = [n.name for n in nodes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"node names must be unique; repeated: {', '.join(dupes)}")
        return nodes


def _component_model(name: str, params: type[Params]) -> type[BaseModel]:
    cls_name = "".join(part.capitalize() for part in re.split(r"[-_]", name)) + "Component"
    return create_model(
        cls_name,
        __config__=ConfigDict(extra="forbid", strict=True, frozen=True),
        __doc__=f"An instance of the '{name}' prototype.",
        prototype=(Literal[name], Field(description="The prototype this instance renders.")),  # type: ignore[valid-type]
        namespace=(Annotated[str | None, Field(pattern=DNS_LABEL, description="Namespace for this instance (default: the profile's).")], None),
        # default {} is validated like a written one, so missing required params are reported
        params=(params, Field(default_factory=dict, validate_default=True, description=f"Parameters of '{name}'.")),
    )


@lru_cache(maxsize=1)
def profile_model() -> type[BaseModel]:
    comps = tuple(_component_model(n, p.params) for n, p in prototypes().items())
    Component = Annotated[Union[comps], Field(discriminator="prototype")]  # type: ignore[valid-type]
    return create_model(
        "Profile",
        __config__=ConfigDict(extra="forbid", strict=True, frozen=True),
        __doc__="A kfgen profile: ksonnet's environment, declared.",
        description=(Annotated[str, Field(description="What this profile is for.")], ""),
        namespace=(Annotated[str, Field(pattern=DNS_LABEL, description="Default namespace of every component (ksonnet's env namespace).")], "kubeflow"),
        kubernetesVersion=(Annotated[str, Field(pattern=r"^1\.[0-9]{2}$", description="Minor version of the target cluster, e.g. '1.37'. Selects the schemas output is validated against.")], "1.37"),
        cluster=(ClusterSpec, Field(default_factory=ClusterSpec, description="Facts about the cluster.")),
        components=(Annotated[dict[Annotated[str, Field(pattern=DNS_LABEL)], Component], Field(description="Component instances: instance name -> prototype and params.")], {}),
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


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return _TYPE_NAMES[type(value).__name__]
    return f"{_TYPE_NAMES.get(type(value).__name__, type(value).__name__)} {value!r}"


def _user_path(loc: tuple[Any, ...], data: dict[str, Any]) -> tuple[str | int, ...]:
    """Drop pydantic's union tags (components.<name>.<prototype>...) from a location."""
    path = list(loc)
    if len(path) >= 3 and path[0] == "components":
        comp = data.get("components", {}).get(path[1]) if isinstance(data.get("components"), dict) else None
        if isinstance(comp, dict) and path[2] == comp.get("prototype"):
            del path[2]
    return tuple(p for p in path if not (isinstance(p, str) and p.startswith("function-")))


def _fields_at(path: tuple[str | int, ...], data: dict[str, Any]) -> list[str]:
    """Field names allowed in the mapping that holds path[-1] (for did-you-mean)."""
    parent = path[:-1]
    model: Any = profile_model()
    rest: tuple[str | int, ...] = parent
    if len(parent) >= 2 and parent[0] == "components":
        comp = data.get("components", {}).get(parent[1])
        proto = prototypes().get(comp.get("prototype")) if isinstance(comp, dict) else None
        if proto is None:
            return []
        model, rest = _component_model(proto.name, proto.params), parent[2:]
    for part in rest:
        model = _unwrap(model)
        if isinstance(model, type) and issubclass(model, BaseModel):
            if part not in model.model_fields:
                return []
            model = model.model_fields[part].annotation
        elif get_origin(model) in (list, dict):  # a list item or a map value
            model = get_args(model)[-1]
        else:
            return []
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or str(origin) == "types.UnionType":
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _problems(exc: ValidationError, data: dict[str, Any], sources: SourceMap) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    protos = prototypes()
    for err in exc.errors(include_url=False):
        path = _user_path(tuple(err["loc"]), data)
        kind = err["type"]
        found = _describe(err.get("input"))
        key = (path, kind)
        if key in seen:
            continue
        seen.add(key)
        ctx = err.get("ctx") or {}
        if kind == "extra_forbidden":
            allowed = _fields_at(path, data)
            problems.append(sources.problem(path, f"unknown field '{path[-1]}'",
                                            expected="one of: " + ", ".join(sorted(allowed)) if allowed else None,
                                            hint=did_you_mean(str(path[-1]), allowed)))
        elif kind == "union_tag_invalid":
            tag = str(ctx.get("tag"))
            problems.append(sources.problem(path + ("prototype",), f"unknown prototype '{tag}'",
                                            expected="one of: " + ", ".join(protos), found=repr(tag),
                                            hint=did_you_mean(tag, protos)))
        elif kind == "union_tag_not_found":
            problems.append(sources.problem(path, "component has no 'prototype'",
                                            expected="prototype: one of " + ", ".join(protos), found="nothing"))
        elif kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            options = re.findall(r"'([^']*)'", expected)
            value = err.get("input")
            problems.append(sources.problem(path, "value not allowed", expected=f"one of {expected}", found=found,
                                            hint=did_you_mean(str(value), options) if isinstance(value, str) else None))
        elif kind == "missing":
            problems.append(sources.problem(path, f"missing required field '{path[-1]}'", expected="a value", found="nothing"))
        elif kind == "value_error":  # a model's own check: its message is already for people
            message = str(ctx.get("error") or err["msg"].removeprefix("Value error, "))
            problems.append(sources.problem(path, message))
        elif kind == "string_pattern_mismatch":
            problems.append(sources.problem(path, "value has the wrong format",
                                            expected=f"a string matching {ctx.get('pattern')}", found=found))
        else:
            msg = err["msg"]
            expected = msg[len("Input should be "):] if msg.startswith("Input should be ") else None
            value = err.get("input")
            hint = None
            if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
                hint = f"quote it: '{value}'"  # YAML read 1.30 as the number 1.3
            problems.append(sources.problem(path, "invalid value" if expected else msg,
                                            expected=expected, found=found, hint=hint))
    return problems
