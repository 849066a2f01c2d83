"""The render cache: ``kfgen render`` of inputs rendered before, answered without loading pydantic, YAML,
the profile model or the prototypes.

An entry is keyed by a hash of everything a render reads or runs (:func:`snapshot`): the names and bytes
of every file below the profiles directory (profiles, partials, the files manifests name), the request
(profile names or ``--all``, stream or files), the profiles directory as given and the working directory
(messages name files relative to it), every file of the kfgen package, the installed distributions of
every ``sys.path`` entry (names, so versions, and their directories' inode and times), the Python version
and :data:`FORMAT`. Nothing is ever looked up by anything less: an entry is used only for exactly its key,
and it names its key inside. So a cached render cannot go stale: any change of an input is another key.

What makes a run uncacheable (then it renders as if there were no cache): a profiles directory holding
anything that cannot be read as a regular file (a FIFO, a device, a dangling symlink, a symlink loop, an
unreadable file), more than :data:`MAX_FILES` files or :data:`MAX_BYTES` bytes, or inputs that changed
while the render ran (:func:`store` compares a second snapshot, file times included, with the first).
Only renders that succeeded are stored; a failing profile is rendered (and fails) every time.

Entries live in ``$KFGEN_CACHE_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/kfgen/render``, as
``<key>.json``: a header line (format, key, SHA-256 of the rest) and the JSON of what the render produced.
They are written to a temporary file and renamed into place, so concurrent writers of one entry leave one
complete copy; any entry that cannot be read, is not the current user's, fails its checksum or does not
parse is a miss, never an error. The newest :data:`MAX_ENTRIES` entries (by last use) are kept.
``kfgen render --no-cache`` or ``KFGEN_NO_CACHE=1`` (any value but ``0`` or empty) bypasses the cache.

This module imports only the standard library (and :mod:`kfgen` for its package directory).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import kfgen

FORMAT = 1  # bump when the entry layout or the meaning of the key changes
MAX_ENTRIES = 200
MAX_FILES = 10_000  # below the profiles directory; more is not a profiles directory, and hashing it would not pay
MAX_BYTES = 64 * 1024 * 1024
PACKAGE_DIR = Path(kfgen.__file__).resolve().parent  # every file of it is part of the key
_DISTRIBUTION_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")
_TEMP_PREFIX = ".tmp-"
_TEMP_MAX_AGE = 3600.0  # seconds: older temporary files were left by a killed writer


@dataclass
class Rendered:
    """What rendering one profile produced: everything ``kfgen render`` prints or writes about it."""

    profile: str
    objects: int
    files: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    stream: str = ""  # the multi-document stream (``--stdout`` renders only)


@dataclass(frozen=True)
class Snapshot:
    """The key of one request, and the file times it was computed from (to tell a change during a render)."""

    key: str
    stamp: tuple[Any, ...]


def enabled(no_cache: bool = False) -> bool:
    return not no_cache and os.environ.get("KFGEN_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    explicit = os.environ.get("KFGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kfgen" / "render"


# --- the key -------------------------------------------------------------------------------------


class _Uncacheable(Exception):
    pass


class _Hasher:
    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.stamp: list[Any] = []
        self.files = 0
        self.bytes = 0

    def feed(self, *parts: str | bytes) -> None:
        for part in parts:
            data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
            self.h.update(len(data).to_bytes(8, "little"))  # length-prefixed: no two inputs hash alike
            self.h.update(data)

    def tree(self, label: str, root: Path, *, skip_bytecode: bool = False, limited: bool = False) -> None:
        """Every entry below *root* (symlinks followed, loops refused), in name order: names, kinds, bytes."""
        self.feed(label)
        try:
            st = os.stat(root)
        except OSError:
            raise _Uncacheable from None
        if not stat.S_ISDIR(st.st_mode):
            raise _Uncacheable
        self.stamp.append((label, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
        self._walk(str(root), "", {(st.st_dev, st.st_ino)}, skip_bytecode, limited)

    def _walk(self, directory: str, rel: str, seen: set[tuple[int, int]], skip_bytecode: bool, limited: bool) -> None:
        try:
            with os.scandir(directory) as it:
                names = sorted(e.name for e in it)
        except OSError:
            raise _Uncacheable from None
        for name in names:
            if skip_bytecode and (name == "__pycache__" or name.endswith((".pyc", ".pyo"))):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:  # a dangling symlink, a loop, no permission
                raise _Uncacheable from None
            if stat.S_ISDIR(st.st_mode):
                ident = (st.st_dev, st.st_ino)
                if ident in seen:
                    raise _Uncacheable
                self.feed("d", rel + name)
                self.stamp.append((rel + name, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
                self._walk(path, f"{rel}{name}/", seen | {ident}, skip_bytecode, limited)
            elif stat.S_ISREG(st.st_mode):
                data, st = _read_regular(path)
                self.files += 1
                self.bytes += len(data)
                if limited and (self.files > MAX_FILES or self.bytes > MAX_BYTES):
                    raise _Uncacheable
                self.feed("f", rel + name, data)
                self.stamp.append((rel + name, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            else:  # a FIFO, socket or device: never opened
                raise _Uncacheable

    def distributions(self) -> None:
        """The installed distributions on ``sys.path``: their directory names (versions) and identities."""
        self.feed("distributions")
        for entry in sys.path:
            directory = entry or "."
            try:
                with os.scandir(directory) as it:
                    found = sorted((e.name, e.path) for e in it if e.name.endswith(_DISTRIBUTION_SUFFIXES))
            except OSError:  # not a directory (a zip of the standard library), or gone
                continue
            self.feed("path", os.path.abspath(directory))
            for name, path in found:
                try:
                    st = os.stat(path)
                except OSError:
                    raise _Uncacheable from None
                self.feed(name, f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")


def _read_regular(path: str) -> tuple[bytes, os.stat_result]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        raise _Uncacheable from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Uncacheable
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks), st
    except OSError:
        raise _Uncacheable from None
    finally:
        os.close(fd)


def snapshot(profiles_dir: Path, request: dict[str, Any]) -> Snapshot | None:
    """The key of rendering *request* (JSON data: the profile names or ``--all``, stream or files) from
    *profiles_dir* now, or None when this run cannot be cached (see the module's doc)."""
    h = _Hasher()
    h.feed("kfgen render cache", str(FORMAT), sys.version, sys.implementation.cache_tag or "", sys.executable)
    h.feed("request", json.dumps(request, sort_keys=True))
    try:
        h.feed("where", str(profiles_dir), os.path.realpath(os.getcwd()))
        h.tree("profiles", profiles_dir, limited=True)
        h.tree("package", PACKAGE_DIR, skip_bytecode=True)
        h.distributions()
    except (_Uncacheable, OSError):
        return None
    return Snapshot(h.h.hexdigest(), tuple(h.stamp))


# --- entries -------------------------------------------------------------------------------------


def _entry(key: str) -> Path:
    return cache_dir() / f"{key}.json"


def load(snap: Snapshot) -> list[Rendered] | None:
    """The renders stored under exactly *snap*'s key, or None (a miss: no entry, or one that is not
    intact, not this user's, or not of this format)."""
    path = _entry(snap.key)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                return None
            raw = f.read()
        head, sep, body = raw.partition(b"\n")
        header = json.loads(head)
        if (not sep or not isinstance(header, dict) or header.get("format") != FORMAT
                or header.get("key") != snap.key or header.get("sha256") != hashlib.sha256(body).hexdigest()):
            return None
        rendered = [_rendered(item) for item in json.loads(body)]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    try:
        os.utime(path)  # last use: what pruning keeps
    except OSError:
        pass
    return rendered


def _rendered(item: dict[str, Any]) -> Rendered:
    r = Rendered(profile=item["profile"], objects=item["objects"], files=item["files"],
                 warnings=item["warnings"], summary=item["summary"], stream=item["stream"])
    if not (isinstance(r.profile, str) and type(r.objects) is int and isinstance(r.files, dict)
            and isinstance(r.stream, str) and all(isinstance(k, str) and isinstance(v, str) for k, v in r.files.items())
            and all(isinstance(s, str) for s in (*r.warnings, *r.summary))):
        raise ValueError("not a cached render")
    return r


def store(snap: Snapshot, profiles_dir: Path, request: dict[str, Any], rendered: list[Rendered]) -> bool:
    """Store *rendered* under *snap*'s key, unless an input changed since *snap* was taken (then the
    render may have read the new inputs: it belongs to no key we know). Never raises; False when not stored."""
    again = snapshot(profiles_dir, request)
    if again != snap:
        return False
    return write_entry(snap, rendered)


def write_entry(snap: Snapshot, rendered: list[Rendered]) -> bool:
    """Write the entry of *snap*'s key (a temporary file renamed into place), then prune. Never raises."""
    import tempfile  # only a miss writes

    body = json.dumps([asdict(r) for r in rendered], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = json.dumps({"format": FORMAT, "key": snap.key, "sha256": hashlib.sha256(body).hexdigest()})
    directory = cache_dir()
    tmp = None
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".json", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(header.encode("utf-8") + b"\n" + body)
        # no fsync: an entry a crash left empty or short fails its checksum, which is a miss
        os.replace(tmp, _entry(snap.key))
        tmp = None
        prune(directory)
    except OSError:
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return True


def prune(directory: Path, keep: int = MAX_ENTRIES) -> None:
    """Remove all but the *keep* most recently used entries, and temporary files a killed writer left."""
    entries: list[tuple[float, str]] = []
    now = time.time()
    try:
        with os.scandir(directory) as it:
            for e in it:
                try:
                    mtime = e.stat(follow_symlinks=False).st_mtime
                except OSError:
                    continue
                if e.name.startswith(_TEMP_PREFIX):
                    if now - mtime > _TEMP_MAX_AGE:
                        _unlink(e.path)
                elif e.name.endswith(".json"):
                    entries.append((mtime, e.path))
    except OSError:
        return
    if len(entries) > keep:
        entries.sort(reverse=True)
        for _, path in entries[keep:]:
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass  # another run removed it first
