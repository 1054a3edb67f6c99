"""psycopg 3 against db9 over TLS with SCRAM-SHA-256: a realistic session."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import asyncpg
import psycopg
import pytest

from tests.pgwire.conftest import PASSWORD, USER, Running


def test_psycopg_session_over_tls_with_prepared_statements_and_transactions(pg: Running) -> None:
    with psycopg.connect(pg.dsn()) as conn:
        assert conn.info.parameter_status("server_version") == "15.4"
        assert conn.pgconn.ssl_in_use
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE acct (id serial PRIMARY KEY, owner text NOT NULL, "
                "balance numeric(12,2) DEFAULT 0)"
            )
            cur.executemany(
                "INSERT INTO acct (owner, balance) VALUES (%s, %s)",
                [("ann", Decimal("10.50")), ("bob", Decimal("3"))],
            )
            cur.execute("SELECT id, owner, balance FROM acct WHERE owner = %s", ("ann",))
            assert cur.fetchall() == [(1, "ann", Decimal("10.50"))]
            for _ in range(6):  # psycopg prepares server-side after 5 executions
                cur.execute("SELECT balance FROM acct WHERE id = %s", (2,))
                assert cur.fetchone() == (Decimal("3.00"),)
        conn.commit()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("UPDATE acct SET balance = balance - 1 WHERE id = 1 RETURNING balance")
            assert cur.fetchone() == (Decimal("9.50"),)
        with conn.cursor() as cur:
            with pytest.raises(psycopg.errors.UniqueViolation):
                cur.execute("INSERT INTO acct (id, owner) VALUES (1, 'dup')")
            conn.rollback()
            cur.execute("SELECT count(*) FROM acct")
            assert cur.fetchone() == (2,)


def test_binary_results_round_trip_common_types(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn, conn.cursor(binary=True) as cur:
        cur.execute(
            "SELECT 1::int2, 2::int4, 3::int8, 1.5::float8, true, 'x'::text, "
            "12.340::numeric, '2024-02-29'::date, '\\xdead'::bytea"
        )
        assert cur.fetchone() == (
            1,
            2,
            3,
            1.5,
            True,
            "x",
            Decimal("12.340"),
            __import__("datetime").date(2024, 2, 29),
            b"\xde\xad",
        )


def test_wrong_password_is_refused_with_28p01(pg: Running) -> None:
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(pg.dsn(password="wrong"))
    assert "password authentication failed" in str(info.value)


def test_login_to_a_database_that_does_not_exist_is_fatal_3d000(pg: Running) -> None:
    async def login_sqlstate(dbname: str) -> str | None:  # libpq does not tell a login's
        try:
            conn = await asyncpg.connect(
                host="127.0.0.1", port=pg.port, user=USER, password=PASSWORD, database=dbname,
                ssl="require",
            )  # fmt: skip
        except asyncpg.PostgresError as exc:
            return str(exc.sqlstate)
        await conn.close()
        return None

    with psycopg.connect(pg.dsn(), autocommit=True) as other:
        for dbname in ("nosuchdb", USER, "template1"):  # libpq's default dbname is the user
            with pytest.raises(psycopg.OperationalError) as info:
                psycopg.connect(pg.dsn().replace("dbname=postgres", f"dbname={dbname}"))
            assert f'FATAL:  database "{dbname}" does not exist' in str(info.value)
            assert asyncio.run(login_sqlstate(dbname)) == "3D000"
        assert other.execute("SELECT 1").fetchone() == (1,)  # the server goes on serving
    with psycopg.connect(pg.dsn()) as again:
        assert again.execute("SELECT current_database()").fetchone() == ("postgres",)


def test_serializable_notice_reaches_the_client(pg: Running) -> None:
    notices: list[str] = []
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        assert conn.execute("SHOW transaction_isolation").fetchone() == ("serializable",)
        conn.execute("COMMIT")
    assert any("snapshot isolation" in n for n in notices)


def test_errors_carry_sqlstate_and_the_connection_goes_on(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM nosuch")
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("SELEC 1")
        assert conn.execute("SELECT 40 + 2").fetchone() == (42,)


def test_protocol_and_sql_prepared_statements_share_one_namespace(pg: Running) -> None:
    """A statement psycopg prepared with Parse is listed in pg_prepared_statements (from_sql
    false) and dropped by SQL's DEALLOCATE, as psycopg does when its cache evicts it; a SQL
    PREPARE's name is taken for the protocol too."""
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("SELECT %s::int", (1,), prepare=True)
        rows = conn.execute("SELECT name, from_sql FROM pg_prepared_statements").fetchall()
        assert [from_sql for _, from_sql in rows] == [False]
        conn.execute(f"DEALLOCATE {rows[0][0]}")
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (0,)
        conn.execute("PREPARE mine (int) AS SELECT $1 + 1 AS n")
        assert conn.execute("EXECUTE mine(41)").fetchone() == (42,)
        with pytest.raises(psycopg.errors.DuplicatePreparedStatement):
            conn.execute("PREPARE mine AS SELECT 1")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("DEALLOCATE nosuch")
