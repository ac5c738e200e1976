"""A fast, strict reader for the block YAML that sops (go-yaml) writes, with ruamel.yaml as the fallback.

Decrypting a sops file is mostly reading what go-yaml wrote: block mappings
and sequences, plain or quoted one-line scalars, ``|`` literals, comment
lines, ``---`` between documents. This reader handles exactly that subset in
one pass over the lines and gives *up* (returns ``None``) on anything else —
flow collections other than ``{}``/``[]``, anchors, tags, folded or
multi-line plain scalars, tabs, directives — so the full parser takes over.
Its output is the same intermediate structure the ruamel path builds, so
comment placement and everything after it is shared; tests check both paths
agree. It saves the ruamel import and its pure-Python scanner on every
``sealer sops decrypt``.
"""

from __future__ import annotations

import re

from sealer.formats.sops.store_yaml import _CommentLine, _Container, _Doc, _Entry
from sealer.formats.sops.tree import Branch, Value
from sealer.formats.sops.yaml_scalars import resolve_plain

__all__ = ["parse"]


class _GiveUp(Exception):
    """Input outside the subset: let ruamel.yaml read it."""


_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_HEX_LENGTH = {"x": 2, "u": 4, "U": 8}
_BLOCK_HEADER = re.compile(r"^\|([1-9])?([-+])?$|^\|([-+])([1-9])$")


def _double_quoted(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body):
                raise _GiveUp
            code = body[i + 1]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
            elif code in _HEX_LENGTH:
                digits = body[i + 2 : i + 2 + _HEX_LENGTH[code]]
                if len(digits) != _HEX_LENGTH[code] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise _GiveUp
                out.append(chr(int(digits, 16)))
                i += 2 + len(digits)
            else:
                raise _GiveUp
        elif ch == '"':
            raise _GiveUp
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _starts_with_indicator(text: str) -> bool:
    """go-yaml's rule: ``-``, ``?`` and ``:`` start an indicator only when a space (or nothing) follows."""
    first = text[:1]
    if first in "-?:" and first:
        return text[1:2] in ("", " ")
    return first in _INDICATORS


class _Line:
    __slots__ = ("col", "number", "offset", "text")

    def __init__(self, number: int, offset: int, text: str) -> None:
        self.number = number
        self.offset = offset
        self.text = text
        self.col = len(text) - len(text.lstrip(" "))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[_Line] = []
        offset = 0
        for number, raw in enumerate(text.split("\n")):
            self.lines.append(_Line(number, offset, raw))
            offset += len(raw) + 1
        self.pos = 0
        self.docs: list[_Doc] = []
        self.comments: list[_CommentLine] = []

    # -- scalars -------------------------------------------------------------------------------------

    def _comment_after(self, line: _Line, at: int) -> None:
        """Record an end-of-line comment starting at column ``at`` (the '#'), or give up on junk."""
        rest = line.text[at:]
        stripped = rest.lstrip(" ")
        if not stripped:
            return
        if not stripped.startswith("#") or (stripped == rest and at > 0 and line.text[at - 1] != " "):
            raise _GiveUp
        start = at + (len(rest) - len(stripped))
        self.comments.append(_CommentLine(line.offset + start, line.number, start, line.text[start + 1 :], False))

    def _inline_value(self, line: _Line, start: int) -> tuple[Value, bool]:
        """Parse the scalar starting at ``start``; returns (value, is_block_header)."""
        text = line.text[start:]
        first = text[:1]
        if first == '"':
            end = 1
            while True:
                end = text.find('"', end)
                if end < 0:
                    raise _GiveUp  # continues on the next line
                backslashes = len(text[:end]) - len(text[:end].rstrip("\\"))
                if backslashes % 2 == 0:
                    break
                end += 1
            self._comment_after(line, start + end + 1)
            return _double_quoted(text[1:end]), False
        if first == "'":
            end = 1
            while True:
                end = text.find("'", end)
                if end < 0:
                    raise _GiveUp
                if text[end + 1 : end + 2] == "'":
                    end += 2
                    continue
                break
            self._comment_after(line, start + end + 1)
            return text[1:end].replace("''", "'"), False
        value, comment_at = text, text.find(" #")
        if comment_at >= 0:
            value = text[:comment_at]
            self._comment_after(line, start + comment_at)
        value = value.rstrip(" ")
        if value in ("{}", "[]"):
            if comment_at >= 0:
                raise _GiveUp  # the comment belongs inside that collection: the full reader handles it
            return (Branch() if value == "{}" else []), False
        if first == "|":
            if not _BLOCK_HEADER.match(value):
                raise _GiveUp
            return value, True
        if _starts_with_indicator(value) or not value or ": " in value or value.endswith(":") or "\t" in value:
            raise _GiveUp
        return resolve_plain(value), False

    def _literal(self, header: str, parent_indent: int) -> str:
        match = _BLOCK_HEADER.match(header)
        assert match is not None
        digit = match.group(1) or match.group(4)
        chomp = match.group(2) or match.group(3) or ""
        body: list[tuple[_Line, str]] = []
        indent = parent_indent + int(digit) if digit else -1
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line.text.strip(" ") == "":
                body.append((line, ""))
                self.pos += 1
                continue
            if indent < 0:
                if line.col <= parent_indent:
                    break
                indent = line.col
            if line.col < indent:
                break
            if "\t" in line.text[:indent] or "\r" in line.text:
                raise _GiveUp
            body.append((line, line.text[indent:]))
            self.pos += 1
        # Trailing blank lines belong to the scalar only for keep-chomping; give them back otherwise.
        while body and body[-1][1] == "" and body[-1][0].text.strip(" ") == "":
            if chomp == "+":
                break
            self.pos -= 1
            body.pop()
        if indent < 0:
            raise _GiveUp
        content = "\n".join(text for _, text in body)
        if not body:
            return ""
        if chomp == "-":
            return content
        if chomp == "+":
            raise _GiveUp  # keep-chomping trailing lines: leave to ruamel
        return content + "\n"

    # -- structure -----------------------------------------------------------------------------------

    def parse(self) -> tuple[list[_Doc], list[_CommentLine]]:
        doc = self._new_doc(0)
        stack: list[_Container] = []
        # A key whose value is on the following lines: (container, item index in entries, key column).
        pending: tuple[_Container, int, int] | None = None
        saw_content = False
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
            body = line.text
            if "\t" in body or "\r" in body:
                raise _GiveUp
            stripped = body.strip(" ")
            if not stripped:
                continue
            if stripped.startswith("#"):
                self.comments.append(
                    _CommentLine(line.offset + line.col, line.number, line.col, body[line.col + 1 :], True)
                )
                continue
            if body == "---" or body.startswith("--- "):
                if body != "---":
                    raise _GiveUp
                pending = None
                if not saw_content and len(self.docs) == 1:
                    doc.start = line.offset  # an explicit start of the first document
                    continue
                self._finish(doc, stack)
                doc = self._new_doc(line.offset)
                stack = []
                continue
            if body.startswith(("...", "%")) and line.col == 0:
                raise _GiveUp
            saw_content = True
            pending = self._content(doc, stack, pending, line, line.col)
        self._finish(doc, stack)
        if not saw_content:
            raise _GiveUp
        return self.docs, self.comments

    def _new_doc(self, start: int) -> _Doc:
        doc = _Doc()
        doc.start = start
        self.docs.append(doc)
        return doc

    def _finish(self, doc: _Doc, stack: list[_Container]) -> None:
        if stack:
            doc.root = stack[0]
        else:
            doc.empty_root = Branch()

    def _content(
        self,
        doc: _Doc,
        stack: list[_Container],
        pending: tuple[_Container, int, int] | None,
        line: _Line,
        col: int,
    ) -> tuple[_Container, int, int] | None:
        text = line.text
        is_item = text[col : col + 2] == "- " or text[col:] == "-"
        if text[col:] == "-":
            raise _GiveUp
        # Close blocks this line is outside of.
        while stack and (stack[-1].col > col or (stack[-1].col == col and stack[-1].kind == "seq" and not is_item)):
            stack.pop()
        parent: _Container | None = None
        if pending is not None:
            owner, item_index, key_col = pending
            if (col > key_col) or (is_item and col == key_col and owner.kind == "map"):
                parent = owner
            else:
                pending = None
        kind = "seq" if is_item else "map"
        if pending is not None and parent is not None:
            container = _Container(kind, col, parent.depth + 1, parent, [] if is_item else Branch())
            self._attach(parent, item_index, container)
            stack.append(container)
            pending = None
        elif not stack:
            if doc.root is not None or is_item:
                raise _GiveUp  # a second root, or a root sequence (sops refuses those anyway)
            container = _Container("map", col, 0, None, Branch())
            stack.append(container)
        else:
            container = stack[-1]
            if container.col != col or container.kind != kind:
                raise _GiveUp
        return self._entry(doc, stack, container, line, col)

    @staticmethod
    def _attach(parent: _Container, item_index: int, child: _Container) -> None:
        key, payload = parent.entries[item_index]
        if parent.kind == "map":
            payload.value = child
        else:
            parent.entries[item_index] = (key, child)

    def _entry(
        self, doc: _Doc, stack: list[_Container], container: _Container, line: _Line, col: int
    ) -> tuple[_Container, int, int] | None:
        from sealer.formats.sops.tree import TreeItem

        text = line.text
        index = line.offset + col
        if container.kind == "seq":
            start = col + 2
            while text[start : start + 1] == " ":
                start += 1
            rest = text[start:]
            if rest.startswith("- ") or self._looks_like_key(rest):
                # An inline collection: "- - x" or "- key: value". The item is recorded after its first
                # entry, in the order the event-based reader records them.
                kind = "seq" if rest.startswith("- ") else "map"
                child = _Container(kind, start, container.depth + 1, container, [] if kind == "seq" else Branch())
                container.entries.append(((line.offset + start, 1, 0), child))
                stack.append(child)
                result = self._entry(doc, stack, child, line, start)
                doc.entries.append(_Entry(line.offset + start, line.number, container))
                return result
            value, block = self._inline_value(line, start)
            if block:
                value = self._literal(str(value), col)
            container.entries.append(((line.offset + start, 1, 0), value))
            doc.entries.append(_Entry(line.offset + start, line.number, container))
            return None
        key, after = self._key(line, col)
        item = TreeItem(key, None)
        container.entries.append(((index, 1, 0), item))
        doc.entries.append(_Entry(index, line.number, container))
        while text[after : after + 1] == " ":
            after += 1
        if after >= len(text) or text[after] == "#":
            if after < len(text):
                self._comment_after(line, after)
            return (container, len(container.entries) - 1, col)
        value, block = self._inline_value(line, after)
        if block:
            value = self._literal(str(value), col)
        item.value = value
        return None

    @staticmethod
    def _looks_like_key(rest: str) -> bool:
        if rest[:1] in ('"', "'"):
            quote = rest[0]
            end = rest.find(quote, 1)
            return end > 0 and rest[end + 1 : end + 2] == ":"
        if _starts_with_indicator(rest):
            return False
        plain = rest.split(" #", 1)[0]
        return ": " in plain or plain.rstrip(" ").endswith(":")

    def _key(self, line: _Line, col: int) -> tuple[str, int]:
        text = line.text
        first = text[col : col + 1]
        if first in ('"', "'"):
            close = col + 1
            while True:
                close = text.find(first, close)
                if close < 0:
                    raise _GiveUp
                if first == "'" and text[close + 1 : close + 2] == "'":
                    close += 2
                    continue
                if first == '"' and (len(text[:close]) - len(text[:close].rstrip("\\"))) % 2:
                    close += 1
                    continue
                break
            if text[close + 1 : close + 2] != ":" or text[close + 2 : close + 3] not in ("", " "):
                raise _GiveUp
            raw = text[col + 1 : close]
            key = _double_quoted(raw) if first == '"' else raw.replace("''", "'")
            return key, close + 2
        if _starts_with_indicator(text[col:]):
            raise _GiveUp
        colon = text.find(": ", col)
        if colon < 0:
            if not text.rstrip(" ").endswith(":"):
                raise _GiveUp
            colon = len(text.rstrip(" ")) - 1
        raw = text[col:colon]
        if " #" in raw or "\t" in raw or raw != raw.rstrip(" ") or not raw:
            raise _GiveUp
        resolved = resolve_plain(raw)
        if not isinstance(resolved, str):
            raise _GiveUp  # let the full parser report non-string keys
        return resolved, colon + 1


def parse(text: str) -> tuple[list[_Doc], list[_CommentLine]] | None:
    """Documents and comments for ``text``, or ``None`` when it is outside the subset."""
    try:
        return _Parser(text).parse()
    except _GiveUp:
        return None
