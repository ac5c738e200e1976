"""Sprig's encoding functions: base64/base32 (Go's strict decoders) and JSON as ``encoding/json`` writes it."""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, register
from sealer.formats.gotemplate.gofmt import json_float
from sealer.formats.gotemplate.values import from_bytes, go_type, is_int, to_bytes

ENCODING: FuncMap = {}

register(ENCODING, "b64enc", "string")(lambda s: base64.b64encode(to_bytes(s)).decode("ascii"))
register(ENCODING, "b32enc", "string")(lambda s: base64.b32encode(to_bytes(s)).decode("ascii"))

_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B32 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _strict_decode(s: str, alphabet: frozenset[int], quantum: int, decode: Any) -> str:
    """Go's StdEncoding.DecodeString: \\r and \\n skipped, padding required; errors are returned as text."""
    raw = to_bytes(s)
    clean = bytearray()
    positions: list[int] = []
    for i, b in enumerate(raw):
        if b in (0x0A, 0x0D):
            continue
        clean.append(b)
        positions.append(i)
    n = len(clean)
    pad_start = n
    for i, b in enumerate(clean):
        if b == ord("="):
            pad_start = i
            break
        if b not in alphabet:
            return f"illegal base64 data at input byte {positions[i]}" if quantum == 4 else f"illegal base32 data at input byte {positions[i]}"
    kind = "base64" if quantum == 4 else "base32"
    if any(b != ord("=") for b in clean[pad_start:]) or n % quantum:
        bad = pad_start if pad_start < n else n
        return f"illegal {kind} data at input byte {positions[bad] if bad < len(positions) else len(raw)}"
    try:
        return from_bytes(decode(bytes(clean)))
    except (binascii.Error, ValueError):
        return f"illegal {kind} data at input byte {positions[pad_start] if pad_start < len(positions) else len(raw)}"


register(ENCODING, "b64dec", "string")(lambda s: _strict_decode(s, _B64, 4, lambda b: base64.b64decode(b, validate=True)))
register(ENCODING, "b32dec", "string")(lambda s: _strict_decode(s, _B32, 8, base64.b32decode))

# --- JSON ------------------------------------------------------------------------------------

_JSON_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_HTML_ESC = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _json_str(s: str, html: bool) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c in _JSON_ESC:
            out.append(_JSON_ESC[c])
        elif html and c in _HTML_ESC:
            out.append(_HTML_ESC[c])
        elif o < 0x20:
            out.append(f"\\u{o:04x}")
        elif o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append("\ufffd")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


class _Unsupported(Exception):
    pass


def go_json(v: Any, *, html: bool = True, indent: str | None = None, level: int = 0) -> str:
    """json.Marshal / MarshalIndent(v, "", indent)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_int(v):
        return str(int(v))
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise _Unsupported
        return json_float(v)
    if isinstance(v, str):
        return _json_str(v, html)
    if isinstance(v, bytes):
        return '"' + base64.b64encode(v).decode("ascii") + '"'
    nl = "" if indent is None else "\n" + indent * (level + 1)
    end = "" if indent is None else "\n" + indent * level
    sep = ":" if indent is None else ": "
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[" + nl + ("," + nl).join(go_json(x, html=html, indent=indent, level=level + 1) for x in v) + end + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = sorted(v.items(), key=lambda kv: to_bytes(kv[0]))
        return (
            "{"
            + nl
            + ("," + nl).join(_json_str(k, html) + sep + go_json(x, html=html, indent=indent, level=level + 1) for k, x in items)
            + end
            + "}"
        )
    raise _Unsupported


def _to_json(v: Any) -> str:
    try:
        return go_json(v)
    except _Unsupported:
        return ""


def _must_to_json(v: Any, **kw: Any) -> str:
    try:
        return go_json(v, **kw)
    except _Unsupported:
        raise FuncError(f"json: unsupported value of type {go_type(v)}") from None


register(ENCODING, "toJson", "any")(_to_json)
register(ENCODING, "mustToJson", "any")(lambda v: _must_to_json(v))


@register(ENCODING, "toPrettyJson", "any")
def _to_pretty(v: Any) -> str:
    try:
        return go_json(v, indent="  ")
    except _Unsupported:
        return ""


register(ENCODING, "mustToPrettyJson", "any")(lambda v: _must_to_json(v, indent="  "))


@register(ENCODING, "toRawJson", "any")
def _to_raw(v: Any) -> str:
    try:
        return go_json(v, html=False)
    except _Unsupported:
        return ""


register(ENCODING, "mustToRawJson", "any")(lambda v: _must_to_json(v, html=False))


def _convert(o: Any) -> Any:
    if isinstance(o, dict):
        return {k: _convert(x) for k, x in o.items()}
    if isinstance(o, list):
        return [_convert(x) for x in o]
    if is_int(o) and not isinstance(o, bool):
        return float(o)
    return o


def _from_json(s: str) -> Any:
    try:
        return _convert(json.loads(s, parse_float=float, parse_int=float, parse_constant=_reject))
    except (ValueError, RecursionError):
        raise FuncError("invalid JSON") from None


def _reject(_: str) -> Any:
    raise ValueError("NaN/Infinity are not JSON")


@register(ENCODING, "fromJson", "string")
def _from_json_quiet(s: str) -> Any:
    try:
        return _from_json(s)
    except FuncError:
        return None


register(ENCODING, "mustFromJson", "string")(_from_json)
