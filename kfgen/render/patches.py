"""Patches on component instances: the way to set a field kfgen has no param for.

Every component instance accepts ``patches:``, applied to the objects it rendered (after kfgen's labels,
before the collision check), each patch one of:

* ``merge:`` a strategic-merge-style patch (kustomize's ``patchesStrategicMerge``, with these rules):
  mappings merge key by key; ``null`` deletes the key; a list of mappings that all carry the list's merge key
  (``name``; ``mountPath`` for ``volumeMounts``) - containers, env, volumes, ports, volumeMounts … - is merged
  item by item on that key (an item of the patch merges into the item with the same key, new items are
  appended in the patch's order, ``$patch: delete`` beside the key removes the item); every other list
  (args, command, tolerations …) and every scalar is replaced.
* ``jsonPatch:`` a JSON Patch (RFC 6902): a list of ``add``, ``remove``, ``replace``, ``move``, ``copy`` and
  ``test`` operations on JSON pointers (RFC 6901, ``~0`` = ``~``, ``~1`` = ``/``, ``-`` = after the last item).

``target`` picks the objects: ``kind`` and ``name``, optionally ``apiVersion`` and ``namespace``. A target that
matches none of the instance's objects, an operation that cannot apply (a missing path, a failed ``test``),
and a patched object that is not valid against its strict schema are errors at the patch's line in the
profile. Patches are pure data transformations: no I/O.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kfgen.errors import KfgenError, Problem, object_ref
from kfgen.prototypes.params.spec import (
    AdminRoleBindingsOptIn,
    ExternalExposureOptIn,
    RbacWildcardsOptIn,
    SecretValuesOptIn,
)
from kfgen.render.safety import OPT_INS, allowed, findings

Json = dict[str, Any]
_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

#: The merge key of lists of mappings, by the list's field name; every other list of mappings merges on "name".
MERGE_KEYS = {"volumeMounts": "mountPath"}
POINTER = r"^(/([^~]|~[01])*)*$"


class PatchTarget(BaseModel):
    """Which of the instance's objects a patch applies to."""

    model_config = _CONFIG

    kind: str = Field(min_length=1, description="Kind of the objects, e.g. TFJob or Deployment.")
    name: str = Field(min_length=1, description="metadata.name of the object.")
    apiVersion: str | None = Field(None, min_length=1, description="apiVersion, when the kind is ambiguous.")
    namespace: str | None = Field(None, min_length=1, description="metadata.namespace, when names repeat.")

    def matches(self, obj: Json) -> bool:
        meta = obj.get("metadata", {})
        return (obj.get("kind") == self.kind and meta.get("name") == self.name
                and self.apiVersion in (None, obj.get("apiVersion"))
                and self.namespace in (None, meta.get("namespace")))

    def describe(self) -> str:
        out = f"{self.kind} {self.name}"
        if self.namespace:
            out = f"{self.kind} {self.namespace}/{self.name}"
        return out + (f" ({self.apiVersion})" if self.apiVersion else "")


class JsonPatchOp(BaseModel):
    """One RFC 6902 operation."""

    model_config = _CONFIG

    op: Literal["add", "remove", "replace", "move", "copy", "test"] = Field(description="The operation.")
    path: str = Field(pattern=POINTER, description="JSON pointer of the value operated on, e.g. /spec/replicas.")
    value: Any = Field(None, description="The value (add, replace, test).")
    from_: str | None = Field(None, alias="from", pattern=POINTER, description="Source pointer (move, copy).")

    @model_validator(mode="after")
    def _operands(self) -> JsonPatchOp:
        if self.op in ("add", "replace", "test") and "value" not in self.model_fields_set:
            raise ValueError(f"op {self.op} needs a value")
        if self.op in ("move", "copy") and self.from_ is None:
            raise ValueError(f"op {self.op} needs from")
        return self


class Patch(BaseModel):
    """A patch on the instance's objects: merge (strategic-merge style) or jsonPatch (RFC 6902)."""

    model_config = _CONFIG

    target: PatchTarget = Field(description="The object to patch: kind and name (apiVersion, namespace optional).")
    merge: dict[str, Any] | None = Field(
        None, description="Strategic-merge-style patch: mappings merge, null deletes, lists of named items merge by "
                          "name (volumeMounts by mountPath), other lists are replaced.")
    jsonPatch: list[JsonPatchOp] | None = Field(None, description="JSON Patch (RFC 6902) operations, in order.")
    # the opt-ins cover this patch's change only
    allowSecretValues: SecretValuesOptIn = False
    allowRbacWildcards: RbacWildcardsOptIn = False
    allowAdminRoleBindings: AdminRoleBindingsOptIn = False
    allowExternalExposure: ExternalExposureOptIn = False

    @property
    def opt_ins(self) -> tuple[str, ...]:
        """The :mod:`kfgen.render.safety` rules this patch opts out of."""
        return tuple(rule for rule, name in OPT_INS.items() if getattr(self, name))

    @model_validator(mode="after")
    def _one(self) -> Patch:
        if (self.merge is None) == (self.jsonPatch is None):
            raise ValueError("give exactly one of merge, jsonPatch")
        return self


# --- strategic-merge style ---------------------------------------------------------------------------


def merge(base: Any, patch: Any, field: str = "") -> Any:
    """*patch* merged into *base* (neither is changed) by the rules in the module's doc."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value, key)
            else:
                out[key] = _strip_directives(copy.deepcopy(value))
        return out
    if isinstance(base, list) and isinstance(patch, list):
        key = MERGE_KEYS.get(field, "name")
        if base and patch and all(isinstance(i, dict) and key in i for i in base + patch):
            return _merge_list(base, patch, key, field)
    return _strip_directives(copy.deepcopy(patch))


def _merge_list(base: list[Json], patch: list[Json], key: str, field: str) -> list[Json]:
    out = list(base)
    for item in patch:
        at = next((i for i, b in enumerate(out) if b[key] == item[key]), None)
        if item.get("$patch") == "delete":
            if at is not None:
                del out[at]
        elif at is None:
            out.append(_strip_directives(copy.deepcopy(item)))
        else:
            out[at] = merge(out[at], item, field)
    return out


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if k != "$patch"}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


# --- JSON Patch (RFC 6902) ---------------------------------------------------------------------------


class PatchFailed(ValueError):
    """An operation that cannot apply (its message says why)."""


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, pointer: str, *, append: bool = False) -> int:
    if append and token == "-":
        return len(container)
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        raise PatchFailed(f"{pointer}: {token!r} is not an array index")
    index = int(token)
    if index > len(container) - (0 if append else 1):
        raise PatchFailed(f"{pointer}: index {index} is out of range (the array has {len(container)} items)")
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    node = doc
    for i, token in enumerate(tokens[:-1]):
        node = _child(node, token, "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[:i + 1]))
    return node, tokens[-1]


def _child(node: Any, token: str, pointer: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise PatchFailed(f"{pointer}: no such member")
        return node[token]
    if isinstance(node, list):
        return node[_index(node, token, pointer)]
    raise PatchFailed(f"{pointer}: the value above it is neither an object nor an array")


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        node = _child(node, token, pointer)
    return node


def _add(doc: Any, pointer: str, value: Any) -> Any:
    if pointer == "":
        return value
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, pointer, append=True), value)
    else:
        raise PatchFailed(f"{pointer}: the value above it is neither an object nor an array")
    return doc


def _remove(doc: Any, pointer: str) -> Any:
    if pointer == "":
        raise PatchFailed("the whole object cannot be removed")
    parent, token = _parent(doc, pointer)
    if isinstance(parent, dict):
        if token not in parent:
            raise PatchFailed(f"{pointer}: no such member")
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(parent, token, pointer))
    raise PatchFailed(f"{pointer}: the value above it is neither an object nor an array")


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON has it: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def apply_json_patch(doc: Any, ops: list[JsonPatchOp]) -> Any:
    """*doc* with *ops* applied, all or nothing (*doc* is not changed); :class:`PatchFailed` names the op."""
    out = copy.deepcopy(doc)
    for i, op in enumerate(ops):
        try:
            if op.op == "add":
                out = _add(out, op.path, copy.deepcopy(op.value))
            elif op.op == "remove":
                _remove(out, op.path)
            elif op.op == "replace":
                _get(out, op.path)  # must exist
                out = _replace(out, op.path, copy.deepcopy(op.value))
            elif op.op == "move":
                src = op.from_ or ""
                if op.path != src and op.path.startswith(src + "/"):
                    raise PatchFailed(f"cannot move {src} into its own child {op.path}")
                value = _get(out, src) if src == "" else _remove(out, src)
                out = _add(out, op.path, value)
            elif op.op == "copy":
                out = _add(out, op.path, copy.deepcopy(_get(out, op.from_ or "")))
            elif not _json_equal(_get(out, op.path), op.value):
                raise PatchFailed(f"test failed: {op.path} is {_get(out, op.path)!r}, not {op.value!r}")
        except PatchFailed as exc:
            raise PatchFailed(f"operation {i} ({op.op}): {exc}") from None
    return out


def _replace(doc: Any, pointer: str, value: Any) -> Any:
    if pointer == "":
        return value
    parent, token = _parent(doc, pointer)
    if isinstance(parent, list):
        parent[_index(parent, token, pointer)] = value
    else:
        parent[token] = value
    return doc


# --- the pipeline step ---------------------------------------------------------------------------------


def apply_patches(objects: list[Json], patches: list[Patch], *, kubernetes_version: str,
                  where: Any) -> list[Json]:
    """*objects* with *patches* applied in order (new objects; the given ones are not changed).

    *where(i, extra_path)* turns a problem with patch *i* into a :class:`Problem` (the profile's file, line
    and path). Every patched object is validated strictly (:mod:`kfgen.validate.objects`) after its patch, and
    what the patch makes wrong by :mod:`kfgen.render.safety` (a Secret's values, an RBAC wildcard, a binding to
    cluster-admin, a Service newly reachable from outside the cluster, a container without image or resources)
    is an error at the patch, unless the patch opts in (allowSecretValues, allowRbacWildcards,
    allowAdminRoleBindings, allowExternalExposure). A finding the object had before the patch is not the
    patch's: e.g. a Service a prototype exposes through its own opt-in param.
    """
    from kfgen.validate.objects import validate_objects

    out = list(objects)
    problems: list[Problem] = []
    for i, patch in enumerate(patches):
        hits = [n for n, obj in enumerate(out) if patch.target.matches(obj)]
        if not hits:
            rendered = ", ".join(object_ref(o) for o in out) or "nothing"
            problems.append(where(i, ("target",), f"patch {i} targets {patch.target.describe()}, which this "
                                  "instance does not render", expected=f"one of: {rendered}",
                                  found=patch.target.describe()))
            continue
        for n in hits:
            try:
                patched = (merge(out[n], patch.merge) if patch.merge is not None
                           else apply_json_patch(out[n], patch.jsonPatch or []))
            except PatchFailed as exc:
                problems.append(where(i, ("jsonPatch",), f"patch {i} on {object_ref(out[n])}: {exc}"))
                continue
            if not isinstance(patched, dict):
                problems.append(where(i, (), f"patch {i} turns {object_ref(out[n])} into a {type(patched).__name__}",
                                      expected="a Kubernetes object (a mapping)"))
                continue
            invalid = validate_objects([patched], kubernetes_version)
            problems.extend(where(i, (), f"patch {i} makes {object_ref(out[n])} invalid: "
                                  f"{p.pointer + ': ' if p.pointer else ''}{p.message}",
                                  expected=p.expected, found=p.found, hint=p.hint) for p in invalid)
            if not invalid:
                problems.extend(_unsafe(i, patch, out[n], patched, where))
            out[n] = patched
    if problems:
        raise KfgenError(problems)
    return out


def _unsafe(i: int, patch: Patch, before: Json, after: Json, where: Any) -> list[Problem]:
    """What patch *i* makes wrong (:func:`kfgen.render.safety.findings` of *after* that *before* has not, minus
    what the patch opts in to), as problems at the patch."""
    had = {(f.rule, f.pointer, f.message) for f in findings(before)}
    return [where(i, (), f"patch {i}: {f.message}", pointer=f.pointer, expected=f.expected, found=f.found,
                  hint=f.hint)
            for f in allowed(findings(after), patch.opt_ins) if (f.rule, f.pointer, f.message) not in had]
