"""Sprig's list, dict and default functions (``list.go``, ``dict.go``, ``defaults.go``, ``reflect.go``).

Go map iteration order is random, so Sprig's ``keys`` and ``values`` return an
unspecified order; we return key order (one of the orders Go could produce, and
the one that does not churn the Secret).
"""

from __future__ import annotations

import copy
from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, alias, register
from sealer.formats.gotemplate.sprig_math import to_int64
from sealer.formats.gotemplate.sprig_strings import strval
from sealer.formats.gotemplate.values import IntList, StrList, StrMap, Uint8, go_kind, go_type, to_bytes, truth

COLLECTIONS: FuncMap = {}


def _kind_name(v: Any) -> str:
    k = go_kind(v)
    return "ptr" if k == "invalid" else k


def _as_list(v: Any, what: str) -> list[Any]:
    if isinstance(v, list):
        return list(v)
    if isinstance(v, bytes):
        return [Uint8(b) for b in v]
    if v is None:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    raise FuncError(what.format(kind=_kind_name(v)))


def deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: same Go type and equal contents."""
    if go_type(a) != go_type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


register(COLLECTIONS, "list", "", "any")(lambda *vs: list(vs))
alias(COLLECTIONS, "tuple", "list")


@register(COLLECTIONS, "dict", "", "any")
def _dict(*vs: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for i in range(0, len(vs), 2):
        k = strval(vs[i])
        d[k] = vs[i + 1] if i + 1 < len(vs) else ""
    return d


def _map_or_empty(d: Any) -> dict[str, Any]:
    return d if d is not None else {}


@register(COLLECTIONS, "get", "map string")
def _get(d: Any, key: str) -> Any:
    d = _map_or_empty(d)
    return d[key] if key in d else ""


@register(COLLECTIONS, "set", "map string any")
def _set(d: Any, key: str, value: Any) -> Any:
    if d is None:
        raise FuncError("assignment to entry in nil map")
    d[key] = value
    return d


@register(COLLECTIONS, "unset", "map string")
def _unset(d: Any, key: str) -> Any:
    if d is not None:
        d.pop(key, None)
    return d


register(COLLECTIONS, "hasKey", "map string")(lambda d, k: k in _map_or_empty(d))


@register(COLLECTIONS, "pluck", "string", "map")
def _pluck(name: str, *ds: Any) -> list[Any]:
    return [d[name] for d in ds if d is not None and name in d]


@register(COLLECTIONS, "keys", "", "map")
def _keys(*ds: Any) -> StrList:
    out = StrList()
    for d in ds:
        out.extend(sorted(_map_or_empty(d), key=to_bytes))
    return out


@register(COLLECTIONS, "values", "map")
def _values(d: Any) -> list[Any]:
    d = _map_or_empty(d)
    return [d[k] for k in sorted(d, key=to_bytes)]


@register(COLLECTIONS, "pick", "map", "string")
def _pick(d: Any, *keys: str) -> dict[str, Any]:
    d = _map_or_empty(d)
    return {k: d[k] for k in keys if k in d}


@register(COLLECTIONS, "omit", "map", "string")
def _omit(d: Any, *keys: str) -> dict[str, Any]:
    d = _map_or_empty(d)
    return {k: v for k, v in d.items() if k not in keys}


def _merge_into(dst: dict[str, Any], src: dict[str, Any], overwrite: bool) -> None:
    """mergo's map merge as Sprig calls it (Merge / MergeWithOverwrite)."""
    for k, sv in src.items():
        if sv is None:
            if overwrite:
                dst[k] = None
            continue
        dv = dst.get(k)
        if isinstance(sv, dict) and isinstance(dv, dict):
            _merge_into(dv, sv, overwrite)
        if k in dst and truth(dv) and isinstance(sv, (dict, list)):
            continue
        if overwrite or k not in dst or not truth(dv):
            dst[k] = sv


def _merge(dst: Any, srcs: tuple[Any, ...], overwrite: bool) -> Any:
    if dst is None:
        raise FuncError("src and dst must be of same type")
    for s in srcs:
        if s is not None:
            _merge_into(dst, s, overwrite)
    return dst


register(COLLECTIONS, "merge", "map", "map")(lambda d, *s: _merge(d, s, False))
register(COLLECTIONS, "mustMerge", "map", "map")(lambda d, *s: _merge(d, s, False))
register(COLLECTIONS, "mergeOverwrite", "map", "map")(lambda d, *s: _merge(d, s, True))
register(COLLECTIONS, "mustMergeOverwrite", "map", "map")(lambda d, *s: _merge(d, s, True))


def _dig_map(d: Any) -> None:
    if not isinstance(d, dict) or isinstance(d, StrMap):
        what = "nil" if d is None else go_type(d)
        raise FuncError(f"interface conversion: interface {{}} is {what}, not map[string]interface {{}}")


@register(COLLECTIONS, "dig", "", "any")
def _dig(*ps: Any) -> Any:
    if len(ps) < 3:
        raise FuncError("dig needs at least three arguments")
    d = ps[-1]
    default = ps[-2]
    keys = ps[:-2]
    _dig_map(d)
    for k in keys:
        if not isinstance(k, str):
            raise FuncError(f"interface conversion: interface {{}} is {go_type(k)}, not string")
    for i, k in enumerate(keys):
        _dig_map(d)
        if k not in d:
            return default
        d = d[k]
        if i == len(keys) - 1:
            return d
    return d


def _list_fn(name: str, must: str, fn: Any, params: str = "any", variadic: str | None = None) -> None:
    register(COLLECTIONS, name, params, variadic)(fn)
    register(COLLECTIONS, must, params, variadic)(fn)


_PUSH = "Cannot push on type {kind}"
_list_fn("append", "mustAppend", lambda lst, v: [*_as_list(lst, _PUSH), v], "any any")
alias(COLLECTIONS, "push", "append")
alias(COLLECTIONS, "mustPush", "append")
_list_fn("prepend", "mustPrepend", lambda lst, v: [v, *_as_list(lst, "Cannot prepend on type {kind}")], "any any")


def _first(lst: Any) -> Any:
    items = _as_list(lst, "Cannot find first on type {kind}")
    return items[0] if items else None


def _last(lst: Any) -> Any:
    items = _as_list(lst, "Cannot find last on type {kind}")
    return items[-1] if items else None


def _rest(lst: Any) -> Any:
    items = _as_list(lst, "Cannot find rest on type {kind}")
    return items[1:]


def _initial(lst: Any) -> Any:
    items = _as_list(lst, "Cannot find initial on type {kind}")
    return items[:-1]


def _reverse(lst: Any) -> Any:
    return _as_list(lst, "Cannot find reverse on type {kind}")[::-1]


def _uniq(lst: Any) -> Any:
    out: list[Any] = []
    for x in _as_list(lst, "Cannot find uniq on type {kind}"):
        if not any(deep_equal(x, y) for y in out):
            out.append(x)
    return out


def _compact(lst: Any) -> Any:
    return [x for x in _as_list(lst, "Cannot compact on type {kind}") if truth(x)]


_list_fn("first", "mustFirst", _first)
_list_fn("last", "mustLast", _last)
_list_fn("rest", "mustRest", _rest)
_list_fn("initial", "mustInitial", _initial)
_list_fn("reverse", "mustReverse", _reverse)
_list_fn("uniq", "mustUniq", _uniq)
_list_fn("compact", "mustCompact", _compact)


def _without(lst: Any, *omit: Any) -> Any:
    return [x for x in _as_list(lst, "Cannot find without on type {kind}") if not any(deep_equal(x, o) for o in omit)]


_list_fn("without", "mustWithout", _without, "any", "any")


def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(deep_equal(needle, x) for x in _as_list(haystack, "Cannot find has on type {kind}"))


_list_fn("has", "mustHas", _has, "any any")


def _slice(lst: Any, *indices: Any) -> Any:
    if lst is None:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    if not isinstance(lst, (list, bytes)):
        raise FuncError(f"list should be type of slice or array but {_kind_name(lst)}")
    n = len(lst)
    if n == 0:
        return None
    start = to_int64(indices[0]) if indices else 0
    end = to_int64(indices[1]) if len(indices) > 1 else n
    if not 0 <= start <= end <= n:
        raise FuncError("reflect.Value.Slice: slice index out of bounds")
    part = lst[start:end]
    return type(lst)(part) if isinstance(lst, (StrList, IntList)) else part


_list_fn("slice", "mustSlice", _slice, "any", "any")


@register(COLLECTIONS, "concat", "", "any")
def _concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for lst in lists:
        out.extend(_as_list(lst, "Cannot concat type {kind} as list"))
    return out


def _chunk(size: int, lst: Any) -> Any:
    items = _as_list(lst, "Cannot chunk type {kind}")
    if size <= 0:
        raise FuncError("runtime error: makeslice: len out of range")
    return [items[i : i + size] for i in range(0, len(items), size)]


_list_fn("chunk", "mustChunk", _chunk, "int any")

# --- defaults -----------------------------------------------------------------------------


@register(COLLECTIONS, "default", "any", "any")
def _default(d: Any, *given: Any) -> Any:
    if not given or not truth(given[0]):
        return d
    return given[0]


register(COLLECTIONS, "empty", "any")(lambda v: not truth(v))


@register(COLLECTIONS, "coalesce", "", "any")
def _coalesce(*vs: Any) -> Any:
    for v in vs:
        if truth(v):
            return v
    return None


register(COLLECTIONS, "all", "", "any")(lambda *vs: all(truth(v) for v in vs))
register(COLLECTIONS, "any", "", "any")(lambda *vs: any(truth(v) for v in vs))
register(COLLECTIONS, "ternary", "any any bool")(lambda t, f, c: t if c else f)
register(COLLECTIONS, "deepCopy", "any")(lambda v: copy.deepcopy(v))
register(COLLECTIONS, "mustDeepCopy", "any")(lambda v: copy.deepcopy(v))

# --- reflection ---------------------------------------------------------------------------
register(COLLECTIONS, "typeOf", "any")(go_type)
register(COLLECTIONS, "typeIs", "string any")(lambda t, v: t == go_type(v))
register(COLLECTIONS, "typeIsLike", "string any")(lambda t, v: go_type(v) in (t, "*" + t))
register(COLLECTIONS, "kindOf", "any")(go_kind)
register(COLLECTIONS, "kindIs", "string any")(lambda t, v: t == go_kind(v))
register(COLLECTIONS, "deepEqual", "any any")(deep_equal)
