"""Go's ``time.Duration`` text: ``time.ParseDuration`` and ``Duration.String``, in exact integer nanoseconds.

Kubernetes and the Bitnami controller read durations with Go's parser (a KMS
``timeout`` in an EncryptionConfiguration, ``--key-renew-period``), so a value
we accept must be one Go accepts, and the other way round. This module is the
one copy of that grammar; callers adapt its result (seconds, ``timedelta``) and
word its errors for their input (a file field, a flag).

The grammar, as Go's ``src/time/format.go``:

* an optional single sign, ``+`` or ``-``; then either exactly ``0`` (the only
  value without a unit), or one or more ``number unit`` pairs with nothing
  between them (no spaces, no further signs: ``1h-30m`` and ``--3s`` are refused);
* a number is ASCII digits with an optional fraction: ``1``, ``1.5``, ``1.``,
  ``.5``, but not ``.`` alone;
* units are ``ns``, ``us``, ``µs`` (U+00B5 micro sign), ``μs`` (U+03BC Greek
  mu), ``ms``, ``s``, ``m``, ``h``; nothing larger (no ``d``, no ``w``);
* the total must fit Go's int64 nanoseconds: at most 2^63-1 (about 292 years)
  when positive and, because Go negates the magnitude at the very end, down to
  -2^63 when negative (``-9223372036854775808ns`` parses, ``9223372036854775808ns``
  does not).

Where we are exact and Go is not: Go adds each pair's fraction as
``uint64(float64(f) * (float64(unit) / scale))``, and stops reading fraction
digits once they no longer fit 63 bits. We compute every pair's fraction with
integers and truncate it toward zero, per pair as Go does (so ``0.5ns0.5ns`` is
0 in both). The two agree on every fraction of up to 7 digits, in every unit
(checked exhaustively against Go's float64 formula), and can differ by 1 ns on
longer ones: ``0.14375382940750h`` is 517513785867 ns here, 517513785866 ns in Go.

It lives at the top of the package, beside :mod:`sealer.errors`, rather than in
``sealer.formats``: ``sealer.encryption_at_rest`` uses it and is an independent
sibling of ``sealer.formats`` in the import-linter layers, and the controller
uses it too. It imports nothing but :mod:`sealer.errors`.

Nothing here strips whitespace: whether surrounding blanks are forgiven is the
caller's decision about its own input, not part of Go's grammar.
"""

from __future__ import annotations

import enum

from sealer.errors import InputError

NANOSECOND = 1
MICROSECOND = 1_000 * NANOSECOND
MILLISECOND = 1_000 * MICROSECOND
SECOND = 1_000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

MAX_NS = 2**63 - 1  # the longest positive Go duration, 2562047h47m16.854775807s
MIN_NS = -(2**63)  # the most negative one, -2562047h47m16.854775808s

UNITS_NS: dict[str, int] = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "\u00b5s": MICROSECOND,  # micro sign, what Go prints
    "\u03bcs": MICROSECOND,  # Greek small letter mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
UNITS_HINT = "units are ns, us (or µs), ms, s, m and h; there is no d or w"

_DIGITS = frozenset("0123456789")  # ASCII only: str.isdigit would take "٣" or "³"
_MAX_WHOLE_DIGITS = len(str(-MIN_NS))  # 19: a longer number (leading zeros aside) exceeds 2^63 in any unit


class Problem(enum.Enum):
    """Why a text is not a Go duration, so each caller can word it for its own input."""

    SYNTAX = "not of the form [sign]number unit[number unit...]"
    NO_NUMBER = "a unit without a number"
    MISSING_UNIT = "a number without a unit"
    UNKNOWN_UNIT = "an unknown unit"
    OUT_OF_RANGE = "beyond Go's int64 nanoseconds (about 292 years either way)"


class GoDurationError(InputError):
    """``text`` is not a Go duration; ``problem`` says why, ``unit`` names an unknown unit."""

    def __init__(self, text: str, problem: Problem, *, unit: str | None = None) -> None:
        detail = f"unknown unit {unit!r}" if problem is Problem.UNKNOWN_UNIT else problem.value
        hint = {
            Problem.UNKNOWN_UNIT: UNITS_HINT,
            Problem.OUT_OF_RANGE: "Go durations are limited to about 292 years",
        }.get(problem, 'use Go duration syntax such as "90s", "1h30m" or "1.5h"')
        super().__init__(f"{text!r} is not a Go duration: {detail}", hint=hint)
        self.text = text
        self.problem = problem
        self.unit = unit


def parse_ns(text: str) -> int:
    """The signed nanoseconds in ``text``, as Go's ``time.ParseDuration``; :class:`GoDurationError` if Go refuses it."""
    body = text[1:] if text[:1] in ("+", "-") else text
    negative = text[:1] == "-"
    if body == "0":
        return 0
    if not body:
        raise GoDurationError(text, Problem.SYNTAX)
    total = 0
    pos, end = 0, len(body)
    while pos < end:
        start = pos
        while pos < end and body[pos] in _DIGITS:
            pos += 1
        whole = body[start:pos]
        fraction = ""
        if pos < end and body[pos] == ".":
            pos += 1
            fraction_start = pos
            while pos < end and body[pos] in _DIGITS:
                pos += 1
            fraction = body[fraction_start:pos]
        if not whole and not fraction:
            # "h", ".h", "abc" lack a number; "-", ".", "--3s", " 3s" are just not durations.
            letter = pos < end and body[pos].isalpha()
            raise GoDurationError(text, Problem.NO_NUMBER if letter else Problem.SYNTAX)
        unit_start = pos
        while pos < end and body[pos] != "." and body[pos] not in _DIGITS:
            pos += 1
        unit = body[unit_start:pos]
        if not unit:
            raise GoDurationError(text, Problem.MISSING_UNIT)
        size = UNITS_NS.get(unit)
        if size is None:
            # Go reads a unit up to the next digit or dot: "1h 30m" has the unit "h ", "1h-30m" "h-".
            # Only a unit of letters ("d", "days") is reported as a unit; anything else is bad syntax.
            if unit.isalpha():
                raise GoDurationError(text, Problem.UNKNOWN_UNIT, unit=unit)
            raise GoDurationError(text, Problem.SYNTAX)
        whole = whole.lstrip("0")
        if len(whole) > _MAX_WHOLE_DIGITS:  # int() would refuse over 4300 digits; Go's leadingInt overflows
            raise GoDurationError(text, Problem.OUT_OF_RANGE)
        total += int(whole or "0") * size
        if fraction:
            total += _fraction_ns(fraction, size)  # truncated, per pair, as Go
        if total > -MIN_NS:  # stop early on absurd inputs; the exact bound is checked below
            raise GoDurationError(text, Problem.OUT_OF_RANGE)
    value = -total if negative else total
    if not MIN_NS <= value <= MAX_NS:
        raise GoDurationError(text, Problem.OUT_OF_RANGE)
    return value


def _fraction_ns(fraction: str, size: int) -> int:
    """``floor(0.<fraction> * size)``, exactly, for any number of digits (Go reads them all).

    Not ``int(fraction)``: Python refuses to convert a string of more than 4300
    digits (``sys.get_int_max_str_digits``). Horner's rule from the last digit,
    flooring at every step, gives the same floor: ``(a + x) // 10`` equals
    ``(a + floor(x)) // 10`` for an integer ``a``.
    """
    part = 0
    for digit in reversed(fraction):
        part = (part + int(digit) * size) // 10
    return part


def format_ns(ns: int) -> str:
    """``ns`` as Go's ``Duration.String`` prints it: "720h0m0s", "1m30s", "1.5s", "250ms", "1.1µs", "0s".

    The output parses back to ``ns`` exactly. ``ValueError`` if ``ns`` is not an int64.
    """
    if not MIN_NS <= ns <= MAX_NS:
        raise ValueError(f"{ns} ns is outside Go's int64 durations")
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    magnitude = abs(ns)
    if magnitude < SECOND:
        for size, suffix in ((MILLISECOND, "ms"), (MICROSECOND, "\u00b5s"), (NANOSECOND, "ns")):
            if magnitude >= size:
                return f"{sign}{_decimal(magnitude, size)}{suffix}"
    hours, rest = divmod(magnitude, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    seconds = _decimal(rest, SECOND) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{seconds}"


def _decimal(value: int, size: int) -> str:
    """``value / size`` in decimal, without trailing zeros (``size`` a power of ten)."""
    whole, rest = divmod(value, size)
    if not rest:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}.{rest:0{digits}d}".rstrip("0")
