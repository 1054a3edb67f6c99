"""Storage: the single-node store, running the ``kv.commands`` atomically on one engine.

Write commands run one at a time under a latch (LMDB has a single writer anyway): each reads
through a fresh snapshot, collects its writes in one batch and applies it, so a command is
all-or-nothing. Reads take no latch. The commands and their guards are the ones the Raft state
machine runs (``kv/commands.py``); Storage adds the latch, the in-flight 1PC rule for readers
and the state it keeps in memory. It knows nothing of clients, retries or timestamps' origin.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Concatenate, ParamSpec, TypeVar

from kv import commands, nowait
from kv.commands import StoreState
from kv.engine.base import Engine
from kv.mvcc import keys as K
from kv.mvcc.branches import BranchLink, load_links
from kv.mvcc.reader import MvccReader, mvcc_get
from kv.mvcc.records import Lock, Mutation
from kv.mvcc.writer import MvccWriter
from kv.txn.cleanup import TxnStatus
from kv.txn.gc import GcProgress, RetainPoint

T = TypeVar("T")
P = ParamSpec("P")


class Storage:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._latch = threading.Lock()
        # Keys of the one-phase commit being written, visible to readers (see one_pc).
        self._inflight: frozenset[bytes] | None = None
        self._state = StoreState(
            safepoint=commands.load_safepoint(engine.get(commands.SAFEPOINT_KEY)),
            max_key=getattr(engine, "max_key_size", 1 << 30) - 10,
        )
        self._snapshot = engine.snapshot
        with engine.snapshot() as snap:
            self.links: dict[bytes, BranchLink] = load_links(MvccReader(snap))

    # -- reads -------------------------------------------------------------------------------

    @property
    def safepoint(self) -> int:
        return self._state.safepoint

    def _before_read(self, ts: int, touches: Callable[[frozenset[bytes]], bool]) -> None:
        commands.check_snapshot(ts, self._state.safepoint)
        inflight = self._inflight
        if inflight is not None and touches(inflight):
            # The 1PC holding the latch may commit below ``ts``; wait until its batch landed.
            nowait.check()
            with self._latch:
                pass

    def get(self, key: bytes, ts: int) -> bytes | None:
        if ts < self._state.safepoint or self._inflight is not None:  # the rare cases, out of line
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

    def _execute(
        self,
        command: Callable[Concatenate[StoreState, MvccReader, MvccWriter, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        nowait.check()  # every write takes the latch and syncs
        with self._latch:
            return self._execute_latched(command, *args, **kwargs)

    def _execute_latched(
        self,
        command: Callable[Concatenate[StoreState, MvccReader, MvccWriter, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run one ``kv.commands`` command on a fresh snapshot and apply its writes in one
        batch; its changes to the store's state are kept only once the batch landed."""
        state = dataclasses.replace(self._state, links_changed=False)
        writer = MvccWriter()
        with self.engine.snapshot() as snap:
            result = command(state, MvccReader(snap, self.links), writer, *args, **kwargs)
        # The snapshot is closed first: a write may need to grow the map.
        self.engine.write_batch(writer.batch)
        if state.links_changed:
            state.links_changed = False
            with self.engine.snapshot() as snap:
                self.links = load_links(MvccReader(snap))
        self._state = state
        return result

    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None:
        self._execute(commands.prewrite, mutations, primary, start_ts, lock_ttl_ms, txn_size)

    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None:
        self._execute(commands.commit, keys, start_ts, commit_ts)

    def one_pc(
        self, mutations: Sequence[Mutation], start_ts: int, next_commit_ts: Callable[[], int]
    ) -> int:
        """Commit in one batch, with a commit_ts drawn from ``next_commit_ts`` under the latch.

        No lock is written, so a reader that got a timestamp after our commit_ts could read
        the key before the batch lands and again after: a non-repeatable read. The keys are
        therefore published in ``_inflight`` before the commit_ts is drawn, and readers that
        touch them wait for the latch (see ``_before_read``).
        """
        nowait.check()
        with self._latch:
            self._inflight = frozenset(m.key for m in mutations)
            try:
                return self._execute_latched(commands.one_pc, mutations, start_ts, next_commit_ts)
            finally:
                self._inflight = None

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None:
        self._execute(commands.rollback, keys, start_ts)

    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus:
        return self._execute(
            commands.check_txn_status,
            primary,
            lock_ts,
            current_ts,
            rollback_if_not_exist=rollback_if_not_exist,
        )

    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int:
        return self._execute(commands.txn_heart_beat, primary, start_ts, ttl_ms)

    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int:
        return self._execute(commands.resolve_lock, start_ts, commit_ts, keys)

    # -- branches ----------------------------------------------------------------------------

    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None:
        """Make ``child`` a copy-on-write branch of ``parent`` as of ``fork_ts``."""
        self._execute(commands.set_branch, child, parent, fork_ts)

    def reset_branch(self, child: bytes, fork_ts: int) -> None:
        """Drop a branch's own data and re-fork it from its parent at ``fork_ts``."""
        commands.reset_branch(
            self.links,
            child,
            lambda: self._execute(commands.drop_prefix_chunk, child, keep_link=True),
            lambda link: self._execute(
                commands.set_branch, child, link.parent, fork_ts, replace=True
            ),
        )

    def drop_prefix(self, prefix: bytes, *, chunk_keys: int = commands.CHUNK_KEYS) -> int:
        """Delete every version, lock and branch link under ``prefix`` (a dropped database);
        refused while another branch reads through it."""
        return commands.drop_prefix(
            lambda: self._execute(commands.drop_prefix_chunk, prefix, chunk_keys)
        )

    # -- garbage collection ------------------------------------------------------------------

    def gc(
        self,
        safepoint: int,
        retain: Sequence[RetainPoint] = (),
        *,
        chunk_keys: int = commands.CHUNK_KEYS,
    ) -> GcProgress:
        """Raise the safepoint (never lower it) and delete versions no reader can need."""
        return commands.gc_pass(
            lambda: self._execute(commands.raise_safepoint, safepoint),
            lambda start: self._execute(commands.gc_chunk, safepoint, retain, start, chunk_keys),
        )
