"""The transaction client: begin / get / scan / put / delete / commit / rollback.

The SQL layer talks to this API only. Underneath is a ``KvBackend``: ``LocalKv`` for a single
node, or the cluster's gRPC client, both offering the same Percolator commands. The client
buffers writes, reads its own writes, resolves the locks it meets, and commits with 1PC when
the write set is small and with two-phase commit otherwise.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

from kv import interrupt, nowait
from kv.engine.base import Engine
from kv.errors import (
    AlreadyExists,
    Db9Error,
    InvalidArgument,
    KeyIsLocked,
    TxnLockNotFound,
    WriteConflict,
)
from kv.mvcc.branches import BranchLink
from kv.mvcc.records import Lock, Mutation, Op, WriteKind
from kv.spill import SpilledWrites
from kv.storage import Storage
from kv.tso import TimestampOracle
from kv.txn.cleanup import TxnState, TxnStatus
from kv.txn.gc import GcProgress, RetainPoint

T = TypeVar("T")
# The longest a lock wait sleeps between checks of its statement's cancel and deadlines (a
# released lock wakes it at once).
_WAIT_SLICE_S = 0.1


class KvBackend(Protocol):
    """The Percolator command set, as the single-node store and the cluster client offer it."""

    # True when reads are local memory-mapped lookups that may run on an event-loop thread
    # under ``kv.nowait.nonblocking()``; a backend doing network calls says False.
    inline_reads: bool

    def get_ts(self, count: int = 1) -> int: ...
    def begin_prepare(self) -> Callable[[], Future[Any]] | None:
        """Where drawing a timestamp now would wait in a way that can happen off an event
        loop (``kv.nowait.WouldBlock.prepare``): that wait, to start before a statement that
        begins a transaction runs inline; None where it would not wait."""
        ...

    def get(self, key: bytes, ts: int) -> bytes | None: ...
    def get_fresh(self, key: bytes) -> tuple[bytes | None, int]:
        """``key`` at a timestamp drawn for it (``get(key, get_ts())`` in one request), and
        that timestamp."""
        ...

    def batch_get(self, keys: Sequence[bytes], ts: int) -> dict[bytes, bytes]: ...
    def scan(
        self,
        start: bytes,
        end: bytes | None,
        ts: int,
        *,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]: ...
    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None: ...
    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None: ...
    def one_pc(self, mutations: Sequence[Mutation], start_ts: int) -> int:
        """Commit ``mutations`` in one phase; the commit_ts. ``start_ts`` 0: a blind write
        (nothing read before it), whose start_ts the backend draws."""
        ...

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None: ...
    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus: ...
    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int: ...
    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int: ...
    def scan_locks(
        self, max_ts: int, start: bytes = b"", end: bytes | None = None, limit: int | None = None
    ) -> list[Lock]: ...
    def gc(
        self, safepoint: int, retain: Sequence[RetainPoint] = (), *, full: bool = False
    ) -> GcProgress: ...
    def safepoint(self) -> int: ...
    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None: ...
    def drop_prefix(self, prefix: bytes) -> int: ...
    def branch_links(self) -> dict[bytes, BranchLink]: ...
    def reset_branch(self, child: bytes, fork_ts: int) -> None: ...


class LocalKv:
    """A ``KvBackend`` on one local engine: Storage for the commands, the TSO for timestamps."""

    inline_reads = True

    def __init__(self, engine: Engine, tso: TimestampOracle | None = None) -> None:
        self.engine = engine
        self.storage = Storage(engine)
        self.tso = tso or TimestampOracle(engine)

    @classmethod
    def open(cls, path: str, *, sync: bool = True) -> LocalKv:
        from kv.engine.lmdb import LmdbEngine

        return cls(LmdbEngine(path, sync=sync))

    def close(self) -> None:
        self.engine.close()

    def get_ts(self, count: int = 1) -> int:
        return self.tso.get_ts(count)

    def begin_prepare(self) -> Callable[[], Future[Any]] | None:
        return None  # its oracle is local

    def get(self, key: bytes, ts: int) -> bytes | None:
        return self.storage.get(key, ts)

    def get_fresh(self, key: bytes) -> tuple[bytes | None, int]:
        ts = self.tso.get_ts()
        return self.storage.get(key, ts), ts

    def batch_get(self, keys: Sequence[bytes], ts: int) -> dict[bytes, bytes]:
        return self.storage.batch_get(keys, ts)

    def scan(
        self,
        start: bytes,
        end: bytes | None,
        ts: int,
        *,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        return self.storage.scan(start, end, ts, limit=limit, reverse=reverse)

    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None:
        self.storage.prewrite(mutations, primary, start_ts, lock_ttl_ms, txn_size)

    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None:
        self.storage.commit(keys, start_ts, commit_ts)

    def one_pc(self, mutations: Sequence[Mutation], start_ts: int) -> int:
        return self.storage.one_pc(mutations, start_ts or self.tso.get_ts(), self.tso.get_ts)

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None:
        self.storage.rollback(keys, start_ts)

    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus:
        return self.storage.check_txn_status(
            primary, lock_ts, current_ts, rollback_if_not_exist=rollback_if_not_exist
        )

    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int:
        return self.storage.txn_heart_beat(primary, start_ts, ttl_ms)

    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int:
        return self.storage.resolve_lock(start_ts, commit_ts, keys)

    def scan_values(
        self, start: bytes, end: bytes | None, ts: int, limit: int
    ) -> tuple[list[bytes], bytes | None]:
        return self.storage.scan_values(start, end, ts, limit)

    def scan_locks(
        self, max_ts: int, start: bytes = b"", end: bytes | None = None, limit: int | None = None
    ) -> list[Lock]:
        return self.storage.scan_locks(max_ts, start, end, limit)

    def gc(
        self, safepoint: int, retain: Sequence[RetainPoint] = (), *, full: bool = False
    ) -> GcProgress:
        return self.storage.gc(safepoint, retain, full=full)

    def safepoint(self) -> int:
        return self.storage.safepoint

    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None:
        self.storage.set_branch(child, parent, fork_ts)

    def drop_prefix(self, prefix: bytes) -> int:
        return self.storage.drop_prefix(prefix)

    def branch_links(self) -> dict[bytes, BranchLink]:
        return dict(self.storage.links)

    def reset_branch(self, child: bytes, fork_ts: int) -> None:
        self.storage.reset_branch(child, fork_ts)


@dataclass
class TxnOptions:
    lock_ttl_ms: int = 3000
    max_lock_ttl_ms: int = 120_000
    lock_wait_s: float = 5.0  # how long a read waits for a live lock before giving up
    # How long a statement waits for a row lock when lock_timeout is 0 (PostgreSQL waits
    # forever; a bound ends waits in cycles the wait-for graph cannot see): then 55P03.
    row_lock_wait_s: float = 60.0
    one_pc_max_keys: int = 1024
    one_pc_max_bytes: int = 4 << 20
    # Keys per prewrite/commit request in 2PC: one LMDB write transaction (and fsync) or one
    # Raft command each, so a bulk load pays few commits; bounds how long one holds the writer,
    # and how long a statement runs between two interrupt checks (a request runs whole: 4096
    # keys were 0.3-0.5 s of CPU on a single node, past the 0.3 s bound of test_runaway).
    batch_keys: int = 1024
    batch_bytes: int = 1 << 20  # and about this many bytes (a gRPC message holds 4 MB)
    # Buffered keys past which a transaction moves its writes to a local file (kv/spill.py),
    # so a bulk load's memory does not grow with its input; where (None: the temp directory).
    spill_keys: int = 50_000
    spill_dir: str | None = None
    scan_page: int = 256
    value_batch: int = 4096  # values per batch of iter_values, after a first page of scan_page


class TxnPhase(Enum):
    ACTIVE = "active"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"


class LockResolver:
    """Finds out the fate of the transactions behind locks and finishes them."""

    def __init__(self, backend: KvBackend) -> None:
        self.backend = backend
        # Row locks are waited for by event on a single node (none in a cluster).
        self.row_locks = backend.storage.row_locks if isinstance(backend, LocalKv) else None

    def resolve(self, locks: Sequence[Lock]) -> bool:
        """True if every lock's transaction was finished; False if one is still alive."""
        done: dict[int, bool] = {}
        for lock in locks:
            if lock.start_ts in done:
                continue
            if lock.kind == WriteKind.PESSIMISTIC:
                done[lock.start_ts] = False  # a row lock lives until its transaction ends
                continue
            status = self.backend.check_txn_status(
                lock.primary, lock.start_ts, self.backend.get_ts()
            )
            if status.state == TxnState.COMMITTED:
                self.backend.resolve_lock(lock.start_ts, status.commit_ts)
                done[lock.start_ts] = True
            elif status.state in (TxnState.ROLLED_BACK, TxnState.NOT_FOUND):
                self.backend.resolve_lock(lock.start_ts, 0)
                done[lock.start_ts] = True
            else:
                done[lock.start_ts] = False
        return all(done.values())

    def retry_locked(self, action: Callable[[], T], wait_s: float) -> T:
        """Run ``action``, resolving locks it meets, waiting up to ``wait_s`` for live ones
        (the running statement's lock_timeout instead, if it has one: past it, 55P03). The
        statement's cancel and statement_timeout are checked between sleeps."""
        control = interrupt.current()
        lock_timeout = control.lock_timeout_s if control is not None else 0.0
        deadline = time.monotonic() + (lock_timeout or wait_s)
        backoff = 0.002
        row_locks = self.row_locks
        with contextlib.ExitStack() as waiting:
            parked = False
            while True:
                generation = row_locks.generation if row_locks is not None else 0
                try:
                    return action()
                except KeyIsLocked as exc:
                    if self.resolve([exc.lock]):
                        continue
                    interrupt.check()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        if lock_timeout:
                            raise interrupt.Interrupted(interrupt.Reason.LOCK_TIMEOUT) from None
                        raise
                    if row_locks is not None and exc.lock.kind == WriteKind.PESSIMISTIC:
                        if not parked:  # held as long as a transaction may: park
                            waiting.enter_context(interrupt.parked())
                            parked = True
                        with interrupt.waiting_for(exc.lock.start_ts):
                            row_locks.wait(exc.lock, 0, generation, min(left, _WAIT_SLICE_S))
                        continue
                    with interrupt.waiting_for(exc.lock.start_ts):
                        time.sleep(min(backoff, left))
                    backoff = min(backoff * 2, 0.05)


class Transaction:
    """A snapshot-isolated transaction: reads at ``start_ts``, writes buffered until commit.

    A READ COMMITTED block moves ``read_ts`` forward for each statement and locks the keys a
    statement wrote when it ends (``lock_statement``): pessimistic row locks, so a second
    writer waits for this transaction instead of one of them failing at commit. Keys so
    locked commit without the write-conflict check against ``start_ts`` (nobody could commit
    to them since the lock was taken after checking for newer commits); every other write
    (a foreign key's claim on its parent) is checked against ``start_ts`` as ever.
    """

    def __init__(self, client: TxnClient, start_ts: int) -> None:
        self._client = client
        self._backend = client.backend
        self._opts = client.options
        # 0 until drawn (``TxnClient.begin(lazy=True)``): the first read takes the timestamp
        # its request drew, a blind write commits with one the store draws, and any other
        # use of ``start_ts`` or ``read_ts`` draws one first.
        self._start_ts = start_ts
        self._read_ts = start_ts  # the snapshot reads see: start_ts but in a READ COMMITTED block
        # The running statement's undo log (key -> its buffered mutation before the
        # statement), while a READ COMMITTED statement runs; see begin_statement.
        self._undo: dict[bytes, Mutation | None] | None = None
        # SELECT ... FOR UPDATE: keys under this prefix the statement read, to lock with its
        # writes (see record_reads).
        self._read_prefix: bytes | None = None
        self._reads: list[bytes] = []
        self._row_locked = False  # holds row locks: released when it ends
        self.commit_ts = 0
        self.state = TxnPhase.ACTIVE
        self._buffer: dict[bytes, Mutation] = {}
        # Writes moved out of memory when the buffer grew past ``spill_keys`` (kv/spill.py);
        # ``_buffer`` shadows them (a key's newer mutation is in the buffer).
        self._spill: SpilledWrites | None = None
        self._savepoints: list[dict[bytes, Mutation]] = []
        self._writes = 0  # for an interrupt check every 256 writes (DML, COPY, index builds)

    # -- reads -------------------------------------------------------------------------------

    @property
    def start_ts(self) -> int:
        if not self._start_ts:
            self._started(self._backend.get_ts())
        return self._start_ts

    @property
    def read_ts(self) -> int:
        if not self._start_ts:
            self._started(self._backend.get_ts())
        return self._read_ts

    @read_ts.setter
    def read_ts(self, ts: int) -> None:
        if not self._start_ts:
            self._started(ts)
        self._read_ts = ts

    def _started(self, ts: int) -> None:
        """A lazy transaction's timestamp, drawn at its first need."""
        self._start_ts = self._read_ts = ts
        if self.state == TxnPhase.ACTIVE:  # an ended one has nothing for the GC to keep
            self._client._started(ts)

    def _check_active(self) -> None:
        if self.state != TxnPhase.ACTIVE:
            raise InvalidArgument(f"transaction is {self.state.value}")

    def _read(self, action: Callable[[], T]) -> T:
        return self._client.resolver.retry_locked(action, self._opts.lock_wait_s)

    def _own(self, key: bytes) -> Mutation | None:
        """This transaction's buffered mutation of ``key``, in memory or spilled."""
        m = self._buffer.get(key)
        if m is None and self._spill is not None:
            m = self._spill.get(key)
        return m

    def wrote(self, key: bytes) -> bool:
        """Whether this transaction has written ``key`` (buffered, not yet committed)."""
        m = self._own(key)
        return m is not None and m.op != Op.LOCK

    def get(self, key: bytes) -> bytes | None:
        self._check_active()
        m = self._own(key)
        if m is not None and m.op != Op.LOCK:
            return None if m.op == Op.DELETE else m.value
        try:
            if self._start_ts:
                value = self._backend.get(key, self._read_ts)
            else:  # a lazy transaction's first read: one request draws its timestamp
                value, ts = self._backend.get_fresh(key)
                self._started(ts)
        except KeyIsLocked:
            nowait.check()  # resolving a lock writes, and may wait for its owner
            value = self._read(lambda: self._backend.get(key, self.read_ts))
        if self._read_prefix is not None and value is not None:
            self._record([key])
        return value

    def _record(self, keys: Iterable[bytes]) -> None:
        prefix = self._read_prefix
        assert prefix is not None
        self._reads.extend(k for k in keys if k.startswith(prefix))

    def batch_get(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        self._check_active()
        out: dict[bytes, bytes] = {}
        remote: list[bytes] = []
        for key in keys:
            m = self._own(key)
            if m is None or m.op == Op.LOCK:
                remote.append(key)
            elif m.op != Op.DELETE:
                out[key] = m.value
        if remote:
            found = self._read(lambda: self._backend.batch_get(remote, self.read_ts))
            if self._read_prefix is not None:
                self._record(found)
            out.update(found)
        return out

    def iter_scan(
        self, start: bytes, end: bytes | None, *, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Live pairs in ``[start, end)`` merged with this transaction's own writes, paged."""
        self._check_active()
        if end is not None and end <= start:
            return
        local = self._own_range(start, end, reverse)
        own = next(local, None)
        remote = self._iter_remote(start, end, reverse)
        nxt = next(remote, None)
        while nxt is not None or own is not None:
            if own is not None and (
                nxt is None or (own.key < nxt[0]) != reverse or own.key == nxt[0]
            ):
                m, key = own, own.key
                own = next(local, None)
                if nxt is not None and nxt[0] == key:
                    nxt = next(remote, None)
                if m.op == Op.LOCK:
                    value = self.get(key)
                    if value is not None:
                        yield key, value
                elif m.op != Op.DELETE:
                    yield key, m.value
            else:
                assert nxt is not None
                yield nxt
                nxt = next(remote, None)

    def iter_values(self, start: bytes, end: bytes | None) -> Iterator[list[bytes]]:
        """The values of ``iter_scan(start, end)`` in batches: a table scan's read. The first
        batch is a page (a LIMIT may need no more), later ones grow to ``value_batch``."""
        self._check_active()
        if end is not None and end <= start:
            return
        backend = self._backend
        if (
            not isinstance(backend, LocalKv)
            or self._spill is not None
            or any(start <= k and (end is None or k < end) for k in self._buffer)
        ):  # own writes to merge, or a remote store: batches of the pairs' scan
            batch: list[bytes] = []
            for _, value in self.iter_scan(start, end):
                batch.append(value)
                if len(batch) >= self._opts.value_batch:
                    yield batch
                    batch = []
            if batch:
                yield batch
            return
        page = self._opts.scan_page
        at: bytes | None = start
        while at is not None:
            interrupt.check()  # a batch at a time: the scan stops when its statement is asked to
            values, at = self._read(
                functools.partial(backend.scan_values, at, end, self.read_ts, page)
            )
            if values:
                yield values
            page = self._opts.value_batch

    def _own_range(self, start: bytes, end: bytes | None, reverse: bool) -> Iterator[Mutation]:
        """This transaction's mutations in ``[start, end)`` in key order (or reversed), as
        they were when the scan began, the in-memory ones shadowing spilled ones."""
        mem = sorted(k for k in self._buffer if k >= start and (end is None or k < end))
        if reverse:
            mem.reverse()
        snapshot = [self._buffer[k] for k in mem]
        if self._spill is None:
            yield from snapshot
            return
        yield from _merge(iter(snapshot), self._spill.scan(start, end, reverse=reverse), reverse)

    def _iter_remote(
        self, start: bytes, end: bytes | None, reverse: bool
    ) -> Iterator[tuple[bytes, bytes]]:
        page = self._opts.scan_page
        lo, hi = start, end
        while True:
            interrupt.check()  # a page at a time: every scan stops when its statement is asked to
            rows = self._read(
                functools.partial(
                    self._backend.scan, lo, hi, self.read_ts, limit=page, reverse=reverse
                )
            )
            if self._read_prefix is not None:
                self._record(k for k, _ in rows)
            yield from rows
            if len(rows) < page:
                return
            if reverse:
                hi = rows[-1][0]
            else:
                lo = rows[-1][0] + b"\x00"

    def scan(
        self,
        start: bytes,
        end: bytes | None,
        *,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        for item in self.iter_scan(start, end, reverse=reverse):
            if limit is not None and len(out) >= limit:
                break
            out.append(item)
        return out

    # -- writes ------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        self._check_active()
        self._writes += 1
        if not self._writes & 255:
            interrupt.check()

    def _remember(self, key: bytes) -> None:
        undo = self._undo
        if undo is not None and key not in undo:
            undo[key] = self._buffer.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self._check_writable()
        if not key:
            raise InvalidArgument("empty key")
        self._remember(key)
        self._buffer[key] = Mutation(Op.PUT, key, bytes(value))
        self._maybe_spill()

    def insert(self, key: bytes, value: bytes) -> None:
        """Put that fails with AlreadyExists if the key has a live value (now or at commit)."""
        self._check_writable()
        prior = self._own(key)
        if prior is not None and prior.op in (Op.PUT, Op.INSERT):
            raise AlreadyExists(key)
        self._remember(key)
        if prior is not None and prior.op == Op.DELETE:
            # Deleted earlier in this transaction: the committed value may exist, so a
            # plain put replaces it.
            self._buffer[key] = Mutation(Op.PUT, key, bytes(value))
            return
        if self.get(key) is not None:
            raise AlreadyExists(key)
        self._buffer[key] = Mutation(Op.INSERT, key, bytes(value))
        self._maybe_spill()

    def insert_many(self, pairs: Sequence[tuple[bytes, bytes]]) -> int:
        """``insert`` of each pair in order, with one batched read for the keys this
        transaction has not written: returns -1 when all were buffered, else the index of the
        first pair whose key is taken (a live value, or an earlier pair), the pairs before it
        buffered and none from it on."""
        self._check_active()
        interrupt.check()
        buffer, own, remember = self._buffer, self._own, self._remember
        unseen = [k for k, _ in pairs if (m := own(k)) is None or m.op == Op.LOCK]
        taken = self.batch_get(unseen).keys() if unseen else set()
        for i, (key, value) in enumerate(pairs):
            prior = own(key)
            if prior is not None and prior.op in (Op.PUT, Op.INSERT):
                return i
            if prior is not None and prior.op == Op.DELETE:
                remember(key)
                buffer[key] = Mutation(Op.PUT, key, value)
            elif key in taken:
                return i
            else:
                remember(key)
                buffer[key] = Mutation(Op.INSERT, key, value)
        self._writes += len(pairs)
        self._maybe_spill()
        return -1

    def put_many(self, pairs: Sequence[tuple[bytes, bytes]]) -> None:
        """``put`` of each pair (keys already checked non-empty by the caller's encoding);
        a batch at a time, the statement's cancel and timeout are checked (as ``put`` does
        every 256 writes)."""
        self._check_active()
        interrupt.check()
        buffer, remember = self._buffer, self._remember
        for key, value in pairs:
            remember(key)
            buffer[key] = Mutation(Op.PUT, key, value)
        self._writes += len(pairs)
        self._maybe_spill()

    def delete(self, key: bytes) -> None:
        self._check_writable()
        if not key:
            raise InvalidArgument("empty key")
        self._remember(key)
        prior = self._own(key)
        if prior is not None and prior.op == Op.INSERT and key in self._buffer:
            del self._buffer[key]  # inserted and deleted in this transaction: nothing to do
            return
        # (A spilled insert is shadowed by a delete instead: the spill is never changed in
        # place, so rolling back to a savepoint restores the buffer alone.)
        self._buffer[key] = Mutation(Op.DELETE, key)
        self._maybe_spill()

    def lock_key(self, key: bytes) -> None:
        """Include ``key`` in the commit without changing it: a claim that the key exists
        (a foreign key's parent), so a transaction deleting it concurrently fails
        (kv/txn/prewrite.py)."""
        self._check_active()
        if self._own(key) is None:
            self._remember(key)
            self._buffer[key] = Mutation(Op.LOCK, key)

    @property
    def write_count(self) -> int:
        """Keys written (a key written again after a spill may count twice)."""
        return len(self._buffer) + (self._spill.count if self._spill is not None else 0)

    def mutations(self) -> list[Mutation]:
        """The buffered writes in key order, as commit will send them."""
        return list(self._ordered())

    def _ordered(self) -> Iterator[Mutation]:
        """``mutations`` one at a time (a spilled transaction's never all in memory)."""
        return self._own_range(b"", None, False)

    def _maybe_spill(self) -> None:
        """Move the buffer to disk once it holds ``spill_keys`` keys, unless a savepoint or a
        READ COMMITTED statement's undo log needs the buffer as it is (rolling back to it, or
        undoing the statement, restores the in-memory part only)."""
        if len(self._buffer) < self._opts.spill_keys or self._savepoints or self._undo is not None:
            return
        if self._spill is None:
            self._spill = SpilledWrites(self._opts.spill_dir)
        self._spill.add(self._buffer.values())
        self._buffer = {}

    def _drop_spill(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    # -- READ COMMITTED statements: row locks ------------------------------------------------

    def begin_statement(self, read_ts: int) -> None:
        """A READ COMMITTED statement starts: it reads at ``read_ts`` and its writes are
        logged, to be locked (``lock_statement``) or undone (``undo_statement``)."""
        self._check_active()
        self.read_ts = read_ts
        self._undo = {}

    def lock_statement(self) -> None:
        """Lock the keys the statement wrote, waiting while another transaction holds one
        (event-driven; lock_timeout, statement_timeout and a cancel end the wait).
        ``WriteConflict``: one has a version newer than ``read_ts``, and the statement must
        run again on a newer snapshot (after ``undo_statement``), holding the keys already;
        ``Deadlock`` (40P01)."""
        undo = self._undo
        if undo is None:
            return
        written = {
            key
            for key in undo
            if (m := self._buffer.get(key)) is not None and m.op in _ROW_LOCKED_OPS
        }
        keys = sorted(written.union(self._reads))
        self._read_prefix, self._reads = None, []
        if keys:
            deleting = {k for k in written if self._buffer[k].op == Op.DELETE}
            newer = self._client.lock_rows(keys, self.start_ts, self.read_ts, deleting)
            self._row_locked = True
            if newer:
                raise WriteConflict(keys[0], self.read_ts, newer)
        self._undo = None

    def record_reads(self, prefix: bytes) -> None:
        """The running statement (SELECT ... FOR UPDATE) also locks the keys under
        ``prefix`` it reads (rows of every table it scans: more than it returns, if a
        filter drops some, which is safe) when ``lock_statement`` locks its writes."""
        self._read_prefix, self._reads = prefix, []

    def undo_statement(self) -> None:
        """Take back every write of the running statement."""
        self._read_prefix, self._reads = None, []
        undo, self._undo = self._undo, None
        for key, prior in (undo or {}).items():
            if prior is None:
                self._buffer.pop(key, None)
            else:
                self._buffer[key] = prior

    def end_statement(self) -> None:
        """The statement failed: its writes stay (a savepoint may take them back) unlocked."""
        self._undo = None
        self._read_prefix, self._reads = None, []

    @property
    def row_locked(self) -> bool:
        """Whether it holds row locks (from writes, or SELECT ... FOR UPDATE)."""
        return self._row_locked

    def release_row_locks(self) -> None:
        """Let other transactions have this one's rows (it will not commit: a failed block)."""
        if self._row_locked:
            self._row_locked = False
            self._client.release_row_locks(self.start_ts)

    # -- savepoints --------------------------------------------------------------------------

    def savepoint(self) -> int:
        self._check_active()
        self._savepoints.append(dict(self._buffer))
        return len(self._savepoints)

    def rollback_to(self, savepoint: int) -> None:
        if not 1 <= savepoint <= len(self._savepoints):
            raise InvalidArgument(f"no savepoint {savepoint}")
        del self._savepoints[savepoint:]
        self._buffer = dict(self._savepoints[savepoint - 1])

    def release(self, savepoint: int) -> None:
        if not 1 <= savepoint <= len(self._savepoints):
            raise InvalidArgument(f"no savepoint {savepoint}")
        del self._savepoints[savepoint - 1 :]

    # -- end ---------------------------------------------------------------------------------

    def rollback(self) -> None:
        if self.state == TxnPhase.ACTIVE:
            self.state = TxnPhase.ROLLED_BACK
            self._buffer.clear()
            self._drop_spill()
            self.release_row_locks()
            self._client._finished(self)

    def commit(self) -> int:
        """Commit and return the commit timestamp (``start_ts`` for a read-only transaction)."""
        self._check_active()
        try:
            if self._spill is not None and next(self._ordered(), None) is not None:
                self.commit_ts = self._two_phase(self.write_count)
            else:
                mutations = self.mutations()
                if not mutations:
                    self.commit_ts = self.start_ts
                elif self._fits_one_pc(mutations):
                    start_ts = self._start_ts  # 0: a blind write, the store draws it
                    self.commit_ts = self._client.resolver.retry_locked(
                        lambda: self._backend.one_pc(mutations, start_ts),
                        self._opts.lock_wait_s,
                    )
                else:
                    self.commit_ts = self._two_phase(len(mutations))
            self.state = TxnPhase.COMMITTED
            return self.commit_ts
        except BaseException:
            self.state = TxnPhase.ROLLED_BACK
            raise
        finally:
            self._drop_spill()
            self.release_row_locks()  # after the commit landed: a waiter sees it
            self._client._finished(self)

    def _fits_one_pc(self, mutations: Sequence[Mutation]) -> bool:
        if len(mutations) > self._opts.one_pc_max_keys:
            return False
        size = sum(len(m.key) + len(m.value) for m in mutations)
        return size <= self._opts.one_pc_max_bytes

    def _batches(self) -> Iterator[list[Mutation]]:
        """The buffered writes in key order, ``batch_keys`` at a time, read afresh per call
        (a spilled transaction's are never all in memory at once)."""
        return _chunks(self._ordered(), self._opts.batch_keys, self._opts.batch_bytes)

    def _two_phase(self, count: int) -> int:
        """Prewrite every batch, commit the primary (the first key), then the secondaries."""
        opts = self._opts
        batches = self._batches
        primary = next(self._ordered()).key
        # Bigger transactions take longer between prewrite and commit: a longer TTL keeps
        # readers from rolling them back while they are still alive.
        ttl = min(opts.max_lock_ttl_ms, opts.lock_ttl_ms + count // 100)
        resolver = self._client.resolver
        deadline = time.monotonic() + ttl / 2000
        sent = 0  # batches whose prewrite was sent (and may have landed)
        try:
            for batch in batches():
                # Until the primary commits, stopping is safe: the prewrites are rolled back.
                interrupt.check()
                sent += 1
                resolver.retry_locked(
                    functools.partial(
                        self._backend.prewrite, batch, primary, self.start_ts, ttl, count
                    ),
                    opts.lock_wait_s,
                )
                if time.monotonic() > deadline:
                    ttl = min(opts.max_lock_ttl_ms, ttl * 2)
                    self._backend.txn_heart_beat(primary, self.start_ts, ttl)
                    deadline = time.monotonic() + ttl / 2000
        except Db9Error:
            self._abandon(sent)
            raise
        commit_ts = self._backend.get_ts()
        try:
            self._backend.commit([primary], self.start_ts, commit_ts)
        except TxnLockNotFound:
            self._abandon(sent)
            raise
        # The transaction is committed; secondaries left locked are committed by readers.
        for batch in batches():
            keys = [m.key for m in batch if m.key != primary]
            if keys:
                try:
                    self._backend.commit(keys, self.start_ts, commit_ts)
                except Db9Error:
                    break
        return commit_ts

    def _abandon(self, sent: int) -> None:
        """Roll back the first ``sent`` batches: those whose prewrite was sent (a batch never
        sent holds no lock, and nothing can prewrite it later). If this fails too, the locks
        expire and are rolled back by whoever meets them."""
        with contextlib.suppress(Db9Error):
            for batch in itertools.islice(self._batches(), sent):
                self._backend.rollback([m.key for m in batch], self.start_ts)


def _chunks(items: Iterator[Mutation], keys: int, nbytes: int) -> Iterator[list[Mutation]]:
    """Runs of at most ``keys`` mutations and about ``nbytes`` bytes (at least one each)."""
    batch: list[Mutation] = []
    size = 0
    for m in items:
        batch.append(m)
        size += len(m.key) + len(m.value)
        if len(batch) == keys or size >= nbytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _merge(mem: Iterator[Mutation], disk: Iterator[Mutation], reverse: bool) -> Iterator[Mutation]:
    """Two key-ordered runs of mutations as one; on equal keys ``mem``'s (the newer) wins."""
    a, b = next(mem, None), next(disk, None)
    while a is not None or b is not None:
        if b is None or (a is not None and (a.key == b.key or (a.key < b.key) != reverse)):
            assert a is not None
            if b is not None and a.key == b.key:
                b = next(disk, None)
            yield a
            a = next(mem, None)
        else:
            yield b
            b = next(disk, None)


_ROW_LOCKED_OPS = (Op.PUT, Op.DELETE, Op.INSERT)


class TxnClient:
    """Hands out transactions and knows the oldest active one (the GC may not pass it)."""

    def __init__(self, backend: KvBackend, options: TxnOptions | None = None) -> None:
        self.backend = backend
        self.options = options or TxnOptions()
        self.resolver = LockResolver(backend)
        self._active: dict[int, int] = {}
        self._mutex = threading.Lock()

    @property
    def row_locks(self) -> bool:
        """Whether transactions can lock rows (a single node; a cluster runs optimistic)."""
        return self.resolver.row_locks is not None

    def lock_rows(
        self,
        keys: Sequence[bytes],
        start_ts: int,
        for_update_ts: int,
        deleting: Collection[bytes] = (),
    ) -> int:
        """Lock ``keys`` for ``start_ts`` (see ``Transaction.lock_statement``); the newest
        commit_ts after ``for_update_ts`` among them (0: none)."""
        backend = self.backend
        assert isinstance(backend, LocalKv), "row locks need the single-node store"
        storage = backend.storage
        row_locks = storage.row_locks
        control = interrupt.current()
        lock_timeout = control.lock_timeout_s if control is not None else 0.0
        now = time.monotonic()
        deadline = now + (lock_timeout or self.options.row_lock_wait_s)
        with contextlib.ExitStack() as waiting:
            parked = False
            while True:
                generation = row_locks.generation
                try:
                    return storage.acquire_pessimistic_lock(
                        keys, keys[0], start_ts, for_update_ts, deleting
                    )
                except KeyIsLocked as exc:
                    nowait.check()  # resolving writes, waiting waits
                    if self.resolver.resolve([exc.lock]):
                        continue  # a finished transaction's store lock, now cleaned up
                    interrupt.check()
                    now = time.monotonic()
                    left = deadline - now
                    if left <= 0:
                        raise interrupt.Interrupted(interrupt.Reason.LOCK_TIMEOUT) from None
                    wait = min(left, _WAIT_SLICE_S)
                    if control is not None and control.deadline is not None:
                        wait = min(wait, max(0.0, control.deadline - now) + 0.001)
                    if not parked:  # the holder may need this statement's slot: park
                        waiting.enter_context(interrupt.parked())
                        parked = True
                    with interrupt.waiting_for(exc.lock.start_ts):
                        row_locks.wait(exc.lock, start_ts, generation, wait)
                    interrupt.check()

    def release_row_locks(self, start_ts: int) -> None:
        if self.resolver.row_locks is not None:
            self.resolver.row_locks.release(start_ts)

    def begin(self, *, start_ts: int | None = None, lazy: bool = False) -> Transaction:
        """A transaction at ``start_ts`` (default: a fresh timestamp). ``lazy``: the
        timestamp is drawn at its first need instead (see ``Transaction``), so a single-key
        read or a blind write costs one request to a remote store instead of two; it is
        as fresh as one drawn here."""
        if lazy and start_ts is None:
            return Transaction(self, 0)
        ts = self.backend.get_ts() if start_ts is None else start_ts
        txn = Transaction(self, ts)
        self._started(ts)
        return txn

    def _started(self, ts: int) -> None:
        with self._mutex:
            self._active[ts] = self._active.get(ts, 0) + 1

    def _finished(self, txn: Transaction) -> None:
        ts = txn._start_ts
        if not ts:  # a lazy transaction that never drew one
            return
        with self._mutex:
            n = self._active.get(ts, 0) - 1
            if n <= 0:
                self._active.pop(ts, None)
            else:
                self._active[ts] = n

    def min_active_ts(self) -> int | None:
        with self._mutex:
            return min(self._active) if self._active else None
