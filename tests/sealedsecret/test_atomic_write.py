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
