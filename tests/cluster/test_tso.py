"""The leader's in-memory oracle (cluster/tso.py) against a model of the replicated window:
timestamps never repeat or go back across leaders and wall-clock jumps, one-phase commits
hold their keys until released, and batched fetches hand out disjoint ranges."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluster import tso as tso_mod
from cluster.batching import TsoBatcher
from cluster.convert import Unavailable
from cluster.state_machine import _ApplyState
from cluster.tso import LeaderTso, ReadSpan
from kv import nowait


class FakeMember:
    """The parts of KvStateMachine the oracle reads: leadership, term, and (for the lease)
    pysyncobj's private fields; with no other members the lease never expires."""

    def __init__(self, term: int) -> None:
        self._SyncObj__raftState = 2
        self._SyncObj__raftCurrentTerm = term
        self._SyncObj__otherNodes: set[Any] = set()
        self.leading = True

    def _isLeader(self) -> bool:
        return self.leading

    def raft_term(self) -> int:
        return int(self._SyncObj__raftCurrentTerm)


class Log:
    """The replicated state the window entries apply to (the state machine's own rule)."""

    def __init__(self) -> None:
        self.state = _ApplyState(tso_last=0, tso_limit=0, clock_ms=0, safepoint=0, max_key=0)

    def propose(self, floor: int, window_ms: int) -> tuple[int, int]:
        return self.state.tso_window(floor, window_ms)


def _leader(log: Log, term: int) -> tuple[LeaderTso, FakeMember]:
    member = FakeMember(term)
    oracle = LeaderTso(member, log.propose, window_ms=50, lease_wait_s=5.0)
    oracle.state_changed()
    return oracle, member


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("draw"), st.integers(1, 300)),
            st.tuples(st.just("failover"), st.just(0)),
            st.tuples(st.just("clock"), st.integers(-8000, 8000)),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_timestamps_never_repeat_or_go_back(ops: list[tuple[str, int]]) -> None:
    log = Log()
    offset = [0]
    real = tso_mod.wall_ms
    tso_mod.wall_ms = lambda: real() + offset[0]
    term = 1
    oracle, member = _leader(log, term)
    handed: list[int] = []
    try:
        for op, arg in ops:
            if op == "draw":
                first = oracle.get_ts(arg)
                handed.extend(range(first, first + arg))
            elif op == "failover":
                member.leading = False
                oracle.stop()
                term += 1
                oracle, member = _leader(log, term)
            else:
                offset[0] = arg
        assert handed == sorted(handed)
        assert len(set(handed)) == len(handed)
    finally:
        oracle.stop()
        tso_mod.wall_ms = real


def test_a_deposed_leader_hands_out_nothing() -> None:
    log = Log()
    oracle, member = _leader(log, 1)
    try:
        oracle.get_ts()
        member._SyncObj__raftCurrentTerm = 2  # a newer term: the window is not ours
        oracle.lease_wait_s = 0.2
        member.leading = False
        with pytest.raises(Unavailable):
            oracle.get_ts()
    finally:
        oracle.stop()


def test_a_read_waits_only_for_commits_below_it_on_its_keys() -> None:
    log = Log()
    oracle, _ = _leader(log, 1)
    try:
        commit_ts, _ = oracle.draw_commit(frozenset({b"a"}))
        later = oracle.get_ts()
        with nowait.nonblocking():
            oracle.check_read(later, ReadSpan(keys=frozenset({b"b"})), 1.0)  # other key
            oracle.check_read(commit_ts, ReadSpan(keys=frozenset({b"a"})), 1.0)  # not below
            oracle.check_read(later, ReadSpan(start=b"b", end=None), 1.0)  # range past it
            with pytest.raises(nowait.WouldBlock):
                oracle.check_read(later, ReadSpan(keys=frozenset({b"a"})), 1.0)
            with pytest.raises(nowait.WouldBlock):
                oracle.check_read(later, ReadSpan(start=b"", end=b"b"), 1.0)
            with pytest.raises(nowait.WouldBlock):
                oracle.check_read(later, None, 1.0)
        released = threading.Timer(0.05, oracle.release, args=(commit_ts,))
        released.start()
        oracle.check_read(later, ReadSpan(keys=frozenset({b"a"})), 5.0)  # waits, then reads
        released.join()
    finally:
        oracle.stop()


def test_batched_fetches_hand_out_disjoint_ranges() -> None:
    calls: list[int] = []
    lock = threading.Lock()
    next_ts = [1000]
    gate = threading.Event()

    def fetch(count: int) -> tuple[int, int]:
        gate.wait(5)
        with lock:
            calls.append(count)
            first = next_ts[0]
            next_ts[0] += count
        return first, 7

    batcher = TsoBatcher(fetch, max_inflight=2)
    got: list[tuple[int, int]] = []

    def worker(count: int) -> None:
        ts, index = batcher.get_ts(count)
        assert index == 7
        with lock:
            got.append((ts, count))

    threads = [threading.Thread(target=worker, args=(1 + i % 3,)) for i in range(24)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(got) == 24
    handed = sorted(ts + k for ts, count in got for k in range(count))
    assert len(set(handed)) == len(handed) == sum(1 + i % 3 for i in range(24))
    assert len(calls) < 24  # requests waiting together travelled together


def test_futures_batcher_shares_calls_fails_batches_whole_and_survives_cancels() -> None:
    """FutureBatcher (a follower's statements waiting on an event loop): requests queued
    while calls are in flight go together; a failed call fails its batch only; a waiter
    that gave up does not stall later requests."""
    from collections.abc import Callable, Sequence

    from cluster.batching import FutureBatcher

    pending: list[tuple[list[int], Callable[[Sequence[int] | Exception], None]]] = []

    def send(items: Sequence[int], reply: Callable[[Sequence[int] | Exception], None]) -> None:
        pending.append((list(items), reply))

    batcher: FutureBatcher[int, int] = FutureBatcher(send, max_inflight=1)
    first = batcher.request(1)
    queued = [batcher.request(n) for n in (2, 3, 4)]
    assert [items for items, _ in pending] == [[1]]  # one call in flight, the rest wait
    queued[0].cancel()  # its waiter went away
    pending.pop(0)[1]([10])
    assert first.result(1) == 10
    assert [items for items, _ in pending] == [[2, 3, 4]]  # the waiting ones, in one call
    pending.pop(0)[1](RuntimeError("leader gone"))
    assert isinstance(queued[1].exception(1), RuntimeError)
    assert isinstance(queued[2].exception(1), RuntimeError)
    later = batcher.request(5)
    pending.pop(0)[1]([50])
    assert later.result(1) == 50
