"""UPDATE ... SET (a, b) = (sub-SELECT) / ROW(...) as PostgreSQL runs them, in UPDATE and
in INSERT ... ON CONFLICT DO UPDATE, against a live PostgreSQL: one run of the sub-SELECT per
row, NULLs for no row, 21000 for several, 42601 for a column count that does not match,
0A000 for a source that is neither a sub-SELECT nor ROW()."""

from __future__ import annotations

from tests.sql.differential import Differ

ROWS = "SELECT * FROM update_test ORDER BY a, b, c"
SCRIPT = [
    "CREATE TABLE update_test (a INT DEFAULT 10, b INT, c TEXT)",
    "INSERT INTO update_test VALUES (5, 10, 'foo'), (10, 15, 'bar'), (100, 20, 'car'),"
    " (41, 41, 'car')",
    "UPDATE update_test SET (b,a) = (select a,b from update_test where b = 41 and c = 'car')"
    " WHERE a = 100 AND b = 20",
    ROWS,
    "UPDATE update_test o SET (b,a) = (select a+1,b from update_test i"
    " where i.a=o.a and i.b=o.b and i.c is not distinct from o.c)",
    ROWS,
    "UPDATE update_test SET (b,a) = (select a+1,b from update_test)",
    "UPDATE update_test SET (b,a) = (select a+1,b from update_test where a = 1000) WHERE a = 11",
    ROWS,
    "UPDATE update_test SET (a,b) = ROW(v.*) FROM (VALUES(21, 100)) AS v(i, j)"
    " WHERE update_test.a = v.i",
    "UPDATE update_test SET (a,b) = (v.*) FROM (VALUES(21, 101)) AS v(i, j)"
    " WHERE update_test.a = v.i",
    "UPDATE update_test SET (a,b) = ROW(1, 2, 3)",
    "UPDATE update_test SET (a,b) = (select 1)",
    "UPDATE update_test SET (a,b) = ROW(DEFAULT, 7) WHERE c = 'foo'",
    ROWS,
    "UPDATE update_test t SET (a, b) = (SELECT b, a FROM update_test s WHERE s.a = t.a)"
    " WHERE CURRENT_USER = SESSION_USER",
    ROWS,
    "CREATE TABLE upsert_test (a INT PRIMARY KEY, b TEXT)",
    "INSERT INTO upsert_test VALUES(1, 'Boo'), (3, 'Zoo')",
    "WITH aaa AS (SELECT 1 AS a, 'Foo' AS b) INSERT INTO upsert_test VALUES (1, 'Bar')"
    " ON CONFLICT(a) DO UPDATE SET (b, a) = (SELECT b, a FROM aaa) RETURNING *",
    "INSERT INTO upsert_test VALUES (1, 'Baz'), (3, 'Zaz') ON CONFLICT(a) DO UPDATE"
    " SET (b, a) = (SELECT b || ', Correlated', a from upsert_test i"
    " WHERE i.a = upsert_test.a) RETURNING *",
    "INSERT INTO upsert_test VALUES (1, 'Bat'), (3, 'Zot') ON CONFLICT(a) DO UPDATE"
    " SET (b, a) = (SELECT b || ', Excluded', a from upsert_test i WHERE i.a = excluded.a)"
    " RETURNING *",
]


def test_set_column_list_from_sub_select_and_row(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
