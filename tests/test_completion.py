"""Shell completion of names, and --help without type placeholders."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.prototypes.base import prototypes

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def complete(args: list[str], incomplete: str) -> list[str]:
    """What bash gets for `kfgen ARGS INCOMPLETE<TAB>`: the completion protocol the installed script speaks."""
    words = ["kfgen", *args, incomplete]
    res = runner.invoke(app, [], prog_name="kfgen", env={
        "_KFGEN_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1)})
    assert res.exit_code == 0, res.output
    return res.output.split()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "profiles").mkdir()
    for name in ("gpu-lab", "cpu-laptop"):
        shutil.copy(REPO / "profiles" / f"{name}.yaml", tmp_path / "profiles" / f"{name}.yaml")
    (tmp_path / "profiles" / "_base.yaml").write_text("namespace: kubeflow\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # completion finds the project root too
    return tmp_path


def test_profile_names(project: Path) -> None:
    assert complete(["render", "-p"], "") == ["cpu-laptop", "gpu-lab"]
    assert complete(["render", "--profile"], "gp") == ["gpu-lab"]
    assert complete(["param", "list", "-p"], "c") == ["cpu-laptop"]


def test_profile_names_from_profiles_dir(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "solo.yaml").write_text("namespace: kubeflow\n")
    assert complete(["validate", "--profiles-dir", str(other), "-p"], "") == ["solo"]


def test_prototype_names(project: Path) -> None:
    assert complete(["generate"], "") == list(prototypes())
    assert complete(["generate"], "tf-") == [n for n in prototypes() if n.startswith("tf-")]
    assert complete(["params"], "co") == ["core"]


def test_instance_names_given_the_profile(project: Path) -> None:
    assert complete(["param", "set", "-p", "cpu-laptop"], "") == ["kubeflow-core", "mnist", "mnist-serving"]
    assert complete(["param", "list", "-p", "cpu-laptop"], "mnist-") == ["mnist-serving"]
    assert complete(["param", "set", "-p", "nope"], "") == []


def test_param_names_given_the_instance(project: Path) -> None:
    assert "jupyterHubServiceType" in complete(["param", "set", "-p", "cpu-laptop", "kubeflow-core"], "jupyter")
    assert complete(["param", "set", "-p", "cpu-laptop", "mnist"], "num_w") == ["num_workers"]


def test_completion_scripts_for_each_shell() -> None:
    for shell in ("bash", "zsh", "fish"):
        res = runner.invoke(app, ["--show-completion", shell])
        assert res.exit_code == 0, res.output
        assert "_KFGEN_COMPLETE" in res.output


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, cmd in getattr(group, "commands", {}).items():
        yield prefix + (name,)
        yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("command", [(), *_commands(get_command(app))], ids=lambda c: " ".join(c) or "kfgen")
def test_help_has_no_type_placeholders(command: tuple[str, ...]) -> None:
    res = runner.invoke(app, [*command, "--help"])
    assert res.exit_code == 0, res.output
    assert not re.findall(r"<(?:str|int|float|bool|path|file|list\[[^\]]*\])>", res.output), res.output
    assert not re.search(r"\{[a-z_]+\}", res.output), res.output  # lower-case argument names in the usage
