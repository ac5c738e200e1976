"""Fixtures for the SealedSecret tests: 2048-bit keys (4096 only where the size is the point),
key/cert files, and the CLI run in-process through sealer.cli.main.run."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.cli.main import run
from sealer.crypto import rsa_keys
from sealer.formats.manifests import dump_yaml
from sealer.keys import key_secrets
from sealer.keys.keyring import KeyRing, SealingKey
from tests.support.cli_env import isolate_cli_env
from tests.support.ports import free_port


@pytest.fixture(scope="session")
def key2048(other_rsa_key: rsa.RSAPrivateKey) -> SealingKey:
    cert = rsa_keys.self_signed_certificate(other_rsa_key)
    return SealingKey(other_rsa_key, cert, name="sealed-secrets-keytest")


@pytest.fixture(scope="session")
def second_key() -> SealingKey:
    key = rsa_keys.generate_private_key(2048)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return SealingKey(key, rsa_keys.self_signed_certificate(key, not_before=later), name="sealed-secrets-keynext")


@pytest.fixture
def ring(key2048: SealingKey) -> KeyRing:
    return KeyRing.of([key2048])


@dataclass
class Result:
    code: int
    out: bytes
    err: str

    def assert_clean_failure(self, code: int, *, secrets: tuple[str, ...] = ()) -> None:
        """One 'error: ...' line, the right exit status, no traceback, no plaintext."""
        assert self.code == code, (self.code, self.err)
        lines = [line for line in self.err.splitlines() if not line.startswith("warning:")]
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        assert "Traceback" not in self.err
        for value in secrets:
            assert value not in self.err and value.encode() not in self.out


CLI = Callable[..., Result]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user kubeconfig, pod service account or SEALED_SECRETS_* settings leak into a test."""
    isolate_cli_env(monkeypatch, tmp_path)
    from sealer.kube import controller_proxy

    monkeypatch.setattr(controller_proxy, "SERVICE_ACCOUNT_NAMESPACE_FILE", str(tmp_path / "no-service-account"))


@pytest.fixture
def sealer_cli(monkeypatch: pytest.MonkeyPatch) -> CLI:
    def invoke(*argv: str, stdin: bytes = b"") -> Result:
        out, err = io.BytesIO(), io.StringIO()
        stdout = io.TextIOWrapper(out, write_through=True)
        with monkeypatch.context() as m:
            m.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
            m.setattr(sys, "stdout", stdout)
            m.setattr(sys, "stderr", err)
            code = run(list(argv))
        stdout.flush()
        result = Result(code, out.getvalue(), err.getvalue())
        stdout.detach()
        return result

    return invoke


@pytest.fixture
def cert_file(tmp_path: Path, key2048: SealingKey) -> Path:
    assert key2048.certificate is not None
    path = tmp_path / "cert.pem"
    path.write_bytes(rsa_keys.certificate_to_pem(key2048.certificate))
    return path


@pytest.fixture
def key_file(tmp_path: Path, key2048: SealingKey) -> Path:
    path = tmp_path / "key.pem"
    path.write_bytes(rsa_keys.private_key_to_pem(key2048.private_key))
    return path


@pytest.fixture
def other_key_file(tmp_path: Path, second_key: SealingKey) -> Path:
    path = tmp_path / "other-key.pem"
    path.write_bytes(rsa_keys.private_key_to_pem(second_key.private_key))
    return path


@pytest.fixture
def key_backup(tmp_path: Path, key2048: SealingKey, second_key: SealingKey) -> Path:
    """Both keys as 'kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml' gives them."""
    items = [
        key_secrets.key_to_secret(key2048, namespace="kube-system", name="sealed-secrets-keyaaaa"),
        key_secrets.key_to_secret(second_key, namespace="kube-system", name="sealed-secrets-keybbbb"),
    ]
    path = tmp_path / "backup.yaml"
    backup = {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}
    path.write_bytes(dump_yaml(backup))
    return path


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    return free_port()
