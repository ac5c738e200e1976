from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sealer.atomic_write import atomic_open, atomic_write


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    atomic_write(target, b"one")
    assert target.read_bytes() == b"one"
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_failure_leaves_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_bytes(b"original")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write(b"partial")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_failure_on_new_file_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "new") as handle:
        handle.write(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_modes(tmp_path: Path) -> None:
    secret = tmp_path / "plain"
    atomic_write(secret, b"x", mode=0o600)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    kept = tmp_path / "kept"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o640)
    atomic_write(kept, b"new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_temp_file_is_private_while_writing(tmp_path: Path) -> None:
    with atomic_open(tmp_path / "f", mode=0o644) as handle:
        temps = [p for p in tmp_path.iterdir() if p.name.startswith(".f.")]
        assert len(temps) == 1
        assert stat.S_IMODE(temps[0].stat().st_mode) == 0o600
        handle.write(b"x")
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o644


def test_symlink_target_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    """`--output >(consumer)` and named pipes: the pipe gets the bytes and stays a pipe."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, b"through the pipe", mode=0o600)
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_character_device_is_written_to_not_replaced() -> None:
    """`--output /dev/null` must never put a regular file (holding the output) where the device was."""
    atomic_write("/dev/null", b"discarded", mode=0o600)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_unwritable_target_is_a_typed_error_naming_the_path(tmp_path: Path) -> None:
    from sealer.errors import OutputError

    missing = tmp_path / "no-such-dir" / "out.yaml"
    with pytest.raises(OutputError, match="no-such-dir") as caught:
        atomic_write(missing, b"secret-bytes")
    assert "secret-bytes" not in str(caught.value)
    full = Path("/dev/full")
    if full.exists() and stat.S_ISCHR(full.stat().st_mode):
        with pytest.raises(OutputError, match="/dev/full"):
            atomic_write(full, b"x" * 65536)
        assert stat.S_ISCHR(full.stat().st_mode)


def test_cli_reports_an_unwritable_output_without_traceback(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from sealer.cli.main import run
    from sealer.crypto import rsa_keys

    key = rsa_keys.generate_private_key(2048)
    cert = tmp_path / "cert.pem"
    cert.write_bytes(rsa_keys.certificate_to_pem(rsa_keys.self_signed_certificate(key)))
    secret = tmp_path / "s.yaml"
    secret.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\nstringData: {k: hunter2}\n")
    code = run(["seal", "--cert", str(cert), "-f", str(secret), "-w", str(tmp_path / "missing" / "out.json")])
    err = capsys.readouterr().err
    assert code == 3 and "cannot write" in err and "missing" in err
    assert "Traceback" not in err and "hunter2" not in err
