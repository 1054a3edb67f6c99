"""Group commit on one node: writers that queue while a commit syncs share the next LMDB
transaction and its fsync; each command in a group is still all-or-nothing, no writer hears
"committed" before the transaction holding its writes has committed, and a reader never sees
a one-phase commit's keys before they land."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kv import interrupt, nowait, storage
from kv.client import LocalKv, TxnClient
from kv.commands import StoreState
from kv.engine.base import WriteView
from kv.engine.lmdb import LmdbEngine
from kv.errors import TxnLockNotFound
from kv.mvcc import keys as K
from kv.mvcc.reader import MvccReader
from kv.mvcc.records import Mutation, Op
from kv.mvcc.writer import MvccWriter
from kv.tso import TimestampOracle
from tests.kv.conftest import WAIT_S, HeldLmdbEngine, wait_for

T = TypeVar("T")


def open_kv(tmp_path: Path, engine: LmdbEngine | None = None) -> LocalKv:
    engine = engine or HeldLmdbEngine(str(tmp_path / "db"))
    # A long TSO window: the oracle writes its limit once, not during the test.
    return LocalKv(engine, TimestampOracle(engine, window_ms=600_000))


def put(kv: LocalKv, key: bytes, value: bytes) -> int:
    return kv.one_pc([Mutation(Op.PUT, key, value)], kv.get_ts())


class Writers:
    """Threads each running one write; their results or exceptions, by name."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.results: dict[str, object] = {}

    def start(self, name: str, fn: Callable[[], object]) -> None:
        def run() -> None:
            try:
                self.results[name] = fn()
            except Exception as exc:
                self.results[name] = exc

        thread = threading.Thread(target=run, name=name)
        thread.start()
        self.threads.append(thread)

    def start_held(self, engine: HeldLmdbEngine, name: str, fn: Callable[[], object]) -> None:
        """Start ``fn`` as the writer whose commit the engine holds (the others queue)."""
        engine.hold_next()
        self.start(name, fn)
        assert engine.held.wait(WAIT_S)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(WAIT_S)
            assert not thread.is_alive(), f"writer {thread.name} is stuck"


def test_writers_queued_behind_a_commit_share_the_next_commit(tmp_path: Path) -> None:
    kv = open_kv(tmp_path)
    engine = kv.engine
    assert isinstance(engine, HeldLmdbEngine)
    put(kv, b"warm", b"0")
    before = engine.commits
    writers = Writers()
    writers.start_held(engine, "first", lambda: put(kv, b"first", b"1"))
    for i in range(7):
        writers.start(f"w{i}", lambda i=i: put(kv, f"w{i}".encode(), b"v"))  # type: ignore[misc]
    wait_for(lambda: kv.storage.queued == 7)
    engine.release.set()
    writers.join()
    assert engine.commits - before == 2  # the held commit, then one for the seven queued
    commit_ts = list(writers.results.values())
    assert all(isinstance(ts, int) for ts in commit_ts)
    assert len(set(commit_ts)) == 8
    ts = kv.get_ts()
    assert all(kv.get(f"w{i}".encode(), ts) == b"v" for i in range(7))
    assert kv.get(b"first", ts) == b"1"
    kv.close()


def test_a_group_is_bounded_in_commands_and_in_keys(tmp_path: Path) -> None:
    kv = open_kv(tmp_path)
    engine = kv.engine
    assert isinstance(engine, HeldLmdbEngine)
    put(kv, b"warm", b"0")  # the oracle's first window is written
    writers = Writers()

    def queue_behind_a_held_commit(writes: dict[str, list[bytes]]) -> int:
        """Commits taken by ``writes`` (name: keys, one 1PC each) queued behind a held one."""
        before = engine.commits
        writers.start_held(engine, "lead", lambda: put(kv, b"lead", b"1"))
        for name, keys in writes.items():
            muts = [Mutation(Op.PUT, k, b"v") for k in keys]
            writers.start(name, lambda m=muts: kv.one_pc(m, kv.get_ts()))  # type: ignore[misc]
        wait_for(lambda: kv.storage.queued == len(writes))
        engine.release.set()
        writers.join()
        assert all(isinstance(r, int) for r in writers.results.values()), writers.results
        return engine.commits - before - 1

    assert storage.MAX_GROUP == 64
    assert queue_behind_a_held_commit({f"w{i}": [b"w%d" % i] for i in range(70)}) == 2
    assert storage.MAX_GROUP_KEYS == 4096
    big = {f"b{i}": [b"b%d-%04d" % (i, j) for j in range(2000)] for i in range(3)}
    assert queue_behind_a_held_commit(big) == 2  # 2000 + 2000 keys, then 2000
    kv.close()


def test_each_command_in_a_group_runs_under_its_own_writers_interrupt_control(
    tmp_path: Path,
) -> None:
    """Whoever leads the group, a cancelled writer's command sees its cancel and another
    writer's command does not."""
    kv = open_kv(tmp_path)
    engine = kv.engine
    assert isinstance(engine, HeldLmdbEngine)

    def checked_put(key: bytes) -> Callable[[StoreState, MvccReader, MvccWriter], None]:
        def command(state: StoreState, reader: MvccReader, writer: MvccWriter) -> None:
            interrupt.check()
            writer.batch.put(key, b"v")

        return command

    def writer(key: bytes, cancelled: bool) -> None:
        control = interrupt.Control()
        with interrupt.running(control):
            if cancelled:
                control.interrupt(interrupt.Reason.CANCEL)
            kv.storage._execute(1, checked_put(key))

    put(kv, b"warm", b"0")
    writers = Writers()
    writers.start_held(engine, "lead", lambda: put(kv, b"lead", b"1"))
    writers.start("cancelled", lambda: writer(b"cancelled", True))
    wait_for(lambda: kv.storage.queued == 1)
    writers.start("live", lambda: writer(b"live", False))
    wait_for(lambda: kv.storage.queued == 2)
    engine.release.set()
    writers.join()
    assert isinstance(writers.results["cancelled"], interrupt.Interrupted)
    assert writers.results["live"] is None
    assert engine.get(b"live") == b"v" and engine.get(b"cancelled") is None
    kv.close()


def test_a_group_that_fills_the_map_runs_again_whole_after_it_grows(tmp_path: Path) -> None:
    kv = open_kv(tmp_path, HeldLmdbEngine(str(tmp_path / "db"), map_size=1 << 20))
    engine = kv.engine
    assert isinstance(engine, HeldLmdbEngine)
    put(kv, b"warm", b"0")
    before = engine.commits
    writers = Writers()
    writers.start_held(engine, "lead", lambda: put(kv, b"lead", b"1"))
    for i in range(3):  # 600 KB each: the three overflow the 1 MB map
        muts = [Mutation(Op.PUT, b"big%d-%03d" % (i, j), b"x" * 2000) for j in range(300)]
        writers.start(f"big{i}", lambda m=muts: kv.one_pc(m, kv.get_ts()))  # type: ignore[misc]
        wait_for(lambda i=i: kv.storage.queued == i + 1)  # type: ignore[misc]
    engine.release.set()
    writers.join()
    assert engine.commits - before == 2
    assert engine.stats().map_bytes > 1 << 20  # it did grow
    commit_ts = [writers.results[f"big{i}"] for i in range(3)]
    assert all(isinstance(ts, int) for ts in commit_ts) and len(set(commit_ts)) == 3
    ts = kv.get_ts()
    assert len(kv.scan(b"big", b"bih", ts)) == 900
    kv.close()


def test_a_failing_command_in_a_group_writes_nothing_and_the_others_land(tmp_path: Path) -> None:
    kv = open_kv(tmp_path)
    engine = kv.engine
    assert isinstance(engine, HeldLmdbEngine)
    # x is prewritten by start, y is not: committing [x, y] writes x's commit record into the
    # command's batch, then fails on y. None of it may land, though its group commits.
    start = kv.get_ts()
    kv.prewrite([Mutation(Op.PUT, b"x", b"x1")], b"x", start, 60_000)
    commit_ts = kv.get_ts()
    before = engine.commits
    writers = Writers()
    writers.start_held(engine, "lead", lambda: put(kv, b"lead", b"1"))
    writers.start("a", lambda: put(kv, b"a", b"1"))
    wait_for(lambda: kv.storage.queued == 1)
    writers.start("bad", lambda: kv.commit([b"x", b"y"], start, commit_ts))
    wait_for(lambda: kv.storage.queued == 2)
    writers.start("c", lambda: put(kv, b"c", b"1"))
    wait_for(lambda: kv.storage.queued == 3)
    engine.release.set()
    writers.join()
    assert engine.commits - before == 2  # a, bad and c ran in one group
    assert isinstance(writers.results["bad"], TxnLockNotFound)
    ts = kv.get_ts()
    assert kv.get(b"a", ts) == b"1"
    assert kv.get(b"c", ts) == b"1"
    assert [lock.key for lock in kv.scan_locks(max_ts=ts)] == [b"x"]  # still prewritten
    with engine.snapshot() as snap:
        assert MvccReader(snap).txn_record(K.enc(b"x"), start) is None  # no commit record
    kv.close()


def test_no_writer_returns_before_its_group_has_committed(tmp_path: Path) -> None:
    """Every group is held open 20 ms after its commands ran; a writer woken before the
    commit would find its own write missing from a fresh snapshot."""

    class SlowCommitEngine(LmdbEngine):
        def transact(self, fn: Callable[[WriteView], T]) -> T:
            def run(view: WriteView) -> T:
                result = fn(view)
                time.sleep(0.02)  # widens the window an early wake-up would fall into
                return result

            return super().transact(run)

    kv = open_kv(tmp_path, SlowCommitEngine(str(tmp_path / "db"), sync=True))
    missing: list[bytes] = []

    def writer(n: int) -> None:
        for i in range(5):
            key = f"k{n}-{i}".encode()
            put(kv, key, b"v")
            with kv.engine.snapshot() as snap:
                if MvccReader(snap).get(key, kv.get_ts()) != b"v":
                    missing.append(key)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    assert missing == []
    assert kv.engine.commits < 30  # the writers did share commits
    kv.close()


def test_concurrent_writers_sync_fewer_times_than_they_commit(tmp_path: Path) -> None:
    kv = open_kv(tmp_path, LmdbEngine(str(tmp_path / "db"), sync=True))
    client = TxnClient(kv)
    put(kv, b"warm", b"0")
    before = kv.engine.commits

    def writer(n: int) -> None:
        for i in range(25):
            txn = client.begin()
            txn.put(f"k{n}-{i}".encode(), b"v")
            txn.commit()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    syncs = kv.engine.commits - before
    print(f"200 transactions, {syncs} LMDB commits")
    assert syncs < 150
    txn = client.begin()
    assert len(txn.scan(b"k", b"l")) == 200
    kv.close()


def test_a_reader_waits_for_a_one_phase_commit_whose_timestamp_it_follows(
    tmp_path: Path,
) -> None:
    """The 1PC's commit_ts is drawn before its group commits: a reader with a later snapshot
    touching its keys must wait (or, on the event loop, be sent to a thread) until it lands."""
    kv = open_kv(tmp_path)
    engine = kv.engine
    assert isinstance(engine, HeldLmdbEngine)
    put(kv, b"k", b"old")
    writers = Writers()
    writers.start_held(engine, "w", lambda: put(kv, b"k", b"new"))
    ts = kv.get_ts()
    with nowait.nonblocking():
        with pytest.raises(nowait.WouldBlock):
            kv.get(b"k", ts)
        with pytest.raises(nowait.WouldBlock):
            kv.scan(b"a", b"z", ts)
        assert kv.get(b"other", ts) is None  # keys outside the commit do not wait
        with pytest.raises(nowait.WouldBlock):
            put(kv, b"other", b"v")  # every write may wait
    read: list[bytes | None] = []
    reader = threading.Thread(target=lambda: read.append(kv.get(b"k", ts)))
    reader.start()
    reader.join(0.2)  # blocked until the commit lands (it would have answer b"old" by now)
    engine.release.set()
    reader.join(WAIT_S)
    writers.join()
    assert read == [b"new"]
    kv.close()
