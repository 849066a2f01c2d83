"""What the CLI does, as functions that never print and never exit (Helm's pkg/action to its pkg/cmd).

:mod:`kfgen.cli` prints what these return and turns their :class:`~kfgen.errors.KfgenError` into exit codes.

- :mod:`kfgen.actions.workspace` -- :class:`Workspace` (profiles and output directories) and :func:`resolve_names`
- :mod:`kfgen.actions.rendering` -- :func:`render_profiles`, :func:`render`, :func:`stale_outputs`,
  :func:`remove_outputs` (``kfgen render``; answered from :mod:`kfgen.output.cache` when the inputs are unchanged)
- :mod:`kfgen.actions.info` -- :func:`get_prototype`, :func:`param_docs` (``kfgen prototypes``, ``kfgen params``)
- :mod:`kfgen.actions.validate` -- :func:`~kfgen.actions.validate.validate` (``kfgen validate``); imported on
  its own, so that rendering does not load the validators

The editing verbs (``init``, ``generate``, ``param``) are :mod:`kfgen.edit`, ``import`` is :mod:`kfgen.ksonnet`,
the deploy verbs (``apply``, ``diff``, ``delete``, ``status``) are :mod:`kfgen.deploy`: the same contract.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kfgen.actions.info import ParamDoc, get_prototype, param_docs
    from kfgen.actions.rendering import (
        Outcome,
        Rendered,
        WriteError,
        moved_aside,
        remove_outputs,
        render,
        render_profiles,
        stale_outputs,
    )
    from kfgen.actions.workspace import Workspace, resolve_names

# Each name is imported from its module when first used (PEP 562), so that ``kfgen render`` answered from the
# render cache (kfgen.output.cache) loads neither the prototypes (kfgen.actions.info) nor pydantic.
_HOMES = {
    "ParamDoc": "info", "get_prototype": "info", "param_docs": "info",
    "Outcome": "rendering", "Rendered": "rendering", "moved_aside": "rendering", "WriteError": "rendering",
    "remove_outputs": "rendering",
    "render": "rendering", "render_profiles": "rendering", "stale_outputs": "rendering",
    "Workspace": "workspace", "resolve_names": "workspace",
}

__all__ = [
    "Outcome",
    "ParamDoc",
    "Rendered",
    "Workspace",
    "WriteError",
    "get_prototype",
    "moved_aside",
    "param_docs",
    "remove_outputs",
    "render",
    "render_profiles",
    "resolve_names",
    "stale_outputs",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kfgen.actions.{home}"), name)
    globals()[name] = value
    return value
