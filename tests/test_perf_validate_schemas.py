"""The validators' schemas built with less work give the same schemas and the same verdicts:

* TFJob's bounded schema is made from the shipped schema itself (no deep copy first), which stays untouched;
* a Kubernetes kind's compiled validator is built from its standalone schema (only the definitions it
  reaches, each bounded once), not from the whole bounded ``_definitions.json`` in a registry.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from test_validate import deployment, service, tfjob

from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.tfjob import crd
from kfgen.validate import objects as in_process

V = "1.37"


def test_bounding_the_tfjob_schema_leaves_the_shipped_one_as_it_is() -> None:
    shipped = json.loads(crd.SCHEMA_FILE.read_text(encoding="utf-8"))
    in_process.clear_cache()
    bounded = in_process._tfjob_schema()
    assert bounded == k8s_schemas.bound_integers(shipped["validation"])
    assert crd.shared_validation_schema() == shipped["validation"]  # nothing bounded in place
    assert crd.shared_validation_schema() is crd.shared_validation_schema()
    assert crd.tfjob_validation_schema() == shipped["validation"]


def test_schema_copies_are_fresh_and_equal() -> None:
    for fresh, shipped in ((crd.tfjob_openapi_schema, crd._schema(False)),
                           (crd.tfjob_validation_schema, crd._schema(True))):
        first, second = fresh(), fresh()
        assert first == second == shipped
        assert first is not second and first is not shipped
        first["properties"]["spec"]["properties"].clear()  # a caller's change reaches nobody else
        assert fresh() == shipped and second == shipped


@pytest.mark.parametrize("av, kind", [("v1", "Namespace"), ("apps/v1", "Deployment"), ("v1", "Service"),
                                      ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
                                      ("scheduling.k8s.io/v1", "PriorityClass")])
def test_standalone_definitions_are_those_of_the_bounded_document(av: str, kind: str) -> None:
    schema = k8s_schemas.standalone_schema(av, kind, V)
    bounded = k8s_schemas.bounded_definitions(V)
    assert schema["$defs"] and all(schema["$defs"][n] == k8s_schemas._rewrite(bounded[n]) for n in schema["$defs"])
    assert set(schema["$defs"]) == set(k8s_schemas._closure(schema, bounded))


_INTS = [0, 1, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63, 7]
_STRINGS = ["", "web", "100m", "1Gi", "2024-01-02T03:04:05Z", "Always", "TCP"]


def _mutants(obj: Any, rnd: random.Random, n: int) -> list[Any]:
    """*n* variants of *obj*, each with one value replaced (wrong type, out of range, unknown key, dropped)."""
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append((node, key))
                walk(value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                paths.append((node, i))
                walk(value)

    out = []
    for _ in range(n):
        copy_ = json.loads(json.dumps(obj))
        paths.clear()
        walk(copy_)
        parent, key = rnd.choice(paths)
        choice = rnd.random()
        if choice < 0.15 and isinstance(parent, dict):
            parent[f"{key}x"] = parent[key]  # an unknown field
        elif choice < 0.25 and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = rnd.choice([*_INTS, *_STRINGS, True, None, [], {}, 1.5])
        out.append(copy_)
    return out


def test_compiled_verdicts_are_jsonschemas_on_mutated_objects() -> None:
    """The compiled validators (standalone schemas) against jsonschema's (the whole bounded document
    in a registry: the validator that words every error): the same verdict on every object."""
    rnd = random.Random(13)
    in_process.clear_cache()
    crd_obj = crd.tfjob_crd()
    seen = {True: 0, False: 0}
    for base in (deployment(), service(), tfjob(), crd_obj,
                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"a": "b"}}},
                 {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"},
                  "value": 1000}):
        av, kind = base["apiVersion"], base["kind"]
        compiled = in_process.compiled_validator_for(av, kind, V)
        if compiled is None:  # pragma: no cover
            pytest.skip("jsonschema-rs is not installed")
        reference = in_process.validator_for(av, kind, V)
        for obj in [base, *_mutants(base, rnd, 60 if kind != "CustomResourceDefinition" else 20)]:
            verdict = reference.is_valid(obj)
            assert compiled.is_valid(obj) == verdict, (kind, obj)
            seen[verdict] += 1
    assert seen[True] > 20 and seen[False] > 100  # both verdicts were exercised
