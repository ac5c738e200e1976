"""Read a bare RSA public key PEM (``BEGIN PUBLIC KEY`` / ``BEGIN RSA PUBLIC KEY``) for sealing.

Sealing needs only the controller's RSA public key; the certificate around it
adds an expiry date and nothing kubeseal verifies. Some users export just the
key (``openssl x509 -pubkey -noout < cert.pem``), so ``sealer seal --cert``
takes one too, with a note (kubeseal refuses it). Kept apart from
:mod:`sealer.crypto.sealing_certificate` so the certificate fast path does not
import the serialization machinery.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from sealer.errors import CertificateError

__all__ = ["PUBLIC_KEY_MARKERS", "load_rsa_public_key_pem"]

PUBLIC_KEY_MARKERS = (b"-----BEGIN PUBLIC KEY-----", b"-----BEGIN RSA PUBLIC KEY-----")


def load_rsa_public_key_pem(data: bytes, *, source: str = "public key") -> rsa.RSAPublicKey:
    """The RSA public key of a PEM (SubjectPublicKeyInfo or PKCS#1); :class:`CertificateError` otherwise."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise CertificateError(
            f"{source}: PEM public key is malformed",
            hint="fetch the controller's certificate with 'sealer seal --fetch-cert > cert.pem'",
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise CertificateError(f"{source}: public key is not RSA", hint="sealed secrets use RSA keys")
    return key
