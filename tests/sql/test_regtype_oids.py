"""regtype values against oids, as psycopg's TypeInfo queries use them
(``WHERE t.oid = to_regtype(%(name)s)``), against a live PostgreSQL: comparisons both ways,
the explicit cast to oid, built-in and user-defined (enum, composite) types, unknown names;
the array types of user-defined types in pg_type (asyncpg's introspection follows typelem)
no type (0) as ``-``, and a domain's own oid (a composite's field of it too)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE TYPE pt AS (x int, y text)",
    "SELECT typname FROM pg_type WHERE oid = to_regtype('mood')",
    "SELECT typname FROM pg_type WHERE to_regtype('pt') = oid",
    "SELECT typname FROM pg_type WHERE oid = to_regtype('int4')",
    "SELECT typname FROM pg_type WHERE oid = 'text'::regtype",
    "SELECT typname FROM pg_type WHERE oid = to_regtype('public.mood')",
    "SELECT count(*) FROM pg_type WHERE oid = to_regtype('nosuch')",
    "SELECT 'integer'::regtype::oid, 'int8'::regtype::oid = 20, 'bool'::regtype = 16",
    "SELECT 'mood'::regtype::oid = (SELECT oid FROM pg_type WHERE typname = 'mood')",
    "SELECT e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid"
    " WHERE t.oid = to_regtype('mood') ORDER BY e.enumsortorder",
]


def test_regtype_compares_with_oids_as_in_postgresql(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


ARRAY_TYPES = [
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE TYPE pt AS (x int, y text)",
    "CREATE TYPE fr AS RANGE (subtype = float8)",
    "SELECT a.typname, a.typtype, a.typcategory, a.typlen, a.typdelim, e.typname,"
    " e.typarray = a.oid, a.typarray FROM pg_type a JOIN pg_type e ON e.oid = a.typelem"
    " WHERE e.typname IN ('mood', 'pt', 'fr') ORDER BY 1",
    "SELECT 'mood[]'::regtype::oid = (SELECT typarray FROM pg_type WHERE typname = 'mood')",
    "SELECT typelem::regtype::text, typarray::regtype::text FROM pg_type WHERE typname = '_pt'",
    "SELECT 0::oid::regtype, 0::oid::regtype::text, 0::oid::regtype::oid",
    "CREATE DOMAIN pos AS int CHECK (VALUE > 0)",
    "CREATE TYPE with_pos AS (p pos, q int)",
    "SELECT typname, typtype FROM pg_type WHERE oid = 'pos'::regtype",
    "SELECT 'pos'::regtype::oid = (SELECT oid FROM pg_type WHERE typname = 'pos')",
    "SELECT a.attname, a.atttypid::regtype FROM pg_attribute a JOIN pg_type t"
    " ON a.attrelid = t.typrelid WHERE t.typname = 'with_pos' ORDER BY a.attnum",
]


def test_user_types_have_array_types_in_pg_type(differ: Differ) -> None:
    for sql in ARRAY_TYPES:
        differ.check(sql)
