"""psycopg 3 as its own test suite uses it (issue 16's CI slice): binary COPY with typed rows
in both directions, server-side (named) cursors, ``%s`` placeholders bound server-side, and
TypeInfo lookups of user types (EnumInfo.fetch: ``t.oid = to_regtype(%(name)s)``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.types import TypeInfo
from psycopg.types.enum import EnumInfo, register_enum

from tests.pgwire.conftest import Running

ROWS = [
    (1, "one", Decimal("1.50"), dt.date(2024, 5, 6), [1, None], b"\x00"),
    (2, None, None, None, None, None),
    (3, "", Decimal("-0.001"), dt.date(1999, 1, 1), [], b""),
]
TYPES = ["int4", "text", "numeric", "date", "int4[]", "bytea"]


def test_binary_copy_with_typed_rows_both_ways(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE c (id int, t text, n numeric, d date, a int4[], b bytea)")
        with cur.copy("COPY c FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(TYPES)
            for row in ROWS:
                copy.write_row(row)
        assert cur.rowcount == 3
        with cur.copy("COPY (SELECT * FROM c ORDER BY id) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(TYPES)
            got = list(copy.rows())
        assert got == ROWS
        # a bad row fails the COPY, and the connection answers the next query
        with (
            pytest.raises(psycopg.errors.InvalidBinaryRepresentation),
            cur.copy("COPY c (id) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(["int8"])  # eight bytes for an int4 column
            copy.write_row((1,))
        assert cur.execute("SELECT count(*) FROM c").fetchone() == (3,)


def test_named_cursors_fetch_in_steps_scroll_and_outlive_their_transaction(
    pg: Running,
) -> None:
    with psycopg.connect(pg.dsn()) as conn:
        conn.execute("CREATE TABLE s (n int)")
        conn.execute("INSERT INTO s SELECT generate_series(1, 25)")
        conn.commit()
        with conn.cursor(name="steps") as cur:
            cur.itersize = 10
            cur.execute("SELECT n FROM s WHERE n > %s ORDER BY n", [5])
            assert cur.fetchone() == (6,)
            assert cur.fetchmany(3) == [(7,), (8,), (9,)]
            assert [r[0] for r in cur] == list(range(10, 26))
        with conn.cursor(name="scroll", scrollable=True) as cur:
            cur.execute("SELECT n FROM s ORDER BY n")
            cur.scroll(20, mode="absolute")
            assert cur.fetchone() == (21,)
            cur.scroll(-5)
            assert cur.fetchone() == (17,)
        held = conn.cursor(name="held", withhold=True)
        held.execute("SELECT n FROM s ORDER BY n LIMIT 3")
        conn.commit()
        assert held.fetchall() == [(1,), (2,), (3,)]
        held.close()


def test_placeholders_and_enum_type_info(pg: Running) -> None:
    class Mood(Enum):
        sad = "sad"
        ok = "ok"
        happy = "happy"

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
        conn.execute("CREATE TABLE m (id int, mood mood)")
        info = EnumInfo.fetch(conn, "mood")
        assert info is not None and info.labels == ["sad", "ok", "happy"]
        register_enum(info, conn, Mood)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO m VALUES (%s, %s)", [(1, Mood.ok), (2, Mood.happy)])
            cur.execute("SELECT id, mood FROM m WHERE mood = %s OR id = %s", [Mood.ok, 2])
            assert sorted(cur.fetchall()) == [(1, Mood.ok), (2, Mood.happy)]
            cur.execute("SELECT %s, %s::text, %b", [1, "two", 3], prepare=True)
            assert cur.fetchone() == (1, "two", 3)


def test_type_info_of_builtin_types_by_a_bound_regtype(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        for name, typname in [("json", "json"), ("int4", "int4"), ("double precision", "float8")]:
            row = conn.execute(
                "SELECT typname FROM pg_type WHERE oid = %s::regtype", [name]
            ).fetchone()
            assert row == (typname,)
            info = TypeInfo.fetch(conn, name)
            assert info is not None and info.name == typname


def test_datetimes_in_the_session_time_zone_text_and_binary(pg: Running) -> None:
    rome = ZoneInfo("Europe/Rome")
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("SET timezone TO 'Europe/Rome'")
        assert conn.info.timezone == rome  # ParameterStatus after SET
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            got = cur.execute(
                "SELECT '2000-07-02 03:04:05'::timestamptz, '10:20:30-02:00'::timetz,"
                " %s::timestamptz = '2000-07-02 01:04:05+00', pg_typeof(%s)::regtype = %s::regtype",
                [dt.datetime(2000, 7, 2, 3, 4, 5, tzinfo=rome), dt.time(1, 2), "time"],
            ).fetchone()
            assert got == (
                dt.datetime(2000, 7, 2, 3, 4, 5, tzinfo=rome),
                dt.time(10, 20, 30, tzinfo=dt.timezone(-dt.timedelta(hours=2))),
                True,
                True,
            )
            # values beyond Python's years reach the client, which refuses them itself
            with pytest.raises(psycopg.DataError, match="date too large"):
                cur.execute("SELECT 'infinity'::date").fetchone()
            with pytest.raises(psycopg.DataError):
                cur.execute("SELECT %s::date + 1", [dt.date.max]).fetchone()
            row = cur.execute("SELECT (B'101' & B'110')::text, 5::bit(4)::text").fetchone()
            assert row == ("100", "0101")


def test_a_set_time_zone_is_reported_and_timestamps_follow_it(pg: Running) -> None:
    """SET TimeZone is reported (ParameterStatus), as PostgreSQL reports it, so psycopg reads
    a timestamp with time zone in the session's zone and binds a naive one as local time
    (Django's USE_TZ=False connection: naive values round-trip unchanged)."""
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        assert conn.info.parameter_status("TimeZone") == "UTC"
        conn.execute("SET TIME ZONE 'America/Chicago'")
        assert conn.info.parameter_status("TimeZone") == "America/Chicago"
        naive = dt.datetime(2000, 1, 1, 1, 1)
        got = conn.execute("SELECT %s::timestamptz, %s::timestamptz::text", [naive, naive])
        value, text = got.fetchone() or (None, None)
        assert value is not None and value.replace(tzinfo=None) == naive
        assert value.utcoffset() == dt.timedelta(hours=-6) and text == "2000-01-01 01:01:00-06"
        conn.execute("SET application_name = 'tz-test'")
        assert conn.info.parameter_status("application_name") == "tz-test"
        conn.execute("RESET TimeZone")
        assert conn.info.parameter_status("TimeZone") == "UTC"
