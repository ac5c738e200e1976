"""Metrics, read the way Prometheus reads them: by scraping /metrics over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import prometheus_client
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from sealer_controller import http_api
from sealer_controller.metrics import ControllerMetrics, start_metrics_server
from sealer_controller.rate_limit import GcraLimiter

from .fakes import FakeClock, ScriptedEndpoints

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(session: aiohttp.ClientSession, url: str) -> tuple[Samples, str]:
    async with session.get(url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = await resp.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, text


def value(samples: Samples, metric: str, /, **labels: str) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


class Stack:
    def __init__(self, metrics: ControllerMetrics, api: str, metrics_url: str, session: aiohttp.ClientSession):
        self.metrics, self.api, self.metrics_url, self.session = metrics, api, metrics_url, session

    async def scrape(self) -> Samples:
        return (await scrape(self.session, self.metrics_url))[0]


@pytest_asyncio.fixture
async def stack() -> AsyncIterator[Stack]:
    metrics = ControllerMetrics(revision="v-test")
    app = http_api.create_app(
        ScriptedEndpoints(), limiter=GcraLimiter(2, 2, clock_ns=FakeClock()), middlewares=[metrics.http_middleware()]
    )
    api_runner = await http_api.start_http_server(app, "127.0.0.1:0")
    metrics_runner = await start_metrics_server(metrics, "127.0.0.1:0")
    try:
        async with aiohttp.ClientSession() as session:
            yield Stack(metrics, http_api.bound_url(api_runner), http_api.bound_url(metrics_runner), session)
    finally:
        await api_runner.cleanup()
        await metrics_runner.cleanup()


@pytest.mark.asyncio
async def test_http_metrics_have_bitnami_names_and_labels(stack: Stack) -> None:
    for _ in range(4):  # the fourth is rate-limited
        async with stack.session.post(stack.api + "/v1/verify", data=b"good"):
            pass
    async with stack.session.post(stack.api + "/v1/rotate", data=b"wrong-key"):
        pass
    for path in ("/v1/cert.pem", "/healthz", "/healthz"):
        async with stack.session.get(stack.api + path):
            pass
    s = await stack.scrape()
    total = "sealed_secrets_controller_http_requests_total"
    assert value(s, total, path="/v1/verify", code="200", method="post") == 3
    assert value(s, total, path="/v1/verify", code="429", method="post") == 1
    assert value(s, total, path="/v1/rotate", code="409", method="post") == 1
    assert value(s, total, path="/v1/cert.pem", code="200", method="get") == 1
    assert not any(labels and dict(labels).get("path") == "/healthz" for _, labels in s)  # Bitnami skips it
    hist = "sealed_secrets_controller_http_request_duration_seconds"
    assert value(s, hist + "_count", path="/v1/verify", method="post") == 4
    assert value(s, hist + "_bucket", path="/v1/verify", method="post", le="+Inf") == 4
    # Go's DefBuckets, not the Python client's.
    les = sorted(
        float(dict(labels)["le"]) for name, labels in s if name == hist + "_bucket" and ("path", "/v1/verify") in labels
    )
    assert les == [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]
    assert value(s, "sealed_secrets_controller_build_info", revision="v-test") == 1
    assert not [name for name, _ in s if name.endswith("_created")]  # as Go's client: no *_created series
    assert value(s, "process_resident_memory_bytes") > 10_000_000  # what the RSS target is read from


@pytest.mark.asyncio
async def test_unseal_and_condition_metrics(stack: Stack) -> None:
    m = stack.metrics
    for _ in range(3):
        m.unseal_requested()
    m.unseal_failed("unseal", "team-a")
    m.unseal_failed("unmanaged", "team-a")
    m.unseal_failed("unseal", "team-a")
    m.unseal_failed("fetch", "")
    with pytest.raises(ValueError, match="unknown unseal error reason"):
        m.unseal_failed("boom", "team-a")
    good = {
        "metadata": {"namespace": "team-a", "name": "db", "labels": {"app.kubernetes.io/instance": "shop"}},
        "status": {"conditions": [{"type": "Synced", "status": "True"}]},
    }
    bad = {
        "metadata": {"namespace": "team-b", "name": "api"},
        "status": {"conditions": [{"type": "Synced", "status": "False"}]},
    }
    m.observe_condition(good)
    m.observe_condition(bad)
    m.observe_condition({"metadata": {"namespace": "x", "name": "no-status"}})
    s = await stack.scrape()
    assert value(s, "sealed_secrets_controller_unseal_requests_total") == 3
    errors = "sealed_secrets_controller_unseal_errors_total"
    assert value(s, errors, reason="unseal", namespace="team-a") == 2
    assert value(s, errors, reason="unmanaged", namespace="team-a") == 1
    assert value(s, errors, reason="fetch", namespace="") == 1
    info = "sealed_secrets_controller_condition_info"
    assert value(s, info, namespace="team-a", name="db", condition="Synced", ss_app_kubernetes_io_instance="shop") == 1
    assert value(s, info, namespace="team-b", name="api", condition="Synced", ss_app_kubernetes_io_instance="") == -1
    m.forget_condition(bad)
    m.forget_condition(bad)  # twice is harmless
    s = await stack.scrape()
    assert (
        info,
        frozenset(
            {"namespace": "team-b", "name": "api", "condition": "Synced", "ss_app_kubernetes_io_instance": ""}.items()
        ),
    ) not in s
    assert value(s, info, namespace="team-a", name="db", condition="Synced", ss_app_kubernetes_io_instance="shop") == 1


@pytest.mark.asyncio
async def test_our_metrics(stack: Stack) -> None:
    m = stack.metrics
    ring_ops = [5]
    keys = [2]
    m.count_rsa_operations_from(lambda: ring_ops[0])
    m.count_keys_from(lambda: keys[0])
    m.rsa_operations.inc(3)
    with m.reconcile_duration.time():
        pass
    m.reconcile_duration.observe(0.2)
    s = await stack.scrape()
    assert value(s, "sealer_rsa_operations_total") == 8
    assert value(s, "sealer_keys") == 2
    assert value(s, "sealer_reconcile_duration_seconds_count") == 2
    assert value(s, "sealer_reconcile_duration_seconds_bucket", le="0.25") == 2
    assert value(s, "sealer_reconcile_duration_seconds_bucket", le="0.1") == 1
    ring_ops[0] = 9  # read live at each scrape: the ring stays the one place that counts
    keys[0] = 3
    s = await stack.scrape()
    assert value(s, "sealer_rsa_operations_total") == 12
    assert value(s, "sealer_keys") == 3
    with pytest.raises(ValueError):
        m.rsa_operations.inc(-1)


def test_registries_are_private() -> None:
    a, b = ControllerMetrics(), ControllerMetrics()  # would raise "Duplicated timeseries" on a shared registry
    a.unseal_requested()
    assert b"sealed_secrets_controller_unseal_requests_total 0.0" in b.exposition()
    assert b"sealed_secrets_controller_unseal_requests_total 1.0" in a.exposition()
    assert b"sealed_secrets_controller" not in prometheus_client.generate_latest(prometheus_client.REGISTRY)
