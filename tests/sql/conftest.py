from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import pytest

from tests.sql.differential import Differ
from tests.sql.pg import connect, postgres_server


@pytest.fixture(scope="session")
def pg_conninfo() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


@pytest.fixture
def differ(pg_conninfo: str) -> Iterator[Differ]:
    conn = connect(pg_conninfo)
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    try:
        yield Differ(conn)
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute("ROLLBACK")
        conn.close()
