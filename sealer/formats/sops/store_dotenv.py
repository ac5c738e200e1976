"""dotenv ⇄ tree as sops' dotenv store does it: ``KEY=value`` lines, ``#`` comments, flattened metadata.

Values are strings, ``\\n`` in a value means a newline; the metadata becomes
sorted ``sops_...`` keys with nested paths spelled ``__map_<key>`` and
``__list_<n>`` (``stores/flatten.go``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sealer.errors import FormatError
from sealer.formats.sops.gofmt import format_float_f, format_float_g
from sealer.formats.sops.metadata import NIL_LIST, Metadata
from sealer.formats.sops.tree import Branch, Comment, Timestamp, TreeItem, Value, bytes_text, text_bytes

__all__ = ["DotenvStore", "flatten", "flatten_metadata", "unflatten", "unflatten_metadata"]

PREFIX = "sops_"
_MAP = "__map_"
_LIST = "__list_"


def flatten(value: Any, prefix: str, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            flatten(inner, f"{prefix}{_MAP if prefix else ''}{key}" if prefix else key, into)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            flatten(inner, f"{prefix}{_LIST}{index}", into)
    else:
        into[prefix] = value


_TOKEN = re.compile(r"(__map_|__list_)")


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path, value in flat.items():
        parts = _TOKEN.split(path)
        tokens: list[str | int] = [parts[0]]
        for marker, name in zip(parts[1::2], parts[2::2], strict=True):
            if marker == _LIST:
                try:
                    tokens.append(int(name))
                except ValueError:
                    raise FormatError(f"sops metadata key {PREFIX}{path} has a malformed list index") from None
            else:
                tokens.append(name)
        node: Any = root
        for token, following in zip(tokens, [*tokens[1:], None], strict=True):
            if following is None:
                _assign(node, token, value)
                break
            child = _get(node, token)
            if child is None:
                child = [] if isinstance(following, int) else {}
                _assign(node, token, child)
            node = child
    return root


def _get(node: Any, token: str | int) -> Any:
    if isinstance(token, int):
        if not isinstance(node, list):
            raise FormatError("sops metadata in the dotenv file mixes list and map keys")
        return node[token] if token < len(node) else None
    if not isinstance(node, dict):
        raise FormatError("sops metadata in the dotenv file mixes list and map keys")
    return node.get(token)


def _assign(node: Any, token: str | int, value: Any) -> None:
    if isinstance(token, int):
        if not isinstance(node, list):
            raise FormatError("sops metadata in the dotenv file mixes list and map keys")
        while len(node) <= token:
            node.append(None)
        node[token] = value
    else:
        if not isinstance(node, dict):
            raise FormatError("sops metadata in the dotenv file mixes list and map keys")
        node[token] = value


def flatten_metadata(metadata: Metadata) -> list[tuple[str, Any]]:
    """The metadata as sorted flat ``(key, value)`` pairs, the way sops' dotenv and INI stores write it.

    Unset values are left out; booleans and numbers become Go's text; newlines are escaped as ``\\n``.
    """
    flat: dict[str, Any] = {}
    flatten(metadata.to_schema(), "", flat)
    pairs = []
    for key in sorted(flat):
        value = flat[key]
        if value is None or value is NIL_LIST:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = f"{value:.0f}"
        elif isinstance(value, str):
            value = value.replace("\n", "\\n")
        pairs.append((key, value))
    return pairs


def unflatten_metadata(flat: dict[str, Any]) -> Metadata:
    """The inverse of :func:`flatten_metadata`: ``flat`` maps flat keys to their unescaped text.

    Only ``mac_only_encrypted`` is typed back (to a bool); sops reads every other value as text.
    """
    if "mac_only_encrypted" in flat:
        flat["mac_only_encrypted"] = flat["mac_only_encrypted"] == "true"
    return Metadata.from_schema(unflatten(flat))


def _val_to_string(value: Value) -> str:
    """sops ``ValToString``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = format_float_g(value).replace("e", "E")
        if "." not in text and "E" not in text and text not in ("+Inf", "-Inf", "NaN"):
            text = format_float_f(value)
            text = text + ".0" if "." not in text else text
        return text
    if isinstance(value, Timestamp):
        return value.rfc3339()
    if value is None:
        return "<nil>"
    return str(value)


class DotenvStore:
    name = "dotenv"

    def load_plain(self, data: bytes) -> list[Branch]:
        branch = Branch()
        for number, line in enumerate(data.split(b"\n"), start=1):
            if not line:
                continue
            if line.startswith(b"#"):
                branch.append(TreeItem(Comment(bytes_text(line[1:])), None))
                continue
            key, sep, value = line.partition(b"=")
            if not sep:
                raise FormatError(f"invalid dotenv input: line {number} has no '='")
            branch.append(TreeItem(bytes_text(key), bytes_text(value).replace("\\n", "\n")))
        return [branch]

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Metadata]:
        (branch,) = self.load_plain(data)
        kept = Branch()
        flat: dict[str, Any] = {}
        for item in branch:
            if isinstance(item.key, str) and item.key.startswith(PREFIX):
                value = item.value
                flat[item.key[len(PREFIX) :]] = value.replace("\\n", "\n") if isinstance(value, str) else value
            else:
                kept.append(item)
        if not flat:
            raise FormatError("not a SOPS file: it has no sops_ metadata keys", hint="is it encrypted?")
        return [kept], unflatten_metadata(flat)

    def emit_plain(self, branches: Sequence[Branch]) -> bytes:
        lines = []
        for item in branches[0]:
            if isinstance(item.value, Branch | list):
                raise FormatError(f"cannot use complex value in dotenv file; offending key {item.key}")
            if isinstance(item.key, Comment):
                lines.append(f"#{item.key.value}\n")
                continue
            value = item.value
            text = value.replace("\n", "\\n") if isinstance(value, str) else _val_to_string(value)
            lines.append(f"{item.key}={text}\n")
        return text_bytes("".join(lines))

    def emit_encrypted(self, branches: Sequence[Branch], metadata: Metadata) -> bytes:
        branch = Branch(branches[0])
        branch.extend(TreeItem(PREFIX + key, value) for key, value in flatten_metadata(metadata))
        return self.emit_plain([branch])

    def emit_value(self, value: Value) -> bytes:
        if isinstance(value, str):
            return text_bytes(value)
        raise FormatError(f"the dotenv store only supports emitting strings, got {type(value).__name__}")

    def has_metadata(self, branches: Sequence[Branch]) -> bool:
        return any(isinstance(i.key, str) and i.key.startswith(PREFIX) for i in branches[0]) if branches else False
