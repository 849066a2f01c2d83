"""What a prototype is, and the registry that finds them.

A prototype (ksonnet's word) is one module (or package) in ``kfgen/prototypes/`` that defines ``PROTOTYPE``:
its name, its pydantic params model and a pure render function. Adding a prototype is adding one
such file and its line in :data:`PROTOTYPE_MODULES`; the profile model and JSON schema pick it up, the
CLI lists it.

The registry knows the names without importing anything: a prototype's module is imported when the
prototype is first looked up, so a command imports the prototypes it uses, not all of them (start-up
time). :func:`discover_prototypes` imports every module and finds every ``PROTOTYPE``, which is what
:data:`PROTOTYPE_MODULES` must say (tests/test_perf_paths.py compares them and prints the list to paste).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
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


#: Every prototype: name -> the module of kfgen.prototypes that defines it as ``PROTOTYPE``, sorted by name.
PROTOTYPE_MODULES: Mapping[str, str] = {
    "core": "kfgen.prototypes.core",
    "manifests": "kfgen.prototypes.manifests",
    "nvidia-device-plugin": "kfgen.prototypes.nvidia_device_plugin",
    "tf-cnn": "kfgen.prototypes.tf_cnn",
    "tf-job": "kfgen.prototypes.tf_job",
    "tf-serving": "kfgen.prototypes.tf_serving",
    "volume": "kfgen.prototypes.volume",
}


class Registry(Mapping[str, Prototype]):
    """Prototypes by name (sorted); each one's module is imported when it is first looked up.

    Names (iteration, ``in``, ``len``) come from the module list alone; ``registry[name]``,
    ``.get``, ``.values()`` and ``.items()`` import what they return."""

    def __init__(self, modules: Mapping[str, str]):
        self._modules = dict(sorted(modules.items()))
        self._loaded: dict[str, Prototype] = {}

    def __getitem__(self, name: str) -> Prototype:
        proto = self._loaded.get(name)
        if proto is None:
            module = importlib.import_module(self._modules[name])  # KeyError for a name that is not a prototype
            proto = getattr(module, "PROTOTYPE", None)
            if not isinstance(proto, Prototype) or proto.name != name:
                raise RuntimeError(f"{module.__name__} does not define prototype '{name}' as PROTOTYPE "
                                   "(kfgen.prototypes.base.PROTOTYPE_MODULES is out of date)")
            self._loaded[name] = proto
        return proto

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __repr__(self) -> str:
        return f"Registry({list(self._modules)})"


@lru_cache(maxsize=1)
def prototypes() -> Registry:
    """Every prototype of kfgen, by name (sorted); a module is imported when its prototype is looked up."""
    return Registry(PROTOTYPE_MODULES)


def discover_prototypes() -> dict[str, str]:
    """Every ``PROTOTYPE`` in the modules and packages of kfgen.prototypes: name -> module, sorted by
    name (imports them all; what :data:`PROTOTYPE_MODULES` must list)."""
    from kfgen import prototypes as components

    found: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(components.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{components.__name__}.{info.name}")
        proto = getattr(module, "PROTOTYPE", None)
        if not isinstance(proto, Prototype):
            continue
        if proto.name in found:
            raise RuntimeError(f"two modules define prototype '{proto.name}'")
        found[proto.name] = module.__name__
    return dict(sorted(found.items()))
