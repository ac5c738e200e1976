"""The SealedSecret resource as kubeseal writes it and the Bitnami controller reads it.

The file schema is not the in-memory model: ``SealedSecret.from_dict`` checks a
parsed document once (so every later step can trust types) and keeps the
original mapping, so fields we do not model survive a read-modify-write
(``--merge-into``, ``/v1/rotate``).
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealer.errors import FormatError
from sealer.formats.sealedsecret.scope import Scope, encryption_label, scope_from_annotations

API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise FormatError(f"{where} must be a map of strings", hint="check the SealedSecret's YAML")
    return dict(value)


@dataclass
class SecretTemplate:
    """``spec.template``: what the unsealed Secret looks like apart from its data."""

    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    type: str | None = None
    immutable: bool | None = None
    data: dict[str, str] = field(default_factory=dict)
    """Go text/template strings rendered over the decrypted values (``template.data``)."""

    @classmethod
    def from_dict(cls, raw: Any) -> SecretTemplate:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise FormatError("spec.template must be a map", hint="check the SealedSecret's YAML")
        meta = raw.get("metadata") or {}
        if not isinstance(meta, Mapping):
            raise FormatError("spec.template.metadata must be a map", hint="check the SealedSecret's YAML")
        type_ = raw.get("type")
        immutable = raw.get("immutable")
        if type_ is not None and not isinstance(type_, str):
            raise FormatError("spec.template.type must be a string", hint="e.g. Opaque or kubernetes.io/tls")
        if immutable is not None and not isinstance(immutable, bool):
            raise FormatError("spec.template.immutable must be true or false", hint="check the SealedSecret's YAML")
        return cls(
            labels=_str_map(meta.get("labels"), "spec.template.metadata.labels"),
            annotations=_str_map(meta.get("annotations"), "spec.template.metadata.annotations"),
            type=type_,
            immutable=immutable,
            data=_str_map(raw.get("data"), "spec.template.data"),
        )


@dataclass
class SealedSecret:
    name: str
    namespace: str
    annotations: dict[str, str]
    encrypted_data: dict[str, str]
    """Key -> base64 kubeseal envelope, as stored in ``spec.encryptedData``."""
    template: SecretTemplate
    legacy_data: str | None = None
    """The deprecated ``spec.data``: one envelope holding a whole serialized Secret."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, doc: Any, *, source: str = "input") -> SealedSecret:
        if not isinstance(doc, Mapping):
            raise FormatError(f"{source}: not a Kubernetes object", hint="expected a SealedSecret mapping")
        if doc.get("kind") != KIND or doc.get("apiVersion") != API_VERSION:
            raise FormatError(
                f"{source}: not a SealedSecret (apiVersion {doc.get('apiVersion')!r}, kind {doc.get('kind')!r})",
                hint=f"expected apiVersion {API_VERSION}, kind {KIND}",
            )
        meta = doc.get("metadata") or {}
        spec = doc.get("spec") or {}
        if not isinstance(meta, Mapping) or not isinstance(spec, Mapping):
            raise FormatError(f"{source}: metadata and spec must be maps", hint="check the SealedSecret's YAML")
        legacy = spec.get("data")
        if legacy is not None and not isinstance(legacy, str):
            raise FormatError(f"{source}: spec.data must be a base64 string", hint="check the SealedSecret's YAML")
        return cls(
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
            annotations=_str_map(meta.get("annotations"), f"{source}: metadata.annotations"),
            encrypted_data=_str_map(spec.get("encryptedData"), f"{source}: spec.encryptedData"),
            template=SecretTemplate.from_dict(spec.get("template")),
            legacy_data=legacy,
            raw=copy.deepcopy(dict(doc)),
        )

    @property
    def scope(self) -> Scope:
        """Scope comes from the SealedSecret's own annotations, as the Bitnami controller reads it."""
        return scope_from_annotations(self.annotations)

    def label(self) -> bytes:
        return encryption_label(self.scope, self.namespace, self.name)

    def ciphertext(self, key: str) -> bytes:
        """Decode one ``encryptedData`` entry; malformed base64 is a format error naming the key."""
        try:
            return base64.b64decode(self.encrypted_data[key], validate=True)
        except (binascii.Error, ValueError):
            raise FormatError(
                f"SealedSecret {self.namespace}/{self.name}: encryptedData[{key!r}] is not valid base64",
                hint="the value was truncated or edited; re-seal it",
            ) from None
