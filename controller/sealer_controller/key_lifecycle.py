"""When to make a new sealing key, and how: the Bitnami controller's rules, as pure functions.

Nothing here reads a clock, the cluster or the environment: callers pass ``now``
and the keys they hold, so the schedule is testable with fixed clocks and the
operator decides *when* to act while this module decides *whether*.

What the Bitnami controller does (pkg/controller/main.go ``initKeyRenewal``,
keyregistry.go, pkg/crypto/keys.go), and what we keep:

* On start it makes a key if it holds none, or if the newest key (by its
  certificate's NotBefore) is older than ``--key-cutoff-time``.
* With ``--key-renew-period`` P > 0 it makes the next key P after the newest
  key's NotBefore (at once if that is past), then every P. P = 0 turns automatic
  renewal off (a key is still made when there is none, or on request).
* Keys are RSA-4096 with a self-signed certificate valid 87600 h (10 x 365 days),
  empty subject and issuer, a random 128-bit serial, KeyUsage = encipherOnly
  (critical), BasicConstraints CA:TRUE (critical) and a SubjectKeyIdentifier
  from truncated SHA-256 (what Go >= 1.25 adds to CA certificates), signed with
  SHA256-RSA; stored as a ``kubernetes.io/tls`` Secret from ``generateName``
  ``sealed-secrets-key`` labelled ``sealedsecrets.bitnami.com/sealed-secrets-key: active``.
  The certificate is built by :func:`sealer.crypto.rsa_keys.self_signed_certificate`.

Where we differ, on purpose:

* The cutoff is re-evaluated on every decision, not only at start. A cutoff in
  the past forces one new key (after it, the newest key is younger than the
  cutoff); a cutoff in the *future* schedules that renewal for the moment it
  arrives. Bitnami instead makes a key at every restart until a future cutoff
  passes, and ignores a cutoff that arrives while it runs.
* Negative periods are refused: Go accepts ``-1h`` and the Bitnami scheduler
  then sleeps a negative time in a loop, i.e. makes keys without pause.

Note for readers of these certificates: ``encipherOnly`` without
``keyAgreement`` is legal DER but ``cryptography`` refuses to build a
``KeyUsage`` object for it, so ``cert.extensions`` raises ``ValueError`` on
Bitnami-made (and our) certificates; use the public key and validity only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sealer import go_duration
from sealer.crypto import rsa_keys
from sealer.errors import InputError
from sealer.keys.key_secrets import key_to_secret
from sealer.keys.keyring import SealingKey

DEFAULT_KEY_BITS = 4096
DEFAULT_KEY_TTL = dt.timedelta(hours=10 * 365 * 24)  # Bitnami --key-ttl default, 87600h
DEFAULT_RENEW_PERIOD = dt.timedelta(days=30)  # Bitnami --key-renew-period default, 720h

RFC1123Z_LAYOUT = "Mon, 02 Jan 2006 15:04:05 -0700"


# --------------------------------------------------------------------------- key creation


def generate_sealing_key(
    *,
    now: dt.datetime,
    bits: int = DEFAULT_KEY_BITS,
    validity: dt.timedelta = DEFAULT_KEY_TTL,
    common_name: str = "",
) -> SealingKey:
    """A fresh key pair and certificate, as the Bitnami controller makes on start and on renewal.

    RSA generation is CPU work of about a second for 4096 bits: run it off the event loop.
    """
    private_key = rsa_keys.generate_private_key(bits)
    cert = rsa_keys.self_signed_certificate(private_key, not_before=now, validity=validity, common_name=common_name)
    return SealingKey(private_key, cert)


def new_key_secret(
    key: SealingKey,
    *,
    namespace: str,
    extra_labels: Mapping[str, str] | None = None,
    extra_annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The key Secret to create for ``key`` (generateName ``sealed-secrets-key``, label ``active``).

    Extra labels/annotations mirror Bitnami's ``--privatekey-labels`` / ``--privatekey-annotations``;
    as there, an extra label cannot override the ``active`` key label.
    """
    manifest = key_to_secret(key, namespace=namespace)
    meta = manifest["metadata"]
    labels: dict[str, str] = meta["labels"]
    for label, value in (extra_labels or {}).items():
        labels.setdefault(label, value)
    if extra_annotations:
        meta["annotations"] = dict(extra_annotations)
    return manifest


# --------------------------------------------------------------------------- parsing settings


def parse_go_duration(text: str, *, what: str = "duration", allow_negative: bool = False) -> dt.timedelta:
    """Parse a Go ``time.ParseDuration`` string ("720h", "1h30m", "1.5h", "90s", "0") given as flag ``what``.

    The grammar and range are :mod:`sealer.go_duration`'s (Go's exactly). On top of it:

    * surrounding whitespace is stripped, as for every flag value here (``--key-cutoff-time``
      too): we are the program that reads the flag, so nothing downstream can disagree,
      and a blank from a templated manifest is no reason to refuse to start. (The
      EncryptionConfiguration parser does not strip: there the API server is the reader.)
    * negative values are refused unless ``allow_negative``: for a period they make no sense.
    * sub-microsecond parts are truncated toward zero (timedelta's resolution).
    """
    try:
        ns = go_duration.parse_ns(text.strip())
    except go_duration.GoDurationError as exc:
        raise _flag_error(what, text, exc) from None
    if ns < 0 and not allow_negative:
        raise InputError(f"{what}: {text!r} is negative", hint="use 0 to disable, or a positive duration")
    microseconds = abs(ns) // go_duration.MICROSECOND
    return dt.timedelta(microseconds=-microseconds if ns < 0 else microseconds)


def _flag_error(what: str, text: str, exc: go_duration.GoDurationError) -> InputError:
    """The shared parser's refusal, worded for flag ``what`` (its hint kept where it names units or limits)."""
    problem = go_duration.Problem
    if exc.problem is problem.UNKNOWN_UNIT:
        return InputError(f"{what}: unknown unit {exc.unit!r} in {text!r}", hint=exc.hint)
    if exc.problem is problem.OUT_OF_RANGE:
        return InputError(f"{what}: {text!r} is too long", hint=exc.hint)
    hint = f"write {what} as a Go duration such as 720h, 1h30m, 90s or 0"
    if exc.problem is problem.NO_NUMBER:
        return InputError(f"{what}: {text!r} has a unit without a number", hint=hint)
    if exc.problem is problem.MISSING_UNIT:
        return InputError(f"{what}: {text!r} is not a duration: a number needs a unit", hint=hint)
    return InputError(f"{what}: {text!r} is not a duration", hint=hint)


def format_go_duration(value: dt.timedelta) -> str:
    """The inverse of :func:`parse_go_duration`, as Go prints a ``time.Duration`` ("720h0m0s", "1m30.5s")."""
    return go_duration.format_ns(value // dt.timedelta(microseconds=1) * go_duration.MICROSECOND)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_RFC1123Z = re.compile(
    r"(?P<wday>[A-Za-z]{3}), (?P<day>\d{2}) (?P<mon>[A-Za-z]{3}) (?P<year>\d{4}) "
    r"(?P<hour>\d{1,2}):(?P<min>\d{2}):(?P<sec>\d{2})(?:[.,](?P<frac>\d+))? "
    r"(?P<sign>[+-])(?P<zh>\d{2})(?P<zm>\d{2})"
)


def parse_cutoff_time(text: str | None, *, what: str = "--key-cutoff-time") -> dt.datetime | None:
    """Parse an RFC 1123 time with numeric zone, Go's ``time.RFC1123Z``; empty means "no cutoff".

    Like Go, the weekday name is checked to be a weekday name but not against
    the date, names are case-insensitive, and fractional seconds are accepted.
    """
    if text is None or not text.strip():
        return None
    hint = f'use RFC 1123 with a numeric zone, e.g. "{RFC1123Z_LAYOUT}"'
    match = _RFC1123Z.fullmatch(text.strip())
    if match is None:
        raise InputError(f"{what}: {text!r} is not an RFC 1123 time with a numeric zone", hint=hint)
    parts = match.groupdict()
    if parts["wday"].lower() not in _DAYS:
        raise InputError(f"{what}: {parts['wday']!r} is not a weekday name", hint=hint)
    if parts["mon"].lower() not in _MONTHS:
        raise InputError(f"{what}: {parts['mon']!r} is not a month name", hint=hint)
    zone_h, zone_m = int(parts["zh"]), int(parts["zm"])
    if zone_h > 23 or zone_m > 59:
        raise InputError(f"{what}: time zone offset in {text!r} is out of range", hint=hint)
    offset = dt.timedelta(hours=zone_h, minutes=zone_m)
    tz = dt.timezone(-offset if parts["sign"] == "-" else offset)
    frac = parts["frac"] or "0"
    try:
        return dt.datetime(
            int(parts["year"]),
            _MONTHS.index(parts["mon"].lower()) + 1,
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["min"]),
            int(parts["sec"]),
            int(frac[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise InputError(f"{what}: {text!r} is not a valid date and time ({exc})", hint=hint) from None


# --------------------------------------------------------------------------- the schedule


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def newest_key(keys: Iterable[SealingKey]) -> SealingKey | None:
    """The key that seals: the newest certificate NotBefore (ties: the first seen, as Bitnami)."""
    newest: SealingKey | None = None
    for key in keys:
        if newest is None or key.not_before > newest.not_before:
            newest = key
    return newest


def next_renewal(
    keys: Iterable[SealingKey],
    now: dt.datetime,
    renew_period: dt.timedelta,
    cutoff: dt.datetime | None = None,
) -> dt.datetime | None:
    """When the next key must be made: ``now`` if overdue, ``None`` if never (period 0, no cutoff ahead).

    * no key at all → now;
    * newest key older than a cutoff that has arrived → now;
    * otherwise the earlier of newest NotBefore + period (if period > 0) and a
      future cutoff the newest key predates.
    """
    _require_aware(now, "now")
    if renew_period < dt.timedelta(0):
        raise ValueError("renew_period must not be negative (0 disables renewal)")
    if cutoff is not None:
        _require_aware(cutoff, "cutoff")
        # Certificates record whole seconds: a key made just after a fractional cutoff must count as newer.
        cutoff = cutoff.replace(microsecond=0)
    newest = newest_key(keys)
    if newest is None:
        return now
    born = newest.not_before
    candidates: list[dt.datetime] = []
    if cutoff is not None and born < cutoff:
        candidates.append(cutoff)
    if renew_period > dt.timedelta(0):
        candidates.append(born + renew_period)
    if not candidates:
        return None
    return max(now, min(candidates))


def needs_new_key(
    keys: Iterable[SealingKey],
    now: dt.datetime,
    renew_period: dt.timedelta,
    cutoff: dt.datetime | None = None,
) -> bool:
    """Whether a key must be made right now (see :func:`next_renewal`)."""
    due = next_renewal(keys, now, renew_period, cutoff)
    return due is not None and due <= now
