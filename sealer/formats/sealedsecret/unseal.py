"""Turn a SealedSecret back into the Secret the Bitnami controller would create.

Two steps, kept apart because the controller needs them apart:
:func:`decrypt_values` does the RSA work (and reports which key opened each
value, so the controller can try that key first next time), and
:func:`build_secret` is pure: it shapes the Secret from the SealedSecret's
template and already decrypted values, rendering ``template.data`` entries as
the Bitnami controller does (``pkg/apis/sealedsecrets/v1alpha1``
``SealedSecret.Unseal``): encrypted items first, then each template entry,
which wins on a key clash.

Errors name the SealedSecret and the entry, never a value.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealer.errors import DecryptionError, FormatError, InputError, ScopeMismatchError
from sealer.formats.sealedsecret import gotemplate
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.keys.keyring import KeyRing

__all__ = ["DecryptedValues", "build_secret", "decrypt_values", "unseal"]

# Metadata a server sets or the controller owns; never copied from the template.
_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
    "ownerReferences",
)


@dataclass(frozen=True)
class DecryptedValues:
    """Plaintext items of one SealedSecret and the fingerprints of the keys that opened them."""

    values: dict[str, bytes]
    fingerprints: frozenset[str]
    legacy_secret: Mapping[str, Any] | None = field(default=None, repr=False)
    """For the deprecated ``spec.data`` form only: the whole decrypted Secret document."""

    def __repr__(self) -> str:  # never show plaintext, even in a debugger or a log line
        return f"DecryptedValues(keys={sorted(self.values)!r}, fingerprints={sorted(self.fingerprints)!r})"


def _ident(ss: SealedSecret) -> str:
    return f"SealedSecret {ss.namespace or '<no namespace>'}/{ss.name or '<no name>'}"


def _alternative_labels(ss: SealedSecret) -> list[tuple[str, bytes]]:
    """Labels a value might have been sealed with instead, to explain a failure (never to accept it).

    kubeseal copies name/namespace into ``spec.template.metadata``, so a
    SealedSecret renamed by hand still says what it was sealed for there.
    """
    template = (ss.raw.get("spec") or {}).get("template") or {}
    meta = template.get("metadata") if isinstance(template, Mapping) else None
    meta = meta if isinstance(meta, Mapping) else {}
    t_ns, t_name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    candidates = [
        (f"strict scope for {ss.namespace}/{ss.name}", f"{ss.namespace}/{ss.name}".encode()),
        (f"strict scope for {t_ns}/{t_name}", f"{t_ns}/{t_name}".encode()),
        (f"namespace-wide scope for namespace {ss.namespace}", ss.namespace.encode()),
        (f"namespace-wide scope for namespace {t_ns}", t_ns.encode()),
        ("cluster-wide scope", b""),
    ]
    seen = {ss.label(), b"/"}
    out: list[tuple[str, bytes]] = []
    for what, label in candidates:
        if label in seen or (not label and what != "cluster-wide scope"):
            continue
        seen.add(label)
        out.append((what, label))
    return out


def _diagnose(ss: SealedSecret, ring: KeyRing, ciphertext: bytes, entry: str) -> ScopeMismatchError | None:
    for what, label in _alternative_labels(ss):
        try:
            ring.decrypt(ciphertext, label)
        except DecryptionError:
            continue
        return ScopeMismatchError(
            f"{_ident(ss)}: {entry} was sealed for {what}, not for this SealedSecret's "
            f"{ss.scope.value} scope",
            hint="re-seal it with the right --name/--namespace/--scope, or restore the original metadata",
        )
    return None


def _own_label(ss: SealedSecret) -> bytes:
    try:
        return ss.label()
    except InputError as exc:  # no namespace / name for the scope
        hint = "a SealedSecret needs metadata.name and metadata.namespace"
        raise FormatError(f"{_ident(ss)}: {exc.message}", hint=hint) from None


def _open(
    ss: SealedSecret, ring: KeyRing, ciphertext: bytes, label: bytes, entry: str, prefer: str | None, diagnose: bool
) -> tuple[bytes, str]:
    try:
        opened = ring.decrypt(ciphertext, label, prefer=prefer)
    except ScopeMismatchError:
        raise
    except DecryptionError as exc:
        if diagnose and "tampered" not in exc.message:
            mismatch = _diagnose(ss, ring, ciphertext, entry)
            if mismatch is not None:
                raise mismatch from None
        raise DecryptionError(f"{_ident(ss)}: {entry}: {exc.message}", hint=exc.hint) from None
    return opened.plaintext, opened.fingerprint


def _legacy(ss: SealedSecret, ring: KeyRing, label: bytes, prefer: str | None, diagnose: bool) -> DecryptedValues:
    if ss.encrypted_data:
        raise FormatError(
            f"{_ident(ss)}: uses both encryptedData and the deprecated spec.data",
            hint="keep only encryptedData (re-seal the Secret)",
        )
    try:
        ciphertext = base64.b64decode(ss.legacy_data or "", validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{_ident(ss)}: spec.data is not valid base64", hint="re-seal the Secret") from None
    plaintext, fingerprint = _open(ss, ring, ciphertext, label, "spec.data", prefer, diagnose)
    try:
        doc = json.loads(plaintext)
    except ValueError:
        raise FormatError(f"{_ident(ss)}: spec.data does not hold a serialized Secret", hint="re-seal it") from None
    if not isinstance(doc, dict):
        raise FormatError(f"{_ident(ss)}: spec.data does not hold a serialized Secret", hint="re-seal it")
    values: dict[str, bytes] = {}
    for key, value in (doc.get("data") or {}).items():
        try:
            values[str(key)] = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise FormatError(f"{_ident(ss)}: spec.data item {key!r} is not valid base64", hint="re-seal it") from None
    for key, value in (doc.get("stringData") or {}).items():
        values[str(key)] = str(value).encode()
    return DecryptedValues(values, frozenset({fingerprint}), legacy_secret=doc)


def decrypt_values(
    ss: SealedSecret, ring: KeyRing, *, prefer: str | None = None, diagnose: bool = True
) -> DecryptedValues:
    """Decrypt every ``encryptedData`` item (or the legacy ``spec.data`` blob).

    ``prefer`` is a key fingerprint to try first. When no key opens an item
    and ``diagnose`` is true, the other plausible labels (up to four) are
    tried on the first failing item to tell a scope/name mismatch
    (:class:`ScopeMismatchError`) from a wrong key; this costs extra RSA
    operations only on the failure path, once per call (pass
    ``diagnose=False`` where failures are frequent and nobody reads why).
    Every failing item is named in the one error raised.
    """
    label = _own_label(ss)
    if ss.legacy_data is not None:
        return _legacy(ss, ring, label, prefer, diagnose)
    values: dict[str, bytes] = {}
    fingerprints: set[str] = set()
    failures: list[tuple[str, DecryptionError]] = []
    for key in sorted(ss.encrypted_data):
        ciphertext = ss.ciphertext(key)
        try:
            # Diagnose only the first failing item: the extra RSA work stays bounded (the rest almost
            # surely fail for the same reason).
            explain = diagnose and not failures
            plaintext, fingerprint = _open(ss, ring, ciphertext, label, f"encryptedData[{key!r}]", prefer, explain)
        except DecryptionError as exc:
            failures.append((key, exc))
            continue
        values[key] = plaintext
        fingerprints.add(fingerprint)
        prefer = fingerprint  # the next items were almost surely sealed with the same key
    if failures:
        first = failures[0][1]
        if len(failures) == 1:
            raise first
        names = ", ".join(repr(k) for k, _ in failures)
        cls = ScopeMismatchError if isinstance(first, ScopeMismatchError) else DecryptionError
        raise cls(f"{_ident(ss)}: {len(failures)} items failed to decrypt ({names}); first: {first.message}",
                  hint=first.hint)
    return DecryptedValues(values, frozenset(fingerprints))


def _clean_metadata(meta: Any) -> dict[str, Any]:
    if not isinstance(meta, Mapping):
        return {}
    return {str(k): v for k, v in meta.items() if k not in _SERVER_METADATA and k not in ("name", "namespace")}


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def build_secret(
    ss: SealedSecret, values: Mapping[str, bytes], *, legacy_secret: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``v1`` Secret the Bitnami controller would produce from ``ss`` and its decrypted ``values``.

    Metadata comes from ``spec.template.metadata`` (labels, annotations and any
    other user fields), with ``name``/``namespace`` forced to the
    SealedSecret's own. ``template.data`` entries are rendered over the
    decrypted values and override encrypted items of the same key.
    ownerReferences are left to the caller (the controller adds them unless
    the template opts out).
    """
    if legacy_secret is not None:
        base_meta = _clean_metadata(legacy_secret.get("metadata"))
        secret_type = legacy_secret.get("type")
        immutable = legacy_secret.get("immutable")
    else:
        template_raw = (ss.raw.get("spec") or {}).get("template") or {}
        base_meta = _clean_metadata(template_raw.get("metadata") if isinstance(template_raw, Mapping) else None)
        if ss.template.labels:
            base_meta["labels"] = dict(ss.template.labels)
        if ss.template.annotations:
            base_meta["annotations"] = dict(ss.template.annotations)
        secret_type = ss.template.type
        immutable = ss.template.immutable
    metadata: dict[str, Any] = {"name": ss.name, "namespace": ss.namespace, **base_meta}
    data = {key: values[key] for key in sorted(values)}
    for key in sorted(ss.template.data):
        data[key] = gotemplate.render(ss.template.data[key], values, entry=key)
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": metadata}
    if immutable is not None:
        secret["immutable"] = immutable
    secret["data"] = {key: _b64(data[key]) for key in sorted(data)}
    if secret_type:
        secret["type"] = secret_type
    return secret


def unseal(ss: SealedSecret, ring: KeyRing, *, prefer: str | None = None) -> dict[str, Any]:
    """Decrypt ``ss`` with ``ring`` and return the Secret manifest (see :func:`build_secret`)."""
    decrypted = decrypt_values(ss, ring, prefer=prefer)
    return build_secret(ss, decrypted.values, legacy_secret=decrypted.legacy_secret)

