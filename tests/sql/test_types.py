"""Types as PostgreSQL has them, against a live PostgreSQL: type names that do not exist
(42704), pseudo-types as column types (42P16), array types by their typname (_int4), and the
geometric types (point, lseg, line, box, path, polygon, circle): input, output, storage,
operators and functions."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

TYPE_NAMES = [
    "CREATE TABLE t (u unknown)",
    "CREATE TABLE t (x nosuchtype)",
    "SELECT cast(1 AS nosuchtype)",
    "SELECT '{1,2}'::_int2 AS a, '{a,b}'::_name AS b, '{}'::_int4 = '{}'::int[] AS c",
    "CREATE TABLE t (a _int4); INSERT INTO t VALUES ('{1,2}'); SELECT a FROM t",
    "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b unknown",
]


@pytest.mark.parametrize("sql", TYPE_NAMES)
def test_type_names_resolve_or_fail_as_in_postgres(differ: Differ, sql: str) -> None:
    differ.reset()
    for statement in sql.split("; "):
        differ.check(statement)
