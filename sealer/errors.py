"""Typed failures, one class per thing that can go wrong.

Every error the library raises on purpose derives from :class:`SealerError`, so
entry points (CLI, controller, Kustomize plugin) map *our* failures to messages
and exit codes in one place, and let genuine bugs surface as tracebacks.

Messages must say what is wrong and what to do about it, and must never embed
plaintext secret material: callers pass names, paths and key fingerprints only.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses; stable, so scripts can branch on them."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INPUT = 3  # malformed input: YAML/JSON/base64, not a Secret, ...
    DECRYPTION = 4  # no key could decrypt, tampered ciphertext, wrong scope
    INTEGRITY = 5  # SOPS MAC mismatch
    KEY = 6  # missing/unknown key or identity, bad certificate
    NETWORK = 7  # controller/API server unreachable
    CONFLICT = 8  # Kubernetes object exists and is not ours, etc.
    AUDIT_FINDINGS = 9  # an audit found plaintext or stale data


class SealerError(Exception):
    """Root of every failure sealer raises deliberately."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(SealerError):
    """The input is not what the command expects (syntax or shape)."""

    exit_code = ExitCode.INPUT


class FormatError(InputError):
    """Well-formed bytes, wrong document: e.g. not a Secret, not a SOPS file."""


class DecryptionError(SealerError):
    """Ciphertext could not be decrypted: wrong key, wrong scope, or tampered.

    Like cryptography's ``InvalidTag``, the *cause* is deliberately coarse for a
    single attempt; callers that try several keys aggregate the reasons.
    """

    exit_code = ExitCode.DECRYPTION


class ScopeMismatchError(DecryptionError):
    """Sealed for another name/namespace/scope than the one it is used with."""


class IntegrityError(SealerError):
    """A message authentication code did not match (SOPS MAC)."""

    exit_code = ExitCode.INTEGRITY


class KeyError_(SealerError):
    """Base for key problems; named with a trailing underscore to avoid shadowing the builtin."""

    exit_code = ExitCode.KEY


class KeyNotFoundError(KeyError_):
    """No key or identity was available for the operation."""


class CertificateError(KeyError_):
    """A certificate is unreadable, not a certificate, or not usable for sealing."""


class OutputError(InputError):
    """An output file could not be written (missing directory, permissions, disk full).

    Exit status as for other unusable paths on the command line (3). The target is
    left as it was; the message names the path, never the data.
    """


class NetworkError(SealerError):
    """A remote endpoint (controller, API server, etcd) could not be reached or failed."""

    exit_code = ExitCode.NETWORK


class ConflictError(SealerError):
    """The target exists and we may not take it over."""

    exit_code = ExitCode.CONFLICT


class AuditFindingsError(SealerError):
    """An audit completed and found problems (plaintext or stale keys)."""

    exit_code = ExitCode.AUDIT_FINDINGS


class UsageError(SealerError):
    """The command line itself is wrong (unknown flag, conflicting options); for parsers other than click's."""

    exit_code = ExitCode.USAGE
