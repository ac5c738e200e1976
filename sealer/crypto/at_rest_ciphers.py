"""The ciphers of the API server's encryption-at-rest providers, exactly as it uses them.

Byte-level functions (key and body in, plaintext or body out) for
``sealer.encryption_at_rest``, which keeps the ``k8s:enc:...`` prefixes, the
KMS envelope and the provider configuration; every nonce size, padding rule
and hash function lives here:

- ``aescbc``: AES-CBC, 16-byte random IV in front, PKCS#7 padding, **no MAC**
  (Go: ``aes.NewCBCTransformer``). A wrong key is noticed only when the
  padding happens not to verify (about 255 times in 256); callers must check
  the plaintext's shape too.
- ``aesgcm``: AES-GCM, 12-byte random nonce in front, 16-byte tag at the end,
  the etcd key as additional authenticated data (``aes.NewGCMTransformer``).
- ``secretbox``: NaCl secretbox (XSalsa20-Poly1305), 24-byte random nonce in
  front, then the 16-byte Poly1305 tag and the ciphertext; no associated data.
- KMS v2 with an ``HKDF_SHA256_XNONCE_AES_GCM_SEED`` DEK source: the first 32
  bytes of the data are the HKDF ``info``; the AES-256-GCM key is
  HKDF-Expand(SHA-256, seed, info); then nonce and ciphertext as for ``aesgcm``.
"""

from __future__ import annotations

import os

import nacl.exceptions
import nacl.secret
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from sealer.errors import DecryptionError

AES_BLOCK = 16
GCM_NONCE = 12
GCM_TAG = 16
SECRETBOX_NONCE = 24
SECRETBOX_TAG = 16
XNONCE_INFO = 32  # infoSizeExtendedNonceGCM
AES_KEY_SIZES = (16, 24, 32)
SECRETBOX_KEY_SIZE = 32


def _check_aes_key(key: bytes) -> None:
    if len(key) not in AES_KEY_SIZES:
        raise ValueError(f"AES keys are 16, 24 or 32 bytes, not {len(key)}")


def aescbc_open(key: bytes, body: bytes) -> bytes:
    """Decrypt an ``aescbc`` body (IV || ciphertext); raise DecryptionError on bad length or padding."""
    _check_aes_key(key)
    if len(body) < 2 * AES_BLOCK or len(body) % AES_BLOCK:
        raise DecryptionError("aescbc value is not an IV plus whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(body[:AES_BLOCK])).decryptor()
    padded = decryptor.update(body[AES_BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError("aescbc padding does not verify: wrong key or corrupted value") from None


def aescbc_seal(key: bytes, plaintext: bytes, *, iv: bytes | None = None) -> bytes:
    _check_aes_key(key)
    iv = os.urandom(AES_BLOCK) if iv is None else iv
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


def aesgcm_open(key: bytes, body: bytes, aad: bytes) -> bytes:
    """Decrypt an ``aesgcm`` body (nonce || ciphertext || tag) bound to ``aad`` (the etcd key)."""
    _check_aes_key(key)
    if len(body) < GCM_NONCE + GCM_TAG:
        raise DecryptionError("aesgcm value is shorter than a nonce and a tag")
    try:
        return AESGCM(key).decrypt(body[:GCM_NONCE], body[GCM_NONCE:], aad)
    except InvalidTag:
        raise DecryptionError("aesgcm tag does not verify: wrong key, wrong etcd key, or tampered") from None


def aesgcm_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    _check_aes_key(key)
    nonce = os.urandom(GCM_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def secretbox_open(key: bytes, body: bytes) -> bytes:
    """Decrypt a ``secretbox`` body (24-byte nonce || Poly1305 tag || ciphertext)."""
    if len(key) != SECRETBOX_KEY_SIZE:
        raise ValueError(f"secretbox keys are 32 bytes, not {len(key)}")
    if len(body) < SECRETBOX_NONCE + SECRETBOX_TAG:
        raise DecryptionError("secretbox value is shorter than a nonce and a tag")
    try:
        return bytes(nacl.secret.SecretBox(key).decrypt(body[SECRETBOX_NONCE:], body[:SECRETBOX_NONCE]))
    except nacl.exceptions.CryptoError:
        raise DecryptionError("secretbox tag does not verify: wrong key or tampered") from None


def secretbox_seal(key: bytes, plaintext: bytes) -> bytes:
    if len(key) != SECRETBOX_KEY_SIZE:
        raise ValueError(f"secretbox keys are 32 bytes, not {len(key)}")
    nonce = os.urandom(SECRETBOX_NONCE)
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext, nonce))  # nonce || tag || ciphertext


def hkdf_expand_sha256(seed: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-Expand only (no Extract), as Go's ``hkdf.Expand`` used by the KMS v2 seed scheme."""
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(seed)


def xnonce_gcm_open(seed: bytes, data: bytes, aad: bytes) -> bytes:
    """Decrypt KMS v2 ``encryptedData`` made with a seed (info || nonce || ciphertext || tag)."""
    if len(data) < XNONCE_INFO + GCM_NONCE + GCM_TAG:
        raise DecryptionError("KMS v2 data is shorter than info, nonce and tag")
    key = hkdf_expand_sha256(seed, data[:XNONCE_INFO])
    return aesgcm_open(key, data[XNONCE_INFO:], aad)


def random_key(size: int) -> bytes:
    return os.urandom(size)
