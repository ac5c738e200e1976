"""The installed `sealer` script as a user runs it: exit codes, stderr, files, and what the hot path imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli_env import isolated_cli_environ

SEALER = Path(sys.executable).with_name("sealer")
SECRET = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: b\nstringData:\n  pw: hunter2-plain\n"


def _run(tmp_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(SEALER), *args], input=stdin, capture_output=True, env=isolated_cli_environ(tmp_path),
                          timeout=60)


@pytest.mark.parametrize(
    ("args", "stdin", "code"),
    [
        (["seal", "--cert", "{cert}"], b"kind: Secret\nstringData:\n  pw: hunter2-plain\n bad\n", 3),
        (["seal", "--cert", "{cert}"], b"apiVersion: v1\nkind: ConfigMap\n", 3),
        (["seal", "--cert", "{tmp}/missing.pem"], SECRET, 6),
        (["seal", "--no-such-flag"], SECRET, 2),
        (["seal", "--cert", "{cert}", "--recovery-unseal", "--recovery-private-key", "{cert}"], b"{}", 6),
    ],
)
def test_failures_are_one_line_with_exit_code(
    tmp_path: Path, cert_file: Path, args: list[str], stdin: bytes, code: int
) -> None:
    out = tmp_path / "out.json"
    argv = [a.format(cert=cert_file, tmp=tmp_path) for a in args] + ["-w", str(out)]
    proc = _run(tmp_path, *argv, stdin=stdin)
    assert proc.returncode == code, proc.stderr
    err = proc.stderr.decode()
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "hunter2-plain" not in err
    assert not out.exists()


def test_seal_works_and_top_level_help_lists_it(tmp_path: Path, cert_file: Path) -> None:
    proc = _run(tmp_path, "seal", "--cert", str(cert_file), stdin=SECRET)
    assert proc.returncode == 0 and json.loads(proc.stdout)["kind"] == "SealedSecret"
    helped = _run(tmp_path, "--help")
    assert helped.returncode == 0 and b"seal" in helped.stdout and b"demo" in helped.stdout


def test_seal_hot_path_imports_nothing_heavy(tmp_path: Path, cert_file: Path) -> None:
    """click, ruamel.yaml, cryptography.x509, kubernetes and dataclasses are each 5-500 ms we must not pay."""
    code = (
        "import sys\n"
        "from sealer.cli.main import run\n"
        f"rc = run(['seal', '--cert', {str(cert_file)!r}, '-f', {str(tmp_path / 's.yaml')!r}, "
        f"'-w', {str(tmp_path / 'o.json')!r}])\n"
        "heavy = ['click', 'ruamel.yaml', 'cryptography.x509', 'kubernetes', 'dataclasses', 'yaml', 'urllib.request']\n"
        "print(rc, [m for m in heavy if m in sys.modules])\n"
    )
    (tmp_path / "s.yaml").write_bytes(SECRET)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, env=isolated_cli_environ(tmp_path),
                          timeout=60)
    assert proc.stdout.decode().strip() == "0 []", proc.stderr.decode()
