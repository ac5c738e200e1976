"""Create or update the Secret of a SealedSecret, with the Bitnami controller's ownership rules.

* A Secret that does not exist is created, with an ownerReference to the
  SealedSecret unless its template says
  ``sealedsecrets.bitnami.com/skip-set-owner-references: "true"``.
* An existing Secret is ours if the SealedSecret controls it (ownerReference
  with its uid), or if it carries our provenance with a valid MAC (we wrote
  it, e.g. with owner references skipped), or if it is annotated
  ``sealedsecrets.bitnami.com/managed: "true"`` (take it over: data, labels,
  annotations and owner references are replaced) or
  ``sealedsecrets.bitnami.com/patch: "true"`` (merge our data, labels and
  annotations into it). Anything else is left alone:
  ``Resource "<name>" already exists and is not managed by SealedSecret``.
* Writes use the resourceVersion read, so a concurrent change is a 409 that we
  answer by re-reading and re-deciding, not by overwriting.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sealer.errors import ConflictError
from sealer_controller.kubeapi import ApiError, KubeApi
from sealer_controller.secret_index import MANAGED_ANNOTATION, PATCH_ANNOTATION, controller_uid

SKIP_OWNER_REFERENCES_ANNOTATION = "sealedsecrets.bitnami.com/skip-set-owner-references"
_CONFLICT_ATTEMPTS = 5


class NotManagedError(ConflictError):
    """The Secret exists and is not ours to change."""


class ImmutableSecretError(ConflictError):
    """The Secret is immutable and its data would change."""


@dataclass(frozen=True)
class WriteResult:
    secret: Mapping[str, Any]
    changed: bool
    created: bool


def owner_reference(sealed_secret: Mapping[str, Any]) -> dict[str, Any]:
    """The reference the Bitnami controller sets (``controller: true``; no blockOwnerDeletion)."""
    meta = sealed_secret.get("metadata") or {}
    return {
        "apiVersion": str(sealed_secret.get("apiVersion") or "bitnami.com/v1alpha1"),
        "kind": "SealedSecret",
        "name": str(meta.get("name") or ""),
        "uid": str(meta.get("uid") or ""),
        "controller": True,
    }


def wants_owner_reference(sealed_secret: Mapping[str, Any]) -> bool:
    template = ((sealed_secret.get("spec") or {}).get("template") or {}).get("metadata") or {}
    return (template.get("annotations") or {}).get(SKIP_OWNER_REFERENCES_ANNOTATION) != "true"


def secrets_path(namespace: str, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{namespace}/secrets"
    return f"{base}/{name}" if name else base


def _merged(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """What the Secret becomes: Bitnami's replace (owned/managed) or merge (patch) semantics."""
    result = copy.deepcopy(dict(current))
    meta = result.setdefault("metadata", {})
    want_meta = desired.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if annotations.get(PATCH_ANNOTATION) == "true":
        result["data"] = {**(result.get("data") or {}), **(desired.get("data") or {})}
        meta["labels"] = {**(meta.get("labels") or {}), **(want_meta.get("labels") or {})}
        meta["annotations"] = {**annotations, **(want_meta.get("annotations") or {})}
        if annotations.get(MANAGED_ANNOTATION) == "true":
            _set_or_drop(meta, "ownerReferences", want_meta.get("ownerReferences"))
    else:
        result["data"] = dict(desired.get("data") or {})
        for field in ("labels", "annotations", "ownerReferences"):
            _set_or_drop(meta, field, want_meta.get(field))
    for field in ("type", "immutable"):
        if field in desired:
            result[field] = desired[field]
    return result


def _set_or_drop(meta: dict[str, Any], field: str, value: Any) -> None:
    if value:
        meta[field] = value
    else:
        meta.pop(field, None)


class SecretWriter:
    """Writes Secrets through :class:`KubeApi`; ``ours`` tells whether a Secret carries our valid provenance."""

    def __init__(self, api: KubeApi, *, ours: Callable[[Mapping[str, Any]], bool]) -> None:
        self.api = api
        self.ours = ours

    def may_write(self, current: Mapping[str, Any], sealed_secret: Mapping[str, Any]) -> bool:
        uid = (sealed_secret.get("metadata") or {}).get("uid")
        annotations = (current.get("metadata") or {}).get("annotations") or {}
        return bool(
            (uid and controller_uid(current) == uid)
            or annotations.get(MANAGED_ANNOTATION) == "true"
            or annotations.get(PATCH_ANNOTATION) == "true"
            or self.ours(current)
        )

    async def write(self, desired: Mapping[str, Any], sealed_secret: Mapping[str, Any], *,
                    current: Mapping[str, Any] | None = None, known_absent: bool = False) -> WriteResult:
        """Make the Secret look like ``desired``; ``current`` (if the caller has it) saves a GET."""
        meta = desired["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        for _ in range(_CONFLICT_ATTEMPTS):
            if current is None and not known_absent:
                current = await self.api.get(secrets_path(namespace, name))
            if current is None:
                try:
                    created = await self.api.create(secrets_path(namespace), desired)
                except ApiError as exc:
                    if exc.status != 409:
                        raise
                    known_absent = False
                    continue  # someone created it meanwhile: read it and decide
                return WriteResult(created, changed=True, created=True)
            if not self.may_write(current, sealed_secret):
                raise NotManagedError(f'Resource "{name}" already exists and is not managed by SealedSecret')
            wanted = _merged(current, desired)
            if wanted == current:
                return WriteResult(current, changed=False, created=False)
            if current.get("immutable") and wanted.get("data") != current.get("data"):
                raise ImmutableSecretError(
                    f"Error updating {namespace}/{name}: the target Secret is immutable. Once a Secret is marked "
                    "as immutable, it is not possible to revert this change nor to mutate the contents of the "
                    "data field. You can only delete and recreate the Secret."
                )
            try:
                replaced = await self.api.replace(secrets_path(namespace, name), wanted)
            except ApiError as exc:
                if exc.status == 409:
                    current = None  # changed under us: re-read
                    continue
                if exc.status == 404:
                    current, known_absent = None, True
                    continue
                raise
            return WriteResult(replaced, changed=True, created=False)
        raise ApiError(409, "Conflict", "the Secret kept changing while we wrote it", method="PUT",
                       path=secrets_path(namespace, name))
