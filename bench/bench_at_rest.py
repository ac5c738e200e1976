#!/usr/bin/env python3
"""Benchmark: etcd audit of 10,000 Secrets and rewrite of 1,000 Secrets, each beside a floor measured in the same run.

    python bench/bench_at_rest.py [--secrets 10000] [--rewrite 1000]

- audit: a real etcd (Debian's etcd-server) on 127.0.0.1 loaded with N
  secretbox-encrypted Secrets; ``sealer etcd audit`` through the library
  (classification only, then proving decryption with the configuration, with
  and without history), beside ``etcdctl get --prefix`` of the same keys;
  and the same audit from an ``etcdctl snapshot save`` file.
- rewrite: the KMock-based emulator in its own process with M Secrets;
  ``run_rewrite`` through the kubernetes client, beside a bare keep-alive
  GET+PUT loop over http.client.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sealer.api import at_rest  # noqa: E402
from sealer.encryption_at_rest import values  # noqa: E402
from tests.at_rest.etcd_server import EtcdServer  # noqa: E402
from tests.at_rest.independent import secret_object  # noqa: E402


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_audit(n: int, workdir: Path) -> list[tuple[str, float, int]]:
    key = os.urandom(32)
    config = json.dumps({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                         "resources": [{"resources": ["secrets"], "providers": [
                             {"secretbox": {"keys": [{"name": "k1", "secret": base64.b64encode(key).decode()}]}},
                             {"identity": {}}]}]}).encode()
    etcd = EtcdServer(workdir).start()
    rows = []
    try:
        def items():  # type: ignore[no-untyped-def]
            for i in range(n):
                ns, name = f"ns{i % 50}", f"secret-{i:05d}"
                etcd_key = f"/registry/secrets/{ns}/{name}".encode()
                obj = secret_object(name, ns, {"password": os.urandom(24), "user": b"app"})
                yield etcd_key, values.seal_local("secretbox", "k1", key, obj, etcd_key)

        load_s, _ = timed(lambda: etcd.put_many(items(), batch=1000))
        print(f"loaded {n} Secrets into etcd in {load_s:.2f} s", file=sys.stderr)
        conn = at_rest.EtcdConnection(endpoints=[etcd.endpoint])
        floor_s, _ = timed(lambda: etcd.etcdctl("get", "--prefix", "/registry/secrets/", "-w", "json"))
        rows.append(("etcdctl get --prefix (floor)", floor_s, n))
        for label, kwargs in (
            ("audit, classify only, no history", {"history": False}),
            ("audit, classify only, with history", {}),
            ("audit, decrypt+verify, no history", {"history": False, "encryption_config": config}),
            ("audit, decrypt+verify, with history", {"encryption_config": config}),
        ):
            seconds, report = timed(lambda kwargs=kwargs: at_rest.audit_etcd(conn, **kwargs))
            assert len([i for i in report.items if i.current]) == n, label
            rows.append((label, seconds, n))
        snap = workdir / "snap.db"
        etcd.etcdctl("snapshot", "save", str(snap))
        seconds, report = timed(lambda: at_rest.audit_snapshot(snap.read_bytes(), encryption_config=config))
        assert len(report.items) == n and not report.findings
        rows.append(("audit of snapshot file, decrypt+verify", seconds, n))
    finally:
        etcd.stop()
    return rows


def bench_rewrite(m: int, workdir: Path) -> list[tuple[str, float, int]]:
    from sealer.encryption_at_rest.rewrite import RewriteOptions, run_rewrite
    from sealer.kube.secrets_rewrite import KubeSecretsClient

    kubeconfig = workdir / "kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "sealer_controller.devcluster", "--kubeconfig", str(kubeconfig),
                             "--no-write-log"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    rows = []
    try:
        assert proc.stdout is not None
        url = urllib.parse.urlsplit(proc.stdout.readline().decode().strip())
        http_conn = http.client.HTTPConnection(url.hostname, url.port)

        def call(method: str, path: str, body: dict | None = None) -> dict:  # type: ignore[type-arg]
            http_conn.request(method, path, json.dumps(body).encode() if body is not None else None,
                              {"Content-Type": "application/json"})
            response = http_conn.getresponse()
            data = response.read()
            assert response.status < 300, (response.status, data[:200])
            return json.loads(data)  # type: ignore[no-any-return]

        for i in range(m):
            ns = f"ns{i % 10}"
            call("POST", f"/api/v1/namespaces/{ns}/secrets", {
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{i:05d}", "namespace": ns},
                "data": {"password": base64.b64encode(os.urandom(24)).decode()}})

        def bare_loop() -> None:
            for item in call("GET", "/api/v1/secrets")["items"]:
                meta = item["metadata"]
                path = f"/api/v1/namespaces/{meta['namespace']}/secrets/{meta['name']}"
                call("PUT", path, dict(call("GET", path), apiVersion="v1", kind="Secret"))

        seconds, _ = timed(bare_loop)
        rows.append(("bare http.client LIST + GET+PUT loop (floor)", seconds, m))
        from kubernetes import client, config

        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
        api = client.ApiClient(configuration)
        seconds, summary = timed(lambda: run_rewrite(KubeSecretsClient(api), RewriteOptions(
            state_file=str(workdir / "state"))))
        assert summary.counts["rewritten"] == m, summary
        rows.append(("sealer rewrite-secrets (LIST + PUT each, journal)", seconds, m))
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--rewrite", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-at-rest-") as tmp:
        (Path(tmp) / "etcd").mkdir()
        rows = bench_audit(args.secrets, Path(tmp) / "etcd") if args.secrets else []
        (Path(tmp) / "rw").mkdir()
        rows += bench_rewrite(args.rewrite, Path(tmp) / "rw") if args.rewrite else []
    print(f"{'benchmark':58} {'seconds':>8} {'Secrets/s':>10}")
    for label, seconds, count in rows:
        print(f"{label:58} {seconds:8.2f} {count / seconds:10.0f}")
    print(json.dumps({label: round(count / seconds, 1) for label, seconds, count in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
