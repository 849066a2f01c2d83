"""One profile file as a round-trip YAML document: edits keep its comments, key order and formatting.

ruamel.yaml loads the file into commented mappings and sequences and dumps them back. It does not
record the indentation of a file, so :func:`load` tries the usual layouts and keeps the one that
dumps the unchanged document back byte for byte (or, failing that, with the fewest changed lines):
an edit then changes only the lines it is about.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from kfgen.errors import KfgenError, Problem
from kfgen.profile import display

# (mapping indent, sequence indent, sequence dash offset): "- " under the key, indented, or 4-wide
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (2, 3, 1))


@dataclass
class Document:
    """A profile file's text and its round-trip YAML tree (``data``, a mapping), ready to edit and dump."""

    path: Path
    text: str
    data: CommentedMap
    _yaml: YAML

    def dump(self) -> str:
        return _dump(self._yaml, self.data)

    @property
    def indent(self) -> int:
        """How far the file indents a mapping's entries under their key."""
        return int(self._yaml.map_indent or 2)

    def mapping(self, *keys: str) -> CommentedMap:
        """The mapping at ``data[k0][k1]...``, created (in block style) where missing or null."""
        node = self.data
        for key in keys:
            child = node.get(key)
            if not isinstance(child, CommentedMap):
                if child is not None:
                    raise KfgenError(Problem(f"cannot edit {'.'.join(keys)}: '{key}' is not a mapping",
                                             file=display(self.path), found=type(child).__name__))
                child = CommentedMap()
                node[key] = child
            if not child:
                child.fa.set_block_style()
            node = child
        return node


def _yaml(layout: tuple[int, int, int]) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines
    y.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return y


def _dump(y: YAML, data: Any) -> str:
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def load(path: Path) -> Document:
    """Read *path* for editing (a :class:`KfgenError` when it cannot be read or is not a mapping)."""
    shown = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KfgenError(Problem(f"cannot read file: {getattr(exc, 'strerror', None) or exc}", file=shown)) from None
    best: tuple[int, YAML, Any] | None = None
    for layout in _LAYOUTS:
        y = _yaml(layout)
        try:
            data = y.load(text)
        except YAMLError as exc:
            raise KfgenError(Problem(f"invalid YAML: {exc}", file=shown,
                                     hint="fix the file first: 'kfgen render -p NAME' shows where")) from None
        if not isinstance(data, CommentedMap):
            if data is None:  # an empty profile: start from an empty mapping
                data = CommentedMap()
            else:
                raise KfgenError(Problem("a profile must be a mapping of settings", file=shown,
                                         expected="mapping (key: value)", found=type(data).__name__))
        dumped = _dump(y, data) if data else ""
        changed = sum(1 for op in difflib.ndiff(text.splitlines(), dumped.splitlines()) if op[:1] in "+-")
        if best is None or changed < best[0]:
            best = (changed, y, data)
        if changed == 0:
            break
    assert best is not None
    return Document(path, text, best[2], best[1])


def node_for(value: Any) -> Any:
    """*value* as a round-trip node: strings that would read as another type double-quoted, lists and
    mappings of scalars in flow style (``[a, b]``, ``{cpu: 500m}``), nested ones in block style."""
    if isinstance(value, str):
        try:
            plain = pyyaml.safe_load(value) == value and "\n" not in value
        except pyyaml.YAMLError:
            plain = False
        return value if plain and value.strip() == value and value else DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        node = CommentedMap((k, node_for(v)) for k, v in value.items())
        _flow_if_flat(node, value.values())
        return node
    if isinstance(value, list):
        seq = CommentedSeq(node_for(v) for v in value)
        _flow_if_flat(seq, value)
        return seq
    return value


def _flow_if_flat(node: CommentedMap | CommentedSeq, items: Any) -> None:
    if all(not isinstance(v, dict | list) for v in items):
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()


def put(mapping: CommentedMap, key: str, value: Any) -> None:
    """``mapping[key] = value``. A new key goes last; the comment lines that followed the old last entry
    (they introduce what comes after the mapping) move below the new one, its end-of-line comment stays."""
    if key in mapping or not mapping:
        mapping[key] = value
        return
    holder, slot = _last_leaf(mapping)
    mapping[key] = value
    _move_comment_lines(holder, slot, *_last_leaf(mapping))


def insert_after(mapping: CommentedMap, after: str, key: str, value: Any) -> None:
    """Insert the new *key* right after the entry *after* of *mapping*; the comment lines that followed
    *after*'s entry (they introduce the next one) move below the new entry, as :func:`put` does."""
    holder, slot = _entry_leaf(mapping, after)
    mapping.insert(list(mapping).index(after) + 1, key, value)
    _move_comment_lines(holder, slot, *_entry_leaf(mapping, key))


def eol_comment(mapping: CommentedMap, key: str, comment: str, column: int) -> None:
    """Give *mapping*'s (scalar) entry *key* the end-of-line *comment* at *column* (or one space after the
    value); the comment lines that follow the entry stay."""
    text = comment if comment.startswith("#") else f"# {comment}"
    token = _trailing(mapping, key)
    if token is not None:
        after = token.value.partition("\n")[1:]  # what follows its own end-of-line comment, if any
        text += "".join(after)
    _set_trailing(mapping, key, CommentToken(text, CommentMark(column)))


def _move_comment_lines(holder: Any, slot: Any, new_holder: Any, new_slot: Any) -> None:
    """Move the comment lines after the entry at (*holder*, *slot*) (not its end-of-line comment) below the
    entry at (*new_holder*, *new_slot*), after that one's end-of-line comment."""
    token = _trailing(holder, slot)
    if token is None:
        return
    text = token.value
    if text.startswith("\n"):
        eol, rest = "", text
    else:
        eol, _, tail = text.partition("\n")
        eol, rest = eol + "\n", "\n" + tail
    if rest.strip("\n") == "" and rest.count("\n") <= 1:
        return  # nothing but the end of the line
    _set_trailing(holder, slot, CommentToken(eol, CommentMark(token.start_mark.column)) if eol else None)
    mine = _trailing(new_holder, new_slot)
    if mine is not None and mine.value.strip():  # keep the new entry's own end-of-line comment
        merged = CommentToken(mine.value.rstrip("\n") + rest, CommentMark(mine.start_mark.column))
    else:
        merged = CommentToken(rest, CommentMark(0))
    _set_trailing(new_holder, new_slot, merged)


def _entry_leaf(mapping: CommentedMap, key: str) -> tuple[Any, Any]:
    """Where ruamel keeps the comment lines after *mapping*'s entry *key*: its last scalar entry."""
    child = mapping[key]
    if isinstance(child, CommentedMap | CommentedSeq) and child and not child.fa.flow_style():
        return _last_leaf(child)
    return mapping, key


def _last_leaf(node: Any) -> tuple[Any, Any]:
    """The (block) collection and key/index of the last scalar entry under *node*, where ruamel keeps
    the comment lines that follow it."""
    while True:
        slot = len(node) - 1 if isinstance(node, CommentedSeq) else list(node)[-1]
        child = node[slot]
        if isinstance(child, CommentedMap | CommentedSeq) and child and not child.fa.flow_style():
            node = child
            continue
        return node, slot


def _trailing(holder: Any, slot: Any) -> CommentToken | None:
    entry = holder.ca.items.get(slot)
    index = 0 if isinstance(holder, CommentedSeq) else 2
    return entry[index] if entry and len(entry) > index else None


def _set_trailing(holder: Any, slot: Any, token: CommentToken | None) -> None:
    index = 0 if isinstance(holder, CommentedSeq) else 2
    entry = holder.ca.items.setdefault(slot, [None, None, None, None] if index == 2 else [None, None])
    entry[index] = token


_NULL_VALUE = re.compile(r"^(?P<head>\s*(?:-\s+)*(?:[^#\s][^#]*?:|-))\s+(?:null|Null|NULL|~)(?P<tail>\s*(?:#.*)?)$")


def _without_null(line: str) -> str:
    """*line* with an explicit null value (``key: null``, ``- ~``) spelled as ruamel dumps it (``key:``)."""
    m = _NULL_VALUE.match(line.rstrip("\n"))
    return (m["head"] + m["tail"] + ("\n" if line.endswith("\n") else "")) if m else line


def keep_null_spelling(before: str, after: str, null_key: str | None = None) -> str:
    """*after* (a dump of the edited *before*) with the null values the edit did not touch spelled as in
    *before*: ruamel dumps ``extra: null`` as ``extra:``, which would change a line the edit is not about.
    With *null_key*, a new ``null_key:`` line the edit added gets an explicit ``null``."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out: list[str] = []
    added = re.compile(rf"^(\s*){re.escape(null_key)}:(?P<tail>\s*(?:#.*)?)$") if null_key else None
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(new[j1:j2])
            continue
        olds = {_without_null(line): line for line in old[i1:i2] if _without_null(line) != line}
        for line in new[j1:j2]:
            if line in olds:
                out.append(olds.pop(line))
            elif added is not None and (m := added.match(line.rstrip("\n"))):
                out.append(line.rstrip("\n")[:m.start("tail")] + " null" + m["tail"] + "\n")
            else:
                out.append(line)
    return "".join(out)
