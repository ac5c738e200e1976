"""The Bitnami Sealed Secrets hybrid envelope, bit for bit.

Layout of one sealed value (before base64)::

    u16be(len(W)) || W || AES-256-GCM(K, nonce=0^12, aad=none)(plaintext) || tag

where ``K`` is a fresh 32-byte session key and ``W`` is ``K`` wrapped with
RSA-OAEP (SHA-256 for both the hash and MGF1) under the *scope label*.

The all-zero GCM nonce is safe only because every value gets a fresh ``K``;
never reuse a session key. The label binds a value to its name/namespace
(see :mod:`sealer.formats.sealedsecret.scope`), which is what stops a value
sealed for one Secret being replayed into another.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sealer.errors import DecryptionError

SESSION_KEY_BYTES = 32
_ZERO_NONCE = b"\x00" * 12
_GCM_TAG_BYTES = 16
_LEN_PREFIX = struct.Struct(">H")


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def hybrid_encrypt(public_key: rsa.RSAPublicKey, plaintext: bytes, label: bytes) -> bytes:
    """Seal ``plaintext`` for the holder of ``public_key``'s private half, bound to ``label``."""
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TypeError("kubeseal envelopes need an RSA public key")
    session_key = os.urandom(SESSION_KEY_BYTES)
    wrapped = public_key.encrypt(session_key, _oaep(label))
    sealed = AESGCM(session_key).encrypt(_ZERO_NONCE, plaintext, None)
    return _LEN_PREFIX.pack(len(wrapped)) + wrapped + sealed


def split_envelope(ciphertext: bytes) -> tuple[bytes, bytes]:
    """Return ``(wrapped_session_key, gcm_ciphertext_and_tag)``; raise if the framing is impossible."""
    if len(ciphertext) < _LEN_PREFIX.size:
        raise DecryptionError("sealed value is too short to be a kubeseal envelope")
    (wrapped_len,) = _LEN_PREFIX.unpack_from(ciphertext)
    body = ciphertext[_LEN_PREFIX.size :]
    if wrapped_len == 0 or len(body) < wrapped_len + _GCM_TAG_BYTES:
        raise DecryptionError("sealed value is truncated or not a kubeseal envelope")
    return body[:wrapped_len], body[wrapped_len:]


def unwrap_session_key(private_key: rsa.RSAPrivateKey, wrapped: bytes, label: bytes) -> bytes:
    """The expensive half (one RSA private operation): recover the session key.

    Fails with :class:`DecryptionError` for a wrong key *or* a wrong label;
    OAEP cannot tell the two apart, by design.
    """
    if len(wrapped) != private_key.key_size // 8:
        raise DecryptionError("wrapped session key does not match this key's size")
    try:
        session_key = private_key.decrypt(wrapped, _oaep(label))
    except ValueError:
        raise DecryptionError("session key did not unwrap (wrong key, or sealed for another scope)") from None
    if len(session_key) != SESSION_KEY_BYTES:
        raise DecryptionError("unwrapped session key has the wrong length")
    return session_key


def open_payload(session_key: bytes, sealed: bytes) -> bytes:
    """The cheap half: AES-GCM-open the payload with an already unwrapped session key."""
    try:
        return AESGCM(session_key).decrypt(_ZERO_NONCE, sealed, None)
    except InvalidTag:
        raise DecryptionError("sealed value failed authentication (tampered or corrupted)") from None


def hybrid_decrypt(private_key: rsa.RSAPrivateKey, ciphertext: bytes, label: bytes) -> bytes:
    """Inverse of :func:`hybrid_encrypt`."""
    wrapped, sealed = split_envelope(ciphertext)
    return open_payload(unwrap_session_key(private_key, wrapped, label), sealed)
