"""RSA key pairs and self-signed certificates as the Sealed Secrets controller makes them.

The controller's key Secrets hold a PKCS#1 ``tls.key`` and a PEM ``tls.crt``;
kubeseal only ever sees the certificate. Matching these encodings exactly is
what lets a cluster move between the Bitnami controller and ours without
resealing anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# The key and certificate types, re-exported so that higher layers can name them in
# annotations and isinstance checks without importing cryptography themselves.
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey as RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey as RSAPublicKey
from cryptography.x509 import Certificate as Certificate
from cryptography.x509.oid import ExtensionOID, NameOID

from sealer.errors import CertificateError, KeyError_

DEFAULT_KEY_BITS = 4096
DEFAULT_CERT_VALIDITY = dt.timedelta(days=3650)  # Bitnami --key-ttl default, 87600h

# DER of KeyUsage BIT STRING with only encipherOnly (bit 7) set, exactly as Go's
# marshalKeyUsage(x509.KeyUsageEncipherOnly) writes it: 03 02 00 01.
_KEY_USAGE_ENCIPHER_ONLY_DER = b"\x03\x02\x00\x01"


def generate_private_key(bits: int = DEFAULT_KEY_BITS) -> rsa.RSAPrivateKey:
    if bits < 2048:
        raise ValueError("RSA keys shorter than 2048 bits are not accepted")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def self_signed_certificate(
    key: rsa.RSAPrivateKey,
    *,
    not_before: dt.datetime | None = None,
    validity: dt.timedelta = DEFAULT_CERT_VALIDITY,
    common_name: str = "",
    serial_number: int | None = None,
) -> x509.Certificate:
    """A self-signed certificate with the fields of Bitnami's ``crypto.SignKeyWithNotBefore``.

    Matching them field for field means a key we generate looks, to kubeseal and
    to the Bitnami controller, like one it generated itself: empty subject and
    issuer (unless ``common_name``), a random 128-bit serial, NotBefore in whole
    seconds, KeyUsage encipherOnly (critical), BasicConstraints CA:TRUE
    (critical) and a SubjectKeyIdentifier of truncated SHA-256 (what Go >= 1.25
    adds to CA certificates), signed with SHA256-RSA.

    ``encipherOnly`` without ``keyAgreement`` is legal DER but ``cryptography``
    refuses to build a ``KeyUsage`` object for it, so the extension is written
    as raw DER, and ``cert.extensions`` raises ``ValueError`` on these (and on
    Bitnami-made) certificates: read the public key and validity only.
    """
    if not_before is None:
        not_before = dt.datetime.now(dt.UTC)
    elif not_before.tzinfo is None or not_before.utcoffset() is None:
        raise ValueError("not_before must be timezone-aware")
    if validity <= dt.timedelta(0):
        raise ValueError("certificate validity must be positive")
    serial = serial_number if serial_number is not None else _random_serial()
    start = not_before.astimezone(dt.UTC).replace(microsecond=0)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    name = x509.Name(attrs)
    pkcs1_public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, _KEY_USAGE_ENCIPHER_ONLY_DER), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier(hashlib.sha256(pkcs1_public).digest()[:20]), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _random_serial() -> int:
    # Go: rand.Int(r, 2**128), i.e. uniform in [0, 2**128); a zero serial is not allowed by X.509.
    while True:
        serial = secrets.randbits(128)
        if serial:
            return serial


def private_key_to_pem(key: rsa.RSAPrivateKey) -> bytes:
    """PKCS#1 ("BEGIN RSA PRIVATE KEY"), the encoding the controller's ``tls.key`` uses."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def certificate_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_private_key_pem(data: bytes, *, source: str = "key") -> rsa.RSAPrivateKey:
    """Accept PKCS#1 or PKCS#8 PEM; reject anything that is not an unencrypted, consistent RSA private key.

    OpenSSL's own RSA key check (``RSA_check_key``) costs 0.25-0.4 s per 4096-bit
    key, most of it primality tests of p and q, and holds the GIL while it runs:
    five keys would stall a starting controller for 1.5 s. :func:`check_consistency`
    instead verifies the arithmetic every private operation relies on (40 us).
    A composite factor is not caught; such a key simply fails to decrypt (OAEP
    and GCM refuse), and only someone who can already write the key Secrets
    could plant one.
    """
    try:
        key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError) as exc:
        raise KeyError_(
            f"{source}: not an unencrypted PEM private key",
            hint="pass the tls.key of a sealed-secrets key Secret, or a PEM RSA private key",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyError_(f"{source}: private key is not RSA", hint="sealed secrets use RSA keys")
    check_consistency(key, source=source)
    return key


def check_consistency(key: rsa.RSAPrivateKey, *, source: str = "key") -> None:
    """Raise :class:`KeyError_` unless n = pq and d, dP, dQ, qInv agree with p, q and e.

    These are the relations the CRT private operation uses; a key that breaks one
    gives wrong results (and, unblinded, could leak a factor), so it never gets used.
    """
    numbers = key.private_numbers()
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    consistent = (
        1 < p and 1 < q and p != q and p * q == n and 1 < e < n and e % 2 == 1
        and (e * d - 1) % (p - 1) == 0 and (e * d - 1) % (q - 1) == 0
        and numbers.dmp1 == d % (p - 1) and numbers.dmq1 == d % (q - 1) and (numbers.iqmp * q) % p == 1
    )
    if not consistent:
        raise KeyError_(
            f"{source}: RSA private key is inconsistent (its parameters do not fit together)",
            hint="the key is corrupt; restore its Secret from a backup",
        )


def load_certificates_pem(data: bytes, *, source: str = "certificate") -> list[x509.Certificate]:
    """Load one or more PEM certificates (a bundle is allowed; the first seals)."""
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise CertificateError(
            f"{source}: no PEM certificate found",
            hint="fetch the controller's certificate with 'sealer seal --fetch-cert > cert.pem'",
        )
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateError(f"{source}: PEM certificate is malformed", hint="re-fetch the certificate") from exc
    for cert in certs:
        if not isinstance(cert.public_key(), rsa.RSAPublicKey):
            raise CertificateError(f"{source}: certificate key is not RSA", hint="sealed secrets use RSA keys")
    return certs


def public_key_fingerprint(key: rsa.RSAPublicKey) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: a stable, non-secret key identifier."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()
