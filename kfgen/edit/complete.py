"""Shell completion of names: profiles (``-p``), prototypes, instances of the profile given, and params.

Typer calls these while the user presses TAB (bash, zsh, fish: ``kfgen --install-completion``);
``ctx.params`` holds what is already on the command line. They never fail: a broken profile
completes nothing.
"""

from __future__ import annotations

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
    return value if isinstance(value, str) else None


def complete_profile(ctx: typer.Context, incomplete: str) -> list[str]:
    """Profile names in the profiles directory (of the project root unless --profiles-dir is given)."""
    from kfgen.profile import list_profiles

    return [n for n in list_profiles(_profiles_dir(ctx)) if n.startswith(incomplete)]


def complete_prototype(incomplete: str) -> list[str]:
    from kfgen.prototypes.base import prototypes

    return [n for n in prototypes() if n.startswith(incomplete)]


def _components(ctx: typer.Context) -> dict[str, Any]:
    from kfgen.errors import KfgenError
    from kfgen.profile import load_profile

    name = _profile(ctx)
    if not name:
        return {}
    try:
        comps = load_profile(_profiles_dir(ctx), name).data.get("components")
    except KfgenError:
        return {}
    return comps if isinstance(comps, dict) else {}


def complete_instance(ctx: typer.Context, incomplete: str) -> list[str]:
    """Instance names of the profile given with -p (with what it extends)."""
    return sorted(n for n in _components(ctx) if isinstance(n, str) and n.startswith(incomplete))


def complete_param(ctx: typer.Context, incomplete: str) -> list[str]:
    """Param names of the instance already given (by its prototype)."""
    from kfgen.edit.params import param_keys
    from kfgen.prototypes.base import prototypes

    comp = _components(ctx).get(ctx.params.get("instance"))
    proto = prototypes().get(comp.get("prototype")) if isinstance(comp, dict) else None
    return [k for k in param_keys(proto.params) if k.startswith(incomplete)] if proto else []
