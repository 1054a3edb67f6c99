"""Renaming a column a CHECK constraint or a generated column reads, against a live
PostgreSQL: the expression follows the new name (every INSERT failed with 42703 for the old
one), quoted when the new name needs it, in pg_get_constraintdef too."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE t (id int PRIMARY KEY, a int CHECK (a > 0),"
    " g int GENERATED ALWAYS AS (a * 2) STORED)",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "INSERT INTO t VALUES (1, -1)",
    "INSERT INTO t VALUES (2, 5) RETURNING *",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_a_check'",
    'ALTER TABLE t RENAME COLUMN b TO "Big"',
    "INSERT INTO t VALUES (3, 6) RETURNING *",
    "INSERT INTO t VALUES (4, 0)",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_a_check'",
    'UPDATE t SET "Big" = 7 WHERE id = 2 RETURNING *',
]


def test_check_and_generated_expressions_follow_a_renamed_column(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
