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

    def __init__(self, fetch: Callable[[int], tuple[int, int]], max_inflight: int = 1) -> None:
        self._fetch = fetch
        self.max_inflight = max_inflight
        self._lock = threading.Lock()
        self._queue: list[_TsoWait] = []
        self._busy = 0

    def get_ts(self, count: int = 1) -> tuple[int, int]:
        me = _TsoWait(count)
        with self._lock:
            self._queue.append(me)
            lead = self._busy < self.max_inflight
            if lead:
                self._busy += 1
        if not lead:
            me.done.wait()
            if me.ts:
                return me.ts, me.read_index
            if me.error is not None:
                raise me.error
            return self.get_ts(count)  # the leader of that round left before serving us
        try:
            while True:
                with self._lock:
                    batch, self._queue = self._queue, []
                    if not batch:
                        self._busy -= 1
                        break
                self._serve(batch)
        except BaseException:
            with self._lock:
                self._busy -= 1
                rest, self._queue = self._queue, []
            for w in rest:
                w.done.set()  # they retry and one of them leads
            raise
        if me.error is not None:
            raise me.error
        return me.ts, me.read_index

    def _serve(self, batch: list[_TsoWait]) -> None:
        total = sum(w.count for w in batch)
        try:
            first, read_index = self._fetch(total)
        except Exception as exc:
            for w in batch:
                w.error = exc
                w.done.set()
            return
        for w in batch:
            w.ts, w.read_index = first, read_index
            first += w.count
            w.done.set()


class _TsoWait:
    __slots__ = ("count", "done", "error", "read_index", "ts")

    def __init__(self, count: int) -> None:
        self.count = count
        self.done = threading.Event()
        self.ts = 0
        self.read_index = 0
        self.error: Exception | None = None
