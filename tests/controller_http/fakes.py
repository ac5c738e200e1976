"""A scripted ControllerEndpoints and a fake clock, for testing the HTTP layer alone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealer.errors import DecryptionError, FormatError, KeyNotFoundError

# Looks like a value a bug could echo back; no response or log line may contain it.
PLAINTEXT = "hunter2-PLAINTEXT-do-not-leak"


@dataclass
class FakeClock:
    now_ns: int = 1_000_000_000_000

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, seconds: float) -> None:
        self.now_ns += int(seconds * 1_000_000_000)


@dataclass
class ScriptedEndpoints:
    """verify/rotate answer by the body: b"good", b"wrong-key", b"malformed", b"bug"."""

    pem: bytes = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    is_healthy: bool = True
    has_cert: bool = True
    calls: list[bytes] = field(default_factory=list)

    def certificate_pem(self) -> bytes:
        if not self.has_cert:
            raise KeyNotFoundError("no sealing key is loaded")
        return self.pem

    def _answer(self, body: bytes) -> None:
        self.calls.append(body)
        if body == b"wrong-key":
            raise DecryptionError("SealedSecret ns/a: encryptedData['x']: no key could decrypt this value")
        if body == b"malformed":
            raise FormatError("request body is not a SealedSecret")
        if body == b"bug":
            raise RuntimeError(f"exploded while holding {PLAINTEXT}")
        if body == b"bug-sealer":
            raise KeyNotFoundError("no private key is loaded")

    async def verify(self, body: bytes) -> None:
        self._answer(body)

    async def rotate(self, body: bytes) -> bytes:
        self._answer(body)
        return json.dumps({"kind": "SealedSecret", "rotated": body.decode()}).encode()

    def keys_report(self) -> Mapping[str, Any]:
        return {"keys": [{"fingerprint": "ab12", "sealedSecrets": ["ns/a"]}]}

    def healthy(self) -> bool:
        return self.is_healthy
