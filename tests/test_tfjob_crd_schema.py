"""The shipped TFJob CRD schemas (kfgen/kube/tfjob/crd_schema.json) match a fresh derivation.

kfgen reads the schemas from that package-data file instead of deriving them on every run; a change
to the TFJob model, the structural converter or the pinned kubernetes-validate shows up here until
the file is regenerated with ``.venv/bin/python scripts/gen_tfjob_crd_schema.py``.
"""

from __future__ import annotations

import json

from kfgen.kube.tfjob import crd


def test_shipped_schema_matches_a_fresh_derivation() -> None:
    shipped = crd.SCHEMA_FILE.read_text(encoding="utf-8")
    assert shipped == crd.shipped_schema_text(), (
        "kfgen/kube/tfjob/crd_schema.json is out of date: run .venv/bin/python scripts/gen_tfjob_crd_schema.py")


def test_public_functions_serve_the_shipped_schemas_as_copies() -> None:
    shipped = json.loads(crd.SCHEMA_FILE.read_text(encoding="utf-8"))
    assert crd.tfjob_openapi_schema() == shipped["openapi"] == crd.derive_schema(False)
    assert crd.tfjob_validation_schema() == shipped["validation"] == crd.derive_schema(True)
    first = crd.tfjob_openapi_schema()
    first["properties"].clear()  # callers own their copy: the cached schema is untouched
    assert crd.tfjob_openapi_schema()["properties"] == shipped["openapi"]["properties"]
    assert crd.tfjob_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"] == shipped["openapi"]


def test_package_data_declares_the_file() -> None:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"].get("kfgen.kube.tfjob", [])
    assert crd.SCHEMA_FILE.name in patterns or "*.json" in patterns
