"""SOPS leaf encryption: AES-256-GCM with a 32-byte IV, in sops' ``ENC[...]`` text form.

Every encrypted value in a SOPS file reads
``ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]``. sops (``aes/cipher.go``)
uses a *non-standard* 32-byte GCM nonce (Go's ``NewGCMWithNonceSize``); AES-GCM
defines how to stretch such a nonce into the counter block (GHASH), and
``cryptography``'s ``AESGCM`` implements the same rule, so the ciphertexts are
identical for identical inputs. The additional data binds each value to its
path in the document (``a:b:c:``), so moving a ciphertext elsewhere fails.

This module only moves bytes; turning typed values into bytes (``True``,
``3.5``...) is the format layer's job.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "IV_SIZE",
    "KEY_SIZE",
    "EncryptedValue",
    "LeafDecryptionError",
    "decrypt",
    "encrypt",
    "is_encrypted",
    "new_data_key",
    "parse",
]

KEY_SIZE = 32
IV_SIZE = 32
TAG_SIZE = 16

# The same expression sops uses: anchored at the start only, greedy groups.
_ENC_RE = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]", re.DOTALL)


class LeafDecryptionError(Exception):
    """A leaf could not be parsed or authenticated; carries no plaintext.

    Deliberately not a :class:`~sealer.errors.SealerError`: the format layer
    decides whether this means tampering (values) or "was never encrypted"
    (comments, which sops tolerates), and raises the user-facing error.
    """


@dataclass(frozen=True, slots=True)
class EncryptedValue:
    data: bytes
    iv: bytes
    tag: bytes
    datatype: str

    def format(self) -> str:
        b64 = base64.b64encode
        return (
            f"ENC[AES256_GCM,data:{b64(self.data).decode()},iv:{b64(self.iv).decode()},"
            f"tag:{b64(self.tag).decode()},type:{self.datatype}]"
        )


def new_data_key() -> bytes:
    """A fresh data key for one SOPS file: 32 bytes from the OS CSPRNG, as sops reads them from ``crypto/rand``."""
    return os.urandom(KEY_SIZE)


def is_encrypted(value: str) -> bool:
    """True if ``value`` has sops' encrypted-leaf shape (what sops' parser accepts)."""
    return _ENC_RE.match(value) is not None


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LeafDecryptionError(f"the {what} of an encrypted value is not valid base64") from None


def parse(value: str) -> EncryptedValue:
    """Split an ``ENC[...]`` string into its parts, or raise :class:`LeafDecryptionError`."""
    match = _ENC_RE.match(value)
    if match is None:
        raise LeafDecryptionError("value does not match sops' ENC[AES256_GCM,...] format")
    data, iv, tag, datatype = match.groups()
    return EncryptedValue(_b64(data, "data"), _b64(iv, "iv"), _b64(tag, "tag"), datatype)


def encrypt(plaintext: bytes, key: bytes, aad: str, datatype: str, *, iv: bytes | None = None) -> str:
    """Encrypt one leaf; ``iv`` may be given to keep a ciphertext stable (sops' IV stash)."""
    if len(key) != KEY_SIZE:
        raise ValueError(f"SOPS data keys are {KEY_SIZE} bytes, got {len(key)}")
    nonce = iv if iv is not None else os.urandom(IV_SIZE)
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad.encode())
    return EncryptedValue(sealed[:-TAG_SIZE], nonce, sealed[-TAG_SIZE:], datatype).format()


def decrypt(value: str | EncryptedValue, key: bytes, aad: str) -> tuple[bytes, str, bytes]:
    """Decrypt one leaf: returns (plaintext bytes, sops type name, iv).

    Raises :class:`LeafDecryptionError` if the text is not a leaf, the key is
    wrong, the value was moved to another path, or it was altered.
    """
    enc = parse(value) if isinstance(value, str) else value
    if len(key) != KEY_SIZE:
        raise ValueError(f"SOPS data keys are {KEY_SIZE} bytes, got {len(key)}")
    if not enc.iv:
        raise LeafDecryptionError("encrypted value has an empty IV")
    try:
        plain = AESGCM(key).decrypt(enc.iv, enc.data + enc.tag, aad.encode())
    except InvalidTag:
        raise LeafDecryptionError("authentication failed (wrong key, moved or altered value)") from None
    except ValueError as exc:  # e.g. a nonce length cryptography refuses
        raise LeafDecryptionError(f"cannot decrypt value: {exc}") from None
    return plain, enc.datatype, enc.iv
