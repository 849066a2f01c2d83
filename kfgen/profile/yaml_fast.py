"""A fast path for :func:`kfgen.profile.yaml.read_yaml`: the plain subset of YAML most profiles are written in,
read line by line without composing a node tree (composing with libyaml and building values from the tree
cost about 0.13 s for a profile of 1,000 instances; this reads it in a fraction of that).

The subset: printable ASCII; block mappings whose keys are plain words (``name``, ``nvidia.com/gpu``) that
read as strings; block sequences (``- item``, ``- key: value``); values that are plain scalars on one line,
single- or double-quoted strings without escapes, or flow collections (``[a, b]``, ``{cpu: 1, memory: 2Gi}``)
on one line; comments and blank lines. Scalars are resolved and constructed by PyYAML's own resolver and
constructor, as the builder does.

:func:`read_plain` answers ``None`` for anything else (anchors, aliases, tags, block scalars, multi-line
scalars, document markers, duplicate keys, a value that cannot be read, tabs, non-ASCII text ...), and the
caller then reads the text the full way: every error, and every document outside the subset, is read
exactly as before. Inside the subset the result (values and the line of every key and item) is the same
as the full reader's (tests/test_loader.py compares them on every profile the tests use).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
Location = tuple[str, int]

_YAML = "tag:yaml.org,2002:"
_STR = _YAML + "str"
_CONSTRUCTED = frozenset(_YAML + t for t in ("null", "bool", "int", "float", "timestamp"))
_CTOR = yaml.constructor.SafeConstructor()
_resolve = yaml.resolver.Resolver().resolve

_OUTSIDE = re.compile(r"[^\x20-\x7e\n]")  # anything but printable ASCII and newlines: the full reader
# a key: a plain word, then ':' and a space or the end of the line
_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +|$)")
# a plain scalar in block context, up to a comment: no indicator first, no ': ' or ' #' inside, no ':' last
_PLAIN = re.compile(r"(?:[A-Za-z0-9_./~$(+=<^;\\]|-(?=[^ ]))(?:[^:#]|:(?=[^ ])|(?<! )#)*?(?<!:)(?= *$| +#)")
# in flow context: no ',[]{}' either
_FLOW_PLAIN = re.compile(r"(?:[A-Za-z0-9_./~$(+=<^;\\]|-(?=[^ ,\]}]))(?:[^:#,\[\]{}]|:(?=[^ ,\]}])|(?<! )#)*")
# _PLAIN's first character: one of these, or '-' before a character that is not a space. A text without ':' and '#'
# that starts so is a plain scalar up to its trailing spaces (nothing inside it can end the match earlier).
_PLAIN_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./~$(+=<^;\\")
_PLAIN_DASH = frozenset("-" + c for c in map(chr, range(0x21, 0x7f)))  # '-' and a printable character, not ' '
_DQ = re.compile(r'"([^"\\]*)"')
_SQ = re.compile(r"'((?:[^']|'')*)'")
_MARKER = re.compile(r"^(?:---|\.\.\.|%)", re.MULTILINE)  # a line starting a document marker or a directive
_REST = re.compile(r" *$| +#")  # what may follow a value on its line
_FLOW_SEP = re.compile(r" *(,) *| *([\]}])")
_MAX_DEPTH = 90  # below the full reader's MAX_DEPTH: deeper documents take the full path


class _Outside(Exception):
    """The text leaves the subset: read it the full way."""


def read_plain(text: str, file: str) -> tuple[Any, dict[Path_, Location]] | None:
    """(data, locations) of *text* when it is in the subset (see the module's doc), else None."""
    if _OUTSIDE.search(text) is not None or _MARKER.search(text) is not None:
        return None
    # (line number, indent, content) of the lines with content
    lines = [(number, len(raw) - len(content), content.rstrip(" ")) for number, raw in enumerate(text.split("\n"), 1)
             if (content := raw.lstrip(" ")) and content[0] != "#"]
    if not lines or lines[0][1] != 0:
        return None
    reader = _Reader(lines, file)
    reader.locations[()] = (file, lines[0][0])
    try:
        data, end = reader.block(0, 0, ())
    except (_Outside, RecursionError):
        return None
    if end != len(lines) or not isinstance(data, (dict, list)):
        return None
    return data, reader.locations


class _Reader:
    def __init__(self, lines: list[tuple[int, int, str]], file: str) -> None:
        self.lines = lines
        self.file = file
        self.locations: dict[Path_, Location] = {}
        # lines repeat across a profile's instances: what each distinct text read as, once
        self.keys: dict[str, tuple[str, str]] = {}  # "key: rest" -> (key, rest)
        # a value's text -> (value, the relative paths of a collection's keys and items (None for a scalar),
        # its depth); a collection is copied for each use, so nothing is shared between two places
        self.values: dict[str, tuple[Any, tuple[Path_, ...] | None, int]] = {}
        self.flow_paths: list[Path_] = []

    def block(self, i: int, indent: int, path: Path_) -> tuple[Any, int]:
        """The block collection whose first line is *i*, at *indent*: (value, first line after it)."""
        if len(path) > _MAX_DEPTH:
            raise _Outside
        content = self.lines[i][2]
        if content == "-" or content.startswith("- "):
            return self.sequence(i, indent, path)
        return self.mapping(i, indent, path, content)

    def key(self, content: str) -> tuple[str, str]:
        """(key, the rest of the line) of a line ``key: ...`` whose key reads as a string."""
        match = _KEY.match(content)
        if match is None or _resolve(yaml.ScalarNode, match.group(1), (True, False)) != _STR:
            raise _Outside
        found = self.keys[content] = (match.group(1), content[match.end():])
        return found

    def mapping(self, i: int, indent: int, path: Path_, content: str) -> tuple[dict[str, Any], int]:
        """The block mapping whose first key is *content* (line *i*; a sequence item's mapping starts after
        its ``- ``) and whose keys sit at *indent*."""
        lines, n, locations, file = self.lines, len(self.lines), self.locations, self.file
        keys, values = self.keys, self.values
        out: dict[str, Any] = {}
        number = lines[i][0]
        while True:
            key, rest = keys.get(content) or self.key(content)
            if key in out:
                raise _Outside
            sub = path + (key,)
            at = locations[sub] = (file, number)
            if not rest or rest[0] == "#":
                nxt = lines[i + 1] if i + 1 < n else None
                if nxt is not None and (nxt[1] > indent or (nxt[1] == indent and (nxt[2] == "-" or
                                                                                  nxt[2].startswith("- ")))):
                    out[key], i = self.block(i + 1, nxt[1], sub)
                else:
                    out[key] = None
                    i += 1
            else:
                hit = values.get(rest)
                if hit is not None and hit[1] is None:  # a scalar read before
                    out[key] = hit[0]
                else:
                    out[key] = self.inline(rest, sub, at, hit)
                i += 1
            if i >= n:
                return out, i
            number, ind, content = lines[i]
            if ind < indent:
                return out, i
            if ind > indent or content == "-" or content.startswith("- "):
                raise _Outside

    def sequence(self, i: int, indent: int, path: Path_) -> tuple[list[Any], int]:
        lines, n, locations, file = self.lines, len(self.lines), self.locations, self.file
        out: list[Any] = []
        while True:
            number, _, content = lines[i]
            item = content[1:].lstrip(" ")
            if not item or item.startswith(("-", "?")):
                raise _Outside
            sub = path + (len(out),)
            at = locations[sub] = (file, number)
            if item in self.keys or _KEY.match(item) is not None:  # "- key: value": a mapping from this line
                value, i = self.mapping(i, indent + len(content) - len(item), sub, item)
                out.append(value)
            else:
                out.append(self.inline(item, sub, at, self.values.get(item)))
                i += 1
            if i >= n:
                return out, i
            _, ind, content = lines[i]
            if ind < indent or (ind == indent and not (content == "-" or content.startswith("- "))):
                return out, i
            if ind > indent:
                raise _Outside

    def inline(self, text: str, path: Path_, at: Location,
               hit: tuple[Any, tuple[Path_, ...] | None, int] | None) -> Any:
        """A value written on one line after ``key: `` or ``- `` (*hit*: what the same text read as before)."""
        if hit is None:
            hit = self.values[text] = self.parse_inline(text)
        value, paths, depth = hit
        if paths is not None:  # a collection
            if len(path) + depth > _MAX_DEPTH:
                raise _Outside
            locations = self.locations
            for rel in paths:
                locations[path + rel] = at
            return _copy(value)
        return value

    def parse_inline(self, text: str) -> tuple[Any, tuple[Path_, ...] | None, int]:
        first = text[0]
        if first in "[{":
            self.flow_paths = []
            value, end = self.flow(text, 0, ())
            paths = tuple(self.flow_paths)
        elif first == '"' or first == "'":
            value, end = self.quoted(text, 0)
            paths = None
        elif ":" not in text and "#" not in text and (first in _PLAIN_FIRST or text[:2] in _PLAIN_DASH):
            return self.plain(text.rstrip(" ")), None, 0  # what _PLAIN matches then, without its ~70 ns a character
        else:
            match = _PLAIN.match(text)
            if match is None:
                raise _Outside
            return self.plain(match.group().rstrip(" ")), None, 0
        if _REST.match(text, end) is None:
            raise _Outside
        return value, paths, max(map(len, paths or ()), default=0)

    def quoted(self, text: str, pos: int) -> tuple[str, int]:
        if text[pos] == '"':
            match = _DQ.match(text, pos)
            if match is None:
                raise _Outside
            return match.group(1), match.end()
        match = _SQ.match(text, pos)
        if match is None:
            raise _Outside
        return match.group(1).replace("''", "'"), match.end()

    def plain(self, text: str) -> Any:
        tag = _resolve(yaml.ScalarNode, text, (True, False))
        if tag == _STR:
            return text
        if tag not in _CONSTRUCTED:
            raise _Outside
        try:
            return _CTOR.yaml_constructors[tag](_CTOR, yaml.ScalarNode(tag, text))
        except Exception:  # noqa: BLE001 - the full reader words it
            raise _Outside from None

    def flow(self, text: str, pos: int, path: Path_) -> tuple[Any, int]:
        """A flow collection starting at *pos* (``[`` or ``{``) on one line: (value, end position); the
        paths of its keys and items, relative to the value's, go to :attr:`flow_paths`."""
        if len(path) > _MAX_DEPTH:
            raise _Outside
        closing = "]" if text[pos] == "[" else "}"
        out: Any = [] if closing == "]" else {}
        pos += 1
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if text.startswith(closing, pos):
            return out, pos + 1
        paths = self.flow_paths
        while True:
            if closing == "}":
                match = _KEY.match(text, pos)
                if match is None or not match.group().endswith(" "):
                    raise _Outside
                key = match.group(1)
                if key in out or _resolve(yaml.ScalarNode, key, (True, False)) != _STR:
                    raise _Outside
                sub = path + (key,)
                paths.append(sub)
                out[key], pos = self.flow_item(text, match.end(), sub)
            else:
                sub = path + (len(out),)
                paths.append(sub)
                value, pos = self.flow_item(text, pos, sub)
                out.append(value)
            sep = _FLOW_SEP.match(text, pos)
            if sep is None:
                raise _Outside
            pos = sep.end()
            if sep.group(2) is not None:
                if sep.group(2) != closing:
                    raise _Outside
                return out, pos
            if pos >= len(text) or text[pos] in ",]}":  # a trailing or doubled comma: the full reader
                raise _Outside

    def flow_item(self, text: str, pos: int, path: Path_) -> tuple[Any, int]:
        if pos >= len(text):
            raise _Outside
        first = text[pos]
        if first in "[{":
            return self.flow(text, pos, path)
        if first == '"' or first == "'":
            return self.quoted(text, pos)
        match = _FLOW_PLAIN.match(text, pos)
        if match is None:
            raise _Outside
        stripped = match.group().rstrip(" ")
        if not stripped:
            raise _Outside
        return self.plain(stripped), pos + len(stripped)


def _copy(value: Any) -> Any:
    """A copy of a value read from a flow collection: new dicts and lists all the way down."""
    if type(value) is dict:
        return {k: _copy(v) if type(v) in _COLLECTIONS else v for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) if type(v) in _COLLECTIONS else v for v in value]
    return value


_COLLECTIONS = frozenset({dict, list})  # what _copy copies (a scalar is returned as it is, without a call)
