"""rsa_keys.self_signed_certificate: the certificate fields of Bitnami's ``crypto.SignKeyWithNotBefore``."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sealer.crypto import rsa_keys

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def test_certificate_has_bitnami_fields(other_rsa_key: rsa.RSAPrivateKey) -> None:
    cert = rsa_keys.self_signed_certificate(other_rsa_key, not_before=T0.replace(microsecond=123456))
    assert cert.version is x509.Version.v3
    assert cert.subject == x509.Name([]) and cert.issuer == x509.Name([])
    assert 0 < cert.serial_number < 2**128
    assert cert.not_valid_before_utc == T0
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(hours=87600)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    # Self-signed: the signature verifies with the certificate's own key.
    other_rsa_key.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())
    # Extensions exactly as Go's x509.CreateCertificate writes them for Bitnami's template, in order:
    # KeyUsage critical encipherOnly; BasicConstraints critical CA:TRUE; SKI = SHA-256(PKCS#1 pub)[:20].
    pkcs1 = other_rsa_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    ku = bytes.fromhex("0603551d0f0101ff0404 03020001".replace(" ", ""))
    bc = bytes.fromhex("0603551d130101ff0405 30030101ff".replace(" ", ""))
    ski = bytes.fromhex("0603551d0e04160414") + hashlib.sha256(pkcs1).digest()[:20]
    tbs = cert.tbs_certificate_bytes
    assert tbs.index(ku) < tbs.index(bc) < tbs.index(ski)
    # The certificate still works for what callers need: the key and the validity.
    assert cert.public_key() == other_rsa_key.public_key()


def test_certificate_common_name_and_serials(other_rsa_key: rsa.RSAPrivateKey) -> None:
    a = rsa_keys.self_signed_certificate(other_rsa_key, not_before=T0, common_name="my-cn")
    b = rsa_keys.self_signed_certificate(other_rsa_key, not_before=T0)
    assert a.subject.rfc4514_string() == "CN=my-cn" == a.issuer.rfc4514_string()
    assert a.serial_number != b.serial_number
    with pytest.raises(ValueError, match="timezone-aware"):
        rsa_keys.self_signed_certificate(other_rsa_key, not_before=dt.datetime(2026, 1, 1))


def test_certificate_defaults_and_bounds(other_rsa_key: rsa.RSAPrivateKey) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cert = rsa_keys.self_signed_certificate(other_rsa_key, serial_number=42)
    after = dt.datetime.now(dt.UTC)
    assert before <= cert.not_valid_before_utc <= after
    assert cert.serial_number == 42
    # A non-UTC NotBefore is converted, not reinterpreted.
    east = dt.timezone(dt.timedelta(hours=2))
    shifted = rsa_keys.self_signed_certificate(other_rsa_key, not_before=T0.astimezone(east))
    assert shifted.not_valid_before_utc == T0
    with pytest.raises(ValueError, match="positive"):
        rsa_keys.self_signed_certificate(other_rsa_key, not_before=T0, validity=dt.timedelta(0))
