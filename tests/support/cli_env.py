"""Keep the developer's own kubeseal settings out of CLI tests.

``SEALED_SECRETS_*`` variables and a real ``KUBECONFIG`` would change which
controller, namespace or certificate a command uses; every CLI test must see
neither, whether it runs the CLI in-process or as a subprocess.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

__all__ = ["isolate_cli_env", "isolated_cli_environ", "write_token_kubeconfig"]

_PREFIX = "SEALED_SECRETS_"
_NO_KUBECONFIG = "no-kubeconfig"


def isolate_cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """For an in-process run: unset ``SEALED_SECRETS_*``; ``KUBECONFIG`` names a file that does not exist."""
    for name in list(os.environ):
        if name.startswith(_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / _NO_KUBECONFIG))


def isolated_cli_environ(tmp_path: Path) -> dict[str, str]:
    """For a subprocess: this environment without ``SEALED_SECRETS_*``, with the same missing ``KUBECONFIG``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PREFIX)}
    env["KUBECONFIG"] = str(tmp_path / _NO_KUBECONFIG)
    return env


def write_token_kubeconfig(path: Path, *, server: str, token: str, namespace: str | None = None,
                           certificate_authority_data: str | None = None) -> Path:
    """A kubeconfig with one context: ``server`` reached with a bearer ``token`` (the fake API servers' way)."""
    cluster: dict[str, str] = {"server": server}
    if certificate_authority_data is not None:
        cluster["certificate-authority-data"] = certificate_authority_data
    context = {"cluster": "c", "user": "u", **({"namespace": namespace} if namespace is not None else {})}
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "test", "context": context}],
    }))
    return path
