"""kfgen init in a repository whose .gitignore ignores out/: a warning naming the line, and negations after it
that make git track out/ (checked with the real `git check-ignore` where git is installed), kfgen's leftovers
still ignored; the matcher agrees with git on each pattern."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kfgen.edit.gitignore import ignored_by, negations, out_blockers, rules
from tests.conftest import invoke

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")

IGNORING = ["out/", "/out", "out", "out/*", "/out/**", "out/**", "**/out", "**/out/", "o*/", "*.yaml", "*",
            "out/default/", "[o]ut"]
HARMLESS = ["output/", "out.txt", "!out/", "# out/", "src/out/", "/profiles/out", "\\#out", "out/.*"]
PATHS = ["out/", "out/default/", "out/default/objects.yaml", "out/.kfgen-tmp/", "out/.kfgen-tmp/x.yaml",
         "out/default.foreign-1/", "out/default.foreign-1/notes.txt", "profiles/default.yaml", "sub/out/x.yaml"]
TRACKED = ["out/default/objects.yaml", "out/default/00-namespace.yaml"]
LEFTOVERS = ["out/.kfgen-tmp/x.yaml", "out/default.foreign-1/notes.txt"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    if GIT:
        subprocess.run([GIT, "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def git_ignored(repo: Path, paths: list[str]) -> set[str]:
    """The paths `git check-ignore` says are ignored, made first (a directory for a path ending in '/': git
    tells a directory by what is on disk, not by a trailing slash)."""
    for p in paths:
        if p.endswith("/"):
            (repo / p).mkdir(parents=True, exist_ok=True)
        else:
            (repo / p).parent.mkdir(parents=True, exist_ok=True)
            (repo / p).touch()
    res = subprocess.run([GIT or "git", "-C", str(repo), "check-ignore", "--no-index", *(p.rstrip("/") for p in paths)],
                         capture_output=True, text=True)
    assert res.returncode in (0, 1), res.stderr
    dirs = {p.rstrip("/"): p for p in paths}
    return {dirs[p] for p in res.stdout.split()}


@needs_git
@pytest.mark.parametrize("pattern", IGNORING + HARMLESS + ["out/\n!/out/", "out/*\n!/out/", "*.yaml\n!out/*.yaml"])
def test_the_matcher_agrees_with_git(repo: Path, pattern: str) -> None:
    (repo / ".gitignore").write_text(f"{pattern}\n")
    mine = {p for p in PATHS if ignored_by(rules(pattern), p) is not None}
    assert mine == git_ignored(repo, PATHS)


@pytest.mark.parametrize("pattern", IGNORING)
def test_init_warns_and_makes_git_track_out(repo: Path, pattern: str) -> None:
    (repo / ".gitignore").write_text(f"node_modules/\n{pattern}\n")
    res = invoke("init", ".")
    assert res.exit_code == 0, res.output
    text = (repo / ".gitignore").read_text()
    assert text.startswith(f"node_modules/\n{pattern}\n")
    assert f"warning: .gitignore ignored out/ (line 2 `{pattern}`), but kfgen's out/ is committed" in res.output
    assert f"or remove line 2 `{pattern}` yourself" in res.output
    assert f"# (line 2 `{pattern}` kept out/ out of git: !/out/" in text
    tail = text.split("kept out/ out of git")[1]
    assert tail.index("!/out/") < tail.index("out/.*\n") and tail.index("!/out/") < tail.index("out/*.foreign-*/\n")
    assert not out_blockers(text, ["out/", "out/default/", *TRACKED])
    assert all(ignored_by(rules(text), p) is not None for p in LEFTOVERS)
    if GIT:
        assert git_ignored(repo, TRACKED + LEFTOVERS) == set(LEFTOVERS)
    before = text
    res = invoke("init", ".")  # again: nothing to undo, nothing appended
    assert res.exit_code == 0 and "warning" not in res.output and (repo / ".gitignore").read_text() == before


@pytest.mark.parametrize("pattern", HARMLESS)
def test_a_gitignore_that_keeps_out_tracked_gets_no_negation(repo: Path, pattern: str) -> None:
    (repo / ".gitignore").write_text(f"{pattern}\n")
    res = invoke("init", ".")
    assert res.exit_code == 0, res.output
    text = (repo / ".gitignore").read_text()
    assert "warning" not in res.output and "!/out/" not in text and "kept out/ out of git" not in text
    if GIT:
        assert not git_ignored(repo, TRACKED)


def test_only_what_is_needed_is_negated() -> None:
    probes = ["out/", "out/default/", "out/default/objects.yaml"]
    assert negations("out/\n", probes) == ["!/out/"]  # the directory: its content was never ignored itself
    assert negations("out/*\n", probes) == ["!/out/**"]  # the content, not the directory
    assert negations("*\n", probes) == ["!/out/", "!/out/**"]  # both
    assert negations("out/\n!out/\n", probes) == []
    assert [r.line for r in out_blockers("# c\nout/\n\nout\n", probes)] == [4]  # the line that decides
