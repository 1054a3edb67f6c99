"""Storage: the single-node store, running the ``kv.commands`` atomically on one engine.

Writes are group-committed, as PostgreSQL flushes its WAL: a writer queues its command; the
first writer to find no group committing becomes the leader, takes the queued commands (up
to ``MAX_GROUP`` of them and ``MAX_GROUP_KEYS`` keys) and runs them one after another in one
engine write transaction (each sees the earlier ones' writes, as in one Raft entry, and runs
under its own writer's ``interrupt`` control), commits and syncs once, then wakes every writer
of the group with its own result or exception. Writers that arrive meanwhile queue for the
next group, so a lone writer commits at once and groups grow only while a commit syncs.

Invariants: a command is all-or-nothing (a command that raises has its batch dropped, the
rest of its group commits without it); no writer returns before the transaction holding its
writes committed; readers see a group whole or not at all (one LMDB transaction); a 1PC's
commit_ts is drawn after its keys are published in ``_inflight`` and readers touching them wait
until its group landed (see ``one_pc``). The commands and their guards are the ones the Raft
state machine runs (``kv/commands.py``). Storage knows nothing of clients, retries or where
timestamps come from.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from kv import commands, interrupt, nowait
from kv.commands import StoreState
from kv.engine.base import Engine, WriteView
from kv.errors import LimitExceeded
from kv.mvcc import keys as K
from kv.mvcc.branches import BranchLink, load_links
from kv.mvcc.reader import MvccReader, mvcc_get
from kv.mvcc.records import Lock, Mutation
from kv.mvcc.writer import MvccWriter
from kv.txn.cleanup import TxnStatus
from kv.txn.gc import GcProgress, RetainPoint
from kv.txn.pessimistic import RowLocks, check_for_update

T = TypeVar("T")
P = ParamSpec("P")
# A group takes at most this many commands, and no more keys than MAX_GROUP_KEYS unless it
# is one command: bounds one write transaction, what a writer waits behind, and the in-flight
# key set a reader checks while the group commits.
MAX_GROUP = 64
MAX_GROUP_KEYS = 4096


class _Request:
    """One queued command and, once ``done``, its outcome."""

    __slots__ = (
        "call",
        "commit_ts",
        "control",
        "done",
        "draw_ts",
        "error",
        "keys",
        "landing",
        "result",
        "size",
    )

    def __init__(
        self,
        call: Callable[[StoreState, MvccReader, MvccWriter], Any],
        size: int,
        keys: frozenset[bytes] | None = None,
        draw_ts: Callable[[], int] | None = None,
    ) -> None:
        self.call = call
        self.size = size  # keys the command may write, for the group's bound
        self.keys = keys  # a 1PC's keys: readers touching them wait while its group commits
        self.draw_ts = draw_ts  # a 1PC's commit_ts source, drawn before its group runs
        self.commit_ts = 0
        self.control = interrupt.current()  # the writer's statement, for its command's checks
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # A prewrite's or 1PC's mutations, landing (RowLocks.committable) until its group is
        # committed.
        self.landing: Sequence[Mutation] | None = None


def _spent(state: StoreState, reader: MvccReader, writer: MvccWriter) -> Any:
    raise AssertionError("a request's command ran after its group committed")


class Storage:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Held by the leader while its group runs and commits (readers of _inflight wait on it).
        self._latch = threading.Lock()
        # Keys of the one-phase commits in the group being written, visible to readers.
        self._inflight: frozenset[bytes] | None = None
        self._queue: collections.deque[_Request] = collections.deque()
        self._cond = threading.Condition(threading.Lock())  # guards _queue and _leading
        self._leading = False
        self._state = StoreState(
            safepoint=commands.load_safepoint(engine.get(commands.SAFEPOINT_KEY)),
            max_key=getattr(engine, "max_key_size", 1 << 30) - 10,
        )
        self._snapshot = engine.snapshot
        # Pessimistic row locks (kv/txn/pessimistic.py): taken without _latch (a lock does
        # not wait for a group's sync) but never on a key a group is committing.
        # command runs between a lock's checks and its taking.
        self.row_locks = RowLocks()
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
            # A 1PC in the group holding the latch may commit below ``ts``: wait until it landed.
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

    def scan_values(
        self, start: bytes, end: bytes | None, ts: int, limit: int
    ) -> tuple[list[bytes], bytes | None]:
        """MvccReader.scan_values in one snapshot."""
        if end is not None and end <= start:
            return [], None
        self._before_read(
            ts, lambda keys: any(start <= k and (end is None or k < end) for k in keys)
        )
        with self.engine.snapshot() as snap:
            return MvccReader(snap, self.links).scan_values(start, end, ts, limit)

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

    @property
    def queued(self) -> int:
        """Commands waiting for the next group (the one committing now excluded)."""
        return len(self._queue)

    def _execute(
        self,
        size: int,
        command: Callable[Concatenate[StoreState, MvccReader, MvccWriter, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``command`` (writing at most about ``size`` keys) in a group commit."""

        def call(state: StoreState, reader: MvccReader, writer: MvccWriter) -> T:
            return command(state, reader, writer, *args, **kwargs)

        result: T = self._submit(_Request(call, size))
        return result

    def _submit(self, req: _Request) -> Any:
        """Queue ``req``, lead groups until it is done or wait for the leader; its outcome."""
        nowait.check()  # every write waits for a commit and its sync
        cond = self._cond
        with cond:
            self._queue.append(req)
        while True:
            with cond:
                while not req.done and self._leading:
                    cond.wait()
                if req.done:
                    break
                self._leading = True
                group = self._take_group()
            try:
                self._commit_group(group)  # raises nothing: the outcomes are in the requests
            finally:
                for r in group:
                    if r.landing is not None:
                        self.row_locks.landed(r.landing)
                        r.landing = ()
                    # A command's closure may refer to its request: a cycle that only the
                    # cyclic GC frees, which must not keep a bulk load's batches alive.
                    r.call = _spent
                with cond:
                    for r in group:
                        r.done = True
                    self._leading = False
                    cond.notify_all()
                self.row_locks.bump()  # a lock someone waits for may be gone
        if req.error is not None:
            raise req.error
        return req.result

    def _take_group(self) -> list[_Request]:
        queue = self._queue
        group = [queue.popleft()]
        size = group[0].size
        while queue and len(group) < MAX_GROUP and size + queue[0].size <= MAX_GROUP_KEYS:
            size += queue[0].size
            group.append(queue.popleft())
        return group

    def _commit_group(self, group: list[_Request]) -> None:
        """Run ``group``'s commands in one write transaction, commit it, adopt the state.

        Every request leaves with a result or an error: its own if its command failed, the
        transaction's if the commit failed (then nothing of the group landed).
        """
        with self._latch:
            one_pc_keys = [r.keys for r in group if r.keys is not None]
            if one_pc_keys:
                self._inflight = frozenset().union(*one_pc_keys)
            try:
                # After _inflight is published, in group order (the order they commit in).
                for r in group:
                    if r.draw_ts is not None:
                        try:
                            r.commit_ts = r.draw_ts()
                        except Exception as exc:
                            r.error = exc
                todo = [r for r in group if r.error is None]
                if not todo:
                    return
                state, links = self.engine.transact(lambda view: self._run(view, todo))
            except BaseException as exc:  # handed to the group's writers, the leader's too
                for r in group:
                    if r.error is None:
                        r.error = exc
                return
            finally:
                self._inflight = None
            self._state = state
            if links is not None:
                self.links = links

    def _run(
        self, view: WriteView, group: list[_Request]
    ) -> tuple[StoreState, dict[bytes, BranchLink] | None]:
        """Each command on the state and writes the earlier ones left; a command that raises
        has its batch dropped. May run again from the start (see ``Engine.transact``)."""
        state = self._state
        links = self.links
        changed: dict[bytes, BranchLink] | None = None
        for r in group:
            trial = dataclasses.replace(state, links_changed=False)
            writer = MvccWriter()
            r.error = None
            try:
                with interrupt.running(r.control):
                    r.result = r.call(trial, MvccReader(view, links), writer)
            except Exception as exc:  # the command's own failure: its batch is dropped
                r.error = exc
                continue
            try:
                view.apply(writer.batch)
            except LimitExceeded as exc:  # raised before any op of the batch is written
                r.error = exc
                continue
            if trial.links_changed:
                trial.links_changed = False
                links = changed = load_links(MvccReader(view))
            state = trial
        return state, changed

    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None:
        def call(state: StoreState, reader: MvccReader, writer: MvccWriter) -> None:
            locked = self._committable(req, mutations, start_ts)
            commands.prewrite(
                state, reader, writer, mutations, primary, start_ts, lock_ttl_ms, txn_size, locked
            )

        req = _Request(call, len(mutations))
        self._submit(req)

    def _committable(
        self, req: _Request, mutations: Sequence[Mutation], start_ts: int
    ) -> frozenset[bytes]:
        """The keys ``start_ts`` holds row locks on (see ``RowLocks.committable``); the keys
        count as landing until ``req``'s group committed (once: a command may run again,
        see ``Engine.transact``)."""
        locked = self.row_locks.committable(mutations, start_ts, count=req.landing is None)
        req.landing = mutations
        return locked

    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None:
        self._execute(len(keys), commands.commit, keys, start_ts, commit_ts)

    def one_pc(
        self, mutations: Sequence[Mutation], start_ts: int, next_commit_ts: Callable[[], int]
    ) -> int:
        """Commit in one batch, with a commit_ts drawn from ``next_commit_ts`` by the leader.

        No lock is written, so a reader that got a timestamp after our commit_ts could read
        the key before the group lands and again after: a non-repeatable read. The keys are
        therefore published in ``_inflight`` before the commit_ts is drawn, and readers that
        touch them wait for the latch (see ``_before_read``). The commit_ts is drawn before
        the group runs (the oracle may write to the engine, which the group's transaction
        holds), so a 1PC that then fails its checks leaves an unused timestamp behind.
        """

        def call(state: StoreState, reader: MvccReader, writer: MvccWriter) -> int:
            locked = self._committable(req, mutations, start_ts)
            return commands.one_pc(
                state, reader, writer, mutations, start_ts, lambda: req.commit_ts, locked
            )

        req = _Request(
            call,
            len(mutations),
            keys=frozenset(m.key for m in mutations),
            draw_ts=next_commit_ts,
        )
        commit_ts: int = self._submit(req)
        return commit_ts

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None:
        self._execute(len(keys), commands.rollback, keys, start_ts)

    # -- pessimistic row locks -------------------------------------------------------------

    def acquire_pessimistic_lock(
        self,
        keys: Sequence[bytes],
        primary: bytes,
        start_ts: int,
        for_update_ts: int,
        deleting: Collection[bytes] = (),
    ) -> int:
        """Lock ``keys`` for transaction ``start_ts``, all or none: ``KeyIsLocked`` if another
        transaction holds one (in memory or in the store). Returns the newest commit_ts after
        ``for_update_ts`` among them, 0 if none (see ``check_for_update``). ``deleting``: the
        keys it deletes (a foreign key's claim on them must wait)."""
        commands.check_snapshot(for_update_ts, self._state.safepoint)

        row_locks = self.row_locks

        def newer(reader: MvccReader) -> int:
            return max(check_for_update(reader, k, start_ts, for_update_ts) for k in keys)

        while True:
            seq = row_locks.landed_seq  # before the snapshot: see RowLocks.acquire
            with self.engine.snapshot() as snap:
                found = row_locks.acquire(
                    keys,
                    primary,
                    start_ts,
                    deleting,
                    functools.partial(newer, MvccReader(snap, self.links)),
                    seq,
                )
            if found is not None:
                return found
            if row_locks.landing(keys):
                nowait.check()  # a commit of one of the keys is landing: wait for its group
                with self._latch:
                    pass

    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus:
        return self._execute(
            1,
            commands.check_txn_status,
            primary,
            lock_ts,
            current_ts,
            rollback_if_not_exist=rollback_if_not_exist,
        )

    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int:
        return self._execute(1, commands.txn_heart_beat, primary, start_ts, ttl_ms)

    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int:
        size = commands.CHUNK_KEYS if keys is None else len(keys)
        return self._execute(size, commands.resolve_lock, start_ts, commit_ts, keys)

    # -- branches ----------------------------------------------------------------------------

    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None:
        """Make ``child`` a copy-on-write branch of ``parent`` as of ``fork_ts``."""
        self._execute(1, commands.set_branch, child, parent, fork_ts)

    def reset_branch(self, child: bytes, fork_ts: int) -> None:
        """Drop a branch's own data and re-fork it from its parent at ``fork_ts``."""
        commands.reset_branch(
            self.links,
            child,
            lambda: self._execute(
                commands.CHUNK_KEYS, commands.drop_prefix_chunk, child, keep_link=True
            ),
            lambda link: self._execute(
                1, commands.set_branch, child, link.parent, fork_ts, replace=True
            ),
        )

    def drop_prefix(self, prefix: bytes, *, chunk_keys: int = commands.CHUNK_KEYS) -> int:
        """Delete every version, lock and branch link under ``prefix`` (a dropped database);
        refused while another branch reads through it."""
        return commands.drop_prefix(
            lambda: self._execute(chunk_keys, commands.drop_prefix_chunk, prefix, chunk_keys)
        )

    # -- garbage collection ------------------------------------------------------------------

    def gc(
        self,
        safepoint: int,
        retain: Sequence[RetainPoint] = (),
        *,
        full: bool = False,
        chunk_keys: int = commands.GC_PLAN_KEYS,
    ) -> GcProgress:
        """Raise the safepoint (never lower it) and delete versions no reader can need: of
        the keys written since the last pass, or with ``full`` of every key. Planned on read
        snapshots; only the deletions are write commands (``commands.gc_pass``)."""
        return commands.gc_pass(
            lambda: self._execute(1, commands.raise_safepoint, safepoint),
            self._gc_snapshot,
            lambda batch: self._execute(batch.size(), commands.gc_delete, batch),
            retain,
            full=full,
            chunk_keys=chunk_keys,
        )

    @contextlib.contextmanager
    def _gc_snapshot(self) -> Iterator[MvccReader]:
        with self.engine.snapshot() as snap:
            yield MvccReader(snap, self.links)
