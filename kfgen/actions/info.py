"""``kfgen prototypes`` and ``kfgen params``: a prototype by name, and its parameters as rows of text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.prototypes.base import Prototype, prototypes


def get_prototype(name: str) -> Prototype:
    protos = prototypes()
    if name not in protos:
        raise KfgenError(Problem(f"unknown prototype '{name}'", expected="one of: " + ", ".join(protos),
                                 found=repr(name), hint=did_you_mean(name, protos)))
    return protos[name]


@dataclass(frozen=True)
class ParamDoc:
    name: str
    type: str
    default: str
    doc: str


def param_docs(model: type[BaseModel]) -> list[ParamDoc]:
    schema = model.model_json_schema()
    props: dict[str, Any] = schema.get("properties", {})
    defs = schema.get("$defs", {})
    rows = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if info.is_required():
            default = "(required)"
        elif info.default_factory is not None:
            default = _show(info.default_factory())  # type: ignore[call-arg]
        elif info.default is PydanticUndefined or info.default is None:
            default = "(unset)"
        else:
            default = _show(info.default)
        rows.append(ParamDoc(key, _type_name(props.get(key, {}), defs), default, info.description or ""))
    return rows


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_none=True)
    return json.dumps(value) if not isinstance(value, str) else value


def _type_name(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "enum" in prop:
        return "|".join(str(v) for v in prop["enum"])
    if "const" in prop:
        return str(prop["const"])
    if "anyOf" in prop:
        parts = [_type_name(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(parts) + ("?" if any(p.get("type") == "null" for p in prop["anyOf"]) else "")
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list[{_type_name(prop.get('items', {}), defs)}]"
    if kind == "object" and "additionalProperties" in prop:
        values = prop["additionalProperties"]
        # `additionalProperties: true` (a free-form mapping such as a pod affinity) allows any value
        return f"map[string]{_type_name(values, defs) if isinstance(values, dict) else 'any'}"
    return {"string": "string", "integer": "int", "boolean": "bool", "number": "number"}.get(kind, kind)
