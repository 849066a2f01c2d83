"""``kfgen import``: ksonnet apps (tests/fixtures/ksonnet/, made as the 2018 article made them) become
profiles that kfgen renders; where an app has the params of a shared reference case, the imported
render is the one tests/test_parity.py checks against what ksonnet rendered."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_parity import compare_case, entries, explain, load_case, render_case
from typer.testing import CliRunner

from kfgen.actions import Workspace
from kfgen.cli import app
from kfgen.ksonnet.convert import convert
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION, INSTANCE_LABEL, MANAGED_BY_LABEL, PROFILE_LABEL
from kfgen.prototypes.base import prototypes

FIXTURES = Path(__file__).parent / "fixtures" / "ksonnet"
ARTICLE, LEGACY = FIXTURES / "article", FIXTURES / "legacy-0.9"
runner = CliRunner()


def run_import(app_dir: Path, project: Path, *args: str) -> Any:
    return runner.invoke(app, ["import", str(app_dir), "--profiles-dir", str(project / "profiles"), *args])


def profile(project: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((project / "profiles" / f"{name}.yaml").read_text(encoding="utf-8"))


def rendered(project: Path, name: str) -> tuple[Any, Any]:
    _, result, files = Workspace(project / "profiles", project / "out").render(name)
    assert files
    return result, result.objects


def instance_objects(result: Any, instance: str) -> list[dict[str, Any]]:
    """One instance's objects without the labels the pipeline adds to every object (the parity cases
    render a prototype alone)."""
    out = []
    for obj in result.objects:
        if result.instance_of.get(id(obj)) != instance:
            continue
        labels = {k: v for k, v in obj["metadata"]["labels"].items()
                  if k not in (MANAGED_BY_LABEL, PROFILE_LABEL, INSTANCE_LABEL)}
        meta = {k: v for k, v in obj["metadata"].items() if k != "labels"}
        out.append({**obj, "metadata": {**meta, **({"labels": labels} if labels else {})}})
    return out


def assert_failed(res: Any, *words: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    reasons = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert len(reasons) == 1, res.stderr
    for word in words:
        assert word in reasons[0], reasons[0]


# --- the article's app: two environments -----------------------------------------------------------


def test_article_app_becomes_one_profile_per_environment(tmp_path: Path) -> None:
    res = run_import(ARTICLE, tmp_path)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "profiles").iterdir()) == ["default.yaml", "gpu-lab.yaml"]
    default = profile(tmp_path, "default")
    assert default["namespace"] == "kubeflow"
    assert default["kubernetesVersion"] == DEFAULT_KUBERNETES_VERSION
    assert "Kubernetes v1.9.6" in (tmp_path / "profiles" / "default.yaml").read_text(encoding="utf-8")
    assert default["components"] == {
        "kubeflow-core": {"prototype": "core",  # its namespace param is the environment's: not repeated
                          "params": {"jupyterHubServiceType": "LoadBalancer", "reportUsage": True,
                                     "usageId": "test-id",
                                     # ksonnet exposed the hub unauthenticated: kfgen makes that explicit
                                     "jupyterHubAllowUnauthenticatedExternalAccess": True}},
        "inception": {"prototype": "tf-serving",
                      "params": {"modelPath": "gs://kubeflow-models/inception", "numGpus": 1}},
        "myjob": {"prototype": "tf-job", "params": {
            "image": "gcr.io/tf-on-k8s-dogfood/tf_sample:dc944ff",
            "image_gpu": "gcr.io/tf-on-k8s-dogfood/tf_sample_gpu:dc944ff",
            "num_gpus": 1, "num_ps": 1, "num_workers": 2}},
    }
    # the env-level overrides of gpu-lab (environments/gpu-lab/params.libsonnet)
    gpu_lab = profile(tmp_path, "gpu-lab")["components"]
    assert gpu_lab["kubeflow-core"]["params"] == {"jupyterHubServiceType": "NodePort",
                                                  "jupyterHubAllowUnauthenticatedExternalAccess": True}
    assert "jupyterHubAllowUnauthenticatedExternalAccess: true, because the app exposes JupyterHub" in res.output
    assert gpu_lab["myjob"]["params"]["num_workers"] == 4
    assert "usageId = 'test-id' is left out: it only counts with reportUsage: true" in res.output
    # the 2018 defaults are said to be replaced by kfgen's
    assert "tfJobImage: ksonnet's default gcr.io/kubeflow-images-public/tf_operator:v20180329-a7511ff" in res.output
    assert "serveInception -> instance inception (tf-serving)" in res.output
    # core's Ambassador 0.30.1 runs as root: each profile lowers kubeflow to baseline, with a comment and a note
    assert default["podSecurity"] == profile(tmp_path, "gpu-lab")["podSecurity"] == {"kubeflow": "baseline"}
    text = (tmp_path / "profiles" / "default.yaml").read_text(encoding="utf-8")
    assert "\n  kubeflow: baseline   # kubeflow-core (core): Deployment kubeflow/ambassador meets only" in text
    assert res.output.count("note: added `kubeflow: baseline` under podSecurity") == 2
    for name in ("default", "gpu-lab"):
        result, objects = rendered(tmp_path, name)
        assert {result.instance_of[id(o)] for o in objects} >= {"kubeflow-core", "inception", "myjob"}


def test_env_selects_one_environment(tmp_path: Path) -> None:
    res = run_import(ARTICLE, tmp_path, "--env", "gpu-lab")
    assert res.exit_code == 0, res.output
    assert [p.name for p in (tmp_path / "profiles").iterdir()] == ["gpu-lab.yaml"]
    assert "environment 'default'" not in res.output
    rendered(tmp_path, "gpu-lab")


REFERENCE_CASES = [("kubeflow-core", "b-core-reportusage-lb"), ("inception", "c-tf-serving-gpu"), ("myjob", "d-tf-job")]


@pytest.mark.parametrize("instance, case_id", REFERENCE_CASES)
def test_imported_render_is_the_parity_render(tmp_path: Path, reference: Path, instance: str, case_id: str) -> None:
    """The article app's default environment has the params of three reference cases: its imported
    profile renders each instance exactly as test_parity renders that case, so the comparison with
    ksonnet's output finds only the differences DELIBERATE explains."""
    assert run_import(ARTICLE, tmp_path, "--env", "default").exit_code == 0
    case = load_case(reference, case_id)
    comp = profile(tmp_path, "default")["components"][instance]
    assert (comp["prototype"], comp.get("params", {})) == (case.prototype, case.params)
    assert comp.get("namespace", "kubeflow") == case.namespace
    result, _ = rendered(tmp_path, "default")
    ours = instance_objects(result, instance)
    expected = render_case(case)
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(ours, key=key) == sorted(expected, key=key)
    _, problems = explain(compare_case(case, ours), entries())
    assert not problems, "\n".join(problems)


# --- a ksonnet 0.9 app: retired params, components kfgen lacks ---------------------------------------


def test_legacy_app_reports_retired_params_and_skipped_components(tmp_path: Path) -> None:
    res = run_import(LEGACY, tmp_path)
    assert res.exit_code == 0, res.output
    core = prototypes()["core"]
    for param in ("disks", "tfDefaultImage"):
        assert f"retired: kubeflow-core.{param} = " in res.output
        assert core.retired[param] in res.output
    assert "skipped: seldon: prototype io.ksonnet.pkg.seldon" in res.output
    assert "kfgen has no prototype for it" in res.output
    assert "skipped: data-pvc: imports no vendored library" in res.output
    assert "skipped: nfs-volume: components/nfs-volume.yaml is plain Kubernetes objects" in res.output
    text = (tmp_path / "profiles" / "staging.yaml").read_text(encoding="utf-8")
    assert "#   retired kubeflow-core.disks:" in text and "#   skipped component seldon:" in text
    staging = profile(tmp_path, "staging")
    assert staging["namespace"] == "kubeflow-staging"  # environments/staging/spec.json
    assert staging["components"] == {
        "kubeflow-core": {"prototype": "core", "namespace": "kubeflow", "params": {
            "cloud": "gcp", "jupyterNotebookPVCMount": "/home/jovyan/data", "tfJobNamespaced": False}},
        "mycnnjob": {"prototype": "tf-cnn", "params": {"batch_size": 64, "num_gpus": 1, "num_workers": 2}},
    }
    assert "batch_size" not in profile(tmp_path, "default")["components"]["mycnnjob"]["params"]  # at its default
    for name in ("default", "staging"):
        rendered(tmp_path, name)


def test_ksonnet_strings_become_typed_params() -> None:
    core, tf_job = prototypes()["core"].params.model_fields, prototypes()["tf-job"].params.model_fields
    assert convert(core["reportUsage"].annotation, "true") is True
    assert convert(core["reportUsage"].annotation, "false") is False
    assert convert(core["usageId"].annotation, "null") is None
    assert convert(core["usageId"].annotation, 12345) == "12345"
    assert convert(tf_job["num_workers"].annotation, "3") == 3
    assert convert(tf_job["num_workers"].annotation, 3.0) == 3
    assert convert(core["jupyterHubServiceType"].annotation, "NodePort") == "NodePort"
    with pytest.raises(ValueError):
        convert(tf_job["num_workers"].annotation, "three")


# --- refusals: exit 2, one reason, nothing written ------------------------------------------------------


def test_missing_app_yaml(tmp_path: Path) -> None:
    (tmp_path / "not-an-app").mkdir()
    assert_failed(run_import(tmp_path / "not-an-app", tmp_path), "app.yaml is missing")
    assert not (tmp_path / "profiles").exists()


def test_unknown_env(tmp_path: Path) -> None:
    res = run_import(ARTICLE, tmp_path, "--env", "gpu")
    assert_failed(res, "unknown environment 'gpu'")
    assert "did you mean 'gpu-lab'?" in res.stderr
    assert not (tmp_path / "profiles").exists()


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def test_bad_jsonnet(tmp_path: Path) -> None:
    bad = _copy(ARTICLE, tmp_path)
    params = bad / "environments" / "gpu-lab" / "params.libsonnet"
    params.write_text(params.read_text(encoding="utf-8").replace("num_workers: 4,", "num_workers: ,"), encoding="utf-8")
    assert_failed(run_import(bad, tmp_path), "cannot evaluate environments/gpu-lab/params.libsonnet", "STATIC ERROR")
    assert not (tmp_path / "profiles").exists()  # default was fine, but nothing is written


def test_params_files_may_not_import_vendored_code(tmp_path: Path) -> None:
    bad = _copy(ARTICLE, tmp_path)
    params = bad / "environments" / "default" / "params.libsonnet"
    params.write_text('local core = import "../../vendor/kubeflow/core/prototypes/all.jsonnet";\n'
                      + params.read_text(encoding="utf-8").replace("  components +: {", "  components +: {x: core,", 1),
                      encoding="utf-8")
    assert_failed(run_import(bad, tmp_path), "library code", "not evaluate")


def test_existing_profiles_are_kept_unless_force(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    mine = tmp_path / "profiles" / "default.yaml"
    mine.write_text("namespace: mine\n", encoding="utf-8")
    assert_failed(run_import(ARTICLE, tmp_path), "default.yaml exists")
    assert mine.read_text(encoding="utf-8") == "namespace: mine\n"
    assert not (tmp_path / "profiles" / "gpu-lab.yaml").exists()
    res = run_import(ARTICLE, tmp_path, "--force")
    assert res.exit_code == 0, res.output
    assert profile(tmp_path, "default")["namespace"] == "kubeflow"


def test_legacy_import_words_for_people(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw YAML components point at the manifests prototype; null defaults are 'unset'; profiles carry the
    editor schema header, and the schema it names is written when missing (never overwritten)."""
    res = run_import(LEGACY, tmp_path)
    assert res.exit_code == 0, res.output
    assert "keep applying it with kubectl" not in res.output
    assert "manifests prototype" in res.output and "--param files=[manifests/nfs-volume.yaml]" in res.output
    assert "kfgen's default null" not in res.output and "usageId: ksonnet's default unknown_cluster -> kfgen leaves " \
        "it unset" in res.output
    for name in ("default", "staging"):
        first = (tmp_path / "profiles" / f"{name}.yaml").read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/profile.schema.json"
    schema = tmp_path / "schemas" / "profile.schema.json"
    assert schema.is_file() and "wrote" in res.output and "profile.schema.json" in res.output
    schema.write_text("{}")
    res = run_import(LEGACY, tmp_path, "--force")
    assert res.exit_code == 0 and schema.read_text() == "{}" and "profile.schema.json" not in res.output
    # the advice works: copy the file, generate the instance
    (tmp_path / "profiles" / "manifests").mkdir()
    shutil.copy(LEGACY / "components" / "nfs-volume.yaml", tmp_path / "profiles" / "manifests" / "nfs-volume.yaml")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["generate", "manifests", "nfs-volume", "-p", "default",
                              "--param", "files=[manifests/nfs-volume.yaml]"])
    assert res.exit_code == 0, res.output
