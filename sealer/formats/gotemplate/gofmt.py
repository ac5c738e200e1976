"""Go's ``fmt`` and ``strconv`` formatting, as far as templates reach them.

Printing a value in a template is ``fmt.Fprint``; ``print``/``printf``/``println``
are ``fmt.Sprint``/``Sprintf``/``Sprintln``. The rules that matter for byte-exact
output live here: shortest float formatting (``1e+06``), ``[a b]`` slices,
``map[k:v]`` maps with sorted keys, ``%!d(string=x)`` for a bad verb. Float text comes from
:mod:`sealer.formats.go_strconv`, shared with the sops stores.
"""

from __future__ import annotations

from typing import Any

from sealer.formats.go_strconv import format_float
from sealer.formats.gotemplate.values import Int64, go_type, is_int, to_bytes

_QUOTE_ESC = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str, quote: str = '"', ascii_only: bool = False) -> str:
    """``strconv.Quote`` (or ``QuoteToASCII``)."""
    out = [quote]
    for c in s:
        o = ord(c)
        if c == quote or c == "\\":
            out.append("\\" + c)
        elif 0xDC80 <= o <= 0xDCFF:  # a raw non-UTF-8 byte
            out.append(f"\\x{o - 0xDC00:02x}")
        elif (c.isprintable() or c == " ") and not (ascii_only and o > 0x7E):
            out.append(c)
        elif c in _QUOTE_ESC:
            out.append(_QUOTE_ESC[c])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append(quote)
    return "".join(out)


# --- %v --------------------------------------------------------------------------------------


def sprint_value(v: Any) -> str:
    """``fmt.Sprint(v)`` for one operand."""
    if isinstance(v, str):
        return v
    return _fmt_arg(v, "v", _Flags())


def sprint(args: list[Any]) -> str:
    """``fmt.Sprint``: spaces between operands when neither is a string."""
    out: list[str] = []
    prev_string = False
    for i, a in enumerate(args):
        is_str = isinstance(a, str)
        if i > 0 and not is_str and not prev_string:
            out.append(" ")
        out.append(sprint_value(a))
        prev_string = is_str
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    return " ".join(sprint_value(a) for a in args) + "\n"


class _Flags:
    __slots__ = ("minus", "plus", "precision", "sharp", "space", "width", "zero")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.precision: int | None = None


def _pad(s: str, fl: _Flags, numeric: bool = False) -> str:
    if fl.width is None or len(s) >= fl.width:
        return s
    n = fl.width - len(s)
    if fl.minus:
        return s + " " * n
    if fl.zero:
        if numeric and s and s[0] in "+- ":
            return s[0] + "0" * n + s[1:]
        return "0" * n + s
    return " " * n + s


def _bad(verb: str, v: Any, fl: _Flags | None = None) -> str:
    """Go's badVerb: the type and the value printed with %v and the same flags."""
    if v is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({go_type(v)}={_fmt_arg(v, 'v', fl or _Flags())})"


def _fmt_int(v: int, verb: str, fl: _Flags) -> str:
    valid_rune = 0 <= v <= 0x10FFFF and not 0xD800 <= v < 0xE000  # surrogates are not runes in Go
    if verb == "c":
        return _pad(chr(v) if valid_rune else "\ufffd", fl)
    if verb == "q":
        return _pad(go_quote(chr(v), "'") if valid_rune else "'\ufffd'", fl)
    if verb == "U":
        s = f"U+{v:04X}"
        if fl.sharp and 0 <= v <= 0x10FFFF and chr(v).isprintable():
            s += f" '{chr(v)}'"
        return _pad(s, fl)
    base = {"d": 10, "v": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}[verb]
    digits = format(abs(v), {2: "b", 8: "o", 10: "d", 16: "x" if verb != "X" else "X"}[base])
    if fl.precision is not None:
        if fl.precision == 0 and v == 0:
            digits = ""
        digits = digits.rjust(fl.precision, "0")
    prefix = ""
    if verb == "O":
        prefix = "0o"
    elif fl.sharp:
        prefix = {2: "0b", 8: "0", 16: "0x" if verb == "x" else "0X"}.get(base, "")
        if base == 8 and digits.startswith("0"):
            prefix = ""
    sign = "-" if v < 0 else ("+" if fl.plus else (" " if fl.space else ""))
    body = prefix + digits
    if fl.zero and not fl.minus and fl.width is not None and fl.precision is None:
        body = body.rjust(fl.width - len(sign), "0") if len(sign) + len(body) < fl.width else body
        if prefix and body[: len(prefix)] != prefix:
            body = prefix + digits.rjust(fl.width - len(sign) - len(prefix), "0")
    s = sign + body
    return _pad(s, fl)


def _fmt_float(v: float, verb: str, fl: _Flags) -> str:
    if verb == "v":
        verb = "g"
    if verb == "F":
        verb = "f"
    prec = fl.precision if fl.precision is not None else (-1 if verb in "gG" else 6)
    s = format_float(v, verb, prec)
    if fl.sharp and verb in "gG" and "." not in s and "Inf" not in s and "NaN" not in s:
        mant, _, exp = s.partition("e" if verb == "g" else "E")
        s = mant + "." + ("e" + exp if exp else "")
    if fl.plus and not s.startswith("-") and s != "NaN":
        s = "+" + s
    elif fl.space and not s.startswith("-"):
        s = " " + s
    if "Inf" in s or "NaN" in s:
        saved = fl.zero
        fl.zero = False
        out = _pad(s, fl)
        fl.zero = saved
        return out
    return _pad(s, fl, numeric=True)


def _fmt_str(s: str, verb: str, fl: _Flags) -> str:
    if verb in "vs":
        if fl.precision is not None:
            s = s[: fl.precision]
        return _pad(s, fl)
    if verb == "q":
        if fl.precision is not None:
            s = s[: fl.precision]
        if fl.sharp and "`" not in s and all(c.isprintable() or c == "\t" for c in s):
            return _pad("`" + s + "`", fl)
        return _pad(go_quote(s, ascii_only=fl.plus), fl)
    if verb in "xX":
        b = to_bytes(s)
        if fl.precision is not None:
            b = b[: fl.precision]
        h = b.hex() if verb == "x" else b.hex().upper()
        sep = " " if fl.space else ""
        pre = ("0x" if verb == "x" else "0X") if fl.sharp else ""
        if sep:
            out = sep.join(pre + h[i : i + 2] for i in range(0, len(h), 2))
        else:
            out = pre + h if h else ""
        return _pad(out, fl)
    return _bad(verb, s, fl)


def _fmt_arg(v: Any, verb: str, fl: _Flags, depth: int = 0) -> str:
    if verb == "T":
        return _pad(go_type(v), fl)
    if v is None:
        return _pad("<nil>", fl) if verb == "v" or depth > 0 else _bad(verb, v, fl)
    if verb == "v" and fl.sharp:
        return _pad(_go_syntax(v), fl)
    if isinstance(v, bool):
        return _pad("true" if v else "false", fl) if verb in "tv" else _bad(verb, v, fl)
    if is_int(v):
        return _fmt_int(v, verb, fl) if verb in "vdbcoOqxXU" else _bad(verb, v, fl)
    if isinstance(v, float):
        return _fmt_float(v, verb, fl) if verb in "vbeEfFgGxX" and verb not in "bxX" else _bad(verb, v, fl)
    if isinstance(v, complex):
        if verb not in "veEfFgG":
            return _bad(verb, v, fl)
        im = _fmt_float(v.imag, verb, _Flags())
        return _pad("(" + _fmt_float(v.real, verb, _Flags()) + ("" if im[0] in "+-" else "+") + im + "i)", fl)
    if isinstance(v, str):
        return _fmt_str(v, verb, fl)
    if isinstance(v, (bytes, bytearray)):
        if verb in "sqxX":
            return _fmt_str(bytes(v).decode("utf-8", "surrogateescape"), verb, fl)
        return "[" + " ".join(_fmt_arg(b, verb, fl, depth + 1) for b in v) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_fmt_arg(e, verb, fl, depth + 1) for e in v) + "]"
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: _sort_key(kv[0]))
        inner = " ".join(_fmt_arg(k, verb, fl, depth + 1) + ":" + _fmt_arg(x, verb, fl, depth + 1) for k, x in items)
        return "map[" + inner + "]"
    return _pad(str(v), fl)


def _sort_key(k: Any) -> tuple[int, Any]:
    if isinstance(k, str):
        return (1, k.encode("utf-8", "surrogateescape"))
    if isinstance(k, (int, float)):
        return (0, k)
    return (2, str(k))


def _go_syntax(v: Any) -> str:
    """``%#v``."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Int64):
        return str(int(v))
    if is_int(v):
        return str(v)
    if isinstance(v, float):
        return format_float(v, "g")
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, list):
        return go_type(v) + "{" + ", ".join(_go_syntax(e) for e in v) + "}"
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: _sort_key(kv[0]))
        return go_type(v) + "{" + ", ".join(_go_syntax(k) + ":" + _go_syntax(x) for k, x in items) + "}"
    if isinstance(v, (bytes, bytearray)):
        return "[]byte{" + ", ".join(f"0x{b:x}" for b in v) + "}"
    return str(v)


def sprintf(format_: str, args: list[Any]) -> str:
    """``fmt.Sprintf``: flags ``+-# 0``, width and precision (``*`` too), ``%[n]`` indexes, Go's error forms."""
    out: list[str] = []
    i = 0
    n = len(format_)
    argi = 0
    reordered = False
    while i < n:
        j = format_.find("%", i)
        if j < 0:
            out.append(format_[i:])
            break
        out.append(format_[i:j])
        i = j + 1
        fl = _Flags()
        while i < n and format_[i] in "+-# 0":
            c = format_[i]
            if c == "+":
                fl.plus = True
            elif c == "-":
                fl.minus = True
                fl.zero = False
            elif c == "#":
                fl.sharp = True
            elif c == " ":
                fl.space = True
            elif c == "0":
                fl.zero = not fl.minus
            i += 1

        good = True

        def arg_index(pos: int) -> int:
            """Go's argNumber: ``[n]`` selects argument n; a bad index poisons this verb (BADINDEX)."""
            nonlocal argi, reordered, good
            if pos >= n or format_[pos] != "[":
                return pos
            reordered = True
            k = format_.find("]", pos)
            if len(format_) - pos < 3 or k < 0:
                good = False
                return pos + 1
            digits = format_[pos + 1 : k]
            if digits.isdigit() and digits.isascii():
                idx = int(digits) - 1
                if 0 <= idx < len(args):
                    argi = idx
                    return k + 1
            good = False
            return k + 1

        i = arg_index(i)
        if i < n and format_[i] == "*":
            i += 1
            if argi < len(args) and is_int(args[argi]):
                w = int(args[argi])
                if w < 0:
                    fl.minus, w = True, -w
                fl.width = w
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            k = i
            while k < n and format_[k].isdigit():
                k += 1
            if k > i:
                fl.width = int(format_[i:k])
            i = k
        if i < n and format_[i] == ".":
            i += 1
            i = arg_index(i)
            if i < n and format_[i] == "*":
                i += 1
                if argi < len(args) and is_int(args[argi]):
                    fl.precision = max(int(args[argi]), 0)
                else:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                k = i
                while k < n and format_[k].isdigit():
                    k += 1
                fl.precision = int(format_[i:k]) if k > i else 0
                i = k
        i = arg_index(i)
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = format_[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if not good:
            out.append(f"%!{verb}(BADINDEX)")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[argi]
        argi += 1
        if verb == "w":
            verb = "v"
        out.append(_fmt_arg(a, verb, fl))
    if not reordered and argi < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{go_type(a)}={sprint_value(a)}" for a in args[argi:]) + ")")
    return "".join(out)
