"""Shamir secret sharing over GF(2^8), byte-compatible with sops' ``shamir`` package.

sops splits the data key when a file has several key groups: each group gets a
share (the key length plus one byte, the x coordinate, at the *end*), and any
``shamir_threshold`` shares rebuild it. The field is AES's (polynomial 0x11B),
as in HashiCorp Vault's implementation that sops copied.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

__all__ = ["ShamirError", "combine", "split"]


class ShamirError(ValueError):
    """Shares are malformed, duplicated or too few."""


def _mult(a: int, b: int) -> int:
    out = 0
    while b:
        if b & 1:
            out ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return out


def _inverse(a: int) -> int:
    # a^254 = a^-1 in GF(2^8)
    result, base, exp = 1, a, 254
    while exp:
        if exp & 1:
            result = _mult(result, base)
        base = _mult(base, base)
        exp >>= 1
    return result


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    out = 0
    for coefficient in reversed(coefficients):
        out = _mult(out, x) ^ coefficient
    return out


def split(secret: bytes, parts: int, threshold: int) -> list[bytes]:
    """Split ``secret`` into ``parts`` shares, any ``threshold`` of which recombine."""
    if parts < threshold:
        raise ShamirError("parts cannot be less than threshold")
    if parts > 255 or threshold > 255:
        raise ShamirError("parts and threshold cannot exceed 255")
    if threshold < 2:
        raise ShamirError("threshold must be at least 2")
    if not secret:
        raise ShamirError("cannot split an empty secret")
    shares = [bytearray(len(secret) + 1) for _ in range(parts)]
    for i, share in enumerate(shares):
        share[-1] = i + 1
    for index, byte in enumerate(secret):
        coefficients = [byte, *secrets.token_bytes(threshold - 1)]
        for i, share in enumerate(shares):
            share[index] = _evaluate(coefficients, i + 1)
    return [bytes(share) for share in shares]


def combine(shares: Sequence[bytes]) -> bytes:
    """Rebuild the secret from two or more shares (Lagrange interpolation at x = 0)."""
    if len(shares) < 2:
        raise ShamirError("less than two parts cannot be used to reconstruct the secret")
    length = len(shares[0])
    if length < 2 or any(len(share) != length for share in shares):
        raise ShamirError("all parts must be the same length, at least two bytes")
    xs = [share[-1] for share in shares]
    if len(set(xs)) != len(xs):
        raise ShamirError("duplicate part detected")
    secret = bytearray(length - 1)
    for index in range(length - 1):
        value = 0
        for i, share in enumerate(shares):
            basis = 1
            for j, xj in enumerate(xs):
                if i != j:
                    basis = _mult(basis, _mult(xj, _inverse(xs[i] ^ xj)))
            value ^= _mult(share[index], basis)
        secret[index] = value
    return bytes(secret)
