"""Join plans chosen as PostgreSQL 15 chooses them, compared with a live PostgreSQL by their
EXPLAIN (COSTS OFF) text and by their rows: useless LEFT JOINs removed."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.pg import connect

SETUP = [
    "CREATE TABLE a (id int PRIMARY KEY, b_id int)",
    "CREATE TABLE b (id int PRIMARY KEY, c_id int)",
    "CREATE TABLE c (id int PRIMARY KEY)",
    "CREATE TABLE d (a int, b int)",
    "CREATE TABLE e (k int, v int)",
    "CREATE UNIQUE INDEX e_k ON e (k)",
    "INSERT INTO a VALUES (0, 0), (1, NULL), (2, 2)",
    "INSERT INTO b VALUES (0, 0), (1, NULL), (2, 5)",
    "INSERT INTO c VALUES (0), (1)",
    "INSERT INTO d VALUES (1, 3), (2, 2), (3, 1), (2, NULL)",
    "INSERT INTO e VALUES (1, 1), (2, 2)",
]

REMOVED = [
    "SELECT a.* FROM a LEFT JOIN b ON a.b_id = b.id",
    "SELECT a.* FROM a LEFT JOIN (b LEFT JOIN c ON b.c_id = c.id) ON (a.b_id = b.id)",
    "SELECT d.* FROM d LEFT JOIN (SELECT * FROM b GROUP BY b.id, b.c_id) s"
    " ON d.a = s.id AND d.b = s.c_id",
    "SELECT d.* FROM d LEFT JOIN (SELECT DISTINCT * FROM b) s ON d.a = s.id AND d.b = s.c_id",
    "SELECT d.* FROM d LEFT JOIN (SELECT id FROM a UNION SELECT id FROM b) s ON d.a = s.id",
    "SELECT d.a FROM d LEFT JOIN (SELECT c_id FROM b GROUP BY c_id) s ON d.b = s.c_id",
    "SELECT d.* FROM d LEFT JOIN e ON d.a = e.k AND e.v > 1",
    "SELECT count(*) FROM d LEFT JOIN e ON d.a = e.k",
]

KEPT = [
    "SELECT a.*, b.c_id FROM a LEFT JOIN b ON a.b_id = b.id",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id",
    "SELECT a.id FROM a LEFT JOIN b ON a.b_id = b.id WHERE b.c_id IS NULL",
    "SELECT a.id FROM a LEFT JOIN b ON a.b_id = b.id ORDER BY c_id",
    "SELECT d.* FROM d LEFT JOIN (SELECT * FROM b GROUP BY b.id, b.c_id) s ON d.b = s.c_id",
    "SELECT d.* FROM d LEFT JOIN (SELECT id FROM a UNION ALL SELECT id FROM b) s ON d.a = s.id",
    "SELECT a.id FROM a LEFT JOIN b ON a.b_id = b.id JOIN c ON c.id = b.c_id",
]


@pytest.fixture(scope="module")
def session() -> Session:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x0b"))
    for sql in SETUP:
        s.execute(sql)
    return s


@pytest.fixture(scope="module")
def pg(pg_conninfo: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    conn = connect(pg_conninfo)
    conn.execute("DROP SCHEMA IF EXISTS join_plans CASCADE")
    conn.execute("CREATE SCHEMA join_plans")
    conn.execute("SET search_path = join_plans")
    for sql in SETUP:
        conn.execute(sql)
    yield conn
    conn.execute("DROP SCHEMA join_plans CASCADE")
    conn.close()


def _plan(session: Session, query: str) -> list[object]:
    return [r[0] for r in session.execute("EXPLAIN (COSTS OFF) " + query)[0].rows or []]


@pytest.mark.parametrize("query", REMOVED)
def test_useless_left_join_is_removed_as_postgres_removes_it(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    theirs = [r[0] for r in pg.execute("EXPLAIN (COSTS OFF) " + query).fetchall()]
    assert not any("Join" in str(line) for line in theirs)
    assert _plan(session, query) == theirs
    rows = sorted(map(repr, pg.execute(query).fetchall()))
    assert sorted(map(repr, session.execute(query)[0].rows or [])) == rows


@pytest.mark.parametrize("query", KEPT)
def test_left_join_read_above_or_not_unique_is_kept(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    assert any("Join" in str(line) for line in _plan(session, query))
    rows = sorted(map(repr, pg.execute(query).fetchall()))
    assert sorted(map(repr, session.execute(query)[0].rows or [])) == rows
