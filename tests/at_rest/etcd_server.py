"""A real etcd (Debian's etcd-server) on 127.0.0.1 free ports with a temporary data dir, for tests and benchmarks.

Bulk writes go through the JSON gateway's ``/v3/kv/txn`` in batches (one HTTP
request per batch), so loading thousands of keys costs well under a second.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.ports import free_port

ETCD = shutil.which("etcd") or "/usr/bin/etcd"
ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
MAX_TXN_OPS = 2000


@dataclass
class TLSFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls(directory: Path) -> TLSFiles:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (ECDSA P-256)."""
    now = dt.datetime.now(dt.UTC)

    def key_pair() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
        return path

    ca_key = key_pair()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealer test etcd CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))

    def leaf(name: str, usage: list[x509.ObjectIdentifier], san: bool
             ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = key_pair()
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.ExtendedKeyUsage(usage), critical=False))
        if san:
            import ipaddress

            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    # etcd's JSON gateway dials its own gRPC port with the server certificate, so with --client-cert-auth
    # that certificate must allow client authentication too.
    server_cert, server_key = leaf("etcd", [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], True)
    client_cert, client_key = leaf("root", [ExtendedKeyUsageOID.CLIENT_AUTH], False)
    ca_path = directory / "ca.crt"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.crt").write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    (directory / "client.crt").write_bytes(client_cert.public_bytes(serialization.Encoding.PEM))
    return TLSFiles(ca_path, directory / "server.crt", write_key(directory / "server.key", server_key),
                    directory / "client.crt", write_key(directory / "client.key", client_key))


class EtcdServer:
    """``etcd`` as a child process; stop() kills exactly that process."""

    def __init__(self, workdir: Path, *, tls: TLSFiles | None = None) -> None:
        self.workdir = workdir
        self.tls = tls
        self.client_port = free_port()
        self.peer_port = free_port()
        scheme = "https" if tls else "http"
        self.endpoint = f"{scheme}://127.0.0.1:{self.client_port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> EtcdServer:
        """Start and wait until it answers; retry on fresh ports if another process took ours meanwhile."""
        for attempt in range(3):
            try:
                return self._start()
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
                shutil.rmtree(self.workdir / "data", ignore_errors=True)
                self.client_port, self.peer_port = free_port(), free_port()
                self.endpoint = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.client_port}"
        raise AssertionError("unreachable")

    def _start(self) -> EtcdServer:
        args = [
            ETCD, "--name", "test", "--data-dir", str(self.workdir / "data"),
            "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
            "--listen-peer-urls", f"http://127.0.0.1:{self.peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_port}",
            "--initial-cluster", f"test=http://127.0.0.1:{self.peer_port}",
            "--max-txn-ops", str(MAX_TXN_OPS), "--max-request-bytes", str(32 * 1024 * 1024),
            "--quota-backend-bytes", str(2 * 1024**3), "--log-level", "error", "--logger", "zap",
        ]
        if self.tls:
            args += ["--cert-file", str(self.tls.server_cert), "--key-file", str(self.tls.server_key),
                     "--client-cert-auth", "--trusted-ca-file", str(self.tls.ca)]
        log = (self.workdir / "etcd.log").open("wb")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"etcd exited: {(self.workdir / 'etcd.log').read_text()[-2000:]}")
            try:
                self.post("/v3/kv/range", {"key": "AA==", "limit": 1})
                return self
            except (OSError, http.client.HTTPException, RuntimeError):  # RuntimeError: 503 while starting
                time.sleep(0.1)
        raise RuntimeError("etcd did not become ready")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    # -- a tiny writer (the code under test only reads) -----------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.tls.ca))
            context.load_cert_chain(str(self.tls.client_cert), str(self.tls.client_key))
            return http.client.HTTPSConnection("127.0.0.1", self.client_port, timeout=60, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.client_port, timeout=60)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        conn = self._connection()
        try:
            conn.request("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"etcd {path}: HTTP {response.status}: {data[:300]!r}")
        return dict(json.loads(data))

    def put_many(self, items: Iterable[tuple[bytes, bytes]], *, batch: int = 1000) -> int:
        """Write key/values in transactions of ``batch`` puts; return the store revision after."""
        pending: list[dict[str, Any]] = []
        revision = 0

        def flush() -> None:
            nonlocal revision
            if pending:
                doc = self.post("/v3/kv/txn", {"success": list(pending)})
                revision = int(doc["header"]["revision"])
                pending.clear()

        for key, value in items:
            pending.append({"request_put": {"key": base64.b64encode(key).decode(),
                                            "value": base64.b64encode(value).decode()}})
            if len(pending) >= min(batch, MAX_TXN_OPS):
                flush()
        flush()
        return revision

    def put(self, key: bytes, value: bytes) -> int:
        return self.put_many([(key, value)])

    def delete(self, key: bytes) -> int:
        doc = self.post("/v3/kv/deleterange", {"key": base64.b64encode(key).decode()})
        return int(doc["header"]["revision"])

    def compact(self, revision: int) -> None:
        self.post("/v3/kv/compaction", {"revision": revision, "physical": True})

    def delete_prefix(self, prefix: bytes) -> None:
        end = bytearray(prefix)
        end[-1] += 1
        self.post("/v3/kv/deleterange", {"key": base64.b64encode(prefix).decode(),
                                         "range_end": base64.b64encode(bytes(end)).decode()})

    def etcdctl(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        flags = ["--endpoints", self.endpoint]
        if self.tls:
            flags += ["--cacert", str(self.tls.ca), "--cert", str(self.tls.client_cert),
                      "--key", str(self.tls.client_key)]
        return subprocess.run([ETCDCTL, *flags, *args], check=True, capture_output=True,
                              env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"})
