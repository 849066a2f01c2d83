"""Errors meant for people: where (file, line, field path), what was expected, what was found.

Every stage raises :class:`KfgenError` carrying one or more :class:`Problem`s; the CLI prints them
and exits non-zero. Nothing in kfgen prints a traceback for bad input.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence


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


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
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


@dataclass
class Collector:
    """Accumulates problems so a stage can report every one, not only the first."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.problems:
            raise KfgenError(self.problems)
