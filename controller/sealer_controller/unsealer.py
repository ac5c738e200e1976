"""RSA work off the event loop, remembered so it is never done twice.

Three things make a resync free and a restart cheap, where the Bitnami
controller redoes one RSA-4096 operation per value per key tried every time:

* **Provenance** (:class:`Provenance`): every Secret we write carries an
  annotation with a digest of each sealed value it came from (digest of the
  OAEP label and the ciphertext: nothing about the plaintext), a digest of
  ``spec.template``, and an HMAC over the data we wrote, keyed from a sealing
  key we hold. If a SealedSecret's digests match its Secret's provenance and
  the HMAC verifies, the Secret is exactly what unsealing would produce: no
  RSA operation is needed, even right after a restart. When only some values
  changed, only those are decrypted; the rest are taken from the verified
  Secret.
* **Key preference**: the key that opened a SealedSecret last time is tried
  first; for one never seen, the key that most recently opened anything (bulk
  imports are sealed with one key); then the others, newest first.
* **A thread pool** sized to the CPUs the process may use (``settings.usable_cpus``) does the RSA work;
  OpenSSL releases the GIL.

The MAC key is derived from a private key, so only a holder of the sealing
keys (who could decrypt anyway) can forge or check it; the annotation leaks
nothing an attacker without the keys could test a guess against.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import threading
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sealer.crypto import provenance_digest
from sealer.errors import FormatError, InputError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.scope import encryption_label, scope_from_annotations
from sealer.formats.sealedsecret.unseal import DecryptedValues, decrypt_values
from sealer.keys.keyring import KeyRing

PROVENANCE_ANNOTATION = "sealer.dev/unsealed-from"
LEGACY_ITEM = "spec.data"
_MAC_CONTEXT = b"sealer-controller provenance v1"


def source_digests(ss: SealedSecret) -> dict[str, str]:
    """Digest per sealed item (``spec.data`` counts as one item), bound to the item's OAEP label."""
    try:
        label = ss.label()
    except InputError:
        label = b"\x00invalid"
    return _source_digests(label, ss.encrypted_data, ss.legacy_data)


def _source_digests(label: bytes, encrypted: Mapping[str, str], legacy: str | None) -> dict[str, str]:
    if legacy is not None:
        return {LEGACY_ITEM: provenance_digest.digest(label, legacy.encode())}
    return {key: provenance_digest.digest(label, key.encode(), value.encode()) for key, value in encrypted.items()}


def template_digest(ss: SealedSecret) -> str:
    """Digest of what shapes the Secret besides the sealed items: ``spec.template`` and the owner opt-out."""
    return _template_digest((ss.raw.get("spec") or {}).get("template"))


def _template_digest(template: Any) -> str:
    return provenance_digest.digest(json.dumps(template, sort_keys=True, separators=(",", ":")).encode())


def quick_inputs(body: Mapping[str, Any]) -> str | None:
    """:func:`inputs_digest` straight from a raw SealedSecret, without parsing (copying) it.

    The "is anything to do?" check runs for every watch event, so it must be
    cheap; None when the body is not well-formed (the full parse then reports why).
    """
    try:
        meta, spec = body["metadata"], body.get("spec") or {}
        label = encryption_label(scope_from_annotations(meta.get("annotations") or {}),
                                 str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        encrypted = spec.get("encryptedData") or {}
        legacy = spec.get("data")
        if not isinstance(encrypted, Mapping) or not all(isinstance(v, str) for v in encrypted.values()):
            return None
        if legacy is not None and not isinstance(legacy, str):
            return None
        return inputs_digest(_source_digests(label, encrypted, legacy), _template_digest(spec.get("template")))
    except (InputError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class Provenance:
    """What a Secret we wrote was made from; stored as one JSON annotation on the Secret."""

    sources: Mapping[str, str]
    """Sealed item → digest (see :func:`source_digests`)."""
    template: str
    produced: tuple[str, ...]
    """The data keys we wrote (encrypted items plus rendered template entries)."""
    opened_by: Mapping[str, str]
    """Sealed item → fingerprint prefix of the key that opened it (for the key-usage report)."""
    mac_key: str
    """Fingerprint of the key the MAC is keyed from."""
    mac: str = ""

    def to_annotation(self) -> str:
        return json.dumps(
            {"v": 1, "src": dict(self.sources), "tpl": self.template, "out": list(self.produced),
             "by": dict(self.opened_by), "fp": self.mac_key, "mac": self.mac},
            sort_keys=True, separators=(",", ":"),
        )

    @classmethod
    def from_annotation(cls, text: str | None) -> Provenance | None:
        if not text:
            return None
        try:
            doc = json.loads(text)
            if doc.get("v") != 1:
                return None
            return cls(
                sources={str(k): str(v) for k, v in doc["src"].items()},
                template=str(doc["tpl"]),
                produced=tuple(str(k) for k in doc["out"]),
                opened_by={str(k): str(v) for k, v in (doc.get("by") or {}).items()},
                mac_key=str(doc["fp"]),
                mac=str(doc["mac"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def _signed_bytes(self, data: Mapping[str, str]) -> bytes:
        unsigned = dataclasses.replace(self, mac="").to_annotation()
        produced = {key: data.get(key) for key in self.produced}
        return unsigned.encode() + b"\x00" + json.dumps(produced, sort_keys=True).encode()

    def matches(self, sources: Mapping[str, str], template: str) -> bool:
        return dict(self.sources) == dict(sources) and self.template == template

    @property
    def inputs(self) -> str:
        return inputs_digest(self.sources, self.template)


def inputs_digest(sources: Mapping[str, str], template: str) -> str:
    """One digest of everything a Secret is made from (what the index keeps instead of the whole provenance)."""
    return provenance_digest.digest(json.dumps(sorted(sources.items())).encode(), template.encode())


class Unsealer:
    """Decrypts SealedSecrets on a thread pool and keeps what makes the next time cheaper."""

    def __init__(self, ring: KeyRing, *, workers: int) -> None:
        self.ring = ring
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="rsa")
        self._lock = threading.Lock()
        self._preferred: dict[tuple[str, str], str] = {}  # (ns, name) -> fingerprint that opened it last
        self._usage: dict[tuple[str, str], frozenset[str]] = {}  # (ns, name) -> fingerprints its Secret needs
        self._last_success: str | None = None
        self._mac_keys: dict[str, bytes] = {}
        self._full: dict[str, str] | None = None  # fingerprint prefix -> fingerprint (computing one costs a DER)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def rsa_operations(self) -> int:
        return self.ring.rsa_operations

    # -- decryption ------------------------------------------------------------------------

    async def decrypt(self, ss: SealedSecret, items: Collection[str] | None = None) -> DecryptedValues:
        """Decrypt ``items`` of ``ss`` (all when None) in the pool, trying the most likely key first.

        Raises what :func:`decrypt_values` raises (``DecryptionError`` and
        ``FormatError`` subclasses), naming items and keys, never values.
        """
        subset = ss
        if items is not None and ss.legacy_data is None:
            subset = dataclasses.replace(ss, encrypted_data={k: v for k, v in ss.encrypted_data.items() if k in items})
        ident = (ss.namespace, ss.name)

        def run() -> DecryptedValues:
            # The hint is read when the job starts and the result recorded when it ends, both in the pool
            # thread: in a burst, hundreds of jobs are queued before the first finishes, and every later one
            # should profit from the key it found without waiting for the event loop to hear of it.
            prefer = self._preferred.get(ident) or self._last_success
            result = decrypt_values(subset, self.ring, prefer=prefer)
            if result.fingerprints:
                fingerprint = sorted(result.fingerprints)[0]
                with self._lock:
                    self._preferred[ident] = fingerprint
                    self._last_success = fingerprint
            return result

        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    # -- provenance ------------------------------------------------------------------------

    def _mac_key(self, fingerprint: str) -> bytes | None:
        cached = self._mac_keys.get(fingerprint)
        if cached is not None:
            return cached
        full = self._fingerprints().get(fingerprint[:16])
        key = self.ring.get(full) if full else None
        if key is None:
            return None
        derived = provenance_digest.mac_key(key.private_key, _MAC_CONTEXT)
        self._mac_keys[fingerprint] = derived
        return derived

    def sign(self, provenance: Provenance, data: Mapping[str, str]) -> Provenance:
        """Provenance with its MAC over the Secret ``data`` (base64 strings) we are about to write."""
        fingerprints = self._fingerprints()
        newest = self.ring.newest()
        prefix = next((p for p, fp in fingerprints.items() if self.ring.get(fp) is newest), None)
        signed = dataclasses.replace(provenance, mac_key=prefix or newest.fingerprint[:16], mac="")
        key = self._mac_key(signed.mac_key)
        assert key is not None
        mac = provenance_digest.mac(key, signed._signed_bytes(data))
        return dataclasses.replace(signed, mac=mac)

    def verify(self, provenance: Provenance | None, data: Mapping[str, str] | None) -> bool:
        """True if ``data`` holds exactly what we wrote with this provenance (constant-time compare)."""
        if provenance is None or data is None or any(key not in data for key in provenance.produced):
            return False
        key = self._mac_key(provenance.mac_key)
        if key is None:
            return False
        return provenance_digest.mac_matches(key, provenance._signed_bytes(data), provenance.mac)

    def keys_changed(self) -> None:
        """The ring gained or lost a key: drop what was derived from the old set."""
        self._mac_keys.clear()
        self._full = None

    def _fingerprints(self) -> dict[str, str]:
        if self._full is None:
            self._full = {k.fingerprint[:16]: k.fingerprint for k in self.ring}
        return self._full

    # -- what each SealedSecret needs -------------------------------------------------------

    def remember(self, namespace: str, name: str, prefixes: frozenset[str]) -> None:
        """Record which keys (fingerprint prefixes, from provenance) the Secret of ``namespace/name`` needed."""
        known = self._fingerprints()
        full = frozenset(known[p] for p in prefixes if p in known)
        if self._usage.get((namespace, name)) == full:
            return
        with self._lock:
            self._usage[(namespace, name)] = full
            if len(full) == 1 and (namespace, name) not in self._preferred:
                self._preferred[(namespace, name)] = next(iter(full))

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self._usage.pop((namespace, name), None)
            self._preferred.pop((namespace, name), None)

    def usage(self) -> dict[str, list[str]]:
        """Key fingerprint → sorted ``namespace/name`` of the SealedSecrets that need it."""
        out: dict[str, list[str]] = {k.fingerprint: [] for k in self.ring}
        with self._lock:
            items = list(self._usage.items())
        for (namespace, name), fingerprints in items:
            for fingerprint in fingerprints:
                out.setdefault(fingerprint, []).append(f"{namespace}/{name}")
        return {fp: sorted(users) for fp, users in out.items()}


def opened_by(previous: Provenance | None, fresh: DecryptedValues | None, ring: KeyRing,
              items: Iterable[str]) -> dict[str, str]:
    """Item → fingerprint prefix, from this round's decryption or, for reused items, the previous provenance."""
    result: dict[str, str] = {}
    fresh_fp = sorted(fresh.fingerprints)[0][:16] if fresh is not None and fresh.fingerprints else ""
    for item in items:
        if fresh is not None and (item in fresh.values or item == LEGACY_ITEM):
            result[item] = fresh_fp
        elif previous is not None and item in previous.opened_by:
            result[item] = previous.opened_by[item]
    return result


def decode_data(data: Mapping[str, Any] | None, keys: Iterable[str]) -> dict[str, bytes]:
    """Plaintext of ``keys`` from a Secret's base64 ``data`` (already verified by :meth:`Unsealer.verify`)."""
    out: dict[str, bytes] = {}
    for key in keys:
        try:
            out[key] = base64.b64decode(str((data or {})[key]), validate=True)
        except (KeyError, ValueError):
            raise FormatError(f"Secret data {key!r} is missing or not base64", hint="it will be rewritten") from None
    return out
