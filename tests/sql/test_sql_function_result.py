"""CREATE FUNCTION ... LANGUAGE sql checks its final statement against the declared result
(PostgreSQL's check_sql_fn_retval): 42P13 with PostgreSQL's message and detail, against a
live PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from kv.errors import Db9Error
from tests.sql.differential import Differ


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE FUNCTION foo() RETURNS bool AS $$ $$ LANGUAGE SQL",  # asyncpg's test_exceptions_str
        "CREATE FUNCTION foo() RETURNS bool AS $$ SELECT 1 $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int AS $$ SELECT 1, 2 $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int AS $$ SELECT 'a'::text $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int AS $$ CREATE TABLE zz (a int) $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int AS $$ DELETE FROM ff $$ LANGUAGE SQL",
    ],
)
def test_final_statement_mismatch(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE ff (a int)")
    with pytest.raises(psycopg.Error) as theirs:
        differ.pg.execute(sql.encode())
    with pytest.raises(Db9Error) as ours:
        differ.session.execute(sql)
    assert (ours.value.sqlstate, str(ours.value.message), ours.value.detail) == (
        theirs.value.sqlstate,
        theirs.value.diag.message_primary,
        theirs.value.diag.message_detail,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE FUNCTION foo() RETURNS void AS $$ $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS bigint AS $$ SELECT 1 $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int AS $$ SELECT 1::bigint $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS text AS $$ SELECT 'a' $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS SETOF int AS $$ VALUES (1) $$ LANGUAGE SQL",
        "CREATE FUNCTION foo(x int) RETURNS int AS $$ SELECT x + 1 $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int AS $$ DELETE FROM ff RETURNING a $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS ff AS $$ SELECT * FROM ff $$ LANGUAGE SQL",
        "CREATE FUNCTION foo(OUT a int, OUT b text) AS $$ SELECT 1, 'x' $$ LANGUAGE SQL",
        "CREATE FUNCTION foo() RETURNS int RETURN 1",
        "CREATE FUNCTION foo(x anyelement) RETURNS anyelement AS $$ SELECT x + 1 $$ LANGUAGE SQL",
        "CREATE FUNCTION foo(anycompatible, anycompatible) RETURNS anycompatible"
        " AS $$ SELECT greatest($1, $2) $$ LANGUAGE SQL",
        "SET check_function_bodies = off; CREATE FUNCTION foo() RETURNS bool AS $$ $$ LANGUAGE SQL",
    ],
)
def test_final_statement_fits(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE ff (a int)")
    differ.check(sql)
