"""The operator, running for real against the emulator over HTTP, driven by the official kubernetes client."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from kubernetes import client
from sealer_controller.unsealer import PROVENANCE_ANNOTATION

from sealer.crypto import rsa_keys
from sealer.keys.key_secrets import KEY_LABEL
from tests.support.controller_harness import KEY_NAMESPACE, RunningOperator, b64, sealed_secret, synced, wait_for
from tests.support.kube_emulator import EVENTS, SEALED_SECRETS, SECRETS, KubeEmulator

GVP = ("bitnami.com", "v1alpha1")


def create(custom: client.CustomObjectsApi, doc: dict[str, Any]) -> dict[str, Any]:
    meta = doc["metadata"]
    return dict(custom.create_namespaced_custom_object(*GVP, meta["namespace"], "sealedsecrets", doc))


def events_for(emu: KubeEmulator, namespace: str, name: str) -> list[tuple[str, str, str]]:
    return [
        (e["type"], e["reason"], e["message"])
        for e in emu.list(EVENTS, namespace)
        if e["involvedObject"]["name"] == name
    ]


def test_generated_key_has_the_bitnami_shape(emu: KubeEmulator, op: RunningOperator, cert_pem: bytes) -> None:
    keys = [s for s in emu.list(SECRETS, KEY_NAMESPACE) if KEY_LABEL in s["metadata"].get("labels", {})]
    assert len(keys) == 1
    key = keys[0]
    assert key["type"] == "kubernetes.io/tls"
    assert key["metadata"]["labels"][KEY_LABEL] == "active"
    post = next(w for w in emu.writes(resource=SECRETS, verb="POST") if w.namespace == KEY_NAMESPACE)
    assert post.body["metadata"]["generateName"] == "sealed-secrets-key" and "name" not in post.body["metadata"]
    assert key["metadata"]["name"].startswith("sealed-secrets-key")
    pem_key = base64.b64decode(key["data"]["tls.key"])
    assert pem_key.startswith(b"-----BEGIN RSA PRIVATE KEY-----")  # PKCS#1, as Bitnami writes it
    private = rsa_keys.load_private_key_pem(pem_key)
    assert private.key_size == 4096
    cert = rsa_keys.load_certificates_pem(base64.b64decode(key["data"]["tls.crt"]))[0]
    assert cert.subject == cert.issuer and len(cert.subject) == 0  # empty CN, self-signed
    validity = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert validity.days == 3650
    assert base64.b64decode(key["data"]["tls.crt"]) == cert_pem  # /v1/cert.pem serves the newest key's cert


def test_create_unseals_into_an_owned_secret_with_status_and_event(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    template = {"metadata": {"labels": {"app": "web"}, "annotations": {"note": "kept"}}, "type": "Opaque"}
    made = create(custom, sealed_secret("loop", "db", {"user": b"admin", "pass": b"s3cr3t-pa55"}, cert_pem,
                                        template=template))
    condition = wait_for(lambda: synced(emu, "loop", "db"), what="Synced")
    assert condition["status"] == "True" and condition["reason"] == "Unsealed"
    secret = emu.get(SECRETS, "loop", "db")
    assert secret is not None
    assert secret["data"] == {"user": b64("admin"), "pass": b64("s3cr3t-pa55")}
    assert secret["type"] == "Opaque"
    assert secret["metadata"]["labels"] == {"app": "web"}
    assert secret["metadata"]["annotations"]["note"] == "kept"
    assert secret["metadata"]["ownerReferences"] == [{
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "name": "db",
        "uid": made["metadata"]["uid"], "controller": True,
    }]
    status = emu.get(SEALED_SECRETS, "loop", "db")["status"]  # type: ignore[index]
    assert status["observedGeneration"] == 1
    wait_for(lambda: ("Normal", "Unsealed", "SealedSecret unsealed successfully") in events_for(emu, "loop", "db"),
             what="Unsealed event")


def test_update_decrypts_only_the_changed_value(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    create(custom, sealed_secret("upd", "app", {"a": b"one", "b": b"two", "c": b"three"}, cert_pem))
    wait_for(lambda: synced(emu, "upd", "app"), what="first sync")
    before = op.controller.ring.rsa_operations
    changed = sealed_secret("upd", "app", {"b": b"TWO"}, cert_pem)["spec"]["encryptedData"]
    custom.patch_namespaced_custom_object(*GVP, "upd", "sealedsecrets", "app",
                                          {"spec": {"encryptedData": changed}})
    wait_for(lambda: (emu.get(SECRETS, "upd", "app") or {}).get("data", {}).get("b") == b64("TWO"),
             what="updated Secret")
    condition = wait_for(lambda: synced(emu, "upd", "app"), what="second sync")
    assert condition["status"] == "True"
    assert emu.get(SEALED_SECRETS, "upd", "app")["status"]["observedGeneration"] == 2  # type: ignore[index]
    assert emu.get(SECRETS, "upd", "app")["data"] == {"a": b64("one"), "b": b64("TWO"), "c": b64("three")}  # type: ignore[index]
    assert op.controller.ring.rsa_operations - before == 1  # a and c came from the verified Secret


def test_resync_without_change_costs_no_rsa_and_no_write(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    create(custom, sealed_secret("idle", "x", {"k": b"v"}, cert_pem))
    wait_for(lambda: synced(emu, "idle", "x"), what="sync")
    wait_for(lambda: op.controller.events.unposted == 0, what="events posted")  # type: ignore[union-attr]
    # Only this namespace's writes: the module's operator may still be finishing other tests' work.
    def idle_writes() -> list[tuple[str, str, str | None, str | None]]:
        return [(w.verb, w.resource, w.name, w.subresource) for w in emu.writes() if w.namespace == "idle"]

    rsa, writes = op.metric("sealer_rsa_operations_total"), idle_writes()
    reconciles = op.controller.reconciler.stats.reconciles  # type: ignore[union-attr]
    # A metadata-only change is a MODIFIED event: the handler runs, finds everything in place.
    custom.patch_namespaced_custom_object(*GVP, "idle", "sealedsecrets", "x", {"metadata": {"labels": {"t": "1"}}})
    wait_for(lambda: op.controller.reconciler.stats.reconciles > reconciles, what="reconcile")  # type: ignore[union-attr]
    assert op.metric("sealer_rsa_operations_total") == rsa
    assert idle_writes() == [*writes, ("PATCH", SEALED_SECRETS, "x", None)]  # only our own label patch


def test_bad_sealed_secrets_fail_alone(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    other_rsa_key: Any,
) -> None:
    good = sealed_secret("bad", "good", {"k": b"fine"}, cert_pem)
    tampered = sealed_secret("bad", "tampered", {"k": b"fine"}, cert_pem)
    raw = bytearray(base64.b64decode(tampered["spec"]["encryptedData"]["k"]))
    raw[-1] ^= 1
    tampered["spec"]["encryptedData"]["k"] = base64.b64encode(bytes(raw)).decode()
    # kubeseal records what it sealed for in spec.template.metadata; the SealedSecret was renamed afterwards
    wrong_scope = sealed_secret("bad", "renamed", {"k": b"fine"}, cert_pem, seal_for=("bad", "original"),
                                template={"metadata": {"name": "original", "namespace": "bad"}})
    other_cert = rsa_keys.certificate_to_pem(rsa_keys.self_signed_certificate(other_rsa_key))
    unknown_key = sealed_secret("bad", "unknown-key", {"k": b"fine"}, other_cert)
    malformed = sealed_secret("bad", "malformed", {"k": b"fine"}, cert_pem)
    malformed["spec"]["encryptedData"]["k"] = "not base64!!"
    for doc in (tampered, wrong_scope, unknown_key, malformed, good):
        create(custom, doc)
    assert wait_for(lambda: synced(emu, "bad", "good"), what="good one")["status"] == "True"
    assert emu.get(SECRETS, "bad", "good")["data"] == {"k": b64("fine")}  # type: ignore[index]
    expectations = {
        "tampered": "tampered",
        "renamed": "sealed for strict scope for bad/original",
        "unknown-key": "no key could decrypt",
        "malformed": "not valid base64",
    }
    for name, fragment in expectations.items():
        condition = wait_for(lambda name=name: synced(emu, "bad", name), what=name)
        assert condition["status"] == "False" and condition["reason"] == "ErrUnsealFailed"
        assert fragment in condition["message"], (name, condition["message"])
        assert "fine" not in condition["message"]
        assert emu.get(SECRETS, "bad", name) is None
        wait_for(lambda name=name: any(r == "ErrUnsealFailed" and t == "Warning"
                                       for t, r, _ in events_for(emu, "bad", name)), what=f"{name} event")


def test_unmanaged_secret_is_left_alone(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    core: client.CoreV1Api,
) -> None:
    core.create_namespaced_secret("own", {"metadata": {"name": "theirs"}, "data": {"k": b64("original")}})
    create(custom, sealed_secret("own", "theirs", {"k": b"new"}, cert_pem))
    condition = wait_for(lambda: synced(emu, "own", "theirs"), what="status")
    message = 'Resource "theirs" already exists and is not managed by SealedSecret'
    assert condition["status"] == "False" and condition["message"] == message
    assert condition["reason"] == "ErrUpdateFailed"
    wait_for(lambda: ("Warning", "ErrUpdateFailed", message) in events_for(emu, "own", "theirs"), what="event")
    assert emu.get(SECRETS, "own", "theirs")["data"] == {"k": b64("original")}  # type: ignore[index]


def test_managed_secret_is_taken_over(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    core: client.CoreV1Api,
) -> None:
    core.create_namespaced_secret("own", {"metadata": {"name": "adopt", "labels": {"old": "1"},
                                                       "annotations": {"sealedsecrets.bitnami.com/managed": "true"}},
                                          "data": {"stale": b64("x")}})
    made = create(custom, sealed_secret("own", "adopt", {"k": b"new"}, cert_pem))
    assert wait_for(lambda: synced(emu, "own", "adopt"), what="status")["status"] == "True"
    secret = emu.get(SECRETS, "own", "adopt")
    assert secret is not None and secret["data"] == {"k": b64("new")}
    assert "labels" not in secret["metadata"]  # replaced by the template's (none)
    assert secret["metadata"]["ownerReferences"][0]["uid"] == made["metadata"]["uid"]


def test_patch_annotation_merges_into_the_secret(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    core: client.CoreV1Api,
) -> None:
    core.create_namespaced_secret("own", {"metadata": {"name": "merge", "labels": {"keep": "me"},
                                                       "annotations": {"sealedsecrets.bitnami.com/patch": "true"}},
                                          "data": {"theirs": b64("x")}})
    create(custom, sealed_secret("own", "merge", {"ours": b"y"}, cert_pem,
                                 template={"metadata": {"labels": {"added": "1"}}}))
    assert wait_for(lambda: synced(emu, "own", "merge"), what="status")["status"] == "True"
    secret = emu.get(SECRETS, "own", "merge")
    assert secret is not None and secret["data"] == {"theirs": b64("x"), "ours": b64("y")}
    assert secret["metadata"]["labels"] == {"keep": "me", "added": "1"}
    assert "ownerReferences" not in secret["metadata"]  # patch without managed keeps ownership as it was


def test_skip_set_owner_references(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    annotations = {"sealedsecrets.bitnami.com/skip-set-owner-references": "true"}
    template = {"metadata": {"annotations": annotations}}
    create(custom, sealed_secret("own", "free", {"k": b"v"}, cert_pem, template=template))
    assert wait_for(lambda: synced(emu, "own", "free"), what="status")["status"] == "True"
    sent = [w.body for w in emu.writes(resource=SECRETS, verb="POST") if w.namespace == "own"
            and w.body["metadata"]["name"] == "free"]
    assert len(sent) == 1 and "ownerReferences" not in sent[0]["metadata"]
    # and it stays ours: a later change still updates it (our provenance proves we wrote it)
    changed = sealed_secret("own", "free", {"k": b"v2"}, cert_pem)["spec"]["encryptedData"]
    custom.patch_namespaced_custom_object(*GVP, "own", "sealedsecrets", "free", {"spec": {"encryptedData": changed}})
    wait_for(lambda: (emu.get(SECRETS, "own", "free") or {}).get("data") == {"k": b64("v2")}, what="update")


def test_owned_secret_sent_with_owner_reference_and_recreated_when_deleted(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    core: client.CoreV1Api,
) -> None:
    made = create(custom, sealed_secret("gc", "s", {"k": b"v"}, cert_pem))
    wait_for(lambda: synced(emu, "gc", "s"), what="sync")
    sent = [w.body for w in emu.writes(resource=SECRETS, verb="POST") if w.namespace == "gc"]
    assert sent[-1]["metadata"]["ownerReferences"] == [{
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "name": "s",
        "uid": made["metadata"]["uid"], "controller": True}]
    core.delete_namespaced_secret("s", "gc")
    wait_for(lambda: emu.get(SECRETS, "gc", "s"), what="recreated Secret")
    assert emu.get(SECRETS, "gc", "s")["data"] == {"k": b64("v")}  # type: ignore[index]
    # someone edits the data we wrote: it is restored
    core.patch_namespaced_secret("s", "gc", {"data": {"k": b64("tampered")}})
    wait_for(lambda: (emu.get(SECRETS, "gc", "s") or {}).get("data") == {"k": b64("v")}, what="restored")


def test_deleting_a_sealed_secret_takes_its_secret_along_and_it_stays_gone(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    """The garbage collector deletes the owned Secret; the controller must not bring it back."""
    skip = {"sealedsecrets.bitnami.com/skip-set-owner-references": "true"}
    create(custom, sealed_secret("gone", "owned", {"k": b"v"}, cert_pem))
    create(custom, sealed_secret("gone", "kept", {"k": b"v"}, cert_pem, template={"metadata": {"annotations": skip}}))
    for name in ("owned", "kept"):
        wait_for(lambda name=name: synced(emu, "gone", name), what=name)
    posts_before = len(emu.writes(resource=SECRETS, verb="POST"))
    index, reconciler = op.controller.index, op.controller.reconciler
    assert index is not None and reconciler is not None
    assert index.get("gone", "owned") is not None  # so that its disappearing below means the watch saw it
    for name in ("owned", "kept"):
        custom.delete_namespaced_custom_object(*GVP, "gone", "sealedsecrets", name)
    assert emu.get(SECRETS, "gone", "owned") is None  # collected with its owner
    assert emu.get(SECRETS, "gone", "kept") is not None  # no owner reference: it outlives the SealedSecret
    # The controller sees the Secret's DELETED event (maybe before the SealedSecret's) and looks again:
    # the SealedSecret is gone too, so nothing is recreated.
    wait_for(lambda: index.get("gone", "owned") is None, what="the Secret watch saw the deletion")
    time.sleep(0.1)  # the watch hook runs right after the record goes: let it spawn its follow-up
    wait_for(lambda: reconciler._background == set(), what="follow-up reconciles")
    time.sleep(0.3)
    assert emu.get(SECRETS, "gone", "owned") is None
    assert [w for w in emu.writes(resource=SECRETS, verb="POST")[posts_before:] if w.namespace == "gone"] == []


def test_template_data_and_legacy_spec_data(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    template = {"data": {"dsn": "postgres://{{ .user }}:{{ .pass }}@db/app"}}
    create(custom, sealed_secret("tpl", "t", {"user": b"u", "pass": b"p"}, cert_pem, template=template))
    assert wait_for(lambda: synced(emu, "tpl", "t"), what="template sync")["status"] == "True"
    assert emu.get(SECRETS, "tpl", "t")["data"]["dsn"] == b64("postgres://u:p@db/app")  # type: ignore[index]

    from sealer.crypto.kubeseal_envelope import hybrid_encrypt

    whole = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "old", "namespace": "tpl"},
             "data": {"legacy": b64("value")}}
    cert = rsa_keys.load_certificates_pem(cert_pem)[0]
    blob = hybrid_encrypt(cert.public_key(), json.dumps(whole).encode(), b"tpl/old")  # type: ignore[arg-type]
    create(custom, {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
                    "metadata": {"name": "old", "namespace": "tpl"}, "spec": {"data": base64.b64encode(blob).decode()}})
    assert wait_for(lambda: synced(emu, "tpl", "old"), what="legacy sync")["status"] == "True"
    assert emu.get(SECRETS, "tpl", "old")["data"] == {"legacy": b64("value")}  # type: ignore[index]


def test_injected_api_errors_are_retried(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    fault = emu.inject_errors(500, 3, verb="POST", resource=SECRETS)
    create(custom, sealed_secret("flaky", "a", {"k": b"v"}, cert_pem))
    assert wait_for(lambda: synced(emu, "flaky", "a"), what="sync despite 500s")["status"] == "True"
    assert fault.hits == 3
    conflict = emu.inject_errors(409, 1, verb="PUT", resource=SECRETS, name="a")
    status_fault = emu.inject_errors(503, 2, verb="PATCH", resource=SEALED_SECRETS, name="a", subresource="status")
    changed = sealed_secret("flaky", "a", {"k": b"v2"}, cert_pem)["spec"]["encryptedData"]
    custom.patch_namespaced_custom_object(*GVP, "flaky", "sealedsecrets", "a", {"spec": {"encryptedData": changed}})
    wait_for(lambda: synced(emu, "flaky", "a"), what="status after 409 and 503s")
    assert emu.get(SECRETS, "flaky", "a")["data"] == {"k": b64("v2")}  # type: ignore[index]
    assert conflict.hits == 1 and status_fault.hits == 2


def test_provenance_annotation_reveals_no_plaintext(emu: KubeEmulator, op: RunningOperator, cert_pem: bytes,
                                                    custom: client.CustomObjectsApi) -> None:
    create(custom, sealed_secret("prov", "p", {"k": b"plaintext-marker-123"}, cert_pem))
    wait_for(lambda: synced(emu, "prov", "p"), what="sync")
    annotation = emu.get(SECRETS, "prov", "p")["metadata"]["annotations"][PROVENANCE_ANNOTATION]  # type: ignore[index]
    assert "plaintext-marker" not in annotation and b64("plaintext-marker-123") not in annotation
    doc = json.loads(annotation)
    assert set(doc) == {"v", "src", "tpl", "out", "by", "fp", "mac"} and doc["out"] == ["k"]


@pytest.mark.parametrize("path", ["/healthz", "/v1/cert.pem"])
def test_http_endpoints_answer(op: RunningOperator, path: str) -> None:
    import urllib.request

    with urllib.request.urlopen(op.controller.http_url + path, timeout=5) as response:
        assert response.status == 200
