"""Stage 1: read profile files into plain data, keeping where every value came from.

A profile is YAML. We compose the node tree with PyYAML's safe loader and build plain Python values
from it ourselves, recording the file and line of every mapping key and sequence item in a
:class:`SourceMap` keyed by the value's path. ``extends:`` is resolved here: the parent is loaded
first and the child deep-merged on top (mappings merge, everything else is replaced, ``null``
deletes a key, as in Helm values), so later stages see one merged document whose every path still
points at the file and line that set it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import KfgenError, Problem, did_you_mean

Path_ = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: same nodes, ~3x faster


@dataclass
class SourceMap:
    """Path of a value in the merged profile -> (file, line) that set it."""

    locations: dict[Path_, tuple[str, int]] = field(default_factory=dict)
    default_file: str = ""

    def locate(self, path: Path_) -> tuple[str, int | None]:
        """The location of *path*, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            hit = self.locations.get(tuple(path[:n]))
            if hit:
                return hit
        return self.default_file, None

    def problem(self, path: Path_, message: str, **kw: Any) -> Problem:
        file, line = self.locate(path)
        return Problem(message, file=file, line=line, path=tuple(path), **kw)


@dataclass
class LoadedProfile:
    name: str
    data: dict[str, Any]
    sources: SourceMap
    chain: tuple[str, ...]  # this profile, then the profiles it extends, nearest first


def profile_path(profiles_dir: Path, name: str) -> Path:
    return profiles_dir / f"{name}.yaml"


def list_profiles(profiles_dir: Path) -> list[str]:
    """Renderable profiles. Files starting with '_' are partials: they can only be extended."""
    if not profiles_dir.is_dir():
        return []
    return sorted(p.stem for p in profiles_dir.glob("*.yaml") if not p.name.startswith((".", "_")))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data plus the line of every key and item."""
    shown = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KfgenError(Problem(f"cannot read file: {exc.strerror}", file=shown)) from None
    sources = SourceMap(default_file=shown)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise KfgenError(
            Problem(f"YAML syntax error: {what}{context}", file=shown, line=line,
                    hint="check indentation and that every 'key: value' pair has a space after ':'")
        ) from None
    if node is None:
        return {}, sources
    constructor = yaml.SafeLoader("")
    data = _build(node, (), constructor, sources, shown)
    return data, sources


def _build(node: yaml.Node, path: Path_, ctor: yaml.SafeLoader, sources: SourceMap, file: str) -> Any:
    sources.locations.setdefault(path, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        ctor.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, bool)) or isinstance(key, bool):
                key = str(key)
            if key in out:
                raise KfgenError(Problem(f"duplicate key '{key}'", file=file,
                                         line=key_node.start_mark.line + 1, path=path + (key,)))
            sources.locations[path + (key,)] = (file, key_node.start_mark.line + 1)
            out[key] = _build(value_node, path + (key,), ctor, sources, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), ctor, sources, file) for i, item in enumerate(node.value)]
    return ctor.construct_object(node, deep=True)


def deep_merge(base: Any, over: Any) -> Any:
    """Child-wins merge: mappings merge key by key, ``None`` deletes, anything else replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = value
        return merged
    return over


def _overlay_sources(base: SourceMap, over: SourceMap, over_data: Any) -> SourceMap:
    """Locations after merging: the child's win for every path the child sets."""
    merged = SourceMap(dict(base.locations), over.default_file)
    replaced = _replaced_paths(over_data, ())
    for path in list(merged.locations):
        if any(path[: len(r)] == r and len(path) > len(r) for r in replaced):
            del merged.locations[path]  # a list or scalar the child replaced wholesale
    merged.locations.update(over.locations)
    return merged


def _replaced_paths(data: Any, path: Path_) -> list[Path_]:
    if isinstance(data, dict):
        out: list[Path_] = []
        for key, value in data.items():
            out.extend(_replaced_paths(value, path + (key,)))
        return out
    return [path]


def load_profile(profiles_dir: Path, name: str) -> LoadedProfile:
    """Load profile *name* and everything it extends into one merged document."""
    return _load(profiles_dir, name, ())


def _load(profiles_dir: Path, name: str, seen: tuple[str, ...]) -> LoadedProfile:
    path = profile_path(profiles_dir, name)
    if not path.is_file():
        known = list_profiles(profiles_dir)
        raise KfgenError(Problem(f"unknown profile '{name}': no file {_display(path)}",
                                 expected="one of: " + (", ".join(known) or f"(no profiles in {_display(profiles_dir)})"),
                                 found=repr(name), hint=did_you_mean(name, known)))
    data, sources = read_yaml(path)
    shown = _display(path)
    if not isinstance(data, dict):
        raise KfgenError(Problem("a profile must be a mapping of settings", file=shown, line=1,
                                 expected="mapping (key: value)", found=type(data).__name__))
    parent = data.pop("extends", None)
    if parent is None:
        return LoadedProfile(name, data, sources, (name,))
    if not isinstance(parent, str):
        raise sources_error(sources, ("extends",), "extends must name one profile",
                            expected="profile name (string)", found=repr(parent))
    if parent in seen + (name,):
        cycle = " -> ".join(seen + (name, parent))
        raise sources_error(sources, ("extends",), f"extends cycle: {cycle}",
                            expected="a chain of profiles that ends", found=cycle)
    if not profile_path(profiles_dir, parent).is_file():
        known = [p for p in list_profiles(profiles_dir) if p != name]
        raise sources_error(sources, ("extends",), f"profile '{name}' extends '{parent}', which does not exist",
                            expected="one of: " + (", ".join(known) or "(no other profiles)"),
                            found=repr(parent), hint=did_you_mean(parent, known))
    base = _load(profiles_dir, parent, seen + (name,))
    merged = deep_merge(base.data, data)
    return LoadedProfile(name, merged, _overlay_sources(base.sources, sources, data), (name,) + base.chain)


def sources_error(sources: SourceMap, path: Path_, message: str, **kw: Any) -> KfgenError:
    return KfgenError(sources.problem(path, message, **kw))
