"""COPY's CSV options FORCE_QUOTE, FORCE_NOT_NULL and FORCE_NULL, COPY FROM ... WHERE, and
PostgreSQL's errors for their misuse, through psycopg against db9 and PostgreSQL 15 (the
options asyncpg's copy_from_table / copy_to_table / copy_records_to_table send)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pgwire.conftest import Running
from tests.sql.pg import postgres_server

TABLE = 'CREATE TABLE ct (a text, "b~" text, n int)'
ROWS = (
    "INSERT INTO ct VALUES ('a1', 'b1', 1), ('*', NULL, 2), ('', 'x|y', NULL), ('n-u-l-l', 'q', 3)"
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


def _both(pg: Running, postgres: str) -> list[psycopg.Connection[Any]]:
    conns = [psycopg.connect(pg.dsn(), autocommit=True), psycopg.connect(postgres, autocommit=True)]
    for conn in conns:
        conn.execute("DROP TABLE IF EXISTS ct")
        conn.execute(TABLE)
    return conns


def _out(conn: psycopg.Connection[Any], sql: str) -> bytes:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


def _in(conn: psycopg.Connection[Any], sql: str, data: bytes) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        with cur.copy(sql) as copy:
            copy.write(data)
        cur.execute('SELECT a, "b~", n FROM ct ORDER BY a, n')
        return cur.fetchall()


@pytest.mark.parametrize(
    "options",
    [
        "(FORMAT csv, FORCE_QUOTE (a))",
        "(FORMAT csv, FORCE_QUOTE *)",
        "(FORMAT csv, FORCE_QUOTE (a, n), HEADER true)",
        "(FORMAT csv, DELIMITER '|', NULL 'n-u-l-l', HEADER true, QUOTE '*', ESCAPE '!',"
        ' FORCE_QUOTE ("a"))',  # asyncpg's test_copy_from_table_basics
        "CSV HEADER FORCE QUOTE a, n",
        "CSV FORCE QUOTE *",
    ],
)
def test_copy_to_quotes_as_postgresql(pg: Running, postgres: str, options: str) -> None:
    outs = []
    for conn in _both(pg, postgres):
        with conn:
            conn.execute(ROWS)
            outs.append(_out(conn, f'COPY ct (a, "b~", n) TO STDOUT {options}'))
    assert outs[0] == outs[1]


@pytest.mark.parametrize(
    ("sql", "data"),
    [
        (  # asyncpg's test_copy_to_table_basics
            "COPY ct (a, \"b~\") FROM STDIN (FORMAT csv, DELIMITER '|', NULL 'n-u-l-l',"
            " HEADER true, QUOTE '*', ESCAPE '!', FORCE_NOT_NULL (a), FORCE_NULL (\"b~\"))",
            b"a|b~\n*a1*|b1\n*!**|*n-u-l-l*\nn-u-l-l|bb\n",
        ),
        ('COPY ct FROM STDIN (FORMAT csv, FORCE_NOT_NULL (a, "b~"))', b',,\n"",,1\n'),
        ('COPY ct FROM STDIN (FORMAT csv, FORCE_NULL (a, "b~"))', b'"",x,1\n,"",2\n'),
        ("COPY ct FROM STDIN CSV FORCE NOT NULL a", b",x,1\n"),
        ("COPY ct FROM STDIN WHERE n > 1", b"a\tb\t1\nc\td\t2\ne\tf\t\\N\n"),
        ("COPY ct FROM STDIN (FORMAT csv) WHERE a <> 'b-999'", b"a,b,1\nb-999,c,2\n"),
        ("COPY ct (n, a) FROM STDIN WHERE \"b~\" IS NULL AND a LIKE 'x%'", b"1\txa\n2\tya\n"),
    ],
)
def test_copy_from_reads_as_postgresql(pg: Running, postgres: str, sql: str, data: bytes) -> None:
    rows = []
    for conn in _both(pg, postgres):
        with conn:
            rows.append(_in(conn, sql, data))
    assert rows[0] == rows[1]


@pytest.mark.parametrize(
    "sql",
    [
        "COPY ct TO STDOUT (FORMAT text, FORCE_QUOTE (a))",
        "COPY ct FROM STDIN (FORMAT csv, FORCE_QUOTE (a))",
        "COPY ct TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))",
        "COPY ct FROM STDIN (FORCE_NOT_NULL (a))",
        "COPY ct TO STDOUT (FORMAT csv, FORCE_NULL (a))",
        "COPY ct FROM STDIN (FORCE_NULL (a))",
        "COPY ct (a) TO STDOUT (FORMAT csv, FORCE_QUOTE (n))",
        "COPY ct (a) FROM STDIN (FORMAT csv, FORCE_NOT_NULL (n))",
        "COPY ct TO STDOUT (FORMAT csv, FORCE_QUOTE (nosuch))",
        "COPY ct TO STDOUT (FORMAT csv, FORCE_QUOTE a)",
        "COPY ct TO STDOUT (FORMAT csv, FORCE_QUOTE (a), FORCE_QUOTE (n))",
        "COPY ct TO STDOUT (FORMAT csv, FORCE_QUOTE ())",
        "COPY ct TO STDOUT (FORMAT csv, nosuch_option 1)",
        "COPY ct TO STDOUT WHERE a = 'x'",
        "COPY ct FROM STDIN WHERE (SELECT true)",
        "COPY ct FROM STDIN WHERE count(*) > 1",
        "COPY ct FROM STDIN WHERE nosuch = 1",
        "COPY ct FROM STDIN WHERE a = 1",
        "COPY ct FROM STDIN WHERE n",
    ],
)
def test_copy_option_errors_as_postgresql(pg: Running, postgres: str, sql: str) -> None:
    states = []
    for conn in _both(pg, postgres):
        with conn, pytest.raises(psycopg.Error) as failed:
            _out(conn, sql) if " TO " in sql else _in(conn, sql, b"")
        states.append(failed.value.sqlstate)
    assert states[0] == states[1]
