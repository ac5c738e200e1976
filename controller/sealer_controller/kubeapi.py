"""A small asyncio Kubernetes REST client for the operator's own writes (Secrets, status, events).

kopf watches SealedSecrets; everything the controller *writes* goes through
here, on the same event loop, without the thread hop the synchronous official
client would need. It retries what a real API server expects clients to
retry: 429 and 5xx responses and dropped connections, with capped
exponential backoff. Conflicts (409) are returned to the caller, who re-reads
and decides. Request and response bodies are never logged: they carry secret
data.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import ssl
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from sealer.errors import InputError, NetworkError

logger = logging.getLogger(__name__)

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
RETRYABLE = frozenset({429, 500, 502, 503, 504})


class ApiError(NetworkError):
    """The API server answered with an error status (after retries, for retryable ones)."""

    def __init__(self, status: int, reason: str, message: str, *, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: {status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.api_message = message


@dataclass(frozen=True)
class Connection:
    """Where the API server is and how to authenticate; what kopf's ``ConnectionInfo`` is made from too."""

    server: str
    token: str | None = None
    token_path: str | None = None  # re-read on 401: projected service-account tokens rotate
    ca_path: str | None = None
    ca_data: bytes | None = None
    certificate_data: bytes | None = None
    private_key_data: bytes | None = None
    insecure: bool = False
    default_namespace: str | None = None

    def current_token(self) -> str | None:
        if self.token_path:
            try:
                return Path(self.token_path).read_text().strip() or self.token
            except OSError:
                return self.token
        return self.token


def _file_or_data(entry: Mapping[str, Any], key: str, base: Path) -> bytes | None:
    if entry.get(f"{key}-data"):
        return base64.b64decode(str(entry[f"{key}-data"]))
    if entry.get(key):
        path = Path(str(entry[key]))
        return (path if path.is_absolute() else base / path).read_bytes()
    return None


def from_kubeconfig(path: str, *, context: str | None = None) -> Connection:
    """Read a kubeconfig (YAML or JSON): server, CA, bearer token or client certificate of one context."""
    from ruamel.yaml import YAML

    source = Path(path).expanduser()
    try:
        config = YAML(typ="safe").load(source.read_text()) or {}
    except OSError as exc:
        raise InputError(f"kubeconfig {path}: {exc.strerror}", hint="pass an existing file to --kubeconfig") from None
    try:
        name = context or config["current-context"]
        ctx = next(c["context"] for c in config["contexts"] if c["name"] == name)
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == ctx["cluster"])
        user = next((u.get("user") or {} for u in config.get("users") or [] if u["name"] == ctx.get("user")), {})
    except (KeyError, StopIteration, TypeError):
        hint = "check it with kubectl config view"
        raise InputError(f"kubeconfig {path}: no usable current context", hint=hint) from None
    base = source.parent
    return Connection(
        server=str(cluster["server"]).rstrip("/"),
        token=user.get("token"),
        token_path=user.get("tokenFile"),
        ca_data=_file_or_data(cluster, "certificate-authority", base),
        certificate_data=_file_or_data(user, "client-certificate", base),
        private_key_data=_file_or_data(user, "client-key", base),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        default_namespace=ctx.get("namespace"),
    )


def in_cluster() -> Connection | None:
    """The pod's service account, as client-go's ``rest.InClusterConfig`` finds it; None outside a pod."""
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    token_file = SA_DIR / "token"
    if not host or not port or not token_file.exists():
        return None
    host = f"[{host}]" if ":" in host else host
    return Connection(
        server=f"https://{host}:{port}",
        token=token_file.read_text().strip(),
        token_path=str(token_file),
        ca_path=str(SA_DIR / "ca.crt") if (SA_DIR / "ca.crt").exists() else None,
    )


def resolve(*, kubeconfig: str | None, server: str | None) -> Connection:
    """``--server``, then ``--kubeconfig``, then the service account, then ``$KUBECONFIG`` / ``~/.kube/config``."""
    if server:
        return Connection(server=server.rstrip("/"), insecure=server.startswith("https://"))
    if kubeconfig:
        return from_kubeconfig(kubeconfig)
    found = in_cluster()
    if found is not None:
        return found
    default = (os.environ.get("KUBECONFIG") or "~/.kube/config").split(os.pathsep)[0]
    if Path(default).expanduser().exists():
        return from_kubeconfig(default)
    raise NetworkError(
        "no Kubernetes API server configured",
        hint="run in a pod with a service account, or pass --kubeconfig or --server",
    )


def _ssl_context(conn: Connection) -> ssl.SSLContext | bool:
    if not conn.server.startswith("https://"):
        return True
    if conn.insecure:
        return False
    context = ssl.create_default_context(cafile=conn.ca_path)
    if conn.ca_data:
        context.load_verify_locations(cadata=conn.ca_data.decode())
    if conn.certificate_data and conn.private_key_data:
        # ssl only loads client certificates from files: write them 0600, load, remove at once.
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
            for path, data in ((cert, conn.certificate_data), (key, conn.private_key_data)):
                path.touch(0o600)
                path.write_bytes(data)
            context.load_cert_chain(str(cert), str(key))
    return context


class KubeApi:
    """JSON requests against one API server; create it inside the event loop that will use it."""

    def __init__(self, conn: Connection, *, attempts: int = 6, backoff: float = 0.05, max_backoff: float = 2.0,
                 connections: int = 64) -> None:
        self.conn = conn
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.requests = 0
        self.retries = 0
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, ssl=_ssl_context(conn)),
            cookie_jar=aiohttp.DummyCookieJar(),  # the API server authenticates by token or certificate
            timeout=aiohttp.ClientTimeout(total=60, sock_connect=10),
            json_serialize=lambda obj: json.dumps(obj, separators=(",", ":")),
        )

    async def close(self) -> None:
        await self._session.close()

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "sealer-controller"}
        token = self.conn.current_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        content_type: str | None = None,
        not_found_ok: bool = False,
    ) -> dict[str, Any] | None:
        """Send one request, retrying 429/5xx and connection failures; raise :class:`ApiError` otherwise.

        Returns the decoded JSON body, or None for a 404 when ``not_found_ok``.
        """
        url = self.conn.server + path
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        if body is not None and content_type is None:
            content_type = "application/json"
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            self.requests += 1
            try:
                async with self._session.request(
                    method, url, data=data, params=params, headers=self._headers(content_type)
                ) as response:
                    payload = await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                if attempt == self.attempts:
                    raise NetworkError(f"{method} {path}: {type(exc).__name__}", hint="is the API server up?") from None
                logger.debug("%s %s failed (%s); retry %d", method, path, type(exc).__name__, attempt)
            else:
                if status < 400:
                    return json.loads(payload) if payload else {}
                if status == 404 and not_found_ok:
                    return None
                reason, message = _status_text(payload, status)
                if status not in RETRYABLE or attempt == self.attempts:
                    raise ApiError(status, reason, message, method=method, path=path)
                logger.debug("%s %s: %d %s; retry %d", method, path, status, reason, attempt)
            self.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, path: str, *, params: Mapping[str, str] | None = None) -> dict[str, Any] | None:
        return await self.request("GET", path, params=params, not_found_ok=True)

    async def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        result = await self.request("POST", path, body=body)
        assert result is not None
        return result

    async def replace(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        result = await self.request("PUT", path, body=body)
        assert result is not None
        return result

    async def merge_patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        result = await self.request("PATCH", path, body=body, content_type="application/merge-patch+json")
        assert result is not None
        return result

    async def list_pages(self, path: str, *, params: Mapping[str, str] | None = None,
                         limit: int = 500) -> AsyncIterator[tuple[list[dict[str, Any]], str]]:
        """Yield ``(items, resourceVersion)`` page by page, so a large list is never all in memory."""
        query = dict(params or {}, limit=str(limit))
        while True:
            page = await self.request("GET", path, params=query)
            assert page is not None
            meta = page.get("metadata") or {}
            yield page.get("items") or [], str(meta.get("resourceVersion") or "")
            token = meta.get("continue")
            if not token:
                return
            query["continue"] = token

    async def watch(self, path: str, *, params: Mapping[str, str]) -> AsyncIterator[dict[str, Any]]:
        """Yield watch events until the server closes the stream (callers resume from the last resourceVersion)."""
        query = dict(params, watch="true", allowWatchBookmarks="true")
        async with self._session.get(
            self.conn.server + path, params=query, headers=self._headers(None),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=None),
        ) as response:
            if response.status >= 400:
                reason, message = _status_text(await response.read(), response.status)
                raise ApiError(response.status, reason, message, method="WATCH", path=path)
            buffer = b""
            async for chunk in response.content.iter_any():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)


def _status_text(payload: bytes, status: int) -> tuple[str, str]:
    try:
        doc = json.loads(payload)
        return str(doc.get("reason") or status), str(doc.get("message") or "")[:500]
    except (ValueError, AttributeError):
        return str(status), ""
