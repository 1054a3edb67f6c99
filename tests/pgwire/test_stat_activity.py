"""pg_stat_activity, pg_stat_ssl, pg_stat_database and the inet_*() functions show the real
sessions of the database: their pids (pg_backend_pid's), users, application names, client
addresses, states and latest statements."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.pgwire.conftest import Running


def test_activity_shows_every_session_of_the_database_with_its_state(pg: Running) -> None:
    with (
        psycopg.connect(pg.dsn(), application_name="watcher", autocommit=True) as me,
        psycopg.connect(pg.dsn(), application_name="worker") as other,
    ):
        other.execute("SELECT 42 AS answer")  # psycopg opens a block: idle in transaction
        my_pid = me.execute("SELECT pg_backend_pid()").fetchone()
        assert my_pid == (me.info.backend_pid,)
        rows = me.execute(
            "SELECT pid, usename, application_name, client_addr, client_port > 0, state, query,"
            " backend_start <= now(), backend_type FROM pg_stat_activity ORDER BY pid"
        ).fetchall()
        assert rows == [
            (me.info.backend_pid, "admin", "watcher", "127.0.0.1", True, "active",
             rows[0][6], True, "client backend"),
            (other.info.backend_pid, "admin", "worker", "127.0.0.1", True,
             "idle in transaction", "SELECT 42 AS answer", True, "client backend"),
        ]  # fmt: skip
        assert "pg_stat_activity" in rows[0][6]
        ssl = me.execute("SELECT pid, ssl, version LIKE 'TLS%', bits > 0 FROM pg_stat_ssl"
                         " WHERE pid = pg_backend_pid()").fetchall()  # fmt: skip
        assert ssl == [(me.info.backend_pid, True, True, True)]
        db = me.execute("SELECT datname, numbackends FROM pg_stat_database").fetchall()
        assert db == [("postgres", 2)]


def test_server_and_client_addresses(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT inet_server_addr(), inet_server_port(), inet_client_addr(),"
            " inet_client_port() > 0, pg_postmaster_start_time() <= now(),"
            " pg_conf_load_time() <= now()"
        ).fetchone()
        assert row == ("127.0.0.1", pg.port, "127.0.0.1", True, True, True)


def test_blocking_pids_name_the_session_holding_the_row(pg: Running) -> None:
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as holder,
        psycopg.connect(pg.dsn(), autocommit=True) as waiter,
        psycopg.connect(pg.dsn(), autocommit=True) as watcher,
    ):
        holder.execute("CREATE TABLE acct (id int PRIMARY KEY, v int)")
        holder.execute("INSERT INTO acct VALUES (1, 0)")
        holder.execute("BEGIN")
        holder.execute("UPDATE acct SET v = 1 WHERE id = 1")
        done = threading.Event()

        def update() -> None:
            waiter.execute("UPDATE acct SET v = 2 WHERE id = 1")
            done.set()

        thread = threading.Thread(target=update)
        thread.start()
        pid = waiter.info.backend_pid
        blockers: list[int] = []
        deadline = time.monotonic() + 20
        while not blockers and time.monotonic() < deadline:  # until the waiter is waiting
            row = watcher.execute("SELECT pg_blocking_pids(%s)", (pid,)).fetchone()
            blockers = row[0] if row else []
        assert blockers == [holder.info.backend_pid]
        waits = watcher.execute(
            "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() ORDER BY pid"
        ).fetchall()
        assert waits == [
            (holder.info.backend_pid, "idle in transaction", "Client", "ClientRead"),
            (pid, "active", "Lock", "transactionid"),
        ]
        assert not done.is_set()
        holder.execute("COMMIT")
        thread.join(20)
        assert done.is_set()
        row = watcher.execute("SELECT pg_blocking_pids(%s), v FROM acct", (pid,)).fetchone()
        assert row == ([], 2)


def test_cancel_and_terminate_backend(pg: Running) -> None:
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as sleeper,
        psycopg.connect(pg.dsn(), autocommit=True) as admin,
    ):
        pid = sleeper.info.backend_pid
        failed: list[BaseException] = []

        def sleep() -> None:
            try:
                sleeper.execute("SELECT pg_sleep(30)")
            except psycopg.Error as exc:
                failed.append(exc)

        thread = threading.Thread(target=sleep)
        thread.start()
        state = None
        deadline = time.monotonic() + 20
        while state != "active" and time.monotonic() < deadline:  # until it sleeps
            row = admin.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,))
            state = (row.fetchone() or [None])[0]
        assert admin.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone() == (True,)
        thread.join(20)
        assert len(failed) == 1 and isinstance(failed[0], psycopg.errors.QueryCanceled)
        assert sleeper.execute("SELECT 1").fetchone() == (1,)  # cancelled, not ended
        assert admin.execute("SELECT pg_cancel_backend(999999)").fetchone() == (False,)
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError):
            sleeper.execute("SELECT 1")
        alive: tuple[int, ...] | None = (1,)
        deadline = time.monotonic() + 20
        while alive != (0,) and time.monotonic() < deadline:  # its connection unwinds
            query = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
            alive = admin.execute(query, (pid,)).fetchone()
        assert alive == (0,)
