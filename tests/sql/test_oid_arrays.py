"""Arrays of the object-identifier types (oid, regclass, regtype, ...), as asyncpg's type
introspection writes them (``any($1::oid[])``), against a live PostgreSQL: casts with the
``[]``, ``[n]``, ``[][]`` and ``ARRAY`` spellings, columns, and element tests."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT '{1,2}'::oid[]",
    "SELECT '{1,NULL,3}'::oid[], '{}'::oid[]",
    "SELECT CAST('{4,5}' AS oid[])",
    "SELECT '{{1,2},{3,4}}'::oid[][]",
    "SELECT '{7}'::oid[3], '{8}'::oid ARRAY, '{9}'::oid ARRAY[2]",
    "SELECT 2::oid = ANY('{1,2}'::oid[]), 5::oid = ANY('{1,2}'::oid[])",
    "SELECT ('{10,20,30}'::oid[])[2], ('{10,20,30}'::oid[])[2:3]",
    "SELECT array_length('{1,2,3}'::oid[], 1)",
    "CREATE TABLE oid_arrays (id int PRIMARY KEY, a oid[])",
    "INSERT INTO oid_arrays VALUES (1, '{1,2}'), (2, NULL), (3, '{}')",
    "SELECT id, a FROM oid_arrays ORDER BY id",
    "SELECT id FROM oid_arrays WHERE 2 = ANY(a)",
]


def test_oid_type_arrays_match_postgresql(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
