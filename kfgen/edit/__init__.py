"""Editing profile files in place, as ksonnet's verbs did: ``param set/unset/list``, ``generate``, ``init``.

Edits go through a round-trip YAML tree (:mod:`kfgen.edit.document`), so a file keeps its comments,
key order and formatting; every edit is validated like ``kfgen render`` before the file is written.
"""

from kfgen.edit.params import Change, ParamRow, generate, list_params, set_params, unset_param

__all__ = ["Change", "ParamRow", "generate", "list_params", "set_params", "unset_param"]
