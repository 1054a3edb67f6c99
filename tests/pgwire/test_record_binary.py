"""Composite and anonymous record values in binary against a live PostgreSQL, through
psycopg: record_send of ROW(...) and of a named composite (NULL fields, nesting, an empty
row), record_recv of a registered composite as a parameter, and the errors of a wrong field
count or an anonymous record parameter; a field of a domain type names the domain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.composite import CompositeInfo, register_composite

from tests.pgwire.conftest import Running, start_server
from tests.sql.pg import postgres_server


@pytest.fixture(scope="module")
def db9(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # plaintext: compared frame by frame with PostgreSQL over raw sockets
    yield from start_server(tmp_path_factory.mktemp("records"), require_tls=False)


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


def _answers(dsn: str) -> list[Any]:
    out: list[Any] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TYPE IF EXISTS rb_inner, rb_outer CASCADE")
        conn.execute("CREATE TYPE rb_inner AS (x int, y text)")
        conn.execute("CREATE TYPE rb_outer AS (i rb_inner, n numeric, d date)")
        cur = conn.cursor(binary=True)
        rows = "SELECT ROW(1, 'a'::text, NULL::int), ROW(), ROW('x'::varchar, 2.5)"
        out.append(cur.execute(rows).fetchone())
        raw = cur.execute("SELECT ROW(ROW(1, 'b'), 3.5, '2020-01-02')::rb_outer").fetchone()
        out.append(len(raw[0]))  # the bytes hold the types' oids, which differ
        for name in ("rb_inner", "rb_outer"):
            register_composite(CompositeInfo.fetch(conn, name), conn)
        cur = conn.cursor(binary=True)  # a cursor copies the adapters it starts with
        got = cur.execute("SELECT ROW(ROW(7, NULL), NULL, '2021-03-04')::rb_outer").fetchone()
        out.append(repr(got))
        outer = got[0]
        back = cur.execute("SELECT %b::rb_outer, (%b::rb_outer).i", [outer, outer]).fetchone()
        out.append(repr(back))
        # a field of a domain type: its attribute and the record's bytes name the domain
        conn.execute("DROP TYPE IF EXISTS rb_dommed; DROP DOMAIN IF EXISTS rb_dom")
        conn.execute("CREATE DOMAIN rb_dom AS numeric; CREATE TYPE rb_dommed AS (a rb_dom, b int)")
        out.append(conn.execute(
            "SELECT a.atttypid::regtype::text FROM pg_attribute a JOIN pg_type t"
            " ON a.attrelid = t.typrelid WHERE t.typname = 'rb_dommed' ORDER BY a.attnum"
        ).fetchall())  # fmt: skip
        dom_oid = conn.execute("SELECT 'rb_dom'::regtype::oid").fetchone()[0]  # type: ignore[index]
        raw = conn.cursor(binary=True).execute("SELECT ROW(1.5, 2)::rb_dommed").fetchone()
        out.append(int.from_bytes(raw[0][4:8]) == dom_oid)  # type: ignore[index]
        for sql in ("SELECT %b::rb_inner", "SELECT %b"):
            try:
                cur.execute(sql, [(1, "z", 3)] if "rb" in sql else [outer.i])
                out.append(repr(cur.fetchone()))
            except psycopg.Error as exc:
                out.append(exc.sqlstate)
    return out


def test_records_in_binary_match_postgres(db9: Running, pg_dsn: str) -> None:
    assert _answers(db9.dsn(sslmode="disable")) == _answers(pg_dsn)
