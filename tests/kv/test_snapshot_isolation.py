"""Model-based proof of snapshot isolation: random interleavings of transactions against a plain
Python model in which each transaction reads the state committed before it began, and the first
committer wins on every key it writes. Transactions can also crash half-way through 2PC; their
locks must then be resolved to exactly what the primary key decided. It runs on every backend
(local, single-node Raft, gRPC), with fewer examples on the slower two."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from kv.client import Transaction
from kv.errors import RetryableError, WriteConflict
from kv.gc_worker import collect_garbage
from tests.kv.conftest import WAIT_S, HeldMemoryEngine, client, local_kv, open_backend, wait_for

KEYS = [b"a", b"b", b"b\x00", b"c", b"d"]
VALUES = st.one_of(st.binary(max_size=6), st.just(b"L" * 300))  # 300 bytes: data column


@dataclass
class ModelTxn:
    real: Transaction
    # None for a lazy transaction (``begin(lazy=True)``) until its first read of the store;
    # one that never reads commits blind (no conflict is possible).
    snapshot: dict[bytes, bytes] | None
    started_at: int | None  # number of commits the snapshot includes
    writes: dict[bytes, bytes | None] = field(default_factory=dict)

    def view(self) -> dict[bytes, bytes]:
        assert self.snapshot is not None
        state = dict(self.snapshot)
        for k, v in self.writes.items():
            if v is None:
                state.pop(k, None)
            else:
                state[k] = v
        return state


class SnapshotIsolation(RuleBasedStateMachine):
    backend = "local"
    # How long a reader waits for a crashed transaction's lock (TTL 0) to count as expired:
    # the local store's test clock steps 10 ms a reading, a Raft node reads the wall clock.
    lock_wait_s = 0.0

    def __init__(self) -> None:
        super().__init__()
        self.stack = contextlib.ExitStack()
        if self.backend == "local":
            self.engine = HeldMemoryEngine()
            self.kv = local_kv(self.engine)
        else:
            self.kv = self.stack.enter_context(open_backend(self.backend))
        # Pages of 2 and batches of 3 values: scans over the five keys cross page boundaries.
        self.client = client(self.kv, lock_wait_s=self.lock_wait_s, one_pc_max_keys=2,
                             batch_keys=2, scan_page=2, value_batch=3)  # fmt: skip
        self.committed: dict[bytes, bytes] = {}
        self.log: list[set[bytes]] = []  # keys written by each commit, in commit order
        self.open: list[ModelTxn] = []

    def pick(self, i: int) -> ModelTxn:
        return self.open[i % len(self.open)]

    def conflicts(self, t: ModelTxn) -> bool:
        if t.started_at is None:
            return False  # a blind write: its start_ts is drawn when it commits
        return any(t.writes.keys() & keys for keys in self.log[t.started_at :])

    def reading(self, t: ModelTxn, reads_store: bool = True) -> ModelTxn:
        """The model of a read by ``t``: a lazy transaction's first read of the store takes
        its snapshot (a read of only its own writes does not)."""
        if t.snapshot is None and reads_store:
            t.snapshot, t.started_at = dict(self.committed), len(self.log)
        return t

    def apply(self, t: ModelTxn) -> None:
        for k, v in t.writes.items():
            if v is None:
                self.committed.pop(k, None)
            else:
                self.committed[k] = v
        self.log.append(set(t.writes))

    @precondition(lambda self: len(self.open) < 4)
    @rule()
    def begin(self) -> None:
        self.open.append(ModelTxn(self.client.begin(), dict(self.committed), len(self.log)))

    @precondition(lambda self: len(self.open) < 4)
    @rule()
    def begin_lazy(self) -> None:
        self.open.append(ModelTxn(self.client.begin(lazy=True), None, None))

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3), keys=st.permutations(KEYS))
    def read_each_key(self, i: int, keys: list[bytes]) -> None:
        t = self.pick(i)
        for key in keys:
            self.reading(t, key not in t.writes)
            if t.snapshot is None:  # its own write
                assert t.real.get(key) == t.writes[key], key
            else:
                assert t.real.get(key) == t.view().get(key), key

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3), keys=st.lists(st.sampled_from(KEYS), unique=True))
    def batch_read(self, i: int, keys: list[bytes]) -> None:
        t = self.reading(self.pick(i), any(k not in self.pick(i).writes for k in keys))
        if t.snapshot is None:  # only its own writes
            found = {k: t.writes[k] for k in keys}
            assert t.real.batch_get(keys) == {k: v for k, v in found.items() if v is not None}
            return
        view = t.view()
        assert t.real.batch_get(keys) == {k: view[k] for k in keys if k in view}

    @precondition(lambda self: self.open)
    @rule(
        i=st.integers(0, 3),
        lo=st.sampled_from([b"", *KEYS]),
        hi=st.sampled_from([None, *KEYS]),
        reverse=st.booleans(),
        limit=st.one_of(st.none(), st.integers(1, 3)),
    )
    def scan(self, i: int, lo: bytes, hi: bytes | None, reverse: bool, limit: int | None) -> None:
        t = self.pick(i)
        if hi is not None and hi <= lo:
            assert t.real.scan(lo, hi, limit=limit, reverse=reverse) == []
            return
        self.reading(t)
        expected = sorted((k, v) for k, v in t.view().items() if k >= lo and (hi is None or k < hi))
        if reverse:
            expected.reverse()
        if limit is not None:
            expected = expected[:limit]
        assert t.real.scan(lo, hi, limit=limit, reverse=reverse) == expected

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3), lo=st.sampled_from([b"", *KEYS]), hi=st.sampled_from([None, *KEYS]))
    def scan_values_in_batches(self, i: int, lo: bytes, hi: bytes | None) -> None:
        t = self.pick(i)
        if hi is not None and hi <= lo:
            assert list(t.real.iter_values(lo, hi)) == []
            return
        self.reading(t)
        expected = [v for k, v in sorted(t.view().items()) if k >= lo and (hi is None or k < hi)]
        batches = list(t.real.iter_values(lo, hi))
        assert all(batches)
        assert [v for b in batches for v in b] == expected

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3), key=st.sampled_from(KEYS), value=VALUES)
    def put(self, i: int, key: bytes, value: bytes) -> None:
        t = self.pick(i)
        t.real.put(key, value)
        t.writes[key] = value

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3), key=st.sampled_from(KEYS))
    def delete(self, i: int, key: bytes) -> None:
        t = self.pick(i)
        t.real.delete(key)
        t.writes[key] = None

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3))
    def commit(self, i: int) -> None:
        t = self.pick(i)
        self.open.remove(t)
        expect_conflict = self.conflicts(t)
        try:
            t.real.commit()
        except WriteConflict:
            assert expect_conflict, "spurious write conflict"
            return
        assert not expect_conflict, "lost update: commit over a newer committed write"
        if t.writes:
            self.apply(t)

    @precondition(lambda self: len(self.open) >= 2)
    @rule(picks=st.lists(st.integers(0, 3), min_size=2, max_size=4, unique=True))
    def commit_concurrently(self, picks: list[int]) -> None:
        """Several transactions commit at once, each from its own thread (on the local store
        their commands share group commits). The outcome must be one some serial order could
        give: a transaction that conflicts with an earlier commit fails; those that commit
        write disjoint keys (all began before any of them committed: first committer wins);
        one that overlaps neither fails only if it conflicts with an earlier commit. Two that
        overlap may both fail (each met the other's lock)."""
        chosen: list[ModelTxn] = []
        for i in picks:
            if all(self.pick(i) is not t for t in chosen):
                chosen.append(self.pick(i))
        for t in chosen:  # blind writers may all commit: here each has begun (read) first
            if t.snapshot is None:
                assert t.real.start_ts
                self.reading(t)
        for t in chosen:
            self.open.remove(t)
        outcomes: list[BaseException | None] = [None] * len(chosen)

        def run(n: int) -> None:
            try:
                chosen[n].real.commit()
            except Exception as exc:
                outcomes[n] = exc

        threads = [threading.Thread(target=run, args=(n,)) for n in range(len(chosen))]
        if self.backend == "local":
            # Hold a commit open while every writer queues its first command: those commands
            # then run in one group (a write that changes nothing visible paces it).
            self.engine.hold_next()
            pacer = threading.Thread(target=self.kv.rollback, args=([b"~"], self.kv.get_ts()))
            pacer.start()
            assert self.engine.held.wait(WAIT_S)
            for thread in threads:
                thread.start()
            writers = sum(1 for t in chosen if t.real.mutations())
            wait_for(lambda: self.kv.storage.queued == writers)
            self.engine.release.set()
            pacer.join()
        else:
            for thread in threads:
                thread.start()
        for thread in threads:
            thread.join()
        won = [t for t, out in zip(chosen, outcomes, strict=True) if out is None]
        for t, outcome in zip(chosen, outcomes, strict=True):
            overlaps = any(t.writes.keys() & o.writes.keys() for o in chosen if o is not t)
            if self.conflicts(t):
                assert outcome is not None, "lost update: commit over a newer committed write"
            elif not overlaps:
                assert outcome is None, f"spurious failure: {outcome!r}"
            if outcome is not None:
                assert isinstance(outcome, RetryableError), repr(outcome)
        for t in won:
            assert not any(t.writes.keys() & o.writes.keys() for o in won if o is not t), (
                "lost update: two concurrent writers of one key both committed"
            )
        for t in won:
            if t.writes:
                self.apply(t)

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3))
    def rollback(self, i: int) -> None:
        t = self.pick(i)
        self.open.remove(t)
        t.real.rollback()

    @precondition(lambda self: self.open)
    @rule(i=st.integers(0, 3), primary_committed=st.booleans())
    def crash_during_two_phase_commit(self, i: int, primary_committed: bool) -> None:
        """Prewrite everything (lock TTL 0), maybe commit the primary, then vanish."""
        t = self.pick(i)
        muts = t.real.mutations()
        if not muts or self.conflicts(t):
            return
        self.open.remove(t)
        t.real.rollback()  # the client forgets it; its locks stay behind
        kv, start = self.kv, t.real.start_ts
        self.client.resolver.retry_locked(
            lambda: kv.prewrite(muts, muts[0].key, start, 0, len(muts)), 0.0
        )
        if primary_committed:
            kv.commit([muts[0].key], start, kv.get_ts())
            self.apply(t)

    @rule()
    def garbage_collect(self) -> None:
        oldest = self.client.min_active_ts()
        safepoint = (oldest if oldest is not None else self.kv.get_ts()) - 1
        collect_garbage(self.kv, safepoint)

    @rule(keys=st.permutations(KEYS), lazy=st.booleans())
    def fresh_transaction_point_reads_see_the_committed_state(
        self, keys: list[bytes], lazy: bool
    ) -> None:
        t = self.client.begin(lazy=lazy)
        for key in keys:
            assert t.get(key) == self.committed.get(key), key
        t.rollback()

    # A rule, not an invariant: an invariant would resolve every leftover lock after each
    # step, and the other rules would never meet one.
    @rule()
    def fresh_transaction_sees_exactly_the_committed_state(self) -> None:
        t = self.client.begin()
        assert dict(t.scan(b"", None)) == self.committed
        t.rollback()

    def teardown(self) -> None:
        self.stack.close()


class RaftSnapshotIsolation(SnapshotIsolation):
    backend = "raft"
    lock_wait_s = 2.0


class GrpcSnapshotIsolation(SnapshotIsolation):
    backend = "grpc"
    lock_wait_s = 2.0


TestSnapshotIsolation = SnapshotIsolation.TestCase
TestSnapshotIsolation.settings = settings(max_examples=300, stateful_step_count=50, deadline=None)
# Each example starts a Raft node: fewer of them (about 10 s each).
FEWER = settings(max_examples=25, stateful_step_count=50, deadline=None)
TestSnapshotIsolationRaft = RaftSnapshotIsolation.TestCase
TestSnapshotIsolationRaft.settings = FEWER
TestSnapshotIsolationGrpc = GrpcSnapshotIsolation.TestCase
TestSnapshotIsolationGrpc.settings = FEWER
