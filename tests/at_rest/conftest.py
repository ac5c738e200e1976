"""Real etcd servers for the at-rest tests: one plain, one with mutual TLS, each per session (per xdist worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.at_rest.etcd_server import ETCD, EtcdServer, TLSFiles, make_tls


def _need_etcd() -> None:
    if not os.access(ETCD, os.X_OK):
        pytest.skip("etcd is not installed (python3 dev.py setup installs etcd-server as root on Debian)")


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    _need_etcd()
    server = EtcdServer(tmp_path_factory.mktemp("etcd")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def etcd_tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls(tmp_path_factory.mktemp("etcd-pki"))


@pytest.fixture(scope="session")
def etcd_tls_server(tmp_path_factory: pytest.TempPathFactory, etcd_tls: TLSFiles) -> Iterator[EtcdServer]:
    _need_etcd()
    server = EtcdServer(tmp_path_factory.mktemp("etcd-tls"), tls=etcd_tls).start()
    yield server
    server.stop()
