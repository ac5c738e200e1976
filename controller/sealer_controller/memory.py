"""Keep the controller's resident memory near what it actually holds (glibc only; a no-op elsewhere).

A burst of unseals allocates and frees a lot (watch events, JSON bodies,
plaintext buffers). CPython returns freed blocks to glibc, but glibc keeps
them, and gives every thread its own 64 MB arena, so RSS stays at the burst's
peak. Two standard remedies: few arenas (``M_ARENA_MAX``), and
``malloc_trim(0)`` once a burst is over.
"""

from __future__ import annotations

import ctypes
import functools

_M_ARENA_MAX = -8


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        # The process's own symbols, libc's among them: no ctypes.util (25 ms of imports, and ldconfig).
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 (glibc has it; musl does not)
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(count: int = 2) -> bool:
    """Call before threads start; True if the allocator took it."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, count))


def trim() -> bool:
    """Give free heap memory back to the operating system; True if some was released."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))
