"""The neutral, ordered document tree every SOPS store converts to and from.

It mirrors sops' own model (``sops.go``) because the MAC and the additional
data are defined over it, not over any file format:

- a mapping is a :class:`Branch`, an ordered list of :class:`TreeItem`, whose
  keys are ``str`` or :class:`Comment` (a comment line is an item with a
  :class:`Comment` key and no value);
- a sequence is a plain ``list``, whose elements may also be :class:`Comment`;
- leaves are ``str``, ``int``, ``float``, ``bool``, :class:`Timestamp` or
  ``None`` (never encrypted, never in the MAC).

Strings carry arbitrary bytes through ``surrogateescape`` (the binary store
and dotenv are byte-oriented in sops); :func:`text_bytes` turns them back.
A document is a list of branches (YAML can hold several).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

__all__ = [
    "Branch",
    "Comment",
    "Leaf",
    "Timestamp",
    "TreeItem",
    "Value",
    "bytes_text",
    "text_bytes",
]


class Comment:
    """A comment line (text after the ``#``), kept in order and encrypted like a value."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Comment) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("comment", self.value))

    def __repr__(self) -> str:
        return "Comment(<redacted>)"


class Timestamp:
    """A YAML timestamp, as Go's ``time.Time`` renders it (RFC 3339, nanoseconds trimmed).

    sops encrypts YAML timestamps with ``type:time``; keeping the canonical text
    (what Go's ``MarshalText`` produces) is all the MAC and the emitters need.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timestamp) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("time", self.text))

    def __repr__(self) -> str:
        return "Timestamp(<redacted>)"

    def rfc3339(self) -> str:
        """Seconds precision (Go's ``time.RFC3339``), as dotenv/ini print timestamps."""
        head, sep, _ = self.text.partition(".")
        if not sep:
            return self.text
        rest = self.text[len(head) + 1 :]
        zone_at = next((i for i, ch in enumerate(rest) if not ch.isdigit()), len(rest))
        return head + rest[zone_at:]


class TreeItem:
    """One mapping entry (or a comment line, when ``key`` is a :class:`Comment`)."""

    __slots__ = ("key", "value")

    def __init__(self, key: str | Comment, value: Value) -> None:
        self.key = key
        self.value = value

    def __repr__(self) -> str:
        return f"TreeItem({self.key!r}, ...)"


class Branch(list[TreeItem]):
    """An ordered mapping. A ``list`` subclass so it is distinguishable from sequences."""

    def get(self, key: str) -> TreeItem | None:
        for item in self:
            if not isinstance(item.key, Comment) and item.key == key:
                return item
        return None

    def keys(self) -> Iterator[str]:
        for item in self:
            if isinstance(item.key, str):
                yield item.key


Leaf: TypeAlias = str | int | float | bool | Timestamp | None
Value: TypeAlias = Leaf | Comment | Branch | list["Value"]


def text_bytes(text: str) -> bytes:
    """The bytes a tree string stands for (inverse of :func:`bytes_text`)."""
    return text.encode("utf-8", "surrogateescape")


def bytes_text(data: bytes) -> str:
    """Carry arbitrary bytes in a tree string without loss."""
    return data.decode("utf-8", "surrogateescape")
