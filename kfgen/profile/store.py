"""Profiles on disk: names, listing, partials, and ``extends:`` resolved into one document.

``extends:`` is resolved here: the parent is loaded first and the child deep-merged on top
(mappings merge, everything else is replaced, ``null`` deletes a key, as in Helm values), so later
stages see one merged document whose every path still points at the file and line that set it. A component
instance the child gives another ``prototype`` is replaced whole: the parent's params belong to the other one.

Profile names (command line and ``extends:``) are DNS labels (:data:`DNS_LABEL_PATTERN`, at most
:data:`DNS_LABEL_MAX` characters): a name becomes a label value and a directory name.
``_NAME.yaml`` files are partials: named only in ``extends:``, never listed or rendered on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfgen.errors import KfgenError, Problem, did_you_mean
from kfgen.kube.constants import DNS_LABEL_MAX, DNS_LABEL_PATTERN
from kfgen.profile.yaml import Path_, SourceMap, display, read_yaml

_NAME = re.compile(DNS_LABEL_PATTERN)


@dataclass
class LoadedProfile:
    name: str
    data: dict[str, Any]
    sources: SourceMap
    chain: tuple[str, ...]  # this profile, then the profiles it extends, nearest first
    # the directory the profile was read from: files a profile names (manifests' files:) are relative to it
    profiles_dir: Path | None = None


def is_profile_name(name: str, *, partial: bool = False) -> bool:
    """Whether *name* is a valid profile name; with *partial*, a leading ``_`` is allowed too."""
    if partial and name.startswith("_"):
        name = name[1:]
    return len(name) <= DNS_LABEL_MAX and _NAME.fullmatch(name) is not None  # fullmatch: "$" allows a final "\n"


def _name_problem(name: str, profiles_dir: Path, *, partial: bool) -> dict[str, str | None]:
    """What is wrong with an invalid profile *name*, as ``Problem`` fields."""
    expected = ("a profile name: lowercase letters, digits and '-', starting and ending with a letter or digit, "
                f"at most {DNS_LABEL_MAX} characters" + (" (a leading '_' names a partial)" if partial else ""))
    if len(name) > DNS_LABEL_MAX and _NAME.fullmatch(name[1:] if partial and name.startswith("_") else name):
        message = f"profile name is {len(name)} characters long: at most {DNS_LABEL_MAX} are allowed"
        return {"message": message, "expected": expected, "found": repr(name),
                "hint": "a profile's name becomes a label value and a directory name: shorten the name"}
    message = f"invalid profile name {name!r}"
    known = list_profiles(profiles_dir, partials=partial)
    stem = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem[: -len(".yaml")] if stem.endswith(".yaml") else stem[: -len(".yml")] if stem.endswith(".yml") else stem
    guesses = [stem, stem.lower(), "-".join(stem.lower().replace("_", " ").split())]
    if partial and stem.startswith("_"):
        guesses.append("_" + "-".join(stem[1:].lower().replace("_", " ").split()))
    hint = next((f"did you mean '{g}'?" for g in guesses if g != name and g in known), None)
    if hint is None and ("/" in name or "\\" in name or name.endswith((".yaml", ".yml"))):
        hint = f"give the name of a profile, not a path: profile NAME is read from {display(profiles_dir)}/NAME.yaml"
    elif hint is None and (profiles_dir / f"{name}.yaml").is_file():
        fixed = "-".join(name.lower().replace("_", " ").split()).strip("-")
        hint = f"rename {display(profiles_dir / f'{name}.yaml')}"
        hint += f" to {fixed}.yaml" if is_profile_name(fixed) else ""
    elif hint is None:
        hint = did_you_mean(name, known)
    return {"message": message, "expected": expected, "found": repr(name), "hint": hint}


def profile_path(profiles_dir: Path, name: str) -> Path:
    return profiles_dir / f"{name}.yaml"


def list_profiles(profiles_dir: Path, *, partials: bool = False) -> list[str]:
    """Renderable profiles (``NAME.yaml`` files). Files starting with '_' are partials: they can
    only be extended, and are listed only with *partials*."""
    if not profiles_dir.is_dir():
        return []
    hidden = (".",) if partials else (".", "_")
    return sorted(p.stem for p in profiles_dir.glob("*.yaml") if not p.name.startswith(hidden) and p.is_file())


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
    replaced = set(_replaced_paths(over_data, ()))
    # drop what lies below a list or scalar the child replaced wholesale (a strict prefix is replaced)
    kept = {path: at for path, at in base.locations.items()
            if not any(path[:n] in replaced for n in range(len(path)))}
    kept.update(over.locations)
    return SourceMap(kept, over.default_file)


def _replaced_paths(data: Any, path: Path_) -> list[Path_]:
    if isinstance(data, dict):
        out: list[Path_] = []
        for key, value in data.items():
            out.extend(_replaced_paths(value, path + (key,)))
        return out
    return [path]


# profiles in one extends chain (the profile itself included): deep enough for any real layering,
# shallow enough that no chain can exhaust Python's recursion limit
MAX_EXTENDS_DEPTH = 32


def load_profile(profiles_dir: Path, name: str, *, partial_ok: bool = False) -> LoadedProfile:
    """Load profile *name* and everything it extends into one merged document.

    *name* must be a profile name (a DNS label, see the module's doc): it becomes a label value and
    a directory name. Partials (``_NAME.yaml``) can only be extended: naming one here is refused
    unless *partial_ok* (for callers that check a partial on its own, never to render it).
    """
    check_profile_name(profiles_dir, name, partial_ok=partial_ok)
    return _load(profiles_dir, name, ())


def check_profile_name(profiles_dir: Path, name: str, *, partial_ok: bool = False) -> None:
    """Refuse *name* (as given on the command line) unless it names a profile that can be loaded
    from *profiles_dir*: a valid name, not a partial (unless *partial_ok*), with a file."""
    if not isinstance(name, str):
        raise KfgenError(Problem("a profile name must be a string", found=repr(name)))
    if name.startswith("_") and is_profile_name(name, partial=True):
        if not partial_ok:
            file = display(profile_path(profiles_dir, name))
            raise KfgenError(Problem(f"'{name}' is a partial ({file}): partials can only be extended",
                                     expected="a profile that can be rendered: one of: "
                                              + (", ".join(list_profiles(profiles_dir)) or "(none)"),
                                     found=repr(name),
                                     hint=f"render a profile that has 'extends: {name}', or rename the file "
                                          f"to {name[1:]}.yaml to render it on its own"))
    elif not is_profile_name(name):
        raise KfgenError(Problem(**_name_problem(name, profiles_dir, partial=False)))  # type: ignore[arg-type]
    path = profile_path(profiles_dir, name)
    if not path.is_file():
        known = list_profiles(profiles_dir)
        hint = did_you_mean(name, known)
        if f"_{name}" in list_profiles(profiles_dir, partials=True):
            hint = f"'_{name}' is a partial: it can only be extended"
        expected = "one of: " + (", ".join(known) or f"(no profiles in {display(profiles_dir)})")
        raise KfgenError(Problem(f"unknown profile '{name}': no file {display(path)}",
                                 expected=expected, found=repr(name), hint=hint))


def _load(profiles_dir: Path, name: str, seen: tuple[str, ...]) -> LoadedProfile:
    path = profile_path(profiles_dir, name)
    data, sources = read_yaml(path)
    shown = display(path)
    if data is None:
        raise KfgenError(Problem("profile is empty", file=shown, line=1,
                                 expected="a mapping of settings (key: value)",
                                 found="null" if sources.locations else "no settings (an empty file, or only comments)",
                                 hint="add the profile's settings, e.g. 'namespace: kubeflow' and 'components:'"))
    if not isinstance(data, dict):
        raise KfgenError(Problem("a profile must be a mapping of settings", file=shown, line=1,
                                 expected="mapping (key: value)", found=type(data).__name__))
    parent = data.pop("extends", None)
    if parent is None:
        return LoadedProfile(name, data, sources, (name,), profiles_dir)
    if not isinstance(parent, str):
        raise sources_error(sources, ("extends",), "extends must name one profile",
                            expected="profile name (string)", found=repr(parent))
    if not is_profile_name(parent, partial=True):
        fields = _name_problem(parent, profiles_dir, partial=True)
        raise sources_error(sources, ("extends",), **fields)  # type: ignore[arg-type]
    if len(seen) + 1 >= MAX_EXTENDS_DEPTH:
        raise sources_error(sources, ("extends",), f"extends chain longer than {MAX_EXTENDS_DEPTH} profiles",
                            expected=f"at most {MAX_EXTENDS_DEPTH} profiles from '{seen[0] if seen else name}' "
                                     "to the last one it extends",
                            found=f"{len(seen) + 2} or more", hint="flatten the chain into fewer profiles")
    if parent in seen + (name,):
        cycle = " -> ".join(seen + (name, parent))
        raise sources_error(sources, ("extends",), f"extends cycle: {cycle}",
                            expected="a chain of profiles that ends", found=cycle)
    if not profile_path(profiles_dir, parent).is_file():
        known = [p for p in list_profiles(profiles_dir, partials=True) if p != name]
        raise sources_error(sources, ("extends",), f"profile '{name}' extends '{parent}', which does not exist",
                            expected="one of: " + (", ".join(known) or "(no other profiles)"),
                            found=repr(parent), hint=did_you_mean(parent, known))
    base = _load(profiles_dir, parent, seen + (name,))
    base_data, base_sources = _without_replaced_instances(base.data, base.sources, data)
    merged = deep_merge(base_data, data)
    return LoadedProfile(name, merged, _overlay_sources(base_sources, sources, data), (name,) + base.chain,
                         profiles_dir)


def _without_replaced_instances(base: dict[str, Any], sources: SourceMap, over: dict[str, Any]
                                ) -> tuple[dict[str, Any], SourceMap]:
    """*base* (and its locations) without the component instances *over* gives another prototype: such an
    instance is replaced, not merged, since the parent's params belong to the other prototype (and errors
    about it then point at the child's lines only)."""
    base_components, over_components = base.get("components"), over.get("components")
    if not isinstance(base_components, dict) or not isinstance(over_components, dict):
        return base, sources
    replaced = {n for n, inst in over_components.items()
                if isinstance(inst, dict) and isinstance(inst.get("prototype"), str)
                and isinstance(base_components.get(n), dict)
                and base_components[n].get("prototype") != inst["prototype"]}
    if not replaced:
        return base, sources
    kept = {n: inst for n, inst in base_components.items() if n not in replaced}
    locations = {path: at for path, at in sources.locations.items()
                 if not (len(path) >= 2 and path[0] == "components" and path[1] in replaced)}
    return {**base, "components": kept}, SourceMap(locations, sources.default_file)


def sources_error(sources: SourceMap, path: Path_, message: str, **kw: Any) -> KfgenError:
    return KfgenError(sources.problem(path, message, **kw))
