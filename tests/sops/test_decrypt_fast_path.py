"""``sealer sops decrypt`` without click: the same bytes, messages and exit codes as the click command.

The fast path (:mod:`sealer.cli.sops_decrypt`) and the click command are run
as separate processes on the same argv, in twin directories, and must agree
on stdout, stderr, exit status and any file written; a report file says which
path actually ran, so a case meant for the fast path cannot silently take the
click path (or the reverse). The click path is what ``run`` does when the fast
parser declines, forced here by making it decline everything.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sealer.api import sops as api
from sealer.cli.sops_decrypt import DECRYPT_OPTIONS, parse_decrypt
from tests.sops.conftest import AgeKey

SECRET = b"hunter2-fast-path"
YAML = b"kind: Secret\n# a comment\npassword: " + SECRET + b"\nport: 5432\nnote_unencrypted: clear\n"
JSON = b'{"password": "' + SECRET + b'", "port": 5432, "nested": {"a": [1, true, null]}}\n'

RUNNER = """\
import os, sys
import sealer.cli.sops_decrypt as fast
if os.environ.get("FORCE_CLICK") == "1":
    fast.parse_decrypt = lambda args, environ=None: None
from sealer.cli.main import run
try:
    code = run(sys.argv[1:])
finally:
    with open(os.environ["PATH_REPORT"], "w") as report:
        report.write("click" if "click" in sys.modules else "fast")
sys.exit(code)
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, age_key: AgeKey) -> Path:
    """Encrypted inputs (good, MAC-mismatched, not SOPS) and a keys file, in one read-only source directory."""
    root = tmp_path_factory.mktemp("fast-src")
    enc_yaml = api.encrypt(YAML, recipients=[age_key.recipient], filename="s.yaml", search_config=False)
    (root / "enc.yaml").write_bytes(enc_yaml)
    (root / "enc.json").write_bytes(
        api.encrypt(JSON, recipients=[age_key.recipient], filename="s.json", search_config=False)
    )
    (root / "tampered.yaml").write_bytes(enc_yaml.replace(b"note_unencrypted: clear", b"note_unencrypted: edited"))
    (root / "plain.yaml").write_bytes(YAML)
    (root / "keys.txt").write_text(age_key.secret + "\n")
    (root / "adir").mkdir()
    return root


def _run(src: Path, work: Path, argv: list[str], *, force_click: bool, keys: bool, stdin: bytes) -> dict[str, object]:
    """One process in its own copy of ``src``; everything observable about the run."""
    shutil.copytree(src, work)
    home = work.parent / "home"  # shared by the twin runs: messages may name paths under it
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"),
           "PATH_REPORT": str(work.parent / f"{work.name}.report")}
    if keys:
        env["SOPS_AGE_KEY_FILE"] = str(work / "keys.txt")
    if force_click:
        env["FORCE_CLICK"] = "1"
    done = subprocess.run([sys.executable, "-c", RUNNER, "sops", "decrypt", *argv], input=stdin,
                          capture_output=True, env=env, cwd=work, timeout=60)
    written = {
        p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(work.iterdir())
        if p.is_file() and (p.name not in os.listdir(src) or p.read_bytes() != (src / p.name).read_bytes())
    }
    return {
        "code": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr.decode(),
        "files": written,
        "path": Path(env["PATH_REPORT"]).read_text(),
    }


# (id, argv, expected exit code, whether the fast path takes it, with the age key, stdin)
CASES = [
    ("yaml", ["enc.yaml"], 0, True, True, b""),
    ("json", ["enc.json"], 0, True, True, b""),
    ("extract", ["--extract", '["password"]', "enc.yaml"], 0, True, True, b""),
    ("extract-equals", ['--extract=["port"]', "enc.yaml"], 0, True, True, b""),
    ("output", ["--output", "out.yaml", "enc.yaml"], 0, True, True, b""),
    ("option-after-file", ["enc.yaml", "--output=out.yaml"], 0, True, True, b""),
    ("types", ["--input-type", "yaml", "--output-type", "json", "enc.yaml"], 0, True, True, b""),
    ("output-type-dotenv", ["--output-type=dotenv", "enc.yaml"], 0, True, True, b""),
    ("dotenv-complex-value", ["--output-type=dotenv", "enc.json"], 3, True, True, b""),
    ("in-place", ["-i", "enc.yaml"], 0, True, True, b""),
    ("in-place-long", ["--in-place", "enc.json"], 0, True, True, b""),
    ("stdin-dash", ["--input-type", "yaml", "-"], 0, True, True, b"@enc.yaml"),
    ("stdin-default", ["--input-type", "json"], 0, True, True, b"@enc.json"),
    ("filename-override", ["--filename-override", "x.json", "-"], 0, True, True, b"@enc.json"),
    ("ignore-mac", ["--ignore-mac", "tampered.yaml"], 0, True, True, b""),
    ("mac-mismatch", ["tampered.yaml"], 5, True, True, b""),
    ("missing-identity", ["enc.yaml"], 6, True, False, b""),
    ("missing-identity-output", ["--output", "out.yaml", "enc.yaml"], 6, True, False, b""),
    ("not-sops", ["plain.yaml"], 3, True, True, b""),
    ("no-such-file", ["missing.yaml"], 3, True, True, b""),
    ("wrong-input-type", ["--input-type", "json", "enc.yaml"], 3, True, True, b""),
    ("bad-extract", ["--extract", '["nope"]', "enc.yaml"], 3, True, True, b""),
    ("config-missing", ["--config", "none.yaml", "enc.yaml"], 3, True, True, b""),
    # Declined by the fast parser: click words these, on both runs.
    ("bad-flag", ["--bogus", "enc.yaml"], 2, False, True, b""),
    ("bad-choice", ["--input-type", "toml", "enc.yaml"], 2, False, True, b""),
    ("flag-with-value", ["--ignore-mac=yes", "enc.yaml"], 2, False, True, b""),
    ("missing-value", ["enc.yaml", "--output"], 2, False, True, b""),
    ("two-files", ["enc.yaml", "enc.json"], 2, False, True, b""),
    ("output-is-dir", ["--output", "adir", "enc.yaml"], 2, False, True, b""),
    ("in-place-stdin", ["-i", "--input-type", "yaml"], 2, False, True, b"@enc.yaml"),
    ("help", ["--help"], 0, False, True, b""),
    ("short-help", ["-h"], 0, False, True, b""),
    ("repeated", ["--output-type", "json", "--output-type", "yaml", "enc.yaml"], 0, False, True, b""),
    ("double-dash", ["--", "enc.yaml"], 0, False, True, b""),
]


@pytest.mark.parametrize(("argv", "code", "fast", "keys", "stdin"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fast_path_matches_click(
    files: Path, tmp_path: Path, argv: list[str], code: int, fast: bool, keys: bool, stdin: bytes
) -> None:
    data = (files / stdin[1:].decode()).read_bytes() if stdin.startswith(b"@") else stdin
    ours = _run(files, tmp_path / "fast", argv, force_click=False, keys=keys, stdin=data)
    theirs = _run(files, tmp_path / "click", argv, force_click=True, keys=keys, stdin=data)
    assert theirs["path"] == "click"
    assert ours["path"] == ("fast" if fast else "click")
    assert ours == {**theirs, "path": ours["path"]}
    assert ours["code"] == code, ours["stderr"]
    assert "Traceback" not in str(ours["stderr"]) and SECRET.decode() not in str(ours["stderr"])
    if code:
        assert not ours["files"], "a failed run must leave no output file"


def test_fast_path_output_is_the_plaintext(files: Path, tmp_path: Path) -> None:
    """The parity above is not parity in nonsense: the fast path really decrypts (0600 --output)."""
    done = _run(files, tmp_path / "w", ["--output", "out.yaml", "enc.yaml"], force_click=False, keys=True, stdin=b"")
    assert done["path"] == "fast" and done["files"] == {"out.yaml": (YAML, 0o600)}
    extracted = _run(files, tmp_path / "x", ["--extract", '["password"]', "enc.yaml"], force_click=False, keys=True,
                     stdin=b"")
    assert extracted["stdout"] == SECRET


def test_parser_reads_the_table(tmp_path: Path) -> None:
    """Every flag in DECRYPT_OPTIONS parses to its destination; the FILE default is stdin."""
    assert parse_decrypt([], {}) == {**{o.dest: o.default for o in DECRYPT_OPTIONS}, "file": "-"}
    for option in DECRYPT_OPTIONS:
        argv = [f"--{option.long}"] if option.kind == "flag" else [f"--{option.long}", "json"]
        parsed = parse_decrypt([*argv, "f.yaml"], {})
        assert parsed is not None, option.long
        assert parsed[option.dest] == (True if option.kind == "flag" else "json")
    assert parse_decrypt(["f.yaml"], {"_SEALER_COMPLETE": "bash_complete"}) is None  # click answers completion


def test_decrypt_imports_neither_click_nor_ruamel_nor_kubernetes(files: Path, tmp_path: Path) -> None:
    """The hot verb's budget: click (~27 ms), ruamel.yaml and kubernetes are never loaded for YAML or JSON."""
    code = (
        "import sys\n"
        "from sealer.cli.main import run\n"
        "codes = [run(['sops', 'decrypt', '--output', sys.argv[1] + '.out', sys.argv[1]]) for _ in [0]]\n"
        "heavy = ['click', 'kubernetes', 'yaml', 'sealer.cli.group', 'sealer.cli.sops', 'platform', 'uuid',\n"
        "         'datetime', 'urllib.request']\n"
        "found = [m for m in sys.modules if m.split('.')[0] == 'ruamel' or m in heavy]\n"
        "print(codes[0], sorted(found))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "SOPS_AGE_KEY_FILE": str(files / "keys.txt")}
    for name in ("enc.yaml", "enc.json"):
        source = tmp_path / name
        shutil.copy(files / name, source)
        done = subprocess.run([sys.executable, "-c", code, str(source)], capture_output=True, env=env, cwd=tmp_path,
                              timeout=60)
        assert done.stdout.decode().strip() == "0 []", (name, done.stdout, done.stderr.decode())
        out = (tmp_path / f"{name}.out").read_bytes()
        assert out == YAML if name.endswith("yaml") else json.loads(out) == json.loads(JSON)


def _interrupted_while_reading_stdin(tmp_path: Path, *, force_click: bool) -> tuple[int, bytes, bytes, str]:
    """Ctrl-C while ``sealer sops decrypt -`` waits on stdin: (exit code, stdout, stderr, which path ran)."""
    report = tmp_path / f"interrupt-{force_click}.report"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PATH_REPORT": str(report),
           **({"FORCE_CLICK": "1"} if force_click else {})}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "sops", "decrypt", "--input-type", "yaml", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wchan = Path(f"/proc/{proc.pid}/wchan")
        if not wchan.exists():
            pytest.skip("needs /proc/PID/wchan to know the process is blocked reading stdin")
        deadline = time.monotonic() + 30
        while "pipe" not in wchan.read_text():  # blocked in read(0): Python's SIGINT handler is in place
            assert time.monotonic() < deadline, "sealer never started reading stdin"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, out, err, report.read_text()


def test_ctrl_c_ends_both_paths_alike(tmp_path: Path) -> None:
    fast = _interrupted_while_reading_stdin(tmp_path, force_click=False)
    slow = _interrupted_while_reading_stdin(tmp_path, force_click=True)
    assert fast == (1, b"", b"\naborted\n", "fast")
    assert slow == (1, b"", b"\naborted\n", "click")
