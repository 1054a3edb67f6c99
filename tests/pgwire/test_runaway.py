"""Runaway statements stop: statement_timeout (57014) and a CancelRequest reach every loop that
can run long, lock_timeout bounds a lock wait (55P03), and idle_in_transaction_session_timeout
ends a session idle inside a block (FATAL 25P03), dropping its transaction."""

from __future__ import annotations

import gc
import io
import select
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kv import interrupt
from tests.pgwire.conftest import USER, Running, start_server

ROWS = 3000  # t: a cross join of t with itself is 9M rows, seconds of work for any shape
BIG = 300_000  # big: enough rows that indexing or updating all of them takes seconds

# Each statement runs for seconds when nothing stops it; each stresses one kind of loop.
SHAPES = {
    "cross join": "SELECT count(*) FROM t a, t b, t c",
    "hash join": "SELECT count(*) FROM t a JOIN t b ON a.g = b.g JOIN t c ON b.g = c.g",
    # a correlated EXISTS on an equality runs as a hashed semi/anti join: the hash is built
    # over a cross join, the long loop
    "exists": "SELECT count(*) FROM t a WHERE EXISTS "
    "(SELECT 1 FROM t b, t c WHERE b.v = a.v + 0.5 AND b.k <> c.k)",
    "not exists": "SELECT count(*) FROM t a WHERE NOT EXISTS "
    "(SELECT 1 FROM t b, t c WHERE b.v = a.v + 0.5 AND b.k <> c.k)",
    "range scan per row": "SELECT count(*) FROM t a WHERE EXISTS "
    "(SELECT 1 FROM t b WHERE b.k > a.k AND b.v < 0)",
    "uncorrelated in": "SELECT 1 WHERE 0 IN (SELECT a.k * b.k + 1 FROM t a, t b)",
    "uncorrelated scalar": "SELECT (SELECT count(*) FROM t a, t b WHERE a.v <> b.v)",
    "correlated scalar": "SELECT sum((SELECT count(*) FROM t b WHERE b.v > a.v)) FROM t a",
    "cte": "WITH c AS (SELECT a.k FROM t a, t b) SELECT count(*) FROM c",
    "recursive cte": "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT (n * 7 + 3) % 1000003 "
    "FROM r) SELECT count(*) FROM r",
    "nested recursive cte": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + "
    "(WITH RECURSIVE s(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM s WHERE m < 100) "
    "SELECT count(*) FROM s)::int FROM r WHERE n < 100000000) SELECT count(*) FROM r",
    "sort": "SELECT x FROM generate_series(1, 3000000) x ORDER BY x DESC LIMIT 1",
    "aggregate": "SELECT a.g, count(*), sum(b.v) FROM t a, t b GROUP BY a.g",
    "string_agg": "SELECT length(string_agg(repeat('x', 10), ',')) FROM t a, t b",
    "window": "SELECT max(r) FROM (SELECT row_number() OVER (ORDER BY x DESC) r "
    "FROM generate_series(1, 1000000) x) s",
    # every row's frame is the whole partition less the row: a frame's rows per position
    "window frame excluding the row": "SELECT max(s) FROM (SELECT sum(x) OVER (ORDER BY x "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) s "
    "FROM generate_series(1, 200000) x) q",
    "user aggregate over frames": "SELECT max(s) FROM (SELECT total(x) OVER (ORDER BY x "
    "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE TIES) s "
    "FROM generate_series(1::int8, 200000) x) q",
    "distinct": "SELECT count(*) FROM (SELECT DISTINCT a.k, b.g FROM t a, t b) s",
    "union": "SELECT count(*) FROM (SELECT a.k FROM t a, t b UNION SELECT 0) s",
    "except": "SELECT count(*) FROM (SELECT a.k * b.k FROM t a, t b EXCEPT SELECT 0) s",
    "generate_series": "SELECT count(*) FROM generate_series(1, 10000000)",
    "srf in select list": "SELECT count(*) FROM (SELECT generate_series(1, k * 1000) FROM t) s",
    "insert select": "INSERT INTO sink SELECT a.k, b.k FROM t a, t b",
    "update": "UPDATE big SET v = v + 1",
    # every row of big is a target: the targets' keys are collected before the first write
    "delete every row": "DELETE FROM big",
    "delete": "DELETE FROM big WHERE k IN (SELECT a.k FROM t a, t b WHERE a.k = -b.k)",
    "create index": "CREATE INDEX big_v ON big (v)",
}


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    for running in start_server(tmp_path_factory.mktemp("runaway")):
        with psycopg.connect(running.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (k int PRIMARY KEY, v float8, g int)")
            conn.execute(f"INSERT INTO t SELECT x, x, x % 7 FROM generate_series(1, {ROWS}) x")
            conn.execute("CREATE TABLE big (k int PRIMARY KEY, v int)")
            conn.execute(f"INSERT INTO big SELECT x, x FROM generate_series(1, {BIG}) x")
            conn.execute("CREATE TABLE sink (a int, b int)")
            conn.execute("CREATE AGGREGATE total(int8) (sfunc = int8pl, stype = int8)")
        yield running


def _session_of(pg: Running, conn: psycopg.Connection[Any]) -> Any:
    return pg.server._by_pid[conn.info.backend_pid].session


def _assert_usable(conn: psycopg.Connection[Any]) -> None:
    conn.execute("RESET statement_timeout")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)
    assert conn.execute("SELECT count(*) FROM big").fetchone() == (BIG,)
    assert conn.execute("SELECT count(*) FROM sink").fetchone() == (0,)


class _CheckGaps:
    """The longest stretch of CPU time a statement's thread spent between two interrupt checks
    (``Control.check``), less the time full garbage collections took meanwhile: how late a
    cancel or timeout can come because of our own loops, whatever else the machine runs. A
    full collection costs in proportion to the whole process's heap (in CI's pytest process
    one took 2.35 s of a window statement's CPU); young ones, what the statement allocated,
    and they count."""

    def __init__(self) -> None:
        self.longest = 0.0
        # (control, thread) -> (thread CPU time, that thread's GC time) at its last check
        self._last: dict[tuple[int, int], tuple[float, float]] = {}
        self._gc: dict[int, list[float]] = {}  # thread -> [GC time so far, start of this one]

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] < 2:
            return  # young collections cost what the statement itself allocated: they count
        spent = self._gc.setdefault(threading.get_ident(), [0.0, 0.0])
        if phase == "start":
            spent[1] = time.thread_time()
        else:
            spent[0] += time.thread_time() - spent[1]

    def __enter__(self) -> _CheckGaps:
        self._inner = interrupt.Control.check

        def check(control: interrupt.Control) -> None:
            now, thread = time.thread_time(), threading.get_ident()
            collected = self._gc.get(thread, [0.0])[0]
            last = self._last.get((id(control), thread))
            if last is not None:
                self.longest = max(self.longest, now - last[0] - (collected - last[1]))
            self._last[(id(control), thread)] = (now, collected)
            self._inner(control)

        interrupt.Control.check = check  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)
        interrupt.Control.check = self._inner  # type: ignore[method-assign]


@pytest.mark.parametrize("shape", SHAPES)
def test_statement_timeout_stops_every_long_loop(pg: Running, shape: str) -> None:
    """The statement stops with 57014 at its timeout, changing nothing, and no shape computes
    for more than 0.3 s of CPU between two checks (garbage collection aside): how late a stop
    can come is then bounded however loaded the machine is, which a wall-clock bound alone
    cannot show (a window function once spent 1.2 s of CPU without a check)."""
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '1500ms'")
        started = time.monotonic()
        with _CheckGaps() as gaps, pytest.raises(psycopg.errors.QueryCanceled) as info:
            conn.execute(SHAPES[shape])
        took = time.monotonic() - started
        assert info.value.diag.message_primary == "canceling statement due to statement timeout"
        assert gaps.longest < 0.3, f"{shape}: {gaps.longest:.2f}s of CPU without a check"
        assert 1.5 <= took < 6.0, f"{shape}: stopped after {took:.2f}s"
        _assert_usable(conn)  # the statement changed nothing; the session goes on


# Statements that finish in seconds, each running passes over up to a million rows in memory:
# every stretch between two checks is measured, not only those before a timeout strikes.
WHOLE = {
    "window ranks": "SELECT max(a), max(b), max(c), max(d), max(e), max(f), max(g) FROM "
    "(SELECT row_number() OVER w a, rank() OVER w b, dense_rank() OVER w c, "
    "percent_rank() OVER w d, cume_dist() OVER w e, ntile(500000) OVER w f, lag(x) OVER w g "
    "FROM generate_series(1, 500000) x WINDOW w AS (ORDER BY x / 2 DESC)) s",
    "window frames": "SELECT max(a), max(b), max(c), max(d) FROM "
    "(SELECT sum(x) OVER (w ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) a, "
    "count(*) OVER (w GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) b, "
    "sum(x) OVER (w RANGE BETWEEN CURRENT ROW AND 500000 FOLLOWING) c, "
    "first_value(x) OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) d "
    "FROM generate_series(1, 500000) x WINDOW w AS (ORDER BY x / 2)) s",
    "window partitions": "SELECT count(DISTINCT p) FROM (SELECT row_number() OVER "
    "(PARTITION BY x % 250000 ORDER BY x) p FROM generate_series(1, 500000) x) s",
    # what a node held is freed after its last row: a million rows at once is a third of a
    # second or more
    "sort": "SELECT count(*) FROM (SELECT x, x::text t FROM generate_series(1, 1000000) x "
    "ORDER BY x % 1000, x DESC) s",
    "group by": "SELECT count(*) FROM (SELECT x % 500000, count(*), max(x::text) "
    "FROM generate_series(1, 1000000) x GROUP BY 1) s",
    "union": "SELECT count(*) FROM (SELECT x, x::text t FROM generate_series(1, 1000000) x "
    "UNION SELECT 0, '') s",
    "hash join": "SELECT count(*) FROM generate_series(1, 1000000) a "
    "JOIN (SELECT x, x::text t FROM generate_series(1, 1000000) x) b ON a = b.x",
}


@pytest.mark.parametrize("shape", WHOLE)
def test_no_loop_runs_long_without_a_check_from_start_to_end(pg: Running, shape: str) -> None:
    """The whole run of ``shape`` never computes 0.3 s of CPU between two checks (a window
    statement cut short by a timeout shows only the passes it reached)."""
    with psycopg.connect(pg.dsn(), autocommit=True) as conn, _CheckGaps() as gaps:
        conn.execute(WHOLE[shape])
    assert gaps.longest < 0.3, f"{shape}: {gaps.longest:.2f}s of CPU without a check"


@pytest.mark.parametrize("shape", SHAPES)
def test_cancel_request_stops_every_long_loop(pg: Running, shape: str) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        session = _session_of(pg, conn)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                conn.execute(SHAPES[shape])
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 10
        while session.running is None and time.monotonic() < deadline:
            time.sleep(0.005)  # polls the server's state: the statement has started
        assert session.running is not None
        cancelled = time.monotonic()
        conn.cancel_safe(timeout=5)
        worker.join(10)
        took = time.monotonic() - cancelled
        assert not worker.is_alive()
        assert outcome and isinstance(outcome[0], psycopg.errors.QueryCanceled), outcome
        assert outcome[0].diag.message_primary == "canceling statement due to user request"
        assert took < 1.5, f"{shape}: stopped {took:.2f}s after the cancel"
        _assert_usable(conn)


def _copy_data(rows: int) -> bytes:
    return b"".join(b"%d\t%d\n" % (i, i) for i in range(rows))


def test_statement_timeout_stops_copy_in_and_copy_out(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '300ms'")
        started = time.monotonic()
        with (
            pytest.raises(psycopg.errors.QueryCanceled) as info,
            conn.cursor().copy("COPY sink FROM STDIN") as copy,
        ):
            copy.write(_copy_data(300_000))
        assert info.value.diag.message_primary == "canceling statement due to statement timeout"
        assert time.monotonic() - started < 4
        started = time.monotonic()
        query = "COPY (SELECT a.k, b.k FROM t a, t b) TO STDOUT"
        with pytest.raises(psycopg.errors.QueryCanceled), conn.cursor().copy(query) as copy:
            out = io.BytesIO()
            for chunk in copy:
                out.write(chunk)
        assert time.monotonic() - started < 2
        _assert_usable(conn)


def _plant_lock(pg: Running, key_of_row: int) -> tuple[Any, bytes, int]:
    """A transaction stuck between prewrite and commit holding row ``key_of_row`` of t (as a
    client that died mid-commit leaves it): readers and writers of that row must wait."""
    from kv.mvcc.records import Mutation, Op
    from sql.rows import RowCodec
    from sql.session import Session

    role = pg.auth.role(USER)
    assert role is not None
    db = role.database
    s = Session(db)
    s.execute("BEGIN")
    key = RowCodec(db.db, s.catalog().table("t", None, s.search_path())).key_for_pk((key_of_row,))
    s.execute("ROLLBACK")
    backend = db.client.backend
    start_ts = backend.get_ts()
    backend.prewrite([Mutation(Op.PUT, key, b"")], key, start_ts, lock_ttl_ms=60_000)
    return backend, key, start_ts


@pytest.mark.parametrize(
    ("setting", "sqlstate", "message"),
    [
        ("lock_timeout", "55P03", "canceling statement due to lock timeout"),
        ("statement_timeout", "57014", "canceling statement due to statement timeout"),
    ],
)
def test_a_lock_wait_ends_at_lock_timeout_or_statement_timeout(
    pg: Running, setting: str, sqlstate: str, message: str
) -> None:
    backend, key, start_ts = _plant_lock(pg, 5)
    try:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute(f"SET {setting} = '200ms'")
            for sql in ("UPDATE t SET v = 0 WHERE k = 5", "SELECT v FROM t WHERE k >= 5"):
                started = time.monotonic()
                with pytest.raises(psycopg.Error) as info:
                    conn.execute(sql)
                took = time.monotonic() - started
                assert (info.value.sqlstate, info.value.diag.message_primary) == (
                    sqlstate,
                    message,
                )
                assert 0.2 <= took < 1.5, f"{sql}: waited {took:.2f}s"
            conn.execute("RESET ALL")
            assert conn.execute("SELECT v FROM t WHERE k = 6").fetchone() == (6.0,)
    finally:
        backend.rollback([key], start_ts)


def test_a_cancel_request_ends_a_lock_wait(pg: Running) -> None:
    backend, key, start_ts = _plant_lock(pg, 7)
    try:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            session = _session_of(pg, conn)
            outcome: list[BaseException] = []

            def run() -> None:
                try:
                    conn.execute("UPDATE t SET v = 0 WHERE k = 7")
                except BaseException as exc:
                    outcome.append(exc)

            worker = threading.Thread(target=run)
            worker.start()
            deadline = time.monotonic() + 10
            while session.running is None and time.monotonic() < deadline:
                time.sleep(0.005)
            conn.cancel_safe(timeout=5)
            worker.join(3)
            assert not worker.is_alive()
            assert outcome and isinstance(outcome[0], psycopg.errors.QueryCanceled)
    finally:
        backend.rollback([key], start_ts)


def _server_speaks_within(conn: psycopg.Connection[Any], timeout: float) -> bool:
    """Wait, sending nothing, until the server writes to an idle connection (or closes it)."""
    readable, _, _ = select.select([conn.fileno()], [], [], timeout)
    return bool(readable)


def test_idle_in_transaction_timeout_ends_the_session_and_drops_its_transaction(
    pg: Running,
) -> None:
    idle = psycopg.connect(pg.dsn(), autocommit=True)
    idle.execute("SET idle_in_transaction_session_timeout = '300ms'")
    assert not _server_speaks_within(idle, 0.6)  # idle outside a block: no timeout there
    idle.execute("BEGIN")
    started = time.monotonic()  # before the last reply: the server's idle time is shorter
    idle.execute("UPDATE t SET v = -1 WHERE k = 2")
    assert _server_speaks_within(idle, 5), "the server never ended the idle session"
    assert 0.3 <= time.monotonic() - started < 2
    with pytest.raises(psycopg.Error) as info:
        idle.execute("SELECT 1")
    assert info.value.sqlstate == "25P03"
    assert "terminating connection due to idle-in-transaction timeout" in str(info.value)
    assert idle.closed
    with psycopg.connect(pg.dsn(), autocommit=True) as other:
        other.execute("UPDATE t SET v = 2.5 WHERE k = 2")  # no conflict with the dropped block
        assert other.execute("SELECT v FROM t WHERE k = 2").fetchone() == (2.5,)
        other.execute("UPDATE t SET v = 2 WHERE k = 2")


def test_idle_session_timeout_ends_an_idle_session(tmp_path: Path) -> None:
    for pg in start_server(tmp_path):
        conn = psycopg.connect(pg.dsn(), autocommit=True)
        conn.execute("SET idle_session_timeout = '300ms'")
        assert _server_speaks_within(conn, 5)
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT 1")
        assert info.value.sqlstate == "57P05"


def test_a_bad_time_setting_answers_22023_with_the_hint_and_changes_nothing(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("SET statement_timeout = 1500")
        with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
            conn.execute("SET statement_timeout = '5 parsecs'")
        assert info.value.diag.message_primary == (
            'invalid value for parameter "statement_timeout": "5 parsecs"'
        )
        assert info.value.diag.message_hint == (
            'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'
        )
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1500ms",)


def _blocked_on_send(pg: Running, conn: psycopg.Connection[Any], deadline: float) -> None:
    """Wait until the server holds more of ``conn``'s rows than the socket takes: its
    statement is between batches, waiting for the client to read."""
    server_conn = pg.server._by_pid[conn.info.backend_pid]
    while server_conn.writer.transport.get_write_buffer_size() == 0 or server_conn.ticket:
        assert time.monotonic() < deadline, "the server never filled the socket"
        time.sleep(0.01)  # polls the server's state


def _rows_until_error(conn: psycopg.Connection[Any], deadline: float) -> str:
    """Read the streamed rows until the statement's end; its SQLSTATE. Never blocks inside
    libpq (which holds the interpreter lock there, and the server runs in this process)."""
    pgconn = conn.pgconn
    while True:
        assert time.monotonic() < deadline, "the statement did not stop"
        if pgconn.is_busy():
            select.select([pgconn.socket], [], [], 0.1)
            pgconn.consume_input()
            continue
        res = pgconn.get_result()
        assert res is not None, "the statement ended without an error"
        if res.status == psycopg.pq.ExecStatus.FATAL_ERROR:
            state = res.error_field(psycopg.pq.DiagnosticField.SQLSTATE)
            while pgconn.get_result() is not None:
                pass
            return (state or b"").decode()
        assert res.status == psycopg.pq.ExecStatus.SINGLE_TUPLE, res.status


@pytest.mark.parametrize("stop", ["cancel", "statement_timeout"])
def test_a_statement_whose_client_reads_slowly_still_stops(pg: Running, stop: str) -> None:
    """A cancel or a timeout that lands while the rows wait for the client (between two
    batches, no statement code running) stops the statement; the cancel was lost there."""
    conn = psycopg.connect(pg.dsn(), autocommit=True)
    try:
        if stop == "statement_timeout":
            conn.execute("SET statement_timeout = '1s'")
        pgconn = conn.pgconn
        pgconn.send_query(b"SELECT x, repeat('x', 100) FROM generate_series(1, 100000000) x")
        pgconn.set_single_row_mode()
        deadline = time.monotonic() + 20
        _blocked_on_send(pg, conn, deadline)
        if stop == "cancel":
            conn.cancel_safe(timeout=5)
        else:
            time.sleep(1.2)  # the timeout's own clock: let it pass while the client reads nothing
        assert _rows_until_error(conn, deadline) == "57014"
        _assert_usable(conn)
    finally:
        conn.pgconn.finish()  # not close(): on a failure the rows would still be streaming
