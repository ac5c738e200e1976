"""Sprig's encoding functions: base64/base32 (Go's strict decoders) and JSON as ``encoding/json`` writes it."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from sealer.formats.go_strconv import json_float
from sealer.formats.gotemplate.funcs import FuncError, FuncMap, register
from sealer.formats.gotemplate.values import from_bytes, go_type, is_int, to_bytes

ENCODING: FuncMap = {}

register(ENCODING, "b64enc", "string")(lambda s: base64.b64encode(to_bytes(s)).decode("ascii"))
register(ENCODING, "b32enc", "string")(lambda s: base64.b32encode(to_bytes(s)).decode("ascii"))

_B64 = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_B32 = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}
_PAD = ord("=")
_NL = (0x0A, 0x0D)


class _Corrupt(Exception):
    def __init__(self, at: int) -> None:
        self.at = at


def _b64_decode(src: bytes) -> bytes:
    """A port of Go's base64.StdEncoding.Decode: same acceptance, same error offsets."""
    out = bytearray()
    si = 0
    n = len(src)
    while True:
        dbuf = [0, 0, 0, 0]
        dlen = 4
        j = 0
        end = False
        while j < 4:
            if si == n:
                if j == 0:
                    return bytes(out)
                raise _Corrupt(si - j)
            c = src[si]
            si += 1
            v = _B64.get(c)
            if v is not None:
                dbuf[j] = v
                j += 1
                continue
            if c in _NL:
                continue
            if c != _PAD:
                raise _Corrupt(si - 1)
            if j in (0, 1):
                raise _Corrupt(si - 1)
            if j == 2:
                while si < n and src[si] in _NL:
                    si += 1
                if si == n:
                    raise _Corrupt(n)
                if src[si] != _PAD:
                    raise _Corrupt(si - 1)
                si += 1
            while si < n and src[si] in _NL:
                si += 1
            if si < n:
                raise _Corrupt(si)
            dlen = j
            end = True
            break
        val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3]
        chunk = bytes([(val >> 16) & 0xFF, (val >> 8) & 0xFF, val & 0xFF])
        out += chunk[: {4: 3, 3: 2, 2: 1}[dlen]]
        if end:
            return bytes(out)


def _b32_decode(raw: bytes) -> bytes:
    """A port of Go's base32.StdEncoding.DecodeString (newlines stripped first)."""
    src = bytes(b for b in raw if b not in _NL)
    olen = len(src)
    out = bytearray()
    pos = 0
    end = False
    while pos < olen and not end:
        dbuf = [0] * 8
        dlen = 8
        j = 0
        while j < 8:
            if pos == olen:
                raise _Corrupt(olen - (olen - pos) - j)
            c = src[pos]
            pos += 1
            remaining = olen - pos
            if c == _PAD and j >= 2 and remaining < 8:
                if remaining + j < 8 - 1:
                    raise _Corrupt(olen)
                for k in range(8 - 1 - j):
                    if remaining > k and src[pos + k] != _PAD:
                        raise _Corrupt(olen - remaining + k - 1)
                dlen, end = j, True
                if dlen in (1, 3, 6):
                    raise _Corrupt(olen - remaining - 1)
                break
            v = _B32.get(c)
            if v is None:
                raise _Corrupt(olen - remaining - 1)
            dbuf[j] = v
            j += 1
        val = 0
        for d in dbuf:
            val = val << 5 | d
        chunk = val.to_bytes(5, "big")
        out += chunk[: {8: 5, 7: 4, 5: 3, 4: 2, 2: 1}[dlen]]
    return bytes(out)


@register(ENCODING, "b64dec", "string")
def _b64dec(s: str) -> str:
    try:
        return from_bytes(_b64_decode(to_bytes(s)))
    except _Corrupt as exc:  # Sprig returns the error text as the result
        return f"illegal base64 data at input byte {exc.at}"


@register(ENCODING, "b32dec", "string")
def _b32dec(s: str) -> str:
    try:
        return from_bytes(_b32_decode(to_bytes(s)))
    except _Corrupt as exc:
        return f"illegal base32 data at input byte {exc.at}"


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
            + ("," + nl).join(
                _json_str(k, html) + sep + go_json(x, html=html, indent=indent, level=level + 1) for k, x in items
            )
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
        return _convert(json.loads(s, parse_float=_json_number, parse_int=_json_number, parse_constant=_reject))
    except (ValueError, RecursionError):
        raise FuncError("invalid JSON") from None


def _json_number(text: str) -> float:
    f = float(text)
    if math.isinf(f):
        raise ValueError("number out of range")  # encoding/json refuses it into a float64
    return f


def _reject(_: str) -> Any:
    raise ValueError("NaN/Infinity are not JSON")


@register(ENCODING, "fromJson", "string")
def _from_json_quiet(s: str) -> Any:
    try:
        return _from_json(s)
    except FuncError:
        return None


register(ENCODING, "mustFromJson", "string")(_from_json)
