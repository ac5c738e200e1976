"""Keys for the HTTP API tests: two 2048-bit keys with Bitnami-style certificates, born 10 days apart."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.crypto import rsa_keys
from sealer.keys.keyring import SealingKey

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def old_key(other_rsa_key: rsa.RSAPrivateKey) -> SealingKey:
    cert = rsa_keys.self_signed_certificate(other_rsa_key, not_before=NOW - dt.timedelta(days=10))
    return SealingKey(other_rsa_key, cert, name="sealed-secrets-keyold01")


@pytest.fixture(scope="session")
def new_key() -> SealingKey:
    private = rsa_keys.generate_private_key(2048)
    cert = rsa_keys.self_signed_certificate(private, not_before=NOW - dt.timedelta(minutes=1))
    return SealingKey(private, cert, name="new")


@pytest.fixture(scope="session")
def stranger_key() -> SealingKey:
    """A key the controller does not hold."""
    private = rsa_keys.generate_private_key(2048)
    return SealingKey(private, rsa_keys.self_signed_certificate(private, not_before=NOW), name="stranger")
