"""Kubernetes I/O for ``sealer rewrite-secrets``: list, get and replace Secrets as raw JSON.

Raw JSON, not the client's typed models: a rewrite must send back exactly what
it read (unknown fields included), and skipping model (de)serialization is
what makes thousands of Secrets cheap. HTTP statuses become the outcomes
:mod:`sealer.encryption_at_rest.rewrite` decides on.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sealer.encryption_at_rest.rewrite import Conflict, NotFound, Permanent, Transient
from sealer.errors import NetworkError
from sealer.kube.client import api_client


class KubeSecretsClient:
    """A :class:`~sealer.encryption_at_rest.rewrite.SecretsClient` over an official ``ApiClient``."""

    def __init__(self, client: Any, *, timeout: float = 30.0) -> None:
        self._client = client
        self._timeout = timeout

    @classmethod
    @contextmanager
    def connect(cls, *, kubeconfig: str | None = None, context: str | None = None) -> Iterator[KubeSecretsClient]:
        client = api_client(kubeconfig=kubeconfig, context=context)
        try:
            yield cls(client)
        finally:
            client.close()

    def _call(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        import urllib3  # the kubernetes client's transport; imported with it

        method_, url, headers, payload, _ = self._client.param_serialize(
            method, path, query_params=query or [], header_params={"Accept": "application/json",
                                                                   "Content-Type": "application/json"},
            body=body, auth_settings=["BearerToken"])
        try:
            response = self._client.call_api(method_, url, header_params=headers, body=payload,
                                             _request_timeout=self._timeout)
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise Transient(f"{method} {path}: {exc.__class__.__name__}") from None
        status = int(response.status)
        if 200 <= status < 300:
            return dict(json.loads(data))
        message = _message(data)
        if status == 409:
            raise Conflict(message)
        if status == 404:
            raise NotFound(message)
        if status == 429 or status >= 500:
            raise Transient(f"HTTP {status}: {message}")
        if status in (401, 403):
            raise NetworkError(f"the API server refused {method} {path}: HTTP {status}: {message}",
                               hint="rewrite-secrets needs list, get and update on secrets")
        raise Permanent(f"HTTP {status}: {message}")

    def list_page(self, *, namespace: str | None, label_selector: str | None, field_selector: str | None,
                  limit: int, continue_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        path = f"/api/v1/namespaces/{_q(namespace)}/secrets" if namespace else "/api/v1/secrets"
        query = [("limit", str(limit))]
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        if continue_token:
            query.append(("continue", continue_token))
        try:
            doc = self._call("GET", path, query=query)
        except (Conflict, NotFound, Permanent) as exc:
            raise NetworkError(f"cannot list Secrets: {exc}") from None
        items = [i for i in doc.get("items") or [] if isinstance(i, dict)]
        token = (doc.get("metadata") or {}).get("continue") or None
        return items, token

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/namespaces/{_q(namespace)}/secrets/{_q(name)}")

    def replace(self, namespace: str, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self._call("PUT", f"/api/v1/namespaces/{_q(namespace)}/secrets/{_q(name)}", body=obj)


def _q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _message(data: bytes) -> str:
    try:
        doc = json.loads(data)
    except ValueError:
        return data[:200].decode("utf-8", "replace")
    return str(doc.get("message", "")) if isinstance(doc, dict) else ""
