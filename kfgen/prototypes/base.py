"""What a prototype is, and the registry that finds them.

A prototype (ksonnet's word) is one module (or package) in ``kfgen/prototypes/`` that defines ``PROTOTYPE``:
its name, its pydantic params model and a pure render function. Adding a prototype is adding one
such file; the registry discovers it, the profile model and JSON schema pick it up, the CLI lists it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]


class Params(BaseModel):
    """Base of every prototype's params: ksonnet names, real types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class Node:
    name: str
    gpus: int
    cpu: str
    memory: str
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RenderContext:
    """Everything a render function may know besides its params. Immutable; no I/O behind it."""

    profile: str
    instance: str
    namespace: str
    kubernetes_version: str
    nodes: tuple[Node, ...] = ()


@dataclass
class Rendered:
    """What a render function returns: plain Kubernetes objects, plus notes for the user."""

    objects: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


RenderFn = Callable[[RenderContext, Any], "list[dict[str, Any]] | Rendered"]


@dataclass(frozen=True)
class Prototype:
    name: str
    summary: str
    params: type[Params]
    render: RenderFn
    ksonnet: str = ""  # the ksonnet package prototype this one replaces
    # ksonnet parameters kfgen does not carry over, with the reason told to whoever still sets one
    retired: Mapping[str, str] = field(default_factory=dict)

    def render_instance(self, ctx: RenderContext, params: Params) -> Rendered:
        out = self.render(ctx, params)
        return out if isinstance(out, Rendered) else Rendered(list(out))


@lru_cache(maxsize=1)
def prototypes() -> dict[str, Prototype]:
    """Every prototype in kfgen.prototypes, by name (sorted)."""
    from kfgen import prototypes as components

    found: dict[str, Prototype] = {}
    for info in sorted(pkgutil.iter_modules(components.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{components.__name__}.{info.name}")
        proto = getattr(module, "PROTOTYPE", None)
        if not isinstance(proto, Prototype):
            continue
        if proto.name in found:
            raise RuntimeError(f"two modules define prototype '{proto.name}'")
        found[proto.name] = proto
    return dict(sorted(found.items()))
