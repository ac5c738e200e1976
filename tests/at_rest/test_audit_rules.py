"""How the audit picks providers for a value, as the API server's transformer chain does (no etcd needed)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from sealer.encryption_at_rest import config as cfg
from sealer.encryption_at_rest import lifecycle
from sealer.encryption_at_rest.audit import AuditOptions, Auditor
from sealer.encryption_at_rest.records import Record
from tests.at_rest import independent

KEY = b"/registry/secrets/ns/s"
OBJ = independent.secret_object("s", "ns", {"k": b"v"})


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _conf(*entries: dict[str, Any]) -> cfg.EncryptionConfiguration:
    return cfg.loads(json.dumps({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                                 "resources": list(entries)}).encode())


def _box(name: str, key: bytes) -> dict[str, Any]:
    return {"secretbox": {"keys": [{"name": name, "secret": _b64(key)}]}}


def _judge(config: cfg.EncryptionConfiguration, value: bytes, key: bytes = KEY) -> tuple[str, bool | None]:
    item = Auditor(AuditOptions(config=config)).judge(Record(key, 7, value, True))
    return item.status, item.verified


def test_entries_naming_a_resource_are_chained_in_order() -> None:
    a, b = os.urandom(32), os.urandom(32)
    config = _conf({"resources": ["secrets"], "providers": [_box("a", a)]},
                   {"resources": ["configmaps", "secrets"], "providers": [_box("b", b)]})
    assert _judge(config, independent.secretbox("a", a, OBJ)) == ("ok", True)
    assert _judge(config, independent.secretbox("b", b, OBJ)) == ("stale", True)  # readable via the second entry
    usage = lifecycle.Usage({"secrets": lifecycle.ResourceUsage({("secretbox", "v1", "b")})}, {"secrets", "configmaps"},
                            False, True, 0)
    pruned = lifecycle.prune(config, usage).config
    assert [k.name for k in pruned.resources[1].providers[0].keys] == ["b"]  # still needed by a Secret


def test_exact_names_win_over_group_wildcards() -> None:
    a, b = os.urandom(32), os.urandom(32)
    config = _conf({"resources": ["secrets"], "providers": [_box("a", a)]},
                   {"resources": ["*."], "providers": [_box("b", b)]})
    assert _judge(config, independent.secretbox("b", b, OBJ)) == ("undecryptable", False)  # not in secrets' chain
    cm = b"/registry/configmaps/ns/s"
    assert _judge(config, independent.secretbox("b", b, OBJ), cm) == ("ok", True)
    assert [e.resources for e in config.entries_for("deployments.apps")] == []


def test_the_same_provider_twice_with_the_same_key_name() -> None:
    """While rotating, two secretbox elements may both have a key called key1: the API server tries both."""
    old, new = os.urandom(32), os.urandom(32)
    config = _conf({"resources": ["secrets"], "providers": [
        {"secretbox": {"keys": [{"name": "key1", "secret": _b64(new)}]}},
        {"secretbox": {"keys": [{"name": "key1", "secret": _b64(old)}]}}]})
    assert _judge(config, independent.secretbox("key1", new, OBJ)) == ("ok", True)
    assert _judge(config, independent.secretbox("key1", old, OBJ)) == ("stale", True)
    assert _judge(config, independent.secretbox("key1", os.urandom(32), OBJ)) == ("undecryptable", False)


def test_identity_first_still_reads_encrypted_values_with_later_providers() -> None:
    key = os.urandom(32)
    config = _conf({"resources": ["secrets"], "providers": [
        {"identity": {}}, {"aesgcm": {"keys": [{"name": "g", "secret": _b64(key)}]}}]})
    assert _judge(config, independent.aesgcm("g", key, OBJ, KEY)) == ("stale", True)
    assert _judge(config, OBJ) == ("plaintext", None)


def test_values_swapped_between_keys_are_misplaced() -> None:
    """secretbox and aescbc do not bind a value to its etcd key; the audit checks the object's own name."""
    key = os.urandom(32)
    config = _conf({"resources": ["secrets"], "providers": [_box("k", key)]})
    other = independent.secret_object("other", "ns", {"k": b"v"})
    item = Auditor(AuditOptions(config=config)).judge(Record(KEY, 7, independent.secretbox("k", key, other), True))
    assert (item.status, item.verified) == ("misplaced", True)
    assert "ns/other" in item.detail
    foreign_ns = independent.secret_object("s", "elsewhere", {"k": b"v"})
    assert _judge(config, independent.secretbox("k", key, foreign_ns))[0] == "misplaced"
    assert _judge(config, independent.secretbox("k", key, OBJ)) == ("ok", True)
