"""The ``tfjobs.kubeflow.org`` CustomResourceDefinition and the two TFJob schemas, both derived from
:class:`~kfgen.kube.tfjob.model.TFJob` by :mod:`kfgen.kube.tfjob.structural`.

* :func:`tfjob_openapi_schema` - the *structural* OpenAPI v3 schema of the CRD
  (``apiextensions.k8s.io/v1``), pod template from Kubernetes' ``PodTemplateSpec``;
* :func:`tfjob_validation_schema` - a stricter JSON schema for offline validation (jsonschema,
  kubeconform) that also rejects unknown fields, in the TFJob-specific objects and in the pod template (a CRD
  schema cannot:
  ``additionalProperties: false`` beside ``properties`` is not structural; the server prunes
  unknown fields);
* :func:`tfjob_crd` - the CRD itself.

Deriving both schemas takes ~0.15 s (pydantic's JSON schema, kubernetes-validate's definitions), so
they are derived once, by ``scripts/gen_tfjob_crd_schema.py``, into the package-data file
``crd_schema.json`` that every run reads; ``tests/test_tfjob_crd_schema.py`` fails when the file
differs from a fresh :func:`derive_schema` (change the model, then regenerate the file).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from kfgen.kube.constants import TFJOB_GROUP, TFJOB_KIND

__all__ = ["SCHEMA_FILE", "derive_schema", "shared_validation_schema", "shipped_schema_text", "tfjob_crd",
           "tfjob_openapi_schema", "tfjob_validation_schema"]

#: The derived schemas, shipped as package data: {"openapi": ..., "validation": ...}.
SCHEMA_FILE = Path(__file__).with_name("crd_schema.json")


def shipped_schema_text() -> str:
    """What ``crd_schema.json`` must contain: both schemas, freshly derived (the generator's output)."""
    return json.dumps({"openapi": derive_schema(False), "validation": derive_schema(True)},
                      indent=1, ensure_ascii=False) + "\n"


@functools.lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    with SCHEMA_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


def _schema(strict: bool) -> dict[str, Any]:
    """The shipped (cached, never mutated) schema; callers get fresh copies (:func:`_fresh`)."""
    return _shipped()["validation" if strict else "openapi"]  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=2)
def _compact(strict: bool) -> str:
    return json.dumps(_schema(strict), separators=(",", ":"), ensure_ascii=False)


def _fresh(strict: bool) -> dict[str, Any]:
    """A fresh copy of the shipped schema: its compact JSON text (made once) parsed again, which takes
    a quarter of a ``copy.deepcopy`` (0.5 vs 2.2 ms) and gives an equal value (JSON data round-trips)."""
    return json.loads(_compact(strict))  # type: ignore[no-any-return]


def shared_validation_schema() -> dict[str, Any]:
    """The shipped strict schema itself, not a copy (cached): for readers that never change it, such as
    :func:`kfgen.kube.schemas.bound_integers`, which builds a new schema. Everyone else:
    :func:`tfjob_validation_schema`."""
    return _schema(True)


def derive_schema(strict: bool) -> dict[str, Any]:
    """Derive the schema from :class:`TFJob` and Kubernetes' ``PodTemplateSpec`` (the generator)."""
    from kfgen.kube.tfjob.model import TFJob
    from kfgen.kube.tfjob.structural import Structuralizer, load_pod_template_definitions

    pod_root, k8s_defs = load_pod_template_definitions()
    model_schema = TFJob.model_json_schema()
    model_defs = model_schema.pop("$defs", {})
    clash = model_defs.keys() & k8s_defs.keys()
    if clash:
        raise RuntimeError(f"definition name clash: {sorted(clash)}")
    defs = {**k8s_defs, **model_defs}
    # Resolve the PodTemplateSpec through the per-kind file's refs (the entry point
    # kubernetes-validate uses); both ref styles end in "#/$defs/<name>".
    defs["io.k8s.api.core.v1.PodTemplateSpec"] = pod_root

    structural = Structuralizer(defs, strict=strict)
    schema = structural.convert(model_schema)
    props = schema["properties"]
    # `status` (dict[str, Any]) has become `type: object` preserving unknown fields.
    if strict:
        # Declare the draft: kubeconform assumes draft 4 otherwise, which ignores
        # propertyNames (the replica type check).
        schema = {"$schema": "http://json-schema.org/draft-07/schema#", **schema}
        schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
        # The job's metadata as Kubernetes has it, unknown fields refused (the model passes extra fields through).
        props["metadata"] = structural.convert({"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                                                "description": props["metadata"].get("description", "")})
    else:
        # Root rules of structural schemas: metadata may only be `type: object`, and
        # apiVersion/kind are plain strings (the server sets/validates them itself).
        props["metadata"] = {"type": "object"}
        for key in ("apiVersion", "kind"):
            props[key] = {"description": props[key]["description"], "type": "string"}
        schema.pop("required", None)
    return schema


def tfjob_openapi_schema() -> dict[str, Any]:
    """Structural OpenAPI v3 schema of TFJob for the CRD (a fresh copy per call)."""
    return _fresh(False)


def tfjob_validation_schema() -> dict[str, Any]:
    """Strict JSON schema of a TFJob for offline validation (jsonschema, kubeconform).

    Same as :func:`tfjob_openapi_schema`, plus: unknown fields are refused in the
    TFJob-specific objects (root, spec, replica specs, runPolicy, schedulingPolicy),
    replica types are restricted with ``propertyNames``, apiVersion/kind are enums and
    metadata is typed. Unknown fields are refused inside the pod template too (its metadata against the whole
    ObjectMeta, every Kubernetes object in its spec), as kfgen's strict schemas refuse them in a Deployment.
    """
    return _fresh(True)


def tfjob_crd(labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``tfjobs.kubeflow.org`` CustomResourceDefinition (apiextensions.k8s.io/v1)."""
    metadata: dict[str, Any] = {"name": f"tfjobs.{TFJOB_GROUP}"}
    if labels:
        metadata["labels"] = dict(labels)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": metadata,
        "spec": {
            "group": TFJOB_GROUP,
            "names": {
                "kind": TFJOB_KIND,
                "listKind": f"{TFJOB_KIND}List",
                "plural": "tfjobs",
                "singular": "tfjob",
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "additionalPrinterColumns": [
                        {"name": "State", "type": "string", "jsonPath": ".status.conditions[-1:].type"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": tfjob_openapi_schema()},
                }
            ],
        },
    }

