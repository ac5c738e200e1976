"""The HTTP API with a real provider: real certificates, real ciphertexts, A's unseal and reencrypt.

Everything goes over a socket on 127.0.0.1, as kubeseal's requests would
(minus the API server's service proxy in between).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sealer_controller import http_api

from sealer.crypto import rsa_keys
from sealer.errors import DecryptionError
from sealer.formats import manifests
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.seal import seal_secret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing, SealingKey

from .provider import LibraryEndpoints

SECRET_VALUE = "correct-horse-battery-staple-7f3a"
OTHER_VALUE = "s3cr3t-user-name-91b2"


def plain_secret(name: str = "db", namespace: str = "shop") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "db"}},
        "type": "Opaque",
        "stringData": {"password": SECRET_VALUE, "user": OTHER_VALUE},
    }


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def forbidden_fragments() -> list[bytes]:
    out = []
    for value in (SECRET_VALUE, OTHER_VALUE):
        raw = value.encode()
        out += [raw, base64.b64encode(raw), base64.b64encode(raw)[:12]]
    return out


class Api:
    def __init__(self, url: str, session: aiohttp.ClientSession, provider: LibraryEndpoints) -> None:
        self.url, self.session, self.provider = url, session, provider
        self.seen: list[bytes] = []  # every response, headers and body, for the leak check

    async def call(self, method: str, path: str, data: bytes | None = None) -> tuple[int, bytes, str]:
        async with self.session.request(method, self.url + path, data=data) as resp:
            payload = await resp.read()
            self.seen.append(repr(dict(resp.headers)).encode() + b"\n" + payload)
            return resp.status, payload, resp.headers.get("Content-Type", "")

    async def cert(self) -> Any:
        status, pem, ctype = await self.call("GET", "/v1/cert.pem")
        assert status == 200 and ctype == "application/x-pem-file"
        return rsa_keys.load_certificates_pem(pem)[0]


@pytest_asyncio.fixture
async def api(old_key: SealingKey, new_key: SealingKey) -> AsyncIterator[Api]:
    provider = LibraryEndpoints(KeyRing.of([old_key, new_key]))
    # The limit is tested on its own with a fake clock; here it must not get in the way.
    app = http_api.create_app(provider, verify_rate=1000, verify_burst=1000)
    runner = await http_api.start_http_server(app, "127.0.0.1:0")
    try:
        async with aiohttp.ClientSession() as session:
            client = Api(http_api.bound_url(runner), session, provider)
            yield client
            for response in client.seen:
                for fragment in forbidden_fragments():
                    assert fragment not in response, "a response carried secret material"
    finally:
        await runner.cleanup()


def tamper(doc: dict[str, Any], item: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(doc))
    raw = bytearray(base64.b64decode(out["spec"]["encryptedData"][item]))
    raw[-5] ^= 0x01  # inside the AES-GCM payload: the RSA unwrap works, the tag does not
    out["spec"]["encryptedData"][item] = base64.b64encode(bytes(raw)).decode()
    return out


@pytest.mark.asyncio
async def test_cert_is_the_newest_keys(api: Api, new_key: SealingKey) -> None:
    cert = await api.cert()
    assert rsa_keys.public_key_fingerprint(cert.public_key()) == new_key.fingerprint


@pytest.mark.asyncio
async def test_verify_good_tampered_foreign_and_renamed(api: Api, stranger_key: SealingKey) -> None:
    cert = await api.cert()
    sealed = seal_secret(plain_secret(), cert)
    assert (await api.call("POST", "/v1/verify", body(sealed)))[0] == 200
    # YAML is accepted too (kubeseal sends JSON, people send files).
    assert (await api.call("POST", "/v1/verify", manifests.dump_yaml(sealed)))[0] == 200

    status, text, _ = await api.call("POST", "/v1/verify", body(tamper(sealed, "password")))
    assert status == 409 and b"shop/db" in text

    assert stranger_key.certificate is not None
    foreign = seal_secret(plain_secret(), stranger_key.certificate)
    status, text, _ = await api.call("POST", "/v1/verify", body(foreign))
    assert status == 409 and b"no key could decrypt" in text

    renamed = json.loads(json.dumps(sealed))
    renamed["metadata"]["name"] = "db-copy"
    status, text, _ = await api.call("POST", "/v1/verify", body(renamed))
    assert status == 409 and b"sealed for strict scope for shop/db" in text


@pytest.mark.asyncio
async def test_malformed_bodies_are_400(api: Api) -> None:
    cert = await api.cert()
    sealed = seal_secret(plain_secret(), cert)
    cases = {
        "not yaml": b"{{{: [",
        "not a SealedSecret": body(plain_secret()),
        "two documents": manifests.dump_yaml(sealed) + manifests.dump_yaml(sealed),
        "bad base64": body({**sealed, "spec": {**sealed["spec"], "encryptedData": {"password": "!!"}}}),
        "not utf-8": b"\xff\xfe\x00garbage",
    }
    for what, payload in cases.items():
        for path in ("/v1/verify", "/v1/rotate"):
            status, text, ctype = await api.call("POST", path, payload)
            assert status == 400, (what, path, text)
            assert ctype.startswith("text/plain") and text.endswith(b"\n")


@pytest.mark.asyncio
async def test_rotate_reseals_with_the_newest_key(api: Api, old_key: SealingKey, new_key: SealingKey) -> None:
    assert old_key.certificate is not None
    sealed_old = seal_secret(plain_secret(), old_key.certificate)
    sealed_old["spec"]["template"]["data"] = {"dsn": "postgres://{{ .user }}:{{ .password }}@db"}
    status, payload, ctype = await api.call("POST", "/v1/rotate", body(sealed_old))
    assert status == 200 and ctype.startswith("application/json")
    rotated = json.loads(payload)
    assert rotated["metadata"] == sealed_old["metadata"]
    assert rotated["spec"]["template"] == sealed_old["spec"]["template"]
    assert rotated["spec"]["encryptedData"].keys() == sealed_old["spec"]["encryptedData"].keys()
    assert rotated["spec"]["encryptedData"] != sealed_old["spec"]["encryptedData"]
    # Only the newest key opens it now, and it still decrypts to the same Secret.
    only_new = KeyRing.of([new_key])
    opened = decrypt_values(SealedSecret.from_dict(rotated), only_new)
    assert opened.values == {"password": SECRET_VALUE.encode(), "user": OTHER_VALUE.encode()}
    assert opened.fingerprints == {new_key.fingerprint}
    with pytest.raises(DecryptionError):
        decrypt_values(SealedSecret.from_dict(rotated), KeyRing.of([old_key]), diagnose=False)
    # Rotating something no key opens is a 409, and says nothing about the values.
    status, text, _ = await api.call("POST", "/v1/rotate", body(tamper(sealed_old, "user")))
    assert status == 409 and b"shop/db" in text


@pytest.mark.asyncio
async def test_keys_report_says_which_key_unseals_what(
    api: Api, old_key: SealingKey, new_key: SealingKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert old_key.certificate is not None
    await api.call("POST", "/v1/verify", body(seal_secret(plain_secret("legacy", "ops"), old_key.certificate)))
    await api.call("POST", "/v1/verify", body(seal_secret(plain_secret("fresh", "ops"), await api.cert())))
    status, payload, _ = await api.call("GET", "/v1/keys")
    assert status == 200
    report = {k["fingerprint"]: k for k in json.loads(payload)["keys"]}
    assert report[old_key.fingerprint]["sealedSecrets"] == ["ops/legacy"]
    assert report[new_key.fingerprint] == {
        "fingerprint": new_key.fingerprint,
        "newest": True,
        "sealedSecrets": ["ops/fresh"],
    }
    assert (await api.call("GET", "/healthz"))[:2] == (200, b"ok\n")
    for fragment in forbidden_fragments():
        assert fragment.decode() not in caplog.text
