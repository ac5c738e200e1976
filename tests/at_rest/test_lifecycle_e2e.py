"""The whole migration on a real etcd: plaintext → aescbc → rotate to secretbox → rewrite → audit → prune.

There is no kube-apiserver here, so the test writes what it would write on each
PUT (values made by tests/at_rest/independent.py with the configured keys);
everything sealer does — generate, rotate, audit, prune — runs for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sealer.cli.main import run
from sealer.encryption_at_rest import config as cfg
from tests.at_rest import independent
from tests.at_rest.etcd_server import EtcdServer

N = 20


def _key(i: int) -> bytes:
    return f"/registry/secrets/app/s{i:02d}".encode()


def _obj(i: int) -> bytes:
    return independent.secret_object(f"s{i:02d}", "app", {"token": f"tok-{i}".encode()})


def _write_key(path: Path) -> tuple[str, str, bytes]:
    provider = cfg.loads(path.read_bytes()).resources[0].providers[0]
    return provider.kind, provider.keys[0].name, provider.keys[0].material()


def test_migration_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    etcd = EtcdServer(tmp_path).start()
    conf = tmp_path / "enc.yaml"
    audit = ["etcd", "audit", "--endpoints", etcd.endpoint, "--encryption-config", str(conf)]
    try:
        etcd.put_many((_key(i), _obj(i)) for i in range(N))  # a cluster before encryption at rest
        assert run(["encryption-config", "generate", "--provider", "aescbc", "--from-plaintext",
                    "-o", str(conf)]) == 0
        kind, name, key = _write_key(conf)
        assert kind == "aescbc"
        # The API server restarted with it; half the Secrets were updated since.
        etcd.put_many((_key(i), independent.aescbc(name, key, _obj(i))) for i in range(N // 2))
        capsys.readouterr()
        assert run([*audit, "-o", "json"]) == 9
        summary = json.loads(capsys.readouterr().out)["summary"]
        assert summary["by_status"] == {"ok": N // 2, "plaintext": N}  # half still current, half in history

        # Rotate to secretbox, then "rewrite-secrets": the API server re-encrypts every Secret with the new key.
        assert run(["encryption-config", "rotate", str(conf), "--provider", "secretbox"]) == 0
        kind, new_name, new_key = _write_key(conf)
        assert kind == "secretbox"
        revision = etcd.put_many((_key(i), independent.secretbox(new_name, new_key, _obj(i))) for i in range(N))
        capsys.readouterr()
        assert run([*audit, "-o", "json", "--no-history"]) == 0  # every current value is under the write key
        assert run([*audit, "-o", "json"]) == 9  # but etcd still holds the old revisions
        capsys.readouterr()

        # Pruning now would strand those revisions: nothing is removed.
        before = conf.read_bytes()
        assert run(["encryption-config", "rotate", str(conf), "--prune", "--endpoints", etcd.endpoint]) == 0
        assert "nothing to prune" in capsys.readouterr().err
        assert cfg.loads(conf.read_bytes()) == cfg.loads(before)

        # After compaction (kube-apiserver compacts every 5 minutes) the audit is clean and pruning removes
        # the aescbc key and identity.
        etcd.compact(revision)
        assert run(audit) == 0
        assert run(["encryption-config", "rotate", str(conf), "--prune", "--endpoints", etcd.endpoint]) == 0
        err = capsys.readouterr().err
        assert f"removed unused aescbc key {name}" in err and "removed identity" in err
        final = cfg.loads(conf.read_bytes())
        kept = [(p.kind, [k.name for k in p.keys]) for p in final.resources[0].providers]
        assert kept == [("secretbox", [new_name])]
        assert run(["encryption-config", "validate", str(conf)]) == 0
        assert run(audit) == 0
        # Snapshot audits gate the same way.
        snap = tmp_path / "snap.db"
        etcd.etcdctl("snapshot", "save", str(snap))
        assert run(["etcd", "audit", "--snapshot", str(snap), "--encryption-config", str(conf)]) == 0
    finally:
        etcd.stop()
