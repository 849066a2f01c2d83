"""The one YAML writer: libyaml's bytes, block style, one quoting rule (Go-safe scalars).

Everything kfgen writes as YAML goes through :func:`to_yaml` — output files, the Kustomization,
``--stdout`` streams, and YAML embedded in annotations — so one rule decides how a string is quoted.

The bytes are defined by the *reference* path, :func:`_to_yaml_reference`: PyYAML's representer with
kfgen's string rule in front of libyaml's emitter (``CSafeDumper``). That path spends most of its time
in PyYAML's pure-Python representer, so :func:`to_yaml` writes kfgen's JSON-like data (dicts with
``str`` keys, lists, ``str``, ``int``, ``bool``, ``None``, ``float``) itself and asks the reference
only what it cannot decide cheaply:

* the layout (block mappings, sequences at their parent key's indentation, ``{}``/``[]`` for empty
  containers, ``- `` items holding a mapping or a sequence on the same line) is libyaml's, written
  directly;
* a string is written plain when it certainly is (:data:`_PLAIN`: printable ASCII with no YAML
  indicator where libyaml looks for one, no resolver turning it into a bool/number/null, not
  Go-ambiguous); every other scalar is rendered once by the reference, as the value (or key) of a
  one-entry mapping, and cached by value. Those renderings do not depend on where the scalar sits,
  except a literal block's indentation, which is re-applied;
* whatever may depend on the context — a scalar spread over several lines other than a literal block
  (a single-quoted ``\\u2028``, say), a ``|+`` block (libyaml then ends the document with ``...``), a
  scalar long enough for libyaml to fold at ``width``, a complex ``? `` key, a type other than the
  above (``str``/``int`` subclasses included, which the reference refuses) — makes the whole object
  go through the reference.

``tests/test_yaml_writer.py`` compares both paths byte for byte on every rendered object and a fuzz
corpus of tricky scalars; ``scripts/bench_yaml.py`` measures them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

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


def _to_yaml_reference(obj: Any, *, sort_keys: bool = True) -> str:
    """The definition of kfgen's YAML bytes (slow): PyYAML's representer, libyaml's emitter."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)


# --- the fast path ---------------------------------------------------------------------------------

class _Fallback(Exception):
    """The object holds something whose bytes only the reference path decides."""


# Strings libyaml certainly writes plain in block context (its analyze_scalar): printable ASCII; the
# first character is no indicator ('-' only when followed by a non-space); no '#'; ':' never followed
# by a space or the end; single spaces inside only, never before '#'; no '---'/'...' start.
# Whether the resolver reads it as something other than a string is checked separately.
_PLAIN = re.compile(r"(?!---|\.\.\.|-(?: |$))[A-Za-z0-9_./$()+=<\\^~;-]"
                    r"(?:[!\"$-9;-~]|:(?! |$)| (?! |#|$))*")

# Longer scalars go through the reference with their object: on one line, libyaml folds them once they
# pass its width (1 << 16 columns), which depends on the indentation.
_MAX_SCALAR = 30_000
_MAX_CACHE = 100_000

# Line breaks to libyaml besides '\n' (it follows them with the context's indentation).
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")

_resolve = Resolver().resolve
_STR_TAG = "tag:yaml.org,2002:str"

# Cached renderings: a str is the scalar as written on one line; a tuple is a literal block
# (header, content lines without their indentation, '' for an empty line); None sends the whole
# object to the reference path.
_values: dict[str, str | tuple[str, tuple[str, ...]] | None] = {}
_keys: dict[str, str | None] = {}  # None: not a simple key (multi-line, over 128 characters)
_floats: dict[str, str | None] = {}


def _is_plain(value: str) -> bool:
    return (len(value) <= _MAX_SCALAR and _PLAIN.fullmatch(value) is not None
            and _GO_AMBIGUOUS.match(value) is None and _resolve(ScalarNode, value, (True, False)) == _STR_TAG)


def _value_rendering(value: Any) -> str | tuple[str, tuple[str, ...]] | None:
    """How the reference writes *value* as a block mapping value (or sequence item)."""
    text = _to_yaml_reference({"k": value})
    if len(text) > _MAX_SCALAR or not text.startswith("k: ") or text.endswith("\n...\n"):
        return None
    body = text[3:-1]
    if _OTHER_BREAKS.search(body):  # written raw, then indented for the context
        return None
    if "\n" not in body:
        return body
    header, _, rest = body.partition("\n")
    if header[0] != "|" or "+" in header:
        return None
    lines = rest.split("\n")
    if any(line and not line.startswith("  ") for line in lines):
        return None
    return header, tuple(line[2:] for line in lines)


def _str_value(value: str) -> str | tuple[str, tuple[str, ...]]:
    """The cached rendering of a string value; raises :class:`_Fallback` for a context-dependent one."""
    if value in _values:  # cached as None: context-dependent
        raise _Fallback
    rendering = value if _is_plain(value) else _value_rendering(value)
    if len(_values) >= _MAX_CACHE:
        _values.clear()
    _values[value] = rendering
    if rendering is None:
        raise _Fallback
    return rendering


def _key(key: Any) -> str:
    """The cached rendering of a mapping key; raises :class:`_Fallback` for anything but a simple one."""
    if type(key) is not str or key in _keys:
        raise _Fallback
    if len(key) <= 128 and _is_plain(key):
        rendering: str | None = key
    else:
        text = _to_yaml_reference({key: 0})
        rendering = text[:-4] if text.endswith(": 0\n") and text.count("\n") == 1 else None
    if len(_keys) >= _MAX_CACHE:
        _keys.clear()
    _keys[key] = rendering
    if rendering is None:
        raise _Fallback
    return rendering


def _float(value: float) -> str:
    key = repr(value)  # not the value itself: 0.0 == -0.0 == False
    if key in _floats:
        rendering = _floats[key]
    else:
        found = _value_rendering(value)
        rendering = _floats[key] = found if isinstance(found, str) else None
    if rendering is None:
        raise _Fallback
    return rendering


def _literal(rendering: tuple[str, tuple[str, ...]], indent: str) -> str:
    """A literal block scalar whose content lines sit at *indent*, with its final newline."""
    header, lines = rendering
    return header + "\n" + "\n".join(indent + line if line else "" for line in lines) + "\n"


def _scalar(value: Any, indent: str) -> str:
    """*value* (no dict or list) as written after ``key: `` or ``- ``, with its final newline."""
    kind = type(value)
    if kind is str:
        rendering = _values.get(value) or _str_value(value)
        return rendering + "\n" if type(rendering) is str else _literal(rendering, indent)  # type: ignore[arg-type]
    if kind is bool:
        return "true\n" if value else "false\n"
    if kind is int:
        return f"{value}\n"
    if value is None:
        return "null\n"
    if kind is float:
        return _float(value) + "\n"
    raise _Fallback


# The two functions below are the hot path: locals for the caches' get, one append per line.

def _mapping(obj: dict[Any, Any], indent: str, first: str, out: list[str], sort_keys: bool) -> None:
    """A non-empty mapping whose keys sit at *indent*; the first key's line starts with *first*."""
    append = out.append
    kget = _keys.get
    vget = _values.get
    inner = indent + "  "
    prefix = first
    if sort_keys and len(obj) > 1:  # (one key: nothing to sort, nothing compared)
        try:
            keys: Any = sorted(obj)
        except TypeError:  # keys of several types: the reference then keeps them unsorted
            raise _Fallback from None
    else:
        keys = obj
    for key in keys:
        value = obj[key]
        k = (type(key) is str and kget(key)) or _key(key)  # a str subclass key equals its str: no cache
        kind = type(value)
        if kind is str:
            rendering = vget(value) or _str_value(value)
            if type(rendering) is str:
                append(f"{prefix}{k}: {rendering}\n")
            else:
                append(f"{prefix}{k}: {_literal(rendering, inner)}")  # type: ignore[arg-type]
        elif kind is dict:
            if value:
                append(f"{prefix}{k}:\n")
                _mapping(value, inner, inner, out, sort_keys)
            else:
                append(f"{prefix}{k}: {{}}\n")
        elif kind is list:
            if value:
                append(f"{prefix}{k}:\n")
                _sequence(value, indent, indent, out, sort_keys)  # libyaml: a key's sequence is not indented
            else:
                append(f"{prefix}{k}: []\n")
        elif kind is int:
            append(f"{prefix}{k}: {value}\n")
        elif kind is bool:
            append(f"{prefix}{k}: true\n" if value else f"{prefix}{k}: false\n")
        else:
            append(f"{prefix}{k}: {_scalar(value, inner)}")
        prefix = indent


def _sequence(obj: list[Any], indent: str, first: str, out: list[str], sort_keys: bool) -> None:
    """A non-empty sequence whose ``- `` sit at *indent*; the first item's line starts with *first*."""
    append = out.append
    vget = _values.get
    inner = indent + "  "
    prefix = first
    for item in obj:
        kind = type(item)
        if kind is str:
            rendering = vget(item) or _str_value(item)
            if type(rendering) is str:
                append(f"{prefix}- {rendering}\n")
            else:
                append(f"{prefix}- {_literal(rendering, inner)}")  # type: ignore[arg-type]
        elif kind is dict:
            if item:
                _mapping(item, inner, prefix + "- ", out, sort_keys)
            else:
                append(f"{prefix}- {{}}\n")
        elif kind is list:
            if item:
                _sequence(item, inner, prefix + "- ", out, sort_keys)
            else:
                append(f"{prefix}- []\n")
        else:
            append(f"{prefix}- {_scalar(item, inner)}")
        prefix = indent


def _to_yaml_fast(obj: Any, sort_keys: bool) -> str:
    out: list[str] = []
    kind = type(obj)
    if kind is dict:
        if not obj:
            return "{}\n"
        _mapping(obj, "", "", out, sort_keys)
    elif kind is list:
        if not obj:
            return "[]\n"
        _sequence(obj, "", "", out, sort_keys)
    else:
        raise _Fallback  # a bare scalar document (libyaml may end it with '...')
    return "".join(out)


def to_yaml(obj: Any, *, sort_keys: bool = True) -> str:
    """Canonical YAML: block style, literal blocks for multi-line strings, Go-safe quoting; keys sorted
    unless *sort_keys* is false (then in insertion order). Same bytes as :func:`_to_yaml_reference`."""
    try:
        return _to_yaml_fast(obj, sort_keys)
    except (_Fallback, RecursionError):
        return _to_yaml_reference(obj, sort_keys=sort_keys)


def to_yaml_checked(obj: Any, *, sort_keys: bool = True) -> tuple[str, bool]:
    """:func:`to_yaml`, and whether the fast path wrote all of *obj*. When it did, *obj* is plain JSON
    by exact type: a dict or a list whose every mapping is a ``dict`` with ``str`` keys, every sequence
    a ``list``, every scalar a ``str``, ``int``, ``float``, ``bool`` or ``None`` (the fast path raises
    :class:`_Fallback` on anything else: a tuple, a non-``str`` key, a ``Decimal``, a date, a subclass).
    :mod:`kfgen.validate.objects` takes that as a certificate and skips its own walk for such an object."""
    try:
        return _to_yaml_fast(obj, sort_keys), True
    except (_Fallback, RecursionError):
        return _to_yaml_reference(obj, sort_keys=sort_keys), False
