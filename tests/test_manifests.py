"""manifests: inline objects and files read at load time, namespaced, labelled and strictly validated; errors
through the CLI name the profile's file and line and leave out/ untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.prototypes.manifests import ManifestsParams

PROFILE = """\
namespace: team-a
components:
  extra:
    prototype: manifests
    params:
      objects:
        - apiVersion: v1
          kind: ConfigMap
          metadata: {name: settings}
          {data_key}: {{mode: fast}}
        - apiVersion: scheduling.k8s.io/v1
          kind: PriorityClass
          metadata: {{name: training}}
          value: 1000
"""


def run(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, Path]:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "p.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "p", "--profiles-dir", "profiles", "--out-dir", "out"])
    return res.exit_code, res.output, tmp_path / "out"


def test_inline_objects_rendered_namespaced_and_labelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, PROFILE.replace("{name: settings}", "{{name: settings}}")
                          .format(data_key="data"), monkeypatch)
    assert code == 0, text
    cm = yaml.safe_load((out / "p" / "09-configmap-settings.yaml").read_text())
    assert cm["metadata"]["namespace"] == "team-a" and cm["metadata"]["labels"]["kfgen.io/instance"] == "extra"
    pc = next(yaml.safe_load(f.read_text()) for f in (out / "p").glob("*priorityclass*"))
    assert "namespace" not in pc["metadata"]


def test_invalid_inline_object_fails_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, PROFILE.replace("{name: settings}", "{{name: settings}}")
                          .format(data_key="dat"), monkeypatch)
    assert code != 0
    assert "profiles/p.yaml:7:" in text and "components.extra.params.objects[0]" in text, text
    assert "unknown field 'dat'" in text and "did you mean 'data'" in text
    assert not (out / "p").exists()


def test_files_are_read_at_load_time(tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n"
                                         "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n")
    params = ManifestsParams.model_validate({"files": ["extra.yaml"]}, context={"profiles_dir": tmp_path})
    assert [d["kind"] for d in params._loaded] == ["Secret", "ServiceAccount"]
    with pytest.raises(ValidationError, match="profile loader"):
        ManifestsParams.model_validate({"files": ["extra.yaml"]})
    with pytest.raises(ValidationError, match="cannot read"):
        ManifestsParams.model_validate({"files": ["missing.yaml"]}, context={"profiles_dir": tmp_path})
    with pytest.raises(ValidationError, match="without '..'"):
        ManifestsParams.model_validate({"files": ["../x.yaml"]}, context={"profiles_dir": tmp_path})
    with pytest.raises(ValidationError, match="give objects"):
        ManifestsParams.model_validate({})


FILES_PROFILE = """\
namespace: team-a
components:
  extra:
    prototype: manifests
    params:
      files: [extra/objects.yaml]
"""


def test_files_render_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "profiles" / "extra").mkdir(parents=True)
    (tmp_path / "profiles" / "extra" / "objects.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file}\ndata: {mode: fast}\n"
        "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: other}\n")
    code, text, out = run(tmp_path, FILES_PROFILE, monkeypatch)
    assert code == 0, text
    objects = {o["kind"]: o for f in sorted((out / "p").glob("*.yaml")) for o in yaml.safe_load_all(f.read_text())}
    cm, sa = objects["ConfigMap"], objects["ServiceAccount"]
    assert cm["metadata"]["name"] == "from-file" and cm["data"] == {"mode": "fast"}
    assert cm["metadata"]["namespace"] == "team-a" and cm["metadata"]["labels"]["kfgen.io/instance"] == "extra"
    assert sa["metadata"]["namespace"] == "other" and sa["metadata"]["labels"]["kfgen.io/instance"] == "extra"


def test_a_missing_file_fails_from_the_cli_with_the_profile_line(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, FILES_PROFILE, monkeypatch)
    assert code != 0
    assert "profiles/p.yaml:" in text and "extra/objects.yaml: cannot read" in text, text
    assert not (out / "p").exists()
