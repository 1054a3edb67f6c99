"""Advisory locks: return values, WARNINGs and pg_locks against PostgreSQL (hypothesis drives
two sessions through non-blocking lock/unlock sequences), blocking and waking, lock_timeout,
deadlocks, release at session and transaction end, and exclusion across two nodes (two
Database objects over one store) with a dead node's locks lapsing with its lease."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kv.client import LocalKv, TxnClient
from kv.engine.memory import MemoryEngine
from kv.errors import Db9Error
from kv.tso import TimestampOracle
from sql.advisory_table import KvLockTable
from sql.database import Database
from sql.errors import Raised
from sql.layout import ADVISORY, advisory_lease_key
from sql.session import Session
from tests.kv.conftest import local_kv, wait_for
from tests.sql.pg import connect

DB = b"\x00\x21"


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v)


class Db9Side:
    def __init__(self, database: Database) -> None:
        self.session = Session(database)

    def run(self, sql: str) -> tuple[str | None, list[tuple[str | None, ...]], list[str]]:
        """(SQLSTATE or None, rows as text, notices as 'SEVERITY: text')."""
        s = self.session
        try:
            rows = s.execute(sql)[-1].rows or []
            error = None
        except Db9Error as exc:
            rows, error = [], exc.sqlstate
        notices = [
            f"{'WARNING' if isinstance(n, Raised) and n.severity == 'WARNING' else 'NOTICE'}: {n}"
            for n in s.notices
        ]
        s.notices.clear()
        return error, [tuple(_text(v) for v in r) for r in rows], notices


class PgSide:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.notices: list[str] = []
        conn.add_notice_handler(
            lambda d: self.notices.append(f"{d.severity_nonlocalized}: {d.message_primary}")
        )

    def run(self, sql: str) -> tuple[str | None, list[tuple[str | None, ...]], list[str]]:
        self.notices.clear()
        try:
            cur = self.conn.execute(sql.encode())
            rows = cur.fetchall() if cur.description is not None else []
            error = None
        except psycopg.Error as exc:
            rows, error = [], exc.sqlstate
        return error, [tuple(_text(v) for v in r) for r in rows], list(self.notices)


@pytest.fixture(scope="module")
def pg_pair(pg_conninfo: str) -> Iterator[list[PgSide]]:
    conns = [connect(pg_conninfo) for _ in range(2)]
    try:
        yield [PgSide(c) for c in conns]
    finally:
        for c in conns:
            c.close()


def _reset_pg(sides: list[PgSide]) -> None:
    for p in sides:
        p.conn.execute("ROLLBACK")
        p.conn.execute("SELECT pg_advisory_unlock_all()")
        p.conn.execute("RESET ALL")


_LOCKS_QUERY = (
    "SELECT pid, classid, objid, objsubid, mode, granted FROM pg_locks "
    "WHERE locktype = 'advisory' ORDER BY 1, 2, 3, 4, 5"
)


def _locks(side: Any, pids: list[str | None]) -> list[tuple[Any, ...]]:
    """pg_locks' advisory rows with the pid replaced by the session's index."""
    error, rows, _ = side.run(_LOCKS_QUERY)
    assert error is None
    return sorted((pids.index(r[0]), *r[1:]) for r in rows)


def _pids(sides: list[Any]) -> list[str | None]:
    return [s.run("SELECT pg_backend_pid()")[1][0][0] for s in sides]


SINGLE = [
    "SELECT pg_advisory_lock(1), pg_advisory_lock(1), pg_try_advisory_lock(1)",
    "SELECT pg_advisory_unlock(1), pg_advisory_unlock(1), pg_advisory_unlock(1)",
    "SELECT pg_advisory_unlock(1)",
    "SELECT pg_advisory_unlock_shared(1)",
    "SELECT pg_advisory_lock_shared(2, 3), pg_advisory_unlock_shared(2, 3)",
    "SELECT pg_advisory_unlock(2, 3)",
    "SELECT pg_advisory_lock(-1), pg_advisory_lock(4294967296), pg_advisory_lock(-2, -3)",
    "SELECT pg_try_advisory_lock(NULL), pg_advisory_unlock(NULL::int, 1)",
    "SELECT pg_advisory_lock(1, 2, 3)",
    "SELECT pg_advisory_xact_lock(9)",
    "BEGIN",
    "SELECT pg_advisory_xact_lock(9), pg_try_advisory_xact_lock_shared(9)",
    "SELECT pg_advisory_unlock(9)",
    "COMMIT",
    "SELECT pg_advisory_unlock_all()",
    "SELECT pg_advisory_unlock(-1)",
    "BEGIN",
    "SAVEPOINT s",
    "SELECT pg_advisory_xact_lock(11), pg_advisory_lock(12)",
    "ROLLBACK TO s",  # the subtransaction's transaction-level lock goes, the session's stays
    "SAVEPOINT t",
    "SELECT pg_advisory_xact_lock(13)",
    "RELEASE t",  # kept by the enclosing transaction
    "COMMIT",
    "SELECT pg_advisory_lock(1::bigint, 2)",
    "SELECT pg_advisory_lock(5.0)",
    "SELECT pg_advisory_lock('5'), pg_advisory_unlock('5')",
    "SELECT pg_advisory_unlock_all()",
    "SELECT pg_advisory_lock(77), pg_advisory_lock_shared(78)",
    "DISCARD ALL",  # a pooler's reset: session locks go too
    "SHOW deadlock_timeout",
    "SET deadlock_timeout = 500",
    "SHOW deadlock_timeout",
    "SET deadlock_timeout = '2min'",
    "SHOW deadlock_timeout",
    "RESET deadlock_timeout",
]


def test_single_session_matches_postgres(pg_pair: list[PgSide]) -> None:
    """Return values, WARNINGs, errors and pg_locks of one session's calls, as PostgreSQL."""
    _reset_pg(pg_pair)
    mine = Db9Side(Database(TxnClient(local_kv()), DB))
    theirs = pg_pair[0]
    for sql in SINGLE:
        assert mine.run(sql) == theirs.run(sql), sql
        assert _locks(mine, _pids([mine])) == _locks(theirs, _pids([theirs])), sql


_KEYS = ["1", "2", "0, 1"]  # bigint 1 and (int 0, int 1) are different locks
_OPS = [
    "pg_try_advisory_lock({})",
    "pg_try_advisory_lock_shared({})",
    "pg_try_advisory_xact_lock({})",
    "pg_try_advisory_xact_lock_shared({})",
    "pg_advisory_unlock({})",
    "pg_advisory_unlock_shared({})",
]


@st.composite
def _programs(draw: st.DrawFn) -> list[tuple[int, str]]:
    steps: list[tuple[int, str]] = []
    in_block = [False, False]
    savepoints = [0, 0]
    for _ in range(draw(st.integers(1, 25))):
        who = draw(st.integers(0, 1))
        kind = draw(st.integers(0, 11))
        if kind < 7:
            op = _OPS[kind % len(_OPS)].format(draw(st.sampled_from(_KEYS)))
            steps.append((who, f"SELECT {op}"))
        elif kind == 7:
            steps.append((who, "SELECT pg_advisory_unlock_all()"))
        elif not in_block[who]:
            steps.append((who, "BEGIN"))
            in_block[who] = True
        elif kind == 8 or (kind == 9 and not savepoints[who]):
            steps.append((who, "SAVEPOINT s"))
            savepoints[who] += 1
        elif kind == 9:
            released = draw(st.booleans())
            steps.append((who, "RELEASE s" if released else "ROLLBACK TO s"))
            savepoints[who] -= released
        else:
            steps.append((who, draw(st.sampled_from(["COMMIT", "ROLLBACK"]))))
            in_block[who] = False
            savepoints[who] = 0
    return steps


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(program=_programs())
def test_two_sessions_model_matches_postgres(
    pg_pair: list[PgSide], program: list[tuple[int, str]]
) -> None:
    """Two sessions' non-blocking lock and unlock calls, inside and outside blocks and
    savepoints: every result, WARNING and the final pg_locks agree with PostgreSQL."""
    _reset_pg(pg_pair)
    database = Database(TxnClient(local_kv()), DB)
    mine = [Db9Side(database), Db9Side(database)]
    for who, sql in program:
        assert mine[who].run(sql) == pg_pair[who].run(sql), (who, sql)
    assert _locks(mine[0], _pids(mine)) == _locks(pg_pair[0], _pids(pg_pair))


def _in_thread(session: Session, sql: str) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(session.execute(sql)[-1].rows)
        except Db9Error as exc:
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_a_waiter_wakes_when_the_holder_unlocks() -> None:
    database = Database(TxnClient(local_kv()), DB)
    a, b = Session(database), Session(database)
    a.execute("SELECT pg_advisory_lock(1)")
    t, out = _in_thread(b, "SELECT pg_advisory_lock(1)")
    assert database.advisory.wait_for_waiters(1, 10)
    rows = a.execute("SELECT granted, pid FROM pg_locks ORDER BY granted")[-1].rows
    assert rows == [(False, b.pid), (True, a.pid)]
    assert a.execute("SELECT pg_advisory_unlock(1)")[-1].rows == [(True,)]
    t.join(10)
    assert out == [[("",)]]
    assert a.execute("SELECT pg_try_advisory_lock(1)")[-1].rows == [(False,)]


def test_shared_holders_exclude_an_exclusive_waiter_and_queue_later_sharers() -> None:
    """A waiting exclusive request is not overtaken by a later shared one (PostgreSQL's
    wait queue), and it gets the lock once every sharer unlocked."""
    database = Database(TxnClient(local_kv()), DB)
    a, b, c = Session(database), Session(database), Session(database)
    a.execute("SELECT pg_advisory_lock_shared(1)")
    t, out = _in_thread(b, "SELECT pg_advisory_lock(1)")
    assert database.advisory.wait_for_waiters(1, 10)
    assert c.execute("SELECT pg_try_advisory_lock_shared(1)")[-1].rows == [(False,)]
    a.execute("SELECT pg_advisory_unlock_shared(1)")
    t.join(10)
    assert out == [[("",)]]


def test_lock_timeout_and_statement_timeout_end_a_wait(pg_pair: list[PgSide]) -> None:
    _reset_pg(pg_pair)
    database = Database(TxnClient(local_kv()), DB)
    mine = [Db9Side(database), Db9Side(database)]
    for sides in (mine, pg_pair):
        sides[0].run("SELECT pg_advisory_lock(1)")
        sides[1].run("SET lock_timeout = '50ms'")
    assert mine[1].run("SELECT pg_advisory_lock(1)") == pg_pair[1].run(
        "SELECT pg_advisory_lock(1)"
    ) == ("55P03", [], [])  # fmt: skip
    for sides in (mine, pg_pair):
        sides[1].run("SET lock_timeout = 0")
        sides[1].run("SET statement_timeout = '50ms'")
    assert mine[1].run("SELECT pg_advisory_lock_shared(1)") == pg_pair[1].run(
        "SELECT pg_advisory_lock_shared(1)"
    ) == ("57014", [], [])  # fmt: skip
    # the waits left nothing behind: the holder's lock alone
    assert _locks(mine[0], _pids(mine)) == _locks(pg_pair[0], _pids(pg_pair))


def test_a_cancel_ends_a_wait() -> None:
    database = Database(TxnClient(local_kv()), DB)
    a, b = Session(database), Session(database)
    a.execute("SELECT pg_advisory_lock(1)")
    t, out = _in_thread(b, "SELECT pg_advisory_lock(1)")
    assert database.advisory.wait_for_waiters(1, 10)
    b.cancel()
    t.join(10)
    assert isinstance(out[0], Db9Error) and out[0].sqlstate == "57014"


def test_a_wait_cycle_is_a_deadlock() -> None:
    database = Database(TxnClient(local_kv()), DB)
    a, b = Session(database), Session(database)
    a.execute("SET deadlock_timeout = '10s'")  # b detects it (it waits second)
    b.execute("SET deadlock_timeout = '20ms'")
    a.execute("SELECT pg_advisory_lock(1)")
    b.execute("SELECT pg_advisory_lock(2)")
    t, out = _in_thread(a, "SELECT pg_advisory_lock(2)")
    assert database.advisory.wait_for_waiters(1, 10)
    with pytest.raises(Db9Error) as caught:
        b.execute("SELECT pg_advisory_lock(1)")
    assert caught.value.sqlstate == "40P01"
    assert f"Process {b.pid} waits for ExclusiveLock on advisory lock [5,0,1,1]" in str(
        getattr(caught.value, "detail", "")
    )
    b.execute("SELECT pg_advisory_unlock_all()")
    t.join(10)
    assert out == [[("",)]]


def test_session_end_releases_its_locks() -> None:
    database = Database(TxnClient(local_kv()), DB)
    a, b = Session(database), Session(database)
    a.execute("BEGIN; SELECT pg_advisory_lock(1), pg_advisory_xact_lock(2)")
    t, out = _in_thread(b, "SELECT pg_advisory_lock(1), pg_advisory_lock(2)")
    assert database.advisory.wait_for_waiters(1, 10)
    a.close()
    t.join(10)
    assert out == [[("", "")]]


def test_transaction_locks_go_at_rollback_and_commit() -> None:
    database = Database(TxnClient(local_kv()), DB)
    a, b = Session(database), Session(database)
    for end in ("ROLLBACK", "COMMIT"):
        a.execute("BEGIN; SELECT pg_advisory_xact_lock(3)")
        assert b.execute("SELECT pg_try_advisory_lock(3)")[-1].rows == [(False,)]
        a.execute(end)
        assert b.execute("SELECT pg_try_advisory_lock(3), pg_advisory_unlock(3)")[-1].rows == [
            (True, True)
        ]


def test_two_nodes_exclude_each_other_and_a_dead_nodes_locks_lapse() -> None:
    """Two Database objects over one store are two nodes: a lock taken on one blocks the
    other until released; a node that stops renewing (a crash) loses its locks after its
    lease, while a live node's renewed lease keeps them. (The store's TSO reads the wall
    clock here: leases are judged by TSO time, which the tests' stepping clock would not
    advance while nothing draws timestamps.)"""
    engine = MemoryEngine()
    client = TxnClient(LocalKv(engine, TimestampOracle(engine)))
    one, two = Database(client, DB), Database(client, DB)
    one.advisory = KvLockTable(client, DB, lease_s=0.3)
    a, b = Session(one), Session(two)
    a.execute("SELECT pg_advisory_lock(7)")
    assert b.execute("SELECT pg_try_advisory_lock(7), pg_try_advisory_lock_shared(7)")[-1].rows == [
        (False, False)
    ]
    t, out = _in_thread(b, "SELECT pg_advisory_lock(7)")
    assert two.advisory.wait_for_waiters(1, 10)
    a.execute("SELECT pg_advisory_unlock(7)")  # woken by polling: another node's release
    t.join(10)
    assert out == [[("",)]]
    b.execute("SELECT pg_advisory_unlock(7)")

    a.execute("SELECT pg_advisory_lock(8)")
    b.execute("SET lock_timeout = '1s'")  # three leases: renewal keeps the lock held
    with pytest.raises(Db9Error) as caught:
        b.execute("SELECT pg_advisory_lock(8)")
    assert caught.value.sqlstate == "55P03"
    one.advisory.close()  # node one dies holding lock 8
    started = time.monotonic()
    b.execute("SET lock_timeout = '10s'")
    assert b.execute("SELECT pg_advisory_lock(8)")[-1].rows == [("",)]
    assert time.monotonic() - started < 5
    rows = b.execute("SELECT pid, mode FROM pg_locks")[-1].rows
    assert rows == [(b.pid, "ExclusiveLock")]  # the dead holder is gone from pg_locks
    txn = client.begin()
    assert txn.get(advisory_lease_key(one.advisory.instance)) is None  # its lease went too
    txn.rollback()


def test_exclusion_holds_among_concurrent_sessions_of_two_nodes() -> None:
    """Six sessions on two nodes take share and exclusive locks on two keys at random, at
    session and transaction level: no exclusive holder ever overlaps another holder (each
    records itself inside its critical section), and every wait ends."""
    import random

    engine = MemoryEngine()
    client = TxnClient(LocalKv(engine, TimestampOracle(engine)))
    nodes = [Database(client, DB), Database(client, DB)]
    inside: dict[int, list[str]] = {1: [], 2: []}
    guard = threading.Lock()
    errors: list[BaseException] = []

    def enter(key: int, mode: str) -> None:
        with guard:
            held = inside[key]
            assert "X" not in held and (mode == "S" or not held), (key, mode, held)
            held.append(mode)

    def leave(key: int, mode: str) -> None:
        with guard:
            inside[key].remove(mode)

    def worker(n: int) -> None:
        rng = random.Random(n)
        s = Session(nodes[n % 2])
        try:
            for _ in range(25):
                key, mode, xact = rng.choice([1, 2]), rng.choice("SX"), rng.random() < 0.3
                shared = "_shared" if mode == "S" else ""
                if xact:
                    s.execute(f"BEGIN; SELECT pg_advisory_xact_lock{shared}({key})")
                else:
                    s.execute(f"SELECT pg_advisory_lock{shared}({key})")
                enter(key, mode)
                s.execute("SELECT 1")  # a statement's time inside the critical section
                leave(key, mode)
                if xact:
                    s.execute("COMMIT")
                else:
                    assert s.execute(f"SELECT pg_advisory_unlock{shared}({key})")[-1].rows == [
                        (True,)
                    ]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert Session(nodes[0]).execute("SELECT count(*) FROM pg_locks")[-1].rows == [(0,)]


def test_a_statement_db9_runs_again_takes_its_locks_once() -> None:
    """A statement that loses a write race is run again unseen by the client (autocommit's
    40001 retry): the locks its first run took are not counted twice."""
    database = Database(TxnClient(local_kv()), DB)
    a, b = Session(database), Session(database)
    a.execute("CREATE TABLE t (k int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
    a.execute("SELECT pg_advisory_lock(6)")
    t, out = _in_thread(
        b,
        "UPDATE t SET v = v + 1 WHERE k = 1 AND pg_advisory_lock(5) IS NOT NULL "
        "AND pg_advisory_lock_shared(6) IS NOT NULL",
    )
    assert database.advisory.wait_for_waiters(1, 10)  # b read row 1, took 5, waits for 6
    a.execute("UPDATE t SET v = 100 WHERE k = 1")  # b's write of row 1 will conflict
    a.execute("SELECT pg_advisory_unlock(6)")
    t.join(10)
    assert out == [None]  # UPDATE: no rows, no error
    assert a.execute("SELECT v FROM t")[-1].rows == [(101,)]  # b ran again on a's row
    assert b.execute(
        "SELECT pg_advisory_unlock(5), pg_advisory_unlock(5), pg_advisory_unlock_shared(6), "
        "pg_advisory_unlock_shared(6)"
    )[-1].rows == [(True, False, True, False)]


def test_a_release_the_store_refuses_is_retried() -> None:
    """An unlock while the store cannot be reached still succeeds for the session; the
    entry goes when the renewer retries (or before the session's next request)."""
    engine = MemoryEngine()
    client = TxnClient(LocalKv(engine, TimestampOracle(engine)))
    database = Database(client, DB)
    table = database.advisory = KvLockTable(client, DB, lease_s=0.3)
    a, b = Session(database), Session(database)
    a.execute("SELECT pg_advisory_lock(1), pg_advisory_lock(2)")
    drop = table._drop

    def refused(*args: Any) -> None:
        table._drop = drop  # type: ignore[method-assign]
        raise Db9Error("the store is unreachable")

    table._drop = refused  # type: ignore[method-assign]
    assert a.execute("SELECT pg_advisory_unlock(1)")[-1].rows == [(True,)]
    assert b.execute("SELECT pg_try_advisory_lock(1)")[-1].rows == [(False,)]  # still listed
    wait_for(lambda: b.execute("SELECT pg_try_advisory_lock(1)")[-1].rows == [(True,)])

    table._drop = refused  # type: ignore[method-assign]
    a.execute("SELECT pg_advisory_unlock(2)")
    a.execute("SELECT pg_advisory_lock(2)")  # the pending release goes first, not after
    assert a.execute("SELECT pg_advisory_unlock(2), pg_advisory_unlock(2)")[-1].rows == [
        (True, False)
    ]
    assert b.execute("SELECT pg_try_advisory_lock(2)")[-1].rows == [(True,)]


def test_a_wait_record_the_store_refused_to_delete_goes_later() -> None:
    """A cancelled waiter whose wait record could not be deleted would queue every later
    conflicting request behind a ghost: the renewer deletes it."""
    engine = MemoryEngine()
    client = TxnClient(LocalKv(engine, TimestampOracle(engine)))
    database = Database(client, DB)
    database.advisory = KvLockTable(client, DB, lease_s=0.3)
    a, b, c = Session(database), Session(database), Session(database)
    a.execute("SELECT pg_advisory_lock_shared(1)")
    t, out = _in_thread(b, "SELECT pg_advisory_lock(1)")
    assert database.advisory.wait_for_waiters(1, 10)
    begin, refused = client.begin, [False]

    def failing_begin(**kw: Any) -> Any:
        txn = begin(**kw)
        delete = txn.delete

        def refuse_once(key: bytes) -> None:
            if not refused[0] and key.startswith(ADVISORY + b"w"):
                refused[0] = True
                raise Db9Error("the store is unreachable")
            delete(key)

        txn.delete = refuse_once  # type: ignore[method-assign]
        return txn

    client.begin = failing_begin  # type: ignore[method-assign]
    b.cancel()
    t.join(10)
    assert refused == [True] and isinstance(out[0], Db9Error)
    wait_for(lambda: c.execute("SELECT pg_try_advisory_lock_shared(1)")[-1].rows == [(True,)])
    assert a.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")[-1].rows == [(0,)]
