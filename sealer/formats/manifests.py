"""Kubernetes manifests as bytes: parse YAML/JSON streams, emit JSON or YAML.

Three ways out, for three jobs:

- :func:`dump_json`: kubeseal's default output (2-space indent, newline).
- :func:`dump_yaml`: kubeseal's ``-o yaml`` (``---`` first, keys sorted as
  ``sigs.k8s.io/yaml`` sorts them). A small emitter for the plain data a
  manifest holds, so ``sealer seal -o yaml`` never imports a YAML library.
- :func:`load_round_trip` / :func:`dump_round_trip`: ruamel.yaml's round-trip
  mode, for editing a file in place (``--merge-into``) without losing its
  comments, key order or quoting. What ruamel itself does not keep (a header
  above ``---``, closing comments and ``...``, CRLF, a missing final newline,
  a BOM) is carried beside the documents and put back verbatim.

Parse errors become :class:`InputError` with the line and column only: YAML
libraries quote the offending line in their messages, and that line may hold
a secret value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sealer.errors import InputError

__all__ = [
    "RoundTrip",
    "detect_json",
    "dump_json",
    "dump_round_trip",
    "dump_yaml",
    "load_documents",
    "load_round_trip",
]

_PLAIN_SAFE = re.compile(r"[A-Za-z_/][A-Za-z0-9_./+=-]*\Z")
# Words YAML 1.1 or 1.2 readers would not take as strings.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_RESERVED = frozenset(
    "y n yes no on off true false null nan inf".split()
)


def _text(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (byte {exc.start})", hint="save the manifest as UTF-8 YAML or JSON"
        ) from None


def detect_json(text: str) -> bool:
    """A manifest is JSON when its first non-blank character opens an object or array."""
    stripped = text.lstrip()
    return stripped[:1] in ("{", "[")


def _load_json_stream(text: str, source: str) -> list[Any]:
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    index, end = 0, len(text)
    while True:
        while index < end and text[index].isspace():
            index += 1
        if index >= end:
            return docs
        try:
            doc, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                hint="fix the JSON (or pass YAML)",
            ) from None
        docs.append(doc)


def _yaml_error(exc: Exception, source: str) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    if type(exc).__name__ == "DuplicateKeyError":
        problem = "duplicate key"  # its message quotes the values
    else:
        problem = str(getattr(exc, "problem", None) or type(exc).__name__).split("\n", 1)[0][:100]
        # Problems may quote document text (which may be a secret): keep only tiny quotes like '\t'.
        problem = _QUOTED.sub(lambda m: m.group(0) if len(m.group(0)) <= 14 else "<...>", problem)
    return InputError(f"{source}: malformed YAML{where}: {problem}", hint="fix the YAML (or pass JSON)")


def load_documents(data: bytes | str, *, source: str = "input") -> list[Any]:
    """All documents of a YAML or JSON stream as plain Python data; empty documents are dropped."""
    text = _text(data, source)
    json_error: InputError | None = None
    if detect_json(text):
        try:
            return [d for d in _load_json_stream(text, source) if d is not None]
        except InputError as exc:
            if not text.lstrip().startswith("{"):
                raise
            json_error = exc  # flow-style YAML also starts with '{': give the YAML reader a chance
    if json_error is None:
        from sealer.formats import simple_yaml

        simple = simple_yaml.load(text)  # plain manifests need no YAML library (~10 ms to import)
        if simple is not None:
            return simple
    from ruamel.yaml import YAML  # deliberate lazy import
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=False)
    try:
        return [d for d in yaml.load_all(text) if d is not None]
    except YAMLError as exc:
        raise (json_error or _yaml_error(exc, source)) from None


# --- emitting ---------------------------------------------------------------------------------


_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def dump_json(doc: Any) -> bytes:
    """kubeseal's JSON: 2-space indent, UTF-8, a trailing newline, and Go's HTML-safe escapes.

    Go's encoder writes ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\u`` escapes; those characters
    can only occur inside strings, so replacing them after ``json.dumps`` is exact.
    """
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    return (text.translate(_GO_ESCAPES) + "\n").encode("utf-8")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN_SAFE.match(text) and text.lower() not in _RESERVED:
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    # JSON leaves these as is, but a YAML reader would fold them as line breaks.
    return quoted.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\u0085", "\\u0085")


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            item = value[key]
            if isinstance(item, Mapping) and item:
                out.append(f"{pad}{_scalar(str(key))}:\n")
                _emit(item, indent + 2, out)
            elif isinstance(item, list | tuple) and item:
                out.append(f"{pad}{_scalar(str(key))}:\n")
                _emit(item, indent, out)
            else:
                out.append(f"{pad}{_scalar(str(key))}: {_inline(item)}\n")
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            if isinstance(item, Mapping | list | tuple) and item:
                nested: list[str] = []
                _emit(item, indent + 2, nested)
                first = nested[0]
                out.append(f"{pad}- {first[indent + 2:]}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_inline(item)}\n")
    else:
        out.append(f"{pad}{_inline(value)}\n")


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return _scalar(value)


def dump_yaml(doc: Any, *, explicit_start: bool = True) -> bytes:
    """kubeseal's YAML: ``---``, then block style with sorted keys."""
    out: list[str] = ["---\n"] if explicit_start else []
    _emit(doc, 0, out)
    return "".join(out).encode("utf-8")


# --- round trip -------------------------------------------------------------------------------


class RoundTrip:
    """A parsed file that can be written back as it was, edits aside (a plain class: no dataclasses import).

    For YAML, the text ruamel's round trip does not keep travels beside the
    documents and is put back by :func:`dump_round_trip`: ``head`` (comments
    and directives above a leading ``---``, with the marker), ``tail`` (the
    comment, blank and ``...`` lines after the last document, so that items
    appended to the last mapping go above it), CRLF line ends, a missing final
    newline and a byte order mark.
    """

    def __init__(
        self,
        documents: list[Any],
        *,
        is_json: bool,
        json_indent: int | None = 2,
        explicit_start: bool = False,
        head: str = "",
        tail: str = "",
        crlf: bool = False,
        final_newline: bool = True,
        bom: bool = False,
    ) -> None:
        self.documents = documents
        self.is_json = is_json
        self.json_indent = json_indent
        self.explicit_start = explicit_start  # ruamel writes the first "---" itself (no head holds it)
        self.head = head
        self.tail = tail
        self.crlf = crlf
        self.final_newline = final_newline
        self.bom = bom


def load_round_trip(data: bytes | str, *, source: str = "input") -> RoundTrip:
    """Parse keeping comments, key order and quoting (YAML), or key order and indent (JSON)."""
    text = _text(data, source)
    if detect_json(text) and text.lstrip().startswith("{"):
        try:
            docs = _load_json_stream(text, source)
        except InputError:
            pass
        else:
            match = re.search(r"\n([ \t]+)\S", text)
            indent: int | None = len(match.group(1)) if match else None
            return RoundTrip(docs, is_json=True, json_indent=indent)
    from sealer import yaml_layout

    # ruamel copies a "\r" into some comments only: read LF text, write CRLF again at the end.
    crlf = yaml_layout.uses_crlf(text)
    if crlf:
        text = text.replace("\r\n", "\n")
    final_newline = not text or text.endswith("\n")
    if not final_newline:
        text += "\n"  # ruamel adds it anyway; the tail found below then ends as its comment does
    yaml = _rt_yaml()
    from ruamel.yaml.error import YAMLError

    try:
        docs = list(yaml.load_all(text))
    except YAMLError as exc:
        raise _yaml_error(exc, source) from None
    head, explicit = yaml_layout.split_head(text)
    tail = _detach_tail(docs[-1] if docs else None, _tail(text))
    return RoundTrip(docs, is_json=False, explicit_start=explicit, head=head, tail=tail, crlf=crlf,
                     final_newline=final_newline, bom=isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"))


_TAIL_LINE = re.compile(r"[ \t]*(?:#.*)?\n|\.\.\.(?:[ \t]+#.*)?\n")


def _tail(text: str) -> str:
    """The comment, blank and ``...`` lines that end ``text`` (which ends with a newline)."""
    lines = text.splitlines(keepends=True)
    start = len(lines)
    while start > 0 and _TAIL_LINE.fullmatch(lines[start - 1]):
        start -= 1
    return "".join(lines[start:])


def _detach_tail(document: Any, tail: str) -> str:
    """Take ``tail``'s comments off the node ruamel hung them on; return the text to append on output ("" if none).

    ruamel keeps the comments after a document's last scalar *on* that scalar
    (as the lines following its end-of-line comment) and drops ``...`` and what
    comes after it, so an item appended to the last mapping would be written
    below the file's closing comments. Once taken off, they are written at
    the end instead. If they are not found there (block scalar content that
    looks like a comment, a flow collection last), they stay where ruamel put
    them and nothing is appended: ruamel writes them as it read them.
    """
    lines = tail.splitlines(keepends=True)
    kept = next((i for i, line in enumerate(lines) if line.startswith("...")), len(lines))
    comments = "".join(lines[:kept])  # what ruamel keeps: the lines before "..."
    if not comments:
        return tail
    slot = _last_scalar_slot(document)
    if slot is None:
        return ""
    items, key, position = slot
    tokens: list[Any] = items.get(key) or []
    token = tokens[position] if len(tokens) > position else None
    value = getattr(token, "value", None)
    if token is None or not isinstance(value, str) or not value.endswith(comments):
        return ""
    rest = value[: len(value) - len(comments)]
    if rest and not rest.endswith("\n"):
        return ""
    if rest.strip():
        token.value = rest  # its own end-of-line comment stays
    else:
        tokens[position] = None
    return tail


def _last_scalar_slot(node: Any) -> tuple[dict[Any, Any], Any, int] | None:
    """Where ruamel keeps the comment after ``node``'s last scalar: its parent's ``ca.items``, key, position."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    parent: CommentedMap | CommentedSeq | None = None
    key: Any = None
    while isinstance(node, CommentedMap | CommentedSeq) and node and not node.fa.flow_style():
        parent, key = node, (len(node) - 1 if isinstance(node, CommentedSeq) else next(reversed(node)))
        node = node[key]
    if parent is None:
        return None
    return parent.ca.items, key, 0 if isinstance(parent, CommentedSeq) else 2


def _rt_yaml() -> Any:
    from ruamel.yaml import YAML  # deliberate lazy import

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 20  # never fold long base64 lines
    # ruamel writes null as nothing ("creationTimestamp:"); kubeseal and kubectl write "null", so an edited
    # kubeseal file changes only where it was edited.
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return yaml


def dump_round_trip(rt: RoundTrip) -> bytes:
    """Write a :class:`RoundTrip` back in its own format."""
    if rt.is_json:
        return "".join(
            json.dumps(doc, indent=rt.json_indent, ensure_ascii=False) + "\n" for doc in rt.documents
        ).encode("utf-8")
    import io

    from sealer import yaml_layout

    yaml = _rt_yaml()
    buffer = io.StringIO()
    yaml.explicit_start = rt.explicit_start  # later documents get their "---" anyway
    yaml.dump_all(rt.documents, buffer)
    out = yaml_layout.with_head(buffer.getvalue(), rt.head) + rt.tail
    if not rt.final_newline and out.endswith("\n"):
        out = out[:-1]
    if rt.crlf:
        out = yaml_layout.to_crlf(out)
    return ("\ufeff" if rt.bom else "").encode() + out.encode("utf-8")
