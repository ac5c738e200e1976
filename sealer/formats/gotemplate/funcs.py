"""How template functions are declared: a Go signature, so arguments are checked like Go's reflection does.

Go's ``text/template`` converts each argument to the parameter's static type
and rejects what does not fit (``wrong type for value; expected int; got int64``);
real templates trip on this, so every function states its parameter types with
one of the names below instead of taking arbitrary Python values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

#: parameter type name -> Go spelling, for messages
GO_TYPES = {
    "any": "interface {}",
    "value": "reflect.Value",
    "string": "string",
    "int": "int",
    "int64": "int64",
    "uint32": "uint32",
    "float64": "float64",
    "bool": "bool",
    "list": "[]interface {}",
    "strlist": "[]string",
    "map": "map[string]interface {}",
}


class FuncError(Exception):
    """A function returned a Go ``error`` (or panicked): shown as ``error calling NAME: MSG``.

    The message must not contain argument values (they may be secrets).
    """


@dataclass(frozen=True, slots=True)
class Func:
    """One template function: its Go parameter types, and why it is refused, if it is."""

    name: str
    impl: Callable[..., Any]
    params: tuple[str, ...] = ()
    variadic: str | None = None
    refused: str | None = None


FuncMap = dict[str, Func]
F = TypeVar("F", bound=Callable[..., Any])


def register(table: FuncMap, name: str, params: str = "", variadic: str | None = None) -> Callable[[F], F]:
    """Decorator: add ``fn`` to ``table`` as ``name`` taking ``params`` (space-separated type names)."""

    def deco(fn: F) -> F:
        table[name] = Func(name, fn, tuple(params.split()), variadic)
        return fn

    return deco


def alias(table: FuncMap, name: str, other: str) -> None:
    f = table[other]
    table[name] = Func(name, f.impl, f.params, f.variadic, f.refused)


def refuse(table: FuncMap, reason: str, *names: str) -> None:
    """Declare functions that exist in Sprig but that we will not run, with the reason shown to users."""

    def refused(*_args: Any) -> Any:
        raise AssertionError("refused functions are never called")

    for n in names:
        table[n] = Func(n, refused, (), "any", reason)
