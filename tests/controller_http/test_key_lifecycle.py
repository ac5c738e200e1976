"""key_lifecycle: Bitnami's key shape and renewal schedule, checked with fixed clocks."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sealer_controller import key_lifecycle as kl

from sealer.crypto import rsa_keys
from sealer.errors import InputError, SealerError
from sealer.keys.key_secrets import KEY_LABEL, key_from_secret
from sealer.keys.keyring import SealingKey

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)
PERIOD = dt.timedelta(hours=720)


def key_born(private_key: rsa.RSAPrivateKey, when: dt.datetime) -> SealingKey:
    return SealingKey(private_key, rsa_keys.self_signed_certificate(private_key, not_before=when), name=f"k-{when:%j}")


def test_new_key_secret_round_trips_through_key_secrets(other_rsa_key: rsa.RSAPrivateKey) -> None:
    key = key_born(other_rsa_key, T0)
    manifest = kl.new_key_secret(
        key,
        namespace="kube-system",
        extra_labels={KEY_LABEL: "compromised", "team": "a"},
        extra_annotations={"note": "x"},
    )
    assert manifest["type"] == "kubernetes.io/tls"
    meta = manifest["metadata"]
    assert meta["generateName"] == "sealed-secrets-key" and "name" not in meta
    assert meta["namespace"] == "kube-system"
    assert meta["labels"] == {KEY_LABEL: "active", "team": "a"}
    assert meta["annotations"] == {"note": "x"}
    assert base64.b64decode(manifest["data"]["tls.key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    back = key_from_secret({**manifest, "metadata": {**meta, "name": "sealed-secrets-keyabcde"}})
    assert back.fingerprint == key.fingerprint and back.not_before == T0


@pytest.mark.slow
def test_generate_sealing_key_defaults_to_rsa_4096() -> None:
    key = kl.generate_sealing_key(now=T0)
    assert key.private_key.key_size == 4096
    assert key.not_before == T0
    assert key.certificate is not None
    assert key.certificate.not_valid_after_utc == T0 + dt.timedelta(days=3650)
    # Bitnami's critical KeyUsage encipherOnly (rsa_keys.self_signed_certificate builds it).
    assert bytes.fromhex("0603551d0f0101ff040403020001") in key.certificate.tbs_certificate_bytes


# ---------------------------------------------------------------- Go durations
# The grammar's table of cases is tests/unit/test_go_duration.py; here: timedelta, flag wording, policy.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("720h", dt.timedelta(days=30)),
        ("87600h", dt.timedelta(days=3650)),
        ("0", dt.timedelta(0)),
        ("2h45m30.5s", dt.timedelta(hours=2, minutes=45, seconds=30.5)),
        ("10\u00b5s", dt.timedelta(microseconds=10)),
        ("1500ns", dt.timedelta(microseconds=1)),  # truncated to timedelta's microseconds
        (" 720h\n", dt.timedelta(days=30)),  # a flag value's surrounding blanks are forgiven
    ],
)
def test_parse_go_duration(text: str, expected: dt.timedelta) -> None:
    assert kl.parse_go_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "not a duration"),
        ("30", "not a duration: a number needs a unit"),
        ("30d", "unknown unit 'd'.*no d or w"),
        ("1w", "unknown unit 'w'"),
        ("h", "without a number"),
        (".h", "without a number"),
        ("1h 30m", "not a duration"),
        ("1h-30m", "not a duration"),
        ("-1h", "negative"),
        ("abc", "without a number"),
        ("3000000h", "too long.*292 years"),
    ],
)
def test_parse_go_duration_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        kl.parse_go_duration(text, what="--key-renew-period")
    assert str(info.value).startswith("--key-renew-period:")
    assert isinstance(info.value, SealerError)


def test_parse_go_duration_negative_when_allowed() -> None:
    assert kl.parse_go_duration("-1h30m", allow_negative=True) == -dt.timedelta(minutes=90)
    assert kl.parse_go_duration("-1500ns", allow_negative=True) == -dt.timedelta(microseconds=1)  # toward zero
    assert kl.parse_go_duration("-9223372036854775808ns", allow_negative=True) == -dt.timedelta(
        microseconds=9223372036854775
    )


def test_format_go_duration() -> None:
    assert kl.format_go_duration(dt.timedelta(days=30)) == "720h0m0s"
    assert kl.format_go_duration(dt.timedelta(seconds=90)) == "1m30s"
    assert kl.format_go_duration(dt.timedelta(seconds=-90.25)) == "-1m30.25s"
    assert kl.format_go_duration(dt.timedelta(microseconds=1500)) == "1.5ms"
    assert kl.format_go_duration(dt.timedelta(0)) == "0s"
    for text in ("720h", "1h30m", "90s", "45s", "1.5ms", "-2h0.000001s"):
        value = kl.parse_go_duration(text, allow_negative=True)
        assert kl.parse_go_duration(kl.format_go_duration(value), allow_negative=True) == value


# ---------------------------------------------------------------- RFC 1123Z cutoff


def test_parse_cutoff_time() -> None:
    parsed = kl.parse_cutoff_time("Mon, 02 Jan 2006 15:04:05 -0700")
    assert parsed == dt.datetime(2006, 1, 2, 22, 4, 5, tzinfo=UTC)
    assert parsed is not None and parsed.utcoffset() == -dt.timedelta(hours=7)
    assert kl.parse_cutoff_time("tue, 01 dec 2026 17:30:00 +0000") == dt.datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert kl.parse_cutoff_time("Tue, 01 Dec 2026 17:30:00.25 +0530") == dt.datetime(
        2026, 12, 1, 12, 0, 0, 250000, tzinfo=UTC
    )
    # Like Go, the weekday is a name check only, not checked against the date.
    assert kl.parse_cutoff_time("Fri, 01 Dec 2026 17:30:00 +0000") is not None
    assert kl.parse_cutoff_time("") is None and kl.parse_cutoff_time(None) is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-12-01T17:30:00Z", "not an RFC 1123 time"),
        ("Tue, 01 Dec 2026 17:30:00 GMT", "not an RFC 1123 time"),  # RFC1123, not RFC1123Z
        ("Tue, 1 Dec 2026 17:30:00 +0000", "not an RFC 1123 time"),  # Go's 02 needs two digits
        ("Xyz, 01 Dec 2026 17:30:00 +0000", "not a weekday"),
        ("Tue, 01 Dex 2026 17:30:00 +0000", "not a month"),
        ("Tue, 31 Feb 2026 17:30:00 +0000", "not a valid date"),
        ("Tue, 01 Dec 2026 25:30:00 +0000", "not a valid date"),
        ("Tue, 01 Dec 2026 17:30:00 +2500", "out of range"),
    ],
)
def test_parse_cutoff_time_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        kl.parse_cutoff_time(text)
    assert "Mon, 02 Jan 2006 15:04:05 -0700" in str(info.value)


# ---------------------------------------------------------------- the schedule


def test_no_key_means_now(other_rsa_key: rsa.RSAPrivateKey) -> None:
    assert kl.next_renewal([], T0, PERIOD) == T0
    assert kl.needs_new_key([], T0, dt.timedelta(0))


def test_renews_period_after_newest_not_before(other_rsa_key: rsa.RSAPrivateKey) -> None:
    keys = [key_born(other_rsa_key, T0 - 40 * DAY), key_born(other_rsa_key, T0 - 10 * DAY)]
    assert kl.newest_key(keys) is keys[1]
    # Newest is 10 days old, period 30 days: 20 days from now, regardless of the older key.
    assert kl.next_renewal(keys, T0, PERIOD) == T0 + 20 * DAY
    assert not kl.needs_new_key(keys, T0, PERIOD)
    assert not kl.needs_new_key(keys, T0 + 20 * DAY - dt.timedelta(seconds=1), PERIOD)
    assert kl.needs_new_key(keys, T0 + 20 * DAY, PERIOD)
    # Order of the keys does not matter.
    assert kl.next_renewal(list(reversed(keys)), T0, PERIOD) == T0 + 20 * DAY


def test_overdue_renewal_is_due_now(other_rsa_key: rsa.RSAPrivateKey) -> None:
    keys = [key_born(other_rsa_key, T0 - 45 * DAY)]
    assert kl.next_renewal(keys, T0, PERIOD) == T0  # Bitnami: initialDelay clamped to 0
    assert kl.needs_new_key(keys, T0, PERIOD)


def test_after_renewal_next_is_one_period_later(other_rsa_key: rsa.RSAPrivateKey) -> None:
    keys = [key_born(other_rsa_key, T0 - 45 * DAY)]
    keys.append(key_born(other_rsa_key, T0))  # the key just made
    assert kl.next_renewal(keys, T0, PERIOD) == T0 + PERIOD
    assert not kl.needs_new_key(keys, T0, PERIOD)


def test_period_zero_disables_renewal(other_rsa_key: rsa.RSAPrivateKey) -> None:
    keys = [key_born(other_rsa_key, T0 - 4000 * DAY)]
    assert kl.next_renewal(keys, T0, dt.timedelta(0)) is None
    assert not kl.needs_new_key(keys, T0, dt.timedelta(0))


def test_past_cutoff_forces_one_new_key(other_rsa_key: rsa.RSAPrivateKey) -> None:
    cutoff = T0 - 2 * DAY
    keys = [key_born(other_rsa_key, T0 - 5 * DAY)]
    assert kl.needs_new_key(keys, T0, PERIOD, cutoff)
    assert kl.needs_new_key(keys, T0, dt.timedelta(0), cutoff)  # cutoff applies even with renewal off
    keys.append(key_born(other_rsa_key, T0))
    assert not kl.needs_new_key(keys, T0, PERIOD, cutoff)
    assert kl.next_renewal(keys, T0, dt.timedelta(0), cutoff) is None
    # A key born exactly at the cutoff is not older than it (Go: Before is strict).
    assert not kl.needs_new_key([key_born(other_rsa_key, cutoff)], T0, dt.timedelta(0), cutoff)


def test_future_cutoff_schedules_renewal(other_rsa_key: rsa.RSAPrivateKey) -> None:
    keys = [key_born(other_rsa_key, T0 - 5 * DAY)]
    cutoff = T0 + 3 * DAY
    assert kl.next_renewal(keys, T0, PERIOD, cutoff) == cutoff  # earlier than the periodic renewal
    assert not kl.needs_new_key(keys, T0, PERIOD, cutoff)
    assert kl.needs_new_key(keys, cutoff, PERIOD, cutoff)
    late = T0 + 40 * DAY
    assert kl.next_renewal(keys, T0, PERIOD, late) == T0 + 25 * DAY  # periodic renewal comes first


def test_keys_without_certificate_count_as_oldest(other_rsa_key: rsa.RSAPrivateKey) -> None:
    bare = SealingKey(other_rsa_key, None, name="bare.pem")
    assert kl.needs_new_key([bare], T0, PERIOD)
    born = key_born(other_rsa_key, T0 - DAY)
    assert kl.newest_key([bare, born]) is born


def test_schedule_rejects_naive_times_and_negative_period(other_rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        kl.next_renewal([], dt.datetime(2026, 1, 1), PERIOD)
    with pytest.raises(ValueError, match="negative"):
        kl.next_renewal([], T0, -DAY)
    with pytest.raises(ValueError, match="timezone-aware"):
        kl.next_renewal([], T0, PERIOD, dt.datetime(2026, 1, 1))


def test_fractional_cutoff_does_not_loop(other_rsa_key: rsa.RSAPrivateKey) -> None:
    # A cutoff of 12:00:00.25; the key made at 12:00:00.5 has NotBefore 12:00:00 (certificates hold seconds).
    cutoff = T0.replace(microsecond=250000)
    made_at = T0.replace(microsecond=500000)
    keys = [key_born(other_rsa_key, T0 - DAY)]
    assert kl.needs_new_key(keys, made_at, PERIOD, cutoff)
    keys.append(key_born(other_rsa_key, made_at))
    assert keys[-1].not_before == T0
    assert not kl.needs_new_key(keys, made_at, PERIOD, cutoff)
