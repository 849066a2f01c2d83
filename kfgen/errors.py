"""Errors meant for people: where (file, line, field path), what was expected, what was found.

Every stage raises :class:`KfgenError` carrying one or more :class:`Problem`s; the CLI prints them
and exits non-zero. Nothing in kfgen prints a traceback for bad input.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong, from any stage: the profile, the render, a manifest file, a validator.

    Where: ``file``/``line``, ``path`` (a field path in the profile, as :func:`format_path` shows
    it), and for a Kubernetes object its identity (``kind``, ``namespace``, ``name``,
    ``api_version``), ``pointer`` (a JSON pointer into it) and ``instance`` (the component
    instance that rendered it). ``source`` says which check found it: schema, kubeconform, profile,
    render, yaml, drift or version ('' when it does not matter).
    """

    message: str
    file: str | None = None
    line: int | None = None
    path: tuple[str | int, ...] = ()
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    pointer: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    api_version: str = ""
    instance: str = ""
    source: str = ""

    @property
    def where(self) -> str:
        loc = self.file or ""
        if self.line is not None:
            loc = f"{loc}:{self.line}" if loc else f"line {self.line}"
        return loc

    @property
    def object(self) -> str:
        """``Deployment kubeflow/ambassador`` (or '' when the problem is not about an object)."""
        return _ref(self.kind, self.namespace, self.name)

    def format(self) -> str:
        """``error: FILE:LINE: [kubeconform: ]Kind ns/name (instance 'x') field.path /json/pointer: message``
        (each part only when known), then the expected, found and hint lines."""
        head = f"{self.where}: " if self.where else ""
        if self.source == "kubeconform":
            head += "kubeconform: "
        subject = self.object + (f" (instance '{self.instance}')" if self.instance else "")
        at = " ".join(x for x in (subject, format_path(self.path), self.pointer) if x)
        lines = [f"error: {head}{at + ': ' if at else ''}{self.message}"]
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.found is not None:
            lines.append(f"  found:    {self.found}")
        if self.hint:
            lines.append(f"  hint:     {self.hint}")
        return "\n".join(lines)


class KfgenError(Exception):
    """One or more problems with the user's input; never a bug in kfgen."""

    def __init__(self, problems: Problem | Sequence[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        return "\n".join(p.format() for p in self.problems)


_BARE_KEY = re.compile(r"(?![0-9]+\Z)[A-Za-z0-9_][-A-Za-z0-9_]*\Z")  # not all digits: that reads as an index


def format_path(path: Iterable[str | int]) -> str:
    """A value's path as people read it: ``components.kubeflow-core.params.reportUsage``, list
    items as ``[0]``, and keys that would read ambiguously (dots, spaces, slashes, empty, all digits)
    quoted: ``env['MY.VAR']``, ``limits['nvidia.com/gpu']``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
            continue
        key = str(part)
        if _BARE_KEY.match(key):
            out += f".{key}" if out else key
        else:
            out += "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint when a candidate is close to *word* (case-insensitively)."""
    cands = sorted(set(candidates))
    lowered = {c.lower(): c for c in cands}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{lowered[close[0]]}'?"
    return None



def object_ident(obj: Any) -> dict[str, str]:
    """``kind``, ``namespace``, ``name`` and ``api_version`` of a Kubernetes object ('' for each one
    it lacks; all '' for something that is not a mapping): the fields :class:`Problem` takes."""
    if not isinstance(obj, dict):
        return {}
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return {"kind": str(obj.get("kind") or ""), "namespace": str(meta.get("namespace") or ""),
            "name": str(meta.get("name") or ""), "api_version": str(obj.get("apiVersion") or "")}


def object_ref(obj: Any) -> str:
    """How errors name a Kubernetes object: ``Deployment kubeflow/ambassador``, ``ClusterRole
    tf-job-operator`` ('?' for a missing kind or name; '' when both are missing)."""
    ident = object_ident(obj)
    return _ref(ident.get("kind", ""), ident.get("namespace", ""), ident.get("name", ""))


def _ref(kind: str, namespace: str, name: str) -> str:
    if not kind and not name:
        return ""
    ns = f"{namespace}/" if namespace else ""
    return f"{kind or '?'} {ns}{name or '?'}".strip()


_TYPE_NAMES = {"str": "string", "int": "integer", "bool": "boolean", "float": "number", "NoneType": "null"}


def describe(value: Any, *, detail: bool = True) -> str:
    """How a found value is shown: ``string '80'``, ``integer 3``, ``boolean true``, ``null``,
    ``timestamp 2024-01-02 03:04:05``, ``date 2024-01-02``.

    With *detail* (validators, whose values can be whole objects) a string is cut at 60
    characters, a mapping names its first fields (``mapping with fields a, b``, ``empty
    mapping``) and a list its length (``list of 2 items``); without it (profile errors) strings are
    shown whole and containers only as ``mapping`` and ``list``.
    """
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if not detail or len(value) <= 60 else value[:57] + "..."
        return f"string {shown!r}"
    if isinstance(value, datetime.datetime):
        return f"timestamp {value.isoformat(sep=' ')}"
    if isinstance(value, datetime.date):
        return f"date {value.isoformat()}"
    if isinstance(value, dict):
        if not detail:
            return "mapping"
        if not value:
            return "empty mapping"
        return "mapping with fields " + ", ".join(map(str, list(value)[:8])) + (", ..." if len(value) > 8 else "")
    if isinstance(value, list):
        return f"list of {len(value)} item{'s' if len(value) != 1 else ''}" if detail else "list"
    name = type(value).__name__
    return f"{_TYPE_NAMES.get(name, name)} {value!r}"
