"""A client's temporary tables over pgwire: private to its connection, and gone (schema and
all) once it disconnects, dropped off the event loop."""

from __future__ import annotations

import psycopg

from tests.pgwire.conftest import Running
from tests.pgwire.test_disconnect_and_slots import wait_until

TEMP_SCHEMAS = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg_temp_%'"


def _count(conn: psycopg.Connection, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_temp_tables_go_when_their_client_disconnects(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as other:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TEMP TABLE scratch (a int)")
            conn.execute("INSERT INTO scratch VALUES (1), (2)")
            assert _count(conn, "SELECT count(*) FROM scratch") == 2
            assert _count(other, TEMP_SCHEMAS) == 1
            try:
                other.execute("SELECT * FROM scratch")
                raise AssertionError("another connection read a temporary table")
            except psycopg.errors.UndefinedTable:
                pass
        wait_until(lambda: _count(other, TEMP_SCHEMAS) == 0)
        assert _count(other, "SELECT count(*) FROM pg_class WHERE relname = 'scratch'") == 0
