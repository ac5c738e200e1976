"""RSA key pairs and self-signed certificates as the Sealed Secrets controller makes them.

The controller's key Secrets hold a PKCS#1 ``tls.key`` and a PEM ``tls.crt``;
kubeseal only ever sees the certificate. Matching these encodings exactly is
what lets a cluster move between the Bitnami controller and ours without
resealing anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sealer.errors import CertificateError, KeyError_

DEFAULT_KEY_BITS = 4096
DEFAULT_CERT_VALIDITY = dt.timedelta(days=3650)


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
) -> x509.Certificate:
    """A certificate like the Bitnami controller's: self-signed, empty CN by default, 10 years."""
    start = (not_before or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    name = x509.Name(attrs)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + validity)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


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
    """Accept PKCS#1 or PKCS#8 PEM; reject anything that is not an unencrypted RSA private key."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyError_(
            f"{source}: not an unencrypted PEM private key",
            hint="pass the tls.key of a sealed-secrets key Secret, or a PEM RSA private key",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyError_(f"{source}: private key is not RSA", hint="sealed secrets use RSA keys")
    return key


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
