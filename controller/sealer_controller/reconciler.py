"""One SealedSecret in, its Secret, status and events out: the decisions, in one place.

The order of checks is what makes the controller cheap in the common case:

1. The Secret index says the Secret is exactly what this SealedSecret makes
   (provenance digests match, MAC verifies, owner reference as wanted): no
   API read, no RSA, and no status write unless the status is stale. This is
   every resync, every echo of our own status write, and every restart.
2. Otherwise read the Secret, refuse if it is not ours, reuse the values whose
   ciphertext did not change (from the verified Secret), decrypt the rest on
   the RSA pool, render, write with optimistic concurrency.

Failures never propagate to kopf: each ends as a ``Synced=False`` condition,
an event and an error metric; transient ones (API errors) are retried with
backoff up to ``--max-unseal-retries``; decryption failures are retried when a
new key arrives. One bad SealedSecret therefore never blocks another.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sealer.errors import ConflictError, DecryptionError, FormatError, KeyNotFoundError, NetworkError, SealerError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.unseal import build_secret
from sealer.keys.keyring import SealingKey
from sealer_controller.kubeapi import KubeApi
from sealer_controller.secret_index import SecretIndex, SecretRecord
from sealer_controller.secret_writer import (
    ImmutableSecretError,
    NotManagedError,
    SecretWriter,
    owner_reference,
    secrets_path,
    wants_owner_reference,
)
from sealer_controller.settings import ControllerSettings
from sealer_controller.signals import (
    ERR_UNSEAL_FAILED,
    ERR_UPDATE_FAILED,
    SUCCESS_MESSAGE,
    UNSEALED,
    EventPoster,
    Outcome,
    sealed_secret_path,
    write_status,
)
from sealer_controller.unsealer import (
    LEGACY_ITEM,
    PROVENANCE_ANNOTATION,
    Provenance,
    Unsealer,
    decode_data,
    inputs_digest,
    opened_by,
    quick_inputs,
    source_digests,
    template_digest,
)

logger = logging.getLogger(__name__)


class Metrics(Protocol):
    """What the reconciler records (implemented by ``metrics.ControllerMetrics``)."""

    def unseal_requested(self) -> None: ...
    def unseal_failed(self, reason: str, namespace: str) -> None: ...
    def observe_condition(self, sealed_secret: Mapping[str, Any]) -> None: ...
    def forget_condition(self, sealed_secret: Mapping[str, Any]) -> None: ...
    def observe_reconcile(self, seconds: float) -> None: ...


_KEPT_METADATA = ("name", "namespace", "uid", "generation", "resourceVersion", "labels", "deletionTimestamp")


def _compact(body: Mapping[str, Any]) -> dict[str, Any]:
    """What a queued reconcile needs of a SealedSecret: spec, status and a few metadata fields.

    Sub-objects are shared, not copied; dropping ``managedFields`` and kubectl's
    last-applied annotation (a second copy of the whole object) halves a real
    cluster's queued bodies.
    """
    meta = body.get("metadata") or {}
    kept = {k: meta[k] for k in _KEPT_METADATA if k in meta}
    annotations = meta.get("annotations") or {}
    if annotations:
        kept["annotations"] = {k: v for k, v in annotations.items()
                               if k != "kubectl.kubernetes.io/last-applied-configuration"}
    out = {"apiVersion": body.get("apiVersion"), "kind": body.get("kind"), "metadata": kept,
           "spec": body.get("spec") or {}}
    if body.get("status"):
        out["status"] = body["status"]
    return out


class _Failure(Exception):
    def __init__(self, event_reason: str, metric_reason: str, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.event_reason = event_reason
        self.metric_reason = metric_reason
        self.message = message
        self.transient = transient


@dataclass
class ReconcileStats:
    """Counters for tests and benchmarks (the metrics carry the same facts for operators)."""

    reconciles: int = 0
    fast_path: int = 0
    secret_writes: int = 0
    status_writes: int = 0
    failures: int = 0
    retries_scheduled: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


class Reconciler:
    CONCURRENCY = 32
    """Slow-path reconciles (parse, decrypt, write) running at once."""

    def __init__(self, *, api: KubeApi, settings: ControllerSettings, unsealer: Unsealer, index: SecretIndex,
                 events: EventPoster, metrics: Metrics) -> None:
        self.api = api
        self.settings = settings
        self.unsealer = unsealer
        self.index = index
        self.events = events
        self.metrics = metrics
        self.writer = SecretWriter(api, ours=self._ours)
        self.stats = ReconcileStats()
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._attempts: dict[tuple[str, str], int] = {}
        self._retry_handles: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._undecryptable: set[tuple[str, str]] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self.in_flight = 0
        """Reconciles running now (the event poster gives way while any are)."""
        self._slots = asyncio.Semaphore(self.CONCURRENCY)
        self._pending: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    def _ours(self, secret: Mapping[str, Any]) -> bool:
        record = self.index.record_for(secret)
        return bool(record is not None and record.verified)

    # -- entry points ------------------------------------------------------------------

    async def on_event(self, kind: str | None, body: Mapping[str, Any]) -> Outcome | None:
        """kopf event handler body: ``kind`` is None (initial listing), ADDED, MODIFIED or DELETED.

        The common case (nothing to do) is answered here; real work is queued, newest body per
        SealedSecret, for the workers, so kopf's per-object workers (each holding a whole body) finish
        at once instead of piling up behind the RSA pool during a burst.
        """
        meta = body.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if kind == "DELETED":
            self.forget(key, body)
            return None
        if meta.get("deletionTimestamp"):
            return None  # the garbage collector removes the Secret with it
        if key not in self._locks and key not in self._pending:
            outcome = await self._fast(key, body)
            if outcome is not None:
                return outcome
        self._pending[key] = _compact(body)
        if not self._workers:
            return await self.reconcile(self._pending.pop(key))  # not started: work inline (tests, tools)
        self._queue.put_nowait(key)
        return None

    async def _fast(self, key: tuple[str, str], body: Mapping[str, Any]) -> Outcome | None:
        """The Secret is already exactly what ``body`` makes: bookkeeping only; None if there is work."""
        namespace, name = key
        record = self.index.get(namespace, name)
        if record is None:
            return None
        quick = quick_inputs(body)
        uid = str((body.get("metadata") or {}).get("uid") or "")
        if quick is None or not self._up_to_date(record, quick, wants_owner_reference(body), uid):
            return None
        started = time.perf_counter()
        self.stats.reconciles += 1
        self.stats.fast_path += 1
        self.metrics.unseal_requested()
        self.unsealer.remember(namespace, name, record.opened_by)
        outcome = Outcome(True, UNSEALED, SUCCESS_MESSAGE)
        self._attempts.pop(key, None)
        self.stats.by_outcome[UNSEALED] = self.stats.by_outcome.get(UNSEALED, 0) + 1
        await self._write_status(key, body, outcome)
        self.metrics.observe_reconcile(time.perf_counter() - started)
        return outcome

    def start(self) -> None:
        """Start the workers that take queued SealedSecrets (``CONCURRENCY`` of them)."""
        self._workers = [asyncio.create_task(self._work(), name=f"unseal-{i}") for i in range(self.CONCURRENCY)]

    @property
    def busy(self) -> bool:
        return bool(self.in_flight or self._pending)

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            body = self._pending.pop(key, None)
            if body is None:
                continue  # a newer event for the same object was handled already
            try:
                await self.reconcile(body)
            except Exception:  # a bug must cost one object, not a worker
                logger.exception("SealedSecret %s/%s: unexpected failure while reconciling", *key)

    def forget(self, key: tuple[str, str], body: Mapping[str, Any]) -> None:
        self.unsealer.forget(*key)
        self.metrics.forget_condition(body)
        self.events.forget(str((body.get("metadata") or {}).get("uid") or ""))
        self._attempts.pop(key, None)
        self._undecryptable.discard(key)
        handle = self._retry_handles.pop(key, None)
        if handle is not None:
            handle.cancel()
        self._locks.pop(key, None)

    async def reconcile(self, body: Mapping[str, Any]) -> Outcome:
        meta = body.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                return await self._reconcile(key, body)
        finally:
            if not lock.locked() and self._locks.get(key) is lock:
                del self._locks[key]  # 10,000 idle locks are memory for nothing

    async def reconcile_by_name(self, namespace: str, name: str) -> Outcome | None:
        """Fetch the SealedSecret and reconcile it (Secret deleted or drifted, retry, new key)."""
        try:
            body = await self.api.get(sealed_secret_path(namespace, name))
        except SealerError as exc:
            logger.warning("could not read SealedSecret %s/%s: %s", namespace, name, exc)
            self._schedule_retry((namespace, name))
            return None
        if body is None or (body.get("metadata") or {}).get("deletionTimestamp"):
            return None
        return await self.reconcile(body)

    def spawn(self, namespace: str, name: str) -> None:
        task = asyncio.create_task(self.reconcile_by_name(namespace, name), name=f"reconcile {namespace}/{name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def on_secret_event(self, kind: str, secret: Mapping[str, Any], previous: SecretRecord | None,
                              record: SecretRecord | None) -> None:
        """Secret watch hook: recreate a deleted Secret, restore one whose data we wrote was changed."""
        if self.settings.skip_recreate:
            return
        meta = secret.get("metadata") or {}
        namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        if kind == "DELETED" and previous is not None:
            logger.info("Secret %s/%s was deleted; recreating it from its SealedSecret", namespace, name)
            self.spawn(namespace, name)
        elif kind == "MODIFIED" and previous is not None and previous.verified and not (record and record.verified):
            logger.info("Secret %s/%s changed outside the controller; restoring it", namespace, name)
            self.spawn(namespace, name)

    async def on_new_key(self, key: SealingKey) -> None:
        """A key arrived: what failed to decrypt may open now."""
        pending, self._undecryptable = self._undecryptable, set()
        for namespace, name in sorted(pending):
            self.spawn(namespace, name)

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        for handle in self._retry_handles.values():
            handle.cancel()
        self._retry_handles.clear()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    # -- the decision ------------------------------------------------------------------

    async def _reconcile(self, key: tuple[str, str], body: Mapping[str, Any]) -> Outcome:
        self.in_flight += 1
        try:
            return await self._reconcile_counted(key, body)
        finally:
            self.in_flight -= 1

    async def _reconcile_counted(self, key: tuple[str, str], body: Mapping[str, Any]) -> Outcome:
        started = time.perf_counter()
        self.stats.reconciles += 1
        self.metrics.unseal_requested()
        try:
            outcome = await self._unseal(key, body)
        except _Failure as failure:
            outcome = Outcome(False, failure.event_reason, failure.message)
            self.stats.failures += 1
            self.metrics.unseal_failed(failure.metric_reason, key[0])
            self.events.emit(body, type_="Warning", reason=failure.event_reason, message=failure.message)
            logger.warning("SealedSecret %s/%s: %s", key[0], key[1], failure.message)
            if failure.transient:
                self._schedule_retry(key)
        else:
            self._attempts.pop(key, None)
        self.stats.by_outcome[outcome.reason] = self.stats.by_outcome.get(outcome.reason, 0) + 1
        await self._write_status(key, body, outcome)
        self.metrics.observe_reconcile(time.perf_counter() - started)
        return outcome

    async def _write_status(self, key: tuple[str, str], body: Mapping[str, Any], outcome: Outcome) -> None:
        if not self.settings.update_status:
            return
        try:
            updated = await write_status(self.api, body, outcome)
        except SealerError as exc:
            logger.warning("SealedSecret %s/%s: status not updated: %s", key[0], key[1], exc)
            self.metrics.unseal_failed("status", key[0])
            self._schedule_retry(key)
            return
        if updated is not None:
            self.stats.status_writes += 1
            self.metrics.observe_condition(updated)
        else:
            self.metrics.observe_condition(body)

    def _schedule_retry(self, key: tuple[str, str]) -> None:
        attempt = self._attempts.get(key, 0) + 1
        if attempt > self.settings.max_unseal_retries or key in self._retry_handles:
            return
        self._attempts[key] = attempt
        delay = min(0.2 * 2 ** (attempt - 1), 30.0)
        self.stats.retries_scheduled += 1

        def fire() -> None:
            self._retry_handles.pop(key, None)
            self.spawn(*key)

        self._retry_handles[key] = asyncio.get_running_loop().call_later(delay, fire)

    async def _unseal(self, key: tuple[str, str], body: Mapping[str, Any]) -> Outcome:
        namespace, name = key
        want_owner = wants_owner_reference(body)
        uid = str((body.get("metadata") or {}).get("uid") or "")
        record = self.index.get(namespace, name)
        quick = quick_inputs(body) if record is not None else None
        if record is not None and quick is not None and self._up_to_date(record, quick, want_owner, uid):
            self.stats.fast_path += 1  # every echo, resync and restart ends here: no copy, no I/O, no RSA
            self.unsealer.remember(namespace, name, record.opened_by)
            return Outcome(True, UNSEALED, SUCCESS_MESSAGE)
        # The real work is bounded, so a burst of 10,000 new SealedSecrets does not hold 10,000 parsed
        # copies and plaintexts at once; 32 in flight keep the RSA pool and the API connection busy.
        async with self._slots:
            return await self._unseal_slow(key, body, want_owner, uid)

    async def _unseal_slow(self, key: tuple[str, str], body: Mapping[str, Any], want_owner: bool,
                           uid: str) -> Outcome:
        namespace, name = key
        try:
            ss = SealedSecret.from_dict(body, source=f"SealedSecret {namespace}/{name}")
        except FormatError as exc:
            raise _Failure(ERR_UNSEAL_FAILED, "unseal", f"Failed to unseal: {exc}", transient=False) from None
        if ss.legacy_data is not None and not self.settings.accept_deprecated_v1_data:
            raise _Failure(ERR_UNSEAL_FAILED, "unseal",
                           "Failed to unseal: using deprecated 'data' field, use 'encryptedData' or flip the "
                           "feature flag", transient=False)
        sources = source_digests(ss)
        template = template_digest(ss)
        inputs = inputs_digest(sources, template)
        record = self.index.get(namespace, name)

        current: Mapping[str, Any] | None = None
        if record is not None or not self.index.synced.is_set():
            try:
                current = await self.api.get(secrets_path(namespace, name))
            except NetworkError as exc:
                raise _Failure(ERR_UPDATE_FAILED, "fetch", str(exc), transient=True) from None
        # else: no Secret of ours by that name; create it, and a 409 (someone else's Secret) makes the writer look.
        current_record = self.index.observe(current) if current is not None else None
        if current is not None and not self.writer.may_write(current, body):
            message = f'Resource "{name}" already exists and is not managed by SealedSecret'
            raise _Failure(ERR_UPDATE_FAILED, "unmanaged", message, transient=False)
        if current_record is not None and self._up_to_date(current_record, inputs, want_owner, uid):
            self.stats.fast_path += 1
            self.unsealer.remember(namespace, name, current_record.opened_by)
            return Outcome(True, UNSEALED, SUCCESS_MESSAGE)

        previous = None
        if current is not None and current_record is not None and current_record.verified:
            annotations = (current.get("metadata") or {}).get("annotations") or {}
            previous = Provenance.from_annotation(annotations.get(PROVENANCE_ANNOTATION))
        reusable: set[str] = set()
        if previous is not None and ss.legacy_data is None:
            reusable = {
                item for item, digest in sources.items()
                if previous.sources.get(item) == digest and item not in ss.template.data and item in previous.produced
            }
        need = set(sources) - reusable
        try:
            values = decode_data(current.get("data") if current else None, reusable)
            fresh = await self.unsealer.decrypt(ss, need) if need else None
            if fresh is not None:
                values.update(fresh.values)
            desired = build_secret(ss, values, legacy_secret=fresh.legacy_secret if fresh is not None else None)
        except SealerError as exc:
            if isinstance(exc, (DecryptionError, KeyNotFoundError)):
                self._undecryptable.add(key)  # a key imported later may open it
            raise _Failure(ERR_UNSEAL_FAILED, "unseal", f"Failed to unseal: {exc}", transient=False) from None
        finally:
            values = {}  # drop plaintext references as soon as the manifest is built

        meta = desired["metadata"]
        if want_owner and uid:
            meta["ownerReferences"] = [owner_reference(body)]
        provenance = Provenance(
            sources=sources, template=template, produced=tuple(sorted(desired.get("data") or {})),
            opened_by=opened_by(previous, fresh, self.unsealer.ring, sources), mac_key="",
        )
        signed = self.unsealer.sign(provenance, desired.get("data") or {})
        meta.setdefault("annotations", {})[PROVENANCE_ANNOTATION] = signed.to_annotation()
        try:
            result = await self.writer.write(desired, body, current=current, known_absent=current is None)
        except NotManagedError as exc:
            raise _Failure(ERR_UPDATE_FAILED, "unmanaged", exc.message, transient=False) from None
        except ImmutableSecretError as exc:
            raise _Failure(ERR_UPDATE_FAILED, "update", exc.message, transient=False) from None
        except (NetworkError, ConflictError) as exc:
            raise _Failure(ERR_UPDATE_FAILED, "update", str(exc), transient=True) from None
        finally:
            desired = {}
        self.index.observe(result.secret)
        self.unsealer.remember(namespace, name, frozenset(signed.opened_by.values()))
        self._undecryptable.discard(key)
        if result.changed:
            self.stats.secret_writes += 1
            if self.settings.success_events:
                self.events.emit(body, type_="Normal", reason=UNSEALED, message=SUCCESS_MESSAGE)
        return Outcome(True, UNSEALED, SUCCESS_MESSAGE)

    @staticmethod
    def _up_to_date(record: SecretRecord, inputs: str, want_owner: bool, uid: str) -> bool:
        if not record.verified or record.inputs != inputs:
            return False
        if want_owner and not (record.patch and not record.managed):
            return record.controller_uid == uid
        return True


__all__ = ["LEGACY_ITEM", "ReconcileStats", "Reconciler"]
