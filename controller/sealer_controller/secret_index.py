"""A compact, live view of the Secrets the controller cares about.

One paginated list, then a watch resumed from its resourceVersion (relisting
on 410 Gone or a dropped stream). Each Secret is reduced at once to a small
:class:`SecretRecord` and its body dropped, so 10,000 Secrets cost a few MB,
not a copy of every Secret in the cluster. The records let a reconcile decide
"nothing to do" without an API call, and the watch lets the controller:

* recreate a Secret someone deleted (unless ``--skip-recreate``),
* notice when someone changed the data we wrote (drift) and restore it,
* pick up new, imported or deleted key Secrets without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sealer.keys.key_secrets import KEY_LABEL
from sealer_controller.kubeapi import ApiError, KubeApi
from sealer_controller.unsealer import PROVENANCE_ANNOTATION, Provenance

logger = logging.getLogger(__name__)

MANAGED_ANNOTATION = "sealedsecrets.bitnami.com/managed"
PATCH_ANNOTATION = "sealedsecrets.bitnami.com/patch"
SEALED_SECRET_KIND = "SealedSecret"


@dataclass(slots=True)
class SecretRecord:
    """What a reconcile needs to know about one Secret, without its data (a few hundred bytes)."""

    controller_uid: str | None
    """uid of the SealedSecret in a ``controller: true`` ownerReference, if any."""
    managed: bool
    patch: bool
    inputs: str
    """:func:`unsealer.inputs_digest` of the provenance ("" without one)."""
    opened_by: frozenset[str]
    """Fingerprint prefixes of the keys the values were opened with."""
    verified: bool
    """The provenance MAC matches the data now in the Secret."""
    immutable: bool


_PREFIX_SETS: dict[frozenset[str], frozenset[str]] = {}


def _prefix_set(prefixes: Iterable[str]) -> frozenset[str]:
    """Share one frozenset per distinct key combination (10,000 Secrets, a handful of combinations)."""
    key = frozenset(sys.intern(p) for p in prefixes)
    return _PREFIX_SETS.setdefault(key, key)


def controller_uid(secret: Mapping[str, Any]) -> str | None:
    for ref in (secret.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == SEALED_SECRET_KIND:
            return str(ref.get("uid") or "") or None
    return None


def is_key_secret(secret: Mapping[str, Any], key_namespace: str) -> bool:
    meta = secret.get("metadata") or {}
    return meta.get("namespace") == key_namespace and KEY_LABEL in (meta.get("labels") or {})


Verifier = Callable[[Provenance | None, Mapping[str, Any] | None], bool]
SecretHook = Callable[[str, Mapping[str, Any], "SecretRecord | None", "SecretRecord | None"], Awaitable[None]]
"""(event type, Secret, previous record, new record) → coroutine; called for Secrets we track."""
KeyHook = Callable[[str, Mapping[str, Any]], Awaitable[None]]


class SecretIndex:
    """Records of Secrets that carry our provenance or a SealedSecret ownerReference or a managed annotation."""

    def __init__(self, api: KubeApi, *, namespaces: tuple[str, ...] | None, verify: Verifier,
                 key_namespace: str, on_secret: SecretHook | None = None, on_key: KeyHook | None = None) -> None:
        self.api = api
        self.namespaces = namespaces
        self.verify = verify
        self.key_namespace = key_namespace
        self.on_secret = on_secret
        self.on_key = on_key
        self.records: dict[tuple[str, str], SecretRecord] = {}
        self.synced = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._versions: dict[str | None, str] = {}

    # -- records -----------------------------------------------------------------------

    def record_for(self, secret: Mapping[str, Any]) -> SecretRecord | None:
        meta = secret.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        provenance = Provenance.from_annotation(annotations.get(PROVENANCE_ANNOTATION))
        owner = controller_uid(secret)
        managed = annotations.get(MANAGED_ANNOTATION) == "true"
        patch = annotations.get(PATCH_ANNOTATION) == "true"
        if provenance is None and owner is None and not managed and not patch:
            return None
        return SecretRecord(
            controller_uid=sys.intern(owner) if owner else None,
            managed=managed,
            patch=patch,
            inputs=provenance.inputs if provenance is not None else "",
            opened_by=_prefix_set(provenance.opened_by.values()) if provenance is not None else frozenset(),
            verified=self.verify(provenance, secret.get("data")),
            immutable=bool(secret.get("immutable")),
        )

    def get(self, namespace: str, name: str) -> SecretRecord | None:
        return self.records.get((namespace, name))

    def observe(self, secret: Mapping[str, Any]) -> SecretRecord | None:
        """Update the record from a Secret we just read or wrote (the watch will confirm it)."""
        meta = secret.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        record = self.record_for(secret)
        if record is None:
            self.records.pop(key, None)
        else:
            self.records[key] = record
        return record

    # -- list + watch ------------------------------------------------------------------

    def _paths(self) -> list[tuple[str | None, str]]:
        if self.namespaces is None:
            return [(None, "/api/v1/secrets")]
        spaces = dict.fromkeys([*self.namespaces, self.key_namespace])
        return [(ns, f"/api/v1/namespaces/{ns}/secrets") for ns in spaces]

    async def prime(self) -> None:
        """The initial list (page by page); afterwards :meth:`start` keeps the records live."""
        for namespace, path in self._paths():
            self._versions[namespace] = await self._list(path)
        self.synced.set()

    async def _list(self, path: str) -> str:
        last_version = ""
        async for items, version in self.api.list_pages(path):
            last_version = version
            for secret in items:
                await self._apply("ADDED", secret, initial=True)
        return last_version

    def start(self) -> None:
        for namespace, path in self._paths():
            self._tasks.append(asyncio.create_task(self._watch_forever(namespace, path), name=f"watch {path}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _watch_forever(self, namespace: str | None, path: str) -> None:
        delay = 0.1
        while True:
            version = self._versions.get(namespace, "")
            try:
                if not version:
                    version = await self._list(path)
                    self._versions[namespace] = version
                async for event in self.api.watch(path, params={"resourceVersion": version}):
                    delay = 0.1
                    kind = event.get("type")
                    obj = event.get("object") or {}
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            logger.info("secret watch of %s expired; relisting", path)
                            self._versions[namespace] = ""
                        break
                    rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
                    if rv:
                        self._versions[namespace] = rv
                    if kind in ("ADDED", "MODIFIED", "DELETED"):
                        await self._apply(str(kind), obj)
            except asyncio.CancelledError:
                raise
            except (ApiError, OSError, ValueError) as exc:
                if isinstance(exc, ApiError) and exc.status == 410:
                    self._versions[namespace] = ""
                logger.warning("secret watch of %s failed (%s); retrying in %.1fs", path, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception as exc:  # the watch must survive: a bug in one event must not stop recreation
                logger.exception("secret watch of %s: unexpected %s; retrying", path, type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _apply(self, kind: str, secret: Mapping[str, Any], *, initial: bool = False) -> None:
        meta = secret.get("metadata") or {}
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if self.on_key is not None and is_key_secret(secret, self.key_namespace):
            await self.on_key(kind, secret)
        previous = self.records.get(key)
        if kind == "DELETED":
            self.records.pop(key, None)
            record = None
        else:
            record = self.record_for(secret)
            if record is None:
                self.records.pop(key, None)
            else:
                self.records[key] = record
        if not initial and self.on_secret is not None and (previous is not None or record is not None):
            await self.on_secret(kind, secret, previous, record)
