"""A set of RSA private keys indexed by public-key fingerprint.

Unlike the Bitnami controller, which tries every key in random order and then
says only "no key could decrypt", the ring tries a preferred key first (the one
that worked last time for this object), reports which key succeeded, and
counts RSA private operations so callers can prove a resync cost nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sealer.crypto import kubeseal_envelope
from sealer.crypto.rsa_keys import Certificate, RSAPrivateKey, public_key_fingerprint
from sealer.errors import DecryptionError, KeyNotFoundError


@dataclass(frozen=True)
class SealingKey:
    """One private key plus its certificate (if known) and where it came from."""

    private_key: RSAPrivateKey
    certificate: Certificate | None = None
    name: str = ""  # e.g. the key Secret's name, or a file path

    @functools.cached_property
    def fingerprint(self) -> str:
        # Cached: it costs a DER encoding and a hash, and the ring sorts by it for every value it opens.
        return public_key_fingerprint(self.private_key.public_key())

    @functools.cached_property
    def not_before(self) -> dt.datetime:
        if self.certificate is None:
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        return self.certificate.not_valid_before_utc


@dataclass(frozen=True)
class Unwrapped:
    """Result of decrypting one value: the plaintext and which key opened it."""

    plaintext: bytes
    fingerprint: str


@dataclass
class KeyRing:
    _keys: dict[str, SealingKey] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    rsa_operations: int = 0

    @classmethod
    def of(cls, keys: Iterable[SealingKey]) -> KeyRing:
        ring = cls()
        for key in keys:
            ring.add(key)
        return ring

    def add(self, key: SealingKey) -> str:
        fp = key.fingerprint
        with self._lock:
            self._keys[fp] = key
        return fp

    def remove(self, fingerprint: str) -> None:
        with self._lock:
            self._keys.pop(fingerprint, None)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[SealingKey]:
        with self._lock:
            return iter(list(self._keys.values()))

    def get(self, fingerprint: str) -> SealingKey | None:
        return self._keys.get(fingerprint)

    def newest(self) -> SealingKey:
        """The key that seals: newest certificate NotBefore, as the Bitnami controller picks it."""
        keys = list(self)
        if not keys:
            raise KeyNotFoundError("no sealing key is loaded", hint="generate or import a key first")
        return max(keys, key=lambda k: k.not_before)

    def decrypt(self, ciphertext: bytes, label: bytes, *, prefer: str | None = None) -> Unwrapped:
        """Decrypt one kubeseal envelope, trying ``prefer`` first, then every other key, newest first.

        Only the RSA unwrap is attempted per key; the AES-GCM open runs once, with
        the key whose unwrap succeeded, so a tampered payload is reported as
        tampering rather than as "no key".
        """
        wrapped, sealed = kubeseal_envelope.split_envelope(ciphertext)
        keys = list(self)
        if not keys:
            raise KeyNotFoundError("no private key is loaded", hint="import the controller's key Secrets")
        # ``prefer`` first, then newest first: the newest key seals everything new, so without a hint it
        # is the likeliest (the Bitnami controller tries its keys in random order).
        keys.sort(key=lambda k: (k.fingerprint != prefer, -k.not_before.timestamp()))
        candidates = [k for k in keys if k.private_key.key_size // 8 == len(wrapped)]
        for key in candidates:
            with self._lock:
                self.rsa_operations += 1
            try:
                session_key = kubeseal_envelope.unwrap_session_key(key.private_key, wrapped, label)
            except DecryptionError:
                continue
            return Unwrapped(kubeseal_envelope.open_payload(session_key, sealed), key.fingerprint)
        raise DecryptionError(
            f"no key could decrypt this value (tried {len(candidates)} of {len(keys)} keys)",
            hint="it was sealed with a key this controller does not hold, or for another name/namespace/scope",
        )
