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


def missing_profile_hint(profiles_dir: Path, name: str) -> str | None:
    """What to do when profile *name* has no ``profiles_dir/NAME.yaml``: rename a ``NAME.yml`` (kfgen reads
    only ``.yaml``), or create a project when there is no profiles directory at all."""
    yml = profiles_dir / f"{name}.yml"
    if yml.is_file():
        return f"kfgen reads only .yaml files: rename {yml} to {name}.yaml"
    if not profiles_dir.is_dir():
        where = "" if find_root() is None else f" (the nearest project upward has {default_profiles_dir()}/)"
        return f"there is no {profiles_dir}/ directory{where}: run 'kfgen init' to start a project, or cd into one"
    return None


def explain_missing(problems: list, profiles_dir: Path, names: list[str]) -> list:
    """*problems* (kfgen.errors.Problem) with :func:`missing_profile_hint` as the hint of the 'unknown profile'
    ones that have none."""
    import dataclasses

    out = []
    for p in problems:
        name = next((n for n in names if p.message.startswith(f"unknown profile '{n}'")), None)
        hint = missing_profile_hint(profiles_dir, name) if name is not None else None
        out.append(dataclasses.replace(p, hint=hint) if hint and not p.hint else p)
    return out
