"""Where the project is: the nearest directory, from the working directory upward, that holds ``profiles/``.

Like git finding ``.git``, kfgen run from any sub-directory of a repository of profiles reads
``<root>/profiles`` and writes ``<root>/out`` unless ``--profiles-dir``/``--out-dir`` say otherwise.
Paths are returned relative to the working directory (``profiles`` at the root, ``../profiles`` one
level down) so that messages name them as the user sees them. Outside any project the defaults stay
``profiles`` and ``out`` in the working directory (``kfgen init`` creates them there).
"""

from __future__ import annotations

import os
from pathlib import Path

PROFILES = "profiles"
OUT = "out"


def find_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above *start* (default: the working directory) holding ``profiles/``."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / PROFILES).is_dir():
            return directory
    return None


def _relative(path: Path) -> Path:
    return Path(os.path.relpath(path, Path.cwd()))


def default_profiles_dir() -> Path:
    """``profiles/`` of the project root (relative to the working directory), or ``profiles``."""
    root = find_root()
    return _relative(root / PROFILES) if root else Path(PROFILES)


def default_out_dir() -> Path:
    """``out/`` of the project root (relative to the working directory), or ``out``."""
    root = find_root()
    return _relative(root / OUT) if root else Path(OUT)
