"""``kfgen render``: profiles rendered into ``out/<profile>/`` (or a stream), and the output of profiles that
no longer exist removed."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfgen.errors import KfgenError, Problem
from kfgen.output.cache import Rendered
from kfgen.output.files import Drift, diff_dir, is_kfgen_output, render_stream
from kfgen.output.lock import locked
from kfgen.output.write import (
    clean_leftovers,
    describe,
    foreign_entries,
    move_aside,
    refuse_foreign,
    remove_dir,
    write_dir,
)

if TYPE_CHECKING:
    from kfgen.actions.workspace import Workspace

# Only the standard library and kfgen.output are imported here: with the renders taken from the render cache
# (kfgen.output.cache), comparing and writing them loads no pydantic, YAML or prototype code.


class WriteError(KfgenError):
    """Writing one profile's output failed; that directory is unchanged, earlier ones were written."""

    def __init__(self, problems: list[Problem], written: list[str]):
        super().__init__(problems)
        self.written = written


@dataclass
class Outcome:
    profile: str
    objects: int
    files: dict[str, str]
    drift: list[Drift]
    warnings: list[str]
    summary: list[str]
    stream: str = ""
    moved_to: Path | None = None  # where --foreign=move put the files kfgen did not write
    kept: list[str] = field(default_factory=list)  # the files kfgen did not write, left in place (--foreign=keep)


def render_profiles(ws: Workspace, names: list[str], *, stream: bool = False) -> list[Rendered]:
    """Render every profile in *names* (with its YAML stream when *stream*); a :class:`KfgenError` with the
    problems of every profile that failed."""
    problems: list[Problem] = []
    rendered: list[Rendered] = []
    for name in names:
        try:
            _, result, files = ws.render(name)
        except KfgenError as exc:
            problems.extend(exc.problems)
            continue
        rendered.append(Rendered(name, len(result.objects), files, result.warnings, result.summary,
                                 render_stream(result) if stream else ""))
    if problems:
        raise KfgenError(problems)
    return rendered


def render(ws: Workspace, names: list[str], *, write: bool = True, check: bool = False,
           stream: bool = False, foreign: str = "refuse", rendered: list[Rendered] | None = None) -> list[Outcome]:
    """Render every profile in *names* first; write only when all of them rendered cleanly.

    *rendered*: the renders of *names* already made (:func:`render_profiles`, or the render cache's).

    Writes hold the output directory's lock (checks hold it shared), so concurrent runs never
    interleave; each profile's directory is swapped in atomically (:func:`kfgen.output.write.write_dir`).
    Files kfgen did not write in ``out/NAME/`` follow *foreign* (``refuse``: stop, ``keep``, ``move``).
    """
    if rendered is None:
        rendered = render_profiles(ws, names, stream=stream)
    writing = write and not check and not stream
    if writing:
        try:
            ws.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError([Problem(f"cannot create {ws.out_dir}: {exc.strerror or exc}")], written=[]) from None
    if writing or (not stream and ws.out_dir.is_dir()):
        guard: Any = locked(ws.out_dir, shared=not writing)
    else:
        guard = contextlib.nullcontext()
    outcomes: list[Outcome] = []
    with guard:
        if writing:
            clean_leftovers(ws.out_dir)
        for r in rendered:
            target, files = ws.target(r.profile), r.files
            drift = diff_dir(target, files) if not stream else []
            outcome = Outcome(r.profile, r.objects, files, drift, r.warnings, r.summary, r.stream if stream else "")
            if writing and drift:
                try:
                    entries, kfgen_output = foreign_entries(target)
                    if entries and foreign == "keep" and kfgen_output:
                        outcome.kept = describe(target, entries)
                        outcome.drift = drift = [d for d in drift if d.file.split("/")[0] not in entries]
                    if drift:
                        outcome.moved_to = write_dir(target, files, foreign=foreign)
                except KfgenError as exc:
                    done = [o.profile for o in outcomes if o.drift]
                    raise WriteError(exc.problems, written=done) from None
            outcomes.append(outcome)
    return outcomes


def stale_outputs(ws: Workspace, foreign: str | None = None, known: list[str] | None = None) -> list[Path]:
    """Output directories kfgen wrote for profiles that no longer exist (*known*: the profile names, when
    the caller has listed them already).

    ``profiles/NAME.yaml`` in any form (a dangling symlink, a directory, a FIFO) keeps ``out/NAME/``.
    With *foreign* ``refuse`` a stale directory holding files kfgen did not write is an error (raised
    before anything is written); ``keep`` leaves such directories out; ``move`` and None list them.
    """
    if not ws.out_dir.is_dir():
        return []
    names = set(ws.profile_names() if known is None else known)
    try:
        candidates = sorted(ws.out_dir.iterdir())
    except OSError as exc:
        raise KfgenError(Problem(f"cannot read {ws.out_dir}/: {exc.strerror or exc}")) from None
    stale = [d for d in candidates
             if d.is_dir() and not d.is_symlink() and not d.name.startswith(".") and d.name not in names
             and not os.path.lexists(ws.profiles_dir / f"{d.name}.yaml") and is_kfgen_output(d)]
    if foreign in ("refuse", "keep"):
        problems = []
        for d in list(stale):
            entries, _ = foreign_entries(d)
            if entries and foreign == "keep":
                stale.remove(d)
            elif entries:
                problems.extend(refuse_foreign(d, entries, True).problems)
        if problems:
            raise KfgenError(problems)
    return stale


def moved_aside(ws: Workspace, names: list[str] | None = None) -> list[Path]:
    """The ``out/NAME.foreign-<time>/`` directories ``render --foreign=move`` left (of *names*, or all)."""
    if not ws.out_dir.is_dir():
        return []
    try:
        entries = sorted(ws.out_dir.iterdir())
    except OSError:
        return []
    return [d for d in entries if d.is_dir() and ".foreign-" in d.name
            and (names is None or d.name.partition(".foreign-")[0] in names)]


def remove_outputs(dirs: list[Path], foreign: str = "refuse") -> dict[Path, Path | None]:
    """Remove stale output directories, under their parent's lock; each is renamed away in one step
    first, so a kill never leaves half of one. A directory that (meanwhile) holds files kfgen did not
    write is refused, kept, or has them moved aside first (*foreign*). Returns each removed
    directory with where its foreign files went (None when it had none)."""
    removed: dict[Path, Path | None] = {}
    for parent in dict.fromkeys(d.parent for d in dirs):
        with locked(parent):
            for d in (d for d in dirs if d.parent == parent):
                if not is_kfgen_output(d):
                    continue
                entries, _ = foreign_entries(d)
                if entries and foreign == "keep":
                    continue
                if entries and foreign != "move":
                    raise refuse_foreign(d, entries, True)
                try:
                    aside = move_aside(d, entries) if entries else None
                    remove_dir(d)
                except OSError as exc:
                    raise KfgenError(Problem(f"cannot remove stale output {d}/: {exc.strerror or exc}")) from None
                removed[d] = aside
    return removed
