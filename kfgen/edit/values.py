"""A command-line VALUE of ``param set`` / ``generate --param``, read by the type of the param it is for.

- A param that takes only text (``str``, a choice of strings, optional or not) takes VALUE exactly as
  typed: ``#x``, ``null``, ``true`` and ``--a=1,--b=2 # c`` are those strings (``param unset`` removes a
  value).
- A param of another type reads VALUE as YAML (flow syntax): ``true``, ``3``, ``[a, b]``, ``{cpu: 500m}``,
  ``null``; text that is not valid YAML stays a string (and the param's validation says what it expects).
- A param that takes text or something else (``str | list[str]``, a quantity that may be a number) uses
  the YAML reading when it is one of the other types (a list, a number), and the text as typed otherwise.

YAML 1.1 (what the YAML reader speaks) has spellings that surprise: ``010`` is octal 8, ``0x10`` 16,
``1_000`` 1000, ``1:30`` 90 and ``yes``/``no``/``on``/``off`` are booleans. A param that takes no text
refuses them (:func:`spelling_problem`): an integer is written in plain decimal (``10``, ``-3``), a
boolean as ``true`` or ``false``. A param that also takes text keeps them as typed.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal, Union

import yaml as pyyaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from kfgen.errors import Problem, format_path
from kfgen.prototypes.base import Params


def param_keys(params: type[Params]) -> list[str]:
    """The keys a profile writes for *params* (aliases where a field has one)."""
    return [info.alias or name for name, info in params.model_fields.items()]


def annotation(params: type[Params], key: str) -> Any:
    """The type of the param written *key* (its alias or name), or None when there is none."""
    for name, info in params.model_fields.items():
        if key in (info.alias, name):
            return info.annotation
    return None


def _kinds(tp: Any) -> set[str]:
    """What a type accepts, coarsely: 'str', 'bool', 'int', 'float', 'list', 'dict', 'none', 'any'."""
    origin = typing.get_origin(tp)
    if tp is None or tp is type(None):
        return {"none"}
    if origin is Annotated:
        return _kinds(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(a) for a in typing.get_args(tp)))
    if origin is Literal:
        return {"str" if isinstance(v, str) else "bool" if isinstance(v, bool) else "int"
                for v in typing.get_args(tp)}
    base = origin or tp
    if base is str:
        return {"str"}
    if base is bool:
        return {"bool"}
    if base is int:
        return {"int"}
    if base is float:
        return {"float", "int"}
    if base in (list, tuple, set, frozenset):
        return {"list"}
    if base is dict or (isinstance(base, type) and issubclass(base, BaseModel)):
        return {"dict"}
    return {"any"}


def _kind_of(value: Any) -> str:
    if value is None:
        return "none"
    for kind, cls in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if isinstance(value, cls):
            return kind
    return "any"


#: YAML 1.1's booleans that YAML 1.2 (and JSON) read as text; true/false (True, TRUE …) are both.
_YAML11_BOOLS = {"yes": "true", "no": "false", "on": "true", "off": "false"}
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")


def _surprise(raw: str, parsed: Any) -> str | None:
    """'bool' or 'int' when YAML 1.1 reads *raw* as that type in a spelling YAML 1.2 reads otherwise."""
    text = raw.strip()
    if isinstance(parsed, bool) and text.lower() in _YAML11_BOOLS:
        return "bool"
    if _LEADING_ZERO.fullmatch(text) or (isinstance(parsed, int) and not isinstance(parsed, bool)
                                         and not _DECIMAL.fullmatch(text)):
        return "int"
    return None


def spelling_problem(raw: str, tp: Any, key: str, path: tuple[str | int, ...], file: str) -> Problem | None:
    """A problem when *raw*, for the param *key* of type *tp* that takes no text, is one of YAML 1.1's
    surprising spellings (the module's doc)."""
    kinds = _kinds(tp) - {"none"} if tp is not None else {"any"}
    if kinds & {"str", "any"}:
        return None
    try:
        parsed = pyyaml.safe_load(raw)
    except pyyaml.YAMLError:
        return None
    text = raw.strip()
    what = _surprise(raw, parsed)
    if what == "bool" and "bool" in kinds:
        word = _YAML11_BOOLS[text.lower()]
        return Problem(f"param '{key}' takes true or false; '{text}' is a YAML 1.1 spelling kfgen does not take",
                       file=file, path=path, expected="true or false", found=repr(raw),
                       hint=f"did you mean '{word}'?")
    if what == "int" and "int" in kinds:
        if _LEADING_ZERO.fullmatch(text):
            sign = "-" if text.startswith("-") else ""
            decimal = sign + (text.lstrip("+-").replace("_", "").lstrip("0") or "0")
            read = f" (YAML 1.1 reads it as octal {parsed})" if isinstance(parsed, int) else ""
            return Problem(f"param '{key}': an integer with a leading zero is ambiguous{read}",
                           file=file, path=path, expected="a decimal integer without leading zeros, e.g. 10",
                           found=repr(raw), hint=f"did you mean {decimal}?"
                           + (f" (or {parsed}, if you meant octal)" if read else ""))
        return Problem(f"param '{key}': '{text}' is a YAML 1.1 spelling of {parsed}",
                       file=file, path=path, expected="a decimal integer, e.g. 10", found=repr(raw),
                       hint=f"write {parsed} if that is what you mean")
    return None


def parse_value(raw: str, tp: Any = None) -> Any:
    """*raw* (a command-line VALUE) for a param of type *tp* (None: unknown, read as YAML), as the module's
    doc says."""
    kinds = _kinds(tp) - {"none"} if tp is not None else {"any"}
    if kinds == {"str"}:
        return raw
    try:
        parsed = pyyaml.safe_load(raw)
    except pyyaml.YAMLError:
        return raw
    if "str" in kinds and "any" not in kinds:
        if _surprise(raw, parsed):  # a YAML 1.1 surprise where text is taken: the text as typed
            return raw
        kind = _kind_of(parsed)
        # another type the param takes (a list, a number): the YAML reading; otherwise the text as typed
        # (a string maybe read without its '# comment', null, or a type the param does not take)
        return parsed if kind in kinds and kind != "str" else raw
    return parsed


def check_value(params: type[Params], key: str, value: Any, path: tuple[str | int, ...], file: str) -> Problem | None:
    """A problem when *value* does not fit the param *key* on its own (for partials, which are not validated
    as whole profiles: their values are overrides, checked again in every profile that extends them)."""
    tp = annotation(params, key)
    if tp is None or value is None:  # null removes the key from what a partial gives
        return None
    try:
        TypeAdapter(tp).validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = format_path(tuple(first.get("loc", ())))
        return Problem(f"invalid value{' at ' + where if where else ''}: {first.get('msg')}", file=file,
                       path=path, found=repr(value))
    return None
