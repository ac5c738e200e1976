"""The facade sealer.api.sealedsecrets: bytes in, bytes out, keyword-only, no click."""

from __future__ import annotations

import base64
import json

import pytest
from ruamel.yaml import YAML

from sealer.api import sealedsecrets as api
from sealer.crypto import rsa_keys
from sealer.errors import FormatError, InputError, KeyNotFoundError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.scope import Scope
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys import key_secrets
from sealer.keys.keyring import KeyRing, SealingKey

SECRET = b"apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData: {a: one, b: two}\n"


@pytest.fixture
def cert_pem(key2048: SealingKey) -> bytes:
    assert key2048.certificate is not None
    return rsa_keys.certificate_to_pem(key2048.certificate)


def test_area_is_reachable_from_the_package() -> None:
    import sealer.api

    assert sealer.api.seal is api.seal
    assert "seal" in api.__all__


def test_seal_unseal_round_trip_bytes(cert_pem: bytes, key2048: SealingKey) -> None:
    sealed = api.seal(SECRET, certificate=cert_pem, output_format="yaml", scope=Scope.NAMESPACE_WIDE)
    assert sealed.startswith(b"---\n")
    plain = api.unseal(sealed, private_keys=[key2048])
    doc = json.loads(plain)
    assert {k: base64.b64decode(v) for k, v in doc["data"].items()} == {"a": b"one", "b": b"two"}
    with pytest.raises(InputError, match="unsupported output format"):
        api.seal(SECRET, certificate=cert_pem, output_format="xml")


def test_offline_reencrypt_to_newest_key(cert_pem: bytes, key2048: SealingKey, second_key: SealingKey) -> None:
    sealed = api.seal(SECRET, certificate=cert_pem)
    rotated = api.reencrypt(sealed, private_keys=[key2048, second_key])
    got = decrypt_values(SealedSecret.from_dict(json.loads(rotated)), KeyRing.of([second_key]))
    assert got.values == {"a": b"one", "b": b"two"} and got.fingerprints == {second_key.fingerprint}


def test_load_private_keys_forms(key2048: SealingKey, second_key: SealingKey) -> None:
    pem = rsa_keys.private_key_to_pem(key2048.private_key)
    assert [k.fingerprint for k in api.load_private_keys(pem)] == [key2048.fingerprint]
    one = json.dumps(key_secrets.key_to_secret(key2048, namespace="kube-system", name="k1")).encode()
    assert [k.fingerprint for k in api.load_private_keys(one)] == [key2048.fingerprint]
    both = b"\n---\n".join(
        json.dumps(key_secrets.key_to_secret(k, namespace="kube-system", name=k.name)).encode()
        for k in (key2048, second_key)
    )
    assert len(api.load_private_keys(both)) == 2
    with pytest.raises(KeyNotFoundError, match="no private key found"):
        api.load_private_keys(b"apiVersion: v1\nkind: ConfigMap\n")


def test_merge_into_rejects_multi_document_targets(cert_pem: bytes) -> None:
    sealed = api.seal(SECRET, certificate=cert_pem, output_format="yaml")
    with pytest.raises(FormatError, match="2 documents"):
        api.merge_into(sealed + sealed, SECRET, certificate=cert_pem)
    with pytest.raises(FormatError, match="not a SealedSecret"):
        api.merge_into(SECRET, SECRET, certificate=cert_pem)


def test_merge_into_explicit_scope_and_template_metadata(cert_pem: bytes, key2048: SealingKey) -> None:
    sealed = api.seal(SECRET, certificate=cert_pem, output_format="yaml")
    update = b"kind: Secret\nmetadata:\n  labels:\n    tier: web\nstringData:\n  c: three\n"
    merged = YAML(typ="safe").load(api.merge_into(sealed, update, certificate=cert_pem))
    assert merged["spec"]["template"]["metadata"]["labels"] == {"tier": "web"}
    assert decrypt_values(SealedSecret.from_dict(merged), KeyRing.of([key2048])).values["c"] == b"three"
