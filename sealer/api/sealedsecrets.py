"""kubeseal-compatible SealedSecrets as a library: bytes in, bytes out, keyword-only options.

Everything ``sealer seal`` does is a call here, so other programs (the
controller, the Kustomize plugin, scripts) get the same behaviour without click
or files. Inputs are manifest bytes (YAML or JSON streams); outputs are
manifest bytes in kubeseal's JSON (default) or YAML (``---`` first).

Only the functions that talk to a controller import :mod:`sealer.kube`, and
only when called.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from sealer.crypto.sealing_certificate import SealingCertificate, read_sealing_certificate
from sealer.errors import CertificateError, FormatError, InputError, KeyNotFoundError
from sealer.formats import manifests
from sealer.formats.sealedsecret.scope import Scope

if TYPE_CHECKING:
    from sealer.keys.keyring import KeyRing, SealingKey
    from sealer.kube.controller_proxy import ControllerTarget

__all__ = [
    "NO_EXPIRY",
    "OutputFormat",
    "SealingCertificate",
    "fetch_certificate",
    "is_bare_public_key",
    "load_certificate",
    "load_private_keys",
    "merge_into",
    "reencrypt",
    "rotate",
    "seal",
    "seal_raw",
    "unseal",
    "validate",
]

OutputFormat = Literal["json", "yaml"]


def _emit(doc: Any, output_format: str) -> bytes:
    if output_format == "yaml":
        return manifests.dump_yaml(doc)
    if output_format == "json":
        return manifests.dump_json(doc)
    raise InputError(f"unsupported output format {output_format!r}", hint="use -o json or -o yaml")


NO_EXPIRY = dt.datetime.max.replace(tzinfo=dt.UTC)
"""``not_after`` of a :class:`SealingCertificate` read from a bare public key (it has no dates)."""


def is_bare_public_key(certificate: SealingCertificate) -> bool:
    """True if ``certificate`` came from a public key PEM, not a certificate (so nothing about expiry is known)."""
    return certificate.not_after == NO_EXPIRY


def load_certificate(pem: bytes, *, source: str = "certificate") -> SealingCertificate:
    """Read a controller certificate (PEM; a bundle's first certificate seals).

    A bare RSA public key PEM is accepted too (kubeseal accepts certificates
    only): the wire format needs nothing else; :func:`is_bare_public_key`
    tells the caller, to say so. A private key is refused with a hint, so it
    does not end up pasted where certificates are kept.
    """
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        from sealer.crypto.public_key_pem import PUBLIC_KEY_MARKERS, load_rsa_public_key_pem

        if any(marker in pem for marker in PUBLIC_KEY_MARKERS):
            return SealingCertificate(load_rsa_public_key_pem(pem, source=source), NO_EXPIRY)
        if b"PRIVATE KEY-----" in pem:
            raise CertificateError(
                f"{source}: is a private key, not a certificate",
                hint="seal with the controller's certificate ('sealer seal --fetch-cert > cert.pem'); "
                "private keys belong to --recovery-private-key only",
            )
    return read_sealing_certificate(pem, source=source)


def _cert(certificate: bytes | SealingCertificate) -> SealingCertificate:
    return certificate if isinstance(certificate, SealingCertificate) else load_certificate(certificate)


def seal(
    data: bytes,
    *,
    certificate: bytes | SealingCertificate,
    output_format: str = "json",
    scope: Scope | None = None,
    name: str | None = None,
    namespace: str | None = None,
    default_namespace: str | Callable[[], str | None] | None = None,
    namespace_must_match: bool = False,
    allow_empty_data: bool = False,
    source: str = "input",
) -> bytes:
    """Seal every Secret in ``data`` (a YAML/JSON stream) for ``certificate``; one SealedSecret each."""
    from sealer.formats.sealedsecret.seal import seal_secret

    cert = _cert(certificate)
    docs = manifests.load_documents(data, source=source)
    if not docs:
        raise InputError(f"{source}: no Secret found", hint="pass a v1 Secret as YAML or JSON (stdin or -f FILE)")
    out = [
        seal_secret(
            doc,
            cert.public_key,
            scope=scope,
            name=name,
            namespace=namespace,
            default_namespace=default_namespace,
            namespace_must_match=namespace_must_match,
            allow_empty_data=allow_empty_data,
            source=source if len(docs) == 1 else f"{source} (document {i + 1})",
        )
        for i, doc in enumerate(docs)
    ]
    return b"".join(_emit(doc, output_format) for doc in out)


def seal_raw(
    value: bytes,
    *,
    certificate: bytes | SealingCertificate,
    scope: Scope = Scope.STRICT,
    namespace: str = "",
    name: str = "",
) -> bytes:
    """One sealed value (base64, no trailing newline), as ``kubeseal --raw`` prints it."""
    from sealer.formats.sealedsecret.seal import seal_raw as _seal_raw

    return _seal_raw(value, _cert(certificate).public_key, scope=scope, namespace=namespace, name=name).encode()


def merge_into(
    existing: bytes,
    data: bytes,
    *,
    certificate: bytes | SealingCertificate,
    scope: Scope | None = None,
    allow_empty_data: bool = False,
    source: str = "input",
    target: str = "SealedSecret file",
) -> bytes:
    """Seal the Secret in ``data`` into the SealedSecret ``existing``; return the updated file.

    As kubeseal ``--merge-into``: the Secret is sealed for the existing
    SealedSecret's name and namespace, its items are added or replace items of
    the same key, its template labels/annotations/data are merged in; every
    other byte of the file (comments, key order, quoting, format) is kept.
    Unlike kubeseal, a Secret without scope annotations takes the existing
    SealedSecret's scope (kubeseal would seal it strict and break a wider one).
    """
    from sealer.formats.sealedsecret.model import SealedSecret
    from sealer.formats.sealedsecret.seal import seal_secret

    rt = manifests.load_round_trip(existing, source=target)
    if len(rt.documents) != 1:
        raise FormatError(
            f"{target}: holds {len(rt.documents)} documents", hint="merge into a file with one SealedSecret"
        )
    doc = rt.documents[0]
    original = SealedSecret.from_dict(doc, source=target)
    secrets = manifests.load_documents(data, source=source)
    if len(secrets) != 1:
        raise InputError(f"{source}: expected one Secret, found {len(secrets)}", hint="merge one Secret at a time")
    secret = secrets[0]
    effective = scope
    if effective is None:
        from sealer.formats.sealedsecret.scope import scope_from_annotations

        own = (secret.get("metadata") or {}).get("annotations") if isinstance(secret, dict) else None
        if scope_from_annotations(own) is Scope.STRICT and original.scope is not Scope.STRICT:
            effective = original.scope
    update = seal_secret(
        secret,
        _cert(certificate).public_key,
        scope=effective,
        name=original.name,
        namespace=original.namespace,
        allow_empty_data=allow_empty_data,
        source=source,
    )
    spec = doc.setdefault("spec", {})
    encrypted = spec.get("encryptedData")
    if encrypted is None:
        spec["encryptedData"] = encrypted = {}
    for key, value in update["spec"]["encryptedData"].items():
        encrypted[key] = value
    new_meta = update["spec"]["template"].get("metadata") or {}
    for field in ("labels", "annotations"):
        if new_meta.get(field):
            template = spec.setdefault("template", {})
            meta = template.setdefault("metadata", {})
            current = meta.get(field)
            if current is None:
                meta[field] = current = {}
            for key, value in new_meta[field].items():
                current[key] = value
    return manifests.dump_round_trip(rt)


def load_private_keys(data: bytes, *, source: str = "private key") -> list[SealingKey]:
    """Keys from a PEM private key, or from key Secrets (one, several, or a ``kind: List`` backup)."""
    from sealer.crypto.rsa_keys import load_private_key_pem
    from sealer.keys.key_secrets import keys_from_documents
    from sealer.keys.keyring import SealingKey

    if b"-----BEGIN" in data and b"PRIVATE KEY-----" in data:
        return [SealingKey(load_private_key_pem(data, source=source), name=source)]
    docs = manifests.load_documents(data, source=source)
    keys = keys_from_documents(docs, source=source)
    if not keys:
        raise KeyNotFoundError(
            f"{source}: no private key found",
            hint="pass a PEM private key or a backup from "
            "'kubectl get secret -n kube-system -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml'",
        )
    return keys


def _ring(private_keys: KeyRing | Iterable[SealingKey]) -> KeyRing:
    from sealer.keys.keyring import KeyRing

    return private_keys if isinstance(private_keys, KeyRing) else KeyRing.of(private_keys)


def _sealed_secrets(data: bytes, source: str) -> list[Any]:
    from sealer.formats.sealedsecret.model import SealedSecret

    docs = manifests.load_documents(data, source=source)
    if not docs:
        raise InputError(f"{source}: no SealedSecret found", hint="pass a SealedSecret as YAML or JSON")
    return [SealedSecret.from_dict(doc, source=source) for doc in docs]


def unseal(
    data: bytes,
    *,
    private_keys: KeyRing | Iterable[SealingKey],
    output_format: str = "json",
    source: str = "input",
) -> bytes:
    """Decrypt SealedSecrets offline into the Secrets the controller would create (recovery)."""
    from sealer.formats.sealedsecret.unseal import unseal as _unseal

    ring = _ring(private_keys)
    secrets = [_unseal(ss, ring) for ss in _sealed_secrets(data, source)]
    return b"".join(_emit(secret, output_format) for secret in secrets)


def reencrypt(
    data: bytes,
    *,
    private_keys: KeyRing | Iterable[SealingKey],
    certificate: bytes | SealingCertificate | None = None,
    output_format: str | None = "json",
    source: str = "input",
) -> bytes:
    """Offline re-encryption: decrypt with ``private_keys``, seal for ``certificate`` (default: the newest key).

    What kubeseal's ``--re-encrypt`` asks the controller to do, without a
    controller (sealed-secrets #1453). Only ``encryptedData`` values change:
    metadata, templates, scope and fields we do not know stay as they were.
    ``output_format=None`` keeps the input's own format too (YAML comments,
    key order, quoting; JSON indent), for rewriting a file in place. Every
    value must open: otherwise a :class:`~sealer.errors.DecryptionError`
    names the items and nothing is returned.
    """
    from sealer.formats.sealedsecret.model import SealedSecret
    from sealer.formats.sealedsecret.reencrypt import reencrypt as _reencrypt

    ring = _ring(private_keys)
    public = _cert(certificate).public_key if certificate is not None else ring.newest().private_key.public_key()
    if output_format is not None:
        out = [_reencrypt(ss, ring, public) for ss in _sealed_secrets(data, source)]
        return b"".join(_emit(doc, output_format) for doc in out)
    rt = manifests.load_round_trip(data, source=source)
    if not rt.documents:
        raise InputError(f"{source}: no SealedSecret found", hint="pass a SealedSecret as YAML or JSON")
    for doc in rt.documents:
        _update_spec(doc, _reencrypt(SealedSecret.from_dict(doc, source=source), ring, public))
    return manifests.dump_round_trip(rt)


def _update_spec(doc: Any, resealed: dict[str, Any]) -> None:
    """Write ``resealed``'s spec into the round-trip ``doc`` in place, so every comment and other field stays."""
    spec, new_spec = doc["spec"], resealed["spec"]
    encrypted = spec.get("encryptedData")
    if isinstance(encrypted, dict) and encrypted:
        for key in list(encrypted):
            encrypted[key] = new_spec["encryptedData"][key]
    else:
        spec["encryptedData"] = new_spec["encryptedData"]
    if "template" in new_spec and "template" not in spec:  # a legacy spec.data blob became a template
        spec["template"] = new_spec["template"]
    if "data" not in new_spec:
        spec.pop("data", None)


def _subject(ss: Any) -> str:
    """How errors name a SealedSecret (as the controller's own messages do, so the CLI can drop the repeat)."""
    return f"SealedSecret {ss.namespace or '<no namespace>'}/{ss.name or '<no name>'}"


def fetch_certificate(*, target: ControllerTarget) -> bytes:
    """The controller's certificate PEM, through the API server's service proxy or ``target.url``."""
    from sealer.kube import controller_proxy

    return controller_proxy.fetch_certificate(target)


def validate(data: bytes, *, target: ControllerTarget, source: str = "input") -> None:
    """Ask the controller whether it can decrypt each SealedSecret.

    Raises :class:`DecryptionError` (with the controller's reason) if it cannot,
    :class:`InputError` if it rejects the document, :class:`NetworkError` else.
    """
    from sealer.kube import controller_proxy

    for ss in _sealed_secrets(data, source):
        controller_proxy.verify(target, json.dumps(ss.raw).encode(), subject=_subject(ss))


def rotate(data: bytes, *, target: ControllerTarget, output_format: str = "json", source: str = "input") -> bytes:
    """Have the controller re-encrypt each SealedSecret with its newest key (kubeseal ``--re-encrypt``)."""
    from sealer.kube import controller_proxy

    out: list[bytes] = []
    for ss in _sealed_secrets(data, source):
        body = controller_proxy.rotate(
            target, json.dumps(ss.raw).encode(), subject=_subject(ss)
        )
        try:
            doc = json.loads(body)
        except ValueError:
            raise FormatError("the controller's /v1/rotate answer is not JSON", hint="check the controller") from None
        if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
            doc["metadata"]["creationTimestamp"] = None  # as kubeseal clears them
            doc["metadata"].pop("generation", None)
            doc["metadata"].pop("deletionTimestamp", None)
        out.append(_emit(doc, output_format))
    return b"".join(out)

