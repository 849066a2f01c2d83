"""Shell completion of names: profiles (``-p``), prototypes, instances of the profile given, and params.

Typer calls these while the user presses TAB (bash, zsh, fish: ``kfgen --install-completion``);
``ctx.params`` holds what is on the command line before the cursor. The profile may come after it
(README's order, ``param set INSTANCE KEY VALUE -p NAME``): bash and zsh pass the whole line in
``COMP_WORDS``, where ``-p``/``--profile`` is looked up; without one, the profile is the only one that has
the instance given. They never fail: a broken profile completes nothing.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import typer


def _profiles_dir(ctx: typer.Context) -> Path:
    from kfgen.project import default_profiles_dir

    given = ctx.params.get("profiles_dir")
    return Path(given) if given else default_profiles_dir()


def _profile(ctx: typer.Context) -> str | None:
    value: Any = ctx.params.get("profile")
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if isinstance(value, str):
        return value
    return _option_in_line(("-p", "--profile"))


def _option_in_line(names: tuple[str, ...]) -> str | None:
    """The value of the last of option *names* on the whole command line being completed (``COMP_WORDS``
    of bash and zsh), after the cursor too."""
    try:
        words = shlex.split(os.environ.get("COMP_WORDS", ""))
    except ValueError:
        words = os.environ.get("COMP_WORDS", "").split()
    found = None
    for i, word in enumerate(words):
        if word == "--":
            break
        if word in names and i + 1 < len(words):
            found = words[i + 1]
        for name in names:
            if name.startswith("--") and word.startswith(name + "="):
                found = word[len(name) + 1:]
    return found or None


def complete_profile(ctx: typer.Context, incomplete: str) -> list[str]:
    """Profile names in the profiles directory (of the project root unless --profiles-dir is given)."""
    from kfgen.profile import list_profiles

    return [n for n in list_profiles(_profiles_dir(ctx)) if n.startswith(incomplete)]


def complete_prototype(incomplete: str) -> list[str]:
    from kfgen.prototypes.base import prototypes

    return [n for n in prototypes() if n.startswith(incomplete)]


def _components_of(profiles_dir: Path, name: str) -> dict[str, Any]:
    from kfgen.errors import KfgenError
    from kfgen.profile import load_profile

    try:
        comps = load_profile(profiles_dir, name, partial_ok=True).data.get("components")
    except KfgenError:
        return {}
    return comps if isinstance(comps, dict) else {}


def _components(ctx: typer.Context) -> dict[str, Any]:
    """The (merged) components of the profile named on the command line; without one, of the only profile
    that has the instance given, or (no instance yet) of every profile."""
    from kfgen.profile import list_profiles

    name = _profile(ctx)
    if name:
        return _components_of(_profiles_dir(ctx), name)
    instance = ctx.params.get("instance")
    every = {n: _components_of(_profiles_dir(ctx), n) for n in list_profiles(_profiles_dir(ctx))}
    if not instance:
        return {k: v for comps in every.values() for k, v in comps.items()}
    having = [comps for comps in every.values() if instance in comps]
    return having[0] if len(having) == 1 else {}


def complete_instance(ctx: typer.Context, incomplete: str) -> list[str]:
    """Instance names of the profile given with -p (with what it extends), or of every profile."""
    return sorted(n for n in _components(ctx) if isinstance(n, str) and n.startswith(incomplete))


def complete_param(ctx: typer.Context, incomplete: str) -> list[str]:
    """Param names of the instance already given (by its prototype): for ``param unset`` only those that
    are set; for ``param set`` KEY VALUE pairs, names only where a KEY goes (not after a KEY)."""
    from kfgen.edit.values import param_keys
    from kfgen.prototypes.base import prototypes

    pairs = ctx.params.get("pairs")
    if isinstance(pairs, list | tuple) and len(pairs) % 2:
        return []  # a VALUE comes next
    comp = _components(ctx).get(ctx.params.get("instance"))
    proto = prototypes().get(comp.get("prototype")) if isinstance(comp, dict) else None
    if proto is None:
        return []
    keys = param_keys(proto.params)
    if ctx.info_name == "unset":
        given = comp.get("params") if isinstance(comp.get("params"), dict) else {}
        keys = [k for k in keys if k in given]
    return [k for k in keys if k.startswith(incomplete)]
