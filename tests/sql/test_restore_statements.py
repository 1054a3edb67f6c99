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
