"""Read what sealing needs from a controller certificate: its RSA key and expiry.

Sealing uses two facts of the certificate and nothing else (kubeseal checks
no signature or chain either): the RSA public key in its
SubjectPublicKeyInfo and its NotAfter date. Importing ``cryptography.x509``
costs ~35 ms, a third of a whole ``sealer seal`` run, so the common case
(a well-formed certificate) is read with a small DER walk here and the key is
built from its numbers. Anything unusual falls back to ``cryptography.x509``,
which also gives the precise error.
"""

from __future__ import annotations

import binascii
import datetime as dt
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.errors import CertificateError

__all__ = ["SealingCertificate", "read_sealing_certificate"]

_BEGIN, _END = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"
_RSA_ENCRYPTION_OID = bytes.fromhex("06092a864886f70d010101")
_SEQUENCE, _INTEGER, _BIT_STRING, _UTC_TIME, _GENERALIZED_TIME, _EXPLICIT_0 = 0x30, 0x02, 0x03, 0x17, 0x18, 0xA0


class SealingCertificate(NamedTuple):
    public_key: rsa.RSAPublicKey
    not_after: dt.datetime
    """Expiry, UTC-aware."""

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or dt.datetime.now(dt.UTC)) > self.not_after


class _Malformed(Exception):
    """The fast reader gave up; the slow one decides."""


def _tlv(der: bytes, offset: int, want: int | None = None) -> tuple[int, int, int]:
    """(tag, content start, content end) of the element at ``offset``."""
    if offset + 2 > len(der):
        raise _Malformed
    tag, length = der[offset], der[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or start + count > len(der):
            raise _Malformed
        length = int.from_bytes(der[start : start + count], "big")
        start += count
    end = start + length
    if end > len(der) or (want is not None and tag != want):
        raise _Malformed
    return tag, start, end


def _time(der: bytes, tag: int, start: int, end: int) -> dt.datetime:
    text = der[start:end].decode("ascii")
    if tag == _UTC_TIME and len(text) == 13 and text.endswith("Z"):
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif not (tag == _GENERALIZED_TIME and len(text) == 15 and text.endswith("Z")):
        raise _Malformed
    if not text[:14].isdigit():
        raise _Malformed
    month, day, hour, minute, second = (int(text[i : i + 2]) for i in range(4, 14, 2))  # not strptime: ~3 ms
    return dt.datetime(int(text[:4]), month, day, hour, minute, second, tzinfo=dt.UTC)


def _fast(der: bytes) -> SealingCertificate:
    _, cert_start, cert_end = _tlv(der, 0, _SEQUENCE)
    if cert_end != len(der):
        raise _Malformed
    _, tbs_start, tbs_end = _tlv(der, cert_start, _SEQUENCE)
    pos = tbs_start
    tag, _, end = _tlv(der, pos)
    if tag == _EXPLICIT_0:  # version
        pos = end
    fields: list[tuple[int, int, int, int]] = []  # serial, signature alg, issuer, validity, subject, spki
    while pos < tbs_end and len(fields) < 6:
        tag, start, end = _tlv(der, pos)
        fields.append((tag, pos, start, end))
        pos = end
    if len(fields) < 6 or fields[0][0] != _INTEGER or fields[3][0] != _SEQUENCE or fields[5][0] != _SEQUENCE:
        raise _Malformed
    _, _, validity_start, _ = fields[3]
    _, _, after_at = _tlv(der, validity_start)
    tag, start, end = _tlv(der, after_at)
    not_after = _time(der, tag, start, end)
    _, _, spki_start, _ = fields[5]
    _, alg_start, alg_end = _tlv(der, spki_start, _SEQUENCE)
    if der[alg_start : alg_start + len(_RSA_ENCRYPTION_OID)] != _RSA_ENCRYPTION_OID:
        raise CertificateError("certificate key is not RSA", hint="sealed secrets use RSA keys")
    _, bits_start, _ = _tlv(der, alg_end, _BIT_STRING)
    if der[bits_start] != 0:
        raise _Malformed
    _, key_start, _ = _tlv(der, bits_start + 1, _SEQUENCE)
    _, n_start, n_end = _tlv(der, key_start, _INTEGER)
    _, e_start, e_end = _tlv(der, n_end, _INTEGER)
    modulus = int.from_bytes(der[n_start:n_end], "big")
    exponent = int.from_bytes(der[e_start:e_end], "big")
    try:
        key = rsa.RSAPublicNumbers(exponent, modulus).public_key()
    except ValueError:
        raise _Malformed from None
    return SealingCertificate(key, not_after)


def _slow(pem: bytes, source: str) -> SealingCertificate:
    from sealer.crypto.rsa_keys import load_certificates_pem

    cert = load_certificates_pem(pem, source=source)[0]
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)  # load_certificates_pem checked it
    return SealingCertificate(public, cert.not_valid_after_utc)


def read_sealing_certificate(pem: bytes, *, source: str = "certificate") -> SealingCertificate:
    """The first certificate of a PEM bundle, as sealing needs it (the first one seals, as in kubeseal)."""
    begin = pem.find(_BEGIN)
    end = pem.find(_END, begin + 1)
    if begin < 0 or end < 0:
        return _slow(pem, source)  # raises the "no PEM certificate" error
    try:
        der = binascii.a2b_base64(pem[begin + len(_BEGIN) : end])
        return _fast(der)
    except CertificateError as exc:
        raise CertificateError(f"{source}: {exc.message}", hint=exc.hint) from None
    except (_Malformed, binascii.Error, ValueError, IndexError):
        return _slow(pem, source)
