"""Statements SQLAlchemy, Alembic and pandas send with bound parameters, run through psycopg
on db9 and on PostgreSQL 15: the same rows, or the same SQLSTATE."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pgwire.conftest import Running
from tests.sql.pg import postgres_server

SETUP = [
    "CREATE TABLE IF NOT EXISTS bc_t (id int PRIMARY KEY, data jsonb)",
    "DELETE FROM bc_t",
    """INSERT INTO bc_t VALUES (1, '{"a": "x", "b": {"c": 2}}'), (2, '{"a": 5}')""",
]

CASES: list[tuple[str, dict[str, Any]]] = [
    # Alembic/SQLAlchemy reflection: the class of a comment, a table by name
    ("SELECT %(x)s::regclass::text", {"x": "pg_catalog.pg_class"}),
    ("SELECT %(x)s::regclass::oid = 'bc_t'::regclass::oid", {"x": "bc_t"}),
    ("SELECT relname FROM pg_class WHERE oid = %(x)s::regclass", {"x": "bc_t"}),
    ("SELECT relname FROM pg_class WHERE oid = %(x)s::regclass", {"x": "public.bc_t"}),
    ("SELECT %(x)s::regclass::text", {"x": "bc_t"}),
    ("SELECT %(x)s::regclass", {"x": "no_such_table"}),
    # Column["key"].astext and friends: ->> and -> with a bound key
    ("SELECT data ->> %(k)s FROM bc_t ORDER BY id", {"k": "a"}),
    ("SELECT data -> %(k)s FROM bc_t ORDER BY id", {"k": "b"}),
    ("SELECT id FROM bc_t WHERE data ->> %(k)s = %(v)s", {"k": "a", "v": "x"}),
    ("SELECT data #>> %(p)s FROM bc_t ORDER BY id", {"p": ["b", "c"]}),
]


def _run(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> Any:
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return ("ok", [tuple(str(v) for v in row) for row in cur.fetchall()])
    except psycopg.Error as exc:
        return ("error", exc.sqlstate)


@pytest.fixture(scope="module")
def postgres() -> Iterator[psycopg.Connection[Any]]:
    with postgres_server() as conninfo, psycopg.connect(conninfo, autocommit=True) as conn:
        for stmt in SETUP:
            conn.execute(stmt)
        yield conn


@pytest.mark.parametrize(("sql", "params"), CASES, ids=[c[0] for c in CASES])
def test_bound_parameter_casts_agree_with_postgres(
    pg: Running, postgres: psycopg.Connection[Any], sql: str, params: dict[str, Any]
) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        for stmt in SETUP:
            conn.execute(stmt)
        ours = _run(conn, sql, params)
        assert ours == _run(postgres, sql, params)
        assert conn.execute("SELECT 1").fetchone() == (1,)
