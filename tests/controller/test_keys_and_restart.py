"""Key registry behaviour (import live, delete, renew, cutoff, forced), restart convergence, HTTP API, log hygiene."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes import client
from sealer_controller import key_lifecycle

from sealer.crypto import rsa_keys
from sealer.keys.key_secrets import KEY_LABEL
from tests.support.controller_harness import KEY_NAMESPACE, RunningOperator, sealed_secret, synced, wait_for
from tests.support.kube_emulator import SEALED_SECRETS, SECRETS, KubeEmulator

GVP = ("bitnami.com", "v1alpha1")


def key_secret(namespace: str, *, not_before: dt.datetime | None = None, bits: int = 2048) -> dict[str, Any]:
    """A key Secret exactly as the Bitnami controller stores one (what users import from a backup)."""
    key = key_lifecycle.generate_sealing_key(now=not_before or dt.datetime.now(dt.UTC), bits=bits)
    return key_lifecycle.new_key_secret(key, namespace=namespace)


def cert_of(secret: dict[str, Any]) -> bytes:
    return base64.b64decode(secret["data"]["tls.crt"])


def key_secrets(emu: KubeEmulator, namespace: str) -> list[dict[str, Any]]:
    return [s for s in emu.list(SECRETS, namespace) if KEY_LABEL in s["metadata"].get("labels", {})]


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_imported_key_is_picked_up_live_and_retries_what_it_opens(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    core: client.CoreV1Api,
) -> None:
    # NotBefore has 1 s resolution and the operator's own key was made moments ago: be clearly newer
    imported = key_secret(KEY_NAMESPACE, not_before=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    doc = sealed_secret("imp", "from-backup", {"k": b"v"}, cert_of(imported))
    custom.create_namespaced_custom_object(*GVP, "imp", "sealedsecrets", doc)
    condition = wait_for(lambda: synced(emu, "imp", "from-backup"), what="first attempt")
    assert condition["status"] == "False" and "no key could decrypt" in condition["message"]
    made = core.create_namespaced_secret(KEY_NAMESPACE, imported)  # no restart
    condition = wait_for(lambda: (c := synced(emu, "imp", "from-backup")) and c["status"] == "True" and c,
                         what="unsealed with the imported key")
    assert emu.get(SECRETS, "imp", "from-backup")["data"] == {"k": base64.b64encode(b"v").decode()}  # type: ignore[index]
    assert op.cert_pem() == cert_of(imported)  # the newest NotBefore seals
    report = json.loads(urllib.request.urlopen(op.controller.http_url + "/v1/keys", timeout=5).read())
    by_secret = {k["secret"]: k for k in report["keys"]}
    assert by_secret[made.metadata.name]["usedBy"] == ["imp/from-backup"] and by_secret[made.metadata.name]["sealing"]
    # deleting the key Secret takes the key out of service at once
    before = len(op.controller.ring)
    core.delete_namespaced_secret(made.metadata.name, KEY_NAMESPACE)
    wait_for(lambda: len(op.controller.ring) == before - 1, what="key removed")
    assert op.cert_pem() == cert_pem


def test_verify_rotate_and_key_report_over_http(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi
) -> None:
    good = sealed_secret("http", "v", {"k": b"secret-value-xyz"}, cert_pem)
    status, body = post(op.controller.http_url + "/v1/verify", json.dumps(good).encode())
    assert status == 200 and b"secret-value-xyz" not in body
    other = sealed_secret("http", "other-name", {"k": b"x"}, cert_pem, seal_for=("http", "v"))
    status, body = post(op.controller.http_url + "/v1/verify", json.dumps(other).encode())
    assert status in (409, 429)
    status, body = post(op.controller.http_url + "/v1/rotate", json.dumps(good).encode())
    assert status == 200
    rotated = json.loads(body)
    assert rotated["metadata"] == good["metadata"]
    assert rotated["spec"]["encryptedData"]["k"] != good["spec"]["encryptedData"]["k"]
    assert b"secret-value-xyz" not in body


def test_restart_converges_with_no_rsa_and_no_writes() -> None:
    with KubeEmulator() as emu:  # its own cluster: the module's operator must not take part
        custom = client.CustomObjectsApi(emu.api_client())
        first = RunningOperator(emu, key_size=2048).start()
        cert = first.cert_pem()
        names = [f"r{i}" for i in range(6)]
        for name in names:
            custom.create_namespaced_custom_object(*GVP, "restart", "sealedsecrets",
                                                   sealed_secret("restart", name, {"a": b"1", "b": b"2"}, cert))
        for name in names:
            wait_for(lambda name=name: synced(emu, "restart", name), what=name)
        assert first.metric("sealer_rsa_operations_total") == 2 * len(names)
        wait_for(lambda: first.controller.events.unposted == 0, what="events flushed")  # type: ignore[union-attr]
        first.stop()
        writes_before = len(emu.writes())
        again = RunningOperator(emu, key_size=2048).start()
        try:
            stats = again.controller.reconciler.stats  # type: ignore[union-attr]
            wait_for(lambda: stats.reconciles >= len(names), what="every SealedSecret seen after restart")
            assert again.metric("sealer_rsa_operations_total") == 0
            assert stats.secret_writes == 0 and stats.status_writes == 0
            # nothing written at all: the key exists, Secrets and statuses are current
            assert [(w.verb, w.resource, w.name) for w in emu.writes()[writes_before:]] == []
            assert again.metric("sealed_secrets_controller_unseal_requests_total") >= len(names)
        finally:
            again.stop()


def test_sealed_secrets_are_listed_in_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restart over many SealedSecrets never asks for the whole list at once (memory peak)."""
    from sealer_controller import operator

    from tests.support.kube_emulator import Emulator

    lists: list[dict[str, str]] = []
    original = Emulator._handle

    async def recording(self: Emulator, request: Any) -> Any:
        res = request.resource
        if (res is not None and res.plural == "sealedsecrets" and request.name is None
                and str(request.method.value).upper() == "GET" and request.params.get("watch") not in ("true", "1")):
            lists.append(dict(request.params))
        return await original(self, request)

    monkeypatch.setattr(Emulator, "_handle", recording)
    monkeypatch.setattr(operator, "LIST_PAGE_SIZE", 4)
    with KubeEmulator() as emu:
        custom = client.CustomObjectsApi(emu.api_client())
        running = RunningOperator(emu, key_size=2048).start()
        try:
            cert = running.cert_pem()
            names = [f"p{i}" for i in range(10)]
            for name in names:
                custom.create_namespaced_custom_object(*GVP, "paged", "sealedsecrets",
                                                       sealed_secret("paged", name, {"a": b"1"}, cert))
            for name in names:
                wait_for(lambda name=name: synced(emu, "paged", name), what=name)
        finally:
            running.stop()
        lists.clear()
        again = RunningOperator(emu, key_size=2048).start()
        try:
            stats = again.controller.reconciler.stats  # type: ignore[union-attr]
            wait_for(lambda: stats.reconciles >= len(names), what="every SealedSecret seen after restart")
        finally:
            again.stop()
    assert [page.get("limit") for page in lists] == ["4", "4", "4"]
    assert "continue" not in lists[0] and all(page.get("continue") for page in lists[1:])


def test_renewal_cutoff_and_forced_new_key(emu: KubeEmulator, core: client.CoreV1Api) -> None:
    namespace = "renewal"
    old = key_secret(namespace, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    core.create_namespaced_secret(namespace, old)
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    running = RunningOperator(emu, key_namespace=namespace, all_namespaces=False, key_size=2048,
                              key_cutoff_time=cutoff, key_renew_period=dt.timedelta(seconds=2)).start()
    try:
        assert len(key_secrets(emu, namespace)) == 2  # the old key predates the cutoff: a new one at start
        first_cert = running.cert_pem()
        assert first_cert != cert_of(old)
        wait_for(lambda: len(key_secrets(emu, namespace)) >= 3, timeout=15, what="renewal after 2s")
        assert running.cert_pem() != first_cert
        count = len(key_secrets(emu, namespace))
        keystore = running.controller.keystore
        assert keystore is not None
        running.controller.call_soon(keystore.request_new_key)  # what SIGUSR1 does, from another thread
        wait_for(lambda: len(key_secrets(emu, namespace)) > count, timeout=10, what="forced key")
        assert all(s["type"] == "kubernetes.io/tls" for s in key_secrets(emu, namespace))
        assert len(running.controller.ring) == len(key_secrets(emu, namespace))  # old keys are never dropped
    finally:
        running.stop()


def test_no_plaintext_in_logs_events_or_status_at_debug(
    emu: KubeEmulator, op: RunningOperator, cert_pem: bytes, custom: client.CustomObjectsApi,
    caplog: pytest.LogCaptureFixture, other_rsa_key: Any,
) -> None:
    markers = [b"PLAINTEXT-MARKER-one", b"PLAINTEXT-MARKER-two"]
    kopf_logger = logging.getLogger("kopf")
    old_level = kopf_logger.level
    kopf_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        custom.create_namespaced_custom_object(*GVP, "logs", "sealedsecrets", sealed_secret(
            "logs", "a", {"x": markers[0]}, cert_pem, template={"data": {"t": "{{ .x }}-{{ .missing }}"}}))
        other = rsa_keys.certificate_to_pem(rsa_keys.self_signed_certificate(other_rsa_key))
        custom.create_namespaced_custom_object(*GVP, "logs", "sealedsecrets",
                                               sealed_secret("logs", "b", {"x": markers[1]}, other))
        wait_for(lambda: synced(emu, "logs", "a") and synced(emu, "logs", "b"), what="both processed")
        changed = sealed_secret("logs", "a", {"x": markers[1]}, cert_pem)["spec"]["encryptedData"]
        custom.patch_namespaced_custom_object(*GVP, "logs", "sealedsecrets", "a", {"spec": {"encryptedData": changed}})
        wait_for(lambda: synced(emu, "logs", "a"), what="update processed")
        wait_for(lambda: op.controller.events.unposted == 0, what="events posted")  # type: ignore[union-attr]
    finally:
        kopf_logger.setLevel(old_level)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # DEBUG really was captured
    forms = [m for marker in markers for m in (marker, base64.b64encode(marker))]
    text = "\n".join(caplog.text.splitlines() + [str(r.args) for r in caplog.records])
    for form in forms:
        assert form.decode() not in text
    visible = json.dumps([emu.list(SEALED_SECRETS, "logs"), emu.list("v1/events", "logs")])
    for form in forms:
        assert form.decode() not in visible


def test_an_inconsistent_key_is_never_loaded(emu: KubeEmulator, core: client.CoreV1Api) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    namespace = "broken-keys"
    good = key_secret(namespace)
    core.create_namespaced_secret(namespace, good)
    bad = key_secret(namespace)
    private = rsa_keys.load_private_key_pem(base64.b64decode(bad["data"]["tls.key"]))
    numbers = private.private_numbers()
    broken = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d + 2, numbers.dmp1, numbers.dmq1, numbers.iqmp,
                                   numbers.public_numbers).private_key(unsafe_skip_rsa_key_validation=True)
    bad["data"]["tls.key"] = base64.b64encode(rsa_keys.private_key_to_pem(broken)).decode()
    core.create_namespaced_secret(namespace, bad)
    running = RunningOperator(emu, key_namespace=namespace, all_namespaces=False, key_renew_period=dt.timedelta(0),
                              key_size=2048).start()
    try:
        assert len(running.controller.ring) == 1
        assert running.cert_pem() == cert_of(good)
    finally:
        running.stop()
