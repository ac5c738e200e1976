"""The RSA pool's default size: the CPUs the process may use, capped by a cgroup CPU limit (not the node's count)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sealer_controller.__main__ import build_parser, settings_from_args
from sealer_controller.settings import usable_cpus

from sealer.errors import InputError


def v2(tmp_path: Path, text: str) -> Path:
    (tmp_path / "cpu.max").write_text(text)
    return tmp_path


def v1(tmp_path: Path, quota: str, period: str) -> Path:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text(quota)
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text(period)
    return tmp_path


@pytest.mark.parametrize(("cpu_max", "expected"), [
    ("200000 100000\n", 2),  # limits.cpu: 2
    ("150000 100000\n", 2),  # 1.5 CPUs: a second thread still gets half a CPU
    ("50000 100000\n", 1),   # 500m
    ("max 100000\n", 16),    # no limit: the affinity
    ("6400000 100000\n", 16),  # a limit above the CPUs we may run on
    ("garbage\n", 16),
])
def test_cgroup_v2_limit(tmp_path: Path, cpu_max: str, expected: int) -> None:
    assert usable_cpus(cgroup_root=v2(tmp_path, cpu_max), affinity=16) == expected


def test_cgroup_v1_limit(tmp_path: Path) -> None:
    assert usable_cpus(cgroup_root=v1(tmp_path, "300000", "100000"), affinity=64) == 3


def test_cgroup_v1_without_limit(tmp_path: Path) -> None:
    assert usable_cpus(cgroup_root=v1(tmp_path, "-1", "100000"), affinity=8) == 8


def test_no_cgroup_files_means_the_affinity(tmp_path: Path) -> None:
    assert usable_cpus(cgroup_root=tmp_path, affinity=4) == 4
    assert usable_cpus(cgroup_root=tmp_path) >= 1  # this machine's real affinity


def test_the_flag_overrides_and_is_checked() -> None:
    parser = build_parser()
    assert settings_from_args(parser.parse_args(["--rsa-workers=3"])).rsa_workers == 3
    assert settings_from_args(parser.parse_args([])).rsa_workers == usable_cpus()
    for bad in ("0", "two"):
        with pytest.raises(InputError, match="--rsa-workers"):
            settings_from_args(parser.parse_args([f"--rsa-workers={bad}"]))
