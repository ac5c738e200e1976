"""JSON ⇄ tree as sops' JSON store does it, and the binary store (a JSON envelope around one value).

sops reads every JSON number as a float64 (so ``1`` is encrypted as
``type:float``), keeps object keys in file order, writes tab-indented JSON
with Go's escaping (``<``, ``>``, ``&`` as ``\\u003c``...) and a final newline.
The binary store wraps the whole input as the string ``data``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sealer.errors import FormatError
from sealer.formats.sops.gofmt import format_float_json
from sealer.formats.sops.metadata import NIL_LIST, Metadata
from sealer.formats.sops.stores import metadata_from_tree
from sealer.formats.sops.tree import Branch, Comment, Timestamp, TreeItem, Value, bytes_text, text_bytes

__all__ = ["BinaryStore", "JSONStore", "go_json_string"]

_HEX = "0123456789abcdef"
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def go_json_string(text: str) -> str:
    """``encoding/json`` string encoding with HTML escaping (Go's default)."""
    out = ['"']
    for ch in text:
        cp = ord(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif cp < 0x20 or ch in "<>&":
            out.append("\\u00" + _HEX[cp >> 4] + _HEX[cp & 0xF])
        elif cp in (0x2028, 0x2029):
            out.append(f"\\u{cp:04x}")
        elif 0xD800 <= cp <= 0xDFFF:  # invalid UTF-8 carried by surrogateescape, or a lone surrogate
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _encode(value: Any, depth: int, unit: str = "\t") -> str:
    if isinstance(value, Branch):
        pairs = [(item.key, item.value) for item in value if isinstance(item.key, str)]
        return _encode_pairs(pairs, depth, unit)
    if isinstance(value, dict):
        return _encode_pairs(list(value.items()), depth, unit)
    if isinstance(value, list):
        items = [v for v in value if not isinstance(v, Comment)]
        if not items:
            return "[]"
        inner = unit * (depth + 1)
        body = ",\n".join(inner + _encode(v, depth + 1, unit) for v in items)
        return "[\n" + body + "\n" + unit * depth + "]"
    if value is None or value is NIL_LIST:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        try:
            return format_float_json(value)
        except ValueError:
            raise FormatError("JSON cannot represent NaN or infinity") from None
    if isinstance(value, str):
        return go_json_string(value)
    if isinstance(value, Timestamp):
        return go_json_string(value.text)
    raise FormatError(f"cannot write a {type(value).__name__} as JSON")


def _encode_pairs(pairs: list[tuple[str, Any]], depth: int, unit: str = "\t") -> str:
    if not pairs:
        return "{}"
    inner = unit * (depth + 1)
    body = ",\n".join(f"{inner}{go_json_string(k)}: {_encode(v, depth + 1, unit)}" for k, v in pairs)
    return "{\n" + body + "\n" + unit * depth + "}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse(data: bytes) -> Branch:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("not valid JSON: the input is not UTF-8 text") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=lambda pairs: Branch(TreeItem(k, v) for k, v in pairs),
            parse_int=float,
            parse_constant=_reject_constant,
        )
    except ValueError as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        problem = exc.msg if isinstance(exc, json.JSONDecodeError) else "invalid value"
        raise FormatError(f"not valid JSON: {problem}{where}") from None
    if not isinstance(value, Branch):
        raise FormatError("not valid SOPS JSON: the top level must be an object")
    return value


class JSONStore:
    name = "json"

    def __init__(self, indent: int = -1) -> None:
        """``indent`` spaces per level (``stores.json.indent``); -1, the default, means a tab."""
        if indent < -1:
            raise FormatError("JSON indentation smaller than -1 is not accepted (stores.json.indent in .sops.yaml)")
        self.unit = "\t" if indent == -1 else " " * indent

    def load_plain(self, data: bytes) -> list[Branch]:
        return [_parse(data)]

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Metadata]:
        branches = [_parse(data)]
        return branches, metadata_from_tree(branches)

    def emit_plain(self, branches: Sequence[Branch]) -> bytes:
        return text_bytes(_encode(branches[0], 0, self.unit) + "\n")

    def emit_encrypted(self, branches: Sequence[Branch], metadata: Metadata) -> bytes:
        pairs: list[tuple[str, Any]] = [(i.key, i.value) for i in branches[0] if isinstance(i.key, str)]
        pairs.append(("sops", metadata.to_schema()))
        return text_bytes(_encode_pairs(pairs, 0, self.unit) + "\n")

    def emit_value(self, value: Value) -> bytes:
        return text_bytes(_encode(value, 0, self.unit))

    def has_metadata(self, branches: Sequence[Branch]) -> bool:
        return bool(branches) and branches[0].get("sops") is not None


class BinaryStore(JSONStore):
    name = "binary"

    def load_plain(self, data: bytes) -> list[Branch]:
        return [Branch([TreeItem("data", bytes_text(data))])]

    def emit_plain(self, branches: Sequence[Branch]) -> bytes:
        if len(branches) != 1:
            raise FormatError("error emitting binary store: there must be exactly one tree branch")
        item = branches[0].get("data")
        if item is None:
            raise FormatError(
                "error emitting binary store: no binary data found in tree",
                hint="this is likely not an encrypted binary file; use --output-type to select the output type",
            )
        if not isinstance(item.value, str):
            raise FormatError("error emitting binary store: 'data' key in tree does not have a string value")
        return text_bytes(item.value)

    def emit_value(self, value: Value) -> bytes:
        raise FormatError("binary files are not structured and extracting a single value is not possible")
