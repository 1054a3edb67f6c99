"""Error positions (ErrorResponse's P field) of name-resolution errors: unknown relations,
columns, functions and operators, placed where PostgreSQL places them, against a live
PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from kv.errors import Db9Error
from tests.sql.differential import Differ


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM _nonexistent_",  # asyncpg's test_exceptions_unpacking: 15
        "SELECT * FROM public._nonexistent_",
        "SELECT * FROM nonex.tab",
        "SELECT * FROM pt, nonex",
        "SELECT a FROM pt JOIN nonex ON true",
        "INSERT INTO nonex VALUES (1)",
        "UPDATE nonex SET a = 1",
        "DELETE FROM nonex",
        "SELECT 1; SELECT * FROM nonex",
        "SELECT nosuch FROM pt",
        "SELECT pt.nosuch FROM pt",
        'SELECT "NoSuch" FROM pt',
        "SELECT a FROM pt WHERE nosuch = 1",
        "SELECT a FROM pt p WHERE p.zz = 1",
        "SELECT a FROM pt ORDER BY nosuch",
        "SELECT a FROM pt WHERE a IN (SELECT zz FROM pt)",
        "SELECT nosuch.a FROM pt",
        "INSERT INTO pt (nosuch) VALUES (1)",
        "UPDATE pt SET nosuch = 1",
        "SELECT nofunc(1)",
        "SELECT a FROM pt WHERE a = nofunc(2, 'x')",
        "SELECT   abs('x'::text)",
        "SELECT 1 + 'a'::text",
        "SELECT a FROM pt WHERE a = 'x'::text",
        "SELECT 1 FROM pt WHERE a LIKE 1",
    ],
)
def test_error_position_as_postgresql(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE pt (a int)")
    with pytest.raises(psycopg.Error) as theirs:
        differ.pg.execute(sql.encode())
    with pytest.raises(Db9Error) as ours:
        differ.session.execute(sql)
    assert (ours.value.sqlstate, str(ours.value.message)) == (
        theirs.value.sqlstate,
        theirs.value.diag.message_primary,
    )
    assert getattr(ours.value, "position", None) == int(theirs.value.diag.statement_position or 0)
