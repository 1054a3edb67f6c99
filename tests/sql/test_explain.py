"""EXPLAIN (COSTS OFF) prints a plan as PostgreSQL 15 prints it, compared with a live
PostgreSQL on queries both plan the same way: no projection nodes, filters as ``Filter:`` /
``Join Filter:`` lines of the node they apply to, ``Hash Join`` with ``Hash Cond:`` and a
``Hash`` child, ``Group Key:`` / ``Sort Key:``, UNION as HashAggregate over Append, recursive
CTEs as ``CTE Scan`` with a ``CTE`` section, a second scan of a table renamed ``t_1``, and
expressions deparsed as PostgreSQL's ruleutils does (``((b = 1) AND (c = 'x'::text))``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.pg import connect

SETUP = [
    "CREATE TABLE t (a int, b int, c text, n name, v varchar(10))",
    "CREATE TABLE u (a int, b int)",
    "CREATE TABLE arr (i int[], t text[])",
    "CREATE TABLE m (x money)",
    "CREATE TABLE emp (dep varchar, no int, sal int, day date)",
    "CREATE TABLE g1 (a int, b int, c int, d int, PRIMARY KEY (a, b))",
    "CREATE TABLE g3 (a int, b int, c int, d int, PRIMARY KEY (a, b))",
    "CREATE TABLE g3c () INHERITS (g3)",
    "CREATE TABLE g4 (a int, b int, c int, PRIMARY KEY (a, b) DEFERRABLE)",
]

SAME_AS_POSTGRES = [
    "SELECT * FROM t WHERE b = 1 AND c = 'x'",
    "SELECT a FROM t WHERE b < 5 AND a = 3",
    "SELECT a FROM t WHERE (b = 1 OR a = 0) AND c < 'B'",
    "SELECT * FROM t WHERE n = 'ATAAAA' AND v = 'q'",
    "SELECT * FROM t WHERE b IN (1, 2) AND a BETWEEN -5 AND 5",
    "SELECT * FROM t WHERE c LIKE 'a%' AND NOT (a = 1) AND b IS NOT NULL",
    "SELECT * FROM t WHERE CASE WHEN a > 1 THEN b ELSE 0 END = 2",
    "SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 1",
    "SELECT count(*) FROM t",
    "SELECT * FROM t ORDER BY b DESC, a LIMIT 3",
    "SELECT a FROM t UNION SELECT a FROM t",
    "SELECT a FROM t UNION ALL SELECT a FROM u UNION ALL SELECT b FROM u",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    "WITH w AS (SELECT a FROM u WHERE b = 2) SELECT * FROM w",
    "SELECT 1",
    "SELECT max(b) FROM t ORDER BY max(b) + 1",
    "SELECT a, sum(b) OVER (PARTITION BY a ORDER BY b DESC) FROM t",
    "SELECT x FROM (VALUES (1), (2)) v(x) UNION SELECT x FROM (VALUES (1), (3)) w(x)",
    "SELECT b, generate_series(1, 3) AS g FROM t ORDER BY g DESC",
    "SELECT a FROM t WHERE lower(c) = 'x' AND length(c || 'y') < 5 FOR UPDATE",
    "SELECT a, sum(b) OVER (PARTITION BY a ORDER BY b) FROM t ORDER BY a",
    "SELECT a, sum(b) OVER (PARTITION BY a ORDER BY b) FROM t ORDER BY b",
    "SELECT * FROM generate_series(1, 9) g, LATERAL (SELECT * FROM u WHERE g = u.a"
    " UNION ALL SELECT * FROM u WHERE g = u.b) s",
    "SELECT * FROM (SELECT a, b FROM u LIMIT 3) s WHERE b > 0",
    "SELECT * FROM u WHERE -a = b",
    "SELECT * FROM u WHERE a = ANY (ARRAY[2, 1]) AND b <> ALL (ARRAY[3, 4]) AND (a, b) > (1, 2)",
    "SELECT * FROM arr WHERE i @> '{32}' AND t && '{a}' AND i <@ '{1,2}'",
    "SELECT FROM generate_series(1, 5) UNION SELECT FROM generate_series(1, 3)",
    # types PostgreSQL cannot hash are grouped by sorting, enable_hashagg on or not
    "SELECT x FROM (VALUES (1::money), (2::money)) v(x)"
    " UNION SELECT x FROM (VALUES (3::money), (2::money)) w(x)",
    "SELECT x FROM (VALUES (array[1::money]), (null)) v(x)"
    " UNION SELECT x FROM (VALUES (null), (array[2::money])) w(x)",
    "SELECT x FROM (VALUES (row(1, 2)), (row(1, 3))) v(x)"
    " INTERSECT SELECT x FROM (VALUES (row(1, 4)), (row(1, 3))) w(x)",
    "SELECT x FROM (VALUES (row(1, 2)), (row(1, 3))) v(x)"
    " EXCEPT SELECT x FROM (VALUES (row(1, 4)), (row(1, 3))) w(x)",
    "SELECT x FROM (VALUES (array[1, 2]), (array[3])) v(x)"
    " INTERSECT SELECT x FROM (VALUES (array[1]), (array[3])) w(x)",
    "SELECT DISTINCT x FROM m",
    # one WindowAgg per window, in PostgreSQL's order, a Sort where the rows need one
    "SELECT lead(1) OVER (PARTITION BY dep ORDER BY sal, day),"
    " lag(1) OVER (PARTITION BY dep ORDER BY sal, day, no) FROM emp",
    "SELECT sum(sal) OVER (PARTITION BY day), min(sal) OVER (PARTITION BY dep) FROM emp",
    "SELECT row_number() OVER (PARTITION BY dep ORDER BY day) AS f,"
    " row_number() OVER (PARTITION BY dep ORDER BY day DESC) AS l FROM emp",
    "SELECT rank() OVER (ORDER BY sal DESC NULLS LAST), count(*) OVER () FROM emp ORDER BY sal",
    "SELECT sum(sal) OVER w, max(no) OVER (w ORDER BY no) FROM emp WINDOW w AS (PARTITION BY dep)",
    # a computed DISTINCT or UNION key is shown as its expression
    "SELECT DISTINCT g % 1000 FROM generate_series(0, 99) g",
    "SELECT DISTINCT a + 1, lower(c) FROM t",
    "SELECT a + 1 FROM t UNION SELECT b FROM u",
    "SELECT DISTINCT max(a) FROM t",
    # a constant condition is folded: no filter when true, no scan when false or NULL
    "SELECT * FROM t WHERE NULLIF(1, 2) = 2",
    "SELECT * FROM t WHERE NULLIF(1, null) = 2",
    "SELECT * FROM t WHERE NULLIF(1, 1) IS NOT NULL",
    "SELECT * FROM t WHERE 1 = 1",
    "SELECT count(*) FROM t WHERE false",
    # a subquery over INTERSECT or EXCEPT keeps its scan (its rows carry a flag column)
    "SELECT count(*) FROM (SELECT a FROM t INTERSECT SELECT b FROM u) ss",
    "SELECT * FROM (SELECT a FROM t EXCEPT ALL SELECT b FROM u) ss",
    "SELECT count(*) FROM (SELECT a FROM t UNION SELECT b FROM u) ss",
    # grouping keys that depend on a table's primary key are dropped
    "SELECT * FROM g1 GROUP BY a, b, c, d",
    "SELECT a, c FROM g1 GROUP BY c, a, b",
    "SELECT a, c, d FROM g1 GROUP BY a, c, d",
    "SELECT * FROM ONLY g3 GROUP BY a, b, c, d",
    "SELECT * FROM g4 GROUP BY a, b, c",
    "SELECT a, b, c + 1 FROM g1 GROUP BY a, b, c + 1",
    # a window's sort keys less those its input's conditions make constant or repeated
    "SELECT no, sum(no) OVER (PARTITION BY no ORDER BY sal) FROM emp WHERE no = sal",
    "SELECT no, sum(no) OVER (PARTITION BY dep ORDER BY sal) FROM emp WHERE sal = 3",
    "SELECT no, sum(no) OVER (PARTITION BY dep ORDER BY sal, no) FROM emp WHERE sal = no",
    "SELECT no, sum(no) OVER (PARTITION BY dep ORDER BY sal) FROM emp WHERE sal < 3",
    # a monotonic window function's filter becomes the WindowAgg's Run Condition
    "SELECT * FROM (SELECT no, row_number() OVER (ORDER BY no) rn FROM emp) e WHERE rn < 3",
    "SELECT * FROM (SELECT no, rank() OVER (ORDER BY sal DESC) r FROM emp) e WHERE r <= 3",
    "SELECT * FROM (SELECT no, dense_rank() OVER (ORDER BY sal) dr FROM emp) e WHERE dr = 1",
    "SELECT * FROM (SELECT no, count(*) OVER () c FROM emp) e WHERE 11 <= c",
    "SELECT * FROM (SELECT no, count(*) OVER (ORDER BY sal ROWS BETWEEN CURRENT ROW"
    " AND UNBOUNDED FOLLOWING) c FROM emp) e WHERE c >= 3",
    "SELECT no FROM (SELECT no, dep, row_number() OVER (PARTITION BY dep ORDER BY no) rn"
    " FROM emp) e WHERE rn < 3",
    "SELECT * FROM (SELECT no, count(*) OVER (ORDER BY sal) c FROM emp) e WHERE c > 3",
    "SELECT * FROM (SELECT no, lag(no) OVER (ORDER BY sal) c FROM emp) e WHERE c < 3",
]

# enable_hashagg off: PostgreSQL groups by sorting (Sort under GroupAggregate, Unique, SetOp).
SORTED_GROUPING = [
    "SELECT b, count(*) FROM t GROUP BY b",
    "SELECT DISTINCT b FROM t",
    "SELECT a FROM t UNION SELECT b FROM u",
    "SELECT a FROM t INTERSECT SELECT a FROM u",
    "SELECT a % 3, count(*) FROM t GROUP BY a % 3",
    "SELECT FROM generate_series(1, 5) UNION SELECT FROM generate_series(1, 3)",
    "SELECT FROM generate_series(1, 5) INTERSECT SELECT FROM generate_series(1, 3)",
    "SELECT DISTINCT a + 1, lower(c) FROM t",
    "SELECT a + 1 FROM t UNION SELECT b FROM u",
]


@pytest.fixture(scope="module")
def session() -> Session:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x0a"))
    for sql in SETUP:
        s.execute(sql)
    return s


@pytest.fixture(scope="module")
def pg(pg_conninfo: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    conn = connect(pg_conninfo)
    conn.execute("DROP SCHEMA IF EXISTS explain_test CASCADE")
    conn.execute("CREATE SCHEMA explain_test")
    conn.execute("SET search_path = explain_test")
    for sql in SETUP:
        conn.execute(sql)
    yield conn
    conn.execute("DROP SCHEMA explain_test CASCADE")
    conn.close()


@pytest.mark.parametrize("query", SAME_AS_POSTGRES)
def test_explain_prints_the_plan_as_postgres_does(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    ours = [r[0] for r in session.execute("EXPLAIN (COSTS OFF) " + query)[0].rows or []]
    theirs = [r[0] for r in pg.execute("EXPLAIN (COSTS OFF) " + query).fetchall()]
    assert ours == theirs


@pytest.mark.parametrize("query", SORTED_GROUPING)
def test_explain_without_hash_aggregation_shows_sorted_grouping_as_postgres_does(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    session.execute("SET enable_hashagg = off")
    pg.execute("SET enable_hashagg = off")
    try:
        ours = [r[0] for r in session.execute("EXPLAIN (COSTS OFF) " + query)[0].rows or []]
        theirs = [r[0] for r in pg.execute("EXPLAIN (COSTS OFF) " + query).fetchall()]
    finally:
        session.execute("RESET enable_hashagg")
        pg.execute("RESET enable_hashagg")
    assert ours == theirs


COST = re.compile(r"  \(cost=\d+\.\d\d\.\.\d+\.\d\d rows=\d+ width=\d+\)$")


@pytest.mark.parametrize("query", SAME_AS_POSTGRES[:12])
def test_explain_with_costs_prints_them_in_postgres_form(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str
) -> None:
    """db9's own estimates, in PostgreSQL's ``(cost=S..T rows=N width=W)`` on each node."""
    ours = [r[0] for r in session.execute("EXPLAIN " + query)[0].rows or []]
    theirs = [r[0] for r in pg.execute("EXPLAIN " + query).fetchall()]
    assert [COST.search(x) is not None for x in ours] == [
        COST.search(x) is not None for x in theirs
    ]
    assert [COST.sub("", x) for x in ours] == [COST.sub("", x) for x in theirs]


def test_explain_of_an_index_scan_names_the_index_and_its_condition(session: Session) -> None:
    session.execute("CREATE TABLE k (id int PRIMARY KEY, x int)")
    session.execute("CREATE INDEX k_x ON k (x)")
    rows = session.execute("EXPLAIN (COSTS OFF) SELECT * FROM k WHERE x = 4 AND id > 2")[0].rows
    assert [r[0] for r in rows or []] == [
        "Index Scan using k_x on k",
        "  Index Cond: (x = 4)",
        "  Filter: (id > 2)",
    ]


def test_explain_of_a_hash_join_hashes_its_inner_side(
    session: Session, pg: psycopg.Connection[tuple[object, ...]]
) -> None:
    """The filtered side is estimated smaller: hashed, as PostgreSQL's costs choose."""
    q = "SELECT t.c, u.b FROM t JOIN u ON t.a = u.a AND t.b <> u.b WHERE t.b < 5"
    rows = session.execute("EXPLAIN (COSTS OFF) " + q)[0].rows
    assert [r[0] for r in rows or []] == [
        "Hash Join",
        "  Hash Cond: (u.a = t.a)",
        "  Join Filter: (t.b <> u.b)",
        "  ->  Seq Scan on u",
        "  ->  Hash",
        "        ->  Seq Scan on t",
        "              Filter: (b < 5)",
    ]
    assert [r[0] for r in rows or []] == [
        r[0] for r in pg.execute("EXPLAIN (COSTS OFF) " + q).fetchall()
    ]


@pytest.mark.parametrize("fmt", ["JSON", "YAML", "XML"])
@pytest.mark.parametrize("query", SAME_AS_POSTGRES)
def test_explain_formats_print_the_plan_as_postgres_does(
    session: Session, pg: psycopg.Connection[tuple[object, ...]], query: str, fmt: str
) -> None:
    """EXPLAIN (FORMAT JSON | YAML | XML): PostgreSQL's properties, nesting and layout (one
    row; json typed for JSON, asyncpg's PreparedStatement.explain reads it)."""
    result = session.execute(f"EXPLAIN (COSTS OFF, FORMAT {fmt}) " + query)[0]
    theirs = pg.execute(f"EXPLAIN (COSTS OFF, FORMAT {fmt}) " + query).fetchall()
    assert result.columns is not None and result.rows is not None
    assert result.columns[0][1].name == ("json" if fmt == "JSON" else "text")
    if fmt == "JSON":
        assert json.loads(result.rows[0][0]) == theirs[0][0]
    else:
        assert [r[0] for r in result.rows] == [r[0] for r in theirs]


def _explained_json(session: Session, sql: str) -> Any:
    rows = session.execute(sql)[0].rows
    assert rows is not None and len(rows) == 1
    return json.loads(rows[0][0])


def test_explain_analyze_json_has_the_actual_figures(session: Session) -> None:
    session.execute("CREATE TABLE ej (a int)")
    [out] = _explained_json(
        session, "EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO ej VALUES (1), (2)"
    )
    assert (out["Plan"]["Node Type"], out["Plan"]["Operation"]) == ("ModifyTable", "Insert")
    assert out["Plan"]["Relation Name"] == "ej" and "Actual Total Time" in out["Plan"]
    assert list(out)[1:] == ["Planning Time", "Triggers", "Execution Time"]
    plan = _explained_json(session, "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM ej")[0]["Plan"]
    assert (plan["Node Type"], plan["Relation Name"], plan["Actual Rows"]) == ("Seq Scan", "ej", 2)


def test_explain_json_takes_the_statements_parameters(session: Session) -> None:
    prepared = session.prepare("EXPLAIN (FORMAT JSON, ANALYZE) SELECT * FROM t WHERE a > $1")
    assert [t.name for t in prepared.param_types] == ["integer"]
    assert prepared.columns is not None and prepared.columns[0][1].name == "json"
