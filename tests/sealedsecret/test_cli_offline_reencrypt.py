"""``sealer seal --re-encrypt --recovery-private-key KEY --cert NEW``: re-sealing offline, no controller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sealer.crypto import rsa_keys
from sealer.errors import DecryptionError
from sealer.formats import manifests
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.seal import seal_secret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing, SealingKey

from .conftest import CLI

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "db",
        "namespace": "shop",
        "labels": {"app": "shop"},
        "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"},
    },
    "type": "kubernetes.io/basic-auth",
    "stringData": {"username": "admin-offline-1", "password": "pw-offline-8f2e"},
}
VALUES = {"username": b"admin-offline-1", "password": b"pw-offline-8f2e"}


def _cert_file(tmp_path: Path, key: SealingKey, name: str) -> Path:
    assert key.certificate is not None
    path = tmp_path / name
    path.write_bytes(rsa_keys.certificate_to_pem(key.certificate))
    return path


def _sealed_yaml(key: SealingKey) -> bytes:
    assert key.certificate is not None
    doc = seal_secret(SECRET, key.certificate)
    doc["spec"]["futureField"] = {"keep": ["me", 1]}  # a field this version does not know
    doc["spec"]["template"]["data"] = {"dsn": "postgres://{{ .username }}@db"}
    body = manifests.dump_yaml(doc).decode().replace("  encryptedData:\n", "  encryptedData:  # rotated yearly\n")
    assert body.startswith("---\n")
    return ("---\n# managed by gitops: do not edit by hand\n" + body[4:]).encode()


def test_in_place_reseals_for_the_new_cert_only_and_keeps_the_rest(
    sealer_cli: CLI, tmp_path: Path, key2048: SealingKey, second_key: SealingKey, key_file: Path
) -> None:
    path = tmp_path / "db.yaml"
    path.write_bytes(_sealed_yaml(key2048))
    before_text = path.read_text()
    before = manifests.load_documents(before_text)[0]
    new_cert = _cert_file(tmp_path, second_key, "new.pem")
    res = sealer_cli("seal", "--re-encrypt", "--recovery-private-key", str(key_file), "--cert", str(new_cert),
                     "-f", str(path))
    assert res.code == 0, res.err
    assert res.out == b"" and res.err == ""
    text = path.read_text()
    # The file is edited, not rewritten: its comments, its unknown field, its template stay.
    assert text.startswith("---\n# managed by gitops: do not edit by hand\napiVersion: "), text
    assert "encryptedData:  # rotated yearly\n" in text
    changed = [(a, b) for a, b in zip(before_text.splitlines(), text.splitlines(), strict=True) if a != b]
    assert [a.split(":")[0] for a, _ in changed] == ["    password", "    username"], changed
    after = manifests.load_documents(text)[0]
    assert after["spec"]["futureField"] == {"keep": ["me", 1]}
    assert after["spec"]["template"] == before["spec"]["template"]
    assert after["metadata"] == before["metadata"]
    assert list(after["spec"]["encryptedData"]) == list(before["spec"]["encryptedData"])
    assert after["spec"]["encryptedData"] != before["spec"]["encryptedData"]
    ss = SealedSecret.from_dict(after)
    # Opens with the new key only, and still for its namespace-wide scope.
    opened = decrypt_values(ss, KeyRing.of([second_key]))
    assert opened.values == VALUES and opened.fingerprints == {second_key.fingerprint}
    with pytest.raises(DecryptionError):
        decrypt_values(ss, KeyRing.of([key2048]))
    renamed = SealedSecret.from_dict(dict(after, metadata={**after["metadata"], "name": "other"}))
    assert decrypt_values(renamed, KeyRing.of([second_key])).values == VALUES  # namespace-wide: any name


def test_to_stdout_or_another_file_in_the_asked_format(
    sealer_cli: CLI, tmp_path: Path, key2048: SealingKey, second_key: SealingKey, key_backup: Path
) -> None:
    """A key backup (a kubectl List of key Secrets) works as the key; -o/-w choose the output format."""
    src = tmp_path / "db.yaml"
    src.write_bytes(_sealed_yaml(key2048))
    original = src.read_bytes()
    new_cert = _cert_file(tmp_path, second_key, "new.pem")
    args = ["seal", "--re-encrypt", "--recovery-private-key", str(key_backup), "--cert", str(new_cert)]
    as_json = sealer_cli(*args, "-o", "json", stdin=original)
    assert as_json.code == 0, as_json.err
    doc = json.loads(as_json.out)
    assert decrypt_values(SealedSecret.from_dict(doc), KeyRing.of([second_key])).values == VALUES
    out = tmp_path / "rotated.json"
    to_file = sealer_cli(*args, "-f", str(src), "-w", str(out))
    assert to_file.code == 0, to_file.err
    assert json.loads(out.read_bytes())["spec"]["futureField"] == {"keep": ["me", 1]}
    assert src.read_bytes() == original  # -w elsewhere leaves the input alone


def test_refuses_when_a_value_does_not_open(
    sealer_cli: CLI, tmp_path: Path, key2048: SealingKey, second_key: SealingKey, key_file: Path,
    other_key_file: Path,
) -> None:
    new_cert = _cert_file(tmp_path, second_key, "new.pem")
    # One item sealed with the key we have, one with a key we do not pass.
    assert key2048.certificate is not None and second_key.certificate is not None
    mixed = seal_secret(SECRET, key2048.certificate)
    mixed["spec"]["encryptedData"]["password"] = seal_secret(SECRET, second_key.certificate)["spec"][
        "encryptedData"]["password"]
    path = tmp_path / "mixed.json"
    path.write_bytes(manifests.dump_json(mixed))
    before = path.read_bytes()
    for key in (key_file, other_key_file):
        res = sealer_cli("seal", "--re-encrypt", "--recovery-private-key", str(key), "--cert", str(new_cert),
                         "-f", str(path))
        res.assert_clean_failure(4, secrets=("admin-offline-1", "pw-offline-8f2e"))
        assert res.err.startswith("error: cannot re-encrypt offline: SealedSecret shop/db"), res.err
        failing = "'password'" if key == key_file else "'username'"
        assert failing in res.err and "--recovery-private-key" in res.err, res.err
        assert path.read_bytes() == before  # nothing written
    # With both keys it goes through.
    both = sealer_cli("seal", "--re-encrypt", "--recovery-private-key", f"{key_file},{other_key_file}",
                      "--cert", str(new_cert), "-f", str(path))
    assert both.code == 0, both.err
    opened = decrypt_values(SealedSecret.from_dict(json.loads(path.read_bytes())), KeyRing.of([second_key]))
    assert opened.values == VALUES
