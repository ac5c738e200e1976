"""The HTTP API over a scripted provider: routes, status codes, headers, rate limit, no leaks."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from multidict import CIMultiDictProxy
from sealer_controller import http_api
from sealer_controller.rate_limit import GcraLimiter, bitnami_key

from sealer.errors import InputError, NetworkError

from .fakes import PLAINTEXT, FakeClock, ScriptedEndpoints


class Server:
    def __init__(self, endpoints: ScriptedEndpoints, clock: FakeClock, url: str, session: aiohttp.ClientSession):
        self.endpoints, self.clock, self.url, self.session = endpoints, clock, url, session

    async def request(self, method: str, path: str, **kw: object) -> tuple[int, bytes, CIMultiDictProxy[str]]:
        async with self.session.request(method, self.url + path, **kw) as resp:  # type: ignore[arg-type]
            return resp.status, await resp.read(), resp.headers


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    endpoints, clock = ScriptedEndpoints(), FakeClock()
    app = http_api.create_app(endpoints, limiter=GcraLimiter(2, 2, clock_ns=clock))
    runner = await http_api.start_http_server(app, "127.0.0.1:0")
    try:
        async with aiohttp.ClientSession() as session:
            yield Server(endpoints, clock, http_api.bound_url(runner), session)
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_healthz(server: Server) -> None:
    status, body, headers = await server.request("GET", "/healthz")
    assert (status, body) == (200, b"ok\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    server.endpoints.is_healthy = False
    status, body, _ = await server.request("GET", "/healthz")
    assert status == 503


@pytest.mark.asyncio
async def test_cert_pem(server: Server) -> None:
    status, body, headers = await server.request("GET", "/v1/cert.pem")
    assert status == 200 and body == server.endpoints.pem
    assert headers["Content-Type"] == "application/x-pem-file"
    server.endpoints.has_cert = False
    status, body, _ = await server.request("GET", "/v1/cert.pem")
    assert (status, body) == (500, b"cannot get certificate\n")


@pytest.mark.asyncio
async def test_verify_status_codes(server: Server) -> None:
    assert (await server.request("POST", "/v1/verify", data=b"good"))[0] == 200
    server.clock.advance(10)
    status, body, _ = await server.request("POST", "/v1/verify", data=b"wrong-key")
    assert status == 409 and b"no key could decrypt" in body
    server.clock.advance(10)
    status, body, _ = await server.request("POST", "/v1/verify", data=b"malformed")
    assert status == 400 and b"not a SealedSecret" in body
    server.clock.advance(10)
    status, body, _ = await server.request("POST", "/v1/verify", data=b"bug-sealer")
    assert status == 500 and b"no private key" in body
    assert server.endpoints.calls == [b"good", b"wrong-key", b"malformed", b"bug-sealer"]


@pytest.mark.asyncio
async def test_unexpected_errors_leak_nothing(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for path in ("/v1/verify", "/v1/rotate"):
        status, body, _ = await server.request("POST", path, data=b"bug")
        assert (status, body) == (500, b"internal error\n")
    assert "RuntimeError" in caplog.text
    assert PLAINTEXT not in caplog.text


@pytest.mark.asyncio
async def test_verify_rate_limit_is_bitnamis(server: Server) -> None:
    # GCRA 2/s with burst 2 as throttled counts it: burst+1 = 3 at once, then one per 0.5 s.
    answers = [await server.request("POST", "/v1/verify", data=b"good") for _ in range(4)]
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    assert [a[2]["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    _, body, headers = answers[3]
    assert body == b"limit exceeded\n"
    assert headers["X-RateLimit-Limit"] == "3" and headers["Retry-After"] == "1"
    assert "Retry-After" not in answers[0][2]
    assert len(server.endpoints.calls) == 3  # the limited request never reached the provider
    # Another client behind the API server proxy (another X-Forwarded-For) has its own bucket.
    other = await server.request("POST", "/v1/verify", data=b"good", headers={"X-Forwarded-For": "10.0.0.9"})
    assert other[0] == 200
    # Rotate and the certificate are not rate-limited, as in Bitnami.
    assert (await server.request("POST", "/v1/rotate", data=b"good"))[0] == 200
    assert (await server.request("GET", "/v1/cert.pem"))[0] == 200
    server.clock.advance(0.5)
    assert (await server.request("POST", "/v1/verify", data=b"good"))[0] == 200
    assert (await server.request("POST", "/v1/verify", data=b"good"))[0] == 429


@pytest.mark.asyncio
async def test_rotate(server: Server) -> None:
    status, body, headers = await server.request("POST", "/v1/rotate", data=b"good")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == b'{"kind": "SealedSecret", "rotated": "good"}'
    assert (await server.request("POST", "/v1/rotate", data=b"wrong-key"))[0] == 409
    assert (await server.request("POST", "/v1/rotate", data=b"malformed"))[0] == 400


@pytest.mark.asyncio
async def test_keys_report(server: Server) -> None:
    status, body, headers = await server.request("GET", "/v1/keys")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert b'"sealedSecrets"' in body and b'"ab12"' in body


@pytest.mark.asyncio
async def test_methods_and_sizes(server: Server) -> None:
    assert (await server.request("GET", "/v1/verify"))[0] == 405
    assert (await server.request("POST", "/v1/cert.pem"))[0] == 405
    assert (await server.request("GET", "/v1/nothing"))[0] == 404
    status, _, _ = await server.request("POST", "/v1/rotate", data=b"x" * (http_api.DEFAULT_MAX_BODY_BYTES + 1))
    assert status == 413
    assert server.endpoints.calls == []


def test_parse_listen_addr() -> None:
    assert http_api.parse_listen_addr(":8080") == (None, 8080)
    assert http_api.parse_listen_addr("127.0.0.1:0") == ("127.0.0.1", 0)
    assert http_api.parse_listen_addr("[::1]:8081") == ("::1", 8081)
    for bad in ("8080", "host:", "host:http", ":70000"):
        with pytest.raises(InputError, match="not host:port"):
            http_api.parse_listen_addr(bad)


@pytest.mark.asyncio
async def test_port_in_use_is_a_network_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = http_api.create_app(ScriptedEndpoints())
        with pytest.raises(NetworkError, match=f"cannot listen on 127.0.0.1:{port}"):
            await http_api.start_http_server(app, f"127.0.0.1:{port}")


# ---------------------------------------------------------------- the limiter itself


def test_gcra_matches_throttled() -> None:
    clock = FakeClock()
    limiter = GcraLimiter(2, 2, clock_ns=clock)
    first = limiter.check("k")
    assert (first.limited, first.limit, first.remaining, first.reset_after_ns) == (False, 3, 2, 500_000_000)
    limiter.check("k")
    third = limiter.check("k")
    assert (third.limited, third.remaining, third.reset_after_ns) == (False, 0, 1_500_000_000)
    fourth = limiter.check("k")
    assert fourth.limited and fourth.retry_after_ns == 500_000_000
    assert fourth.headers()["Retry-After"] == "1" and fourth.headers()["X-RateLimit-Reset"] == "2"
    clock.advance(0.25)
    assert limiter.check("k").limited
    clock.advance(0.25)
    assert not limiter.check("k").limited
    clock.advance(10)  # fully drained: the whole burst is available again
    assert [limiter.check("k").limited for _ in range(4)] == [False, False, False, True]


def test_gcra_rate_one_burst_zero_and_bounds() -> None:
    clock = FakeClock()
    limiter = GcraLimiter(1, 0, clock_ns=clock, max_keys=2)
    assert not limiter.check("a").limited and limiter.check("a").limited
    limiter.check("b")
    limiter.check("c")  # evicts "a", the least recently allowed key
    assert not limiter.check("a").limited
    with pytest.raises(ValueError):
        GcraLimiter(0, 2)
    with pytest.raises(ValueError):
        GcraLimiter(2, -1)
    assert bitnami_key("/v1/verify", "10.0.0.1, 10.0.0.2") == "10.0.0.1, 10.0.0.2\n/v1/verify\n"
    assert bitnami_key("/v1/verify", None) == "\n/v1/verify\n"


@pytest.mark.asyncio
async def test_endpoints_from_plain_callables() -> None:
    seen: list[bytes] = []

    async def verify(body: bytes) -> None:
        seen.append(body)

    async def rotate(body: bytes) -> bytes:
        return b"{}"

    endpoints = http_api.Endpoints(
        certificate_pem=lambda: b"PEM", verify=verify, rotate=rotate, keys_report=lambda: {"keys": []}
    )
    runner = await http_api.start_http_server(http_api.create_app(endpoints), "127.0.0.1:0")
    try:
        async with aiohttp.ClientSession() as session:
            url = http_api.bound_url(runner)
            async with session.post(url + "/v1/verify", data=b"x") as resp:
                assert resp.status == 200 and resp.headers["X-RateLimit-Limit"] == "3"
            async with session.get(url + "/healthz") as resp:
                assert await resp.read() == b"ok\n"
            async with session.get(url + "/v1/cert.pem") as resp:
                assert await resp.read() == b"PEM"
    finally:
        await runner.cleanup()
    assert seen == [b"x"]
