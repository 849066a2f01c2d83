"""kfgen init in an existing repository, the generated CI and hooks, and --foreign=move leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kfgen import __version__
from kfgen.edit.init import init_files
from tests.conftest import ROOT, invoke, snapshot


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_in_a_repository_with_a_gitignore_appends_only_missing_lines(repo: Path) -> None:
    (repo / ".gitignore").write_text("node_modules/\n.venv/")  # no newline at the end
    res = invoke("init")
    assert res.exit_code == 0, res.output
    text = (repo / ".gitignore").read_text()
    assert text.startswith("node_modules/\n.venv/\n")
    assert text.count(".venv/") == 1 and "out/.*\n" in text and "out/*.foreign-*/\n" in text
    assert "added to .gitignore: out/.* out/*.foreign-*/ __pycache__/" in res.output
    assert (repo / "profiles/default.yaml").is_file()
    before = snapshot(repo)
    res = invoke("init")  # again: nothing missing, nothing changed
    assert res.exit_code == 0, res.output
    assert "kept: profiles/ already has profiles: default" in res.output and "nothing to add" in res.output
    assert snapshot(repo) == before


@pytest.mark.parametrize(("files", "listed"), [
    ({"lab.yaml": "namespace: lab\n", "_base.yaml": "namespace: x\n"}, "_base, lab"),
    ({"_base.yaml": "namespace: x\n"}, "_base"),  # a partial is a profile too: the repository has begun
    ({"default.yaml": "broken: [\n"}, "default"),  # its content is not init's business
])
def test_init_adds_no_starter_profile_where_profiles_exist(repo: Path, files: dict[str, str], listed: str) -> None:
    (repo / "profiles").mkdir()
    for name, text in files.items():
        (repo / "profiles" / name).write_text(text)
    before = snapshot(repo / "profiles")
    res = invoke("init", ".")
    assert res.exit_code == 0, res.output
    assert snapshot(repo / "profiles") == before
    assert f"kept: profiles/ already has profiles: {listed} (no starter profile written)" in res.output
    assert "wrote profiles/" not in res.output and "wrote .gitignore" in res.output
    assert "next: kfgen render --all &&" in res.output


@pytest.mark.parametrize("other", ["notes.txt", ".hidden.yaml", "sub/inner.yaml"])
def test_init_writes_the_starter_when_profiles_holds_no_profile(repo: Path, other: str) -> None:
    (repo / "profiles" / other).parent.mkdir(parents=True)
    (repo / "profiles" / other).write_text("x: 1\n")
    res = invoke("init", "--name", "lab")
    assert res.exit_code == 0, res.output
    assert "wrote profiles/lab.yaml" in res.output and "already has profiles" not in res.output
    assert "next: kfgen render -p lab &&" in res.output


def test_init_never_overwrites_an_existing_file(repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github/workflows/kfgen.yaml").symlink_to(repo / "elsewhere.yaml")  # dangling: kept too
    res = invoke("init", "--name", "lab")
    assert res.exit_code == 0, res.output
    assert (repo / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    assert not (repo / "elsewhere.yaml").exists()
    assert "kept .pre-commit-config.yaml" in res.output and "kept .github/workflows/kfgen.yaml" in res.output
    assert "wrote profiles/lab.yaml" in res.output and "wrote .gitignore" in res.output


@pytest.mark.parametrize("args", [("--name", "Bad_Name"), ("file.txt",)])
def test_init_bad_input_writes_nothing(repo: Path, args: tuple[str, ...]) -> None:
    (repo / "file.txt").write_text("x")
    res = invoke("init", *args)
    assert res.exit_code == 2
    assert sorted(p.name for p in repo.iterdir()) == ["file.txt"]


def test_workflow_installs_kfgen_from_its_repository_never_from_a_bare_index_name(repo: Path) -> None:
    # kfgen is not on the package index: a default of 'kfgen==X' would install whatever someone registered
    res = invoke("init")
    assert "next: set the repository variable KFGEN_PIP_SPEC" in res.output
    step = yaml.safe_load((repo / ".github/workflows/kfgen.yaml").read_text())["jobs"]["check"]["steps"][2]
    assert step["env"] == {"KFGEN_PIP_SPEC": "${{ vars.KFGEN_PIP_SPEC }}"}  # no default to fall back on
    assert step["run"].startswith('test -n "$KFGEN_PIP_SPEC" || {') and "exit 1" in step["run"]
    assert step["run"].rstrip().endswith('pip install "$KFGEN_PIP_SPEC"') and "kfgen==" not in step["run"]
    flow = init_files("x", "kubeflow", "1.37", "https://example.org/kfgen.git")[".github/workflows/kfgen.yaml"]
    sourced = yaml.safe_load(flow)["jobs"]["check"]["steps"][2]
    assert sourced["env"]["KFGEN_PIP_SPEC"] == (
        "${{ vars.KFGEN_PIP_SPEC || 'kfgen @ git+https://example.org/kfgen.git@v" + __version__ + "' }}")
    assert sourced["run"] == 'pip install "$KFGEN_PIP_SPEC"'  # the variable reaches the shell through env only


def test_init_hooks_and_shipped_hooks_watch_the_same_files() -> None:
    shipped = {h["id"]: h["files"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    local = yaml.safe_load(init_files("x", "kubeflow", "1.37", None)[".pre-commit-config.yaml"])
    assert {h["id"]: h["files"] for h in local["repos"][0]["hooks"]} == shipped
    assert all(f == "^(profiles|out)/" for f in shipped.values())


def test_render_check_reports_foreign_move_leftovers(repo: Path) -> None:
    assert invoke("init").exit_code == 0
    assert invoke("render", "--all").exit_code == 0
    (repo / "out/default/notes.txt").write_text("mine\n")
    (repo / "out/default/99-x.yaml").write_text("a: 1\n")  # drift that makes render rewrite the directory
    res = invoke("render", "-p", "default", "--foreign", "move")
    assert res.exit_code == 0, res.output
    aside = [d for d in (repo / "out").iterdir() if ".foreign-" in d.name]
    assert len(aside) == 1 and (aside[0] / "notes.txt").is_file()
    for args in (("--all",), ("-p", "default")):  # reported; out/default/ itself is up to date
        res = invoke("render", *args, "--check")
        assert res.exit_code == 0 and f"warning: out/{aside[0].name}/ holds files kfgen did not write" in res.output
    import shutil

    shutil.rmtree(aside[0])
    assert "foreign" not in invoke("render", "--all", "--check").output
    assert "out/*.foreign-*/" in (repo / ".gitignore").read_text()


@pytest.mark.parametrize(("namespace", "entry"), [("kubeflow", {"kubeflow": "baseline"}), ("ml", {"ml": "baseline"}),
                                                  ("default", None)])
def test_starter_profile_allows_baseline_for_core_with_a_comment(repo: Path, namespace: str, entry: object) -> None:
    """core's Ambassador 0.30.1 runs as root: the starter lowers its namespace to baseline, saying why (a system
    namespace such as default is neither labelled nor checked: no entry)."""
    res = invoke("init", "--namespace", namespace)
    assert res.exit_code == 0, res.output
    text = (repo / "profiles/default.yaml").read_text()
    assert yaml.safe_load(text).get("podSecurity") == entry
    if entry:
        line = next(line for line in text.splitlines() if line.startswith(f"  {namespace}: baseline"))
        assert "# kubeflow-core (core): Deployment" in line and "runAsNonRoot is not true" in line
    assert invoke("render", "-p", "default").exit_code == 0
