"""`sealer seal` through sealer.cli.main.run, in-process: behaviours and every bad input of the issue."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from ruamel.yaml import YAML

from sealer.crypto import rsa_keys
from sealer.errors import UsageError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing, SealingKey

from .conftest import CLI

SECRET_YAML = b"""\
apiVersion: v1
kind: Secret
metadata:
  name: app
  namespace: prod
  labels: {tier: backend}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"hunter2-plaintext"}}'
  resourceVersion: "42"
  uid: 0b9d1c1e-0000-0000-0000-000000000000
  creationTimestamp: "2024-01-01T00:00:00Z"
type: Opaque
immutable: true
data:
  apikey: c2stbGl2ZS1BQkNERUY=
stringData:
  password: hunter2-plaintext
"""
PLAINTEXTS = ("hunter2-plaintext", "sk-live-ABCDEF", "c2stbGl2ZS1BQkNERUY=")


def _values(doc: dict, key: SealingKey) -> dict[str, bytes]:
    return decrypt_values(SealedSecret.from_dict(doc), KeyRing.of([key])).values


def test_seal_default_json_and_recovery_round_trip(
    sealer_cli: CLI, cert_file: Path, key_file: Path, key2048: SealingKey
) -> None:
    res = sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET_YAML)
    assert res.code == 0, res.err
    assert res.out.startswith(b"{\n  \"kind\": \"SealedSecret\"") and res.out.endswith(b"}\n")
    doc = json.loads(res.out)
    for value in PLAINTEXTS:
        assert value.encode() not in res.out
    meta = doc["spec"]["template"]["metadata"]
    assert meta["labels"] == {"tier": "backend"}
    assert "annotations" not in meta and "resourceVersion" not in meta and "uid" not in meta
    assert meta["creationTimestamp"] is None
    assert doc["spec"]["template"]["type"] == "Opaque" and doc["spec"]["template"]["immutable"] is True
    assert _values(doc, key2048) == {"apikey": b"sk-live-ABCDEF", "password": b"hunter2-plaintext"}

    back = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(key_file), "-o", "yaml",
                      stdin=res.out)
    assert back.code == 0, back.err
    secret = YAML(typ="safe").load(back.out)
    assert back.out.startswith(b"---\n")
    assert secret["metadata"] == {"name": "app", "namespace": "prod", "labels": {"tier": "backend"}}
    assert base64.b64decode(secret["data"]["password"]) == b"hunter2-plaintext"
    assert secret["immutable"] is True and secret["type"] == "Opaque"


def test_yaml_output_and_w_file(sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey) -> None:
    res = sealer_cli("seal", "--cert", str(cert_file), "-o", "yaml", stdin=SECRET_YAML)
    assert res.out.startswith(b"---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n")
    out = tmp_path / "sealed.yaml"
    res = sealer_cli("seal", "--cert", str(cert_file), "-w", str(out), stdin=SECRET_YAML)  # .yaml -> yaml
    assert res.code == 0 and res.out == b""
    assert out.read_bytes().startswith(b"---\n")
    assert _values(YAML(typ="safe").load(out.read_bytes()), key2048)["password"] == b"hunter2-plaintext"
    as_json = tmp_path / "sealed.json"
    assert sealer_cli("seal", "--cert", str(cert_file), "-w", str(as_json), stdin=SECRET_YAML).code == 0
    json.loads(as_json.read_bytes())


def test_input_file_json_and_multiple_docs(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey
) -> None:
    src = tmp_path / "s.json"
    docs = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": n, "namespace": "ns"}, "stringData": {"k": n}}
        for n in ("one", "two")
    ]
    src.write_text("\n".join(json.dumps(d) for d in docs))
    res = sealer_cli("seal", "--cert", str(cert_file), "-f", str(src), "-oyaml")
    assert res.code == 0, res.err
    out = list(YAML(typ="safe").load_all(res.out))
    assert [d["metadata"]["name"] for d in out] == ["one", "two"]
    assert [_values(d, key2048)["k"] for d in out] == [b"one", b"two"]


@pytest.mark.parametrize(
    ("stdin", "code", "needle"),
    [
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata: {k: v}\n", 3, "not a Secret"),
        (b"apiVersion: v1\nkind: Secret\nstringData:\n  password: hunter2-plaintext\n bad: [\n", 3, "malformed YAML"),
        (b'{"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2-plaintext"', 3, "malformed JSON"),
        (b"apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\ndata: {password: 'hunter2-plaintext!'}\n",
         3, "not valid base64"),
        (b"apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\n", 3, "--allow-empty-data"),
        (b"apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {password: hunter2-plaintext}\n",
         3, "namespace"),
        (b"apiVersion: v1\nkind: Secret\nmetadata: {namespace: b}\nstringData: {password: hunter2-plaintext}\n",
         3, "metadata.name"),
        (b"", 3, "no Secret found"),
    ],
)
def test_bad_secret_inputs(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, stdin: bytes, code: int, needle: str
) -> None:
    out = tmp_path / "out.json"
    res = sealer_cli("seal", "--cert", str(cert_file), "-w", str(out), stdin=stdin)
    res.assert_clean_failure(code, secrets=PLAINTEXTS)
    assert needle in res.err
    assert not out.exists() and list(tmp_path.glob(".out.json*")) == []


def test_failure_keeps_existing_output_file(sealer_cli: CLI, cert_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous")
    sealer_cli("seal", "--cert", str(cert_file), "-w", str(out), stdin=b"kind: Nope\n").assert_clean_failure(3)
    assert out.read_text() == "previous"


def test_allow_empty_data(sealer_cli: CLI, cert_file: Path) -> None:
    res = sealer_cli("seal", "--cert", str(cert_file), "--allow-empty-data",
                     stdin=b"apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: b}\n")
    assert res.code == 0 and json.loads(res.out)["spec"]["encryptedData"] == {}


def test_namespace_from_flag_and_kubeconfig(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key2048: SealingKey
) -> None:
    no_ns = b"apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n"
    res = sealer_cli("seal", "--cert", str(cert_file), "-n", "flagged", stdin=no_ns)
    assert json.loads(res.out)["metadata"]["namespace"] == "flagged"
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
        "contexts:\n- name: dev\n  context: {cluster: c, user: u, namespace: team-a}\n"
        "- name: other\n  context: {cluster: c, user: u}\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    doc = json.loads(sealer_cli("seal", "--cert", str(cert_file), stdin=no_ns).out)
    assert doc["metadata"]["namespace"] == "team-a"
    assert _values(doc, key2048) == {"k": b"v"}
    other = json.loads(sealer_cli("seal", "--cert", str(cert_file), "--context", "other", stdin=no_ns).out)
    assert other["metadata"]["namespace"] == "default"  # kubectl's default for a context without one
    mismatch = sealer_cli("seal", "--cert", str(cert_file), "-n", "elsewhere", stdin=SECRET_YAML)
    mismatch.assert_clean_failure(3, secrets=PLAINTEXTS)
    assert "namespace mismatch" in mismatch.err


def test_scope_flag_and_annotations(sealer_cli: CLI, cert_file: Path, key2048: SealingKey) -> None:
    doc = json.loads(sealer_cli("seal", "--cert", str(cert_file), "--scope", "cluster-wide", stdin=SECRET_YAML).out)
    assert doc["metadata"]["annotations"] == {"sealedsecrets.bitnami.com/cluster-wide": "true"}
    doc["metadata"]["namespace"] = "moved"
    assert _values(doc, key2048)["password"] == b"hunter2-plaintext"
    wide = b"  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: 'true'\n"
    annotated = SECRET_YAML.replace(b"  annotations:\n", wide)
    doc = json.loads(sealer_cli("seal", "--cert", str(cert_file), stdin=annotated).out)
    assert doc["metadata"]["annotations"] == {"sealedsecrets.bitnami.com/namespace-wide": "true"}
    bad = sealer_cli("seal", "--cert", str(cert_file), "--scope", "galaxy", stdin=SECRET_YAML)
    bad.assert_clean_failure(3)
    assert "strict, namespace-wide, cluster-wide" in bad.err


def test_bad_certificates(sealer_cli: CLI, tmp_path: Path, key_file: Path) -> None:
    for content in (b"", b"just text", key_file.read_bytes()):
        path = tmp_path / "c.pem"
        path.write_bytes(content)
        res = sealer_cli("seal", "--cert", str(path), stdin=SECRET_YAML)
        res.assert_clean_failure(6, secrets=PLAINTEXTS)
        assert "c.pem" in res.err
    missing = sealer_cli("seal", "--cert", str(tmp_path / "missing.pem"), stdin=SECRET_YAML)
    missing.assert_clean_failure(6)
    assert "--fetch-cert" in missing.err


@pytest.mark.parametrize("fmt", ["spki", "pkcs1"])
def test_bare_public_key_seals_with_a_note(
    sealer_cli: CLI, tmp_path: Path, key2048: SealingKey, key_file: Path, fmt: str
) -> None:
    """kubeseal refuses a 'BEGIN PUBLIC KEY' file (certutil.ParseCertsPEM); we seal with it and say so."""
    from cryptography.hazmat.primitives import serialization

    encoding = serialization.PublicFormat.SubjectPublicKeyInfo if fmt == "spki" else serialization.PublicFormat.PKCS1
    pem = key2048.private_key.public_key().public_bytes(serialization.Encoding.PEM, encoding)
    path = tmp_path / "pub.pem"
    path.write_bytes(pem)
    res = sealer_cli("seal", "--cert", str(path), stdin=SECRET_YAML)
    assert res.code == 0, res.err
    assert res.err.startswith(f"warning: {path} is a bare public key, not a certificate: sealing with it")
    assert len(res.err.splitlines()) == 1
    assert _values(json.loads(res.out), key2048)["password"] == b"hunter2-plaintext"
    # And the whole way back through the CLI, with the matching private key only.
    sealed = tmp_path / "s.json"
    sealed.write_bytes(res.out)
    back = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(key_file), "-f", str(sealed))
    assert back.code == 0, back.err
    assert base64.b64decode(json.loads(back.out)["data"]["password"]) == b"hunter2-plaintext"


def test_public_key_and_private_key_mistakes(sealer_cli: CLI, tmp_path: Path, key_file: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cases = {
        "ec.pem": (ec_pem, "public key is not RSA"),
        "broken.pem": (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "malformed"),
        "key.pem": (key_file.read_bytes(), "is a private key, not a certificate"),
    }
    for name, (content, says) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        out = tmp_path / "out.json"
        res = sealer_cli("seal", "--cert", str(path), "-w", str(out), stdin=SECRET_YAML)
        res.assert_clean_failure(6, secrets=PLAINTEXTS)
        assert name in res.err and says in res.err, res.err
        assert not out.exists()
    assert "--recovery-private-key" in res.err  # the private key case says where keys do belong


def test_expired_certificate_warns_and_seals(
    sealer_cli: CLI, tmp_path: Path, other_rsa_key: rsa.RSAPrivateKey, key2048: SealingKey
) -> None:
    old = rsa_keys.self_signed_certificate(
        other_rsa_key, not_before=dt.datetime(2015, 1, 1, tzinfo=dt.UTC), validity=dt.timedelta(days=365)
    )
    path = tmp_path / "old.pem"
    path.write_bytes(rsa_keys.certificate_to_pem(old))
    res = sealer_cli("seal", "--cert", str(path), stdin=SECRET_YAML)
    assert res.code == 0
    assert res.err.startswith("warning: the certificate expired on 2016-01-01")
    assert _values(json.loads(res.out), key2048)["password"] == b"hunter2-plaintext"


def test_unreachable_controller(sealer_cli: CLI, tmp_path: Path, unused_port: int) -> None:
    out = tmp_path / "o.json"
    for args in (
        ["--controller-url", f"http://127.0.0.1:{unused_port}"],
        ["--cert", f"http://127.0.0.1:{unused_port}/v1/cert.pem"],
    ):
        res = sealer_cli("seal", *args, "-w", str(out), stdin=SECRET_YAML)
        res.assert_clean_failure(7, secrets=PLAINTEXTS)
        assert "cannot reach" in res.err
        assert not out.exists()
    no_kube = sealer_cli("seal", stdin=SECRET_YAML)  # no --cert: needs a kubeconfig, and there is none
    no_kube.assert_clean_failure(7)
    assert "--cert" in no_kube.err


def test_recovery_failures(
    sealer_cli: CLI, cert_file: Path, other_key_file: Path, key_file: Path, tmp_path: Path
) -> None:
    sealed = sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET_YAML).out
    out = tmp_path / "plain.json"
    wrong = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(other_key_file), "-w", str(out),
                       stdin=sealed)
    wrong.assert_clean_failure(4, secrets=PLAINTEXTS)
    assert "no key could decrypt" in wrong.err and not out.exists()

    doc = json.loads(sealed)
    raw = bytearray(base64.b64decode(doc["spec"]["encryptedData"]["password"]))
    raw[-1] ^= 1
    doc["spec"]["encryptedData"]["password"] = base64.b64encode(bytes(raw)).decode()
    tampered = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(key_file),
                          stdin=json.dumps(doc).encode())
    tampered.assert_clean_failure(4, secrets=PLAINTEXTS)
    assert "tampered" in tampered.err and "'password'" in tampered.err

    moved = json.loads(sealed)
    moved["metadata"]["namespace"] = "attacker"
    mismatch = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(key_file),
                          stdin=json.dumps(moved).encode())
    mismatch.assert_clean_failure(4, secrets=PLAINTEXTS)
    assert "sealed for strict scope for prod/app" in mismatch.err

    no_key = sealer_cli("seal", "--recovery-unseal", stdin=sealed)
    no_key.assert_clean_failure(2)
    not_key = tmp_path / "nokey.pem"
    not_key.write_text("hello")
    sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(not_key),
               stdin=sealed).assert_clean_failure(6)


def test_recovery_with_secret_list_backup_and_comma_list(
    sealer_cli: CLI, cert_file: Path, key_backup: Path, key_file: Path, other_key_file: Path, tmp_path: Path
) -> None:
    sealed = sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET_YAML).out
    out = tmp_path / "plain.yaml"
    res = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(key_backup), "-w", str(out),
                     stdin=sealed)
    assert res.code == 0, res.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # plaintext Secret: private file
    assert base64.b64decode(YAML(typ="safe").load(out.read_bytes())["data"]["password"]) == b"hunter2-plaintext"
    both = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", f"{other_key_file},{key_file}",
                      stdin=sealed)
    assert both.code == 0
    repeated = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(other_key_file),
                          "--recovery-private-key", str(key_file), stdin=sealed)
    assert repeated.code == 0 and repeated.out == both.out


def test_raw(sealer_cli: CLI, cert_file: Path, tmp_path: Path, ring: KeyRing) -> None:
    value = tmp_path / "value.txt"
    value.write_bytes(b"line one\nline two\n")
    res = sealer_cli("seal", "--cert", str(cert_file), "--raw", "--name", "app", "--namespace", "prod",
                     "--from-file", f"password={value}")
    assert res.code == 0, res.err
    assert not res.out.endswith(b"\n")
    assert ring.decrypt(base64.b64decode(res.out), b"prod/app").plaintext == b"line one\nline two\n"
    piped = sealer_cli("seal", "--cert", str(cert_file), "--raw", "--scope", "namespace-wide", "-n", "prod",
                       stdin=b"from-stdin")
    assert ring.decrypt(base64.b64decode(piped.out), b"prod").plaintext == b"from-stdin"
    wide = sealer_cli("seal", "--cert", str(cert_file), "--raw", "--scope", "cluster-wide", stdin=b"x")
    assert ring.decrypt(base64.b64decode(wide.out), b"").plaintext == b"x"
    no_name = sealer_cli("seal", "--cert", str(cert_file), "--raw", "-n", "prod", stdin=b"hunter2-plaintext")
    no_name.assert_clean_failure(3, secrets=PLAINTEXTS)
    assert "--name" in no_name.err
    no_ns = sealer_cli("seal", "--cert", str(cert_file), "--raw", "--name", "a", stdin=b"x")
    no_ns.assert_clean_failure(3)
    assert "namespace" in no_ns.err
    sealer_cli("seal", "--cert", str(cert_file), "--from-file", str(value), stdin=b"").assert_clean_failure(2)


MERGE_TARGET = """\
# Managed in git: do not edit encryptedData by hand.
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: app    # the app's credentials
  namespace: prod
  annotations:
    sealedsecrets.bitnami.com/namespace-wide: "true"
spec:
  encryptedData:
    zeta: {zeta}
    password: {old}  # rotated quarterly
  template:
    metadata:
      labels:
        tier: backend
"""


def test_merge_into_keeps_comments_order_and_scope(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey
) -> None:
    wide = json.loads(sealer_cli("seal", "--cert", str(cert_file), "--scope", "namespace-wide",
                                 stdin=SECRET_YAML.replace(b"stringData:", b"stringData:\n  zeta: z-value")).out)
    enc = wide["spec"]["encryptedData"]
    target = tmp_path / "app-sealed.yaml"
    target.write_text(MERGE_TARGET.format(zeta=enc["zeta"], old=enc["password"]))
    os.chmod(target, 0o640)
    update = b"kind: Secret\nmetadata: {name: ignored}\nstringData:\n  password: new-pass\n  added: fresh\n"
    res = sealer_cli("seal", "--cert", str(cert_file), "--merge-into", str(target), stdin=update)
    assert res.code == 0, res.err
    assert res.out == b""
    text = target.read_text()
    assert text.startswith("# Managed in git: do not edit encryptedData by hand.\napiVersion:")
    assert "name: app    # the app's credentials" in text
    assert "  # rotated quarterly" in text
    lines = re.findall(r"(?m)^    (\w+): A[gQ]", text)
    assert lines == ["zeta", "password", "added"]
    assert f"zeta: {enc['zeta']}" in text  # untouched item: byte for byte
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    doc = YAML(typ="safe").load(text)
    # The Secret had no scope annotation: the existing SealedSecret's namespace-wide scope is kept.
    assert _values(doc, key2048) == {"zeta": b"z-value", "password": b"new-pass", "added": b"fresh"}

    before = target.read_bytes()
    bad_secret = b"kind: Secret\ndata: {a: '%'}\n"
    bad = sealer_cli("seal", "--cert", str(cert_file), "--merge-into", str(target), stdin=bad_secret)
    bad.assert_clean_failure(3)
    assert target.read_bytes() == before


def test_merge_into_json_file(sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey) -> None:
    target = tmp_path / "s.json"
    target.write_bytes(sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET_YAML).out)
    res = sealer_cli("seal", "--cert", str(cert_file), "--merge-into", str(target),
                     stdin=b'{"kind": "Secret", "apiVersion": "v1", "stringData": {"extra": "e"}}')
    assert res.code == 0, res.err
    doc = json.loads(target.read_bytes())
    assert list(doc["spec"]["encryptedData"]) == ["apikey", "password", "extra"]
    assert _values(doc, key2048)["extra"] == b"e"


def test_environment_variables(
    sealer_cli: CLI, cert_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SEALED_SECRETS_CERT", str(cert_file))
    monkeypatch.setenv("SEALED_SECRETS_FORMAT", "yaml")
    res = sealer_cli("seal", stdin=SECRET_YAML)
    assert res.code == 0, res.err
    assert res.out.startswith(b"---\n")
    assert sealer_cli("seal", "-o", "json", stdin=SECRET_YAML).out.startswith(b"{")  # flag wins
    monkeypatch.setenv("SEALED_SECRETS_ALLOW_EMPTY_DATA", "maybe")
    sealer_cli("seal", stdin=SECRET_YAML).assert_clean_failure(2)


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["-o"], ["-o", "xml"], ["positional"], ["--raw=perhaps"]],
)
def test_usage_errors(sealer_cli: CLI, cert_file: Path, args: list[str]) -> None:
    sealer_cli("seal", "--cert", str(cert_file), *args, stdin=SECRET_YAML).assert_clean_failure(2)


def test_flag_spellings(sealer_cli: CLI, cert_file: Path) -> None:
    for args in (["-oyaml"], ["-o=yaml"], ["--format=yaml"], ["--format", "yaml"]):
        assert sealer_cli("seal", f"--cert={cert_file}", *args, stdin=SECRET_YAML).out.startswith(b"---\n")


def test_help(sealer_cli: CLI) -> None:
    res = sealer_cli("seal", "--help")
    assert res.code == 0
    for flag in ("--cert", "--controller-name", "--recovery-private-key", "--merge-into", "-w, --sealed-secret-file"):
        assert flag.encode() in res.out


def test_version_and_request_timeout(sealer_cli: CLI, cert_file: Path) -> None:
    from sealer import __version__
    from sealer.cli.seal import _timeout

    res = sealer_cli("seal", "--version")
    assert res.code == 0 and res.out == f"sealer version: {__version__}\n".encode()
    assert [_timeout(t) for t in ("30s", "1m30s", "250ms", "2", "0", "1h", "1.5h", "0s", "+5s", "500us")] == [
        30, 90, 0.25, 2, None, 3600, 5400, None, 5, 0.0005]
    # A bare fraction has no unit (client-go refuses it too); a negative timeout makes no sense and is refused
    # here, though client-go's time.ParseDuration would take "-1s".
    for text in ("soon", "2.5", "-1s", "1d", "5 s", "", "1m30"):
        with pytest.raises(UsageError, match="--request-timeout"):
            _timeout(text)
    # Checked before anything else runs: with --cert and --fetch-cert no request would ever be made, and
    # the bad value must still fail (not print the certificate and exit 0), from the flag or the environment.
    bad = sealer_cli("seal", "--cert", str(cert_file), "--request-timeout", "soon", "--fetch-cert",
                     "--controller-url", "http://127.0.0.1:1")
    bad.assert_clean_failure(2)
    assert "--request-timeout" in bad.err and bad.out == b""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("SEALED_SECRETS_REQUEST_TIMEOUT", "2.5")
        env_bad = sealer_cli("seal", "--fetch-cert", "--cert", str(cert_file))
    env_bad.assert_clean_failure(2)
    assert env_bad.out == b""


def test_unwritable_outputs_are_clean_errors(sealer_cli: CLI, cert_file: Path, tmp_path: Path) -> None:
    missing_dir = tmp_path / "no" / "such" / "out.json"
    res = sealer_cli("seal", "--cert", str(cert_file), "-w", str(missing_dir), stdin=SECRET_YAML)
    res.assert_clean_failure(3, secrets=PLAINTEXTS)
    assert "cannot write" in res.err
    sealer_cli("seal", "--cert", str(cert_file), "--merge-into", str(tmp_path / "absent.yaml"),
               stdin=SECRET_YAML).assert_clean_failure(3)
    sealer_cli("seal", "--cert", str(cert_file), "-f", str(tmp_path / "absent.yaml")).assert_clean_failure(3)


def test_recovery_renders_template_data(sealer_cli: CLI, cert_file: Path, key_file: Path) -> None:
    doc = json.loads(sealer_cli("seal", "--cert", str(cert_file), stdin=SECRET_YAML).out)
    doc["spec"]["template"]["data"] = {"dsn": "postgres://app:{{ .password }}@db/app", "password": "overridden"}
    res = sealer_cli("seal", "--recovery-unseal", "--recovery-private-key", str(key_file),
                     stdin=json.dumps(doc).encode())
    assert res.code == 0, res.err
    data = {k: base64.b64decode(v) for k, v in json.loads(res.out)["data"].items()}
    assert data["dsn"] == b"postgres://app:hunter2-plaintext@db/app"
    assert data["password"] == b"overridden"  # template.data wins over encryptedData, as in the controller
    assert data["apikey"] == b"sk-live-ABCDEF"


def test_namespace_in_a_pod_comes_from_the_service_account(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sealer.kube import controller_proxy

    sa_file = tmp_path / "namespace"
    sa_file.write_text("ci-runner\n")
    monkeypatch.setattr(controller_proxy, "SERVICE_ACCOUNT_NAMESPACE_FILE", str(sa_file))
    no_ns = b"apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n"
    res = sealer_cli("seal", "--cert", str(cert_file), stdin=no_ns)
    assert res.code == 0, res.err
    assert json.loads(res.out)["metadata"]["namespace"] == "ci-runner"


def test_namespace_with_only_server_flag_is_default(sealer_cli: CLI, cert_file: Path) -> None:
    """No kubeconfig, no pod: client-go gives no namespace at all, unless --server makes the config usable,
    and then it is "default" (kubeseal seals for default/NAME)."""
    no_ns = b"apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n"
    bare = sealer_cli("seal", "--cert", str(cert_file), stdin=no_ns)
    bare.assert_clean_failure(3)
    assert "namespace" in bare.err
    res = sealer_cli("seal", "--cert", str(cert_file), "--server", "https://127.0.0.1:1", stdin=no_ns)
    assert res.code == 0, res.err
    assert json.loads(res.out)["metadata"]["namespace"] == "default"


def test_repeatable_flags_split_as_pflag_does() -> None:
    """kubeseal's StringSlice flags split on commas; client-go's --as-group is a StringArray and does not."""
    from sealer.cli.seal import parse_args

    opts = parse_args(["--recovery-private-key", "a.pem,b.pem", "--recovery-private-key=c.pem",
                       "--as-group", "ops,admins", "--as-group", "x"], environ={})
    assert opts.recovery_private_key == ["a.pem", "b.pem", "c.pem"]
    assert opts.as_group == ["ops,admins", "x"]
    assert parse_args([], environ={"SEALED_SECRETS_AS_GROUP": "g,h"}).as_group == ["g,h"]


def test_request_timeout_whole_seconds_are_an_int64_as_client_go_parses_them() -> None:
    from sealer.cli.seal import _timeout

    assert _timeout("0" * 5000 + "5") == 5  # strconv.ParseInt takes leading zeros
    assert _timeout(str(2**63 - 1)) == float(2**63 - 1)
    # Past int64, ParseInt fails and ParseDuration finds no unit: refused, not a crash (int() stops at 4300 digits).
    for text in (str(2**63), "9" * 5000):
        with pytest.raises(UsageError, match="--request-timeout"):
            _timeout(text)
