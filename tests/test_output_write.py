"""Writes never lose or leak a file: the atomic swap of out/NAME, kills at random moments, concurrent
writers and checkers, files kfgen did not write, leftovers of killed runs, and failures without traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, invoke, load_script, snapshot  # noqa: E402

from kfgen.output import write as writemod
from kfgen.output.write import exchange

KFGEN = [sys.executable, "-c", "from kfgen.cli import main; main()"]


killtest = load_script("killtest")


run = invoke


def assert_clean_failure(proc: subprocess.CompletedProcess, fragment: str) -> None:  # type: ignore[type-arg]
    """Exit 2, the reason on the first line of stderr, no traceback."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out, out
    first = proc.stderr.splitlines()[0]
    assert first.startswith("error:") and fragment in first, out


def kfgen(cwd: Path, *args: str, prefix: list[str] | None = None, timeout: float = 60):  # type: ignore[no-untyped-def]
    return subprocess.run([*(prefix or []), *KFGEN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def unprivileged() -> list[str]:
    """A command prefix that drops the power to ignore file modes (root bypasses chmod 000)."""
    if os.geteuid() != 0:
        return []
    prefix = ["unshare", "-U", "--map-user=1000", "--map-group=1000"]
    if shutil.which("unshare") is None or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root without user namespaces: file modes cannot be tested")
    return prefix


def read_only(directory: Path) -> list[str]:
    """A command prefix under which *directory* is a read-only mount (EROFS, even for root)."""
    prefix = ["unshare", "-rm", "sh", "-c",
              'd=$1; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" && exec "$@"', "sh", str(directory)]
    if shutil.which("unshare") is None or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("no user and mount namespaces here: a read-only mount cannot be made")
    return prefix


def big_profile(workspace: Path, instances: int, variant: int) -> None:
    (workspace / "profiles" / "big.yaml").write_text(killtest.profile_text(instances, variant))


def staging_dirs(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if ".new-" in p.name or ".old-" in p.name)


# --- atomic swap, kills, concurrency -------------------------------------------------------------


def test_exchange_swaps_two_directories_in_one_step(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not supported here (the two-rename fallback is used)")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_a_write_over_existing_output_swaps_by_exchange(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def spy(a: Path, b: Path) -> bool:
        calls.append(exchange(a, b))
        return calls[-1]

    monkeypatch.setattr(writemod, "exchange", spy)
    _dirty(workspace)
    assert run("render", "-p", "gpu-lab").exit_code == 0
    assert len(calls) == 1
    if sys.platform.startswith("linux"):
        assert calls == [True], "renameat2(RENAME_EXCHANGE) was not used on Linux"


def test_kill_at_random_times_leaves_the_old_or_the_new_output(tmp_path: Path) -> None:
    fig = killtest.kill_loop(tmp_path, iterations=6, seed=7, instances=300)
    assert not fig.bad, fig.report() + "\n" + "\n".join(fig.bad)
    assert fig.polls_missing == 0 and fig.polls > 0, fig.report()
    assert fig.kills >= 1, fig.report()


def test_concurrent_writers_are_serialised(workspace: Path) -> None:
    big_profile(workspace, 80, 0)
    assert kfgen(workspace, "render", "-p", "big").returncode == 0
    big_profile(workspace, 80, 1)
    procs = [subprocess.Popen([*KFGEN, "render", "-p", "big"], cwd=workspace, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert kfgen(workspace, "render", "-p", "big", "--out-dir", "fresh").returncode == 0
    assert snapshot(workspace / "out" / "big") == snapshot(workspace / "fresh" / "big")
    assert staging_dirs(workspace / "out") == []


def test_a_concurrent_check_never_sees_a_missing_directory(workspace: Path) -> None:
    big_profile(workspace, 80, 0)
    assert kfgen(workspace, "render", "-p", "big").returncode == 0
    watcher = killtest.Watcher(workspace / "out" / "big")
    done = threading.Event()
    writes: list[int] = []

    def writer() -> None:
        for variant in (1, 0, 1, 0):
            big_profile(workspace, 80, variant)
            writes.append(kfgen(workspace, "render", "-p", "big").returncode)
        done.set()

    watcher.start()
    thread = threading.Thread(target=writer)
    thread.start()
    checks = []
    try:
        while not done.is_set():
            checks.append(kfgen(workspace, "render", "-p", "big", "--check"))
    finally:
        thread.join()
        watcher.stop()
    assert writes == [0, 0, 0, 0]
    assert checks
    for c in checks:
        assert c.returncode in (0, 1) and "Traceback" not in c.stderr, c.stderr
        assert "missing" not in c.stderr, c.stderr  # only "modified": the directory was always complete
    assert watcher.polls > 0 and watcher.missing == 0


def test_leftovers_of_a_killed_run_are_removed_and_a_lost_output_put_back(workspace: Path) -> None:
    out = workspace / "out"
    before = snapshot(out / "gpu-lab")
    (out / ".gpu-lab.new-abcd_123").mkdir()
    (out / ".gpu-lab.new-abcd_123" / "half.yaml").write_text("kind: X\n")
    # a run of the two-rename fallback killed between its renames: out/gpu-lab is in .old-*/dir
    (out / ".gpu-lab.old-zz_98765").mkdir()
    os.rename(out / "gpu-lab", out / ".gpu-lab.old-zz_98765" / "dir")
    (out / ".cpu-laptop.old-qwertyui").mkdir()
    res = run("render", "-p", "gpu-lab")
    assert res.exit_code == 0 and "(unchanged)" in res.stdout, res.output
    assert snapshot(out / "gpu-lab") == before
    assert staging_dirs(out) == []


def test_the_two_rename_fallback_writes_too(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writemod, "exchange", lambda a, b: False)
    _dirty(workspace)
    res = run("render", "-p", "gpu-lab")
    assert res.exit_code == 0, res.output
    assert run("render", "-p", "gpu-lab", "--check").exit_code == 0
    assert staging_dirs(workspace / "out") == []


# --- files kfgen did not write -------------------------------------------------------------------


def test_foreign_files_stop_render_and_change_nothing(workspace: Path) -> None:
    out = workspace / "out" / "gpu-lab"
    (out / "notes.txt").write_text("mine")
    (out / "extra").mkdir()
    (out / "extra" / "x.yaml").write_text("kind: X\n")
    victim = sorted(out.glob("*-deployment-*.yaml"))[0]
    victim.write_text(victim.read_text() + "# edited\n")  # so that kfgen has something to write
    before = snapshot(workspace / "out")
    res = run("render", "--all")
    assert res.exit_code == 2
    assert "out/gpu-lab/ holds 2 file(s) kfgen did not write" in res.stderr.splitlines()[0]
    assert "out/gpu-lab/notes.txt" in res.stderr and "out/gpu-lab/extra/x.yaml" in res.stderr
    assert "--foreign=keep" in res.stderr and "Traceback" not in res.output
    assert snapshot(workspace / "out") == before


def test_foreign_keep_leaves_them_in_the_new_output(workspace: Path) -> None:
    out = workspace / "out" / "gpu-lab"
    (out / "notes.txt").write_text("mine")
    (out / "extra").mkdir()
    (out / "extra" / "x.yaml").write_text("kind: X\n")
    victim = sorted(out.glob("*-deployment-*.yaml"))[0]
    victim.write_text("edited\n")
    res = run("render", "-p", "gpu-lab", "--foreign=keep")
    assert res.exit_code == 0, res.output
    assert "kept 2 file(s) kfgen did not write" in res.stderr
    assert (out / "notes.txt").read_text() == "mine" and (out / "extra" / "x.yaml").read_text() == "kind: X\n"
    assert victim.read_text() != "edited\n"
    again = run("render", "-p", "gpu-lab", "--foreign=keep")
    assert again.exit_code == 0 and "(unchanged)" in again.stdout


def test_foreign_move_moves_them_beside_the_output(workspace: Path) -> None:
    out = workspace / "out" / "gpu-lab"
    (out / "notes.txt").write_text("mine")
    res = run("render", "-p", "gpu-lab", "--foreign=move")
    assert res.exit_code == 0, res.output
    aside = sorted((workspace / "out").glob("gpu-lab.foreign-*"))
    assert len(aside) == 1 and (aside[0] / "notes.txt").read_text() == "mine"
    assert f"moved files kfgen did not write to out/{aside[0].name}/" in res.stderr
    assert run("render", "-p", "gpu-lab", "--check").exit_code == 0


def test_a_directory_kfgen_did_not_write_keeps_its_files(workspace: Path) -> None:
    mine = workspace / "mine" / "gpu-lab"
    mine.mkdir(parents=True)
    (mine / "Kustomization").write_text("resources: [a.yaml]\n")  # the user's, not kfgen's
    (mine / "precious.txt").write_text("keep me")
    res = run("render", "-p", "gpu-lab", "--out-dir", "mine")
    assert res.exit_code == 2 and "was not written by kfgen" in res.stderr
    res = run("render", "-p", "gpu-lab", "--out-dir", "mine", "--foreign=keep")
    assert res.exit_code == 2 and "kfgen writes a file of that name" in res.stderr
    assert (mine / "precious.txt").read_text() == "keep me"
    res = run("render", "-p", "gpu-lab", "--out-dir", "mine", "--foreign=move")
    assert res.exit_code == 0, res.output
    (aside,) = (workspace / "mine").glob("gpu-lab.foreign-*")
    assert (aside / "precious.txt").read_text() == "keep me"
    assert (aside / "Kustomization").read_text() == "resources: [a.yaml]\n"


def test_an_unknown_foreign_policy_is_refused(workspace: Path) -> None:
    res = run("render", "-p", "gpu-lab", "--foreign=delete")
    assert res.exit_code == 2 and "--foreign must be one of refuse, keep, move" in res.stderr


@pytest.mark.parametrize("form", ["dangling-symlink", "symlink-loop", "directory"])
def test_render_all_keeps_output_whose_profile_exists_in_any_form(workspace: Path, form: str) -> None:
    profile = workspace / "profiles" / "cpu-laptop.yaml"
    profile.unlink()
    if form == "dangling-symlink":
        profile.symlink_to(workspace / "nowhere.yaml")
    elif form == "symlink-loop":
        profile.symlink_to(profile)
    else:
        profile.mkdir()
    before = snapshot(workspace / "out" / "cpu-laptop")
    res = run("render", "--all")
    assert "Traceback" not in res.output
    assert snapshot(workspace / "out" / "cpu-laptop") == before
    assert "removed" not in res.stdout


def test_render_all_never_removes_a_stale_directory_with_foreign_files(workspace: Path) -> None:
    (workspace / "profiles" / "cpu-laptop.yaml").unlink()
    stale = workspace / "out" / "cpu-laptop"
    (stale / "notes.txt").write_text("mine")
    victim = sorted((workspace / "out" / "gpu-lab").glob("*-deployment-*.yaml"))[0]
    victim.write_text("edited\n")
    before = snapshot(workspace / "out")
    res = run("render", "--all")
    assert res.exit_code == 2 and "out/cpu-laptop/notes.txt" in res.stderr
    assert snapshot(workspace / "out") == before  # gpu-lab was not written either
    res = run("render", "--all", "--foreign=keep")
    assert res.exit_code == 0 and "kept out/cpu-laptop/" in res.stderr
    assert (stale / "notes.txt").read_text() == "mine" and victim.read_text() != "edited\n"
    res = run("render", "--all", "--foreign=move")
    assert res.exit_code == 0 and "removed out/cpu-laptop/" in res.stdout
    assert not stale.exists()
    (aside,) = (workspace / "out").glob("cpu-laptop.foreign-*")
    assert (aside / "notes.txt").read_text() == "mine"


# --- no traceback --------------------------------------------------------------------------------


def _dirty(workspace: Path) -> None:
    """Give render something to write to out/gpu-lab/."""
    victim = sorted((workspace / "out" / "gpu-lab").glob("*-deployment-*.yaml"))[0]
    victim.write_text("edited\n")


def test_unwritable_out_dir(workspace: Path) -> None:
    prefix = unprivileged()
    _dirty(workspace)
    out = workspace / "out"
    before = snapshot(out)
    out.chmod(0o555)
    try:
        proc = kfgen(workspace, "render", "-p", "gpu-lab", prefix=prefix)
    finally:
        out.chmod(0o755)
    assert_clean_failure(proc, "cannot write out/gpu-lab: Permission denied")
    assert snapshot(out) == before


def test_read_only_out_dir(workspace: Path) -> None:
    _dirty(workspace)
    before = snapshot(workspace / "out")
    proc = kfgen(workspace, "render", "-p", "gpu-lab", prefix=read_only(workspace / "out"))
    assert_clean_failure(proc, "Read-only file system")
    assert snapshot(workspace / "out") == before
    proc = kfgen(workspace, "render", "-p", "gpu-lab", "--check", prefix=read_only(workspace / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("what", ["file", "sub-directory", "output-directory", "out-dir"])
def test_unreadable_entries_in_out(workspace: Path, what: str) -> None:
    prefix = unprivileged()
    out = workspace / "out" / "gpu-lab"
    victim = {"file": sorted(out.glob("*-deployment-*.yaml"))[0], "sub-directory": out / "extra",
              "output-directory": out, "out-dir": workspace / "out"}[what]
    if what == "sub-directory":
        victim.mkdir()
        (victim / "x.yaml").write_text("kind: X\n")
    victim.chmod(0)
    try:
        for args in (["render", "-p", "gpu-lab"], ["render", "-p", "gpu-lab", "--check"]):
            proc = kfgen(workspace, *args, prefix=prefix)
            if what == "out-dir":  # the option parser checks it first
                assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
                # (click words it "path" or "Path" depending on typer's version)
                said = proc.stderr.replace("Path", "path")
                assert "Invalid value for '--out-dir': path 'out' is not readable" in said
            else:
                assert_clean_failure(proc, "Permission denied")
                assert "cannot read" in proc.stderr
    finally:
        victim.chmod(0o755)


def test_output_path_that_is_a_file(workspace: Path) -> None:
    shutil.rmtree(workspace / "out" / "gpu-lab")
    (workspace / "out" / "gpu-lab").write_text("not a directory")
    res = run("render", "-p", "gpu-lab")
    assert res.exit_code == 2 and "out/gpu-lab exists and is not a directory" in res.stderr.splitlines()[0]


def test_a_fifo_in_out_is_never_opened(workspace: Path) -> None:
    out = workspace / "out" / "gpu-lab"
    os.mkfifo(out / "pipe")
    proc = kfgen(workspace, "render", "-p", "gpu-lab", "--check", timeout=30)
    assert proc.returncode == 1 and "extra    out/gpu-lab/pipe" in proc.stderr, proc.stderr
    proc = kfgen(workspace, "render", "-p", "gpu-lab", timeout=30)
    assert_clean_failure(proc, "kfgen did not write")


@pytest.mark.parametrize("target, fragment", [
    ("/", "it is a directory"),
    (".", "it is a directory"),
    ("sub/..", "it is a directory"),
    ("afile/x.json", "cannot write afile/x.json"),
    ("fifo", "it is not a regular file"),
])
@pytest.mark.parametrize("check", [False, True])
def test_schemas_profile_bad_output(workspace: Path, target: str, fragment: str, check: bool) -> None:
    (workspace / "afile").write_text("")
    (workspace / "sub").mkdir()
    os.mkfifo(workspace / "fifo")
    res = run("schemas", "profile", "-o", target, *(["--check"] if check else []))
    assert "Traceback" not in res.output
    if check and fragment not in ("it is a directory",):
        assert res.exit_code in (1, 2), res.output  # nothing to compare with: out of date
    else:
        assert res.exit_code == 2, res.output
        first = res.stderr.splitlines()[0]
        assert first.startswith("error:") and fragment in first, res.stderr
    assert (workspace / "afile").read_text() == ""
    assert not (workspace / "fifo").is_file()


# --- no traceback: profiles that are not files, chains too deep, and validate's exit code ----------------------


def _profile_form(profiles: Path, name: str, form: str) -> None:
    path = profiles / f"{name}.yaml"
    if path.exists() or path.is_symlink():
        path.unlink()
    if form == "dangling-symlink":
        path.symlink_to(profiles / "nowhere.yaml")
    elif form == "symlink-loop":
        path.symlink_to(path.name)
    elif form == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()


PROFILE_FORMS = ["dangling-symlink", "symlink-loop", "fifo", "directory"]


@pytest.mark.parametrize("verb", ["render", "validate"])
@pytest.mark.parametrize("form", PROFILE_FORMS)
def test_a_profile_that_is_not_a_regular_file(workspace: Path, form: str, verb: str) -> None:
    _profile_form(workspace / "profiles", "odd", form)
    before = snapshot(workspace / "out")
    args = ["--no-kubeconform"] if verb == "validate" else []
    proc = kfgen(workspace, verb, "-p", "odd", *args, timeout=60)  # a FIFO must never be opened: no hang
    assert_clean_failure(proc, "unknown profile 'odd'")
    assert snapshot(workspace / "out") == before and not (workspace / "out" / "odd").exists()


@pytest.mark.parametrize("verb", ["render", "validate"])
@pytest.mark.parametrize("form", PROFILE_FORMS)
def test_a_parent_that_is_not_a_regular_file(workspace: Path, form: str, verb: str) -> None:
    profiles = workspace / "profiles"
    _profile_form(profiles, "_base", form)
    (profiles / "child.yaml").write_text("extends: _base\nnamespace: child\n")
    args = ["--no-kubeconform"] if verb == "validate" else []
    proc = kfgen(workspace, verb, "-p", "child", *args, timeout=60)
    assert_clean_failure(proc, "extends '_base', which does not exist")
    assert not (workspace / "out" / "child").exists()


@pytest.mark.parametrize("verb", ["render", "validate"])
def test_an_extends_chain_deeper_than_the_limit(workspace: Path, verb: str) -> None:
    from kfgen.profile.store import MAX_EXTENDS_DEPTH

    profiles = workspace / "profiles"
    for i in range(MAX_EXTENDS_DEPTH + 3):
        (profiles / f"_p{i}.yaml").write_text(f"extends: _p{i + 1}\n")
    (profiles / f"_p{MAX_EXTENDS_DEPTH + 3}.yaml").write_text("namespace: deep\n")
    (profiles / "deep.yaml").write_text("extends: _p0\n")
    args = ["--no-kubeconform"] if verb == "validate" else []
    proc = kfgen(workspace, verb, "-p", "deep", *args)
    assert_clean_failure(proc, f"extends chain longer than {MAX_EXTENDS_DEPTH} profiles")
    assert not (workspace / "out" / "deep").exists()
    # a chain within the limit renders
    (profiles / "deep.yaml").write_text(f"extends: _p{5}\n")
    assert kfgen(workspace, verb, "-p", "deep", *args).returncode == 0


ERRORS = ROOT / "tests" / "testdata" / "errors"


def test_the_readme_says_a_bad_profile_exits_2() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "A bad profile gets file, line, field path, expected vs found and a did-you-mean, exit code 2" in readme
    assert "2 bad input (profile errors, unknown names)" in readme


@pytest.mark.parametrize("case", sorted(p.stem for p in ERRORS.glob("*.yaml")
                                        if (ERRORS / f"{p.stem}.txt").read_text().startswith("exit code: 2")))
def test_validate_on_a_bad_profile_exits_2_like_render(workspace: Path, case: str) -> None:
    """`kfgen validate` on a profile that render refuses exits 2 (it used to exit 1), listing the same problems."""
    shutil.copy(ERRORS / f"{case}.yaml", workspace / "profiles" / f"{case}.yaml")
    if (ERRORS / f"{case}.profiles").is_dir():
        shutil.copytree(ERRORS / f"{case}.profiles", workspace / "profiles", dirs_exist_ok=True)
    rendered = run("render", "-p", case)
    validated = run("validate", "-p", case, "--no-kubeconform")
    assert rendered.exit_code == 2 and validated.exit_code == 2, validated.output
    assert "Traceback" not in validated.output
    errors = [line for line in validated.stderr.splitlines() if line.startswith("error:")]
    assert errors and errors == [line for line in rendered.stderr.splitlines() if line.startswith("error:")]
    assert not (workspace / "out" / case).exists()


def test_validate_of_a_good_profile_with_invalid_committed_output_still_exits_1(workspace: Path) -> None:
    victim = sorted((workspace / "out" / "cpu-laptop").glob("*-deployment-*.yaml"))[0]
    victim.write_text(victim.read_text().replace("kind: Deployment", "kind: Deployment\nbogus: 1", 1))
    res = run("validate", "-p", "cpu-laptop", "--no-kubeconform")
    assert res.exit_code == 1, res.output
    assert "bogus" in res.stderr


# --- durability: one barrier before the swap -----------------------------------------------------


def _as_kfgen(files: dict[str, str]) -> dict[str, str]:
    """*files* and the Kustomization listing them, so that the next write sees kfgen's own output."""
    from kfgen.output.files import HEADER, KUSTOMIZATION

    listing = "".join(f"- {name}\n" for name in sorted(files))
    return {**files, KUSTOMIZATION: f"{HEADER} for profile 'p'\nresources:\n{listing}"}


def _old_output(tmp_path: Path) -> Path:
    target = tmp_path / "out" / "p"
    writemod.write_dir(target, _as_kfgen({"a.yaml": "old: 1\n"}))
    return target


def test_one_filesystem_barrier_before_the_swap_and_no_fsync_per_file(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if writemod._syncfs is None:
        pytest.skip("no syncfs(2) here: the batched-fsync fallback is tested below")
    target = _old_output(tmp_path)
    events: list[str] = []
    real_syncfs, real_exchange, real_fsync = writemod._syncfs, writemod.exchange, os.fsync

    def syncfs(fd: int) -> int:
        events.append("syncfs " + os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1].split("-")[0])
        return real_syncfs(fd)  # type: ignore[no-any-return, misc]

    def fsync(fd: int) -> None:
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1])
        real_fsync(fd)

    monkeypatch.setattr(writemod, "_syncfs", syncfs)
    monkeypatch.setattr(writemod, "exchange", lambda a, b: events.append("exchange") or real_exchange(a, b))
    monkeypatch.setattr(writemod.os, "fsync", fsync)
    files = _as_kfgen({f"{i:02d}.yaml": f"n: {i}\n" for i in range(20)})
    assert writemod.write_dir(target, files) is None
    # the staging directory's file system is synced once, then swapped, then the parent's entry made durable
    assert events == ["syncfs .p.new", "exchange", "fsync out"]
    assert {p.name: p.read_text() for p in target.iterdir()} == files


def test_without_syncfs_every_file_is_fsynced_after_all_are_written(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = _old_output(tmp_path)
    events: list[str] = []
    real_write, real_fsync = writemod._write_file, os.fsync

    def write_file(path: Path, data: bytes) -> None:
        events.append("write " + path.name)
        real_write(path, data)

    def fsync(fd: int) -> None:
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1])
        real_fsync(fd)

    monkeypatch.setattr(writemod, "_syncfs", None)
    monkeypatch.setattr(writemod, "_write_file", write_file)
    monkeypatch.setattr(writemod.os, "fsync", fsync)
    files = _as_kfgen({"a.yaml": "a: 1\n", "b.yaml": "b: 2\n"})
    writemod.write_dir(target, files)
    staging = events[-2].split()[1]  # the staging directory, fsynced after its files
    assert staging.startswith(".p.new-")
    assert events == ["write a.yaml", "write b.yaml", "write Kustomization",
                      "fsync a.yaml", "fsync b.yaml", "fsync Kustomization", f"fsync {staging}", "fsync out"]
    assert {p.name: p.read_text() for p in target.iterdir()} == files


def test_a_failed_barrier_keeps_the_old_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes
    import errno

    from kfgen.errors import KfgenError

    target = _old_output(tmp_path)

    def syncfs(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(writemod, "_syncfs", syncfs)
    with pytest.raises(KfgenError) as exc:
        writemod.write_dir(target, _as_kfgen({"a.yaml": "new: 2\n"}))
    assert "cannot write" in str(exc.value) and "Input/output error" in str(exc.value)
    assert (target / "a.yaml").read_text() == "old: 1\n"
    assert staging_dirs(target.parent) == []


def test_written_bytes_are_the_text_exactly(tmp_path: Path) -> None:
    target = tmp_path / "out" / "p"
    text = "a: \"é\\u2028\"\r\nb: |\n  x\n" + "c: " + "y" * 200_000 + "\n"
    writemod.write_dir(target, {"a.yaml": text})
    assert (target / "a.yaml").read_bytes() == text.encode("utf-8")
