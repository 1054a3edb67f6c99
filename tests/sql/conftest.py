from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.differential import Differ, fresh_public
from tests.sql.pg import connect, postgres_server


@pytest.fixture(scope="session")
def pg_conninfo() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


@pytest.fixture
def differ(pg_conninfo: str) -> Iterator[Differ]:
    conn = connect(pg_conninfo)
    fresh_public(conn)
    try:
        yield Differ(conn)
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute("ROLLBACK")
        conn.close()


@pytest.fixture
def db() -> Database:
    """A database holding kv (k int PRIMARY KEY, v int) = (1, 10), (2, 20)."""
    database = Database(TxnClient(local_kv()), b"\x00\x07")
    s = Session(database)
    s.execute("CREATE TABLE kv (k int PRIMARY KEY, v int)")
    s.execute("INSERT INTO kv VALUES (1, 10), (2, 20)")
    return database
