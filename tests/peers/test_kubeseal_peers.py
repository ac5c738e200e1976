"""Interop both directions with independent kubeseal-format implementations, through the real `sealer` script."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from ruamel.yaml import YAML

from sealer.crypto import rsa_keys
from sealer.keys import key_secrets
from sealer.keys.keyring import SealingKey
from tests.support.cli_env import isolated_cli_environ

from .conftest import Peer

VALUES = {"password": "correct horse battery staple", "token": "tök€n-✓", "multi": "line1\nline2\n"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _sealer(sealer_bin: Path, *args: str, stdin: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(sealer_bin), *args], input=stdin, capture_output=True,
                          env=isolated_cli_environ(tmp_path), timeout=60)


@pytest.fixture(params=["rsa2048", "rsa4096"])
def key(request: pytest.FixtureRequest, other_rsa_key: rsa.RSAPrivateKey, sealing_key: SealingKey) -> SealingKey:
    if request.param == "rsa4096":
        return sealing_key  # the controller's real key size
    return SealingKey(other_rsa_key, rsa_keys.self_signed_certificate(other_rsa_key), name="k2048")


@pytest.fixture
def files(tmp_path: Path, key: SealingKey) -> dict[str, Path]:
    assert key.certificate is not None
    cert = tmp_path / "cert.pem"
    cert.write_bytes(rsa_keys.certificate_to_pem(key.certificate))
    backup = tmp_path / "keys.json"  # a key Secret backup, JSON this time
    backup.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        key_secrets.key_to_secret(key, namespace="kube-system", name="sealed-secrets-keyabcde")]}))
    return {"cert": cert, "backup": backup}


def _sealed_secret(name: str, namespace: str, items: dict[str, str], scope_annotation: str | None) -> bytes:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if scope_annotation:
        meta["annotations"] = {f"sealedsecrets.bitnami.com/{scope_annotation}": "true"}
    return json.dumps({
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": meta,
        "spec": {"encryptedData": items, "template": {"metadata": dict(meta), "type": "Opaque"}},
    }).encode()


def _recover(sealer_bin: Path, files: dict[str, Path], sealed: bytes, tmp_path: Path) -> dict[str, str]:
    proc = _sealer(sealer_bin, "seal", "--recovery-unseal", "--recovery-private-key", str(files["backup"]),
                   stdin=sealed, tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    return {k: base64.b64decode(v).decode() for k, v in json.loads(proc.stdout)["data"].items()}


def _seal_with_sealer(sealer_bin: Path, files: dict[str, Path], tmp_path: Path, *extra: str) -> dict[str, Any]:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app", "namespace": "prod"},
              "data": {k: _b64(v) for k, v in VALUES.items()}}
    proc = _sealer(sealer_bin, "seal", "--cert", str(files["cert"]), *extra, stdin=json.dumps(secret).encode(),
                   tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    return dict(YAML(typ="safe").load(proc.stdout))  # JSON or YAML (-o yaml)


# --- peer seals, sealer recovers -----------------------------------------------------------------

@pytest.mark.parametrize(("label", "annotation"), [("prod/app", None), (None, "cluster-wide"),
                                                   ("prod", "namespace-wide")])
def test_aes_gcm_rsa_oaep_sealed_values_recover_with_sealer(
    py_peer: Peer, sealer_bin: Path, files: dict[str, Path], key: SealingKey, tmp_path: Path,
    label: str | None, annotation: str | None,
) -> None:
    assert key.certificate is not None
    sealed = py_peer({"op": "encrypt", "key_pem": rsa_keys.certificate_to_pem(key.certificate).decode(),
                      "label": label, "items": {k: _b64(v) for k, v in VALUES.items()}})["items"]
    assert _recover(sealer_bin, files, _sealed_secret("app", "prod", sealed, annotation), tmp_path) == VALUES


def test_linode_sealed_values_recover_with_sealer(
    linode_peer: Peer, sealer_bin: Path, files: dict[str, Path], key: SealingKey, tmp_path: Path
) -> None:
    spki = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    sealed = linode_peer({"public_key_pem": spki, "namespace": "prod", "items": VALUES})["items"]
    expected_prefix = "Ag" if key.private_key.key_size == 4096 else "AQ"
    assert all(v.startswith(expected_prefix) for v in sealed.values())
    recovered = _recover(sealer_bin, files, _sealed_secret("app", "prod", sealed, "namespace-wide"), tmp_path)
    assert recovered == VALUES
    # Bound to the namespace: the same values under another namespace must not open.
    moved = _sealed_secret("app", "staging", sealed, "namespace-wide")
    proc = _sealer(sealer_bin, "seal", "--recovery-unseal", "--recovery-private-key", str(files["backup"]),
                   stdin=moved, tmp_path=tmp_path)
    assert proc.returncode == 4 and b"Traceback" not in proc.stderr


# --- sealer seals, peers decrypt -----------------------------------------------------------------

@pytest.mark.parametrize(("scope", "label"), [("strict", "prod/app"), ("namespace-wide", "prod"),
                                              ("cluster-wide", None)])
def test_sealer_values_decrypt_with_aes_gcm_rsa_oaep(
    py_peer: Peer, sealer_bin: Path, files: dict[str, Path], key: SealingKey, tmp_path: Path,
    scope: str, label: str | None,
) -> None:
    doc = _seal_with_sealer(sealer_bin, files, tmp_path, "--scope", scope)
    pem = rsa_keys.private_key_to_pem(key.private_key).decode()
    out = py_peer({"op": "decrypt", "key_pem": pem, "label": label, "items": doc["spec"]["encryptedData"]})
    assert {k: base64.b64decode(v).decode() for k, v in out["items"].items()} == VALUES


@pytest.mark.parametrize(("scope", "label"), [("strict", "prod/app"), ("namespace-wide", "prod"),
                                              ("cluster-wide", "")])
def test_sealer_values_decrypt_with_webcrypto(
    webcrypto_peer: Peer, sealer_bin: Path, files: dict[str, Path], key: SealingKey, tmp_path: Path,
    scope: str, label: str,
) -> None:
    doc = _seal_with_sealer(sealer_bin, files, tmp_path, "--scope", scope, "-o", "yaml")
    pkcs8 = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    out = webcrypto_peer({"private_key_pkcs8_pem": pkcs8, "label": label, "items": doc["spec"]["encryptedData"]})
    assert {k: base64.b64decode(v).decode() for k, v in out["items"].items()} == VALUES


def test_sealer_raw_value_decrypts_with_peer(
    py_peer: Peer, sealer_bin: Path, files: dict[str, Path], key: SealingKey, tmp_path: Path
) -> None:
    proc = _sealer(sealer_bin, "seal", "--cert", str(files["cert"]), "--raw", "--name", "app", "-n", "prod",
                   stdin=b"raw value, no newline", tmp_path=tmp_path)
    assert proc.returncode == 0 and not proc.stdout.endswith(b"\n")
    pem = rsa_keys.private_key_to_pem(key.private_key).decode()
    out = py_peer({"op": "decrypt", "key_pem": pem, "label": "prod/app", "items": {"v": proc.stdout.decode()}})
    assert base64.b64decode(out["items"]["v"]) == b"raw value, no newline"


def _spec_decrypt(private_key: rsa.RSAPrivateKey, value: str, label: bytes) -> bytes:
    """The format, written here from its description only (no sealer code)."""
    blob = base64.b64decode(value)
    n = int.from_bytes(blob[:2], "big")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
    session_key = private_key.decrypt(blob[2 : 2 + n], oaep)
    assert len(session_key) == 32
    return AESGCM(session_key).decrypt(b"\x00" * 12, blob[2 + n :], None)


def test_sealer_values_match_the_spec_and_labels_bind(
    sealer_bin: Path, files: dict[str, Path], key: SealingKey, tmp_path: Path
) -> None:
    labels = {"strict": b"prod/app", "namespace-wide": b"prod", "cluster-wide": b""}
    for scope, label in labels.items():
        doc = _seal_with_sealer(sealer_bin, files, tmp_path, "--scope", scope)
        for name, value in doc["spec"]["encryptedData"].items():
            assert _spec_decrypt(key.private_key, value, label).decode() == VALUES[name]
            for other in set(labels.values()) - {label}:
                with pytest.raises(ValueError):
                    _spec_decrypt(key.private_key, value, other)
