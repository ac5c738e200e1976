"""What users see of a reconcile: the ``Synced`` condition and Kubernetes events.

Status follows the Bitnami controller (``updateSealedSecretsStatusConditions``):
one ``Synced`` condition, written only when it or ``observedGeneration``
changes, so a resync writes nothing. We add ``reason`` (the event reason) and
keep ``message`` free of secret data (it carries our error messages, which
name keys and items, never values).

Events use Bitnami's reasons (``Unsealed``, ``ErrUnsealFailed``,
``ErrUpdateFailed``) and are posted from a queue by a few background workers
that give way while reconciles are running (up to ``max_delay`` seconds), so a
burst of unseals is not slowed by its own bookkeeping: Secrets and statuses
first, the informational events right after. They are not repeated for the
same outcome of the same object (Bitnami's event noise, #223).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sealer.errors import NetworkError
from sealer_controller.kubeapi import ApiError, KubeApi

logger = logging.getLogger(__name__)

SYNCED = "Synced"
UNSEALED = "Unsealed"
ERR_UNSEAL_FAILED = "ErrUnsealFailed"
ERR_UPDATE_FAILED = "ErrUpdateFailed"
SUCCESS_MESSAGE = "SealedSecret unsealed successfully"
COMPONENT = "sealed-secrets-controller"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sealed_secret_path(namespace: str, name: str) -> str:
    return f"/apis/bitnami.com/v1alpha1/namespaces/{namespace}/sealedsecrets/{name}"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str
    message: str


def synced_condition(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for condition in (body.get("status") or {}).get("conditions") or []:
        if condition.get("type") == SYNCED:
            return dict(condition)
    return None


def status_patch(body: Mapping[str, Any], outcome: Outcome) -> dict[str, Any] | None:
    """The status to write for ``outcome``, or None if the stored one already says it."""
    meta = body.get("metadata") or {}
    generation = meta.get("generation")
    status = dict(body.get("status") or {})
    current = synced_condition(body)
    want_status = "True" if outcome.ok else "False"
    message = "" if outcome.ok else outcome.message
    if (
        current is not None
        and current.get("status") == want_status
        and current.get("reason", "") == outcome.reason
        and (current.get("message") or "") == message
        and (generation is None or status.get("observedGeneration") == generation)
    ):
        return None
    now = _now()
    condition: dict[str, Any] = {
        "type": SYNCED,
        "status": want_status,
        "reason": outcome.reason,
        "lastUpdateTime": now,
        "lastTransitionTime": now if current is None or current.get("status") != want_status
        else current.get("lastTransitionTime", now),
    }
    if message:
        condition["message"] = message
    others = [c for c in status.get("conditions") or [] if c.get("type") != SYNCED]
    new_status: dict[str, Any] = {"conditions": [condition, *others]}
    if generation is not None:
        new_status["observedGeneration"] = generation
    return new_status


async def write_status(api: KubeApi, body: Mapping[str, Any], outcome: Outcome) -> dict[str, Any] | None:
    """Patch ``/status`` if needed; returns the updated SealedSecret, or None when nothing was written."""
    new_status = status_patch(body, outcome)
    if new_status is None:
        return None
    meta = body.get("metadata") or {}
    path = sealed_secret_path(str(meta.get("namespace")), str(meta.get("name"))) + "/status"
    try:
        return await api.merge_patch(path, {"status": new_status})
    except ApiError as exc:
        if exc.status == 404:  # deleted meanwhile
            return None
        raise


@dataclass(frozen=True, slots=True)
class _Pending:
    """An event waiting to be posted: just its fields (a queued burst of 10,000 stays small)."""

    namespace: str
    name: str
    uid: str
    resource_version: str
    api_version: str
    type: str
    reason: str
    message: str
    timestamp: str


class EventPoster:
    """Posts core/v1 Events from a queue; drops repeats of the last event per object."""

    def __init__(self, api: KubeApi, *, workers: int = 2, max_queue: int = 10_000, max_delay: float = 30.0,
                 busy: Callable[[], bool] = lambda: False) -> None:
        self.api = api
        self.max_delay = max_delay
        self.busy = busy
        self.queue: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=max_queue)
        self.posted = 0
        self.dropped = 0
        self.unposted = 0
        """Events emitted and not yet posted (or given up on): queued, waiting, or being sent."""
        self._last: dict[str, tuple[str, str]] = {}
        self._serial = itertools.count()
        self._workers = [asyncio.create_task(self._work(), name=f"events-{i}") for i in range(workers)]

    def emit(self, body: Mapping[str, Any], *, type_: str, reason: str, message: str) -> None:
        meta = body.get("metadata") or {}
        uid = str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
        if self._last.get(uid) == (reason, message):
            return
        self._last[uid] = (reason, message)
        pending = _Pending(
            namespace=str(meta.get("namespace") or "default"), name=str(meta.get("name") or ""),
            uid=str(meta.get("uid") or ""), resource_version=str(meta.get("resourceVersion") or ""),
            api_version=str(body.get("apiVersion") or "bitnami.com/v1alpha1"), type=type_, reason=reason,
            message=message[:1024], timestamp=_now(),
        )
        try:
            self.queue.put_nowait(pending)
        except asyncio.QueueFull:
            self.dropped += 1
        else:
            self.unposted += 1

    def _event(self, pending: _Pending) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            # client-go's recorder names events "<object>.<unix nanoseconds in hex>"; the counter keeps them unique
            "metadata": {"name": f"{pending.name}.{time.time_ns() + next(self._serial):x}",
                         "namespace": pending.namespace},
            "involvedObject": {
                "apiVersion": pending.api_version,
                "kind": "SealedSecret",
                "name": pending.name,
                "namespace": pending.namespace,
                "uid": pending.uid,
                "resourceVersion": pending.resource_version,
            },
            "type": pending.type,
            "reason": pending.reason,
            "message": pending.message,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "firstTimestamp": pending.timestamp,
            "lastTimestamp": pending.timestamp,
            "count": 1,
        }

    def forget(self, uid: str) -> None:
        self._last.pop(uid, None)

    async def _work(self) -> None:
        while True:
            pending = await self.queue.get()
            queued = time.monotonic()
            while self.busy() and time.monotonic() - queued < self.max_delay:
                await asyncio.sleep(0.05)
            try:
                await self.api.create(f"/api/v1/namespaces/{pending.namespace}/events", self._event(pending))
                self.posted += 1
            except (ApiError, NetworkError) as exc:
                logger.warning("could not post event %s for %s: %s", pending.reason, pending.name, exc)
            finally:
                self.unposted -= 1
                self.queue.task_done()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (bounded) for queued events to be posted, e.g. before shutting down."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout)
        except TimeoutError:
            pass

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
