"""rsa_keys.self_signed_certificate: the certificate fields of Bitnami's ``crypto.SignKeyWithNotBefore``."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sealer.crypto import rsa_keys
from sealer.errors import KeyError_

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


def _pem_with(key: rsa.RSAPrivateKey, **changes: int) -> bytes:
    n = key.private_numbers()
    fields = {"p": n.p, "q": n.q, "d": n.d, "dmp1": n.dmp1, "dmq1": n.dmq1, "iqmp": n.iqmp} | changes
    broken = rsa.RSAPrivateNumbers(public_numbers=n.public_numbers, **fields).private_key(
        unsafe_skip_rsa_key_validation=True)
    return rsa_keys.private_key_to_pem(broken)


def test_a_consistent_key_loads(other_rsa_key: rsa.RSAPrivateKey) -> None:
    loaded = rsa_keys.load_private_key_pem(rsa_keys.private_key_to_pem(other_rsa_key))
    assert loaded.private_numbers() == other_rsa_key.private_numbers()


@pytest.mark.parametrize("field", ["d", "dmp1", "dmq1", "iqmp"])
def test_an_inconsistent_key_is_refused_by_name(other_rsa_key: rsa.RSAPrivateKey, field: str) -> None:
    value = getattr(other_rsa_key.private_numbers(), field)
    pem = _pem_with(other_rsa_key, **{field: value + 2})
    with pytest.raises(KeyError_) as caught:
        rsa_keys.load_private_key_pem(pem, source="key Secret kube-system/k1")
    assert "key Secret kube-system/k1" in caught.value.message and "inconsistent" in caught.value.message
    assert str(value) not in str(caught.value)  # no key material in the message


def test_swapped_factors_with_a_stale_iqmp_are_refused(other_rsa_key: rsa.RSAPrivateKey) -> None:
    n = other_rsa_key.private_numbers()
    with pytest.raises(KeyError_):
        rsa_keys.load_private_key_pem(_pem_with(other_rsa_key, p=n.q, q=n.p, dmp1=n.dmq1, dmq1=n.dmp1))
