"""Pseudo-types against a live PostgreSQL: their pg_type rows (typtype 'p'), regtype names
and oids, and casts to the polymorphic ones (a value keeps its own type when it fits; 42846
when it does not; an untyped literal as anyarray is 0A000, as anyelement stays unknown)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT oid, typname, typtype, typcategory, typlen, typinput, typoutput, typelem, typarray"
    " FROM pg_type WHERE typtype = 'p' OR typname = '_cstring' ORDER BY typname",
    "SELECT 'anyarray'::regtype::oid, 2277::oid::regtype, 'anyelement'::regtype,"
    " 'record'::regtype::oid",
    "SELECT '{1,2,NULL}'::int[]::anyarray, pg_typeof('{1,2}'::int[]::anyarray)",
    "SELECT 1::anyelement, pg_typeof(1::int::anyelement), 'a'::text::anynonarray",
    "SELECT '{1}'::int[]::anycompatiblearray, '{1}'::int[]::anyelement, 1::anycompatible",
    "SELECT int4range(1, 2)::anyrange, pg_typeof(int4range(1, 2)::anyrange)",
    "SELECT 'a'::anyelement, NULL::anyarray, pg_typeof('a'::anyelement)",
    "SELECT '{1,2}'::anyarray",
    "SELECT 1::anyarray",
    "SELECT '{1}'::int[]::anynonarray",
    "SELECT 'a'::text::anyenum",
    "SELECT int4range(1, 2)::anymultirange",
    "CREATE TYPE pt_mood AS ENUM ('a', 'b')",
    "SELECT 'b'::pt_mood::anyenum, pg_typeof('b'::pt_mood::anyenum)",
    "SELECT pg_typeof(NULL::int), pg_typeof(NULL), pg_typeof(NULL::anyarray)",
    "SELECT format_type(2277, -1), format_type(2249, -1), format_type(705, -1),"
    " format_type(2283, NULL), format_type(NULL, 1)",
]


def test_pseudo_types_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
