"""One lock per output directory, so concurrent ``kfgen render`` runs never interleave.

The lock is ``flock(2)`` on the output directory itself (``out/``), so no lock file appears in the
committed ``out/``. Writers hold it exclusively; ``render --check`` holds it shared, so it never
reads a directory half-way through a swap. The kernel drops the lock when the process dies (even by
SIGKILL): a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kfgen.errors import KfgenError, Problem


@contextmanager
def locked(directory: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the lock of *directory* (which must exist) for the ``with`` block; blocks until it is free."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise KfgenError(Problem(f"cannot open {directory}/: {exc.strerror or exc}")) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        except OSError as exc:
            # file systems without flock (some network mounts): go on unlocked rather than not at all
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                raise KfgenError(Problem(f"cannot lock {directory}/: {exc.strerror or exc}")) from None
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
