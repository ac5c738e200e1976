"""One emulator + one running operator per test module (each test uses its own namespace)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from kubernetes import client

from tests.support.controller_harness import RunningOperator
from tests.support.kube_emulator import KubeEmulator


@pytest.fixture(scope="module")
def emu() -> Iterator[KubeEmulator]:
    logging.getLogger("kopf").setLevel(logging.WARNING)  # "Handler succeeded" per event is noise at scale
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    with KubeEmulator() as running:
        yield running


@pytest.fixture(scope="module")
def op(emu: KubeEmulator) -> Iterator[RunningOperator]:
    running = RunningOperator(emu).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def cert_pem(op: RunningOperator) -> bytes:
    return op.cert_pem()


@pytest.fixture(scope="module")
def custom(emu: KubeEmulator) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(emu.api_client())


@pytest.fixture(scope="module")
def core(emu: KubeEmulator) -> client.CoreV1Api:
    return client.CoreV1Api(emu.api_client())
