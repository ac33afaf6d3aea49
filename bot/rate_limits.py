"""Rate limits on the HTTP API (流量制限): per user and per API token, so one user's flood is refused cheaply
(429 with Retry-After) before it costs a turn, and nobody else waits behind it.

A token bucket per key: `rate` requests a second on average, up to `burst` at once. Kept in memory per process
(bounded: the idlest keys are forgotten first); each bot worker counts its own requests.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Callable


class TokenBuckets:
    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate above 0 and a burst of at least 1")
        self.rate, self.burst, self.max_keys, self.clock = rate, burst, max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()   # key → (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go now (one token taken); else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            if not wait:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


class RateLimits:
    """The API's limits: every request counts against its token, and a turn also against its user."""

    def __init__(self, *, user_rate: float = 2.0, user_burst: int = 8, token_rate: float = 200.0,
                 token_burst: int = 400, clock: Callable[[], float] = time.monotonic) -> None:
        self.users = TokenBuckets(user_rate, user_burst, clock=clock)
        self.tokens = TokenBuckets(token_rate, token_burst, max_keys=1_000, clock=clock)

    def check(self, token_key: str, user_id: str | None = None) -> int:
        """0, or the whole seconds to put in Retry-After."""
        wait = self.tokens.take(token_key)
        if not wait and user_id is not None:
            wait = self.users.take(user_id)
        return math.ceil(wait) if wait else 0
