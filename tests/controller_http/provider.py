"""A real ControllerEndpoints over the library: a KeyRing, A's decrypt_values and reencrypt.

It is what the operator's provider does minus Kubernetes: parse the body, do
the RSA work off the event loop, answer. Used to drive the HTTP API (and the
CLI against it) end to end with real ciphertexts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealer.crypto import rsa_keys
from sealer.errors import FormatError, KeyNotFoundError
from sealer.formats import manifests
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.reencrypt import reencrypt
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing


def _one_sealed_secret(body: bytes) -> SealedSecret:
    docs = manifests.load_documents(body, source="request body")
    if len(docs) != 1:
        raise FormatError(f"request body holds {len(docs)} documents", hint="send exactly one SealedSecret")
    return SealedSecret.from_dict(docs[0], source="request body")


@dataclass
class LibraryEndpoints:
    ring: KeyRing
    unsealed_by: dict[str, set[str]] = field(default_factory=dict)

    def certificate_pem(self) -> bytes:
        cert = self.ring.newest().certificate
        if cert is None:
            raise KeyNotFoundError("the newest key has no certificate")
        return rsa_keys.certificate_to_pem(cert)

    async def verify(self, body: bytes) -> None:
        ss = _one_sealed_secret(body)
        opened = await asyncio.to_thread(decrypt_values, ss, self.ring)
        for fingerprint in opened.fingerprints:
            self.unsealed_by.setdefault(fingerprint, set()).add(f"{ss.namespace}/{ss.name}")

    async def rotate(self, body: bytes) -> bytes:
        ss = _one_sealed_secret(body)
        newest = self.ring.newest()
        public = newest.certificate or newest.private_key.public_key()
        return manifests.dump_json(await asyncio.to_thread(reencrypt, ss, self.ring, public))

    def keys_report(self) -> Mapping[str, Any]:
        newest = self.ring.newest().fingerprint
        return {
            "keys": [
                {
                    "fingerprint": key.fingerprint,
                    "newest": key.fingerprint == newest,
                    "sealedSecrets": sorted(self.unsealed_by.get(key.fingerprint, ())),
                }
                for key in self.ring
            ]
        }

    def healthy(self) -> bool:
        return len(self.ring) > 0
