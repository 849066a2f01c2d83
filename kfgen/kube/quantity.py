"""Kubernetes resource quantities (``resource.Quantity``): the pattern and an exact parser.

:data:`QUANTITY_PATTERN` is Kubernetes' own expression (what the TFJob CRD and every prototype's
quantity check use); :func:`parse_quantity` gives a quantity's value the way the API server's parser
does, and refuses what the pattern admits but the server does not.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, DecimalException, DivisionByZero, InvalidOperation, Overflow

#: A Kubernetes resource quantity (``resource.Quantity``): Kubernetes' own expression (the OpenAPI
#: pattern of ``io.k8s.apimachinery.pkg.api.resource.Quantity``, also used by controller-gen CRDs). A
#: signed decimal number with an optional suffix: binary (``Ki`` … ``Ei``), decimal SI (``n``, ``u``,
#: ``m``, ``k``, ``M``, ``G``, ``T``, ``P``, ``E``) or a decimal exponent (``e3``, ``E-2``), e.g.
#: ``500m``, ``1.5``, ``.5``, ``20Gi``, ``1e3``. It admits a few strings the API server's parser
#: refuses (a fractional exponent, ``1e1.5``): :func:`parse_quantity` is the exact check. Valid in
#: Python ``re``, Rust regex (pydantic) and Go RE2.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
#: :data:`QUANTITY_PATTERN` without the minus sign: resource amounts and sizes are never negative.
NON_NEGATIVE_QUANTITY_PATTERN = QUANTITY_PATTERN.replace(r"^(\+|-)?", r"^\+?", 1)

#: The largest quantity Kubernetes represents; larger values are silently capped by the API server.
QUANTITY_MAX = Decimal(2 ** 63 - 1)

_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("0.001"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}
_QUANTITY_RE = re.compile(QUANTITY_PATTERN)
_QUANTITY_PARTS = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_EXPONENT = re.compile(r"^[eE][+-]?[0-9]+$")
# Python's default decimal context, fixed here so no caller's context changes the result.
_DECIMAL = Context(prec=28, rounding=ROUND_HALF_EVEN, Emax=999999, Emin=-999999,
                   traps=[InvalidOperation, DivisionByZero, Overflow])


# parse_quantity's results by text: a profile's quantities repeat (every replica's "500m", "1Gi") and each is
# parsed by the params validators and again by the render checks. Decimals are immutable, so sharing them is
# safe; refusals are not remembered (they raise anew, with the same message). Bounded: cleared when full.
_PARSED: dict[str, Decimal] = {}
_PARSED_MAX = 4096


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity (``"20Gi"`` -> 21474836480), parsed as the API server does.

    Raises ValueError (with a message for people) if *text* is not a quantity, has a fractional
    exponent, or is beyond what Kubernetes represents (2^63-1; the API server would cap it)."""
    if type(text) is str:
        value = _PARSED.get(text)
        if value is None:
            value = _parse(text)
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[text] = value
        return value
    return _parse(text)


def _parse(text: str) -> Decimal:
    if not isinstance(text, str) or not _QUANTITY_RE.match(text):
        raise ValueError(f"{text!r} is not a Kubernetes quantity (examples: 500m, 2, 20Gi, 1.5G)")
    m = _QUANTITY_PARTS.match(text)
    assert m is not None  # the pattern above guarantees a number
    number, suffix = m.group(1), m.group(2)
    if suffix in _SUFFIX:
        scale = _SUFFIX[suffix]
    elif _EXPONENT.match(suffix):
        exponent = int(suffix[1:])
        # past +-10^6 the default context overflows; 1e-1000000 is below Kubernetes' resolution (1n) anyway
        scale = Decimal(f"1e{exponent}") if abs(exponent) <= 10 ** 6 else None
        if scale is None and (exponent < 0 or Decimal(number) == 0):
            scale = Decimal(0)
    else:  # e.g. 1e1.5: the pattern's exponent admits a fraction, the API server's parser does not
        raise ValueError(f"{text!r} is not a Kubernetes quantity: the exponent must be a whole number "
                         "(examples: 1e3, 5e-1)")
    try:
        value = _DECIMAL.multiply(Decimal(number), scale) if scale is not None else None
    except DecimalException:  # Overflow: far beyond anything Kubernetes represents
        value = None
    if value is None or abs(value) > QUANTITY_MAX:
        what = "out of range" if number.startswith("-") else "too large"
        raise ValueError(f"{text!r} is {what} for a Kubernetes quantity: the largest magnitude is 2^63-1 "
                         "(9223372036854775807, just under 8Ei); the API server would cap it")
    return value
