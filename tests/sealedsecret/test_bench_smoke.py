"""bench/bench_seal.py runs end to end (two runs each; the figures themselves come from `python3 dev.py bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_seal.py"


def test_bench_runs_and_reports_both_tools() -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--runs", "2", "--warmup", "0"], capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    assert report["bench"] == "seal" and report["sealer_ms"] > 0 and report["sops_ms"] > 0
    assert abs(report["ratio"] - report["sealer_ms"] / report["sops_ms"]) < 0.01
