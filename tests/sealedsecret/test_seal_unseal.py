from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from sealer.errors import DecryptionError, FormatError, InputError, ScopeMismatchError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.reencrypt import reencrypt
from sealer.formats.sealedsecret.scope import Scope
from sealer.formats.sealedsecret.seal import seal_raw, seal_secret
from sealer.formats.sealedsecret.unseal import build_secret, decrypt_values, unseal
from sealer.keys.keyring import KeyRing, SealingKey


def secret(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "namespace": "prod",
            "labels": {"app": "db"},
            "annotations": {
                "team": "core",
                "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"aHVudGVyMg=="}}',
            },
            "resourceVersion": "123",
            "uid": "u-1",
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
            "ownerReferences": [{"kind": "X", "name": "y"}],
        },
        "type": "Opaque",
        "data": {"password": base64.b64encode(b"hunter2").decode()},
        "stringData": {"user": "admin"},
    }
    doc.update(extra)
    return doc


def test_seal_shape_matches_kubeseal(key2048: SealingKey) -> None:
    out = seal_secret(secret(immutable=True), key2048.certificate)  # type: ignore[arg-type]
    assert list(out) == ["kind", "apiVersion", "metadata", "spec"]
    assert out["metadata"] == {"name": "db", "namespace": "prod", "creationTimestamp": None}
    template = out["spec"]["template"]
    assert template == {
        "metadata": {
            "name": "db",
            "namespace": "prod",
            "creationTimestamp": None,
            "labels": {"app": "db"},
            "annotations": {"team": "core"},
        },
        "type": "Opaque",
        "immutable": True,
    }
    assert sorted(out["spec"]["encryptedData"]) == ["password", "user"]
    assert "hunter2" not in repr(out) and "aHVudGVyMg" not in repr(out)


def test_round_trip_strict(key2048: SealingKey, ring: KeyRing) -> None:
    ss = SealedSecret.from_dict(seal_secret(secret(), key2048.private_key.public_key()))
    got = decrypt_values(ss, ring)
    assert got.values == {"password": b"hunter2", "user": b"admin"}
    assert got.fingerprints == {key2048.fingerprint}
    assert "hunter2" not in repr(got)
    manifest = unseal(ss, ring)
    assert manifest == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "prod", "labels": {"app": "db"}, "annotations": {"team": "core"}},
        "data": {"password": base64.b64encode(b"hunter2").decode(), "user": base64.b64encode(b"admin").decode()},
        "type": "Opaque",
    }


@pytest.mark.parametrize(
    ("scope", "annotation"),
    [
        (Scope.NAMESPACE_WIDE, "sealedsecrets.bitnami.com/namespace-wide"),
        (Scope.CLUSTER_WIDE, "sealedsecrets.bitnami.com/cluster-wide"),
    ],
)
def test_scope_flag_and_annotation(key2048: SealingKey, ring: KeyRing, scope: Scope, annotation: str) -> None:
    by_flag = seal_secret(secret(), key2048.certificate, scope=scope)  # type: ignore[arg-type]
    assert by_flag["metadata"]["annotations"] == {annotation: "true"}
    assert by_flag["spec"]["template"]["metadata"]["annotations"][annotation] == "true"
    doc = secret()
    doc["metadata"]["annotations"][annotation] = "true"
    by_annotation = seal_secret(doc, key2048.certificate)  # type: ignore[arg-type]
    assert by_annotation["metadata"]["annotations"] == {annotation: "true"}
    # The wider scope really is wider: rename (and for cluster-wide, move) and it still opens.
    moved = copy.deepcopy(by_flag)
    moved["metadata"]["name"] = "other"
    if scope is Scope.CLUSTER_WIDE:
        moved["metadata"]["namespace"] = "elsewhere"
    assert decrypt_values(SealedSecret.from_dict(moved), ring).values["user"] == b"admin"


def test_explicit_strict_removes_scope_annotations(key2048: SealingKey) -> None:
    doc = secret()
    doc["metadata"]["annotations"]["sealedsecrets.bitnami.com/cluster-wide"] = "true"
    out = seal_secret(doc, key2048.certificate, scope=Scope.STRICT)  # type: ignore[arg-type]
    assert "annotations" not in out["metadata"]
    assert "sealedsecrets.bitnami.com/cluster-wide" not in out["spec"]["template"]["metadata"]["annotations"]


def test_renamed_sealed_secret_is_a_scope_mismatch(key2048: SealingKey, ring: KeyRing) -> None:
    out = seal_secret(secret(), key2048.certificate)  # type: ignore[arg-type]
    out["metadata"]["name"] = "stolen"
    with pytest.raises(ScopeMismatchError, match=r"prod/db") as info:
        decrypt_values(SealedSecret.from_dict(out), ring)
    assert "hunter2" not in str(info.value)


def test_namespace_wide_value_under_strict_is_mismatch(key2048: SealingKey, ring: KeyRing) -> None:
    out = seal_secret(secret(), key2048.certificate, scope=Scope.NAMESPACE_WIDE)  # type: ignore[arg-type]
    del out["metadata"]["annotations"]
    with pytest.raises(ScopeMismatchError, match="namespace-wide"):
        decrypt_values(SealedSecret.from_dict(out), ring)


def test_wrong_key_and_tampering(key2048: SealingKey, second_key: SealingKey) -> None:
    out = seal_secret(secret(), key2048.certificate)  # type: ignore[arg-type]
    with pytest.raises(DecryptionError, match=r"prod/db: 2 items failed") as info:
        decrypt_values(SealedSecret.from_dict(out), KeyRing.of([second_key]))
    assert not isinstance(info.value, ScopeMismatchError)
    raw = bytearray(base64.b64decode(out["spec"]["encryptedData"]["user"]))
    raw[-3] ^= 0x10
    out["spec"]["encryptedData"]["user"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(DecryptionError, match=r"encryptedData\['user'\].*tampered"):
        decrypt_values(SealedSecret.from_dict(out), KeyRing.of([key2048]))


def test_bad_base64_in_sealed_secret(key2048: SealingKey, ring: KeyRing) -> None:
    out = seal_secret(secret(), key2048.certificate)  # type: ignore[arg-type]
    out["spec"]["encryptedData"]["user"] = "not base64!"
    with pytest.raises(FormatError, match=r"encryptedData\['user'\]"):
        decrypt_values(SealedSecret.from_dict(out), ring)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"kind": "ConfigMap"}, FormatError, "not a Secret"),
        ({"apiVersion": "v2"}, FormatError, "not a Secret"),
        ({"data": {"k": "%%%"}, "stringData": None}, FormatError, r"data\['k'\] is not valid base64"),
        ({"data": {"k": 5}}, FormatError, r"data\['k'\] is not a base64 string"),
        ({"stringData": {"port": 8080}}, FormatError, "quote"),
        ({"data": {}, "stringData": {}}, InputError, "allow-empty-data"),
    ],
)
def test_bad_secrets(key2048: SealingKey, change: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        seal_secret(secret(**change), key2048.certificate)  # type: ignore[arg-type]
    assert "hunter2" not in str(info.value) and "admin" not in str(info.value)


def test_namespace_rules(key2048: SealingKey, ring: KeyRing) -> None:
    doc = secret()
    del doc["metadata"]["namespace"]
    with pytest.raises(InputError, match="no namespace"):
        seal_secret(doc, key2048.certificate)  # type: ignore[arg-type]
    filled = seal_secret(doc, key2048.certificate, default_namespace="fromctx")  # type: ignore[arg-type]
    assert filled["metadata"]["namespace"] == "fromctx"
    assert decrypt_values(SealedSecret.from_dict(filled), ring).values["user"] == b"admin"
    cluster = seal_secret(doc, key2048.certificate, scope=Scope.CLUSTER_WIDE)  # type: ignore[arg-type]
    assert "namespace" not in cluster["metadata"]
    forced = seal_secret(secret(), key2048.certificate, name="n2", namespace="ns2")  # type: ignore[arg-type]
    assert forced["metadata"] == {"name": "n2", "namespace": "ns2", "creationTimestamp": None}
    assert decrypt_values(SealedSecret.from_dict(forced), ring).values["user"] == b"admin"


def test_allow_empty(key2048: SealingKey, ring: KeyRing) -> None:
    out = seal_secret(secret(data=None, stringData=None), key2048.certificate, allow_empty_data=True)  # type: ignore[arg-type]
    assert out["spec"]["encryptedData"] == {}
    assert unseal(SealedSecret.from_dict(out), ring)["data"] == {}


def test_seal_raw(key2048: SealingKey, ring: KeyRing) -> None:
    value = seal_raw(b"v\n", key2048.certificate, scope=Scope.STRICT, namespace="ns", name="n")  # type: ignore[arg-type]
    assert "\n" not in value
    assert ring.decrypt(base64.b64decode(value), b"ns/n").plaintext == b"v\n"
    with pytest.raises(InputError, match="needs a namespace"):
        seal_raw(b"v", key2048.certificate, scope=Scope.NAMESPACE_WIDE)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="needs a name"):
        seal_raw(b"v", key2048.certificate, scope=Scope.STRICT, namespace="ns")  # type: ignore[arg-type]
    wide = seal_raw(b"v", key2048.certificate, scope=Scope.CLUSTER_WIDE)  # type: ignore[arg-type]
    assert ring.decrypt(base64.b64decode(wide), b"").plaintext == b"v"


def test_template_data_rendered_after_items(key2048: SealingKey, monkeypatch: pytest.MonkeyPatch) -> None:
    from sealer.formats.sealedsecret import gotemplate

    calls: list[tuple[str, dict[str, bytes], str]] = []

    def fake_render(template: str, values: Any, *, entry: str = "") -> bytes:
        calls.append((template, dict(values), entry))
        return b"rendered:" + values["user"]

    monkeypatch.setattr(gotemplate, "render", fake_render)
    out = seal_secret(secret(), key2048.certificate)  # type: ignore[arg-type]
    out["spec"]["template"]["data"] = {"dsn": "{{ .user }}@db", "user": "override"}
    manifest = build_secret(SealedSecret.from_dict(out), {"user": b"admin", "password": b"hunter2"})
    assert calls == [
        ("{{ .user }}@db", {"user": b"admin", "password": b"hunter2"}, "dsn"),
        ("override", {"user": b"admin", "password": b"hunter2"}, "user"),
    ]
    assert base64.b64decode(manifest["data"]["dsn"]) == b"rendered:admin"
    assert base64.b64decode(manifest["data"]["user"]) == b"rendered:admin"  # template wins on a clash


def test_legacy_spec_data(key2048: SealingKey, ring: KeyRing) -> None:
    import json

    from sealer.crypto.kubeseal_envelope import hybrid_encrypt

    inner = {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "old", "namespace": "ns", "labels": {"l": "1"}},
        "data": {"k": base64.b64encode(b"legacy").decode()},
        "type": "Opaque",
    }
    blob = hybrid_encrypt(key2048.private_key.public_key(), json.dumps(inner).encode(), b"ns/old")
    doc = {
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "old", "namespace": "ns"},
        "spec": {"data": base64.b64encode(blob).decode()},
    }
    ss = SealedSecret.from_dict(doc)
    assert decrypt_values(ss, ring).values == {"k": b"legacy"}
    manifest = unseal(ss, ring)
    assert manifest["metadata"] == {"name": "old", "namespace": "ns", "labels": {"l": "1"}}
    assert manifest["type"] == "Opaque"
    rotated = reencrypt(doc, ring, key2048.certificate)  # type: ignore[arg-type]
    assert "data" not in rotated["spec"]
    assert decrypt_values(SealedSecret.from_dict(rotated), ring).values == {"k": b"legacy"}
    assert unseal(SealedSecret.from_dict(rotated), ring) == manifest  # same Secret as before the conversion
    both = copy.deepcopy(doc)
    both["spec"]["encryptedData"] = {"x": "AAAA"}
    with pytest.raises(FormatError, match="both"):
        decrypt_values(SealedSecret.from_dict(both), ring)


def test_reencrypt_moves_to_newest_and_keeps_everything(key2048: SealingKey, second_key: SealingKey) -> None:
    out = seal_secret(secret(), key2048.certificate, scope=Scope.NAMESPACE_WIDE)  # type: ignore[arg-type]
    out["spec"]["template"]["data"] = {"dsn": "{{ .user }}"}
    out["metadata"]["labels"] = {"keep": "me"}
    out["x-unknown"] = {"a": 1}
    original = copy.deepcopy(out)
    ring = KeyRing.of([key2048, second_key])
    assert ring.newest() is second_key
    rotated = reencrypt(out, ring, second_key.certificate)  # type: ignore[arg-type]
    assert out == original  # input untouched
    assert rotated["x-unknown"] == {"a": 1}
    assert rotated["metadata"] == original["metadata"]
    assert rotated["spec"]["template"] == original["spec"]["template"]
    assert rotated["spec"]["encryptedData"] != original["spec"]["encryptedData"]
    got = decrypt_values(SealedSecret.from_dict(rotated), KeyRing.of([second_key]))
    assert got.values == {"password": b"hunter2", "user": b"admin"}
    assert got.fingerprints == {second_key.fingerprint}


def test_diagnosis_costs_are_bounded(key2048: SealingKey, second_key: SealingKey) -> None:
    doc = secret(stringData={f"k{i}": "v" for i in range(6)})
    out = seal_secret(doc, key2048.certificate)  # type: ignore[arg-type]
    out["metadata"]["name"] = "renamed"
    ss = SealedSecret.from_dict(out)
    ring = KeyRing.of([key2048, second_key])
    with pytest.raises(ScopeMismatchError, match="7 items failed"):
        decrypt_values(ss, ring)
    # 7 items x 2 keys for the failures, plus at most 4 alternative labels x 2 keys for the first one.
    assert ring.rsa_operations <= 7 * 2 + 4 * 2
    quiet = KeyRing.of([key2048, second_key])
    with pytest.raises(DecryptionError) as info:
        decrypt_values(ss, quiet, diagnose=False)
    assert not isinstance(info.value, ScopeMismatchError)
    assert quiet.rsa_operations == 7 * 2


def test_json_key_order_is_gos(key2048: SealingKey) -> None:
    doc = secret()
    doc["metadata"]["labels"] = {"z": "1", "a": "2"}
    doc["metadata"]["annotations"] = {"y": "1", "b": "2"}
    out = seal_secret(doc, key2048.certificate, scope=Scope.NAMESPACE_WIDE)  # type: ignore[arg-type]
    meta = out["spec"]["template"]["metadata"]
    assert list(meta) == ["name", "namespace", "creationTimestamp", "labels", "annotations"]
    assert list(meta["labels"]) == ["a", "z"]
    assert list(meta["annotations"]) == ["b", "sealedsecrets.bitnami.com/namespace-wide", "y"]
    assert list(out["spec"]) == ["template", "encryptedData"]
