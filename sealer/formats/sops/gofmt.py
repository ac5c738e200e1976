"""Go's number and boolean text forms, as sops (via Go's strconv/encoding/json) writes them.

The MAC hashes ``strconv.FormatFloat(v, 'f', -1, 64)``, go-yaml prints floats
with ``'g'``, encoding/json switches to exponents outside [1e-6, 1e21): a
Python ``repr`` differs in each case, so byte compatibility needs these.
"""

from __future__ import annotations

import math

__all__ = ["format_bool", "format_float_f", "format_float_g", "format_float_json", "parse_bool", "parse_go_int"]


def _digits(value: float) -> tuple[bool, str, int]:
    """Shortest round-trip decimal digits: (negative, digits, dp) with value = 0.digits * 10**dp."""
    negative = math.copysign(1.0, value) < 0
    text = repr(abs(value))
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    dp = len(whole) + (int(exponent) if exponent else 0)
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    dp -= leading_zeros
    digits = digits.rstrip("0")
    if not digits:
        return negative, "", 0
    return negative, digits, dp


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return None


def _fmt_f(negative: bool, digits: str, dp: int) -> str:
    if not digits:
        body = "0"
    elif dp <= 0:
        body = "0." + "0" * (-dp) + digits
    elif dp >= len(digits):
        body = digits + "0" * (dp - len(digits))
    else:
        body = digits[:dp] + "." + digits[dp:]
    return ("-" if negative else "") + body


def _fmt_e(negative: bool, digits: str, dp: int) -> str:
    if not digits:
        digits, dp = "0", 1
    exp = dp - 1
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exp < 0 else "+"
    return ("-" if negative else "") + f"{body}e{sign}{abs(exp):02d}"


def format_float_f(value: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``: what sops hashes and encrypts for floats."""
    special = _special(value)
    if special is not None:
        return special
    return _fmt_f(*_digits(value))


def format_float_g(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 64)``: how go-yaml prints a float."""
    special = _special(value)
    if special is not None:
        return special
    negative, digits, dp = _digits(value)
    exp = dp - 1 if digits else -1
    # Go: with the shortest precision, %e is chosen when exp < -4 or exp >= 6 (eprec = 6).
    if exp < -4 or exp >= 6:
        return _fmt_e(negative, digits, dp)
    return _fmt_f(negative, digits, dp)


def format_float_json(value: float) -> str:
    """``encoding/json``'s float form (exponent only below 1e-6 or from 1e21)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("JSON cannot represent NaN or infinity")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = _fmt_e(*_digits(value))
        mantissa, _, exponent = text.partition("e")
        sign, number = exponent[0], exponent[1:].lstrip("0") or "0"
        return f"{mantissa}e{sign}{number}"
    return _fmt_f(*_digits(value))


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
