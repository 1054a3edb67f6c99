"""What statements need from the session that runs them, as typed Protocols.

dml, ddl, copy, the planner, the system catalog and SQL functions are handed a session;
they use only what ``SessionApi`` names, so they depend on this module and not on
sql.session (which imports them). ``sql.session.Session`` satisfies it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

from kv.client import Transaction
from sql.advisory_locks import SessionLocks
from sql.catalog import Catalog, CatalogStore
from sql.notifications import SessionNotify
from sql.sequences import Sequences

if TYPE_CHECKING:
    from sqlglot import exp

    from sql.activity import Wire
    from sql.cursors import Cursors
    from sql.deferrals import Deferrals
    from sql.result import Result
    from sql.statements import Statement
    from sql.types import SqlType


class DatabaseApi(Protocol):
    """The database a session is connected to, shared by its sessions."""

    @property
    def name(self) -> str: ...

    @property
    def catalogs(self) -> CatalogStore: ...

    @property
    def sequences(self) -> Sequences: ...


class SessionApi(Protocol):
    """One client's session, as a running statement sees it.

    ``current_txn`` is the statement's transaction (there always is one while a statement
    runs); ``catalog`` is the catalog that transaction sees."""

    db: bytes  # the database's key prefix
    user: str
    settings: dict[str, str]  # current values, as SHOW prints them
    defaults: dict[str, str]  # what RESET and DISCARD ALL return to
    notices: list[str]  # sent to the client after the statement
    last_values: dict[int, int]  # currval() per sequence id
    deferrals: Deferrals  # DEFERRABLE unique checks waiting, SET CONSTRAINTS modes
    # Counts the statements the session has begun: what an uncorrelated subquery's result
    # is remembered for (one evaluation per execution of its statement, cached plans too).
    executions: int
    cursors: Cursors  # the session's open SQL cursors (pg_cursors)
    prepared: dict[str, Any]  # its named prepared statements (sql.prepared.Prepared)
    in_block: bool  # inside BEGIN ... COMMIT (what CONCURRENTLY refuses)
    temp: Any  # sql.temp.TempState: the session's temporary schema and ON COMMIT actions
    routine_depth: int  # user routines running inside one another (sql.routine_call)
    trigger_depth: int  # triggers running inside one another: pg_trigger_depth()
    pid: int  # pg_backend_pid()
    advisory: SessionLocks  # its advisory locks (sql.advisory_locks)
    notify: SessionNotify  # its LISTEN/NOTIFY state (sql.notifications)
    failed: bool  # in a failed block (statements refused until ROLLBACK)
    running: Any  # the running statement's stop signal; None between statements
    txn: Transaction | None  # the session's transaction, while it has one
    # pg_stat_activity (sql.activity): the connection serving the session (None in-process),
    # its latest statement and when that started (epoch seconds)
    wire: Wire | None
    query: str
    query_start: float | None

    @property
    def read_only(self) -> bool:
        """A READ ONLY transaction (writes, nextval and setval refuse to run)."""
        ...

    @property
    def database(self) -> DatabaseApi: ...

    def current_txn(self) -> Transaction: ...

    xact_id: int  # txid_current()

    def catalog(self) -> Catalog: ...

    def search_path(self) -> list[str]: ...

    def statement_time(self) -> dt.datetime: ...
    def statement_start(self) -> dt.datetime: ...

    def info(self, name: str) -> Any: ...

    def set_config(self, name: str, value: str, *, local: bool = False) -> str: ...

    # Statements a routine runs (sql.routine_call, sql.plpgsql), in the caller's transaction.
    def split(self, sql: str) -> list[Statement]: ...

    def parse(self, stmt: Statement) -> exp.Expr: ...

    def run_tree(
        self,
        tree: exp.Expr,
        params: list[Any],
        param_types: list[SqlType | None],
        cache_key: tuple[Any, ...] | None = None,
    ) -> Result: ...

    def run_nested(self, stmt: Statement) -> Result:
        """A statement of a routine that is no query or DML (SET, CREATE TABLE ...)."""
        ...
