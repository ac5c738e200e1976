"""Sealing keys as Kubernetes Secrets, exactly as the Bitnami controller stores them.

A key Secret is ``type: kubernetes.io/tls`` with a PKCS#1 ``tls.key`` and a PEM
``tls.crt``, labelled ``sealedsecrets.bitnami.com/sealed-secrets-key: active``
and named from the ``sealed-secrets-key`` prefix. Reading and writing this
shape is what lets users import the Bitnami controller's keys into ours (and
back), and what ``kubectl get secret -l ... -o yaml > backup.yaml`` backs up.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from sealer.crypto import rsa_keys
from sealer.errors import FormatError
from sealer.keys.keyring import SealingKey

KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key"
KEY_LABEL_ACTIVE = "active"
KEY_NAME_PREFIX = "sealed-secrets-key"
TLS_SECRET_TYPE = "kubernetes.io/tls"


def key_to_secret(key: SealingKey, *, namespace: str, name: str | None = None) -> dict[str, Any]:
    """A key Secret manifest; without ``name`` it uses ``generateName`` like the Bitnami controller."""
    if key.certificate is None:
        raise ValueError("a key Secret needs the key's certificate")
    metadata: dict[str, Any] = {
        "namespace": namespace,
        "labels": {KEY_LABEL: KEY_LABEL_ACTIVE},
    }
    if name:
        metadata["name"] = name
    else:
        metadata["generateName"] = KEY_NAME_PREFIX
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": TLS_SECRET_TYPE,
        "metadata": metadata,
        "data": {
            "tls.crt": base64.b64encode(rsa_keys.certificate_to_pem(key.certificate)).decode(),
            "tls.key": base64.b64encode(rsa_keys.private_key_to_pem(key.private_key)).decode(),
        },
    }


def _b64field(secret: Mapping[str, Any], field: str, source: str) -> bytes:
    data = secret.get("data") or {}
    string_data = secret.get("stringData") or {}
    if field in string_data:
        return str(string_data[field]).encode()
    if field not in data:
        raise FormatError(f"{source}: key Secret has no {field!r}", hint="export it with kubectl get secret -o yaml")
    try:
        return base64.b64decode(str(data[field]), validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{source}: {field!r} is not valid base64", hint="re-export the key Secret") from None


def is_key_secret(secret: Mapping[str, Any]) -> bool:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    return bool(secret.get("kind") == "Secret" and KEY_LABEL in labels)


def key_from_secret(secret: Mapping[str, Any], *, source: str = "key Secret") -> SealingKey:
    """Parse one key Secret; its private key must be consistent and match its certificate."""
    meta = secret.get("metadata") or {}
    name = str(meta.get("name") or source)
    key = rsa_keys.load_private_key_pem(_b64field(secret, "tls.key", name), source=name)
    cert = None
    if "tls.crt" in (secret.get("data") or {}) or "tls.crt" in (secret.get("stringData") or {}):
        cert = rsa_keys.load_certificates_pem(_b64field(secret, "tls.crt", name), source=name)[0]
        if rsa_keys.public_key_fingerprint(cert.public_key()) != rsa_keys.public_key_fingerprint(  # type: ignore[arg-type]
            key.public_key()
        ):
            raise FormatError(f"{name}: tls.crt does not belong to tls.key", hint="check the backup is complete")
    return SealingKey(key, cert, name=name)


def keys_from_documents(docs: Iterable[Mapping[str, Any]], *, source: str) -> list[SealingKey]:
    """Keys from Secrets, or from ``kind: List`` / ``SecretList`` documents as ``kubectl get -o yaml`` gives."""
    keys: list[SealingKey] = []
    for doc in docs:
        if not isinstance(doc, Mapping):
            continue
        if doc.get("kind") in ("List", "SecretList"):
            keys.extend(keys_from_documents(doc.get("items") or [], source=source))
        elif doc.get("kind") == "Secret":
            keys.append(key_from_secret(doc, source=source))
    return keys
