"""Bad input ends only the offending connection; limits, timeouts and cancel behave."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwire import messages as M
from tests.pgwire.conftest import USER, Running, start_server


def raw_connection(pg: Running) -> socket.socket:
    return socket.create_connection(("127.0.0.1", pg.port), timeout=5)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def assert_still_serving(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x00\x00\x08\x00\x04\x00\x00",  # protocol 4.0
        b"\x00\x00\x00\x03",  # length too short
        b"\xff\xff\xff\xff" + b"x" * 10,  # absurd length
        struct.pack("!ii", 12, 196608) + b"user",  # unterminated parameter
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
)
def test_malformed_startup_gets_an_error_and_the_server_keeps_serving(
    pg: Running, payload: bytes
) -> None:
    with raw_connection(pg) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        reply = read_all(sock)
    assert reply == b"" or reply.startswith(b"E")
    if reply:
        assert b"08P01" in reply
    assert_still_serving(pg)


def test_truncated_message_after_login_gets_08p01(plain_pg: Running) -> None:
    pg = plain_pg
    conn = psycopg.connect(pg.dsn(sslmode="disable"), autocommit=True)
    sock = socket.socket(fileno=conn.pgconn.socket)
    sock.settimeout(5)
    try:
        sock.sendall(b"Q\x00\x00\x00\x02")  # a length that cannot hold itself
        reply = read_all(sock)
        assert b"08P01" in reply
    finally:
        sock.detach()
        conn.close()
    assert_still_serving(pg)


@given(st.sampled_from(list(b"QPBDECSHXpdcf")), st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_message_decoder_raises_only_protocol_violations(kind: int, body: bytes) -> None:
    with contextlib.suppress(M.ProtocolViolation):
        M.decode(bytes([kind]), body)


@given(st.binary(max_size=64))
@settings(max_examples=300, deadline=None)
def test_startup_decoder_raises_only_protocol_violations(body: bytes) -> None:
    with contextlib.suppress(M.ProtocolViolation):
        M.decode_startup(body)


@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=5))
@settings(max_examples=25, deadline=None)
def test_live_server_survives_random_messages_after_login(
    pg_module: Running, blobs: list[bytes]
) -> None:
    conn = psycopg.connect(pg_module.dsn(sslmode="disable"), autocommit=True)
    sock = socket.socket(fileno=conn.pgconn.socket)
    sock.settimeout(2)
    try:
        for blob in blobs:
            sock.sendall(blob[:1] + struct.pack("!i", len(blob) + 3) + blob[1:])
        sock.sendall(b"X\x00\x00\x00\x04")
        read_all(sock)
    except OSError:
        pass
    finally:
        sock.detach()
        conn.close()
    assert_still_serving(pg_module)


@pytest.fixture(scope="module")
def pg_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # plaintext: the tests write raw frames on the client's socket
    yield from start_server(tmp_path_factory.mktemp("fuzz"), require_tls=False)


def test_connection_limit_refuses_with_53300(tmp_path: Path) -> None:
    for pg in start_server(tmp_path, max_connections=2):
        held = [psycopg.connect(pg.dsn()) for _ in range(2)]
        with pytest.raises(psycopg.OperationalError) as info:
            psycopg.connect(pg.dsn())
        assert "too many clients" in str(info.value)
        held[0].close()
        assert_still_serving(pg)
        held[1].close()


def test_idle_connection_is_closed_after_the_timeout(tmp_path: Path) -> None:
    for pg in start_server(tmp_path, idle_timeout_s=0.3):
        conn = psycopg.connect(pg.dsn(), autocommit=True)
        deadline = time.monotonic() + 10
        while not conn.closed and time.monotonic() < deadline:
            try:
                conn.execute("SELECT 1")
                time.sleep(0.5)  # idle longer than the timeout; the server must act alone
            except psycopg.OperationalError:
                break
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
        conn.close()


def test_require_tls_refuses_plaintext_logins_with_28000(tmp_path: Path) -> None:
    for pg in start_server(tmp_path, require_tls=True):
        with pytest.raises(psycopg.OperationalError) as info:
            psycopg.connect(pg.dsn(sslmode="disable"))
        assert "requires TLS" in str(info.value)
        assert_still_serving(pg)


def test_cancel_request_stops_a_running_query(pg: Running) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE big (id int PRIMARY KEY)")
        conn.execute("INSERT INTO big SELECT g FROM generate_series(1, 3000) g")
        timer = threading.Timer(0.5, lambda: conn.cancel_safe(timeout=10))
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT count(*) FROM big a, big b, big c")
        timer.join()
        assert conn.execute("SELECT count(*) FROM big").fetchone() == (3000,)


def test_bytes_sent_with_an_ssl_request_are_refused(pg: Running) -> None:
    """Data queued behind SSLRequest would be read as if it came over TLS (CVE-2021-23214)."""
    with raw_connection(pg) as sock:
        startup = struct.pack("!ii", 8, M.SSL_REQUEST)
        sock.sendall(startup + b"Q\x00\x00\x00\x0dSELECT 1\x00")
        reply = read_all(sock)
    assert b"08P01" in reply
    assert_still_serving(pg)


def test_a_read_waiting_for_a_lock_does_not_hold_up_other_connections(pg: Running) -> None:
    """Point reads run on the event loop only while nothing would wait; one that meets a
    live lock moves to a worker thread, and the other connections keep being served."""
    from kv.mvcc.records import Mutation, Op
    from sql.rows import RowCodec
    from sql.session import Session

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE acct (id int PRIMARY KEY, balance int)")
        conn.execute("INSERT INTO acct VALUES (1, 100), (2, 200)")
    role = pg.auth.role(USER)
    assert role is not None
    db = role.database
    s = Session(db)
    s.execute("BEGIN")
    key = RowCodec(db.db, s.catalog().table("acct", None, s.search_path())).key_for_pk((2,))
    s.execute("ROLLBACK")
    backend = db.client.backend
    start_ts = backend.get_ts()
    backend.prewrite([Mutation(Op.PUT, key, b"")], key, start_ts, lock_ttl_ms=60_000)

    query = "SELECT balance FROM acct WHERE id = %s"
    waiting = psycopg.connect(pg.dsn(), autocommit=True)
    waiting.execute(query, (1,), prepare=True)  # planned: later runs are inline candidates
    result: list[object] = []
    reader = threading.Thread(
        target=lambda: result.append(waiting.execute(query, (2,), prepare=True).fetchone())
    )
    reader.start()
    try:
        deadline = time.monotonic() + 10
        while not _executing_in_a_worker(pg) and time.monotonic() < deadline:
            time.sleep(0.01)  # polls an observable state; no timing is assumed
        assert _executing_in_a_worker(pg), "the locked read never reached a worker thread"
        with psycopg.connect(pg.dsn(), autocommit=True) as other:
            for _ in range(20):
                assert other.execute(query, (1,), prepare=True).fetchone() == (100,)
        assert reader.is_alive() and not result  # still waiting for the lock
    finally:
        backend.rollback([key], start_ts)
        reader.join(10)
        waiting.close()
    assert result == [(200,)]


def _executing_in_a_worker(pg: Running) -> bool:
    return any(
        portal.result is None and conn.session is not None and conn.session.txn is not None
        for conn in list(pg.server._all)
        for portal in list(conn.state.portals.values())
    )


def test_tenant_qps_limit_refuses_excess_statements_with_53400(tmp_path: Path) -> None:
    for pg in start_server(tmp_path, tenant_qps_limit=5.0):
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            codes = []
            for _ in range(12):  # far faster than 5 per second
                try:
                    conn.execute("SELECT 1")
                    codes.append("ok")
                except psycopg.errors.ConfigurationLimitExceeded as exc:
                    codes.append(exc.sqlstate or "")
            assert codes.count("ok") <= 6 and "53400" in codes
            assert codes[0] == "ok"  # a burst of one second's worth is allowed
            # The connection stays usable once the rate drops.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    assert conn.execute("SELECT 2").fetchone() == (2,)
                    break
                except psycopg.errors.ConfigurationLimitExceeded:
                    time.sleep(0.05)  # the bucket refills with time itself
            else:
                raise AssertionError("the limit never let a statement through again")


def test_a_login_waiting_for_the_role_store_holds_up_no_other_session(
    pg: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a role may wait (a follower with no leader yet, a full disk): the event loop
    serves every other connection meanwhile, and new logins too."""
    entered, release = threading.Event(), threading.Event()
    role = pg.auth.role

    def slow_role(user: str) -> object:
        if user == "waiting.admin":
            entered.set()
            release.wait(20)
            return None
        return role(user)

    monkeypatch.setattr(pg.auth, "role", slow_role)

    def waiting_login() -> None:
        with contextlib.suppress(psycopg.OperationalError):
            psycopg.connect(pg.dsn(user="waiting.admin"), connect_timeout=30).close()

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        waiter = threading.Thread(target=waiting_login)
        waiter.start()
        try:
            assert entered.wait(10)
            started = time.monotonic()
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert_still_serving(pg)  # a new login meanwhile
            took = time.monotonic() - started
        finally:
            release.set()
            waiter.join(30)
        assert took < 10, f"other sessions waited {took:.1f}s for a login reading its role"
