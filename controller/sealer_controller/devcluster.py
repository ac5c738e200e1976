"""An emulated Kubernetes API server for tests and ``sealer-controller demo``: KMock with its gaps closed.

Needs the test extra (``kmock``); nothing in the running controller imports it.

Run it in its own thread and event loop (the synchronous ``kubernetes`` client
deadlocks on the emulator's loop), talk to it over real HTTP on 127.0.0.1::

    with KubeEmulator() as emu:
        client = emu.api_client()               # an official kubernetes.client.ApiClient
        path = emu.write_kubeconfig(tmp_path / "kubeconfig")
        emu.inject_errors(409, count=2, verb="PATCH", resource=SECRETS)
        ...
        emu.get(SECRETS, "ns", "name")          # what the store holds now (a copy)
        emu.writes(resource=SECRETS)            # every write request that reached the store

Or as a process (benchmarks keep its memory out of the controller's):
``python -m sealer_controller.devcluster --kubeconfig PATH`` prints the URL and
serves until stdin closes. Tests import it as ``tests.support.kube_emulator``.

What it adds to the stock ``kmock.KubernetesEmulator`` (kmock 0.8), each a
behaviour of a real API server that our code relies on:

- ``metadata.uid``, ``namespace``, ``creationTimestamp``, ``resourceVersion``
  (a cluster-wide counter bumped on every write), ``generation`` for custom
  resources (bumped when anything outside metadata/status changes);
  ``generateName``; 201 on create; 409 ``AlreadyExists``.
- PUT (replace) is routed; a stale ``metadata.resourceVersion`` in a PUT or
  PATCH body gets 409 ``Conflict``.
- Resources with a ``status`` subresource: writes to the main resource ignore
  ``status``, writes to ``/status`` change only ``status``, as the API server does.
- JSON patch, merge patch; strategic merge patch is treated as a merge patch
  (lists are replaced, not merged by key).
- List pages with ``limit``/``continue`` in key order, every page carrying
  the first page's ``resourceVersion`` (so a watch from it replays what changed
  while paging); ``labelSelector`` (``k=v``, ``k!=v``, ``k``, ``!k``) and
  ``fieldSelector`` on ``metadata.name``/``metadata.namespace``; an unpaged
  list returns the current ``resourceVersion``; watch resumes from a ``resourceVersion``
  out of a bounded event log (older → an ``ERROR`` event with 410 Gone),
  honours ``timeoutSeconds``.
- O(1) object lookups (the stock emulator scans every object per request).
- ``bitnami.com/v1alpha1`` ``sealedsecrets`` in discovery, with ``status``.
- :meth:`KubeEmulator.inject_errors`: the next N matching requests fail with a
  chosen status before touching the store (real servers return 409 on
  conflicts and 5xx under load; the emulator never would by itself).

- Garbage collection by ``ownerReferences`` (background propagation, and
  ``Orphan``): a dependent whose last owner is deleted is deleted with it.

Still not emulated (tests assert what our code *sends* instead): foreground
deletion and ``blockOwnerDeletion``, admission/validation against CRD schemas,
strategic-merge list semantics, RBAC, bookmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import builtins
import collections
import copy
import datetime as dt
import json
import secrets
import string
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp.web
import jsonpatch
import kmock

SECRETS = "v1/secrets"
EVENTS = "v1/events"
NAMESPACES = "v1/namespaces"
SEALED_SECRETS = "bitnami.com/v1alpha1/sealedsecrets"

_EVENT_LOG_SIZE = 100_000
_NAME_CHARS = string.ascii_lowercase + string.digits


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
            "code": code, "reason": reason, "message": message}


class _ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


@dataclass
class Write:
    """One write request that reached the store (after fault injection)."""

    verb: str  # POST, PUT, PATCH, DELETE
    resource: str  # e.g. "v1/secrets"
    namespace: str | None
    name: str | None
    subresource: str | None
    body: Any
    content_type: str


@dataclass
class _Fault:
    status: int
    remaining: int
    verb: str | None
    resource: str | None
    name: str | None
    subresource: str | None
    hits: int = 0

    def matches(self, verb: str, resource: str, name: str | None, subresource: str | None) -> bool:
        return (
            self.remaining > 0
            and (self.verb is None or self.verb == verb)
            and (self.resource is None or self.resource == resource)
            and (self.name is None or self.name == name)
            and (self.subresource is None or self.subresource == (subresource or ""))
        )


@dataclass(eq=False)
class _Watch:
    resource: str
    namespace: str | None
    selector: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    """Encoded watch events (one JSON line each)."""


def _rkey(resource: kmock.resource) -> str:
    prefix = f"{resource.group}/" if resource.group else ""
    return f"{prefix}{resource.version}/{resource.plural}"


def _parse_selector(label_selector: str, field_selector: str) -> Callable[[dict[str, Any]], bool]:
    """Equality/existence label selectors and ``metadata.*`` field selectors, as real clients send them."""
    terms: list[tuple[str, str, str]] = []  # (op, key, value) with op in = != ? !? f=
    for raw in filter(None, (t.strip() for t in label_selector.split(","))):
        if "!=" in raw:
            k, v = raw.split("!=", 1)
            terms.append(("!=", k.strip(), v.strip()))
        elif "=" in raw:
            k, v = raw.replace("==", "=").split("=", 1)
            terms.append(("=", k.strip(), v.strip()))
        elif raw.startswith("!"):
            terms.append(("!?", raw[1:].strip(), ""))
        else:
            terms.append(("?", raw, ""))
    for raw in filter(None, (t.strip() for t in field_selector.split(","))):
        k, _, v = raw.replace("==", "=").partition("=")
        terms.append(("f=", k.strip(), v.strip()))

    def matches(obj: dict[str, Any]) -> bool:
        labels = _labels(obj)
        for op, k, v in terms:
            if op == "=":
                ok = labels.get(k) == v
            elif op == "!=":
                ok = labels.get(k) != v
            elif op == "?":
                ok = k in labels
            elif op == "!?":
                ok = k not in labels
            else:
                ok = str(_dig(obj, k.split("."))) == v
            if not ok:
                return False
        return True

    return matches


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _dig(obj: Any, path: list[str]) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    """Everything whose change bumps ``metadata.generation``."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _merge(base: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


class Emulator(kmock.KubernetesEmulator):  # type: ignore[misc]
    """KMock's emulator with a keyed store, real metadata and fault injection (see the module docstring)."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.store: dict[tuple[str, str | None, str], dict[str, Any]] = {}
        self.lock = threading.Lock()  # guards store/faults/writes for readers on other threads
        self.revision = 0
        self.faults: list[_Fault] = []
        self.write_log: list[Write] = []
        self.record_writes = True
        self.event_log: collections.deque[tuple[int, str, dict[str, Any]]] = collections.deque(maxlen=_EVENT_LOG_SIZE)
        self.watches: set[_Watch] = set()
        self._info_cache: dict[str, Any] = {}
        self.resources.load_bundled()
        self.resources[SEALED_SECRETS] = kmock.ResourceInfo(
            kind="SealedSecret",
            singular="sealedsecret",
            namespaced=True,
            verbs={"list", "watch", "get", "create", "patch", "update", "delete"},
            subresources={"status"},
        )

    # -- helpers -------------------------------------------------------------------------

    def _info(self, rkey: str) -> Any | None:
        if rkey not in self._info_cache:  # resources are declared before serving; cache the lookup
            self._info_cache[rkey] = next((self.resources[r] for r in self.resources if _rkey(r) == rkey), None)
        return self._info_cache[rkey]

    def _has_status(self, rkey: str) -> bool:
        info = self._info(rkey)
        return bool(info is not None and "status" in info.subresources)

    def _bump(self) -> str:
        self.revision += 1
        return str(self.revision)

    def _publish(self, rkey: str, kind: str, obj: dict[str, Any]) -> None:
        rv = int((obj.get("metadata") or {}).get("resourceVersion") or self.revision)
        self.event_log.append((rv, rkey, {"type": kind, "object": obj}))
        namespace = (obj.get("metadata") or {}).get("namespace")
        line = b""  # encoded once, for however many watchers (a benchmark's controller shares the cores)
        for watch in self.watches:
            if watch.resource == rkey and watch.namespace in (None, namespace) and watch.selector(obj):
                line = line or json.dumps({"type": kind, "object": obj}).encode() + b"\n"
                watch.queue.put_nowait(line)

    def _kind(self, rkey: str) -> str:
        info = self._info(rkey)
        return str(info.kind) if info is not None and info.kind else rkey.rsplit("/", 1)[-1].capitalize()

    # -- request routing -----------------------------------------------------------------

    async def _handle(self, request: Any) -> aiohttp.web.StreamResponse:
        res = request.resource
        if res is None or res.plural is None or request.method is None:
            return cast(aiohttp.web.StreamResponse, await super()._handle(request))
        rkey = _rkey(res)
        if self._info(rkey) is None:
            return cast(aiohttp.web.StreamResponse, await super()._handle(request))
        verb = str(request.method.value).upper()
        with self.lock:
            for fault in self.faults:
                if fault.matches(verb, rkey, request.name, request.subresource):
                    fault.remaining -= 1
                    fault.hits += 1
                    reason = "Conflict" if fault.status == 409 else "InternalError"
                    return aiohttp.web.json_response(
                        _status(fault.status, reason, f"injected {fault.status} by the test"), status=fault.status
                    )
        try:
            if verb == "GET" and request.params.get("watch") in ("true", "1"):
                return await self._watch(request, rkey)
            if verb == "GET":
                with self.lock:
                    payload = self._get(request, rkey)
                return aiohttp.web.json_response(payload)
            if verb in ("POST", "PUT", "PATCH", "DELETE"):
                content_type = request.headers.get("Content-Type", "")
                with self.lock:
                    if self.record_writes:
                        self.write_log.append(Write(verb, rkey, request.namespace, request.name,
                                                    request.subresource, copy.deepcopy(request.data), content_type))
                    code, payload = self._write(verb, request, rkey, content_type)
                return aiohttp.web.json_response(payload, status=code)
        except _ApiError as exc:
            return aiohttp.web.json_response(_status(exc.code, exc.reason, exc.message), status=exc.code)
        return cast(aiohttp.web.StreamResponse, await super()._handle(request))

    def _get(self, request: Any, rkey: str) -> dict[str, Any]:
        if request.name is not None:
            obj = self.store.get((rkey, request.namespace, request.name))
            if obj is None:
                raise _ApiError(404, "NotFound", f'{rkey} "{request.name}" not found')
            return obj
        selector = _parse_selector(request.params.get("labelSelector", ""), request.params.get("fieldSelector", ""))
        limit = int(request.params.get("limit") or 0)
        token = request.params.get("continue") or ""
        snapshot, after = str(self.revision), ("", "")
        if token:
            try:
                snapshot, *cursor = json.loads(base64.urlsafe_b64decode(token))
                after = (str(cursor[0]), str(cursor[1]))
            except (ValueError, TypeError, IndexError):
                raise _ApiError(400, "BadRequest", "invalid continue token") from None
        keyed = [((ns or "", name), obj) for (r, ns, name), obj in self.store.items()
                 if r == rkey and (request.namespace is None or ns == request.namespace) and selector(obj)]
        # Pages walk the keys in order from the last one returned, and every page reports the revision of
        # the first (the continue token carries it), as the API server does: a watch from the list's
        # resourceVersion then replays what changed while the pages were read. (A real server also serves
        # each page from that snapshot; here later pages show objects as they are now, and the watch repeats
        # those changes: duplicates, never gaps.)
        meta: dict[str, Any] = {"resourceVersion": snapshot}
        if limit > 0:
            keyed = sorted((entry for entry in keyed if entry[0] > after), key=lambda entry: entry[0])
            if len(keyed) > limit:
                last = keyed[limit - 1][0]
                meta["continue"] = base64.urlsafe_b64encode(json.dumps([snapshot, *last]).encode()).decode()
            keyed = keyed[:limit]
        return {"apiVersion": rkey.rsplit("/", 1)[0], "kind": f"{self._kind(rkey)}List", "metadata": meta,
                "items": [obj for _, obj in keyed]}

    def _write(self, verb: str, request: Any, rkey: str, content_type: str) -> tuple[int, dict[str, Any]]:
        body = request.data
        if verb == "POST" and request.name is None:
            return 201, self._create(rkey, request.namespace, body)
        if request.name is None:
            raise _ApiError(405, "MethodNotAllowed", f"{verb} needs an object name")
        key = (rkey, request.namespace, request.name)
        current = self.store.get(key)
        if current is None:
            raise _ApiError(404, "NotFound", f'{rkey} "{request.name}" not found')
        if verb == "DELETE":
            # DeleteOptions come in the body or, when there is none, in the query string (as the API server reads them).
            options = body if isinstance(body, dict) and body else request.params
            orphan = options.get("propagationPolicy") == "Orphan" or options.get("orphanDependents") in (True, "true")
            return 200, self._delete(key, current, orphan=orphan)
        if verb == "PUT":
            if not isinstance(body, dict):
                raise _ApiError(400, "BadRequest", "PUT needs an object")
            wanted = copy.deepcopy(body)
        elif isinstance(body, list) or "json-patch" in content_type:
            try:
                wanted = jsonpatch.apply_patch(copy.deepcopy(current), body or [])
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                raise _ApiError(422, "Invalid", f"JSON patch failed: {exc}") from None
        elif isinstance(body, dict):
            wanted = _merge(current, body)
        else:
            raise _ApiError(400, "BadRequest", "unsupported patch body")
        sent_rv = (body.get("metadata") or {}).get("resourceVersion") if isinstance(body, dict) else None
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            raise _ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rkey} "{request.name}": '
                            "the object has been modified; please apply your changes to the latest version")
        return 200, self._replace(key, current, wanted, request.subresource)

    def _create(self, rkey: str, namespace: str | None, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _ApiError(400, "BadRequest", "create needs an object")
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise _ApiError(422, "Invalid", "metadata.name or metadata.generateName is required")
            while True:
                name = meta["generateName"] + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))
                if (rkey, namespace, name) not in self.store:
                    break
            meta["name"] = name
        key = (rkey, namespace, meta["name"])
        if key in self.store:
            raise _ApiError(409, "AlreadyExists", f'{rkey} "{meta["name"]}" already exists')
        if namespace is not None:
            meta["namespace"] = namespace
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _now()
        meta.pop("deletionTimestamp", None)
        if not rkey.startswith("v1/"):
            meta["generation"] = 1
        if self._has_status(rkey):
            obj.pop("status", None)
        meta["resourceVersion"] = self._bump()
        self.store[key] = obj
        self._publish(rkey, "ADDED", obj)
        return obj

    def _replace(self, key: tuple[str, str | None, str], current: dict[str, Any], wanted: dict[str, Any],
                 subresource: str | None) -> dict[str, Any]:
        rkey = key[0]
        if self._has_status(rkey):
            if subresource == "status":
                new = copy.deepcopy(current)
                if "status" in wanted:
                    new["status"] = wanted["status"]
                else:
                    new.pop("status", None)
                wanted = new
            elif "status" in current:
                wanted["status"] = copy.deepcopy(current["status"])
            else:
                wanted.pop("status", None)
        meta = wanted.setdefault("metadata", {})
        old_meta = current["metadata"]
        for fixed in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if fixed in old_meta:
                meta[fixed] = old_meta[fixed]
            else:
                meta.pop(fixed, None)
        if "generation" in old_meta:
            if _spec_part(wanted) != _spec_part(current):
                meta["generation"] = old_meta["generation"] + 1
        if wanted == current:
            return current  # a no-op write changes nothing, as on a real server
        meta["resourceVersion"] = self._bump()
        self.store[key] = wanted
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            del self.store[key]
            self._publish(rkey, "DELETED", wanted)
            self._collect_dependents(str(meta.get("uid") or ""), orphan=False)
        else:
            self._publish(rkey, "MODIFIED", wanted)
        return wanted

    def _delete(self, key: tuple[str, str | None, str], current: dict[str, Any], *,
                orphan: bool = False) -> dict[str, Any]:
        if current["metadata"].get("finalizers"):
            if not current["metadata"].get("deletionTimestamp"):
                obj = copy.deepcopy(current)
                obj["metadata"]["deletionTimestamp"] = _now()
                obj["metadata"]["resourceVersion"] = self._bump()
                self.store[key] = obj
                self._publish(key[0], "MODIFIED", obj)
            return self.store[key]
        del self.store[key]
        gone = copy.deepcopy(current)
        gone["metadata"]["resourceVersion"] = self._bump()
        self._publish(key[0], "DELETED", gone)
        self._collect_dependents(str(current["metadata"].get("uid") or ""), orphan=orphan)
        return gone

    def _collect_dependents(self, owner_uid: str, *, orphan: bool) -> None:
        """The garbage collector, in the default background mode: once an owner is gone, a dependent that
        has no other owner is deleted; one with other owners (or every one, for ``Orphan``) loses the reference.

        A real cluster does this asynchronously a moment later; here it happens right after the owner's
        DELETED event, which is as early as a real one could be.
        """
        if not owner_uid:
            return
        dependents = [k for k, obj in self.store.items()
                      if any(ref.get("uid") == owner_uid for ref in obj["metadata"].get("ownerReferences") or [])]
        for dep_key in dependents:
            obj = self.store.get(dep_key)  # as it is now: collecting an earlier dependent may have changed it
            if obj is None:
                continue
            refs = [ref for ref in obj["metadata"].get("ownerReferences") or [] if ref.get("uid") != owner_uid]
            if refs or orphan:
                updated = copy.deepcopy(obj)
                if refs:
                    updated["metadata"]["ownerReferences"] = refs
                else:
                    del updated["metadata"]["ownerReferences"]
                updated["metadata"]["resourceVersion"] = self._bump()
                self.store[dep_key] = updated
                self._publish(dep_key[0], "MODIFIED", updated)
            else:
                self._delete(dep_key, obj)

    async def _watch(self, request: Any, rkey: str) -> aiohttp.web.StreamResponse:
        selector = _parse_selector(request.params.get("labelSelector", ""), request.params.get("fieldSelector", ""))
        watch = _Watch(rkey, request.namespace, selector)
        since = request.params.get("resourceVersion") or ""
        with self.lock:
            if since and since != "0":
                oldest = self.event_log[0][0] if self.event_log else self.revision + 1
                if int(since) < oldest - 1 and int(since) < self.revision:
                    gone = _status(410, "Expired", f"too old resource version: {since}")
                    backlog = [{"type": "ERROR", "object": gone}]
                else:
                    backlog = [
                        event for rv, r, event in self.event_log
                        if rv > int(since) and r == rkey
                        and request.namespace in (None, event["object"]["metadata"].get("namespace"))
                        and selector(event["object"])
                    ]
            else:
                backlog = [
                    {"type": "ADDED", "object": obj}
                    for (r, ns, _), obj in self.store.items()
                    if r == rkey and request.namespace in (None, ns) and selector(obj)
                ]
            self.watches.add(watch)
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        timeout = float(request.params.get("timeoutSeconds") or 0) or None
        try:
            await response.prepare(request._raw_request)
            for event in backlog:
                await response.write(json.dumps(event).encode() + b"\n")
            if backlog and backlog[0]["type"] == "ERROR":
                return response
            async with asyncio.timeout(timeout):
                while True:
                    lines = [await watch.queue.get()]
                    while not watch.queue.empty():  # what piled up goes out in one write, as a busy server does
                        lines.append(watch.queue.get_nowait())
                    await response.write(b"".join(lines))
        except (TimeoutError, ConnectionError):
            pass
        finally:
            with self.lock:
                self.watches.discard(watch)
        return response


class KubeEmulator:
    """The emulator served on 127.0.0.1:<free port> from a background thread (a context manager)."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self.emulator: Emulator | None = None
        self.url = ""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> KubeEmulator:
        self._thread = threading.Thread(target=self._run, name="kube-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._failure is not None:
            raise RuntimeError("the emulator did not start") from self._failure
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start(); a test harness must not die silently
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Emulator() as emu, kmock.Server(emu) as server:
            self.emulator = emu
            self.url = f"http://{server.host}:{server.port}"
            self._ready.set()
            await self._stop.wait()
            stopped = {"type": "ERROR", "object": _status(500, "ShuttingDown", "emulator stopped")}
            for watch in list(emu.watches):  # end watch streams so the server closes promptly
                watch.queue.put_nowait(json.dumps(stopped).encode() + b"\n")

    @property
    def _emu(self) -> Emulator:
        if self.emulator is None:
            raise RuntimeError("the emulator is not running")
        return self.emulator

    # -- clients -------------------------------------------------------------------------

    def write_kubeconfig(self, path: str | Path, *, namespace: str = "default") -> Path:
        """A kubeconfig with one context pointing at the emulator (plain HTTP, no credentials)."""
        path = Path(path)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "emulator", "user": {"token": "emulator"}}],
            "contexts": [{"name": "emulator", "context": {"cluster": "emulator", "user": "emulator",
                                                          "namespace": namespace}}],
            "current-context": "emulator",
        }
        path.write_text(json.dumps(config))
        return path

    def api_client(self) -> Any:
        """An official ``kubernetes.client.ApiClient`` for the emulator."""
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.url
        return client.ApiClient(configuration)

    # -- faults and inspection -----------------------------------------------------------

    def inject_errors(self, status: int, count: int = 1, *, verb: str | None = None, resource: str | None = None,
                      name: str | None = None, subresource: str | None = None) -> _Fault:
        """Fail the next ``count`` matching requests with ``status`` before they touch the store.

        ``verb`` is the HTTP method (``"PATCH"``, ``"POST"``, ...); ``resource`` as
        ``"v1/secrets"``; ``subresource=""`` matches only the main resource. The
        returned object's ``hits`` and ``remaining`` say how many were served.
        """
        fault = _Fault(status, count, verb.upper() if verb else None, resource, name, subresource)
        with self._emu.lock:
            self._emu.faults.append(fault)
        return fault

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """A copy of the stored object, or None."""
        with self._emu.lock:
            obj = self._emu.store.get((resource, namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, resource: str, namespace: str | None = None) -> builtins.list[dict[str, Any]]:
        """Copies of the stored objects of one resource (one namespace, or all)."""
        with self._emu.lock:
            return [
                copy.deepcopy(obj)
                for (r, ns, _), obj in self._emu.store.items()
                if r == resource and (namespace is None or ns == namespace)
            ]

    def writes(self, *, resource: str | None = None, verb: str | None = None) -> builtins.list[Write]:
        """Write requests that reached the store, oldest first (optionally filtered)."""
        with self._emu.lock:
            return [
                w for w in self._emu.write_log
                if (resource is None or w.resource == resource) and (verb is None or w.verb == verb)
            ]

    def record_writes(self, enabled: bool) -> None:
        """Turn the write log off for bulk loads (it keeps every body)."""
        with self._emu.lock:
            self._emu.record_writes = enabled
            if not enabled:
                self._emu.write_log.clear()

    def __iter__(self) -> Iterator[tuple[str, str | None, str]]:
        with self._emu.lock:
            return iter(list(self._emu.store))


def main(argv: list[str] | None = None) -> int:
    """Serve the emulator as a process: print its URL, write a kubeconfig, stop when stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", help="write a kubeconfig pointing at the emulator here")
    parser.add_argument("--no-write-log", action="store_true", help="do not keep write bodies (bulk loads)")
    args = parser.parse_args(argv)
    with KubeEmulator() as emu:
        if args.no_write_log:
            emu.record_writes(False)
        if args.kubeconfig:
            emu.write_kubeconfig(args.kubeconfig)
        print(emu.url, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
