"""How Go values are represented while a template runs.

Python's dynamic types stand in for Go's, with thin subclasses where Go's static
type changes behaviour (a function taking ``int`` refuses an ``int64``; Sprig's
``set`` refuses a ``map[string]string``):

=================  ==========================
Go                 Python
=================  ==========================
string             ``str`` (bytes beyond UTF-8 surrogate-escaped)
int / int64        ``int`` / :class:`Int64`
float64            ``float``
bool               ``bool``
[]interface{}      ``list``; ``[]string`` is :class:`StrList`
map[string]any     ``dict``; ``map[string]string`` is :class:`StrMap`
[]byte             ``bytes``
nil / no value     ``None``
=================  ==========================
"""

from __future__ import annotations

from typing import Any


class Int64(int):
    """A Go ``int64`` (what Sprig's arithmetic returns), as opposed to a plain ``int``."""

    __slots__ = ()


class Uint8(int):
    """A Go ``uint8`` (a byte, what ``index`` returns on a string)."""

    __slots__ = ()


class StrList(list[Any]):
    """A Go ``[]string`` (``splitList``, ``keys``, ``sortAlpha`` ...)."""

    __slots__ = ()


class IntList(list[Any]):
    """A Go ``[]int`` (``until``, ``untilStep``)."""

    __slots__ = ()


class StrMap(dict[str, Any]):
    """A Go ``map[string]string``: the data the Sealed Secrets controller passes to templates."""

    __slots__ = ()


def go_type(v: Any) -> str:
    """The Go type name of a value, as ``%T`` and error messages spell it."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, Int64):
        return "int64"
    if isinstance(v, Uint8):
        return "uint8"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, complex):
        return "complex128"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (bytes, bytearray)):
        return "[]uint8"
    if isinstance(v, StrList):
        return "[]string"
    if isinstance(v, IntList):
        return "[]int"
    if isinstance(v, list):
        return "[]interface {}"
    if isinstance(v, StrMap):
        return "map[string]string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    return type(v).__name__


def go_kind(v: Any) -> str:
    """The ``reflect.Kind`` name (Sprig's ``kindOf``)."""
    if v is None:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64" if isinstance(v, Int64) else "uint8" if isinstance(v, Uint8) else "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (bytes, bytearray, list)):
        return "slice"
    if isinstance(v, dict):
        return "map"
    return "struct"


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def truth(v: Any) -> bool:
    """Go's ``isTrue``: the zero value of its type is false (``if``, ``with``, ``and``, ``not`` ...)."""
    if v is None:
        return False
    if isinstance(v, (str, list, dict, bytes, bytearray)):
        return len(v) > 0
    if isinstance(v, (bool, int, float, complex)):
        return bool(v)
    return True


def go_len_str(s: str) -> int:
    """Length in bytes, as Go's ``len`` counts a string."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-8", "surrogateescape"))


def to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def byte_slice(s: str, start: int, end: int | None = None) -> str:
    """``s[start:end]`` on the UTF-8 bytes, as Go slices strings."""
    if s.isascii():
        return s[start:end]
    return from_bytes(to_bytes(s)[start:end])
