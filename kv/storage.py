"""Storage: the KV service's server side, running MVCC commands atomically on one engine.

Write commands run one at a time under a latch (LMDB has a single writer anyway): each reads
through a fresh snapshot, collects its writes in one batch and applies it, so a command is
all-or-nothing. Reads take no latch. This is the object a Raft state machine or the gRPC
service calls; it knows nothing of clients, retries or timestamps' origin.
"""

from __future__ import annotations

import functools
import struct
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from kv import interrupt, nowait
from kv.engine.base import Engine, WriteBatch
from kv.errors import InvalidArgument, LimitExceeded, SnapshotTooOld
from kv.mvcc import branches
from kv.mvcc import keys as K
from kv.mvcc.branches import BranchLink, load_links
from kv.mvcc.reader import MvccReader, mvcc_get
from kv.mvcc.records import Lock, Mutation
from kv.mvcc.writer import MvccWriter
from kv.txn import cleanup, commit, gc, prewrite
from kv.txn.cleanup import TxnStatus
from kv.txn.gc import GcProgress, RetainPoint

T = TypeVar("T")

MAX_VALUE_BYTES = 64 << 20
_SAFEPOINT = "gc_safepoint"
_U64 = struct.Struct(">Q")


SAFEPOINT_KEY = K.meta_key(_SAFEPOINT)


def check_sizes(mutations: Sequence[Mutation], max_key: int) -> None:
    """Refuse keys the engine cannot hold (``max_key`` less the MVCC suffix) and huge values."""
    for m in mutations:
        if len(m.key) * 2 + 2 > max_key and len(K.enc(m.key)) > max_key:
            raise LimitExceeded(f"key of {len(m.key)} bytes is too long")
        if len(m.value) > MAX_VALUE_BYTES:
            raise LimitExceeded(f"value of {len(m.value)} bytes exceeds {MAX_VALUE_BYTES}")


class Storage:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._latch = threading.Lock()
        # Keys of the one-phase commit being written, visible to readers (see one_pc).
        self._inflight: frozenset[bytes] | None = None
        raw = engine.get(K.meta_key(_SAFEPOINT))
        self._safepoint = _U64.unpack(raw)[0] if raw else 0
        self._snapshot = engine.snapshot
        self._max_key = getattr(engine, "max_key_size", 1 << 30) - 10
        with engine.snapshot() as snap:
            self.links: dict[bytes, BranchLink] = load_links(MvccReader(snap))

    # -- reads -------------------------------------------------------------------------------

    @property
    def safepoint(self) -> int:
        return self._safepoint

    def _before_read(self, ts: int, touches: Callable[[frozenset[bytes]], bool]) -> None:
        if ts < self._safepoint:
            raise SnapshotTooOld(ts, self._safepoint)
        inflight = self._inflight
        if inflight is not None and touches(inflight):
            # The 1PC holding the latch may commit below ``ts``; wait until its batch landed.
            nowait.check()
            with self._latch:
                pass

    def get(self, key: bytes, ts: int) -> bytes | None:
        if ts < self._safepoint or self._inflight is not None:  # the rare cases, out of line
            self._before_read(ts, lambda keys: key in keys)
        snap = self._snapshot()
        try:
            if self.links and key[: K.PREFIX_LEN] in self.links:
                return MvccReader(snap, self.links).get(key, ts)
            return mvcc_get(snap, key, ts)
        finally:
            snap.close()

    def batch_get(self, keys: Sequence[bytes], ts: int) -> dict[bytes, bytes]:
        self._before_read(ts, lambda inflight: not inflight.isdisjoint(keys))
        with self.engine.snapshot() as snap:
            return MvccReader(snap, self.links).get_many(keys, ts)

    def scan(
        self,
        start: bytes,
        end: bytes | None,
        ts: int,
        *,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[bytes, bytes]]:
        if end is not None and end <= start:
            return []  # an empty range, as a planner may produce for x > 5 AND x < 3
        self._before_read(
            ts, lambda keys: any(start <= k and (end is None or k < end) for k in keys)
        )
        with self.engine.snapshot() as snap:
            return MvccReader(snap, self.links).scan(start, end, ts, limit=limit, reverse=reverse)

    def scan_locks(
        self,
        max_ts: int,
        start: bytes = b"",
        end: bytes | None = None,
        limit: int | None = None,
    ) -> list[Lock]:
        with self.engine.snapshot() as snap:
            return MvccReader(snap).scan_locks(start, end, max_ts=max_ts, limit=limit)

    # -- writes ------------------------------------------------------------------------------

    def _execute(self, command: Callable[[MvccReader, MvccWriter], T]) -> T:
        nowait.check()  # every write takes the latch and syncs
        with self._latch:
            return self._execute_latched(command)

    def _execute_latched(self, command: Callable[[MvccReader, MvccWriter], T]) -> T:
        writer = MvccWriter()
        with self.engine.snapshot() as snap:
            result = command(MvccReader(snap, self.links), writer)
        # The snapshot is closed first: a write may need to grow the map.
        self.engine.write_batch(writer.batch)
        return result

    def _check_sizes(self, mutations: Sequence[Mutation]) -> None:
        check_sizes(mutations, self._max_key)

    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None:
        self._check_sizes(mutations)
        self._execute(
            lambda r, w: prewrite.prewrite(
                r, w, mutations, primary, start_ts, lock_ttl_ms, txn_size
            )
        )

    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None:
        self._execute(lambda r, w: commit.commit(r, w, keys, start_ts, commit_ts))

    def one_pc(
        self, mutations: Sequence[Mutation], start_ts: int, next_commit_ts: Callable[[], int]
    ) -> int:
        """Commit in one batch, with a commit_ts drawn from ``next_commit_ts`` under the latch.

        No lock is written, so a reader that got a timestamp after our commit_ts could read
        the key before the batch lands and again after: a non-repeatable read. The keys are
        therefore published in ``_inflight`` before the commit_ts is drawn, and readers that
        touch them wait for the latch (see ``_before_read``).
        """
        self._check_sizes(mutations)
        nowait.check()
        with self._latch:
            self._inflight = frozenset(m.key for m in mutations)
            try:
                return self._execute_latched(
                    lambda r, w: commit.one_pc(r, w, mutations, start_ts, next_commit_ts)
                )
            finally:
                self._inflight = None

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None:
        self._execute(lambda r, w: cleanup.rollback(r, w, keys, start_ts))

    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus:
        return self._execute(
            lambda r, w: cleanup.check_txn_status(
                r, w, primary, lock_ts, current_ts, rollback_if_not_exist=rollback_if_not_exist
            )
        )

    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int:
        return self._execute(lambda r, w: cleanup.txn_heart_beat(r, w, primary, start_ts, ttl_ms))

    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int:
        return self._execute(lambda r, w: cleanup.resolve_lock(r, w, start_ts, commit_ts, keys))

    # -- branches ----------------------------------------------------------------------------

    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None:
        """Make ``child`` a copy-on-write branch of ``parent`` as of ``fork_ts``."""
        with self._latch:
            link = self._execute_latched(
                lambda r, w: branches.set_branch(r, w, child, parent, fork_ts, self._safepoint)
            )
            self.links = {**self.links, child: link}

    def reset_branch(self, child: bytes, fork_ts: int) -> None:
        """Drop a branch's own data and re-fork it from its parent at ``fork_ts``."""
        link = self.links.get(child)
        if link is None:
            raise InvalidArgument(f"prefix {child!r} is not a branch")
        self.drop_prefix(child, keep_link=True)
        with self._latch:
            new = self._execute_latched(
                lambda r, w: branches.set_branch(
                    r, w, child, link.parent, fork_ts, self._safepoint, replace=True
                )
            )
            self.links = {**self.links, child: new}

    def drop_prefix(self, prefix: bytes, *, chunk_keys: int = 1000, keep_link: bool = False) -> int:
        """Delete every version, lock and branch link under ``prefix`` (a dropped database);
        refused while another branch reads through it."""
        removed = 0
        while True:
            with self._latch:
                n, done = self._execute_latched(
                    lambda r, w: branches.drop_prefix_chunk(
                        r, w, prefix, chunk_keys, keep_link=keep_link
                    )
                )
                removed += n
                if done:
                    if not keep_link:
                        self.links = {k: v for k, v in self.links.items() if k != prefix}
                    return removed

    # -- garbage collection ------------------------------------------------------------------

    def gc(
        self, safepoint: int, retain: Sequence[RetainPoint] = (), *, chunk_keys: int = 1000
    ) -> GcProgress:
        """Raise the safepoint (never lower it) and delete versions no reader can need."""
        with self._latch:
            if safepoint < self._safepoint:
                raise InvalidArgument(
                    f"GC safepoint {safepoint} is below the current {self._safepoint}"
                )
            batch = WriteBatch()
            batch.put(K.meta_key(_SAFEPOINT), _U64.pack(safepoint))
            self.engine.write_batch(batch)
            self._safepoint = safepoint
        total = GcProgress()
        start = b""
        while True:
            interrupt.check()  # stopping between chunks is safe: the next pass starts over
            with self._latch:
                step = self._execute_latched(
                    functools.partial(
                        gc.gc_chunk,
                        safepoint=safepoint,
                        retain=retain,
                        start_key_enc=start,
                        max_keys=chunk_keys,
                    )
                )
            total.keys_scanned += step.keys_scanned
            total.versions_deleted += step.versions_deleted
            if step.next_key_enc is None:
                return total
            start = step.next_key_enc
