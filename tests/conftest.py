"""Shared fixtures. The reference material (../shared/reference) is optional: tests that need it skip."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def reference_dir() -> Path | None:
    """../shared/reference beside the repo (or $KFGEN_REFERENCE_DIR), when present."""
    env = os.environ.get("KFGEN_REFERENCE_DIR")
    for cand in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "reference"]:
        if cand.is_dir():
            return cand
    return None


def load_script(name: str) -> ModuleType:
    """A helper module of scripts/ (benchmark code, not part of kfgen), loaded by its path."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while its classes are built
    spec.loader.exec_module(module)
    return module


def invoke(*args: str) -> Any:
    """`kfgen ARGS` through Typer's runner; every exit must be kfgen's own (a crash would also exit 1,
    so an exception escaping the CLI fails the test)."""
    from typer.testing import CliRunner

    from kfgen.cli import app

    res = CliRunner().invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def snapshot(dir_: Path) -> dict[str, str]:
    """Every file below *dir_* and its SHA-256: what a test compares to prove nothing was written."""
    return {str(p.relative_to(dir_)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(dir_.rglob("*")) if p.is_file()}


def walk(node: Any) -> Iterator[Any]:
    """Every value in a rendered object, depth first (for "no None anywhere"-style checks)."""
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


@pytest.fixture(autouse=True)
def _render_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's `kfgen render` caches in a directory of its own (kfgen.output.cache), never in ~/.cache."""
    monkeypatch.setenv("KFGEN_CACHE_DIR", str(tmp_path_factory.mktemp("render-cache")))


@pytest.fixture
def reference() -> Path:
    ref = reference_dir()
    if ref is None:
        pytest.skip("reference material ../shared/reference is absent (set KFGEN_REFERENCE_DIR to point at it)")
    return ref


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project: a copy of profiles/ (and out/), with the cwd set to it."""
    shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
    if (ROOT / "out").is_dir():
        shutil.copytree(ROOT / "out", tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# A real etcd + kube-apiserver on 127.0.0.1, started once per session by tests that ask for it.
from apiserver import control_plane_fixture  # noqa: E402

control_plane = pytest.fixture(scope="session", name="control_plane")(control_plane_fixture)
