"""Sprig's regular-expression functions, with Go's ``regexp`` (RE2) semantics.

Go's engine is RE2: linear time, no backtracking. We use Google's RE2 through the
``google-re2`` package when it is installed (it is in the ``controller`` extra), on
UTF-8 bytes like Go, so a template cannot make the controller spin on a pathological
pattern. Without it, patterns are translated to Python's ``re`` (``\\z``, POSIX
classes, ``$`` at the very end only) and subjects are capped in length, since ``re``
backtracks. Either way the iteration rules are Go's: an empty match right after the
previous match is skipped, and ``$1``/``${name}`` expand as ``Regexp.Expand`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, register
from sealer.formats.gotemplate.values import StrList, from_bytes, to_bytes

REGEX: FuncMap = {}

#: without RE2, longer subjects are refused: Python's backtracking engine could take forever
FALLBACK_MAX_SUBJECT = 10_000


class RegexError(FuncError):
    """The pattern does not compile (the message never repeats it: it may come from data)."""


_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


def translate_to_python(pattern: str) -> str:
    """RE2 -> Python ``re`` for the fallback: ``\\z``, POSIX classes, ``$`` only at the very end unless (?m)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    multiline = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "z" and not in_class:
                out.append("\\Z")
            elif nxt in "ZpP":
                raise RegexError("error parsing regexp: unsupported escape (install google-re2 for full RE2 syntax)")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                j = pattern.find(":]", i + 2)
                name = pattern[i + 2 : j] if j > 0 else ""
                if name in _POSIX:
                    out.append(_POSIX[name])
                    i = j + 2
                    continue
                raise RegexError("error parsing regexp: unsupported character class")
            if c == "]":
                in_class = False
            elif c == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            start = "[^" if pattern.startswith("[^", i) else "["
            out.append(start)
            i += len(start)
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if pattern.startswith("(?", i):
            m = re.match(r"\(\?([imsU-]*)[:)]", pattern[i:])
            if m and "U" in m.group(1):
                raise RegexError("error parsing regexp: (?U) needs google-re2")
            if m and "m" in m.group(1).split("-")[0]:
                multiline = True
        if c == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


class Rx:
    """A compiled pattern and the subject encoding it works on (UTF-8 bytes for RE2, str for ``re``)."""

    def __init__(self, pattern: str) -> None:
        self.engine: Any
        try:
            import re2
        except ImportError:
            self.bytes_mode = False
            try:
                self.engine = re.compile(translate_to_python(pattern))
            except re.error:
                raise RegexError("error parsing regexp: invalid or unsupported syntax") from None
            self.names = dict(self.engine.groupindex)
        else:
            self.bytes_mode = True
            opts = re2.Options()
            opts.log_errors = False
            try:
                self.engine = re2.compile(to_bytes(pattern), options=opts)
            except re2.error:
                raise RegexError("error parsing regexp: invalid syntax") from None
            self.names = {from_bytes(k) if isinstance(k, bytes) else k: v for k, v in self.engine.groupindex.items()}
        self.groups: int = self.engine.groups

    def subject(self, s: str) -> Any:
        if self.bytes_mode:
            return to_bytes(s)
        if len(s) > FALLBACK_MAX_SUBJECT:
            raise RegexError(f"subject longer than {FALLBACK_MAX_SUBJECT} characters (install google-re2)")
        return s

    def text(self, part: Any) -> str:
        return from_bytes(part) if self.bytes_mode else str(part)

    def matches(self, subj: Any, n: int = -1) -> Iterator[Any]:
        """Go's FindAll iteration: an empty match abutting the previous match is dropped."""
        if n == 0:
            return
        found = 0
        prev_end = -1
        for m in self.engine.finditer(subj):
            start, end = m.span()
            if start == end and start == prev_end:
                prev_end = end
                continue
            prev_end = end
            yield m
            found += 1
            if 0 < n <= found:
                return


@lru_cache(maxsize=256)
def compile_rx(pattern: str) -> Rx:
    return Rx(pattern)


def _expand(rx: Rx, template: str, m: Any) -> Any:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$ (a name is the longest run of word characters)."""
    empty = b"" if rx.bytes_mode else ""
    out: list[Any] = []
    i = 0
    n = len(template)
    lit: list[str] = []

    def flush() -> None:
        if lit:
            s = "".join(lit)
            out.append(to_bytes(s) if rx.bytes_mode else s)
            lit.clear()

    while i < n:
        c = template[i]
        if c != "$" or i + 1 >= n:
            lit.append(c)
            i += 1
            continue
        if template[i + 1] == "$":
            lit.append("$")
            i += 2
            continue
        if template[i + 1] == "{":
            j = template.find("}", i + 2)
            name = template[i + 2 : j] if j > 0 else ""
            if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                lit.append(c)
                i += 1
                continue
            i = j + 1
        else:
            mm = re.match(r"[A-Za-z0-9_]+", template[i + 1 :])
            if not mm:
                lit.append(c)
                i += 1
                continue
            name = mm.group(0)
            i += 1 + len(name)
        flush()
        idx = int(name) if name.isdigit() else rx.names.get(name, -1)
        if 0 <= idx <= rx.groups:
            g = m.group(idx)
            out.append(g if g is not None else empty)
    flush()
    return empty.join(out)


def _replace_all(rx: Rx, s: str, repl: Callable[[Any], Any]) -> str:
    subj = rx.subject(s)
    parts: list[Any] = []
    last = 0
    for m in rx.matches(subj):
        parts.append(subj[last : m.start()])
        parts.append(repl(m))
        last = m.end()
    parts.append(subj[last:])
    return rx.text((b"" if rx.bytes_mode else "").join(parts))


def _split(rx: Rx, s: str, n: int) -> StrList:
    if n == 0:
        return StrList()
    if s == "":
        return StrList([""])
    subj = rx.subject(s)
    parts = StrList()
    beg = end = 0
    for m in rx.matches(subj, n):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(rx.text(subj[beg:end]))
        beg = m.end()
    if end != len(subj):
        parts.append(rx.text(subj[beg:]))
    return parts


def _first(rx: Rx, s: str) -> str:
    subj = rx.subject(s)
    m = rx.engine.search(subj)
    return rx.text(m.group(0)) if m else ""


def _register(must: bool) -> None:
    def name(base: str) -> str:
        return "must" + base[0].upper() + base[1:] if must else base

    def match(r: str, s: str) -> bool:
        try:
            rx = compile_rx(r)
        except RegexError:
            if must:
                raise
            return False  # Sprig's regexMatch drops the compile error
        return rx.engine.search(rx.subject(s)) is not None

    register(REGEX, name("regexMatch"), "string string")(match)
    register(REGEX, name("regexFindAll"), "string string int")(
        lambda r, s, n: StrList(
            compile_rx(r).text(m.group(0)) for m in compile_rx(r).matches(compile_rx(r).subject(s), n)
        )
    )
    register(REGEX, name("regexFind"), "string string")(lambda r, s: _first(compile_rx(r), s))
    register(REGEX, name("regexReplaceAll"), "string string string")(
        lambda r, s, repl: _replace_all(compile_rx(r), s, lambda m: _expand(compile_rx(r), repl, m))
    )
    register(REGEX, name("regexReplaceAllLiteral"), "string string string")(
        lambda r, s, repl: _replace_all(
            compile_rx(r), s, lambda m: to_bytes(repl) if compile_rx(r).bytes_mode else repl
        )
    )
    register(REGEX, name("regexSplit"), "string string int")(lambda r, s, n: _split(compile_rx(r), s, n))


_register(False)
_register(True)

_RE2_META = frozenset("\\.+*?()|[]{}^$")
register(REGEX, "regexQuoteMeta", "string")(lambda s: "".join("\\" + c if c in _RE2_META else c for c in s))
