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
