"""Adding context to our errors without changing their type (the type decides the exit status)."""

from __future__ import annotations

from sealer.errors import SealerError

__all__ = ["one_line", "with_context"]


def with_context(exc: SealerError, prefix: str) -> SealerError:
    """The same kind of error, its message prefixed with ``prefix`` (a generator, an app)."""
    if exc.message.startswith(prefix):
        return exc
    try:
        return type(exc)(f"{prefix}: {exc.message}", hint=exc.hint)
    except TypeError:  # a subclass with its own constructor: keep it as it is
        return exc


def one_line(exc: SealerError) -> str:
    """The message on a single line, as kustomize and Argo CD show stderr."""
    return " ".join(str(exc).split())
