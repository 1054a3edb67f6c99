"""Session behaviour a client sees: isolation levels, conflicts as 40001, the aborted block
(25P02) and ReadyForQuery status letters, the SERIALIZABLE notice, savepoints."""

from __future__ import annotations

import pytest

from kv.errors import Db9Error
from sql.database import Database
from sql.session import SERIALIZABLE_NOTICE, Session
from tests.sql.sessions import one


def test_concurrent_updates_of_one_row_fail_the_second_committer_with_40001(db: Database) -> None:
    a, b = Session(db), Session(db)
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    b.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    a.execute("UPDATE kv SET v = v + 1 WHERE k = 1")
    b.execute("UPDATE kv SET v = v + 5 WHERE k = 1")
    a.execute("COMMIT")
    with pytest.raises(Db9Error) as info:
        b.execute("COMMIT")
    assert info.value.sqlstate == "40001"
    assert b.status == "I"
    assert one(Session(db), "SELECT v FROM kv WHERE k = 1") == 11


def test_repeatable_read_keeps_its_snapshot_and_read_committed_moves_on(db: Database) -> None:
    rr, rc, writer = Session(db), Session(db), Session(db)
    rr.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    rc.execute("BEGIN")
    assert one(rr, "SELECT v FROM kv WHERE k = 2") == 20
    assert one(rc, "SELECT v FROM kv WHERE k = 2") == 20
    writer.execute("UPDATE kv SET v = 21 WHERE k = 2")
    assert one(rr, "SELECT v FROM kv WHERE k = 2") == 20
    assert one(rc, "SELECT v FROM kv WHERE k = 2") == 21
    rr.execute("COMMIT")
    rc.execute("COMMIT")


def test_serializable_is_accepted_with_a_notice_and_reported_as_asked(db: Database) -> None:
    s = Session(db)
    s.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
    assert s.notices == [SERIALIZABLE_NOTICE]
    assert one(s, "SHOW transaction_isolation") == "serializable"
    s.execute("COMMIT")
    s.notices.clear()
    s.execute("SET default_transaction_isolation = 'serializable'")
    assert s.notices == [SERIALIZABLE_NOTICE]
    s.execute("BEGIN")
    assert one(s, "SHOW transaction_isolation") == "serializable"


def test_failed_statement_aborts_the_block_until_rollback(db: Database) -> None:
    s = Session(db)
    s.execute("BEGIN")
    assert s.status == "T"
    with pytest.raises(Db9Error) as info:
        s.execute("INSERT INTO kv VALUES (1, 0)")
    assert info.value.sqlstate == "23505"
    assert s.status == "E"
    with pytest.raises(Db9Error) as info:
        s.execute("SELECT 1")
    assert info.value.sqlstate == "25P02"
    assert s.execute("COMMIT")[0].tag == "ROLLBACK"
    assert s.status == "I"
    assert one(s, "SELECT count(*) FROM kv") == 2


def test_rollback_to_savepoint_recovers_an_aborted_block(db: Database) -> None:
    s = Session(db)
    s.execute("BEGIN; INSERT INTO kv VALUES (3, 30); SAVEPOINT sp")
    with pytest.raises(Db9Error):
        s.execute("INSERT INTO kv VALUES (1, 0)")
    s.execute("ROLLBACK TO SAVEPOINT sp")
    assert s.status == "T"
    s.execute("INSERT INTO kv VALUES (4, 40); COMMIT")
    assert one(s, "SELECT count(*) FROM kv") == 4


def test_ddl_rolls_back_with_its_transaction(db: Database) -> None:
    s = Session(db)
    s.execute("BEGIN; CREATE TABLE tmp (x int); INSERT INTO tmp VALUES (1); ROLLBACK")
    with pytest.raises(Db9Error) as info:
        s.execute("SELECT * FROM tmp")
    assert info.value.sqlstate == "42P01"


def test_concurrent_inserts_of_one_key_report_a_unique_violation(db: Database) -> None:
    """At REPEATABLE READ the second insert runs on and fails at commit (at READ COMMITTED
    it waits for the first: tests/sql/test_rc_waits.py)."""
    a, b = Session(db), Session(db)
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    b.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    a.execute("INSERT INTO kv VALUES (9, 1)")
    b.execute("INSERT INTO kv VALUES (9, 2)")
    a.execute("COMMIT")
    with pytest.raises(Db9Error) as info:
        b.execute("COMMIT")
    assert info.value.sqlstate == "23505"


def test_garbage_input_is_an_error_and_the_session_keeps_working(db: Database) -> None:
    s = Session(db)
    for bad in ["SELEC 1", "SELECT (", "'unterminated", "SELECT 1 +", "\x00", "SELECT $$x"]:
        with pytest.raises(Db9Error) as info:
            s.execute(bad)
        assert info.value.sqlstate == "42601", bad
    assert s.execute(";;;") == []
    assert one(s, "SELECT 41 + 1") == 42


def test_explain_shows_a_point_get_for_primary_key_equality(db: Database) -> None:
    rows = Session(db).execute("EXPLAIN (COSTS OFF) SELECT v FROM kv WHERE k = 1")[0].rows
    assert rows is not None
    assert any("Index Scan using kv_pkey" in r[0] for r in rows)


def test_cached_plans_follow_parameters_and_schema_changes(db: Database) -> None:
    s = Session(db)
    p = s.prepare("SELECT * FROM kv WHERE k = $1")
    assert s.execute_prepared(p, [1]).rows == [(1, 10)]
    assert s.execute_prepared(p, [2]).rows == [(2, 20)]
    assert len(s.plan_cache) == 1
    Session(db).execute("ALTER TABLE kv ADD COLUMN note text DEFAULT 'n'")
    with pytest.raises(Db9Error) as info:  # its row changed: PostgreSQL's 0A000
        s.execute_prepared(p, [2])
    assert info.value.sqlstate == "0A000"
    p = s.prepare("SELECT * FROM kv WHERE k = $1")
    assert s.execute_prepared(p, [2]).rows == [(2, 20, "n")]
    assert s.execute("SELECT now() = now()")[0].rows == [(True,)]
    first = s.execute("SELECT now()")[0].rows
    assert len(s.plan_cache) == 4  # now() is read when run, so its plans are cached too
    assert s.execute("SELECT now()")[0].rows != first  # each statement its own transaction


def _lock_row(db: Database, k: int) -> tuple[bytes, int]:
    """Prewrite a lock on row ``k`` of kv, as a live 2PC transaction would; (key, start_ts)."""
    from kv.mvcc.records import Mutation, Op
    from sql.rows import RowCodec

    s = Session(db)
    s.execute("BEGIN")
    table = s.catalog().table("kv", None, s.search_path())
    s.execute("ROLLBACK")
    key = RowCodec(db.db, table).key_for_pk((k,))
    backend = db.client.backend
    start_ts = backend.get_ts()
    backend.prewrite([Mutation(Op.PUT, key, b"")], key, start_ts, lock_ttl_ms=60_000)
    return key, start_ts


def test_point_reads_run_inline_and_hand_over_when_they_would_wait(db: Database) -> None:
    s = Session(db)
    p = s.prepare("SELECT v FROM kv WHERE k = $1")
    assert s.execute_inline(p, [1]) is None  # not planned yet: planning is not inline work
    assert s.execute_prepared(p, [1]).rows == [(10,)]
    result = s.execute_inline(p, [1])
    assert result is not None and result.rows == [(10,)]
    key, start_ts = _lock_row(db, 2)
    # Reading row 2 would wait for the lock's owner: inline refuses and leaves no trace.
    assert s.execute_inline(p, [2]) is None
    assert s.txn is None and s.status == "I"
    s.execute("BEGIN")
    assert s.execute_inline(p, [2]) is None
    assert s.status == "T" and not s.failed  # the block goes on; nothing was aborted
    result = s.execute_inline(p, [1])
    assert result is not None and result.rows == [(10,)]
    db.client.backend.rollback([key], start_ts)
    assert s.execute_prepared(p, [2]).rows == [(20,)]
    s.execute("COMMIT")


def test_point_read_after_a_schema_change_is_planned_again_off_the_loop(db: Database) -> None:
    s = Session(db)
    p = s.prepare("SELECT * FROM kv WHERE k = $1")
    s.execute_prepared(p, [1])
    assert s.execute_inline(p, [1]) is not None
    # a change that keeps the row (one that changes it fails the statement: 0A000)
    Session(db).execute("ALTER TABLE kv ADD CONSTRAINT v_positive CHECK (v > 0)")
    assert s.execute_inline(p, [1]) is None
    assert s.execute_prepared(p, [1]).rows == [(1, 10)]
    result = s.execute_inline(p, [1])
    assert result is not None and result.rows == [(1, 10)]


def test_only_primary_key_point_reads_are_inline(db: Database) -> None:
    s = Session(db)
    for sql, params in [
        ("SELECT v FROM kv WHERE v = $1", [10]),  # a scan
        ("SELECT (SELECT count(*) FROM kv) FROM kv WHERE k = $1", [1]),  # a subquery
        ("UPDATE kv SET v = v WHERE k = $1", [1]),  # a write
    ]:
        p = s.prepare(sql)
        s.execute_prepared(p, params)
        assert s.execute_inline(p, params) is None, sql


def test_txid_current_names_the_transaction(db: Database) -> None:
    """txid_current(): one bigint per transaction, the same within a block, growing."""
    s = Session(db)
    first = one(s, "SELECT txid_current()")
    s.execute("BEGIN")
    a, b = one(s, "SELECT txid_current()"), one(s, "SELECT txid_current()")
    s.execute("COMMIT")
    assert isinstance(first, int) and a == b and first < a < one(s, "SELECT txid_current()")
    assert s.execute("SELECT pg_typeof(txid_current())")[0].rows == [("bigint",)]
