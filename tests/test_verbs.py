"""ksonnet's verbs through the CLI: param set/unset/list, generate, init; the project root from a sub-directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kfgen.cli import app

DATA = Path(__file__).parent / "testdata" / "verbs"
REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with profiles/lab.yaml (the golden 'before') and profiles/child.yaml extending it."""
    (tmp_path / "profiles").mkdir()
    shutil.copy(DATA / "before.yaml", tmp_path / "profiles" / "lab.yaml")
    (tmp_path / "profiles" / "child.yaml").write_text(
        "# a child profile\nextends: lab\nnamespace: kubeflow-child\n"
        "podSecurity: {kubeflow: null, kubeflow-child: baseline}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return runner.invoke(app, list(args))


def params_of(path: Path, instance: str) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["components"][instance].get("params", {})


def test_param_set_changes_exactly_its_lines(project: Path) -> None:
    res = run("param", "set", "kubeflow-core", "jupyterHubServiceType", "LoadBalancer",
              "jupyterHubAllowUnauthenticatedExternalAccess", "true", "-p", "lab")
    assert res.exit_code == 0, res.output
    assert (project / "profiles" / "lab.yaml").read_text() == (DATA / "after.yaml").read_text()
    assert "+      jupyterHubServiceType: LoadBalancer" in res.output


def test_true_is_bool_for_bool_param_and_string_for_string_param(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    assert run("param", "set", "kubeflow-core", "reportUsage", "true", "-p", "lab").exit_code == 0
    assert run("param", "set", "kubeflow-core", "usageId", "true", "-p", "lab").exit_code == 0
    core = params_of(lab, "kubeflow-core")
    assert core["reportUsage"] is True
    assert core["usageId"] == "true"
    assert 'usageId: "true"' in lab.read_text()


def test_set_int_list_mapping(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    for key, value in (("num_workers", "3"), ("args", "[--steps=5, --lr=0.1]"), ("nodeSelector", "{gpu: 'yes'}")):
        res = run("param", "set", "mnist", key, value, "-p", "lab")
        assert res.exit_code == 0, res.output
    mnist = params_of(lab, "mnist")
    assert mnist["num_workers"] == 3
    assert mnist["args"] == ["--steps=5", "--lr=0.1"]
    assert mnist["nodeSelector"] == {"gpu": "yes"}
    text = lab.read_text()
    assert "# a training job" in text and "# the core of Kubeflow" in text
    # the new keys go inside mnist's params, after its last one
    assert text.index("num_workers: 3") < text.index("args: [--steps=5, --lr=0.1]")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("num_workers", "many", "components.mnist.params.num_workers"),
    ("num_workers", "2.5", "components.mnist.params.num_workers"),
    ("num_workerz", "2", "did you mean 'num_workers'?"),
])
def test_set_refuses_invalid_values_and_leaves_the_file(project: Path, key: str, value: str, message: str) -> None:
    lab = project / "profiles" / "lab.yaml"
    before = lab.read_bytes()
    res = run("param", "set", "mnist", key, value, "-p", "lab")
    assert res.exit_code == 2
    assert message in res.output
    assert "profiles/lab.yaml is unchanged" in res.output
    assert lab.read_bytes() == before


def test_unknown_instance_and_profile(project: Path) -> None:
    res = run("param", "set", "mnsit", "num_workers", "2", "-p", "lab")
    assert res.exit_code == 2 and "did you mean 'mnist'?" in res.output
    res = run("param", "set", "mnist", "num_workers", "2", "-p", "nope")
    assert res.exit_code == 2 and "unknown profile 'nope'" in res.output


def test_set_on_inherited_instance_writes_the_override_into_the_child(project: Path) -> None:
    lab, child = project / "profiles" / "lab.yaml", project / "profiles" / "child.yaml"
    lab_before = lab.read_bytes()
    res = run("param", "set", "mnist", "num_workers", "4", "-p", "child")
    assert res.exit_code == 0, res.output
    assert lab.read_bytes() == lab_before
    data = yaml.safe_load(child.read_text())
    assert data["components"] == {"mnist": {"params": {"num_workers": 4}}}
    assert child.read_text().startswith("# a child profile\nextends: lab\n")
    listing = run("param", "list", "mnist", "-p", "child")
    assert listing.exit_code == 0, listing.output
    rows = {line.split()[1]: line for line in listing.output.splitlines()[1:]}
    assert rows["num_workers"].split()[2:] == ["4", "this", "profile"]
    assert rows["image"].endswith("profile 'lab' (extended)")
    assert rows["num_ps"].endswith("default")


def test_param_list_all_instances(project: Path) -> None:
    res = run("param", "list", "-p", "lab")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split() == ["INSTANCE", "PARAM", "VALUE", "FROM"]
    core = [line for line in lines if line.startswith("kubeflow-core ") and " jupyterHubServiceType " in line]
    assert core and core[0].split()[2:] == ["ClusterIP", "this", "profile"]
    assert any(line.startswith("mnist ") for line in lines)


def test_unset(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    res = run("param", "unset", "mnist", "num_workers", "-p", "lab")
    assert res.exit_code == 0, res.output
    assert "num_workers" not in params_of(lab, "mnist")
    assert "# a training job" in lab.read_text()
    # the comment after the removed line stays; the other lines are untouched
    assert len(lab.read_text().splitlines()) == len((DATA / "before.yaml").read_text().splitlines()) - 1
    res = run("param", "unset", "mnist", "num_workers", "-p", "lab")
    assert res.exit_code == 2 and "is not set" in res.output
    # removing the last param of a child's override removes the override
    assert run("param", "set", "mnist", "num_ps", "2", "-p", "child").exit_code == 0
    assert run("param", "unset", "mnist", "num_ps", "-p", "child").exit_code == 0
    # no `components:` left behind: a null one would drop every instance the child inherits
    assert "components" not in yaml.safe_load((project / "profiles" / "child.yaml").read_text())
    listing = run("param", "list", "-p", "child")
    assert {line.split()[0] for line in listing.output.splitlines()[1:]} == {"kubeflow-core", "mnist"}


def test_generate(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    res = run("generate", "tf-serving", "inception", "-p", "lab",
              "--param", "modelName=inception", "--param", "modelPath=gs://bucket/inception")
    assert res.exit_code == 0, res.output
    comp = yaml.safe_load(lab.read_text())["components"]["inception"]
    assert comp == {"prototype": "tf-serving",
                    "params": {"modelName": "inception", "modelPath": "gs://bucket/inception"}}
    assert run("render", "-p", "lab", "--stdout").exit_code == 0


CORE_REASON = "core-2 (core): Deployment {ns}/ambassador meets only 'baseline'"


OTHER = "components:\n  other: {prototype: tf-serving, namespace: elsewhere, params: {modelPath: gs://b/m}}\n"


@pytest.mark.parametrize(("pod_security", "components", "added"), [
    ("", "components: {}\n", "kubeflow: baseline"),  # no podSecurity: a new mapping after kubernetesVersion
    ("podSecurity:\n  elsewhere: privileged\n", OTHER, "kubeflow: baseline"),  # a new line in the mapping
    ("podSecurity:\n  kubeflow: baseline\n", "components: {}\n", None),  # allowed already
    ("podSecurity:\n  kubeflow: privileged\n", "components: {}\n", None),  # lower than needed: allowed too
])
def test_generate_core_allows_baseline_for_its_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          pod_security: str, components: str,
                                                          added: str | None) -> None:
    """core's Ambassador 0.30.1 runs as root (baseline), and a namespace is restricted unless the profile lowers
    it: generate adds the podSecurity entry, with a comment, in the same edit, and says so."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "profiles").mkdir()
    lab = tmp_path / "profiles" / "lab.yaml"
    lab.write_text('namespace: kubeflow   # ns\nkubernetesVersion: "1.37"\n' + pod_security
                   + "\n# the machines\ncluster:\n  nodes: []\n" + components)
    before = lab.read_text()
    res = run("generate", "core", "core-2", "-p", "lab", "--param", "reportUsage=false")
    assert res.exit_code == 0, res.output
    text = lab.read_text()
    assert run("render", "-p", "lab", "--stdout").exit_code == 0
    if added is None:
        assert "under podSecurity" not in res.output
        assert text.split("components:")[0] == before.split("components:")[0]
        return
    assert f"added `{added}` under podSecurity" in res.output and CORE_REASON.format(ns="kubeflow") in res.output
    line = next(line for line in text.splitlines() if line.startswith(f"  {added}"))
    assert line.startswith(f"  {added}   # {CORE_REASON.format(ns='kubeflow')}")
    assert yaml.safe_load(text)["podSecurity"]["kubeflow"] == "baseline"
    # the other lines stay as they were: the comment before cluster: still introduces it
    assert "# ns\n" in text and "\n\n# the machines\ncluster:" in text
    assert text.index("kubernetesVersion") < text.index("podSecurity") < text.index("# the machines")


def test_generate_tf_serving_adds_no_pod_security(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    res = run("generate", "tf-serving", "inception", "-p", "lab", "--param", "modelPath=gs://bucket/inception")
    assert res.exit_code == 0, res.output
    assert "podSecurity" not in res.output
    assert yaml.safe_load(lab.read_text())["podSecurity"] == {"kubeflow": "baseline"}


def test_generate_refusals(project: Path) -> None:
    lab = project / "profiles" / "lab.yaml"
    before = lab.read_bytes()
    res = run("generate", "tf-servin", "x", "-p", "lab")
    assert res.exit_code == 2 and "did you mean 'tf-serving'?" in res.output
    res = run("generate", "tf-job", "mnist", "-p", "lab")
    assert res.exit_code == 2 and "already has an instance 'mnist'" in res.output
    res = run("generate", "tf-job", "other", "-p", "child", "--param", "num_workers=lots")
    assert res.exit_code == 2 and "num_workers" in res.output
    res = run("generate", "tf-serving", "Bad_Name", "-p", "lab")
    assert res.exit_code == 2
    assert lab.read_bytes() == before


def test_init_renders_and_refuses_to_overwrite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = run("init", "repo", "--namespace", "ml", "--kubernetes-version", "1.37", "--name", "lab")
    assert res.exit_code == 0, res.output
    repo = tmp_path / "repo"
    for rel in ("profiles/lab.yaml", ".gitignore", ".pre-commit-config.yaml", ".github/workflows/kfgen.yaml",
                "schemas/profile.schema.json"):
        assert (repo / rel).is_file(), rel
    assert yaml.safe_load((repo / "profiles/lab.yaml").read_text())["namespace"] == "ml"
    workflow = (repo / ".github/workflows/kfgen.yaml").read_text()
    assert "kfgen render --all --check" in workflow and "kfgen validate --all" in workflow
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    assert [h["id"] for h in hooks["repos"][0]["hooks"]] == ["kfgen-render-check", "kfgen-validate"]
    monkeypatch.chdir(repo)
    assert run("render", "--all").exit_code == 0
    assert run("render", "--all", "--check").exit_code == 0
    # a second init adds only what is missing and overwrites nothing
    (repo / ".gitignore").unlink()
    (repo / "profiles/lab.yaml").write_text("# mine\n" + (repo / "profiles/lab.yaml").read_text())
    res = run("init", ".", "--name", "lab")
    assert res.exit_code == 0, res.output
    assert "wrote .gitignore" in res.output and "kept: profiles/ already has profiles: lab" in res.output
    assert (repo / "profiles/lab.yaml").read_text().startswith("# mine\n")


def test_init_with_kfgen_source_uses_kfgens_hooks(tmp_path: Path) -> None:
    res = run("init", str(tmp_path / "r"), "--kfgen-source", "https://example.org/kfgen.git")
    assert res.exit_code == 0, res.output
    config = yaml.safe_load((tmp_path / "r" / ".pre-commit-config.yaml").read_text())
    assert config["repos"][0]["repo"] == "https://example.org/kfgen.git"
    ids = {h["id"] for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in config["repos"][0]["hooks"]} <= ids


def test_pre_commit_hooks_file() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["kfgen-render-check"]["entry"] == "kfgen render --all --check"
    assert hooks["kfgen-validate"]["entry"] == "kfgen validate --all"
    for h in hooks.values():
        assert h["language"] == "python" and h["pass_filenames"] is False and h["files"] == "^(profiles|out)/"


def test_project_root_from_a_sub_directory(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = project / "docs" / "notes"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    res = run("render", "-p", "lab")
    assert res.exit_code == 0, res.output
    assert (project / "out" / "lab" / "kustomization.yaml").is_file() or any((project / "out" / "lab").iterdir())
    assert not (deep / "out").exists()
    assert run("render", "-p", "lab", "--check").exit_code == 0
    assert run("param", "set", "mnist", "num_workers", "2", "-p", "lab").exit_code == 0
    assert params_of(project / "profiles" / "lab.yaml", "mnist")["num_workers"] == 2
    # an explicit --profiles-dir is taken as given (relative to the working directory)
    res = run("profiles", "--profiles-dir", "profiles")
    assert res.exit_code == 2 and "no profiles in profiles/" in res.output


def test_version_and_short_help() -> None:
    from kfgen import __version__

    res = run("--version")
    assert res.exit_code == 0 and res.output.strip() == f"kfgen {__version__}"
    res = run("-h")
    assert res.exit_code == 0 and "param" in res.output and "generate" in res.output
    assert run("param", "set", "-h").exit_code == 0


def test_param_set_reads_files_a_profile_names_from_sub_directories(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifests instance's files: live next to the profile (here in a sub-directory): the edit's
    validation reads them from the real profiles directory."""
    profiles = tmp_path / "profiles"
    (profiles / "extra").mkdir(parents=True)
    (profiles / "extra" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n", encoding="utf-8")
    (profiles / "lab.yaml").write_text(
        "namespace: lab\ncomponents:\n  extra:\n    prototype: manifests\n    params:\n"
        "      files: [extra/cm.yaml]\n  job:\n    prototype: tf-job\n    params:\n"
        "      image: docker.io/tensorflow/tensorflow:2.18.0\n      num_workers: 1\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = run("param", "set", "job", "num_workers", "2", "-p", "lab")
    assert res.exit_code == 0, res.output
    assert params_of(profiles / "lab.yaml", "job")["num_workers"] == 2
