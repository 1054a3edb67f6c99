"""Temporary tables: against a live PostgreSQL for what one session sees (shadowing a
permanent table, ON COMMIT actions, temporary sequences, indexes and views, DISCARD TEMP),
and between db9 sessions of one database for what must not leak (visibility, end of
session)."""

from __future__ import annotations

import pytest

from kv.client import TxnClient
from kv.errors import Db9Error
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.differential import Differ
from tests.sql.sessions import one

SCRIPT = [
    "CREATE TABLE t (a int)",
    "INSERT INTO t VALUES (1), (2)",
    "CREATE TEMP TABLE t (a int, b text)",
    "INSERT INTO t VALUES (10, 'temp')",
    "SELECT * FROM t",
    "SELECT * FROM public.t ORDER BY a",
    "SELECT * FROM pg_temp.t",
    "CREATE INDEX t_b ON t (b)",
    "SELECT * FROM t WHERE b = 'temp'",
    "CREATE TEMPORARY TABLE tt AS SELECT a * 2 AS d FROM public.t",
    "SELECT * FROM tt ORDER BY d",
    "SELECT a INTO TEMP ti FROM public.t WHERE a > 1",
    "SELECT * FROM ti",
    "CREATE LOCAL TEMP TABLE keep (a int) ON COMMIT PRESERVE ROWS",
    "CREATE TEMP TABLE del (a int) ON COMMIT DELETE ROWS",
    "BEGIN",
    "INSERT INTO del VALUES (1), (2)",
    "INSERT INTO keep VALUES (1)",
    "SELECT count(*) FROM del",
    "COMMIT",
    "SELECT count(*) FROM del",
    "SELECT count(*) FROM keep",
    "BEGIN",
    "CREATE TEMP TABLE gone (a int) ON COMMIT DROP",
    "INSERT INTO gone VALUES (1)",
    "SELECT * FROM gone",
    "COMMIT",
    "SELECT * FROM gone",
    "CREATE TEMP TABLE gone2 (a int) ON COMMIT DROP",
    "SELECT * FROM gone2",
    "CREATE TABLE perm (a int) ON COMMIT DROP",
    "CREATE TABLE perm2 (a int) ON COMMIT DELETE ROWS",
    "CREATE TEMP SEQUENCE ts",
    "SELECT nextval('ts'), nextval('ts')",
    "CREATE TEMP TABLE ser (id serial, v text)",
    "INSERT INTO ser (v) VALUES ('a'), ('b')",
    "SELECT * FROM ser ORDER BY id",
    "CREATE TEMP VIEW tv AS SELECT * FROM tt",
    "SELECT * FROM tv ORDER BY d",
    "CREATE VIEW pv AS SELECT * FROM tt",
    "SELECT * FROM pv ORDER BY d",
    # this session's relations only: other tests leave tables named t in other schemas
    "SELECT relname, relpersistence, relkind FROM pg_class c JOIN pg_namespace n "
    "ON n.oid = c.relnamespace WHERE relname IN ('t', 'tt', 'ts', 'tv', 'pv', 'ser') "
    "AND (n.nspname = 'public' OR n.oid = pg_my_temp_schema()) ORDER BY 1, 2",
    "SELECT table_name, table_type FROM information_schema.tables "
    "WHERE table_name IN ('t', 'tt', 'tv') ORDER BY 1, 2",
    "SELECT pg_my_temp_schema() <> 0",
    "SET search_path = public, pg_temp",
    "SELECT * FROM t ORDER BY a",
    "SET search_path = pg_temp, public",
    "SELECT * FROM t ORDER BY a",
    "RESET search_path",
    "CREATE TEMP TABLE public.bad (a int)",
    "CREATE TEMP TABLE t (a int)",
    "DROP TABLE t",
    "SELECT * FROM t ORDER BY a",
    "BEGIN",
    "CREATE TEMP TABLE rolled (a int)",
    "ROLLBACK",
    "SELECT * FROM rolled",
    "DISCARD TEMP",
    "SELECT * FROM tt",
    "SELECT * FROM t ORDER BY a",
    "CREATE TEMP TABLE again (a int)",
    "SELECT count(*) FROM again",
]


def test_temp_script(differ: Differ) -> None:
    for stmt in SCRIPT:
        differ.check(stmt)


@pytest.fixture
def database() -> Database:
    return Database(TxnClient(local_kv()), b"\x00\x31")


def test_temp_tables_are_private_and_end_with_the_session(database: Database) -> None:
    a, b = Session(database), Session(database)
    a.execute("CREATE TABLE shared (x int); INSERT INTO shared VALUES (1)")
    a.execute("CREATE TEMP TABLE shared (x int); INSERT INTO shared VALUES (100), (200)")
    a.execute("CREATE TEMP TABLE mine (x int); INSERT INTO mine VALUES (5)")
    assert one(a, "SELECT count(*) FROM shared") == 2
    assert one(b, "SELECT count(*) FROM shared") == 1  # b sees the permanent one
    with pytest.raises(Db9Error) as missing:
        b.execute("SELECT * FROM mine")
    assert missing.value.sqlstate == "42P01"
    schema = a.temp.schema
    with pytest.raises(Db9Error) as other:
        b.execute(f"SELECT * FROM {schema}.mine")
    assert other.value.sqlstate == "0A000"
    b.execute("CREATE TEMP TABLE mine (y text)")  # its own, no clash
    assert one(b, "SELECT count(*) FROM mine") == 0
    tables = b.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name = 'mine'"
    )[-1].rows
    assert tables == [("mine",)]  # b's own only
    assert one(b, "SELECT pg_my_temp_schema() <> 0") is True
    a.close()
    a.drop_temp()  # what the server does after close, off its event loop
    c = Session(database)
    assert one(c, f"SELECT count(*) FROM pg_class WHERE relnamespace = "
                  f"(SELECT oid FROM pg_namespace WHERE nspname = '{schema}')") == 0  # fmt: skip
    assert one(c, f"SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'") == 0
    assert one(c, "SELECT count(*) FROM shared") == 1
    assert one(b, "SELECT count(*) FROM mine") == 0


def test_no_temp_schema_until_a_temp_table(database: Database) -> None:
    s = Session(database)
    assert one(s, "SELECT pg_my_temp_schema()") == 0
    s.execute("CREATE TABLE p (a int)")
    assert one(s, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pg_temp%'") == 0
