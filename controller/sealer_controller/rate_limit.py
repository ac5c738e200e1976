"""The Bitnami controller's ``/v1/verify`` rate limit: GCRA, as ``throttled`` implements it.

Bitnami wraps ``/v1/verify`` in ``throttled.HTTPRateLimiter`` with a GCRA limiter
(``RateQuota{MaxRate: PerSec(rate), MaxBurst: burst}``, defaults 2 and 2) keyed by
the request path and its ``X-Forwarded-For`` header, in a 65,536-entry memory
store. With those defaults ``burst + 1`` = 3 requests pass at once, then one per
``1/rate`` s. A limited request gets 429 ``limit exceeded``; every response of
the route carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``,
``X-RateLimit-Reset`` and, when limited, ``Retry-After`` (whole seconds, rounded up).

The limit exists because verify is a decryption oracle: it answers "does this
decrypt?" to anyone who can reach the service. Time is integer nanoseconds from
an injectable monotonic clock, so tests need no sleeping.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class RateDecision:
    """One decision and the figures ``throttled`` reports in its headers (durations in ns)."""

    limited: bool
    limit: int
    remaining: int
    reset_after_ns: int
    retry_after_ns: int  # -1 unless limited

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": str(math.ceil(self.reset_after_ns / NS_PER_SECOND)),
        }
        if self.retry_after_ns >= 0:
            out["Retry-After"] = str(math.ceil(self.retry_after_ns / NS_PER_SECOND))
        return out


@dataclass
class GcraLimiter:
    """Generic cell-rate algorithm per key; at most ``max_keys`` keys remembered (least recent dropped)."""

    rate_per_second: int = 2
    burst: int = 2
    clock_ns: Callable[[], int] = time.monotonic_ns
    max_keys: int = 65536
    _tat: OrderedDict[str, int] = field(default_factory=OrderedDict, repr=False)

    def __post_init__(self) -> None:
        if self.rate_per_second <= 0:
            raise ValueError("rate_per_second must be greater than zero")
        if self.burst < 0:
            raise ValueError("burst must not be negative")
        self._emission_ns = NS_PER_SECOND // self.rate_per_second  # Go: time.Second / time.Duration(n)
        self._tolerance_ns = self._emission_ns * (self.burst + 1)
        self.limit = self.burst + 1

    def check(self, key: str) -> RateDecision:
        """Count one request for ``key`` unless it is over the limit."""
        now = self.clock_ns()
        stored = self._tat.get(key)
        if stored is not None and stored <= now:
            stored = None  # expired: the key is back to its initial state (throttled's TTL)
        tat = now if stored is None else stored
        new_tat = max(now, tat) + self._emission_ns
        allow_at = new_tat - self._tolerance_ns
        if now < allow_at:
            ttl = tat - now
            return self._decision(True, ttl, retry_after=allow_at - now)
        self._tat[key] = new_tat
        self._tat.move_to_end(key)
        while len(self._tat) > self.max_keys:
            self._tat.popitem(last=False)
        return self._decision(False, new_tat - now, retry_after=-1)

    def _decision(self, limited: bool, ttl: int, *, retry_after: int) -> RateDecision:
        spare = self._tolerance_ns - ttl
        remaining = int(spare / self._emission_ns) if spare > -self._emission_ns else 0
        return RateDecision(limited, self.limit, remaining, ttl, retry_after)


def bitnami_key(path: str, forwarded_for: str | None) -> str:
    """``throttled.VaryBy{Path: true, Headers: ["X-Forwarded-For"]}``: lower-cased header, then path."""
    return f"{(forwarded_for or '').lower()}\n{path}\n"
