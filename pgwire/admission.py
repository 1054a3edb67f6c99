"""What a connection may take before and after it logs in, so that sockets without valid
credentials cannot starve the logins that have them.

- Logins in progress (accepted, not yet authenticated) are a pool of their own, bounded in
  all and per client address; session slots (``max_connections``) are taken only after
  authentication. A connection over the pool is refused at accept, holding nothing.
- Failed logins take a token from a bucket per client address and one per user name; while
  either bucket is empty, logins for it are refused before any password is checked. Buckets
  hold ``limit`` tokens and refill ``limit`` per ``window_s`` seconds.
- Bytes buffered for incomplete large messages are reserved per tenant (a database's key
  prefix) against a budget, so half-sent messages of many sessions cannot add up unbounded.

Everything here runs on the server's event loop: no locks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

MAX_BUCKETS = 100_000  # failure buckets kept; attacker-chosen user names must not grow it


@dataclass
class _Bucket:
    tokens: float
    at: float


class FailureThrottle:
    """Token buckets of failed logins by key ((kind, address or user name))."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.rate = limit / window_s if window_s > 0 else float("inf")
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def wait_s(self, key: tuple[str, str], now: float | None = None) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        bucket = self._refilled(key, now)
        if bucket is None or bucket.tokens >= 1:
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def failed(self, key: tuple[str, str], now: float | None = None) -> None:
        if self.limit <= 0:
            return
        bucket = self._refilled(key, now)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(_now(now))
            bucket = self._buckets[key] = _Bucket(float(self.limit), _now(now))
        bucket.tokens = max(0.0, bucket.tokens - 1)

    def _refilled(self, key: tuple[str, str], now: float | None) -> _Bucket | None:
        bucket = self._buckets.get(key)
        if bucket is None:
            return None
        t = _now(now)
        bucket.tokens = min(float(self.limit), bucket.tokens + (t - bucket.at) * self.rate)
        bucket.at = t
        return bucket

    def _prune(self, t: float) -> None:
        """Drop the buckets that have refilled (they mean nothing), else the oldest half."""
        full = [
            k for k, b in self._buckets.items() if b.tokens + (t - b.at) * self.rate >= self.limit
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:
            for key in list(self._buckets)[: MAX_BUCKETS // 2]:
                del self._buckets[key]


def _now(now: float | None) -> float:
    return time.monotonic() if now is None else now


class Admission:
    def __init__(
        self,
        max_pending: int,
        max_pending_per_address: int,
        failures_per_address: int,
        failures_per_user: int,
        failure_window_s: float,
        tenant_buffer_bytes: int,
    ) -> None:
        self.max_pending = max_pending
        self.max_pending_per_address = max_pending_per_address
        self._pending: dict[str, int] = {}  # logins in progress per client address
        self.pending_count = 0
        self.by_address = FailureThrottle(failures_per_address, failure_window_s)
        self.by_user = FailureThrottle(failures_per_user, failure_window_s)
        self.tenant_buffer_bytes = tenant_buffer_bytes
        self._buffered: dict[bytes, int] = {}

    # -- logins in progress --------------------------------------------------------------------

    def enter(self, address: str) -> str | None:
        """Count a new login in progress from ``address``; None, or why it is refused."""
        if self.pending_count >= self.max_pending:
            return "sorry, too many clients logging in already"
        held = self._pending.get(address, 0)
        if held >= self.max_pending_per_address:
            return f"sorry, too many connections from {address} logging in already"
        self._pending[address] = held + 1
        self.pending_count += 1
        return None

    def leave(self, address: str) -> None:
        """The login from ``address`` ended: authenticated, refused, or gone."""
        held = self._pending.get(address, 0) - 1
        if held > 0:
            self._pending[address] = held
        else:
            self._pending.pop(address, None)
        self.pending_count -= 1

    # -- failed logins -------------------------------------------------------------------------

    def throttled(self, address: str, user: str) -> str | None:
        """None if a login for ``user`` from ``address`` may be tried now, else why not."""
        wait = self.by_address.wait_s(("address", address))
        if wait > 0:
            return f"too many failed logins from {address}; try again in {math.ceil(wait)} s"
        wait = self.by_user.wait_s(("user", user))
        if wait > 0:
            return f'too many failed logins for user "{user}"; try again in {math.ceil(wait)} s'
        return None

    def failed(self, address: str, user: str) -> None:
        self.by_address.failed(("address", address))
        self.by_user.failed(("user", user))

    # -- buffered message bytes ----------------------------------------------------------------

    def reserve(self, tenant: bytes, n: int) -> bool:
        """Reserve ``n`` bytes of ``tenant``'s buffer budget; False if they do not fit."""
        held = self._buffered.get(tenant, 0)
        if held + n > self.tenant_buffer_bytes:
            return False
        self._buffered[tenant] = held + n
        return True

    def release(self, tenant: bytes, n: int) -> None:
        left = self._buffered.get(tenant, 0) - n
        if left > 0:
            self._buffered[tenant] = left
        else:
            self._buffered.pop(tenant, None)

    def buffered(self, tenant: bytes) -> int:
        return self._buffered.get(tenant, 0)
