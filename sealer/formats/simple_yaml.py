"""A reader for the plain block YAML that Kubernetes manifests are written in, or nothing.

``sealer seal`` is run once per Secret, and importing ruamel.yaml is about a
sixth of its run time. Nearly every Secret manifest is block mappings, block
sequences and one-line scalars, so :func:`load` reads exactly that subset and
returns ``None`` for anything else (anchors, tags, block or multi-line
scalars, flow collections other than ``{}``/``[]``, escapes, numbers other
than plain decimal integers, timestamps, duplicate keys, tabs, directives),
and the caller then uses ruamel.yaml. Whatever it does return is what
ruamel.yaml's safe loader (YAML 1.2) returns for the same text; the tests
check that on generated documents.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["load"]

_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\Z")
_INT = re.compile(r"(0|[1-9][0-9]*)\Z")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = frozenset({"null", "Null", "NULL", "~"})
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


class _Unsupported(Exception):
    """Outside the subset: let the full YAML reader decide."""


def _split_comment(text: str) -> str:
    """Drop a trailing ``# comment`` (a ``#`` after whitespace) from an unquoted line remainder."""
    index = text.find(" #")
    return (text[:index] if index >= 0 else text).rstrip()


def _scalar(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    first = text[0]
    if first == "'":
        end = text.find("'", 1)
        while end != -1 and text[end + 1 : end + 2] == "'":
            end = text.find("'", end + 2)
        if end == -1 or _split_comment(text[end + 1 :]):
            raise _Unsupported
        return text[1:end].replace("''", "'")
    if first == '"':
        end = text.find('"', 1)
        body = text[1:end]
        if end == -1 or "\\" in body or _split_comment(text[end + 1 :]):
            raise _Unsupported
        return body
    text = _split_comment(text)
    if text in ("{}", "[]"):
        return {} if text == "{}" else []
    if first in _INDICATORS or ": " in text or text.endswith(":") or "\t" in text:
        raise _Unsupported
    if text in _BOOL:
        return _BOOL[text]
    if text in _NULL:
        return None
    if _INT.match(text):
        return int(text)
    if first.isdigit() or first in "+.":
        raise _Unsupported  # floats, octal/hex, timestamps, versions: leave them to the real resolver
    return text


class _Lines:
    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines
        self.pos = 0

    def peek(self) -> tuple[int, str] | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _value_after(rest: str, lines: _Lines, indent: int) -> Any:
    """The value of ``key:`` whose remainder is ``rest``; nested blocks come from the following lines."""
    nxt = lines.peek()
    if _split_comment(rest).strip():
        if nxt is not None and nxt[0] > indent:
            raise _Unsupported  # a multi-line scalar
        return _scalar(rest)
    if nxt is None:
        return None
    if nxt[0] > indent:
        return _block(lines, nxt[0])
    if nxt[0] == indent and _is_item(nxt[1]):
        return _sequence(lines, indent)  # "key:" then "- item" at the key's own indent, as kubectl writes it
    return None


def _mapping(lines: _Lines, indent: int, first: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pending = first
    while True:
        if pending is None:
            line = lines.peek()
            if line is None or line[0] < indent:
                return out
            if line[0] > indent:
                raise _Unsupported
            content = line[1]
            if _is_item(content):
                return out
            lines.pos += 1
        else:
            content, pending = pending, None
        key, sep, rest = content.partition(":")
        if not sep or (rest and not rest[0].isspace()) or not _KEY.match(key):
            raise _Unsupported
        if key in _BOOL or key in _NULL or key[0].isdigit() or key in out:
            raise _Unsupported
        out[key] = _value_after(rest, lines, indent)


def _sequence(lines: _Lines, indent: int) -> list[Any]:
    out: list[Any] = []
    while True:
        line = lines.peek()
        if line is None or line[0] != indent or not _is_item(line[1]):
            if line is not None and line[0] > indent:
                raise _Unsupported
            return out
        lines.pos += 1
        item = line[1][2:]
        stripped = item.lstrip()
        if not stripped or stripped.startswith("#"):
            nxt = lines.peek()
            out.append(_block(lines, nxt[0]) if nxt is not None and nxt[0] > indent else None)
            continue
        item_indent = indent + 2 + (len(item) - len(stripped))
        if stripped.startswith("- "):
            raise _Unsupported  # nested sequence on one line
        _, sep, rest = stripped.partition(":")
        if sep and (not rest or rest[0].isspace()) and stripped[0] not in "'\"":
            out.append(_mapping(lines, item_indent, first=stripped))
        else:
            nxt = lines.peek()
            if nxt is not None and nxt[0] > indent:
                raise _Unsupported  # a multi-line scalar
            out.append(_scalar(stripped))


def _block(lines: _Lines, indent: int) -> Any:
    line = lines.peek()
    assert line is not None
    return _sequence(lines, indent) if _is_item(line[1]) else _mapping(lines, indent)


def _document(raw_lines: list[str]) -> Any:
    lines: list[tuple[int, str]] = []
    for raw in raw_lines:
        stripped = raw.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        if stripped[0] == "\t" or "\t" in raw[: len(raw) - len(stripped)]:
            raise _Unsupported
        lines.append((len(raw) - len(stripped), stripped.rstrip()))
    if not lines:
        return None
    if lines[0][0] != 0:
        raise _Unsupported
    reader = _Lines(lines)
    first = lines[0][1]
    if _is_item(first):
        value: Any = _sequence(reader, 0)
    elif ":" in first:
        value = _mapping(reader, 0)
    else:
        raise _Unsupported
    if reader.pos != len(lines):
        raise _Unsupported
    return value


def load(text: str) -> list[Any] | None:
    """The documents of ``text`` if it is within the subset (empty documents dropped), else None."""
    if "\t" in text or "\r" in text or "%" in text[:1] or "\n..." in text or text.startswith("..."):
        return None
    docs: list[list[str]] = [[]]
    for raw in text.split("\n"):
        if raw.startswith("---"):
            if raw.rstrip() != "---" and not raw.startswith("--- #"):
                return None
            docs.append([])
        else:
            docs[-1].append(raw)
    try:
        values = [_document(doc) for doc in docs]
    except (_Unsupported, RecursionError):
        return None
    return [v for v in values if v is not None]
