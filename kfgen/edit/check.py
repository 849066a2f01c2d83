"""Whether an edit keeps the profiles it touches renderable: the whole render, in memory, before a file is written.

An edit of ``profiles/NAME.yaml`` can change profile NAME and every profile that extends it (directly or
through others; a partial ``_NAME.yaml`` is never rendered itself, only its children are). Each of them is
loaded, validated and rendered exactly as ``kfgen render`` would (checks included, nothing written to
``out/``), from a scratch copy of the profiles directory holding the edited text:

- a profile that rendered before the edit must still render, or the edit is refused (:class:`EditRefused`,
  with the render's problems);
- a profile that did not render before may still fail (so that a broken profile can be fixed one edit at a
  time): the edit is refused only for a new problem about a value the edit itself wrote, and the result
  says that the profile still does not render.

A problem in the edited file is found in the text the edit would write: its line is mapped back to the file's
line where the edit leaves that line as it was, and otherwise said to be the line "after the edit".
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kfgen.errors import KfgenError, Problem
from kfgen.profile import Profile, display, list_profiles, load_profile, profile_path, validate_profile

# A problem as compared before and after an edit: where it is and what it says.
_Key = tuple[tuple[str | int, ...], str]


class EditRefused(KfgenError):
    """The edit of *file* would stop *profiles* from rendering (or makes a value it writes invalid)."""

    def __init__(self, problems: list[Problem], profiles: list[str], file: str = ""):
        super().__init__(problems)
        self.profiles = profiles
        self.file = file


def affected(profiles_dir: Path, name: str) -> list[str]:
    """The profiles an edit of *name*'s file can change: *name* (unless it is a partial) and every profile
    extending it. A profile that cannot be loaded is left out when it is not *name*: it did not render."""
    names = [] if name.startswith("_") else [name]
    for other in list_profiles(profiles_dir):
        if other == name:
            continue
        try:
            chain = load_profile(profiles_dir, other).chain
        except KfgenError:
            continue
        if name in chain[1:]:
            names.append(other)
    return names


def _render(profiles_dir: Path, real_dir: Path, name: str) -> None:
    from kfgen.output.files import render_files
    from kfgen.render.pipeline import render_profile

    # files the profile names (e.g. manifests' files:) are read from the real directory
    profile = validate_profile(dataclasses.replace(load_profile(profiles_dir, name), profiles_dir=real_dir))
    render_files(render_profile(profile), profile.namespace)


def problems_now(profiles_dir: Path, names: list[str]) -> dict[str, list[Problem]]:
    """Each of *names* with the problems that stop it from rendering now ([] when it renders)."""
    found: dict[str, list[Problem]] = {}
    for name in names:
        try:
            _render(profiles_dir, profiles_dir, name)
        except KfgenError as exc:
            found[name] = exc.problems
        else:
            found[name] = []
    return found


def check_text(profiles_dir: Path, name: str, text: str, before: dict[str, list[Problem]],
               edited: list[tuple[str | int, ...]]) -> list[str]:
    """Render the profiles of *before* as they would be with *text* as *name*'s file; refuse
    (:class:`EditRefused`) what the module's doc says. *edited*: the paths of the values the edit wrote.
    Returns notes for the user (profiles that still do not render, or render again)."""
    refused: list[Problem] = []
    stopped: list[str] = []
    notes: list[str] = []
    path = profile_path(profiles_dir, name)
    lines = _line_map(path.read_text(encoding="utf-8") if path.is_file() else "", text)
    with _scratch(profiles_dir, name, text) as tmp:
        for other, old in before.items():
            try:
                _render(tmp, profiles_dir, other)
            except KfgenError as exc:
                after = [_relined(_renamed(p, tmp, profiles_dir), display(path), lines) for p in exc.problems]
            else:
                if old:
                    notes.append(f"profile '{other}' renders now (it did not before this edit)")
                continue
            if not old:
                refused.extend(after)
                stopped.append(other)
                continue
            known: set[_Key] = {(p.path, p.message) for p in old}
            mine = [p for p in after if (p.path, p.message) not in known
                    and any(p.path[:len(e)] == e for e in edited)]
            if mine:
                refused.extend(mine)
                continue
            n = len(after)
            notes.append(f"profile '{other}' did not render before this edit and still does not "
                         f"({n} problem{'s' if n != 1 else ''}; 'kfgen render -p {other}' shows them)")
    if refused:
        unique = {p.format(): p for p in refused}  # a parent's problem shows again in each child
        raise EditRefused(list(unique.values()), stopped, display(path))
    return notes


def _line_map(before: str, after: str) -> dict[int, int]:
    """Line number in *after* -> the same line's number in *before*, for the lines an edit left as they were."""
    import difflib

    mapped: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            mapped.update({j + 1: i1 + (j - j1) + 1 for j in range(j1, j2)})
    return mapped


def _relined(problem: Problem, file: str, lines: dict[int, int]) -> Problem:
    """*problem*, when it is in the edited *file*, at that file's line (*lines*: see :func:`_line_map`), or said
    to be at a line the edit would write."""
    if problem.file != file or problem.line is None:
        return problem
    if problem.line in lines:
        return dataclasses.replace(problem, line=lines[problem.line])
    return dataclasses.replace(problem, message=f"{problem.message} (line {problem.line} after the edit: a line "
                                                "the edit would write)")


@contextmanager
def _scratch(profiles_dir: Path, name: str, text: str) -> Iterator[Path]:
    """A scratch copy of *profiles_dir*'s profiles with *text* as *name*'s file."""
    with tempfile.TemporaryDirectory(prefix="kfgen-edit-") as scratch:
        tmp = Path(scratch)
        for f in profiles_dir.glob("*.yaml"):
            if f.is_file():
                shutil.copyfile(f, tmp / f.name)
        (tmp / f"{name}.yaml").write_text(text, encoding="utf-8")
        yield tmp


def validated(profiles_dir: Path, name: str, text: str) -> Profile:
    """Profile *name* as it would be with *text* as its file, validated (a :class:`KfgenError` when it is not)."""
    with _scratch(profiles_dir, name, text) as tmp:
        return validate_profile(dataclasses.replace(load_profile(tmp, name), profiles_dir=profiles_dir))


def _renamed(problem: Problem, tmp: Path, real: Path) -> Problem:
    """*problem* with the scratch directory's name replaced by the real profiles directory's."""
    shown = display(real)
    spellings = sorted({str(tmp), display(tmp), str(tmp.resolve())}, key=len, reverse=True)

    def fix(text: str | None) -> str | None:
        for s in spellings:
            text = text.replace(s, shown) if text else text
        return text

    return dataclasses.replace(problem, file=fix(problem.file), message=fix(problem.message) or "",
                               expected=fix(problem.expected), found=fix(problem.found), hint=fix(problem.hint))
