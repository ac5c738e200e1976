"""Go's number and boolean text forms, as sops (via Go's strconv/encoding/json) writes them.

The MAC hashes ``strconv.FormatFloat(v, 'f', -1, 64)``, go-yaml prints floats
with ``'g'``, encoding/json switches to exponents outside [1e-6, 1e21): a
Python ``repr`` differs in each case, so byte compatibility needs these (the float
rules themselves live in :mod:`sealer.formats.go_strconv`, shared with templates).
"""

from __future__ import annotations

import math

from sealer.formats.go_strconv import format_float, json_float

__all__ = ["format_bool", "format_float_f", "format_float_g", "format_float_json", "parse_bool", "parse_go_int"]


def format_float_f(value: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``: what sops hashes and encrypts for floats."""
    return format_float(value, "f")


def format_float_g(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)``: how go-yaml prints a float."""
    return format_float(value, "g")


def format_float_json(value: float) -> str:
    """``encoding/json``'s float form (exponent only below 1e-6 or from 1e21)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("JSON cannot represent NaN or infinity")
    return json_float(value)


def format_bool(value: bool) -> str:
    """sops encrypts and hashes booleans Python-style (``True``/``False``)."""
    return "True" if value else "False"


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_bool(text: str) -> bool:
    """``strconv.ParseBool``."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a boolean")


def parse_go_int(text: str, *, base0: bool = False) -> int:
    """``strconv.Atoi`` (or ``ParseInt(s, 0, 64)`` with ``base0``), limited to int64."""
    body = text
    sign = 1
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        raise ValueError("empty")
    base = 10
    if base0:
        lower = body.lower()
        if lower.startswith("0x"):
            base, body = 16, body[2:]
        elif lower.startswith("0o"):
            base, body = 8, body[2:]
        elif lower.startswith("0b"):
            base, body = 2, body[2:]
        elif len(body) > 1 and body[0] == "0":
            base, body = 8, body[1:]
    if not body or not all(ch in "0123456789abcdefABCDEF"[: base if base <= 10 else 22] for ch in body):
        raise ValueError("not an integer")
    value = sign * int(body, base)
    if not -(2**63) <= value < 2**63:
        raise ValueError("out of range")
    return value
