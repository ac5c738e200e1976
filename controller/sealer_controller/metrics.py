"""Prometheus metrics on :8081 ``/metrics``: the Bitnami controller's names, plus ours.

Bitnami's (pkg/controller/metrics.go), same names, labels and meaning, so its
dashboards and alerts (and the prometheus-mixin) keep working:

* ``sealed_secrets_controller_build_info{revision}`` - 1
* ``sealed_secrets_controller_unseal_requests_total``
* ``sealed_secrets_controller_unseal_errors_total{reason,namespace}`` - reasons
  ``fetch``, ``unseal``, ``unmanaged``, ``update``, ``status`` (:data:`UNSEAL_ERROR_REASONS`)
* ``sealed_secrets_controller_condition_info{namespace,name,condition,ss_app_kubernetes_io_instance}``
  - -1 False, 0 Unknown, 1 True (the instance label is the SealedSecret's
  ``app.kubernetes.io/instance`` label, or empty)
* ``sealed_secrets_controller_http_requests_total{path,code,method}`` and
  ``sealed_secrets_controller_http_request_duration_seconds{path,method}`` (Go's
  default buckets) for ``/v1/verify``, ``/v1/rotate``, ``/v1/cert.pem`` (and our
  ``/v1/keys``); method lower-case as promhttp writes it.

Ours:

* ``sealer_rsa_operations_total`` - RSA private-key operations; a resync that
  changes nothing should add 0
* ``sealer_keys`` - private keys held
* ``sealer_reconcile_duration_seconds`` - time to reconcile one SealedSecret
* ``process_*`` (resident memory, CPU, open files) and ``python_info``, as
  Go's default registry gives Bitnami's ``process_*`` and ``go_*``

The exposition leaves out the Python client's ``*_created`` series: Go's has
none, and they would double the series count of every labelled counter.

Everything lives in a private :class:`~prometheus_client.CollectorRegistry`,
never the process-global one, so tests and several controllers in a process do
not collide. Metric labels are names and reasons only, never secret data.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Metric,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from sealer_controller.http_api import INSTRUMENTED_PATHS, start_http_server

PREFIX = "sealed_secrets_controller"
UNSEAL_ERROR_REASONS = ("fetch", "unseal", "unmanaged", "update", "status")
CONDITION_VALUES: Mapping[str, float] = {"False": -1.0, "Unknown": 0.0, "True": 1.0}
INSTANCE_LABEL = "app.kubernetes.io/instance"

# prometheus.DefBuckets (Go); the Python client's defaults add .075, .75 and 7.5.
GO_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Reconciles range from a cache hit (~100 us) to several RSA-4096 decryptions behind a queue.
RECONCILE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# What Go's promhttp sends (and every Prometheus understands). prometheus_client 0.26 labels the same
# bytes "version=1.0.0", which differs only for metric names outside [a-zA-Z_:][a-zA-Z0-9_:]*; ours are not.
TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _RsaOperations(Collector):
    """A counter that is the sum of what was counted here and of live sources (e.g. KeyRing.rsa_operations).

    Reading sources at scrape time means the ring stays the one place that
    counts, and a worker that counts elsewhere can still :meth:`inc` here.
    """

    name = "sealer_rsa_operations"

    def __init__(self) -> None:
        self._counted = 0
        self._sources: list[Callable[[], int]] = []

    def inc(self, amount: int = 1) -> None:
        if amount < 0:
            raise ValueError("counters only go up")
        self._counted += amount

    def add_source(self, source: Callable[[], int]) -> None:
        self._sources.append(source)

    def value(self) -> int:
        return self._counted + sum(source() for source in self._sources)

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            self.name, "RSA private-key operations (unwraps tried), summed over all keys", value=self.value()
        )
        yield family

    def describe(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(self.name, "RSA private-key operations (unwraps tried), summed over all keys")


class ControllerMetrics:
    """All of the controller's metrics, in one registry; pass it to whoever records."""

    def __init__(self, *, revision: str = "", registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.build_info = Gauge(
            "build_info", "Build information.", namespace=PREFIX, labelnames=["revision"], registry=r
        )
        self.build_info.labels(revision=revision).set(1)
        self.unseal_requests = Counter(
            "unseal_requests", "Total number of sealed secret unseal requests", namespace=PREFIX, registry=r
        )
        self.unseal_errors = Counter(
            "unseal_errors",
            "Total number of sealed secret unseal errors by reason",
            labelnames=["reason", "namespace"],
            namespace=PREFIX,
            registry=r,
        )
        self.condition_info = Gauge(
            "condition_info",
            "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)",
            labelnames=["namespace", "name", "condition", "ss_app_kubernetes_io_instance"],
            namespace=PREFIX,
            registry=r,
        )
        self.http_requests = Counter(
            "http_requests",
            "A counter for requests to the wrapped handler.",
            labelnames=["path", "code", "method"],
            namespace=PREFIX,
            registry=r,
        )
        self.http_request_duration = Histogram(
            "http_request_duration_seconds",
            "A histogram of latencies for requests.",
            labelnames=["path", "method"],
            namespace=PREFIX,
            buckets=GO_DEFAULT_BUCKETS,
            registry=r,
        )
        self.rsa_operations = _RsaOperations()
        r.register(self.rsa_operations)
        self.keys = Gauge("sealer_keys", "Private sealing keys held by the controller", registry=r)
        self.reconcile_duration = Histogram(
            "sealer_reconcile_duration_seconds",
            "Time to reconcile one SealedSecret, from handler start to Secret written",
            buckets=RECONCILE_BUCKETS,
            registry=r,
        )
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)

    # --- Bitnami's bookkeeping -------------------------------------------------------------

    def unseal_requested(self) -> None:
        self.unseal_requests.inc()

    def unseal_failed(self, reason: str, namespace: str) -> None:
        """Count one error; ``reason`` is one of :data:`UNSEAL_ERROR_REASONS` (Bitnami uses "" ns for fetch)."""
        if reason not in UNSEAL_ERROR_REASONS:
            raise ValueError(f"unknown unseal error reason {reason!r}; use one of {UNSEAL_ERROR_REASONS}")
        self.unseal_errors.labels(reason=reason, namespace=namespace).inc()

    @staticmethod
    def _condition_labels(sealed_secret: Mapping[str, Any]) -> tuple[str, str, str]:
        meta = sealed_secret.get("metadata") or {}
        labels = meta.get("labels") or {}
        return str(meta.get("namespace") or ""), str(meta.get("name") or ""), str(labels.get(INSTANCE_LABEL) or "")

    def observe_condition(self, sealed_secret: Mapping[str, Any]) -> None:
        """Set ``condition_info`` from a SealedSecret's ``status.conditions`` (Bitnami's ObserveCondition)."""
        namespace, name, instance = self._condition_labels(sealed_secret)
        for condition in (sealed_secret.get("status") or {}).get("conditions") or []:
            self.condition_info.labels(
                namespace=namespace,
                name=name,
                condition=str(condition.get("type") or ""),
                ss_app_kubernetes_io_instance=instance,
            ).set(CONDITION_VALUES.get(str(condition.get("status")), 0.0))

    def forget_condition(self, sealed_secret: Mapping[str, Any]) -> None:
        """Drop a deleted SealedSecret's ``condition_info`` series (Bitnami's UnregisterCondition)."""
        namespace, name, instance = self._condition_labels(sealed_secret)
        for condition in (sealed_secret.get("status") or {}).get("conditions") or []:
            try:
                self.condition_info.remove(namespace, name, str(condition.get("type") or ""), instance)
            except KeyError:
                pass

    # --- ours --------------------------------------------------------------------------------

    def count_rsa_operations_from(self, source: Callable[[], int]) -> None:
        """Report a live counter (e.g. ``lambda: ring.rsa_operations``) as part of sealer_rsa_operations_total."""
        self.rsa_operations.add_source(source)

    def count_keys_from(self, source: Callable[[], int]) -> None:
        """Make ``sealer_keys`` read ``source()`` at each scrape (e.g. ``lambda: len(ring)``)."""
        self.keys.set_function(lambda: float(source()))

    # --- HTTP ----------------------------------------------------------------------------------

    def http_middleware(self, paths: tuple[str, ...] = INSTRUMENTED_PATHS) -> Any:
        """An aiohttp middleware counting requests to ``paths`` as Bitnami's ``Instrument()`` does."""
        watched = frozenset(paths)

        @web.middleware
        async def instrument(request: web.Request, handler: Handler) -> web.StreamResponse:
            path = request.path
            if path not in watched:
                return await handler(request)
            method = request.method.lower()
            start = time.perf_counter()
            code = 500
            try:
                response = await handler(request)
                code = response.status
                return response
            except web.HTTPException as exc:
                code = exc.status
                raise
            finally:
                self.http_request_duration.labels(path=path, method=method).observe(time.perf_counter() - start)
                self.http_requests.labels(path=path, code=str(code), method=method).inc()

        return instrument

    def exposition(self) -> bytes:
        return bytes(generate_latest(_WithoutCreated(self.registry)))


class _WithoutCreated:
    """A registry view without ``*_created`` samples (what Go's client exposes)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            if family.type in ("counter", "histogram", "summary"):
                family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


def create_metrics_app(metrics: ControllerMetrics) -> web.Application:
    """``GET /metrics`` in the Prometheus text format."""

    async def scrape(request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": TEXT_CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    return app


async def start_metrics_server(metrics: ControllerMetrics, addr: str = ":8081") -> web.AppRunner:
    """Serve ``/metrics`` on ``addr`` (Bitnami's ``--listen-metrics-addr``, default ``:8081``)."""
    return await start_http_server(create_metrics_app(metrics), addr)
