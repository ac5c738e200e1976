"""Audit against a real etcd: values in every provider's format, history, snapshots, TLS, the CLI's exit codes."""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealer.api import at_rest
from sealer.cli.main import run
from sealer.encryption_at_rest import config as config_file
from tests.at_rest import independent
from tests.at_rest.etcd_server import EtcdServer

SECRET_DATA = b"hunter2-do-not-print-me"


@dataclass
class Scenario:
    prefix: str  # --etcd-prefix, unique per test so tests share one etcd
    config: bytes
    keys: dict[str, bytes]
    revision: int


def _config(keys: dict[str, bytes]) -> bytes:
    b64 = {k: base64.b64encode(v).decode() for k, v in keys.items()}
    doc = {
        "apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
        "resources": [{"resources": ["secrets"], "providers": [
            {"secretbox": {"keys": [{"name": "new", "secret": b64["new"]}]}},
            {"aescbc": {"keys": [{"name": "old", "secret": b64["old"]}]}},
            {"aesgcm": {"keys": [{"name": "gcm", "secret": b64["gcm"]}]}},
            {"kms": {"apiVersion": "v2", "name": "vault", "endpoint": "unix:///run/kms.sock"}},
            {"identity": {}},
        ]}],
    }
    return json.dumps(doc).encode()


def _obj(name: str) -> bytes:
    return independent.secret_object(name, "ns1", {"password": SECRET_DATA})


def write_scenario(etcd: EtcdServer) -> Scenario:
    prefix = f"/t{uuid.uuid4().hex[:8]}"
    keys = {"new": os.urandom(32), "old": os.urandom(32), "gcm": os.urandom(16)}
    sec = f"{prefix}/secrets/ns1/".encode()

    def k(name: str) -> bytes:
        return sec + name.encode()

    etcd.put_many([
        (k("plain"), _obj("plain")),
        (k("sb"), independent.secretbox("new", keys["new"], _obj("sb"))),
        (k("cbc"), independent.aescbc("old", keys["old"], _obj("cbc"))),
        (k("gcm"), independent.aesgcm("gcm", keys["gcm"], _obj("gcm"), k("gcm"))),
        (k("kms"), independent.kms_v2("vault", os.urandom(32), _obj("kms"), k("kms"))),
        (k("wrongkey"), independent.secretbox("new", os.urandom(32), _obj("wrongkey"))),
        (k("moved"), independent.aesgcm("gcm", keys["gcm"], _obj("moved"), k("elsewhere"))),
        (k("rotated"), _obj("rotated")),
        (k("deleted"), _obj("deleted")),
        (f"{prefix}/configmaps/ns1/cm".encode(), b"k8s\x00plain configmap"),
    ])
    etcd.put(k("rotated"), independent.secretbox("new", keys["new"], _obj("rotated")))
    revision = etcd.delete(k("deleted"))
    return Scenario(prefix, _config(keys), keys, revision)


@pytest.fixture(scope="module")
def scenario(etcd_server: EtcdServer) -> Scenario:
    return write_scenario(etcd_server)


def _conn(etcd: EtcdServer) -> at_rest.EtcdConnection:
    return at_rest.EtcdConnection(endpoints=[etcd.endpoint])


def _by_key(report: at_rest.AuditReport) -> dict[tuple[str, bool], object]:
    return {(i.key.rsplit("/", 1)[-1], i.current): i for i in report.items}


def test_classifies_every_provider_without_a_config(etcd_server: EtcdServer, scenario: Scenario) -> None:
    report = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix)
    got = {(i.key.rsplit("/", 1)[-1], i.current): (i.provider, i.key_name) for i in report.items}
    assert got == {
        ("plain", True): ("plaintext", None),
        ("sb", True): ("secretbox", "new"),
        ("cbc", True): ("aescbc", "old"),
        ("gcm", True): ("aesgcm", "gcm"),
        ("kms", True): ("kms v2", "vault"),
        ("wrongkey", True): ("secretbox", "new"),
        ("moved", True): ("aesgcm", "gcm"),
        ("rotated", True): ("secretbox", "new"),
        ("rotated", False): ("plaintext", None),  # the old revision is still on disk
        ("deleted", False): ("plaintext", None),  # so is a deleted Secret's last value
    }
    assert report.revision >= scenario.revision
    statuses = {k: i.status for k, i in _by_key(report).items()}
    assert statuses[("plain", True)] == "plaintext" and statuses[("sb", True)] == "ok"
    kms_item = _by_key(report)[("kms", True)]
    assert "keyID kek-1" in kms_item.detail and "HKDF_SHA256_XNONCE_AES_GCM_SEED" in kms_item.detail  # type: ignore[attr-defined]


def test_with_config_proves_decryption_and_flags_stale(etcd_server: EtcdServer, scenario: Scenario) -> None:
    report = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix, encryption_config=scenario.config)
    got = {k: (i.status, i.verified) for k, i in _by_key(report).items()}  # type: ignore[attr-defined]
    assert got == {
        ("plain", True): ("plaintext", None),
        ("sb", True): ("ok", True),
        ("cbc", True): ("stale", True),
        ("gcm", True): ("stale", True),
        ("kms", True): ("stale", None),  # not the first provider; decrypting needs the KMS plugin
        ("wrongkey", True): ("undecryptable", False),
        ("moved", True): ("undecryptable", False),  # AES-GCM binds the value to its etcd key
        ("rotated", True): ("ok", True),
        ("rotated", False): ("plaintext", None),
        ("deleted", False): ("plaintext", None),
    }


def test_no_history_sees_only_current_values(etcd_server: EtcdServer, scenario: Scenario) -> None:
    report = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix, history=False)
    assert all(i.current for i in report.items) and len(report.items) == 8


def test_snapshot_audit_matches_live_audit(etcd_server: EtcdServer, scenario: Scenario, tmp_path: Path) -> None:
    snap = tmp_path / "snap.db"
    etcd_server.etcdctl("snapshot", "save", str(snap))
    live = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix, encryption_config=scenario.config)
    offline = at_rest.audit_snapshot(snap.read_bytes(), etcd_prefix=scenario.prefix,
                                     encryption_config=scenario.config)
    assert offline.items == live.items
    damaged = bytearray(snap.read_bytes())
    damaged[5000] ^= 1
    with pytest.raises(Exception, match="checksum"):
        at_rest.audit_snapshot(bytes(damaged), etcd_prefix=scenario.prefix)


def test_other_resources_by_name(etcd_server: EtcdServer, scenario: Scenario) -> None:
    report = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix, resources=["configmaps"])
    assert [(i.resource, i.provider) for i in report.items] == [("configmaps", "plaintext")]
    everything = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix, prefixes=[scenario.prefix + "/"])
    assert everything.all_resources and {i.resource for i in everything.items} == {"secrets", "configmaps"}
    assert everything.usage().covered == {"secrets", "configmaps"}
    # One namespace is no evidence about the others: it covers no resource, so prune would leave keys alone.
    partial = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix,
                                 prefixes=[scenario.prefix + "/secrets/ns1/"])
    assert partial.items and partial.usage().covered == set()
    whole = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix,
                               prefixes=[scenario.prefix + "/secrets/"])
    assert whole.usage().covered == {"secrets"}


def test_cli_table_json_and_exit_codes(etcd_server: EtcdServer, scenario: Scenario, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "enc.yaml"
    cfg.write_bytes(scenario.config)
    base = ["etcd", "audit", "--endpoints", etcd_server.endpoint, "--etcd-prefix", scenario.prefix]
    assert run([*base, "--encryption-config", str(cfg), "-o", "json"]) == 9
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["summary"]["by_status"] == {"ok": 2, "plaintext": 3, "stale": 3, "undecryptable": 2}
    assert "findings" in err
    assert run([*base, "--findings-only"]) == 9
    out, _ = capsys.readouterr()
    assert "PLAINTEXT" in out and "/ns1/sb " not in out
    for text in (out, json.dumps(doc)):
        assert SECRET_DATA.decode() not in text
        for key in scenario.keys.values():
            assert base64.b64encode(key).decode() not in text
    # A clean prefix exits 0.
    clean = f"/t{uuid.uuid4().hex[:8]}"
    etcd_server.put(f"{clean}/secrets/a/b".encode(), independent.secretbox(
        "new", scenario.keys["new"], independent.secret_object("b", "a", {"k": b"v"})))
    assert run(["etcd", "audit", "--endpoints", etcd_server.endpoint, "--etcd-prefix", clean,
                "--encryption-config", str(cfg)]) == 0


def test_compaction_keeps_values_alive_at_the_compaction_point(tmp_path: Path) -> None:
    etcd = EtcdServer(tmp_path).start()
    try:
        key = b"/registry/secrets/a/s"
        etcd.put(key, _obj("v1"))  # rev 2
        etcd.put(key, _obj("v2"))  # rev 3
        etcd.put(b"/registry/secrets/a/gone", _obj("g"))  # rev 4
        etcd.put(key, independent.secretbox("k", os.urandom(32), _obj("v3")))  # rev 5
        etcd.delete(b"/registry/secrets/a/gone")  # rev 6
        etcd.compact(3)
        report = at_rest.audit_etcd(_conn(etcd))
        got = sorted((i.key.rsplit("/", 1)[-1], i.revision, i.current, i.provider) for i in report.items)
        # rev 2 is compacted away; rev 3 (alive at the compaction point) and rev 4 are still kept.
        assert got == [("gone", 4, False, "plaintext"), ("s", 3, False, "plaintext"), ("s", 5, True, "secretbox")]
    finally:
        etcd.stop()


def test_tls_with_client_certificates(etcd_tls_server: EtcdServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    tls = etcd_tls_server.tls
    assert tls is not None
    etcd_tls_server.put(b"/registry/secrets/tls/s", _obj("s"))
    conn = at_rest.EtcdConnection(endpoints=[f"127.0.0.1:{etcd_tls_server.client_port}"], cacert=str(tls.ca),
                                  cert=str(tls.client_cert), key=str(tls.client_key))
    report = at_rest.audit_etcd(conn)
    assert [(i.key, i.provider) for i in report.items] == [("/registry/secrets/tls/s", "plaintext")]
    # Without a client certificate the server refuses the handshake: a NetworkError (exit 7), no traceback.
    code = run(["etcd", "audit", "--endpoints", etcd_tls_server.endpoint, "--cacert", str(tls.ca)])
    assert code == 7
    assert "Traceback" not in capsys.readouterr().err
    # With etcdctl's flags it works from the CLI too.
    assert run(["etcd", "audit", "--endpoints", etcd_tls_server.endpoint, "--cacert", str(tls.ca),
                "--cert", str(tls.client_cert), "--key", str(tls.client_key), "-o", "json"]) == 9
    assert json.loads(capsys.readouterr().out)["summary"]["values"] == 1


def test_unreachable_etcd_is_a_network_error(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.ports import free_port

    assert run(["etcd", "audit", "--endpoints", f"127.0.0.1:{free_port()}"]) == 7
    assert "cannot reach etcd" in capsys.readouterr().err


def test_config_mismatch_is_reported_not_crashed(etcd_server: EtcdServer, scenario: Scenario) -> None:
    other = config_file.loads(scenario.config)
    other.resources[0].resources = ["configmaps"]
    report = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=scenario.prefix,
                                encryption_config=config_file.dumps(other))
    assert {i.status for i in report.items if i.provider != "plaintext"} == {"unconfigured"}


def test_kms_key_ids_mark_old_keks_stale(etcd_server: EtcdServer) -> None:
    prefix = f"/t{uuid.uuid4().hex[:8]}"
    sec = f"{prefix}/secrets/ns/".encode()
    etcd_server.put_many([
        (sec + b"a", independent.kms_v2("vault", os.urandom(32), _obj("a"), sec + b"a", key_id="kek-2")),
        (sec + b"b", independent.kms_v2("vault", os.urandom(32), _obj("b"), sec + b"b", key_id="kek-1")),
    ])
    config = json.dumps({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                         "resources": [{"resources": ["secrets"], "providers": [
                             {"kms": {"apiVersion": "v2", "name": "vault", "endpoint": "unix:///run/kms.sock"}}]}]})
    report = at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=prefix, encryption_config=config.encode(),
                                kms_key_ids={"vault": "kek-2"})
    assert {i.key[-1]: i.status for i in report.items} == {"a": "ok", "b": "stale"}


def test_etcd_user_authentication(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    etcd = EtcdServer(tmp_path).start()
    try:
        etcd.put(b"/registry/secrets/a/b", _obj("b"))
        etcd.etcdctl("user", "add", "root:s3cr3t-pw")
        etcd.etcdctl("auth", "enable")
        base = ["etcd", "audit", "--endpoints", etcd.endpoint, "-o", "json"]
        assert run([*base, "--user", "root:s3cr3t-pw"]) == 9
        out, err = capsys.readouterr()
        assert json.loads(out)["summary"]["values"] == 1 and "s3cr3t-pw" not in out + err
        assert run([*base, "--user", "root:wrong"]) == 7
        assert "s3cr3t" not in capsys.readouterr().err
    finally:
        etcd.stop()


def test_large_values_span_bbolt_overflow_pages(etcd_server: EtcdServer, tmp_path: Path) -> None:
    prefix = f"/t{uuid.uuid4().hex[:8]}"
    key = os.urandom(32)
    big = independent.secret_object("big", "ns", {"blob": os.urandom(900_000)})  # near the 1 MiB Secret limit
    etcd_key = f"{prefix}/secrets/ns/big".encode()
    etcd_server.put(etcd_key, independent.secretbox("k", key, big))
    config = json.dumps({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                         "resources": [{"resources": ["secrets"], "providers": [
                             {"secretbox": {"keys": [{"name": "k", "secret": base64.b64encode(key).decode()}]}}]}]})
    snap = tmp_path / "big.db"
    etcd_server.etcdctl("snapshot", "save", str(snap))
    for report in (at_rest.audit_etcd(_conn(etcd_server), etcd_prefix=prefix, encryption_config=config.encode()),
                   at_rest.audit_snapshot(snap.read_bytes(), etcd_prefix=prefix, encryption_config=config.encode())):
        assert [(i.status, i.verified) for i in report.items] == [("ok", True)]
