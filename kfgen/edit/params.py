"""ksonnet's verbs on profiles: ``param set``/``unset``/``list`` and ``generate``.

Every edit is made on the round-trip tree of the profile file (:mod:`kfgen.edit.document`); the edited
text is then rendered in memory, with every profile that extends the file (:mod:`kfgen.edit.check`), and
the file is written only when the profiles that rendered before still do. A value given on the command
line is read by the param's type (:mod:`kfgen.edit.values`): a string param takes the text as typed,
other params read it as YAML (``true``, ``3``, ``[a, b]``, ``{cpu: 500m}``). Partials (``_NAME.yaml``)
can be edited and listed too: their values are overrides, checked in the profiles that extend them.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python
from ruamel.yaml.comments import CommentedMap

from kfgen.edit.check import affected, check_text, problems_now, validated
from kfgen.edit.document import Document, keep_null_spelling, load, node_for, put
from kfgen.edit.pod_security import add, lowering, needed, note
from kfgen.edit.values import annotation, check_value, param_keys, parse_value, spelling_problem
from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.output.files import write_file
from kfgen.profile import (
    LoadedProfile,
    check_profile_name,
    display,
    load_profile,
    profile_path,
    validate_profile,
)
from kfgen.prototypes.base import prototypes

__all__ = ["Change", "ParamRow", "generate", "list_params", "param_keys", "parse_value", "set_params",
           "unset_param"]


@dataclass(frozen=True)
class Change:
    """What an edit did: the file, and its text before and after."""

    path: Path
    before: str
    after: str
    notes: tuple[str, ...] = ()  # about profiles that (still) do not render, see kfgen.edit.check
    added: tuple[str, ...] = ()  # what the edit added besides what was asked (a podSecurity entry, and why)


@dataclass(frozen=True)
class ParamRow:
    instance: str
    prototype: str
    key: str
    value: Any  # the effective value (JSON-like), None when unset
    source: str  # 'default', 'this profile' or "profile 'NAME' (extended)"


def _check_keys(proto: str, keys: list[str]) -> None:
    known = param_keys(prototypes()[proto].params)
    problems = [Problem(f"prototype '{proto}' has no parameter '{key}'", found=repr(key),
                        expected="one of: " + ", ".join(known), hint=did_you_mean(key, known))
                for key in keys if key not in known]
    if problems:
        raise KfgenError(problems)


def _instance(loaded_data: dict[str, Any], name: str, instance: str, file: str) -> str:
    """The prototype of *instance* in the merged profile, or an error naming the instances there are."""
    comps = loaded_data.get("components") or {}
    if instance not in comps:
        known = sorted(comps)
        raise KfgenError(Problem(f"profile '{name}' has no instance '{instance}'", file=file, found=repr(instance),
                                 expected="one of: " + (", ".join(known) or "(no instances)"),
                                 hint=did_you_mean(instance, known)
                                 or f"add one with 'kfgen generate PROTOTYPE {instance} -p {name}'"))
    comp = comps[instance]
    proto = comp.get("prototype") if isinstance(comp, dict) else None
    if proto not in prototypes():
        raise KfgenError(Problem(f"instance '{instance}' has no known prototype: fix the profile first",
                                 file=file, found=repr(proto), expected="one of: " + ", ".join(prototypes())))
    return str(proto)


def _commit(doc: Document, text: str, notes: list[str], added: list[str] | None = None) -> Change:
    if text != doc.text:
        write_file(doc.path, text)
    return Change(doc.path, doc.text, text, tuple(notes), tuple(added or ()))


# A follow-up edit: given the edited text, edits the document further and returns the paths it wrote and
# what to tell the user about it.
FollowUp = Callable[[str], tuple[list[tuple[str | int, ...]], list[str]]]


def _apply_params(profiles_dir: Path, name: str, doc: Document, instance: str, proto: str, raws: dict[str, str],
                  edit: Callable[[dict[str, Any]], None], follow: FollowUp | None = None) -> Change:
    """Apply *raws* (key -> VALUE text, read by each param's type: :mod:`kfgen.edit.values`) through *edit*,
    then *follow* (in the same edit); write the file only when the profiles it touches still render
    (:mod:`kfgen.edit.check`)."""
    params = prototypes()[proto].params
    edited = [("components", instance, "params", k) for k in raws]
    spelled = [p for (k, v), path in zip(raws.items(), edited, strict=True)
               if (p := spelling_problem(v, annotation(params, k), k, path, display(doc.path))) is not None]
    if spelled:
        raise KfgenError(spelled)
    before = problems_now(profiles_dir, affected(profiles_dir, name))
    values = {k: parse_value(v, annotation(params, k)) for k, v in raws.items()}
    if name.startswith("_"):  # a partial: each value checked on its own (its children check the rest)
        shown = display(doc.path)
        problems = [p for k, v in values.items() if (p := check_value(params, k, v, edited[list(raws).index(k)],
                                                                     shown)) is not None]
        if problems:
            raise KfgenError(problems)
    edit(values)
    text = keep_null_spelling(doc.text, doc.dump())
    added: list[str] = []
    if follow is not None:
        paths, added = follow(text)
        if paths:
            edited.extend(paths)
            text = keep_null_spelling(doc.text, doc.dump())
    notes = check_text(profiles_dir, name, text, before, edited)
    return _commit(doc, text, notes, added)


def _load_for_edit(profiles_dir: Path, name: str, *, partial_ok: bool) -> LoadedProfile:
    from kfgen.project import explain_missing

    try:
        check_profile_name(profiles_dir, name, partial_ok=partial_ok)
    except KfgenError as exc:
        raise KfgenError(explain_missing(exc.problems, profiles_dir, [name])) from None
    return load_profile(profiles_dir, name, partial_ok=partial_ok)



def set_params(profiles_dir: Path, name: str, instance: str, raws: dict[str, str]) -> Change:
    """``kfgen param set``: set params of *instance* in profile *name*'s own file (an instance of the
    profile it extends gets an override in this file). A partial (``_NAME``) can be edited too."""
    loaded = _load_for_edit(profiles_dir, name, partial_ok=True)
    path = profile_path(profiles_dir, name)
    proto = _instance(loaded.data, name, instance, display(path))
    _check_keys(proto, list(raws))
    doc = load(path)

    def edit(values: dict[str, Any]) -> None:
        params = doc.mapping("components", instance, "params")
        for key, value in values.items():
            put(params, key, node_for(value))

    return _apply_params(profiles_dir, name, doc, instance, proto, raws, edit)


def generate(profiles_dir: Path, name: str, prototype: str, instance: str, raws: dict[str, str],
             namespace: str | None = None) -> Change:
    """``kfgen generate``: add *instance* of *prototype* (with *raws* params, in *namespace* when given) to
    profile *name*, with the ``podSecurity`` entry its pods need where the profile has none (a level the
    profile writes is never lowered: :func:`kfgen.edit.pod_security.lowering`)."""
    from kfgen.actions import get_prototype

    if name.startswith("_") and profile_path(profiles_dir, name).is_file():
        children = affected(profiles_dir, name)
        into = (f"generate it into a profile that extends it ({', '.join(children)}): 'kfgen generate {prototype} "
                f"{instance} -p {children[0]}'" if children else "generate it into a profile")
        raise KfgenError(Problem(
            f"'{name}' is a partial: generate adds instances to profiles, not to partials",
            file=display(profile_path(profiles_dir, name)), found=repr(name),
            expected="a profile (a NAME.yaml file without '_')",
            hint=f"{into}; or write it under components: in the partial yourself and set its params with "
                 f"'kfgen param set {instance} KEY VALUE -p {name}' (checked in every profile that extends it)"))
    loaded = _load_for_edit(profiles_dir, name, partial_ok=False)
    path = profile_path(profiles_dir, name)
    proto = get_prototype(prototype)
    comps = loaded.data.get("components") or {}
    if instance in comps:
        where = loaded.sources.locations.get(("components", instance))
        raise KfgenError(Problem(f"profile '{name}' already has an instance '{instance}'", found=repr(instance),
                                 file=where[0] if where else display(path), line=where[1] if where else None,
                                 hint=f"choose another name, or change it with 'kfgen param set {instance} KEY VALUE "
                                      f"-p {name}'"))
    _check_keys(proto.name, list(raws))
    doc = load(path)

    def edit(values: dict[str, Any]) -> None:
        comps_node = doc.mapping("components")
        entry = CommentedMap(prototype=proto.name)
        if namespace is not None:
            entry["namespace"] = node_for(namespace)
        entry.fa.set_block_style()
        if values:
            entry["params"] = CommentedMap((k, node_for(v)) for k, v in values.items())
            entry["params"].fa.set_block_style()
        put(comps_node, instance, entry)

    def pod_security(text: str) -> tuple[list[tuple[str | int, ...]], list[str]]:
        """The podSecurity entries the new instance's pods need (:mod:`kfgen.edit.pod_security`)."""
        try:
            profile = validated(profiles_dir, name, text)
        except KfgenError:  # the profile does not validate: the render check says why
            return [("components", instance)], []
        entries = needed(profile, [instance])
        command = " ".join([f"kfgen generate {proto.name} {instance} -p {name}",
                            *(f"--param {shlex.quote(f'{k}={v}')}" for k, v in raws.items())])
        refused = lowering(entries, profile.pod_security, locate, name, command)
        if refused:
            raise KfgenError(refused)
        add(doc, entries)
        return [("components", instance), *(("podSecurity", e.namespace) for e in entries)], [note(e) for e in entries]

    def locate(namespace: str) -> tuple[str, int | None]:
        """Where the profile (before the edit: its podSecurity is not edited) writes *namespace*'s entry."""
        return loaded.sources.locations.get(("podSecurity", namespace)) or (display(path), None)

    return _apply_params(profiles_dir, name, doc, instance, proto.name, raws, edit, pod_security)


def unset_param(profiles_dir: Path, name: str, instance: str, key: str) -> Change:
    """``kfgen param unset``: remove *key* from *instance*'s params in profile *name*'s own file (the
    value then comes from the profile it extends, or the default). Empty ``params:`` go too. A value set
    only in an extended profile gets ``KEY: null`` here, which removes it in this profile."""
    loaded = _load_for_edit(profiles_dir, name, partial_ok=True)
    path = profile_path(profiles_dir, name)
    proto = _instance(loaded.data, name, instance, display(path))
    _check_keys(proto, [key])
    doc = load(path)
    before = problems_now(profiles_dir, affected(profiles_dir, name))
    edited = [("components", instance, "params", key)]
    comp = (doc.data.get("components") or {}).get(instance)
    params = comp.get("params") if isinstance(comp, CommentedMap) else None
    if not isinstance(params, CommentedMap) or key not in params:
        if loaded.sources.locations.get(("components", instance, "params", key)) is None:
            raise KfgenError(Problem(f"'{key}' of instance '{instance}' is not set in profile '{name}'",
                                     file=display(path), hint="it has its default value already"))
        put(doc.mapping("components", instance, "params"), key, None)  # null removes the inherited value
        text = keep_null_spelling(doc.text, doc.dump(), null_key=key)
        return _commit(doc, text, check_text(profiles_dir, name, text, before, edited))
    # the outermost mapping the removal leaves empty goes as a whole (an empty `components:` too: null, it
    # would remove the instances of the profile this one extends)
    chain: list[tuple[CommentedMap, str]] = [(params, key)]
    if len(params) == 1:
        chain.append((comp, "params"))
        if len(comp) == 1:
            chain.append((doc.data["components"], instance))
            if len(doc.data["components"]) == 1:
                chain.append((doc.data, "components"))
    parent, victim = chain[-1]
    text = _remove_block(doc.text, parent, victim) if not parent.fa.flow_style() else None
    if text is None:
        del parent[victim]
        text = doc.dump()
    return _commit(doc, text, check_text(profiles_dir, name, text, before, edited))


def _remove_block(text: str, mapping: CommentedMap, key: str) -> str | None:
    """*text* without the lines of *key* (and its value) of the block *mapping*; comments and blank
    lines after the value stay (they introduce what follows). None when the lines cannot be told."""
    try:
        line, col = mapping.lc.key(key)
    except (AttributeError, KeyError, TypeError):
        return None
    lines = text.splitlines(keepends=True)
    end = line + 1
    probe = end
    while probe < len(lines):
        stripped = lines[probe].strip()
        indent = len(lines[probe]) - len(lines[probe].lstrip(" "))
        if stripped and not stripped.startswith("#"):
            if indent <= col:
                break
            end = probe + 1  # part of the value (blank or comment lines between included)
        probe += 1
    return "".join(lines[:line] + lines[end:])


def list_params(profiles_dir: Path, name: str, instance: str | None = None) -> list[ParamRow]:
    """``kfgen param list``: every param of every instance (or of *instance*): its effective value
    and where it comes from. For a partial: the values it gives (and the defaults), unvalidated."""
    loaded = _load_for_edit(profiles_dir, name, partial_ok=True)
    path = profile_path(profiles_dir, name)
    if instance is not None:
        _instance(loaded.data, name, instance, display(path))
    files = {display(profile_path(profiles_dir, n)): n for n in loaded.chain}
    rows: list[ParamRow] = []
    for inst, proto, values in _instance_values(loaded, name, instance):
        for key in param_keys(prototypes()[proto].params):
            where = loaded.sources.locations.get(("components", inst, "params", key))
            owner = files.get(where[0]) if where else None
            source = ("default" if owner is None else "this profile" if owner == name
                      else f"profile '{owner}' (extended)")
            rows.append(ParamRow(inst, proto, key, values.get(key), source))
    return rows


def _instance_values(loaded: LoadedProfile, name: str, only: str | None) -> list[tuple[str, str, dict[str, Any]]]:
    """(instance, prototype, effective params as JSON) of each instance (or of *only*)."""
    if not name.startswith("_"):
        profile = validate_profile(loaded)
        return [(inst, comp.prototype, comp.params.model_dump(mode="json", by_alias=True))
                for inst, comp in profile.components.items() if only is None or inst == only]
    out = []
    for inst, comp in (loaded.data.get("components") or {}).items():
        proto = comp.get("prototype") if isinstance(comp, dict) else None
        if (only is not None and inst != only) or proto not in prototypes():
            continue
        given = comp.get("params") if isinstance(comp.get("params"), dict) else {}
        defaults = {info.alias or field: to_jsonable_python(info.get_default(call_default_factory=True),
                                                            by_alias=True, fallback=str)
                    for field, info in prototypes()[proto].params.model_fields.items()}
        out.append((inst, proto, {**defaults, **given}))
    return out
