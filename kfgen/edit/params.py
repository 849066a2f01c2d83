"""ksonnet's verbs on profiles: ``param set``/``unset``/``list`` and ``generate``.

Every edit is made on the round-trip tree of the profile file (:mod:`kfgen.edit.document`), then the
edited text is loaded and validated exactly as ``kfgen render`` would (``extends:`` included) from a
scratch copy of the profiles directory; the file is written only when that succeeds. A value given
on the command line is YAML (``true``, ``3``, ``[a, b]``, ``{cpu: 500m}``) read by the parameter's
type: when the YAML reading does not fit the parameter but the text as a string does, the string is
used, so ``true`` is a boolean for a bool param and the string "true" for a string param.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml.comments import CommentedMap

from kfgen.edit.document import Document, load, node_for, put
from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.output.files import write_file
from kfgen.profile import Profile, check_profile_name, display, load_profile, profile_path, validate_profile
from kfgen.prototypes.base import Params, prototypes


@dataclass(frozen=True)
class Change:
    """What an edit did: the file, and its text before and after."""

    path: Path
    before: str
    after: str


@dataclass(frozen=True)
class ParamRow:
    instance: str
    prototype: str
    key: str
    value: Any  # the effective value (JSON-like), None when unset
    source: str  # 'default', 'this profile' or "profile 'NAME' (extended)"


def parse_value(raw: str) -> Any:
    """A command-line VALUE read as YAML (flow syntax); text that is not valid YAML stays a string."""
    try:
        return pyyaml.safe_load(raw)
    except pyyaml.YAMLError:
        return raw


def param_keys(params: type[Params]) -> list[str]:
    """The keys a profile writes for *params* (aliases where a field has one)."""
    return [info.alias or name for name, info in params.model_fields.items()]


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


def validate_text(profiles_dir: Path, name: str, text: str) -> Profile:
    """Profile *name* as it would be with *text* as its file: loaded (with what it extends) and validated
    by kfgen.profile, from a scratch copy of *profiles_dir*; errors name the real files."""
    with tempfile.TemporaryDirectory(prefix="kfgen-edit-") as scratch:
        tmp = Path(scratch)
        for f in profiles_dir.glob("*.yaml"):
            if f.is_file():
                shutil.copyfile(f, tmp / f.name)
        (tmp / f"{name}.yaml").write_text(text, encoding="utf-8")
        try:
            # files the profile names (e.g. manifests' files:) are read from the real directory
            return validate_profile(dataclasses.replace(load_profile(tmp, name), profiles_dir=profiles_dir))
        except KfgenError as exc:
            raise KfgenError([_renamed(p, tmp, profiles_dir) for p in exc.problems]) from None


def _renamed(problem: Problem, tmp: Path, real: Path) -> Problem:
    shown = display(real)
    spellings = sorted({str(tmp), display(tmp), str(tmp.resolve())}, key=len, reverse=True)

    def fix(text: str | None) -> str | None:
        for s in spellings:
            text = text.replace(s, shown) if text else text
        return text

    return dataclasses.replace(problem, file=fix(problem.file), message=fix(problem.message) or "",
                               expected=fix(problem.expected), found=fix(problem.found), hint=fix(problem.hint))


def _commit(profiles_dir: Path, name: str, doc: Document, text: str) -> Change:
    validate_text(profiles_dir, name, text)
    if text != doc.text:
        write_file(doc.path, text)
    return Change(doc.path, doc.text, text)


def _apply_params(profiles_dir: Path, name: str, doc: Document, instance: str, raws: dict[str, str],
                  edit: Callable[[dict[str, Any]], None]) -> Change:
    """Apply *raws* (key -> VALUE text) through *edit*, choosing per key the YAML reading or the plain
    string (whichever validates); on failure report the errors of the YAML reading."""
    parsed = {k: parse_value(v) for k, v in raws.items()}

    def attempt(values: dict[str, Any]) -> tuple[str, KfgenError | None]:
        edit(values)
        text = doc.dump()
        try:
            validate_text(profiles_dir, name, text)
        except KfgenError as exc:
            return text, exc
        return text, None

    text, error = attempt(parsed)
    if error is not None:
        failing = {k for k in raws for p in error.problems if p.path[:4] == ("components", instance, "params", k)}
        retry = {k: (raws[k] if k in failing and raws[k] != parsed[k] else parsed[k]) for k in raws}
        if retry != parsed:
            text, second = attempt(retry)
            if second is None:
                return _commit(profiles_dir, name, doc, text)
            retried = {k for k in raws if retry[k] != parsed[k]}
            if not any(p.path[:4] == ("components", instance, "params", k) for p in second.problems for k in retried):
                raise second  # the strings fit their params: what is left is about something else
        raise error
    return _commit(profiles_dir, name, doc, text)


def set_params(profiles_dir: Path, name: str, instance: str, raws: dict[str, str]) -> Change:
    """``kfgen param set``: set params of *instance* in profile *name*'s own file (an instance of the
    profile it extends gets an override in this file)."""
    check_profile_name(profiles_dir, name)
    loaded = load_profile(profiles_dir, name)
    path = profile_path(profiles_dir, name)
    proto = _instance(loaded.data, name, instance, display(path))
    _check_keys(proto, list(raws))
    doc = load(path)

    def edit(values: dict[str, Any]) -> None:
        params = doc.mapping("components", instance, "params")
        for key, value in values.items():
            put(params, key, node_for(value))

    return _apply_params(profiles_dir, name, doc, instance, raws, edit)


def generate(profiles_dir: Path, name: str, prototype: str, instance: str, raws: dict[str, str]) -> Change:
    """``kfgen generate``: add *instance* of *prototype* (with *raws* params) to profile *name*."""
    from kfgen.actions import get_prototype

    check_profile_name(profiles_dir, name)
    loaded = load_profile(profiles_dir, name)
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
        entry.fa.set_block_style()
        if values:
            entry["params"] = CommentedMap((k, node_for(v)) for k, v in values.items())
            entry["params"].fa.set_block_style()
        put(comps_node, instance, entry)

    return _apply_params(profiles_dir, name, doc, instance, raws, edit)


def unset_param(profiles_dir: Path, name: str, instance: str, key: str) -> Change:
    """``kfgen param unset``: remove *key* from *instance*'s params in profile *name*'s own file (the
    value then comes from the profile it extends, or the default). Empty ``params:`` go too."""
    check_profile_name(profiles_dir, name)
    loaded = load_profile(profiles_dir, name)
    path = profile_path(profiles_dir, name)
    proto = _instance(loaded.data, name, instance, display(path))
    _check_keys(proto, [key])
    doc = load(path)
    comp = (doc.data.get("components") or {}).get(instance)
    params = comp.get("params") if isinstance(comp, CommentedMap) else None
    if not isinstance(params, CommentedMap) or key not in params:
        where = loaded.sources.locations.get(("components", instance, "params", key))
        if where:
            raise KfgenError(Problem(f"'{key}' of instance '{instance}' is set in {where[0]}, not in "
                                     f"{display(path)}", file=where[0], line=where[1],
                                     hint=f"'kfgen param set {instance} {key} null -p {name}' removes it in "
                                          f"profile '{name}' (the default applies)"))
        raise KfgenError(Problem(f"'{key}' of instance '{instance}' is not set in profile '{name}'",
                                 file=display(path), hint="it has its default value already"))
    # the outermost mapping the removal leaves empty goes as a whole
    chain: list[tuple[CommentedMap, str]] = [(params, key)]
    if len(params) == 1:
        chain.append((comp, "params"))
        if len(comp) == 1:
            chain.append((doc.data["components"], instance))
    parent, victim = chain[-1]
    text = _remove_block(doc.text, parent, victim) if not parent.fa.flow_style() else None
    if text is None:
        del parent[victim]
        text = doc.dump()
    return _commit(profiles_dir, name, doc, text)


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
    and where it comes from."""
    check_profile_name(profiles_dir, name)
    loaded = load_profile(profiles_dir, name)
    path = profile_path(profiles_dir, name)
    if instance is not None:
        _instance(loaded.data, name, instance, display(path))
    profile = validate_profile(loaded)
    files = {display(profile_path(profiles_dir, n)): n for n in loaded.chain}
    rows: list[ParamRow] = []
    for inst, comp in profile.components.items():
        if instance is not None and inst != instance:
            continue
        values = comp.params.model_dump(mode="json", by_alias=True)
        for key in param_keys(type(comp.params)):
            where = loaded.sources.locations.get(("components", inst, "params", key))
            owner = files.get(where[0]) if where else None
            source = ("default" if owner is None else "this profile" if owner == name
                      else f"profile '{owner}' (extended)")
            rows.append(ParamRow(inst, comp.prototype, key, values.get(key), source))
    return rows
