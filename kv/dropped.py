"""Key prefixes a transaction dropped, destroyed by GC once no reader can see them.

Dropping a table used to delete its rows one key at a time inside the dropping transaction: a
200,000-row table took minutes and held every tombstone in memory. Instead (as TiDB's delete
ranges do) the transaction records the prefix (``schedule``) next to its catalog change, in
one write, and the rows stay where they are: snapshots older than the drop still read them.
``destroy_due`` (run by the GC worker after each pass) removes every version of every key
under a recorded prefix (``KvBackend.drop_prefix``: locks, write records, data) once

- the drop committed at or below the GC safepoint, so no snapshot or transaction that could
  see or write the rows is left (nothing may start or prewrite below the safepoint), and
- no branch retains the prefix's owner (a ``RetainPoint`` over it): a branch forked before
  the drop still reads the rows as of its fork. This is conservative (a branch forked after
  the drop holds the rows back too) until the branch is deleted.

Invariant for callers: a scheduled prefix is never written again once the drop commits (table
ids come from a counter and are never reused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kv import interrupt
from kv.client import KvBackend, TxnClient
from kv.txn.gc import RetainPoint

PREFIX = b"~dropped/"  # outside every database's prefix (b"d" + id), so no branch inherits it


class Writes(Protocol):
    def put(self, key: bytes, value: bytes) -> None: ...


def schedule(txn: Writes, prefix: bytes) -> None:
    """Record, in ``txn``, that every key under ``prefix`` goes once no reader can see it."""
    if not prefix:
        raise ValueError("refusing to schedule the whole keyspace")
    txn.put(PREFIX + prefix, b"")


def _end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1])


def pending(backend: KvBackend, ts: int) -> list[bytes]:
    """The prefixes scheduled by drops committed at or below ``ts``."""
    return [key[len(PREFIX) :] for key, _ in backend.scan(PREFIX, _end(PREFIX), ts)]


def destroy_due(
    client: TxnClient, safepoint: int, retain: Sequence[RetainPoint] = ()
) -> list[bytes]:
    """Destroy each prefix dropped at or below ``safepoint`` that no branch retains, then
    forget it; the prefixes destroyed. Idempotent: a crash between the two steps destroys an
    already empty prefix again on the next pass."""
    done = []
    for prefix in pending(client.backend, safepoint):
        interrupt.check()  # the GC worker's stop ends it between prefixes (and chunks)
        if any(prefix.startswith(r.prefix) or r.prefix.startswith(prefix) for r in retain):
            continue
        client.backend.drop_prefix(prefix)
        txn = client.begin()
        try:
            txn.delete(PREFIX + prefix)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
        done.append(prefix)
    return done
