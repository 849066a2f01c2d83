"""The structural-schema converter: pydantic's JSON schema of :class:`~kfgen.kube.tfjob.model.TFJob`
plus Kubernetes' ``PodTemplateSpec`` (from the pinned ``kubernetes-validate`` package) -> the
*structural* OpenAPI v3 schema that ``apiextensions.k8s.io/v1`` requires of a CRD.

The pod template part is not hand-written: a model whose JSON schema carries :data:`K8S_DEFINITION`
(``PodTemplateSpec``) is replaced by the named Kubernetes definition, converted by the same rules.
:mod:`kfgen.kube.tfjob.crd` puts the pieces together. Heavy imports (the JSON files) happen when the
definitions are loaded, not at import: the CLI imports this module at start-up.
"""

from __future__ import annotations

import copy
from typing import Any

from kfgen.kube.quantity import QUANTITY_PATTERN

__all__ = ["K8S_DEFINITION", "K8S_SCHEMA_VERSION", "Structuralizer", "load_pod_template_definitions"]

#: JSON-schema key on a kfgen model standing for a Kubernetes type: its value is the definition's name.
K8S_DEFINITION = "x-kfgen-k8s-definition"

# The kubernetes-validate schema set the pod template schema is converted from.
# Pinned together with the `kubernetes-validate==1.37.0` dependency.
K8S_SCHEMA_VERSION = "1.37.0"

# Keywords apiextensions.k8s.io/v1 JSONSchemaProps knows (the ones we may emit).
_CRD_KEYWORDS = frozenset(
    {
        "type", "format", "description", "properties", "items", "additionalProperties",
        "required", "enum", "default", "minimum", "maximum", "minLength", "maxLength",
        "pattern", "minItems", "maxItems", "minProperties", "maxProperties", "multipleOf",
        "anyOf", "example",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
        "x-kubernetes-embedded-resource", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations",
    }
)
# Keywords that are dropped silently: annotations for humans or for other tools
# (strategic-merge-patch hints and union discriminators are not CRD schema fields).
_DROPPED_KEYWORDS = frozenset(
    {
        "title", "$schema", "$id", "examples",
        "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-unions",
        K8S_DEFINITION,
    }
)

_INT_OR_STRING = {
    "x-kubernetes-int-or-string": True,
    "anyOf": [{"type": "integer"}, {"type": "string"}],
}

# Embedded ObjectMeta (pod template metadata, PVC templates): the subset the API
# server honours there, the same one controller-gen emits.
_EMBEDDED_OBJECT_META = {
    "type": "object",
    "properties": {
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "name": {"type": "string"},
        "namespace": {"type": "string"},
    },
}

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

# Kubernetes definitions replaced wholesale during conversion.
_K8S_OVERRIDES: dict[str, dict[str, Any]] = {
    # oneOf [string, number] in the JSON schema set; the CRD form is int-or-string.
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {**_INT_OR_STRING, "pattern": QUANTITY_PATTERN},
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _INT_OR_STRING,
    _OBJECT_META: _EMBEDDED_OBJECT_META,
}

# Server-side defaults the JSON schema set omits but apiextensions needs: every
# x-kubernetes-list-map-keys entry must be required or defaulted. Values as in the
# Kubernetes OpenAPI spec (and upstream's controller-gen output).
_K8S_DEFAULTS: dict[str, dict[str, Any]] = {
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.LocalObjectReference": {"name": ""},
}


def load_pod_template_definitions() -> tuple[dict[str, Any], dict[str, Any]]:
    """(PodTemplateSpec root schema, $defs) from the kubernetes-validate package data."""
    import importlib.resources
    import json

    base = (
        importlib.resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{K8S_SCHEMA_VERSION}-local"
    )
    try:
        root = json.loads((base / "podtemplatespec-v1.json").read_text(encoding="utf-8"))
        defs = json.loads((base / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
    except FileNotFoundError as exc:  # pragma: no cover - depends on the installed package
        raise RuntimeError(
            f"kubernetes-validate does not ship the v{K8S_SCHEMA_VERSION} schemas "
            f"(kfgen pins kubernetes-validate=={K8S_SCHEMA_VERSION}): {exc}"
        ) from exc
    return root, defs



class Structuralizer:
    """Turns a JSON schema (pydantic's or Kubernetes') into a structural OpenAPI v3 schema.

    Rules applied to every node:
      * ``$ref`` is inlined (sibling keywords such as ``description`` win); a definition
        that refers back to itself is cut to ``type: object`` preserving unknown fields;
      * ``type: [X, "null"]`` -> ``type: X`` and ``anyOf/oneOf [X, null]`` -> ``X``;
      * integer-or-string unions -> ``x-kubernetes-int-or-string: true``;
      * ``const`` -> one-value ``enum``; ``title``, ``None`` defaults and keywords that
        are not CRD schema fields (strategic-merge hints, unions) are dropped;
      * ``additionalProperties: true`` is dropped (alone, it becomes
        ``x-kubernetes-preserve-unknown-fields: true``); ``additionalProperties: false``
        and ``propertyNames`` are kept only in strict mode (not structural, but
        jsonschema understands them). In pydantic's schema ``false`` comes exactly from
        the extra="forbid" models; in strict mode every Kubernetes object with properties
        (the whole pod template, its metadata checked against the full ObjectMeta) gets
        it too, so unknown fields are refused everywhere;
      * an ``object`` with neither properties nor additionalProperties preserves
        unknown fields (otherwise the server would prune all of its content);
      * list-map keys that are neither required nor defaulted get Kubernetes' default
        (see ``_K8S_DEFAULTS``), else the list is downgraded to atomic.
    Kubernetes definitions lose their descriptions (they would triple the CRD size);
    kfgen's own descriptions are kept for ``kubectl explain``.
    """

    def __init__(self, defs: dict[str, Any], *, strict: bool) -> None:
        self.defs = defs
        self.strict = strict

    def convert(self, node: dict[str, Any], stack: tuple[str, ...] = (), k8s: bool = False) -> dict:
        node = dict(node)

        # kfgen models standing for a Kubernetes type are replaced by its definition.
        k8s_name = node.pop(K8S_DEFINITION, None)
        if k8s_name is not None:
            description = node.get("description")
            node = {"$ref": f"#/$defs/{k8s_name}"}
            if description:
                node["description"] = description

        if "$ref" in node:
            return self._inline(node, stack, k8s)

        for union in ("anyOf", "oneOf"):
            if union in node:
                return self._union(node, union, stack, k8s)

        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "type":
                out["type"] = self._type(value)
            elif key == "const":
                out["enum"] = [value]
            elif key == "default":
                if value is not None:
                    out["default"] = copy.deepcopy(value)
            elif key == "description":
                if not k8s:
                    out["description"] = value
            elif key == "properties":
                out["properties"] = {
                    name: self.convert(sub, stack, k8s) for name, sub in value.items()
                }
            elif key == "items":
                out["items"] = self.convert(value, stack, k8s)
            elif key == "additionalProperties":
                if isinstance(value, dict):
                    out["additionalProperties"] = self.convert(value, stack, k8s)
                elif value is False and self.strict:
                    out["additionalProperties"] = False
                elif value is True and "properties" not in node:
                    out["x-kubernetes-preserve-unknown-fields"] = True
            elif key == "propertyNames":
                if self.strict:
                    out["propertyNames"] = copy.deepcopy(value)
            elif key in _CRD_KEYWORDS:
                out[key] = copy.deepcopy(value)
            elif key in _DROPPED_KEYWORDS or key.startswith("x-"):
                continue
            else:
                raise ValueError(f"unsupported JSON schema keyword {key!r} in {stack or 'root'}")

        # Strict (offline validation, never the CRD): Kubernetes' own objects refuse unknown fields too, as the
        # strict per-kind schemas kfgen validates Deployments with do (the JSON schema set leaves them open).
        if self.strict and k8s and out.get("type") == "object" and "properties" in out:
            out.setdefault("additionalProperties", False)
        # An object without properties/additionalProperties would have every field pruned.
        if out.get("type") == "object" and not (
            {"properties", "additionalProperties", "x-kubernetes-preserve-unknown-fields"} & out.keys()
        ):
            out["x-kubernetes-preserve-unknown-fields"] = True
        if out.get("x-kubernetes-list-type") == "map":
            self._check_list_map(out)
        return out

    @staticmethod
    def _type(value: Any) -> str:
        if isinstance(value, list):
            types = [t for t in value if t != "null"]
            if len(types) != 1:
                raise ValueError(f"unsupported multi-type {value!r}")
            return types[0]
        return value

    def _inline(self, node: dict[str, Any], stack: tuple[str, ...], k8s: bool) -> dict:
        name = node["$ref"].rsplit("/", 1)[-1]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        in_k8s = k8s or name.startswith("io.k8s.")
        if name in _K8S_OVERRIDES and not (self.strict and name == _OBJECT_META):
            # (strict: the pod template's metadata is checked against the whole ObjectMeta, unknown fields refused)
            target = copy.deepcopy(_K8S_OVERRIDES[name])
        elif name in stack:
            # Recursive definition (none in PodSpec today, but guard anyway).
            target = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        else:
            definition = self.defs.get(name)
            if definition is None:
                raise KeyError(f"unresolved $ref {node['$ref']!r}")
            target = self.convert(definition, stack + (name,), in_k8s)
            for prop, default in _K8S_DEFAULTS.get(name, {}).items():
                target["properties"][prop].setdefault("default", default)
        if siblings:
            target.update(self.convert(siblings, stack, k8s))
        return target

    def _union(self, node: dict[str, Any], union: str, stack: tuple[str, ...], k8s: bool) -> dict:
        members = [m for m in node[union] if m.get("type") not in ("null", ["null"])]
        rest = {k: v for k, v in node.items() if k != union}
        converted = [self.convert(m, stack, k8s) for m in members]
        types = sorted(m.get("type", "") for m in converted)
        if len(converted) == 1:
            out = converted[0]
        elif types == ["integer", "string"]:
            out = copy.deepcopy(_INT_OR_STRING)
            # Keep string-only constraints (a quantity pattern) at the node level,
            # which is where the int-or-string form allows them.
            for member in converted:
                out.update({k: v for k, v in member.items() if k != "type"})
        else:
            raise ValueError(f"unsupported {union} at {stack or 'root'}: {node[union]!r}")
        if rest:
            out.update(self.convert(rest, stack, k8s))
        return out

    @staticmethod
    def _check_list_map(out: dict[str, Any]) -> None:
        """apiextensions requires list-map keys to be required or defaulted; a list whose
        keys are neither (a future Kubernetes schema) is downgraded to an atomic list
        rather than producing a CRD the API server refuses."""
        items = out.get("items", {})
        required = set(items.get("required", ()))
        props = items.get("properties", {})
        keys = out.get("x-kubernetes-list-map-keys", ())
        if not keys or any(k not in required and "default" not in props.get(k, {}) for k in keys):
            out.pop("x-kubernetes-list-map-keys", None)
            out["x-kubernetes-list-type"] = "atomic"
