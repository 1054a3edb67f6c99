"""What the statistics views (pg_stat_activity, pg_stat_ssl, pg_stat_gssapi,
pg_stat_database), the server-information functions (inet_server_addr,
pg_postmaster_start_time ...) and the signalling ones (pg_cancel_backend, pg_terminate_backend,
pg_blocking_pids) know of the sessions: a ``Wire`` a session is given by the protocol layer
that serves it.

sql does not import pgwire: pgwire's connection satisfies the ``Wire`` protocol and is handed
to its session (``Session.wire``). A session with no wire (one run in-process, as the tests
do) sees only itself, as a backend with no client address (PostgreSQL's Unix-socket client).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kv import interrupt
from kv.client import Transaction
from sql.errors import ObjectNotInPrerequisiteState, warning

# When this process started serving: pg_postmaster_start_time() and pg_conf_load_time()
# (db9 reads its configuration once, at start).
STARTED = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Backend:
    """One session as pg_stat_activity shows it."""

    pid: int
    user: str
    application_name: str
    client_addr: str | None
    client_port: int | None
    backend_start: dt.datetime
    xact_start: dt.datetime | None
    query_start: dt.datetime | None
    state_change: dt.datetime | None
    state: str  # active, idle, idle in transaction, idle in transaction (aborted)
    query: str
    ssl: bool = False
    ssl_version: str | None = None
    ssl_cipher: str | None = None
    ssl_bits: int | None = None
    txn_start_ts: int | None = None  # its transaction's, while it has one
    waiting_for: int = 0  # the start_ts of the transaction whose lock it waits for (0: none)


class Wire(Protocol):
    """The connection a session is served on, and the server's other sessions."""

    @property
    def pid(self) -> int: ...

    @property
    def backend_start(self) -> dt.datetime: ...

    def client_address(self) -> tuple[str | None, int | None]:
        """The client's address and port (None: a Unix socket)."""
        ...

    def local_address(self) -> tuple[str | None, int | None]:
        """The server's address and port this client reached (None: a Unix socket)."""
        ...

    def ssl_info(self) -> tuple[str, str, int] | None:
        """TLS version, cipher and its bits; None without TLS."""
        ...

    def backends(self) -> list[Backend]:
        """Every session of the same database on this server, this one included."""
        ...

    def signal(self, pid: int, terminate: bool) -> None:
        """Cancel the statement of session ``pid`` (of the same database), or end it."""
        ...


class Tracked(Protocol):
    """What a session records of its statements for pg_stat_activity."""

    pid: int  # pg_backend_pid(): the connection's BackendKeyData pid (sql.session.set_pid)
    user: str
    settings: dict[str, str]
    notices: list[str]
    in_block: bool
    failed: bool
    query: str  # its latest statement
    query_start: float | None  # when that started (epoch seconds)

    @property
    def running(self) -> interrupt.Control | None: ...

    @property
    def txn(self) -> Transaction | None: ...

    def statement_time(self) -> dt.datetime: ...


def _state(session: Tracked) -> str:
    if session.running is not None:
        return "active"
    if session.in_block:
        return "idle in transaction (aborted)" if session.failed else "idle in transaction"
    return "idle"


def describe(session: Tracked, wire: Wire | None) -> Backend:
    """``session`` as pg_stat_activity shows it. A session's state changes when a statement
    starts or ends; db9 keeps the start only, so state_change is the last query's start."""
    started = None
    if session.query_start is not None:
        started = dt.datetime.fromtimestamp(session.query_start, dt.UTC)
    addr, port = wire.client_address() if wire is not None else (None, None)
    ssl = wire.ssl_info() if wire is not None else None
    return Backend(
        pid=session.pid,
        user=session.user,
        application_name=session.settings.get("application_name", ""),
        client_addr=addr,
        client_port=port if addr is not None else -1,  # -1: a Unix socket's client
        backend_start=wire.backend_start if wire is not None else STARTED,
        xact_start=session.statement_time()
        if session.in_block
        else started
        if session.running is not None
        else None,
        query_start=started,
        state_change=started,
        state=_state(session),
        query=session.query,
        ssl=ssl is not None,
        ssl_version=ssl[0] if ssl else None,
        ssl_cipher=ssl[1] if ssl else None,
        ssl_bits=ssl[2] if ssl else None,
        txn_start_ts=session.txn.start_ts if session.txn is not None else None,
        waiting_for=session.running.waiting_for if session.running is not None else 0,
    )


def backends(session: Tracked, wire: Wire | None) -> list[Backend]:
    return wire.backends() if wire is not None else [describe(session, None)]


FUNCTIONS: dict[str, str] = {  # name: its result type's name
    "inet_server_addr": "text",
    "inet_server_port": "integer",
    "inet_client_addr": "text",
    "inet_client_port": "integer",
    "pg_postmaster_start_time": "timestamp with time zone",
    "pg_conf_load_time": "timestamp with time zone",
    "pg_is_wal_replay_paused": "boolean",
    "pg_get_wal_replay_pause_state": "text",
}
SIGNALS = {"pg_cancel_backend": False, "pg_terminate_backend": True}  # name: terminate


def call(name: str, wire: Wire | None) -> object:
    """The server-information function ``name``: over a Unix socket (or in-process) the
    addresses and ports are NULL, as PostgreSQL answers."""
    if name in ("pg_is_wal_replay_paused", "pg_get_wal_replay_pause_state"):
        # a db9 node never replays a WAL: it is never in recovery (pg_is_in_recovery())
        raise ObjectNotInPrerequisiteState(
            "recovery is not in progress",
            hint="Recovery control functions can only be executed during recovery.",
        )
    if name in ("pg_postmaster_start_time", "pg_conf_load_time"):
        return STARTED
    if wire is None:
        return None
    addr, port = wire.local_address() if "server" in name else wire.client_address()
    if addr is None:
        return None
    return addr if name.endswith("addr") else port


def blocking_pids(session: Tracked, wire: Wire | None, pid: int) -> list[int]:
    """pg_blocking_pids(pid): the sessions holding the lock session ``pid`` waits for (row
    locks and the locks of transactions committing); [] when it waits for none."""
    backends_now = backends(session, wire)
    waiter = next((b for b in backends_now if b.pid == pid), None)
    if waiter is None or not waiter.waiting_for:
        return []
    return [b.pid for b in backends_now if b.txn_start_ts == waiter.waiting_for]


def signal_backend(
    session: Tracked, wire: Wire | None, pid: int, terminate: bool, check: Callable[[Backend], None]
) -> bool:
    """pg_cancel_backend(pid) / pg_terminate_backend(pid): True once the session is told
    (``check`` raises when the caller may not signal it); a pid of no session of this
    database gets PostgreSQL's warning (sent as a notice) and false."""
    target = next((b for b in backends(session, wire) if b.pid == pid), None)
    if target is None or wire is None:
        session.notices.append(warning(f"PID {pid} is not a PostgreSQL backend process"))
        return False
    check(target)
    wire.signal(pid, terminate)
    return True
