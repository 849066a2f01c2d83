"""Read one YAML file into plain data, keeping the file and line every value came from.

We compose the node tree with libyaml (PyYAML's CSafeLoader) and build plain Python values from it
ourselves, recording the file and line of every mapping key and sequence item in a
:class:`SourceMap` keyed by the value's path. Building refuses what a profile has no use for and
YAML would read surprisingly: keys that are not strings (``on:`` is a boolean in YAML 1.1),
duplicate keys, tags (``!custom``, ``!!python/...``), recursive aliases, nesting deeper than
:data:`MAX_DEPTH`, and aliases that expand into more than :data:`MAX_ALIAS_VALUES` values. Merge
keys (``<<: *anchor``) work as YAML specifies: explicit keys win, then the first merged mapping.

(Over 400 lines: the reader and its guards are one job; the fast path for plain profiles is in
yaml_fast.py.)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kfgen.errors import KfgenError, Problem
from kfgen.profile.yaml_fast import read_plain

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


class _FastCLoader(_CLoader or _SafeLoader):  # type: ignore[misc, valid-type]
    """libyaml's loader with the implicit tag of each distinct plain scalar resolved once per file
    (PyYAML's resolver tries its regular expressions on every scalar; profiles repeat values)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._resolved: dict[tuple[str, bool, bool], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, *implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while: composing a node tree allocates tens of thousands
    of objects (none in a cycle), and the collections they trigger took over half of the reading time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def display(path: Path | str) -> str:
    """*path* relative to the working directory when it is below it (how errors name files)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # not below the cwd; a symlink loop; an unreadable cwd
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
    with gc_paused():
        return _parse(text, shown, sources)


def _parse(text: str, shown: str, sources: SourceMap) -> tuple[Any, SourceMap]:
    plain = read_plain(text, shown)  # the plain subset most profiles are written in, read fast; else None
    if plain is not None:
        sources.locations = plain[1]
        return plain[0], sources
    try:
        node = yaml.compose(text, Loader=_FastCLoader if _Loader is _CLoader else _Loader)
    except yaml.MarkedYAMLError as exc:
        raise KfgenError(_syntax_problem(exc, text, shown)) from None
    except yaml.reader.ReaderError as exc:  # a control character: no mark, a position
        # libyaml counts bytes, PyYAML's reader characters
        before = text.encode("utf-8")[: exc.position] if _Loader is _CLoader else text[: exc.position].encode()
        line = before.count(b"\n") + 1
        raise KfgenError(Problem(f"YAML does not allow the character #x{exc.character:04x} ({exc.reason})",
                                 file=shown, line=line, found=f"character #x{exc.character:04x} on line {line}",
                                 hint="remove the character, or write it as an escape in a double-quoted string, "
                                      "e.g. \"\\x01\"")) from None
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
                                 f"byte 0x{raw[exc.start]:02x} at line {line}, column {column}, "
                                 "which is not valid UTF-8",
                                 hint="save the file with UTF-8 encoding")) from None


_HINTS = (  # (words in libyaml's message, hint)
    ("single document",
     "a profile is one YAML document: remove the '---' line and what follows, or merge the documents"),
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
_ScalarNode, _MappingNode = yaml.ScalarNode, yaml.MappingNode
_MISSING = object()


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
        # (tag, text) -> value of non-string scalars read so far: all immutable (None, bool, int, float, date)
        self.scalars: dict[tuple[str, str], Any] = {}

    def fail(self, node: yaml.Node, path: Path_, message: str, **kw: Any) -> KfgenError:
        return KfgenError(Problem(message, file=self.file, line=node.start_mark.line + 1, path=path, **kw))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        locations = self.locations
        if path not in locations:
            locations[path] = (self.file, node.start_mark.line + 1)
        nid = id(node)
        built = self.built
        outermost = False
        if nid in built:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_VALUES:
                raise self.alias_bomb(self.expansion or path)
            if self.expansion is None:
                self.expansion, outermost = path, True
        else:
            built.add(nid)
        cls = type(node)
        if cls is _ScalarNode:
            return node.value if node.tag == _STR else self.scalar(node, path)
        if len(path) >= MAX_DEPTH:
            raise self.fail(node, path[:4], _TOO_DEEP,
                            expected=f"at most {MAX_DEPTH} levels of mappings and lists", hint="flatten the structure")
        if nid in self.active:
            raise self.fail(node, path, "recursive alias: a value contains itself",
                            expected="an alias (*name) outside the value its anchor (&name) marks",
                            hint="an alias cannot refer to a mapping or list that contains it")
        self.active.add(nid)
        file, build, scalar = self.file, self.build, self.scalar
        if cls is _MappingNode:
            if node.tag != _MAP:
                raise self.unsupported_tag(node, path)
            out: dict[str, Any] = {}
            for key, key_node, value_node in self.mapping_entries(node, path):
                sub = path + (key,)
                locations[sub] = (file, key_node.start_mark.line + 1)
                if type(value_node) is _ScalarNode and id(value_node) not in built:  # the common case, inline
                    built.add(id(value_node))
                    out[key] = value_node.value if value_node.tag == _STR else scalar(value_node, sub)
                else:
                    out[key] = build(value_node, sub)
        else:
            if node.tag != _SEQ:
                raise self.unsupported_tag(node, path)
            out = []  # type: ignore[assignment]
            append = out.append  # type: ignore[attr-defined]
            for i, item in enumerate(node.value):
                sub = path + (i,)
                if type(item) is _ScalarNode and id(item) not in built:  # the common case, inline
                    if sub not in locations:
                        locations[sub] = (file, item.start_mark.line + 1)
                    built.add(id(item))
                    append(item.value if item.tag == _STR else scalar(item, sub))
                else:
                    append(build(item, sub))
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
                                  hint="every alias is a full copy of its anchor: use fewer aliases, "
                                       "or write the values out"))

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        cache_key = (node.tag, node.value)
        hit = self.scalars.get(cache_key, _MISSING)
        if hit is not _MISSING:
            return hit
        kind = _SCALARS.get(node.tag)
        if kind is None:
            raise self.unsupported_tag(node, path)
        try:
            value = self.scalars[cache_key] = _CTOR.yaml_constructors[node.tag](_CTOR, node)
            return value
        except Exception as exc:  # noqa: BLE001 - e.g. an impossible date (2024-02-30): the constructor's own error
            reason = str(exc).split("\n")[0] or type(exc).__name__
            article = "an" if kind[0] in "aeiou" else "a"
            raise self.fail(node, path, f"cannot read {_short(node.value)!r} as {article} {kind}: {reason}",
                            expected=f"a valid {kind}" + (" (or a quoted string)" if node.style is None else ""),
                            found=repr(_short(node.value)),
                            hint=f"quote it to keep it as text: {_quoted(node.value)}" if node.style is None else None,
                            ) from None

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
        pairs = node.value
        keys = [k.value for k, _ in pairs if k.tag == _STR and type(k) is _ScalarNode]
        if len(keys) == len(pairs) and len(set(keys)) == len(keys):  # the common case: plain, unique keys
            result = [(key, k, v) for key, (k, v) in zip(keys, pairs, strict=True)]
            self.entries[id(node)] = result  # type: ignore[assignment]
            return result  # type: ignore[return-value]
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
                         f"{_tag(source.tag)} mapping" if isinstance(source, yaml.MappingNode) else
                         f"the value {_short(source.value)}")
                raise self.fail(key_node, path + ("<<",), "a merge key (<<) takes a mapping or a list of mappings",
                                expected="<<: *anchor or <<: [*anchor1, *anchor2], each anchor marking a mapping",
                                found=found)
            if id(source) in self.active:
                raise self.fail(key_node, path + ("<<",), "recursive alias: a mapping merges itself",
                                expected="<<: *anchor outside the mapping the anchor (&name) marks",
                                hint="a merge key cannot refer to a mapping that contains it")
        return sources  # type: ignore[return-value]
