"""The timestamp oracle: strictly increasing hybrid timestamps that survive restarts.

Like TiKV's PD, the oracle persists only an upper limit some seconds ahead of what it hands
out, so most calls touch no disk; after a restart it starts above the saved limit and can
therefore never repeat or go back, even if the wall clock did.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable

from kv import nowait
from kv.clock import wall_ms
from kv.engine.base import Engine, WriteBatch
from kv.mvcc.keys import meta_key
from kv.timestamp import LOGICAL_BITS, compose, draw

_LIMIT_KEY = meta_key("tso_limit")
_U64 = struct.Struct(">Q")


class TimestampOracle:
    def __init__(
        self,
        engine: Engine,
        *,
        window_ms: int = 3000,
        clock_ms: Callable[[], int] = wall_ms,
    ) -> None:
        self._engine = engine
        self._window_ms = window_ms
        self._clock_ms = clock_ms
        self._lock = threading.Lock()
        raw = engine.get(_LIMIT_KEY)
        # Everything handed out before a restart was below the saved limit.
        self._limit = _U64.unpack(raw)[0] if raw else 0
        self._last = self._limit

    def get_ts(self, count: int = 1) -> int:
        """Reserve ``count`` consecutive timestamps and return the first."""
        if not self._lock.acquire(blocking=not nowait.active()):
            raise nowait.WouldBlock
        try:
            first = draw(self._last, self._clock_ms(), count)
            last = first + count - 1
            if last >= self._limit:
                limit = compose((last >> LOGICAL_BITS) + self._window_ms)
                batch = WriteBatch()
                batch.put(_LIMIT_KEY, _U64.pack(limit))
                self._engine.write_batch(batch)
                self._limit = limit
            self._last = last
            return first
        finally:
            self._lock.release()

    @property
    def last(self) -> int:
        """The highest timestamp handed out so far (or the restart floor)."""
        return self._last
