"""READ COMMITTED blocks wait for row locks instead of failing with 40001, as PostgreSQL does.

A statement in a READ COMMITTED block locks the rows it writes; a second writer of one of them
waits until the first transaction ends, then runs again on the newest committed version (its
WHERE re-evaluated, PostgreSQL's EvalPlanQual). A lock-wait cycle fails one waiter with 40P01;
lock_timeout, statement_timeout and a cancel end a wait. REPEATABLE READ keeps first committer
wins (40001).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from kv.client import LocalKv
from kv.errors import Db9Error
from sql.database import Database
from sql.result import Result
from sql.session import Session
from tests.sql.sessions import one


class Background:
    """A statement run in its own thread; ``result()`` joins it and returns or raises."""

    def __init__(self, action: Callable[[], list[Result]]) -> None:
        self._out: list[Result] = []
        self._err: list[BaseException] = []

        def run() -> None:
            try:
                self._out.extend(action())
            except BaseException as exc:
                self._err.append(exc)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self) -> list[Result]:
        self._thread.join(30)
        assert not self._thread.is_alive(), "the statement never finished"
        if self._err:
            raise self._err[0]
        return self._out


def waiting(db: Database, n: int = 1) -> None:
    """Return once ``n`` transactions wait for a row lock (fails after 10 s)."""
    backend = db.client.backend
    assert isinstance(backend, LocalKv)
    assert backend.storage.row_locks.wait_for_waiters(n, 10), "nobody waits for the lock"


def test_second_update_waits_for_the_first_commit_and_adds_to_it(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    b.execute("BEGIN")
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    second = Background(lambda: b.execute("UPDATE kv SET v = v + 1 WHERE k = 1"))
    waiting(db)
    a.execute("COMMIT")
    assert second.result()[0].tag == "UPDATE 1"
    assert one(b, "SELECT v FROM kv WHERE k = 1") == 12
    b.execute("COMMIT")
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 12


def test_rollback_of_the_first_lets_the_second_update_the_old_value(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("UPDATE kv SET v = 100 WHERE k = 1")
    b.execute("BEGIN")
    second = Background(lambda: b.execute("UPDATE kv SET v = v + 1 WHERE k = 1"))
    waiting(db)
    a.execute("ROLLBACK")
    assert second.result()[0].tag == "UPDATE 1"
    b.execute("COMMIT")
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 11


def test_update_whose_where_no_longer_matches_the_new_version_skips_the_row(
    db: Database,
) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("UPDATE kv SET v = 100 WHERE k = 1")
    b.execute("BEGIN")
    second = Background(lambda: b.execute("UPDATE kv SET v = v + 1 WHERE v = 10"))
    waiting(db)
    a.execute("COMMIT")
    assert second.result()[0].tag == "UPDATE 0"
    b.execute("COMMIT")
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 100


def test_update_of_a_row_deleted_meanwhile_updates_nothing(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("DELETE FROM kv WHERE k = 2")
    b.execute("BEGIN")
    second = Background(lambda: b.execute("UPDATE kv SET v = v + 1 WHERE k = 2"))
    waiting(db)
    a.execute("COMMIT")
    assert second.result()[0].tag == "UPDATE 0"
    b.execute("COMMIT")
    assert Session(db).execute("SELECT k FROM kv ORDER BY k")[0].rows == [(1,)]


def test_insert_of_a_key_inserted_meanwhile_waits_then_violates_uniqueness(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("INSERT INTO kv VALUES (3, 30)")
    b.execute("BEGIN")
    second = Background(lambda: b.execute("INSERT INTO kv VALUES (3, 31)"))
    waiting(db)
    a.execute("COMMIT")
    with pytest.raises(Db9Error) as info:
        second.result()
    assert info.value.sqlstate == "23505"
    b.execute("ROLLBACK")
    assert one(Session(db), "SELECT v FROM kv WHERE k = 3") == 30


def test_deadlock_fails_one_transaction_with_40P01_and_the_other_goes_on(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    b.execute("BEGIN")
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    b.execute("UPDATE kv SET v = v + 10 WHERE k = 2")
    first = Background(lambda: a.execute("UPDATE kv SET v = v + 1 WHERE k = 2"))
    waiting(db)
    with pytest.raises(Db9Error) as info:
        b.execute("UPDATE kv SET v = v + 10 WHERE k = 1")
    assert info.value.sqlstate == "40P01"
    assert b.status == "E"
    b.execute("ROLLBACK")
    assert first.result()[0].tag == "UPDATE 1"
    a.execute("COMMIT")
    rows = Session(db).execute("SELECT k, v FROM kv ORDER BY k")[0].rows
    assert rows == [(1, 11), (2, 21)]


def test_a_failed_block_releases_its_row_locks_before_its_rollback(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    with pytest.raises(Db9Error):
        a.execute("SELECT 1 / 0")
    b.execute("UPDATE kv SET v = v + 5 WHERE k = 1")  # no wait: a's locks went with its error
    a.execute("ROLLBACK")
    assert one(b, "SELECT v FROM kv WHERE k = 1") == 15


def test_repeatable_read_still_fails_the_second_writer_with_40001(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    b.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    assert one(b, "SELECT v FROM kv WHERE k = 1") == 10
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    a.execute("COMMIT")
    with pytest.raises(Db9Error) as info:
        b.execute("UPDATE kv SET v = v + 5 WHERE k = 1")
        b.execute("COMMIT")
    assert info.value.sqlstate == "40001"


def test_an_autocommit_update_waits_for_a_blocks_row_lock(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    second = Background(lambda: b.execute("UPDATE kv SET v = v * 2 WHERE k = 1"))
    a.execute("COMMIT")
    assert second.result()[0].tag == "UPDATE 1"
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 22


def _blocked(db: Database, setup: str, stop: Callable[[Session], Any] | None = None) -> str:
    """The SQLSTATE that ends ``b``'s wait for a row ``a`` holds (after ``stop(b)`` if given)."""
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    b.execute(setup)
    b.execute("BEGIN")
    second = Background(lambda: b.execute("UPDATE kv SET v = v + 1 WHERE k = 1"))
    if stop is not None:
        waiting(db)
        stop(b)
    with pytest.raises(Db9Error) as info:
        second.result()
    b.execute("ROLLBACK")
    a.execute("COMMIT")
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 11
    return info.value.sqlstate


def test_lock_timeout_ends_a_row_lock_wait_with_55P03(db: Database) -> None:
    assert _blocked(db, "SET lock_timeout = '50ms'") == "55P03"


def test_statement_timeout_ends_a_row_lock_wait(db: Database) -> None:
    assert _blocked(db, "SET statement_timeout = '50ms'") == "57014"


def test_cancel_ends_a_row_lock_wait(db: Database) -> None:
    assert _blocked(db, "SET lock_timeout = 0", lambda b: b.cancel()) == "57014"


def test_select_for_update_waits_for_the_writer_and_reads_its_commit(db: Database) -> None:
    """The lock-then-compute pattern loses no update: the second SELECT ... FOR UPDATE waits,
    then reads what the first transaction committed."""
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    assert one(a, "SELECT v FROM kv WHERE k = 1 FOR UPDATE") == 10
    assert one(a, "SELECT v FROM kv WHERE k = 2") == 20  # a statement more keeps the lock
    b.execute("BEGIN")
    second = Background(lambda: b.execute("SELECT v FROM kv WHERE k = 1 FOR UPDATE"))
    waiting(db)
    a.execute("UPDATE kv SET v = 11 WHERE k = 1")
    a.execute("COMMIT")
    assert second.result()[0].rows == [(11,)]
    b.execute("UPDATE kv SET v = 12 WHERE k = 1")
    b.execute("COMMIT")
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 12
