"""Errors meant for people: where (file, line, field path), what was expected, what was found.

Every stage raises :class:`KfgenError` carrying one or more :class:`Problem`s; the CLI prints them
and exits non-zero. Nothing in kfgen prints a traceback for bad input.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    message: str
    file: str | None = None
    line: int | None = None
    path: tuple[str | int, ...] = ()
    expected: str | None = None
    found: str | None = None
    hint: str | None = None

    @property
    def where(self) -> str:
        loc = self.file or ""
        if self.line is not None:
            loc = f"{loc}:{self.line}" if loc else f"line {self.line}"
        return loc

    def format(self) -> str:
        head = f"{self.where}: " if self.where else ""
        if self.path:
            head += f"{format_path(self.path)}: "
        lines = [f"error: {head}{self.message}"]
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

