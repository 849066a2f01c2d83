"""The YAML writer's fast path certifies a rendered object as plain JSON, and the validator then does
not walk it again (kfgen.validate.objects._plain_json guards the compiled validator). An object that
is not plain JSON (a tuple, a non-str key, a Decimal, a date, a str subclass) is never certified, so
it still goes through the guarded path and gets jsonschema's verdict and messages."""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path
from typing import Any

import pytest
from test_validate import deployment, renderable, service, tfjob, write_profile

from kfgen.output import yaml as yaml_mod
from kfgen.output.files import RenderedFiles, render_files
from kfgen.output.yaml import to_yaml, to_yaml_checked
from kfgen.render.pipeline import RenderResult
from kfgen.validate import objects as in_process
from kfgen.validate.objects import validate_each
from kfgen.validate.profiles import validate_profile

V = "1.37"


class Name(str):
    pass


# No YAML writer represents these (kfgen's refuses them, so such an object is never written); the
# validator gets them from elsewhere (patches, files), never with a certificate.
UNWRITABLE = ("decimal", "str subclass")


def _odd_objects() -> dict[str, dict[str, Any]]:
    """Objects that are not plain JSON by exact type, each with the field that makes it so."""
    as_tuple = deployment()
    container = as_tuple["spec"]["template"]["spec"]["containers"][0]
    container["args"] = ("--port", "80")
    as_decimal = deployment(replicas=decimal.Decimal(2))
    as_date = service()
    as_date["metadata"]["annotations"] = {"built": datetime.date(2024, 1, 2)}
    int_key = service()
    int_key["spec"]["selector"] = {1: "web"}
    subclass = service()
    subclass["metadata"]["labels"] = {"app": Name("web")}
    return {"tuple": as_tuple, "decimal": as_decimal, "date": as_date, "int key": int_key, "str subclass": subclass}


def test_the_fast_path_certifies_exactly_what_the_validator_calls_plain() -> None:
    for obj in (deployment(), service(), tfjob()):
        text, plain = to_yaml_checked(obj)
        assert plain and in_process._plain_json(obj)
        assert text == to_yaml(obj)
    for what, obj in _odd_objects().items():
        with pytest.raises(yaml_mod._Fallback):
            yaml_mod._to_yaml_fast(obj, True)
        assert not in_process._plain_json(obj), what
        if what not in UNWRITABLE:
            text, plain = to_yaml_checked(obj)
            assert not plain and text == to_yaml(obj), what


def test_render_files_certifies_only_plain_objects_and_verdicts_do_not_change() -> None:
    odd = _odd_objects()
    for what in UNWRITABLE:
        del odd[what]
    for i, obj in enumerate(odd.values()):
        obj["metadata"]["name"] = f"odd-{i}"
    objects = [deployment(), service(), tfjob(), *odd.values()]
    result = RenderResult("p", objects, {id(o): "" for o in objects})
    files = render_files(result, "kubeflow")
    assert isinstance(files, RenderedFiles)
    assert files.plain == {id(o) for o in objects[:3]}

    certified = validate_each(objects, V, plain=[id(o) in files.plain for o in objects])
    assert certified == validate_each(objects, V)
    assert certified[:3] == [[], [], []]
    by_name = dict(zip(odd, certified[3:], strict=True))
    assert [(p.pointer, p.message) for p in by_name["tuple"]] == [
        ("/spec/template/spec/containers/0/args", "wrong type")]
    assert [(p.pointer, p.message) for p in by_name["date"]] == [("/metadata/annotations/built", "wrong type")]
    as_decimal = _odd_objects()["decimal"]
    assert validate_each([as_decimal], V, plain=[False]) == validate_each([as_decimal], V)
    assert [(p.pointer, p.message) for p in validate_each([as_decimal], V)[0]] == [("/spec/replicas", "wrong type")]


def test_the_guard_matters() -> None:
    """Why an uncertified object must be walked: the compiled validator takes a tuple for an array."""
    obj = _odd_objects()["tuple"]
    if in_process.compiled_validator_for("apps/v1", "Deployment", V) is None:  # pragma: no cover
        pytest.skip("jsonschema-rs is not installed")
    assert validate_each([obj], V, plain=[True]) == [[]]  # a false certificate hides the error
    assert validate_each([obj], V, plain=[False])[0]


def test_kfgen_validate_walks_only_the_uncertified_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kfgen.actions import Workspace
    from kfgen.profile import model as profile_mod
    from kfgen.prototypes import base as prototype_mod
    from kfgen.prototypes.base import Params, Prototype
    from kfgen.render import pipeline as render_mod

    class OddParams(Params):
        odd: bool = False

    def render_odd(ctx: Any, params: OddParams) -> list[dict[str, Any]]:
        dep, svc = renderable(deployment()), service()
        for obj in (dep, svc):
            obj["metadata"]["namespace"] = ctx.namespace
            obj["metadata"]["name"] = ctx.instance
        if params.odd:
            dep["spec"]["template"]["spec"]["containers"][0]["args"] = ("--port", "80")
        return [dep, svc]

    registry = {"odd-test": Prototype("odd-test", "test prototype", OddParams, render_odd)}
    for mod in (profile_mod, render_mod, prototype_mod):
        monkeypatch.setattr(mod, "prototypes", lambda: registry, raising=False)
    profile_mod.profile_model.cache_clear()
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", """\
        namespace: web
        components:
          a: {prototype: odd-test}
          b: {prototype: odd-test, params: {odd: true}}
        """)
    walked: list[Any] = []
    real = in_process._plain_json

    def spy(value: Any) -> bool:
        walked.append(value)
        return real(value)

    monkeypatch.setattr(in_process, "_plain_json", spy)
    try:
        report = validate_profile(Workspace(), "p")
    finally:
        profile_mod.profile_model.cache_clear()
    assert [(o["kind"], o["metadata"]["name"]) for o in walked] == [("Deployment", "b")]
    assert [(f.instance, f.pointer, f.message) for f in report.findings] == [
        ("b", "/spec/template/spec/containers/0/args", "wrong type")]
