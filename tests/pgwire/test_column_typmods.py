"""Result columns' type modifiers against a live PostgreSQL, as psycopg reads them from
RowDescription (Column.type_display, precision, scale, display size): varchar(n) and
numeric(p,s) (a negative scale too), their arrays, bit(n) and bit varying(n)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pgwire.conftest import Running, start_server
from tests.sql.pg import postgres_server

TYPES = ["varchar(1)", "varchar(1)[]", "numeric(10,3)[]", "numeric(2,-3)", "bpchar(42)",
         "bit(42)", "varbit", "varbit(7)", "bit varying(3)[]", "int4", "text[]"]  # fmt: skip


@pytest.fixture(scope="module")
def db9(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # plaintext: compared frame by frame with PostgreSQL over raw sockets
    yield from start_server(tmp_path_factory.mktemp("typmods"), require_tls=False)


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


def _columns(dsn: str) -> list[Any]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        out = []
        for t in TYPES:
            col = conn.execute(f"SELECT NULL::{t}").description[0]
            out.append((t, col.type_display, col.precision, col.scale, col.display_size))
        return out


def test_column_typmods_match_postgres(db9: Running, pg_dsn: str) -> None:
    assert _columns(db9.dsn(sslmode="disable")) == _columns(pg_dsn)


def _shapes(dsn: str) -> list[Any]:
    out: list[Any] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.cursor()
        for sql in ("SELECT", "CREATE TABLE nocols ()", "INSERT INTO nocols DEFAULT VALUES",
                    "SELECT * FROM nocols", "SET search_path TO public"):  # fmt: skip
            cur.execute(sql, prepare=True)
            out.append((sql, cur.description, cur.rowcount))
        out.append(list(cur.stream("SELECT")))
        out.append(list(cur.stream("SELECT FROM nocols")))
    return out


def test_zero_column_results_are_described_as_rows(db9: Running, pg_dsn: str) -> None:
    """A SELECT of no columns has a RowDescription of none (psycopg's stream of ``select``)."""
    assert _shapes(db9.dsn(sslmode="disable")) == _shapes(pg_dsn)
