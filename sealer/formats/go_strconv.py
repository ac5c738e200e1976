"""Go's float text forms (``strconv.FormatFloat`` and ``encoding/json``), shared by the sops stores and templates.

sops hashes ``FormatFloat(v, 'f', -1, 64)`` into its MAC and go-yaml prints
floats with ``'g'``; templates print with ``fmt`` (``%v`` is ``'g'``) and
``toJson`` with encoding/json, which switches to exponents outside
[1e-6, 1e21). Python's ``repr`` differs from each, and byte compatibility with
both peers rests on these few rules, so they live in one place.

No :mod:`decimal`: the shortest digits come straight from ``repr`` (the same
shortest round-trip digits Go computes), which keeps ``sealer sops decrypt``'s
start-up free of that import.
"""

from __future__ import annotations

import math

__all__ = ["format_float", "json_float"]


def shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of ``|value|`` and the decimal point: ``|value| = 0.DIGITS x 10**dp``.

    Zero gives ``("0", 1)``.
    """
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    digits = all_digits.lstrip("0")
    dp = len(whole) + (int(exponent) if exponent else 0) - (len(all_digits) - len(digits))
    digits = digits.rstrip("0")
    return (digits, dp) if digits else ("0", 1)


def _exponent(e: int) -> str:
    return ("e-" if e < 0 else "e+") + f"{abs(e):02d}"


def format_float(value: float, fmt: str = "g", prec: int = -1) -> str:
    """``strconv.FormatFloat(value, fmt, prec, 64)`` for fmt in e, E, f, F, g, G (``prec`` -1: shortest)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    negative = math.copysign(1.0, value) < 0
    low = fmt.lower()
    if prec >= 0:
        if low == "g":
            if value == 0:
                text = "0"
            else:
                text = f"{abs(value):.{max(prec, 1)}g}"
                if "e" in text:
                    mantissa, e = text.split("e")
                    text = mantissa + _exponent(int(e))
        elif low == "e":
            mantissa, e = f"{abs(value):.{prec}e}".split("e")
            text = mantissa + _exponent(int(e))
        else:
            text = f"{abs(value):.{prec}f}"
    else:
        digits, dp = shortest_digits(value)
        if low == "g":
            # Go: with the shortest precision, %e is chosen when exp < -4 or exp >= 6 (eprec = 6).
            low = "e" if dp - 1 < -4 or dp - 1 >= 6 else "f"
        if low == "e":
            text = digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + _exponent(dp - 1)
        elif dp <= 0:
            text = "0." + "0" * (-dp) + digits
        elif dp >= len(digits):
            text = digits + "0" * (dp - len(digits))
        else:
            text = digits[:dp] + "." + digits[dp:]
    if fmt.isupper():
        text = text.upper()
    return ("-" + text) if negative else text


def json_float(value: float) -> str:
    """``encoding/json``'s float64 text (the caller refuses NaN and infinities, as json.Marshal does)."""
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = format_float(value, "e")
        if text[-4:-1] == "e-0":  # Go cleans e-09 to e-9
            text = text[:-2] + text[-1]
        return text
    return format_float(value, "f")
