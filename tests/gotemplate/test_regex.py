"""Regex functions: RE2 when google-re2 is installed (Helm-verified in test_differential.py),
Python's ``re`` as a fallback that must agree with it on the same cases."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest

from sealer.formats.gotemplate import GoTemplateError, render_text, sprig_regex
from tests.gotemplate.cases import CORE, DATA, EDGE, SPRIG

REGEX_CASES = [c for c in CORE + SPRIG + EDGE if "regex" in c]


def _render(text: str) -> tuple[bool, str]:
    try:
        return True, render_text(text, DATA, name="rx")
    except GoTemplateError as exc:
        return False, exc.message


@pytest.fixture
def without_re2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "re2", None)  # import re2 -> ImportError
    sprig_regex.compile_rx.cache_clear()
    yield
    sprig_regex.compile_rx.cache_clear()


def test_there_are_regex_cases() -> None:
    assert len(REGEX_CASES) >= 15


def test_fallback_agrees_with_re2(without_re2: None) -> None:
    with_fallback = {c: _render(c) for c in REGEX_CASES}
    sys.modules.pop("re2")  # back to the real module for the reference run
    sprig_regex.compile_rx.cache_clear()
    pytest.importorskip("re2")
    for c, (ok, out) in with_fallback.items():
        ref_ok, ref_out = _render(c)
        assert ok == ref_ok, (c, out, ref_out)
        if ok:  # error wording differs between the engines; outputs must not
            assert out == ref_out, c


def test_re2_is_linear_on_a_pathological_pattern() -> None:
    pytest.importorskip("re2")
    sprig_regex.compile_rx.cache_clear()
    t0 = time.perf_counter()
    out = render_text('{{ regexMatch "(a+)+$" .v }}', {"v": "a" * 5000 + "b"})
    assert out == "false"
    assert time.perf_counter() - t0 < 1.0


def test_fallback_caps_subject_length(without_re2: None) -> None:
    with pytest.raises(GoTemplateError, match="install google-re2"):
        render_text('{{ regexMatch "(a+)+$" .v }}', {"v": "a" * 20000 + "b"})


def test_compile_errors_do_not_echo_the_pattern() -> None:
    # the pattern may be a decrypted value: it must not reach the status or the logs
    with pytest.raises(GoTemplateError) as info:
        render_text("{{ mustRegexMatch .v .v }}", {"v": "(hunter2"})
    assert "hunter2" not in info.value.message
    assert render_text("{{ regexMatch .v .v }}", {"v": "(hunter2"}) == "false"
