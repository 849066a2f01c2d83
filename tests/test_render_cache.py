"""The render cache (kfgen/output/cache.py): a hit answers exactly as a miss, every input is in the key,
a broken entry is a miss, failures are never stored, and a hit loads no YAML, profile or prototype code.

Each test caches in a directory of its own (tests/conftest.py sets KFGEN_CACHE_DIR).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfgen.actions.workspace import Workspace
from kfgen.cli import app
from kfgen.output import cache

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
REQUEST = {"profiles": ["gpu-lab"], "all": False, "stream": False}


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KFGEN_NO_CACHE", raising=False)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The profiles actually rendered (not taken from the cache), in order."""
    seen: list[str] = []
    original = Workspace.render

    def counting(self: Workspace, name: str):  # type: ignore[no-untyped-def]
        seen.append(name)
        return original(self, name)

    monkeypatch.setattr(Workspace, "render", counting)
    return seen


def tree(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def kfgen(*args: str) -> tuple[str, str, int, dict[str, bytes]]:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    return res.stdout, res.stderr, res.exit_code, tree(Path("out"))


def entries() -> list[Path]:
    d = cache.cache_dir()
    return sorted(d.glob("*.json")) if d.is_dir() else []


# --- a hit is a miss, byte for byte ----------------------------------------------------------------------


@pytest.mark.parametrize("args, remove", [
    (("render", "-p", "gpu-lab"), "gpu-lab"),  # a write (out/gpu-lab/ missing)
    (("render", "-p", "gpu-lab"), None),  # unchanged
    (("render", "-p", "cpu-laptop", "--check"), None),
    (("render", "-p", "gpu-lab", "--check"), "gpu-lab"),  # drift: exit 1
    (("render", "--all", "--check"), None),
    (("render", "--all"), "cpu-laptop"),
    (("render", "-p", "gpu-lab", "--stdout"), None),
    (("render", "-p", "gpu-lab", "-p", "cpu-laptop", "-p", "gpu-lab", "--stdout"), None),
])
def test_a_hit_answers_as_a_miss(workspace: Path, renders: list[str], args: tuple[str, ...],
                                 remove: str | None) -> None:
    pristine = workspace / "pristine-out"
    shutil.copytree(workspace / "out", pristine)

    def fresh_run(*extra: str) -> tuple[str, str, int, dict[str, bytes]]:
        shutil.rmtree(workspace / "out")
        shutil.copytree(pristine, workspace / "out")
        if remove:
            shutil.rmtree(workspace / "out" / remove)
        return kfgen(*args, *extra)

    uncached = fresh_run("--no-cache")
    assert entries() == []
    n = len(renders)
    miss = fresh_run()
    assert len(renders) > n and len(entries()) == 1
    n = len(renders)
    hit = fresh_run()
    assert len(renders) == n, "the second run rendered: not a hit"
    assert hit == miss == uncached
    assert uncached[2] == (1 if "--check" in args and remove else 0)


def test_stale_outputs_on_a_hit(workspace: Path, renders: list[str]) -> None:
    """--all on a hit still removes out/X/ of a profile that no longer exists, as a miss does."""
    (workspace / "profiles" / "cpu-laptop.yaml").rename(workspace / "profiles" / "laptop.yaml")
    pristine = workspace / "pristine-out"
    shutil.copytree(workspace / "out", pristine)
    results = []
    for extra in (("--no-cache",), (), ()):
        shutil.rmtree(workspace / "out")
        shutil.copytree(pristine, workspace / "out")
        results.append(kfgen("render", "--all", *extra))
    n = len(list((workspace / "profiles").glob("[!_]*.yaml")))
    assert len(renders) == 2 * n  # every profile, twice: the third run was a hit
    assert results[0] == results[1] == results[2]
    assert "removed out/cpu-laptop/" in results[0][0] and "cpu-laptop" not in {k.split("/")[0] for k in results[0][3]}


# --- every input is in the key ---------------------------------------------------------------------------


def key(profiles: Path, request: dict | None = None) -> str:
    snap = cache.snapshot(profiles, request or REQUEST)
    assert snap is not None
    return snap.key


def test_key_changes_with_every_profiles_file(workspace: Path) -> None:
    profiles = Path("profiles")
    seen = {key(profiles)}

    def changed() -> None:
        k = key(profiles)
        assert k not in seen
        seen.add(k)

    gpu = profiles / "gpu-lab.yaml"
    gpu.write_bytes(gpu.read_bytes() + b"\n")  # one byte
    changed()
    (profiles / "_base.yaml").write_text("namespace: kubeflow\n")  # a new file (a partial)
    changed()
    (profiles / "_base.yaml").write_text("namespace: kubeflow2\n")
    changed()
    (profiles / "manifests").mkdir()
    changed()
    (profiles / "manifests" / "cm.yaml").write_text("kind: ConfigMap\n")  # a file in a sub-directory
    changed()
    (profiles / "manifests" / "cm.yaml").rename(profiles / "manifests" / "cm2.yaml")  # a name
    changed()
    (profiles / ".hidden").write_bytes(b"")
    changed()
    assert key(profiles) in seen  # nothing changed: the same key
    for request in ({"profiles": ["gpu-lab"], "all": False, "stream": True},
                    {"profiles": [], "all": True, "stream": False}):
        assert key(profiles, request) not in seen
    assert key(Path(os.path.abspath(profiles))) not in seen  # the directory as given: messages show it
    sub = Path("sub")
    sub.mkdir()
    os.chdir(sub)
    assert key(Path("../profiles")) not in seen  # another working directory


def test_key_changes_with_kfgen_its_dependencies_and_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = ROOT / "profiles"
    base = key(profiles)
    package = tmp_path / "kfgen"
    shutil.copytree(cache.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", package)
    copy = key(profiles)
    assert copy == base  # the same files: the same key
    source = package / "prototypes" / "tf_job.py"
    source.write_bytes(source.read_bytes() + b"\n")
    assert key(profiles) != copy
    (package / "prototypes" / "core" / "jupyterhub_config.py.tmpl").write_text("x")  # package data too
    edited = key(profiles)
    assert edited != copy
    monkeypatch.setattr(cache, "PACKAGE_DIR", cache.PACKAGE_DIR)
    monkeypatch.undo()
    assert key(profiles) == base

    site = tmp_path / "site"
    (site / "pydantic-2.0.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    with_dep = key(profiles)
    assert with_dep != base
    (site / "pydantic-2.0.0.dist-info").rename(site / "pydantic-2.0.1.dist-info")  # another version
    assert key(profiles) not in (base, with_dep)
    monkeypatch.undo()
    assert key(profiles) == base
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert key(profiles) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + 1)
    assert key(profiles) != base


def test_every_input_change_renders_anew(workspace: Path, renders: list[str]) -> None:
    """End to end: a parent profile and a file a manifests component names, changed, are new renders whose
    output is what --no-cache prints."""
    profiles = workspace / "profiles"
    (profiles / "_base.yaml").write_text("namespace: team-a\n")
    (profiles / "objs").mkdir()
    cm = profiles / "objs" / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '1'\n")
    (profiles / "child.yaml").write_text("extends: _base\ncomponents:\n  extra:\n    prototype: manifests\n"
                                         "    params:\n      files: [objs/cm.yaml]\n")

    def stream() -> str:
        out, err, code, _ = kfgen("render", "-p", "child", "--stdout")
        assert code == 0, err
        assert out == kfgen("render", "-p", "child", "--stdout", "--no-cache")[0]
        return out

    first = stream()
    assert "namespace: team-a" in first and "a: '1'" in first
    n = len(renders)
    assert stream() == first and len(renders) == n + 1  # a hit, then the --no-cache render
    (profiles / "_base.yaml").write_text("namespace: team-b\n")
    assert "namespace: team-b" in stream()
    cm.write_text(cm.read_text().replace("a: '1'", "a: '2'"))
    assert "a: '2'" in stream()
    (profiles / "notes.txt").write_text("anything\n")  # any new file: a miss (still the same output)
    n = len(renders)
    stream()
    assert len(renders) == n + 2


# --- broken entries, failures, opting out, uncacheable inputs ---------------------------------------------


def _corruptions(data: bytes) -> list[bytes]:
    head, _, body = data.partition(b"\n")
    flipped = bytearray(body)
    flipped[len(flipped) // 2] ^= 0x01
    return [
        b"",
        data[: len(data) // 2],  # truncated
        data[:-1],
        head + b"\n" + bytes(flipped),  # one bit
        b"not json\n" + body,
        head.replace(b'"format": 1', b'"format": 0') + b"\n" + body,
        head + b"\n" + re.sub(rb'"objects":(\d+)', lambda m: b'"objects":%d' % (int(m[1]) + 1), body, count=1),
        # valid JSON, wrong checksum
    ]


def test_broken_entries_are_misses(workspace: Path, renders: list[str]) -> None:
    expected = kfgen("render", "-p", "gpu-lab", "--stdout")
    [entry] = entries()
    good = entry.read_bytes()
    for bad in _corruptions(good):
        entry.write_bytes(bad)
        n = len(renders)
        assert kfgen("render", "-p", "gpu-lab", "--stdout") == expected
        assert len(renders) == n + 1, bad[:80]
        assert entry.read_bytes() == good  # the miss stored the entry again
    entry.unlink()
    entry.mkdir()  # not a regular file
    assert kfgen("render", "-p", "gpu-lab", "--stdout") == expected
    entry.rmdir()


def test_an_entry_serves_only_its_own_key(workspace: Path, renders: list[str]) -> None:
    kfgen("render", "-p", "gpu-lab", "--stdout")
    [entry] = entries()
    other = cache.snapshot(Path("profiles"), {"profiles": ["cpu-laptop"], "all": False, "stream": True})
    assert other is not None
    shutil.copy(entry, entry.with_name(f"{other.key}.json"))  # gpu-lab's render under cpu-laptop's key
    assert cache.load(other) is None
    out, _, code, _ = kfgen("render", "-p", "cpu-laptop", "--stdout")
    assert code == 0 and "profile: cpu-laptop" in out and "profile: gpu-lab" not in out


def test_a_failing_render_is_not_stored(workspace: Path, renders: list[str]) -> None:
    (workspace / "profiles" / "bad.yaml").write_text("namespace: kubeflow\ncomponents:\n  x:\n    prototype: nope\n")
    first = kfgen("render", "-p", "bad")
    assert first[2] == 2 and entries() == []
    assert kfgen("render", "-p", "bad") == first
    assert renders == ["bad", "bad"]
    assert kfgen("render", "-p", "gpu-lab", "-p", "bad")[2] == 2  # one failing profile fails the run: not stored
    assert entries() == []


def test_no_cache_flag_and_environment(workspace: Path, renders: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    kfgen("render", "-p", "gpu-lab", "--no-cache")
    assert entries() == [] and renders == ["gpu-lab"]
    kfgen("render", "-p", "gpu-lab")  # stores
    kfgen("render", "-p", "gpu-lab", "--no-cache")  # does not read
    monkeypatch.setenv("KFGEN_NO_CACHE", "1")
    kfgen("render", "-p", "gpu-lab")
    assert renders == ["gpu-lab"] * 4
    monkeypatch.setenv("KFGEN_NO_CACHE", "0")
    kfgen("render", "-p", "gpu-lab")
    assert renders == ["gpu-lab"] * 4 and len(entries()) == 1


def test_unreadable_inputs_disable_the_cache(workspace: Path, renders: list[str]) -> None:
    profiles = workspace / "profiles"
    for make in (lambda p: os.mkfifo(p), lambda p: p.symlink_to("missing"), lambda p: p.symlink_to(".")):
        victim = profiles / "odd"
        make(victim)
        assert cache.snapshot(profiles, REQUEST) is None
        expected = kfgen("render", "-p", "gpu-lab", "--no-cache")
        assert kfgen("render", "-p", "gpu-lab") == expected
        assert entries() == []
        victim.unlink()
    assert cache.snapshot(profiles, REQUEST) is not None


def test_inputs_changed_during_the_render_are_not_stored(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = Workspace.render
    gpu = workspace / "profiles" / "gpu-lab.yaml"

    def touching(self: Workspace, name: str):  # type: ignore[no-untyped-def]
        gpu.write_bytes(gpu.read_bytes())  # the same bytes, written again while the render runs
        return original(self, name)

    monkeypatch.setattr(Workspace, "render", touching)
    assert kfgen("render", "-p", "gpu-lab")[2] == 0
    assert entries() == []


def test_pruning_keeps_the_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "c"
    d.mkdir()
    for i in range(6):
        (d / f"{i}.json").write_text("{}")
        os.utime(d / f"{i}.json", (1000 + i, 1000 + i))
    (d / ".tmp-old.json").write_text("")
    os.utime(d / ".tmp-old.json", (1000, 1000))
    (d / ".tmp-new.json").write_text("")
    cache.prune(d, keep=3)
    assert sorted(p.name for p in d.iterdir()) == [".tmp-new.json", "3.json", "4.json", "5.json"]


# --- a hit loads nothing heavy; concurrent writers ------------------------------------------------------

PROBE = r"""
import atexit, json, sys
importers = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "pydantic":
            f = sys._getframe(1)
            while f and f.f_globals.get("__name__", "").startswith(("importlib", "_frozen_importlib")):
                f = f.f_back
            importers.append(f.f_globals.get("__name__") if f else None)
        return None

sys.meta_path.insert(0, Watch())
atexit.register(lambda: print("MODULES " + json.dumps({"modules": sorted(sys.modules), "pydantic_by": importers})))
sys.argv = ["kfgen", *sys.argv[1:]]
from kfgen.cli import main
main()
"""
HEAVY = ("yaml", "kfgen.prototypes", "kfgen.render", "kfgen.profile", "kfgen.actions.info", "jsonschema", "ruamel")


def probe(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120)
    report = json.loads(proc.stdout.rsplit("MODULES ", 1)[1])
    proc.stdout = proc.stdout.rsplit("MODULES ", 1)[0]
    return proc, report


@pytest.mark.parametrize("args", [("render", "-p", "gpu-lab"), ("render", "--all", "--check"),
                                  ("render", "-p", "gpu-lab", "--stdout")])
def test_a_hit_loads_no_yaml_profile_or_prototype_code(workspace: Path, args: tuple[str, ...]) -> None:
    miss, loaded = probe(workspace, *args)
    assert miss.returncode == 0, miss.stderr
    assert "kfgen.profile" in loaded["modules"] and "yaml" in loaded["modules"]  # the probe sees imports
    hit, loaded = probe(workspace, *args)
    assert (hit.stdout, hit.stderr, hit.returncode) == (miss.stdout, miss.stderr, miss.returncode)
    heavy = [m for m in loaded["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
    # typer (0.29) validates command-line values with pydantic TypeAdapters: that import is typer's, none is kfgen's
    assert all(str(by).startswith("typer") for by in loaded["pydantic_by"]), loaded["pydantic_by"]


WRITER = r"""
import sys
from kfgen.output import cache
snap, rendered = cache.Snapshot(sys.argv[1], ()), [cache.Rendered("p", 1, {"f": "x" * 2_000_000})]
for _ in range(15):
    assert cache.write_entry(snap, rendered)
"""


def test_concurrent_writers_of_one_entry(tmp_path: Path) -> None:
    snap = cache.Snapshot("f" * 64, ())
    rendered = [cache.Rendered("p", 1, {"f": "x" * 2_000_000})]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, snap.key], env=os.environ.copy()) for _ in range(4)]
    while any(p.poll() is None for p in procs):  # readers meanwhile see the whole entry or none
        got = cache.load(snap)
        assert got is None or got == rendered
    assert all(p.wait() == 0 for p in procs)
    assert cache.load(snap) == rendered
    assert [p.name for p in cache.cache_dir().iterdir()] == [f"{snap.key}.json"]  # no temporary file left
