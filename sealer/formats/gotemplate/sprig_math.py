"""Sprig's numeric functions.

spf13/cast conversions and Go's int64 arithmetic (truncating division, wrap-around).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, alias, register
from sealer.formats.gotemplate.values import Int64, is_int

MATH: FuncMap = {}

_TRIM_ZERO_DECIMAL = re.compile(r"^(.*?)\.0+$")


def _wrap64(n: int) -> int:
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def _parse_go_int(s: str) -> int | None:
    """strconv.ParseInt(s, 0, 64)."""
    t = s
    sign = 1
    if t[:1] in ("+", "-"):
        sign = -1 if t[0] == "-" else 1
        t = t[1:]
    if not t or not t.isascii() or not all(c.isalnum() or c == "_" for c in t):
        return None
    try:
        if len(t) > 1 and t[0] == "0" and t[1] not in "xXoObB":
            body = t[1:]
            if body.startswith("_"):
                body = body[1:]
            if "__" in body or body.endswith("_") or body.startswith("_"):
                return None
            v = int(body.replace("_", ""), 8)
        else:
            v = int(t, 0)
    except ValueError:
        return None
    v *= sign
    if not -(1 << 63) <= v < 1 << 63:
        return None
    return v


def to_int64(v: Any) -> int:
    """cast.ToInt64 with the error dropped (Sprig's toInt64)."""
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if is_int(v):
        return _wrap64(int(v))
    if isinstance(v, float):
        # Go's float64 -> int64 conversion of an out-of-range value yields 0x8000000000000000 on amd64
        if math.isnan(v) or math.isinf(v) or not -(2.0**63) <= v < 2.0**63:
            return -(1 << 63)
        return int(v)
    if isinstance(v, str):
        m = _TRIM_ZERO_DECIMAL.match(v)
        s = m.group(1) if m and m.group(1) else v
        r = _parse_go_int(s)
        return r if r is not None else 0
    return 0


def to_float64(v: Any) -> float:
    """cast.ToFloat64 with the error dropped."""
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if is_int(v) or isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        t = v.replace("_", "") if "_" not in v.strip("_") else v
        try:
            if t.strip() != t or not t:
                return 0.0
            low = t.lower().lstrip("+-")
            if low in ("inf", "infinity", "nan"):
                return float(t)
            if "x" in low:
                return float.fromhex(t)
            return float(t)
        except (ValueError, OverflowError):
            return 0.0
    return 0.0


register(MATH, "int64", "any")(lambda v: Int64(to_int64(v)))
register(MATH, "int", "any")(lambda v: to_int64(v))
register(MATH, "float64", "any")(to_float64)


@register(MATH, "atoi", "string")
def _atoi(s: str) -> int:
    t = s[1:] if s[:1] in ("+", "-") else s
    if not t or not t.isascii() or not t.isdigit():
        return 0
    v = int(s)
    # strconv.Atoi reports a range error with the value clamped, and Sprig keeps the value
    return max(min(v, (1 << 63) - 1), -(1 << 63))


@register(MATH, "toDecimal", "any")
def _to_decimal(v: Any) -> Int64:
    from sealer.formats.gotemplate.sprig_strings import strval

    s = strval(v)
    t = s[1:] if s[:1] in ("+", "-") else s
    if not t or any(c not in "01234567" for c in t):
        return Int64(0)
    r = int(s, 8)
    return Int64(r if -(1 << 63) <= r < 1 << 63 else 0)


register(MATH, "add1", "any")(lambda v: Int64(_wrap64(to_int64(v) + 1)))


@register(MATH, "add", "", "any")
def _add(*vs: Any) -> Int64:
    return Int64(_wrap64(sum(to_int64(v) for v in vs)))


register(MATH, "sub", "any any")(lambda a, b: Int64(_wrap64(to_int64(a) - to_int64(b))))


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return _wrap64(q if (a >= 0) == (b >= 0) else -q)


register(MATH, "div", "any any")(lambda a, b: Int64(_go_div(to_int64(a), to_int64(b))))


@register(MATH, "mod", "any any")
def _mod(a: Any, b: Any) -> Int64:
    x, y = to_int64(a), to_int64(b)
    if y == 0:
        raise FuncError("runtime error: integer divide by zero")
    return Int64(_wrap64(x - _go_div(x, y) * y))


@register(MATH, "mul", "any", "any")
def _mul(a: Any, *vs: Any) -> Int64:
    r = to_int64(a)
    for v in vs:
        r = _wrap64(r * to_int64(v))
    return Int64(r)


@register(MATH, "max", "any", "any")
def _max(a: Any, *vs: Any) -> Int64:
    r = to_int64(a)
    for v in vs:
        r = max(r, to_int64(v))
    return Int64(r)


alias(MATH, "biggest", "max")


@register(MATH, "min", "any", "any")
def _min(a: Any, *vs: Any) -> Int64:
    r = to_int64(a)
    for v in vs:
        r = min(r, to_int64(v))
    return Int64(r)


def _go_fmax(a: float, b: float) -> float:
    if (math.isinf(a) and a > 0) or (math.isinf(b) and b > 0):
        return math.inf
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return max(a, b)


def _go_fmin(a: float, b: float) -> float:
    if (math.isinf(a) and a < 0) or (math.isinf(b) and b < 0):
        return -math.inf
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


@register(MATH, "maxf", "any", "any")
def _maxf(a: Any, *vs: Any) -> float:
    r = to_float64(a)
    for v in vs:
        r = _go_fmax(r, to_float64(v))
    return r


@register(MATH, "minf", "any", "any")
def _minf(a: Any, *vs: Any) -> float:
    r = to_float64(a)
    for v in vs:
        r = _go_fmin(r, to_float64(v))
    return r


register(MATH, "ceil", "any")(lambda a: float(math.ceil(x)) if math.isfinite(x := to_float64(a)) else x)
register(MATH, "floor", "any")(lambda a: float(math.floor(x)) if math.isfinite(x := to_float64(a)) else x)


@register(MATH, "round", "any int", "float64")
def _round(a: Any, places: int, *ropt: float) -> float:
    round_on = ropt[0] if ropt else 0.5
    val = to_float64(a)
    pow_ = math.pow(10, float(places))
    digit = pow_ * val
    if not math.isfinite(digit):
        return digit / pow_ if pow_ else math.nan
    frac = math.modf(digit)[0]
    r = math.ceil(digit) if frac >= round_on else math.floor(digit)
    return float(r) / pow_


def _dec(v: Any) -> Decimal:
    f = to_float64(v)
    if not math.isfinite(f):
        raise FuncError("cannot use a non-finite number in decimal arithmetic")
    return Decimal(repr(f))


def _dec_op(a: Any, rest: tuple[Any, ...], op: str) -> float:
    acc = _dec(a)
    with localcontext() as ctx:
        ctx.prec = 200
        for v in rest:
            d = _dec(v)
            if op == "+":
                acc = acc + d
            elif op == "-":
                acc = acc - d
            elif op == "*":
                acc = acc * d
            else:
                if d == 0:
                    raise FuncError("decimal division by 0")
                try:
                    # shopspring/decimal: 16 digits after the point, rounded half up
                    q = acc / d
                    acc = q.quantize(Decimal(1).scaleb(-16), rounding=ROUND_HALF_UP)
                except InvalidOperation:
                    raise FuncError("decimal division failed") from None
    return float(acc)


register(MATH, "addf", "", "any")(lambda *vs: _dec_op(0.0, vs, "+"))
register(MATH, "add1f", "any")(lambda a: _dec_op(a, (1,), "+"))
register(MATH, "subf", "any", "any")(lambda a, *vs: _dec_op(a, vs, "-"))
register(MATH, "mulf", "any", "any")(lambda a, *vs: _dec_op(a, vs, "*"))
register(MATH, "divf", "any", "any")(lambda a, *vs: _dec_op(a, vs, "/"))
