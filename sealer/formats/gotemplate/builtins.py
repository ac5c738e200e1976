"""Go's predefined template functions (``text/template/funcs.go``).

Comparisons, ``index``, ``len``, printing and the escapers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, register
from sealer.formats.gotemplate.gofmt import sprint, sprintf, sprintln
from sealer.formats.gotemplate.values import StrMap, Uint8, go_len_str, go_type, is_int, to_bytes, truth

BUILTINS: FuncMap = {}

_BAD_TYPE = "invalid type for comparison"
_BAD_CMP = "incompatible types for comparison"


def _basic_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if is_int(v):
        return "uint" if isinstance(v, Uint8) else "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, complex):
        return "complex"
    if isinstance(v, str):
        return "string"
    return "invalid"


@register(BUILTINS, "and", "value", "value")
def _and(*args: Any) -> Any:  # short-circuiting is done by the executor
    raise AssertionError


@register(BUILTINS, "or", "value", "value")
def _or(*args: Any) -> Any:
    raise AssertionError


@register(BUILTINS, "not", "value")
def _not(v: Any) -> bool:
    return not truth(v)


@register(BUILTINS, "eq", "value", "value")
def eq(a: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    k1 = _basic_kind(a)
    for b in others:
        k2 = _basic_kind(b)
        if k1 != k2:
            if {k1, k2} == {"int", "uint"}:
                if a == b:
                    return True
                continue
            if a is not None and b is not None:
                raise FuncError(f"{_BAD_CMP}: {go_type(a)} and {go_type(b)}")
            continue
        if k1 == "invalid":
            if a is None or b is None:
                if a is None and b is None:
                    return True
                continue
            if isinstance(a, (list, dict, bytes)) or isinstance(b, (list, dict, bytes)):
                # Go also prints the values here; we do not (they may be secrets)
                raise FuncError(f"non-comparable type {go_type(b if isinstance(b, (list, dict, bytes)) else a)}")
        if a == b:
            return True
    return False


@register(BUILTINS, "ne", "value value")
def ne(a: Any, b: Any) -> bool:
    return not eq(a, b)


@register(BUILTINS, "lt", "value value")
def lt(a: Any, b: Any) -> bool:
    k1, k2 = _basic_kind(a), _basic_kind(b)
    if k1 == "invalid" or k2 == "invalid":
        raise FuncError(_BAD_TYPE)
    if k1 != k2:
        if {k1, k2} == {"int", "uint"}:
            return bool(a < b)
        raise FuncError(f"{_BAD_CMP}: {go_type(a)} and {go_type(b)}")
    if k1 in ("bool", "complex"):
        raise FuncError(_BAD_TYPE)
    if k1 == "string":
        return to_bytes(a) < to_bytes(b)
    return bool(a < b)


@register(BUILTINS, "le", "value value")
def le(a: Any, b: Any) -> bool:
    return lt(a, b) or eq(a, b)


@register(BUILTINS, "gt", "value value")
def gt(a: Any, b: Any) -> bool:
    return not le(a, b)


@register(BUILTINS, "ge", "value value")
def ge(a: Any, b: Any) -> bool:
    return not lt(a, b)


@register(BUILTINS, "len", "value")
def _len(v: Any) -> int:
    if v is None:
        raise FuncError("len of nil pointer")
    if isinstance(v, str):
        return go_len_str(v)
    if isinstance(v, (list, dict, bytes)):
        return len(v)
    raise FuncError(f"len of type {go_type(v)}")


def _index_of(v: Any, cap: int) -> int:
    if v is None:
        raise FuncError("cannot index slice/array with nil")
    if not is_int(v):
        raise FuncError(f"cannot index slice/array with type {go_type(v)}")
    x = int(v)
    if x < 0 or x >= cap:
        raise FuncError(f"index out of range: {x}")
    return x


@register(BUILTINS, "index", "value", "value")
def index(item: Any, *indexes: Any) -> Any:
    if item is None:
        raise FuncError("index of untyped nil")
    for ix in indexes:
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, str):
            b = to_bytes(item)
            item = Uint8(b[_index_of(ix, len(b))])
        elif isinstance(item, bytes):
            item = Uint8(item[_index_of(ix, len(item))])
        elif isinstance(item, list):
            item = item[_index_of(ix, len(item))]
        elif isinstance(item, dict):
            if ix is None:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(ix, str):
                raise FuncError(f"value has type {go_type(ix)}; should be string")
            item = item.get(ix, "" if isinstance(item, StrMap) else None)
        else:
            raise FuncError(f"can't index item of type {go_type(item)}")
    return item


@register(BUILTINS, "print", "", "any")
def _print(*args: Any) -> str:
    return sprint(list(args))


@register(BUILTINS, "println", "", "any")
def _println(*args: Any) -> str:
    return sprintln(list(args))


@register(BUILTINS, "printf", "string", "any")
def _printf(fmt: str, *args: Any) -> str:
    return sprintf(fmt, list(args))


def _eval_args(args: tuple[Any, ...]) -> str:
    """Go's evalArgs for the escapers: one string as is, else Sprint with nil shown as <no value>."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if a is None else a for a in args])


_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\x00": "\ufffd"}


@register(BUILTINS, "html", "", "any")
def _html(*args: Any) -> str:
    s = _eval_args(args)
    return "".join(_HTML.get(c, c) for c in s)


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


@register(BUILTINS, "js", "", "any")
def _js(*args: Any) -> str:
    s = _eval_args(args)
    out = []
    for c in s:
        if c in _JS:
            out.append(_JS[c])
        elif ord(c) < 0x20:
            out.append(f"\\u00{ord(c):02X}")
        elif ord(c) >= 0x80 and not c.isprintable():
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


@register(BUILTINS, "urlquery", "", "any")
def _urlquery(*args: Any) -> str:
    return quote_plus(to_bytes(_eval_args(args)), safe="")


@register(BUILTINS, "call", "value", "value")
def _call(fn: Any, *args: Any) -> Any:
    if fn is None:
        raise FuncError("call of nil")
    raise FuncError(f"non-function of type {go_type(fn)}")


@register(BUILTINS, "slice", "value", "value")
def _slice(item: Any, *indexes: Any) -> Any:  # shadowed by Sprig's slice in the controller's map
    raise FuncError("builtin slice is not available")
