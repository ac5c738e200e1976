"""sealer.go_duration: one table of Go ``time.ParseDuration`` cases, valid and invalid, and ``Duration.String``.

Values are Go's (``src/time/format.go`` and its time_test.go expectations); the one case where
we are deliberately exact and Go's float64 arithmetic is not is marked.
"""

from __future__ import annotations

import pytest

from sealer import go_duration as gd
from sealer.errors import InputError

P = gd.Problem
MAX = 2**63 - 1
MIN = -(2**63)
H, M, S, MS, US = gd.HOUR, gd.MINUTE, gd.SECOND, gd.MILLISECOND, gd.MICROSECOND

VALID: list[tuple[str, int]] = [
    # zero, the only unit-less value, with either sign
    ("0", 0),
    ("+0", 0),
    ("-0", 0),
    ("0s", 0),
    ("-0s", 0),
    ("0.000h", 0),
    # one pair, signs
    ("5s", 5 * S),
    ("+5s", 5 * S),
    ("-5s", -5 * S),
    ("00001s", S),
    ("720h", 720 * H),
    ("87600h", 87600 * H),
    # every unit, both micro spellings
    ("1500ns", 1500),
    ("10us", 10 * US),
    ("10\u00b5s", 10 * US),
    ("10\u03bcs", 10 * US),
    ("300ms", 300 * MS),
    ("90s", 90 * S),
    ("3m", 3 * M),
    # fractions: "1." and ".5" are numbers, a unit must still follow
    ("1.5h", 90 * M),
    ("1.h", H),
    ("1.s", S),
    (".5m", 30 * S),
    ("-.5s", -500 * MS),
    ("1m.5s", 60 * S + 500 * MS),
    ("2h45m30.5s", 2 * H + 45 * M + 30 * S + 500 * MS),
    ("4m5.001s", 245_001_000_000),
    ("8m0.000000001s", 480_000_000_001),
    ("1.1\u00b5s", 1100),
    # several pairs, in any order, a unit may repeat
    ("1h30m", 90 * M),
    ("30m1h", 90 * M),
    ("1h1h", 2 * H),
    ("1h0.5h", 90 * M),
    # fractions below 1 ns are truncated toward zero, per pair, as Go
    ("0.9999999999ns", 0),
    ("0.5ns0.5ns", 0),
    ("1.0000000005s", S),
    ("-1.0000000005s", -S),
    # exact where Go's float64 formula gives 517513785866
    ("0.14375382940750h", 517_513_785_867),
    # the int64 bounds: Go negates the magnitude last, so -2^63 is a duration and 2^63 is not
    ("2562047h47m16.854775807s", MAX),
    ("9223372036854775807ns", MAX),
    ("9223372036.854775807s", MAX),
    ("-9223372036854775808ns", MIN),
    ("-2562047h47m16.854775808s", MIN),
]

INVALID: list[tuple[str, gd.Problem]] = [
    # nothing, or a sign alone
    ("", P.SYNTAX),
    ("+", P.SYNTAX),
    ("-", P.SYNTAX),
    # one sign at most, and only in front
    ("--3s", P.SYNTAX),
    ("+-3s", P.SYNTAX),
    ("-+3s", P.SYNTAX),
    ("1h-30m", P.SYNTAX),
    ("1h+30m", P.SYNTAX),
    # no blanks anywhere: Go's parser does not trim (callers may)
    ("1 h", P.SYNTAX),
    ("1h 30m", P.SYNTAX),
    (" 1h", P.SYNTAX),
    ("1h ", P.SYNTAX),
    ("1h\t", P.SYNTAX),
    # "." is not a number; a unit needs one
    (".", P.SYNTAX),
    ("-.", P.SYNTAX),
    (".s", P.NO_NUMBER),
    ("-.s", P.NO_NUMBER),
    ("h", P.NO_NUMBER),
    ("abc", P.NO_NUMBER),
    # a number needs a unit, except a bare 0
    ("1.", P.MISSING_UNIT),
    (".5", P.MISSING_UNIT),
    ("30", P.MISSING_UNIT),
    ("-30", P.MISSING_UNIT),
    ("00", P.MISSING_UNIT),
    ("0.0", P.MISSING_UNIT),
    ("1h30", P.MISSING_UNIT),
    ("1.5.5h", P.MISSING_UNIT),
    # units are exact and case-sensitive
    ("1d", P.UNKNOWN_UNIT),
    ("1w", P.UNKNOWN_UNIT),
    ("30days", P.UNKNOWN_UNIT),
    ("1H", P.UNKNOWN_UNIT),
    ("1sec", P.UNKNOWN_UNIT),
    ("1\u00b5", P.UNKNOWN_UNIT),
    ("1e3s", P.UNKNOWN_UNIT),
    ("0x10s", P.UNKNOWN_UNIT),
    # ASCII digits only, and no Python int() niceties
    ("\u0663s", P.SYNTAX),  # ARABIC-INDIC DIGIT THREE
    ("1\u0663s", P.SYNTAX),
    ("\u00b3s", P.SYNTAX),  # SUPERSCRIPT THREE
    ("1_000s", P.SYNTAX),
    # beyond int64 nanoseconds, each way
    ("9223372036854775808ns", P.OUT_OF_RANGE),
    ("2562047h47m16.854775808s", P.OUT_OF_RANGE),
    ("9223372036854775807ns1ns", P.OUT_OF_RANGE),
    ("-9223372036854775809ns", P.OUT_OF_RANGE),
    ("-2562047h47m16.854775809s", P.OUT_OF_RANGE),
    ("-9223372036854775808ns0.9ns1ns", P.OUT_OF_RANGE),
    ("3000000h", P.OUT_OF_RANGE),
    ("99999999999999999999999999ns", P.OUT_OF_RANGE),
]


@pytest.mark.parametrize(("text", "ns"), VALID)
def test_parse_ns_valid(text: str, ns: int) -> None:
    assert gd.parse_ns(text) == ns


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_parse_ns_invalid(text: str, problem: gd.Problem) -> None:
    with pytest.raises(gd.GoDurationError) as info:
        gd.parse_ns(text)
    error = info.value
    assert isinstance(error, InputError)
    assert error.problem is problem and error.text == text
    assert str(error).startswith(f"{text!r} is not a Go duration")
    assert error.hint


@pytest.mark.parametrize(("text", "ns"), [
    ("0" * 5000 + "1s", S),  # leading zeros: Go's leadingInt takes any number of them
    ("1." + "0" * 5000 + "1s", S),  # Go reads every fraction digit (and ignores those past 63 bits)
    ("0." + "9" * 5000 + "h", H - 1),  # exact: just under an hour, truncated
    ("1.5" + "0" * 5000 + "m", 90 * S),
], ids=["leading-zeros", "long-fraction", "long-fraction-exact", "trailing-zeros"])
def test_numbers_longer_than_pythons_int_conversion_limit(text: str, ns: int) -> None:
    # int() refuses strings of more than 4300 digits; such a number must still parse, or be refused as Go does.
    assert gd.parse_ns(text) == ns


def test_a_huge_whole_number_is_out_of_range_not_a_crash() -> None:
    with pytest.raises(gd.GoDurationError) as info:
        gd.parse_ns("1" * 5000 + "s")
    assert info.value.problem is P.OUT_OF_RANGE


def test_unknown_unit_is_named() -> None:
    with pytest.raises(gd.GoDurationError) as info:
        gd.parse_ns("2h30days")
    assert info.value.unit == "days"
    assert "unknown unit 'days'" in str(info.value) and "no d or w" in str(info.value)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (-1, "-1ns"),
        (999, "999ns"),
        (US, "1\u00b5s"),
        (1100, "1.1\u00b5s"),
        (2_200_000, "2.2ms"),
        (999_999_999, "999.999999ms"),
        (3_300_000_000, "3.3s"),
        (M, "1m0s"),
        (245 * S, "4m5s"),
        (245_001_000_000, "4m5.001s"),
        (18_367_001_000_000, "5h6m7.001s"),
        (480_000_000_001, "8m0.000000001s"),
        (H, "1h0m0s"),
        (720 * H, "720h0m0s"),
        (-(90 * M + 500 * MS), "-1h30m0.5s"),
        (MAX, "2562047h47m16.854775807s"),
        (MIN, "-2562047h47m16.854775808s"),
    ],
)
def test_format_ns(ns: int, text: str) -> None:
    assert gd.format_ns(ns) == text
    assert gd.parse_ns(text) == ns


@pytest.mark.parametrize(("text", "ns"), VALID)
def test_format_ns_parses_back(text: str, ns: int) -> None:
    assert gd.parse_ns(gd.format_ns(ns)) == ns


@pytest.mark.parametrize("ns", [MAX + 1, MIN - 1])
def test_format_ns_refuses_what_go_cannot_hold(ns: int) -> None:
    with pytest.raises(ValueError, match="int64"):
        gd.format_ns(ns)
