"""The base of nested parameter objects, and the checks they share.

Nested parameter objects are as strict as :class:`kfgen.prototypes.base.Params` (unknown keys refused, no
coercion), so a typo inside ``resources:`` is reported like a typo in a top-level param.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

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


# The opt-ins of kfgen.render.safety's rules (its OPT_INS), one type each, shared by every place that takes them (a
# patch, a manifests instance): "these objects" are the patch's change, or the manifests instance's objects.
SecretValuesOptIn = Annotated[bool, Field(
    description="Allow these objects to put values in a Secret's data/stringData (they land in out/ in clear); off: "
                "refused, create the Secret with kubectl, a SealedSecret or an ExternalSecret.")]
RbacWildcardsOptIn = Annotated[bool, Field(
    description="Allow '*' in the verbs, resources, apiGroups or nonResourceURLs of these objects' RBAC rules, and "
                "ClusterRole aggregationRule selectors requiring no label (they aggregate every ClusterRole); off: "
                "refused, name what the role needs.")]
AdminRoleBindingsOptIn = Annotated[bool, Field(
    description="Allow these objects to bind ClusterRole cluster-admin, or admin/edit in a ClusterRoleBinding "
                "(every namespace); off: refused, bind a role naming what the subjects need.")]
ExternalExposureOptIn = Annotated[bool, Field(
    description="Allow these objects to make something reachable from outside the cluster (a Service of type "
                "NodePort or LoadBalancer, externalIPs, an Ingress); check first that what they expose "
                "authenticates every request. Off: refused.")]


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
