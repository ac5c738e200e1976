"""The controller's HTTP API on :8080, route for route the Bitnami controller's (pkg/controller/server.go).

This endpoint is meant to be reachable by every user of the cluster (kubeseal
reaches it through the API server's service proxy), so it must never leak
secret material: no response, including errors, carries plaintext. It gets
functions, not the controller (:class:`Endpoints`), so it can be tested and
reused without Kubernetes, and it holds no key itself.

=====================  ======================================================================
``GET /healthz``       ``ok\\n`` (``text/plain; charset=utf-8``); 503 when ``healthy()`` is false
``GET /v1/cert.pem``   the sealing certificate, ``application/x-pem-file``; 500 if there is none
``POST /v1/verify``    200 if the SealedSecret decrypts, 409 if not; rate-limited (429 over it)
``POST /v1/rotate``    the SealedSecret re-sealed with the newest key, ``application/json``
``GET /v1/keys``       ours: which key fingerprints unseal which SealedSecrets (JSON)
=====================  ======================================================================

Where status codes differ from Bitnami, and why (kubeseal handles both the same):

* malformed input (not JSON/YAML, not a SealedSecret, a multi-document body)
  gets 400 with a reason; Bitnami answers 500 with no body for these.
* ``/v1/rotate`` of something no key decrypts gets 409 (kubeseal maps it to
  "unable to rotate secret"); Bitnami answers 500.
* 409/400/500 bodies carry the library's error text: names, scopes and key
  counts only, never values (see sealer.errors); unexpected failures get a
  fixed ``internal error`` and are logged by type only.
* ``/v1/rotate`` answers ``Content-Type: application/json``; Bitnami sets the
  header after writing the status, so it actually sends ``text/plain``.

Only ``/v1/verify`` is rate-limited, as in Bitnami (see :mod:`.rate_limit`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from sealer.errors import DecryptionError, InputError, NetworkError, SealerError
from sealer_controller.rate_limit import GcraLimiter, bitnami_key

log = logging.getLogger(__name__)

# A Kubernetes Secret holds at most 1 MiB; sealed and base64-encoded it grows by about 4/3,
# and a JSON body adds some metadata. Bigger bodies are refused with 413 before parsing.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

# Paths that are counted in http_requests_total / http_request_duration_seconds (as Bitnami's Instrument()).
INSTRUMENTED_PATHS = ("/v1/verify", "/v1/rotate", "/v1/cert.pem", "/v1/keys")

_MAX_REASON_CHARS = 1000
_TEXT = "text/plain"


class ControllerEndpoints(Protocol):
    """What the HTTP API needs from the controller; each call may be made concurrently.

    ``verify`` and ``rotate`` are awaited (write them ``async def``): they do RSA
    work, which belongs on a thread or process pool, not on the event loop.
    """

    def certificate_pem(self) -> bytes:
        """PEM of the sealing certificate (the newest key's); raise a SealerError if there is none."""
        ...

    def verify(self, body: bytes, /) -> Awaitable[None]:
        """Return if ``body`` (a SealedSecret, JSON or YAML) decrypts with a key we hold.

        Raise :class:`~sealer.errors.DecryptionError` if it does not, and an
        :class:`~sealer.errors.InputError` (e.g. ``FormatError``) if it is malformed.
        """
        ...

    def rotate(self, body: bytes, /) -> Awaitable[bytes]:
        """Re-seal ``body`` with the newest key; return the new SealedSecret as JSON bytes."""
        ...

    def keys_report(self) -> Mapping[str, Any]:
        """A JSON-able report of which key fingerprints unseal which SealedSecrets."""
        ...

    def healthy(self) -> bool:
        """Whether the controller can serve (keys loaded, watching)."""
        ...


@dataclass(frozen=True)
class Endpoints:
    """:class:`ControllerEndpoints` from plain callables, for wiring without a class."""

    certificate_pem: Callable[[], bytes]
    verify: Callable[[bytes], Awaitable[None]]
    rotate: Callable[[bytes], Awaitable[bytes]]
    keys_report: Callable[[], Mapping[str, Any]]
    healthy: Callable[[], bool] = lambda: True


ENDPOINTS_KEY: web.AppKey[ControllerEndpoints] = web.AppKey("endpoints", ControllerEndpoints)
LIMITER_KEY: web.AppKey[GcraLimiter] = web.AppKey("verify_limiter", GcraLimiter)


def _reason(exc: SealerError) -> str:
    """The error's text for a response body: one line, bounded, printable ASCII only."""
    text = re.sub(r"[^\x20-\x7e]", "?", str(exc))
    if len(text) > _MAX_REASON_CHARS:
        text = text[: _MAX_REASON_CHARS - 3] + "..."
    return text + "\n"


def _error(status: int, text: str) -> web.Response:
    # Like Go's http.Error: plain text, nosniff, a trailing newline.
    return web.Response(
        status=status,
        text=text if text.endswith("\n") else text + "\n",
        content_type=_TEXT,
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _failure(exc: BaseException, route: str) -> web.Response:
    """Map one failure to a response; our errors by type, anything else to a fixed 500."""
    if isinstance(exc, DecryptionError):
        return _error(409, _reason(exc))
    if isinstance(exc, InputError):
        return _error(400, _reason(exc))
    if isinstance(exc, SealerError):
        log.warning("%s failed: %s", route, type(exc).__name__)
        return _error(500, _reason(exc))
    # A bug. Its message might quote data, so neither the log nor the client gets it.
    log.error("%s failed unexpectedly: %s", route, type(exc).__name__)
    return _error(500, "internal error")


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise
    except (ConnectionError, ValueError) as exc:
        raise web.HTTPBadRequest(text=f"cannot read the request body ({type(exc).__name__})\n") from None


async def healthz(request: web.Request) -> web.Response:
    endpoints = request.app[ENDPOINTS_KEY]
    if not endpoints.healthy():
        return web.Response(status=503, text="not ready\n", content_type=_TEXT, charset="utf-8")
    return web.Response(text="ok\n", content_type=_TEXT, charset="utf-8")


async def cert_pem(request: web.Request) -> web.Response:
    endpoints = request.app[ENDPOINTS_KEY]
    try:
        pem = endpoints.certificate_pem()
    except SealerError as exc:
        log.error("cannot get certificates: %s", type(exc).__name__)
        return _error(500, "cannot get certificate")
    return web.Response(body=pem, content_type="application/x-pem-file")


async def verify(request: web.Request) -> web.Response:
    decision = request.app[LIMITER_KEY].check(bitnami_key(request.path, request.headers.get("X-Forwarded-For")))
    headers = decision.headers()
    if decision.limited:
        response = _error(429, "limit exceeded")
        response.headers.update(headers)
        return response
    body = await _read_body(request)
    try:
        await request.app[ENDPOINTS_KEY].verify(body)
    except Exception as exc:  # the boundary: aiohttp would log the message, which might quote data
        response = _failure(exc, "/v1/verify")
    else:
        response = web.Response(status=200)
    response.headers.update(headers)
    return response


async def rotate(request: web.Request) -> web.Response:
    body = await _read_body(request)
    try:
        resealed = await request.app[ENDPOINTS_KEY].rotate(body)
    except Exception as exc:
        return _failure(exc, "/v1/rotate")
    return web.Response(body=resealed, content_type="application/json")


async def keys(request: web.Request) -> web.Response:
    try:
        report = request.app[ENDPOINTS_KEY].keys_report()
    except Exception as exc:
        return _failure(exc, "/v1/keys")
    return web.Response(text=json.dumps(report, indent=2, sort_keys=True) + "\n", content_type="application/json")


def create_app(
    endpoints: ControllerEndpoints,
    *,
    verify_rate: int = 2,
    verify_burst: int = 2,
    limiter: GcraLimiter | None = None,
    middlewares: Iterable[Any] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> web.Application:
    """The API as an aiohttp application; pass ``metrics.http_middleware()`` to count requests.

    ``verify_rate``/``verify_burst`` are Bitnami's ``--rate-limit``/``--rate-limit-burst``;
    ``limiter`` replaces them (tests pass one with a fake clock).
    """
    app = web.Application(middlewares=list(middlewares), client_max_size=max_body_bytes)
    app[ENDPOINTS_KEY] = endpoints
    app[LIMITER_KEY] = limiter or GcraLimiter(rate_per_second=verify_rate, burst=verify_burst)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/v1/cert.pem", cert_pem)
    app.router.add_post("/v1/verify", verify)
    app.router.add_post("/v1/rotate", rotate)
    app.router.add_get("/v1/keys", keys)
    return app


def parse_listen_addr(addr: str) -> tuple[str | None, int]:
    """Go-style listen address: ``":8080"`` (all interfaces), ``"127.0.0.1:0"``, ``"[::1]:8080"``."""
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise InputError(f"listen address {addr!r} is not host:port", hint='use e.g. ":8080" or "127.0.0.1:8080"')
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return (host or None), int(port)


async def start_http_server(app: web.Application, addr: str, *, access_log: bool = False) -> web.AppRunner:
    """Serve ``app`` on ``addr`` in the running event loop; ``await runner.cleanup()`` stops it.

    The bound address (useful with port 0) is ``runner.addresses[0]`` (or :func:`bound_url`).
    Access logs (method, path, status; never bodies) are off by default: probes would flood them.
    """
    host, port = parse_listen_addr(addr)
    runner = web.AppRunner(app, access_log=log if access_log else None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise NetworkError(f"cannot listen on {addr}: {exc.strerror}", hint="choose a free port") from None
    return runner


def bound_url(runner: web.AppRunner) -> str:
    """``http://host:port`` of the first socket ``runner`` listens on."""
    host, port = runner.addresses[0][:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}"
