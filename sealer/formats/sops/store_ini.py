"""INI ⇄ tree as sops' INI store does it, through the rules of gopkg.in/ini.v1 (v1.67) that it uses.

Each section is a top-level key whose value is a mapping of its keys (the
keys before any section form ``DEFAULT``); values are strings; a comment
before a section or key is attached to it (``;`` or ``#``, inline ones too).
The metadata is a ``[sops]`` section of flattened keys, as in dotenv. Output
follows go-ini's "pretty" writer: ``=`` aligned per section, a blank line
between sections, values quoted only when they must be. (sops writes the
``[sops]`` keys in Go map order, i.e. randomly; we sort them.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sealer.errors import FormatError
from sealer.formats.sops.metadata import Metadata
from sealer.formats.sops.store_dotenv import _val_to_string, flatten_metadata, unflatten_metadata
from sealer.formats.sops.tree import Branch, Comment, TreeItem, Value, bytes_text, text_bytes

__all__ = ["INIStore"]

DEFAULT_SECTION = "DEFAULT"
_DELIMITERS = "=:"


@dataclass
class _Key:
    name: str
    value: str
    comment: str = ""


@dataclass
class _Section:
    name: str
    comment: str = ""
    keys: list[_Key] = field(default_factory=list)

    def set(self, name: str, value: str) -> _Key:
        for key in self.keys:
            if key.name == name:
                key.value = value  # go-ini keeps the position and replaces the value
                return key
        key = _Key(name, value)
        self.keys.append(key)
        return key


def _clean_comment(text: str) -> str | None:
    positions = [i for i in (text.find("#"), text.find(";")) if i >= 0]
    return text[min(positions) :] if positions else None


def _strip_comment_char(comment: str) -> str:
    if comment.startswith(";"):
        return comment.lstrip("; ")
    if comment.startswith("#"):
        return comment.lstrip("# ")
    return comment


def _surrounded(text: str, quote: str) -> bool:
    return len(text) >= 2 and text[0] == quote and text[-1] == quote and text[1:].find(quote) == len(text) - 2


class _Parser:
    def __init__(self, data: bytes) -> None:
        text = bytes_text(data)
        if text.startswith("\ufeff"):
            text = text[1:]
        self.lines = text.splitlines(keepends=True)
        self.pos = 0
        self.comment = ""

    def _next_line(self) -> str | None:
        if self.pos >= len(self.lines):
            return None
        line = self.lines[self.pos]
        self.pos += 1
        return line

    def parse(self) -> list[_Section]:
        section = _Section(DEFAULT_SECTION)
        sections = [section]
        while (raw := self._next_line()) is not None:
            line = raw.lstrip()
            if not line:
                continue
            if line[0] in "#;":
                self.comment += line
                continue
            if line[0] == "[":
                close = line.rfind("]")
                if close < 0:
                    raise FormatError(f"not valid INI: line {self.pos} has an unclosed section")
                section = _Section(line[1:close])
                sections.append(section)
                rest = _clean_comment(line[close + 1 :])
                if rest is not None:
                    self.comment += rest
                section.comment = self.comment.strip()
                self.comment = ""
                continue
            name, offset = self._key_name(line)
            value = self._value(line[offset:])
            key = section.set(name, value)
            key.comment = self.comment.strip()
            self.comment = ""
        return sections

    def _key_name(self, line: str) -> tuple[str, int]:
        quote = ""
        if line[0] == '"':
            quote = '"""' if len(line) > 6 and line.startswith('"""') else '"'
        elif line[0] == "`":
            quote = "`"
        if quote:
            start = len(quote)
            end = line.find(quote, start)
            if end < 0:
                raise FormatError(f"not valid INI: line {self.pos} has a key without its closing quote")
            rest = line[end + start :]
            i = min((rest.find(d) for d in _DELIMITERS if rest.find(d) >= 0), default=-1)
            if i < 0:
                raise FormatError(f"not valid INI: line {self.pos} has no '=' or ':'")
            return line[start:end].strip(), end + i + start + 1
        i = min((line.find(d) for d in _DELIMITERS if line.find(d) >= 0), default=-1)
        if i < 0:
            raise FormatError(f"not valid INI: line {self.pos} has no '=' or ':'")
        if i == 0:
            raise FormatError(f"not valid INI: line {self.pos} has an empty key name")
        return line[:i].strip(), i + 1

    def _value(self, text: str) -> str:
        line = text.lstrip()
        if not line:
            return ""
        quote = '"""' if len(line) > 3 and line.startswith('"""') else ("`" if line[0] == "`" else "")
        if quote:
            start = len(quote)
            end = line.rfind(quote, start)
            if end >= 0:
                return line[start:end]
            value = line[start:]
            while True:
                following = self._next_line()
                if following is None:
                    raise FormatError(f"not valid INI: a {quote} value is not closed")
                end = following.rfind(quote)
                if end >= 0:
                    value += following[:end]
                    rest = _clean_comment(following[end:])
                    if rest is not None:
                        self.comment += rest.strip()
                    return value
                value += following
        line = line.strip()
        if line.endswith("\\"):
            raise FormatError(f"not valid INI here: line {self.pos} continues on the next line ('\\'), not supported")
        inline = _clean_comment(line)
        if inline is not None:
            self.comment += inline
            line = line[: line.index(inline)].strip()
        if _surrounded(line, "'") or _surrounded(line, '"'):
            line = line[1:-1]
        return line


def _tree(sections: list[_Section]) -> Branch:
    branch = Branch()
    for section in sections:
        items = Branch()
        if section.comment:
            items.append(TreeItem(Comment(_strip_comment_char(section.comment)), None))
        for key in section.keys:
            items.append(TreeItem(key.name, key.value))
            if key.comment:
                items.append(TreeItem(Comment(_strip_comment_char(key.comment)), None))
        branch.append(TreeItem(section.name, items))
    return branch


def _sections_of(branches: Sequence[Branch]) -> list[_Section]:
    """sops' ``encodeTree``: sections from the top-level items, comments hung on the key before them."""
    sections: list[_Section] = []
    for branch in branches:
        for item in branch:
            if isinstance(item.key, Comment):
                continue
            if not isinstance(item.value, Branch):
                raise FormatError("error encoding section: section values should always be mappings (INI)")
            section = _Section(item.key)
            entries = list(item.value)
            if entries and isinstance(entries[0].key, Comment):
                section.comment = entries[0].key.value
                entries = entries[1:]
            last: _Key | None = None
            for entry in entries:
                if isinstance(entry.key, Comment):
                    if last is not None:
                        last.comment = entry.key.value
                    continue
                if isinstance(entry.value, Branch | list):
                    raise FormatError(f"cannot write the nested value of {entry.key!r} as INI")
                value = entry.value if isinstance(entry.value, str) else _val_to_string(entry.value)
                last = section.set(entry.key, value)
            sections.append(section)
    return sections


def _comment_lines(comment: str, trim_plain: bool) -> list[str]:
    out = []
    for line in comment.split("\n"):
        if not line:
            raise FormatError("cannot write an empty comment line as INI")
        if line[0] not in "#;":
            out.append("; " + (line.strip() if trim_plain else line))
        else:
            out.append(line[0] + " " + line[1:].strip())
    return out


def _write(sections: list[_Section]) -> str:
    out: list[str] = []
    last = len(sections) - 1
    for number, section in enumerate(sections):
        if section.comment:
            out.extend(line + "\n" for line in _comment_lines(section.comment, trim_plain=False))
        if number > 0 or section.name.upper() != DEFAULT_SECTION:
            out.append(f"[{section.name}]\n")
        elif not section.keys:
            continue
        width = 0
        for key in section.keys:
            length = len(key.name)
            if '"' in key.name or any(d in key.name for d in _DELIMITERS):
                length += 2
            elif "`" in key.name:
                length += 6
            width = max(width, length)
        for key in section.keys:
            if key.comment:
                out.extend(line + "\n" for line in _comment_lines(key.comment, trim_plain=True))
            name = key.name
            if '"' in name or any(d in name for d in _DELIMITERS):
                name = f"`{name}`"
            elif "`" in name:
                name = f'"""{name}"""'
            value = key.value
            if "\n" in value or "`" in value:
                value = f'"""{value}"""'
            elif "#" in value or ";" in value:
                value = f"`{value}`"
            elif value.strip() != value:
                value = f'"{value}"'
            out.append(name + " " * max(width - len(name), 0) + " = " + value + "\n")
        if number != last:
            out.append("\n")
    return "".join(out)


class INIStore:
    name = "ini"

    def load_plain(self, data: bytes) -> list[Branch]:
        return [_tree(_Parser(data).parse())]

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Metadata]:
        sections = _Parser(data).parse()
        sops_sections = [s for s in sections if s.name == "sops"]
        if not sops_sections:
            raise FormatError("not a SOPS file: it has no [sops] section", hint="is it encrypted?")
        flat: dict[str, Any] = {key.name: key.value.replace("\\n", "\n") for key in sops_sections[0].keys}
        metadata = unflatten_metadata(flat)
        branch = _tree([s for s in sections if s is not sops_sections[0]])
        return [branch], metadata

    def emit_plain(self, branches: Sequence[Branch]) -> bytes:
        return text_bytes(_write(_sections_of(branches)))

    def emit_encrypted(self, branches: Sequence[Branch], metadata: Metadata) -> bytes:
        sops_section = Branch(TreeItem(key, value) for key, value in flatten_metadata(metadata))
        return self.emit_plain([*branches, Branch([TreeItem("sops", sops_section)])])

    def emit_value(self, value: Value) -> bytes:
        if isinstance(value, Branch):
            return self.emit_plain([value])
        from sealer.formats.sops.store_json import JSONStore

        return JSONStore().emit_value(value)

    def has_metadata(self, branches: Sequence[Branch]) -> bool:
        return bool(branches) and branches[0].get("sops") is not None
