"""Property-based fuzzing of profiles (scripts/fuzz_profiles.py with a small budget and a fixed seed): whatever
the profile, `kfgen render` and `kfgen validate` end without a traceback, with exit 0 or 2 (validate: 0, 1 or 2;
2 exactly when render refuses the profile too), and a refused render writes nothing. Plus regressions of what
the fuzzing found."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

CASES = 300
SEED = 20261202


def _load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fuzz_profiles", ROOT / "scripts" / "fuzz_profiles.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_profiles"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load()


def test_fuzzed_profiles_never_give_a_traceback() -> None:
    # validate on every third case: it re-renders and validates every object, the slow half of a case
    figures = fuzz.fuzz(CASES, SEED, validate_every=3)
    report = figures.report()
    assert not figures.failed, report
    assert sum(figures.render.values()) == CASES and set(figures.render) <= {0, 2}, report
    # the cases reach both outcomes and every kind of mutation: the generator is not stuck on one path
    assert figures.render[0] >= CASES // 10 and figures.render[2] >= CASES // 2, report
    for kind in ("params", "patches", "patch", "extends", "nodes", "alias", "merge", "prototype", "swap", "delete",
                 "unknown", "t_tag", "t_insert", "t_truncate", "t_anchor_merge", "t_deep", "t_big_int"):
        assert figures.mutations[kind] > 0, (kind, report)


def test_every_prototype_gets_its_params_fuzzed() -> None:
    from kfgen.prototypes.base import prototypes

    seen = {m.split(" ")[2] for i in range(len(prototypes()) * 4) for m in fuzz.make_case(SEED, i).mutations
            if m.startswith("params of")}
    assert seen == set(prototypes())


def test_cases_are_reproducible() -> None:
    a, b = fuzz.make_case(SEED, 17), fuzz.make_case(SEED, 17)
    assert a == b and a.files != fuzz.make_case(SEED, 18).files


def test_the_properties_catch_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker is not blind: a render that raises is a failure (the fuzz test can fail)."""
    from kfgen.actions.workspace import Workspace

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Workspace, "render", boom)
    case = fuzz.Case(0, "hand", [], {"fz.yaml": (ROOT / "profiles" / "cpu-laptop.yaml").read_bytes()})
    outcome = fuzz.run_case(case, tmp_path / "case", validate=False)
    assert outcome.failures and "RuntimeError: boom" in outcome.failures[0], outcome


# --- regressions of what the fuzzing found -----------------------------------------------------------------


KFGEN = [sys.executable, "-c", "from kfgen.cli import main; main()"]
MANIFESTS = "namespace: x\ncomponents:\n  m:\n    prototype: manifests\n    params:\n      files: [{file}]\n"


@pytest.mark.parametrize("kind, message", [
    ("fifo", "pipe.yaml: cannot read: not a regular file (a FIFO, socket or device)"),
    ("directory", "pipe.yaml: cannot read: Is a directory"),
    ("symlink-loop", "pipe.yaml: cannot read: Too many levels of symbolic links"),
    ("latin-1", "pipe.yaml: cannot read: not UTF-8 text"),
])
def test_a_manifests_file_that_cannot_be_read_is_an_error_not_a_hang(tmp_path: Path, kind: str, message: str) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    target = profiles / "pipe.yaml"
    if kind == "fifo":  # reading it blocked for ever (found by the fuzzing): kfgen must not open it for reading
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    elif kind == "symlink-loop":
        target.symlink_to("pipe.yaml")
    else:
        target.write_bytes("kind: Café\n".encode("latin-1"))
    (profiles / "p.yaml").write_text(MANIFESTS.format(file="pipe.yaml"))
    for verb in ("render", "validate"):
        proc = subprocess.run([*KFGEN, verb, "-p", "p", "--profiles-dir", str(profiles), "--out-dir",
                               str(tmp_path / "out"), *(["--no-kubeconform"] if verb == "validate" else [])],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert message in proc.stderr.splitlines()[0], proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
