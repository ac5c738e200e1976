"""A loopback HTTP server speaking the Sealed Secrets controller's API, and optionally the API server's service proxy.

Behaviour follows the Bitnami controller's server.go: GET /v1/cert.pem (application/x-pem-file), POST /v1/verify
(200 if it decrypts, 409 if not), POST /v1/rotate (200 + JSON, 500 on failure). With ``api_server=True`` it answers
only as a Kubernetes API server would: GET /api/v1/namespaces/{ns}/services/{name} and the service proxy path
/api/v1/namespaces/{ns}/services/http:{name}:{port}/proxy/v1/..., requiring a bearer token.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sealer.crypto import rsa_keys
from sealer.errors import SealerError
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.reencrypt import reencrypt
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing


@dataclass
class FakeController:
    ring: KeyRing
    api_server: bool = False
    token: str = "test-token"
    service: str = "sealed-secrets-controller"
    namespace: str = "kube-system"
    port_name: str = "http"
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    answer: tuple[int, bytes] | None = None
    """If set, /v1/verify and /v1/rotate answer this status and body instead (error-path tests)."""

    def handle(self, method: str, path: str, body: bytes, headers: Any) -> tuple[int, str, bytes]:
        self.requests.append((method, path))
        if self.api_server:
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, "application/json", b'{"kind":"Status","code":401}'
            base = f"/api/v1/namespaces/{self.namespace}/services/"
            if method == "GET" and path == base + self.service:
                doc = {"kind": "Service", "spec": {"ports": [{"name": self.port_name, "port": 8080}]}}
                return 200, "application/json", json.dumps(doc).encode()
            prefix = f"{base}http:{self.service}:{self.port_name}/proxy"
            if not path.startswith(prefix + "/"):
                return 404, "application/json", b'{"kind":"Status","code":404}'
            path = path[len(prefix):]
        return self.controller(method, path, body)

    def controller(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if method == "GET" and path == "/v1/cert.pem":
            cert = self.ring.newest().certificate
            assert cert is not None
            return 200, "application/x-pem-file", rsa_keys.certificate_to_pem(cert)
        if method == "POST" and path in ("/v1/verify", "/v1/rotate"):
            if self.answer is not None:
                return self.answer[0], "text/plain; charset=utf-8", self.answer[1]
            try:
                ss = SealedSecret.from_dict(json.loads(body))
                if path == "/v1/verify":
                    decrypt_values(ss, self.ring)
                    return 200, "text/plain", b""
                newest = self.ring.newest().certificate
                assert newest is not None
                return 200, "application/json", json.dumps(reencrypt(ss, self.ring, newest)).encode()
            except (SealerError, ValueError):
                return (409 if path == "/v1/verify" else 500), "text/plain", b""
        return 404, "text/plain", b"404 page not found\n"


@contextmanager
def serve(fake: FakeController, *, tls: ssl.SSLContext | None = None) -> Iterator[FakeController]:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, ctype, payload = fake.handle(self.command, self.path, body, self.headers)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _respond

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    fake.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
