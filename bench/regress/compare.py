"""One regression script run statement by statement on PostgreSQL and on db9, compared.

Each statement goes to both servers as psql sends it (the simple query protocol, autocommit,
inline COPY data through the copy protocol), PostgreSQL first. They agree when both fail with
the same SQLSTATE class, or both succeed with the same command tag and the same rows as text
(as a list when the statement has a top-level ORDER BY, else as a multiset). Meta-commands
are not statements: ``\\set``/``\\getenv``/``\\gset`` feed psql variables, the rest (``\\d``,
``\\pset``, ...) are skipped. A COPY from one of the missing data files loads generated rows
(``bench.regress.data``) into both.

A db9 statement that runs past ``timeout`` seconds is cancelled; if db9 does not answer the
cancel within another ``timeout``, ``on_stuck`` is called (the caller stops the server) and
every later statement of the file counts as lost.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import pq
from psycopg.pq.abc import PGconn, PGresult

from bench.regress import data
from bench.regress.script import STD_STRINGS, Meta, Statement, items, set_value, top_level_order_by

_COPY_FILE = re.compile(
    r"\s*COPY\s+([\w.\"]+)(\s*\([^)]*\))?\s+FROM\s+'[^']*/data/([\w.]+)'", re.IGNORECASE
)
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY)


@dataclass
class Outcome:
    """What a client saw: a command tag and rows, or an error (``sqlstate``), or ``lost``."""

    tag: str | None = None
    rows: list[tuple[bytes | None, ...]] | None = None
    sqlstate: str | None = None
    message: str = ""
    lost: bool = False
    columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.lost:
            return "lost"
        if self.sqlstate is not None:
            return f"{self.sqlstate} {self.message}"[:200]
        return f"{self.tag} ({len(self.rows or [])} rows)"


@dataclass
class Verdict:
    file: str
    line: int
    sql: str
    agree: bool
    pg: Outcome
    db9: Outcome
    why: str = ""

    def record(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "sql": self.sql[:400], "agree": self.agree,
                "why": self.why, "pg": self.pg.summary(), "db9": self.db9.summary()}  # fmt: skip


def execute(conn: PGconn, sql: str, copy_data: str | None) -> Outcome:
    """Run one statement (psql's PQexec), feeding or draining COPY data."""
    if conn.status != pq.ConnStatus.OK:
        return Outcome(lost=True)
    res = conn.exec_(sql.encode())
    out_rows: list[tuple[bytes | None, ...]] = []
    if res.status == pq.ExecStatus.COPY_IN:
        conn.put_copy_data((copy_data or "").encode())
        conn.put_copy_end()
        res = _last_result(conn) or res
    elif res.status == pq.ExecStatus.COPY_OUT:
        while True:
            n, chunk = conn.get_copy_data(0)
            if n < 0:
                break
            out_rows.append((bytes(chunk),))
        res = _last_result(conn) or res
    if conn.status != pq.ConnStatus.OK:
        return Outcome(lost=True)
    if res.status in _OK or res.status == pq.ExecStatus.COPY_OUT:
        tag = (res.command_status or b"").decode()
        columns = []
        if res.status == pq.ExecStatus.TUPLES_OK:
            out_rows = [tuple(res.get_value(r, c) for c in range(res.nfields))
                        for r in range(res.ntuples)]  # fmt: skip
            columns = [(res.fname(i) or b"").decode() for i in range(res.nfields)]
        return Outcome(tag=tag, rows=out_rows, columns=columns)
    state = res.error_field(pq.DiagnosticField.SQLSTATE)
    message = res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or res.error_message
    return Outcome(sqlstate=(state or b"?????").decode(), message=message.decode(errors="replace"))


def _last_result(conn: PGconn) -> PGresult | None:
    last = None
    while (r := conn.get_result()) is not None:
        last = r
    return last


def compare(pg: Outcome, db9: Outcome, ordered: bool) -> tuple[bool, str]:
    if db9.lost:
        return False, "db9 connection lost"
    if pg.sqlstate is not None or db9.sqlstate is not None:
        if pg.sqlstate is None:
            return False, "db9 failed"
        if db9.sqlstate is None:
            return False, "db9 accepted what PostgreSQL rejects"
        same = pg.sqlstate[:2] == db9.sqlstate[:2]
        return same, "" if same else "another error class"
    if pg.tag != db9.tag:
        return False, "command tag differs"
    a, b = pg.rows or [], db9.rows or []
    if not ordered:
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    return (a == b), "" if a == b else "rows differ"


class _Watchdog:
    """Cancels a statement past ``timeout``; past twice that, calls ``on_stuck``."""

    def __init__(self, conn: PGconn, timeout: float, on_stuck: Callable[[], None]) -> None:
        self._done = threading.Event()
        self._cancel = conn.get_cancel()
        self._thread = threading.Thread(target=self._run, args=(timeout, on_stuck), daemon=True)
        self.fired = False
        self._thread.start()

    def _run(self, timeout: float, on_stuck: Callable[[], None]) -> None:
        if self._done.wait(timeout):
            return
        self.fired = True
        self._cancel.cancel()
        if not self._done.wait(timeout):
            on_stuck()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


@dataclass
class FileRun:
    """The state of one script's run on the two connections."""

    name: str
    pg: PGconn
    db9: PGconn
    timeout: float
    on_stuck: Callable[[], None]
    variables: dict[str, str] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    lost: bool = False

    def run_script(self, text: str, count: bool = True) -> None:
        for item in items(text, self.variables):
            if isinstance(item, Meta):
                self._meta(item)
            else:
                self._statement(item, count)

    def _meta(self, item: Meta) -> None:
        if item.name == "set":
            name, value = set_value(item.args, self.variables)
            if name:
                self.variables[name] = value
        elif item.name == "getenv":
            words = item.args.split()
            if words:
                self.variables[words[0]] = "/pg-regress"
        elif item.name == "unset" and item.args:
            self.variables.pop(item.args.split()[0], None)

    def _statement(self, item: Statement, count: bool) -> None:
        sql, copy_data = item.sql, item.copy_data
        m = _COPY_FILE.match(sql)
        if m:
            table, cols, file_name = m.groups()
            sql = f"COPY {table}{cols or ''} FROM STDIN"
            copy_data = data.rows_for(file_name, self._column_types(table, cols))
        pg = execute(self.pg, sql, copy_data)
        if self.lost:
            db9 = Outcome(lost=True)
        else:
            dog = _Watchdog(self.db9, self.timeout, self._stuck)
            try:
                db9 = execute(self.db9, sql, copy_data)
            finally:
                dog.stop()
            if db9.lost:
                self.lost = True
        std = self.pg.parameter_status(b"standard_conforming_strings")
        if std is not None:
            self.variables[STD_STRINGS] = std.decode()
        if item.then == "gset" and pg.rows is not None and len(pg.rows) == 1:
            for col, value in zip(pg.columns, pg.rows[0], strict=False):
                if value is not None:
                    self.variables[item.arg + col] = value.decode()
        if count:
            agree, why = compare(pg, db9, top_level_order_by(sql))
            self.verdicts.append(Verdict(self.name, item.line, sql, agree, pg, db9, why))

    def _stuck(self) -> None:
        self.lost = True
        self.on_stuck()

    def _column_types(self, table: str, cols: str | None) -> list[str]:
        wanted = (
            [c.strip().strip('"').lower() for c in cols.strip(" ()").split(",")] if cols else None
        )
        res = self.pg.exec_(
            f"SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            f"WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped "
            f"ORDER BY attnum".encode()
        )
        pairs = [(res.get_value(r, 0), res.get_value(r, 1)) for r in range(res.ntuples)]
        types = {bytes(a or b"").decode(): bytes(t or b"").decode() for a, t in pairs}
        return [types.get(c, "text") for c in wanted] if wanted else list(types.values())
