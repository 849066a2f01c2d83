"""What the CLI does, as functions that never print and never exit (Helm's pkg/action to its pkg/cmd).

:mod:`kfgen.cli` prints what these return and turns their :class:`~kfgen.errors.KfgenError` into exit codes.

- :mod:`kfgen.actions.workspace` -- :class:`Workspace` (profiles and output directories) and :func:`resolve_names`
- :mod:`kfgen.actions.rendering` -- :func:`render`, :func:`stale_outputs`, :func:`remove_outputs` (``kfgen render``)
- :mod:`kfgen.actions.info` -- :func:`get_prototype`, :func:`param_docs` (``kfgen prototypes``, ``kfgen params``)
- :mod:`kfgen.actions.validate` -- :func:`~kfgen.actions.validate.validate` (``kfgen validate``); imported on
  its own, so that rendering does not load the validators

The editing verbs (``init``, ``generate``, ``param``) are :mod:`kfgen.edit`, ``import`` is :mod:`kfgen.ksonnet`,
the deploy verbs (``apply``, ``diff``, ``delete``, ``status``) are :mod:`kfgen.deploy`: the same contract.
"""

from kfgen.actions.info import ParamDoc, get_prototype, param_docs
from kfgen.actions.rendering import Outcome, WriteError, remove_outputs, render, stale_outputs
from kfgen.actions.workspace import Workspace, resolve_names

__all__ = [
    "Outcome",
    "ParamDoc",
    "Workspace",
    "WriteError",
    "get_prototype",
    "param_docs",
    "remove_outputs",
    "render",
    "resolve_names",
    "stale_outputs",
]
