"""asyncpg as an application uses it (issue 16's CI slice of its test suite): a default pool,
arrays of every common element type as binary parameters and results (asyncpg's type
introspection itself sends ``any($1::oid[])``), and binary COPY in and out
(copy_records_to_table, copy_from_table/copy_from_query, copy_to_table), with the
connection still in step after a COPY fails.

Connections are taken from the pool and not given back: the pool's reset on release calls
pg_advisory_unlock_all(), whose test belongs with the advisory locks."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from tests.pgwire.conftest import PASSWORD, USER, Running

ARRAYS: list[tuple[str, list[Any]]] = [
    ("int2[]", [1, -32768, None, 32767]),
    ("int4[]", [[1, 2], [3, None]]),
    ("int8[]", [2**62, -(2**63)]),
    ("float4[]", [1.5, float("inf")]),
    ("float8[]", [-0.25, None, 1e300]),
    ("numeric[]", [Decimal("1.50"), Decimal("-12345678901234567890.123"), None]),
    ("text[]", ["a", "", 'q"u,o{te}', None, "ünï"]),
    ("varchar[]", ["x", "NULL"]),
    ("bool[]", [True, False, None]),
    ("date[]", [dt.date(2020, 2, 29), dt.date(1, 1, 2)]),
    ("timestamp[]", [dt.datetime(2001, 2, 3, 4, 5, 6, 7)]),
    ("timestamptz[]", [dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)]),
    ("uuid[]", [uuid.UUID(int=1), None]),
    ("bytea[]", [b"\x00\xff", b""]),
    ("json[]", ['{"a": [1, 2]}']),
    ("jsonb[]", ['{"a": 1}', None]),
    ("oid[]", [1, 4294967295]),
    ("tid[]", [(0, 0), (4294967295, 65535), None, (100, 200)]),
    ("xid[]", [1, 4294967295, None]),
    ("xid8[]", [0, 2**64 - 1]),
    ("macaddr[]", ["08:00:2b:01:02:03", None, "ff:ff:ff:ff:ff:ff"]),
    ("pg_snapshot[]", [(100, 1000, (100, 200, 300)), (5, 5, ())]),
    ("txid_snapshot[]", [(1, 2, (1,))]),
    ("int4[]", []),
    ("text[]", [[["a"], ["b"]], [["c"], [None]]]),
]


def _connect(pg: Running) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": pg.port, "user": USER, "password": PASSWORD,
            "database": "postgres", "ssl": "require"}  # fmt: skip


def test_default_pool_round_trips_arrays_of_every_common_type(pg: Running) -> None:
    async def run() -> None:
        pool = await asyncpg.create_pool(min_size=2, max_size=2, **_connect(pg))
        try:
            conns = [await pool.acquire(), await pool.acquire()]

            async def check(conn: asyncpg.Connection, cases: list[tuple[str, list[Any]]]) -> None:
                for cast, value in cases:
                    got = await conn.fetchval(f"SELECT $1::{cast}", value)
                    assert got == value, (cast, got)

            # the two connections at once, each its own half of the types
            await asyncio.gather(check(conns[0], ARRAYS[::2]), check(conns[1], ARRAYS[1::2]))
            conn = conns[0]
            assert await conn.fetchval("SELECT 23 = any($1::oid[])", [16, 23]) is True
            assert await conn.fetchval("SELECT $1::int4[] IS NULL", None) is True
            await conn.execute("CREATE TABLE arr (id int PRIMARY KEY, a int8[], t text[])")
            await conn.executemany(
                "INSERT INTO arr VALUES ($1, $2, $3)",
                [(1, [1, None], ["x"]), (2, [], None), (3, None, ["", None])],
            )
            rows = await conn.fetch("SELECT * FROM arr WHERE id = any($1::int[]) ORDER BY id",
                                    [1, 2, 3])  # fmt: skip
            assert [tuple(r) for r in rows] == [
                (1, [1, None], ["x"]), (2, [], None), (3, None, ["", None])
            ]  # fmt: skip
        finally:
            pool.terminate()

    asyncio.run(run())


ROW_TYPES = (
    "id int PRIMARY KEY, i2 int2, i8 int8, f4 float4, f8 float8, n numeric, t text, b bool,"
    " d date, ts timestamp, tz timestamptz, u uuid, by bytea, j jsonb, ia int4[], ta text[]"
)
ROWS = [
    (1, 7, 2**40, 1.5, -2.25, Decimal("3.14"), "hello", True, dt.date(2024, 1, 2),
     dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
     uuid.UUID(int=5), b"\x00\x01", '{"k": [1, null]}', [1, None, 3], ["a", None]),
    (2, *([None] * 15)),
    (3, -1, -1, 0.0, 0.0, Decimal("0"), "", False, dt.date(1, 1, 2), dt.datetime(1, 1, 2),
     dt.datetime(1970, 1, 1, tzinfo=dt.UTC), uuid.UUID(int=0), b"", "{}", [], []),
]  # fmt: skip


def test_binary_copy_in_and_out_and_the_connection_after_a_failed_copy(pg: Running) -> None:
    async def run() -> None:
        pool = await asyncpg.create_pool(min_size=1, max_size=1, **_connect(pg))
        try:
            conn = await pool.acquire()
            await conn.execute(f"CREATE TABLE src ({ROW_TYPES})")
            await conn.execute(f"CREATE TABLE dst ({ROW_TYPES})")
            assert await conn.copy_records_to_table("src", records=ROWS) == "COPY 3"
            got = [tuple(r) for r in await conn.fetch("SELECT * FROM src ORDER BY id")]
            assert got == ROWS
            out = io.BytesIO()
            assert await conn.copy_from_table("src", output=out, format="binary") == "COPY 3"
            query = io.BytesIO()
            status = await conn.copy_from_query("SELECT * FROM src", output=query, format="binary")
            assert status == "COPY 3" and query.getvalue() == out.getvalue()
            out.seek(0)
            assert await conn.copy_to_table("dst", source=out, format="binary") == "COPY 3"
            assert await conn.fetch("SELECT * FROM dst ORDER BY id") == await conn.fetch(
                "SELECT * FROM src ORDER BY id"
            )
            # a COPY that fails on the server (a duplicate key) ends cleanly, nothing kept
            try:
                await conn.copy_records_to_table("dst", records=ROWS[:1])
                raise AssertionError("a duplicate key was copied")
            except asyncpg.UniqueViolationError:
                pass
            assert await conn.fetchval("SELECT count(*) FROM dst") == 3
            try:
                await conn.copy_to_table("dst", source=io.BytesIO(b"not binary"), format="binary")
                raise AssertionError("garbage was copied")
            except asyncpg.BadCopyFileFormatError:
                pass
            assert await conn.fetchval("SELECT $1::int + 1", 41) == 42
        finally:
            pool.terminate()

    asyncio.run(run())


def test_cursor_forward_moves_the_bound_portal(pg: Running) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        try:
            async with conn.transaction():
                cur = await conn.cursor("SELECT generate_series(1, 10) AS n")
                assert [r["n"] for r in await cur.fetch(3)] == [1, 2, 3]
                assert await cur.forward(2) == 2  # MOVE FORWARD 2 <portal>
                assert [r["n"] for r in await cur.fetch(2)] == [6, 7]
                assert await cur.forward(10) == 3
                assert await cur.fetch(1) == []
                fresh = await conn.cursor("SELECT generate_series(1, 5) AS n")
                assert await fresh.forward(4) == 4  # before its first fetch
                assert [r["n"] for r in await fresh.fetch(5)] == [5]
            assert await conn.fetchval("SELECT 1") == 1
            assert await conn.fetchval("SELECT pg_sleep(0)") is None  # void, in binary
        finally:
            await conn.close()

    asyncio.run(run())


def test_type_introspection_inside_a_transaction_leaves_it_usable(pg: Running) -> None:
    """A statement whose types asyncpg has not seen yet, prepared inside a transaction block:
    asyncpg's introspection first reads and turns off ``jit`` (current_setting('jit'),
    set_config), which must exist or the block is aborted (SQLAlchemy's index reflection)."""

    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        try:
            async with conn.transaction():
                assert await conn.fetchval("SELECT ARRAY[true, NULL]::bool[]") == [True, None]
                assert await conn.fetchval("SELECT current_setting('jit')") == "on"
            assert await conn.fetchval("SHOW jit") == "on"  # set back after introspection
        finally:
            await conn.close()

    asyncio.run(run())


def test_a_cached_statement_whose_row_changed_is_prepared_again(pg: Running) -> None:
    """ALTER TABLE changes a cached statement's row: the server refuses the old statement
    (0A000, "cached plan must not change result type"), so asyncpg prepares it again
    outside a block and raises InvalidCachedStatementError inside one."""

    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        try:
            await conn.execute("CREATE TABLE rt (a int, b int); INSERT INTO rt VALUES (1, 2)")
            assert tuple(await conn.fetchrow("SELECT * FROM rt")) == (1, 2)
            await conn.execute("ALTER TABLE rt ALTER COLUMN b SET DATA TYPE text")
            assert tuple(await conn.fetchrow("SELECT * FROM rt")) == (1, "2")
            await conn.execute("ALTER TABLE rt ALTER COLUMN b SET DATA TYPE int USING b::int")
            try:
                async with conn.transaction():
                    await conn.fetchrow("SELECT * FROM rt")
                raise AssertionError("the stale statement ran")
            except asyncpg.InvalidCachedStatementError:
                pass
            assert tuple(await conn.fetchrow("SELECT * FROM rt")) == (1, 2)
        finally:
            await conn.close()

    asyncio.run(run())


def test_a_domain_parameter_is_described_by_the_domains_oid(pg: Running) -> None:
    """ParameterDescription gives a domain parameter the domain's oid, as PostgreSQL does
    (a result column goes by its base type's): asyncpg introspects the domain by it
    (its test_introspection_retries_after_cache_bust counts those introspections)."""

    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        try:
            await conn.execute("CREATE DOMAIN dp_d AS int")
            oid = await conn.fetchval("SELECT oid FROM pg_type WHERE typname = 'dp_d'")
            stmt = await conn.prepare("SELECT $1::dp_d")
            assert [t.oid for t in stmt.get_parameters()] == [oid]
            assert [a.type.oid for a in stmt.get_attributes()] == [23]
            assert await stmt.fetchval(7) == 7
        finally:
            await conn.close()

    asyncio.run(run())


def test_raise_below_error_keeps_its_severity_and_sqlstate(pg: Running) -> None:
    """RAISE INFO / NOTICE / WARNING reach the client with their own severity and SQLSTATE
    (USING ERRCODE, else 01000 for a warning and 00000 otherwise), as PostgreSQL sends them:
    asyncpg makes a PostgresWarning of a warning."""

    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        got: list[Any] = []
        conn.add_log_listener(lambda _c, msg: got.append(msg))
        try:
            for level, code in [("WARNING", "99999"), ("WARNING", None), ("NOTICE", None),
                                ("INFO", "01004")]:  # fmt: skip
                using = f" USING ERRCODE = '{code}', DETAIL = 'd'" if code else ""
                await conn.execute(f"DO $$ BEGIN RAISE {level} 'm'{using}; END $$")
            await asyncio.sleep(0.05)
            seen = [(m.severity, m.sqlstate, m.message) for m in got]
            assert seen == [("WARNING", "99999", "m"), ("WARNING", "01000", "m"),
                            ("NOTICE", "00000", "m"), ("INFO", "01004", "m")]  # fmt: skip
            assert isinstance(got[0], asyncpg.PostgresWarning) and got[0].detail == "d"
        finally:
            await conn.close()

    asyncio.run(run())


def test_parameter_description_counts_up_to_65535_parameters() -> None:
    """ParameterDescription's count is unsigned, as PostgreSQL's pq_sendint16 sends it: db9
    failed packing 32768 as a signed int16, where asyncpg expects to read it and refuse
    more than 32767 arguments itself (its test_prepare_28_max_args)."""
    from pgwire import messages as M

    assert M.parameter_description([0] * 32768)[5:7] == b"\x80\x00"
    assert M.parameter_description([0] * 65535)[5:7] == b"\xff\xff"


def test_geometric_types_travel_in_binary(pg: Running) -> None:
    """point, lseg, line, box, path, polygon and circle as binary parameters and results
    (asyncpg has codecs for all of them), as their text prints them, and recv's checks."""
    P = asyncpg.Point
    cases: list[tuple[str, Any, str]] = [
        ("point", P(1.5, -2.0), "(1.5,-2)"),
        ("lseg", asyncpg.LineSegment((1, 2), (3, 4)), "[(1,2),(3,4)]"),
        ("line", asyncpg.Line(1, 2, 3), "{1,2,3}"),
        ("box", asyncpg.Box((1.0, 2.0), (0.0, 0.0)), "(1,2),(0,0)"),
        ("path", asyncpg.Path(P(0, 0), P(1, 1), is_closed=True), "((0,0),(1,1))"),
        ("path", asyncpg.Path(P(0, 0), P(1, 1)), "[(0,0),(1,1)]"),
        ("polygon", asyncpg.Polygon(P(0, 0), P(1, 0), P(1, 1)), "((0,0),(1,0),(1,1))"),
        ("circle", asyncpg.Circle((0.0, 0.0), 100), "<(0,0),100>"),
    ]

    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        try:
            for name, value, text in cases:
                got = await conn.fetchrow(f"SELECT $1::{name} AS v, $1::{name}::text AS t", value)
                assert (got["v"], got["t"]) == (value, text), name
            assert await conn.fetchval("SELECT box '(0,0),(1,2)'") == asyncpg.Box((1, 2), (0, 0))
            try:
                await conn.fetchval("SELECT $1::circle", asyncpg.Circle((0, 0), -1))
                raise AssertionError("a negative radius was taken")
            except asyncpg.InvalidBinaryRepresentationError as exc:
                assert str(exc) == 'invalid radius in external "circle" value'
        finally:
            await conn.close()

    asyncio.run(run())
