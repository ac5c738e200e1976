"""Seal a Secret into a SealedSecret, exactly as kubeseal does.

Behaviour follows ``pkg/kubeseal/kubeseal.go`` ``Seal`` and
``pkg/apis/sealedsecrets/v1alpha1`` ``NewSealedSecret``:

- every ``data``/``stringData`` item becomes one envelope in
  ``spec.encryptedData`` (``stringData`` wins on a clash, as in Kubernetes);
- ``spec.template`` carries the Secret's metadata (minus what a server sets,
  ``ownerReferences`` and the ``last-applied-configuration`` annotations,
  which hold a plaintext copy of the Secret), ``type`` and ``immutable``;
- the scope comes from ``scope=`` or else the Secret's scope annotations, and
  is recorded as annotations on both the SealedSecret and its template.

One deliberate difference: an explicit ``scope=Scope.STRICT`` removes scope
annotations (kubeseal cannot tell ``--scope strict`` from no flag and keeps
them). The result is a plain dict in kubeseal's key order; emitting it as
JSON or YAML is :mod:`sealer.formats.manifests`' job.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from sealer.crypto.kubeseal_envelope import hybrid_encrypt
from sealer.errors import FormatError, InputError
from sealer.formats.sealedsecret.scope import (
    CLUSTER_WIDE_ANNOTATION,
    NAMESPACE_WIDE_ANNOTATION,
    Scope,
    encryption_label,
    scope_annotations,
    scope_from_annotations,
)

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    PublicKeyLike = x509.Certificate | rsa.RSAPublicKey

__all__ = ["PlainSecret", "parse_secret", "seal_raw", "seal_secret", "seal_values"]

# As in sealer.formats.sealedsecret.model (not imported here: it pulls in dataclasses, ~6 ms on the seal path).
API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"
LAST_APPLIED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
)
# ObjectMeta fields kubeseal keeps in spec.template.metadata, in Go's struct (and so JSON) order.
_KEPT_METADATA = ("name", "generateName", "namespace", "labels", "annotations", "finalizers")


class PlainSecret(NamedTuple):
    """A checked input Secret: the fields sealing needs, values decoded to bytes."""

    name: str
    namespace: str
    metadata: dict[str, Any]
    values: dict[str, bytes]
    type: str | None
    immutable: bool | None

    def __repr__(self) -> str:  # never show plaintext
        return f"PlainSecret({self.namespace}/{self.name}, keys={sorted(self.values)!r})"


def _public_key(key: PublicKeyLike) -> rsa.RSAPublicKey:
    from cryptography.hazmat.primitives.asymmetric import rsa

    if isinstance(key, rsa.RSAPublicKey):
        return key
    # A certificate (checked by duck typing: importing cryptography.x509 costs ~35 ms on the seal path).
    public = key.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise TypeError("sealing needs an RSA public key or a certificate holding one")
    return public


def _string_map(value: Any, where: str, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise FormatError(f"{source}: {where} must be a map", hint="check the Secret's YAML")
    return {str(k): v for k, v in value.items()}


def _decode_data(data: Mapping[str, Any], source: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise FormatError(
                f"{source}: data[{key!r}] is not a base64 string",
                hint="put plain text under stringData, or base64-encode it under data",
            )
        # Go's base64 (as the API server uses it) skips CR/LF; anything else must be canonical.
        compact = value.replace("\r", "").replace("\n", "")
        try:
            out[key] = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise FormatError(
                f"{source}: data[{key!r}] is not valid base64",
                hint="encode it with 'base64 -w0', or move the plain text to stringData",
            ) from None
    return out


def parse_secret(doc: Any, *, source: str = "input") -> PlainSecret:
    """Check that ``doc`` is a ``v1`` Secret and decode its items; errors never include values."""
    if not isinstance(doc, Mapping):
        raise FormatError(f"{source}: not a Kubernetes object", hint="expected a v1 Secret mapping")
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind != "Secret" or api_version not in (None, "v1"):
        raise FormatError(
            f"{source}: not a Secret (apiVersion {api_version!r}, kind {kind!r})",
            hint="pass a v1 Secret, e.g. from 'kubectl create secret generic ... --dry-run=client -o yaml'",
        )
    metadata = _string_map(doc.get("metadata"), "metadata", source)
    values = _decode_data(_string_map(doc.get("data"), "data", source), source)
    for key, value in _string_map(doc.get("stringData"), "stringData", source).items():
        if not isinstance(value, str):
            raise FormatError(
                f"{source}: stringData[{key!r}] is not a string",
                hint="quote the value in YAML (e.g. port: \"8080\")",
            )
        values[key] = value.encode()
    secret_type = doc.get("type")
    if secret_type is not None and not isinstance(secret_type, str):
        raise FormatError(f"{source}: type must be a string", hint="e.g. Opaque or kubernetes.io/tls")
    immutable = doc.get("immutable")
    if immutable is not None and not isinstance(immutable, bool):
        raise FormatError(f"{source}: immutable must be true or false", hint="check the Secret's YAML")
    for field in ("name", "namespace"):
        if metadata.get(field) is not None and not isinstance(metadata[field], str):
            raise FormatError(f"{source}: metadata.{field} must be a string", hint="check the Secret's YAML")
    return PlainSecret(
        name=metadata.get("name") or "",
        namespace=metadata.get("namespace") or "",
        metadata=metadata,
        values=values,
        type=secret_type or None,
        immutable=immutable,
    )


def seal_values(values: Mapping[str, bytes], public_key: PublicKeyLike, label: bytes) -> dict[str, str]:
    """Seal each value under ``label``; keys sorted, as Go marshals a map."""
    key = _public_key(public_key)
    return {name: base64.b64encode(hybrid_encrypt(key, values[name], label)).decode("ascii") for name in sorted(values)}


def _template_metadata(
    meta: Mapping[str, Any], name: str, namespace: str, scope_override: Scope | None
) -> dict[str, Any]:
    annotations = {str(k): v for k, v in (meta.get("annotations") or {}).items() if k not in LAST_APPLIED_ANNOTATIONS}
    if scope_override is not None:
        annotations.pop(NAMESPACE_WIDE_ANNOTATION, None)
        annotations.pop(CLUSTER_WIDE_ANNOTATION, None)
        annotations.update(scope_annotations(scope_override))
    labels = dict(meta.get("labels") or {})
    fields: dict[str, Any] = {
        "name": name,
        "generateName": meta.get("generateName"),
        "namespace": namespace,
        "creationTimestamp": None,  # kubeseal (Go's metav1.Time) always writes it, as null
        "labels": {key: labels[key] for key in sorted(labels)},  # Go marshals maps sorted
        "annotations": {key: annotations[key] for key in sorted(annotations)},
        "finalizers": list(meta.get("finalizers") or []),
    }
    return {k: v for k, v in fields.items() if k == "creationTimestamp" or v}


def seal_secret(
    secret: Mapping[str, Any],
    certificate_or_public_key: PublicKeyLike,
    *,
    scope: Scope | None = None,
    name: str | None = None,
    namespace: str | None = None,
    default_namespace: str | Callable[[], str | None] | None = None,
    namespace_must_match: bool = False,
    allow_empty_data: bool = False,
    source: str = "input",
) -> dict[str, Any]:
    """Seal one Secret document into a SealedSecret document.

    ``name``/``namespace`` override the Secret's own. ``default_namespace``
    fills a missing namespace (kubeseal takes it from ``--namespace`` or the
    kubeconfig context; pass a callable to look it up only when needed). With
    ``namespace_must_match`` (kubeseal's ``--namespace`` given explicitly), a
    Secret in another namespace is an error rather than silently moved.
    """
    plain = parse_secret(secret, source=source)
    if not plain.values and not allow_empty_data:
        raise InputError(
            f"{source}: the Secret has no data or stringData",
            hint="add items, or pass --allow-empty-data to seal an empty Secret",
        )
    final_name = name or plain.name
    if not final_name:
        raise InputError(f"{source}: missing metadata.name in the Secret", hint="set metadata.name or pass --name")
    meta_annotations = plain.metadata.get("annotations") or {}
    effective_scope = scope if scope is not None else scope_from_annotations(meta_annotations)
    final_namespace = namespace or plain.namespace
    if effective_scope is not Scope.CLUSTER_WIDE and not namespace:
        given = default_namespace if isinstance(default_namespace, str) else None
        if namespace_must_match and given and plain.namespace not in ("", given):
            raise InputError(
                f"{source}: namespace mismatch: the Secret is in namespace {plain.namespace!r} "
                f"but --namespace {given!r} was given",
                hint="drop --namespace, or change metadata.namespace",
            )
        if not final_namespace:
            fallback = default_namespace() if callable(default_namespace) else default_namespace
            final_namespace = fallback or ""
    if not final_namespace and effective_scope is not Scope.CLUSTER_WIDE:
        raise InputError(
            f"{source}: the Secret has no namespace, which {effective_scope.value} scope needs",
            hint="set metadata.namespace, pass --namespace, or use --scope cluster-wide",
        )
    label = encryption_label(effective_scope, final_namespace, final_name)
    metadata: dict[str, Any] = {"name": final_name}
    if final_namespace:
        metadata["namespace"] = final_namespace
    metadata["creationTimestamp"] = None
    if annotations := scope_annotations(effective_scope):
        metadata["annotations"] = annotations
    template: dict[str, Any] = {
        "metadata": _template_metadata(plain.metadata, final_name, final_namespace, scope),
    }
    if plain.type:
        template["type"] = plain.type
    if plain.immutable is not None:
        template["immutable"] = plain.immutable
    return {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "metadata": metadata,
        "spec": {"template": template, "encryptedData": seal_values(plain.values, certificate_or_public_key, label)},
    }


def seal_raw(value: bytes, public_key: PublicKeyLike, *, scope: Scope, namespace: str = "", name: str = "") -> str:
    """Seal one value as kubeseal ``--raw`` does: base64 of the envelope, no newline."""
    if scope is not Scope.CLUSTER_WIDE and not namespace:
        raise InputError(
            f"--raw with --scope {scope.value} needs a namespace",
            hint="pass --namespace, or use --scope cluster-wide",
        )
    if scope is Scope.STRICT and not name:
        raise InputError("--raw with --scope strict needs a name", hint="pass --name, or use --scope namespace-wide")
    label = encryption_label(scope, namespace, name)
    return base64.b64encode(hybrid_encrypt(_public_key(public_key), value, label)).decode("ascii")
