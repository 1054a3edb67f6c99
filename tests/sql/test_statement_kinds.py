"""Every kind of statement PostgreSQL 15 has, run on db9 and on PostgreSQL from one schema.

Each statement in ``CASES`` starts from the same objects on both servers (tables with and
without a primary key, a table in a second schema, an index, a sequence, a schema), so it has
objects of every kind to hit, including the wrong kind. db9 must then either do what
PostgreSQL does (same command tag, same rows, same catalog and table contents afterwards, same
SQLSTATE on error) or, for a statement marked ``UNSUPPORTED``, refuse it with 0A000; and a
statement that fails on either server changes nothing on db9.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kv.client import TxnClient
from kv.errors import Db9Error
from sql.session import Database, Session
from sql.types import format_value
from tests.kv.conftest import local_kv

SETUP = [
    "CREATE SCHEMA s",
    "CREATE TABLE t (id int PRIMARY KEY, v text)",
    "CREATE TABLE u (a int, b text)",
    "CREATE TABLE s.st (x int)",
    "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO u VALUES (1, 'x'), (5, 'y')",
    "INSERT INTO s.st VALUES (7)",
    "CREATE INDEX t_v_idx ON t (v)",
    "CREATE SEQUENCE sq",
]

_USER_SCHEMAS = "<> 'information_schema' AND {} !~ '^pg_'"

# What a statement can change, read the same way on both servers.
SNAPSHOT = [
    "SELECT nspname FROM pg_namespace WHERE nspname " + _USER_SCHEMAS.format("nspname")
    + " ORDER BY 1",
    "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
    "ON n.oid = c.relnamespace WHERE n.nspname " + _USER_SCHEMAS.format("n.nspname")
    + " ORDER BY 1, 2",
    "SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default "
    "FROM information_schema.columns WHERE table_schema "
    + _USER_SCHEMAS.format("table_schema") + " ORDER BY 1, 2, 3",
    "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname " + _USER_SCHEMAS.format("schemaname") + " ORDER BY 1, 2, 3",
    "SELECT c.conname, c.contype FROM pg_constraint c JOIN pg_namespace n "
    "ON n.oid = c.connamespace WHERE n.nspname " + _USER_SCHEMAS.format("n.nspname")
    + " ORDER BY 1",
    "SELECT sequence_schema, sequence_name, start_value, increment FROM "
    "information_schema.sequences ORDER BY 1, 2",
    "SELECT * FROM t ORDER BY 1",
    "SELECT * FROM u ORDER BY 1",
    "SELECT * FROM s.st ORDER BY 1",
]

# Objects outside the schemas that statements below may create on PostgreSQL.
PG_GLOBAL_CLEANUP = [
    "DROP DATABASE IF EXISTS d9new",
    "DROP DATABASE IF EXISTS t",
    "DROP PUBLICATION IF EXISTS pub1",
    "DROP SUBSCRIPTION IF EXISTS sub1",
    "DROP FOREIGN DATA WRAPPER IF EXISTS myfdw CASCADE",
    "DROP ROLE IF EXISTS r1",
    "DROP ROLE IF EXISTS grp1",
    "DROP ROLE IF EXISTS u1",
    "ALTER SYSTEM RESET ALL",
]

SAME = "same"  # same tag, rows and effect
TAG = "tag"  # same tag and effect; the rows are the server's own (plans, settings)
NOOP = "noop"  # same tag; accepted without an effect a client can see on either server
UNSUPPORTED = "0A000"  # db9 answers 0A000 (or PostgreSQL's own error)


@dataclass(frozen=True)
class Case:
    sql: str
    db9: str = SAME


CASES: list[Case] = []


@dataclass
class Answer:
    sqlstate: str | None
    tag: str | None = None
    columns: list[str] | None = None
    rows: list[tuple[Any, ...]] | None = None
    message: str | None = None
    hint: str | None = None


@dataclass
class Run:
    sql: str
    ours: Answer
    theirs: Answer
    ours_before: list[Any]
    ours_after: list[Any]
    theirs_before: list[Any]
    theirs_after: list[Any]

    def line(self) -> str:
        def show(a: Answer) -> str:
            if a.sqlstate:
                return f"E {a.sqlstate} {a.message!r}" + (f" H {a.hint!r}" if a.hint else "")
            return f"ok {a.tag}" + (f" {a.rows}" if a.rows is not None else "")

        changed = "db9-changed " if self.ours_after != self.ours_before else ""
        effect = "" if self.ours_after == self.theirs_after else "effect-differs "
        return f"{self.sql}\n    db9: {show(self.ours)}\n    pg:  {show(self.theirs)}\n    {changed}{effect}"


class World:
    """The two servers, each reset to SETUP before a statement runs. PostgreSQL is rebuilt
    only after a statement that may have left something behind (a rebuild costs ~100 ms)."""

    def __init__(self, pg: psycopg.Connection[Any]) -> None:
        self.pg = pg
        self.database = Database(TxnClient(local_kv()), b"\x00\x01")
        self.pg_initial: list[Any] | None = None

    def reset_db9(self) -> None:
        self.database = Database(TxnClient(local_kv()), b"\x00\x01")
        Session(self.database).execute(";".join(SETUP))

    def reset_pg(self) -> None:
        pg = self.pg
        with contextlib.suppress(psycopg.Error):
            pg.execute("ROLLBACK")
        pg.execute("DISCARD ALL")
        if self.pg_initial is not None:
            return
        schemas = [r[0] for r in pg.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname " + _USER_SCHEMAS.format("nspname")
        ).fetchall()]  # fmt: skip
        if schemas:
            pg.execute("DROP SCHEMA " + ", ".join(f'"{s}"' for s in schemas) + " CASCADE")
        for sql in PG_GLOBAL_CLEANUP:
            pg.execute(sql)
        pg.execute("CREATE SCHEMA public")
        pg.execute(";".join(SETUP))
        self.pg_initial = self.snapshot_pg()

    def db9(self, session: Session, sql: str) -> Answer:
        try:
            results = session.execute(sql)
        except Db9Error as exc:
            return Answer(exc.sqlstate, message=exc.message, hint=getattr(exc, "hint", None))
        last = results[-1]
        if last.columns is None:
            return Answer(None, last.tag)
        rows = [tuple(format_value(v, t) for v, (_, t) in zip(r, last.columns, strict=True))
                for r in last.rows or []]  # fmt: skip
        return Answer(None, last.tag, [c for c, _ in last.columns], rows)

    def postgres(self, sql: str) -> Answer:
        cur = self.pg.cursor()
        try:
            cur.execute(sql.encode())
        except psycopg.Error as exc:
            diag = exc.diag
            return Answer(exc.sqlstate, message=diag.message_primary, hint=diag.message_hint)
        while cur.nextset():
            pass
        res = cur.pgresult
        if res is None or cur.description is None:
            return Answer(None, cur.statusmessage)
        rows = []
        for r in range(res.ntuples):
            values = (res.get_value(r, c) for c in range(res.nfields))
            rows.append(tuple(None if v is None else v.decode() for v in values))
        return Answer(None, cur.statusmessage, [d.name for d in cur.description], rows)

    def snapshot_db9(self) -> list[Any]:
        session = Session(self.database)
        return [_shape(self.db9(session, q)) for q in SNAPSHOT]

    def snapshot_pg(self) -> list[Any]:
        with contextlib.suppress(psycopg.Error):
            self.pg.execute("ROLLBACK")
        return [_shape(self.postgres(q)) for q in SNAPSHOT]

    def run(self, sql: str) -> Run:
        self.reset_db9()
        self.reset_pg()
        assert self.pg_initial is not None
        ours_before, theirs_before = self.snapshot_db9(), self.pg_initial
        ours = self.db9(Session(self.database), sql)
        theirs = self.postgres(sql)
        theirs_after = self.snapshot_pg()
        if theirs_after != theirs_before or (
            theirs.sqlstate is None and sql.split()[0].upper() in _MAY_LEAVE_OBJECTS
        ):
            self.pg_initial = None
        return Run(
            sql, ours, theirs, ours_before, self.snapshot_db9(), theirs_before, theirs_after
        )


# Statements that may change PostgreSQL beyond what SNAPSHOT reads (comments, grants, roles,
# functions, types, ...): PostgreSQL is rebuilt after them.
_MAY_LEAVE_OBJECTS = {
    "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT", "SECURITY", "REINDEX", "CLUSTER",
    "IMPORT", "DO", "CALL", "REASSIGN", "SELECT",
}  # fmt: skip


def _shape(a: Answer) -> Any:
    return a.sqlstate or a.rows


def problems(case: Case, run: Run) -> list[str]:
    """What is wrong with db9's answer to ``case``, judged against PostgreSQL's."""
    ours, theirs = run.ours, run.theirs
    out = []
    failed = ours.sqlstate is not None or theirs.sqlstate is not None
    if ours.sqlstate is not None and run.ours_after != run.ours_before:
        out.append("db9 failed but changed the catalog or the rows")
    if ours.sqlstate is not None:
        allowed = {theirs.sqlstate} | ({UNSUPPORTED} if case.db9 == UNSUPPORTED else set())
        if ours.sqlstate not in allowed:
            out.append(f"db9 answered {ours.sqlstate}, PostgreSQL {theirs.sqlstate}")
        elif ours.sqlstate == "42809" and (ours.message, ours.hint) != (
            theirs.message,
            theirs.hint,
        ):
            out.append(f"42809 message {ours.message!r}/{ours.hint!r}")
        return out
    if case.db9 == UNSUPPORTED:
        out.append("db9 ran a statement marked unsupported (update the table)")
    if failed:
        out.append(f"db9 succeeded where PostgreSQL failed with {theirs.sqlstate}")
        if run.ours_after != run.ours_before:
            out.append("... and changed the catalog or the rows")
        return out
    if ours.tag != theirs.tag:
        out.append(f"tag {ours.tag!r} != {theirs.tag!r}")
    if case.db9 == SAME and (ours.columns, ours.rows) != (theirs.columns, theirs.rows):
        out.append(f"rows {ours.rows} != {theirs.rows}")
    if case.db9 == NOOP:
        if run.ours_after != run.ours_before:
            out.append("a no-op changed db9")
        if run.theirs_after != run.theirs_before:
            out.append("not a no-op on PostgreSQL")
    elif run.ours_after != run.theirs_after:
        out.append("db9's catalog or rows differ from PostgreSQL's afterwards")
    return out


@pytest.fixture(scope="module")
def world(pg_conninfo: str) -> Any:
    from tests.sql.pg import connect

    conn = connect(pg_conninfo)
    try:
        yield World(conn)
    finally:
        conn.close()
