"""Sprig's ``duration`` on strings Go's strconv.ParseInt reads (or refuses, which Sprig turns into 0)."""

from __future__ import annotations

import pytest

from sealer.formats.gotemplate import render_text


@pytest.mark.parametrize(("seconds", "expected"), [
    ("0" * 5000 + "90", "1m30s"),  # leading zeros: ParseInt takes any number of them
    ("-" + "0" * 5000 + "90", "-1m30s"),
    ("9" * 5000, "0s"),  # past int64: ParseInt fails, Sprig uses 0 (Python's int() would raise past 4300 digits)
    ("99999999999999999999", "0s"),
    ("+90", "1m30s"),
], ids=["leading-zeros", "negative-leading-zeros", "huge", "past-int64", "plus"])
def test_duration_of_long_digit_strings(seconds: str, expected: str) -> None:
    assert render_text('{{ duration "' + seconds + '" }}', {}, name="d") == expected
