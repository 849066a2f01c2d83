"""The README's main command works as written: `scripts/kfgen render --profile gpu-lab`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "scripts/kfgen render --profile gpu-lab" in readme
    assert re.search(r"^scripts/test\b", readme, re.M)
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_scripts_kfgen_renders_gpu_lab(tmp_path: Path) -> None:
    """Run the wrapper itself (it reuses the .venv the suite runs in) on a copy of the project."""
    project = tmp_path / "project"
    for name in ("profiles", "scripts"):
        shutil.copytree(ROOT / name, project / name)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, project / name)
    (project / ".venv").symlink_to(ROOT / ".venv")
    proc = subprocess.run([str(project / "scripts" / "kfgen"), "render", "--profile", "gpu-lab"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    committed_objects = sum(1 for p in (ROOT / "out" / "gpu-lab").iterdir() if p.name != "Kustomization")
    assert f"rendered gpu-lab: {committed_objects} objects -> out/gpu-lab/" in proc.stdout
    written = sorted(p.name for p in (project / "out" / "gpu-lab").iterdir())
    committed = sorted(p.name for p in (ROOT / "out" / "gpu-lab").iterdir())
    assert written == committed
    for name in written:
        assert (project / "out" / "gpu-lab" / name).read_bytes() == (ROOT / "out" / "gpu-lab" / name).read_bytes()


def test_the_readme_example_profile_renders(tmp_path: Path) -> None:
    """The profile shown under "A profile" is one a reader can copy: it validates and renders."""
    from kfgen.actions import Workspace

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A profile"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "example.yaml").write_text(example.group(1), encoding="utf-8")
    _, result, files = Workspace(tmp_path / "profiles", tmp_path / "out").render("example")
    assert result.objects and files
