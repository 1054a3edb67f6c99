"""LISTEN / NOTIFY over the wire, as psycopg's ``conn.notifies()`` and asyncpg's
``add_listener`` receive them: NotificationResponse with the notifier's pid, sent only when the
notifying transaction commits, to every listening session (the notifier's own too), in commit
order, identical notifications of one transaction folded, a listener inside a transaction
block served when its block ends, LISTEN and UNLISTEN in effect at COMMIT; and PL/pgSQL RAISE
notices with PostgreSQL's CONTEXT and source fields (asyncpg's log listeners read them)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import asyncpg
import psycopg

from tests.pgwire.conftest import PASSWORD, USER, Running


def _notes(conn: psycopg.Connection[Any], timeout: float = 0.3) -> list[tuple[str, str, int]]:
    """The notifications ``conn`` has received, waiting up to ``timeout`` for more."""
    return [(n.channel, n.payload, n.pid) for n in conn.notifies(timeout=timeout)]


def test_notify_reaches_listeners_only_at_commit_in_commit_order(pg: Running) -> None:
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as a,
        psycopg.connect(pg.dsn(), autocommit=True) as b,
    ):
        a.execute('LISTEN ch; LISTEN "Mixed Case"')
        pid_a, pid_b = a.info.backend_pid, b.info.backend_pid
        b.execute("NOTIFY ch, 'one'")
        b.execute("""NOTIFY "Mixed Case", 'two'""")
        b.execute("SELECT pg_notify('ch', 'three')")
        b.execute("NOTIFY ch")
        assert _notes(a) == [
            ("ch", "one", pid_b), ("Mixed Case", "two", pid_b), ("ch", "three", pid_b),
            ("ch", "", pid_b),
        ]  # fmt: skip
        # Inside a block: nothing until COMMIT; duplicates folded; then in order.
        b.execute("BEGIN")
        b.execute("NOTIFY ch, 'x'; NOTIFY ch, 'y'; NOTIFY ch, 'x'; NOTIFY other, 'x'")
        assert _notes(a) == []
        b.execute("COMMIT")
        assert _notes(a) == [("ch", "x", pid_b), ("ch", "y", pid_b)]
        # ROLLBACK and ROLLBACK TO SAVEPOINT drop what they undo.
        b.execute("BEGIN; NOTIFY ch, 'gone'; ROLLBACK")
        b.execute("BEGIN; NOTIFY ch, 'kept'; SAVEPOINT s; NOTIFY ch, 'undone'; ROLLBACK TO s")
        b.execute("COMMIT")
        assert _notes(a) == [("ch", "kept", pid_b)]
        # The notifier hears its own.
        a.execute("NOTIFY ch, 'self'")
        assert _notes(a, 0) == [("ch", "self", pid_a)]


def test_listen_and_unlisten_take_effect_at_commit(pg: Running) -> None:
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as a,
        psycopg.connect(pg.dsn(), autocommit=True) as b,
    ):
        a.execute("BEGIN; LISTEN later")
        assert a.execute("SELECT count(*) FROM pg_listening_channels()").fetchone() == (0,)
        b.execute("NOTIFY later, 'before'")
        a.execute("COMMIT")
        assert _notes(a) == []
        b.execute("NOTIFY later, 'after'")
        assert [n[1] for n in _notes(a)] == ["after"]
        a.execute("LISTEN b2; LISTEN a1")
        assert a.execute("SELECT array_agg(c) FROM pg_listening_channels() c").fetchone() == (
            ["later", "b2", "a1"],
        )
        a.execute("BEGIN; UNLISTEN *")
        b.execute("NOTIFY later, 'still'")
        a.execute("ROLLBACK")  # the UNLISTEN * never happened
        assert [n[1] for n in _notes(a)] == ["still"]
        a.execute("UNLISTEN later")
        b.execute("NOTIFY later, 'no'; NOTIFY a1, 'yes'")
        assert [n[0] for n in _notes(a)] == ["a1"]
        a.execute("UNLISTEN *")
        assert a.execute("SELECT pg_notification_queue_usage()").fetchone() == (0.0,)
        b.execute("NOTIFY a1, 'no'")
        assert _notes(a) == []


def test_an_idle_listener_is_told_at_once_and_one_in_a_block_when_it_ends(pg: Running) -> None:
    with (
        psycopg.connect(pg.dsn(), autocommit=True) as a,
        psycopg.connect(pg.dsn(), autocommit=True) as b,
    ):
        a.execute("LISTEN ch")
        threading.Timer(0.2, lambda: b.execute("NOTIFY ch, 'wake'")).start()
        started = time.monotonic()
        got = next(a.notifies(timeout=5))  # waits on the socket: sent while a is idle
        assert (got.channel, got.payload) == ("ch", "wake")
        assert time.monotonic() - started < 3
        a.execute("BEGIN")
        b.execute("NOTIFY ch, 'held'")
        a.execute("SELECT 1")
        assert _notes(a, 0) == []  # in a block: held back
        a.execute("COMMIT")
        assert [n[1] for n in _notes(a, 0)] == ["held"]


def test_asyncpg_add_listener_gets_channel_payload_and_notifier_pid(pg: Running) -> None:
    async def run() -> None:
        args = {"host": "127.0.0.1", "port": pg.port, "user": USER, "password": PASSWORD,
                "database": "postgres", "ssl": "require"}  # fmt: skip
        con1, con2 = await asyncpg.connect(**args), await asyncpg.connect(**args)
        try:
            got: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
            await con1.add_listener('12+"34', lambda *a: got.put_nowait(a))
            await con2.execute("""NOTIFY "12+""34", 'hello'""")
            note = await asyncio.wait_for(got.get(), 5)
            assert note == (con1, con2.get_server_pid(), '12+"34', "hello")
            await con1.execute("""NOTIFY "12+""34", 'mine'""")
            note = await asyncio.wait_for(got.get(), 5)
            assert note == (con1, con1.get_server_pid(), '12+"34', "mine")
            await con1.reset()  # UNLISTEN *
            await con2.execute("""NOTIFY "12+""34", 'gone'""")
            await asyncio.sleep(0.2)
            assert got.empty()
        finally:
            await con1.close()
            await con2.close()

    asyncio.run(run())


def test_raise_notice_carries_context_and_source_fields(pg: Running) -> None:
    async def run() -> None:
        con = await asyncpg.connect(host="127.0.0.1", port=pg.port, user=USER, password=PASSWORD,
                                    database="postgres", ssl="require")  # fmt: skip
        try:
            got: list[dict[str, Any]] = []
            con.add_log_listener(lambda _c, m: got.append(m.as_dict()))
            await con.execute("DO $$\nBEGIN RAISE NOTICE 'catch me!'; END;\n$$")
            await asyncio.sleep(0.05)
            [msg] = got
            assert msg["context"] == "PL/pgSQL function inline_code_block line 2 at RAISE"
            assert msg["server_source_function"] == "exec_stmt_raise"
            assert "server_source_line" in msg and "server_source_filename" in msg
        finally:
            await con.close()

    asyncio.run(run())
