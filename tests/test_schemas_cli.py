"""The profile JSON schema, `kfgen validate` and `kfgen schemas` through the CLI, and out/'s hygiene."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.profile import list_profiles, profile_json_schema, read_yaml


class _Runner(CliRunner):
    def invoke(self, *args, **kwargs):  # type: ignore[override]
        res = super().invoke(*args, **kwargs)
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        return res


runner = _Runner()
SCHEMA_COMMENT = "# yaml-language-server: $schema=../schemas/profile.schema.json"


def test_committed_profile_schema_matches_the_models() -> None:
    committed = (ROOT / "schemas" / "profile.schema.json").read_text()
    assert committed == profile_json_schema(), "schemas/profile.schema.json drifted: run `kfgen schemas profile`"


def test_schema_check_command_detects_drift(tmp_path: Path) -> None:
    target = tmp_path / "profile.schema.json"
    assert runner.invoke(app, ["schemas", "profile", "-o", str(target)]).exit_code == 0
    assert runner.invoke(app, ["schemas", "profile", "-o", str(target), "--check"]).exit_code == 0
    target.write_text(target.read_text().replace("jupyterHubServiceType", "jupyterHubSvcType"))
    res = runner.invoke(app, ["schemas", "profile", "-o", str(target), "--check"])
    assert res.exit_code == 1 and "out of date" in res.stderr


@pytest.mark.parametrize("name", list_profiles(ROOT / "profiles"))
def test_every_profile_carries_the_schema_comment_and_validates_against_it(name: str) -> None:
    text = (ROOT / "profiles" / f"{name}.yaml").read_text()
    assert text.splitlines()[0] == SCHEMA_COMMENT
    data, _ = read_yaml(ROOT / "profiles" / f"{name}.yaml")
    jsonschema.validate(data, json.loads(profile_json_schema()))


@pytest.mark.parametrize("patch, fragment", [
    ({"reportUsage": "true"}, "'true' is not of type 'boolean'"),
    ({"jupyterHubServiceType": "LoadBalancr"}, "'LoadBalancr' is not one of"),
    ({"bogus": 1}, "Additional properties are not allowed"),
])
def test_editor_schema_rejects_what_kfgen_rejects(patch: dict, fragment: str) -> None:
    data = {"components": {"c": {"prototype": "core", "params": patch}}}
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.validate(data, json.loads(profile_json_schema()))
    assert fragment in str(info.value.message) or any(fragment in e.message for e in info.value.context)


def test_validate_cli_passes_on_committed_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    res = runner.invoke(app, ["validate", "--all"])
    assert res.exit_code == 0, res.output
    for name in list_profiles(ROOT / "profiles"):
        assert f"{name}: valid" in res.stdout
    assert "kubeconform:" in res.stdout and " 0 invalid, 0 errors, 0 skipped" in res.stdout


def test_validate_cli_lists_every_error_in_a_broken_output(workspace: Path) -> None:
    out = workspace / "out" / "cpu-laptop"
    dep = next(out.glob("27-deployment-ambassador.yaml"))
    obj = yaml.safe_load(dep.read_text())
    obj["spec"]["replicas"] = "three"
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    dep.write_text(yaml.safe_dump(obj))
    res = runner.invoke(app, ["validate", "-p", "cpu-laptop"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception
    err = res.stderr
    assert "Deployment kubeflow-laptop/ambassador" in err
    assert "/spec/replicas" in err
    assert "/spec/template/spec/containers/0/imagePullPolicyy" in err
    assert "27-deployment-ambassador.yaml" in err
    assert "cpu-laptop: " in res.stdout and "valid" not in res.stdout.split("cpu-laptop: ")[1].split()[0]


def test_schemas_export_is_usable_by_kubeconform(tmp_path: Path) -> None:
    from kfgen.validate.kubeconform import find_kubeconform

    res = runner.invoke(app, ["schemas", "export", "--dir", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "deployment-apps-v1.json").is_file()
    assert (tmp_path / "s" / "tfjob-kubeflow-v1.json").is_file()
    kubeconform = find_kubeconform()
    if kubeconform is None:
        pytest.fail("kubeconform not found: run scripts/tools.sh kubeconform (scripts/test does)")
    proc = subprocess.run([str(kubeconform), "-strict", "-summary", "-schema-location",
                           f"{tmp_path / 's'}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json",
                           str(ROOT / "out" / "gpu-lab")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in proc.stdout


def test_schemas_export_unknown_version_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["schemas", "export", "--dir", str(tmp_path), "--kubernetes-version", "1.99"])
    assert res.exit_code == 2
    assert "1.99" in res.stderr and "1.37" in res.stderr


def test_out_holds_no_secret_values() -> None:
    """Security by default: kfgen references secrets, it never writes their values."""
    seen = 0
    for path in sorted((ROOT / "out").rglob("*.yaml")):
        obj = yaml.safe_load(path.read_text())
        if obj.get("kind") == "Secret":
            seen += 1
            assert not obj.get("data") and not obj.get("stringData"), f"{path} carries secret values"
        text = path.read_text().lower()
        assert "password:" not in text and "aws_secret_access_key: " not in text
    assert seen >= 1  # the operator's certificate Secret is rendered empty, filled in-cluster


def test_usage_reporting_is_off_in_committed_output() -> None:
    assert not list((ROOT / "out").rglob("*spartakus*"))
