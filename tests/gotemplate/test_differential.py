"""Differential test: our engine against Helm's Go engine (Go text/template + Sprig), case by case.

Every case in cases.py is rendered by both, in one batch for Helm (see helm_oracle.py),
and must agree on success/failure and, on success, on the exact output. Helm prints
``<no value>`` as the empty string (it post-processes its output), so our output is
compared with that text removed; the Bitnami-specific ``<no value>`` and the places
where Helm's function map or data type differ from the controller's are tested in
test_bitnami.py instead, and listed in HELM_DIFFERS.
"""

from __future__ import annotations

import re

import pytest

from sealer.formats.gotemplate import GoTemplateError, render_text
from tests.gotemplate.cases import (
    CORE,
    DATA,
    EDGE,
    SPRIG,
    fuzz_calls,
    fuzz_case_conversions,
    fuzz_cases,
    fuzz_control,
)
from tests.gotemplate.helm_oracle import render_all

ALL = CORE + SPRIG + EDGE + fuzz_cases() + fuzz_control() + fuzz_calls() + fuzz_case_conversions()

#: cases where Helm knowingly differs from the Bitnami controller (checked in test_bitnami.py)
HELM_DIFFERS = {
    '{{ set . "x" "y" }}',  # Helm's .Values is map[string]interface{}; the controller's data is map[string]string
    '{{ get . "user" }}',
    '{{ printf "%T %T %T" (add 1 1) (splitList "," "a") . }}',
    '{{ tpl "x" . }}',  # Helm-only functions
    "{{ toYaml . }}",
    '{{ include "x" . }}',
    '{{ required "m" .user }}',
    '{{ getHostByName "localhost" }}',  # Helm keeps it; the controller removes it
    '{{ fromJson "[1,2]" }}',  # Helm overrides fromJson: objects only, errors as an "Error" key
    # refused by us on purpose (non-deterministic); see test_bitnami.py
}

_REFUSED_WORDS = ("now", "rand", "uuidv4", "genPrivateKey", "bcrypt", "htpasswd")


@pytest.fixture(scope="module")
def helm_results() -> dict[int, tuple[bool, str]]:
    pytest.importorskip("helm_python")
    expect = [_ours(t)[0] for t in ALL]  # only groups the cases (see helm_oracle); Helm decides
    return render_all(ALL, DATA, expect)


def _ours(text: str) -> tuple[bool, str]:
    try:
        return True, render_text(text, DATA, name="case")
    except GoTemplateError as exc:
        return False, exc.message


@pytest.mark.parametrize("idx", range(len(ALL)), ids=[f"{i}:{t[:40]}" for i, t in enumerate(ALL)])
def test_same_as_helm(idx: int, helm_results: dict[int, tuple[bool, str]]) -> None:
    text = ALL[idx]
    if text in HELM_DIFFERS:
        pytest.skip("Helm differs from the controller here; see test_bitnami.py")
    helm_ok, helm_out = helm_results[idx]
    ok, out = _ours(text)
    assert ok == helm_ok, f"ours: {out!r}\nhelm: {helm_out!r}"
    if ok:
        # Helm hands back text through JSON, where each byte that is not UTF-8 became U+FFFD
        expected = "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in out)
        assert expected.replace("<no value>", "") == helm_out


def test_batch_has_both_outcomes(helm_results: dict[int, tuple[bool, str]]) -> None:
    """The oracle really ran: most cases render, and the error cases were told apart one by one."""
    oks = sum(1 for ok, _ in helm_results.values() if ok)
    assert len(helm_results) == len(ALL)
    assert oks > len(ALL) * 0.4
    assert len(ALL) - oks > 30


_HELM_PARSE = re.compile(r"parse error at \(c/templates/_c\d+\.tpl:(\d+)\): (.*)", re.S)
_HELM_EXEC = re.compile(r"c/templates/_c\d+\.tpl:(\d+):(\d+):?\s+executing \"[^\"]*\" at <(.*)>:\s+(.*)", re.S)
_HELM_FAIL = re.compile(r"execution error at \(c/templates/_c\d+\.tpl:(\d+):(\d+)\): (.*)", re.S)
_OUR_PARSE = re.compile(r"template: case:(\d+): (.*)", re.S)
_OUR_EXEC = re.compile(r"template: case:(\d+):(\d+): executing \"case\" at <(.*)>: (.*)", re.S)

#: our error text differs from Go's on purpose (Go would print the value) or because Helm's data differs
_EXPLAINED = (
    "got interface {}",  # Helm's missing key is a nil interface{} (missingkey=zero); ours is no value
    "in type interface {}",  # Helm's values are interface{}; the controller's are string
    "unable to parse url",  # Go prints the URL: it may hold a password
    "non-comparable type",  # Go prints both values
    "range can't iterate over",  # Go prints the value
    "error parsing regexp",  # Go prints the pattern, which may come from the data
    "invalid JSON",  # Go quotes the offending character of the input
)


def _norm(msg: str) -> str:
    return " ".join(msg.split())


def test_errors_have_gos_positions_and_messages(helm_results: dict[int, tuple[bool, str]]) -> None:
    """Where both engines fail: same line (parse) or line:col (execution), the same node, the same message."""
    exact = 0
    for idx, text in enumerate(ALL):
        helm_ok, helm_msg = helm_results[idx]
        ok, ours = _ours(text)
        if ok or helm_ok or text in HELM_DIFFERS:
            continue
        if p := _OUR_PARSE.match(ours):
            if _OUR_EXEC.match(ours):
                p = None
        if p is not None:
            h = _HELM_PARSE.search(helm_msg)
            assert h, (text, helm_msg, ours)
            assert h.group(1) == p.group(1), (text, helm_msg, ours)
            # Helm keeps only the text after the last ": " of Go's parse error
            assert _norm(h.group(2)) == _norm(p.group(2).split(": ")[-1]), (text, helm_msg, ours)
            exact += 1
            continue
        o = _OUR_EXEC.match(ours)
        assert o, (text, ours)
        if f := _HELM_FAIL.search(helm_msg):  # Helm reports fail() by its message alone
            assert f.group(1, 2) == o.group(1, 2) and _norm(o.group(4)).endswith(_norm(f.group(3))), (text, helm_msg)
            exact += 1
            continue
        h = _HELM_EXEC.search(helm_msg)
        assert h, (text, helm_msg, ours)
        if any(e in _norm(h.group(4)) or e in _norm(o.group(4)) for e in _EXPLAINED):
            continue
        assert h.group(1, 2, 3) == o.group(1, 2, 3), (text, helm_msg, ours)
        assert _norm(h.group(4)) == _norm(o.group(4)), (text, helm_msg, ours)
        exact += 1
    assert exact > 500
