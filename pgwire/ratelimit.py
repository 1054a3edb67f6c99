"""Rate limits: one token bucket per key (a tenant's database prefix, a client address).

A bucket refills at ``rate`` tokens a second up to ``burst`` (default: one second's worth, at
least one token);
``admit`` takes a token or refuses; ``spend`` counts an event that already happened and
``retry_after_s`` says when the bucket holds a token again. The per-tenant QPS limit uses one
``RateLimiter`` for pgwire and the REST API's /sql together, so a tenant cannot double its
rate by using both; the API's anonymous sign-ups use another, keyed by client address; failed
logins one per client address and one per user name (pgwire.admission).

Invariants: thread-safe (REST handlers run in pool threads, pgwire on the loop); at most
``MAX_KEYS`` buckets are held: a new key first drops the full ones (idle for ``burst / rate``
seconds: they would admit anyway), then, if still at the bound, the oldest ones (which then
start full again: under a flood of new keys the limit loosens, memory does not grow).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

MAX_KEYS = 10_000


class RateLimiter:
    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate  # tokens a second; 0 or less: no limit
        # At least one token: a bucket that never holds one admits nothing (a limit of
        # 0.5/s is one statement every 2 s, not none).
        self.burst = max(1.0, burst if burst is not None else rate)
        self._buckets: dict[Hashable, list[float]] = {}  # key -> [tokens, last refill]
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def admit(self, key: Hashable) -> bool:
        """Take one token from ``key``'s bucket; False (and nothing taken) if it has none."""
        if self.rate <= 0:
            return True
        with self._lock:
            bucket = self._refilled(key)
            if bucket[0] < 1:
                return False
            bucket[0] -= 1
            return True

    def spend(self, key: Hashable) -> None:
        """Take a token from ``key``'s bucket whether or not it has one left (it stays at 0):
        counting events that already happened, such as failed logins."""
        if self.rate <= 0:
            return
        with self._lock:
            bucket = self._refilled(key)
            bucket[0] = max(0.0, bucket[0] - 1)

    def _refilled(self, key: Hashable) -> list[float]:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:
                self._forget_full(now)
            bucket = self._buckets[key] = [self.burst, now]
        bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        return bucket

    def retry_after_s(self, key: Hashable) -> float:
        """Seconds until ``key``'s bucket holds a token again (0 if it does now)."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return 0.0
            tokens = bucket[0] + (time.monotonic() - bucket[1]) * self.rate
        return max(0.0, (1 - tokens) / self.rate)

    def _forget_full(self, now: float) -> None:
        full = [k for k, (tokens, at) in self._buckets.items()
                if tokens + (now - at) * self.rate >= self.burst]  # fmt: skip
        for k in full:
            del self._buckets[k]
        while len(self._buckets) >= MAX_KEYS:  # dicts keep insertion order: oldest first
            del self._buckets[next(iter(self._buckets))]
