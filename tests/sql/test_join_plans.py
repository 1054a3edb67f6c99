"""Join plans chosen as PostgreSQL 15 chooses them, compared with a live PostgreSQL by their
EXPLAIN (COSTS OFF) text and by their rows: useless LEFT JOINs removed, WHERE and ON
conditions taken below outer joins (which a WHERE false on NULLs makes inner), the hashed side
of a hash join picked by PostgreSQL's costs (ANALYZE's statistics, or its guess without)."""

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
    "CREATE TABLE big (k int, v int, w int)",
    "CREATE TABLE small (f1 int)",
    "INSERT INTO big SELECT g, g % 10, g % 7 FROM generate_series(1, 6000) g",
    "INSERT INTO small VALUES (1), (5), (NULL), (7000)",
    "ANALYZE big",
    "CREATE TABLE tk (unique1 int, unique2 int, hundred int, ten int)",
    "INSERT INTO tk SELECT g, (g * 7) % 3000, g % 100, g % 10 FROM generate_series(0, 2999) g",
    "ANALYZE tk",
]

# big is analyzed, small never: PostgreSQL will not hash a table it knows nothing of.
SAME_PLAN = [
    "SELECT * FROM small LEFT JOIN big ON f1 = k",
    "SELECT * FROM big RIGHT JOIN small ON f1 = k",
    "SELECT * FROM small JOIN big ON f1 = k",
    "SELECT * FROM small LEFT JOIN big ON f1 = k WHERE v = 1 OR f1 IS NULL",
    "SELECT * FROM small LEFT JOIN big ON f1 = k AND w > 2 WHERE coalesce(v, 0) < 5",
    "SELECT * FROM small LEFT JOIN big ON f1 = k WHERE big.w > 2",
    "SELECT * FROM small LEFT JOIN big ON f1 = k WHERE big.w IS NOT NULL AND f1 > 0",
    "SELECT * FROM big b1 LEFT JOIN big b2 ON b1.k = b2.v WHERE b1.w > 2",
    "SELECT * FROM big b1 JOIN big b2 ON b1.k = b2.v AND b2.w = 3 AND b1.w < 2",
    # a subquery PostgreSQL pulls up: its columns named by the table's
    "SELECT * FROM small LEFT JOIN (SELECT k AS x, v FROM big) ss ON f1 = ss.x",
    "SELECT * FROM (SELECT v AS y, k AS x FROM big) ss RIGHT JOIN small ON ss.x = f1",
    # nested loops: a RIGHT one run as LEFT, the inner side materialized, ON true dropped
    "SELECT * FROM d RIGHT JOIN e ON d.a > e.k",
    "SELECT * FROM d LEFT JOIN e ON true",
    "SELECT * FROM d JOIN e ON d.a < e.k WHERE e.v > 0",
    # a nested loop holds its smaller side; an OR's one-sided parts filter each side first
    "SELECT * FROM tk a JOIN tk b ON (a.unique1 = 1 AND b.unique1 = 2)"
    " OR (a.unique2 = 3 AND b.hundred = 4)",
    "SELECT * FROM tk a JOIN tk b ON (a.unique1 = 1 AND b.unique1 = 2)"
    " OR ((a.unique2 = 3 OR a.unique2 = 7) AND b.hundred = 4)",
    "SELECT * FROM tk a, tk b WHERE a.unique1 < 3 AND b.ten = 1 AND a.hundred <> b.hundred",
    # a WHERE on the left of a LATERAL join goes below it
    "SELECT * FROM d, LATERAL (SELECT * FROM e WHERE e.v = d.a LIMIT 1) s WHERE d.b > 1",
    "SELECT * FROM d LEFT JOIN LATERAL (SELECT * FROM e WHERE e.v = d.a LIMIT 1) s ON true"
    " WHERE d.b > 1 AND s.v IS NULL",
]

# Rows, whatever the plan: outer joins kept or made inner by their WHERE.
SAME_ROWS = [
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE a.id > 0",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE b.c_id > 0",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE b.c_id IS NULL",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE b.c_id IS NOT NULL",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE NOT (b.c_id = 5)",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE b.c_id = 5 OR a.id = 1",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id WHERE coalesce(b.c_id, 7) = 7",
    "SELECT * FROM a RIGHT JOIN b ON a.b_id = b.id WHERE a.id + 1 > 0",
    "SELECT * FROM a RIGHT JOIN b ON a.b_id = b.id WHERE b.id < 2",
    "SELECT * FROM a FULL JOIN b ON a.b_id = b.id WHERE b.id < 2",
    "SELECT * FROM a LEFT JOIN b ON a.b_id = b.id AND b.c_id > 0 AND a.id < 2",
    "SELECT * FROM a RIGHT JOIN b ON a.b_id = b.id AND a.id < 2 AND b.c_id > 0",
    "SELECT * FROM a JOIN b ON a.b_id = b.id AND b.c_id > 0 AND a.id < 2",
    "SELECT * FROM small LEFT JOIN big ON f1 = k",
    "SELECT * FROM big RIGHT JOIN small ON f1 = k",
    "SELECT * FROM small RIGHT JOIN big ON f1 = k WHERE k < 10",
    # joins nested as one side of another, without parentheses
    "SELECT * FROM d LEFT JOIN (SELECT * FROM b) b1 LEFT JOIN a ON b1.id = a.b_id ON d.a = b1.id",
    "SELECT * FROM d JOIN a LEFT JOIN (SELECT 0 AS x, 2 AS y) s ON a.id = s.x ON d.b = s.y",
    "SELECT * FROM ((SELECT id / 2 AS h FROM a) s JOIN b ON h = b.id) j",
    "SELECT * FROM d JOIN c LEFT JOIN b ON b.id = c.id ON d.a = b.c_id",
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


@pytest.mark.parametrize("query", SAME_PLAN)
def test_join_plan_is_postgres_plan(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    theirs = [r[0] for r in pg.execute("EXPLAIN (COSTS OFF) " + query).fetchall()]
    assert _plan(session, query) == theirs


@pytest.mark.parametrize("query", SAME_ROWS + SAME_PLAN)
def test_join_rows_are_postgres_rows(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    rows = sorted(map(repr, pg.execute(query).fetchall()))
    assert sorted(map(repr, session.execute(query)[0].rows or [])) == rows
