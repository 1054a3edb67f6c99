"""Binary COPY (FORMAT binary) in and out, byte for byte against PostgreSQL 15: what db9
sends for COPY TO STDOUT equals what PostgreSQL sends for the same rows, PostgreSQL's binary
output loads into db9 unchanged, and broken binary data gets PostgreSQL's SQLSTATE with the
connection still in step (it answers the next query)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sql.copy import BINARY_HEADER, BINARY_TRAILER, binary_row
from tests.pgwire.conftest import Running
from tests.sql.pg import postgres_server

COLUMNS = (
    "i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, t text, v varchar(20), b bool,"
    " d date, ts timestamp, tz timestamptz, u uuid, by bytea, j jsonb, ia int4[], ta text[],"
    " na numeric[], ba bool[], m int4[]"
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with postgres_server() as conninfo:
        yield conninfo


def _copy_out(conn: psycopg.Connection[Any], sql: str) -> bytes:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


def _copy_in(conn: psycopg.Connection[Any], sql: str, data: bytes) -> None:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        copy.write(data)


def _fresh(conn: psycopg.Connection[Any]) -> None:
    conn.execute("DROP TABLE IF EXISTS cb")
    conn.execute(f"CREATE TABLE cb (id int, {COLUMNS})")


text_values = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
rows = st.lists(
    st.tuples(
        st.integers(-(2**15), 2**15 - 1) | st.none(),
        st.integers(-(2**31), 2**31 - 1),
        st.integers(-(2**63), 2**63 - 1) | st.none(),
        # (+ 0.0: a stored -0.0 reads back as 0.0 today, a row-storage matter apart from COPY)
        st.floats(width=32, allow_nan=False).map(lambda f: f + 0.0) | st.none(),
        st.floats(allow_nan=False).map(lambda f: f + 0.0),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
        )
        | st.none(),
        text_values,
        st.text(st.characters(codec="ascii", exclude_characters="\x00"), max_size=20),
        st.booleans() | st.none(),
        st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
        st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)),
        st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)),
        st.uuids() | st.none(),
        st.binary(max_size=8),
        st.dictionaries(st.text(max_size=3), st.integers(-5, 5), max_size=2) | st.none(),
        st.lists(st.integers(-(2**31), 2**31 - 1) | st.none(), max_size=3),
        st.lists(text_values | st.none(), max_size=3),
        st.lists(
            st.decimals(
                allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000
            ),
            max_size=2,
        ),
        st.lists(st.booleans(), max_size=2),
        st.just([[1, 2], [3, None]]) | st.just([]),
    ),
    max_size=4,
)


def _insert(conn: psycopg.Connection[Any], batch: list[tuple[Any, ...]]) -> None:
    from psycopg.types.json import Jsonb

    marks = ["%s"] * 20
    marks[14], marks[19] = "%s::jsonb", "%s::int4[]"
    cast = ", ".join(marks)
    for n, row in enumerate(batch):
        values = list(row)
        values[14] = None if values[14] is None else Jsonb(values[14])
        conn.execute(f"INSERT INTO cb VALUES (%s, {cast})", [n, *values])


@settings(
    max_examples=10,
    deadline=None,
    phases=(Phase.generate,),
    suppress_health_check=list(HealthCheck),
)
@given(batch=rows)
def test_binary_copy_out_and_in_match_postgresql_bytes(
    pg: Running, postgres: str, batch: list[tuple[Any, ...]]
) -> None:
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as ours,
        psycopg.connect(postgres, autocommit=True) as theirs,
    ):
        for conn in (ours, theirs):
            _fresh(conn)
            _insert(conn, batch)
        query = "COPY (SELECT * FROM cb ORDER BY id) TO STDOUT (FORMAT binary)"
        expected = _copy_out(theirs, query)
        assert _copy_out(ours, query) == expected
        # PostgreSQL's bytes load into db9 and come back the same
        ours.execute("TRUNCATE cb")
        _copy_in(ours, "COPY cb FROM STDIN WITH (FORMAT binary)", expected)
        assert _copy_out(ours, query) == expected
        assert _copy_out(ours, "COPY cb TO STDOUT (FORMAT binary)").startswith(BINARY_HEADER)


ONE_INT = BINARY_HEADER + binary_row([b"\x00\x00\x00\x07"])
BROKEN = [
    b"",  # no header at all
    b"PGCOPY\n\xff\r\n\x01" + b"\x00" * 8,  # a wrong signature
    b"PGCOPY\n\xff\r\n\x00\x00\x01\x00\x00\x00\x00\x00\x00",  # WITH OIDS
    ONE_INT[:-2],  # cut inside a field
    BINARY_HEADER + binary_row([b"\x00\x00\x00\x07", None]),  # two fields for one column
    BINARY_HEADER + binary_row([b"\x00\x07"]),  # an int4 of two bytes
    BINARY_HEADER + binary_row([b"\x00\x00\x00\x00\x07"]),  # of five
    ONE_INT + BINARY_TRAILER + b"x",  # data after the trailer
]


@pytest.mark.parametrize("data", BROKEN)
def test_broken_binary_copy_gets_postgresqls_error_and_the_connection_goes_on(
    pg: Running, postgres: str, data: bytes
) -> None:
    states = []
    for dsn in (pg.dsn(), postgres):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS one; CREATE TABLE one (n int4)")
            try:
                _copy_in(conn, "COPY one FROM STDIN (FORMAT binary)", data)
                states.append(None)
            except psycopg.Error as exc:
                states.append(exc.sqlstate)
            assert conn.execute("SELECT count(*) FROM one").fetchone() == (0,)
    assert states[0] == states[1]
    assert states[0] is not None


def test_binary_copy_without_a_trailer_ends_at_copy_done(pg: Running, postgres: str) -> None:
    for dsn in (pg.dsn(), postgres):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS one; CREATE TABLE one (n int4)")
            _copy_in(conn, "COPY one FROM STDIN (FORMAT binary)", ONE_INT)
            assert conn.execute("SELECT n FROM one").fetchall() == [(7,)]


@pytest.mark.parametrize(
    "option", ["DELIMITER ','", "NULL 'x'", "HEADER", "QUOTE '\"'", "FORMAT nosuch"]
)
def test_binary_copy_options_are_checked_as_postgresql_does(
    pg: Running, postgres: str, option: str
) -> None:
    states = []
    for dsn in (pg.dsn(), postgres):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS one; CREATE TABLE one (n int4)")
            fmt = "" if option.startswith("FORMAT") else "FORMAT binary, "
            with pytest.raises(psycopg.Error) as caught:
                _copy_out(conn, f"COPY one TO STDOUT ({fmt}{option})")
            states.append(caught.value.sqlstate)
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert states[0] == states[1]


def test_char_travels_as_one_byte_as_postgresql_sends_it(pg: Running, postgres: str) -> None:
    """charsend/charrecv: "char" is always one byte, 0 for the empty "char" (pg_attribute's
    attgenerated and attidentity, which SQLAlchemy reads under asyncpg), a byte of 128 or
    more as itself (charout prints it ``\\ooo``)."""
    values = "(VALUES (''), ('a'), ('\\303'), ('é'), (NULL)) v(c)"
    query = f'COPY (SELECT c::"char" FROM {values}) TO STDOUT (FORMAT binary)'
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as ours,
        psycopg.connect(postgres, autocommit=True) as theirs,
    ):
        expected = _copy_out(theirs, query)
        assert _copy_out(ours, query) == expected
        ours.execute('DROP TABLE IF EXISTS ch; CREATE TABLE ch (c "char")')
        _copy_in(ours, "COPY ch FROM STDIN (FORMAT binary)", expected)
        assert _copy_out(ours, "COPY ch TO STDOUT (FORMAT binary)") == expected
        as_text = theirs.execute(f'SELECT c::"char"::text FROM {values}').fetchall()
        assert ours.execute("SELECT c::text FROM ch").fetchall() == as_text


def test_records_and_composites_travel_as_postgresql_sends_them(pg: Running, postgres: str) -> None:
    """record_send: the field count, then each field's type oid and value, NULL as -1; for
    a ROW(...) (asyncpg asks for its results in binary) and a composite column alike."""
    query = (
        "COPY (SELECT ROW(1, 'a'::text), ROW(NULL::int, 2.5::float8, ARRAY[1, 2]), c"
        " FROM rc) TO STDOUT (FORMAT binary)"
    )
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as ours,
        psycopg.connect(postgres, autocommit=True) as theirs,
    ):
        for conn in (ours, theirs):
            conn.execute("DROP TABLE IF EXISTS rc; DROP TYPE IF EXISTS pair")
            conn.execute("CREATE TYPE pair AS (x int, y text)")
            conn.execute("CREATE TABLE rc (c pair); INSERT INTO rc VALUES (ROW(7, NULL))")
        assert _copy_out(ours, query) == _copy_out(theirs, query)
