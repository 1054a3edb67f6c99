"""A large transaction's buffered writes, moved out of the process's memory.

A transaction buffers its writes until commit (nothing is visible before). A bulk load's
buffer would grow with its input, so past ``TxnOptions.spill_keys`` buffered keys the client
moves them here: a private LMDB file in a temporary directory, without fsync (it dies with the
transaction), read back in key order when the transaction commits. Nothing of it reaches the
store before commit, so visibility, conflicts and rollback stay those of a buffered
transaction; memory holds only the keys written since the last spill.

Each entry is ``key -> bytes([op]) + value``.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator

from kv.engine.base import WriteBatch
from kv.engine.lmdb import LmdbEngine
from kv.mvcc.records import Mutation, Op

# Address space, not memory or disk (the file is sparse). Large enough never to grow: growing
# waits for open snapshots, and a scan of the spill may be open while the same thread adds.
_MAP_SIZE = 1 << 36


class SpilledWrites:
    """Mutations by key on local disk; ``close`` deletes them."""

    def __init__(self, directory: str | None = None) -> None:
        self.path = tempfile.mkdtemp(prefix="db9-spill-", dir=directory)
        self._engine = LmdbEngine(self.path, sync=False, map_size=_MAP_SIZE)
        self.count = 0  # entries held
        # A transaction dropped without commit or rollback still takes its file with it.
        self._remove = weakref.finalize(self, _remove, self._engine, self.path)

    def add(self, mutations: Iterable[Mutation]) -> None:
        """Store ``mutations``, replacing what is held for their keys."""
        batch = WriteBatch()
        for m in mutations:
            batch.put(m.key, bytes((m.op,)) + m.value)
        self._engine.write_batch(batch)
        self.count = self._engine.stats().entries

    def get(self, key: bytes) -> Mutation | None:
        raw = self._engine.get(key)
        return None if raw is None else Mutation(Op(raw[0]), key, raw[1:])

    def scan(
        self, start: bytes = b"", end: bytes | None = None, *, reverse: bool = False
    ) -> Iterator[Mutation]:
        """The held mutations with ``start <= key < end``, in key order (or reversed), read
        from one snapshot: adding while iterating does not change what it yields."""
        with self._engine.snapshot() as snap:
            for key, raw in snap.scan(start, end, reverse=reverse):
                yield Mutation(Op(raw[0]), key, raw[1:])

    def close(self) -> None:
        self._remove()


def _remove(engine: LmdbEngine, path: str) -> None:
    engine.close()
    shutil.rmtree(path, ignore_errors=True)
