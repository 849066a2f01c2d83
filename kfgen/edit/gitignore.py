"""Whether a ``.gitignore`` keeps ``out/`` out of git, and the negations that make git track it again.

kfgen's repositories commit ``out/`` (CI's ``kfgen render --all --check`` compares it with the profiles), so
``kfgen init`` in a repository whose ``.gitignore`` ignores it (``out/``, ``/out``, ``out/*``, ``*.yaml`` …)
must say so and undo it. The patterns are matched as git matches them (gitignore(5)): the last matching line
wins, and nothing inside an ignored directory can be re-included, so a directory is tested before its files.
A ``.gitignore`` at the repository's root has no pattern that ignores a parent of ``out/``: a negation
after the ignoring lines always works there (``!/out/`` re-includes the directory, ``!/out/**`` what is in it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One pattern line of a ``.gitignore``: its 1-based *line*, *text* as written, and how it matches."""

    line: int
    text: str
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


def _translate(glob: str) -> str:
    """A gitignore glob (no leading ``!``, no trailing ``/``) as a regular expression on a relative path."""
    anchored = "/" in glob
    glob = glob.lstrip("/")
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i) and (i == 0 or glob[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob[i] == "*":
            while i < len(glob) and glob[i] == "*":
                i += 1
            out.append("[^/]*")
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (end := glob.find("]", i + 2)) != -1:
            body = glob[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return ("" if anchored else "(?:.*/)?") + "".join(out)


def rules(text: str) -> list[Rule]:
    """The pattern lines of a ``.gitignore`` *text* (comments and blank lines skipped)."""
    found = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(?<!\\) +$", "", raw)  # trailing spaces go, unless escaped
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = line[1:] if negated else line.removeprefix("\\")
        dir_only = glob.endswith("/")
        glob = glob.rstrip("/")
        if glob:
            found.append(Rule(n, raw.strip(), re.compile(_translate(glob)), negated, dir_only))
    return found


def _decides(rules_: list[Rule], path: str, is_dir: bool) -> Rule | None:
    """The last rule matching *path* (a directory when *is_dir*), or None."""
    for rule in reversed(rules_):
        if (is_dir or not rule.dir_only) and rule.regex.fullmatch(path):
            return rule
    return None


def ignored_by(rules_: list[Rule], path: str) -> Rule | None:
    """The rule that makes git ignore *path* (relative, ``/``-separated; a trailing ``/`` marks a directory),
    or None when git tracks it: every directory above it is tested first (an ignored one hides its content)."""
    parts = path.rstrip("/").split("/")
    for i in range(1, len(parts) + 1):
        is_dir = i < len(parts) or path.endswith("/")
        rule = _decides(rules_, "/".join(parts[:i]), is_dir)
        if rule is not None and not rule.negated:
            return rule
    return None


def out_blockers(text: str, probes: list[str]) -> list[Rule]:
    """The lines of *text* that keep any of *probes* (paths under ``out/``) out of git, in file order."""
    rules_ = rules(text)
    hits = {rule.line: rule for p in probes if (rule := ignored_by(rules_, p)) is not None}
    return [hits[n] for n in sorted(hits)]


def negations(text: str, probes: list[str]) -> list[str]:
    """The lines to append to *text* so that git tracks every one of *probes* (none when it does already)."""
    added: list[str] = []
    for line in ("!/out/", "!/out/**"):
        if not out_blockers("\n".join([text, *added]), probes):
            break
        if line == "!/out/" and ignored_by(rules(text), "out/") is None:
            continue  # the directory is tracked; what is in it is not
        added.append(line)
    return added
