"""Constrained values of params: the patterns (each registered with what it means to people, for error messages
instead of the regex), the ``Annotated`` aliases built on them, and :class:`ParamError`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field
from pydantic_core import ValidationError

from kfgen.kube import objects as k8s
from kfgen.kube.constants import DNS_LABEL_PATTERN, GPU_RESOURCE
from kfgen.kube.quantity import NON_NEGATIVE_QUANTITY_PATTERN, parse_quantity
from kfgen.kube.quantity import QUANTITY_PATTERN as K8S_QUANTITY_PATTERN

#: Kubernetes stores replica counts, deadlines and the like as int32: larger values are refused.
INT32_MAX = 2 ** 31 - 1


@dataclass(frozen=True)
class PatternHelp:
    """What a regular expression admits, in words, for error messages (instead of the regex)."""

    description: str  # the whole of 'expected:', e.g. "a Kubernetes quantity such as 500m, 2 or 20Gi"
    short: str  # as one alternative among several ("integer or <short>")
    names: tuple[str, ...] = ()  # the usual values, for did-you-mean


#: pattern -> its description; filled by :func:`described` where the patterns are defined.
PATTERN_HELP: dict[str, PatternHelp] = {}


def described(pattern: str, description: str, *, short: str | None = None, names: tuple[str, ...] = ()) -> str:
    """Register what *pattern* means (for error messages) and return it unchanged."""
    PATTERN_HELP[pattern] = PatternHelp(description, short or description, names)
    return pattern


class ParamError(ValueError):
    """A validator's refusal with the parts of a problem report: the message, what was expected, a hint."""

    def __init__(self, message: str, *, expected: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.expected = expected
        self.hint = hint


def refused_at(loc: tuple[str | int, ...], message: str, *, found: Any, expected: str | None = None,
               hint: str | None = None) -> ValidationError:
    """A model validator's refusal of the value at *loc* (relative to the model validated), to raise: the error
    is reported at that field (not at the model's own line), with *found* as the value found there and the
    expected/hint parts of a :class:`ParamError`. *loc* must be where the user wrote the value (a field or key
    they set), so that the error points at their line."""
    return ValidationError.from_exception_data("params", [{
        "type": "value_error", "loc": loc, "input": found,
        "ctx": {"error": ParamError(message, expected=expected, hint=hint)}}])


#: What a quantity looks like, for the 'expected:' line of every quantity error.
QUANTITY_EXPECTED = ("a Kubernetes quantity: a number with an optional suffix, binary (Ki, Mi, Gi, Ti, Pi, Ei) or "
                     "decimal (m, k, M, G, T, P, E), e.g. 500m, 2, 20Gi, 1.5G")
_BYTES_UNIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([kKMGTPEgtpe])(i?)[bB]?\s*$")


def quantity_error(value: object, exc: ValueError) -> ParamError:
    """A quantity refused by :func:`parse_quantity` as a :class:`ParamError`: its reason, what a quantity looks
    like, and for the usual slips (20GB, 20gi, 1 Gi) the quantity that was probably meant."""
    hint = None
    m = _BYTES_UNIT.match(value) if isinstance(value, str) else None
    if m:
        number, prefix, binary = m.group(1), m.group(2), m.group(3)
        binary_form = f"{number}{'K' if prefix in 'kK' else prefix.upper()}i"
        decimal_form = f"{number}{'k' if prefix in 'kK' else prefix.upper()}"
        if binary or value.strip()[-1] in "bB" or prefix == "K":  # 20GB, 20gi, 1K: either may be meant
            hint = f"did you mean '{binary_form}' (binary) or '{decimal_form}' (decimal)?"
        elif value != decimal_form:  # 20g, 3 G
            hint = f"did you mean '{decimal_form}'?"
    return ParamError(str(exc), expected=QUANTITY_EXPECTED, hint=hint)


def _quantity(value: str) -> str:
    try:
        parse_quantity(value)  # the pattern admits 1e1.5 and 1e99999999; the parser refuses them, with a reason
    except ValueError as exc:
        raise quantity_error(value, exc) from None
    return value


# A Kubernetes quantity without sign: resources and sizes are never negative.
QUANTITY_PATTERN = described(NON_NEGATIVE_QUANTITY_PATTERN, "a Kubernetes quantity such as 500m, 2 or 20Gi",
                             short="a quantity string such as '500m'")
described(K8S_QUANTITY_PATTERN, "a Kubernetes quantity such as 500m, -2 or 20Gi",
          short="a quantity string such as '500m'")
QuantityString = Annotated[str, Field(pattern=QUANTITY_PATTERN), AfterValidator(_quantity)]
Quantity = Annotated[int, Field(ge=0, le=2 ** 63 - 1)] | QuantityString
RESOURCE_NAME_PATTERN = described(
    r"^(cpu|memory|ephemeral-storage|hugepages-[0-9A-Za-z.]+|"
    r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$",
    "a resource name: cpu, memory, ephemeral-storage, hugepages-<size>, or <domain>/<name> such as nvidia.com/gpu",
    short="a resource name", names=("cpu", "memory", "ephemeral-storage", GPU_RESOURCE))
ResourceName = Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
ResourceMap = dict[ResourceName, Quantity]
DNS_LABEL = described(
    DNS_LABEL_PATTERN,
    "a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit, "
    "at most 63 characters", short="a DNS label")
DNS_SUBDOMAIN = described(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    "a DNS subdomain: dot-separated DNS labels (lower-case letters, digits and '-'), at most 253 characters",
    short="a DNS subdomain")
# A label key / taint key: optional DNS-subdomain prefix, then a name.
QUALIFIED_NAME = described(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
    "a label key such as gpu or example.com/pool: letters, digits, '-', '_' and '.' (starting and ending "
    "with a letter or digit), optionally after a DNS-subdomain prefix and '/'", short="a label key")
ENV_NAME = described(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$",
                     "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit",
                     short="an environment variable name")
ABSOLUTE_PATH = described(r"^/", "an absolute path (starting with '/')", short="an absolute path")
IMAGE = described(k8s.IMAGE_PATTERN, "an image reference such as registry.example/name:tag (lower-case name; "
                  "optional registry host, :tag and @sha256:digest)", short="an image reference")


def quantity_value(q: int | str) -> Decimal:
    """The numeric value of a quantity: '500m' -> 0.5, '1Gi' -> 2**30, 2 -> 2."""
    return Decimal(q) if isinstance(q, int) else parse_quantity(q)


# --- containers and pods (kfgen.prototypes.params.containers)

SECRET_KEY = described(r"^[-._a-zA-Z0-9]+$", "a ConfigMap or Secret key: letters, digits, '-', '_' and '.'",
                       short="a key")
PORT_NAME = described(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", "a port name: at most 15 lower-case letters, digits "
                      "and '-', starting and ending with a letter or digit", short="a port name")
FIELD_PATH = described(
    r"^(metadata\.(name|namespace|uid)|metadata\.(labels|annotations)(\['[^']+'\])?|"
    r"spec\.(nodeName|serviceAccountName)|status\.(hostIP|hostIPs|podIP|podIPs))$",
    "a downward-API field: metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'], "
    "metadata.annotations['KEY'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP …",
    short="a downward-API field path")
PullPolicy = Literal["Always", "IfNotPresent", "Never"]
