"""Stored values made WITHOUT sealer's encoders: straight from cryptography, PyNaCl, hmac and hand-rolled protobuf.

If sealer's readers agree with these, they agree with the API server's formats
as documented in its sources, not merely with themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import nacl.secret
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _varint(n: int) -> bytes:
    out = b""
    while n > 0x7F:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def secret_object(name: str, namespace: str, data: dict[str, bytes]) -> bytes:
    """What kube-apiserver stores for a v1 Secret: ``k8s\\0`` + runtime.Unknown{typeMeta, raw=<v1.Secret proto>}."""
    meta = _field(1, name.encode()) + _field(3, namespace.encode())
    raw = _field(1, meta) + b"".join(_field(2, _field(1, k.encode()) + _field(2, v)) for k, v in sorted(data.items()))
    type_meta = _field(1, b"v1") + _field(2, b"Secret")
    return b"k8s\x00" + _field(1, type_meta) + _field(2, raw)


def aescbc(name: str, key: bytes, plaintext: bytes) -> bytes:
    iv = os.urandom(16)
    pad = 16 - len(plaintext) % 16
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    body = enc.update(plaintext + bytes([pad]) * pad) + enc.finalize()
    return b"k8s:enc:aescbc:v1:" + name.encode() + b":" + iv + body


def aesgcm(name: str, key: bytes, plaintext: bytes, etcd_key: bytes) -> bytes:
    nonce = os.urandom(12)
    return b"k8s:enc:aesgcm:v1:" + name.encode() + b":" + nonce + AESGCM(key).encrypt(nonce, plaintext, etcd_key)


def secretbox(name: str, key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(24)
    box = nacl.secret.SecretBox(key).encrypt(plaintext, nonce)
    assert box[:24] == nonce  # PyNaCl returns nonce || tag || ciphertext, as Go's secretbox.Seal(nonce, ...)
    return b"k8s:enc:secretbox:v1:" + name.encode() + b":" + bytes(box)


def hkdf_expand(prk: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF-Expand with HMAC-SHA256 (no Extract step), from the RFC text."""
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def kms_v2(plugin: str, seed: bytes, plaintext: bytes, etcd_key: bytes, *, key_id: str = "kek-1",
           encrypted_seed: bytes | None = None) -> bytes:
    """KMS v2 with an HKDF_SHA256_XNONCE_AES_GCM_SEED DEK source (the default since Kubernetes 1.29)."""
    info = os.urandom(32)
    nonce = os.urandom(12)
    data = info + nonce + AESGCM(hkdf_expand(seed, info)).encrypt(nonce, plaintext, etcd_key)
    wrapped = encrypted_seed if encrypted_seed is not None else base64.b64encode(seed)  # "the plugin's ciphertext"
    message = _field(1, data) + _field(2, key_id.encode()) + _field(3, wrapped) + _varint(5 << 3) + _varint(1)
    return b"k8s:enc:kms:v2:" + plugin.encode() + b":" + message
