"""Session behaviour a client sees: isolation levels, conflicts as 40001, the aborted block
(25P02) and ReadyForQuery status letters, the SERIALIZABLE notice, savepoints."""

from __future__ import annotations

import pytest

from kv.client import TxnClient
from kv.errors import Db9Error
from sql.session import SERIALIZABLE_NOTICE, Database, Session
from tests.kv.conftest import local_kv


@pytest.fixture
def db() -> Database:
    database = Database(TxnClient(local_kv()), b"\x00\x07")
    s = Session(database)
    s.execute("CREATE TABLE kv (k int PRIMARY KEY, v int)")
    s.execute("INSERT INTO kv VALUES (1, 10), (2, 20)")
    return database


def one(s: Session, sql: str) -> object:
    rows = s.execute(sql)[-1].rows
    assert rows is not None
    return rows[0][0]


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
    a, b = Session(db), Session(db)
    a.execute("BEGIN")
    b.execute("BEGIN")
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
    rows = Session(db).execute("EXPLAIN SELECT v FROM kv WHERE k = 1")[0].rows
    assert rows is not None
    assert any("Index Scan using kv_pkey" in r[0] for r in rows)


def test_cached_plans_follow_parameters_and_schema_changes(db: Database) -> None:
    s = Session(db)
    p = s.prepare("SELECT * FROM kv WHERE k = $1")
    assert s.execute_prepared(p, [1]).rows == [(1, 10)]
    assert s.execute_prepared(p, [2]).rows == [(2, 20)]
    assert len(s.plan_cache) == 1
    Session(db).execute("ALTER TABLE kv ADD COLUMN note text DEFAULT 'n'")
    assert s.execute_prepared(p, [2]).rows == [(2, 20, "n")]
    assert s.execute("SELECT now() = now()")[0].rows == [(True,)]
    assert len(s.plan_cache) == 2  # now() is not cached: its value is fixed at plan time
