"""An in-memory engine for unit tests: a sorted key list plus a dict, copied on snapshot."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from kv.engine.base import Engine, EngineStats, Reader, Snapshot, WriteBatch, WriteView

T = TypeVar("T")


class _SortedView(Reader):
    def __init__(self, keys: list[bytes], data: dict[bytes, bytes]) -> None:
        self._keys = keys
        self._data = data

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        lo = bisect.bisect_left(self._keys, start)
        hi = len(self._keys) if end is None else bisect.bisect_left(self._keys, end)
        idx = range(hi - 1, lo - 1, -1) if reverse else range(lo, hi)
        for n, i in enumerate(idx):
            if limit is not None and n >= limit:
                return
            key = self._keys[i]
            yield key, self._data[key]


class MemorySnapshot(_SortedView, Snapshot):
    def close(self) -> None:
        pass


class _MemoryWriteView(_SortedView, WriteView):
    """Private copies of the engine's lists, published whole when the transaction commits."""

    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        # Materialised: a caller may write while iterating.
        return iter(list(super().scan(start, end, reverse=reverse, limit=limit)))

    def apply(self, batch: WriteBatch) -> None:
        _apply(self._keys, self._data, batch)

    def close(self) -> None:
        pass


def _apply(keys: list[bytes], data: dict[bytes, bytes], batch: WriteBatch) -> None:
    for key, value in batch.ops:
        if value is None:
            if key in data:
                del data[key]
                keys.pop(bisect.bisect_left(keys, key))
        else:
            if key not in data:
                bisect.insort(keys, key)
            data[key] = bytes(value)


class MemoryEngine(_SortedView, Engine):
    """Not durable, not for production: a stand-in that makes MVCC unit tests fast."""

    def __init__(self) -> None:
        super().__init__([], {})
        self._lock = threading.Lock()

    def write_batch(self, batch: WriteBatch) -> None:
        self.transact(lambda view: view.apply(batch))

    def transact(self, fn: Callable[[WriteView], T]) -> T:
        with self._lock:
            # Copy-on-write so snapshots that share the old lists are never disturbed.
            view = _MemoryWriteView(list(self._keys), dict(self._data))
            result = fn(view)
            self._keys, self._data = view._keys, view._data
            self.commits += 1
            return result

    def snapshot(self) -> Snapshot:
        with self._lock:
            return MemorySnapshot(self._keys, self._data)

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        return self.snapshot().scan(start, end, reverse=reverse, limit=limit)

    def stats(self) -> EngineStats:
        size = sum(len(k) + len(v) for k, v in self._data.items())
        return EngineStats(entries=len(self._keys), data_bytes=size, file_bytes=0, map_bytes=0)

    def close(self) -> None:
        pass
