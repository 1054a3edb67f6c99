"""Real clients against db9 over TLS: psql (\\d family, \\copy), pgbench, asyncpg and
SQLAlchemy 2 (psycopg and asyncpg dialects)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, String, create_engine, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tests.pgwire.conftest import PASSWORD, USER, Running


def run_client(
    pg: Running, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": PASSWORD, "PGSSLMODE": "require"}
    return subprocess.run(args, input=stdin, env=env, capture_output=True, text=True, timeout=120)


def conninfo(pg: Running) -> str:
    return f"host=127.0.0.1 port={pg.port} user={USER} dbname=postgres sslmode=require"


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is installed by scripts/setup")
def test_psql_describe_commands_and_copy(pg: Running, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("1,ann\n2,bob\n")
    out = tmp_path / "out.csv"
    script = "\n".join(
        [
            "CREATE TABLE people (id int PRIMARY KEY, name text UNIQUE);",
            f"\\copy people FROM '{src}' WITH (FORMAT csv)",
            "\\dt",
            "\\d people",
            "\\di",
            "\\l",
            f"\\copy (SELECT * FROM people ORDER BY id) TO '{out}' WITH (FORMAT csv)",
            "SELECT count(*) FROM people;",
        ]
    )
    res = run_client(pg, "psql", conninfo(pg), "-X", "-v", "ON_ERROR_STOP=1", stdin=script)
    assert res.returncode == 0, res.stderr
    assert "COPY 2" in res.stdout
    assert " public | people | table |" in res.stdout
    assert '"people_pkey" PRIMARY KEY, btree (id)' in res.stdout
    assert "people_name_key" in res.stdout
    assert " postgres " in res.stdout
    assert out.read_text() == "1,ann\n2,bob\n"


@pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench is installed by scripts/setup")
def test_pgbench_initialises_and_runs_without_errors(pg: Running) -> None:
    init = run_client(pg, "pgbench", "-i", "-s", "1", conninfo(pg))
    assert init.returncode == 0, init.stderr
    assert "creating primary keys" in init.stderr
    tpcb = run_client(pg, "pgbench", "-c", "1", "-t", "50", conninfo(pg))
    assert tpcb.returncode == 0, tpcb.stderr
    assert "number of failed transactions: 0" in tpcb.stdout
    select = run_client(pg, "pgbench", "-S", "-M", "prepared", "-c", "4", "-t", "100", conninfo(pg))
    assert select.returncode == 0, select.stderr
    assert "number of transactions actually processed: 400/400" in select.stdout


def test_asyncpg_session(pg: Running) -> None:
    import asyncpg

    async def session() -> None:
        conn = await asyncpg.connect(
            host="127.0.0.1",
            port=pg.port,
            user=USER,
            password=PASSWORD,
            database="postgres",
            ssl="require",
        )
        try:
            await conn.execute(
                "CREATE TABLE a (id bigint PRIMARY KEY, name text, "
                "score numeric(6,2), at timestamptz, ok boolean)"
            )
            await conn.executemany(
                "INSERT INTO a VALUES ($1, $2, $3, now(), $4)",
                [(1, "x", 1.5, True), (2, "y", None, False)],
            )
            rows = await conn.fetch(
                "SELECT id, name, score, ok FROM a WHERE id >= $1 ORDER BY id", 1
            )
            assert [tuple(r) for r in rows] == [
                (1, "x", __import__("decimal").Decimal("1.50"), True),
                (2, "y", None, False),
            ]
            async with conn.transaction():
                await conn.execute("UPDATE a SET name = $1 WHERE id = $2", "z", 2)
            assert await conn.fetchval("SELECT name FROM a WHERE id = 2") == "z"
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute("INSERT INTO a (id) VALUES (1)")
        finally:
            await conn.close()

    asyncio.run(session())


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_sqlalchemy_orm_and_reflection(pg: Running, driver: str) -> None:
    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = f"author_{driver}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40), unique=True)

    class Book(Base):
        __tablename__ = f"book_{driver}"
        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey(f"author_{driver}.id"))
        title: Mapped[str]

    url = f"postgresql+{driver}://{USER}:{PASSWORD}@127.0.0.1:{pg.port}/postgres"
    if driver == "psycopg":
        engine = create_engine(url + "?sslmode=require")
        Base.metadata.create_all(engine)
        with Session(engine) as s:
            s.add(Author(name="ann"))
            s.flush()
            s.add(Book(author_id=s.scalars(select(Author.id)).one(), title="t1"))
            s.commit()
            assert s.scalars(select(Book.title)).all() == ["t1"]
        insp = inspect(engine)
        cols = {c["name"]: c for c in insp.get_columns(f"book_{driver}")}
        assert set(cols) == {"id", "author_id", "title"}
        assert insp.get_foreign_keys(f"book_{driver}")[0]["referred_table"] == f"author_{driver}"
        assert insp.get_pk_constraint(f"author_{driver}")["constrained_columns"] == ["id"]
        engine.dispose()
        return

    async def run() -> None:
        engine = create_async_engine(url, connect_args={"ssl": "require"})
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with engine.begin() as conn:
            await conn.execute(Author.__table__.insert().values(name="bob"))
            names = (await conn.execute(select(Author.name))).scalars().all()
            assert names == ["bob"]
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert f"author_{driver}" in tables
        await engine.dispose()

    asyncio.run(run())


def test_pg8000_session(pg: Running) -> None:
    import ssl

    import pg8000.native

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = pg8000.native.Connection(USER, host="127.0.0.1", port=pg.port, password=PASSWORD,
                                    database="postgres", ssl_context=ctx)  # fmt: skip
    try:
        conn.run("CREATE TABLE p8 (id int PRIMARY KEY, v text)")
        conn.run("INSERT INTO p8 VALUES (:id, :v)", id=1, v="one")
        assert conn.run("SELECT v FROM p8 WHERE id = :id", id=1) == [["one"]]
        with pytest.raises(pg8000.native.DatabaseError) as info:
            conn.run("INSERT INTO p8 VALUES (1, 'dup')")
        assert info.value.args[0]["C"] == "23505"
    finally:
        conn.close()


def test_row_limited_execute_suspends_and_resumes_the_portal(pg: Running) -> None:
    import asyncpg

    async def run() -> list[int]:
        conn = await asyncpg.connect(
            host="127.0.0.1",
            port=pg.port,
            user=USER,
            password=PASSWORD,
            database="postgres",
            ssl="require",
        )
        try:
            await conn.execute("CREATE TABLE many (id int PRIMARY KEY)")
            await conn.execute("INSERT INTO many SELECT g FROM generate_series(1, 25) g")
            async with conn.transaction():  # asyncpg's cursor: Execute with a row limit of 10
                return [
                    r["id"]
                    async for r in conn.cursor("SELECT id FROM many ORDER BY id", prefetch=10)
                ]
        finally:
            await conn.close()

    assert asyncio.run(run()) == list(range(1, 26))


def test_pipeline_mode_batches_statements(pg: Running) -> None:
    import psycopg

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE pipe (id int PRIMARY KEY)")
        with conn.pipeline():
            for i in range(20):
                conn.execute("INSERT INTO pipe VALUES (%s)", (i,))
            cur = conn.execute("SELECT count(*) FROM pipe")
        assert cur.fetchone() == (20,)


def test_a_stuck_client_does_not_block_others(pg: Running) -> None:
    import socket

    import psycopg

    stuck = socket.create_connection(("127.0.0.1", pg.port))
    stuck.sendall(b"\x00\x00\x00\x50")  # promises an 80-byte startup packet, never sends it
    try:
        with psycopg.connect(pg.dsn(), autocommit=True, connect_timeout=5) as conn:
            assert conn.execute("SELECT 7").fetchone() == (7,)
    finally:
        stuck.close()
