"""A read-only etcd v3 client over its JSON gateway (``/v3/kv/range``, ``/v3/watch``), stdlib only.

etcd serves the gRPC API also as JSON over HTTP(S) on the client port, so an
audit needs no gRPC stack: keys and values travel base64-encoded, 64-bit
integers as strings. Connection options follow etcdctl's (``--endpoints``,
``--cacert``, ``--cert``, ``--key``, ``--insecure-skip-tls-verify``,
``--user``), so the command a user already has for etcdctl works here.

Reading history: etcd keeps every revision since the last compaction
(kube-apiserver compacts every 5 minutes by default), so a Secret rewritten a
minute ago still has its old — possibly plaintext — value on disk. We read
those with a watch from the oldest kept revision; see :meth:`EtcdGateway.scan`.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sealer.encryption_at_rest.records import Record, prefix_end
from sealer.errors import InputError, NetworkError

PAGE_SIZE = 1000


@dataclass(frozen=True)
class EtcdConnection:
    """etcdctl-style connection settings."""

    endpoints: Sequence[str] = ("127.0.0.1:2379",)
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure_skip_tls_verify: bool = False
    user: str | None = None  # "name:password"
    timeout: float = 30.0


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


class EtcdGateway:
    """One connection to the first reachable endpoint; use as a context manager."""

    def __init__(self, connection: EtcdConnection) -> None:
        self.connection = connection
        self._conn: http.client.HTTPConnection | None = None
        self._base: tuple[str, str, int] | None = None
        self._token: str | None = None

    # -- plumbing ------------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        c = self.connection
        try:
            context = ssl.create_default_context(cafile=c.cacert)
            if c.cert:
                context.load_cert_chain(c.cert, c.key)
        except (OSError, ssl.SSLError) as exc:
            raise InputError(f"cannot load etcd TLS files: {exc.__class__.__name__}: {exc.strerror or exc}",
                             hint="check the --cacert/--cert/--key paths and that the key matches") from None
        if c.insecure_skip_tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _parse_endpoint(self, endpoint: str) -> tuple[str, str, int]:
        c = self.connection
        if "://" not in endpoint:
            scheme = "https" if (c.cacert or c.cert) else "http"
            endpoint = f"{scheme}://{endpoint}"
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise InputError(f"etcd endpoint {endpoint!r} is not host:port or http(s)://host:port")
        return url.scheme, url.hostname, url.port or 2379

    def _connect(self, base: tuple[str, str, int], timeout: float) -> http.client.HTTPConnection:
        scheme, host, port = base
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._ssl_context())
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(body).encode()
        errors = []
        bases = [self._base] if self._base else [self._parse_endpoint(e) for e in self.connection.endpoints]
        for base in bases:
            assert base is not None
            for attempt in range(2):  # one retry on a dropped keep-alive connection
                if self._conn is None or self._base != base:
                    self._conn = self._connect(base, self.connection.timeout)
                    self._base = base
                headers = {"Content-Type": "application/json"}
                if self._token:
                    headers["Authorization"] = self._token
                try:
                    self._conn.request("POST", path, payload, headers)
                    response = self._conn.getresponse()
                    data = response.read()
                except ssl.SSLError as exc:
                    self.close()
                    raise NetworkError(f"TLS handshake with etcd at {base[1]}:{base[2]} failed: {exc.reason}",
                                       hint="check --cacert, --cert and --key") from None
                except (OSError, http.client.HTTPException) as exc:
                    self.close()
                    if attempt == 0 and isinstance(exc, http.client.RemoteDisconnected | BrokenPipeError):
                        continue
                    errors.append(f"{base[1]}:{base[2]}: {exc.__class__.__name__}")
                    break
                return self._decode(response.status, data, path)
            self._base = None
        raise NetworkError("cannot reach etcd (" + "; ".join(errors) + ")",
                           hint="check --endpoints and that etcd listens there")

    @staticmethod
    def _decode(status: int, data: bytes, path: str) -> dict[str, Any]:
        try:
            doc = json.loads(data) if data else {}
        except ValueError:
            raise NetworkError(f"etcd answered {path} with non-JSON (HTTP {status})",
                               hint="is this an etcd v3 client endpoint?") from None
        if status != 200 or not isinstance(doc, dict) or ("error" in doc and "header" not in doc):
            message = doc.get("message") or doc.get("error") if isinstance(doc, dict) else None
            if status in (401, 403) or (message and "permission denied" in str(message)):
                raise NetworkError(f"etcd refused {path}: {message}", hint="pass --user name:password")
            raise NetworkError(f"etcd answered {path} with HTTP {status}: {message}")
        return doc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def __enter__(self) -> EtcdGateway:
        if self.connection.user:
            name, sep, password = self.connection.user.partition(":")
            if not sep:
                raise InputError("--user must be name:password")
            self._token = str(self._post("/v3/auth/authenticate", {"name": name, "password": password})["token"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ---------------------------------------------------------------------------

    def range_page(self, key: bytes, range_end: bytes, *, revision: int = 0, limit: int = PAGE_SIZE
                   ) -> tuple[list[dict[str, Any]], bool, int]:
        body: dict[str, Any] = {"key": _b64(key), "range_end": _b64(range_end), "limit": limit}
        if revision:
            body["revision"] = revision
        doc = self._post("/v3/kv/range", body)
        return list(doc.get("kvs") or []), bool(doc.get("more")), int(doc["header"]["revision"])

    def current_revision(self) -> int:
        return self.range_page(b"\x00", b"\x00", limit=1)[2]

    def range_prefix(self, prefix: bytes, *, revision: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
        """Every key/value under ``prefix`` at one revision (``revision`` 0: now), page by page."""
        start, end = prefix, prefix_end(prefix)
        while True:
            kvs, more, header_revision = self.range_page(start, end, revision=revision)
            revision = revision or header_revision
            for kv in kvs:
                yield kv, revision
            if not more or not kvs:
                return
            start = _unb64(kvs[-1]["key"]) + b"\x00"

    def _watch_all(self, start_revision: int, until: int) -> Iterator[dict[str, Any]] | int:
        """Events of the whole key space from ``start_revision`` through ``until``; or the compact revision.

        Watching everything, not a prefix, is what makes the end knowable: the
        store's revision only moves when some key changes, so an event at
        ``until`` exists somewhere and arrives last.
        """
        if self._base is None:
            self.current_revision()
        assert self._base is not None
        conn = self._connect(self._base, self.connection.timeout)
        body = {"create_request": {"key": _b64(b"\x00"), "range_end": _b64(b"\x00"), "start_revision": start_revision}}
        headers = {"Content-Type": "application/json"}
        if self._token:
            headers["Authorization"] = self._token
        try:
            conn.request("POST", "/v3/watch", json.dumps(body).encode(), headers)
            response = conn.getresponse()
            if response.status != 200:
                raise NetworkError(f"etcd refused a watch: HTTP {response.status}")
            first = self._next_result(response)
            if first.get("created") and not first.get("canceled") and not first.get("events"):
                first = self._next_result(response)  # a compaction cancel, or the first events
            if first.get("canceled") and first.get("compact_revision"):
                return int(first["compact_revision"])
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise NetworkError(f"etcd watch failed: {exc.__class__.__name__}") from None
        return self._events(conn, response, first, until)

    def _events(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse,
                first: dict[str, Any], until: int) -> Iterator[dict[str, Any]]:
        try:
            result = first
            while True:
                for event in result.get("events") or []:
                    kv = event.get("kv") or {}
                    if int(kv.get("mod_revision", 0)) > until:
                        return
                    yield event
                    if int(kv.get("mod_revision", 0)) == until:
                        return
                if result.get("canceled"):
                    raise NetworkError(f"etcd cancelled the history watch: {result.get('cancel_reason', '')}")
                result = self._next_result(response)
        except (OSError, http.client.HTTPException) as exc:
            raise NetworkError(f"etcd watch failed: {exc.__class__.__name__}") from None
        finally:
            conn.close()

    @staticmethod
    def _next_result(response: http.client.HTTPResponse) -> dict[str, Any]:
        line = response.readline()
        if not line:
            raise NetworkError("etcd closed the watch stream early")
        doc = json.loads(line)
        if "error" in doc:
            raise NetworkError(f"etcd watch error: {doc['error'].get('message', doc['error'])}")
        return dict(doc.get("result") or {})

    def scan(self, prefixes: Sequence[bytes], *, history: bool = True) -> ScanResult:
        """Current values under ``prefixes`` and, with ``history``, every older revision etcd still keeps."""
        revision = self.current_revision()
        records = self._records(prefixes, revision, history)
        return ScanResult(revision, records)

    def _records(self, prefixes: Sequence[bytes], revision: int, history: bool) -> Iterator[Record]:
        current: set[tuple[bytes, int]] = set()
        for prefix in prefixes:
            for kv, _ in self.range_prefix(prefix, revision=revision):
                key = _unb64(kv["key"])
                mod = int(kv.get("mod_revision", 0))
                current.add((key, mod))
                yield Record(key, mod, _unb64(kv.get("value")), True,
                             int(kv.get("create_revision", 0)), int(kv.get("version", 0)))
        if not history:
            return
        if revision <= 1:
            return  # a fresh store: revision 1 has no events, so a watch would never end
        seen = set(current)
        start = 1
        while True:
            events = self._watch_all(start, revision)
            if isinstance(events, int):
                compacted = events
                if compacted >= revision:
                    return  # nothing older than now is kept
                # Values alive at the compaction point are kept too; read them at that revision.
                for prefix in prefixes:
                    for kv, _ in self.range_prefix(prefix, revision=compacted):
                        key, mod = _unb64(kv["key"]), int(kv.get("mod_revision", 0))
                        if (key, mod) not in seen:
                            seen.add((key, mod))
                            yield Record(key, mod, _unb64(kv.get("value")), False,
                                         int(kv.get("create_revision", 0)), int(kv.get("version", 0)))
                start = compacted + 1
                continue
            break
        if start > revision:
            return
        for event in events:
            if event.get("type") == "DELETE":
                continue
            kv = event.get("kv") or {}
            key, mod = _unb64(kv.get("key")), int(kv.get("mod_revision", 0))
            if (key, mod) in seen or not any(key.startswith(p) for p in prefixes):
                continue
            seen.add((key, mod))
            yield Record(key, mod, _unb64(kv.get("value")), False,
                         int(kv.get("create_revision", 0)), int(kv.get("version", 0)))


@dataclass
class ScanResult:
    revision: int
    records: Iterator[Record]
