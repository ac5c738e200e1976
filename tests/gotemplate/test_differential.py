"""Differential test: our engine against Helm's Go engine (Go text/template + Sprig), case by case.

Every case in cases.py is rendered by both, in one batch for Helm (see helm_oracle.py),
and must agree on success/failure and, on success, on the exact output. Helm prints
``<no value>`` as the empty string (it post-processes its output), so our output is
compared with that text removed; the Bitnami-specific ``<no value>`` and the places
where Helm's function map or data type differ from the controller's are tested in
test_bitnami.py instead, and listed in HELM_DIFFERS.
"""

from __future__ import annotations

import pytest

from sealer.formats.gotemplate import GoTemplateError, render_text
from tests.gotemplate.cases import CORE, DATA, EDGE, SPRIG, fuzz_calls, fuzz_cases, fuzz_control
from tests.gotemplate.helm_oracle import render_all

ALL = CORE + SPRIG + EDGE + fuzz_cases() + fuzz_control() + fuzz_calls()

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
    # xstrings case conversions: refused by us (their rules are not reproduced), see test_bitnami.py
    '{{ snakecase "SomeCamelCase" }} {{ camelcase .snake }} {{ kebabcase "SomeCamelCase" }}',
    '{{ camelcase "http_server" }} {{ snakecase "HTTPServer" }} {{ kebabcase .camel }} {{ snakecase .camel }}',
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
