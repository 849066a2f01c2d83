"""The one YAML writer: libyaml's emitter, block style, one quoting rule (Go-safe scalars).

Everything kfgen writes as YAML goes through :func:`to_yaml` — output files, the Kustomization,
``--stdout`` streams, and YAML embedded in annotations — so one rule decides how a string is quoted.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# One emitter everywhere: libyaml's. PyYAML's pure-Python emitter writes some strings differently
# (non-BMP characters, for one), so falling back to it would make the bytes depend on the host.
# PyYAML's wheels ship libyaml on every platform kfgen supports; without it kfgen refuses to write.
_BaseDumper: Any = getattr(yaml, "CSafeDumper", None)
if _BaseDumper is None:  # pragma: no cover - depends on how PyYAML was built
    raise ImportError("kfgen needs PyYAML built with libyaml (yaml.CSafeDumper) so that its output is the "
                      "same byte for byte on every machine: pip install --force-reinstall pyyaml")


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True


# Plain scalars that PyYAML would leave unquoted but Go's YAML (kubectl, kubeconform) reads as a
# boolean or a number: YAML 1.1's y/n, and exponents without a dot, hex, octal, sexagesimal.
_GO_AMBIGUOUS = re.compile(
    r"^(?:[yYnN]"
    r"|[-+]?(?:[0-9][0-9_]*\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+"
    r"|0[xXoObB][0-9a-fA-F_]+"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+)$")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _GO_AMBIGUOUS.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def to_yaml(obj: Any, *, sort_keys: bool = True) -> str:
    """Canonical YAML: block style, literal blocks for multi-line strings, Go-safe quoting; keys sorted
    unless *sort_keys* is false (then in insertion order)."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)
