"""Session-wide fixtures shared by every area's tests.

RSA-4096 generation costs ~0.5-2 s, so test keys are generated once per session.
Area-specific fixtures live in tests/<area>/conftest.py.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.crypto import rsa_keys
from sealer.keys.keyring import SealingKey


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa_keys.generate_private_key(4096)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa_keys.generate_private_key(2048)


@pytest.fixture(scope="session")
def sealing_key(rsa_key: rsa.RSAPrivateKey) -> SealingKey:
    return SealingKey(rsa_key, rsa_keys.self_signed_certificate(rsa_key), name="test-key")
