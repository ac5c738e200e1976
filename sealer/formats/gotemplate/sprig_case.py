"""Sprig's ``snakecase``, ``kebabcase`` and ``camelcase`` (huandu/xstrings), checked against Helm.

xstrings splits a string into words (runs of upper-case-led letters, lower-case
letters, digits, punctuation, connectors ``-``/``_``/space, other) and joins them
with rules about digits: ``"HTTP20xOK"`` -> ``"http_20x_ok"``, ``"Bld4Floor3rd"`` ->
``"bld4_floor_3rd"``. The word kinds and joining decisions below reproduce those
results; tests/gotemplate compares them with Helm's Go build over random strings.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

from sealer.formats.gotemplate.funcs import FuncMap, register
from sealer.formats.gotemplate.sprig_strings import GO_SPACE

CASE: FuncMap = {}

INVALID, NUMBER, UPPER, ALPHA, CONNECTOR, PUNCT, OTHER = range(7)
_SPACES = frozenset(GO_SPACE)


def _connector(c: str) -> bool:
    return c in "-_" or c in _SPACES


def _bad(c: str) -> bool:
    return 0xDC80 <= ord(c) <= 0xDCFF  # a byte that is not UTF-8 (surrogate-escaped)


def _letter(c: str) -> bool:
    """A letter that is not CJK (xstrings' isAlphabet)."""
    if not c.isalpha() or _bad(c):
        return False
    o = ord(c)
    return not (0x4E00 <= o <= 0x9FCC or 0x3400 <= o <= 0x4D85 or 0x20000 <= o <= 0x2A6D6 or 0xF900 <= o <= 0xFAFF)


def _upper(c: str) -> bool:
    return unicodedata.category(c) == "Lu"


def _number(c: str) -> bool:
    return unicodedata.category(c) in ("Nd", "Nl", "No")


def _punct(c: str) -> bool:
    return unicodedata.category(c).startswith("P")


def _run(s: str, i: int, keep: Callable[[str], bool]) -> int:
    """Index after the run starting at ``i`` of characters for which ``keep`` holds (bad bytes ride along)."""
    n = len(s)
    while i < n:
        j = i
        while j < n and _bad(s[j]):
            j += 1
        if j >= n or not keep(s[j]):
            return i
        i = j + 1
    return i


def _peek(s: str, j: int) -> int:
    """Index of the next rune at or after ``j`` that is valid UTF-8 (or ``len(s)``)."""
    while j < len(s) and _bad(s[j]):
        j += 1
    return j


def _words(s: str) -> Iterator[tuple[int, str]]:
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if _bad(c):
            yield INVALID, c
            i += 1
            continue
        if _connector(c):
            j, kind = _run(s, i + 1, _connector), CONNECTOR
        elif _punct(c):
            j, kind = _run(s, i + 1, _punct), PUNCT
        elif _upper(c):
            kind = UPPER
            j = i + 1
            k = _peek(s, j)
            if k < n and _upper(s[k]):
                last = k
                j = k + 1
                while (k := _peek(s, j)) < n and _upper(s[k]):
                    last, j = k, k + 1
                if k < n and _letter(s[k]):
                    j = last  # "HTTPServer": the last capital starts the next word
            elif k < n and _letter(s[k]):
                j = _run(s, k + 1, lambda x: _letter(x) and not _upper(x))
        elif _letter(c):
            j, kind = _run(s, i + 1, lambda x: _letter(x) and not _upper(x)), ALPHA
        elif _number(c):
            j, kind = _run(s, i + 1, _number), NUMBER
        else:
            j = _run(s, i + 1, lambda x: not (_connector(x) or _letter(x) or _number(x) or _punct(x)))
            kind = OTHER
        yield kind, s[i:j]
        i = j


def _lower_word(kind: int, word: str, conn: str) -> str:
    if kind not in (UPPER, CONNECTOR):
        return word
    out = []
    for c in word:
        if _connector(c):
            out.append(conn)
        elif _upper(c):
            lo = c.lower()
            out.append(lo if len(lo) == 1 else ("i" if c == "\u0130" else c))
        else:
            out.append(c)
    return "".join(out)


def to_lower_case(s: str, conn: str) -> str:
    """xstrings' camelCaseToLowerCase: words lower-cased and joined by ``conn``."""
    if s == "":
        return ""
    words = list(_words(s))
    pos = 0

    def take() -> tuple[int, str]:
        nonlocal pos
        if pos >= len(words):
            return INVALID, ""
        w = words[pos]
        pos += 1
        return w

    def more() -> bool:
        return pos < len(words)

    out: list[str] = []
    kind, word = take()
    while more():
        if kind != CONNECTOR:
            out.append(_lower_word(kind, word, conn))
        prev, last = kind, word
        kind, word = take()
        if prev == NUMBER:
            while kind in (ALPHA, NUMBER):
                out.append(_lower_word(kind, word, conn))
                kind, word = take()
            if kind not in (INVALID, PUNCT, CONNECTOR):
                out.append(conn)
        elif prev == CONNECTOR:
            out.append(_lower_word(prev, last, conn))
        elif prev == PUNCT:
            pass
        elif kind != NUMBER:
            if kind not in (CONNECTOR, PUNCT):
                out.append(conn)
        elif more():
            digits = word
            kind, word = take()
            if kind != ALPHA:  # a number ends the previous word: "Bld4Floor" -> "bld4_floor"
                out.append(_lower_word(NUMBER, digits, conn))
                if kind not in (CONNECTOR, PUNCT):
                    out.append(conn)
            else:  # letters after the number start a new word: "HTTP2xx" -> "http_2xx"
                out.append(conn)
                out.append(_lower_word(NUMBER, digits, conn))
                while kind in (ALPHA, NUMBER):
                    out.append(_lower_word(kind, word, conn))
                    kind, word = take()
                if kind not in (INVALID, CONNECTOR, PUNCT):
                    out.append(conn)
    out.append(_lower_word(kind, word, conn))
    return "".join(out)


register(CASE, "snakecase", "string")(lambda s: to_lower_case(s, "_"))
register(CASE, "kebabcase", "string")(lambda s: to_lower_case(s, "-"))


def _go_upper_rune(c: str) -> str:
    if _bad(c):
        return "\ufffd"
    u = c.upper()
    return u if len(u) == 1 else c


def _go_lower_rune(c: str) -> str:
    lo = c.lower()
    return lo if len(lo) == 1 else ("i" if c == "\u0130" else c)


@register(CASE, "camelcase", "string")
def to_camel_case(s: str) -> str:
    """xstrings' ToCamelCase: connectors dropped, each word capitalised; in a word that starts with
    several capitals, those after the first are lowered ("HTTPServer" -> "Httpserver", "OKId" -> "Okid")."""
    if s == "":
        return ""
    runes = ["\ufffd" if _bad(c) else c for c in s]
    out: list[str] = []
    i = 0
    r0 = ""
    while i < len(runes):
        r0 = runes[i]
        i += 1
        if not _connector(r0):
            break
        out.append(r0)
    if i >= len(runes):
        # a lone rune, or only connectors (xstrings writes the last one twice)
        out.append(r0 if _connector(r0) else _go_upper_rune(r0))
        return "".join(out)
    first_upper = _upper(r0)
    r0 = _go_upper_rune(r0)
    pos = 0
    lower_rest = False
    while i < len(runes):
        r1, r0 = r0, runes[i]
        i += 1
        if _connector(r0) and _connector(r1):
            out.append(r1)
            continue
        if _connector(r1):  # r0 starts a word
            first_upper, pos, lower_rest = _upper(r0), 0, False
            r0 = _go_upper_rune(r0)
            continue
        out.append(r1)
        if not _connector(r0):
            pos += 1
            if pos == 1:
                lower_rest = first_upper
            lower_rest = lower_rest and _upper(r0)  # only the capitals right after the first one
            if lower_rest:
                r0 = _go_lower_rune(r0)
    out.append(r0)
    return "".join(out)
