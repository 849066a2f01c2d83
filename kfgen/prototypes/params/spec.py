"""The base of nested parameter objects, and the checks they share.

Nested parameter objects are as strict as :class:`kfgen.prototypes.base.Params` (unknown keys refused, no
coercion), so a typo inside ``resources:`` is reported like a typo in a top-level param.
"""

from __future__ import annotations

from typing import Any

from pydantic import AfterValidator, BaseModel

from kfgen.prototypes.base import Params


class Spec(BaseModel):
    """Base of nested parameter objects: as strict as Params (unknown keys refused, no coercion)."""

    model_config = Params.model_config


# A mutable default ([] or {}) would be deep-copied by pydantic for every instance it fills (a default that cannot
# be hashed is copied with copy.deepcopy each time): such fields take a factory, and these keep the JSON schema's
# "default" as it was: ``Field(default_factory=list, json_schema_extra=DEFAULT_LIST, description=...)``.
DEFAULT_LIST: dict[str, Any] = {"default": []}
DEFAULT_MAP: dict[str, Any] = {"default": {}}


def repeated(values: list[str]) -> list[str]:
    """The values that occur more than once, sorted (for "must be unique" checks)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for v in values:
        (twice if v in seen else seen).add(v)
    return sorted(twice)


def unused_opt_in(param: str, why: str) -> str:
    """The warning for an opt-in (an ``allow…: true`` param) that allows nothing in this render, *why* saying why:
    left in, it would later allow, without a word, what a change of other params adds."""
    return f"{param}: true allows nothing here ({why}): remove it, so that it cannot silently allow what is added later"


def k8s_definition(definition: str) -> Any:
    """An AfterValidator checking a mapping against Kubernetes' own (strict) definition *definition*, e.g.
    ``io.k8s.api.core.v1.Affinity``: unknown fields and wrong types are refused where the user wrote them."""

    def check(value: dict[str, Any]) -> dict[str, Any]:
        from jsonschema import Draft202012Validator

        from kfgen.kube import schemas
        from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION

        ref = {"$ref": f"{schemas.DEFINITIONS_ID}#/$defs/{definition}"}
        validator = Draft202012Validator(ref, registry=schemas.registry(DEFAULT_KUBERNETES_VERSION))
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            at = ".".join(str(p) for p in err.absolute_path)
            raise ValueError(f"{at + ': ' if at else ''}{err.message} ({definition.rsplit('.', 1)[-1]})")
        return value

    return AfterValidator(check)
