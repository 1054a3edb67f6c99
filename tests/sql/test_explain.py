"""EXPLAIN prints each plan node in PostgreSQL's words, children indented under their parent:
scans (sequential, primary key, index), joins with their conditions, aggregates, sorts with
their keys, set operations, CTEs, VALUES and function scans. The expected text is db9's own
(PostgreSQL adds costs); it pins the plan the binder and its rules choose for each query."""

from __future__ import annotations

import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv

CASES = [
    (
        "SELECT * FROM t WHERE a = 1",
        ["Project", "  ->  Index Scan using t_pkey on t", "        Index Cond: a = 1"],
    ),
    (
        "SELECT * FROM t WHERE a > 1 AND a <= 9 AND c <> 'x'",
        [
            "Project",
            "  ->  Filter: c <> 'x'",
            "    ->  Index Scan using t_pkey on t",
            "          Index Cond: a > 1 AND a <= 9",
        ],
    ),
    (
        "SELECT c FROM t WHERE b = 2 ORDER BY c DESC LIMIT 3",
        [
            "Limit",
            "  ->  Sort",
            "        Sort Key: c DESC",
            "    ->  Project",
            "      ->  Index Scan using t_b on t",
            "            Index Cond: b = 2",
        ],
    ),
    (
        "SELECT * FROM t WHERE a BETWEEN 2 AND 5",
        ["Project", "  ->  Index Scan using t_pkey on t", "        Index Cond: a BETWEEN 2 AND 5"],
    ),
    (
        "SELECT a, b FROM t WHERE b IN (1, 2) OR b IS NULL",
        [
            "Project",
            "  ->  Filter: b IN (1, 2) OR b IS NULL",
            "    ->  Index Only Scan using t_b on t",
            "          Index Cond: b IN (1, 2) OR b IS NULL",
        ],
    ),
    (
        "SELECT * FROM t WHERE b >= 2",
        ["Project", "  ->  Index Scan using t_b on t", "        Index Cond: b >= 2"],
    ),
    (
        "SELECT t.c, u.b FROM t LEFT JOIN u ON t.a = u.a AND u.b > 1 WHERE t.b < 5",
        [
            "Project",
            "  ->  Filter: t.b < 5",
            "    ->  Hash Left Join",
            "          Hash Cond: t.a = u.a",
            "      ->  Seq Scan on t",
            "      ->  Seq Scan on u",
        ],
    ),
    (
        "SELECT count(*) FROM t, u WHERE t.a < u.a",
        [
            "Project",
            "  ->  Aggregate",
            "    ->  Filter: t.a < u.a",
            "      ->  Nested Loop Join",
            "        ->  Seq Scan on t",
            "        ->  Seq Scan on u",
        ],
    ),
    (
        "SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 1",
        [
            "Project",
            "  ->  Filter: COUNT(*) > 1",
            "    ->  HashAggregate",
            "      ->  Seq Scan on t",
        ],
    ),
    (
        "SELECT DISTINCT b FROM t",
        ["HashAggregate (distinct)", "  ->  Project", "    ->  Seq Scan on t"],
    ),
    (
        "SELECT DISTINCT ON (b) b, a FROM t ORDER BY b, a",
        [
            "Unique",
            "  ->  Sort",
            "        Sort Key: b, a",
            "    ->  Project",
            "      ->  Seq Scan on t",
        ],
    ),
    (
        "SELECT a, rank() OVER (ORDER BY b) FROM t",
        ["Project", "  ->  WindowAgg", "    ->  Seq Scan on t"],
    ),
    ("SELECT unnest(ARRAY[1, 2])", ["Project", "  ->  ProjectSet", "    ->  Result"]),
    (
        "SELECT a FROM t UNION SELECT a FROM u",
        [
            "Append",
            "  ->  Project",
            "    ->  Seq Scan on t",
            "  ->  Project",
            "    ->  Seq Scan on u",
        ],
    ),
    (
        "SELECT a FROM t EXCEPT SELECT a FROM u",
        [
            "SetOp Except",
            "  ->  Project",
            "    ->  Seq Scan on t",
            "  ->  Project",
            "    ->  Seq Scan on u",
        ],
    ),
    (
        "WITH c AS (SELECT a FROM t) SELECT * FROM c JOIN (VALUES (1)) v(x) ON c.a = v.x",
        [
            "Project",
            "  ->  Hash Join",
            "        Hash Cond: c.a = v.x",
            "    ->  CTE Scan on c",
            "    ->  Values Scan",
        ],
    ),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT * FROM r",
        ["Project", "  ->  CTE Scan on r"],
    ),
    (
        "SELECT * FROM generate_series(1, 3) g, (SELECT a FROM u) s",
        [
            "Project",
            "  ->  Nested Loop Join",
            "    ->  Function Scan on generate_series",
            "    ->  Subquery Scan",
            "      ->  Project",
            "        ->  Seq Scan on u",
        ],
    ),
    ("SELECT relname FROM pg_class", ["Project", "  ->  Function Scan on pg_class"]),
    ("SELECT 1", ["Result"]),
]


@pytest.fixture(scope="module")
def session() -> Session:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x0a"))
    s.execute("CREATE TABLE t (a int PRIMARY KEY, b int, c text)")
    s.execute("CREATE INDEX t_b ON t (b)")
    s.execute("CREATE TABLE u (a int, b int)")
    return s


@pytest.mark.parametrize(("query", "plan"), CASES, ids=[q for q, _ in CASES])
def test_explain_prints_the_chosen_plan(session: Session, query: str, plan: list[str]) -> None:
    rows = session.execute("EXPLAIN " + query)[0].rows
    assert [r[0] for r in rows or []] == plan
