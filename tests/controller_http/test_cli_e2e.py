"""The real ``sealer seal`` CLI against our HTTP API served with a library-backed provider.

``--controller-url`` talks to the server directly (as through a port-forward);
without it the CLI goes, as kubeseal does, through the API server's service
proxy, here a stand-in that forwards over HTTP as the real one does
(:mod:`.apiserver_proxy`).
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sealer_controller import http_api
from sealer_controller.rate_limit import GcraLimiter

from sealer.cli.main import run
from sealer.crypto import rsa_keys
from sealer.errors import ExitCode
from sealer.formats import manifests
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.seal import seal_secret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing, SealingKey
from tests.support.cli_env import isolate_cli_env, write_token_kubeconfig
from tests.support.ports import free_port

from .apiserver_proxy import TOKEN, make_apiserver
from .fakes import FakeClock
from .live_server import LiveServer
from .provider import LibraryEndpoints

PASSWORD = "pa55-for-the-e2e-7c1d"
SECRET_YAML = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n"
    f"type: Opaque\nstringData:\n  password: {PASSWORD}\n"
).encode()


@dataclass
class Result:
    code: int
    out: bytes
    err: str


@dataclass
class Controller:
    url: str
    clock: FakeClock
    provider: LibraryEndpoints


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_cli_env(monkeypatch, tmp_path)


@pytest.fixture
def controller(old_key: SealingKey, new_key: SealingKey) -> Iterator[Controller]:
    clock = FakeClock()
    provider = LibraryEndpoints(KeyRing.of([old_key, new_key]))
    limiter = GcraLimiter(2, 2, clock_ns=clock)
    with LiveServer(lambda: http_api.create_app(provider, limiter=limiter)) as server:
        yield Controller(server.url, clock, provider)


@pytest.fixture
def sealer(capsysbinary: pytest.CaptureFixture[bytes]) -> Any:
    def invoke(*argv: str) -> Result:
        capsysbinary.readouterr()
        code = run(["seal", *argv])
        captured = capsysbinary.readouterr()
        result = Result(code, captured.out, captured.err.decode())
        assert PASSWORD not in result.err and PASSWORD.encode() not in result.out
        assert "Traceback" not in result.err
        return result

    return invoke


def write(path: Path, doc: Any) -> Path:
    path.write_bytes(manifests.dump_json(doc))
    return path


def test_fetch_cert_seal_and_validate(sealer: Any, controller: Controller, new_key: SealingKey, tmp_path: Path) -> None:
    fetched = sealer("--fetch-cert", "--controller-url", controller.url)
    assert fetched.code == 0, fetched.err
    assert new_key.certificate is not None
    assert fetched.out == rsa_keys.certificate_to_pem(new_key.certificate)
    cert = tmp_path / "cert.pem"
    cert.write_bytes(fetched.out)
    (tmp_path / "secret.yaml").write_bytes(SECRET_YAML)
    sealed = sealer("--cert", str(cert), "-f", str(tmp_path / "secret.yaml"), "-w", str(tmp_path / "sealed.json"))
    assert sealed.code == 0, sealed.err
    ok = sealer("--validate", "--controller-url", controller.url, "-f", str(tmp_path / "sealed.json"))
    assert (ok.code, ok.out) == (0, b""), ok.err
    # The controller really decrypted it: the key report names the newest key for shop/db.
    assert controller.provider.unsealed_by == {new_key.fingerprint: {"shop/db"}}


def test_validate_rejects_tampered_foreign_and_renamed(
    sealer: Any, controller: Controller, new_key: SealingKey, stranger_key: SealingKey, tmp_path: Path
) -> None:
    assert new_key.certificate is not None and stranger_key.certificate is not None
    good = seal_secret(manifests.load_documents(SECRET_YAML)[0], new_key.certificate)
    tampered = json.loads(json.dumps(good))
    raw = bytearray(base64.b64decode(tampered["spec"]["encryptedData"]["password"]))
    raw[-3] ^= 0x40
    tampered["spec"]["encryptedData"]["password"] = base64.b64encode(bytes(raw)).decode()
    renamed = json.loads(json.dumps(good))
    renamed["metadata"]["name"] = "db2"
    foreign = seal_secret(manifests.load_documents(SECRET_YAML)[0], stranger_key.certificate)
    reasons: list[str] = []
    for what, doc in {"tampered": tampered, "renamed": renamed, "foreign": foreign}.items():
        controller.clock.advance(10)  # stay under the verify rate limit
        res = sealer("--validate", "--controller-url", controller.url, "-f", str(write(tmp_path / f"{what}.json", doc)))
        assert res.code == ExitCode.DECRYPTION, (what, res.err)
        name = "db2" if what == "renamed" else "db"
        assert res.err.startswith(f"error: the controller cannot decrypt SealedSecret shop/{name}: "), res.err
        reasons.append(res.err)
    # The controller's own reason is passed on: the renamed one was sealed for shop/db.
    assert "sealed for strict scope for shop/db" in reasons[1], reasons[1]
    assert "tampered" not in reasons[1] and all(len(r.splitlines()) == 1 for r in reasons)
    assert controller.provider.unsealed_by == {}


def test_validate_and_re_encrypt_of_what_the_controller_rejects_is_an_input_error(
    sealer: Any, controller: Controller, new_key: SealingKey, tmp_path: Path
) -> None:
    """Our controller answers 400 with its reason for a SealedSecret it cannot even read: exit 3, not 7."""
    assert new_key.certificate is not None
    doc = seal_secret(manifests.load_documents(SECRET_YAML)[0], new_key.certificate)
    del doc["metadata"]["namespace"]  # strict scope needs one: the controller cannot make its label
    path = write(tmp_path / "no-ns.json", doc)
    before = path.read_bytes()
    for flag in ("--validate", "--re-encrypt"):
        res = sealer(flag, "--controller-url", controller.url, "-f", str(path))
        assert res.code == ExitCode.INPUT, (flag, res.code, res.err)
        assert "rejected SealedSecret <no namespace>/db (HTTP 400): " in res.err, res.err
        assert "namespace" in res.err.split("HTTP 400")[1] and res.err.count("<no namespace>/db") == 1, res.err
        assert len(res.err.splitlines()) == 1
    assert path.read_bytes() == before


def test_validate_over_the_rate_limit_fails_clearly(
    sealer: Any, controller: Controller, new_key: SealingKey, tmp_path: Path
) -> None:
    assert new_key.certificate is not None
    path = write(tmp_path / "s.json", seal_secret(manifests.load_documents(SECRET_YAML)[0], new_key.certificate))
    codes = [sealer("--validate", "--controller-url", controller.url, "-f", str(path)) for _ in range(4)]
    assert [c.code for c in codes] == [0, 0, 0, ExitCode.NETWORK]
    assert "HTTP 429" in codes[3].err
    controller.clock.advance(0.5)
    assert sealer("--validate", "--controller-url", controller.url, "-f", str(path)).code == 0


def test_re_encrypt_to_the_newest_key(
    sealer: Any, controller: Controller, old_key: SealingKey, new_key: SealingKey, tmp_path: Path
) -> None:
    assert old_key.certificate is not None
    old = seal_secret(manifests.load_documents(SECRET_YAML)[0], old_key.certificate)
    path = write(tmp_path / "old.json", old)
    res = sealer("--re-encrypt", "--controller-url", controller.url, "-f", str(path), "-w", str(tmp_path / "new.yaml"))
    assert res.code == 0, res.err
    rotated = manifests.load_documents((tmp_path / "new.yaml").read_bytes())[0]
    assert rotated["spec"]["template"] == old["spec"]["template"]
    ss = SealedSecret.from_dict(rotated)
    opened = decrypt_values(ss, KeyRing.of([new_key]))
    assert opened.values == {"password": PASSWORD.encode()} and opened.fingerprints == {new_key.fingerprint}
    # In place, as kubeseal --re-encrypt -f FILE does; the file ends up sealed with the newest key.
    in_place = sealer("--re-encrypt", "--controller-url", controller.url, "-f", str(path))
    assert in_place.code == 0, in_place.err
    again = SealedSecret.from_dict(manifests.load_documents(path.read_bytes())[0])
    assert decrypt_values(again, KeyRing.of([new_key])).fingerprints == {new_key.fingerprint}


def test_re_encrypt_of_what_no_key_opens(
    sealer: Any, controller: Controller, stranger_key: SealingKey, tmp_path: Path
) -> None:
    assert stranger_key.certificate is not None
    path = write(tmp_path / "f.json", seal_secret(manifests.load_documents(SECRET_YAML)[0], stranger_key.certificate))
    before = path.read_bytes()
    res = sealer("--re-encrypt", "--controller-url", controller.url, "-f", str(path))
    assert res.code == ExitCode.DECRYPTION and "cannot decrypt" in res.err, res.err
    assert path.read_bytes() == before  # nothing lost, nothing half-written


def test_unreachable_controller(sealer: Any, tmp_path: Path, new_key: SealingKey) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # a port that was free a moment ago and has no listener
    assert new_key.certificate is not None
    path = write(tmp_path / "s.json", seal_secret(manifests.load_documents(SECRET_YAML)[0], new_key.certificate))
    for argv in (
        ["--fetch-cert"],
        ["--validate", "-f", str(path)],
        ["--re-encrypt", "-f", str(path), "-w", str(tmp_path / "out")],
    ):
        res = sealer(*argv, "--controller-url", url)
        assert res.code == 7 == int(ExitCode.NETWORK), (argv, res.err)
        assert res.err.startswith(f"error: cannot reach controller at {url}"), res.err
        assert len(res.err.strip().splitlines()) == 1 and res.out == b""
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- kubeseal's default route: the service proxy


@pytest.fixture
def via_apiserver(controller: Controller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A kubeconfig pointing at an API-server stand-in that proxies to the controller; yields its URL."""
    app = functools.partial(
        make_apiserver, controller.url, namespace="kube-system", service="sealed-secrets-controller"
    )
    with LiveServer(app) as apiserver:
        kubeconfig = write_token_kubeconfig(tmp_path / "kubeconfig", server=apiserver.url, token=TOKEN,
                                            namespace="shop")
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        yield apiserver.url


def test_default_route_through_the_apiserver_service_proxy(
    sealer: Any, controller: Controller, via_apiserver: str, old_key: SealingKey, new_key: SealingKey, tmp_path: Path
) -> None:
    # No --cert, no --controller-url: kubeseal's defaults (kube-system/sealed-secrets-controller).
    assert new_key.certificate is not None and old_key.certificate is not None
    fetched = sealer("--fetch-cert")
    assert fetched.code == 0, fetched.err
    assert fetched.out == rsa_keys.certificate_to_pem(new_key.certificate)
    (tmp_path / "secret.yaml").write_bytes(SECRET_YAML)
    sealed = sealer("-f", str(tmp_path / "secret.yaml"), "-w", str(tmp_path / "sealed.json"))
    assert sealed.code == 0, sealed.err
    assert sealer("--validate", "-f", str(tmp_path / "sealed.json")).code == 0
    assert controller.provider.unsealed_by == {new_key.fingerprint: {"shop/db"}}
    old = write(tmp_path / "old.json", seal_secret(manifests.load_documents(SECRET_YAML)[0], old_key.certificate))
    rotated = sealer("--re-encrypt", "-f", str(old), "-w", str(tmp_path / "rotated.json"))
    assert rotated.code == 0, rotated.err
    doc = manifests.load_documents((tmp_path / "rotated.json").read_bytes())[0]
    assert decrypt_values(SealedSecret.from_dict(doc), KeyRing.of([new_key])).fingerprints == {new_key.fingerprint}
    foreign = dict(doc, metadata={**doc["metadata"], "name": "elsewhere"})
    bad = sealer("--validate", "-f", str(write(tmp_path / "bad.json", foreign)))
    assert bad.code == ExitCode.DECRYPTION and "shop/elsewhere" in bad.err, bad.err
    missing = sealer("--fetch-cert", "--controller-name", "nope")
    assert missing.code == ExitCode.NETWORK and "not found" in missing.err, missing.err


# ---------------------------------------------------------------- kubectl's connection flags (--server, --token, ...)

LAST_HEADERS: dict[str, str] = {}


@pytest.fixture
def recording_apiserver(controller: Controller) -> Iterator[tuple[str, list[str]]]:
    """The API-server stand-in, recording the Authorization header of every request; yields (url, headers).

    All headers of the latest request are in :data:`LAST_HEADERS`.
    """
    seen: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        seen.append(request.headers.get("Authorization", ""))
        LAST_HEADERS.clear()
        LAST_HEADERS.update(request.headers)
        response: web.StreamResponse = await handler(request)
        return response

    def make() -> web.Application:
        app = make_apiserver(controller.url, namespace="kube-system", service="sealed-secrets-controller")
        app.middlewares.append(record)
        return app

    with LiveServer(make) as apiserver:
        yield apiserver.url, seen


def test_server_and_token_flags_without_any_kubeconfig(
    sealer: Any, controller: Controller, recording_apiserver: tuple[str, list[str]], new_key: SealingKey,
    tmp_path: Path,
) -> None:
    url, seen = recording_apiserver
    assert new_key.certificate is not None
    assert not (tmp_path / "no-kubeconfig").exists()  # KUBECONFIG points nowhere: only the flags say where to go
    fetched = sealer("--fetch-cert", "--server", url, "--token", TOKEN)
    assert fetched.code == 0, fetched.err
    assert fetched.out == rsa_keys.certificate_to_pem(new_key.certificate)
    assert seen and set(seen) == {f"Bearer {TOKEN}"}  # the service lookup and the proxied call both carried it
    (tmp_path / "secret.yaml").write_bytes(SECRET_YAML)
    sealed = sealer("-f", str(tmp_path / "secret.yaml"), "-w", str(tmp_path / "s.json"), f"--server={url}",
                    "--token", TOKEN)
    assert sealed.code == 0, sealed.err
    assert sealer("--validate", "-f", str(tmp_path / "s.json"), "--server", url, "--token", TOKEN).code == 0
    # A wrong token reaches the server (which refuses it) and never the terminal.
    seen.clear()
    wrong = sealer("--fetch-cert", "--server", url, "--token", "not-the-token-31f")
    assert wrong.code == ExitCode.NETWORK and "HTTP 401" in wrong.err, wrong.err
    assert "not-the-token-31f" not in wrong.err and seen == ["Bearer not-the-token-31f"]
    # Without --server there is nothing to talk to: a clean network error naming the way out.
    none = sealer("--fetch-cert", "--token", TOKEN)
    assert none.code == ExitCode.NETWORK and "--server" in none.err, none.err


def test_flags_override_the_kubeconfig(
    sealer: Any, controller: Controller, recording_apiserver: tuple[str, list[str]], new_key: SealingKey,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--token over the user's, --server over the cluster's, --cluster/--user pick entries; env vars as kubeseal."""
    url, seen = recording_apiserver
    dead = f"http://127.0.0.1:{free_port()}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "stale",
        "clusters": [{"name": "gone", "cluster": {"server": dead}}, {"name": "live", "cluster": {"server": url}}],
        "users": [{"name": "old", "user": {"token": "expired-token-77"}}, {"name": "ci", "user": {"token": TOKEN}}],
        "contexts": [{"name": "stale", "context": {"cluster": "gone", "user": "old", "namespace": "shop"}}],
    }))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    stale = sealer("--fetch-cert")
    assert stale.code == ExitCode.NETWORK, stale.err
    assert seen == []
    for argv in (
        ["--server", url, "--token", TOKEN],
        ["--cluster", "live", "--user", "ci"],
        ["--cluster", "live", "--token", TOKEN],
    ):
        seen.clear()
        res = sealer("--fetch-cert", *argv)
        assert res.code == 0, (argv, res.err)
        assert set(seen) == {f"Bearer {TOKEN}"}, (argv, seen)
    only_server = sealer("--fetch-cert", "--server", url)  # the context's user (an expired token) still applies
    assert only_server.code == ExitCode.NETWORK and "HTTP 401" in only_server.err
    unknown = sealer("--fetch-cert", "--user", "nobody")
    assert unknown.code == ExitCode.USAGE and "no user named 'nobody'" in unknown.err, unknown.err
    monkeypatch.setenv("SEALED_SECRETS_CLUSTER", "live")
    monkeypatch.setenv("SEALED_SECRETS_TOKEN", TOKEN)
    assert sealer("--fetch-cert").code == 0


def test_impersonation_and_basic_auth_headers(
    sealer: Any, controller: Controller, recording_apiserver: tuple[str, list[str]]
) -> None:
    url, seen = recording_apiserver
    res = sealer("--fetch-cert", "--server", url, "--token", TOKEN, "--as", "jane", "--as-group", "devs",
                 "--as-uid", "u-1")
    assert res.code == 0, res.err
    assert (LAST_HEADERS.get("Impersonate-User"), LAST_HEADERS.get("Impersonate-Group"),
            LAST_HEADERS.get("Impersonate-Uid")) == ("jane", "devs", "u-1")
    two = sealer("--fetch-cert", "--server", url, "--as", "jane", "--as-group", "a", "--as-group", "b")
    assert two.code == ExitCode.USAGE and "--as-group" in two.err
    seen.clear()
    basic = sealer("--fetch-cert", "--server", url, "--username", "ops", "--password", "pw-basic-9")
    assert basic.code == ExitCode.NETWORK and "HTTP 401" in basic.err  # the stand-in takes tokens only
    assert seen == ["Basic " + base64.b64encode(b"ops:pw-basic-9").decode()]
    assert "pw-basic-9" not in basic.err
