"""Keep the developer's own kubeseal settings out of CLI tests.

``SEALED_SECRETS_*`` variables and a real ``KUBECONFIG`` would change which
controller, namespace or certificate a command uses; every CLI test must see
neither, whether it runs the CLI in-process or as a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["isolate_cli_env", "isolated_cli_environ"]

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
