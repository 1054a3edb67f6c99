"""WITH and data-modifying statements as PostgreSQL runs them, against a live PostgreSQL: an
INSERT / UPDATE / DELETE reading its own WITH queries (in its source, FROM / USING, SET
subqueries and RETURNING), INSERT / UPDATE / DELETE ... RETURNING inside WITH (run once, to
the end, read or not), and the VALUES-list shape errors of INSERT."""

from __future__ import annotations

from tests.sql.differential import Differ

SETUP = [
    "CREATE TABLE y (a int)",
    "INSERT INTO y SELECT generate_series(1, 10)",
]


def _run(differ: Differ, script: list[str]) -> None:
    for sql in SETUP + script:
        differ.check(sql)


def test_dml_reads_its_with_queries(differ: Differ) -> None:
    _run(differ, [
        "WITH t AS (SELECT a FROM y) INSERT INTO y SELECT a + 20 FROM t RETURNING *",
        "SELECT * FROM y",
        "WITH t AS (SELECT a FROM y) UPDATE y SET a = y.a - 10 FROM t"
        " WHERE y.a > 20 AND t.a = y.a RETURNING y.a",
        "WITH RECURSIVE t(a) AS (SELECT 11 UNION ALL SELECT a + 1 FROM t WHERE a < 50)"
        " DELETE FROM y USING t WHERE t.a = y.a RETURNING y.a",
        "SELECT * FROM y",
        "WITH aa AS (SELECT 1 a, 2 b) UPDATE y SET a = (SELECT b FROM aa) WHERE a = 1"
        " RETURNING (SELECT a FROM aa)",
        "CREATE TABLE with_test (i int)",
        "WITH with_test AS (SELECT 42) INSERT INTO with_test SELECT * FROM with_test",
        "SELECT * FROM with_test",
    ])  # fmt: skip


def test_data_modifying_statements_in_with(differ: Differ) -> None:
    _run(differ, [
        "WITH t AS (INSERT INTO y VALUES (11), (12), (13) RETURNING *) SELECT * FROM t",
        "SELECT * FROM y",
        "WITH t AS (UPDATE y SET a = a + 1 RETURNING *) SELECT * FROM t",
        "SELECT * FROM y",
        "WITH t AS (DELETE FROM y WHERE a <= 10 RETURNING *) SELECT * FROM t",
        "SELECT * FROM y",
        "WITH t AS (INSERT INTO y VALUES (31), (32), (33) RETURNING *) SELECT * FROM t LIMIT 1",
        "SELECT * FROM y",
        "WITH t AS (INSERT INTO y VALUES (41)) SELECT 1",
        "SELECT * FROM y",
        "WITH t AS (DELETE FROM y WHERE a <= 12 RETURNING *)"
        " INSERT INTO y SELECT -a FROM t RETURNING *",
        "SELECT * FROM y",
        "WITH t AS (INSERT INTO y VALUES (7) RETURNING a AS x) SELECT x + 1 FROM t",
        "BEGIN READ ONLY",
        "WITH t AS (DELETE FROM y RETURNING *) SELECT * FROM t",
        "ROLLBACK",
        "SELECT * FROM y",
    ])  # fmt: skip


def test_insert_values_lists_must_fill_the_column_list(differ: Differ) -> None:
    _run(differ, [
        "CREATE TABLE ins3 (a int, b int NOT NULL DEFAULT 0, c int)",
        "INSERT INTO ins3 (a, b, c) VALUES (DEFAULT, DEFAULT)",
        "INSERT INTO ins3 (a, b, c) VALUES (1, 2)",
        "INSERT INTO ins3 (a) VALUES (1, 2)",
        "INSERT INTO ins3 VALUES (1, 2)",
        "INSERT INTO ins3 VALUES (1), (1, 2)",
        "SELECT * FROM ins3",
    ])  # fmt: skip


def test_with_statements_postgres_refuses(differ: Differ) -> None:
    _run(differ, [
        "WITH t AS (INSERT INTO y VALUES (0)) SELECT * FROM t",
        "SELECT * FROM (WITH t AS (UPDATE y SET a = a + 1 RETURNING *) SELECT * FROM t) ss",
        "SELECT count(*) FROM y",
    ])  # fmt: skip


def test_with_inside_a_correlated_subquery_reads_each_outer_row(differ: Differ) -> None:
    """A WITH query of a subquery that reads the outer row is computed for each outer row
    (it raised XX000, or its first row's result stood for all)."""
    for sql in [
        "create table int4_tbl (f1 int)",
        "insert into int4_tbl values (1),(2),(3)",
        "select ( with cte(foo) as ( values(f1) ) select (select foo from cte) ) from int4_tbl",
        "select f1, (with c as (select f1 * 10 as v) select v from c) from int4_tbl order by f1",
        "select f1 from int4_tbl where exists (with c as (select f1 as v) select 1 from c"
        " where v > 1) order by f1",
        "with c as (select 1 as v) select (select v from c) from int4_tbl",
        "select (with cte(foo) as (values(f1)) select (select foo from cte)) from "
        "int4_tbl order by 1",
        "select f1, (with c as (select f1 + i.f1 as v from int4_tbl i) select sum(v) from"
        " c) from int4_tbl order by f1",
    ]:
        differ.check(sql)


def test_data_modifying_with_query_runs_once_however_read(differ: Differ) -> None:
    """A writing WITH query read by another WITH query and by the main query runs once; one
    read by no one, under an INSERT / UPDATE / DELETE, still runs."""
    _run(differ, [
        "DELETE FROM y WHERE a <= 5",
        "WITH RECURSIVE t AS (INSERT INTO y SELECT a+5 FROM t2 WHERE a > 5 RETURNING *), "
        "t2 AS (UPDATE y SET a=a-11 RETURNING *) SELECT * FROM t UNION ALL SELECT * FROM t2",
        "SELECT * FROM y",
        "CREATE TABLE yy (a int)",
        "WITH RECURSIVE t1 AS (INSERT INTO y SELECT * FROM y RETURNING *), "
        "t2 AS (INSERT INTO yy SELECT * FROM t1 RETURNING *) SELECT 1",
        "SELECT * FROM y",
        "SELECT * FROM yy",
        "WITH t AS (DELETE FROM yy RETURNING *) INSERT INTO y VALUES (42)",
        "SELECT * FROM yy",
        "SELECT * FROM y",
    ])  # fmt: skip
