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

Everything here runs on the server's event loop; the failure buckets are ``RateLimiter``s
(bounded in number, so user names the attacker makes up cannot grow them).
"""

from __future__ import annotations

import math

from pgwire.ratelimit import RateLimiter


def _failures(limit: int, window_s: float) -> RateLimiter:
    """``limit`` failures per ``window_s`` (either 0: no limit)."""
    if limit <= 0 or window_s <= 0:
        return RateLimiter(0)
    return RateLimiter(limit / window_s, burst=limit)


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
        self.by_address = _failures(failures_per_address, failure_window_s)
        self.by_user = _failures(failures_per_user, failure_window_s)
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
        wait = self.by_address.retry_after_s(address)
        if wait > 0:
            return f"too many failed logins from {address}; try again in {math.ceil(wait)} s"
        wait = self.by_user.retry_after_s(user)
        if wait > 0:
            return f'too many failed logins for user "{user}"; try again in {math.ceil(wait)} s'
        return None

    def failed(self, address: str, user: str) -> None:
        self.by_address.spend(address)
        self.by_user.spend(user)

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
