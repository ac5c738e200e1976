"""The user's loop against the real operator (kopf + our handlers) on the Kubernetes emulator:

fetch the certificate with the CLI, seal, apply, get the Secret; validate; import
a newer key, re-encrypt with the CLI, apply, and see the old key become retirable
in ``/v1/keys`` - with the HTTP metrics to show for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from sealer_controller import key_lifecycle

from sealer.cli.main import run
from sealer.crypto import rsa_keys
from sealer.errors import ExitCode
from sealer.formats import manifests
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.seal import seal_secret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing
from tests.support.cli_env import isolate_cli_env
from tests.support.controller_harness import KEY_NAMESPACE, RunningOperator, synced, wait_for
from tests.support.kube_emulator import SECRETS, KubeEmulator

GVP = ("bitnami.com", "v1alpha1")
NS = "cli-loop"
VALUE = "loop-value-5e9f-not-for-logs"
SECRET_YAML = (
    f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: {NS}\nstringData:\n  token: {VALUE}\n"
).encode()


@pytest.fixture(scope="module")
def emu() -> Iterator[KubeEmulator]:
    logging.getLogger("kopf").setLevel(logging.WARNING)
    with KubeEmulator() as running:
        yield running


@pytest.fixture(scope="module")
def op(emu: KubeEmulator) -> Iterator[RunningOperator]:
    running = RunningOperator(emu, key_size=2048).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli_env(monkeypatch, tmp_path)


def sealer(capsysbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, bytes, str]:
    capsysbinary.readouterr()
    code = run(["seal", *argv])
    out, err = capsysbinary.readouterr()
    assert VALUE.encode() not in out and VALUE.encode() not in err
    return code, out, err.decode()


def keys_report(op: RunningOperator) -> dict[str, Any]:
    with urllib.request.urlopen(op.controller.http_url + "/v1/keys", timeout=10) as response:
        return dict(json.loads(response.read()))


def secret_value(emu: KubeEmulator) -> str | None:
    secret = emu.get(SECRETS, NS, "app")
    if secret is None or "token" not in (secret.get("data") or {}):
        return None
    return base64.b64decode(secret["data"]["token"]).decode()


def test_seal_apply_validate_rotate_retire(
    emu: KubeEmulator, op: RunningOperator, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    url = op.controller.http_url
    custom = client.CustomObjectsApi(emu.api_client())
    core = client.CoreV1Api(emu.api_client())

    code, pem, err = sealer(capsysbinary, "--fetch-cert", "--controller-url", url)
    assert code == 0, err
    assert pem == op.cert_pem()
    first_fp = rsa_keys.public_key_fingerprint(rsa_keys.load_certificates_pem(pem)[0].public_key())  # type: ignore[arg-type]
    (tmp_path / "cert.pem").write_bytes(pem)
    (tmp_path / "secret.yaml").write_bytes(SECRET_YAML)
    sealed_path = tmp_path / "sealed.json"
    code, _, err = sealer(
        capsysbinary, "--cert", str(tmp_path / "cert.pem"), "-f", str(tmp_path / "secret.yaml"), "-w", str(sealed_path)
    )
    assert code == 0, err
    custom.create_namespaced_custom_object(*GVP, NS, "sealedsecrets", json.loads(sealed_path.read_bytes()))
    assert wait_for(lambda: secret_value(emu), what="the Secret") == VALUE
    assert sealer(capsysbinary, "--validate", "--controller-url", url, "-f", str(sealed_path))[0] == 0

    # A copy renamed by hand (strict scope binds the name) does not validate: a clear failure, exit 4.
    other = seal_secret(manifests.load_documents(SECRET_YAML)[0], rsa_keys.load_certificates_pem(pem)[0])
    other["metadata"]["name"] = "renamed"
    (tmp_path / "other.json").write_bytes(manifests.dump_json(other))
    code, _, err = sealer(capsysbinary, "--validate", "--controller-url", url, "-f", str(tmp_path / "other.json"))
    assert code == ExitCode.DECRYPTION and f"cannot decrypt SealedSecret {NS}/renamed" in err, err

    report = {k["fingerprint"]: k for k in keys_report(op)["keys"]}
    assert report[first_fp]["usedBy"] == [f"{NS}/app"] and report[first_fp]["sealing"]

    # A newer key arrives (imported or renewed); it seals from now on, without a restart.
    newer = key_lifecycle.generate_sealing_key(now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2), bits=2048)
    core.create_namespaced_secret(KEY_NAMESPACE, key_lifecycle.new_key_secret(newer, namespace=KEY_NAMESPACE))
    wait_for(lambda: op.cert_pem() != pem, what="the newer key to seal")

    # Re-encrypt the file in place with the CLI, apply it, and the old key is no longer needed for it.
    code, _, err = sealer(capsysbinary, "--re-encrypt", "--controller-url", url, "-f", str(sealed_path))
    assert code == 0, err
    rotated = manifests.load_documents(sealed_path.read_bytes())[0]
    opened = decrypt_values(SealedSecret.from_dict(rotated), KeyRing.of([newer]))
    assert opened.values == {"token": VALUE.encode()}
    custom.patch_namespaced_custom_object(
        *GVP, NS, "sealedsecrets", "app", {"spec": {"encryptedData": rotated["spec"]["encryptedData"]}}
    )

    def retired() -> dict[str, Any] | None:
        keys = {k["fingerprint"]: k for k in keys_report(op)["keys"]}
        old, new = keys[first_fp], keys.get(newer.fingerprint)
        if new and new["usedBy"] == [f"{NS}/app"] and old["usedBy"] == []:
            return dict(old)
        return None

    old = wait_for(retired, what="the old key to be unused")
    assert old["retirable"] and not old["sealing"]
    assert secret_value(emu) == VALUE
    assert (synced(emu, NS, "app") or {}).get("status") == "True"

    # What Prometheus would have seen.
    assert op.metric('sealed_secrets_controller_http_requests_total{code="200",method="post",path="/v1/verify"}') == 1
    assert op.metric('sealed_secrets_controller_http_requests_total{code="409",method="post",path="/v1/verify"}') == 1
    assert op.metric('sealed_secrets_controller_http_requests_total{code="200",method="post",path="/v1/rotate"}') == 1
    assert op.metric("sealer_keys") == 2
