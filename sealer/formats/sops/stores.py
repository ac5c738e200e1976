"""The store interface and the choice of store by file name or type name, as sops makes it."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sealer.errors import FormatError
from sealer.formats.sops.metadata import Metadata
from sealer.formats.sops.tree import Branch, Comment, Value

__all__ = ["FORMATS", "Store", "StoreSettings", "format_for_path", "metadata_from_tree", "store_for"]

FORMATS = ("yaml", "json", "dotenv", "ini", "binary")
SOPS_KEY = "sops"

_MODULES = {
    "yaml": "sealer.formats.sops.store_yaml:YAMLStore",
    "json": "sealer.formats.sops.store_json:JSONStore",
    "dotenv": "sealer.formats.sops.store_dotenv:DotenvStore",
    "ini": "sealer.formats.sops.store_ini:INIStore",
    "binary": "sealer.formats.sops.store_json:BinaryStore",
}


class Store(Protocol):
    """Bytes ⇄ tree for one format; nothing here knows about keys or ciphers."""

    name: str

    def load_plain(self, data: bytes) -> list[Branch]: ...

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Metadata]: ...

    def emit_plain(self, branches: Sequence[Branch]) -> bytes: ...

    def emit_encrypted(self, branches: Sequence[Branch], metadata: Metadata) -> bytes: ...

    def emit_value(self, value: Value) -> bytes: ...

    def has_metadata(self, branches: Sequence[Branch]) -> bool: ...


def format_for_path(path: str) -> str:
    """sops' ``FormatForPath``: by suffix, binary otherwise."""
    if path.endswith((".yaml", ".yml")):
        return "yaml"
    if path.endswith(".json"):
        return "json"
    if path.endswith(".env"):
        return "dotenv"
    if path.endswith(".ini"):
        return "ini"
    return "binary"


@dataclass(frozen=True)
class StoreSettings:
    """``stores:`` in ``.sops.yaml``: output indentation per format."""

    yaml_indent: int = 0
    """Spaces per YAML level; 0 means sops' default, 4."""
    json_indent: int = -1
    """Spaces per JSON level; -1 (the default) means one tab."""
    json_binary_indent: int = -1
    """The same for the JSON envelope of binary files."""


def store_for(format_name: str, settings: StoreSettings | None = None) -> Store:
    """The store for a type name (``yaml``, ``json``, ``dotenv``, ``binary``); imported on demand."""
    target = _MODULES.get(format_name)
    if target is None:
        raise FormatError(f"unknown file type {format_name!r}; expected one of {', '.join(FORMATS)}")
    module_name, attr = target.split(":")
    factory = getattr(importlib.import_module(module_name), attr)
    settings = settings or StoreSettings()
    indent = {"yaml": settings.yaml_indent, "json": settings.json_indent, "binary": settings.json_binary_indent}
    store: Store = factory(indent[format_name]) if format_name in indent else factory()
    return store


def to_plain(value: Value) -> Any:
    """A tree value as plain dicts/lists/scalars (comments dropped), for metadata parsing."""
    if isinstance(value, Branch):
        return {item.key: to_plain(item.value) for item in value if isinstance(item.key, str)}
    if isinstance(value, list):
        return [to_plain(v) for v in cast("list[Value]", value) if not isinstance(v, Comment)]
    text = getattr(value, "text", None)  # Timestamp
    if isinstance(text, str):
        return text
    return value


def metadata_from_tree(branches: list[Branch]) -> Metadata:
    """Take the ``sops`` entry out of every document; parse the first document's."""
    if not branches or branches[0].get(SOPS_KEY) is None:
        raise FormatError("not a SOPS file: it has no sops metadata", hint="is it encrypted? check --input-type")
    raw = branches[0].get(SOPS_KEY)
    assert raw is not None
    for branch in branches:
        for index, item in enumerate(branch):
            if item.key == SOPS_KEY:
                del branch[index]
                break
    return Metadata.from_schema(to_plain(raw.value))
