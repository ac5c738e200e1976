"""Fixtures for the SealedSecret tests: 2048-bit keys (4096 only where the size is the point)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.crypto import rsa_keys
from sealer.keys.keyring import KeyRing, SealingKey


@pytest.fixture(scope="session")
def key2048(other_rsa_key: rsa.RSAPrivateKey) -> SealingKey:
    cert = rsa_keys.self_signed_certificate(other_rsa_key)
    return SealingKey(other_rsa_key, cert, name="sealed-secrets-keytest")


@pytest.fixture(scope="session")
def second_key() -> SealingKey:
    key = rsa_keys.generate_private_key(2048)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return SealingKey(key, rsa_keys.self_signed_certificate(key, not_before=later), name="sealed-secrets-keynext")


@pytest.fixture
def ring(key2048: SealingKey) -> KeyRing:
    return KeyRing.of([key2048])
