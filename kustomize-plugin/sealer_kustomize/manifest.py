"""The generator manifest: KSOPS's schema, checked once into a typed model.

A repository that uses KSOPS must switch to us by changing only the plugin
install, so ``apiVersion: viaduct.ai/v1, kind: ksops`` manifests are accepted
exactly as KSOPS v4 reads them (``files``, ``secretFrom`` with ``metadata``,
``type``, ``files``, ``binaryFiles``, ``envs``). ``sealer.dev/v1 SopsGenerator``
is our own name for the same schema.

Where KSOPS silently ignores a mistake (a misspelt ``binaryfiles:``, an
unquoted ``needs-hash: true`` that its Go decoder rejects with a type error,
a ``key=path`` with two ``=``), we stop with a message naming the generator and
the field, before any file is decrypted. Nothing here reads files.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from sealer.errors import FormatError

__all__ = [
    "GENERATOR_TYPES",
    "KSOPS_API_VERSION",
    "KSOPS_KIND",
    "SEALER_API_VERSION",
    "SEALER_KIND",
    "FileRef",
    "Generator",
    "SecretFrom",
    "generator_identity",
    "is_generator",
    "parse_generator",
]

KSOPS_API_VERSION = "viaduct.ai/v1"
KSOPS_KIND = "ksops"
SEALER_API_VERSION = "sealer.dev/v1"
SEALER_KIND = "SopsGenerator"
GENERATOR_TYPES: frozenset[tuple[str, str]] = frozenset(
    {(KSOPS_API_VERSION, KSOPS_KIND), (SEALER_API_VERSION, SEALER_KIND)}
)

_TOP_LEVEL_KEYS = frozenset({"apiVersion", "kind", "metadata", "files", "secretFrom"})
_SECRET_FROM_KEYS = frozenset({"metadata", "type", "files", "binaryFiles", "envs"})
# KSOPS decodes secretFrom.metadata into kustomize's types.ObjectMeta, which has only these.
_SECRET_METADATA_KEYS = frozenset({"name", "namespace", "labels", "annotations"})
# Kubernetes' rule for Secret data keys (IsConfigMapKey).
_DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


@dataclass(frozen=True)
class FileRef:
    """One ``secretFrom`` file entry: the data key it fills and the encrypted file's path as written."""

    key: str
    path: str


@dataclass(frozen=True)
class SecretFrom:
    """One Secret to build from decrypted files."""

    name: str
    namespace: str | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    type: str | None
    files: tuple[FileRef, ...]
    binary_files: tuple[FileRef, ...]
    envs: tuple[str, ...]

    @property
    def metadata(self) -> dict[str, Any]:
        """The Secret's metadata in KSOPS's field set, empty fields left out."""
        meta: dict[str, Any] = {"name": self.name}
        if self.namespace:
            meta["namespace"] = self.namespace
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        return meta


@dataclass(frozen=True)
class Generator:
    """A checked generator manifest; ``files`` are SOPS-encrypted manifests emitted as decrypted."""

    api_version: str
    kind: str
    name: str
    files: tuple[str, ...]
    secret_from: tuple[SecretFrom, ...]

    @property
    def label(self) -> str:
        """How messages name this generator: ``ksops/<name>``."""
        return f"{self.kind}/{self.name}" if self.name else self.kind

    def all_paths(self) -> list[str]:
        """Every encrypted file this generator reads, in output order (duplicates kept)."""
        paths = list(self.files)
        for secret in self.secret_from:
            paths.extend(ref.path for ref in secret.files)
            paths.extend(ref.path for ref in secret.binary_files)
            paths.extend(secret.envs)
        return paths


def is_generator(obj: object) -> TypeGuard[Mapping[str, Any]]:
    """True when ``obj`` is a KSOPS or sealer generator manifest (by apiVersion and kind)."""
    if not isinstance(obj, Mapping):
        return False
    return (obj.get("apiVersion"), obj.get("kind")) in GENERATOR_TYPES


def generator_identity(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(apiVersion, kind, namespace, name): how a KRM input names the same generator twice."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return (
        str(obj.get("apiVersion", "")),
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def _fail(source: str, message: str, hint: str | None = None) -> FormatError:
    return FormatError(f"{source}: {message}", hint=hint)


def _string_list(value: object, *, source: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise _fail(source, f"'{field}' must be a list of file paths, not {_type_name(value)}")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _fail(source, f"'{field}[{index}]' must be a non-empty file path, not {_type_name(item)}")
        items.append(item)
    return tuple(items)


def _string_map(value: object, *, source: str, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(source, f"'{field}' must be a mapping of strings, not {_type_name(value)}")
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise _fail(source, f"'{field}' has a non-string key {key!r}")
        if not isinstance(item, str):
            raise _fail(
                source,
                f"'{field}.{key}' must be a string, not {_type_name(item)}",
                hint=f'quote the value, e.g. {key}: "{_yaml_scalar(item)}"',
            )
        result[key] = item
    return result


def _file_ref(entry: str, *, source: str, field: str) -> FileRef:
    """KSOPS's ``key=path`` or ``path`` (key = the path's base name)."""
    parts = entry.split("=")
    if len(parts) == 1:
        ref = FileRef(key=posixpath.basename(entry.rstrip("/")), path=entry)
    elif len(parts) == 2:
        ref = FileRef(key=parts[0].strip(), path=parts[1].strip())
    else:
        raise _fail(source, f"'{field}' entry {entry!r} has more than one '='", hint="write key=path")
    if not ref.path:
        raise _fail(source, f"'{field}' entry {entry!r} has no path")
    if not _DATA_KEY.match(ref.key):
        raise _fail(
            source,
            f"'{field}' entry {entry!r} gives Secret data key {ref.key!r}, which Kubernetes rejects",
            hint="keys may contain only letters, digits, '-', '_' and '.'; name it with key=path",
        )
    return ref


def _check_keys(obj: Mapping[str, Any], allowed: frozenset[str], *, source: str, where: str) -> None:
    unknown = sorted(str(key) for key in obj if key not in allowed)
    if unknown:
        raise _fail(
            source,
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)} in {where}",
            hint=f"allowed: {', '.join(sorted(allowed))}",
        )


def _secret_from(value: object, index: int, *, source: str) -> SecretFrom:
    where = f"secretFrom[{index}]"
    if not isinstance(value, Mapping):
        raise _fail(source, f"'{where}' must be a mapping, not {_type_name(value)}")
    _check_keys(value, _SECRET_FROM_KEYS, source=source, where=f"'{where}'")
    meta = value.get("metadata")
    if not isinstance(meta, Mapping):
        raise _fail(source, f"'{where}.metadata' is missing or not a mapping", hint="give at least metadata.name")
    _check_keys(meta, _SECRET_METADATA_KEYS, source=source, where=f"'{where}.metadata'")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(source, f"'{where}.metadata.name' is missing", hint="every generated Secret needs a name")
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise _fail(source, f"'{where}.metadata.namespace' must be a string")
    secret_type = value.get("type")
    if secret_type is not None and not isinstance(secret_type, str):
        raise _fail(source, f"'{where}.type' must be a string such as Opaque")
    files = _string_list(value.get("files"), source=source, field=f"{where}.files")
    binary = _string_list(value.get("binaryFiles"), source=source, field=f"{where}.binaryFiles")
    return SecretFrom(
        name=name,
        namespace=namespace or None,
        labels=_string_map(meta.get("labels"), source=source, field=f"{where}.metadata.labels"),
        annotations=_string_map(meta.get("annotations"), source=source, field=f"{where}.metadata.annotations"),
        type=secret_type or None,
        files=tuple(_file_ref(f, source=source, field=f"{where}.files") for f in files),
        binary_files=tuple(_file_ref(f, source=source, field=f"{where}.binaryFiles") for f in binary),
        envs=_string_list(value.get("envs"), source=source, field=f"{where}.envs"),
    )


def parse_generator(obj: object, *, source: str) -> Generator:
    """Check one parsed manifest and return the model; ``source`` names it in messages.

    Raises :class:`FormatError` for anything KSOPS would reject or silently
    misread: wrong apiVersion/kind, neither ``files`` nor ``secretFrom``,
    unknown fields, non-string labels/annotations, bad ``key=path`` entries.
    """
    if not isinstance(obj, Mapping):
        raise _fail(source, f"a generator manifest must be a YAML mapping, not {_type_name(obj)}")
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if (api_version, kind) not in GENERATOR_TYPES:
        raise _fail(
            source,
            f"not a SOPS generator: apiVersion {api_version!r}, kind {kind!r}",
            hint=f"expected apiVersion {KSOPS_API_VERSION} kind {KSOPS_KIND}, "
            f"or apiVersion {SEALER_API_VERSION} kind {SEALER_KIND}",
        )
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    name = name if isinstance(name, str) else ""
    label = f"{kind}/{name}" if name else str(kind)
    where = f"{source} ({label})" if source != label else label
    _check_keys(obj, _TOP_LEVEL_KEYS, source=where, where="the generator")
    if obj.get("files") is None and obj.get("secretFrom") is None:
        raise _fail(
            where,
            "missing the required 'files' or 'secretFrom' field",
            hint="list SOPS-encrypted manifests under files:, or build Secrets with secretFrom:",
        )
    secret_from = obj.get("secretFrom")
    if secret_from is not None and (not isinstance(secret_from, Sequence) or isinstance(secret_from, str | bytes)):
        raise _fail(where, f"'secretFrom' must be a list, not {_type_name(secret_from)}")
    return Generator(
        api_version=str(api_version),
        kind=str(kind),
        name=name,
        files=_string_list(obj.get("files"), source=where, field="files"),
        secret_from=tuple(_secret_from(entry, i, source=where) for i, entry in enumerate(secret_from or ())),
    )


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
