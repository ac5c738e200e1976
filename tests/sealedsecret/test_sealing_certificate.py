from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from sealer.crypto import rsa_keys
from sealer.crypto.sealing_certificate import read_sealing_certificate
from sealer.errors import CertificateError
from sealer.keys.keyring import SealingKey


def _cert_pem(key: rsa.RSAPrivateKey, start: dt.datetime, days: int) -> bytes:
    return rsa_keys.certificate_to_pem(
        rsa_keys.self_signed_certificate(key, not_before=start, validity=dt.timedelta(days=days), common_name="x")
    )


@pytest.mark.parametrize(
    ("start", "days"),
    [
        (dt.datetime(2024, 5, 1, 12, 30, 5, tzinfo=dt.UTC), 3650),  # UTCTime
        (dt.datetime(2045, 1, 1, tzinfo=dt.UTC), 3650),  # NotAfter in 2054: GeneralizedTime
        (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), 1),  # expired
    ],
)
def test_fast_reader_agrees_with_x509(other_rsa_key: rsa.RSAPrivateKey, start: dt.datetime, days: int) -> None:
    pem = _cert_pem(other_rsa_key, start, days)
    got = read_sealing_certificate(pem)
    ref = x509.load_pem_x509_certificate(pem)
    assert got.not_after == ref.not_valid_after_utc
    assert got.public_key.public_numbers() == ref.public_key().public_numbers()  # type: ignore[union-attr]
    assert got.expired() == (ref.not_valid_after_utc < dt.datetime.now(dt.UTC))


def test_4096_and_bundle(sealing_key: SealingKey, other_rsa_key: rsa.RSAPrivateKey) -> None:
    assert sealing_key.certificate is not None
    first = rsa_keys.certificate_to_pem(sealing_key.certificate)
    bundle = b"junk before\n" + first + _cert_pem(other_rsa_key, dt.datetime.now(dt.UTC), 5)
    got = read_sealing_certificate(bundle)
    assert got.public_key.public_numbers() == sealing_key.private_key.public_key().public_numbers()


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"hello",
        b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END CERTIFICATE-----\n",
    ],
)
def test_not_a_certificate(pem: bytes) -> None:
    with pytest.raises(CertificateError, match=r"^cert\.pem: "):
        read_sealing_certificate(pem, source="cert.pem")


def test_truncated_certificate_is_rejected(other_rsa_key: rsa.RSAPrivateKey) -> None:
    pem = _cert_pem(other_rsa_key, dt.datetime.now(dt.UTC), 5)
    lines = pem.splitlines()
    cut = b"\n".join([*lines[:4], lines[-1]]) + b"\n"
    with pytest.raises(CertificateError):
        read_sealing_certificate(cut, source="c")


def test_non_rsa_certificate_is_rejected() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(CertificateError, match="not RSA"):
        read_sealing_certificate(rsa_keys.certificate_to_pem(cert), source="c")
