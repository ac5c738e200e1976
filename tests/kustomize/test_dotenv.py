"""dotenv parsing must give the Secret keys KSOPS (godotenv v1.5.1) gives, and never echo content in errors."""

from __future__ import annotations

import pytest
from sealer_kustomize.dotenv import parse_dotenv

from sealer.errors import FormatError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB=two words\n", {"A": "1", "B": "two words"}),
        ("export A=1\n", {"A": "1"}),
        ("exported=1\n", {"exported": "1"}),
        ("A: yaml style\n", {"A": "yaml style"}),
        ("  A = spaced  \n", {"A": "spaced"}),
        ("# comment\nA=1 # trailing\n\n\n#B=2\n", {"A": "1"}),
        ("A=1 # one # two\n", {"A": "1 # one"}),  # v1.5.1 cuts at the last ' #'
        ("A=pass#word\n", {"A": "pass#word"}),
        ("A='single $B \\n'\n", {"A": "single $B \\n"}),
        ('A="line1\\nline2"\n', {"A": "line1\nline2"}),
        ('A="say \\"hi\\" ok"\n', {"A": 'say "hi" ok'}),
        # godotenv trims every trailing quote before unescaping, so an escaped quote at the end loses its quote
        ('A="say \\"hi\\""\n', {"A": 'say "hi\\'}),
        ("A=1\nB=${A}2\nC=$A-x\nD=$UNSET.\n", {"A": "1", "B": "12", "C": "1-x", "D": "."}),
        ("A=\\$A\n", {"A": "$A"}),
        ("A=lower$case\n", {"A": "lower$case"}),
        ("A=1\nA=2\n", {"A": "2"}),
        ("A=\r\nB=x\r\n", {"A": "", "B": "x"}),
        ("A=last-line-no-newline", {"A": "last-line-no-newline"}),
        ("DOT.KEY=1\n", {"DOT.KEY": "1"}),
        ("", {}),
    ],
)
def test_godotenv_semantics(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text, source="app.env") == expected


def test_process_environment_is_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEALER_TEST_FROM_ENV", "leaked")
    assert parse_dotenv("A=${SEALER_TEST_FROM_ENV}\n", source="app.env") == {"A": ""}


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("A=1\nB-C=s3cr3t-value\n", "unexpected character", 2),
        ('A=1\n\nB="s3cr3t-value\n', "unterminated quoted value", 3),
        ("s3cr3t-value\n", "unexpected character", 1),
    ],
)
def test_errors_name_file_and_line_but_not_the_content(text: str, reason: str, line: int) -> None:
    with pytest.raises(FormatError) as caught:
        parse_dotenv(text, source="secrets/app.enc.env")
    message = str(caught.value)
    assert message.startswith("secrets/app.enc.env: ")
    assert reason in message
    assert message.endswith(f"on line {line} (write KEY=value lines; quote values that contain '#' after a space)")
    assert "s3cr3t" not in message
