"""The pgwire server: an asyncio listener (5433 by default) that owns its connections.

It enforces the connection limit (1000 per server, as the product documents) on logged-in
sessions, bounds what connections without credentials may take (``admission``), hands out
backend keys for CancelRequest, and requires TLS unless ``require_tls`` is turned off (the
product documents TLS for all connections; plaintext is for local development).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kv.interrupt import Reason
from pgwire.admission import Admission
from pgwire.auth import Authenticator
from pgwire.connection import PgConnection
from pgwire.messages import GSSENC_REQUEST, MAX_MESSAGE
from pgwire.ratelimit import RateLimiter
from pgwire.slots import StatementSlots
from sql import memory

log = logging.getLogger(__name__)
_I32X2 = struct.Struct("!ii")
CREDENTIALS_POLL_S = 1.0  # how soon a password reset on another node ends sessions here


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop the server runs on: uvloop (libuv), whose socket reads and writes cost a
    fraction of the default loop's, where the platform has it."""
    try:
        import uvloop
    except ImportError:  # e.g. Windows; the default loop works, only slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


DEFAULT_PORT = 5433
MAX_CONNECTIONS = 1000


@dataclass
class PgServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_connections: int = MAX_CONNECTIONS
    idle_timeout_s: float = 300.0  # idle sessions are evicted after 5 minutes, as documented
    tenant_qps_limit: float = 0.0  # statements per second per database; 0: no limit
    require_tls: bool = True  # a plaintext login gets FATAL 28000
    max_copy_bytes: int = 1 << 30  # one COPY FROM STDIN is buffered whole
    max_statements: int = 0  # statements running at once; 0: twice the cores, at least 8
    max_tenant_statements: int = 0  # of those, one database's share; 0: three quarters
    shutdown_grace_s: float = 3.0  # how long stop() waits for sessions to end
    # Before login (pgwire.admission). A login must finish within authentication_timeout_s of
    # the connection (PostgreSQL's authentication_timeout: 60 s; SCRAM takes milliseconds).
    authentication_timeout_s: float = 30.0
    max_pending_logins: int = 256  # logins in progress, not counted in max_connections
    max_pending_logins_per_address: int = 32
    login_failures_per_address: int = 10  # failed logins per window before refusals (28000)
    login_failures_per_user: int = 30
    login_failure_window_s: float = 60.0
    # After login: the largest message, and the bytes one database's sessions may hold
    # buffered for incomplete large messages at once (53200 past it).
    max_message_bytes: int = MAX_MESSAGE
    max_tenant_buffer_bytes: int = 256 << 20


class PgServer:
    def __init__(self, authenticator: Authenticator, config: PgServerConfig | None = None,
                 tls_context: ssl.SSLContext | None = None) -> None:  # fmt: skip
        self.authenticator = authenticator
        self.config = config or PgServerConfig()
        self.tls_context = tls_context
        self.require_tls = self.config.require_tls
        if self.require_tls and tls_context is None:
            raise ValueError("require_tls needs a TLS context (or require_tls=False)")
        self.idle_timeout = self.config.idle_timeout_s
        #: the per-tenant QPS limit, keyed by database prefix (shared with the REST API's /sql)
        self.rate = RateLimiter(self.config.tenant_qps_limit)
        self.max_copy_bytes = self.config.max_copy_bytes
        self._pids = itertools.count(1000)
        self._by_pid: dict[int, PgConnection] = {}
        self._admitted: set[PgConnection] = set()
        self._all: set[PgConnection] = set()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ended = threading.Condition()  # notified whenever a connection is forgotten
        self._tasks: set[asyncio.Task[None]] = set()
        self.closing = False  # close() was called: sessions are being ended
        self.port = self.config.port
        # Each user's current Role.credential, polled every CREDENTIALS_POLL_S: a session
        # whose user's credentials changed since its login ends (57P01), whichever node
        # changed them. None: not polled.
        self.credentials: Callable[[], dict[str, bytes]] | None = None
        self._poller: asyncio.Task[None] | None = None
        #: where every statement runs (shared with the REST API in a node)
        self.slots = StatementSlots(
            self.config.max_statements, self.config.max_tenant_statements, memory.release
        )
        c = self.config
        self.admission = Admission(
            c.max_pending_logins,
            c.max_pending_logins_per_address,
            c.login_failures_per_address,
            c.login_failures_per_user,
            c.login_failure_window_s,
            c.max_tenant_buffer_bytes,
        )

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(
            self._on_client, self.config.host, self.config.port, limit=1 << 20
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.credentials is not None:
            self._poller = asyncio.create_task(self._poll_credentials(self.credentials))
        log.info("pgwire listening on %s:%s", self.config.host, self.port)

    def close(self) -> None:
        """Stop accepting and tell every session to end: an idle one gets FATAL 57P01 now, a
        busy one once its statement, interrupted, has stopped. Idempotent."""
        self.closing = True
        if self._poller is not None:
            self._poller.cancel()
        if self._server is not None:
            self._server.close()
        for conn in list(self._all):
            conn.terminate()

    async def stop(self) -> None:
        """PostgreSQL's fast shutdown: ``close``, then wait for the sessions to end; whatever
        is still open after ``shutdown_grace_s`` is cut."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.shutdown_grace_s
        self.close()
        while (tasks := [t for t in self._tasks if not t.done()]) and loop.time() < deadline:
            await asyncio.wait(tasks, timeout=min(0.1, max(0.0, deadline - loop.time())))
            for conn in list(self._all):  # again: it can land just before a statement starts
                conn.interrupt(Reason.SHUTDOWN)
        for conn in list(self._all):
            log.warning("pgwire: connection %s did not end in time; closing it", conn.pid)
            conn.writer.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = PgConnection(self, reader, writer)
        if self.closing:  # accepted just before the listener closed
            conn.end_with(*Reason.SHUTDOWN.value)
            return
        refused = self.admission.enter(conn.address)
        if refused is not None:  # holds nothing: not even a read of the startup packet
            conn.end_with("53300", refused)
            return
        conn.pending = True
        self._all.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await conn.serve()

    # bookkeeping used by connections

    def admit(self, conn: PgConnection) -> bool:
        """Give an authenticated connection a session slot; False when none is free."""
        if len(self._admitted) >= self.config.max_connections:
            return False
        self._admitted.add(conn)
        return True

    def register(self, conn: PgConnection) -> int:
        pid = next(self._pids)
        self._by_pid[pid] = conn
        return pid

    def connections(self) -> list[PgConnection]:
        """The logged-in connections, oldest first (pg_stat_activity, read from a statement's
        worker thread: the copy is made in one step under the interpreter lock)."""
        by_pid = self._by_pid.copy()
        return [by_pid[pid] for pid in sorted(by_pid)]

    def forget(self, conn: PgConnection) -> None:
        self._all.discard(conn)
        self._admitted.discard(conn)
        self._by_pid.pop(conn.pid, None)
        self.ended()

    def ended(self) -> None:
        """A connection ended or was told to (its FATAL sent): wake ``end_sessions``."""
        with self._ended:
            self._ended.notify_all()

    def end_sessions(self, db: bytes, timeout_s: float = 5.0) -> bool:
        """Terminate every session on the database with key prefix ``db`` (57P01, as
        DROP DATABASE ... WITH (FORCE) does) and wait up to ``timeout_s`` for them to end;
        False if some did not. Called from a statement's thread, never from the loop."""
        return self._end(lambda conn: conn.session is not None and conn.session.db == db,
                         timeout_s)  # fmt: skip

    async def _poll_credentials(self, current: Callable[[], dict[str, bytes]]) -> None:
        while True:
            await asyncio.sleep(CREDENTIALS_POLL_S)
            try:
                now = await asyncio.to_thread(current)
            except Exception as exc:  # the store unreadable for now (no leader): next time
                log.info("pgwire: credentials not read: %s", exc)
                continue
            for conn in list(self._admitted):
                kept = now.get(conn.user)
                if conn.session is not None and kept is not None and kept != conn.credential:
                    conn.terminate()

    def end_logins(self, user: str, timeout_s: float = 5.0) -> bool:
        """Terminate every session logged in as ``user`` (57P01; its password was reset)
        and wait up to ``timeout_s`` for them to end, as ``end_sessions``."""
        return self._end(lambda conn: conn.session is not None and conn.user == user, timeout_s)

    def _end(self, match: Callable[[PgConnection], bool], timeout_s: float) -> bool:
        loop = self._loop
        if loop is None:
            return True
        for conn in list(self._admitted):
            if match(conn):
                loop.call_soon_threadsafe(conn.terminate)
        with self._ended:
            return self._ended.wait_for(
                lambda: not any(match(c) and not c.fatal_sent for c in list(self._admitted)),
                timeout_s,
            )

    def cancel(self, pid: int, secret: int) -> None:
        conn = self._by_pid.get(pid)
        if conn is not None and conn.secret == secret:
            conn.interrupt(Reason.CANCEL)

    def admit_statement(self, db: bytes) -> bool:
        """Per-tenant QPS limit: a token bucket per database (burst of one second's worth)."""
        return self.rate.admit(db)

    def sessions_of(self, user: str) -> int:
        """Admitted connections logged in as ``user`` (a role's CONNECTION LIMIT); those
        told to end are not counted."""
        return sum(1 for c in list(self._admitted) if c.user == user and not c.fatal_sent)

    def sessions_by_database(self) -> dict[bytes, int]:
        """Logged-in connections per database key prefix (for inspect, and DROP DATABASE's
        check that no other session uses it); those told to end are not counted."""
        out: dict[bytes, int] = {}
        for conn in list(self._admitted):
            session = conn.session
            if session is not None and not conn.fatal_sent:
                out[session.db] = out.get(session.db, 0) + 1
        return out

    @property
    def connection_count(self) -> int:
        return len(self._admitted)


async def probe(host: str, port: int, timeout_s: float = 2.0) -> str | None:
    """None if a pgwire server on ``host:port`` answers the first step of a connection (a
    GSSENCRequest, which it refuses with "N" and no TLS), else why not. Health checks use it:
    a listening socket alone does not show that connections are being served."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, TimeoutError) as exc:
        return f"pgwire on {host}:{port} does not accept connections: {exc or 'timeout'}"
    try:
        writer.write(_I32X2.pack(8, GSSENC_REQUEST))
        await writer.drain()
        answer = await asyncio.wait_for(reader.readexactly(1), timeout_s)
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        return f"pgwire on {host}:{port} does not answer: {exc or 'timeout'}"
    finally:
        writer.close()
    return None if answer == b"N" else f"pgwire on {host}:{port} answered {answer!r}"
