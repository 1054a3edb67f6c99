"""Pessimistic row locks of the single-node store (kv/txn/pessimistic.py): readers ignore
them, other transactions' commits meet them as live locks, the holder commits over newer
versions it locked after, a lock is taken even over a newer version (which is reported), a
foreign key's claim passes a row lock that does not delete, and a wait cycle is a 40P01."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from kv import nowait
from kv.engine.base import Snapshot, WriteView
from kv.engine.memory import MemoryEngine, MemorySnapshot
from kv.errors import Deadlock, KeyIsLocked
from kv.mvcc.records import Mutation, Op
from kv.storage import Storage
from tests.kv.test_percolator import put, ts, write

T = TypeVar("T")


@pytest.fixture
def store() -> Storage:
    s = Storage(MemoryEngine())
    write(s, b"k", b"v1", ts(1), ts(2))
    return s


def test_readers_ignore_a_row_lock_and_other_writers_meet_it(store: Storage) -> None:
    assert store.acquire_pessimistic_lock([b"k"], b"k", ts(10), ts(10)) == 0
    assert store.get(b"k", ts(11)) == b"v1"
    with pytest.raises(KeyIsLocked):
        store.one_pc([put(b"k", b"other")], ts(12), lambda: ts(13))
    with pytest.raises(KeyIsLocked):
        store.prewrite([put(b"k", b"other")], b"k", ts(12), 3000)
    with pytest.raises(KeyIsLocked):
        store.acquire_pessimistic_lock([b"k"], b"k", ts(12), ts(12))
    store.row_locks.release(ts(10))
    store.one_pc([put(b"k", b"other")], ts(14), lambda: ts(15))
    assert store.get(b"k", ts(16)) == b"other"


def test_the_holder_commits_without_a_conflict_on_versions_older_than_its_lock(
    store: Storage,
) -> None:
    write(store, b"k", b"v2", ts(3), ts(4))  # after the transaction at ts(2.5) began
    assert store.acquire_pessimistic_lock([b"k"], b"k", ts(2, 5), ts(5)) == 0
    store.one_pc([put(b"k", b"mine")], ts(2, 5), lambda: ts(6))
    store.row_locks.release(ts(2, 5))
    assert store.get(b"k", ts(7)) == b"mine"


def test_a_lock_over_a_newer_version_is_taken_and_reports_it(store: Storage) -> None:
    write(store, b"k", b"v2", ts(3), ts(4))
    assert store.acquire_pessimistic_lock([b"k"], b"k", ts(2, 5), ts(2, 6)) == ts(4)
    with pytest.raises(KeyIsLocked):  # held all the same: the rerun cannot lose the row
        store.acquire_pessimistic_lock([b"k"], b"k", ts(5), ts(5))


def test_a_foreign_key_claim_waits_only_for_a_row_lock_that_deletes(store: Storage) -> None:
    claim = Mutation(Op.LOCK, b"k")
    store.acquire_pessimistic_lock([b"k"], b"k", ts(10), ts(10), deleting=())
    store.one_pc([claim], ts(11), lambda: ts(12))
    store.acquire_pessimistic_lock([b"k"], b"k", ts(10), ts(13), deleting=[b"k"])
    with pytest.raises(KeyIsLocked):
        store.one_pc([claim], ts(14), lambda: ts(15))


def test_a_wait_that_closes_a_cycle_is_a_deadlock(store: Storage) -> None:
    write(store, b"j", b"w1", ts(1), ts(2))
    a, b = ts(10), ts(11)
    store.acquire_pessimistic_lock([b"j"], b"j", a, a)
    store.acquire_pessimistic_lock([b"k"], b"k", b, b)
    with pytest.raises(KeyIsLocked) as held_by_b:
        store.acquire_pessimistic_lock([b"k"], b"k", a, a)
    generation = store.row_locks.generation
    waiter = threading.Thread(
        target=store.row_locks.wait, args=(held_by_b.value.lock, a, generation, 10)
    )
    waiter.start()
    assert store.row_locks.wait_for_waiters(1, 10)
    with pytest.raises(KeyIsLocked) as held_by_a:
        store.acquire_pessimistic_lock([b"j"], b"j", b, b)
    with pytest.raises(Deadlock) as info:
        store.row_locks.wait(held_by_a.value.lock, b, store.row_locks.generation, 10)
    assert info.value.sqlstate == "40P01"
    store.row_locks.release(b)  # b gives up: a's wait ends
    waiter.join(10)
    assert not waiter.is_alive()


def test_no_row_lock_is_taken_on_a_key_whose_commit_is_still_landing() -> None:
    """A row lock is taken without the group-commit latch, so a 1PC of the key whose command
    ran but whose group is not yet visible must make it wait (else it would miss that commit).
    """
    tried: list[str] = []

    class Landing(MemoryEngine):
        def transact(self, fn: Callable[[WriteView], T]) -> T:
            def run(view: WriteView) -> T:
                result = fn(view)  # the 1PC's command ran; nothing is visible yet
                try:
                    with nowait.nonblocking():
                        store.acquire_pessimistic_lock([b"k"], b"k", ts(3), ts(3))
                except nowait.WouldBlock:
                    tried.append("waits")
                return result

            return super().transact(run)

        def snapshot(self) -> Snapshot:  # what is visible, without waiting for transact
            return MemorySnapshot(self._keys, self._data)

    store = Storage(Landing())
    store.one_pc([put(b"k", b"v1")], ts(1), lambda: ts(2))
    assert tried == ["waits"]
    assert store.acquire_pessimistic_lock([b"k"], b"k", ts(3), ts(3)) == 0
    assert store.get(b"k", ts(4)) == b"v1"
