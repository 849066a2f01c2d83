"""What the CLI does, as functions (Helm's pkg/action to its pkg/cmd). No printing, no exiting."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.output.files import Drift, diff_dir, is_kfgen_output, render_files, render_stream
from kfgen.output.lock import locked
from kfgen.output.write import (
    clean_leftovers,
    describe,
    foreign_entries,
    move_aside,
    refuse_foreign,
    remove_dir,
    write_dir,
)
from kfgen.profile import Profile, check_profile_name, list_profiles, load_profile, validate_profile
from kfgen.project import default_out_dir, default_profiles_dir
from kfgen.prototypes.base import Prototype, prototypes
from kfgen.render.pipeline import RenderResult, render_profile


@dataclass
class Workspace:
    """The profiles directory and the output directory; by default those of the project root
    (:mod:`kfgen.project`: the nearest directory upward holding ``profiles/``)."""

    profiles_dir: Path = field(default_factory=default_profiles_dir)
    out_dir: Path = field(default_factory=default_out_dir)

    def profile_names(self) -> list[str]:
        return list_profiles(self.profiles_dir)

    def load(self, name: str) -> Profile:
        return validate_profile(load_profile(self.profiles_dir, name))

    def render(self, name: str) -> tuple[Profile, RenderResult, dict[str, str]]:
        profile = self.load(name)
        result = render_profile(profile)
        return profile, result, render_files(result, profile.namespace)

    def target(self, name: str) -> Path:
        return self.out_dir / name


class WriteError(KfgenError):
    """Writing one profile's output failed; that directory is unchanged, earlier ones were written."""

    def __init__(self, problems: list[Problem], written: list[str]):
        super().__init__(problems)
        self.written = written


@dataclass
class Outcome:
    profile: str
    objects: int
    files: dict[str, str]
    drift: list[Drift]
    warnings: list[str]
    summary: list[str]
    stream: str = ""
    moved_to: Path | None = None  # where --foreign=move put the files kfgen did not write
    kept: list[str] = field(default_factory=list)  # the files kfgen did not write, left in place (--foreign=keep)


def render(ws: Workspace, names: list[str], *, write: bool = True, check: bool = False,
           stream: bool = False, foreign: str = "refuse") -> list[Outcome]:
    """Render every profile in *names* first; write only when all of them rendered cleanly.

    Writes hold the output directory's lock (checks hold it shared), so concurrent runs never
    interleave; each profile's directory is swapped in atomically (:func:`kfgen.output.write.write_dir`).
    Files kfgen did not write in ``out/NAME/`` follow *foreign* (``refuse``: stop, ``keep``, ``move``).
    """
    problems: list[Problem] = []
    rendered: list[tuple[str, RenderResult, dict[str, str]]] = []
    for name in names:
        try:
            _, result, files = ws.render(name)
        except KfgenError as exc:
            problems.extend(exc.problems)
            continue
        rendered.append((name, result, files))
    if problems:
        raise KfgenError(problems)
    writing = write and not check and not stream
    if writing:
        try:
            ws.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError([Problem(f"cannot create {ws.out_dir}: {exc.strerror or exc}")], written=[]) from None
    if writing or (not stream and ws.out_dir.is_dir()):
        guard: Any = locked(ws.out_dir, shared=not writing)
    else:
        guard = contextlib.nullcontext()
    outcomes: list[Outcome] = []
    with guard:
        if writing:
            clean_leftovers(ws.out_dir)
        for name, result, files in rendered:
            target = ws.target(name)
            drift = diff_dir(target, files) if not stream else []
            outcome = Outcome(name, len(result.objects), files, drift, result.warnings, result.summary,
                              render_stream(result) if stream else "")
            if writing and drift:
                try:
                    entries, kfgen_output = foreign_entries(target)
                    if entries and foreign == "keep" and kfgen_output:
                        outcome.kept = describe(target, entries)
                        outcome.drift = drift = [d for d in drift if d.file.split("/")[0] not in entries]
                    if drift:
                        outcome.moved_to = write_dir(target, files, foreign=foreign)
                except KfgenError as exc:
                    done = [o.profile for o in outcomes if o.drift]
                    raise WriteError(exc.problems, written=done) from None
            outcomes.append(outcome)
    return outcomes


def stale_outputs(ws: Workspace, foreign: str | None = None) -> list[Path]:
    """Output directories kfgen wrote for profiles that no longer exist.

    ``profiles/NAME.yaml`` in any form (a dangling symlink, a directory, a FIFO) keeps ``out/NAME/``.
    With *foreign* ``refuse`` a stale directory holding files kfgen did not write is an error (raised
    before anything is written); ``keep`` leaves such directories out; ``move`` and None list them.
    """
    if not ws.out_dir.is_dir():
        return []
    known = set(ws.profile_names())
    try:
        candidates = sorted(ws.out_dir.iterdir())
    except OSError as exc:
        raise KfgenError(Problem(f"cannot read {ws.out_dir}/: {exc.strerror or exc}")) from None
    stale = [d for d in candidates
             if d.is_dir() and not d.is_symlink() and not d.name.startswith(".") and d.name not in known
             and not os.path.lexists(ws.profiles_dir / f"{d.name}.yaml") and is_kfgen_output(d)]
    if foreign in ("refuse", "keep"):
        problems = []
        for d in list(stale):
            entries, _ = foreign_entries(d)
            if entries and foreign == "keep":
                stale.remove(d)
            elif entries:
                problems.extend(refuse_foreign(d, entries, True).problems)
        if problems:
            raise KfgenError(problems)
    return stale


def remove_outputs(dirs: list[Path], foreign: str = "refuse") -> dict[Path, Path | None]:
    """Remove stale output directories, under their parent's lock; each is renamed away in one step
    first, so a kill never leaves half of one. A directory that (meanwhile) holds files kfgen did not
    write is refused, kept, or has them moved aside first (*foreign*). Returns each removed
    directory with where its foreign files went (None when it had none)."""
    removed: dict[Path, Path | None] = {}
    for parent in dict.fromkeys(d.parent for d in dirs):
        with locked(parent):
            for d in (d for d in dirs if d.parent == parent):
                if not is_kfgen_output(d):
                    continue
                entries, _ = foreign_entries(d)
                if entries and foreign == "keep":
                    continue
                if entries and foreign != "move":
                    raise refuse_foreign(d, entries, True)
                try:
                    aside = move_aside(d, entries) if entries else None
                    remove_dir(d)
                except OSError as exc:
                    raise KfgenError(Problem(f"cannot remove stale output {d}/: {exc.strerror or exc}")) from None
                removed[d] = aside
    return removed


def resolve_names(ws: Workspace, profile: list[str] | None, all_: bool) -> list[str]:
    known = ws.profile_names()
    if all_ and profile:
        raise KfgenError(Problem("use either --profile or --all, not both"))
    if all_:
        if not known:
            raise KfgenError(Problem(f"no profiles in {ws.profiles_dir}/", hint="create profiles/<name>.yaml"))
        return known
    if not profile:
        raise KfgenError(Problem("name a profile with --profile NAME, or use --all",
                                 expected="one of: " + (", ".join(known) or "(none)")))
    problems: list[Problem] = []
    for name in dict.fromkeys(profile):  # only profile names reach the file system: no paths, no partials
        try:
            check_profile_name(ws.profiles_dir, name)
        except KfgenError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KfgenError(problems)
    return list(dict.fromkeys(profile))


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
        return f"map[string]{_type_name(prop['additionalProperties'], defs)}"
    return {"string": "string", "integer": "int", "boolean": "bool", "number": "number"}.get(kind, kind)
