"""Where and with what a pod runs: compute :class:`Resources` (requests, limits, GPUs), node taints'
:class:`Toleration` and node label keys (:data:`LabelKey`, for nodeSelectors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from kfgen.kube.constants import GPU_RESOURCE
from kfgen.prototypes.params.patterns import (
    INT32_MAX,
    QUALIFIED_NAME,
    Quantity,
    ResourceMap,
    quantity_value,
    refused_at,
)
from kfgen.prototypes.params.spec import DEFAULT_MAP, Spec

#: A node label key (nodeSelector) or taint key: a qualified name such as gpu or example.com/pool.
LabelKey = Annotated[str, Field(pattern=QUALIFIED_NAME)]


class Resources(Spec):
    """Compute resources of a container: requests and limits by resource name."""

    requests: ResourceMap = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Minimum resources, e.g. {cpu: '1', memory: 1Gi}. Quote decimals ('0.5') or use "
                    "milli-units (500m).")
    limits: ResourceMap = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Maximum resources, e.g. {cpu: '2', memory: 4Gi}. Each must be at least its request.")

    @model_validator(mode="after")
    def _consistent(self) -> Resources:
        if GPU_RESOURCE in self.requests:
            raise ValueError(f"{GPU_RESOURCE} goes under limits only: Kubernetes does not overcommit GPUs, "
                             "the request is the limit")
        gpu = self.limits.get(GPU_RESOURCE)
        if gpu is not None and not (isinstance(gpu, int) or gpu.isdigit()):
            raise ValueError(f"limits.{GPU_RESOURCE} must be a whole number of GPUs, not {gpu!r}")
        for name in sorted(self.requests.keys() & self.limits.keys()):
            req, lim = self.requests[name], self.limits[name]
            if quantity_value(req) > quantity_value(lim):
                raise self._request_above_limit(name, req, lim)
        return self

    def _request_above_limit(self, name: str, req: Quantity, lim: Quantity) -> ValueError:
        """The refusal of requests.<name> above limits.<name>, at the value the user wrote: the request, or the
        limit when the request is a default (a subclass's, e.g. tf-serving's)."""
        message = (f"requests.{name} ({req}) is more than limits.{name} ({lim}); Kubernetes refuses a request "
                   "above its limit")
        hint = f"lower requests.{name} to {lim} or less, or raise limits.{name} to {req} or more"
        if "requests" in self.model_fields_set or "limits" not in self.model_fields_set:
            return refused_at(("requests", name), message, found=req, hint=hint,
                              expected=f"at most limits.{name} ({lim})")
        return refused_at(("limits", name), message, found=lim, hint=hint,
                          expected=f"at least requests.{name} ({req}, the default request)")

    def completed(self, requests: Mapping[str, Quantity], limits: Mapping[str, Quantity]) -> Resources:
        """These resources with what they leave unset filled in from *requests* and *limits* (the defaults), one
        value at a time: every value set is kept as written; a filled request is the default, or the limit set
        for that resource when it is lower (as Kubernetes defaults a missing request to the limit); a filled
        limit is the default, or the request set when it is higher. The result is as consistent as the
        values set (a request never above its limit). *self* when nothing is missing."""
        req, lim = self.requests, self.limits
        if all(name in req for name in requests) and all(name in lim for name in limits):
            return self
        filled_req, filled_lim = dict(req), dict(lim)
        for name, default in requests.items():
            if name not in req:
                given = lim.get(name)
                filled_req[name] = (given if given is not None and quantity_value(given) < quantity_value(default)
                                    else default)
        for name, default in limits.items():
            if name not in lim:
                given = req.get(name)
                filled_lim[name] = (given if given is not None and quantity_value(given) > quantity_value(default)
                                    else default)
        # the values are validated ones (self's) and the defaults: no second validation
        return type(self).model_construct(requests=filled_req, limits=filled_lim)

    def render(self, gpus: int = 0, gpu_resource: str = GPU_RESOURCE) -> dict[str, Any]:
        """The container's ``resources`` (empty when nothing is set), plus *gpus* limits of *gpu_resource*.

        Quantities are rendered as strings, the form the API server stores, so that a re-apply
        (client- or server-side) sees no change.
        """
        limits = {**self.limits, gpu_resource: gpus} if gpus else self.limits  # read only: no copy unless added to
        out: dict[str, Any] = {}
        if limits:
            out["limits"] = {k: str(v) for k, v in sorted(limits.items())}
        if self.requests:
            out["requests"] = {k: str(v) for k, v in sorted(self.requests.items())}
        return out


class BoundedResources(Resources):
    """:class:`Resources` that must name CPU and memory in both requests and limits (every container kfgen
    renders has them)."""

    @model_validator(mode="after")
    def _bounded(self) -> BoundedResources:
        missing = [f"{part}.{name}" for part, values in (("requests", self.requests), ("limits", self.limits))
                   for name in ("cpu", "memory") if name not in values]
        if missing:
            raise ValueError(f"every container has CPU and memory requests and limits: set {', '.join(missing)}")
        return self


class Toleration(Spec):
    """A toleration of node taints (core/v1 Toleration)."""

    key: str | None = Field(
        None, pattern=QUALIFIED_NAME, description="Taint key; unset with operator Exists tolerates every taint.")
    operator: Literal["Exists", "Equal"] = Field(
        "Equal", description="Equal matches key and value; Exists matches the key with any value.")
    value: str | None = Field(None, description="Taint value (operator Equal only).")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        None, description="Taint effect to match; unset matches every effect.")
    # Kubernetes stores int64 here; 2^31-1 seconds (68 years) is bound enough.
    tolerationSeconds: int | None = Field(
        None, ge=0, le=INT32_MAX,
        description="How long a NoExecute taint is tolerated before eviction (effect NoExecute only).")

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        if self.operator == "Exists" and self.value is not None:
            raise refused_at(("value",), "a toleration with operator Exists takes no value", found=self.value,
                             expected="no value (operator Exists matches the key with any value)",
                             hint=f"remove value to tolerate every value of the key, or set operator: Equal "
                                  f"to tolerate only value {self.value!r}")
        if self.key is None and self.operator != "Exists":
            raise ValueError("a toleration without key must use operator Exists")
        if self.tolerationSeconds is not None and self.effect != "NoExecute":
            raise ValueError("tolerationSeconds only applies to effect NoExecute")
        return self

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

    def tolerates_key(self, key: str) -> bool:
        """Whether this toleration tolerates some taint with *key* (whatever its value and effect): it names
        that key, or it has no key and operator Exists (every taint)."""
        return self.key == key if self.key is not None else self.operator == "Exists"


def untolerated_gpu_taint(param: str, tolerations: list[Toleration] | None, resource: str, why: str) -> list[str]:
    """The warning (a list of at most one) when pods request GPUs (*why* says which, e.g. ``numGpus: 1``) and
    *tolerations*, given as *param*, tolerate no taint of the GPU *resource*: on GPU nodes tainted with it (as
    GPU node pools usually are) the pods stay Pending. Unset (kfgen adds the GPU toleration) and ``[]`` (the
    documented way to say the GPU nodes carry no taint) give none."""
    if not tolerations or any(t.tolerates_key(resource) for t in tolerations):
        return []
    needed = f"{{key: {resource}, operator: Exists, effect: NoSchedule}}"
    return [f"{param} tolerates no taint of {resource}, yet {why}: on nodes tainted {resource} (as GPU nodes "
            f"usually are) the pods stay Pending; add {needed} to {param} (or write {param}: [] if your GPU "
            "nodes carry no taint)"]


GPU_TOLERATION = Toleration(key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")
