"""A SQL session: statements in, results out, with PostgreSQL's transaction behaviour.

Outside a transaction block each statement runs in its own KV transaction (autocommit).
BEGIN opens a block; a failed statement inside it puts the block in the aborted state, where
everything but ROLLBACK fails with 25P02, as PostgreSQL does. REPEATABLE READ and
SERIALIZABLE both run as snapshot isolation (SERIALIZABLE with a notice saying so); READ
COMMITTED takes a fresh snapshot for each statement. On a single node a READ COMMITTED block
locks the rows each statement writes (``_locking``): a second writer of a row waits for the
first transaction to end, then runs its statement again on the newest version, as
PostgreSQL's does, instead of failing at commit with 40001 (a cluster still does).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from kv import interrupt, nowait
from kv.client import Transaction
from kv.errors import AlreadyExists, Db9Error, RetryableError, WriteConflict
from sql import (
    activity,
    aggregate_ddl,
    commands,
    ctas,
    cursors,
    databases,
    ddl,
    dml,
    error_positions,
    extension_ddl,
    grants,
    index_options,
    lexer,
    matviews,
    memory,
    notifications,
    owner_ddl,
    policy_ddl,
    recursive_view,
    reindex,
    relations,
    role_ddl,
    roles,
    routine_ddl,
    rule_ddl,
    schema_ddl,
    stats,
    table_locks,
    temp,
    transaction_modes,
    trigram,
    type_ddl,
    unique_checks,
    user_types,
    view_ddl,
)
from sql import prepared as prep
from sql import settings as guc
from sql import types as T
from sql.advisory_locks import SessionLocks
from sql.catalog import Catalog, TableDef
from sql.copy import CopySpec, parse_binary_rows, parse_copy, parse_rows, resolve_forced
from sql.database import Database
from sql.deferrals import Deferrals
from sql.dml import TableWriter, default_value, describe_dml
from sql.errors import (
    ActiveSqlTransaction,
    BadCopyFileFormat,
    CachedPlanChanged,
    FeatureNotSupported,
    GroupingError,
    InFailedTransaction,
    InternalError,
    InvalidBinaryRepresentation,
    InvalidParameterValue,
    InvalidSavepoint,
    NoActiveSqlTransaction,
    ReadOnlySqlTransaction,
    SqlError,
    SyntaxError_,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
    UniqueViolation,
    WindowingError,
    WrongObjectType,
    from_python,
    warning,
)
from sql.executor.execute import iterate_plan
from sql.expr import Compiler
from sql.notifications import SessionNotify
from sql.pg_dialect import DIALECT, unqualify_catalog_calls
from sql.plan.binder import Planner, contains_aggregate, table_scope
from sql.plan.explain import Line, analyzed, explain_options, explain_tree, explain_type
from sql.plan.explain_formats import Number, plan_properties, render
from sql.plan.nodes import Plan, is_point_read
from sql.plan.rules.columns import prune_columns
from sql.prepared import Prepared
from sql.result import Result
from sql.scope import Context
from sql.statements import (
    Statement,
    error_position,
    join_dotted,
    set_value,
    split_statements,
)
from sql.triggers import Firing
from sql.types import SqlType

log = logging.getLogger(__name__)


_EXITS = ("commit", "end", "rollback", "abort")  # a failed block runs only these
_ABORTED = "current transaction is aborted, commands ignored until end of transaction block"
SERIALIZABLE_NOTICE = (
    "SERIALIZABLE is accepted but runs as snapshot isolation (REPEATABLE READ): "
    "write skew is not prevented"
)

_SHOW_NAMES = {"timezone": "TimeZone", "datestyle": "DateStyle", "intervalstyle": "IntervalStyle"}

DEFAULT_SETTINGS: dict[str, str] = {
    "server_version": "15.4",
    "server_version_num": "150004",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "intervalstyle": "postgres",
    "timezone": "UTC",
    "standard_conforming_strings": "on",
    "integer_datetimes": "on",
    "search_path": '"$user", public',
    "application_name": "",
    "default_transaction_isolation": "read committed",
    "transaction_isolation": "read committed",
    "default_transaction_read_only": "off",
    "transaction_read_only": "off",
    "default_transaction_deferrable": "off",
    "transaction_deferrable": "off",
    "statement_timeout": "0",
    "lock_timeout": "0",
    "deadlock_timeout": "1s",
    "idle_in_transaction_session_timeout": "0",
    "idle_session_timeout": "0",
    "extra_float_digits": "1",
    "max_identifier_length": "63",
    "max_index_keys": "32",  # preset, as PostgreSQL's build: JDBC drivers read it
    "max_function_args": "100",
    "block_size": "8192",
    "is_superuser": "on",
    "default_text_search_config": "pg_catalog.english",
    # who the session acts as (sql.roles): "" is the user that logged in, "none" no SET ROLE
    "session_authorization": "",
    "role": "none",
    "bytea_output": "hex",
    "client_min_messages": "notice",
    "max_connections": "1000",
    "lc_collate": "C",
    "lc_ctype": "C",
    "synchronous_commit": "on",
    "work_mem": "4MB",
    # PostgreSQL 15's default; nothing is compiled, but asyncpg reads it and turns it off
    # around its type introspection (a missing setting would abort the caller's block)
    "jit": "on",
    # db9's own: the most memory one statement may hold (53200 out_of_memory past it)
    "db9.statement_mem_limit": "1GB",
    **trigram.SETTINGS,  # pg_trgm's, as with the extension's library loaded
    # the planner's method switches; EXPLAIN shows sorted grouping with enable_hashagg off
    **{
        f"enable_{m}": "on"
        for m in (
            "hashagg",
            "sort",
            "hashjoin",
            "mergejoin",
            "nestloop",
            "seqscan",
            "indexscan",
            "indexonlyscan",
            "bitmapscan",
            "material",
            "memoize",
        )
    },
}


class RowStream:
    """The rows of a query that is still running, fetched in batches.

    Each ``fetch`` runs in the calling (worker) thread inside the statement's interrupt scope,
    with the statement's transaction swapped in as the session's. The statement ends when the
    last row has been fetched (an autocommit transaction, which the stream owns, commits then),
    when a row fails (rows fetched before the error are returned first, the error is raised by
    the next ``fetch``), or on ``close`` (the portal was dropped, or its transaction ended).
    A stream that owns its transaction leaves the session free to run other statements while
    it is suspended."""

    def __init__(
        self,
        session: Session,
        result: Result,
        control: interrupt.Control,
        txn: Transaction | None,
        owns_txn: bool,
        txn_time: float | None,
    ) -> None:
        self.session = session
        self.rows: Any = result.pending
        self.verb = result.tag.split(" ")[0]
        self.control = control
        self.txn = txn
        self.owns_txn = owns_txn  # commit or roll back at the end (autocommit)
        self.in_block = session.in_block  # a portal of a transaction block: closed with it
        self.txn_time = txn_time
        self.count = 0
        self.done = False
        self.tag: str | None = None  # the command tag, once the stream has ended
        self.error: Db9Error | None = None  # raised by the next fetch
        self.closed = False  # ended by close() before its last row
        self.text = ""  # for the observer
        self.started = time.perf_counter()
        self.observed = False
        session.streams.append(self)

    def fetch(self, n: int) -> list[tuple[Any, ...]]:
        """Up to ``n`` more rows; fewer only at the end (then ``done``) or before an error."""
        if self.error is not None:
            err, self.error = self.error, None
            raise err
        if self.done:
            return []
        s = self.session
        saved = s.txn, s._txn_time, s.running
        s.txn, s._txn_time, s.running = self.txn, self.txn_time, self.control
        out: list[tuple[Any, ...]] = []
        out_counted = False
        try:
            # values made while rows stream out print with the session's output settings
            with interrupt.running(self.control), s._user_types():
                rows = self.rows
                for _ in range(n):
                    try:
                        out.append(next(rows))
                    except StopIteration:
                        self.count += len(out)
                        out_counted = True
                        self._end(None)
                        break
        except Db9Error as exc:
            self._end(exc)
            self.error = s._translate(exc)
        except Exception as exc:  # as in Session._guarded: keep the session
            known = from_python(exc)  # too deep, out of range, out of memory
            if known is None:  # a bug of ours
                log.exception("internal error in statement %r", self.text)
            err = known or InternalError(f"internal error: {type(exc).__name__}: {exc}")
            self._end(err)
            self.error = err
        finally:
            s.txn, s._txn_time, s.running = saved
        if not out_counted:
            self.count += len(out)
        if self.error is not None and not out:
            err, self.error = self.error, None
            raise err
        return out

    def drain(self) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        while not self.done or self.error is not None:
            out += self.fetch(4096)
        return out

    def _end(self, error: Db9Error | None, commit: bool = True) -> None:
        """The statement is over: commit or roll back what it owns, tell the observer."""
        if self.done:
            return
        self.done = True
        s = self.session
        if self in s.streams:
            s.streams.remove(self)
        try:
            self.rows.close()
        finally:
            self.rows = iter(())
            txn, self.txn = self.txn, None
            committed = False
            if error is None:
                self.tag = f"{self.verb} {self.count}"
                if self.owns_txn and txn is not None and not commit and not s.notify.pending:
                    txn.rollback()  # a query's transaction wrote nothing: no I/O either way
                elif self.owns_txn and txn is not None:
                    try:
                        s.notify.commit(txn)
                        committed = True
                    except AlreadyExists:
                        raise UniqueViolation(
                            "duplicate key value violates unique constraint"
                        ) from None
            elif self.owns_txn and txn is not None:
                txn.rollback()
                s.notify.abort()
            elif s.in_block:
                s.failed = True  # an error in a block's portal aborts the block
            if self.owns_txn and s.advisory.xact:  # its transaction ended
                s.advisory.end_transaction()
            if s.database.observer is not None and not self.observed and self.text:
                self.observed = True
                s.database.observer(self.text, time.perf_counter() - self.started,
                                    error.sqlstate if error else None, committed)  # fmt: skip
            s._after_statement()

    def interrupt(self, reason: interrupt.Reason) -> None:
        self.control.interrupt(reason)

    def close(self) -> None:
        """Stop producing rows (a dropped portal, Sync, the end of its transaction). No store
        I/O: safe on the event loop."""
        if self.done:
            return
        self.closed = True
        with interrupt.running(self.control):
            self._end(None, commit=False)


# Caches are bounded: parsed trees are ~6 kB each (shared by the database's sessions), a
# compiled plan holds closures over its session (one cache per session).
_PARSE_CACHE_SIZE = 2000
# Runs of a statement outside a block that keeps losing write races (40001) before the
# client sees the 40001: about 10 s of growing pauses, unless statement_timeout ends it first.
AUTOCOMMIT_ATTEMPTS = 100
# A block's point write runs on the caller's event loop only while the transaction holds at
# most this many writes (taking them back if it must wait copies them).
INLINE_WRITES_MAX = 64
COPY_BATCH = 1000  # COPY rows written at a time, as PostgreSQL's multi-insert buffer
# Statements a READ COMMITTED block runs again when a row they wrote changed meanwhile.
_RERUNNABLE = frozenset({"INSERT", "UPDATE", "DELETE", "SELECT", "WITH"})
_RERUNS = 100  # runs of one such statement before its 40001 reaches the client
_PLAN_CACHE_SIZE = 500
# Session pids outside pgwire (which numbers its connections from 1000): far above them.
_PIDS = itertools.count(1 << 30)


def _runs_as(level: str) -> str:
    """The isolation a transaction of ``level`` runs with: PostgreSQL's READ UNCOMMITTED is
    READ COMMITTED (it is still shown as set)."""
    return "read committed" if level == "read uncommitted" else level


class Session:
    def __init__(self, database: Database, user: str = "postgres") -> None:
        self.database = database
        # The databases this session's login sees (CREATE/DROP DATABASE, pg_database);
        # None where the server has no directory (the SQL layer alone, in tests).
        self.directory: databases.DatabaseDirectory | None = None
        self.db = database.db
        self.client = database.client
        self.user = user
        # What RESET and SET ... TO DEFAULT go back to: the server's defaults and the
        # database's own (ALTER DATABASE SET, given by ``login_defaults``).
        self.defaults = dict(DEFAULT_SETTINGS)
        self.settings = dict(DEFAULT_SETTINGS)
        self.scopes = guc.Scopes(self.settings)  # what SET changes, and when it reverts
        self.txn: Transaction | None = None
        self.in_block = False
        self.failed = False
        self.isolation = "read committed"
        # A statement of this block took a snapshot: its isolation level and read-write mode
        # are fixed from then on (PostgreSQL's FirstSnapshotSet).
        self.snapshot_set = False
        # In a block PostgreSQL began for a query string of several statements (its
        # "implicit transaction block"): it commits when the string ends, an error rolls it
        # back, and commands refused in blocks are refused there too.
        self.implicit = False
        # Running a simple query of several statements, or extended-protocol messages with
        # more than one Execute before Sync (a pipeline): one implicit block holds them.
        self.multi_statement = False
        self.savepoints: list[tuple[str, int]] = []
        self._read_only_at: list[str] = []  # transaction_read_only at each savepoint
        self.notices: list[str] = []
        # Set by execute_inline when a wait can be done off the event loop (kv.nowait).
        self.inline_prepare: Callable[[], Future[Any]] | None = None
        self._stmt_time: dt.datetime | None = None
        self._txn_time: float | None = None  # epoch seconds; now() is the transaction's start
        # txid_current(): the start timestamp of the transaction's first snapshot (a READ
        # COMMITTED block takes a fresh one per statement while it has written nothing)
        self.xact_id = 0
        self._statement_at = time.time()  # statement_timestamp(): the running statement's start
        self.last_values: dict[int, int] = {}  # currval per sequence id
        self.deferrals = Deferrals()  # DEFERRABLE unique checks that wait (sql.unique_checks)
        self.executions = 0  # statements begun (SessionApi.executions)
        # The running statement's stop signal and budget; None between statements, so a
        # cancel that arrives while idle is dropped (kv/interrupt.py).
        self.running: interrupt.Control | None = None
        # pg_stat_activity (sql.activity): the connection serving the session, and the text
        # and start (epoch seconds) of its latest statement
        self.wire: activity.Wire | None = None
        self.query = ""
        self.query_start: float | None = None
        # Compiled plans hold closures bound to this session (its transaction, its
        # settings), so they are cached per session, never shared.
        # (plan, its context, its result columns) by (text, parameter oids, catalog version)
        self.plan_cache: dict[tuple[Any, ...], tuple[Plan, Context, list[tuple[str, SqlType]]]] = {}
        # Compiled INSERT / UPDATE / DELETE statements, by the same keys (dml.DmlRun).
        self.dml_cache: dict[tuple[Any, ...], tuple[dml.DmlPlan, Context]] = {}
        # Statement texts whose cached plan is a DmlPlan.point write (see execute_inline).
        self.point_writes: set[str] = set()
        # Statement texts whose cached plan is a primary-key point read (see execute_inline).
        self.point_reads: set[str] = set()
        # Queries whose rows are still being fetched (suspended portals), oldest first.
        self.streams: list[RowStream] = []
        self.cursors = cursors.Cursors()
        # Named prepared statements, SQL's and the protocol's (sql.prepared).
        self.prepared: dict[str, Prepared] = {}
        # Cached plans a stream is running: ctx.params belongs to that execution until it ends.
        self._plans_in_use: dict[int, int] = {}
        self.temp = temp.TempState()  # its temporary schema and ON COMMIT actions (sql.temp)
        self.routine_depth = 0  # routines running inside one another (sql.routine_call)
        self.trigger_depth = 0  # pg_trigger_depth()
        # pg_backend_pid(): pgwire sets the connection's (set_pid); unique among sessions.
        self.pid = next(_PIDS)
        self.advisory = SessionLocks(database.advisory, self.pid)  # sql.advisory_locks
        self.notify = SessionNotify(database.notify, self.pid)  # LISTEN/NOTIFY (sql.notifications)

    # -- things expressions ask for ------------------------------------------------------------

    def cancel(self, reason: interrupt.Reason = interrupt.Reason.CANCEL) -> None:
        """Stop the running statement, if any (from any thread)."""
        control = self.running
        if control is not None:
            control.interrupt(reason)

    def _new_control(self) -> interrupt.Control:
        return interrupt.Control(
            timeout_s=guc.seconds(self.settings, "statement_timeout"),
            lock_timeout_s=guc.seconds(self.settings, "lock_timeout"),
            mem_limit=guc.memory_bytes(self.settings, "db9.statement_mem_limit"),
        )

    def login_defaults(self, values: dict[str, str]) -> None:
        """Settings a login starts with and RESET returns to (ALTER DATABASE ... SET); one
        that no longer validates is skipped, as PostgreSQL warns and goes on."""
        for name, value in values.items():
            try:
                value = guc.normalise(name, value)
            except Db9Error:
                continue
            self.defaults[name] = self.settings[name] = value

    def set_config(self, name: str, value: str, *, local: bool = False) -> str:
        """SET ``name`` (validated, stored as SHOW prints it); returns the value as SHOW
        prints it. Outside a block a local value would end with the statement: not stored."""
        value = guc.normalise(name, value)
        if not local or self.in_block:
            self.scopes.set(name, value, local=local)
        return value

    def _after_statement(self) -> None:
        """Hand memory back to the OS after a statement that held more than work_mem."""
        memory.maybe_trim(guc.memory_bytes(self.settings, "work_mem"))

    @property
    def read_only(self) -> bool:
        """The running transaction is READ ONLY (outside a block: the next one will be)."""
        key = "transaction_read_only" if self.in_block else "default_transaction_read_only"
        return self.settings[key] == "on"

    def current_txn(self) -> Transaction:
        assert self.txn is not None, "no transaction"
        return self.txn

    def statement_start(self) -> dt.datetime:
        """statement_timestamp(): when the running statement started."""
        return dt.datetime.fromtimestamp(self._statement_at, dt.UTC)

    def statement_time(self) -> dt.datetime:
        if self._txn_time is None:
            return dt.datetime.now(dt.UTC)
        return dt.datetime.fromtimestamp(self._txn_time, dt.UTC)

    def search_path(self) -> list[str]:
        out = []
        for part in self.settings["search_path"].split(","):
            name = part.strip().strip('"')
            if name == "$user":
                name = self.user
            out.append(name)
        return [*temp.search_path(self.temp, out), "pg_catalog"]

    def info(self, name: str) -> Any:
        if name == "current_schema":
            catalog = self.catalog()
            return next((s for s in self.search_path() if s in catalog.schemas), None)
        if name == "current_database":
            return self.database.name
        if name == "session_user":
            return roles.session_name(self)
        return roles.current_name(self)

    def catalog(self) -> Catalog:
        return self.database.catalogs.load(self.current_txn())

    @property
    def status(self) -> str:
        """ReadyForQuery's transaction status: I idle, T in a block, E failed block."""
        if not self.in_block:
            return "I"
        return "E" if self.failed else "T"

    # -- running statements --------------------------------------------------------------------

    def split(self, sql: str) -> list[Statement]:
        """``sql``'s statements, read under this session's standard_conforming_strings."""
        return split_statements(sql, standard=self.settings["standard_conforming_strings"] != "off")

    def execute(self, sql: str, params: list[Any] | None = None) -> list[Result]:
        """Run every statement of ``sql``; stop at the first error (raised). Each result's
        rows are a list (drained before the next statement runs)."""
        results = []
        stmts = self.split(sql)
        self.begin_statements(len(stmts))
        try:
            for stmt in stmts:
                results.append(self.run_statement(stmt, params or []))
        except BaseException:
            self.multi_statement = False
            if self.implicit:
                self._abort_txn()
            raise
        self.end_statements()
        return results

    def run_statement(
        self,
        stmt: Statement,
        params: list[Any],
        param_types: list[SqlType | None] | None = None,
        stream: bool = False,
        expect: list[tuple[str, SqlType]] | None = None,
    ) -> Result:
        """Run one statement. With ``stream`` a query's rows come as ``result.stream`` (the
        statement still running), else as the list ``result.rows``. ``expect``: the columns
        a prepared statement was described with (``same_row``)."""
        if stmt.error is not None:  # a lexical error (split_statements' lenient mode)
            raise stmt.error
        self.query, self.query_start = stmt.text, time.time()
        observer = self.database.observer
        if observer is None:
            return self._positioned(stmt, params, param_types, stream, expect)
        started = time.perf_counter()
        in_block = self.in_block
        try:
            result = self._positioned(stmt, params, param_types, stream, expect)
        except Db9Error as exc:
            observer(stmt.text, time.perf_counter() - started, exc.sqlstate, False)
            raise
        if result.stream is not None:  # told when the stream ends
            result.stream.text, result.stream.started = stmt.text, started
            return result
        # A transaction ended: COMMIT of a block, or a statement that ran on its own.
        committed = result.tag == "COMMIT" or (
            not in_block and not self.in_block and stmt.utility is None
        )
        observer(stmt.text, time.perf_counter() - started, None, committed)
        return result

    def _positioned(
        self,
        stmt: Statement,
        params: list[Any],
        param_types: list[SqlType | None] | None,
        stream: bool,
        expect: list[tuple[str, SqlType]] | None,
    ) -> Result:
        """``_run_statement``, its name-resolution errors given their position."""
        try:
            return self._run_statement(stmt, params, param_types, stream, expect)
        except SqlError as exc:
            error_positions.place(exc, stmt)
            raise

    def _run_statement(
        self,
        stmt: Statement,
        params: list[Any],
        param_types: list[SqlType | None] | None = None,
        stream: bool = False,
        expect: list[tuple[str, SqlType]] | None = None,
    ) -> Result:
        if stmt.command not in commands.SUPPORTED and stmt.command in commands.COMMANDS:
            # Refused by name before anything reads it as some other statement (COMMIT
            # PREPARED is no COMMIT); in a block it fails the block, as any error does.
            return self._guarded(lambda: _refuse(stmt.command))
        if stmt.utility is not None:
            kind = stmt.utility[0]
            if kind in _EXITS:
                return self._end_block(stmt.utility[1])
            if self.failed:
                raise InFailedTransaction(_ABORTED)
            if kind in ("begin", "start"):
                return self._begin(stmt.utility[1])
        elif self.failed:
            raise InFailedTransaction(_ABORTED)

        if self.multi_statement and not self.in_block:
            self._open_block(transaction_modes.Modes(), implicit=True)

        def action() -> Result:
            return same_row(self._dispatch(stmt, params, param_types), expect)

        if self.in_block:
            return self._guarded(self._in_block(action, stmt), stmt.text, stream)
        return self._autocommit(action, stmt.text, stream)

    def _in_block(self, action: Callable[[], Result], stmt: Statement) -> Callable[[], Result]:
        """``action`` as a statement of this block: locking its rows at READ COMMITTED on a
        single node (``_locking``), as it is otherwise."""
        if self.isolation == "read committed" and self.client.row_locks:
            return self._locking(action, stmt)
        return action

    def _locking(self, action: Callable[[], Result], stmt: Statement) -> Callable[[], Result]:
        """``action`` as a READ COMMITTED statement that locks the rows it writes when it
        ends. Meeting a version committed after its snapshot (it waited for that writer's
        lock, or the writer committed meanwhile), a DML statement takes its writes back and
        runs again on a fresh snapshot: PostgreSQL's EvalPlanQual, as a rerun of the whole
        statement (nothing of it has reached the client yet); any other statement fails
        with the 40001."""

        for_update = _locks_rows(stmt)

        def run() -> Result:
            txn = self.current_txn()
            notices = len(self.notices)
            advisory = self.advisory.mark()
            for attempt in range(_RERUNS):
                txn.begin_statement(txn.read_ts)
                try:
                    result = action()
                    if for_update and result.pending is not None:
                        # The rows it reads are what it locks: read them all now.
                        txn.record_reads(self.db + b"r")
                        pending = result.pending
                        try:
                            rows = list(pending)
                        finally:
                            pending.close()
                        result.pending = _PlanRows((r for r in rows), _nothing)
                    txn.lock_statement()
                    return result
                except WriteConflict:
                    txn.undo_statement()
                    if stmt.command not in _RERUNNABLE or attempt == _RERUNS - 1:
                        raise
                except BaseException:
                    txn.end_statement()
                    raise
                del self.notices[notices:]  # the next run says again what it has to say
                self.advisory.undo(advisory)  # and takes its advisory locks again
                txn.read_ts = self.client.backend.get_ts()
            raise AssertionError("unreachable")

        return run

    def _autocommit(self, action: Callable[[], Result], sql: str, stream: bool) -> Result:
        """A statement outside a block is a transaction of its own. When it loses a write
        race (40001: a newer commit or a live lock on a key it writes), nothing of it has
        reached the client, so it runs again on a fresh snapshot, as PostgreSQL's statement
        would have waited for the other transaction and gone on. One control spans the
        attempts: statement_timeout and a cancel end the retries too."""
        control = self._new_control()
        notices = len(self.notices)
        advisory = self.advisory.mark()
        for attempt in range(AUTOCOMMIT_ATTEMPTS):
            try:
                return self._guarded(action, sql, stream, control)
            except RetryableError:
                if attempt == AUTOCOMMIT_ATTEMPTS - 1:
                    raise
            del self.notices[notices:]  # the next attempt says again what it has to say
            self.advisory.undo(advisory)  # and takes its advisory locks again
            self.running = control  # a cancel during the pause reaches the statement
            try:
                pause = min(0.1, 0.002 * 2**attempt) * (0.5 + random.random())
                while pause > 0:
                    control.check()
                    time.sleep(min(pause, 0.02))
                    pause -= 0.02
                control.check()
            finally:
                self.running = None
        raise AssertionError("unreachable")

    def _guarded(
        self,
        action: Callable[[], Result],
        sql: str = "",
        stream: bool = False,
        control: interrupt.Control | None = None,
        undo: bool = False,
    ) -> Result:
        """Run one statement's work with PostgreSQL's transaction rules around it. A query's
        pending rows are drained here, or (``stream``) handed on in a ``RowStream``, which
        then ends the statement. With ``undo``, a statement that would wait (WouldBlock)
        leaves the block's transaction as it found it, its writes so far taken back."""
        if self.failed:
            raise InFailedTransaction(_ABORTED)
        autocommit = not self.in_block
        control = self.running = control or self._new_control()
        pending = None
        mark = 0
        try:
            with interrupt.running(control):
                self._start_statement()
                if undo and not autocommit:
                    mark = self.current_txn().savepoint()
                result = action()
                if mark:
                    self.current_txn().release(mark)
                    mark = 0
                pending = result.pending
                if pending is None and self.deferrals.pending():
                    unique_checks.check(self, statement_end=not autocommit)
                if pending is not None:
                    if stream:
                        txn, txn_time = self.txn, self._txn_time
                        if autocommit:  # the stream owns the transaction from here
                            self.txn, self._txn_time = None, None
                        result.stream = RowStream(self, result, control, txn, autocommit,
                                                  txn_time)  # fmt: skip
                        result.pending = pending = None
                        return result
                    try:
                        held = memory.Held()
                        try:
                            with self._user_types():  # rows print by the session's settings
                                result.rows = held.collect(pending)
                        finally:
                            held.close()
                    finally:
                        pending.close()
                        result.pending = pending = None
                    result.tag = f"{result.tag} {len(result.rows)}"
                    if self.deferrals.pending():
                        unique_checks.check(self, statement_end=not autocommit)
                if autocommit:
                    self._commit()
            self._after_statement()
            return result
        except nowait.WouldBlock:
            # Drop an autocommit snapshot (only reads ran); a block's transaction is as it
            # was: only reads ran, or (undo) the statement's writes are taken back.
            if autocommit and self.txn is not None:
                self.txn.rollback()
                self.txn = None
            elif mark and self.txn is not None:
                self.txn.rollback_to(mark)
                self.txn.release(mark)
            raise
        except Db9Error as exc:
            if mark and self.txn is not None:
                self.txn.release(mark)  # the block fails; the mark must not outlive it
            self._fail(autocommit, exc)
            raise self._translate(exc) from None
        except Exception as exc:  # a bug of ours: fail the statement, keep the session
            if mark and self.txn is not None:
                self.txn.release(mark)
            self._fail(autocommit, None)
            known = from_python(exc)  # too deep, out of range, out of memory
            if known is not None:
                raise known from None
            log.exception("internal error in statement %r", sql)
            raise InternalError(f"internal error: {type(exc).__name__}: {exc}") from None
        finally:
            self.running = None

    def _translate(self, exc: Db9Error) -> Db9Error:
        if isinstance(exc, AlreadyExists):
            return UniqueViolation("duplicate key value violates unique constraint")
        return exc

    def _fail(self, autocommit: bool, exc: Db9Error | None) -> None:
        if autocommit or not self.in_block or self.implicit:
            self._abort_txn()
        else:
            self.failed = True
            if self.txn is not None and not self.savepoints:
                # Only ROLLBACK can follow: its row locks go now, as PostgreSQL's do.
                self.txn.release_row_locks()

    def _start_statement(self) -> None:
        self._statement_at = time.time()
        if self.txn is None:
            self.txn = self.client.begin()
            self._txn_time = time.time()
            self.xact_id = self.txn.start_ts
        elif (
            self.isolation == "read committed"
            and self.in_block
            and not self.txn.write_count
            and not self.txn.row_locked
            and not self.savepoints
        ):
            # READ COMMITTED: a new snapshot per statement while nothing was written.
            fresh = self.client.begin()  # first, so a WouldBlock here changes nothing
            reader = next((st for st in self.streams if st.txn is self.txn), None)
            if reader is not None:
                reader.owns_txn = True  # a suspended portal still reads the old snapshot
            else:
                self.txn.rollback()
            self.txn = fresh
        elif (
            self.isolation == "read committed"
            and self.in_block
            and self.client.row_locks
            and not any(st.txn is self.txn for st in self.streams)
        ):
            # It wrote: a fresh snapshot for its reads, its rows locked (see _locking). Not
            # while a suspended portal pages through the transaction's snapshot.
            self.txn.read_ts = self.client.backend.get_ts()

    def _commit(self) -> None:
        if self.txn is not None and self.temp.on_commit:
            temp.at_commit(self, ddl._drop_table, ddl._delete_data)
        txn, self.txn = self.txn, None
        self.savepoints.clear()
        self._txn_time = None
        try:
            if txn is not None:
                self.notify.commit(txn)  # and its LISTEN, UNLISTEN and NOTIFY take effect
        except AlreadyExists:
            raise UniqueViolation("duplicate key value violates unique constraint") from None
        finally:
            self.advisory.end_transaction()  # pg_advisory_xact_lock's locks go at COMMIT

    def _close_streams(self, block_only: bool) -> None:
        """End suspended queries: a block's when it ends (PostgreSQL closes its portals)."""
        for st in list(self.streams):
            if st.in_block or not block_only:
                st.close()

    def _abort_txn(self) -> None:
        self._close_streams(block_only=True)
        self.advisory.end_transaction()  # and at ROLLBACK (no I/O unless some are held)
        self.notify.abort()  # a no-op after COMMIT (which applied them)
        self.cursors.end_transaction(committed=self.txn is None)
        if self.txn is not None:
            self.txn.rollback()
        self.txn = None
        self.in_block = False
        self.failed = False
        self.savepoints.clear()
        self._txn_time = None
        self.snapshot_set = False
        self.implicit = False
        self.deferrals.clear()
        self._read_only_at.clear()
        self.scopes.rollback()  # a no-op after COMMIT (which kept what it keeps)
        self.settings["transaction_isolation"] = self.settings["default_transaction_isolation"]
        self.isolation = _runs_as(self.settings["transaction_isolation"])
        for mode in ("read_only", "deferrable"):
            self.settings[f"transaction_{mode}"] = self.settings[f"default_transaction_{mode}"]

    def close(self) -> None:
        """End the session without store I/O (safe on an event loop) unless it holds
        advisory locks (an event loop takes them first: ``advisory.detach``, released off
        the loop); a session that made temporary relations is to be followed by
        ``drop_temp``."""
        self.advisory.release_all()
        self._close_streams(block_only=False)
        self._abort_txn()
        self.notify.close()

    def set_pid(self, pid: int) -> None:
        """The connection's process id (BackendKeyData): pg_backend_pid(), pg_locks.pid."""
        self.pid = self.advisory.pid = self.notify.pid = pid

    def drop_temp(self) -> None:
        """Drop the session's temporary relations (store I/O), in a transaction of its own
        unless one is open (DISCARD TEMP)."""
        if not self.temp.used:
            return
        own = self.txn is None
        if own:
            self.txn = self.client.begin()
        try:
            temp.drop_all(self, ddl._drop_table)
            if own:
                self._commit()
        except Db9Error:
            log.warning("temporary relations of a closed session were left", exc_info=True)
            if own:
                self._abort_txn()

    def end_implicit_transaction(self) -> list[RowStream]:
        """Sync outside a block: close the suspended queries of the implicit transaction,
        as PostgreSQL drops their portals; returns them."""
        if self.in_block:
            return []
        closed = [st for st in self.streams if not st.in_block]
        for st in closed:
            st.close()
        return closed

    # -- the extended protocol: prepare once, describe, execute many times ------------------

    def _param_type(self, oid: int) -> SqlType | None:
        """The type a client declared for a parameter by oid: a built-in one or a
        user-defined one (an enum, a composite, or an array of one: psycopg's enums)."""
        found = T.BY_OID.get(oid)
        if found is not None or oid == T.UNKNOWN.oid:
            return found
        own = self.txn is None
        if own:
            self.txn = self.client.begin()
        try:
            for t in self.catalog().types.values():
                if t.id == oid:
                    return user_types.sql_type(t)
                if int(t.type_def.get("array_oid", 0)) == oid:
                    return user_types.sql_type(t).array_of()
        finally:
            if own and self.txn is not None:
                self.txn.rollback()
                self.txn = None
        # Taking it as text would read a binary value of that type as garbage text.
        raise FeatureNotSupported(f"parameter type with OID {oid} is not supported")

    def refuse_in_failed_block(self, stmt: Statement | None) -> None:
        """Parse, Bind and Execute in a failed block: PostgreSQL refuses all but a statement
        that ends the block (COMMIT, ROLLBACK [TO]) with 25P02, before anything runs, also
        the next Execute of a suspended portal. (Parse of an empty string is let through
        by the caller, as PostgreSQL's is.)"""
        if self.failed and (stmt is None or stmt.utility is None or stmt.utility[0] not in _EXITS):
            raise InFailedTransaction(_ABORTED)

    def prepare(self, sql: str, param_oids: list[int] | None = None) -> Prepared:
        stmts = self.split(sql)
        if len(stmts) > 1:
            raise SyntaxError_("cannot insert multiple commands into a prepared statement")
        declared = [self._param_type(o) if o else None for o in param_oids or []]
        if not stmts:
            return Prepared(None, [t or T.TEXT for t in declared], None)
        stmt = stmts[0]
        self.refuse_in_failed_block(stmt)
        if (
            stmt.command in commands.NAMED
            or stmt.command in databases.COMMANDS  # read from their tokens, never by sqlglot
            or (stmt.command not in commands.SUPPORTED and stmt.command in commands.COMMANDS)
        ):
            return Prepared(stmt, [t or T.TEXT for t in declared], None)  # no rows, no params
        if stmt.command == "FETCH":
            return Prepared(stmt, [], cursors.fetch_columns(self, stmt))
        if stmt.command in ("PREPARE", "EXECUTE"):
            named = prep.columns_of_execute(self, stmt) if stmt.command == "EXECUTE" else None
            return Prepared(stmt, [t or T.TEXT for t in declared], named)
        described = stmt
        if stmt.command == "DECLARE":  # its parameters are its query's
            described = cursors.query_of(stmt)[0]
        elif stmt.utility is not None:
            kind = stmt.utility[0]
            cols: list[tuple[str, SqlType]] | None = None
            if kind == "show":
                words = stmt.utility[1]
                name = " ".join(w.lower() for w in words[1:])
                cols = (
                    [(name.replace(" ", "_"), T.TEXT)]
                    if name != "all"
                    else [("name", T.TEXT), ("setting", T.TEXT), ("description", T.TEXT)]
                )
            elif kind == "explain":  # the parameters are its statement's
                opts, inner = self._explained(stmt)
                cols = [("QUERY PLAN", explain_type(opts["format"]))]
                if self.failed:
                    raise InFailedTransaction(_ABORTED)
                prepared = self._prepare_tree(inner, inner, declared)
                return Prepared(stmt, prepared.param_types, cols)
            return Prepared(stmt, [t or T.TEXT for t in declared], cols)
        if self.failed:
            raise InFailedTransaction(_ABORTED)
        try:
            return self._prepare_tree(stmt, described, declared)
        except SqlError as exc:
            error_positions.place(exc, described)
            raise

    def _prepare_tree(
        self, stmt: Statement, described: Statement, declared: list[SqlType | None]
    ) -> Prepared:
        tree = self.parse(described)
        own = self.txn is None
        if own:
            self.txn = self.client.begin()
        try:
            with self._user_types():
                columns, types = self._describe(tree, declared)
            if described is not stmt:
                columns = None
        except Db9Error:
            if not own and self.in_block:
                self.failed = True
            raise
        finally:
            if own and self.txn is not None:
                self.txn.rollback()
                self.txn = None
        return Prepared(
            stmt, [t if t is not None and t.name != "unknown" else T.TEXT for t in types], columns
        )

    def _describe(
        self, tree: exp.Expr, declared: list[SqlType | None]
    ) -> tuple[list[tuple[str, SqlType]] | None, list[SqlType | None]]:
        ctx = Context(params=[], param_types=list(declared))
        planner = Planner(self, self.catalog(), ctx)
        columns: list[tuple[str, SqlType]] | None = None
        if isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except | exp.Values):
            plan = planner.plan_query(tree)
            columns = [(c.name, c.type) for c in plan.columns]
        elif isinstance(tree, exp.Insert | exp.Update | exp.Delete):
            columns = describe_dml(self, tree, ctx)
        n = max(
            [len(ctx.param_types)]
            + [int(p.name) for p in tree.find_all(exp.Parameter) if str(p.name).isdigit()]
        )
        types = list(ctx.param_types) + [None] * (n - len(ctx.param_types))
        return columns, types

    def run_prepared(self, named: Prepared, params: list[Any]) -> Result:
        """EXECUTE of a named prepared statement: it runs as part of the EXECUTE statement."""
        if named.stmt is None:
            return Result("EMPTY")
        return same_row(self._dispatch(named.stmt, params, list(named.param_types)), named.columns)

    def execute_prepared(
        self, prepared: Prepared, params: list[Any], stream: bool = False
    ) -> Result:
        if prepared.stmt is None:
            return Result("EMPTY")
        return self.run_statement(
            prepared.stmt, params, list(prepared.param_types), stream, prepared.columns
        )

    def execute_inline(
        self, prepared: Prepared, params: list[Any], ready: object = None
    ) -> Result | None:
        """Run a statement of bounded work on the calling thread (an event loop) if nothing
        on its path would wait; None means: run ``execute_prepared`` in a worker thread
        instead. A hop to a worker thread costs more than such a statement. Bounded work is
        BEGIN, a cached point read, and, inside a block, a cached point write (its writes
        stay in the transaction's buffer until COMMIT, which always runs in a worker).

        When None comes back and ``inline_prepare`` is set, the wait that stopped the
        statement can be done off the loop: await ``inline_prepare()`` and call again at
        once with ``ready`` = its result (see ``kv.nowait.WouldBlock``)."""
        self.inline_prepare = None
        if ready is not None:
            with nowait.prepared(ready):
                return self._execute_inline(prepared, params, readied=True)
        return self._execute_inline(prepared, params, readied=False)

    def _execute_inline(
        self, prepared: Prepared, params: list[Any], *, readied: bool
    ) -> Result | None:
        stmt = prepared.stmt
        if stmt is None or not self.client.backend.inline_reads or self.failed:
            return None
        if self.multi_statement and not self.in_block and stmt.utility is None:
            try:  # a pipeline's implicit block, opened here as run_statement would
                with nowait.nonblocking():
                    self._open_block(transaction_modes.Modes(), implicit=True)
            except nowait.WouldBlock as exc:
                self.inline_prepare = exc.prepare
                return None
        if stmt.utility is not None and stmt.utility[0] in ("begin", "start"):
            try:
                with nowait.nonblocking():
                    return self.run_statement(stmt, params)
            except nowait.WouldBlock as exc:
                self.inline_prepare = exc.prepare
                return None  # _begin changes nothing before its snapshot is taken
        undo = (
            self.in_block
            and stmt.text in self.point_writes
            and (self.txn is None or self.txn.write_count <= INLINE_WRITES_MAX)
        )
        if not undo and stmt.text not in self.point_reads:
            return None
        if not self.in_block and not readied:
            # Its transaction's timestamp would be a wait (a follower asks its leader):
            # start it now rather than find out half-way through the statement.
            self.inline_prepare = self.client.backend.begin_prepare()
            if self.inline_prepare is not None:
                return None
        types = prepared.param_types
        self.query, self.query_start = stmt.text, time.time()

        def action() -> Result:
            return same_row(self._dispatch(stmt, params, types), prepared.columns)

        started = time.perf_counter()
        try:
            with nowait.nonblocking():
                # run_statement's checks hold for a cached SELECT or DML: no utility, not
                # failed; in a block it runs as run_statement runs it (its rows locked).
                result = self._guarded(
                    self._in_block(action, stmt) if self.in_block else action,
                    stmt.text,
                    undo=undo,
                )
        except nowait.WouldBlock as exc:
            self.inline_prepare = exc.prepare
            return None
        except Db9Error as exc:
            if self.database.observer is not None:
                self.database.observer(stmt.text, time.perf_counter() - started, exc.sqlstate,
                                       False)  # fmt: skip
            raise
        if self.database.observer is not None:
            self.database.observer(stmt.text, time.perf_counter() - started, None,
                                   self.txn is None)  # fmt: skip
        return result

    # -- transaction control -------------------------------------------------------------------

    def _set_isolation(self, level: str) -> None:
        self.isolation = _runs_as(level)
        self.settings["transaction_isolation"] = level
        if level == "serializable":
            self.notices.append(SERIALIZABLE_NOTICE)

    def _begin(self, words: list[str]) -> Result:
        skip = 1 if words[0].upper() == "BEGIN" else 2
        modes = transaction_modes.parse(words[skip:])
        tag = "BEGIN" if skip == 1 else "START TRANSACTION"
        if self.implicit:  # BEGIN in a string of statements: the block becomes explicit
            self.implicit = False
            self._apply_modes(modes)
            return Result(tag)
        if self.in_block:
            self.notices.append(warning("there is already a transaction in progress", "25001"))
            return Result(tag)
        self._open_block(modes)
        return Result(tag)

    def _open_block(self, modes: transaction_modes.Modes, implicit: bool = False) -> None:
        """Start a transaction block with ``modes`` (the session's defaults where unset)."""
        txn = self.client.begin()  # first: a WouldBlock here leaves the session unchanged
        self.in_block = True
        self.implicit = implicit
        self.failed = False
        self.snapshot_set = False
        self.scopes.begin()
        self.txn = txn
        self._txn_time = time.time()
        self.xact_id = txn.start_ts
        self._set_isolation(modes.isolation or self.settings["default_transaction_isolation"])
        for mode in ("read_only", "deferrable"):
            self.settings[f"transaction_{mode}"] = self.settings[f"default_transaction_{mode}"]
        self._apply_modes(modes)

    def _apply_modes(self, modes: transaction_modes.Modes) -> None:
        """The block's read-write mode and deferrability, local to it (and to a savepoint)."""
        for name, value in (("read_only", modes.read_only), ("deferrable", modes.deferrable)):
            if value is not None:
                self.settings[f"transaction_{name}"] = "on" if value else "off"

    def _set_transaction(self, modes: transaction_modes.Modes) -> Result:
        """SET TRANSACTION in a block, refused as PostgreSQL's check hooks refuse it
        (check_XactIsoLevel, check_transaction_read_only, check_transaction_deferrable)."""
        if not self.in_block or self.implicit:
            self.notices.append(
                warning("SET TRANSACTION can only be used in transaction blocks", "25P01")
            )
            if not self.in_block:
                return Result("SET")
        sub = bool(self.savepoints)
        shown = self.settings["transaction_isolation"]
        if modes.isolation is not None and modes.isolation != shown:
            if self.snapshot_set:
                raise ActiveSqlTransaction(
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query"
                )
            if sub:
                raise ActiveSqlTransaction(
                    "SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction"
                )
        if modes.read_only is False and self.read_only:
            if sub:
                raise ActiveSqlTransaction(
                    "cannot set transaction read-write mode inside a read-only transaction"
                )
            if self.snapshot_set:
                raise ActiveSqlTransaction(
                    "transaction read-write mode must be set before any query"
                )
        if modes.deferrable is not None:
            if sub:
                raise ActiveSqlTransaction(
                    "SET TRANSACTION [NOT] DEFERRABLE cannot be called within a subtransaction"
                )
            if self.snapshot_set:
                raise ActiveSqlTransaction(
                    "SET TRANSACTION [NOT] DEFERRABLE must be called before any query"
                )
        if modes.isolation is not None:
            self._set_isolation(modes.isolation)
        self._apply_modes(modes)
        return Result("SET")

    def _end_block(self, words: list[str]) -> Result:
        head = words[0].upper()
        upper = [w.upper() for w in words]
        if head in ("ROLLBACK", "ABORT") and "TO" in upper:
            return self._rollback_to(words[-1])
        rollback = head in ("ROLLBACK", "ABORT")
        chain = upper[-2:] == ["AND", "CHAIN"] and upper[-3:-2] != ["NO"]
        if chain and (not self.in_block or self.implicit):
            name = "ROLLBACK" if rollback else "COMMIT"
            error = NoActiveSqlTransaction(
                f"{name} AND CHAIN can only be used in transaction blocks"
            )
            if self.implicit:
                self._abort_txn()
            raise error
        if not self.in_block or self.implicit:
            self.notices.append(warning("there is no transaction in progress", "25P01"))
            if not self.in_block:
                return Result("ROLLBACK" if rollback else "COMMIT")
        modes = transaction_modes.Modes(
            self.isolation, self.read_only, self.settings["transaction_deferrable"] == "on"
        )
        tag = self._finish_block(rollback)
        if chain:  # a new block with the same characteristics
            self._open_block(modes)
        return Result(tag)

    def _finish_block(self, rollback: bool) -> str:
        """End the block: COMMIT (a failed block rolls back) or ROLLBACK; the command tag."""
        if rollback or self.failed:
            self._abort_txn()
            return "ROLLBACK"
        self._close_streams(block_only=True)
        try:
            unique_checks.check(self, statement_end=False)  # deferred constraints
            self._commit()
            self.scopes.commit()
        finally:
            self._abort_txn()
        return "COMMIT"

    def begin_statements(self, count: int) -> None:
        """A simple query of ``count`` statements starts: with more than one, each runs in an
        implicit block (``implicit``) unless an explicit one is open."""
        self.multi_statement = count > 1

    def end_statements(self) -> None:
        """The simple query's string ended, or Sync came: its implicit block commits."""
        self.multi_statement = False
        if self.implicit and self.in_block:
            tag = self._finish_block(rollback=False)
            if tag == "COMMIT" and self.database.observer is not None:
                self.database.observer(None, 0.0, None, True)  # one transaction, no statement

    def _savepoint(self, name: str) -> Result:
        if not self.in_block or self.implicit:
            raise NoActiveSqlTransaction("SAVEPOINT can only be used in transaction blocks")
        token = self.current_txn().savepoint()
        self.savepoints.append((name.lower(), token))
        self.scopes.savepoint()
        self._read_only_at.append(self.settings["transaction_read_only"])
        self.cursors.savepoint()
        self.advisory.savepoint()
        self.notify.savepoint()
        return Result("SAVEPOINT")

    def _find_savepoint(self, name: str) -> int:
        name = name.lower().strip('"')
        for i in range(len(self.savepoints) - 1, -1, -1):
            if self.savepoints[i][0] == name:
                return i
        raise InvalidSavepoint(f'savepoint "{name}" does not exist')

    def _rollback_to(self, name: str) -> Result:
        if not self.in_block or self.implicit:
            raise NoActiveSqlTransaction(
                "ROLLBACK TO SAVEPOINT can only be used in transaction blocks"
            )
        i = self._find_savepoint(name)
        self.current_txn().rollback_to(self.savepoints[i][1])
        del self.savepoints[i + 1 :]
        del self._read_only_at[i + 1 :]
        self.scopes.rollback_to(i + 1)
        self.cursors.rollback_to(i + 1)
        self.advisory.rollback_to(i + 1)
        self.notify.rollback_to(i + 1)
        self.failed = False
        return Result("ROLLBACK")

    def _release(self, name: str) -> Result:
        if not self.in_block or self.implicit:
            raise NoActiveSqlTransaction("RELEASE SAVEPOINT can only be used in transaction blocks")
        i = self._find_savepoint(name)
        self.current_txn().release(self.savepoints[i][1])
        del self.savepoints[i:]
        self.scopes.release(i + 1)
        # As xact.c's CommitSubTransaction: the read-write mode is the subtransaction's own.
        self.settings["transaction_read_only"] = self._read_only_at[i]
        del self._read_only_at[i:]
        self.cursors.release(i + 1)
        self.advisory.release(i + 1)
        self.notify.release(i + 1)
        return Result("RELEASE")

    # -- dispatch ------------------------------------------------------------------------------

    def _dispatch(
        self, stmt: Statement, params: list[Any], param_types: Sequence[SqlType | None] | None
    ) -> Result:
        # Type names resolve against this statement's catalog and search path, user-defined
        # types included (sql.user_types), while it is planned and while DDL runs.
        with self._user_types():
            return self._dispatch_statement(stmt, params, param_types)

    @contextmanager
    def _user_types(self) -> Iterator[None]:
        """Type names resolve against this session's catalog and search path meanwhile, and
        values print with its output settings (extra_float_digits, bytea_output)."""
        token = T.USER_TYPES.set(user_types.resolver(self.catalog, self.search_path()))
        style = T.OUTPUT_STYLE.set(T.output_style(self.settings))
        try:
            yield
        finally:
            T.OUTPUT_STYLE.reset(style)
            T.USER_TYPES.reset(token)

    def _dispatch_statement(
        self, stmt: Statement, params: list[Any], param_types: Sequence[SqlType | None] | None
    ) -> Result:
        self.executions += 1
        if stmt.utility is None or stmt.command in ("EXPLAIN", "COPY", "FETCH", "MOVE"):
            self.snapshot_set = True
        if stmt.command in cursors.COMMANDS:
            return cursors.run(self, stmt, params, list(param_types or []))
        if stmt.command == "PREPARE":
            return prep.prepare(self, stmt)
        if stmt.command == "LOCK":
            table_locks.lock(self, stmt.text, self.in_block and not self.implicit)
            return Result("LOCK TABLE")
        if stmt.command == "EXECUTE":
            ctx = Context(params=params, param_types=list(param_types or []))
            ctx.session = self
            return prep.execute(self, stmt, ctx)
        if stmt.utility is not None and stmt.utility[0] == "explain":
            return self._explain(stmt, params, list(param_types or []))
        if stmt.utility is not None:
            return self._utility(stmt)
        if stmt.command in databases.COMMANDS:  # the login's databases, not this one's
            return databases.run(self, self.directory, stmt.command, stmt.tokens)
        if stmt.command in routine_ddl.COMMANDS:
            if self.read_only and stmt.command not in ("DO", "CALL"):
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return routine_ddl.run(self, stmt.command, stmt.text)
        if stmt.command in owner_ddl.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return owner_ddl.run(self, stmt.command, stmt.text)
        if stmt.command in aggregate_ddl.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return aggregate_ddl.run(self, stmt.text)
        if stmt.command == "ALTER TABLE" and any(
            str(t.text).upper() == "TRIGGER" for t in stmt.tokens
        ):
            done = routine_ddl.enable_trigger(self, stmt.text)
            if done is not None:
                return done
        if stmt.command in rule_ddl.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return rule_ddl.run(self, stmt.command, stmt.text)
        if stmt.command in type_ddl.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return type_ddl.run(self, stmt.command, stmt.text, stmt.tokens, stmt.start)
        if stmt.command in policy_ddl.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return policy_ddl.run(self, stmt.command, stmt.text, stmt.tokens, stmt.start)
        if stmt.command in extension_ddl.COMMANDS:
            return extension_ddl.run(self, stmt.command, stmt.tokens)
        if stmt.command in matviews.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return matviews.run(self, stmt)
        if stmt.command == "ALTER DEFAULT PRIVILEGES":
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return grants.alter_default(self, stmt.tokens)
        if stmt.command in role_ddl.COMMANDS:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            return role_ddl.run(self, stmt.command, stmt.tokens)
        if stmt.command in commands.NAMED:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    f"cannot execute {stmt.command} in a read-only transaction"
                )
            done = ddl.run_named(self, stmt.command, stmt.tokens, stmt.text)
            if done is not None:
                return done
        if stmt.command in ("CREATE SCHEMA", "ALTER SCHEMA"):
            done = self._schema_command(stmt)
            if done is not None:
                return done
        # Statements reuse their plan while what planning resolved is unchanged: the
        # statement text, the parameter types, the catalog version, the search path
        # (which names resolve to which tables) and the output settings (constants cast to
        # text are folded as they print) pick it. No plan is cached on a catalog this
        # transaction changed and has not committed (Catalogs.plan_version).
        version = self.database.catalogs.plan_version(self.current_txn())
        key = None
        if version is not None:
            key = (
                stmt.text,
                tuple([t.oid if t else 0 for t in param_types]) if param_types else (),
                version,
                self.settings["search_path"],
                T.output_style(self.settings),
                self.settings["role"],
                self.settings["session_authorization"],
            )
        cached = self.plan_cache.get(key) if key is not None else None
        if cached is not None and id(cached[0]) not in self._plans_in_use:
            plan, ctx, columns = cached
            ctx.params[:] = params
            ctx.session = self
            plan.run_txn = self.current_txn
            return Result("SELECT", columns, pending=self._rows_of(plan))
        written = self.dml_cache.get(key) if key is not None else None
        if written is not None:
            dml_plan, ctx = written
            self._check_writable(dml_plan, stmt.command)
            ctx.params[:] = params
            ctx.session = self
            return dml_plan.run()
        # Planning anew (the catalog changed) may pick a plan of any size: not inline.
        nowait.check()
        stmt, on_commit = temp.split_on_commit(stmt)
        nulls, only = None, False
        if stmt.command == "CREATE VIEW":
            plain = recursive_view.rewrite(stmt.text, stmt.tokens, stmt.start)
            if plain is not None:
                stmt = Statement(plain, stmt.start, None, stmt.command)
        if stmt.command == "CREATE INDEX":
            text, nulls = index_options.split_nulls_distinct(stmt.text, stmt.tokens, stmt.start)
            text, only = index_options.split_only(text)
            if nulls is not None or only:
                stmt = Statement(text, stmt.start, None, stmt.command)
        check_option = None
        if stmt.command == "CREATE VIEW":
            text, check_option = view_ddl.split_check_option(view_ddl.recursive_as_with(stmt.text))
            if text != stmt.text:
                stmt = Statement(text, stmt.start, None, stmt.command)
        tree = self.parse(stmt)
        if check_option is not None:
            tree.meta["check_option"] = check_option
        if nulls:
            tree.meta["nulls_not_distinct"] = True
        if only:
            tree.meta["only"] = True
        if on_commit is not None:
            tree.meta["on_commit"] = on_commit
        if stmt.command == "CREATE SEQUENCE":  # its options are read from its tokens
            tree.meta["tokens"] = stmt.tokens
        if isinstance(tree, exp.Command) and stmt.command:
            # sqlglot gave up on the text: db9 runs nothing it cannot read.
            raise FeatureNotSupported(f"this form of {stmt.command} is not supported")
        return self.run_tree(tree, params, list(param_types or []), cache_key=key)

    def run_nested(self, stmt: Statement) -> Result:
        """A statement a routine runs that is no query or DML, in the caller's statement."""
        return self._dispatch(stmt, [], None)

    def _schema_command(self, stmt: Statement) -> Result | None:
        """ALTER SCHEMA, and CREATE SCHEMA with schema elements (sql.schema_ddl); None: a
        plain CREATE SCHEMA, run from sqlglot's tree."""
        if self.read_only:
            raise ReadOnlySqlTransaction(
                f"cannot execute {stmt.command} in a read-only transaction"
            )
        if stmt.command == "ALTER SCHEMA":
            return schema_ddl.alter(self, stmt)
        if not schema_ddl.elements(stmt)[1]:
            return None

        def create(name: str) -> Result:
            plain = Statement(f'CREATE SCHEMA "{name}"', 0, None)
            return self.run_tree(self.parse(plain), [], [])

        return schema_ddl.create_with_elements(
            self, stmt, create, lambda piece: self._dispatch(piece, [], None)
        )

    def _check_writable(self, plan: dml.DmlPlan, command: str) -> None:
        """25006 for a write in a READ ONLY transaction, but to a temporary table."""
        if self.read_only and not plan.temporary:
            raise ReadOnlySqlTransaction(f"cannot execute {command} in a read-only transaction")

    def _rows_of(self, plan: Plan) -> _PlanRows:
        """The plan's rows, produced as they are consumed; the plan (and its ctx.params) is
        this execution's until the rows are closed."""
        key = id(plan)
        self._plans_in_use[key] = self._plans_in_use.get(key, 0) + 1

        def release() -> None:
            n = self._plans_in_use.pop(key, 1) - 1
            if n > 0:
                self._plans_in_use[key] = n

        return _PlanRows(iterate_plan(plan), release)

    def parse(self, stmt: Statement) -> exp.Expr:
        cache = self.database.parse_cache
        hit = cache.get(stmt.text)
        if hit is None:
            try:
                # Unquoted identifiers fold to lower case, as PostgreSQL's lexer folds them;
                # quoted ones keep their case. Done once, on the tree the cache keeps.
                trees = [
                    None
                    if t is None
                    else normalize_identifiers(
                        unqualify_catalog_calls(lexer.plain_literals(t)), dialect="postgres"
                    )
                    for t in sqlglot.parse(stmt.text, read=DIALECT)
                ]
            except ParseError as exc:
                err = exc.errors[0] if exc.errors else {}
                raise SyntaxError_(
                    f'syntax error at or near "{err.get("highlight", "")}"'
                    if err.get("highlight")
                    else "syntax error",
                    position=stmt.start + error_position(stmt.text, err),
                ) from None
            except TokenError as exc:
                raise SyntaxError_(f"syntax error: {exc}") from None
            if len(cache) >= _PARSE_CACHE_SIZE:
                del cache[next(iter(cache))]  # the oldest: a FIFO bound, not a cliff
            cache[stmt.text] = hit = trees
        if not hit or hit[0] is None:
            raise SyntaxError_("empty statement")
        return hit[0].copy()

    def run_tree(
        self,
        tree: exp.Expr,
        params: list[Any],
        param_types: list[SqlType | None],
        cache_key: tuple[Any, ...] | None = None,
    ) -> Result:
        ctx = Context(params=params, param_types=list(param_types))
        if isinstance(tree, exp.Command):
            raise FeatureNotSupported(f"statement {tree.this} is not supported")
        if isinstance(tree, exp.Select) and tree.args.get("into") is not None:
            if self.read_only:
                raise ReadOnlySqlTransaction(
                    "cannot execute SELECT INTO in a read-only transaction"
                )
            return ctas.select_into(self, tree, ctx)
        if isinstance(tree, exp.Query | exp.Insert | exp.Update | exp.Delete):
            ctas.refuse_into(tree)
        if isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except | exp.Values) or (
            # a parenthesised query, ((SELECT ...)), is the query
            isinstance(tree, exp.Subquery) and _bare_parens(tree)
        ):
            if self.read_only and tree.find(exp.Insert, exp.Update, exp.Delete) is not None:
                raise ReadOnlySqlTransaction(  # WITH t AS (INSERT ...) SELECT ...
                    "cannot execute statement in a read-only transaction"
                )
            ctx.fold = True
            planner = Planner(self, self.catalog(), ctx)
            plan = planner.plan_query(tree)
            ctx.raise_folded()
            prune_columns(tree, plan.node)
            rows = self._rows_of(plan)
            if cache_key is not None and _cacheable(tree) and cache_key not in self.plan_cache:
                cache = self.plan_cache
                if len(cache) >= _PLAN_CACHE_SIZE:
                    cache.clear()
                    self.point_reads.clear()
                cache[cache_key] = (plan, ctx, [(c.name, c.type) for c in plan.columns])
                if is_point_read(plan.node) and not any(
                    s is not tree for s in tree.find_all(exp.Select)
                ):
                    self.point_reads.add(cache_key[0])
                else:
                    self.point_reads.discard(cache_key[0])
            return Result("SELECT", [(c.name, c.type) for c in plan.columns], pending=rows)
        if self.read_only and isinstance(
            tree, exp.Create | exp.Drop | exp.Alter | exp.TruncateTable
        ):
            raise ReadOnlySqlTransaction("cannot execute statement in a read-only transaction")
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
            plan_dml = (
                dml.plan_insert
                if isinstance(tree, exp.Insert)
                else dml.plan_update
                if isinstance(tree, exp.Update)
                else dml.plan_delete
            )
            ctx.fold = True
            planned = plan_dml(self, tree, ctx)  # type: ignore[arg-type]
            ctx.raise_folded()
            dml_plan = dml.run_writes(planned, ctx)
            self._check_writable(dml_plan, type(tree).__name__.upper())
            if cache_key is not None and _cacheable(tree):
                if len(self.dml_cache) >= _PLAN_CACHE_SIZE:
                    self.dml_cache.clear()
                    self.point_writes.clear()
                self.dml_cache[cache_key] = (dml_plan, ctx)
                if dml_plan.point:
                    self.point_writes.add(cache_key[0])
                else:
                    self.point_writes.discard(cache_key[0])
            return dml_plan.run()
        if isinstance(tree, exp.Create) and _execute_as(tree) is not None:
            tree = self._as_execute(tree, ctx)
        if isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() == "VIEW":
            return view_ddl.create_view(self, tree, ctx)
        if (
            isinstance(tree, exp.Create)
            and tree.args.get("expression") is not None
            and (str(tree.args.get("kind")).upper() == "TABLE")
        ):
            return ctas.create_table_as(self, tree, ctx)
        if isinstance(tree, exp.Create | exp.Drop | exp.Alter | exp.TruncateTable):
            return ddl.run(self, tree, ctx)
        if isinstance(tree, exp.Set):
            return self._set_tree(tree)
        if isinstance(tree, exp.Transaction):
            return self._begin(["BEGIN", *tree.sql(dialect="postgres").split()[1:]])
        if not isinstance(tree, exp.DDL | exp.DML | exp.Command):
            # A bare expression, e.g. "foo" or "1 + 1", is not a statement in PostgreSQL.
            first = tree.sql(dialect="postgres").split(" ")[0]
            raise SyntaxError_(f'syntax error at or near "{first}"', position=1)
        with_ = tree.args.get("with_")
        if (
            isinstance(tree, exp.Merge)
            and isinstance(with_, exp.With)
            and with_.args.get("recursive")
        ):
            raise SyntaxError_("WITH RECURSIVE is not supported for MERGE statement")
        raise FeatureNotSupported(f"statement {type(tree).__name__.upper()} is not supported")

    def _as_execute(self, tree: exp.Create, ctx: Context) -> exp.Create:
        """CREATE TABLE ... AS EXECUTE name(args) as CREATE TABLE ... AS its query, with
        ``ctx`` holding the parameters' values."""
        call = _execute_as(tree)
        assert call is not None
        named, values = prep.bind(self, call.name.lower(), list(call.expressions), ctx)
        query = self.parse(named.stmt) if named.stmt is not None else None
        if not isinstance(query, exp.Query):
            raise WrongObjectType("prepared statement is not a SELECT")
        ctx.params[:] = values
        ctx.param_types[:] = list(named.param_types)
        props = tree.args["properties"]
        props.set("expressions", [p for p in props.expressions if p is not call.parent])
        tree.set("expression", query)
        return tree

    # -- SET / SHOW / EXPLAIN ------------------------------------------------------------------

    def _utility(self, stmt: Statement) -> Result:
        assert stmt.utility is not None
        kind, words = stmt.utility
        if kind in ("set", "show", "reset"):
            words = join_dotted(words)
        lower = [w.lower() for w in words]
        if kind == "set" and lower[1:2] == ["constraints"]:
            return self._set_constraints(stmt.tokens[2:])
        identity = _identity_command(kind, lower)
        if identity is not None:
            what, local = identity
            name = _role_word(stmt.tokens[-1])
            reset = kind == "reset" or name in (None, "none" if what == "role" else "default")
            roles.set_identity(self, what, None if reset else name, local=local)
            return Result("RESET" if kind == "reset" else "SET")
        if kind == "savepoint":
            return self._savepoint(words[-1])
        if kind == "release":
            return self._release(words[-1])
        if kind == "show":
            return self._show(" ".join(lower[1:]))
        if kind == "set":
            return self._set(words, stmt.text)
        if kind == "reset":
            name = lower[1] if len(lower) > 1 else ""
            if name == "all":  # who the session acts as is not a setting RESET ALL resets
                self.scopes.reset_all({k: v for k, v in self.defaults.items()
                                       if k not in ("role", "session_authorization")})  # fmt: skip
            elif name in self.defaults:
                self.scopes.set(name, self.defaults[name])
            return Result("RESET")
        if kind == "explain":
            return self._explain(stmt)
        if kind in ("vacuum", "analyze", "analyse", "checkpoint"):
            return self._maintenance(stmt)
        if kind == "reindex":
            return reindex.run(self, stmt.text)
        if kind == "copy":
            spec = parse_copy(
                _folded(stmt),
                stmt.text,
                [t.start - stmt.start for t in stmt.tokens],
                [t.token_type.name.endswith("STRING") for t in stmt.tokens],
            )
            # Resolve the table now: a bad name fails before the client sends any data.
            columns = self._copy_columns(spec)
            spec.ncols = len(columns)
            resolve_forced(spec, [n for n, _ in columns], spec.table, bool(spec.columns))
            if spec.where is not None:
                self._copy_where(spec)
            return Result("COPY", copy=spec)
        if kind == "discard":
            return self._discard(lower[1:])
        if kind == "deallocate":
            return prep.deallocate(self, words)
        if kind in ("listen", "unlisten", "notify"):
            return self._listen_notify(kind, stmt)
        raise FeatureNotSupported(f"{kind.upper()} is not supported")

    def _listen_notify(self, kind: str, stmt: Statement) -> Result:
        """LISTEN, UNLISTEN, NOTIFY: recorded now, in effect when the transaction commits."""
        words = []  # (text, a string constant): names folded and cut as PostgreSQL's
        for t in stmt.tokens[1:]:
            string = t.token_type.name.endswith("STRING")
            text = t.text if string or t.token_type == TokenType.IDENTIFIER else t.text.lower()
            if not string and t.token_type not in (TokenType.COMMA, TokenType.STAR):
                text = self._identifier(text)
            words.append((text, string))
        channel, payload = notifications.parse(kind, words)
        if kind == "listen":
            assert channel is not None
            self.notify.listen(channel)
        elif kind == "unlisten":
            self.notify.unlisten(channel)
        else:
            self.notify.notify(channel, payload)
        return Result(kind.upper())

    def _identifier(self, name: str) -> str:
        """``name`` cut to 63 bytes with PostgreSQL's NOTICE (NAMEDATALEN)."""
        raw = name.encode()
        if len(raw) < notifications.NAMEDATALEN:
            return name
        cut = raw[: notifications.NAMEDATALEN - 1].decode(errors="ignore")
        self.notices.append(f'identifier "{name}" will be truncated to "{cut}"')
        return cut

    def _discard(self, what: list[str]) -> Result:
        if what not in (["all"], ["plans"], ["sequences"], ["temp"], ["temporary"]):
            raise SyntaxError_(f'syntax error at or near "{" ".join(what) or "DISCARD"}"')
        if what == ["all"] and self.in_block:
            raise ActiveSqlTransaction("DISCARD ALL cannot run inside a transaction block")
        if what in (["all"], ["plans"]):
            self.plan_cache.clear()
            self.dml_cache.clear()
            self.point_writes.clear()
            self.point_reads.clear()
        if what in (["all"], ["sequences"]):
            self.last_values.clear()
        if what == ["all"]:
            self.prepared.clear()
            self.advisory.unlock_all()  # PostgreSQL's DISCARD ALL: pg_advisory_unlock_all()
            self.notify.unlisten(None)  # and UNLISTEN *
        if what in (["all"], ["temp"], ["temporary"]):
            self.drop_temp()
        if what == ["all"]:
            # A pooler's reset between clients: no setting may leak to the next one.
            self.scopes.reset_all(self.defaults)
        return Result("DISCARD " + {"temporary": "TEMP"}.get(what[0], what[0].upper()))

    def _maintenance(self, stmt: Statement) -> Result:
        """VACUUM, ANALYZE, CHECKPOINT: storage reclaims old versions through the GC worker,
        so these check their arguments; ANALYZE also gathers the named tables' (or every
        table's) planner statistics (sql.stats)."""
        kind = stmt.command
        analyzed: list[TableDef] = []
        if kind == "VACUUM" and self.in_block:
            raise ActiveSqlTransaction("VACUUM cannot run inside a transaction block")
        # The tokenizer may hand back the rest of the command as one token: read it again.
        head = stmt.tokens[0]
        tokens, i = [head, *DIALECT.tokenize(stmt.text[head.end + 1 - stmt.start :])], 1
        options = {"VERBOSE", "FULL", "FREEZE", "ANALYZE", "ANALYSE", "SKIP_LOCKED"}
        said: set[str] = set()  # the options given, VACUUM (ANALYZE) or VACUUM ANALYZE
        if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
            while i < len(tokens) and tokens[i].token_type != TokenType.R_PAREN:
                said.add(str(tokens[i].text).upper())
                i += 1
            i += 1
        while i < len(tokens) and str(tokens[i].text).upper() in options:
            said.add(str(tokens[i].text).upper())
            i += 1
        if kind == "CHECKPOINT" and i < len(tokens):
            raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
        catalog = self.catalog()
        first_name = i
        while i < len(tokens):
            names, i = relations.read_names(tokens, i)
            name = names[0]
            rel = relations.lookup(catalog, name, self.search_path())
            if rel is None:
                raise UndefinedTable(f'relation "{name}" does not exist')
            if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
                j = i + 1
                while j < len(tokens) and tokens[j].token_type != TokenType.R_PAREN:
                    col = relations.ident(tokens[j])
                    if tokens[j].token_type != TokenType.COMMA and not (
                        rel.kind == "TABLE" and rel.table.has_column(col)
                    ):
                        raise UndefinedColumn(
                            f'column "{col}" of relation "{name.name}" does not exist'
                        )
                    j += 1
                i = j + 1
            if i < len(tokens) and tokens[i].token_type == TokenType.COMMA:
                i += 1
            if rel.kind == "TABLE":
                analyzed.append(rel.table)
            else:
                self.notices.append(
                    f'skipping "{name.name}" --- cannot {kind.lower()} non-tables or '
                    "special system tables"
                )
        if kind in ("ANALYZE", "ANALYSE"):
            if not analyzed and i == first_name:
                analyzed = [t for t in catalog.all_tables() if t.kind == "table"]
            txn = self.current_txn()
            gather = stats.analyze
            for table in analyzed:
                found = gather(txn, self.database.db, table)
                self.database.catalogs.put_table(txn, replace(table, stats=found), catalog,
                                                 new=False)  # fmt: skip
        return Result("ANALYZE" if kind == "ANALYSE" else kind)

    def _set_constraints(self, rest: list[Any]) -> Result:
        """SET CONSTRAINTS ALL | name, ... DEFERRED | IMMEDIATE (sql.unique_checks); outside
        a block it only checks the names and warns, as PostgreSQL does. ``rest`` are the
        tokens after CONSTRAINTS; a name folds as an identifier (quoted ones keep their case),
        a schema before it is passed over."""
        mode = str(rest[-1].text).lower() if rest else ""
        if mode not in ("deferred", "immediate"):
            raise SyntaxError_("syntax error at end of input")
        names: list[str] = []
        for k, tok in enumerate(rest[:-1]):
            ends_name = k + 1 == len(rest) - 1 or rest[k + 1].token_type == TokenType.COMMA
            if tok.token_type not in (TokenType.COMMA, TokenType.DOT) and ends_name:
                names.append(relations.ident(tok))
        unique_checks.set_constraints(self, names, mode == "deferred")
        if not self.in_block:
            self.deferrals.clear()
            self.notices.append(
                warning("SET CONSTRAINTS can only be used in transaction blocks", "25P01")
            )
        return Result("SET CONSTRAINTS")

    # -- COPY ----------------------------------------------------------------------------------

    def _copy_columns(self, spec: CopySpec) -> list[tuple[str, SqlType]]:
        if spec.query is not None:
            plan = Planner(self, self.catalog(), Context()).plan_query(
                self.parse(Statement(spec.query, 0, None))
            )
            return [(c.name, c.type) for c in plan.columns]
        assert spec.table is not None, "COPY names a table or a query"
        found = self.catalog().find(spec.table, spec.schema, self.search_path())
        if found is not None and found.kind == "sequence":
            way = "from" if spec.direction == "out" else "to"
            raise WrongObjectType(f'cannot copy {way} sequence "{spec.table}"')
        table = self.catalog().table(spec.table, spec.schema, self.search_path())
        names = spec.columns or [c.name for c in table.live_columns]
        return [(n, table.column(n).type) for n in names]

    def _copy_where(self, spec: CopySpec) -> Callable[[Any], Any]:
        """COPY FROM's WHERE condition over the table's rows, checked as PostgreSQL checks
        it (no subquery, aggregate or window function; boolean)."""
        assert spec.where is not None and spec.table is not None
        table = self.catalog().table(spec.table, spec.schema, self.search_path())
        tree = self.parse(Statement(f"SELECT 1 WHERE {spec.where}", 0, None)).args["where"].this
        if tree.find(exp.Subquery, exp.Select):
            raise FeatureNotSupported("cannot use subquery in COPY FROM WHERE condition")
        if contains_aggregate(tree):
            raise GroupingError("aggregate functions are not allowed in COPY FROM WHERE conditions")
        if tree.find(exp.Window):
            raise WindowingError("window functions are not allowed in COPY FROM WHERE conditions")
        ctx = Context()
        ctx.session = self
        return Compiler(table_scope(table, None), ctx)._bool(tree).fn

    def copy_in(
        self,
        spec: Any,
        data: bytes | Iterable[bytes],
        recv: Callable[[bytes, SqlType], Any] | None = None,
    ) -> Result:
        """Apply the rows of a COPY FROM STDIN, as one statement of this session. ``data`` may
        be the pieces as they arrive (an iterator that waits for them): rows are parsed and
        written piece by piece, never holding the whole input. ``recv`` decodes a field of
        binary-format data (the wire's binary form of a type: pgwire.values)."""
        chunks = [data] if isinstance(data, bytes | bytearray) else data
        return self._guarded(lambda: self._copy_in(spec, chunks, recv))

    def _copy_in(
        self,
        spec: Any,
        chunks: Iterable[bytes],
        recv: Callable[[bytes, SqlType], Any] | None,
    ) -> Result:
        table = self.catalog().table(spec.table, spec.schema, self.search_path())
        if self.read_only:
            raise ReadOnlySqlTransaction("cannot execute COPY FROM in a read-only transaction")
        live = table.live_columns
        names = spec.columns or [c.name for c in live]
        positions = [next(i for i, c in enumerate(live) if c.name == n) for n in names]
        types = [table.column(n).type for n in names]
        ctx = Context()
        defaults = {
            i: default_value(self, table, c.name, ctx)
            for i, c in enumerate(live)
            if c.name not in names
        }
        writer = TableWriter(self, table, ctx)
        fire = Firing.of(self, table, "insert", ctx)  # COPY FROM fires INSERT triggers
        if fire is not None:
            fire.statement("before")
        width, nlive = len(names), len(live)
        records: Iterable[Sequence[Any]]
        parsers: list[Callable[[Any], Any]]
        if spec.binary:
            if recv is None:
                raise FeatureNotSupported("binary COPY needs the wire protocol's binary forms")
            parsers = [
                functools.partial(_recv_field, recv, t, n)
                for t, n in zip(types, names, strict=True)
            ]
            records = parse_binary_rows(width, chunks)
        else:
            parsers = [T.text_parser(t) for t in types]
            records = parse_rows(spec, chunks)
        # A row built straight in table order when COPY names every column in that order.
        direct = positions == list(range(nlive))
        fills = list(defaults.items())
        condition = self._copy_where(spec) if spec.where is not None else None
        check_row = writer.check_row
        count = 0
        batch: list[tuple[Any, ...]] = []
        # (a cast: mypy narrows ``records`` to the union of the two parsers' row types)
        for line_no, fields in enumerate(cast("Iterable[Sequence[Any]]", records), 1):
            if len(fields) != width:
                where = f"COPY {table.name}, line {line_no}"
                if len(fields) > width:
                    raise BadCopyFileFormat("extra data after last expected column", detail=where)
            try:
                values = [
                    None if v is None else parse(v)
                    for v, parse in zip(fields, parsers, strict=True)
                ]
            except ValueError:  # fewer fields than columns: a bad value before them is reported
                values = []
                for i, parse in enumerate(parsers):
                    if i >= len(fields):
                        raise BadCopyFileFormat(
                            f'missing data for column "{names[i]}"',
                            detail=f"COPY {table.name}, line {line_no}",
                        ) from None
                    v = fields[i]
                    values.append(None if v is None else parse(v))
            if direct:
                row: list[Any] = values
            else:
                row = [None] * nlive
                for pos, v in zip(positions, values, strict=True):
                    row[pos] = v
            for i, d in fills:
                row[i] = d.fn(())
            # As PostgreSQL's buffered COPY: constraints of each row as it is read, unique
            # indexes and foreign keys when a batch of rows is written.
            full = tuple(row)
            if condition is not None and condition(full) is not True:
                continue  # before the row's triggers and checks, as PostgreSQL's CopyFrom
            check_row(full)
            batch.append(full)
            if len(batch) == COPY_BATCH or fire is not None:
                count += _flush(writer, batch, fire)
        count += _flush(writer, batch, fire)
        writer.finish()
        if fire is not None:
            fire.finish()
        return Result(f"COPY {count}")

    def copy_out(self, spec: CopySpec) -> Result:
        """A COPY TO STDOUT, run as one statement of this session: its columns, and its rows
        as ``result.stream`` (to be formatted with ``sql.copy.format_row``); the tag, once
        the stream has ended, is ``COPY n``."""
        return self._guarded(lambda: self._copy_out(spec), stream=True)

    def _copy_out(self, spec: CopySpec) -> Result:
        query = spec.query
        if query is None:
            assert spec.table is not None  # COPY names a table or a query
            cols = ", ".join(_quote_ident(c) for c, _ in self._copy_columns(spec))
            names = [spec.schema, spec.table] if spec.schema else [spec.table]
            target = ".".join(_quote_ident(n) for n in names)
            table = self.catalog().find(spec.table, spec.schema, self.search_path())
            if table is not None and table.partkey is not None:
                raise WrongObjectType(
                    f'cannot copy from partitioned table "{table.name}"',
                    hint="Try the COPY (SELECT ...) TO variant.",
                )
            # COPY table TO reads the table alone, never its inheritance children's rows.
            query = f"SELECT {cols} FROM ONLY {target}"
        result = self.run_tree(self.parse(Statement(query, 0, None)), [], [])
        return Result("COPY", result.columns, pending=result.pending)

    def _show(self, name: str) -> Result:
        name = name.strip()
        if name == "all":
            rows = sorted((k, v, "") for k, v in self.settings.items())
            return Result(
                "SHOW", [("name", T.TEXT), ("setting", T.TEXT), ("description", T.TEXT)], rows
            )
        key = {"time zone": "timezone", "transaction isolation level": "transaction_isolation"}.get(
            name, name.replace(" ", "_")
        )
        if key in ("transaction_isolation", "transaction_read_only", "transaction_deferrable"):
            # Outside a block: what the next transaction will be.
            value = self.settings[key] if self.in_block else self.settings[f"default_{key}"]
        elif key == "session_authorization":
            value = roles.session_name(self)
        elif key in self.settings:
            value = self.settings[key]
        else:
            raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
        column = _SHOW_NAMES.get(key, key)  # the parameter's own spelling, as guc.c has it
        return Result("SHOW", [(column, T.TEXT)], [(value,)])

    def _set(self, words: list[str], source: str = "") -> Result:
        lower = [w.lower() for w in words]
        rest = lower[1:]
        local = False
        if rest and rest[0] in ("session", "local") and rest[1:2] != ["characteristics"]:
            local = rest[0] == "local"
            words, lower, rest = words[1:], lower[1:], rest[1:]
        if rest[:1] == ["transaction"] and rest[1:2] != ["snapshot"]:
            return self._set_transaction(transaction_modes.parse(words[2:]))
        if rest[:4] == ["session", "characteristics", "as", "transaction"]:
            modes = transaction_modes.parse(words[5:])
            if modes.isolation:
                self.scopes.set("default_transaction_isolation", modes.isolation)
                if modes.isolation == "serializable":
                    self.notices.append(SERIALIZABLE_NOTICE)
            for mode, flag in (("read_only", modes.read_only), ("deferrable", modes.deferrable)):
                if flag is not None:
                    self.scopes.set(f"default_transaction_{mode}", "on" if flag else "off")
            return Result("SET")
        if not rest:
            raise SyntaxError_("syntax error at end of input")
        name = rest[0]
        if name == "time" and rest[1:2] == ["zone"]:
            name, values = "timezone", words[3:]
        else:
            values = words[2:]
            if values and values[0].lower() in ("=", "to"):
                values = values[1:]
        value = (
            ",".join(v for v in values if v != ",") if name == "search_path" else " ".join(values)
        )
        if name in guc.TIME_SETTINGS:
            value = set_value(name, source or " ".join(words))
        if value.lower() == "default":
            value = self.defaults.get(name, "")
        if name in ("transaction_read_only", "transaction_deferrable"):
            flag = value.lower().strip("'") in ("on", "true", "yes", "1")
            if name == "transaction_read_only":
                return self._set_transaction(transaction_modes.Modes(read_only=flag))
            return self._set_transaction(transaction_modes.Modes(deferrable=flag))
        if name in ("transaction_isolation", "default_transaction_isolation"):
            value = value.lower()
            if value not in transaction_modes.ISOLATION_LEVELS:
                raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"')
            if value == "serializable":
                self.notices.append(SERIALIZABLE_NOTICE)
            if name == "transaction_isolation":
                return self._set_transaction(transaction_modes.Modes(isolation=value))
        if name == "search_path":
            value = ", ".join(p.strip() for p in value.split(","))
        if name == "timezone" and value.lower() in ("local", "default"):
            value = self.defaults.get(name, "UTC")
        if local and not self.in_block:
            self.notices.append(
                warning("SET LOCAL can only be used in transaction blocks", "25P01")
            )
        self.set_config(name, value, local=local)
        return Result("SET")

    def _set_tree(self, tree: exp.Set) -> Result:
        return self._set(tree.sql(dialect="postgres").split())

    def _explained(self, stmt: Statement) -> tuple[dict[str, Any], Statement]:
        """EXPLAIN's options and the statement it explains."""
        after = stmt.text.strip()[len("EXPLAIN") :]
        opts, text = explain_options(after)
        return opts, Statement(text, stmt.start + len(stmt.text) - len(text), None)

    def _explain(
        self,
        stmt: Statement,
        params: list[Any] | None = None,
        param_types: list[SqlType | None] | None = None,
    ) -> Result:
        assert stmt.utility is not None
        opts, inner = self._explained(stmt)
        tree = self.parse(inner)
        params, param_types = params or [], param_types or []
        started = time.perf_counter()
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
            kind = type(tree).__name__
            target = tree.find(exp.Table)
            top = Line(f"{kind} on {target.name if target is not None else '?'}")
            top.estimate = (0.0, 0)
        elif isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except | exp.Values):
            ctx = Context(params=params, param_types=list(param_types), fold=True)
            plan = Planner(self, self.catalog(), ctx).plan_query(tree)
            ctx.raise_folded()
            locks = bool(tree.args.get("locks"))
            top = explain_tree(plan, self.settings, locks)
        else:
            raise FeatureNotSupported("EXPLAIN supports queries, INSERT, UPDATE and DELETE only")
        costs = opts.get("costs", True)
        lines = top.render(costs=costs)
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
            lines = [top.title]  # db9 shows the write's target only
        actual: tuple[float, int] | None = None
        summary: list[tuple[str, Any]] = []
        if opts.get("analyze"):  # runs the statement, as PostgreSQL's does
            planned = time.perf_counter()
            result = self.run_tree(tree, params, list(param_types))
            rows = len(result.rows or [])
            if result.pending is not None:
                try:
                    rows = sum(1 for _ in result.pending)
                finally:
                    result.pending.close()
            if result.columns is None:
                rows = 0
            done = time.perf_counter()
            planning, execution = (planned - started) * 1000, (done - planned) * 1000
            lines = analyzed(lines, opts, rows, planning, execution)
            actual = (execution, rows)
            if opts.get("summary", True):
                summary = [("Planning Time", Number(f"{planning:.3f}")), ("Triggers", []),
                           ("Execution Time", Number(f"{execution:.3f}"))]  # fmt: skip
        fmt = opts["format"]
        if fmt == "text":
            return Result("EXPLAIN", [("QUERY PLAN", T.TEXT)], [(line,) for line in lines])
        props = dict(plan_properties(top, costs, actual))
        text = render(fmt, [("Plan", props), *summary])
        return Result("EXPLAIN", [("QUERY PLAN", explain_type(fmt))], [(text,)])


def _recv_field(recv: Callable[[bytes, SqlType], Any], t: SqlType, column: str, raw: bytes) -> Any:
    """One field of binary COPY data as a value of its column's type."""
    try:
        return recv(raw, t)
    except InvalidBinaryRepresentation:
        raise InvalidBinaryRepresentation(
            "incorrect binary data format", detail=f'column "{column}"'
        ) from None


def _flush(writer: TableWriter, batch: list[tuple[Any, ...]], fire: Firing | None = None) -> int:
    """Write COPY's buffered rows (each already checked for NOT NULL and CHECK, without its
    row id yet); returns how many. With triggers (``fire``) each row goes through them: one
    a BEFORE trigger skips is not written, one it changes is checked again."""
    if not batch:
        return 0
    rows = list(writer.complete_many(batch))  # (the batch itself, when the rows are complete)
    batch.clear()
    if fire is None:
        writer.insert_many(rows, checked=True)
        return len(rows)
    rows = [r for r in (fire.before_row(None, row) for row in rows) if r is not None]
    writer.insert_many(rows)
    for row in rows:
        fire.after_row(None, row)
    return len(rows)


def _locks_rows(stmt: Statement) -> bool:
    """Whether ``stmt`` is a query with a locking clause: FOR UPDATE, FOR NO KEY UPDATE,
    FOR SHARE or FOR KEY SHARE."""
    if stmt.command not in ("SELECT", "WITH"):
        return False
    words = [t.text.upper() for t in stmt.tokens]
    return any(
        w == "FOR" and nxt in ("UPDATE", "SHARE", "NO", "KEY")
        for w, nxt in itertools.pairwise(words)
    )


def _execute_as(tree: exp.Create) -> exp.Anonymous | None:
    """The ``name(args)`` of CREATE TABLE ... AS EXECUTE name(args), if it is one."""
    props = tree.args.get("properties")
    for p in props.expressions if props is not None else []:
        if isinstance(p, exp.ExecuteAsProperty) and isinstance(p.this, exp.Var):
            p.set("this", exp.Anonymous(this=p.this.name, expressions=[]))  # EXECUTE name
        if isinstance(p, exp.ExecuteAsProperty) and isinstance(p.this, exp.Anonymous):
            return p.this
    return None


def _nothing() -> None:
    pass


def same_row(result: Result, expect: list[tuple[str, SqlType]] | None) -> Result:
    """``result`` of a prepared statement described with the columns ``expect``: if its row
    type changed since (ALTER TABLE ... TYPE, a column added to ``SELECT *``), it fails as
    PostgreSQL's RevalidateCachedQuery does, before any row is produced (0A000: drivers such
    as asyncpg then prepare it again); the client would read the rows with the old types."""
    cols = result.columns
    if expect is None or cols is None:
        return result
    if [t.oid for _, t in cols] != [t.oid for _, t in expect]:
        if result.pending is not None:
            result.pending.close()
        raise CachedPlanChanged()
    return result


def _refuse(command: str) -> Result:
    commands.check_supported(command)
    raise AssertionError(f"{command} is supported")


class _PlanRows:
    """An iterator of a plan's rows whose ``close`` also frees the plan for reuse (even if the
    rows were never started, when a generator's ``finally`` would not run)."""

    __slots__ = ("release", "rows")

    def __init__(self, rows: Any, release: Callable[[], None]) -> None:
        self.rows, self.release = rows, release

    def __iter__(self) -> _PlanRows:
        return self

    def __next__(self) -> Any:
        return next(self.rows)

    def close(self) -> None:
        release, self.release = self.release, None  # type: ignore[assignment]
        try:
            self.rows.close()
        finally:
            if release is not None:
                release()


def _identity_command(kind: str, lower: list[str]) -> tuple[str, bool] | None:
    """("role" | "session_authorization", LOCAL) for SET [SESSION | LOCAL] ROLE, SET [...]
    SESSION AUTHORIZATION and their RESETs; None for any other SET or RESET."""
    if kind not in ("set", "reset"):
        return None
    rest = " ".join(lower[1:]).split()
    local = False
    if kind == "set" and rest[:1] in (["session"], ["local"]) and rest[1:2] != ["authorization"]:
        local = rest[0] == "local"
        rest = rest[1:]
    if rest[:1] == ["role"]:
        return "role", local
    if rest[:2] == ["session", "authorization"]:
        return "session_authorization", local
    return None


def _role_word(token: Any) -> str:
    """A role name as written: a quoted identifier or a string as it is (the token's text
    is already unquoted: ``"a""b"`` is ``a"b``), a bare word folded to lower case."""
    if token.token_type in (TokenType.IDENTIFIER, TokenType.STRING):
        return str(token.text)
    return str(token.text).lower()


def _cacheable(tree: exp.Expr) -> bool:
    """Plans whose compiled form holds values fixed at plan time (nextval, random) or
    sessions' state are not reused (now() and its kin are read when evaluated)."""
    volatile = {
        "nextval",
        "currval",
        "setval",
        "random",
        "gen_random_uuid",
        "current_setting",
        "current_user",
        "session_user",
        "current_schema",
        "user",
        "statement_timestamp",
        "clock_timestamp",
    }
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in volatile:
            return False
        if isinstance(
            node,
            exp.CurrentUser | exp.CurrentSchema | exp.Rand,
        ):
            return False
        if isinstance(node, exp.Func) and node.sql_name().lower() in volatile:
            return False
    return True


Runner = Callable[[str], list[Result]]


def _bare_parens(tree: exp.Subquery) -> bool:
    """Parentheses around a query and nothing else (no ORDER BY, LIMIT or alias of theirs)."""
    node: exp.Expr = tree
    while isinstance(node, exp.Subquery):
        if any(v for k, v in node.args.items() if k != "this"):
            return False
        node = node.this
    return isinstance(node, exp.Select | exp.Union | exp.Intersect | exp.Except)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _folded(stmt: Statement) -> list[str]:
    """A statement's token texts with unquoted names folded to lower case, as PostgreSQL
    folds them (quoted names and string constants as written)."""
    return [
        t.text
        if t.token_type == TokenType.IDENTIFIER or t.token_type.name.endswith("STRING")
        else t.text.lower()
        for t in stmt.tokens
    ]
