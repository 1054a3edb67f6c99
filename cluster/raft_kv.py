"""RaftKv: the ``KvBackend`` of a cluster node, over the replicated store.

Writes are Raft commands (see ``state_machine``); timestamps and reads take no log entry:

- Timestamps come from the leader's memory (``cluster.tso``) under its lease
  (``cluster.lease``); a follower fetches them from the leader over gRPC, concurrent
  requests batched into one call.
- The leader serves a read at ``ts`` from its own LMDB while it holds the lease, once every
  one-phase commit it drew below ``ts`` has been applied (its in-memory lock table). That is
  complete: a two-phase commit's locks were applied on the leader before its commit_ts was
  drawn, so a reader above it meets the lock or the commit.
- A follower serves a read at ``ts`` once it has applied the leader's read index for ``ts``
  (ReadIndex: the leader's applied index after the checks above), which the timestamp
  answer usually carries already; then every read at or below ``ts`` is served locally
  (``_safe_ts``) and a point read runs on the event loop, as on a single node.
- One-phase commits take their commit_ts from the leader's oracle when the leader proposes
  them (a follower forwards them to the leader): one Raft entry per autocommit write.

Commands that fail because of an election are retried until ``retry_s`` runs out: each
command is idempotent (prewrite, commit, rollback and lock resolution by start_ts; a
one-phase commit detects its own earlier application).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from cluster.batching import FutureBatcher, TsoBatcher, slices
from cluster.convert import (
    OutcomeUnknown,
    Unavailable,
    gc_batch_to_pb,
    mutations_to_pb,
    retain_to_pb,
)
from cluster.leader_link import LeaderLink
from cluster.proposer import Proposer
from cluster.proto import db9kv_pb2 as pb
from cluster.state_machine import KvStateMachine
from cluster.tso import LeaderTso, ReadSpan
from kv import commands, interrupt, nowait
from kv.clock import wall_ms
from kv.commands import check_sizes
from kv.errors import Db9Error, DiskFull
from kv.mvcc import keys as K
from kv.mvcc.branches import BranchLink
from kv.mvcc.reader import MvccReader, mvcc_get
from kv.mvcc.records import Lock, Mutation
from kv.timestamp import compose
from kv.txn.cleanup import TxnStatus
from kv.txn.gc import GcProgress, RetainPoint

# A deliberately broken build for the fault tests: a node takes timestamps from its own
# clock instead of the leader's oracle, and serves reads without any barrier (no lease,
# no read index). The Jepsen checkers must catch it.
UNSAFE_READS = os.environ.get("DB9_UNSAFE_FOLLOWER_READS") == "1"
T = TypeVar("T")


class RaftKv:
    inline_reads = True  # a read that would wait raises kv.nowait.WouldBlock instead

    def __init__(
        self,
        machine: KvStateMachine,
        proposer: Proposer,
        *,
        retry_s: float = 10.0,
        read_wait_s: float = 5.0,
    ) -> None:
        self.machine = machine
        self.proposer = proposer
        self.engine = machine.engine
        self.retry_s = retry_s
        self.read_wait_s = read_wait_s
        self._max_key = self.engine.max_key_size - 10
        self._unsafe_lock = threading.Lock()
        self._unsafe_last = 0
        self._stale_ts: set[int] = set()  # timestamps handed out while the disk was full
        self.tso = LeaderTso(machine, self._propose_window)
        self.leader = LeaderLink(machine)
        self._batcher = TsoBatcher(self._fetch_ts)
        # A follower's statements on the event loop wait for timestamps on futures: their
        # requests travel in batches, each call made by one of two threads.
        self._prefetcher: FutureBatcher[int, tuple[int, int]] = FutureBatcher(self._send_ts)
        self._ts_calls = ThreadPoolExecutor(2, thread_name_prefix="ts-prefetch")
        self._safe_ts = 0  # reads at or below it are served here without asking the leader
        self._hints: list[tuple[int, int]] = []  # (ts, read index) from timestamp answers

    def close(self) -> None:
        self.tso.stop()
        self._ts_calls.shutdown(wait=False, cancel_futures=True)
        self.leader.close()

    # -- commands ---------------------------------------------------------------------------

    def _retrying(self, fn: Callable[[], T], *, writes: bool = True) -> T:
        """Run ``fn`` until it neither raises Unavailable nor OutcomeUnknown, or ``retry_s``
        runs out (then OutcomeUnknown if any attempt may have been applied)."""
        deadline = time.monotonic() + self.retry_s
        backoff = 0.02
        unknown = False
        while True:
            try:
                return fn()
            except DiskFull:
                if unknown:  # an earlier attempt may have been logged before the disk filled
                    raise OutcomeUnknown(
                        "this node's disk filled while the command was in flight; it may or "
                        "may not have been applied"
                    ) from None
                raise
            except (Unavailable, OutcomeUnknown) as exc:
                unknown = unknown or (writes and isinstance(exc, OutcomeUnknown))
                if time.monotonic() + backoff >= deadline:
                    if unknown:
                        raise OutcomeUnknown(
                            "the cluster did not confirm the command in time; it may or may "
                            "not have been applied"
                        ) from None
                    raise Unavailable(f"no Raft leader is reachable ({exc})") from None
                if not unknown:  # a cancel must not hide a command that may have been applied
                    interrupt.check()
                nowait.check()
                time.sleep(backoff)  # an election takes ~1 s: back off, then try again
                backoff = min(backoff * 2, 0.1)

    def _propose(self, command: pb.Command) -> Any:
        deadline = time.monotonic() + self.retry_s
        return self._retrying(
            lambda: self.proposer.submit(command, max(deadline - time.monotonic(), 0.5))
        )

    def _propose_window(self, floor: int, window_ms: int) -> tuple[int, int]:
        req = pb.TsoWindowRequest(floor=floor, window_ms=window_ms)
        start, limit = self.proposer.submit(pb.Command(tso_window=req), self.retry_s)
        return int(start), int(limit)

    # -- timestamps -------------------------------------------------------------------------

    def fetch_ts(self, count: int = 1) -> tuple[int, int]:
        """``count`` timestamps and a read index for them (0: none); see the module doc."""
        if self._leading():
            ts, clear = self.tso.get_ts_and_clear(count)
            return ts, (self.machine.applied_index if clear else 0)
        if nowait.active():  # a call to the leader: on an event loop, only if prepared
            ready = nowait.take_prepared() if count == 1 else None
            if ready is None:
                raise nowait.WouldBlock(self._prefetch_ts)
            ts, index = ready
        else:
            ts, index = self._batcher.get_ts(count)
        if index:
            self._note_hint(ts + count - 1, index)
        return ts, index

    def begin_prepare(self) -> Callable[[], Future[tuple[int, int]]] | None:
        """A follower's next timestamp comes from its leader: fetched off the loop."""
        if UNSAFE_READS or self._leading() or self.disk_full():
            return None
        return self._prefetch_ts

    def get_ts_with_index(self, count: int = 1) -> tuple[int, int]:
        """For the Tso RPC: timestamps and their read index, retried through elections."""
        return self._retrying(lambda: self.fetch_ts(count), writes=False)

    def _prefetch_ts(self) -> Future[tuple[int, int]]:
        """A timestamp (and read index) fetched without blocking, for ``nowait.prepared``:
        drawn after the statement that asked for it arrived, so it is as fresh as one
        drawn inside it. Concurrent requests share a call; no thread waits for it."""
        return self._prefetcher.request(1)

    def _send_ts(
        self, counts: Sequence[int], reply: Callable[[Sequence[tuple[int, int]] | Exception], None]
    ) -> None:
        def call() -> None:
            try:
                got: Sequence[tuple[int, int]] | Exception = slices(
                    counts, *self._batcher.get_ts(sum(counts))
                )
            except Exception as exc:
                got = exc
            reply(got)

        self._ts_calls.submit(call)

    def _fetch_ts(self, count: int) -> tuple[int, int]:
        return self.leader.tso(count)

    def get_ts(self, count: int = 1) -> int:
        if UNSAFE_READS:
            with self._unsafe_lock:
                ts = max(
                    compose(wall_ms()),
                    self.machine.tso_last + 1,
                    self._unsafe_last + 1,
                )
                self._unsafe_last = ts + count - 1
                return ts
        ts = self._retrying(lambda: self.fetch_ts(count)[0], writes=False)
        if self.disk_full():
            self._read_only_from(ts, count)
        return ts

    # -- disk full --------------------------------------------------------------------------

    def disk_full(self) -> str:
        """Why this node's disk is full; empty while it is not."""
        guard = self.machine.disk
        return guard.reason if guard is not None else ""

    def _read_only_from(self, ts: int, count: int) -> None:
        """Timestamps drawn while this node's disk is full start transactions that may only
        read (``_check_not_stale``): the node takes no writes until space returns."""
        with self._unsafe_lock:
            self._stale_ts.update(range(ts, ts + count))

    def _check_not_stale(self, start_ts: int) -> None:
        if start_ts in self._stale_ts:
            raise DiskFull(
                "this transaction began while this node's disk was full: it can only read"
            )

    def prewrite(
        self,
        mutations: Sequence[Mutation],
        primary: bytes,
        start_ts: int,
        lock_ttl_ms: int,
        txn_size: int = 0,
    ) -> None:
        check_sizes(mutations, self._max_key)
        self._check_not_stale(start_ts)
        self._propose(
            pb.Command(
                prewrite=pb.PrewriteRequest(
                    mutations=mutations_to_pb(mutations),
                    primary=primary,
                    start_ts=start_ts,
                    lock_ttl_ms=lock_ttl_ms,
                    txn_size=txn_size,
                )
            )
        )

    def commit(self, keys: Sequence[bytes], start_ts: int, commit_ts: int) -> None:
        self._propose(
            pb.Command(
                commit=pb.CommitRequest(keys=list(keys), start_ts=start_ts, commit_ts=commit_ts)
            )
        )

    def one_pc(self, mutations: Sequence[Mutation], start_ts: int) -> int:
        check_sizes(mutations, self._max_key)
        self._check_not_stale(start_ts)
        nowait.check()
        if not start_ts:  # a blind write: drawn once, so every attempt below is one commit
            start_ts = self.get_ts()

        def attempt() -> int:
            if self._leading():
                (result,) = self.one_pc_here([(mutations, start_ts)])
                if isinstance(result, Db9Error):
                    raise result
                return result
            return self.leader.one_pc(mutations, start_ts)

        return self._retrying(attempt)

    def one_pc_many(
        self, batch: Sequence[tuple[Sequence[Mutation], int]]
    ) -> list[tuple[int, int | Db9Error]]:
        """Independent one-phase commits (a KvOnePcBatch request), proposed together: each
        one's start_ts (a 0 is drawn here first) and its commit_ts or error. A follower
        forwards the batch to the leader. An item that fails Unavailable or OutcomeUnknown
        is for the caller to retry alone with its start_ts (the same commit)."""
        blind = sum(1 for _, start_ts in batch if not start_ts)
        first = self.get_ts(blind) if blind else 0
        out: list[tuple[int, int | Db9Error]] = []
        todo: list[tuple[Sequence[Mutation], int]] = []
        for mutations, start_ts in batch:
            if not start_ts:
                start_ts, first = first, first + 1
            try:
                check_sizes(mutations, self._max_key)
                self._check_not_stale(start_ts)
            except Db9Error as exc:
                out.append((start_ts, exc))
                continue
            out.append((start_ts, 0))
            todo.append((mutations, start_ts))
        done: list[int | Db9Error]
        try:
            done = self.one_pc_here(todo) if self._leading() else self.leader.one_pc_many(todo)
        except (Unavailable, OutcomeUnknown) as exc:
            done = [exc] * len(todo)
        results = iter(done)
        return [(s, next(results)) if r == 0 else (s, r) for s, r in out]

    def _leading(self) -> bool:
        """This member serves timestamps itself (it leads, or its oracle still serves)."""
        return self.tso.serving() or bool(self.machine._isLeader())

    def one_pc_here(self, batch: Sequence[tuple[Sequence[Mutation], int]]) -> list[int | Db9Error]:
        """On the leader: one attempt of each commit, proposed together, each with a
        commit_ts from this leader's oracle held in its lock table until the entry is
        applied; its commit_ts or error. An attempt whose outcome is unknown keeps its lock
        while this member leads in the same term (the entry may still apply); a new term
        starts with an empty table. Each command carries the term its commit_ts was drawn
        in, and only an entry of that term applies it (``_ApplyState.run``): one the
        proposer hands to Raft after this member stopped leading is forwarded to the next
        leader, logged after its window, and refused there (Unavailable: try again)."""
        drawn: list[tuple[int, int]] = []
        try:
            for mutations, _ in batch:
                drawn.append(self.tso.draw_commit(frozenset(m.key for m in mutations)))
        except BaseException:
            for commit_ts, _ in drawn:
                self.tso.release(commit_ts)
            raise
        commands = [
            pb.Command(
                one_pc=pb.OnePcRequest(
                    mutations=mutations_to_pb(mutations),
                    start_ts=start_ts,
                    commit_ts=commit_ts,
                    term=term,
                )
            )
            for (mutations, start_ts), (commit_ts, term) in zip(batch, drawn, strict=True)
        ]
        try:
            results = self.proposer.submit_many(commands, self.retry_s)
        except BaseException:  # nothing was proposed
            for commit_ts, _ in drawn:
                self.tso.release(commit_ts)
            raise
        now = self.machine.raft_term()
        for (commit_ts, term), result in zip(drawn, results, strict=True):
            if now != term or not isinstance(result, OutcomeUnknown):
                self.tso.release(commit_ts)
        return [r if isinstance(r, Db9Error) else int(r) for r in results]

    def rollback(self, keys: Sequence[bytes], start_ts: int) -> None:
        self._propose(pb.Command(rollback=pb.RollbackRequest(keys=list(keys), start_ts=start_ts)))

    def check_txn_status(
        self, primary: bytes, lock_ts: int, current_ts: int, *, rollback_if_not_exist: bool = True
    ) -> TxnStatus:
        result: TxnStatus = self._propose(
            pb.Command(
                check_txn_status=pb.CheckTxnStatusRequest(
                    primary=primary,
                    lock_ts=lock_ts,
                    current_ts=current_ts,
                    rollback_if_not_exist=rollback_if_not_exist,
                )
            )
        )
        return result

    def txn_heart_beat(self, primary: bytes, start_ts: int, ttl_ms: int) -> int:
        return int(
            self._propose(
                pb.Command(
                    heart_beat=pb.HeartBeatRequest(
                        primary=primary, start_ts=start_ts, ttl_ms=ttl_ms
                    )
                )
            )
        )

    def resolve_lock(
        self, start_ts: int, commit_ts: int, keys: Sequence[bytes] | None = None
    ) -> int:
        req = pb.ResolveLockRequest(
            start_ts=start_ts, commit_ts=commit_ts, all_keys=keys is None, keys=list(keys or [])
        )
        return int(self._propose(pb.Command(resolve_lock=req)))

    def gc(
        self, safepoint: int, retain: Sequence[RetainPoint] = (), *, full: bool = False
    ) -> GcProgress:
        """The safepoint is raised through Raft; the pass plans on this node's read snapshot
        and proposes only the deletions (``commands.gc_pass``): the apply thread of every
        node never scans."""
        points = retain_to_pb(retain)
        return commands.gc_pass(
            lambda: int(
                self._propose(
                    pb.Command(set_safepoint=pb.GcRequest(safepoint=safepoint, retain=points))
                )
            ),
            self._gc_snapshot,
            lambda batch: int(self._propose(pb.Command(gc_delete=gc_batch_to_pb(batch)))),
            retain,
            full=full,
        )

    @contextlib.contextmanager
    def _gc_snapshot(self) -> Iterator[MvccReader]:
        with self.engine.snapshot() as snap:
            yield MvccReader(snap, self.machine.links)

    def safepoint(self) -> int:
        return self.machine.safepoint

    def set_branch(self, child: bytes, parent: bytes, fork_ts: int) -> None:
        self._propose(
            pb.Command(set_branch=pb.SetBranchRequest(child=child, parent=parent, fork_ts=fork_ts))
        )

    def _drop_chunk(self, prefix: bytes, *, keep_link: bool = False) -> tuple[int, bool]:
        req = pb.DropPrefixChunk(prefix=prefix, keep_link=keep_link)
        n, done = self._propose(pb.Command(drop_prefix=req))
        return int(n), bool(done)

    def drop_prefix(self, prefix: bytes) -> int:
        return commands.drop_prefix(lambda: self._drop_chunk(prefix))

    def branch_links(self) -> dict[bytes, BranchLink]:
        return dict(self.machine.links)

    def reset_branch(self, child: bytes, fork_ts: int) -> None:
        commands.reset_branch(
            self.machine.links,
            child,
            lambda: self._drop_chunk(child, keep_link=True),
            lambda link: self._propose(
                pb.Command(
                    set_branch=pb.SetBranchRequest(
                        child=child, parent=link.parent, fork_ts=fork_ts, replace=True
                    )
                )
            ),
        )

    # -- reads ------------------------------------------------------------------------------

    def _before_read(self, ts: int, span: ReadSpan | None) -> None:
        if UNSAFE_READS or ts <= self._safe_ts:
            pass
        elif self.tso.serving():
            try:
                self.tso.check_read(ts, span, self.read_wait_s)
            except Unavailable:
                if self.machine._isLeader():
                    raise  # still leading, but no lease: no one may serve it now
                self._follower_barrier(ts, wait=not self.disk_full())  # it stopped leading
        else:
            self._follower_barrier(ts, wait=not self.disk_full())
        commands.check_snapshot(ts, self.machine.safepoint)

    def read_index(self, ts: int) -> int:
        """On the leader: an applied index after which any member may serve reads at ``ts``."""
        if not self.tso.serving():
            raise Unavailable("this node is not the serving Raft leader")
        self.tso.check_read(ts, None, self.read_wait_s)
        return int(self.machine.applied_index)

    def _note_hint(self, ts: int, index: int) -> None:
        with self._unsafe_lock:
            self._hints = [*self._hints[-7:], (ts, index)]

    def _follower_barrier(self, ts: int, wait: bool = True) -> None:
        """Serve a read at ``ts`` only once this node has applied everything the leader had
        when ``ts`` was drawn (its read index). A node whose disk is full applies nothing
        (``wait=False``): it serves the read if it is already there, else refuses at once,
        never a stale snapshot."""
        hints = [index for hint_ts, index in self._hints if hint_ts >= ts]
        index = min(hints) if hints else 0
        if not index and not wait and self.machine._isLeader():
            index = self.machine.applied_index + 1  # a leader without its lease: no one to ask
        if not index:
            nowait.check()  # a call to the leader
            index = self._retrying(lambda: self.leader.read_index(ts), writes=False)
        if self.machine.applied_index < index and not wait:
            raise DiskFull(
                "this node's disk is full and it has not applied what this read must see "
                "(it would be stale); try another node"
            )
        if self.machine.applied_index < index:
            nowait.check()
            if not self.machine.wait_applied(index, self.read_wait_s):
                raise Unavailable(
                    "this node has not caught up with the read's timestamp; try another node"
                )
        with self._unsafe_lock:
            self._safe_ts = max(self._safe_ts, ts)

    def get_fresh(self, key: bytes) -> tuple[bytes | None, int]:
        ts = self.get_ts()
        return self.get(key, ts), ts

    def batch_get_fresh(self, keys: Sequence[bytes]) -> tuple[dict[bytes, bytes], int]:
        """``batch_get`` at a timestamp drawn for it (a KvBatchGet request with ts 0)."""
        ts = self.get_ts()
        return self.batch_get(keys, ts), ts

    def get(self, key: bytes, ts: int) -> bytes | None:
        self._before_read(ts, ReadSpan(keys=frozenset((key,))))
        links = self.machine.links
        with self.engine.snapshot() as snap:
            if links and key[: K.PREFIX_LEN] in links:
                return MvccReader(snap, links).get(key, ts)
            return mvcc_get(snap, key, ts)

    def batch_get(self, keys: Sequence[bytes], ts: int) -> dict[bytes, bytes]:
        self._before_read(ts, ReadSpan(keys=frozenset(keys)))
        with self.engine.snapshot() as snap:
            return MvccReader(snap, self.machine.links).get_many(keys, ts)

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
            return []
        self._before_read(ts, ReadSpan(start=start, end=end))
        with self.engine.snapshot() as snap:
            return MvccReader(snap, self.machine.links).scan(
                start, end, ts, limit=limit, reverse=reverse
            )

    def scan_locks(
        self, max_ts: int, start: bytes = b"", end: bytes | None = None, limit: int | None = None
    ) -> list[Lock]:
        self._before_read(max_ts, None)
        with self.engine.snapshot() as snap:
            return MvccReader(snap).scan_locks(start, end, max_ts=max_ts, limit=limit)
