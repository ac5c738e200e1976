"""Sprig's string functions (``strings.go`` and friends), with Go's byte-indexed slicing and Unicode rules."""

from __future__ import annotations

from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, alias, register
from sealer.formats.gotemplate.gofmt import go_quote, sprint_value, sprintf
from sealer.formats.gotemplate.values import (
    IntList,
    StrList,
    byte_slice,
    from_bytes,
    go_len_str,
    to_bytes,
)

STRINGS: FuncMap = {}

#: unicode.IsSpace (Python's str.isspace also counts U+001C..U+001F)
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_SPACE_SET = frozenset(GO_SPACE)


def strval(v: Any) -> str:
    """Sprig's ``strval``: strings as is, ``[]byte`` decoded, everything else ``%v``."""
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        return from_bytes(bytes(v))
    return sprint_value(v)


def strslice(v: Any) -> StrList:
    """Sprig's ``strslice``: a list's non-nil elements as strings, or a one-element list."""
    if isinstance(v, StrList):
        return v
    if isinstance(v, (list, tuple)):
        return StrList(strval(x) for x in v if x is not None)
    if isinstance(v, bytes):
        return StrList(str(b) for b in v)
    if v is None:
        return StrList()
    return StrList([strval(v)])


def go_trim_space(s: str) -> str:
    return s.strip(GO_SPACE)


def go_upper(s: str) -> str:
    if s.isascii():
        return s.upper()
    return "".join(u if len(u := c.upper()) == 1 else c for c in s)


def go_lower(s: str) -> str:
    if s.isascii():
        return s.lower()
    # U+0130 is the one letter whose full lowercase is longer; Go's simple mapping gives "i"
    return "".join(u if len(u := c.lower()) == 1 else ("i" if c == "\u0130" else c) for c in s)


def _is_separator(c: str) -> bool:
    """strings.Title's word boundary rule."""
    if c.isascii():
        return not (c.isalnum() or c == "_")
    if c.isalpha() or c.isdigit():
        return False
    return c in _SPACE_SET


def go_title(s: str) -> str:
    out = []
    prev = " "
    for c in s:
        if _is_separator(prev):
            t = c.title() if len(c.title()) == 1 else c
            out.append(t)
        else:
            out.append(c)
        prev = c
    return "".join(out)


register(STRINGS, "trim", "string")(go_trim_space)
register(STRINGS, "upper", "string")(go_upper)
register(STRINGS, "lower", "string")(go_lower)
register(STRINGS, "title", "string")(go_title)


@register(STRINGS, "untitle", "string")
def _untitle(s: str) -> str:
    out = []
    prev_space = True
    for c in s:
        if prev_space and c not in _SPACE_SET:
            c = c.lower() if len(c.lower()) == 1 else c
        out.append(c)
        prev_space = c in _SPACE_SET
    return "".join(out)


@register(STRINGS, "swapcase", "string")
def _swapcase(s: str) -> str:
    out = []
    for c in s:
        if c.isupper() or c.istitle():
            lo = c.lower()
            out.append(lo if len(lo) == 1 else c)
        elif c.islower():
            up = c.upper()
            out.append(up if len(up) == 1 else c)
        else:
            out.append(c)
    return "".join(out)


@register(STRINGS, "substr", "int int string")
def _substr(start: int, end: int, s: str) -> str:
    n = go_len_str(s)
    if start < 0:
        if end < 0:
            raise FuncError(f"runtime error: slice bounds out of range [:{end}]")
        if end > n:
            raise FuncError(f"runtime error: slice bounds out of range [:{end}] with length {n}")
        return byte_slice(s, 0, end)
    if end < 0 or end > n:
        if start > n:
            raise FuncError(f"runtime error: slice bounds out of range [{start}:{n}]")
        return byte_slice(s, start)
    if start > end:
        raise FuncError(f"runtime error: slice bounds out of range [{start}:{end}]")
    return byte_slice(s, start, end)


@register(STRINGS, "trunc", "int string")
def _trunc(c: int, s: str) -> str:
    n = go_len_str(s)
    if c < 0 and n + c > 0:
        return byte_slice(s, n + c)
    if c >= 0 and n > c:
        return byte_slice(s, 0, c)
    return s


def _abbreviate_full(s: str, offset: int, width: int) -> str:
    if s == "":
        return ""
    b = to_bytes(s)
    n = len(b)
    if n <= width:
        return s
    offset = min(offset, n)
    if n - offset < width - 3:
        offset = n - (width - 3)
    if offset <= 4:
        return from_bytes(b[: width - 3]) + "..."
    if width < 7:
        raise FuncError("minimum abbreviation width with offset is 7")
    if offset + width - 3 < n:
        return "..." + _abbreviate_full(from_bytes(b[offset:]), 0, width - 3)
    return "..." + from_bytes(b[n - (width - 3) :])


@register(STRINGS, "abbrev", "int string")
def _abbrev(width: int, s: str) -> str:
    if width < 4:
        return s
    return _abbreviate_full(s, 0, width)


@register(STRINGS, "abbrevboth", "int int string")
def _abbrevboth(left: int, right: int, s: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return s
    try:
        return _abbreviate_full(s, left, right)
    except FuncError:
        return ""


@register(STRINGS, "initials", "string")
def _initials(s: str) -> str:
    # goutils.Initials walks bytes, each taken as the rune of the same number (so "ß" gives "Ã")
    out = []
    gap = True
    for b in to_bytes(s):
        if b in _LATIN1_SPACE:
            gap = True
        elif gap:
            out.append(chr(b))
            gap = False
    return "".join(out)


@register(STRINGS, "repeat", "int string")
def _repeat(count: int, s: str) -> str:
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    if go_len_str(s) * count > 1 << 20:
        raise FuncError("result longer than a Secret can hold")
    return s * count


def _go_trim(s: str, cutset: str) -> str:
    return s.strip(cutset) if cutset else s


register(STRINGS, "trimAll", "string string")(lambda a, b: _go_trim(b, a))
register(STRINGS, "trimall", "string string")(lambda a, b: _go_trim(b, a))
register(STRINGS, "trimSuffix", "string string")(lambda a, b: b[: -len(a)] if a and b.endswith(a) else b)
register(STRINGS, "trimPrefix", "string string")(lambda a, b: b[len(a) :] if a and b.startswith(a) else b)


@register(STRINGS, "nospace", "string")
def _nospace(s: str) -> str:
    # goutils.DeleteWhiteSpace looks at bytes, not runes: each kept byte is re-encoded as the rune
    # of the same number, so non-ASCII text comes out Latin-1-mangled exactly as Sprig does it
    b = to_bytes(s)
    kept = [x for x in b if x not in _LATIN1_SPACE]
    if len(kept) == len(b):
        return s
    return "".join(chr(x) for x in kept)


_LATIN1_SPACE = frozenset(b"\t\n\v\f\r \x85\xa0")
register(STRINGS, "contains", "string string")(lambda sub, s: sub in s)
register(STRINGS, "hasPrefix", "string string")(lambda sub, s: s.startswith(sub))
register(STRINGS, "hasSuffix", "string string")(lambda sub, s: s.endswith(sub))


@register(STRINGS, "quote", "", "any")
def _quote(*args: Any) -> str:
    return " ".join(go_quote(strval(a)) for a in args if a is not None)


@register(STRINGS, "squote", "", "any")
def _squote(*args: Any) -> str:
    return " ".join("'" + strval(a) + "'" for a in args if a is not None)


@register(STRINGS, "cat", "", "any")
def _cat(*args: Any) -> str:
    vals = [a for a in args if a is not None]
    return sprintf(" ".join(["%v"] * len(vals)), vals)


@register(STRINGS, "indent", "int string")
def _indent(spaces: int, s: str) -> str:
    if spaces < 0:
        raise FuncError("strings: negative Repeat count")
    pad = " " * spaces
    return pad + s.replace("\n", "\n" + pad)


@register(STRINGS, "nindent", "int string")
def _nindent(spaces: int, s: str) -> str:
    return "\n" + _indent(spaces, s)


def _go_replace(s: str, old: str, new: str) -> str:
    if old == "":
        # Go inserts `new` before every rune and at the end
        return new + new.join(s) + new if s else new
    return s.replace(old, new)


register(STRINGS, "replace", "string string string")(lambda old, new, src: _go_replace(src, old, new))


@register(STRINGS, "plural", "string string int")
def _plural(one: str, many: str, count: int) -> str:
    return one if count == 1 else many


register(STRINGS, "toString", "any")(strval)


def go_split(s: str, sep: str, n: int = -1) -> list[str]:
    """strings.SplitN."""
    if n == 0:
        return []
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = [*chars[: n - 1], "".join(chars[n - 1 :])]
        return chars
    if n < 0:
        return s.split(sep)
    return s.split(sep, n - 1)


@register(STRINGS, "split", "string string")
def _split(sep: str, orig: str) -> dict[str, Any]:
    return {f"_{i}": p for i, p in enumerate(go_split(orig, sep))}


@register(STRINGS, "splitn", "string int string")
def _splitn(sep: str, n: int, orig: str) -> dict[str, Any]:
    return {f"_{i}": p for i, p in enumerate(go_split(orig, sep, n))}


register(STRINGS, "splitList", "string string")(lambda sep, orig: StrList(go_split(orig, sep)))
register(STRINGS, "toStrings", "any")(strslice)


@register(STRINGS, "join", "string any")
def _join(sep: str, v: Any) -> str:
    return sep.join(strslice(v))


@register(STRINGS, "sortAlpha", "any")
def _sort_alpha(v: Any) -> StrList:
    if isinstance(v, (list, bytes)):
        return StrList(sorted(strslice(v), key=to_bytes))
    return StrList([strval(v)])


def wrap_custom(s: str, width: int, newline: str, wrap_long: bool) -> str:
    """goutils.WrapCustom, on bytes like the Go original."""
    if s == "":
        return ""
    if newline == "":
        newline = "\n"
    width = max(width, 1)
    b = to_bytes(s)
    nl = to_bytes(newline)
    n = len(b)
    offset = 0
    out = bytearray()
    while n - offset > width:
        if b[offset] == 0x20:
            offset += 1
            continue
        end = width + offset + 1
        space = b.rfind(b" ", offset, end)
        if space >= offset:
            out += b[offset:space] + nl
            offset = space + 1
        elif wrap_long:
            out += b[offset : width + offset] + nl
            offset += width
        else:
            end = width + offset
            idx = b.find(b" ", end)
            if idx == -1:
                out += b[offset:]
                offset = n
            else:
                out += b[offset:idx] + nl
                offset = idx + 1
    out += b[offset:]
    return from_bytes(bytes(out))


register(STRINGS, "wrap", "int string")(lambda n, s: wrap_custom(s, n, "\n", False))
register(STRINGS, "wrapWith", "int string string")(lambda n, sep, s: wrap_custom(s, n, sep, True))


@register(STRINGS, "until", "int")
def _until(count: int) -> list[Any]:
    return untilstep(0, count, 1 if count >= 0 else -1)


def untilstep(start: int, stop: int, step: int) -> list[Any]:
    if abs(stop - start) > 1_000_000 and step != 0:
        raise FuncError("sequence longer than 1000000 elements")
    if stop < start:
        return IntList(range(start, stop, step)) if step < 0 else IntList()
    return IntList(range(start, stop, step)) if step > 0 else IntList()


register(STRINGS, "untilStep", "int int int")(untilstep)


@register(STRINGS, "seq", "", "int")
def _seq(*params: int) -> str:
    inc = 1
    if len(params) == 1:
        start, end = 1, params[0]
        if end < start:
            inc = -1
        r = untilstep(start, end + inc, inc)
    elif len(params) == 2:
        start, end = params
        if end < start:
            inc = -1
        r = untilstep(start, end + inc, inc)
    elif len(params) == 3:
        start, step, end = params
        if end < start:
            inc = -1
            if step > 0:
                return ""
        r = untilstep(start, end + inc, step)
    else:
        return ""
    return " ".join(str(x) for x in r)


alias(STRINGS, "trimall", "trimAll")
