"""CREATE INDEX options schemas and PostgreSQL's own scripts use, checked against a live
PostgreSQL: btree operator classes (Django's auth migration creates varchar_pattern_ops
indexes), USING hash, INCLUDE columns; what pg_indexes shows of them."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SETUP = """CREATE TABLE t (a int PRIMARY KEY, b bigint, x text, y varchar(10), n name, f float8);
INSERT INTO t VALUES (1, 10, 'ab', 'Ab', 'n1', 1.5), (2, 20, 'cd', 'cD', 'n2', 2.5),
  (3, 30, NULL, NULL, NULL, NULL)"""


@pytest.mark.parametrize(
    "create",
    [
        "CREATE INDEX i ON t (y varchar_pattern_ops)",
        "CREATE INDEX i ON t USING btree (x text_pattern_ops DESC)",
        "CREATE INDEX i ON t (a int4_ops, x text_ops, n name_ops, f float8_ops)",
        "CREATE INDEX i ON t (y varchar_ops)",
        "CREATE INDEX i ON t (y text_ops)",
        "CREATE UNIQUE INDEX i ON t (x text_pattern_ops)",
        "CREATE INDEX i ON t (a int8_ops)",  # 42804
        "CREATE INDEX i ON t (b int8_ops)",
        "CREATE INDEX i ON t (x int4_ops)",  # 42804
        "CREATE INDEX i ON t (x no_such_ops)",  # 42704
        "CREATE INDEX i ON t USING hash (x)",
        "CREATE UNIQUE INDEX i ON t USING hash (x)",  # 0A000
        "CREATE INDEX i ON t USING hash (x, y)",  # 0A000
        "CREATE UNIQUE INDEX i ON t (x) INCLUDE (y, n)",
        "CREATE INDEX ON t (x) INCLUDE (y)",
        "CREATE INDEX i ON t (x) INCLUDE (nope)",
    ],
)
def test_index_options(differ: Differ, create: str) -> None:
    differ.check(SETUP)
    differ.check(create)
    differ.check("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 't' ORDER BY 1")
    differ.check("SELECT a FROM t WHERE x = 'cd' OR y = 'Ab' ORDER BY a")
    differ.check("SELECT a FROM t WHERE x LIKE 'c%' ORDER BY a")
    differ.check("INSERT INTO t VALUES (4, 40, 'ab', 'zz', 'n4', 4)")  # 23505 when unique on x
    differ.check("UPDATE t SET x = 'cd' WHERE a = 1")
    differ.check("SELECT * FROM t ORDER BY a")


def test_include_column_dropped_and_renamed(differ: Differ) -> None:
    differ.check(SETUP)
    differ.check("CREATE UNIQUE INDEX i ON t (x) INCLUDE (y)")
    differ.check("CREATE INDEX j ON t (b) INCLUDE (n)")
    differ.check("ALTER TABLE t RENAME COLUMN n TO nn")
    differ.check("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 't' ORDER BY 1")
    differ.check("ALTER TABLE t DROP COLUMN y")
    differ.check("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 't' ORDER BY 1")
    differ.check("INSERT INTO t VALUES (4, 40, 'ab', 'n4', 4)")


@pytest.mark.parametrize(
    "create",
    [
        "CREATE UNIQUE INDEX i ON t ((lower(y)))",
        "CREATE INDEX ON t ((lower(y)))",
        "CREATE UNIQUE INDEX i ON t ((x || y))",
        "CREATE UNIQUE INDEX i ON t (lower(x), b)",
        "CREATE UNIQUE INDEX i ON t (x) WHERE b > 15",
        "CREATE UNIQUE INDEX i ON t ((lower(x))) WHERE b > 15",
        "CREATE INDEX i ON t (b) WHERE x IS NOT NULL",
        "CREATE INDEX i ON t ((nope + 1))",  # 42703
        "CREATE INDEX i ON t (b) WHERE nope",  # 42703
        "CREATE INDEX i ON t (b) WHERE b + 1",  # 42804
    ],
)
def test_expression_and_partial_indexes(differ: Differ, create: str) -> None:
    differ.check(SETUP)
    differ.check(create)
    differ.check("SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1")
    # Writes keep the index: a unique key taken by another row fails, rows outside the
    # predicate are free.
    differ.check("INSERT INTO t VALUES (4, 40, 'AB', 'aB', 'n4', 4)")
    differ.check("INSERT INTO t VALUES (5, 5, 'cd', 'CD', 'n5', 5)")
    differ.check("UPDATE t SET b = 50 WHERE a = 5")
    differ.check("UPDATE t SET y = 'zz', x = 'zz' WHERE a = 2")
    differ.check("INSERT INTO t VALUES (6, 60, 'cd', 'cD', 'n6', 6)")
    differ.check("DELETE FROM t WHERE a = 1")
    differ.check("INSERT INTO t VALUES (7, 70, 'ab', 'AB', 'n7', 7)")
    differ.check("SELECT * FROM t WHERE lower(y) = 'ab' ORDER BY a")
    differ.check("SELECT * FROM t WHERE x = 'cd' AND b > 15 ORDER BY a")
    differ.check("SELECT * FROM t ORDER BY a")


def test_expression_index_follows_column_changes(differ: Differ) -> None:
    differ.check(SETUP)
    differ.check("CREATE UNIQUE INDEX i ON t ((lower(y))) WHERE b < 100")
    differ.check("ALTER TABLE t RENAME COLUMN y TO yy")
    differ.check("INSERT INTO t VALUES (4, 40, 'q', 'AB', 'n4', 4)")
    differ.check("ALTER TABLE t ALTER COLUMN yy TYPE text")
    differ.check("INSERT INTO t VALUES (4, 40, 'q', 'AB', 'n4', 4)")
    differ.check("INSERT INTO t VALUES (5, 400, 'q', 'AB', 'n4', 4)")
    differ.check("ALTER TABLE t DROP COLUMN yy")
    differ.check("SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1")
    differ.check("SELECT * FROM t ORDER BY a")


def test_concurrently_and_if_not_exists_forms(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in [
        "CREATE INDEX IF NOT EXISTS ON t (x)",
        "CREATE INDEX CONCURRENTLY ci ON t (x)",
        "CREATE INDEX IF NOT EXISTS ci ON t (y)",
        "DROP INDEX CONCURRENTLY IF EXISTS ci, nope",
        "DROP INDEX CONCURRENTLY ci CASCADE",
        "BEGIN",
        "DROP INDEX CONCURRENTLY ci",
        "ROLLBACK",
        "BEGIN",
        "CREATE INDEX CONCURRENTLY cj ON t (y)",
        "ROLLBACK",
        "DROP INDEX CONCURRENTLY ci",
        "DROP INDEX CONCURRENTLY IF EXISTS ci",
        "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1",
    ]:
        differ.check(stmt)


def test_unnamed_indexes_take_the_next_free_name(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in [
        "CREATE INDEX ON t (x)",
        "CREATE INDEX ON t (x)",
        "CREATE UNIQUE INDEX ON t (x)",
        "CREATE INDEX ON t ((lower(x)))",
        "CREATE INDEX ON t ((lower(x)))",
        "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1",
    ]:
        differ.check(stmt)


def test_pattern_operators_and_textcat_index(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in [
        "CREATE INDEX ON t (x text_pattern_ops)",
        "SELECT a FROM t WHERE x ~>=~ 'ab' AND x ~<~ 'cd' ORDER BY a",
        "SELECT a FROM t WHERE x ~<=~ 'cd' AND x ~>~ 'a' ORDER BY a",
        "SELECT 'a '::char(3) ~<=~ 'a'::char(2), 'é' ~>~ 'z', 'b'::varchar ~>~ 'a'",
        "SELECT 1 ~<~ 2",  # 42883
        "SELECT textcat('a', NULL), textcat('a', 'b')",
        "CREATE UNIQUE INDEX tc ON t (textcat(x, y))",
        "INSERT INTO t VALUES (4, 40, 'a', 'bAb', 'n4', 4)",  # 23505: 'abAb' is taken
        "SELECT indexname FROM pg_indexes WHERE indexname = 'tc'",
    ]:
        differ.check(stmt)


def test_alter_index_column_statistics(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in [
        "CREATE INDEX ce ON t ((b + 1), b)",
        "ALTER INDEX ce ALTER COLUMN 2 SET STATISTICS 100",  # 0A000
        "ALTER INDEX ce ALTER COLUMN 3 SET STATISTICS 100",  # 42703
        "ALTER INDEX ce ALTER COLUMN 1 SET STATISTICS 100",
        "ALTER INDEX ce ALTER 1 SET STATISTICS -1",
        "ALTER INDEX ce ALTER COLUMN 0 SET STATISTICS 10",  # 22023
    ]:
        differ.check(stmt)
