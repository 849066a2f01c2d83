"""The committed out/ is the golden file: a fresh render of every profile must match it byte for byte."""

from __future__ import annotations

from conftest import ROOT  # noqa: E402

from kfgen.actions import Workspace, render
from kfgen.profile import list_profiles


def test_every_profile_has_committed_output() -> None:
    names = list_profiles(ROOT / "profiles")
    assert {"gpu-lab", "cpu-laptop"} <= set(names)
    for name in names:
        assert (ROOT / "out" / name / "Kustomization").is_file(), f"out/{name}/ is not committed"


def test_committed_out_matches_a_fresh_render() -> None:
    ws = Workspace(ROOT / "profiles", ROOT / "out")
    outcomes = render(ws, ws.profile_names(), write=False, check=True)
    drift = {o.profile: [(d.change, d.file) for d in o.drift] for o in outcomes if o.drift}
    assert not drift, f"out/ drifted from the profiles; run `scripts/kfgen render --all` and commit: {drift}"


def test_no_stale_output_directories() -> None:
    names = set(list_profiles(ROOT / "profiles"))
    dirs = {p.name for p in (ROOT / "out").iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert dirs <= names, f"out/ holds directories of profiles that no longer exist: {sorted(dirs - names)}"
