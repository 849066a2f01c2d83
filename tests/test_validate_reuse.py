"""kfgen validate reuses what it already knows: committed files byte-identical to the fresh render
are not parsed again when the render's objects are valid (the findings are those of parsing every
file), kfgen validate PATH decides "unknown kind" without building a validator, and a profile is
validated with the model of the prototypes it uses, its errors worded by the full model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_validate import fake_prototype, write_profile  # noqa: F401  (a fixture)

from kfgen.profile import display
from kfgen.validate import manifests as manifests_mod
from kfgen.validate import objects as in_process
from kfgen.validate.manifests import manifest_files, validate_files
from kfgen.validate.profiles import validate_profile

V = "1.37"


def _spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = manifests_mod.read_documents

    def read_documents(path: Path, shown: str, text: str | None = None):  # type: ignore[no-untyped-def]
        reads.append(path.name)
        return real(path, shown, text)

    monkeypatch.setattr(manifests_mod, "read_documents", read_documents)
    return reads


def _every_file_parsed(target: Path) -> list[tuple[str | None, int | None, str, str]]:
    """The committed files' findings as validating each of them from disk gives them."""
    found, _, _ = validate_files(manifest_files(target), V, display=display)
    return [(f.file, f.line, f.pointer, f.message) for f in found]


def test_identical_committed_files_are_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         fake_prototype: None) -> None:  # noqa: F811
    from kfgen import actions as api
    from kfgen.actions import Workspace

    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", "namespace: web\ncomponents:\n  site: {prototype: web-test}\n")
    ws = Workspace()
    api.render(ws, ["p"])
    reads = _spy_reads(monkeypatch)
    report = validate_profile(ws, "p")
    assert report.ok and (report.objects, report.files) == (3, 3)
    assert reads == []

    # a hand-edited file is parsed (its own error, with its line), the identical ones are not
    svc = tmp_path / "out" / "p" / "22-service-site.yaml"
    svc.write_text(svc.read_text().replace("port: 80", "port: '80'"))
    report = validate_profile(ws, "p")
    assert reads == ["22-service-site.yaml"] and report.files == 3
    schema = [(f.file, f.line, f.pointer, f.message) for f in report.findings if f.source == "schema"]
    assert schema == _every_file_parsed(tmp_path / "out" / "p")
    assert schema[0][:3] == ("out/p/22-service-site.yaml", schema[0][1], "/spec/ports/0/port") and schema[0][1]


def test_an_invalid_rendered_object_is_reported_from_its_committed_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        fake_prototype: None) -> None:  # noqa: F811
    from kfgen import actions as api
    from kfgen.actions import Workspace

    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", "namespace: web\ncomponents:\n"
                                 "  site: {prototype: web-test, params: {badField: true}}\n")
    ws = Workspace()
    api.render(ws, ["p"])
    reads = _spy_reads(monkeypatch)
    report = validate_profile(ws, "p")
    assert report.drift == [] and reads == ["27-deployment-site.yaml"]
    got = [(f.file, f.line, f.pointer, f.message) for f in report.findings]
    assert got == _every_file_parsed(tmp_path / "out" / "p")
    [(file, line, pointer, _)] = got
    text = (tmp_path / "out" / "p" / "27-deployment-site.yaml").read_text().splitlines()
    assert (file, pointer) == ("out/p/27-deployment-site.yaml", "/spec/template/spec/containers/0/imagePulPolicy")
    assert line is not None and text[line - 1].strip().startswith("imagePulPolicy:")
    assert report.findings[0].instance == ""  # as read from the file, not the render


def test_unknown_kinds_are_decided_without_building_a_validator(tmp_path: Path) -> None:
    from kfgen.validate.paths import validate_paths

    (tmp_path / "web.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx}]}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")
    in_process.clear_cache()
    try:
        report = validate_paths([tmp_path], V)
        assert report.ok and report.objects == 1 and [s.kind for s in report.skipped] == ["Widget"]
        assert in_process._VALIDATORS == {}  # only the compiled validator ran: nothing for jsonschema built
    finally:
        in_process.clear_cache()


def test_a_profile_validates_without_the_prototypes_it_does_not_use(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("components:\n  job: {prototype: tf-job, params: {image: 'x:1'}}\n")
    code = ("import sys; from pathlib import Path; from kfgen.profile import load_profile; "
            "from kfgen.profile.model import validate_profile; "
            f"p = validate_profile(load_profile(Path({str(tmp_path)!r}), 'p')); "
            "print(sorted(p.components), 'kfgen.prototypes.tf_serving' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['job']", "False"]


@pytest.mark.parametrize("components", [
    "  job: {prototype: tf-job, params: {image: 'x:1', num_workers: 'two'}}\n",
    "  job: {prototype: tf-job, params: {image: 'x:1', nope: 1}}\n  s: {prototype: tf-serving, params: {}}\n",
    "  job: {prototype: tf-jbo}\n",
])
def test_a_refused_profile_is_worded_by_the_full_model(tmp_path: Path, components: str) -> None:
    from pydantic import ValidationError

    from kfgen.errors import KfgenError
    from kfgen.profile import load_profile
    from kfgen.profile.diagnostics import translate
    from kfgen.profile.model import profile_model, validate_profile
    from kfgen.prototypes.base import prototypes

    (tmp_path / "p.yaml").write_text("namespace: ml\ncomponents:\n" + components)
    loaded = load_profile(tmp_path, "p")
    with pytest.raises(ValidationError) as full:
        profile_model().model_validate(dict(loaded.data), context={"profiles_dir": tmp_path})
    expected = translate(full.value, loaded.data, loaded.sources, root=profile_model(), prototypes=prototypes())
    with pytest.raises(KfgenError) as exc:
        validate_profile(loaded)
    assert exc.value.problems == expected and expected
