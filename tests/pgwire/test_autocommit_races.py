"""Statements outside a transaction block succeed under concurrency, as in PostgreSQL.

PostgreSQL makes a conflicting statement wait for the other transaction and then go on; db9's
optimistic transactions find the conflict at commit (first committer wins, 40001). A statement
that is its own transaction has shown nothing to the client when it loses, so the server runs
it again on a fresh snapshot: the client never sees a 40001 for it. Found by the memory soak:
concurrent DDL in different schemas failed with 40001 (every DDL bumps the database's catalog
version), so DROP SCHEMA left whole schemas behind.
"""

from __future__ import annotations

import threading
from collections import Counter

import psycopg

from tests.pgwire.conftest import Running

CLIENTS = 4
ROUNDS = 6


def _run(pg: Running, work: object) -> Counter[str]:
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def client(n: int) -> None:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            for i in range(ROUNDS):
                try:
                    work(conn, n, i)  # type: ignore[operator]
                except psycopg.Error as exc:
                    with lock:
                        errors[f"{exc.sqlstate}: {str(exc).splitlines()[0]}"] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_ddl_in_different_schemas_all_succeeds(pg: Running) -> None:
    def work(conn: psycopg.Connection, n: int, i: int) -> None:
        schema = f"s{n}_{i}"
        conn.execute(f"CREATE SCHEMA {schema}")
        for t in range(3):
            conn.execute(f"CREATE TABLE {schema}.t{t} (a int PRIMARY KEY, b text)")
        conn.execute(f"INSERT INTO {schema}.t0 SELECT g, 'x' FROM generate_series(1, 50) g")
        conn.execute(f"CREATE INDEX ON {schema}.t1 (b)")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")

    assert _run(pg, work) == Counter()
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 's%\\_%'")
        assert left.fetchone() == (0,)


def test_concurrent_increments_of_one_row_lose_nothing(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE counter (id int PRIMARY KEY, n int)")
        conn.execute("INSERT INTO counter VALUES (1, 0)")

    def work(conn: psycopg.Connection, n: int, i: int) -> None:
        for _ in range(5):
            conn.execute("UPDATE counter SET n = n + 1 WHERE id = 1")

    assert _run(pg, work) == Counter()
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        total = conn.execute("SELECT n FROM counter").fetchone()
        assert total == (CLIENTS * ROUNDS * 5,)


def test_a_block_still_reports_its_conflict(pg: Running) -> None:
    """Inside BEGIN ... COMMIT the client decides: a conflict is its 40001, as under
    PostgreSQL's REPEATABLE READ, never a silent re-run of part of its transaction."""
    with psycopg.connect(pg.dsn(), autocommit=True) as setup:
        setup.execute("CREATE TABLE acct (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO acct VALUES (1, 0)")
    a = psycopg.connect(pg.dsn())
    b = psycopg.connect(pg.dsn(), autocommit=True)
    try:
        a.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        assert a.execute("SELECT n FROM acct WHERE id = 1").fetchone() == (0,)
        b.execute("UPDATE acct SET n = n + 10 WHERE id = 1")
        try:
            a.execute("UPDATE acct SET n = n + 1 WHERE id = 1")
            a.commit()
            raised = None
        except psycopg.Error as exc:
            raised = exc.sqlstate
        assert raised == "40001"
        a.rollback()
        assert b.execute("SELECT n FROM acct WHERE id = 1").fetchone() == (10,)
    finally:
        a.close()
        b.close()
