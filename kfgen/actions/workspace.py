"""Where the actions work: the profiles and output directories, and the profile names a command names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kfgen.errors import KfgenError, Problem
from kfgen.nogc import gc_paused
from kfgen.project import default_out_dir, default_profiles_dir, explain_missing, missing_profile_hint

if TYPE_CHECKING:
    from kfgen.profile import Profile
    from kfgen.render.pipeline import RenderResult

# the profile model, the prototypes and the render pipeline are imported by the methods that use them:
# a Workspace answered from the render cache (kfgen.output.cache) loads none of them


@dataclass
class Workspace:
    """The profiles directory and the output directory; by default those of the project root
    (:mod:`kfgen.project`: the nearest directory upward holding ``profiles/``)."""

    profiles_dir: Path = field(default_factory=default_profiles_dir)
    out_dir: Path = field(default_factory=default_out_dir)

    def profile_names(self) -> list[str]:
        from kfgen.profile import list_profiles

        return list_profiles(self.profiles_dir)

    @gc_paused
    def load(self, name: str) -> Profile:
        from kfgen.profile import load_profile, validate_profile

        return validate_profile(load_profile(self.profiles_dir, name))

    def render(self, name: str) -> tuple[Profile, RenderResult, dict[str, str]]:
        from kfgen.output.files import render_files
        from kfgen.render.pipeline import render_profile

        profile = self.load(name)
        result = render_profile(profile)
        return profile, result, render_files(result, profile.namespace)

    def target(self, name: str) -> Path:
        return self.out_dir / name


def resolve_names(ws: Workspace, profile: list[str] | None, all_: bool) -> list[str]:
    """The profiles named by ``--profile`` (each checked to be a profile name) or ``--all``."""
    known = ws.profile_names()
    if all_ and profile:
        raise KfgenError(Problem("use either --profile or --all, not both"))
    if all_:
        if not known:
            raise KfgenError(Problem(f"no profiles in {ws.profiles_dir}/",
                                     hint=missing_profile_hint(ws.profiles_dir, "") if not ws.profiles_dir.is_dir()
                                     else _yml_hint(ws.profiles_dir)
                                     or "create profiles/<name>.yaml, e.g. with 'kfgen init'"))
        return known
    if not profile:
        raise KfgenError(Problem("name a profile with --profile NAME, or use --all",
                                 expected="one of: " + (", ".join(known) or "(none)")))
    from kfgen.profile import check_profile_name

    problems: list[Problem] = []
    for name in dict.fromkeys(profile):  # only profile names reach the file system: no paths, no partials
        try:
            check_profile_name(ws.profiles_dir, name)
        except KfgenError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KfgenError(explain_missing(problems, ws.profiles_dir, profile))
    return list(dict.fromkeys(profile))


def _yml_hint(profiles_dir: Path) -> str | None:
    yml = sorted(p.name for p in profiles_dir.glob("*.yml"))
    return f"kfgen reads only .yaml files: rename {', '.join(yml)} to .yaml" if yml else None
