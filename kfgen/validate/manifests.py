"""Manifest files as they are on disk: a strict YAML reader that keeps line numbers, and
:func:`validate_files`, which validates every document of every file with file and line."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfgen.errors import Problem
from kfgen.validate.objects import validate_objects


@dataclass
class Document:
    data: Any
    index: int  # position among the file's non-empty documents
    _nodes: list[Any] = field(default_factory=list, repr=False)  # shared per file, composed lazily
    _text: str = field(default="", repr=False)

    def locate(self, pointer: str) -> int | None:
        """Line of the field at *pointer* (its nearest existing ancestor when it is missing)."""
        import yaml

        if not self._nodes:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            self._nodes.extend(n for n in yaml.compose_all(self._text, Loader=loader)
                               if n is not None and not _is_null(n))
        if self.index >= len(self._nodes):
            return None
        node = self._nodes[self.index]
        line = node.start_mark.line + 1
        for raw in pointer.split("/")[1:] if pointer else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, yaml.MappingNode):
                hit = next(((k, v) for k, v in node.value if getattr(k, "value", None) == part), None)
                if hit is None:
                    break
                line, node = hit[0].start_mark.line + 1, hit[1]
            elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
                node = node.value[int(part)]
                line = node.start_mark.line + 1
            else:
                break
        return line


def _is_null(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line
        super().__init__(f"duplicate key '{key}'")


_STRICT_LOADER: Any = None


def _strict_loader() -> Any:
    """PyYAML's safe loader (the C one when built) that refuses duplicate keys, as kubeconform -strict does."""
    global _STRICT_LOADER
    if _STRICT_LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class StrictLoader(base):  # type: ignore[misc,valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                        if key_node.value in seen:
                            raise DuplicateKey(key_node.value, key_node.start_mark.line + 1)
                        seen.add(key_node.value)
                return super().construct_mapping(node, deep=deep)

        _STRICT_LOADER = StrictLoader
    return _STRICT_LOADER


def read_manifests(path: Path, text: str | None = None) -> list[Document]:
    """Every non-empty YAML document of a file (or of *text*, read from it already); duplicate keys
    raise :class:`DuplicateKey`."""
    import yaml

    if text is None:
        text = path.read_text(encoding="utf-8")
    nodes: list[Any] = []
    datas = [d for d in yaml.load_all(text, Loader=_strict_loader()) if d is not None]
    return [Document(d, i, nodes, text) for i, d in enumerate(datas)]


def read_documents(path: Path, shown: str, text: str | None = None) -> list[Document] | Problem:
    """:func:`read_manifests`, or the problem that stops it (unreadable, not UTF-8, YAML syntax error,
    duplicate key) with the file as *shown* and the line when known."""
    import yaml

    try:
        return read_manifests(path, text)
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(f"cannot read file: {exc}", file=shown, source="yaml")
    except DuplicateKey as exc:
        return Problem(str(exc), file=shown, line=exc.line, source="yaml",
                       hint="kubectl and kubeconform -strict refuse duplicate keys")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Problem(f"YAML syntax error: {getattr(exc, 'problem', None) or exc}", file=shown,
                       line=mark.line + 1 if mark else None, source="yaml")


def validate_files(paths: Iterable[Path], kubernetes_version: str, *,
                   display: Callable[[Path], str] = str,
                   known_valid: Mapping[str, int] | None = None) -> tuple[list[Problem], int, int]:
    """Validate every document of every file. Returns (problems, files read, objects validated).

    A file of *known_valid* (``str(path)`` -> how many objects it holds: byte for byte a fresh
    render's file whose objects were validated already and found valid) is counted, not read again."""
    problems: list[Problem] = []
    nfiles = nobjects = 0
    for path in paths:
        nfiles += 1
        if known_valid and (name := str(path)) in known_valid:
            nobjects += known_valid[name]
            continue
        shown = display(path)
        docs = read_documents(path, shown)
        if isinstance(docs, Problem):
            problems.append(docs)
            continue
        nobjects += len(docs)
        problems.extend(validate_objects([d.data for d in docs], kubernetes_version, file=shown,
                                         locators=[d.locate for d in docs]))
    return problems, nfiles, nobjects


_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def manifest_files(directory: Path) -> list[Path]:
    """The manifest files of a directory: ``*.yaml``, ``*.yml``, ``*.json``, sorted.

    What ``sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in ...)`` gives
    (sub-directories recursed into unless they are symlinks, unlistable ones skipped, symlinks to files
    kept), from ``os.scandir`` entries (a third of the time for a directory of 1,001 files), except that
    hidden sub-directories (``.git``, ``.venv``, kfgen's own staging directories …) are not entered: what
    lies there is not the user's manifests. Hidden files in the directories it enters are kept."""
    if not directory.is_dir():
        return []
    found: list[tuple[tuple[str, ...], str]] = []  # (parts below *directory*: Path's order, the path)
    pending: list[tuple[str, tuple[str, ...]]] = [(os.fspath(directory), ())]
    while pending:
        current, parts = pending.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except PermissionError:  # as rglob: a directory it may not list is skipped
            continue
        for entry in entries:
            name = entry.name
            if not name.startswith(".") and _entry_is(entry, "is_dir") and not entry.is_symlink():
                pending.append((entry.path, (*parts, name)))
            dot = name.rfind(".")
            suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # Path.suffix
            if suffix.lower() in _MANIFEST_SUFFIXES and _entry_is(entry, "is_file"):
                found.append(((*parts, name), entry.path))
    found.sort()
    return [Path(path) for _, path in found]


def _entry_is(entry: os.DirEntry[str], test: str) -> bool:
    """``entry.is_dir()``/``is_file()`` (symlinks followed), or on an error what the ``Path`` method
    says (it ignores a dangling or looping symlink, and raises the other errors, as rglob does)."""
    try:
        return bool(getattr(entry, test)())
    except OSError:
        return bool(getattr(Path(entry.path), test)())
