"""Replace ``out/<profile>/`` atomically, and never delete a file kfgen did not write.

A write builds the whole new directory beside the old one (``out/.NAME.new-XXXXXXXX``) and then
swaps the two in one system call (Linux ``renameat2(RENAME_EXCHANGE)``), so at every instant
``out/NAME`` is the complete old or the complete new output, whatever kills the process. What a
killed run leaves behind (``.NAME.new-*``, ``.NAME.old-*``) is removed by the next write. Callers
hold :func:`kfgen.output.lock.locked` on the parent directory while they write.

Files kfgen did not write are the entries of ``out/NAME/`` that the Kustomization of the previous
render does not list. By default they stop the write (:data:`FOREIGN_POLICIES`: ``refuse``);
``keep`` carries them into the new directory, ``move`` moves them to ``out/NAME.foreign-<time>/``.
"""

from __future__ import annotations

import ctypes
import datetime
import errno
import os
import platform
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from kfgen.errors import KfgenError, Problem
from kfgen.output.files import list_tree, written_by_kfgen

FOREIGN_POLICIES = ("refuse", "keep", "move")
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:new|old)-[A-Za-z0-9_]{8}$")  # what tempfile.mkdtemp makes

# --- renameat2(RENAME_EXCHANGE) ------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_SYSCALL_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}  # for a libc without the renameat2 wrapper (glibc < 2.28)


def _renameat2_function():  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    func = getattr(libc, "renameat2", None)
    if func is not None:
        func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        func.restype = ctypes.c_int
        return func
    number = _SYSCALL_RENAMEAT2.get(platform.machine())
    if number is None:
        return None
    syscall = libc.syscall
    syscall.restype = ctypes.c_long

    def via_syscall(olddirfd: int, old: bytes, newdirfd: int, new: bytes, flags: int) -> int:
        return syscall(ctypes.c_long(number), ctypes.c_int(olddirfd), ctypes.c_char_p(old),
                       ctypes.c_int(newdirfd), ctypes.c_char_p(new), ctypes.c_uint(flags))

    return via_syscall


_renameat2 = _renameat2_function()


def exchange(a: Path, b: Path) -> bool:
    """Swap the directories *a* and *b* in one atomic step. False when this system or file system
    cannot (not Linux, a kernel before 3.15, a file system without RENAME_EXCHANGE); other
    failures raise OSError."""
    if _renameat2 is None:
        return False
    ctypes.set_errno(0)
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


# --- durability ----------------------------------------------------------------------------------


def _syncfs_function():  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux"):
        return None
    try:
        func = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    except OSError:
        return None
    if func is not None:
        func.argtypes = [ctypes.c_int]
        func.restype = ctypes.c_int
    return func


_syncfs = _syncfs_function()


def _sync_filesystem(fd: int) -> bool:
    """``syncfs(2)`` on the file system of *fd*: every dirty page and inode of it on stable storage,
    the journal committed, the disk's cache flushed. False when this system has no syncfs; a failure
    (a writeback error since *fd* was opened, Linux 5.8+) raises OSError."""
    if _syncfs is None:
        return False
    ctypes.set_errno(0)
    if _syncfs(fd) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err))


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _fsync_files(paths: list[Path]) -> None:
    """Fallback barrier without syncfs: fsync each file, after all of them were written (the file
    system writes them back together instead of one commit per file while writing)."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- helpers -------------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the rename order still holds
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Remove *path* whatever it is (a symlink is removed, never followed)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def clean_leftovers(parent: Path, name: str | None = None) -> list[Path]:
    """Remove the staging and old directories a killed write left in *parent* (for *name*, or every
    name). A ``.NAME.old-*`` whose ``NAME`` is missing is the old output of a write killed between
    the two renames of the fallback swap: it is put back instead of removed. Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = sorted(parent.iterdir()) if parent.is_dir() else []
    except OSError:
        return removed
    for path in entries:
        m = _LEFTOVER.match(path.name)
        if not m or (name is not None and m["name"] != name) or path.is_symlink() or not path.is_dir():
            continue
        target = parent / m["name"]
        try:
            if ".old-" in path.name and not os.path.lexists(target) and (path / "dir").is_dir():
                os.rename(path / "dir", target)
            shutil.rmtree(path)
            removed.append(path)
        except OSError as exc:
            raise KfgenError(Problem(f"cannot remove {path}/ (left by an interrupted kfgen run): "
                                     f"{exc.strerror or exc}")) from None
    return removed


def _read_error(path: Path, exc: OSError) -> KfgenError:
    return KfgenError(Problem(f"cannot read {path}: {exc.strerror or exc}"))


def foreign_entries(target: Path) -> tuple[list[str], bool]:
    """The top-level entries of *target* kfgen did not write, and whether *target* is kfgen's output
    at all (when it is not, every entry is foreign). A missing *target* has none."""
    if not os.path.lexists(target):
        return [], True
    if not target.is_dir():
        raise KfgenError(Problem(f"{target} exists and is not a directory; refusing to replace it",
                                 hint="move it away, or choose another --out-dir"))
    try:
        entries = sorted(os.listdir(target))
    except OSError as exc:
        raise _read_error(target, exc) from None
    listed = written_by_kfgen(target)
    if listed is None:
        return entries, not entries
    return [e for e in entries if e not in listed], True


def describe(target: Path, entries: list[str]) -> list[str]:
    """Each foreign file as a path (the files inside a foreign directory, or the directory when empty)."""
    shown: list[str] = []
    for e in entries:
        path = target / e
        if path.is_dir() and not path.is_symlink():
            inner = list_tree(path)
            shown.extend(f"{path}/{f}" for f in inner) if inner else shown.append(f"{path}/")
        else:
            shown.append(str(path))
    return shown


def refuse_foreign(target: Path, entries: list[str], kfgen_output: bool) -> KfgenError:
    files = describe(target, entries)
    if kfgen_output:
        what = f"{target}/ holds {len(files)} file(s) kfgen did not write; refusing to touch them"
    else:
        what = f"{target} exists and was not written by kfgen; refusing to replace it"
    return KfgenError(Problem(what, found="\n            ".join(files),
                              hint="move them away yourself, or re-run with --foreign=keep (leave them in the "
                                   "new output) or --foreign=move (move them to "
                                   f"{target.name}.foreign-<time>/ beside it)"))


def move_aside(target: Path, entries: list[str]) -> Path:
    """Move *entries* of *target* into a new ``NAME.foreign-<UTC time>/`` beside it; returns that directory."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1000):
        aside = target.parent / f"{target.name}.foreign-{stamp}{f'-{n}' if n else ''}"
        try:
            aside.mkdir()
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - a thousand runs in one second
        raise KfgenError(Problem(f"cannot find a free name for {target.name}.foreign-{stamp}"))
    for e in entries:
        os.rename(target / e, aside / e)
    _fsync_dir(aside)
    _fsync_dir(target)
    return aside


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _carry(src: Path, dst: Path) -> None:
    """Put a copy of *src* (hard links where possible) at *dst*; the original stays until the swap."""
    mode = src.lstat().st_mode
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISDIR(mode):
        shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
    elif stat.S_ISREG(mode):
        _link_or_copy(str(src), str(dst))
    else:
        raise KfgenError(Problem(f"cannot keep {src}: it is not a regular file, directory or symlink",
                                 hint="move it away, or use --foreign=move"))


# --- the write -----------------------------------------------------------------------------------


def write_dir(target: Path, files: dict[str, str], *, foreign: str = "refuse") -> Path | None:
    """Replace *target* with exactly *files* (plus, with ``foreign='keep'``, the entries kfgen did
    not write); on any error the old directory stays as it was. Returns the directory the foreign
    entries were moved to (``foreign='move'``), else None. The caller holds the parent's lock."""
    if foreign not in FOREIGN_POLICIES:
        raise KfgenError(Problem(f"unknown --foreign policy {foreign!r}", expected=" | ".join(FOREIGN_POLICIES)))
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KfgenError(Problem(f"cannot create {parent}: {exc.strerror or exc}")) from None
    clean_leftovers(parent, target.name)
    entries, kfgen_output = foreign_entries(target)
    if entries and foreign == "refuse":
        raise refuse_foreign(target, entries, kfgen_output)
    if entries and foreign == "keep":
        clash = [e for e in entries if e in files]
        if clash:
            raise KfgenError(Problem(f"cannot keep {', '.join(str(target / e) for e in clash)}: "
                                     "kfgen writes a file of that name",
                                     hint="move it away, or use --foreign=move"))
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=parent))
    except OSError as exc:
        raise KfgenError(Problem(f"cannot write {target}: {exc.strerror or exc}",
                                 hint="the previous output is left as it was")) from None
    aside: Path | None = None
    staging_fd: int | None = None
    try:
        # opened before anything is written: syncfs reports the writeback errors seen since then
        staging_fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
        for name, text in files.items():
            _write_file(staging / name, text.encode("utf-8"))
        if entries and foreign == "keep":
            for e in entries:
                _carry(target / e, staging / e)
        os.chmod(staging, 0o755)
        # One durability barrier for the whole staging directory, before the swap. The guarantee
        # (after a crash or power loss, out/NAME is the complete old or the complete new output)
        # needs exactly this order: every new file's data and the staging directory's entries on
        # stable storage *before* the exchange can be; then the exchange; then the parent's fsync
        # makes the exchange itself durable. syncfs(2) on the staging directory's file system
        # writes back and waits for every dirty page and inode there (ours, carried files
        # included), commits the journal and flushes the disk cache: the same barrier a per-file
        # fsync gave, in one commit instead of one per file (~3x faster for 1,000 files). It also
        # flushes other processes' dirty data on that file system, which can only make it slower,
        # never weaker. Without syncfs (not Linux), every file is fsynced after all are written,
        # then the directory. A crash before the barrier returns leaves out/NAME untouched (the
        # staging directory is a leftover the next write removes), as a kill always did.
        if not _sync_filesystem(staging_fd):
            _fsync_files([staging / name for name in files])
            _fsync_dir(staging)
        os.close(staging_fd)
        staging_fd = None
        if entries and foreign == "move":
            aside = move_aside(target, entries)
        _swap(staging, target)
        _fsync_dir(parent)
    except BaseException as exc:
        if staging_fd is not None:
            os.close(staging_fd)
        if aside is not None and target.is_dir():  # the swap failed: put the moved entries back
            for e in entries:
                try:
                    os.rename(aside / e, target / e)
                except OSError:
                    pass
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            where = f"; files kfgen did not write are in {aside}/" if aside is not None and aside.exists() else ""
            raise KfgenError(Problem(f"cannot write {target}: {exc.strerror or exc}",
                                     hint=f"the previous output is left as it was{where}")) from None
        raise
    # staging now holds the old output (or nothing): a kill here leaves it for the next run to remove
    try:
        if os.path.lexists(staging):
            _remove(staging)
    except OSError:
        pass  # the write itself succeeded; the next write removes the leftover
    return aside


def _swap(staging: Path, target: Path) -> None:
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    if exchange(staging, target):
        return
    # Fallback where renameat2(RENAME_EXCHANGE) is unsupported (not Linux, old kernel, a file system
    # without it): two renames, with a short window in which `target` is missing. A run killed in
    # that window leaves `.NAME.old-*/dir`, which clean_leftovers() puts back.
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / "dir")
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old / "dir", target)
        os.rmdir(old)
        raise
    os.rename(old / "dir", staging)  # the caller removes staging, as after an exchange
    os.rmdir(old)


def remove_dir(target: Path) -> None:
    """Remove *target*: first renamed out of the way in one step, so a kill never leaves half of it."""
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / "gone")  # not "dir": clean_leftovers() must not put it back
    shutil.rmtree(old)
