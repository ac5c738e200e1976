"""The running operator: kopf (with its own, explicit registry) plus what kopf does not do for us.

kopf watches SealedSecrets and calls :meth:`Reconciler.on_event` for every
event (initial listing, ADDED, MODIFIED, DELETED). We deliberately use an
event handler, not kopf's change-detecting create/update handlers: those
store a diff base and progress in annotations on every object (two extra
writes per SealedSecret, and an echo each), while our own provenance on the
Secret already says what was done. So kopf never writes to a SealedSecret;
only our ``/status`` patch does, and its echo costs a dictionary lookup.

Start-up order (kopf runs startup handlers before its watchers):
connect → load key Secrets → make a key if needed → list Secrets into the
index → HTTP API and metrics → kopf starts streaming SealedSecrets.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf

from sealer.crypto import rsa_keys
from sealer.errors import DecryptionError, FormatError
from sealer.formats import manifests
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.reencrypt import reencrypt
from sealer.keys.keyring import KeyRing
from sealer_controller import http_api, memory, metrics
from sealer_controller.keystore import KeyStore
from sealer_controller.kubeapi import Connection, KubeApi, resolve
from sealer_controller.reconciler import Reconciler
from sealer_controller.secret_index import SecretIndex
from sealer_controller.settings import ControllerSettings
from sealer_controller.signals import EventPoster
from sealer_controller.unsealer import Unsealer

logger = logging.getLogger(__name__)

GROUP, VERSION, PLURAL = "bitnami.com", "v1alpha1", "sealedsecrets"
LIST_PAGE_SIZE = 250


class _MetricsAdapter:
    """:class:`reconciler.Metrics` over :class:`metrics.ControllerMetrics`."""

    def __init__(self, m: metrics.ControllerMetrics) -> None:
        self.m = m

    def unseal_requested(self) -> None:
        self.m.unseal_requested()

    def unseal_failed(self, reason: str, namespace: str) -> None:
        self.m.unseal_failed(reason, namespace)

    def observe_condition(self, sealed_secret: Mapping[str, Any]) -> None:
        self.m.observe_condition(sealed_secret)

    def forget_condition(self, sealed_secret: Mapping[str, Any]) -> None:
        self.m.forget_condition(sealed_secret)

    def observe_reconcile(self, seconds: float) -> None:
        self.m.reconcile_duration.observe(seconds)


def label_filter(selector: str) -> dict[str, Any] | None:
    """``--label-selector`` (``k=v,k2``) as kopf's ``labels=`` filter."""
    if not selector.strip():
        return None
    labels: dict[str, Any] = {}
    for term in filter(None, (t.strip() for t in selector.split(","))):
        key, sep, value = term.partition("=")
        labels[key.strip()] = value.strip().lstrip("=") if sep else kopf.PRESENT
    return labels


@dataclass
class Controller:
    """All live parts of one running controller; built in kopf's startup handler, torn down in cleanup."""

    settings: ControllerSettings
    connection: Connection
    metrics: metrics.ControllerMetrics = field(default_factory=metrics.ControllerMetrics)
    ring: KeyRing = field(default_factory=KeyRing)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    api: KubeApi | None = None
    keystore: KeyStore | None = None
    unsealer: Unsealer | None = None
    index: SecretIndex | None = None
    events: EventPoster | None = None
    reconciler: Reconciler | None = None
    http_url: str = ""
    metrics_url: str = ""
    _runners: list[Any] = field(default_factory=list)
    start_time: float = field(default_factory=time.monotonic)
    loop: asyncio.AbstractEventLoop | None = None
    _trimmer: asyncio.Task[None] | None = None

    def call_soon(self, callback: Any) -> None:
        """Run ``callback`` on the operator's event loop from any thread (tests, signal bridges)."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(callback)

    async def start(self) -> None:
        s = self.settings
        self.loop = asyncio.get_running_loop()
        self.api = KubeApi(self.connection)
        self.unsealer = Unsealer(self.ring, workers=s.rsa_workers)
        self.keystore = KeyStore(self.api, s, self.ring)
        loaded = await self.keystore.load()
        logger.info("loaded %d sealing key(s) from %s", loaded, s.key_namespace)
        await self.keystore.ensure_key()
        self.events = EventPoster(self.api, busy=lambda: bool(self.reconciler and self.reconciler.busy))
        self.index = SecretIndex(
            self.api, namespaces=s.watched_namespaces, verify=self.unsealer.verify, key_namespace=s.key_namespace,
            on_key=self.keystore.on_key_secret,
        )
        self.reconciler = Reconciler(api=self.api, settings=s, unsealer=self.unsealer, index=self.index,
                                     events=self.events, metrics=_MetricsAdapter(self.metrics))
        self.index.on_secret = self.reconciler.on_secret_event
        unsealer = self.unsealer
        unsealer.keys_changed()
        self.keystore.listeners.append(self._on_new_key)  # first: later listeners unseal with the new key
        self.keystore.listeners.append(self.reconciler.on_new_key)
        self.keystore.removal_listeners.append(lambda _fingerprint: unsealer.keys_changed())
        await self.index.prime()
        self.index.start()
        self.reconciler.start()
        self.keystore.start()
        self.metrics.count_rsa_operations_from(lambda: self.ring.rsa_operations)
        self.metrics.count_keys_from(lambda: len(self.ring))
        app = http_api.create_app(self, verify_rate=int(s.rate_limit), verify_burst=s.rate_limit_burst,
                                  middlewares=[self.metrics.http_middleware()])
        runner = await http_api.start_http_server(app, s.listen_addr)
        self._runners.append(runner)
        self.http_url = http_api.bound_url(runner)
        if s.listen_metrics_addr:
            metrics_runner = await metrics.start_metrics_server(self.metrics, s.listen_metrics_addr)
            self._runners.append(metrics_runner)
            self.metrics_url = http_api.bound_url(metrics_runner)
        self._trimmer = asyncio.create_task(self._trim_after_bursts(), name="memory trim")
        self.started.set()
        logger.info("controller ready: HTTP %s, metrics %s", self.http_url, self.metrics_url or "off")

    async def _trim_after_bursts(self) -> None:
        """Once a burst of reconciles is over, hand freed heap back to the OS (see :mod:`.memory`)."""
        seen = -1
        while True:
            await asyncio.sleep(1.0)
            reconciler = self.reconciler
            if reconciler is None or reconciler.in_flight or reconciler.stats.reconciles == seen:
                continue
            seen = reconciler.stats.reconciles
            memory.trim()

    async def _on_new_key(self, key: Any) -> None:
        if self.unsealer is not None:
            self.unsealer.keys_changed()

    async def stop(self) -> None:
        if self._trimmer is not None:
            self._trimmer.cancel()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        if self.keystore is not None:
            await self.keystore.stop()
        if self.index is not None:
            await self.index.stop()
        if self.reconciler is not None:
            await self.reconciler.close()
        if self.events is not None:
            await self.events.drain(2.0)
            await self.events.close()
        if self.unsealer is not None:
            self.unsealer.close()
        if self.api is not None:
            await self.api.close()

    # -- the HTTP API's callables ------------------------------------------------------

    def healthy(self) -> bool:
        return self.started.is_set() and len(self.ring) > 0

    def certificate_pem(self) -> bytes:
        newest = self.ring.newest()
        assert newest.certificate is not None
        return rsa_keys.certificate_to_pem(newest.certificate)

    @staticmethod
    def _one(body: bytes) -> Any:
        docs = manifests.load_documents(body, source="request body")
        if len(docs) != 1:
            raise FormatError("request body must hold exactly one SealedSecret", hint="send one document")
        return docs[0]

    async def verify(self, body: bytes) -> None:
        ss = SealedSecret.from_dict(self._one(body), source="request body")
        assert self.unsealer is not None
        await self.unsealer.decrypt(ss)

    async def rotate(self, body: bytes) -> bytes:
        doc = self._one(body)
        SealedSecret.from_dict(doc, source="request body")  # fail early on a wrong document
        newest = self.ring.newest()
        assert self.unsealer is not None
        loop = asyncio.get_running_loop()
        try:
            rotated = await loop.run_in_executor(
                None, lambda: reencrypt(doc, self.ring, newest.private_key.public_key())
            )
        except DecryptionError:
            raise
        return manifests.dump_json(rotated)

    def keys_report(self) -> Mapping[str, Any]:
        """Which keys are still needed by which SealedSecrets, so old keys can be retired safely."""
        assert self.unsealer is not None and self.keystore is not None
        usage = self.unsealer.usage()
        names = self.keystore.names()
        newest = self.ring.newest().fingerprint if len(self.ring) else None
        keys = []
        for key in sorted(self.ring, key=lambda k: k.not_before):
            users = usage.get(key.fingerprint, [])
            keys.append({
                "fingerprint": key.fingerprint,
                "secret": names.get(key.fingerprint, key.name),
                "notBefore": key.not_before.isoformat(),
                "sealing": key.fingerprint == newest,
                "usedBy": users,
                "retirable": not users and key.fingerprint != newest,
            })
        return {"namespace": self.settings.key_namespace, "keys": keys}


class NoDiffBase(kopf.DiffBaseStorage):  # type: ignore[misc]
    """No diff base: kopf builds one for every event (a deep copy of the body) to detect changes.

    Only change-detecting handlers (on.create/update/field) use it, and we have
    none: our provenance on the Secret says what changed. So build nothing and
    store nothing; kopf then never writes a last-handled annotation either.
    """

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> None:  # type: ignore[override]
        return None

    def fetch(self, *, body: kopf.Body) -> None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: Any) -> None:
        return None


def build_registry(controller: Controller) -> kopf.OperatorRegistry:
    """kopf handlers on an explicit registry (never kopf's global one), closed over ``controller``."""
    registry = kopf.OperatorRegistry()
    settings = controller.settings

    @kopf.on.startup(registry=registry)
    async def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
        # kopf must not write to SealedSecrets (no progress/diff-base annotations: we only use an event
        # handler), nor post its own log lines as events, nor take part in peering.
        settings.posting.enabled = False
        settings.peering.standalone = True
        settings.peering.mandatory = False
        settings.scanning.disabled = True
        settings.persistence.diffbase_storage = NoDiffBase()
        # List in pages: the first page is being unsealed while the next one downloads, and a restart
        # over 10,000 SealedSecrets never holds the whole list (30 MB of JSON, ~4x that parsed) at once.
        settings.watching.chunk_size = LIST_PAGE_SIZE
        settings.watching.server_timeout = 600
        settings.watching.client_timeout = 660
        settings.watching.reconnect_backoff = 0.5
        settings.networking.error_backoffs = [0.1, 0.5, 1, 2, 5]
        await controller.start()

    @kopf.on.cleanup(registry=registry)
    async def cleanup(**_: Any) -> None:
        await controller.stop()

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        conn = controller.connection
        token = conn.current_token()
        return kopf.ConnectionInfo(
            server=conn.server,
            ca_path=conn.ca_path,
            ca_data=conn.ca_data,
            insecure=conn.insecure or None,
            scheme="Bearer" if token else None,
            token=token,
            certificate_data=conn.certificate_data,
            private_key_data=conn.private_key_data,
            default_namespace=settings.key_namespace,
        )

    @kopf.on.event(GROUP, VERSION, PLURAL, registry=registry, labels=label_filter(settings.label_selector))
    async def sealed_secret_event(event: Mapping[str, Any], body: kopf.Body, **_: Any) -> None:
        assert controller.reconciler is not None
        raw = {key: body[key] for key in body}  # the raw JSON parts, not kopf's live views
        await controller.reconciler.on_event(event.get("type"), raw)

    return registry


async def run(settings: ControllerSettings, *, stop_flag: Any = None, ready: threading.Event | None = None,
              controller_out: list[Controller] | None = None) -> None:
    """Run the operator until ``stop_flag`` (an asyncio/threading Event or Future) is set, or SIGTERM/SIGINT."""
    connection = resolve(kubeconfig=settings.kubeconfig, server=settings.server)
    controller = Controller(settings=settings, connection=connection)
    if controller_out is not None:
        controller_out.append(controller)
    registry = build_registry(controller)
    namespaces = settings.watched_namespaces
    loop = asyncio.get_running_loop()
    if threading.current_thread() is threading.main_thread():

        def new_key() -> None:
            if controller.keystore is not None:
                controller.keystore.request_new_key()

        try:
            loop.add_signal_handler(signal.SIGUSR1, new_key)
        except (NotImplementedError, RuntimeError, AttributeError):
            pass
    if ready is not None:
        async def announce() -> None:
            await controller.started.wait()
            ready.set()
        waiter = asyncio.create_task(announce())
    try:
        await kopf.operator(
            registry=registry,
            clusterwide=namespaces is None,
            namespaces=list(namespaces or []),
            standalone=True,
            stop_flag=stop_flag,
        )
    finally:
        if ready is not None:
            waiter.cancel()
