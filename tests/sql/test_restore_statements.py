"""Statements pg_dump writes, as a restore into db9 runs them (psql -f / pg_restore): each
behaves as on PostgreSQL."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_comment_on_a_schema_qualified_column(differ: Differ) -> None:
    differ.check("CREATE SCHEMA IF NOT EXISTS s1; CREATE TABLE s1.t (a int, b text)")
    for stmt in [
        "COMMENT ON COLUMN s1.t.b IS 'the b'",
        "SELECT col_description('s1.t'::regclass, 2)",
        "COMMENT ON COLUMN s1.t.nope IS 'x'",
        "COMMENT ON COLUMN nope.t.b IS 'x'",
        "COMMENT ON COLUMN public.nope.b IS 'x'",
    ]:
        differ.check(stmt)
    differ.check("DROP SCHEMA s1 CASCADE")


def test_lock_table_in_the_modes_a_reader_takes(differ: Differ) -> None:
    differ.check('CREATE TABLE t (a int); CREATE TABLE "Odd, name" (b int)')
    differ.check("CREATE VIEW v AS SELECT 1")
    for stmt in [
        "LOCK TABLE t IN ACCESS SHARE MODE",  # outside a block: 25P01
        "BEGIN",
        'LOCK TABLE public.t, "Odd, name" IN ACCESS SHARE MODE',
        "LOCK t IN ROW EXCLUSIVE MODE",
        "LOCK TABLE v IN ACCESS SHARE MODE",
        "SELECT count(*) FROM t",
        "COMMIT",
        "BEGIN",
        "LOCK TABLE nope IN ACCESS SHARE MODE",
        "ROLLBACK",
        "BEGIN",
        "LOCK TABLE t IN SHAER MODE",
        "ROLLBACK",
    ]:
        differ.check(stmt)
