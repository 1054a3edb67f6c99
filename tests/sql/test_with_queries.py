"""WITH queries against a live PostgreSQL: a WITH leading a VALUES list (at the top and in a
scalar subquery), nested WITH RECURSIVE lists keeping their own scope, a WITH in a recursive
term reading the recursive query (each round anew), and a recursive query in LATERAL reading
the outer row."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE i4 (f1 int)",
    "INSERT INTO i4 VALUES (0), (123456), (-123456), (2147483647), (-2147483647)",
    "with cte(foo) as ( values(42) ) values((select foo from cte))",
    "with cte(foo) as ( values(42) ) values (1), (2) order by 1 desc",
    "select ( with cte(foo) as ( values(f1) ) values((select foo from cte)) ) from i4",
    "WITH RECURSIVE t(j) AS (WITH RECURSIVE s(i) AS (VALUES (1) UNION ALL SELECT i+1 FROM s "
    "WHERE i < 10) SELECT i FROM s UNION ALL SELECT j+1 FROM t WHERE j < 10) SELECT * FROM t",
    "WITH RECURSIVE w1(c1) AS (WITH w2(c2) AS (WITH RECURSIVE w6(c6) AS (WITH w6(c6) AS "
    "(WITH w8(c8) AS (SELECT 1) SELECT * FROM w8) SELECT * FROM w6) SELECT * FROM w6) "
    "SELECT * FROM w2) SELECT * FROM w1",
    "with recursive x(a) as ((values ('a'), ('b')) union all (with z as not materialized "
    "(select * from x) select z.a || z1.a as a from z cross join z as z1 "
    "where length(z.a || z1.a) < 5)) select * from x",
    "with recursive x(a) as ((values ('a'), ('b')) union all (with z as not materialized "
    "(select * from x) select z.a || z.a as a from z where length(z.a || z.a) < 5)) "
    "select * from x",
    "CREATE TABLE m (k int, v text)",
    "WITH RECURSIVE c AS (SELECT 1 a) MERGE INTO m USING (SELECT 0 k, 'v' v) o ON m.k = o.k "
    "WHEN NOT MATCHED THEN INSERT VALUES (o.k, o.v)",
    "select sum(o.f1 % 7), sum(ss.a) from i4 o cross join lateral (with recursive x(a) as "
    "(select o.f1 % 7 as a union select a + 1 from x where a < 10) select * from x) ss",
]


def test_with_queries(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_unread_scalar_subquery_output_is_not_run(differ: Differ) -> None:
    """A derived table's scalar subquery output nothing reads is not computed (it would
    fail with more than one row); read, it is."""
    for sql in [
        "CREATE TABLE i8 (q1 int8, q2 int8)",
        "INSERT INTO i8 VALUES (123, 456), (123, 4567890123456789), (4567890123456789, 123)",
        "SELECT q1 FROM (WITH t_cte AS (SELECT * FROM i8 t) SELECT q1, (SELECT q2 FROM t_cte "
        "WHERE t_cte.q1 = i8.q1) AS t_sub FROM i8) ss",
        "SELECT q1 FROM (WITH t_cte AS MATERIALIZED (SELECT * FROM i8 t) SELECT q1, (SELECT q2 "
        "FROM t_cte WHERE t_cte.q1 = i8.q1) AS t_sub FROM i8) ss",
        "SELECT * FROM (SELECT q1, (SELECT q2 FROM i8 t WHERE t.q1 = i8.q1) AS t_sub FROM i8) ss",
        "SELECT t_sub FROM (SELECT q1, (SELECT q2 FROM i8 t WHERE t.q1 = i8.q1) AS t_sub "
        "FROM i8) ss",
        "SELECT ss FROM (SELECT q1, (SELECT q2 FROM i8 t WHERE t.q1 = i8.q1) AS t_sub FROM i8) ss",
        "SELECT count(*) FROM (SELECT q1, (SELECT q2 FROM i8 t WHERE t.q1 = i8.q1) AS t_sub "
        "FROM i8) ss",
        "SELECT count(*) FROM (SELECT (SELECT q2 FROM i8 t WHERE t.q1 = i8.q1) AS s "
        "FROM i8 GROUP BY s) ss",
    ]:
        differ.check(sql)
