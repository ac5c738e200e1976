"""Talk to a Sealed Secrets controller's HTTP API, the way kubeseal reaches it.

Two routes to the same three endpoints (``/v1/cert.pem``, ``/v1/verify``,
``/v1/rotate``):

- through the API server's service proxy, from the kubeconfig:
  ``/api/v1/namespaces/{ns}/services/http:{name}:{port}/proxy/v1/...``, where
  ``port`` is the name of the service's first port (kubeseal reads the service
  first, and so do we); defaults ``sealed-secrets-controller`` in
  ``kube-system``, as kubeseal's;
- directly, with ``--controller-url`` (e.g. a port-forward), using only the
  standard library.

Only the service-proxy route imports the Kubernetes client (lazily, through
:mod:`sealer.kube.client`). Nothing here logs request or response bodies: a
``/v1/rotate`` body is ciphertext, but we keep the habit.

Error answers: the controller says why in the body of a 400/409 (ours: "sealed
for strict scope for shop/db"; its bodies never carry plaintext, see
``sealer_controller.http_api``; Bitnami's are short Go error strings or empty),
so the first line of it goes into our error message, bounded and with control
characters dropped (:func:`_reason`), since a terminal should not be steered by
a remote body. Status to error: 400 is the input (:class:`InputError`, exit 3),
409 a key/scope mismatch (:class:`DecryptionError`, exit 4), anything else
(429, 5xx, unreachable) the network or the server (:class:`NetworkError`, exit 7).

:func:`context_namespace` reads the kubeconfig's current namespace without the
Kubernetes client, so ``sealer seal`` can fill a missing namespace as kubeseal
does without paying 0.5 s for it.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealer.errors import DecryptionError, InputError, NetworkError, SealerError
from sealer.kube.client import ConnectionOverrides

__all__ = [
    "DEFAULT_CONTROLLER_NAME",
    "DEFAULT_CONTROLLER_NAMESPACE",
    "ControllerTarget",
    "context_namespace",
    "fetch_certificate",
    "fetch_url",
    "rotate",
    "verify",
]

DEFAULT_CONTROLLER_NAME = "sealed-secrets-controller"
DEFAULT_CONTROLLER_NAMESPACE = "kube-system"
_PEM_ACCEPT = "application/x-pem-file, */*"
SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass(frozen=True)
class ControllerTarget:
    """Where the controller is: a direct URL, or a service behind the kubeconfig's API server."""

    url: str | None = None
    """Base URL of the controller itself (``http://127.0.0.1:8080``); bypasses the API server."""
    name: str = DEFAULT_CONTROLLER_NAME
    """Service name (kubeseal ``--controller-name``)."""
    namespace: str = DEFAULT_CONTROLLER_NAMESPACE
    """Service namespace (kubeseal ``--controller-namespace``)."""
    kubeconfig: str | None = None
    context: str | None = None
    connection: ConnectionOverrides | None = None
    """kubectl's connection flags (``--server``, ``--token``, ...) over the kubeconfig."""
    timeout: float | None = 30.0
    """Seconds for each HTTP request (None: no limit)."""

    def describe(self) -> str:
        if self.url:
            return f"controller at {self.url}"
        return f"controller service {self.namespace}/{self.name}"


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes


MAX_REASON_CHARS = 300
"""Longest piece of a remote error body quoted in a message (ours are one line of ~100-200 characters)."""


def _reason(body: bytes) -> str:
    """The server's reason from an error body: one line, at most :data:`MAX_REASON_CHARS`, printable.

    An API server's own failures (``kind: Status`` JSON) give their ``message``;
    HTML error pages give nothing (they are noise in a one-line error).
    """
    import unicodedata

    text = body[: MAX_REASON_CHARS * 8].decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        import json

        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("message"), str):
            text = doc["message"].strip()
    if text.startswith("<"):
        return ""
    # Line breaks and other blanks become single spaces; control and format characters (ESC, bidi overrides,
    # ...) are dropped, so a remote body can neither add lines nor steer the terminal.
    text = " ".join(text.split())
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 3].rstrip() + "..."
    return text


def _detail(response: _Response) -> str:
    reason = _reason(response.body)
    return f": {reason}" if reason else ""


def _failed(response: _Response, target: ControllerTarget, action: str, subject: str, *, hint: str) -> SealerError:
    """The error for a non-200 answer when asking ``target`` to ``action`` (validate, re-encrypt) ``subject``."""
    detail = _detail(response)
    if detail.startswith(f": {subject}: "):  # our controller names the SealedSecret too: say it once
        detail = ": " + detail[len(subject) + 4 :]
    if response.status == 400:
        return InputError(
            f"the {target.describe()} rejected {subject} (HTTP 400){detail}",
            hint="pass SealedSecrets as JSON or YAML, as 'sealer seal' writes them",
        )
    if response.status == 409:
        return DecryptionError(
            f"the controller cannot decrypt {subject}{detail}",
            hint="it was sealed with another controller's key, or for another name/namespace/scope",
        )
    return NetworkError(f"cannot {action} {subject} with the {target.describe()}: HTTP {response.status}{detail}",
                        hint=hint)


def _http(
    method: str, url: str, *, body: bytes | None, headers: dict[str, str], timeout: float | None, what: str
) -> _Response:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise NetworkError(f"{what}: only http and https URLs are supported", hint=f"got {url!r}")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return _Response(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return _Response(exc.code, exc.read() if exc.fp is not None else b"")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(
            f"cannot reach {what} ({reason})",
            hint="check the URL/port-forward, or pass --cert FILE to seal offline",
        ) from None


def fetch_url(url: str, *, timeout: float | None = 30.0) -> bytes:
    """GET an http(s) URL (``--cert https://...``); non-200 is a :class:`NetworkError`."""
    response = _http("GET", url, body=None, headers={"Accept": _PEM_ACCEPT}, timeout=timeout, what=url)
    if response.status != 200:
        raise NetworkError(f"cannot fetch {url}: HTTP {response.status}{_detail(response)}",
                           hint="check the certificate URL")
    return response.body


def _direct(target: ControllerTarget, method: str, path: str, body: bytes | None, accept: str) -> _Response:
    assert target.url is not None
    url = target.url.rstrip("/") + path
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return _http(method, url, body=body, headers=headers, timeout=target.timeout, what=target.describe())


def _via_api_server(target: ControllerTarget, method: str, path: str, body: bytes | None, accept: str) -> _Response:
    from sealer.kube.client import api_client  # lazily: the Kubernetes client costs ~0.5 s

    # The client reads $KUBECONFIG once, at import: pass it on explicitly so a changed environment counts.
    kubeconfig = target.kubeconfig or os.environ.get("KUBECONFIG") or None
    client = api_client(kubeconfig=kubeconfig, context=target.context, overrides=target.connection)
    try:
        ns, name = urllib.parse.quote(target.namespace, safe=""), urllib.parse.quote(target.name, safe="")
        service = _call(client, "GET", f"/api/v1/namespaces/{ns}/services/{name}", None, "application/json", target)
        if service.status == 404:
            raise NetworkError(
                f"{target.describe()} not found",
                hint="pass --controller-name and --controller-namespace (the Helm chart names it sealed-secrets)",
            )
        if service.status != 200:
            raise NetworkError(
                f"cannot read {target.describe()}: HTTP {service.status}{_detail(service)}", hint="check your access"
            )
        port = _first_port_name(service.body)
        proxy = f"/api/v1/namespaces/{ns}/services/http:{name}:{urllib.parse.quote(port, safe='')}/proxy{path}"
        return _call(client, method, proxy, body, accept, target)
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _first_port_name(body: bytes) -> str:
    import json

    try:
        ports = json.loads(body)["spec"]["ports"]
        return str(ports[0].get("name") or "")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise NetworkError("the controller service has no ports", hint="check the controller's Service") from None


def _call(client: Any, method: str, path: str, body: bytes | None, accept: str, target: ControllerTarget) -> _Response:
    """One request through the client's own transport, so kubeconfig auth (token, client certs, CA) applies."""
    import json

    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/json"
    # The client JSON-encodes bodies itself; hand it the parsed document.
    payload = json.loads(body) if body is not None else None
    try:
        method, url, headers, payload, _ = client.param_serialize(
            method, path, header_params=headers, body=payload, auth_settings=["BearerToken"]
        )
        response = client.call_api(method, url, header_params=headers, body=payload, _request_timeout=target.timeout)
        response.read()
    except (HTTPError, OSError, ApiException) as exc:  # unreachable, TLS failure: none carries secrets
        raise NetworkError(
            f"cannot reach the Kubernetes API server for {target.describe()} ({type(exc).__name__})",
            hint="check your kubeconfig and network, or pass --cert FILE / --controller-url",
        ) from None
    return _Response(int(response.status), bytes(response.data or b""))


def _request(target: ControllerTarget, method: str, path: str, body: bytes | None, accept: str) -> _Response:
    if target.url:
        return _direct(target, method, path, body, accept)
    return _via_api_server(target, method, path, body, accept)


def fetch_certificate(target: ControllerTarget) -> bytes:
    """The controller's current certificate(s), PEM (``GET /v1/cert.pem``)."""
    response = _request(target, "GET", "/v1/cert.pem", None, _PEM_ACCEPT)
    if response.status != 200:
        raise NetworkError(
            f"cannot fetch the certificate from the {target.describe()}: HTTP {response.status}{_detail(response)}",
            hint="check --controller-name/--controller-namespace, or pass --cert FILE",
        )
    return response.body


def verify(target: ControllerTarget, sealed_secret_json: bytes, *, subject: str = "the SealedSecret") -> None:
    """``POST /v1/verify``; returns if the controller can decrypt it.

    Raises :class:`DecryptionError` on 409 (it cannot: the reason is the
    controller's), :class:`InputError` on 400, :class:`NetworkError` otherwise.
    """
    response = _request(target, "POST", "/v1/verify", sealed_secret_json, "application/json, */*")
    if response.status != 200:
        raise _failed(response, target, "validate", subject,
                      hint="retry later if it was rate-limited (HTTP 429), else check the controller's logs")


def rotate(target: ControllerTarget, sealed_secret_json: bytes, *, subject: str = "the SealedSecret") -> bytes:
    """``POST /v1/rotate``: the SealedSecret re-encrypted with the controller's newest key (JSON).

    Failures as :func:`verify`'s (the Bitnami controller answers 500 when it
    cannot decrypt, which stays a :class:`NetworkError`: it cannot be told
    from a crash).
    """
    response = _request(target, "POST", "/v1/rotate", sealed_secret_json, "application/json, */*")
    if response.status == 200:
        return response.body
    raise _failed(response, target, "re-encrypt", subject,
                  hint="the controller could not decrypt or parse it; check its logs")


def _kubeconfig_paths(explicit: str | None) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def context_namespace(*, kubeconfig: str | None = None, context: str | None = None) -> str | None:
    """The namespace kubectl would use: the current context's, else ``default``; in a pod without a
    kubeconfig, the service account's; None otherwise.

    Files are merged as kubectl merges ``KUBECONFIG`` (first ``current-context``
    and first definition of a context win).
    """
    from sealer.formats.manifests import load_documents  # lazily: only a Secret without a namespace needs it

    current: str | None = context
    contexts: dict[str, Any] = {}
    found = False
    for path in _kubeconfig_paths(kubeconfig):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        docs = load_documents(data, source=str(path))
        if not docs or not isinstance(docs[0], dict):
            continue
        found = True
        doc = docs[0]
        current = current or doc.get("current-context") or None
        for item in doc.get("contexts") or []:
            if isinstance(item, dict) and item.get("name") not in contexts:
                contexts[str(item.get("name"))] = item.get("context") or {}
    if not found:
        try:  # in a pod, as client-go's in-cluster config does
            return Path(SERVICE_ACCOUNT_NAMESPACE_FILE).read_text().strip() or None
        except OSError:
            return None
    ctx = contexts.get(current or "") or {}
    return str(ctx.get("namespace") or "default") if isinstance(ctx, dict) else "default"
