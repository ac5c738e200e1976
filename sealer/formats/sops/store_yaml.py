"""YAML ⇄ tree, the way sops' go-yaml based store does it (``stores/yaml/store.go``).

Loading: ruamel.yaml's parser supplies events with positions; comments are
found in the text outside scalar spans and placed as go-yaml attributes them
(a line comment goes before the entry on its line; a comment line belongs to
the deepest enclosing block whose indentation it does not undercut), which is
what decides their additional data when they are encrypted. Multi-document
files give one branch per document.

Emitting: a small port of go-yaml v3's emitter for the node shapes sops
produces (block mappings and sequences, indent 4, comments as head/foot
comments, empty collections in flow style), with its scalar-style rules, so
``decrypt`` output is byte-identical with ``sops decrypt``.
"""

from __future__ import annotations

import bisect
import copy
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sealer.errors import FormatError
from sealer.formats.sops.gofmt import format_float_g
from sealer.formats.sops.tree import Branch, Comment, Timestamp, TreeItem, Value
from sealer.formats.sops.yaml_scalars import (
    DOUBLE,
    LITERAL,
    PLAIN,
    SINGLE,
    Analysis,
    is_str_tag,
    resolve_plain,
    resolve_tagged,
    select_style,
    string_style,
)

__all__ = ["emit", "load"]

INDENT = 4  # sops' default (stores.yaml.indent in .sops.yaml changes it)
_RAW = "raw"  # text written as is (a tag and value go-yaml prints for a special string)

# ----------------------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Container:
    kind: str  # "map" or "seq"
    col: int
    depth: int
    parent: _Container | None
    target: Branch | list[Value]
    entries: list[tuple[tuple[int, int, int], Any]] = field(default_factory=list)
    flow_line: int = -1  # the line a flow collection ({...}, [...]) starts on; -1 for block ones
    flow_index: int = -1
    _real: list[tuple[tuple[int, int, int], Any]] | None = None

    def real_entries(self) -> list[tuple[tuple[int, int, int], Any]]:
        """The entries that are not comments, in position order (built in that order; cached once
        all are known, i.e. while comments are being placed)."""
        if self._real is None:
            self._real = [pair for pair in self.entries if pair[0][1] == 1]
        return self._real

    def chain(self) -> Iterator[_Container]:
        node: _Container | None = self
        while node is not None:
            yield node
            node = node.parent


@dataclass
class _Entry:
    index: int
    line: int
    container: _Container


@dataclass
class _CommentLine:
    index: int
    line: int
    col: int
    text: str  # after the '#'
    full_line: bool


class _Alias:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Doc:
    def __init__(self) -> None:
        self.root: _Container | None = None
        self.entries: list[_Entry] = []
        self.flows: list[_Container] = []
        self.start = 0
        self.end = 0
        self.empty_root: Branch | None = None


class _Builder:
    """Builds trees from the event stream, remembering where every entry starts."""

    def __init__(self, events: list[Any], text: str) -> None:
        self.events = events
        self.pos = 0
        self.text = text
        self.anchors: dict[str, Any] = {}
        self.docs: list[_Doc] = []

    def next(self) -> Any:
        event = self.events[self.pos]
        self.pos += 1
        return event

    def peek(self) -> Any:
        return self.events[self.pos]

    def build(self) -> list[_Doc]:
        self.next()  # StreamStart
        while type(self.peek()).__name__ != "StreamEndEvent":
            start = self.next()  # DocumentStart
            doc = _Doc()
            doc.start = start.start_mark.index
            self.current = doc
            root = self.node(None, 0)
            end = self.next()  # DocumentEnd
            doc.end = end.end_mark.index
            if isinstance(root, _Container):
                if root.kind != "map":
                    raise FormatError("YAML documents that are sequences are not supported")
                doc.root = root
            elif root is None:
                doc.empty_root = Branch()
            else:
                raise FormatError("YAML documents that are values are not supported")
            self.docs.append(doc)
        return self.docs

    def _anchor(self, event: Any, value: Any) -> None:
        if getattr(event, "anchor", None):
            self.anchors[event.anchor] = value

    def node(self, parent: _Container | None, depth: int) -> Any:
        event = self.next()
        kind = type(event).__name__
        if kind == "ScalarEvent":
            value = self.scalar(event)
            self._anchor(event, value)
            return value
        if kind == "AliasEvent":
            if event.anchor not in self.anchors:
                raise FormatError(f"YAML alias *{event.anchor} refers to an unknown anchor")
            return _Alias(event.anchor)
        if kind == "MappingStartEvent":
            container = _Container("map", event.start_mark.column, depth, parent, Branch())
            if getattr(event, "flow_style", False):
                container.flow_line, container.flow_index = event.start_mark.line, event.start_mark.index
                self.current.flows.append(container)
            self._anchor(event, container)
            while type(self.peek()).__name__ != "MappingEndEvent":
                key_event = self.peek()
                if type(key_event).__name__ != "ScalarEvent":
                    raise FormatError(
                        f"line {key_event.start_mark.line + 1}: complex (non-scalar) mapping keys are not supported"
                    )
                key_event = self.next()
                key = self.scalar(key_event)
                if not isinstance(key, str):
                    raise FormatError(
                        f"line {key_event.start_mark.line + 1}: mapping key is a {type(key).__name__}; "
                        "sops supports string keys only (quote it)"
                    )
                self._anchor(key_event, key)
                value = self.node(container, depth + 1)
                item = TreeItem(key, value)
                index = key_event.start_mark.index
                container.entries.append(((index, 1, 0), item))
                self.current.entries.append(_Entry(index, key_event.start_mark.line, container))
            self.next()
            return container
        if kind == "SequenceStartEvent":
            container = _Container("seq", event.start_mark.column, depth, parent, [])
            if getattr(event, "flow_style", False):
                container.flow_line, container.flow_index = event.start_mark.line, event.start_mark.index
                self.current.flows.append(container)
            self._anchor(event, container)
            while type(self.peek()).__name__ != "SequenceEndEvent":
                item_event = self.peek()
                index = item_event.start_mark.index
                value = self.node(container, depth + 1)
                container.entries.append(((index, 1, 0), value))
                self.current.entries.append(_Entry(index, item_event.start_mark.line, container))
            self.next()
            return container
        raise FormatError(f"unexpected YAML event {kind}")

    def scalar(self, event: Any) -> Value:
        tag = event.tag
        style = event.style
        value: str = event.value
        if tag and tag != "!":
            try:
                return resolve_tagged(value, tag)
            except ValueError as exc:
                raise FormatError(f"line {event.start_mark.line + 1}: {exc}") from None
        if style is None and not is_str_tag(tag) and tag != "!":
            return resolve_plain(value)
        return value


def _comment_lines(text: str, spans: list[tuple[int, int]]) -> list[_CommentLine]:
    """Every ``#`` comment outside scalar spans, with its position."""
    out: list[_CommentLine] = []
    spans = sorted(spans)
    span_i = 0
    i = 0
    n = len(text)
    line = 0
    line_start = 0
    while i < n:
        while span_i < len(spans) and spans[span_i][1] <= i:
            span_i += 1
        if span_i < len(spans) and spans[span_i][0] <= i < spans[span_i][1]:
            # inside a scalar: skip to its end, counting lines
            end = spans[span_i][1]
            chunk = text[i:end]
            newlines = chunk.count("\n")
            if newlines:
                line += newlines
                line_start = i + chunk.rfind("\n") + 1
            i = end
            continue
        ch = text[i]
        if ch == "\n":
            line += 1
            line_start = i + 1
        elif ch == "#" and (i == line_start or text[i - 1] in " \t"):
            end = text.find("\n", i)
            if end < 0:
                end = n
            body = text[i + 1 : end].rstrip("\r")
            full_line = text[line_start:i].strip(" \t") == ""
            out.append(_CommentLine(i, line, i - line_start, body, full_line))
            i = end
            continue
        i += 1
    return out


def _place_comments(doc: _Doc, comments: list[_CommentLine], counter: Iterator[int]) -> None:
    # Entries sorted by position (deepest last among those starting at the same place), for bisection.
    entries = sorted(doc.entries, key=lambda e: (e.index, e.container.depth))
    indices = [e.index for e in entries]
    by_line: dict[int, list[_Entry]] = {}
    for entry in entries:
        by_line.setdefault(entry.line, []).append(entry)
    flows_by_line: dict[int, list[_Container]] = {}
    for flow in doc.flows:
        flows_by_line.setdefault(flow.flow_line, []).append(flow)
    root = doc.root
    for comment in comments:
        seq = next(counter)
        if not comment.full_line:
            # After a flow collection ("k: [1, 2]  # c", "k: {}  # c") go-yaml makes it that
            # collection's line comment: the head of its contents.
            flows = [c for c in flows_by_line.get(comment.line, ()) if c.flow_index < comment.index]
            if flows:
                flow = min(flows, key=lambda c: c.flow_index)
                flow.entries.append(((flow.flow_index, 0, seq), Comment(comment.text)))
                continue
            on_line = [e for e in by_line.get(comment.line, ()) if e.index < comment.index]
            if on_line:
                target = max(on_line, key=lambda e: (e.container.depth, -e.index))
                target.container.entries.append(((target.index, 0, seq), Comment(comment.text)))
                continue
        # Entries that start at the same place (a sequence item and its first key): the deepest one.
        k = bisect.bisect_left(indices, comment.index)
        previous = entries[k - 1] if k > 0 else None
        j = bisect.bisect_right(indices, comment.index)
        following = None
        if j < len(entries):
            same = j
            while same + 1 < len(entries) and entries[same + 1].index == entries[j].index:
                same += 1
            following = entries[same]
        chosen = _comment_home(comment, previous, following, by_line, root)
        if chosen is None:
            if doc.empty_root is not None:
                doc.empty_root.append(TreeItem(Comment(comment.text), None))
            continue
        chosen.entries.append(((comment.index, 0, seq), Comment(comment.text)))


def _comment_home(
    comment: _CommentLine,
    previous: _Entry | None,
    following: _Entry | None,
    by_line: dict[int, list[_Entry]],
    root: _Container | None,
) -> _Container | None:
    """Which block a comment line belongs to, approximating go-yaml's head/foot attribution.

    A comment indented deeper than the line that follows it, or less deep while
    that line closes blocks (it is in an enclosing block), is a *foot* of what precedes: it
    goes to the deepest preceding block it does not undercut, then down into that
    block's trailing mappings (go-yaml hangs it on the last key). Otherwise it is
    a *head* of the entry that follows, in that entry's block. (An approximation
    of go-yaml's scanner, checked against sops on many random layouts.)
    """
    previous_chain = list(previous.container.chain()) if previous else []
    # The head of a line's first entry: for "- key: v" that is the sequence item, not the key.
    first_on_line = (
        min(by_line[following.line], key=lambda e: e.container.col) if following else None
    )
    next_col = first_on_line.container.col if first_on_line is not None else -1
    # Closing blocks: what follows sits in a block that encloses (and is not) the one of what precedes.
    closing = (
        first_on_line is not None
        and first_on_line.container is not (previous.container if previous else None)
        and first_on_line.container in previous_chain
    )
    # Opening a block: what follows is the first entry of the value of what precedes ("key:" then items).
    opening = (
        first_on_line is not None
        and previous is not None
        and first_on_line.container is not previous.container
        and previous.container in list(first_on_line.container.chain())
    )
    foot = first_on_line is None or (
        comment.full_line and not opening and (comment.col > next_col or (comment.col < next_col and closing))
    )
    if previous is not None and foot:
        eligible = [c for c in previous_chain if c.col <= comment.col]
        if not eligible:
            return root
        best = max(c.col for c in eligible)
        # Only an indentless sequence shares its mapping's column; go-yaml gives it no indentation
        # level of its own, so the mapping wins the tie unless the next line is in that sequence.
        tied = [c for c in eligible if c.col == best]
        home = min(tied, key=lambda c: c.depth)
        if first_on_line is not None and first_on_line.container in tied:
            home = first_on_line.container  # between two items of that indentless sequence
        if following is None:
            return home  # at the end of a document a foot stays where it is
        return _foot_target(home, comment.index)
    if following is None or first_on_line is None:
        return root
    if not comment.full_line:  # e.g. "- # note" above "  key: v": the mapping's own head
        return following.container
    return first_on_line.container


def _foot_target(home: _Container, before: int) -> _Container:
    """go-yaml hangs a foot comment on the last key of the deepest trailing mapping below ``home``.

    Descend through the last entries (those before the comment) while they are
    collections; the deepest mapping seen wins. If only sequences were crossed,
    the comment belongs to the nearest enclosing mapping instead.
    """
    deepest_map = home if home.kind == "map" else None
    node = home
    descended = False
    while True:
        real = node.real_entries()
        k = bisect.bisect_left(real, (before,), key=lambda pair: (pair[0][0],))
        if k == 0:
            break
        last = real[k - 1][1]
        inner = last.value if isinstance(last, TreeItem) else last
        if not isinstance(inner, _Container):
            break
        node, descended = inner, True
        if node.kind == "map":
            deepest_map = node
    if deepest_map is not None:
        return deepest_map
    if not descended:
        return home
    ancestor = home.parent
    while ancestor is not None and ancestor.kind != "map":
        ancestor = ancestor.parent
    return ancestor or home


def _assemble(value: Any, anchors: dict[str, Any], done: set[int], text: str) -> Value:
    if isinstance(value, _Alias):
        return copy.deepcopy(_assemble(anchors[value.name], anchors, done, text))
    if isinstance(value, _Container):
        if id(value) not in done:
            done.add(id(value))
            value.entries.sort(key=lambda pair: pair[0])
            target = value.target
            if value.kind == "map":
                assert isinstance(target, Branch)
                seen: dict[str, int] = {}
                for (index, _, _), payload in value.entries:
                    if isinstance(payload, Comment):
                        target.append(TreeItem(payload, None))
                        continue
                    if payload.key in seen:
                        # go-yaml refuses duplicate keys, so sops could not read such a file back.
                        first, again = (text.count("\n", 0, i) + 1 for i in (seen[payload.key], index))
                        raise FormatError(f"line {again}: mapping key {payload.key!r} already defined at line {first}")
                    seen[payload.key] = index
                    payload.value = _assemble(payload.value, anchors, done, text)
                    target.append(payload)
            else:
                seq = cast("list[Value]", target)
                for _, payload in value.entries:
                    seq.append(payload if isinstance(payload, Comment) else _assemble(payload, anchors, done, text))
        return value.target
    return value  # type: ignore[no-any-return]


def _read_events(text: str) -> tuple[list[_Doc], list[_CommentLine], dict[str, Any]]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        events = list(YAML(typ="safe", pure=True).parse(io.StringIO(text)))
    except YAMLError as exc:
        raise FormatError(f"not valid YAML: {_yaml_problem(exc)}") from None
    spans = []
    for e in events:
        if type(e).__name__ != "ScalarEvent":
            continue
        start = e.start_mark.index
        if e.style in ("|", ">"):  # a comment may follow the block header ("key: |  # note")
            newline = text.find("\n", start)
            start = newline if 0 <= newline < e.end_mark.index else start
        spans.append((start, e.end_mark.index))
    builder = _Builder(events, text)
    docs = builder.build()
    return docs, _comment_lines(text, spans), builder.anchors


def load(text: str, *, fast: bool = True) -> list[Branch]:
    """Parse YAML text into branches (one per document), comments included.

    The common shape (what go-yaml writes) is read by :mod:`.yaml_fast`; anything
    else, or ``fast=False``, goes through ruamel.yaml's parser.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    parsed = None
    if fast:
        from sealer.formats.sops import yaml_fast

        parsed = yaml_fast.parse(text)
    anchors: dict[str, Any] = {}
    if parsed is not None:
        docs, comments = parsed
    else:
        docs, comments, anchors = _read_events(text)
    counter = itertools.count(1)
    branches: list[Branch] = []
    for number, doc in enumerate(docs):
        upper = docs[number + 1].start if number + 1 < len(docs) else len(text) + 1
        mine = [c for c in comments if doc.start <= c.index < upper or (number == 0 and c.index < doc.start)]
        _place_comments(doc, mine, counter)
    for doc in docs:
        if doc.root is not None:
            built = _assemble(doc.root, anchors, set(), text)
            assert isinstance(built, Branch)
            branches.append(built)
        else:
            assert doc.empty_root is not None
            branches.append(doc.empty_root)
    return branches


def _yaml_problem(exc: Exception) -> str:
    problem = getattr(exc, "problem", None) or "syntax error"
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)


# ----------------------------------------------------------------------------------------------------------
# Emitting (a port of the parts of go-yaml v3's emitter that sops trees reach)
# ----------------------------------------------------------------------------------------------------------

_BREAK_CHARS = "\r\n\x85\u2028\u2029"
_ESCAPES = {
    0x00: "0",
    0x07: "a",
    0x08: "b",
    0x09: "t",
    0x0A: "n",
    0x0B: "v",
    0x0C: "f",
    0x0D: "r",
    0x1B: "e",
    0x22: '"',
    0x5C: "\\",
    0x85: "N",
    0xA0: "_",
    0x2028: "L",
    0x2029: "P",
}


def _printable(cp: int) -> bool:
    return cp == 0x0A or 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xD7FF or (0xE000 <= cp <= 0xFFFD and cp != 0xFEFF)


class _Writer:
    def __init__(self, step: int = INDENT) -> None:
        self.step = step
        self.out: list[str] = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.foot_indent = -1
        self.foot_comment = ""

    def put(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        self.indention = True

    def write_indent(self, indent: int) -> None:
        indent = max(indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        if self.foot_indent == indent:
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True
        self.foot_indent = -1

    def indicator(self, text: str, need_ws: bool, is_ws: bool, is_indention: bool) -> None:
        if need_ws and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention

    def comment(self, comment: str, indent: int) -> None:
        breaks = False
        for number, line in enumerate(comment.split("\n")):
            if number:
                self.put_break()
                breaks = True
            if line:
                if breaks:
                    self.write_indent(indent)
                self.put(line if line.startswith("#") else "# " + line)
                self.indention = False
                breaks = False
        if not breaks:
            self.put_break()
        self.whitespace = True

    def head_comment(self, comment: str, indent: int) -> None:
        if comment:
            self.write_indent(indent)
            self.comment(comment, indent)

    def tail_comment(self, comment: str, indent: int) -> None:
        if comment:
            self.write_indent(indent)
            self.comment(comment, indent)
            self.foot_indent = max(indent, 0)

    def process_foot_comment(self, indent: int) -> None:
        if self.foot_comment:
            comment, self.foot_comment = self.foot_comment, ""
            self.write_indent(indent)
            self.comment(comment, indent)
            self.foot_indent = max(indent, 0)

    # -- scalars ----------------------------------------------------------------------------------------

    def scalar(self, text: str, style: str, indent: int, *, simple_key: bool) -> None:
        if style != _RAW:
            style = select_style(style, Analysis(text), simple_key=simple_key, value=text)
        if style in (PLAIN, _RAW):
            if text and not self.whitespace:
                self.put(" ")
            self.put(text)
            if text:
                self.whitespace = False
            self.indention = False
        elif style == SINGLE:
            self.indicator("'", True, False, False)
            breaks = False
            for ch in text:
                if ch in _BREAK_CHARS:  # only LS/PS reach here: they break the line, go-yaml re-indents after
                    if not breaks and ch == "\n":
                        self.put_break()
                    self._write_break(ch)
                    breaks = True
                else:
                    if breaks:
                        self.write_indent(indent)
                    self.put("''" if ch == "'" else ch)
                    self.indention = False
                    breaks = False
            self.indicator("'", False, False, False)
            self.whitespace = False
            self.indention = False
        elif style == DOUBLE:
            self.indicator('"', True, False, False)
            self.put(_double_quoted(text))
            self.indicator('"', False, False, False)
            self.whitespace = False
            self.indention = False
        else:
            self.literal(text, indent)

    def _write_break(self, ch: str) -> None:
        if ch == "\n":
            self.put_break()
        else:  # \r, NEL, LS, PS are written as they are and count as a line end
            self.out.append(ch)
            self.column = 0
            self.indention = True

    def literal(self, value: str, indent: int) -> None:
        self.indicator("|", True, False, False)
        if value[:1] == " " or (value[:1] in _BREAK_CHARS and value):
            self.indicator(str(self.step), False, False, False)
        chomp = ""
        if not value or value[-1] not in _BREAK_CHARS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAK_CHARS:
            chomp = "+"
        if chomp:
            self.indicator(chomp, False, False, False)
        self.put_break()  # go.yaml.in/yaml v3.0.4 breaks after the header (a leading newline survives)
        self.whitespace = True
        breaks = True
        for ch in value:
            if ch in _BREAK_CHARS:
                self._write_break(ch)
                breaks = True
            else:
                if breaks:
                    self.write_indent(indent)
                self.put(ch)
                self.indention = False
                breaks = False


def _double_quoted(text: str) -> str:
    out = []
    # go-yaml's is_bom() looks at the first bytes of the value, not the current ones: a value
    # that starts with a BOM has every character escaped.
    escape_all = text.startswith("\ufeff")
    for ch in text:
        cp = ord(ch)
        if escape_all or not _printable(cp) or cp == 0xFEFF or ch in _BREAK_CHARS or ch in '"\\':
            if 0xDC80 <= cp <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
                cp = cp - 0xDC00
            escape = _ESCAPES.get(cp)
            if escape is not None:
                out.append("\\" + escape)
            elif cp <= 0xFF:
                out.append(f"\\x{cp:02X}")
            elif cp <= 0xFFFF:
                out.append(f"\\u{cp:04X}")
            else:
                out.append(f"\\U{cp:08X}")
        else:
            out.append(ch)
    return "".join(out)


def _leaf_text(value: Value) -> tuple[str, str]:
    """(text, requested style) for a leaf, as go-yaml's encoder renders Go values."""
    if value is None:
        return "null", PLAIN
    if isinstance(value, bool):
        return ("true" if value else "false"), PLAIN
    if isinstance(value, int):
        return str(value), PLAIN
    if isinstance(value, float):
        text = format_float_g(value)
        return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text), PLAIN
    if isinstance(value, Timestamp):
        return value.text, PLAIN
    if isinstance(value, str):
        if value == "<<":
            return "!!merge <<", _RAW  # what sops' go-yaml writes for this one string
        style = string_style(value)
        if style == LITERAL and value.startswith("\t"):
            # go-yaml cannot read back the literal it writes for this (Node.Encode fails), and sops
            # then emits the zero node: null.
            return "null", PLAIN
        return value, style
    raise FormatError(f"cannot write a {type(value).__name__} as YAML")


def _round_up(indent: int, step: int) -> int:
    return step * ((indent + step) // step)


def _child_indent(indent: int, in_sequence_item: bool, step: int) -> int:
    """``yaml_emitter_increase_indent`` for block collections and scalars."""
    if indent < 0:
        return 0
    return indent + 2 if in_sequence_item else _round_up(indent, step)


def _split_comments(
    entries: Sequence[Any], is_comment: Any
) -> tuple[list[str], list[tuple[list[str], Any]], list[str]]:
    """(comments before the first entry, [(head comments, entry)], trailing comments)."""
    pending: list[str] = []
    head: list[str] | None = None
    pairs: list[tuple[list[str], Any]] = []
    for entry in entries:
        text = is_comment(entry)
        if text is not None:
            pending.append(text)
            continue
        if head is None:
            head, pending = pending, []
            pairs.append(([], entry))
        else:
            pairs.append((pending, entry))
            pending = []
    if head is None:
        return pending, [], []
    return head, pairs, pending


def _join(comments: list[str]) -> str:
    return "\n".join("#" + c for c in comments)


class _Emitter:
    def __init__(self, step: int = INDENT) -> None:
        # go-yaml accepts indents 2..9 and falls back to 2 otherwise.
        self.step = step if 2 <= step <= 9 else 2
        self.w = _Writer(self.step)

    def document(self, branch: Branch, first: bool) -> None:
        w = self.w
        if not first:
            w.write_indent(0)
            w.indicator("---", True, False, False)
            w.write_indent(0)
        self.value_node(branch, -1, context="root")
        w.foot_indent = 0
        w.process_foot_comment(0)
        w.foot_indent = -1
        w.write_indent(0)

    def value_node(self, value: Value, indent: int, *, context: str) -> str:
        """Emit a node; ``indent`` is the emitter indent of the parent. Returns a pending foot comment."""
        if isinstance(value, Branch):
            return self.mapping(value, indent, context=context)
        if isinstance(value, list):
            return self.sequence(cast("list[Value]", value), indent, context=context)
        text, style = _leaf_text(value)
        scalar_indent = _child_indent(indent, context == "seq", self.step) if indent >= 0 else 0
        self.w.scalar(text, style, scalar_indent, simple_key=False)
        return ""

    def _flow_empty(self, brackets: str) -> None:
        self.w.indicator(brackets[0], True, True, False)
        self.w.indicator(brackets[1], False, False, False)

    def mapping(self, branch: Branch, indent: int, *, context: str) -> str:
        w = self.w
        leading, pairs, trailing = _split_comments(
            branch, lambda item: item.key.value if isinstance(item.key, Comment) else None
        )
        mapping_head = _join(leading)
        if context == "root" and mapping_head:
            w.head_comment(mapping_head, 0)
            mapping_head = ""
        if context == "seq":
            # A sequence item's head comment (sequence comments + the mapping's own) precedes the dash.
            mapping_head = ""
        if not pairs:
            self._flow_empty("{}")
            return ""
        own = _child_indent(indent, context == "seq", self.step)
        for number, (comments, item) in enumerate(pairs):
            if number == 0:
                w.head_comment(mapping_head, own)
            else:
                w.head_comment(_join(comments), own)
            w.write_indent(own)
            key = item.key
            assert isinstance(key, str)
            key_text, key_style = _leaf_text(key)
            if key_style == _RAW:
                w.scalar(key_text, key_style, own, simple_key=True)
                w.indicator(":", False, False, False)
            elif len(key_text) > 128 or Analysis(key_text).multiline:
                w.indicator("?", True, False, True)
                w.scalar(key_text, key_style, _round_up(own, self.step), simple_key=False)
                w.write_indent(own)
                w.indicator(":", True, False, True)
            else:
                w.scalar(key_text, key_style, own, simple_key=True)
                w.indicator(":", False, False, False)
            value = item.value
            if isinstance(value, Branch | list) and not _is_empty_collection(value):
                foot = self.value_node(value, own, context="map")
                if foot:
                    w.foot_comment = foot
            else:
                if isinstance(value, Branch | list):
                    self._flow_empty("{}" if isinstance(value, Branch) else "[]")
                else:
                    text, style = _leaf_text(value)
                    w.scalar(text, style, _round_up(own, self.step), simple_key=False)
                w.process_foot_comment(own)
        if trailing:
            w.tail_comment(_join(trailing), own)
        return ""

    def sequence(self, values: list[Value], indent: int, *, context: str) -> str:
        w = self.w
        leading, pairs, trailing = _split_comments(values, lambda v: v.value if isinstance(v, Comment) else None)
        if not pairs:
            self._flow_empty("[]")
            return ""
        own = _child_indent(indent, context == "seq", self.step)
        pending_foot = ""
        for number, (comments, item) in enumerate(pairs):
            item_head = leading if number == 0 else comments
            if isinstance(item, Branch):
                own_leading, _, _ = _split_comments(
                    item, lambda it: it.key.value if isinstance(it.key, Comment) else None
                )
                item_head = [*item_head, *own_leading]
            w.head_comment(_join(item_head), own)
            w.write_indent(own)
            w.indicator("-", True, False, True)
            if isinstance(item, Branch | list) and not _is_empty_collection(item):
                self.value_node(item, own, context="seq")
            elif isinstance(item, Branch | list):
                self._flow_empty("{}" if isinstance(item, Branch) else "[]")
            else:
                text, style = _leaf_text(item)
                w.scalar(text, style, own + 2, simple_key=False)
            if number == len(pairs) - 1 and trailing:
                if isinstance(item, Branch | list) and not _is_empty_collection(item):
                    # go-yaml keeps a collection's foot comment pending until the next place that writes one.
                    pending_foot = _join(trailing)
                else:
                    w.foot_comment = _join(trailing)
                    w.process_foot_comment(own)
            else:
                w.process_foot_comment(own)
        return pending_foot


def _is_empty_collection(value: Value) -> bool:
    if isinstance(value, Branch):
        return not any(isinstance(item.key, str) for item in value)
    if isinstance(value, list):
        return not any(not isinstance(v, Comment) for v in value)
    return False


def emit(branches: Sequence[Branch], *, indent: int = INDENT) -> str:
    """Render branches as go-yaml v3 (indent 4) would for sops; documents separated by ``---``."""
    emitter = _Emitter(indent)
    for number, branch in enumerate(branches):
        emitter.document(branch, number == 0)
    return "".join(emitter.w.out)


# ----------------------------------------------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------------------------------------------


def _schema_to_tree(value: Any) -> Value:
    from sealer.formats.sops.metadata import NIL_LIST

    if value is NIL_LIST:
        return []
    if isinstance(value, dict):
        return Branch(TreeItem(k, _schema_to_tree(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_schema_to_tree(v) for v in value]
    return value  # type: ignore[no-any-return]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("not valid YAML: the input is not UTF-8 text") from None


class YAMLStore:
    name = "yaml"

    def __init__(self, indent: int = 0) -> None:
        if indent < 0:
            raise FormatError("YAML negative indentation not accepted (stores.yaml.indent in .sops.yaml)")
        self.indent = indent or INDENT

    def load_plain(self, data: bytes) -> list[Branch]:
        return load(_decode(data))

    def load_encrypted(self, data: bytes) -> tuple[list[Branch], Any]:
        from sealer.formats.sops.stores import metadata_from_tree

        branches = load(_decode(data))
        return branches, metadata_from_tree(branches)

    def emit_plain(self, branches: Sequence[Branch]) -> bytes:
        return emit(branches, indent=self.indent).encode("utf-8", "surrogateescape")

    def emit_encrypted(self, branches: Sequence[Branch], metadata: Any) -> bytes:
        sops_block = _schema_to_tree(metadata.to_schema())
        documents = [Branch([*branch, TreeItem("sops", sops_block)]) for branch in branches]
        return emit(documents, indent=self.indent).encode("utf-8", "surrogateescape")

    def emit_value(self, value: Value) -> bytes:
        if isinstance(value, Branch):
            return emit([value], indent=self.indent).encode("utf-8", "surrogateescape")
        emitter = _Emitter(self.indent)
        emitter.value_node(value, -1, context="root")
        emitter.w.write_indent(0)
        return "".join(emitter.w.out).encode("utf-8", "surrogateescape")

    def has_metadata(self, branches: Sequence[Branch]) -> bool:
        return bool(branches) and branches[0].get("sops") is not None
