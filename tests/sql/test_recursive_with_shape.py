"""WITH RECURSIVE queries PostgreSQL refuses, refused as PostgreSQL does, against a live
PostgreSQL: the recursive reference in the non-recursive term, twice, in a subquery, on an outer
join's nullable side, in INTERSECT / EXCEPT; aggregates in the recursive term; ORDER BY /
LIMIT / OFFSET / FOR UPDATE (0A000); a column whose type the recursive term changes (42804);
more column names than columns (42P10). db9 ran them, some without end."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE y (a int)",
    "INSERT INTO y SELECT generate_series(1, 10)",
    "WITH x(n, b) AS (SELECT 1) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT a FROM y WHERE a = 1 UNION ALL SELECT x.n+1 FROM "
    "y LEFT JOIN x ON x.n = y.a WHERE n < 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT a FROM y WHERE a = 1 UNION ALL SELECT x.n+1 FROM "
    "x RIGHT JOIN y ON x.n = y.a WHERE n < 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT a FROM y WHERE a = 1 UNION ALL SELECT x.n+1 FROM "
    "x FULL JOIN y ON x.n = y.a WHERE n < 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT a FROM y WHERE a = 1 UNION ALL SELECT x.n+1 FROM "
    "x LEFT JOIN y ON x.n = y.a WHERE n < 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x WHERE n IN (SELECT "
    "* FROM x)) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT count(*) FROM x) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT sum(n) FROM x) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x ORDER BY 1) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x LIMIT 10 OFFSET 1) "
    "SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x FOR UPDATE) SELECT * FROM x",
    "WITH RECURSIVE x(id) AS (values (1) UNION ALL SELECT (SELECT * FROM x) FROM x "
    "WHERE id < 5) SELECT * FROM x",
    "WITH RECURSIVE foo(i) AS (values (1) UNION ALL (SELECT i+1 FROM foo WHERE i < 10"
    " UNION ALL SELECT i+1 FROM foo WHERE i < 5)) SELECT * FROM foo",
    "WITH RECURSIVE foo(i) AS (values (1) UNION ALL SELECT * FROM (SELECT i+1 FROM "
    "foo WHERE i < 10 UNION ALL SELECT i+1 FROM foo WHERE i < 5) AS t) SELECT * FROM "
    "foo",
    "WITH RECURSIVE foo(i) AS (values (1) UNION ALL (SELECT i+1 FROM foo WHERE i < 10"
    " EXCEPT SELECT i+1 FROM foo WHERE i < 5)) SELECT * FROM foo",
    "WITH RECURSIVE foo(i) AS (values (1) UNION ALL (SELECT i+1 FROM foo WHERE i < 10"
    " INTERSECT SELECT i+1 FROM foo WHERE i < 5)) SELECT * FROM foo",
    "WITH RECURSIVE foo(i) AS (SELECT i FROM (VALUES(1),(2)) t(i) UNION ALL SELECT "
    "(i+1)::numeric(10,0) FROM foo WHERE i < 10) SELECT * FROM foo",
    "WITH RECURSIVE foo(i) AS (SELECT i::numeric(3,0) FROM (VALUES(1),(2)) t(i) UNION"
    " ALL SELECT (i+1)::numeric(10,0) FROM foo WHERE i < 10) SELECT * FROM foo",
    "WITH RECURSIVE x(n) AS (SELECT n FROM x) SELECT * FROM x",
    "WITH RECURSIVE t(n) AS (VALUES (1::money) UNION SELECT n+1::money FROM t "
    "WHERE n < 100::money) SELECT sum(n) FROM t",
    "WITH RECURSIVE t(n) AS (VALUES (1::money) UNION ALL SELECT n+1::money FROM t "
    "WHERE n < 5::money) SELECT sum(n) FROM t",
    "WITH RECURSIVE x(n) AS (SELECT n FROM x UNION ALL SELECT 1) SELECT * FROM x",
    "WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 5) "
    "SELECT sum(n) FROM t",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM (SELECT * FROM t) s "
    "WHERE n < 5) SELECT * FROM t",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM t WHERE EXISTS "
    "(SELECT count(*) FROM y) AND n < 3) SELECT * FROM t",
]


def test_recursive_queries_postgres_refuses(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_recursive_queries_postgres_runs(differ: Differ) -> None:
    """A namesake WITH query inside, a parenthesised recursive term with its own WITH, a
    subquery expression that does not read the recursive query: all run."""
    for sql in [
        "WITH RECURSIVE w1(c1) AS (WITH w2(c2) AS (WITH w6(c6) AS (WITH w6(c6) AS"
        " (WITH w8(c8) AS (SELECT 1) SELECT * FROM w8) SELECT * FROM w6) SELECT * FROM w6)"
        " SELECT * FROM w2) SELECT * FROM w1",
        "WITH RECURSIVE q(n) AS (SELECT 1 UNION ALL (WITH x AS (SELECT 2)"
        " SELECT n + 1 FROM q, x WHERE n < 4)) SELECT * FROM q",
        "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x"
        " WHERE n < 3 AND n IN (SELECT 1 UNION SELECT 2)) SELECT * FROM x",
    ]:
        differ.check(sql)


def test_recursive_with_queries_in_dependency_order(differ: Differ) -> None:
    """A WITH RECURSIVE query may read one written after it; a UNION that does not read
    itself is no recursion (db9 looped on it); two that read each other are 0A000."""
    for sql in [
        "WITH RECURSIVE x(id) AS (SELECT * FROM yy UNION ALL SELECT id + 1 FROM x WHERE id < 5),"
        " yy(id) AS (VALUES (1)) SELECT * FROM x",
        "WITH RECURSIVE x(id) AS (VALUES (1) UNION ALL SELECT id + 1 FROM x WHERE id < 5),"
        " yy(id) AS (VALUES (1) UNION ALL SELECT id + 1 FROM x WHERE id < 10)"
        " SELECT yy.*, x.* FROM yy LEFT JOIN x USING (id)",
        "WITH RECURSIVE x(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM x WHERE id < 3),"
        " yy(id) AS (SELECT * FROM x UNION ALL SELECT * FROM x),"
        " z(id) AS (SELECT * FROM x UNION ALL SELECT id + 1 FROM z WHERE id < 10)"
        " SELECT * FROM z",
        "WITH RECURSIVE x(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM yy WHERE id < 5),"
        " yy(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM x WHERE id < 5) SELECT * FROM x",
    ]:
        differ.check(sql)
