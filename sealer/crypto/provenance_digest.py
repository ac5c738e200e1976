"""The digests and the keyed MAC of the controller's provenance annotation.

The controller records what each Secret it wrote was made from (digests of the
sealed values and the template) and proves it wrote the data with an HMAC keyed
from one of its sealing keys (see ``sealer_controller.unsealer``). The hash
choices live here, with the other primitives: SHA-256 over length-prefixed
parts, HMAC-SHA256, both cut to 128 bits of hex.
"""

from __future__ import annotations

import hashlib
import hmac

from sealer.crypto import rsa_keys

__all__ = ["DIGEST_CHARS", "digest", "mac", "mac_key", "mac_matches"]

DIGEST_CHARS = 32  # hex characters kept: 128 bits


def digest(*parts: bytes) -> str:
    """SHA-256 of the parts, each prefixed with its 4-byte length (so no two splits collide)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.hexdigest()[:DIGEST_CHARS]


def mac_key(private_key: rsa_keys.RSAPrivateKey, context: bytes) -> bytes:
    """A MAC key only a holder of ``private_key`` can compute: HMAC-SHA256 of ``context`` keyed by its PEM."""
    return hmac.new(rsa_keys.private_key_to_pem(private_key), context, hashlib.sha256).digest()


def mac(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message``, as truncated hex."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:DIGEST_CHARS]


def mac_matches(key: bytes, message: bytes, expected: str) -> bool:
    """Whether ``expected`` is the :func:`mac` of ``message`` (constant-time compare).

    ``expected`` comes from an annotation anyone allowed to edit the Secret may have written: any text
    (non-ASCII, lone surrogates) is compared as bytes and simply fails, where ``compare_digest`` on
    ``str`` would raise.
    """
    return hmac.compare_digest(mac(key, message).encode(), expected.encode("utf-8", "surrogatepass"))
