"""Independent kubeseal-format implementations, installed by `python3 dev.py setup` (never in the project venv).

- PyPI ``aes-gcm-rsa-oaep`` in ``.venv-peers`` (it pins cryptography 37, so it has its own venv);
- npm ``@linode/kubeseal-encrypt`` in ``.peers/node`` (encrypt only; ``webcrypto_decrypt.mjs`` here is an
  independent WebCrypto decryptor for the other direction).

A missing peer skips its tests with the reason, except under CI (``CI`` set), where it fails: dev.py installs
them, so a skip there would hide a broken setup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PEERS_VENV = Path(os.environ.get("SEALER_PEERS_VENV", ROOT / ".venv-peers"))
NODE_PEERS = Path(os.environ.get("SEALER_NODE_PEERS", ROOT / ".peers" / "node"))
SEALER = Path(sys.executable).with_name("sealer")

Peer = Callable[[dict[str, Any]], dict[str, Any]]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must have it: run 'python3 dev.py setup'")
    pytest.skip(f"{reason} (run 'python3 dev.py setup' to install it)")


def _run(cmd: list[str], request: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(cmd, input=json.dumps(request).encode(), capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return dict(json.loads(proc.stdout))


@pytest.fixture(scope="session")
def py_peer() -> Peer:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        _missing(f"the aes-gcm-rsa-oaep peer venv {PEERS_VENV} is missing")
    check = subprocess.run([str(python), "-c", "import aes_gcm_rsa_oaep"], capture_output=True)
    if check.returncode != 0:
        _missing("aes-gcm-rsa-oaep is not installed in the peer venv")
    return lambda request: _run([str(python), str(HERE / "aes_gcm_rsa_oaep_peer.py")], request)


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        _missing("node is not installed")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def linode_peer(node: str) -> Peer:
    if not (NODE_PEERS / "node_modules" / "@linode" / "kubeseal-encrypt" / "package.json").exists():
        _missing(f"@linode/kubeseal-encrypt is not installed under {NODE_PEERS}")
    env = dict(os.environ, SEALER_NODE_PEERS=str(NODE_PEERS))
    return lambda request: _run([node, str(HERE / "linode_encrypt.mjs")], request, env)


@pytest.fixture(scope="session")
def webcrypto_peer(node: str) -> Peer:
    return lambda request: _run([node, str(HERE / "webcrypto_decrypt.mjs")], request)


@pytest.fixture(scope="session")
def sealer_bin() -> Path:
    assert SEALER.exists(), f"console script {SEALER} missing: install the project (python3 dev.py setup)"
    return SEALER
