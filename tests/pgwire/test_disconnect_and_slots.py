"""Runaway statements over pgwire: a closed connection stops its statement at once and rolls
back; statements run in a bounded number of slots, and one tenant's flood of slow statements
neither starves another tenant nor survives its clients; a queued statement can be cancelled."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.pgwire.conftest import PASSWORD, Running, start_server

# Runs for minutes (4e8 joined rows) unless stopped; the join checks for interrupts per row.
SLOW = "SELECT count(*) FROM generate_series(1, 20000) a, generate_series(1, 20000) b"
OTHER = "tenant2.admin"


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds until ``cond()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not cond():
        assert time.monotonic() - start < timeout, "condition not reached in time"
        time.sleep(0.01)
    return time.monotonic() - start


def drop_socket(conn: psycopg.Connection) -> None:
    """The client vanishes: its socket is shut down under the driver (FIN to the server)."""
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class Slow:
    """A slow statement running on its own connection, in a thread."""

    def __init__(self, dsn: str, conn: psycopg.Connection | None = None) -> None:
        self.conn = conn or psycopg.connect(dsn, autocommit=True)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.conn.execute(SLOW)
        except BaseException as exc:
            self.error = exc

    def session(self, pg: Running) -> Session:
        session = pg.server._by_pid[self.conn.info.backend_pid].session
        assert session is not None
        return session

    def drop(self) -> None:
        with contextlib.suppress(psycopg.OperationalError):  # already lost
            drop_socket(self.conn)
        self.thread.join(10)
        assert not self.thread.is_alive()
        self.conn.close()


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Running]:
    """A server running at most 4 statements at once, 3 of them for one tenant."""
    # plaintext: a flood of TLS handshakes would cost the timing what the test measures
    servers = start_server(tmp_path, max_statements=4, max_tenant_statements=3, require_tls=False)
    for running in servers:
        running.auth.add(OTHER, Database(TxnClient(local_kv()), b"\x00\x0a"), PASSWORD)
        yield running


def test_closed_connection_stops_its_statement_and_rolls_back(plain_pg: Running) -> None:
    pg = plain_pg
    dsn = pg.dsn(sslmode="disable")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t VALUES (1, 'orig')")
    victim = psycopg.connect(dsn)  # a transaction block: the UPDATE waits for COMMIT
    victim.execute("UPDATE t SET v = 'first' WHERE id = 1")
    slow = Slow(dsn, victim)
    wait_until(lambda: slow.session(pg).running is not None)
    session = slow.session(pg)
    drop_socket(victim)
    assert wait_until(lambda: session.running is None, timeout=1.0) < 1.0
    assert wait_until(lambda: pg.server.slots.running == 0, timeout=1.0) < 1.0
    wait_until(lambda: pg.server.connection_count == 0, timeout=1.0)
    assert session.txn is None  # rolled back, not left open
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("UPDATE t SET v = 'second' WHERE id = 1").rowcount == 1
        assert conn.execute("SELECT v FROM t").fetchall() == [("second",)]
    slow.thread.join(5)
    assert isinstance(slow.error, psycopg.OperationalError)


def test_closed_connection_over_tls_stops_its_statement(pg: Running) -> None:
    slow = Slow(pg.dsn(sslmode="require"))
    wait_until(lambda: pg.server.slots.running == 1)
    drop_socket(slow.conn)
    assert wait_until(lambda: pg.server.slots.running == 0, timeout=1.0) < 1.0
    slow.drop()


def test_one_tenant_cannot_starve_another(small: Running) -> None:
    slots = small.server.slots
    # The server runs in this process: a full collection of the garbage earlier tests left
    # (a pause of this whole process, server included) must not land inside the timing.
    gc.collect()
    gc.freeze()
    flood = [Slow(small.dsn(sslmode="disable")) for _ in range(8)]
    try:
        wait_until(lambda: slots.running == 3 and slots.queued == 5)
        with psycopg.connect(small.dsn(sslmode="disable", user=OTHER), autocommit=True) as other:
            for _ in range(5):
                start = time.monotonic()
                assert other.execute("SELECT 1").fetchall() == [(1,)]
                assert time.monotonic() - start < 1.0
        assert slots.running == 3  # the flood never held more than its share
    finally:
        gc.unfreeze()
        for slow in flood:
            slow.drop()
    # Queued and running statements of clients that left are all gone.
    assert wait_until(lambda: slots.running == 0 and slots.queued == 0, timeout=1.0) < 1.0
    assert all(isinstance(s.error, psycopg.OperationalError) for s in flood)


def test_cancel_reaches_a_queued_statement(small: Running) -> None:
    dsn = small.dsn(sslmode="disable")
    slots = small.server.slots
    flood = [Slow(dsn) for _ in range(3)]
    try:
        wait_until(lambda: slots.running == 3)
        queued = Slow(dsn)
        wait_until(lambda: slots.queued == 1)
        queued.conn.cancel_safe(timeout=10)
        queued.thread.join(5)
        assert isinstance(queued.error, psycopg.errors.QueryCanceled)
        assert queued.error.sqlstate == "57014"
        assert slots.queued == 0
        # The session goes on, and a cancel of a running statement frees its slot.
        flood[0].conn.cancel_safe(timeout=10)
        flood[0].thread.join(5)
        assert isinstance(flood[0].error, psycopg.errors.QueryCanceled)
        assert queued.conn.execute("SELECT 2").fetchall() == [(2,)]
        assert slots.running == 2
        queued.drop()
    finally:
        for slow in flood:
            slow.drop()
    assert wait_until(lambda: slots.running == 0, timeout=1.0) < 1.0
