"""Batched timestamp requests (TiDB's TSO client): concurrent requests travel in one call.

Used by a follower fetching timestamps from its leader (``cluster.raft_kv``) and by
``RemoteKv`` clients fetching them from the cluster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class TsoBatcher:
    """Concurrent requests for timestamps travel in one call (TiDB's TSO client).

    ``fetch(count)`` returns the first of ``count`` consecutive timestamps and a read index
    for the last of them (0: none); each waiting caller gets its own slice. Up to
    ``max_inflight`` calls are in flight; requests that arrive meanwhile form the next.
    """

    def __init__(self, fetch: Callable[[int], tuple[int, int]], max_inflight: int = 2) -> None:
        self._fetch = fetch
        self.max_inflight = max_inflight
        self._lock = threading.Lock()
        self._queue: list[_TsoWait] = []
        self._busy = 0

    def get_ts(self, count: int = 1) -> tuple[int, int]:
        me = _TsoWait(count)
        with self._lock:
            self._queue.append(me)
            if self._busy < self.max_inflight:
                self._busy += 1
                me.lead = True
        while True:
            if me.lead:  # a lead is always passed on, even when another call served us
                me.lead = False
                self._lead()
            if me.served:
                break
            me.done.wait()  # served, or promoted to lead the next call
            me.done.clear()  # the flags hold the state; the event only wakes us
        if me.error is not None:
            raise me.error
        return me.ts, me.read_index

    def _lead(self) -> None:
        """Send one call for everything queued, then hand the lead to the first request
        that queued meanwhile (no caller serves others' calls after its own is answered)."""
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            if batch:
                self._serve(batch)
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._busy -= 1

    def _serve(self, batch: list[_TsoWait]) -> None:
        total = sum(w.count for w in batch)
        try:
            first, read_index = self._fetch(total)
        except Exception as exc:
            for w in batch:
                w.error, w.served = exc, True
                w.done.set()
            return
        for w in batch:
            w.ts, w.read_index, w.served = first, read_index, True
            first += w.count
            w.done.set()


class _TsoWait:
    __slots__ = ("count", "done", "error", "lead", "read_index", "served", "ts")

    def __init__(self, count: int) -> None:
        self.count = count
        self.lead = False
        self.served = False
        self.done = threading.Event()
        self.ts = 0
        self.read_index = 0
        self.error: Exception | None = None
