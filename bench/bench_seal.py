#!/usr/bin/env python3
"""Whole-process `sealer seal` of a 3-key Secret with an offline cert, against `sops encrypt` of the same file.

Both tools run as separate processes, interleaved (sealer, sops, sealer, sops, ...) so that machine noise
hits both alike; the figure is the median wall time of each, and their ratio. The certificate is an
RSA-4096 one made as the Sealed Secrets controller makes it; sops encrypts to one age recipient, as in a
typical KSOPS setup. Targets (issue 2): sealer median <= 150 ms and sealer/sops <= 1.5.

    python3 dev.py bench            # or: .venv/bin/python bench/bench_seal.py [--runs N] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: app-credentials
  namespace: prod
type: Opaque
stringData:
  username: app
  password: s3cr3t-passw0rd-for-bench
  api-token: tok_0123456789abcdef0123456789abcdef
"""
TARGET_MS, TARGET_RATIO = 150.0, 1.5


def _tools() -> tuple[Path, Path, str]:
    bindir = Path(sys.executable).parent
    sealer, sops = bindir / "sealer", bindir / "sops"
    for tool in (sealer, sops):
        if not tool.exists():
            sys.exit(f"missing {tool}: run 'python3 dev.py setup'")
    keygen = shutil.which("age-keygen")
    return sealer, sops, keygen or ""


def _age_recipient(workdir: Path, keygen: str) -> str:
    if keygen:
        key = workdir / "age.key"
        subprocess.run([keygen, "-o", str(key)], check=True, capture_output=True)
        for line in key.read_text().splitlines():
            if line.startswith("# public key: "):
                return line.split(": ", 1)[1].strip()
    import pyrage

    return str(pyrage.x25519.Identity.generate().to_public())


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {proc.stderr.decode().strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="measured runs of each tool (default 40)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sealer.crypto import rsa_keys

    sealer, sops, keygen = _tools()
    with tempfile.TemporaryDirectory(prefix="bench-seal-") as tmp:
        workdir = Path(tmp)
        key = rsa_keys.generate_private_key(4096)
        cert = workdir / "cert.pem"
        cert.write_bytes(rsa_keys.certificate_to_pem(rsa_keys.self_signed_certificate(key)))
        secret = workdir / "secret.yaml"
        secret.write_text(SECRET)
        recipient = _age_recipient(workdir, keygen)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SEALED_SECRETS_", "SOPS_"))}
        env["KUBECONFIG"] = str(workdir / "no-kubeconfig")
        commands = {
            "sealer seal": [str(sealer), "seal", "--cert", str(cert), "-f", str(secret)],
            "sops encrypt": [str(sops), "encrypt", "--age", recipient, str(secret)],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.warmup):
            for cmd in commands.values():
                _time(cmd, env)
        for _ in range(args.runs):
            for name, cmd in commands.items():
                samples[name].append(_time(cmd, env))

    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    ratio = medians["sealer seal"] / medians["sops encrypt"]
    for name, values in samples.items():
        ms = sorted(v * 1000 for v in values)
        print(f"{name:13} median {medians[name]:6.1f} ms   min {ms[0]:6.1f}   p90 {ms[int(len(ms) * 0.9) - 1]:6.1f}"
              f"   ({len(ms)} runs)")
    print(f"ratio sealer/sops {ratio:.2f}   (targets: sealer <= {TARGET_MS:.0f} ms, ratio <= {TARGET_RATIO})")
    print(json.dumps({"bench": "seal", "sealer_ms": round(medians["sealer seal"], 1),
                      "sops_ms": round(medians["sops encrypt"], 1), "ratio": round(ratio, 3),
                      "runs": args.runs, "cpus": os.cpu_count()}))
    missed = medians["sealer seal"] > TARGET_MS or ratio > TARGET_RATIO
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
