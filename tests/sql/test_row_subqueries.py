"""Subqueries compared as rows and quantified, against a live PostgreSQL: ``(a, b) [NOT] IN
(SELECT x, y ...)`` with SQL's NULL rules and its column-count errors, ``x op ALL (SELECT
...)``, and ``x op ALL (VALUES ...)``."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE s (f1 integer, f2 integer, f3 float)",
    "INSERT INTO s VALUES (1, 2, 3), (2, 3, 4), (3, 4, 5), (1, 1, 1), (2, 2, 2), (3, 3, 3), "
    "(6, 7, 8), (8, 9, NULL)",
    "SELECT f1, f2 FROM s WHERE (f1, f2) NOT IN (SELECT f2, CAST(f3 AS int4) FROM s "
    "WHERE f3 IS NOT NULL)",
    "SELECT f1 FROM s WHERE (f1, f2) IN (SELECT f2, CAST(f3 AS int4) FROM s WHERE f3 IS NOT NULL)",
    "SELECT f1 FROM s o WHERE (f1, f1) IN (SELECT f1, generate_series(1, 50) / 10 g FROM s i "
    "GROUP BY f1)",
    "SELECT f1 FROM s WHERE ROW(f1, f2) IN (SELECT f2, f1 FROM s)",
    "SELECT (1, NULL) IN (SELECT 1, 2)",
    "SELECT (1, NULL) NOT IN (SELECT 2, 2)",
    "SELECT (1, 2) IN (SELECT 1, 2, 3)",
    "SELECT (1, 2, 3) IN (SELECT 1, 2)",
    "SELECT 1 = ALL (SELECT (SELECT 1))",
    "SELECT 2 = ALL (SELECT f1 FROM s)",
    "SELECT i FROM generate_series(1, 4) i WHERE i <> ALL (VALUES (2), (3))",
    "SELECT i FROM generate_series(1, 4) i WHERE i = ANY (VALUES (2), (3))",
]


def test_row_and_quantified_subqueries(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_whole_rows_and_mixed_number_types(differ: Differ) -> None:
    """A FROM item's name (or ``(t.*)``) read from a subquery is the outer row; numeric
    against a float compares as float8, as PostgreSQL's implicit cast makes it; a number
    IN a subquery of text has no operator."""
    for sql in [
        "CREATE TABLE view_a (a int)",
        "INSERT INTO view_a VALUES (1)",
        "SELECT (SELECT view_a) FROM view_a",
        "SELECT (SELECT (SELECT view_a)) FROM view_a",
        "SELECT (SELECT (a.*)::text) FROM view_a a",
        "SELECT (a.*)::text FROM view_a a",
        "CREATE TABLE nt (num_col numeric)",
        "CREATE TABLE ft (float_col float8)",
        "INSERT INTO nt VALUES (1), (1.000000000000000000001), (2), (3)",
        "INSERT INTO ft VALUES (1), (2), (3)",
        "SELECT * FROM nt WHERE num_col IN (SELECT float_col FROM ft)",
        "SELECT * FROM nt WHERE num_col = 1::float8",
        "SELECT * FROM ft WHERE float_col IN (SELECT num_col FROM nt)",
        "CREATE TABLE tx (c1 text)",
        "INSERT INTO tx VALUES ('a')",
        "SELECT * FROM nt WHERE num_col IN (SELECT c1 FROM tx)",
        "SELECT * FROM nt WHERE num_col IN (SELECT '1')",
        "SELECT * FROM nt WHERE num_col::text IN (SELECT c1 FROM tx)",
    ]:
        differ.check(sql)
