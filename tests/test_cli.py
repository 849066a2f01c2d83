"""The CLI through Typer's runner: render, --check, --stdout, --all, listings, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import invoke, snapshot

run = invoke


def test_render_writes_one_file_per_object_and_a_kustomization(workspace: Path) -> None:
    res = run("render", "--profile", "gpu-lab", "--out-dir", "fresh")
    assert res.exit_code == 0, res.output
    assert "rendered gpu-lab:" in res.stdout
    assert "GPU budget:" in res.output
    out = workspace / "fresh" / "gpu-lab"
    files = sorted(p.name for p in out.iterdir())
    assert "Kustomization" in files
    kust = yaml.safe_load((out / "Kustomization").read_text())
    assert kust["resources"] == sorted(f for f in files if f != "Kustomization")
    for name in kust["resources"]:
        docs = list(yaml.safe_load_all((out / name).read_text()))
        assert len(docs) == 1
        labels = docs[0]["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "kfgen"
        assert labels["kfgen.io/profile"] == "gpu-lab"
    assert files[0].startswith("00-namespace-")


def test_render_twice_gives_identical_bytes(workspace: Path) -> None:
    assert run("render", "-p", "gpu-lab", "--out-dir", "a").exit_code == 0
    assert run("render", "-p", "gpu-lab", "--out-dir", "b").exit_code == 0
    assert snapshot(workspace / "a") == snapshot(workspace / "b")
    again = run("render", "-p", "gpu-lab", "--out-dir", "a")
    assert "(unchanged)" in again.stdout


def test_check_reports_every_drifted_file_and_writes_nothing(workspace: Path) -> None:
    assert run("render", "--all", "--out-dir", "o").exit_code == 0
    out = workspace / "o" / "gpu-lab"
    victim = sorted(out.glob("*-deployment-*.yaml"))[0]
    victim.write_text(victim.read_text() + "# edited by hand\n")
    stray = out / "99-stray.yaml"
    stray.write_text("kind: Nothing\n")
    gone = sorted(out.glob("*-service-*.yaml"))[0]
    gone.unlink()
    before = snapshot(workspace / "o")
    res = run("render", "--all", "--check", "--out-dir", "o")
    assert res.exit_code == 1
    shown = Path("o") / "gpu-lab"
    assert f"modified {shown / victim.name}" in res.stderr
    assert f"extra    {shown / stray.name}" in res.stderr
    assert f"missing  {shown / gone.name}" in res.stderr
    assert "o/cpu-laptop/ is up to date" in res.stdout
    assert snapshot(workspace / "o") == before


def test_check_passes_on_a_fresh_render(workspace: Path) -> None:
    assert run("render", "--all", "--out-dir", "o").exit_code == 0
    res = run("render", "--all", "--check", "--out-dir", "o")
    assert res.exit_code == 0, res.output


def test_stdout_prints_one_stream_and_writes_nothing(workspace: Path) -> None:
    res = run("render", "-p", "cpu-laptop", "--stdout", "--out-dir", "nowhere")
    assert res.exit_code == 0, res.output
    docs = [d for d in yaml.safe_load_all(res.stdout) if d]
    assert docs[0]["kind"] == "Namespace"
    kinds = [d["kind"] for d in docs]
    assert kinds.index("CustomResourceDefinition") < len(kinds)
    assert not (workspace / "nowhere").exists()


def test_removed_instance_files_disappear(workspace: Path) -> None:
    (workspace / "profiles" / "two.yaml").write_text(
        "namespace: two\npodSecurity: {two: baseline, other: baseline}\ncomponents:\n  a: {prototype: core}\n"
        "  b: {prototype: core, namespace: other, params: {tfJobOperator: false}}\n")
    assert run("render", "-p", "two").exit_code == 0
    before = set(p.name for p in (workspace / "out" / "two").iterdir())
    assert any("@other" in n for n in before)
    (workspace / "profiles" / "two.yaml").write_text(
        "namespace: two\npodSecurity: {two: baseline}\ncomponents:\n  a: {prototype: core}\n")
    assert run("render", "-p", "two").exit_code == 0
    after = set(p.name for p in (workspace / "out" / "two").iterdir())
    assert not any("@other" in n for n in after)
    assert after < before


BAD = [
    pytest.param("components: [\n", "YAML syntax error", id="yaml-syntax"),
    pytest.param("components:\n  c:\n    prototype: tf-jobb\n", "did you mean 'tf-job'", id="unknown-prototype"),
    pytest.param("components:\n  c:\n    prototype: core\n    params:\n      reportUsage: 'true'\n",
                 "expected: a valid boolean", id="mistyped-param"),
    pytest.param("components:\n  c:\n    prototype: core\n    params:\n      jupyterHubServiceTyp: NodePort\n",
                 "did you mean 'jupyterHubServiceType'", id="unknown-param"),
    pytest.param("components:\n  c:\n    prototype: core\n    params:\n      tfJobUiServiceType: Nodeport\n",
                 "did you mean 'NodePort'", id="enum"),
    pytest.param("extends: bad\n", "extends cycle: bad -> bad", id="extends-cycle"),
]


@pytest.mark.parametrize("text, fragment", BAD)
def test_bad_profile_exits_non_zero_without_traceback_or_writes(workspace: Path, text: str, fragment: str) -> None:
    assert run("render", "--all").exit_code == 0
    before = snapshot(workspace / "out")
    (workspace / "profiles" / "bad.yaml").write_text(text)
    res = run("render", "--all")
    assert res.exit_code == 2, res.output
    assert fragment in res.stderr
    assert "profiles/bad.yaml:" in res.stderr
    assert "Traceback" not in res.output + res.stderr
    assert "nothing was written" in res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert snapshot(workspace / "out") == before
    assert not (workspace / "out" / "bad").exists()


def test_unknown_profile_suggests_the_close_one(workspace: Path) -> None:
    res = run("render", "--profile", "gpu-lap")
    assert res.exit_code == 2
    assert "unknown profile 'gpu-lap'" in res.stderr
    assert "did you mean 'gpu-lab'?" in res.stderr


def test_render_needs_a_profile(workspace: Path) -> None:
    res = run("render")
    assert res.exit_code == 2
    assert "--profile NAME" in res.stderr


def test_profiles_lists_every_profile(workspace: Path) -> None:
    res = run("profiles")
    assert res.exit_code == 0, res.output
    assert "gpu-lab" in res.stdout and "cpu-laptop" in res.stdout
    assert "gpus=2" in res.stdout


def test_prototypes_lists_core(workspace: Path) -> None:
    res = run("prototypes")
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].startswith("core")


@pytest.mark.parametrize("name, expect", [
    ("core", ["jupyterHubServiceType", "ClusterIP|NodePort|LoadBalancer", "reportUsage", "bool", "default: false"]),
])
def test_params_shows_name_type_default_doc(name: str, expect: list[str]) -> None:
    res = run("params", name)
    assert res.exit_code == 0, res.output
    for fragment in expect:
        assert fragment in res.stdout
    # every param has a doc line
    lines = res.stdout.splitlines()[2:]
    assert len(lines) % 2 == 0 and len(lines) >= 4


@pytest.mark.parametrize("name", ["core", "manifests", "nvidia-device-plugin", "tf-cnn", "tf-job", "tf-serving",
                                  "volume"])
def test_params_documents_every_prototype(name: str) -> None:
    """Every prototype's params print (free-form mappings such as tf-job's affinity read map[string]any)."""
    from kfgen.prototypes.base import prototypes

    assert name in prototypes()
    res = run("params", name)
    assert res.exit_code == 0, res.output
    documented = {line.split()[0] for line in res.stdout.splitlines()[2::2] if line.strip()}
    assert documented == {f.alias or n for n, f in prototypes()[name].params.model_fields.items()}


def test_every_prototype_is_in_the_params_table() -> None:
    from kfgen.prototypes.base import prototypes

    assert sorted(prototypes()) == ["core", "manifests", "nvidia-device-plugin", "tf-cnn", "tf-job", "tf-serving",
                                    "volume"]


def test_params_unknown_prototype() -> None:
    res = run("params", "tf-servin")
    assert res.exit_code == 2
    assert "did you mean 'tf-serving'?" in res.stderr


def test_check_and_stdout_exclude_each_other(workspace: Path) -> None:
    res = run("render", "--all", "--check", "--stdout")
    assert res.exit_code == 2 and "exclude each other" in res.stderr


def test_profile_and_all_exclude_each_other(workspace: Path) -> None:
    res = run("render", "--all", "-p", "gpu-lab")
    assert res.exit_code == 2 and "either --profile or --all" in res.stderr


@pytest.mark.parametrize("name, fragment", [
    ("../profiles", "invalid profile name '../profiles'"),
    ("_base", "partials can only be extended"),
])
def test_only_profile_names_reach_the_file_system(workspace: Path, name: str, fragment: str) -> None:
    (workspace / "profiles" / "_base.yaml").write_text("namespace: x\n")
    before = snapshot(workspace)
    res = run("render", "-p", name)
    assert res.exit_code == 2 and fragment in res.stderr
    assert snapshot(workspace) == before


def test_stale_output_of_a_deleted_profile_is_reported_then_removed(workspace: Path) -> None:
    assert run("render", "--all").exit_code == 0
    (workspace / "profiles" / "cpu-laptop.yaml").unlink()
    (workspace / "out" / "notes").mkdir()  # not kfgen's: never touched
    res = run("render", "--all", "--check")
    assert res.exit_code == 1
    assert "out/cpu-laptop/ is output of a profile that no longer exists" in res.stderr
    assert (workspace / "out" / "cpu-laptop").is_dir()
    res = run("render", "--all")
    assert res.exit_code == 0 and "removed out/cpu-laptop/" in res.stdout
    assert not (workspace / "out" / "cpu-laptop").exists()
    assert (workspace / "out" / "notes").is_dir()


def test_check_sees_files_in_sub_directories(workspace: Path) -> None:
    assert run("render", "-p", "gpu-lab").exit_code == 0
    (workspace / "out" / "gpu-lab" / "extra").mkdir()
    (workspace / "out" / "gpu-lab" / "extra" / "x.yaml").write_text("kind: X\n")
    res = run("render", "-p", "gpu-lab", "--check")
    assert res.exit_code == 1 and "extra    out/gpu-lab/extra/x.yaml" in res.stderr


def test_a_directory_kfgen_did_not_write_is_never_replaced(workspace: Path) -> None:
    mine = workspace / "mine" / "gpu-lab"
    mine.mkdir(parents=True)
    (mine / "precious.txt").write_text("keep me")
    res = run("render", "-p", "gpu-lab", "--out-dir", "mine")
    assert res.exit_code == 2 and "was not written by kfgen" in res.stderr
    assert (mine / "precious.txt").read_text() == "keep me"


def test_write_errors_are_reported_without_traceback(workspace: Path) -> None:
    (workspace / "afile").write_text("")
    res = run("render", "-p", "gpu-lab", "--out-dir", "afile")
    assert res.exit_code == 2
    assert "cannot create afile" in res.stderr and "Traceback" not in res.output
