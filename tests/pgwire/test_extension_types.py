"""The extensions' types over the wire: hstore in binary through asyncpg's hstore codec
(hstore_send/hstore_recv: a NULL value, an empty hstore, hstore[]), citext sent and read as
text, and psycopg's HstoreInfo finding the type (and its array) in pg_type once CREATE
EXTENSION ran, its text loader and dumper round-tripping values."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import psycopg
from psycopg.types import TypeInfo
from psycopg.types.hstore import register_hstore

from tests.pgwire.conftest import PASSWORD, USER, Running


def _connect(pg: Running) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": pg.port, "user": USER, "password": PASSWORD,
            "database": "postgres", "ssl": "require"}  # fmt: skip


def test_hstore_binary_codec_and_citext_through_asyncpg(pg: Running) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(**_connect(pg))
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS hstore")
            await conn.execute("CREATE EXTENSION IF NOT EXISTS citext")
            await conn.set_builtin_type_codec("hstore", codec_name="pg_contrib.hstore")
            for value in ({"ham": "spam", "nada": None}, {}, {"ü": "\"q\\'"}):
                assert await conn.fetchval("SELECT $1::hstore", value) == value
            got = await conn.fetchval("SELECT $1::hstore[]", [{"a": "1"}, None])
            assert got == [{"a": "1"}, None]
            assert await conn.fetchval("SELECT 'b=>2, a=>NULL'::hstore -> 'b'") == "2"
            with_case = await conn.fetchval("SELECT $1::citext", "MiXeD")
            assert with_case == "MiXeD"
            assert await conn.fetchval("SELECT $1::citext = 'mixed'", "MIXED") is True
        finally:
            await conn.execute("DROP EXTENSION IF EXISTS hstore, citext CASCADE")
            await conn.close()

    asyncio.run(run())


def test_psycopg_hstore_info_and_adapters(pg: Running) -> None:
    conninfo = f"host=127.0.0.1 port={pg.port} user={USER} password={PASSWORD} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert TypeInfo.fetch(conn, "hstore") is None
        conn.execute("CREATE EXTENSION hstore")
        try:
            info = TypeInfo.fetch(conn, "hstore")
            assert info is not None and info.array_oid
            register_hstore(info, conn)
            value = {"a": "1", "b": None, "c d": 'x"y'}
            assert conn.execute("SELECT %s::hstore", [value]).fetchone() == (value,)
            assert conn.execute("SELECT %s", [value]).fetchone() == (value,)
        finally:
            conn.execute("DROP EXTENSION hstore CASCADE")
