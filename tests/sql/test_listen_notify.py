"""LISTEN, UNLISTEN, NOTIFY and pg_notify against PostgreSQL: the grammar's syntax errors,
pg_notify's checks (empty or 64-byte channel, 8000-byte payload, argument types), identifier
truncation, read-only transactions, pg_listening_channels() in LISTEN order; and, between two
sessions of one database, what reaches a listener's queue: committed notifications only, in
commit order, duplicates folded, LISTEN/UNLISTEN in effect at COMMIT; and across two nodes'
views of one database (two Database objects over one store), through the store."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from kv.client import TxnClient
from kv.errors import Db9Error
from sql.database import Database
from sql.notify_kv import KvHub
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.pg import connect

DB = b"\x00\x22"

STATEMENTS = [
    "NOTIFY 'a'", "NOTIFY a b", "NOTIFY a, b", "NOTIFY a,", "NOTIFY", "LISTEN *",
    "UNLISTEN a, b", "NOTIFY a, 'x' 'y'",
    "SELECT pg_notify('', 'x')", "SELECT pg_notify(NULL, 'x')", "SELECT pg_notify('a', NULL)",
    "SELECT pg_notify(repeat('c', 63), 'x')", "SELECT pg_notify(repeat('c', 64), 'x')",
    "SELECT pg_notify('a', repeat('x', 7999))", "SELECT pg_notify('a', repeat('x', 8000))",
    "SELECT pg_notify('a', repeat('é', 4000))",
    "SELECT pg_notify(1, 2)", "SELECT pg_notify('a', 1)",
    "SELECT pg_notify('a'::varchar, 'b'::name)", "SELECT pg_typeof(pg_notify('a', 'b'))",
    "NOTIFY " + "c" * 70 + ", 'x'", "LISTEN " + "c" * 70,
    "LISTEN b", 'LISTEN "A"', "LISTEN b", "SELECT pg_listening_channels()",
    "BEGIN READ ONLY", "NOTIFY a, 'ro'", "LISTEN ro", "SELECT pg_listening_channels()", "COMMIT",
    "SELECT * FROM pg_listening_channels()",
    "SELECT pg_notification_queue_usage()",
    "UNLISTEN nothing", "UNLISTEN b", "SELECT pg_listening_channels()", "UNLISTEN *",
    "SELECT count(*) FROM pg_listening_channels()",
]  # fmt: skip


def _pg(conn: psycopg.Connection[Any], notices: list[str], sql: str) -> tuple[Any, ...]:
    notices.clear()
    try:
        cur = conn.execute(sql.encode())
        rows = [tuple(r) for r in cur.fetchall()] if cur.description is not None else []
        error = None
    except psycopg.Error as exc:
        rows, error = [], (exc.sqlstate, exc.diag.message_primary)
    return error, rows, list(notices)


def _db9(s: Session, sql: str) -> tuple[Any, ...]:
    try:
        rows = [tuple(r) for r in s.execute(sql)[-1].rows or []]
        error = None
    except Db9Error as exc:
        rows, error = [], (exc.sqlstate, exc.message)
    notices = [str(n) for n in s.notices]
    s.notices.clear()
    return error, rows, notices


def test_statements_and_functions_answer_as_postgresql(pg_conninfo: str) -> None:
    conn = connect(pg_conninfo)
    conn.autocommit = True
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    session = Session(Database(TxnClient(local_kv()), DB))
    try:
        for sql in STATEMENTS:
            assert _db9(session, sql) == _pg(conn, notices, sql), sql
    finally:
        conn.close()


def _received(s: Session) -> list[tuple[str, str]]:
    return [(n.channel, n.payload) for n in s.notify.listener.take()]


def test_a_listener_receives_committed_notifications_in_commit_order() -> None:
    database = Database(TxnClient(local_kv()), DB)
    a, b, c = Session(database), Session(database), Session(database)
    a.execute("LISTEN ch")
    b.execute("BEGIN; NOTIFY ch, 'b1'")
    c.execute("BEGIN; NOTIFY ch, 'c1'; NOTIFY ch, 'c1'; NOTIFY ch, 'c2'")
    assert _received(a) == []
    c.execute("COMMIT")
    b.execute("NOTIFY ch, 'b2'; NOTIFY ch, 'b1'; COMMIT")
    assert _received(a) == [("ch", "c1"), ("ch", "c2"), ("ch", "b1"), ("ch", "b2")]
    assert [n.pid for n in a.notify.listener.queue] == []
    b.execute("BEGIN; SELECT pg_notify('ch', 'x'); SAVEPOINT s; NOTIFY ch, 'y'; ROLLBACK TO s")
    b.execute("NOTIFY ch, 'z'; RELEASE s; COMMIT")
    assert _received(a) == [("ch", "x"), ("ch", "z")]
    a.execute("BEGIN; UNLISTEN ch")
    b.execute("NOTIFY ch, 'still listening'")
    a.execute("COMMIT")
    b.execute("NOTIFY ch, 'not any more'")
    assert _received(a) == [("ch", "still listening")]
    a.execute("LISTEN ch")
    a.close()  # a session that ends listens no more
    b.execute("NOTIFY ch, 'gone'")
    assert _received(a) == []


def _wait_for(s: Session, count: int, timeout: float = 5.0) -> list[tuple[str, str, int]]:
    got: list[tuple[str, str, int]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += [(n.channel, n.payload, n.pid) for n in s.notify.listener.take()]
        time.sleep(0.02)
    return got


def test_notifications_reach_listeners_on_another_node_through_the_store() -> None:
    store = TxnClient(local_kv())
    node1, node2 = Database(store, DB), Database(store, DB)  # two nodes' views of one database
    for node in (node1, node2):
        assert isinstance(node.notify, KvHub)
        node.notify.poll_s = 0.02
    b_early = Session(node2)
    b_early.execute("NOTIFY ch, 'before anyone listened'")
    a, b = Session(node1), Session(node2)
    a.execute("LISTEN ch")
    b.execute("BEGIN; NOTIFY ch, 'one'; NOTIFY ch, 'one'; NOTIFY other, 'no'")
    b.execute("SELECT pg_notify('ch', 'two'); COMMIT")
    b.execute("BEGIN; NOTIFY ch, 'rolled back'; ROLLBACK")
    b.execute("NOTIFY ch, 'three'")
    assert _wait_for(a, 3) == [("ch", "one", b.pid), ("ch", "two", b.pid), ("ch", "three", b.pid)]
    a.execute("NOTIFY ch, 'own node'")  # delivered once, by the node itself
    assert _wait_for(a, 2, 0.3) == [("ch", "own node", a.pid)]
    a.execute("UNLISTEN *")
    b.execute("NOTIFY ch, 'after'")
    assert _wait_for(a, 1, 0.3) == []
