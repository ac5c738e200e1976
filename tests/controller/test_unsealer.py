"""Provenance and digests: what lets a resync skip RSA must never let a wrong Secret pass."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sealer_controller.unsealer import (
    Provenance,
    Unsealer,
    inputs_digest,
    quick_inputs,
    source_digests,
    template_digest,
)

from sealer.crypto import rsa_keys
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.scope import Scope
from sealer.keys.keyring import KeyRing, SealingKey
from tests.support.controller_harness import b64, sealed_secret


@pytest.fixture(scope="module")
def key(other_rsa_key: Any) -> SealingKey:
    return SealingKey(other_rsa_key, rsa_keys.self_signed_certificate(other_rsa_key), name="k")


def _cert(key: SealingKey) -> bytes:
    assert key.certificate is not None
    return rsa_keys.certificate_to_pem(key.certificate)


@pytest.mark.parametrize("scope", list(Scope))
def test_quick_inputs_equal_the_parsed_digests(key: SealingKey, scope: Scope) -> None:
    doc = sealed_secret("ns", "n", {"a": b"1", "b": b"2"}, _cert(key), scope=scope,
                        template={"metadata": {"labels": {"x": "y"}}, "data": {"t": "{{ .a }}"}})
    ss = SealedSecret.from_dict(doc)
    assert quick_inputs(doc) == inputs_digest(source_digests(ss), template_digest(ss))
    legacy = {**doc, "spec": {"data": "AAAA"}}
    ss = SealedSecret.from_dict(legacy)
    assert quick_inputs(legacy) == inputs_digest(source_digests(ss), template_digest(ss))


def test_digests_change_with_value_name_scope_and_template(key: SealingKey) -> None:
    doc = sealed_secret("ns", "n", {"a": b"1"}, _cert(key))
    base = quick_inputs(doc)
    renamed = {**doc, "metadata": {**doc["metadata"], "name": "other"}}
    cluster_wide = {"sealedsecrets.bitnami.com/cluster-wide": "true"}
    rescoped = {**doc, "metadata": {**doc["metadata"], "annotations": cluster_wide}}
    templated = {**doc, "spec": {**doc["spec"], "template": {"type": "kubernetes.io/tls"}}}
    resealed = sealed_secret("ns", "n", {"a": b"1"}, _cert(key))  # same plaintext, new ciphertext
    digests = {base, quick_inputs(renamed), quick_inputs(rescoped), quick_inputs(templated), quick_inputs(resealed)}
    assert len(digests) == 5 and None not in digests
    assert quick_inputs({"metadata": {"name": "n"}, "spec": {"encryptedData": {"a": 1}}}) is None


def test_mac_verifies_only_the_data_it_signed(key: SealingKey, other_rsa_key: Any) -> None:
    unsealer = Unsealer(KeyRing.of([key]), workers=1)
    try:
        provenance = Provenance(sources={"a": "d1"}, template="t", produced=("a",), opened_by={"a": "x"}, mac_key="")
        data = {"a": b64("secret")}
        signed = unsealer.sign(provenance, data)
        parsed = Provenance.from_annotation(signed.to_annotation())
        assert parsed == signed and unsealer.verify(parsed, data)
        assert unsealer.verify(parsed, {**data, "other": b64("not ours")})  # patch mode: others' keys are fine
        assert not unsealer.verify(parsed, {"a": b64("changed")})
        assert not unsealer.verify(parsed, {})
        forged = Provenance(sources={"a": "d2"}, template="t", produced=("a",), opened_by={"a": "x"},
                            mac_key=signed.mac_key, mac=signed.mac)
        assert not unsealer.verify(forged, data)  # the MAC covers the provenance too
        stranger = Unsealer(KeyRing.of([SealingKey(rsa_keys.generate_private_key(2048))]), workers=1)
        assert not stranger.verify(parsed, data)  # without the key, nothing verifies
        stranger.close()
        assert Provenance.from_annotation("not json") is None and Provenance.from_annotation('{"v": 2}') is None
    finally:
        unsealer.close()


@pytest.mark.parametrize("mac", ["é" * 32, "\ud800" * 32, ""])
def test_a_garbled_mac_in_an_annotation_fails_verification_instead_of_raising(key: SealingKey, mac: str) -> None:
    """Anyone who may annotate a Secret can write any text there; the Secret index must not crash on it."""
    unsealer = Unsealer(KeyRing.of([key]), workers=1)
    try:
        provenance = Provenance(sources={"a": "d1"}, template="t", produced=("a",), opened_by={"a": "x"}, mac_key="")
        data = {"a": b64("secret")}
        signed = unsealer.sign(provenance, data)
        garbled = Provenance.from_annotation(signed.to_annotation().replace(signed.mac, json.dumps(mac)[1:-1]))
        assert garbled is not None and garbled.mac == mac
        assert not unsealer.verify(garbled, data)
    finally:
        unsealer.close()


def test_a_burst_sealed_with_an_old_key_searches_for_it_once(other_rsa_key: Any) -> None:
    """Jobs queued before the first one found the key still use what it found (hint read at run time)."""
    import asyncio
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric import rsa

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    second, third = (rsa.generate_private_key(65537, 2048) for _ in range(2))  # all one size: all are candidates
    old, middle, new = (SealingKey(k, rsa_keys.self_signed_certificate(k, not_before=now - dt.timedelta(days=d)),
                                   name=f"k{d}") for k, d in ((other_rsa_key, 30), (second, 20), (third, 10)))
    ring = KeyRing.of([old, middle, new])
    burst = [SealedSecret.from_dict(sealed_secret("ns", f"s{i}", {"a": b"1", "b": b"2"}, _cert(old)))
             for i in range(12)]
    fresh = SealedSecret.from_dict(sealed_secret("ns", "fresh", {"a": b"1"}, _cert(new)))
    unsealer = Unsealer(ring, workers=1)
    try:
        async def decrypt_all() -> None:
            await asyncio.gather(*(unsealer.decrypt(ss) for ss in burst))

        asyncio.run(decrypt_all())
        # 3 tries for the very first value (newest, middle, then the old key), then 1 per value
        assert ring.rsa_operations == 3 + (2 * len(burst) - 1)
        # A SealedSecret never seen, sealed with the newest key: still opened without trying every key.
        before = ring.rsa_operations
        asyncio.run(unsealer.decrypt(fresh))
        assert ring.rsa_operations - before == 2  # the last success (old) first, then the newest
    finally:
        unsealer.close()
