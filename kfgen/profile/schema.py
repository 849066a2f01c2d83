"""The JSON Schema of profile files (``schemas/profile.schema.json``), from the pydantic models.

Editors read it through the ``# yaml-language-server: $schema=...`` comment of a profile;
``kfgen schemas profile`` writes it and a test keeps the committed file in step with the models.

It is meant to accept exactly what kfgen accepts, and to point at the real mistake:

* A component's params are chosen by per-prototype ``if``/``then`` (not pydantic's discriminated
  ``oneOf``, which validators report as "does not match any of oneOf"), ``prototype`` is an ``enum``
  (a typo lists every prototype), and every property's title is its name as written in a profile.
* A profile with ``extends:`` is deep-merged onto its parent before kfgen validates it (mappings merge,
  ``null`` removes a key, lists and scalars replace), so it is checked against an *override* schema:
  the same schema with nothing required inside mappings and ``null`` allowed as a mapping's value.
  Lists replace wholesale, so their items keep the full schema. The choice is made by a root
  ``if: {extends is a string} then: override else: full`` — the relaxation applies only where kfgen
  applies it, so a profile without ``extends`` is checked as strictly as before. An override instance
  without ``prototype`` (inherited) has its params' *names* checked against every prototype's params;
  their values and what the merged result lacks are left to kfgen (it knows the parent). These known
  differences are listed, with their reasons, in tests/test_profile_schema_tools.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from kfgen.kube.constants import DNS_LABEL_MAX, DNS_LABEL_PATTERN
from kfgen.profile.model import profile_model

PROFILE_SCHEMA = Path("schemas/profile.schema.json")
_REF = "#/$defs/"
_OVERRIDE = "Override"  # suffix of the $defs made for profiles with `extends:`
_EXTENDS = {
    "title": "extends",
    "description": "Profile this one extends (deep merge; the child wins; null removes a key). A leading '_' names "
                   "a partial.",
    "type": "string",
    "pattern": "^_?" + DNS_LABEL_PATTERN.removeprefix("^"),
    # a partial's '_' does not count against the DNS label's length
    "if": {"pattern": "^_"}, "then": {"maxLength": DNS_LABEL_MAX + 1}, "else": {"maxLength": DNS_LABEL_MAX},
}
_HAS_EXTENDS = {"properties": {"extends": {"type": "string"}}, "required": ["extends"]}
_ANNOTATIONS = ("title", "description", "default")


def profile_json_schema() -> str:
    """JSON Schema of profile files, from the pydantic models (see the module's doc for its shape)."""
    model = profile_model().model_json_schema(mode="validation")
    defs: dict[str, Any] = model.pop("$defs")
    components = _components(defs)
    profile = {k: v for k, v in model.items() if k != "title"}
    profile["title"] = "Profile"
    # `extends` is resolved by the loader before validation, so the model never sees it; an `extends: null`
    # is read as no `extends` at all (the profile is then validated as written)
    profile["properties"] = {"extends": {**_EXTENDS, "type": ["string", "null"]}, **profile["properties"]}
    comps = profile["properties"]["components"]
    (pattern,) = comps.pop("patternProperties")
    # instance names are DNS labels: refuse other keys in editors too, not only in kfgen
    comps["patternProperties"] = {pattern: {"$ref": _REF + "Component"}}
    comps["additionalProperties"] = False
    defs["Component"] = components
    defs["Profile"] = profile
    override = _Override(defs)
    defs["Profile" + _OVERRIDE] = override.profile()
    for schema in defs.values():
        _name_titles(schema)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kfgen profile",
        "description": profile.get("description", ""),
        "type": "object",
        # a profile that extends another is checked after kfgen's own rules for a merge (see the module's doc)
        "if": _HAS_EXTENDS,
        "then": {"$ref": _REF + "Profile" + _OVERRIDE},
        "else": {"$ref": _REF + "Profile"},
        "$defs": dict(sorted(defs.items())),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _components(defs: dict[str, Any]) -> dict[str, Any]:
    """One ``Component`` schema: ``prototype`` an enum, params chosen by per-prototype ``if``/``then``.

    Removes pydantic's per-prototype component models from *defs* (their params models stay)."""
    by_prototype: dict[str, str] = {}  # prototype -> its params' $defs name
    shared: dict[str, Any] = {}
    for name in [n for n, d in defs.items() if "const" in d.get("properties", {}).get("prototype", {})]:
        comp = defs.pop(name)
        props = comp["properties"]
        by_prototype[props["prototype"]["const"]] = props["params"]["$ref"].removeprefix(_REF)
        shared = {k: v for k, v in props.items() if k not in ("prototype", "params")}
    names = sorted(by_prototype)
    branches = []
    for proto in names:
        params = by_prototype[proto]
        then: dict[str, Any] = {"properties": {"params": {"$ref": _REF + params}}}
        if defs[params].get("required"):  # kfgen validates the default {} too: missing params are reported
            then["required"] = ["params"]
        branches.append({"if": {"properties": {"prototype": {"const": proto}}, "required": ["prototype"]},
                         "then": then})
    return {
        "title": "component instance",
        "description": "An instance of a prototype: its prototype and params.",
        "type": "object",
        "additionalProperties": False,
        "required": ["prototype"],
        "properties": {
            # an enum only (no "type"): a typo, or null, is one error that lists every prototype
            "prototype": {"title": "prototype", "description": "The prototype this instance renders.", "enum": names},
            "params": {"title": "params", "description": "Parameters of the instance's prototype.",
                       "type": "object"},
            **shared,
        },
        "allOf": branches,
    }


class _Override:
    """The schema of a profile with ``extends:``: what deep-merging it onto a parent lets through.

    Every mapping loses ``required`` and takes ``null`` as a value (it removes the parent's key); lists and
    scalars replace, so they keep the full schema. Made once per ``$defs`` entry (``<Name>Override``)."""

    def __init__(self, defs: dict[str, Any]):
        self.defs = defs
        refs = [b["then"]["properties"]["params"]["$ref"].removeprefix(_REF) for b in defs["Component"]["allOf"]]
        self.params_names = sorted({p for ref in refs for p in defs[ref].get("properties", {})})

    def profile(self) -> dict[str, Any]:
        schema = self.relax(self.defs["Profile"])
        schema["properties"]["extends"] = dict(_EXTENDS)
        schema["required"] = ["extends"]
        return schema

    def component(self) -> dict[str, Any]:
        comp = self.relax({k: v for k, v in self.defs["Component"].items() if k != "allOf"})
        comp["properties"]["prototype"] = self.defs["Component"]["properties"]["prototype"]  # never null
        comp["description"] = ("An instance, or the changes to an inherited one: its prototype may be left out "
                               "(the parent's), params set here are merged onto the parent's, null removes one.")
        allof = []
        for branch in self.defs["Component"]["allOf"]:
            ref = branch["then"]["properties"]["params"]["$ref"]
            params = _nullable(self.relax({"$ref": ref}))  # `params: null` removes every inherited param
            allof.append({"if": branch["if"], "then": {"properties": {"params": params}}})
        # prototype inherited: the params' names are checked against every prototype's, their values by kfgen
        allof.append({"if": {"not": {"required": ["prototype"]}},
                      "then": {"properties": {"params": {"propertyNames": {"enum": self.params_names}}}}})
        comp["allOf"] = allof
        return comp

    def relax(self, schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        out = copy.deepcopy(schema)
        ref = out.get("$ref", "")
        if ref.startswith(_REF) and not ref.endswith(_OVERRIDE):
            name = ref.removeprefix(_REF)
            if name + _OVERRIDE not in self.defs:
                self.defs[name + _OVERRIDE] = {}  # placeholder: recursive models end here
                made = self.component() if name == "Component" else self.relax(self.defs[name])
                self.defs[name + _OVERRIDE] = made
            out["$ref"] = _REF + name + _OVERRIDE
        out.pop("required", None)
        for key in ("properties", "patternProperties"):
            if key in out:
                out[key] = {k: _nullable(self.relax(v)) for k, v in out[key].items()}
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = _nullable(self.relax(out["additionalProperties"]))
        for key in ("anyOf", "oneOf", "allOf"):
            if key in out:
                out[key] = [self.relax(s) for s in out[key]]
        for key in ("then", "else"):
            if key in out:
                out[key] = self.relax(out[key])
        return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """*schema*, or ``null``: a mapping's value that removes the parent's key. ``if``/``else`` rather
    than ``anyOf`` so a wrong value is reported against *schema* itself, not as "not valid under any"."""
    if schema.get("type") == "null" or {"type": "null"} in schema.get("anyOf", ()):
        return schema
    inner = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    return {**{k: schema[k] for k in _ANNOTATIONS if k in schema}, "if": {"type": "null"}, "else": inner}


def _name_titles(schema: dict[str, Any]) -> None:
    """Every property's title is its name as written in a profile (pydantic writes 'Jupyterhubservicetype')."""
    for name, prop in schema.get("properties", {}).items():
        if "title" in prop or "description" in prop:  # a property's schema, not an `if`'s condition
            prop["title"] = name
    for key, value in schema.items():
        if key in ("properties", "patternProperties"):
            for sub in value.values():
                _name_titles(sub)
        elif key in ("items", "additionalProperties", "then", "else", "not") and isinstance(value, dict):
            _name_titles(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            for sub in value:
                _name_titles(sub)
