"""Pessimistic row locks on one node: taking them, holding them, waiting for them.

A READ COMMITTED transaction block locks the keys each statement writes when the statement
ends (TiKV's AcquirePessimisticLock, with the statement's read timestamp as for_update_ts): a
second writer then waits for the first transaction to end instead of both running on and one
failing at commit with 40001. ``check_for_update`` is the per-key check: no other
transaction's lock, and no version committed after for_update_ts (else the statement runs
again on a newer snapshot).

A lock is taken even when a newer version exists (TiDB's "fair locking"): the statement runs
again on a fresh snapshot holding the row already, so among writers queued for one row each
reruns its statement once, when it gets the row, rather than all of them at every release.

The locks are held in memory (``RowLocks``), as TiKV's in-memory pessimistic locks: on a
single node they belong to transactions of this process and die with it, so writing them to
the store (and syncing) would buy nothing. Readers ignore them (a row lock hides no version);
prewrite and one-phase commit of every transaction treat another's row lock as a live lock,
and skip the write-conflict check on keys the committing transaction holds itself.

A lock is taken without waiting for the store's group commit (its sync): under the table's
mutex, which prewrite and one-phase commit also take to check for row locks, never on a key
such a command is writing in a group not yet visible (``committable`` .. ``landed``), and
only if no such commit landed since the snapshot it checked was opened (``landed_seq``), so
that snapshot is never behind a commit of the key.

Invariants: a key has at most one owner; a transaction's keys are released at once, when it
ends (after its commit landed), which wakes the transactions waiting for it; every group
commit of the store (which may remove a store lock someone waits for) bumps ``generation``
and wakes the waiters for store locks; a wait registers an edge waiter -> owner in the
wait-for graph, and a wait that would close a cycle raises ``Deadlock`` (40P01) instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence

from kv.errors import Deadlock, KeyIsLocked, TxnAborted
from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Lock, Mutation, Op, Write, WriteKind
from kv.timestamp import MAX_TS


def check_for_update(reader: MvccReader, key: bytes, start_ts: int, for_update_ts: int) -> int:
    """Whether transaction ``start_ts`` may lock ``key`` for a statement that read at
    ``for_update_ts``: another's store lock raises ``KeyIsLocked``, our own rollback record
    ``TxnAborted`` (someone rolled us back). Returns the commit_ts of the newest PUT, DELETE or
    LOCK record committed after ``for_update_ts`` (0: none): the statement read an old version
    and must run again (the lock is taken all the same, so the rerun cannot lose the row)."""
    key_enc = K.enc(key)
    lock = reader.load_lock(key, key_enc)
    if lock is not None and lock.start_ts != start_ts:
        raise KeyIsLocked(lock)
    lo, _ = K.versions_range(K.WRITE, key_enc)
    hi = K.write_key(key_enc, start_ts) + b"\x00"  # every record with commit_ts >= start_ts
    newer = 0
    for ek, raw in reader.snap.scan(lo, hi):
        commit_ts = K.split_versioned(ek)[1]
        write = Write.decode(raw)
        if write.start_ts == start_ts:
            if write.kind == WriteKind.ROLLBACK:
                raise TxnAborted(start_ts, f"rolled back before locking {key!r}")
            continue
        if commit_ts > for_update_ts and write.kind != WriteKind.ROLLBACK:
            newer = max(newer, commit_ts)
    return newer


class RowLocks:
    """The row locks held in memory, their waiters and the wait-for graph."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: dict[bytes, Lock] = {}
        self._held: dict[int, list[bytes]] = {}  # start_ts -> its keys
        self._deleting: set[bytes] = set()  # held keys their holder deletes
        self._landing: dict[bytes, int] = {}  # keys of commits not yet visible (committable)
        self.landed_seq = 0  # bumped as each of those commits lands
        self._waits_for: dict[int, int] = {}  # waiting start_ts -> the owner it waits for
        self._ended: dict[int, threading.Event] = {}  # owner start_ts -> set when it releases
        self._store_waiters = 0  # transactions waiting for a store lock (see bump)
        self.generation = 0

    # -- for the store's commands (run under its latch) ----------------------------------

    def acquire(
        self,
        keys: Sequence[bytes],
        primary: bytes,
        start_ts: int,
        deleting: Collection[bytes],
        newer: Callable[[], int],
        landed_seq: int,
    ) -> int | None:
        """Give ``keys`` to ``start_ts``, all or none; ``deleting``: those it deletes, as its
        writes stand now. ``KeyIsLocked`` if another transaction holds one. ``newer()`` checks
        a store snapshot opened after ``landed_seq`` was read and returns what
        ``check_for_update`` does. None: try again (once ``landing(keys)`` is over): a commit
        of one of the keys is landing (``committable`` counted it), or one landed since
        ``landed_seq``, which the snapshot may not see. (The snapshot is opened outside the
        mutex: an engine may hold its own lock while a group's commands take this mutex.)"""
        with self._cond:
            owner = self._owner
            for key in keys:
                lock = owner.get(key)
                if lock is not None and lock.start_ts != start_ts:
                    raise KeyIsLocked(lock)
            if self.landed_seq != landed_seq or (
                self._landing and any(key in self._landing for key in keys)
            ):
                return None
            found = newer()
            held = self._held.setdefault(start_ts, [])
            for key in keys:
                if key not in owner:
                    owner[key] = Lock(key, primary, start_ts, MAX_TS, WriteKind.PESSIMISTIC)
                    held.append(key)
                if key in deleting:
                    self._deleting.add(key)
                else:
                    self._deleting.discard(key)
            return found

    def committable(
        self, mutations: Sequence[Mutation], start_ts: int, *, count: bool = True
    ) -> frozenset[bytes]:
        """For a prewrite or one-phase commit of ``start_ts`` about to write: the keys of
        ``mutations`` it holds. ``KeyIsLocked`` if another transaction holds one, but for a
        LOCK (a foreign key's claim on its parent, which conflicts only with the key going
        away) of a row its holder does not delete. Otherwise (``count``) the keys count as
        landing until ``landed`` (the caller's group commit is visible): no lock is taken on
        them before, from a snapshot that cannot see the commit yet."""
        with self._cond:
            mine = []
            owner = self._owner
            if owner:
                for m in mutations:
                    lock = owner.get(m.key)
                    if lock is not None:
                        if lock.start_ts == start_ts:
                            mine.append(m.key)
                        elif m.op != Op.LOCK or m.key in self._deleting:
                            raise KeyIsLocked(lock)
            if count:
                landing = self._landing
                for m in mutations:
                    landing[m.key] = landing.get(m.key, 0) + 1
            return frozenset(mine)

    def landing(self, keys: Sequence[bytes]) -> bool:
        """Whether a commit of one of ``keys`` is landing."""
        with self._cond:
            return any(key in self._landing for key in keys)

    def landed(self, mutations: Sequence[Mutation]) -> None:
        """The commit ``committable`` let through is visible (or failed)."""
        with self._cond:
            self.landed_seq += 1
            landing = self._landing
            for m in mutations:
                n = landing[m.key] - 1
                if n:
                    landing[m.key] = n
                else:
                    del landing[m.key]

    # -- releasing and waking --------------------------------------------------------------

    def release(self, start_ts: int) -> None:
        """Drop every lock of ``start_ts`` and wake the transactions waiting for it."""
        with self._cond:
            for key in self._held.pop(start_ts, ()):
                del self._owner[key]
                self._deleting.discard(key)
            ended = self._ended.pop(start_ts, None)
            self.generation += 1
            if self._store_waiters:
                self._cond.notify_all()
        if ended is not None:
            ended.set()

    def bump(self) -> None:
        """Something that may have freed a store lock landed (a group commit): wake its
        waiters."""
        with self._cond:
            self.generation += 1
            if self._store_waiters:
                self._cond.notify_all()

    # -- waiting ---------------------------------------------------------------------------

    def wait(self, lock: Lock, start_ts: int, generation: int, timeout: float) -> None:
        """Wait (at most ``timeout`` s) for ``lock`` to go: a row lock until its owner ends, a
        store lock until something is released after ``generation`` (the value read before
        the attempt that met it). ``Deadlock`` if ``lock``'s owner waits, directly or not,
        for ``start_ts`` (0: a waiter holding no row locks, outside the graph)."""
        with self._cond:
            if lock.kind != WriteKind.PESSIMISTIC and self.generation != generation:
                return
            owner = lock.start_ts
            if start_ts:
                seen = {start_ts}
                while owner in self._waits_for and owner not in seen:
                    seen.add(owner)
                    owner = self._waits_for[owner]
                if owner == start_ts:
                    raise Deadlock(start_ts, lock.start_ts, lock.key)
                self._waits_for[start_ts] = lock.start_ts
                self._cond.notify_all()  # for wait_for_waiters
            ended: threading.Event | None = None
            if lock.kind == WriteKind.PESSIMISTIC:
                if lock.start_ts in self._held:  # else released since: no wait
                    ended = self._ended.get(lock.start_ts)
                    if ended is None:
                        ended = self._ended[lock.start_ts] = threading.Event()
            else:
                self._store_waiters += 1
        try:
            if lock.kind == WriteKind.PESSIMISTIC:
                if ended is not None:
                    ended.wait(timeout)
            else:
                with self._cond:
                    self._cond.wait_for(lambda: self.generation != generation, timeout)
        finally:
            with self._cond:
                if lock.kind != WriteKind.PESSIMISTIC:
                    self._store_waiters -= 1
                if start_ts:
                    del self._waits_for[start_ts]

    def wait_for_waiters(self, n: int, timeout: float) -> bool:
        """True once at least ``n`` transactions wait (for tests and diagnostics)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._waits_for) >= n, timeout)
