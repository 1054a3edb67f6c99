"""One client connection: the protocol state machine from startup to Terminate.

Bytes come in through an asyncio stream and are decoded by ``messages``; SQL runs in a worker
thread (``asyncio.to_thread``) so a slow statement never blocks other connections; results
go out as encoded messages. Any error while handling a message, a bug of ours included
(XX000, logged with its statement), becomes an ErrorResponse and the session goes on; in the
extended protocol the messages up to Sync are skipped. Only a broken stream (a bad message
length or type) ends the connection, with FATAL 08P01.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import secrets
import ssl
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kv import interrupt
from kv.errors import Db9Error
from kv.interrupt import Reason
from pgwire import messages as M
from pgwire.auth import (
    MECHANISM,
    MECHANISM_PLUS,
    AuthFailed,
    InvalidAuthorization,
    Role,
    ScramExchange,
)
from pgwire.slots import Ticket
from pgwire.tls import ServerContext
from pgwire.values import decode_binary, decode_text, encode_binary, encode_text
from sql import activity, encodings, memory, roles
from sql import prepared as prep
from sql import settings as guc
from sql.activity import Backend
from sql.errors import (
    FeatureNotSupported,
    InternalError,
    InvalidCatalogName,
    InvalidParameterValue,
    InvalidSqlStatementName,
    Raised,
    from_python,
)
from sql.prepared import Prepared
from sql.result import Result, Stream
from sql.session import Session
from sql.statements import Statement
from sql.types import OUTPUT_STYLE, SqlType, output_style

if TYPE_CHECKING:
    from pgwire.server import PgServer

log = logging.getLogger(__name__)
T = TypeVar("T")
_I32 = struct.Struct("!i")
_WRITE_HIGH_WATER = 1 << 16
_IDLE_SESSION = "terminating connection due to idle-session timeout"
_IDLE_TXN = "terminating connection due to idle-in-transaction timeout"
_IDLE_MESSAGE = "terminating connection due to idle timeout: a message was left incomplete"
_AUTH_TIMEOUT = "canceling authentication due to timeout"
# The largest message before login (SASL's): PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH.
_AUTH_MESSAGE = 65535
# Incomplete messages larger than this reserve their length from the tenant's buffer budget
# (below it, what a connection buffers is bounded by _READ_AHEAD anyway).
_CHARGE_FROM = 1 << 16
_READ_AHEAD = 1 << 20  # what a client may send while its statement runs, before back-pressure
# Rows go out in batches: each is fetched and encoded in a worker thread (one hop), then
# written; a batch ends after _BATCH_BYTES of encoded rows, so memory holds about two of them.
_FETCH_ROWS = 256
_BATCH_BYTES = 1 << 18
_NO_LIMIT = 1 << 62
_COPY_QUEUE = 16  # CopyData pieces read ahead of the statement applying them
_COPY_PIECE = 1 << 16  # bytes of buffered CopyData messages joined into one piece


class Closed(Exception):
    """The client went away, or we are ending the connection."""


class BufferBudgetExceeded(M.FramingError):
    """A large message would take the tenant's buffer budget past its limit: the connection
    ends (its message cannot be skipped unread) and the other sessions keep their memory."""

    sqlstate = "53200"  # out_of_memory


@dataclass
class Portal:
    prepared: Prepared
    params: list[Any]
    formats: list[int]
    statement: str = ""  # the name it was bound from
    result: Result | None = None  # rows as a list (materialised) or a stream (still running)
    pos: int = 0
    encode: RowEncoder | None = None  # DataRow of a streamed row

    def close(self) -> None:
        """Release a suspended query (its transaction, its plan's memory)."""
        if self.result is not None and self.result.stream is not None:
            self.result.stream.close()


@dataclass
class ConnState:
    # The unnamed statement; named ones are the session's (Session.prepared, shared with
    # SQL's PREPARE and DEALLOCATE).
    statements: dict[str, Prepared] = field(default_factory=dict)
    portals: dict[str, Portal] = field(default_factory=dict)
    skipping: bool = False  # after an error in the extended protocol, until Sync
    # Encoded RowDescriptions by (statement name, result formats), with the statement they
    # describe: libpq describes the portal on every execution of a prepared statement.
    row_descriptions: dict[tuple[str, tuple[int, ...]], tuple[Prepared, bytes]] = field(
        default_factory=dict
    )


class RowEncoder:
    """Encodes rows (DataRows, or COPY's CopyData) under the session's output settings
    (extra_float_digits, bytea_output, TimeZone): ``style`` is in force while a batch of rows
    is produced and encoded (a cast to local time reads the session's TimeZone)."""

    def __init__(
        self, encode_row: Callable[[tuple[Any, ...]], bytes], settings: dict[str, str]
    ) -> None:
        self.encode_row = encode_row
        self.style = output_style(settings)
        self.codec = encodings.codec(settings.get("client_encoding", "UTF8"))

    @classmethod
    def data_rows(
        cls, columns: list[tuple[str, SqlType]], formats: list[int], settings: dict[str, str]
    ) -> RowEncoder:
        """DataRows in the result formats asked for."""
        encoders = []
        for i, (_, t) in enumerate(columns):
            fmt = formats[0] if len(formats) == 1 else (formats[i] if i < len(formats) else 0)
            encoders.append((encode_binary if fmt == 1 else encode_text, t))

        def encode(row: tuple[Any, ...]) -> bytes:
            return M.data_row([enc(v, t) for v, (enc, t) in zip(row, encoders, strict=True)])

        return cls(encode, settings)

    def __call__(self, row: tuple[Any, ...]) -> bytes:
        return self.encode_row(row)

    def styled(self, row: tuple[Any, ...]) -> bytes:
        """One row, encoded under ``style`` (outside a batch that has set it)."""
        token = OUTPUT_STYLE.set(self.style)
        codec = encodings.CLIENT_CODEC.set(self.codec)
        try:
            return self(row)
        finally:
            encodings.CLIENT_CODEC.reset(codec)
            OUTPUT_STYLE.reset(token)


def _next_batch(stream: Stream, encode: RowEncoder, limit: int) -> list[bytes]:
    """DataRows of up to ``limit`` more rows (about _BATCH_BYTES); runs in a worker thread,
    as fetching reads the store. Raises the statement's error only when no row came first."""
    out: list[bytes] = []
    size = 0
    token = OUTPUT_STYLE.set(encode.style)
    codec = encodings.CLIENT_CODEC.set(encode.codec)
    try:
        while len(out) < limit and size < _BATCH_BYTES:
            for row in stream.fetch(min(_FETCH_ROWS, limit - len(out))):
                data = encode(row)
                out.append(data)
                size += len(data)
            if stream.done or stream.error is not None:
                break
    except BaseException:
        stream.close()  # a row that cannot be encoded ends the statement too
        raise
    finally:
        encodings.CLIENT_CODEC.reset(codec)
        OUTPUT_STYLE.reset(token)
    return out


# Settings whose changes are reported (GUC_REPORT) as they are: DateStyle and IntervalStyle
# are not, as db9 prints values in ISO style whatever they say.
_REPORTED = ("TimeZone", "application_name", "client_encoding")
# Where PostgreSQL 15 raises a PL/pgSQL RAISE notice: clients (asyncpg's as_dict) expect the
# source fields.
_RAISE_SOURCE = {"F": "pl_exec.c", "L": "3907"}


def _fields(columns: list[tuple[str, SqlType]], formats: list[int]) -> list[M.Field]:
    out = []
    for i, (name, t) in enumerate(columns):
        fmt = formats[0] if len(formats) == 1 else (formats[i] if i < len(formats) else 0)
        out.append(M.Field(name, t.oid, t.typlen if t.typlen > 0 else -1, t.typmod, fmt))
    return out


def _check_formats(formats: list[int]) -> None:
    for f in formats:
        if f not in (0, 1):
            raise InvalidParameterValue(f"unsupported format code: {f}")


class PgConnection:
    def __init__(
        self, server: PgServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.session: Session | None = None
        self.user = ""  # the login's user name, once logged in
        self.credential = b""  # Role.credential it logged in with
        self.tls = False
        self.pid = 0
        self.secret = secrets.randbits(31)
        self.reported: dict[str, str] = {}  # ParameterStatus values the client was sent
        self.backend_start = dt.datetime.now(dt.UTC)  # pg_stat_activity (sql.activity.Wire)
        self.state = ConnState()
        self.out: list[bytes] = []
        self.ev = asyncio.get_running_loop()
        self.buf = bytearray()  # bytes read from the socket and not yet parsed
        self.pos = 0
        self.max_message = _AUTH_MESSAGE  # the server's max_message_bytes once logged in
        self.at_message_start = False
        self.waiting_since: float | None = None  # loop time when an idle wait began
        # When the message being read began to arrive: the idle timeout runs from there, so
        # a client trickling a byte now and then cannot hold a message (and its buffer) open.
        self.message_since: float | None = None
        self.address = self.client_address()[0] or "local"  # a Unix socket's clients: one
        self.pending = False  # counted among the server's logins in progress
        self.idle_timer: asyncio.TimerHandle | None = None
        self.ticket: Ticket | None = None  # the statement running in a slot, if any
        # The statement whose rows are being sent: between two batches no ticket runs, and a
        # cancel or shutdown must still reach it.
        self.sending: Stream | None = None
        # Why the connection is ending (CLIENT_GONE, SHUTDOWN); it ends once the statement stops.
        self.stop_reason: Reason | None = None
        self.fatal_sent = False
        # ReadyForQuery outside a transaction was the last thing sent and no message has come
        # since: a notification may be sent at once (PostgreSQL's idle ProcessNotifyInterrupt).
        self.idle = False

    # -- what pg_stat_activity and inet_*() show (sql.activity.Wire) ----------------------------

    def _address(self, name: str) -> tuple[str | None, int | None]:
        addr = self.writer.get_extra_info(name)
        if isinstance(addr, tuple) and len(addr) >= 2:
            return str(addr[0]), int(addr[1])
        return None, None  # a Unix socket

    def client_address(self) -> tuple[str | None, int | None]:
        return self._address("peername")

    def local_address(self) -> tuple[str | None, int | None]:
        return self._address("sockname")

    def ssl_info(self) -> tuple[str, str, int] | None:
        obj = self.writer.get_extra_info("ssl_object") if self.tls else None
        if obj is None:
            return None
        cipher = obj.cipher()
        return (obj.version() or "", cipher[0], cipher[2]) if cipher else None

    def signal(self, pid: int, terminate: bool) -> None:
        """pg_cancel_backend / pg_terminate_backend, from a statement's worker thread: the
        target connection is told on the event loop."""
        mine = self.session.db if self.session is not None else None
        for conn in self.server.connections():
            if conn.pid == pid and conn.session is not None and conn.session.db == mine:
                if terminate:
                    self.ev.call_soon_threadsafe(conn.terminate)
                else:
                    self.ev.call_soon_threadsafe(conn.interrupt, Reason.CANCEL)

    def backends(self) -> list[Backend]:
        mine = self.session.db if self.session is not None else None
        return [
            activity.describe(conn.session, conn)
            for conn in self.server.connections()
            if conn.session is not None and conn.session.db == mine and conn.pid
        ]

    # -- plumbing ------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.out.append(data)

    async def flush(self) -> None:
        if self.out:
            self.writer.write(b"".join(self.out))
            self.out.clear()
        # Wait only when the kernel is not keeping up: a reply to a small query goes out
        # at once, and drain() costs a coroutine switch per message otherwise.
        if self.writer.transport.get_write_buffer_size() > _WRITE_HIGH_WATER:
            await self.writer.drain()

    async def _fill(self, need: int) -> None:
        """Read until ``need`` unread bytes are buffered. A client's Bind, Execute and Sync
        usually arrive in one packet, so most messages are parsed with no socket read."""
        while len(self.buf) - self.pos < need:
            if self.pos:
                del self.buf[: self.pos]
                self.pos = 0
            # Every wait for the client is timed: at a message's start as idle, in the middle
            # of one from when it began (a client that stops mid-message is not busy).
            since = self.message_since
            self.waiting_since = self.ev.time() if since is None else since
            self._arm_idle_timer()
            try:
                data = await self.reader.read(1 << 16)
            except ConnectionError:
                raise Closed from None
            finally:
                self.waiting_since = None
            if not data:
                raise Closed
            self.buf += data

    def _idle_limit(self) -> tuple[float, str, str]:
        """How long this connection may wait for the client now, and how it ends past that:
        the server's idle timeout, or the session's idle_in_transaction_session_timeout
        (inside a block) or idle_session_timeout (outside one), whichever is shorter."""
        session = self.session
        message = _IDLE_SESSION if session is None or self.at_message_start else _IDLE_MESSAGE
        limit = (self.server.idle_timeout, "57P05", message)
        if session is not None and self.at_message_start:
            if session.in_block:
                name, sqlstate, message = "idle_in_transaction_session_timeout", "25P03", _IDLE_TXN
            else:
                name, sqlstate, message = "idle_session_timeout", "57P05", _IDLE_SESSION
            own = (guc.seconds(session.settings, name), sqlstate, message)
            if 0 < own[0] < limit[0]:
                limit = own
        return limit

    def _arm_idle_timer(self) -> None:
        """One timer per connection, re-armed lazily when it fires: cheaper than a timeout
        around every read, and a silent client is still cut off on time. It is moved
        earlier when a session's own timeout is shorter than the time it has left."""
        since = self.waiting_since
        due = (self.ev.time() if since is None else since) + self._idle_limit()[0]
        if self.idle_timer is not None and self.idle_timer.when() > due:
            self.idle_timer.cancel()
            self.idle_timer = None
        if self.idle_timer is None:
            self.idle_timer = self.ev.call_at(due, self._idle_check)

    def _idle_check(self) -> None:
        self.idle_timer = None
        since = self.waiting_since
        if since is None:
            return  # busy now; the next wait re-arms the timer
        limit, sqlstate, message = self._idle_limit()
        left = since + limit - self.ev.time()
        if left > 0:
            self.idle_timer = self.ev.call_later(left, self._idle_check)
            return
        self.send(M.error_response(M.Notice("FATAL", sqlstate, message)))
        self.writer.write(b"".join(self.out))
        self.out.clear()
        self.writer.close()  # the pending read ends with EOF and the connection unwinds

    async def _read(self, n: int) -> bytes:
        if len(self.buf) - self.pos < n:
            await self._fill(n)
        start = self.pos
        self.pos = start + n
        return bytes(self.buf[start : start + n])

    def _more_copy_data(self, first: bytes) -> bytes:
        """``first`` and the data of the CopyData messages wholly buffered after it, up to
        _COPY_PIECE bytes; the first other message stays unread."""
        buf, pos = self.buf, self.pos
        parts = [first]
        size = len(first)
        while size < _COPY_PIECE and len(buf) - pos >= 5 and buf[pos] == 0x64:  # b"d"
            length = _I32.unpack_from(buf, pos + 1)[0]
            end = pos + 1 + length
            if len(buf) < end or length < 4 or length > self.max_message:
                break  # read_message waits for the rest, or reports the bad length
            parts.append(bytes(buf[pos + 5 : end]))
            size += length - 4
            pos = end
        self.pos = pos
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _take(self) -> tuple[bytes, bytes] | None:
        """The next message if it is wholly buffered (the common case), without awaiting."""
        buf, pos = self.buf, self.pos
        if len(buf) - pos < 5:
            return None
        length = _I32.unpack_from(buf, pos + 1)[0]
        end = pos + 1 + length
        if len(buf) < end or length < 4 or length > self.max_message:
            return None  # read_message waits for the rest, or reports the bad length
        self.pos = end
        return bytes(buf[pos : pos + 1]), bytes(buf[pos + 5 : end])

    async def read_message(self) -> tuple[bytes, bytes]:
        buf = self.buf
        if len(buf) - self.pos < 5:
            self.at_message_start = True
            try:
                await self._fill(5)
            finally:
                self.at_message_start = False
            buf = self.buf
        pos = self.pos
        kind = bytes(buf[pos : pos + 1])
        length = _I32.unpack_from(buf, pos + 1)[0]
        if length < 4:
            raise M.FramingError(f"invalid message length {length}")
        if length > self.max_message:
            setting = " (max_message_bytes)" if self.session is not None else ""
            raise M.FramingError(
                f"invalid message length {length}: over the server's limit of "
                f"{self.max_message} bytes{setting}"
            )
        end = pos + 1 + length
        if len(buf) < end:
            await self._fill_message(length)
            buf, pos = self.buf, self.pos
            end = pos + 1 + length
        self.pos = end
        return kind, bytes(buf[pos + 5 : end])

    async def _fill_message(self, length: int) -> None:
        """Buffer the rest of a message of ``length`` bytes (its type byte aside), within
        the idle timeout from now and, for a large one, the tenant's buffer budget."""
        tenant = self.session.db if self.session is not None else None
        charge = length if tenant is not None and length > _CHARGE_FROM else 0
        admission = self.server.admission
        if tenant is not None and charge and not admission.reserve(tenant, charge):
            raise BufferBudgetExceeded(
                f"message of {length} bytes refused: this database's sessions hold "
                f"{admission.buffered(tenant)} bytes of incomplete messages already "
                f"(max_tenant_buffer_bytes {admission.tenant_buffer_bytes})"
            )
        self.message_since = self.ev.time()
        try:
            await self._fill(1 + length)
        finally:
            self.message_since = None
            if tenant is not None and charge:
                admission.release(tenant, charge)

    async def run_sql(self, fn: Callable[[], T], *, watch: bool = True) -> T:
        """Run ``fn`` (a statement's work) in one of the server's statement slots, watching
        the socket meanwhile. If the client goes away or the server shuts down, the statement
        is interrupted, and once it has stopped (its transaction still open for ``serve`` to
        roll back) the connection ends with ``Closed``. A caller that reads the socket itself
        while ``fn`` runs (COPY FROM) passes ``watch=False``: one reader at a time."""
        if self.fatal_sent:  # told to end (shutdown, DROP DATABASE WITH (FORCE)): no more
            raise Closed
        session = self.session
        ticket = Ticket(session.db, session.cancel) if session is not None else Ticket(b"")
        self.ticket = ticket
        watcher = self.ev.create_task(self._watch_client()) if watch else None
        try:
            return await self.server.slots.run(ticket, fn)
        finally:
            self.ticket = None
            if watcher is not None:
                watcher.cancel()
                await asyncio.wait({watcher})  # its read must end before the next one starts
            reason = self.stop_reason
            if reason is not None:
                if reason is Reason.SHUTDOWN:
                    self.end_with(*reason.value)
                raise Closed  # the connection ends whatever the statement did

    async def _watch_client(self) -> None:
        """While a statement runs: read ahead what the client sends (up to a bound); at EOF
        or a reset, interrupt the statement, again every 100 ms until it stops (an interrupt
        can land just before the statement installs its control)."""
        try:
            while len(self.buf) - self.pos < _READ_AHEAD:
                data = await self.reader.read(1 << 16)
                if not data:
                    break
                self.buf += data
            else:
                return  # the client is sending a lot: stop reading (back-pressure)
        except ConnectionError:
            pass
        while True:
            self.interrupt(Reason.CLIENT_GONE)
            await asyncio.sleep(0.1)

    def interrupt(self, reason: Reason) -> None:
        """Stop the running (or queued) statement; CLIENT_GONE and SHUTDOWN also end the
        connection when it has stopped. Called on the event loop."""
        if reason is not Reason.CANCEL and self.stop_reason is None:
            self.stop_reason = reason
        ticket = self.ticket
        if ticket is not None:
            self.server.slots.interrupt(ticket, reason)
        if self.sending is not None:
            self.sending.interrupt(reason)

    def terminate(self) -> None:
        """Server shutdown: an idle connection gets FATAL 57P01 now, a busy one as soon as its
        statement has stopped (``run_sql``)."""
        self.interrupt(Reason.SHUTDOWN)
        if self.ticket is None:
            self.end_with(*Reason.SHUTDOWN.value)

    def end_with(self, code: str, message: str) -> None:
        """Send what is pending and a FATAL error, and close: an ending decided outside the
        connection's own reads (its pending read then sees EOF and the connection unwinds)."""
        if self.fatal_sent:
            return
        self.fatal_sent = True
        self.server.ended()
        self.send(M.error_response(M.Notice("FATAL", code, message)))
        with contextlib.suppress(Exception):  # the transport may already be gone
            self.writer.write(b"".join(self.out))
            self.writer.close()
        self.out.clear()

    # -- the connection's life -----------------------------------------------------------------

    async def serve(self) -> None:
        try:
            if not await self._login():
                return
            await self.loop()
        except M.ProtocolViolation as exc:
            self.send(M.error_response(M.Notice("FATAL", exc.sqlstate, exc.message)))
            with contextlib.suppress(ConnectionError):
                await self.flush()
        except (Closed, ConnectionError):
            pass
        except Exception as exc:  # a bug of ours outside any message (startup): end this one
            log.exception("pgwire connection failed")
            self.send(M.error_response(M.Notice("FATAL", "XX000", f"internal error: {exc!r}")))
            with contextlib.suppress(Exception):
                await self.flush()
        finally:
            if self.idle_timer is not None:
                self.idle_timer.cancel()
            if self.session is not None:
                session = self.session
                self.session = None
                release = session.advisory.detach()  # its advisory locks go, off the loop
                session.close()  # drops the transaction buffer: no I/O, safe on the loop
                if release is not None:
                    with contextlib.suppress(RuntimeError):
                        self.ev.run_in_executor(None, release)
                if session.temp.used:  # its temporary tables go, off the loop
                    with contextlib.suppress(RuntimeError):
                        self.ev.run_in_executor(None, session.drop_temp)
                # What the session's statements freed goes back to the OS (glibc keeps it in
                # its arenas otherwise); a few ms, off the loop.
                with contextlib.suppress(RuntimeError):  # the loop's executor is shut down
                    self.ev.run_in_executor(None, memory.trim)
            self._leave_pending()
            self.server.forget(self)
            with contextlib.suppress(Exception):  # the transport may already be gone
                self.writer.close()

    async def _login(self) -> bool:
        """``startup`` within the authentication timeout, counted meanwhile among the
        logins in progress; True once logged in."""
        limit = asyncio.timeout(self.server.config.authentication_timeout_s)
        try:
            async with limit:
                return await self.startup()
        except TimeoutError:
            if not limit.expired():
                raise
            self.send(M.error_response(M.Notice("FATAL", "57014", _AUTH_TIMEOUT)))
            with contextlib.suppress(Exception):
                await self.flush()
            return False
        finally:
            self._leave_pending()

    def _leave_pending(self) -> None:
        if self.pending:
            self.pending = False
            self.server.admission.leave(self.address)

    async def startup(self) -> bool:
        while True:
            length = _I32.unpack(await self._read(4))[0]
            if length < 8 or length > 10_000:
                raise M.ProtocolViolation(f"invalid startup packet length {length}")
            msg = M.decode_startup(await self._read(length - 4))
            if isinstance(msg, M.SSLRequest):
                if self.server.tls_context is None or self.tls:
                    self.writer.write(b"N")
                    await self.writer.drain()
                    continue
                if self.pos < len(self.buf):
                    # Bytes sent before the handshake would be taken as if encrypted
                    # (CVE-2021-23214): refuse them.
                    raise M.ProtocolViolation("received unencrypted data after SSL request")
                self.writer.write(b"S")
                await self.writer.drain()
                try:
                    await self.writer.start_tls(self.server.tls_context)
                except (ssl.SSLError, ConnectionError) as exc:
                    # A scanner or a misconfigured client: one line, not a traceback each.
                    log.info("pgwire: TLS handshake with %s failed: %s", self.address, exc)
                    raise Closed from None
                self.tls = True
                continue
            if isinstance(msg, M.GSSENCRequest):
                self.writer.write(b"N")
                await self.writer.drain()
                continue
            if isinstance(msg, M.CancelRequest):
                self.server.cancel(msg.pid, msg.secret)
                return False
            return await self.authenticate(msg.params)

    async def fatal(self, code: str, message: str) -> bool:
        self.send(M.error_response(M.Notice("FATAL", code, message)))
        await self.flush()
        return False

    def _role_exchange(self, user: str) -> tuple[Role | None, ScramExchange]:
        authenticator = self.server.authenticator
        role = authenticator.role(user)
        return role, ScramExchange(role, authenticator.fake_salt(user))

    def _tls_end_point(self) -> bytes | None:
        """The tls-server-end-point channel binding data of this TLS connection, else None."""
        ctx = self.server.tls_context
        return ctx.end_point if self.tls and isinstance(ctx, ServerContext) else None

    async def authenticate(self, params: dict[str, str]) -> bool:
        user = params.get("user", "")
        if not user:
            return await self.fatal("28000", "no PostgreSQL user name specified in startup packet")
        if self.server.require_tls and not self.tls:
            return await self.fatal(
                "28000", f'connection for user "{user}" requires TLS (use sslmode=require)'
            )
        admission = self.server.admission
        throttled = admission.throttled(self.address, user)
        if throttled is not None:  # refused before any proof is checked: no guess counts
            return await self.fatal("28000", throttled)
        try:
            # Off the event loop: reading the role store may wait for a Raft leader, and an
            # exchange for an unknown user derives a key; other connections go on meanwhile.
            role, exchange = await asyncio.to_thread(self._role_exchange, user)
        except Db9Error as exc:  # the store could not be read (a full disk, no leader)
            return await self.fatal(exc.sqlstate, exc.message)
        end_point = self._tls_end_point()
        self.send(M.auth_sasl([MECHANISM_PLUS, MECHANISM] if end_point else [MECHANISM]))
        await self.flush()
        try:
            kind, body = await self.read_message()
            if kind != b"p":
                raise M.ProtocolViolation("expected SASLInitialResponse")
            r = M.Reader(body)
            exchange.use_mechanism(r.cstring(), end_point)
            n = r.int32()
            first = r.bytes_(n).decode("utf-8", "replace")
            self.send(M.auth_sasl_continue(exchange.first(first).encode()))
            await self.flush()
            kind, body = await self.read_message()
            if kind != b"p":
                raise M.ProtocolViolation("expected SASLResponse")
            client_final = body.decode("utf-8", "replace")
            if len(exchange.candidates) > 16:  # a role with many live tokens: off the loop
                final = await asyncio.to_thread(exchange.final_message, client_final)
            else:
                final = exchange.final_message(client_final)
        except AuthFailed:
            admission.failed(self.address, user)
            return await self.fatal("28P01", f'password authentication failed for user "{user}"')
        except InvalidAuthorization as exc:
            admission.failed(self.address, user)
            return await self.fatal(exc.sqlstate, exc.message)
        if role is None:  # the exchange cannot succeed for an unknown user; be safe anyway
            admission.failed(self.address, user)
            return await self.fatal("28P01", f'password authentication failed for user "{user}"')
        if role.connlimit >= 0 and self.server.sessions_of(user) >= role.connlimit:
            return await self.fatal("53300", f'too many connections for role "{role.acts_as}"')
        # A session slot is taken only now: sockets without credentials cannot fill them.
        self.user = user  # counted by sessions_of from now on (no await till it is admitted)
        if not self.server.admit(self):
            return await self.fatal("53300", "sorry, too many clients already")
        # No dbname is the user name, as in PostgreSQL (libpq sends it so): 3D000 unless a
        # database has that name. Connection strings name "postgres".
        dbname = params.get("database") or user
        database, info = role.database, None
        try:
            if role.directory is not None:  # off the loop: the registry may wait for a leader
                database, info = await asyncio.to_thread(role.directory.open, dbname)
            elif dbname not in ("postgres", database.name):
                raise InvalidCatalogName(f'database "{dbname}" does not exist')
        except Db9Error as exc:
            return await self.fatal(exc.sqlstate, exc.message)
        if role.acts_as and database.db != role.database.db:
            # A database's role reaches that database only (roles are not cluster-wide).
            return await self.fatal("42501", f'permission denied for database "{dbname}"')
        self.send(M.auth_sasl_final(final.encode()))
        self.send(M.auth_ok())
        role_name = user.split(".", 1)[1] if "." in user else user
        self.session = Session(database, user=role.owner if role.acts_as else role_name)
        if role.acts_as:
            roles.login_as(self.session, role.acts_as, role.superuser)
        self.credential = role.credential
        if info is not None:
            if not role.acts_as:  # CREATE/DROP DATABASE: the database's superuser only
                self.session.directory = role.directory
            self.session.login_defaults(info.settings)  # ALTER DATABASE SET
        if params.get("application_name"):
            self.session.settings["application_name"] = params["application_name"]
        for name in ("client_encoding", "TimeZone"):  # startup options a login sets
            if params.get(name):
                try:
                    value = self.session.set_config(name.lower(), params[name])
                    self.session.defaults[name.lower()] = value  # what RESET returns to
                except Db9Error as exc:
                    return await self.fatal(exc.sqlstate, exc.message)
        for name in (
            "server_version",
            "server_encoding",
            "client_encoding",
            "DateStyle",
            "IntervalStyle",
            "TimeZone",
            "integer_datetimes",
            "standard_conforming_strings",
            "application_name",
            "is_superuser",
        ):
            value = self.session.settings.get(name.lower(), "")
            self.reported[name] = value
            self.send(M.parameter_status(name, value))
        encodings.CLIENT_CODEC.set(encodings.codec(self.session.settings["client_encoding"]))
        self.pid = self.server.register(self)
        self.session.set_pid(self.pid)
        self.session.notify.listener.wake = self._wake
        self.session.wire = self
        self.max_message = self.server.config.max_message_bytes
        self.send(M.backend_key_data(self.pid, self.secret))
        self.send(M.ready_for_query("I"))
        await self.flush()
        return True

    # -- after login ---------------------------------------------------------------------------

    async def loop(self) -> None:
        handlers: dict[bytes, Callable[[bytes], None]] = {
            b"B": lambda body: self.bind(M.decode_bind(body)),
            b"D": lambda body: self.describe(M.decode(b"D", body)),  # type: ignore[arg-type]
            b"C": lambda body: self.close_message(M.decode(b"C", body)),  # type: ignore[arg-type]
        }
        state = self.state
        while True:
            kind, body = self._take() or await self.read_message()
            self.idle = False
            if kind == b"S":
                if body:  # answered as PostgreSQL does: an error, then ReadyForQuery
                    self.send_error(M.ProtocolViolation("invalid message format"))
                state.skipping = False
                if self.session is not None:
                    await self._sync_session()
                self.send(M.ready_for_query(self._status()))
                await self.flush()
                continue
            handler = handlers.get(kind)
            if handler is None:
                if state.skipping and kind not in b"QXH":
                    continue  # after an error, until Sync: not even decoded
                try:
                    msg = M.decode(kind, body)
                except M.FramingError:
                    raise
                except M.ProtocolViolation as exc:  # a bad body in a good frame
                    self.send_error(exc)
                    if kind in b"QF":  # a cycle of its own: it ends with ReadyForQuery
                        self.send(M.ready_for_query(self._status()))
                    else:
                        state.skipping = True
                    await self.flush()
                    continue
                if isinstance(msg, M.Terminate):
                    return
                if isinstance(msg, M.Query):
                    if self._over_limit():
                        self.send(M.ready_for_query(self._status()))
                        await self.flush()
                        continue
                    try:
                        await self.simple_query(msg.sql)
                    except (Closed, ConnectionError, M.FramingError):
                        raise
                    except Exception as exc:  # past simple_query's own handling
                        self.send_error(self._unexpected(exc, msg.sql))
                        self.send(M.ready_for_query(self._status()))
                        await self.flush()
                    continue
                if isinstance(msg, M.Flush):
                    await self.flush()
                    continue
                if isinstance(msg, M.FunctionCall):
                    self.send_error(
                        FeatureNotSupported("the function call protocol is not supported")
                    )
                    self.send(M.ready_for_query(self._status()))
                    await self.flush()
                    continue
                if isinstance(msg, M.CopyData | M.CopyDone | M.CopyFail):
                    continue  # left over from a COPY that failed: PostgreSQL ignores them
            if state.skipping:  # after an error, until Sync
                continue
            try:
                if handler is not None:
                    handler(body)
                elif isinstance(msg, M.Execute):
                    if self._over_limit():
                        state.skipping = True
                    else:
                        session = self.session
                        assert session is not None
                        session.refuse_in_failed_block(self._portal(msg.portal).prepared.stmt)
                        self._pipeline_if_more(msg)
                        if not self.execute_inline(msg) and not await self._inline_when_ready(msg):
                            await self.execute(msg)
                elif isinstance(msg, M.Parse):
                    await self.parse(msg)
                else:
                    raise M.ProtocolViolation(f"unexpected message {type(msg).__name__}")
            except (Closed, ConnectionError, M.FramingError):
                raise
            except Db9Error as exc:
                self.send_error(exc)
                state.skipping = True
                await self.flush()  # at once, as PostgreSQL's errors: a pipelining client
                # (asyncpg's executemany) stops sending the rest
            except Exception as exc:  # a bug of ours: fail this message, keep the session
                self.send_error(self._unexpected(exc, self._sql_of(kind, body)))
                state.skipping = True
                await self.flush()

    def _unexpected(self, exc: Exception, sql: str) -> Db9Error:
        """The error to answer for a non-db9 exception: a range or resource failure by its
        SQLSTATE, anything else an internal error, logged here once with its statement."""
        known = from_python(exc)
        if known is not None:
            return known
        log.error("internal error in statement %r", sql, exc_info=exc)
        return InternalError(f"internal error: {type(exc).__name__}: {exc}")

    def _sql_of(self, kind: bytes, body: bytes) -> str:
        """The statement a message was about, for the log."""
        try:
            msg = M.decode(kind, body)
        except Db9Error:
            return ""
        prepared = None
        if isinstance(msg, M.Parse):
            return msg.sql
        if isinstance(msg, M.Bind):
            prepared = self._find_statement(msg.statement)
        elif isinstance(msg, M.Execute | M.Describe | M.Close):
            name = msg.portal if isinstance(msg, M.Execute) else msg.name
            portal = self.state.portals.get(name)
            prepared = portal.prepared if portal is not None else self._find_statement(name)
        stmt = prepared.stmt if prepared is not None else None
        return stmt.text if stmt is not None else ""

    def _over_limit(self) -> bool:
        """True (after sending the error) when the tenant's QPS limit refuses a statement."""
        session = self.session
        if session is None or self.server.admit_statement(session.db):
            return False
        limit = self.server.config.tenant_qps_limit
        self.send(
            M.error_response(
                M.Notice(
                    "ERROR",
                    "53400",
                    "tenant query rate limit exceeded",
                    f"at most {limit:g} statements per second",
                )
            )
        )
        return True

    def _status(self) -> str:
        """The transaction status for ReadyForQuery; first a ParameterStatus for each reported
        setting that changed since the last one (SET, RESET, set_config, a rollback)."""
        if self.session is None:
            return "I"
        for name in _REPORTED:
            value = self.session.settings.get(name.lower(), "")
            if self.reported.get(name) != value:
                self.reported[name] = value
                self.send(M.parameter_status(name, value))
                if name == "client_encoding":  # what this connection's text is from now on
                    encodings.CLIENT_CODEC.set(encodings.codec(value))
        status = self.session.status
        if status == "I":
            self.send_notifications()
            self.idle = True
        return status

    def send_notifications(self) -> None:
        """The session's queued notifications, as NotificationResponse messages."""
        assert self.session is not None
        for note in self.session.notify.listener.take():
            self.send(M.notification_response(note.pid, note.channel, note.payload))

    def _wake(self) -> None:
        """The session has a notification queued (called from any thread)."""
        with contextlib.suppress(RuntimeError):  # the server has stopped: nobody to tell
            self.ev.call_soon_threadsafe(self._notify_idle)

    def _notify_idle(self) -> None:
        """A notification was queued (on the event loop): sent now if the connection is idle
        and waiting for the client, else with the next ReadyForQuery outside a block."""
        session = self.session
        if session is None or not self.idle or self.waiting_since is None or self.fatal_sent:
            return
        codec = encodings.CLIENT_CODEC.set(encodings.codec(session.settings["client_encoding"]))
        try:
            self.send_notifications()
        finally:
            encodings.CLIENT_CODEC.reset(codec)
        if self.out:
            with contextlib.suppress(Exception):  # the transport may be gone: reads see it
                self.writer.write(b"".join(self.out))
            self.out.clear()

    def send_error(self, exc: Db9Error) -> None:
        """Answer an error. In a transaction block any error fails the block, as in
        PostgreSQL: one raised outside the SQL layer too (a bad parameter, a bad message)."""
        session = self.session
        if session is not None and session.in_block:
            session.failed = True
        position = getattr(exc, "position", None)
        self.send(
            M.error_response(
                M.Notice(
                    "ERROR",
                    exc.sqlstate,
                    exc.message,
                    exc.detail,
                    getattr(exc, "hint", None),
                    position=position,
                    routine=getattr(exc, "routine", None),
                )
            )
        )

    def send_notices(self) -> None:
        assert self.session is not None
        for text in self.session.notices:
            if isinstance(text, Raised):
                fields = {"W": text.context, **_RAISE_SOURCE} if text.context else _RAISE_SOURCE
                notice = M.Notice(text.severity, text.sqlstate, text, text.detail, text.hint,
                                  fields=fields, routine="exec_stmt_raise")  # fmt: skip
                self.send(M.notice_response(notice))
            else:
                self.send(M.notice_response(M.Notice("NOTICE", "00000", text)))
        self.session.notices.clear()

    def _pipeline_if_more(self, msg: M.Execute) -> None:
        """PostgreSQL runs the statements from the first Execute to Sync outside a block as
        one implicit transaction: an error rolls all of them back, and so does a ROLLBACK
        among them (asyncpg's executemany relies on it). When Sync is already buffered right
        behind this Execute (the common case) the statement runs on its own, as before;
        otherwise the session opens an implicit block that Sync ends (``_sync_session``)."""
        session = self.session
        assert session is not None
        if session.multi_statement or (session.in_block and not session.implicit):
            return
        portal = self.state.portals.get(msg.portal)
        if portal is None or portal.prepared.stmt is None or portal.prepared.stmt.command == "COPY":
            return  # an unknown portal fails on its own; COPY ... FROM STDIN reads on
        if not self._sync_follows():
            session.multi_statement = True

    def _sync_follows(self) -> bool:
        """Whether the buffered messages reach a Sync before any other Execute or Query."""
        buf, pos = self.buf, self.pos
        while len(buf) - pos >= 5:
            kind = buf[pos : pos + 1]
            if kind == b"S":
                return True
            length = _I32.unpack_from(buf, pos + 1)[0]
            if kind not in b"PBDCH" or length < 4:
                return False
            pos += 1 + length
        return False

    async def _sync_session(self) -> None:
        """Sync: the implicit transaction of the messages since the last one ends (it
        commits unless an error or a ROLLBACK ended it first), its suspended portals go."""
        session = self.session
        assert session is not None
        if session.multi_statement:
            if session.implicit:
                try:
                    await self.run_sql(session.end_statements)
                except Db9Error as exc:
                    self.send_error(exc)
            else:
                session.multi_statement = False
        if session.streams:
            self._end_implicit_transaction()

    def _end_implicit_transaction(self) -> None:
        """Sync outside a block ends the implicit transaction: its suspended portals go."""
        assert self.session is not None
        closed = self.session.end_implicit_transaction()
        if closed:
            portals = self.state.portals
            for name in [n for n, p in portals.items()
                         if p.result is not None and p.result.stream in closed]:  # fmt: skip
                del portals[name]

    def _first_batch(
        self, run: Callable[[], Result], formats: list[int], limit: int | None
    ) -> tuple[Result, list[bytes] | Exception]:
        """Run a statement and encode its first rows in the same worker-thread hop (most
        results fit in one batch). A failure while producing or encoding those rows is
        returned, not raised: as in PostgreSQL it reaches the client after RowDescription."""
        result = run()
        stream = result.stream
        if stream is None or result.columns is None:
            return result, []
        encode = RowEncoder.data_rows(result.columns, formats, self._settings())
        try:
            return result, _next_batch(stream, encode, limit or _NO_LIMIT)
        except Exception as exc:  # _next_batch has ended the statement
            return result, exc

    async def send_stream(
        self,
        stream: Stream,
        encode: RowEncoder,
        batch: list[bytes] | Exception | None,
        limit: int | None,
    ) -> int:
        """Send rows until the stream ends or ``limit`` rows went out; the number sent. An
        error is raised after the rows before it were sent, as PostgreSQL does."""
        sent = 0
        if isinstance(batch, Exception):
            raise batch
        self.sending = stream
        try:
            while True:
                if batch is None:
                    want = _NO_LIMIT if limit is None else limit - sent
                    batch = await self.run_sql(functools.partial(_next_batch, stream, encode, want))
                for data in batch:
                    self.send(data)
                sent += len(batch)
                batch = None
                await self.flush()
                if (stream.done and stream.error is None) or (limit is not None and sent >= limit):
                    return sent
        finally:
            self.sending = None

    def _settings(self) -> dict[str, str]:
        return self.session.settings if self.session is not None else {}

    def send_rows(self, result: Result, formats: list[int], start: int, stop: int | None) -> int:
        assert result.columns is not None
        encode = RowEncoder.data_rows(result.columns, formats, self._settings())
        rows = result.rows or []
        end = len(rows) if stop is None else min(stop, len(rows))
        for row in rows[start:end]:
            self.send(encode.styled(row))
        return end

    async def simple_query(self, sql: str) -> None:
        session = self.session
        assert session is not None
        # A simple query runs as if through the unnamed statement and portal: PostgreSQL
        # drops both first (drop_unnamed_stmt), and a later Bind to "" fails with 26000.
        self.state.statements.pop("", None)
        self._forget_descriptions("")
        unnamed = self.state.portals.pop("", None)
        if unnamed is not None:
            unnamed.close()

        try:
            stmts = session.split(sql)
        except Db9Error as exc:
            self.send_error(exc)
            stmts = None
        if stmts is not None and not stmts:
            self.send(M.empty_query())
        session.begin_statements(len(stmts or []))
        try:
            await self._run_simple(stmts or [])
        except BaseException:
            session.multi_statement = False  # the connection ends; closing rolls back
            raise
        if session.multi_statement or session.implicit:
            try:
                await self.run_sql(session.end_statements)
            except Db9Error as exc:
                self.send_error(exc)
        self.send(M.ready_for_query(self._status()))
        await self.flush()

    async def _run_simple(self, stmts: list[Statement]) -> None:
        """The statements of one simple query, each answered; the first error ends them."""
        session = self.session
        assert session is not None
        for stmt in stmts:
            moved = self._portal_move(stmt)
            if moved is not None:
                try:
                    count = await self._move_portal(*moved)
                except Db9Error as exc:
                    self.send_notices()
                    self.send_error(exc)
                    break
                self.send(M.command_complete(f"MOVE {count}"))
                continue
            run = functools.partial(session.run_statement, stmt, [], stream=True)
            try:
                result, first = await self.run_sql(
                    functools.partial(self._first_batch, run, [], None)
                )
            except Db9Error as exc:
                self.send_notices()
                self.send_error(exc)
                break
            self.send_notices()
            if result.copy is not None:
                try:
                    result = await self.copy(result)
                except Db9Error as exc:
                    self.send_error(exc)
                    break
            tag = result.tag
            if result.columns is not None:
                self.send(M.row_description(_fields(result.columns, [])))
                if result.stream is not None:
                    try:
                        await self.send_stream(
                            result.stream,
                            RowEncoder.data_rows(result.columns, [], self._settings()),
                            first,
                            None,
                        )
                    except (Closed, ConnectionError):
                        raise
                    except Exception as exc:
                        self.send_notices()
                        known = exc if isinstance(exc, Db9Error) else None
                        self.send_error(known or self._unexpected(exc, stmt.text))
                        break
                    finally:
                        result.stream.close()  # a no-op once it ended
                    tag = result.stream.tag or tag
                else:
                    self.send_rows(result, [], 0, None)
            self.send(M.command_complete(tag))

    def _portal_move(self, stmt: Statement) -> tuple[Portal, int | None] | None:
        """``MOVE [FORWARD] [n | ALL] name`` naming a protocol-level portal (a bound one, not a
        SQL cursor): PostgreSQL's portals and cursors share one namespace, and asyncpg's
        Cursor.forward() moves its bound portal so. The portal and the count (None: ALL)."""
        if stmt.command != "MOVE":
            return None
        words = stmt.text.strip().rstrip(";").split()
        name = words[-1].strip('"') if len(words) > 1 else ""
        portal = self.state.portals.get(name)
        if portal is None or portal.prepared.stmt is None:
            return None
        middle = [w.upper() for w in words[1:-1]]
        if middle[:1] == ["FORWARD"]:
            middle = middle[1:]
        if middle and middle[-1] in ("FROM", "IN"):
            middle = middle[:-1]
        if middle == ["ALL"]:
            return portal, None
        if not middle:
            return portal, 1
        if len(middle) == 1 and middle[0].isdigit():
            return portal, int(middle[0])
        return None  # backward and absolute moves: left to the SQL cursor path (34000)

    async def _move_portal(self, portal: Portal, count: int | None) -> int:
        """Skip ``count`` rows (all: None) of a bound portal, running it first if need be."""
        session = self.session
        assert session is not None
        if count == 0:
            return 0
        first: list[bytes] | Exception | None = None
        if portal.result is None:
            run = functools.partial(
                session.execute_prepared, portal.prepared, portal.params, stream=True
            )
            portal.result, first = await self.run_sql(
                functools.partial(self._first_batch, run, portal.formats, count)
            )
        result = portal.result
        assert result is not None
        if result.stream is None:
            rows = len(result.rows or [])
            end = rows if count is None else min(rows, portal.pos + count)
            moved, portal.pos = end - portal.pos, end
            return moved
        if isinstance(first, Exception):
            raise first
        moved = len(first or [])
        if result.stream.done or (count is not None and moved >= count):
            return moved
        return moved + await self.send_stream(
            result.stream, RowEncoder(_skip_row, {}), None, None if count is None else count - moved
        )

    async def copy(self, request: Result) -> Result:
        """The COPY sub-protocol: stream data in (CopyData until CopyDone) or out."""
        session = self.session
        assert session is not None
        spec = request.copy
        assert spec is not None, "only a COPY result starts the COPY sub-protocol"
        if spec.direction == "out":
            return await self._copy_out(spec)
        return await self._copy_in(spec)

    async def _copy_out(self, spec: Any) -> Result:
        """COPY TO STDOUT: lines (or binary rows) formatted in worker threads, a batch at a
        time."""
        from sql.copy import BINARY_HEADER, BINARY_TRAILER, binary_row, format_row, header_line

        session = self.session
        assert session is not None
        result = await self.run_sql(lambda: session.copy_out(spec))
        stream, columns = result.stream, result.columns
        assert stream is not None and columns is not None
        types = [t for _, t in columns]

        # The binary header goes in one CopyData with the first row (or the trailer), as
        # PostgreSQL sends it: psycopg reads a row from each message after the signature.
        header = [BINARY_HEADER] if spec.binary else []

        def encode(row: tuple[Any, ...]) -> bytes:
            if spec.binary:
                fields = [encode_binary(v, t) for v, t in zip(row, types, strict=True)]
                data = binary_row(fields)
                if header:
                    data = header.pop() + data
                return M.copy_data(data)
            line = format_row(spec, list(row), types)
            return M.copy_data(encodings.encode(line, encodings.CLIENT_CODEC.get()))

        self.send(M.copy_out_response(spec.ncols, spec.binary))
        if spec.header and not spec.binary:
            self.send(M.copy_data(header_line(spec, [n for n, _ in columns]).encode("utf-8")))
        try:
            await self.send_stream(stream, RowEncoder(encode, self._settings()), None, None)
        finally:
            stream.close()
        if spec.binary:
            self.send(M.copy_data(b"".join(header) + BINARY_TRAILER))
        self.send(M.copy_done())
        return Result(stream.tag or "COPY 0")

    async def _copy_in(self, spec: Any) -> Result:
        """COPY FROM STDIN: the statement runs in a worker thread from the start, taking the
        CopyData pieces from a queue as they arrive; reading stops while it is _COPY_QUEUE
        pieces behind, so the input is never held whole."""
        import queue

        from sql.errors import ProgramLimitExceeded, QueryCanceled

        session = self.session
        assert session is not None
        pieces: queue.Queue[bytes | Db9Error | None] = queue.Queue()
        room = asyncio.Event()
        loop = self.ev

        def taken() -> None:
            loop.call_soon_threadsafe(room.set)

        def chunks() -> Iterator[bytes]:
            try:
                while True:
                    while True:
                        try:
                            item = pieces.get(timeout=0.1)
                            break
                        except queue.Empty:
                            interrupt.check()  # the statement's: COPY runs in its scope
                    taken()
                    if item is None:
                        return
                    if isinstance(item, Db9Error):
                        raise item
                    yield item
            finally:
                taken()

        self.send(M.copy_in_response(spec.ncols, spec.binary))
        await self.flush()
        # This loop reads the socket while the statement runs (and sees the client leave).
        task = asyncio.ensure_future(
            self.run_sql(lambda: session.copy_in(spec, chunks(), decode_binary), watch=False)
        )
        size = 0
        failure: Db9Error | None = None
        try:
            while True:
                kind, body = await self.read_message()
                msg = M.decode(kind, body)
                if isinstance(msg, M.CopyData):
                    if task.done():
                        continue  # it failed (or saw the end marker): the rest is read and dropped
                    # The CopyData messages already read join this one (a client such as
                    # pgbench sends one per row): one hand-over to the statement per read.
                    data = self._more_copy_data(msg.data)
                    size += len(data)
                    if size > self.server.max_copy_bytes:
                        failure = ProgramLimitExceeded("COPY data exceeds the server's limit")
                        pieces.put(failure)
                        continue
                    pieces.put(data)
                    while pieces.qsize() > _COPY_QUEUE and not task.done():
                        room.clear()
                        await asyncio.wait([task, asyncio.ensure_future(room.wait())],
                                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                elif isinstance(msg, M.CopyDone):
                    pieces.put(None)
                    break
                elif isinstance(msg, M.CopyFail):
                    failure = QueryCanceled(f"COPY from stdin failed: {msg.message}")
                    pieces.put(failure)
                    break
                elif isinstance(msg, M.Flush | M.Sync):
                    continue
                else:
                    pieces.put(QueryCanceled("COPY from stdin failed: protocol violation"))
                    raise M.ProtocolViolation(
                        f"unexpected message during COPY: {type(msg).__name__}"
                    )
        except BaseException:
            pieces.put(QueryCanceled("COPY from stdin failed: the connection ended"))
            with contextlib.suppress(BaseException):
                await task
            raise
        try:
            return await task
        except Db9Error:
            if failure is not None:
                raise failure from None
            raise

    async def _drain_copy(self) -> None:
        while True:
            kind, _body = await self.read_message()
            if kind in (b"c", b"f"):
                return

    def _decode_params(self, prepared: Prepared, bind: M.Bind) -> list[Any]:
        n = len(bind.params)
        if n != len(prepared.param_types):
            raise M.ProtocolViolation(
                f"bind message supplies {n} parameters, but prepared statement requires "
                f"{len(prepared.param_types)}"
            )
        formats = bind.param_formats
        if len(formats) > 1 and len(formats) != n:
            raise M.ProtocolViolation(
                f"bind message has {len(formats)} parameter formats but {n} parameters"
            )
        _check_formats(formats)
        out: list[Any] = []
        token = OUTPUT_STYLE.set(output_style(self._settings()))  # TimeZone reads timestamptz
        try:
            for i, (raw, t) in enumerate(zip(bind.params, prepared.param_types, strict=True)):
                fmt = formats[0] if len(formats) == 1 else (formats[i] if i < len(formats) else 0)
                if raw is None:
                    out.append(None)
                elif fmt == 1:
                    out.append(decode_binary(raw, t, i + 1))
                else:
                    out.append(decode_text(raw, t))
        finally:
            OUTPUT_STYLE.reset(token)
        return out

    async def parse(self, msg: M.Parse) -> None:
        session = self.session
        assert session is not None
        st = self.state
        prepared = await self.run_sql(lambda: session.prepare(msg.sql, msg.param_oids))
        prepared.text = msg.sql
        if msg.name:
            prep.add(session, msg.name, prepared)
        else:
            st.statements[msg.name] = prepared
        self._forget_descriptions(msg.name)
        self.send(M.parse_complete())

    def bind(self, msg: M.Bind) -> None:
        prepared = self._statement(msg.statement)
        if self.session is not None:
            self.session.refuse_in_failed_block(prepared.stmt)
        params = self._decode_params(prepared, msg)
        ncols = len(prepared.columns or [])
        if len(msg.result_formats) > 1 and len(msg.result_formats) != ncols:
            raise M.ProtocolViolation(
                f"bind message has {len(msg.result_formats)} result formats but query has "
                f"{ncols} columns"
            )
        _check_formats(msg.result_formats)
        old = self.state.portals.get(msg.portal)
        if old is not None:
            old.close()
        self.state.portals[msg.portal] = Portal(prepared, params, msg.result_formats, msg.statement)
        self.send(M.bind_complete())

    def describe(self, msg: M.Describe) -> None:
        st = self.state
        if msg.kind == "S":
            prepared = self._statement(msg.name)
            # a domain parameter by the domain's oid, a result column by its base type's
            oids = [t.domain.oid if t.domain else t.oid for t in prepared.param_types]
            self.send(M.parameter_description(oids))
            cols = prepared.columns
            self.send(M.row_description(_fields(cols, [])) if cols is not None else M.no_data())
            return
        if msg.name not in st.portals and self.session is not None:
            # A SQL cursor is a portal too (psycopg describes its named cursors so).
            columns = self.session.cursors.columns(msg.name)
            if columns is not None:
                self.send(
                    M.row_description(_fields(columns, [])) if columns is not None else M.no_data()
                )
                return
        portal = self._portal(msg.name)
        key = (portal.statement, tuple(portal.formats))
        found = st.row_descriptions.get(key)
        if found is not None and found[0] is portal.prepared:
            cached = found[1]
        else:
            cols = portal.prepared.columns
            cached = (
                M.row_description(_fields(cols, portal.formats))
                if cols is not None
                else M.no_data()
            )
            if portal.prepared is self._find_statement(portal.statement):
                st.row_descriptions[key] = (portal.prepared, cached)
        self.send(cached)

    def close_message(self, msg: M.Close) -> None:
        st = self.state
        if msg.kind == "S":
            if msg.name and self.session is not None:
                self.session.prepared.pop(msg.name, None)
            st.statements.pop(msg.name, None)
            self._forget_descriptions(msg.name)
        else:
            portal = st.portals.pop(msg.name, None)
            if portal is not None:
                portal.close()
        self.send(M.close_complete())

    def _forget_descriptions(self, statement: str) -> None:
        cache = self.state.row_descriptions
        for key in [k for k in cache if k[0] == statement]:
            del cache[key]

    def _find_statement(self, name: str) -> Prepared | None:
        if not name:
            return self.state.statements.get(name)
        return self.session.prepared.get(name) if self.session is not None else None

    def _statement(self, name: str) -> Prepared:
        prepared = self._find_statement(name)
        if prepared is None:
            raise InvalidSqlStatementName(f'prepared statement "{name}" does not exist')
        return prepared

    def _portal(self, name: str) -> Portal:
        portal = self.state.portals.get(name)
        if portal is None:
            from sql.errors import SqlError

            err = SqlError(f'portal "{name}" does not exist')
            err.sqlstate = "34000"
            raise err
        return portal

    async def _inline_when_ready(self, msg: M.Execute) -> bool:
        """After an inline attempt stopped at a wait that can be done off the loop (a
        timestamp from the cluster's leader): await it, then execute inline with it."""
        session = self.session
        assert session is not None
        prepare, session.inline_prepare = session.inline_prepare, None
        if prepare is None:
            return False
        try:
            ready = await asyncio.wrap_future(prepare())
        except Exception:
            return False
        return self.execute_inline(msg, ready)

    def execute_inline(self, msg: M.Execute, ready: object = None) -> bool:
        """Execute a portal whose statement is a cached point read, on the loop thread;
        False if it must go through ``execute`` (a worker thread) instead."""
        session = self.session
        assert session is not None
        portal = self._portal(msg.portal)
        if portal.result is None and portal.prepared.stmt is not None:
            try:
                portal.result = session.execute_inline(portal.prepared, portal.params, ready)
            finally:
                if session.notices:
                    self.send_notices()
            if portal.result is None:
                return False
        if (
            portal.result is None
            or portal.result.copy is not None
            or portal.result.stream is not None
        ):
            return False
        self.send_result(portal, msg)
        return True

    async def execute(self, msg: M.Execute) -> None:
        session = self.session
        assert session is not None
        portal = self._portal(msg.portal)
        if portal.prepared.stmt is None:
            self.send(M.empty_query())
            return
        limit = msg.max_rows if msg.max_rows > 0 else None
        first: list[bytes] | Exception | None = None
        if portal.result is None:
            run = functools.partial(
                session.execute_prepared, portal.prepared, portal.params, stream=True
            )
            try:
                portal.result, first = await self.run_sql(
                    functools.partial(self._first_batch, run, portal.formats, limit)
                )
            finally:
                self.send_notices()
        result = portal.result
        assert result is not None
        if result.copy is not None:
            portal.result = result = await self.copy(result)
        stream = result.stream
        if stream is None:
            self.send_result(portal, msg)
            return
        if stream.closed:  # its transaction ended: PostgreSQL has dropped the portal
            self.state.portals.pop(msg.portal, None)
            self._portal(msg.portal)  # raises 34000
        assert result.columns is not None
        if portal.encode is None:
            portal.encode = RowEncoder.data_rows(result.columns, portal.formats, self._settings())
        try:
            sent = await self.send_stream(stream, portal.encode, first, limit)
        except BaseException:
            stream.close()
            raise
        if stream.done:
            self.send(M.command_complete(f"{stream.verb} {sent}"))
        else:
            self.send(M.portal_suspended())

    def send_result(self, portal: Portal, msg: M.Execute) -> None:
        result = portal.result
        assert result is not None
        if result.columns is None:
            self.send(M.command_complete(result.tag))
            return
        stop = portal.pos + msg.max_rows if msg.max_rows > 0 else None
        portal.pos = self.send_rows(result, portal.formats, portal.pos, stop)
        if portal.pos < len(result.rows or []):
            self.send(M.portal_suspended())
        else:
            tag = result.tag
            if tag.startswith("SELECT"):
                tag = f"SELECT {portal.pos}"
            self.send(M.command_complete(tag))


def _skip_row(_row: tuple[Any, ...]) -> bytes:
    """A row passed over (MOVE): nothing goes to the client."""
    return b""
