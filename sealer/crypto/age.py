"""age wrapping of SOPS data keys, through pyrage (the Rust ``age`` crate).

sops stores, per age recipient, an *armored* age file whose plaintext is the
raw 32-byte data key (or a Shamir share of it). pyrage is imported on first
use only, so commands that never touch a key (``--help``, parsing errors) do
not pay for it.

Identities are whatever pyrage accepts for decryption: X25519
(``AGE-SECRET-KEY-1...``) and unencrypted OpenSSH ed25519/RSA keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AgeError",
    "generate_identity",
    "parse_identities",
    "parse_recipient",
    "parse_ssh_identity",
    "recipient_of",
    "unwrap",
    "wrap",
]


class AgeError(Exception):
    """An age operation failed; the message names keys by recipient only, never secrets."""


def _pyrage() -> Any:
    import pyrage

    return pyrage


def parse_recipient(recipient: str) -> Any:
    """Parse ``age1...`` (X25519) or ``ssh-ed25519``/``ssh-rsa`` public keys, as sops accepts them."""
    pyrage = _pyrage()
    text = recipient.strip()
    try:
        if text.startswith("age1") and text.count("1") > 1:
            # age1<plugin>1... names a plugin (bech32 data never contains "1"); pyrage has no plugins.
            raise AgeError(f"{text!r} is an age plugin recipient; age plugins are not supported")
        if text.startswith("age1"):
            return pyrage.x25519.Recipient.from_str(text)
        if text.startswith("ssh-"):
            return pyrage.ssh.Recipient.from_str(text)
    except pyrage.RecipientError as exc:
        raise AgeError(f"{text!r} is not a valid age recipient: {exc}") from None
    raise AgeError(f"{text!r} is not an age recipient (expected age1... or an ssh-ed25519/ssh-rsa public key)")


def parse_identities(text: str, *, source: str) -> list[Any]:
    """Parse an age identity file (``keys.txt`` format): one key per line, ``#`` comments.

    ``source`` names where the text came from, for error messages (never the key itself).
    """
    pyrage = _pyrage()
    identities: list[Any] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("AGE-PLUGIN-"):
            raise AgeError(f"{source}: line {number} is an age plugin identity; plugins are not supported")
        if not line.startswith("AGE-SECRET-KEY-1"):
            raise AgeError(f"{source}: line {number} is not an age identity (expected AGE-SECRET-KEY-1...)")
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise AgeError(f"{source}: line {number} is a malformed age identity") from None
    return identities


def parse_ssh_identity(data: bytes, *, source: str) -> Any:
    """Parse an unencrypted OpenSSH private key (ed25519 or RSA) as an age identity."""
    pyrage = _pyrage()
    try:
        return pyrage.ssh.Identity.from_buffer(data)
    except Exception as exc:  # pyrage raises plain ValueError/IdentityError variants here
        raise AgeError(f"{source}: not a usable unencrypted SSH private key ({type(exc).__name__})") from None


def generate_identity() -> tuple[str, str]:
    """A fresh X25519 identity: (``AGE-SECRET-KEY-1...``, ``age1...``)."""
    pyrage = _pyrage()
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def recipient_of(secret_key: str) -> str:
    """The ``age1...`` recipient of an ``AGE-SECRET-KEY-1...`` identity."""
    pyrage = _pyrage()
    try:
        return str(pyrage.x25519.Identity.from_str(secret_key.strip()).to_public())
    except pyrage.IdentityError:
        raise AgeError("malformed age identity") from None


def wrap(data_key: bytes, recipient: str) -> str:
    """Encrypt ``data_key`` to one recipient as an armored age file (what sops stores in ``enc``)."""
    pyrage = _pyrage()
    parsed = parse_recipient(recipient)
    try:
        armored: bytes = pyrage.encrypt(data_key, [parsed], armored=True)
    except pyrage.EncryptError as exc:
        raise AgeError(f"could not encrypt the data key to {recipient.strip()}: {exc}") from None
    return armored.decode("ascii")


def unwrap(armored: str, identities: Sequence[Any]) -> bytes:
    """Decrypt an armored age file with any of ``identities``; :class:`AgeError` if none fits."""
    pyrage = _pyrage()
    if not identities:
        raise AgeError("no age identities to try")
    try:
        plain: bytes = pyrage.decrypt(armored.encode("ascii", "replace"), list(identities))
    except pyrage.DecryptError as exc:
        raise AgeError(str(exc)) from None
    return plain
