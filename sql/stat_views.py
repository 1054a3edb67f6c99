"""pg_stat_activity, pg_stat_ssl, pg_stat_gssapi and pg_stat_database: the sessions of this
database as the server serving them sees them (sql.activity), which GUI tools (pgAdmin's
dashboard, DBeaver's session manager) read at connect.

Only the sessions of the session's own database are shown: a database is a tenant in db9,
and one tenant never sees another's. PostgreSQL's columns db9 has no counterpart for are
NULL (leader_pid, client_hostname, backend_xid, backend_xmin, query_id) or 0
(pg_stat_database's block and tuple counters). Wait events name the two waits db9 knows:
another transaction's lock (Lock/transactionid) and the client (Client/ClientRead).
"""

from __future__ import annotations

from typing import Any

from sql import activity, roles
from sql import types as T
from sql.catalog import Catalog
from sql.session_api import SessionApi
from sql.types import SqlType

Rows = list[tuple[Any, ...]]
TSTZ, TXT, I4, I8, OIDT, NAME, BOOL = T.TIMESTAMPTZ, T.TEXT, T.INT4, T.INT8, T.OID, T.NAME, T.BOOL

ACTIVITY_COLS: list[tuple[str, SqlType]] = [
    ("datid", OIDT),
    ("datname", NAME),
    ("pid", I4),
    ("leader_pid", I4),
    ("usesysid", OIDT),
    ("usename", NAME),
    ("application_name", TXT),
    ("client_addr", TXT),  # inet in PostgreSQL: db9 has no inet type; the text is the same
    ("client_hostname", TXT),
    ("client_port", I4),
    ("backend_start", TSTZ),
    ("xact_start", TSTZ),
    ("query_start", TSTZ),
    ("state_change", TSTZ),
    ("wait_event_type", TXT),
    ("wait_event", TXT),
    ("state", TXT),
    ("backend_xid", TXT),
    ("backend_xmin", TXT),
    ("query_id", I8),
    ("query", TXT),
    ("backend_type", TXT),
]

SSL_COLS: list[tuple[str, SqlType]] = [
    ("pid", I4),
    ("ssl", BOOL),
    ("version", TXT),
    ("cipher", TXT),
    ("bits", I4),
    ("client_dn", TXT),
    ("client_serial", T.NUMERIC),
    ("issuer_dn", TXT),
]

GSSAPI_COLS: list[tuple[str, SqlType]] = [
    ("pid", I4),
    ("gss_authenticated", BOOL),
    ("principal", TXT),
    ("encrypted", BOOL),
]

_COUNTERS = [
    "xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned", "tup_fetched",
    "tup_inserted", "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes",
    "deadlocks", "checksum_failures",
]  # fmt: skip
DATABASE_COLS: list[tuple[str, SqlType]] = [
    ("datid", OIDT),
    ("datname", NAME),
    ("numbackends", I4),
    *[(name, I8) for name in _COUNTERS],
    ("checksum_last_failure", TSTZ),
    ("blk_read_time", T.FLOAT8),
    ("blk_write_time", T.FLOAT8),
    ("session_time", T.FLOAT8),
    ("active_time", T.FLOAT8),
    ("idle_in_transaction_time", T.FLOAT8),
    ("sessions", I8),
    ("sessions_abandoned", I8),
    ("sessions_fatal", I8),
    ("sessions_killed", I8),
    ("stats_reset", TSTZ),
]


def _backends(session: SessionApi) -> list[activity.Backend]:
    return activity.backends(session, session.wire)


def _wait_event(b: activity.Backend) -> tuple[str | None, str | None]:
    """What a session waits for, as PostgreSQL names it: another transaction's lock, or its
    client (an idle session); a running statement waits for nothing."""
    if b.waiting_for:
        return "Lock", "transactionid"
    if b.state != "active":
        return "Client", "ClientRead"
    return None, None


def pg_stat_activity(c: Catalog, session: SessionApi, datid: int) -> Rows:
    rows: Rows = []
    for b in _backends(session):
        role = roles.find(session, c, b.user)
        rows.append(
            (datid, session.database.name, b.pid, None, role.oid if role else None, b.user,
             b.application_name, b.client_addr, None, b.client_port, b.backend_start,
             b.xact_start, b.query_start, b.state_change, *_wait_event(b), b.state, None,
             None, None, b.query, "client backend")
        )  # fmt: skip
    return rows


def pg_stat_ssl(c: Catalog, session: SessionApi) -> Rows:
    return [
        (b.pid, b.ssl, b.ssl_version, b.ssl_cipher, b.ssl_bits, None, None, None)
        for b in _backends(session)
    ]


def pg_stat_gssapi(c: Catalog, session: SessionApi) -> Rows:
    """db9 authenticates with SCRAM and encrypts with TLS: no session uses GSSAPI."""
    return [(b.pid, False, None, False) for b in _backends(session)]


def pg_stat_database(c: Catalog, session: SessionApi, datid: int) -> Rows:
    numbackends = len(_backends(session))
    counters = [0] * len(_COUNTERS)
    return [
        (datid, session.database.name, numbackends, *counters, None, 0.0, 0.0, 0.0, 0.0, 0.0,
         numbackends, 0, 0, 0, activity.STARTED)
    ]  # fmt: skip
