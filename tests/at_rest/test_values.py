"""Known-answer tests of the stored formats, against values made by independent code (tests/at_rest/independent.py)."""

from __future__ import annotations

import os

import nacl.secret
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from sealer.encryption_at_rest import k8s_object, protowire, values
from sealer.errors import DecryptionError, FormatError
from tests.at_rest import independent

ETCD_KEY = b"/registry/secrets/default/db"
OBJ = independent.secret_object("db", "default", {"password": b"s3cret"})


def _open(value: bytes, key: bytes, etcd_key: bytes = ETCD_KEY) -> bytes:
    stored = values.classify(value)
    return values.open_local(stored.provider, key, stored.body, etcd_key)


@pytest.mark.parametrize("size", [16, 24, 32])
def test_aes_providers_read_independent_values(size: int) -> None:
    key = os.urandom(size)
    assert _open(independent.aescbc("k1", key, OBJ), key) == OBJ
    assert _open(independent.aesgcm("k1", key, OBJ, ETCD_KEY), key) == OBJ


def test_prefixes_and_names() -> None:
    key = os.urandom(32)
    cases = {
        independent.aescbc("old-key", key, OBJ): ("aescbc", "v1", "old-key"),
        independent.aesgcm("g", key, OBJ, ETCD_KEY): ("aesgcm", "v1", "g"),
        independent.secretbox("box", key, OBJ): ("secretbox", "v1", "box"),
        independent.kms_v2("vault", key, OBJ, ETCD_KEY): ("kms", "v2", "vault"),
        OBJ: ("identity", None, None),
        b"k8s:enc:rot13:v1:x:abc": ("unknown", "rot13", None),
    }
    for value, expected in cases.items():
        stored = values.classify(value)
        assert (stored.provider, stored.version, stored.name) == expected
    assert values.prefix_for("secretbox", "box") == b"k8s:enc:secretbox:v1:box:"
    # Key names may contain ':'; the API server matches configured names in order, and so do we.
    tricky = independent.secretbox("a:b", key, OBJ)
    assert values.classify(tricky).name == "a"
    assert values.classify(tricky, known_names={("secretbox", "v1"): ["a:b"]}).name == "a:b"


def test_aescbc_has_no_mac_so_wrong_keys_are_caught_by_shape() -> None:
    key = os.urandom(32)
    value = independent.aescbc("k", key, OBJ)
    body = values.classify(value).body
    padding_passed = 0
    for _ in range(600):
        wrong = os.urandom(32)
        with pytest.raises(DecryptionError):
            values.open_local("aescbc", wrong, body, ETCD_KEY)
        try:
            from sealer.crypto import at_rest_ciphers

            at_rest_ciphers.aescbc_open(wrong, body)
            padding_passed += 1  # garbage with valid padding: only the object check stops it
        except DecryptionError:
            pass
    assert padding_passed < 30  # about 1 in 256 passes the padding check
    # Flipping a ciphertext bit is not detected by the cipher either (no MAC): it garbles, or we catch the shape.
    tampered = bytearray(value)
    tampered[-20] ^= 0x01
    with pytest.raises(DecryptionError):
        _open(bytes(tampered), key)


def test_aesgcm_binds_the_value_to_its_etcd_key() -> None:
    key = os.urandom(32)
    value = independent.aesgcm("k", key, OBJ, ETCD_KEY)
    with pytest.raises(DecryptionError, match="etcd key"):
        _open(value, key, b"/registry/secrets/default/other")


def test_secretbox_is_xsalsa20_poly1305_with_a_24_byte_nonce() -> None:
    key = os.urandom(32)
    value = independent.secretbox("k", key, OBJ)
    assert _open(value, key) == OBJ
    tampered = bytearray(value)
    tampered[-1] ^= 0x80
    with pytest.raises(DecryptionError):
        _open(bytes(tampered), key)
    # Our encoder's output opens with PyNaCl directly: nonce(24) || tag(16) || ciphertext, no associated data.
    ours = values.seal_local("secretbox", "k", key, OBJ, ETCD_KEY)
    body = ours[len(b"k8s:enc:secretbox:v1:k:") :]
    assert nacl.secret.SecretBox(key).decrypt(body[24:], body[:24]) == OBJ
    assert len(body) == 24 + 16 + len(OBJ)


def test_our_aes_encoders_match_the_format() -> None:
    key = os.urandom(32)
    gcm = values.seal_local("aesgcm", "k", key, OBJ, ETCD_KEY)[len(b"k8s:enc:aesgcm:v1:k:") :]
    assert AESGCM(key).decrypt(gcm[:12], gcm[12:], ETCD_KEY) == OBJ
    cbc = values.seal_local("aescbc", "k", key, OBJ, ETCD_KEY)
    assert _open(cbc, key) == OBJ and (len(cbc) - len(b"k8s:enc:aescbc:v1:k:")) % 16 == 0


def test_kms_v2_encrypted_object_and_seed_decryption() -> None:
    seed = os.urandom(32)
    value = independent.kms_v2("vault", seed, OBJ, ETCD_KEY, key_id="projects/p/keys/k/v/3")
    obj = values.parse_encrypted_object(values.classify(value).body)
    assert obj.key_id == "projects/p/keys/k/v/3" and obj.dek_source_type_name == "HKDF_SHA256_XNONCE_AES_GCM_SEED"
    assert values.open_kms_v2(obj, seed, ETCD_KEY) == OBJ
    with pytest.raises(DecryptionError):
        values.open_kms_v2(obj, seed, b"/registry/secrets/default/other")
    # Our HKDF-Expand is RFC 5869's (the test's is written from the RFC with hmac).
    info = os.urandom(32)
    assert HKDFExpand(hashes.SHA256(), 32, info).derive(seed) == independent.hkdf_expand(seed, info)
    # Type 0 (AES_GCM_KEY): the DEK itself, data = nonce || ciphertext || tag.
    dek = os.urandom(32)
    nonce = os.urandom(12)
    legacy = values.EncryptedObject(nonce + AESGCM(dek).encrypt(nonce, OBJ, ETCD_KEY), "kek", b"wrapped", {}, 0)
    round_trip = values.parse_encrypted_object(values.encode_encrypted_object(legacy))
    assert round_trip == legacy and values.open_kms_v2(round_trip, dek, ETCD_KEY) == OBJ


@pytest.mark.parametrize(("fields", "message"), [
    ({"data": b""}, "empty encryptedData"),
    ({"key_id": ""}, "keyID"),
    ({"key_id": "x" * 1025}, "keyID"),
    ({"dek": b""}, "encryptedDEKSource"),
    ({"dek": b"x" * 1025}, "encryptedDEKSource"),
    ({"type": 7}, "encryptedDEKSourceType"),
    ({"annotations": {"Not_A_Domain": b"v"}}, "fully qualified"),
    ({"annotations": {"a.example.com": b"v" * 33000}}, "32 kB"),
])
def test_kms_v2_validation_must_fail(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"data": b"d", "key_id": "k", "dek": b"w", "annotations": {}, "type": 1}
    base.update(fields)
    raw = values.encode_encrypted_object(values.EncryptedObject(
        base["data"], base["key_id"], base["dek"], base["annotations"], base["type"]))  # type: ignore[arg-type]
    with pytest.raises(FormatError, match=message):
        values.parse_encrypted_object(raw)


def test_k8s_envelope_and_other_encodings() -> None:
    shape = k8s_object.parse_object(OBJ)
    assert (shape.encoding, shape.api_version, shape.kind) == ("protobuf", "v1", "Secret")
    assert k8s_object.parse_object(k8s_object.encode_unknown("v1", "ConfigMap", b"\x0a\x00")).kind == "ConfigMap"
    custom = k8s_object.parse_object(b'{"apiVersion":"example.com/v1","kind":"Foo"}')
    assert (custom.encoding, custom.kind) == ("json", "Foo")
    assert k8s_object.parse_object(b"\xd9\xd9\xf7\xa0").encoding == "cbor"
    for garbage in (b"", b"k8s\x00\x0a\x02\x0a", b"\x00\x01", b"{not json"):
        with pytest.raises(FormatError):
            k8s_object.parse_object(garbage)


def test_protowire_round_trip() -> None:
    for n in (0, 1, 127, 128, 300, 2**32, 2**63 - 1):
        assert protowire.read_varint(protowire.encode_varint(n), 0) == (n, len(protowire.encode_varint(n)))
    assert protowire.read_varint(protowire.encode_varint(-1), 0)[0] == 2**64 - 1
    with pytest.raises(FormatError):
        list(protowire.fields(b"\x0a\x05ab"))  # length beyond the end
