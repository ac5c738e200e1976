"""--fetch-cert, --validate, --re-encrypt and --cert URL against a loopback controller, direct and via API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealer.crypto import rsa_keys
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing, SealingKey
from tests.support.cli_env import write_token_kubeconfig

from .conftest import CLI
from .fake_controller import FakeController, serve

SECRET = b"apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: prod}\nstringData: {password: pw-123}\n"


@pytest.fixture
def controller(key2048: SealingKey) -> Iterator[FakeController]:
    with serve(FakeController(KeyRing.of([key2048]))) as fake:
        yield fake


@pytest.fixture
def api_server(key2048: SealingKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeController]:
    with serve(FakeController(KeyRing.of([key2048]), api_server=True)) as fake:
        kubeconfig = write_token_kubeconfig(tmp_path / "kubeconfig", server=fake.url, token=fake.token,
                                            namespace="prod")
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        yield fake


def test_fetch_cert_direct_and_seal_with_cert_url(sealer_cli: CLI, controller: FakeController,
                                                  key2048: SealingKey) -> None:
    assert key2048.certificate is not None
    res = sealer_cli("seal", "--fetch-cert", "--controller-url", controller.url)
    assert res.code == 0, res.err
    assert res.out == rsa_keys.certificate_to_pem(key2048.certificate)
    sealed = sealer_cli("seal", "--cert", f"{controller.url}/v1/cert.pem", stdin=SECRET)
    assert sealed.code == 0, sealed.err
    values = decrypt_values(SealedSecret.from_dict(json.loads(sealed.out)), KeyRing.of([key2048])).values
    assert values == {"password": b"pw-123"}
    missing = sealer_cli("seal", "--cert", f"{controller.url}/nope.pem", stdin=SECRET)
    missing.assert_clean_failure(7)
    assert "HTTP 404" in missing.err


def test_seal_via_api_server_service_proxy(sealer_cli: CLI, api_server: FakeController, key2048: SealingKey) -> None:
    res = sealer_cli("seal", stdin=SECRET.replace(b", namespace: prod", b""))  # namespace from the context
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert doc["metadata"]["namespace"] == "prod"
    assert decrypt_values(SealedSecret.from_dict(doc), KeyRing.of([key2048])).values == {"password": b"pw-123"}
    assert ("GET", "/api/v1/namespaces/kube-system/services/sealed-secrets-controller") in api_server.requests
    proxy = "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem"
    assert ("GET", proxy) in api_server.requests


def test_wrong_controller_name_says_which_flags(sealer_cli: CLI, api_server: FakeController) -> None:
    res = sealer_cli("seal", "--controller-name", "sealed-secrets", stdin=SECRET)
    res.assert_clean_failure(7)
    assert "kube-system/sealed-secrets not found" in res.err and "--controller-name" in res.err


@pytest.mark.parametrize("via", ["direct", "api"])
def test_validate(sealer_cli: CLI, key2048: SealingKey, second_key: SealingKey, cert_file: Path,
                  request: pytest.FixtureRequest, via: str) -> None:
    fake: FakeController = request.getfixturevalue("controller" if via == "direct" else "api_server")
    args = ["--controller-url", fake.url] if via == "direct" else []
    sealed = sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET).out
    ok = sealer_cli("seal", "--validate", *args, stdin=sealed)
    assert ok.code == 0 and ok.out == b"", ok.err
    other_cert = rsa_keys.certificate_to_pem(second_key.certificate)  # type: ignore[arg-type]
    cert2 = cert_file.with_name("other.pem")
    cert2.write_bytes(other_cert)
    foreign_sealed = sealer_cli("seal", "--cert", str(cert2), stdin=SECRET).out
    bad = sealer_cli("seal", "--validate", *args, stdin=foreign_sealed)
    bad.assert_clean_failure(4, secrets=("pw-123",))
    assert "prod/app" in bad.err


@pytest.mark.parametrize("via", ["direct", "api"])
def test_re_encrypt_in_place(sealer_cli: CLI, key2048: SealingKey, second_key: SealingKey, cert_file: Path,
                             tmp_path: Path, request: pytest.FixtureRequest, via: str) -> None:
    fake: FakeController = request.getfixturevalue("controller" if via == "direct" else "api_server")
    args = ["--controller-url", fake.url] if via == "direct" else []
    path = tmp_path / "app.yaml"
    assert sealer_cli("seal", "--cert", str(cert_file), "-w", str(path), stdin=SECRET).code == 0
    fake.ring.add(second_key)  # the controller renewed its key
    res = sealer_cli("seal", "--re-encrypt", *args, "-f", str(path))
    assert res.code == 0, res.err
    from ruamel.yaml import YAML

    text = path.read_bytes()
    assert text.startswith(b"---\n")  # the file's extension kept it YAML
    doc = YAML(typ="safe").load(text)
    assert doc["metadata"]["creationTimestamp"] is None
    got = decrypt_values(SealedSecret.from_dict(doc), KeyRing.of([second_key]))
    assert got.values == {"password": b"pw-123"} and got.fingerprints == {second_key.fingerprint}
    # A SealedSecret the controller cannot open: the file stays as it was.
    before = path.read_bytes()
    fake.ring.remove(second_key.fingerprint)
    fake.ring.remove(key2048.fingerprint)
    unrelated = rsa_keys.generate_private_key(2048)
    fake.ring.add(SealingKey(unrelated, rsa_keys.self_signed_certificate(unrelated), name="unrelated"))
    failed = sealer_cli("seal", "--re-encrypt", *args, "-f", str(path))
    failed.assert_clean_failure(7)
    assert path.read_bytes() == before


def test_validate_unreachable(sealer_cli: CLI, unused_port: int, cert_file: Path) -> None:
    sealed = sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET).out
    sealer_cli("seal", "--validate", "--controller-url", f"http://127.0.0.1:{unused_port}",
               stdin=sealed).assert_clean_failure(7)


def _tls_files(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A CA and a server certificate for 127.0.0.1, as a real API server has."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apiserver")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "server.crt", tmp_path / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    # And a client certificate from the same CA (client.crt, client.key), for --client-certificate.
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ci")]))
              .issuer_name(ca_name).public_key(client_key.public_key()).serial_number(3)
              .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
              .sign(ca_key, hashes.SHA256()))
    (tmp_path / "client.crt").write_bytes(client.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "client.key").write_bytes(client_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path, ca.public_bytes(serialization.Encoding.PEM)


def test_fetch_cert_through_an_https_api_server_with_its_ca(
    sealer_cli: CLI, key2048: SealingKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import ssl

    cert_path, key_path, ca_pem = _tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    with serve(FakeController(KeyRing.of([key2048]), api_server=True), tls=context) as fake:
        def kubeconfig(ca: bytes, name: str) -> str:
            return str(write_token_kubeconfig(tmp_path / name, server=fake.url, token=fake.token,
                                              certificate_authority_data=base64.b64encode(ca).decode()))

        res = sealer_cli("seal", "--fetch-cert", "--kubeconfig", kubeconfig(ca_pem, "good"))
        assert res.code == 0, res.err
        assert res.out == rsa_keys.certificate_to_pem(key2048.certificate)  # type: ignore[arg-type]
        # Another CA: the server is not trusted, and that is a network error, not a traceback.
        (tmp_path / "other").mkdir()
        _, _, other_ca = _tls_files(tmp_path / "other")
        untrusted = sealer_cli("seal", "--fetch-cert", "--kubeconfig", kubeconfig(other_ca, "untrusted"))
        untrusted.assert_clean_failure(7)


def test_tls_connection_flags(
    sealer_cli: CLI, key2048: SealingKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--certificate-authority / --insecure-skip-tls-verify / --client-certificate / --client-key, as kubectl's."""
    import ssl

    cert_path, key_path, ca_pem = _tls_files(tmp_path)
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.load_verify_locations(cadata=ca_pem.decode())
    context.verify_mode = ssl.CERT_REQUIRED  # this API server wants a client certificate from its CA
    with serve(FakeController(KeyRing.of([key2048]), api_server=True), tls=context) as fake:
        # no CA in the kubeconfig: the system's CAs do not know this server
        kubeconfig = write_token_kubeconfig(tmp_path / "kubeconfig", server=fake.url, token=fake.token)
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        monkeypatch.chdir(tmp_path)  # flag paths are relative to the working directory
        client = ["--client-certificate", "client.crt", "--client-key", "client.key"]
        expected = rsa_keys.certificate_to_pem(key2048.certificate)  # type: ignore[arg-type]
        sealer_cli("seal", "--fetch-cert", *client).assert_clean_failure(7)  # untrusted server
        no_client_cert = sealer_cli("seal", "--fetch-cert", "--certificate-authority", "ca.crt")
        no_client_cert.assert_clean_failure(7)
        for trust in (["--certificate-authority", "ca.crt"], ["--insecure-skip-tls-verify"]):
            res = sealer_cli("seal", "--fetch-cert", *trust, *client)
            assert (res.code, res.out) == (0, expected), (trust, res.err)
        both = sealer_cli("seal", "--fetch-cert", "--certificate-authority", "ca.crt", "--insecure-skip-tls-verify")
        both.assert_clean_failure(2)
        assert "cannot both be given" in both.err
        assert fake.requests and all(path.startswith("/api/v1/namespaces/kube-system/") for _, path in fake.requests)


NASTY_REASON = "SealedSecret prod/app: sealed for \x1b[31mstrict\x1b[0m scope\r\nfor prod/other\u202e" + "x" * 2000


@pytest.mark.parametrize("via", ["direct", "api"])
@pytest.mark.parametrize(
    ("status", "code", "starts"),
    [
        (400, 3, "the controller at {url} rejected SealedSecret prod/app (HTTP 400): "),
        (409, 4, "the controller cannot decrypt SealedSecret prod/app: "),
        (429, 7, "cannot {action} SealedSecret prod/app with the controller at {url}: HTTP 429: "),
        (500, 7, "cannot {action} SealedSecret prod/app with the controller at {url}: HTTP 500: "),
        (503, 7, "cannot {action} SealedSecret prod/app with the controller at {url}: HTTP 503: "),
    ],
)
def test_controller_error_bodies_are_quoted_safely(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, request: pytest.FixtureRequest,
    via: str, status: int, code: int, starts: str,
) -> None:
    """The controller's reason reaches the user: one line, control/bidi characters dropped, bounded; the
    status picks the exit code (400 input, 409 decryption, the rest network)."""
    fake: FakeController = request.getfixturevalue("controller" if via == "direct" else "api_server")
    args = ["--controller-url", fake.url] if via == "direct" else []
    path = tmp_path / "app.json"
    assert sealer_cli("seal", "--cert", str(cert_file), "-w", str(path), stdin=SECRET).code == 0
    before = path.read_bytes()
    fake.answer = (status, NASTY_REASON.encode())
    for action, flag in (("validate", "--validate"), ("re-encrypt", "--re-encrypt")):
        res = sealer_cli("seal", flag, *args, "-f", str(path))
        res.assert_clean_failure(code, secrets=("pw-123",))
        where = fake.url if via == "direct" else ""
        message = res.err.removeprefix("error: ")
        if via == "direct":
            assert message.startswith(starts.format(url=where, action=action)), res.err
        else:
            assert f"HTTP {status}" in message or status == 409, res.err
        # Said once, without the repeated "SealedSecret prod/app: " prefix of our controller's bodies.
        assert "sealed for [31mstrict[0m scope for prod/other" in message, res.err
        assert message.count("prod/app") == 1, res.err
        assert not any(ord(c) < 0x20 or c in "\x7f\u202e" for c in res.err.rstrip("\n")), repr(res.err)
        assert "x" * 200 in message and "x" * 400 not in message and "..." in message
        assert path.read_bytes() == before  # nothing written on failure
