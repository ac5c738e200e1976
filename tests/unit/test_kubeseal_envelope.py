from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.crypto import kubeseal_envelope as env
from sealer.errors import DecryptionError, InputError
from sealer.formats.sealedsecret.scope import Scope, encryption_label, scope_from_annotations
from sealer.keys.keyring import KeyRing, SealingKey


def test_round_trip_and_layout(rsa_key: rsa.RSAPrivateKey) -> None:
    ct = env.hybrid_encrypt(rsa_key.public_key(), b"s3cr3t", b"ns/name")
    assert int.from_bytes(ct[:2], "big") == 512  # RSA-4096 wrapped key
    assert len(ct) == 2 + 512 + len(b"s3cr3t") + 16
    assert base64.b64encode(ct).startswith(b"Ag")  # as every 4096-bit kubeseal value
    assert env.hybrid_decrypt(rsa_key, ct, b"ns/name") == b"s3cr3t"


def test_fresh_session_key_per_value(rsa_key: rsa.RSAPrivateKey) -> None:
    a = env.hybrid_encrypt(rsa_key.public_key(), b"same", b"")
    b = env.hybrid_encrypt(rsa_key.public_key(), b"same", b"")
    assert a[-20:] != b[-20:]


def test_wrong_label_fails(rsa_key: rsa.RSAPrivateKey) -> None:
    ct = env.hybrid_encrypt(rsa_key.public_key(), b"x", b"ns/a")
    with pytest.raises(DecryptionError):
        env.hybrid_decrypt(rsa_key, ct, b"ns/b")


def test_tampered_payload_reported_as_tampering(sealing_key: SealingKey) -> None:
    ct = bytearray(env.hybrid_encrypt(sealing_key.private_key.public_key(), b"value", b"l"))
    ct[-1] ^= 1
    with pytest.raises(DecryptionError, match="tampered"):
        KeyRing.of([sealing_key]).decrypt(bytes(ct), b"l")


@pytest.mark.parametrize("blob", [b"", b"\x00", b"\x02\x00abc", b"\x00\x00" + b"x" * 40])
def test_truncated_envelopes(rsa_key: rsa.RSAPrivateKey, blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        env.hybrid_decrypt(rsa_key, blob, b"")


def test_keyring_prefers_and_reports_key(sealing_key: SealingKey, other_rsa_key: rsa.RSAPrivateKey) -> None:
    other = SealingKey(other_rsa_key, name="other")
    ring = KeyRing.of([other, sealing_key])
    ct = env.hybrid_encrypt(sealing_key.private_key.public_key(), b"v", b"ns")
    got = ring.decrypt(ct, b"ns", prefer=sealing_key.fingerprint)
    assert got.plaintext == b"v" and got.fingerprint == sealing_key.fingerprint
    assert ring.rsa_operations == 1  # the preferred key was tried first; the 2048-bit key skipped by size


def test_keyring_no_key(other_rsa_key: rsa.RSAPrivateKey, rsa_key: rsa.RSAPrivateKey) -> None:
    ct = env.hybrid_encrypt(rsa_key.public_key(), b"v", b"")
    with pytest.raises(DecryptionError, match="no key could decrypt"):
        KeyRing.of([SealingKey(other_rsa_key)]).decrypt(ct, b"")


def test_scope_labels() -> None:
    assert encryption_label(Scope.STRICT, "ns", "n") == b"ns/n"
    assert encryption_label(Scope.NAMESPACE_WIDE, "ns", "n") == b"ns"
    assert encryption_label(Scope.CLUSTER_WIDE, "", "") == b""
    with pytest.raises(InputError):
        encryption_label(Scope.STRICT, "", "n")
    assert scope_from_annotations({"sealedsecrets.bitnami.com/cluster-wide": "true",
                                   "sealedsecrets.bitnami.com/namespace-wide": "true"}) is Scope.CLUSTER_WIDE
    assert scope_from_annotations({"sealedsecrets.bitnami.com/namespace-wide": "True"}) is Scope.STRICT
