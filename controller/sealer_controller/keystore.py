"""The sealing keys, kept as Secrets in the controller's namespace exactly as the Bitnami controller keeps them.

* On start: load every Secret labelled ``sealedsecrets.bitnami.com/sealed-secrets-key``
  (and one named exactly the prefix, as Bitnami does), and make a key if none is
  loaded or the newest predates ``--key-cutoff-time``.
* Renewal: :func:`key_lifecycle.next_renewal` says when; a background task sleeps
  until then, and SIGUSR1 (:meth:`KeyStore.request_new_key`) makes one at once.
* Live: key Secrets created, imported or deleted while we run are added to or
  removed from the ring (the Bitnami controller needs a restart, #414/#1819).
  Listeners (the reconciler) hear about new keys, to retry what failed.

Old keys are never deleted by the controller: they are needed to unseal what
was sealed with them (see the key-usage report).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sealer.errors import SealerError
from sealer.keys.key_secrets import KEY_LABEL, key_from_secret
from sealer.keys.keyring import KeyRing, SealingKey
from sealer_controller import key_lifecycle
from sealer_controller.kubeapi import KubeApi
from sealer_controller.settings import ControllerSettings

logger = logging.getLogger(__name__)

KeyListener = Callable[[SealingKey], Awaitable[None]]


class KeyStore:
    """Key Secrets ⇄ the in-memory :class:`KeyRing` used for unsealing and sealing."""

    def __init__(self, api: KubeApi, settings: ControllerSettings, ring: KeyRing | None = None, *,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.api = api
        self.settings = settings
        self.ring = ring if ring is not None else KeyRing()
        self.clock = clock
        self.generated = 0
        self.listeners: list[KeyListener] = []
        self.removal_listeners: list[Callable[[str], None]] = []
        self._by_secret: dict[str, str] = {}  # key Secret name -> fingerprint
        self._seen: dict[str, str] = {}  # key Secret name -> "uid/resourceVersion" last parsed
        self._wake = asyncio.Event()
        self._force = False
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def _path(self) -> str:
        return f"/api/v1/namespaces/{self.settings.key_namespace}/secrets"

    # -- loading ---------------------------------------------------------------------------

    async def load(self) -> int:
        """Load all key Secrets; returns how many keys the ring holds."""
        listing = await self.api.get(self._path, params={"labelSelector": KEY_LABEL})
        items = list((listing or {}).get("items") or [])
        legacy = await self.api.get(f"{self._path}/{self.settings.key_prefix}")
        if legacy is not None and all(i["metadata"]["name"] != legacy["metadata"]["name"] for i in items):
            items.append(legacy)
        items.sort(key=lambda s: str((s.get("metadata") or {}).get("creationTimestamp") or ""))
        for secret in items:  # each key's arithmetic is checked as it loads (rsa_keys.check_consistency)
            key = self._parse(secret)
            if key is not None:
                self._register(secret, key)
        return len(self.ring)

    def _parse(self, secret: Mapping[str, Any]) -> SealingKey | None:
        name = str((secret.get("metadata") or {}).get("name") or "")
        source = f"key Secret {self.settings.key_namespace}/{name}"
        try:
            return key_from_secret(secret, source=source)
        except SealerError as exc:
            logger.error("skipping key Secret %s: %s", name, exc.message)
            return None

    @staticmethod
    def _version(secret: Mapping[str, Any]) -> str:
        meta = secret.get("metadata") or {}
        return f"{meta.get('uid')}/{meta.get('resourceVersion')}"

    def add_secret(self, secret: Mapping[str, Any]) -> SealingKey | None:
        """Add the key in one key Secret; a bad one is logged (by name, never content) and skipped."""
        name = str((secret.get("metadata") or {}).get("name") or "")
        if name in self._by_secret and self._seen.get(name) == self._version(secret):
            return None  # this exact Secret is loaded already (e.g. the watch replaying the start-up list)
        key = self._parse(secret)
        return None if key is None else self._register(secret, key)

    def _register(self, secret: Mapping[str, Any], key: SealingKey) -> SealingKey | None:
        name = str((secret.get("metadata") or {}).get("name") or "")
        self._seen[name] = self._version(secret)
        if self._by_secret.get(name) == key.fingerprint:
            return None
        self.ring.add(key)
        self._by_secret[name] = key.fingerprint
        logger.info("registered private key %s (fingerprint %s, not before %s)", name, key.fingerprint[:16],
                    key.not_before.isoformat())
        self._wake.set()  # the schedule depends on the newest key
        return key

    async def on_key_secret(self, kind: str, secret: Mapping[str, Any]) -> None:
        """Watch hook: new or changed key Secrets join the ring; deleted ones leave it."""
        if not self.settings.watch_for_secrets:
            return
        name = str((secret.get("metadata") or {}).get("name") or "")
        if kind == "DELETED":
            fingerprint = self._by_secret.pop(name, None)
            self._seen.pop(name, None)
            if fingerprint and fingerprint not in self._by_secret.values():
                self.ring.remove(fingerprint)
                for removed in list(self.removal_listeners):
                    removed(fingerprint)
                logger.info("key Secret %s was deleted; its key %s is no longer used", name, fingerprint[:16])
            return
        key = self.add_secret(secret)
        if key is not None:
            for listener in list(self.listeners):
                await listener(key)

    # -- generation ------------------------------------------------------------------------

    async def generate(self) -> SealingKey:
        """Make a key (RSA generation in a thread) and store it as a new key Secret."""
        async with self._lock:
            now = self.clock()
            key = await asyncio.to_thread(
                key_lifecycle.generate_sealing_key, now=now, bits=self.settings.key_size,
                validity=self.settings.key_ttl, common_name=self.settings.my_cn,
            )
            manifest = key_lifecycle.new_key_secret(
                key, namespace=self.settings.key_namespace,
                extra_labels=self.settings.private_key_labels,
                extra_annotations=self.settings.private_key_annotations,
            )
            manifest["metadata"]["generateName"] = self.settings.key_prefix
            created = await self.api.create(self._path, manifest)
            name = str(created["metadata"]["name"])
            stored = SealingKey(key.private_key, key.certificate, name=name)
            self.ring.add(stored)
            self._by_secret[name] = stored.fingerprint
            self._seen[name] = self._version(created)
            self.generated += 1
            logger.info("new sealing key %s (fingerprint %s)", name, stored.fingerprint[:16])
        for listener in list(self.listeners):
            await listener(stored)
        return stored

    async def ensure_key(self) -> None:
        """Start-up rule: a key if there is none, or if the newest predates the cutoff."""
        if key_lifecycle.needs_new_key(list(self.ring), self.clock(), self.settings.key_renew_period,
                                       self.settings.key_cutoff_time):
            await self.generate()

    def request_new_key(self) -> None:
        """Make a new key as soon as possible (SIGUSR1, like the Bitnami controller)."""
        self._force = True
        self._wake.set()

    def next_renewal(self) -> dt.datetime | None:
        return key_lifecycle.next_renewal(list(self.ring), self.clock(), self.settings.key_renew_period,
                                          self.settings.key_cutoff_time)

    def start(self) -> None:
        self._task = asyncio.create_task(self._renew_forever(), name="key renewal")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _renew_forever(self) -> None:
        while True:
            self._wake.clear()
            if self._force:
                self._force = False
                await self._generate_logged()
                continue
            due = self.next_renewal()
            if due is not None and due <= self.clock():
                await self._generate_logged()
                continue
            timeout = None if due is None else max(0.0, (due - self.clock()).total_seconds())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=None if timeout is None else min(timeout, 3600.0))
            except TimeoutError:
                pass

    async def _generate_logged(self) -> None:
        try:
            await self.generate()
        except SealerError as exc:
            logger.error("failed to generate a new key: %s; retrying in 30s", exc)
            await asyncio.sleep(30)

    # -- reports ---------------------------------------------------------------------------

    def names(self) -> dict[str, str]:
        """Fingerprint → key Secret name."""
        return {fp: name for name, fp in self._by_secret.items()}
