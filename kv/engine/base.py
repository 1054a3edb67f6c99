"""The engine interface: a plain ordered byte-key store that MVCC, branching and Raft build on.

Nothing above this module knows which engine it runs on. Keys and values are bytes; ranges are
half-open ``[start, end)`` with ``end=None`` meaning "to the end of the keyspace".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self, TypeVar

T = TypeVar("T")


@dataclass
class WriteBatch:
    """Puts and deletes applied atomically, in order, by ``Engine.write_batch``."""

    ops: list[tuple[bytes, bytes | None]] = field(default_factory=list)

    def put(self, key: bytes, value: bytes) -> None:
        self.ops.append((key, value))

    def delete(self, key: bytes) -> None:
        self.ops.append((key, None))

    def __len__(self) -> int:
        return len(self.ops)


@dataclass(frozen=True)
class EngineStats:
    """Size statistics, for inspect and capacity planning."""

    entries: int
    data_bytes: int  # bytes of pages in use
    file_bytes: int  # bytes of the file(s) on disk (0 for memory)
    map_bytes: int  # address space reserved (LMDB map size), 0 for memory


class Reader(ABC):
    """Read operations shared by an engine and a snapshot of it."""

    @abstractmethod
    def get(self, key: bytes) -> bytes | None: ...

    @abstractmethod
    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        """Items with ``start <= key < end`` in key order (descending when ``reverse``)."""

    def iter_keys_from(self, start: bytes) -> tuple[Iterator[bytes], Callable[[], bytes]]:
        """Every key with ``start <= key``, in order, and a function giving the value of the
        key last yielded (read only when asked for: a scan skipping most items, as MVCC's old
        versions, never copies their values); for a caller that stops by itself, while the
        reader is open."""
        current = [b""]

        def keys() -> Iterator[bytes]:
            for key, value in self.scan(start):
                current[0] = value
                yield key

        return keys(), lambda: current[0]

    def seek(self, start: bytes, end: bytes | None = None) -> tuple[bytes, bytes] | None:
        """The first item with ``start <= key < end``: the hot path of an MVCC point read."""
        for item in self.scan(start, end, limit=1):
            return item
        return None

    def seek_reverse(self, start: bytes, end: bytes | None) -> tuple[bytes, bytes] | None:
        """The last item with ``start <= key < end``."""
        for item in self.scan(start, end, reverse=True, limit=1):
            return item
        return None


class Snapshot(Reader):
    """A consistent, read-only view; writes made after it was taken are invisible to it."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class WriteView(Snapshot):
    """An open write transaction seen as a snapshot that reads its own writes, plus ``apply``.

    What ``apply`` writes lands when the transaction commits, all of it or none; until then
    no other reader sees any of it.
    """

    @abstractmethod
    def apply(self, batch: WriteBatch) -> None:
        """Write ``batch`` into the transaction; a key the engine refuses raises before any
        op of the batch is written."""


class Engine(Reader):
    """An ordered key/value store with atomic batches and consistent snapshots."""

    #: write transactions committed so far (one sync each when the engine syncs)
    commits: int = 0

    @abstractmethod
    def write_batch(self, batch: WriteBatch) -> None:
        """Apply every op of ``batch`` or none of them; durable on return if the engine syncs."""

    @abstractmethod
    def transact(self, fn: Callable[[WriteView], T]) -> T:
        """Run ``fn`` in one write transaction that commits (and syncs) when it returns.

        If ``fn`` raises, nothing it applied lands. An engine may drop the transaction and run
        ``fn`` again from the start (LMDB does when its map must grow): ``fn`` must depend only
        on what it reads through the view and on values fixed before the call.
        """

    @abstractmethod
    def snapshot(self) -> Snapshot: ...

    @abstractmethod
    def stats(self) -> EngineStats: ...

    @abstractmethod
    def close(self) -> None: ...

    def get(self, key: bytes) -> bytes | None:
        with self.snapshot() as snap:
            return snap.get(key)

    def scan(
        self,
        start: bytes = b"",
        end: bytes | None = None,
        *,
        reverse: bool = False,
        limit: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        with self.snapshot() as snap:
            yield from snap.scan(start, end, reverse=reverse, limit=limit)
