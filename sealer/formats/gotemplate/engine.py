"""Compile (cached) and run templates over the controller's data."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from threading import Lock
from typing import Any

from sealer.formats.gotemplate.errors import GoTemplateError
from sealer.formats.gotemplate.executor import execute
from sealer.formats.gotemplate.funcs import FuncMap
from sealer.formats.gotemplate.functions import controller_funcs
from sealer.formats.gotemplate.parser import TemplateSet, parse
from sealer.formats.gotemplate.values import StrMap

_FUNCS: FuncMap | None = None


def funcs() -> FuncMap:
    global _FUNCS
    if _FUNCS is None:
        _FUNCS = controller_funcs()
    return _FUNCS


class Template:
    """A parsed template: parse once, execute many times (it holds no per-run state)."""

    __slots__ = ("tset",)

    def __init__(self, tset: TemplateSet) -> None:
        self.tset = tset

    def execute(self, data: Any) -> str:
        return execute(self.tset, funcs(), data)


_CACHE: OrderedDict[tuple[str, str], Template] = OrderedDict()
_CACHE_MAX = 512
_LOCK = Lock()


def compile_template(text: str, name: str = "") -> Template:
    """Parse ``text`` (named ``name`` in messages), reusing a cached parse of the same text."""
    key = (name, text)
    with _LOCK:
        t = _CACHE.get(key)
        if t is not None:
            _CACHE.move_to_end(key)
            return t
    table = funcs()
    try:
        t = Template(parse(name, text, table.__contains__))
    except RecursionError:
        raise GoTemplateError(f"template: {name}: template nests too deeply", parse=True) from None
    with _LOCK:
        _CACHE[key] = t
        if len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return t


def render_text(text: str, values: Mapping[str, str], name: str = "") -> str:
    """Render over string values, as ``map[string]string`` (the controller's data shape)."""
    return compile_template(text, name).execute(StrMap(values))
