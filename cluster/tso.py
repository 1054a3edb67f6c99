"""Timestamps from the leader's memory (PD's oracle), and the leader's in-memory commit locks.

The leader hands out timestamps below a limit that is already stored through Raft
(a ``tso_window`` entry). A new leader proposes a window first: applying it stores a limit
above every limit stored before, and the leader starts handing out from the old limit up,
so no timestamp is repeated or goes back across leaders, restarts, pauses or wall-clock
jumps (the window entry is ordered after everything an old leader could have handed out,
and timestamps only ever rise from ``last``). Every timestamp is handed out under a valid
leader lease (``cluster.lease``), so a deposed leader that has not noticed yet hands out
none. A background thread renews the window before it runs out.

One-phase commits take their commit_ts here too (``draw_commit``) and hold it in the
in-memory lock table until their entry is applied or has failed. A reader whose timestamp
is above an entry of that table and reads one of its keys waits for it (``check_read``):
TiKV's concurrency manager, so a read never misses a commit below its timestamp that lands
after it read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cluster import lease
from cluster.convert import Unavailable
from kv import nowait
from kv.clock import wall_ms
from kv.timestamp import compose, draw, physical_ms

log = logging.getLogger(__name__)

WINDOW_MS = 3000
RENEW_POLL_S = 0.1


class LeaderTso:
    """The oracle of this member while it leads (``serving``), idle otherwise."""

    def __init__(
        self,
        machine: Any,  # KvStateMachine: its Raft state and lease
        propose_window: Callable[[int, int], tuple[int, int]],
        *,
        window_ms: int = WINDOW_MS,
        lease_wait_s: float = 2.0,
    ) -> None:
        self._machine = machine
        self._propose_window = propose_window
        self.window_ms = window_ms
        self.lease_wait_s = lease_wait_s
        self._cond = threading.Condition()
        self._term = 0  # the term whose window is installed (0: none)
        self._last = 0
        self._limit = 0
        self._commits: dict[int, frozenset[bytes]] = {}  # in-memory locks: commit_ts -> keys
        self._stopped = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leader-tso", daemon=True)
        self._thread.start()

    # -- serving ----------------------------------------------------------------------------

    def serving(self) -> bool:
        """This member leads and has installed its term's window."""
        return bool(self._machine._isLeader()) and self._term == self._machine.raft_term()

    def _check(self) -> None:
        """Raise Unavailable unless this member may hand out timestamps and serve reads now
        (leader, window installed, lease held); WouldBlock where waiting is not allowed."""
        if not self.serving():
            if self._machine._isLeader():
                self._wake.set()
                if nowait.active():
                    raise nowait.WouldBlock
                deadline = time.monotonic() + self.lease_wait_s
                while not self.serving() and time.monotonic() < deadline:
                    with self._cond:
                        self._cond.wait(0.02)
                if self.serving():
                    return self._check()
            raise Unavailable("this node is not the serving Raft leader")
        sync = self._machine
        if lease.lease_until(sync) > time.monotonic():
            return
        nowait.check()
        if not lease.confirm(sync, self.lease_wait_s):
            raise Unavailable("this node could not confirm its leadership (no lease)")

    def get_ts(self, count: int = 1) -> int:
        first, _, _ = self._draw(count, commit=None)
        return first

    def get_ts_and_clear(self, count: int = 1) -> tuple[int, bool]:
        """``count`` timestamps, and whether no one-phase commit was in flight below them
        (then this member's applied state already serves reads at them)."""
        first, clear, _ = self._draw(count, commit=None)
        return first, clear

    def draw_commit(self, keys: frozenset[bytes]) -> tuple[int, int]:
        """A commit_ts for a one-phase commit of ``keys``, locked until ``release``, and
        the term it was drawn in: only an entry of that term may apply it (its lock is in
        this term's table; the next leader's reads above it do not wait for it)."""
        ts, _, term = self._draw(1, commit=keys)
        return ts, term

    def _draw(self, count: int, *, commit: frozenset[bytes] | None) -> tuple[int, bool, int]:
        """The first of ``count`` timestamps, whether no one-phase commit is in flight,
        and the term whose window they come from."""
        self._check()
        with self._cond:
            while True:
                if not self.serving():
                    raise Unavailable("this node stopped leading")
                first = draw(self._last, wall_ms(), count)
                if first + count - 1 < self._limit:
                    break
                nowait.check()  # the window must be renewed through Raft first
                self._wake.set()
                if not self._cond.wait(self.lease_wait_s):
                    raise Unavailable("the timestamp window could not be renewed in time")
            self._last = first + count - 1
            clear = not self._commits
            if commit is not None:
                self._commits[first] = commit
            return first, clear, self._term

    def release(self, commit_ts: int) -> None:
        with self._cond:
            self._commits.pop(commit_ts, None)
            self._cond.notify_all()

    def check_read(self, ts: int, span: ReadSpan | None, timeout_s: float) -> None:
        """Before this leader serves a read at ``ts`` of ``span`` (None: every key): it
        still leads (lease), and every one-phase commit drawn below ``ts`` that writes a key
        of the span has been applied (or has failed)."""
        self._check()
        with self._cond:
            if not self._blocked(ts, span):
                return
        nowait.check()
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._blocked(ts, span):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Unavailable("a commit below the read's timestamp is still in flight")
                self._cond.wait(left)

    def _blocked(self, ts: int, span: ReadSpan | None) -> bool:
        return any(
            c < ts and (span is None or span.hits(keys)) for c, keys in self._commits.items()
        )

    @property
    def last(self) -> int:
        return self._last

    # -- the window -------------------------------------------------------------------------

    def state_changed(self) -> None:
        """From the Raft thread: leadership moved; renew (or drop) the window soon."""
        with self._cond:
            self._cond.notify_all()
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _needs_window(self) -> bool:
        if not self._machine._isLeader():
            return False
        if self._term != self._machine.raft_term():
            return True
        left_ms = physical_ms(self._limit) - max(wall_ms(), physical_ms(self._last))
        return left_ms < self.window_ms // 2

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(RENEW_POLL_S)
            self._wake.clear()
            if self._stopped:
                return
            try:
                if self._needs_window():
                    self._renew()
            except Exception as exc:  # a failed proposal: the next poll tries again
                log.info("timestamp window not renewed: %s", exc)
                time.sleep(RENEW_POLL_S)

    def _renew(self) -> None:
        term = self._machine.raft_term()
        floor = compose(max(wall_ms(), physical_ms(self._last)))
        start, limit = self._propose_window(floor, self.window_ms)
        with self._cond:
            if not self._machine._isLeader() or self._machine.raft_term() != term:
                return  # leadership moved while the entry was in flight: propose again
            if self._term != term:
                # Everything an earlier leader handed out is below ``start``: applying the
                # window entry applied every entry before it.
                self._last = max(self._last, start - 1)
                self._term = term
                # Commits locked in an earlier term are applied (they precede the window
                # entry) or will never be: nothing to wait for.
                self._commits.clear()
            self._limit = max(self._limit, limit)
            self._cond.notify_all()
        log.debug("timestamp window of term %d up to %d", term, limit)


@dataclass(frozen=True)
class ReadSpan:
    """The keys a read touches: ``keys``, or the range [start, end) (end None: no bound)."""

    keys: frozenset[bytes] = frozenset()
    start: bytes = b""
    end: bytes | None = b""  # b"" with no keys: an empty span

    def hits(self, locked: frozenset[bytes]) -> bool:
        if self.keys:
            return not self.keys.isdisjoint(locked)
        if self.end == b"":
            return False
        return any(self.start <= k and (self.end is None or k < self.end) for k in locked)
