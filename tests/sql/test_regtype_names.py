"""regtype values name their type as format_type prints it, so two spellings of one type are
equal regtypes (psycopg's ``pg_typeof(%s)::regtype = %s::regtype``), against PostgreSQL."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT 'timestamp'::regtype, 'timestamptz'::regtype, 'int4'::regtype, 'int4[]'::regtype,"
    " 'varchar'::regtype, 'pg_catalog.bool'::regtype, 'timetz'::regtype",
    "SELECT pg_typeof(1) = 'int4'::regtype, pg_typeof(now()) = 'timestamptz'::regtype,"
    " pg_typeof('1'::text) = 'text'::text::regtype",
]


def test_regtype_names_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
