#!/usr/bin/env python3
"""Set up and run sealer from a fresh machine that has only python3 (stdlib only).

    python3 dev.py demo    # set up, then seal/unseal on an embedded default (no cluster)
    python3 dev.py test    # set up, then lint, type-check and run the whole test suite
    python3 dev.py setup   # set up only
    python3 dev.py bench   # set up, then run every benchmark under bench/

Setup creates .venv, installs the project with its test peers (real sops,
kubectl with kustomize, the KMock emulator, Helm's engine), and, when running
as root on Debian, the system tools some tests need (age, etcd), and the
independent kubeseal-format peers (.venv-peers, .peers/node; gitignored). It is
idempotent and skips work whose inputs have not changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".sealer-setup-stamp"
APT_PACKAGES = {"age": "age", "etcd": "etcd-server", "etcdctl": "etcd-client"}


def sh(*cmd: str | os.PathLike[str], check: bool = True, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=check, env=env).returncode


def setup_venv() -> None:
    if not (BIN / "python").exists():
        sh(sys.executable, "-m", "venv", VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    sh(BIN / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    sh(BIN / "python", "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]")
    static_source_paths()
    STAMP.write_text(digest)


# The package roots of pyproject.toml's [tool.setuptools.packages.find] `where`.
SOURCE_ROOTS = (ROOT, ROOT / "controller", ROOT / "kustomize-plugin")


def static_source_paths() -> None:
    """Point the editable install at the source roots with a plain path list.

    setuptools' editable finder (a meta-path hook it installs for layouts with several
    source roots) costs ~10 ms at every interpreter start, a sixth of a `sealer seal`;
    an installed wheel costs nothing there. A .pth of directories gives the same imports
    for the price of a wheel. New modules are picked up without reinstalling, as before.
    """
    for pth in (VENV / "lib").glob("python3*/site-packages/__editable__.sealer-*.pth"):
        pth.write_text("".join(f"{root}\n" for root in SOURCE_ROOTS))
        for finder in pth.parent.glob("__editable___sealer_*_finder.py"):
            finder.unlink()


def setup_system_tools() -> None:
    missing = [pkg for tool, pkg in APT_PACKAGES.items() if shutil.which(tool) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"note: system packages {missing} are missing and cannot be installed here; "
              "tests that need them will say so", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh("apt-get", "update", "-qq", env=env)
    sh("apt-get", "install", "-y", "-qq", *missing, env=env)


PEERS_VENV = ROOT / ".venv-peers"
NODE_PEERS = ROOT / ".peers" / "node"
PY_PEERS = ["aes-gcm-rsa-oaep==0.1.0"]  # pins cryptography 37: kept out of .venv
NODE_PEER_PACKAGES = ["@linode/kubeseal-encrypt@1.0.1"]


def setup_peers() -> None:
    """Independent kubeseal-format implementations the interop tests run (tests/peers/)."""
    stamp = PEERS_VENV / ".sealer-peers-stamp"
    if not (stamp.exists() and stamp.read_text() == repr(PY_PEERS)):
        if not (PEERS_VENV / "bin" / "python").exists():
            sh(sys.executable, "-m", "venv", PEERS_VENV)
        if sh(PEERS_VENV / "bin" / "python", "-m", "pip", "install", "-q", *PY_PEERS, check=False) == 0:
            stamp.write_text(repr(PY_PEERS))
    npm = shutil.which("npm")
    marker = NODE_PEERS / "node_modules" / "@linode" / "kubeseal-encrypt" / "package.json"
    if npm is None:
        print("note: npm is missing; the Node interop peer cannot be installed", flush=True)
    elif not marker.exists():
        NODE_PEERS.mkdir(parents=True, exist_ok=True)
        package = NODE_PEERS / "package.json"
        if not package.exists():
            package.write_text('{"name": "sealer-test-peers", "private": true}\n')
        sh(npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", NODE_PEERS, *NODE_PEER_PACKAGES,
           check=False)


def venv_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    return env


def cmd_demo(args: list[str]) -> int:
    setup_venv()
    rc = sh(BIN / "sealer", "demo", *args, check=False, env=venv_env())
    # Then the in-cluster loop: the real controller on an emulated API server (key, cert over HTTP, unseal).
    return rc or sh(BIN / "sealer-controller", "demo", check=False, env=venv_env())


def cmd_test(args: list[str]) -> int:
    setup_venv()
    setup_system_tools()
    setup_peers()
    env = venv_env()
    os.chdir(ROOT)
    for check in (
        [BIN / "ruff", "check", "."],
        [BIN / "mypy"],
        [BIN / "lint-imports"],
    ):
        if sh(*check, check=False, env=env) != 0:
            print(f"FAILED: {' '.join(map(str, check))}", flush=True)
            return 1
    # Spread over every core (2 in CI) unless the caller chose a worker count.
    workers = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) else ["-n", "auto"]
    return sh(BIN / "python", "-m", "pytest", *workers, *args, check=False, env=env)


def cmd_bench(args: list[str]) -> int:
    setup_venv()
    setup_system_tools()
    rc = 0
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        rc |= sh(BIN / "python", script, *args, check=False, env=venv_env())
    return rc


def main() -> int:
    verb, *rest = sys.argv[1:] or ["demo"]
    if verb == "setup":
        setup_venv()
        setup_system_tools()
        setup_peers()
        return 0
    commands = {"demo": cmd_demo, "test": cmd_test, "bench": cmd_bench}
    if verb not in commands:
        print(__doc__)
        return 2
    return commands[verb](rest)


if __name__ == "__main__":
    sys.exit(main())
