"""Stage 1: read profile files into plain data, keeping where every value came from.

A profile is YAML. We compose the node tree with libyaml (PyYAML's CSafeLoader) and build plain
Python values from it ourselves, recording the file and line of every mapping key and sequence item
in a :class:`SourceMap` keyed by the value's path. Building refuses what a profile has no use for
and YAML would read surprisingly: keys that are not strings (``on:`` is a boolean in YAML 1.1),
duplicate keys, tags (``!custom``, ``!!python/...``), recursive aliases, nesting deeper than
:data:`MAX_DEPTH`, and aliases that expand into more than :data:`MAX_ALIAS_VALUES` values. Merge
keys (``<<: *anchor``) work as YAML specifies: explicit keys win, then the first merged mapping.

``extends:`` is resolved here: the parent is loaded first and the child deep-merged on top
(mappings merge, everything else is replaced, ``null`` deletes a key, as in Helm values), so later
stages see one merged document whose every path still points at the file and line that set it.

Profile names (command line and ``extends:``) are DNS labels of at most 63 characters: a name
becomes a label value and a directory name. ``_NAME.yaml`` files are partials: named only in
``extends:``, never listed or rendered on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kfgen.errors import KfgenError, Problem, did_you_mean

Path_ = tuple[str | int, ...]
MAX_DEPTH = 100  # nesting levels of mappings and lists; profiles need about 10
MAX_ALIAS_VALUES = 200_000  # values built by expanding aliases (*name): stops "billion laughs" documents


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's pure-Python loader (used when libyaml is missing) with :class:`_Builder`'s cap on
    nesting, applied while composing: the composer recurses, so a deep document would otherwise
    end in RecursionError. (libyaml caps nesting at 1000 itself; the builder applies MAX_DEPTH.)"""

    _depth = 0  # of the node being composed; the root is 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= MAX_DEPTH and self.check_event(yaml.CollectionStartEvent):
            raise _TooDeep(self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


_CLoader = getattr(yaml, "CSafeLoader", None)
_Loader = _CLoader or _SafeLoader  # libyaml's parser: same nodes, ~3x faster
_TOO_DEEP = f"nested too deeply: more than {MAX_DEPTH} levels"


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


NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
MAX_NAME_LENGTH = 63  # a profile's name becomes a label value and a directory name
_NAME = re.compile(NAME_PATTERN)


def is_profile_name(name: str, *, partial: bool = False) -> bool:
    """Whether *name* is a valid profile name; with *partial*, a leading ``_`` is allowed too."""
    if partial and name.startswith("_"):
        name = name[1:]
    return len(name) <= MAX_NAME_LENGTH and _NAME.fullmatch(name) is not None  # fullmatch: "$" allows a final "\n"


def _name_problem(name: str, profiles_dir: Path, *, partial: bool) -> dict[str, str | None]:
    """What is wrong with an invalid profile *name*, as ``Problem`` fields."""
    expected = ("a profile name: lowercase letters, digits and '-', starting and ending with a letter or digit, "
                f"at most {MAX_NAME_LENGTH} characters" + (" (a leading '_' names a partial)" if partial else ""))
    if len(name) > MAX_NAME_LENGTH and _NAME.fullmatch(name[1:] if partial and name.startswith("_") else name):
        message = f"profile name is {len(name)} characters long: at most {MAX_NAME_LENGTH} are allowed"
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
        hint = f"rename {display(profiles_dir / f'{name}.yaml')}" + (f" to {fixed}.yaml" if is_profile_name(fixed) else "")
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


def display(path: Path | str) -> str:
    """*path* relative to the working directory when it is below it (how errors name files)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data plus the line of every key and item.

    An empty document (no content, only comments) reads as ``None``, as ``null`` does. Every
    problem with the file (not UTF-8, YAML syntax, unsupported tags, keys that are not strings,
    duplicate keys, recursive or exploding aliases, nesting deeper than :data:`MAX_DEPTH`) is a
    :class:`KfgenError` naming the file and line.
    """
    shown = display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KfgenError(Problem(f"cannot read file: {exc.strerror or exc}", file=shown)) from None
    text = _decode(raw, shown)
    sources = SourceMap(default_file=shown)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise KfgenError(_syntax_problem(exc, text, shown)) from None
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        before = text.encode("utf-8")[: exc.position] if _Loader is _CLoader else text[: exc.position].encode()  # bytes / characters
        line = before.count(b"\n") + 1
        raise KfgenError(Problem(f"YAML does not allow the character #x{exc.character:04x} ({exc.reason})",
                                 file=shown, line=line, found=f"character #x{exc.character:04x} on line {line}",
                                 hint="remove the character, or write it as an escape in a double-quoted string, e.g. \"\\x01\"")) from None
    except yaml.YAMLError as exc:
        raise KfgenError(Problem(f"invalid YAML: {exc}", file=shown)) from None
    except _TooDeep as exc:
        raise KfgenError(Problem(_TOO_DEEP, file=shown, line=exc.mark.line + 1, hint="flatten the structure",
                                 expected=f"at most {MAX_DEPTH} levels of mappings and lists")) from None
    except RecursionError:  # not expected with _TooDeep; never a traceback all the same
        raise KfgenError(Problem(_TOO_DEEP, file=shown, hint="flatten the structure")) from None
    if node is None:
        return None, sources
    try:
        data = _Builder(shown, sources).build(node, ())
    except RecursionError:  # not expected below MAX_DEPTH; never a traceback all the same
        raise KfgenError(Problem(_TOO_DEEP, file=shown, hint="flatten the structure")) from None
    return data, sources


def _decode(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        raise KfgenError(Problem("file is not UTF-8 text", file=shown, line=line, expected="UTF-8 text",
                                 found="UTF-16 text (byte-order mark)" if utf16 else
                                 f"byte 0x{raw[exc.start]:02x} at line {line}, column {column}, which is not valid UTF-8",
                                 hint="save the file with UTF-8 encoding")) from None


_HINTS = (  # (words in libyaml's message, hint)
    ("single document", "a profile is one YAML document: remove the '---' line and what follows, or merge the documents"),
    ("undefined alias", "define the anchor (&name) before the alias (*name) that uses it"),
    ("found duplicate anchor", "give each anchor (&name) a different name"),
)
_TAB_HINT = "YAML forbids tabs for indentation: indent with spaces"


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, shown: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    what = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    hint = next((h for words, h in _HINTS if words in what or words in (exc.context or "")), None)
    if hint is None and mark is not None:
        lines = text.splitlines()
        source_line = lines[mark.line] if mark.line < len(lines) else ""
        indent = source_line[: len(source_line) - len(source_line.lstrip(" \t"))]
        at = source_line[mark.column: mark.column + 1]
        if "tab" in what or "\t" in what or "\t" in indent or at == "\t":
            hint = _TAB_HINT
    if hint is None:
        hint = "check indentation and that every 'key: value' pair has a space after ':'"
    return Problem(f"YAML syntax error: {what}{context}", file=shown, line=line, hint=hint)


_YAML = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _YAML + "str", _YAML + "map", _YAML + "seq", _YAML + "merge"
_SCALARS = {_YAML + t: f for t, f in (("null", "null"), ("bool", "boolean"), ("int", "integer"),
                                       ("float", "number"), ("timestamp", "date"))}
_CTOR = yaml.constructor.SafeConstructor()


def _tag(tag: str) -> str:
    return "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Builder:
    """Plain Python values from a composed node tree, recording the line of every key and item.

    Mapping keys must be strings. Merge keys (``<<: *anchor``, ``<<: [*a, *b]``) follow the YAML
    merge-key spec: explicit keys override merged ones, and among merged mappings the first that
    has a key wins; only explicit keys can be duplicates. A merged key's line is where the
    anchor's key is written.
    """

    def __init__(self, file: str, sources: SourceMap) -> None:
        self.file = file
        self.locations = sources.locations
        self.built: set[int] = set()   # ids of nodes built at least once
        self.active: set[int] = set()  # ids of the collections being built (an alias to one is a cycle)
        self.expanded = 0              # values built again, through aliases
        self.expansion: Path_ | None = None  # path of the alias being expanded (outermost)
        self.entries: dict[int, list[tuple[str, yaml.Node, yaml.Node]]] = {}

    def fail(self, node: yaml.Node, path: Path_, message: str, **kw: Any) -> KfgenError:
        return KfgenError(Problem(message, file=self.file, line=node.start_mark.line + 1, path=path, **kw))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        locations = self.locations
        if path not in locations:
            locations[path] = (self.file, node.start_mark.line + 1)
        nid = id(node)
        outermost = False
        if nid in self.built:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_VALUES:
                raise self.alias_bomb(self.expansion or path)
            if self.expansion is None:
                self.expansion, outermost = path, True
        else:
            self.built.add(nid)
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self.scalar(node, path)
        if len(path) >= MAX_DEPTH:
            raise self.fail(node, path[:4], _TOO_DEEP,
                            expected=f"at most {MAX_DEPTH} levels of mappings and lists", hint="flatten the structure")
        if nid in self.active:
            raise self.fail(node, path, "recursive alias: a value contains itself",
                            expected="an alias (*name) outside the value its anchor (&name) marks",
                            hint="an alias cannot refer to a mapping or list that contains it")
        self.active.add(nid)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.unsupported_tag(node, path)
            out: dict[str, Any] = {}
            for key, key_node, value_node in self.mapping_entries(node, path):
                sub = path + (key,)
                locations[sub] = (self.file, key_node.start_mark.line + 1)
                if isinstance(value_node, yaml.ScalarNode) and value_node.tag == _STR and id(value_node) not in self.built:
                    self.built.add(id(value_node))  # the common case, inline
                    out[key] = value_node.value
                else:
                    out[key] = self.build(value_node, sub)
        else:
            if node.tag != _SEQ:
                raise self.unsupported_tag(node, path)
            build = self.build
            out = [build(item, path + (i,)) for i, item in enumerate(node.value)]  # type: ignore[assignment]
        self.active.discard(nid)
        if outermost:
            self.expansion = None
        return out

    def alias_bomb(self, path: Path_) -> KfgenError:
        """Too many values built through aliases, reported at the key holding the alias."""
        at = next((path[:n] for n in range(len(path), 0, -1) if isinstance(path[n - 1], str)), path)
        file, line = self.locations.get(at, (self.file, None))
        return KfgenError(Problem(f"aliases expand into more than {MAX_ALIAS_VALUES:,} values", file=file, line=line,
                                  path=path, expected="a document of reasonable size once aliases (*name) are expanded",
                                  found=f"more than {MAX_ALIAS_VALUES:,} values built through aliases",
                                  hint="every alias is a full copy of its anchor: use fewer aliases, or write the values out"))

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        kind = _SCALARS.get(node.tag)
        if kind is None:
            raise self.unsupported_tag(node, path)
        try:
            return _CTOR.yaml_constructors[node.tag](_CTOR, node)
        except Exception as exc:  # noqa: BLE001 - e.g. an impossible date (2024-02-30): the constructor's own error
            reason = str(exc).split("\n")[0] or type(exc).__name__
            article = "an" if kind[0] in "aeiou" else "a"
            raise self.fail(node, path, f"cannot read {_short(node.value)!r} as {article} {kind}: {reason}",
                            expected=f"a valid {kind}" + (" (or a quoted string)" if node.style is None else ""),
                            found=repr(_short(node.value)),
                            hint=f"quote it to keep it as text: {_quoted(node.value)}" if node.style is None else None) from None

    def unsupported_tag(self, node: yaml.Node, path: Path_) -> KfgenError:
        tag = _tag(node.tag)
        what = {yaml.ScalarNode: "value", yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}[type(node)]
        return self.fail(node, path, f"unsupported YAML tag {tag} on a {what}",
                         expected="plain YAML: strings, numbers, booleans, null, mappings and lists",
                         found=f"{tag} {_short(node.value)}" if isinstance(node, yaml.ScalarNode) else tag,
                         hint="remove the tag (quote the value if it should be a string)")

    def key(self, node: yaml.Node, path: Path_) -> str:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return node.value
            sub = path + (node.value,)
            value = self.scalar(node, sub)  # refuses unknown tags and unreadable values first
            kind = _SCALARS[node.tag]
            read_as = {"null": "null", "boolean": f"boolean {str(value).lower()}"}.get(kind, f"{kind} {value}")
            if node.value == "":
                return_found, hint = "an empty key (read as null)", "write a name before the ':'"
            else:
                return_found = f"key {_short(node.value)} (read as {read_as})"
                hint = f"quote the key: {_quoted(node.value)}"
            raise self.fail(node, sub, "mapping keys must be strings",
                            expected="a string key", found=return_found, hint=hint)
        what = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        raise self.fail(node, path, "mapping keys must be strings", expected="a string key",
                        found=f"{what} used as a key", hint="use a plain name as the key")

    def mapping_entries(self, node: yaml.MappingNode, path: Path_) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """(key, key node, value node) of a mapping, merge keys resolved (memoized: merges of
        merges of the same anchors stay linear)."""
        cached = self.entries.get(id(node))
        if cached is not None:
            return cached
        explicit: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        items: list[tuple[str | None, yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE and isinstance(key_node, yaml.ScalarNode):
                items.append((None, key_node, value_node))
                continue
            key = self.key(key_node, path)
            if key in explicit:
                first = explicit[key][0].start_mark.line + 1
                raise self.fail(key_node, path + (key,), f"duplicate key '{key}' (first set on line {first})",
                                hint=f"a key can appear once in a mapping: remove one of the two, or merge them "
                                     f"(the first is on line {first})")
            explicit[key] = (key_node, value_node)
            items.append((key, key_node, value_node))
        if len(items) == len(explicit):  # no merge keys
            result = items
        else:  # each key where it first appears (a merge key's entries in its place); explicit values win
            merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
            for key, key_node, value_node in items:
                if key is not None:
                    merged[key] = (key_node, value_node)
                    continue
                for source in self.merge_sources(key_node, value_node, path):
                    self.active.add(id(source))
                    for mkey, mkey_node, mvalue_node in self.mapping_entries(source, path):
                        if mkey not in merged:
                            merged[mkey] = explicit.get(mkey) or (mkey_node, mvalue_node)
                    self.active.discard(id(source))
            result = [(k, kn, vn) for k, (kn, vn) in merged.items()]
        self.entries[id(node)] = result  # type: ignore[assignment]
        return result  # type: ignore[return-value]

    def merge_sources(self, key_node: yaml.Node, value: yaml.Node, path: Path_) -> list[yaml.MappingNode]:
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, yaml.MappingNode) or source.tag != _MAP:
                found = ("a list" if isinstance(source, yaml.SequenceNode) else
                         f"{_tag(source.tag)} mapping" if isinstance(source, yaml.MappingNode) else f"the value {_short(source.value)}")
                raise self.fail(key_node, path + ("<<",), "a merge key (<<) takes a mapping or a list of mappings",
                                expected="<<: *anchor or <<: [*anchor1, *anchor2], each anchor marking a mapping",
                                found=found)
            if id(source) in self.active:
                raise self.fail(key_node, path + ("<<",), "recursive alias: a mapping merges itself",
                                expected="<<: *anchor outside the mapping the anchor (&name) marks",
                                hint="a merge key cannot refer to a mapping that contains it")
        return sources  # type: ignore[return-value]


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


def load_profile(profiles_dir: Path, name: str, *, partial_ok: bool = False) -> LoadedProfile:
    """Load profile *name* and everything it extends into one merged document.

    *name* must be a profile name (:data:`NAME_PATTERN`, at most 63 characters): it becomes a label
    value and a directory name. Partials (``_NAME.yaml``) can only be extended: naming one here is
    refused unless *partial_ok* (for callers that check a partial on its own, never to render it).
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
        raise KfgenError(Problem(f"unknown profile '{name}': no file {display(path)}",
                                 expected="one of: " + (", ".join(known) or f"(no profiles in {display(profiles_dir)})"),
                                 found=repr(name), hint=hint))


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
        return LoadedProfile(name, data, sources, (name,))
    if not isinstance(parent, str):
        raise sources_error(sources, ("extends",), "extends must name one profile",
                            expected="profile name (string)", found=repr(parent))
    if not is_profile_name(parent, partial=True):
        fields = _name_problem(parent, profiles_dir, partial=True)
        raise sources_error(sources, ("extends",), **fields)  # type: ignore[arg-type]
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
    merged = deep_merge(base.data, data)
    return LoadedProfile(name, merged, _overlay_sources(base.sources, sources, data), (name,) + base.chain)


def sources_error(sources: SourceMap, path: Path_, message: str, **kw: Any) -> KfgenError:
    return KfgenError(sources.problem(path, message, **kw))
