"""SQL cursors: DECLARE, FETCH, MOVE, CLOSE and pg_cursors, as PostgreSQL runs them.

Invariants:
- DECLARE runs its query at once and keeps the rows: a cursor sees the snapshot of its
  DECLARE, never a later write, as PostgreSQL's cursor does. An error while the query runs
  (not while it is planned) is kept with the rows made before it and raised by the FETCH or
  MOVE that reaches it, after which the cursor cannot run (55000), as a portal's error is.
- A cursor's position is 0 (before the first row) .. n + 1 (after the last); FETCH and MOVE
  move it as PostgreSQL's portal does, and report how many rows they passed over.
- A cursor ends with its transaction unless WITH HOLD; a held cursor declared in a
  transaction that rolls back ends too. NO SCROLL cursors only move forward.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlglot import exp
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import commands
from sql.errors import (
    DuplicateCursor,
    InvalidCursorName,
    NoActiveSqlTransaction,
    ObjectNotInPrerequisiteState,
    SqlError,
    SyntaxError_,
)
from sql.result import Result
from sql.statements import Statement, command_tokens
from sql.types import SqlType


class Session(Protocol):
    """What cursors need of the session (sql.session.Session)."""

    in_block: bool
    cursors: Cursors

    def parse(self, stmt: Statement) -> exp.Expr: ...

    def run_tree(
        self, tree: exp.Expr, params: list[Any], param_types: list[SqlType | None]
    ) -> Result: ...


COMMANDS = frozenset({"DECLARE", "FETCH", "MOVE", "CLOSE"})
_QUERIES = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)
_OPTIONS = {"BINARY", "INSENSITIVE", "ASENSITIVE", "NO", "SCROLL"}


@dataclass
class Cursor:
    name: str
    statement: str
    columns: list[tuple[str, SqlType]]
    rows: list[tuple[Any, ...]]
    hold: bool
    scroll: bool  # False only for NO SCROLL
    binary: bool
    in_txn: bool  # declared in the transaction still open
    created: float = field(default_factory=time.time)
    pos: int = 0
    error: SqlError | None = None  # raised when a FETCH/MOVE reaches past ``rows``
    failed: bool = False  # its error was raised: it cannot run again


class Cursors:
    """A session's open cursors by name."""

    def __init__(self) -> None:
        self.open: dict[str, Cursor] = {}
        self._marks: list[set[str]] = []  # the cursors open at each savepoint

    def savepoint(self) -> None:
        self._marks.append(set(self.open))

    def rollback_to(self, level: int) -> None:
        """Back to savepoint ``level`` (1 = the first): cursors declared since are closed."""
        kept = self._marks[level - 1]
        self.open = {n: c for n, c in self.open.items() if n in kept}
        del self._marks[level:]

    def release(self, level: int) -> None:
        del self._marks[level - 1 :]

    def columns(self, name: str) -> list[tuple[str, SqlType]] | None:
        cur = self.open.get(name)
        return cur.columns if cur is not None else None

    def end_transaction(self, committed: bool) -> None:
        """Transaction end: keep only held cursors (not those of a rolled-back one)."""
        self.open = {n: c for n, c in self.open.items() if c.hold and (committed or not c.in_txn)}
        self._marks.clear()
        for c in self.open.values():
            c.in_txn = False


def _name(tok: Any) -> str:
    text = str(tok.text)
    return text if tok.token_type == TokenType.IDENTIFIER else text.lower()


def query_of(stmt: Statement) -> tuple[Statement, dict[str, Any]]:
    """DECLARE's query as a statement of its own, and the cursor's name and options."""
    toks = command_tokens(stmt)
    if len(toks) < 2:
        raise SyntaxError_("syntax error at end of input")
    opts: dict[str, Any] = {"name": _name(toks[1]), "hold": False, "scroll": True,
                            "binary": False}  # fmt: skip
    i = 2
    words = [str(t.text).upper() for t in toks]
    while i < len(toks) and words[i] in _OPTIONS:
        if words[i] == "NO":
            if words[i + 1 : i + 2] != ["SCROLL"]:
                raise SyntaxError_(f'syntax error at or near "{toks[i + 1].text}"')
            opts["scroll"] = False
            i += 1
        opts["binary"] = opts["binary"] or words[i] == "BINARY"
        i += 1
    if words[i : i + 1] != ["CURSOR"]:
        near = toks[i].text if i < len(toks) else ""
        raise SyntaxError_(f'syntax error at or near "{near}"')
    i += 1
    if words[i : i + 2] in (["WITH", "HOLD"], ["WITHOUT", "HOLD"]):
        opts["hold"] = words[i] == "WITH"
        i += 2
    if words[i : i + 1] != ["FOR"] or i + 1 >= len(toks):
        near = toks[i].text if i < len(toks) else ""
        raise SyntaxError_(f'syntax error at or near "{near}"')
    first = toks[i + 1]
    offset = first.start - stmt.start
    text = stmt.text[offset:]
    inner = Statement(text, first.start, None, commands.command_name(words[i + 1 :]),
                      toks[i + 1 :])  # fmt: skip
    return inner, opts


def declare(session: Session, stmt: Statement, params: list[Any],
            param_types: list[SqlType | None]) -> Result:  # fmt: skip
    inner, opts = query_of(stmt)
    if not opts["hold"] and not session.in_block:
        raise NoActiveSqlTransaction("DECLARE CURSOR can only be used in transaction blocks")
    name = opts["name"]
    if name in session.cursors.open:
        raise DuplicateCursor(f'cursor "{name}" already exists')
    tree = session.parse(inner)
    if not isinstance(tree, _QUERIES):
        raise SyntaxError_(f'syntax error at or near "{inner.tokens[0].text}"')
    rows: list[tuple[Any, ...]] = []
    error: SqlError | None = None
    try:
        result = session.run_tree(tree, params, param_types)
    except SqlError as exc:
        if exc.sqlstate[:2] not in _RUN_TIME_CLASSES:
            raise  # an error of planning is DECLARE's own
        raise_later = exc
        columns: list[tuple[str, SqlType]] = []
        try:
            columns = list(session.run_tree(_no_rows(tree), params, param_types).columns or [])
        except SqlError:
            raise raise_later from None
        error = raise_later
    else:
        columns = list(result.columns or [])
        rows = list(result.rows or [])
        if result.pending is not None:
            try:
                for row in result.pending:
                    rows.append(row)
            except SqlError as exc:
                if exc.sqlstate[:2] not in _RUN_TIME_CLASSES:
                    raise
                error = exc
            finally:
                result.pending.close()
    session.cursors.open[name] = Cursor(
        name, stmt.text, columns, rows, opts["hold"], opts["scroll"], opts["binary"],
        session.in_block, error=error,
    )  # fmt: skip
    return Result("DECLARE CURSOR")


# SQLSTATE classes of errors a query raises while it runs (data, integrity, PL/pgSQL,
# transaction rollback): DECLARE keeps them for the FETCH that reaches them.
_RUN_TIME_CLASSES = frozenset({"22", "23", "P0", "40", "2F", "38", "39"})


def _no_rows(tree: exp.Expr) -> exp.Expr:
    """The query with no rows (LIMIT 0), to learn its columns without running it."""
    return (
        exp.select("*")
        .from_(exp.Subquery(this=tree.copy(), alias=exp.TableAlias(this=exp.to_identifier("q"))))
        .limit(0)
    )


def _direction(words: list[str], toks: list[Any]) -> tuple[str, int | None, int]:
    """FETCH/MOVE's direction: (kind, count, index of the cursor name); kind is 'forward',
    'backward', 'absolute' or 'relative', count None for ALL."""
    i = 1
    up = [w.upper() for w in words]

    def number(at: int) -> int | None:
        sign = 1
        if at < len(toks) and toks[at].token_type in (TokenType.DASH, TokenType.PLUS):
            sign = -1 if toks[at].token_type == TokenType.DASH else 1
            at += 1
        if at < len(toks) and toks[at].token_type == TokenType.NUMBER and at + 1 < len(toks):
            return sign * int(toks[at].text)
        return None

    def width(at: int) -> int:
        return 2 if toks[at].token_type in (TokenType.DASH, TokenType.PLUS) else 1

    kind, count = "forward", 1
    head = up[i] if i < len(up) else ""
    if head in ("NEXT", "PRIOR", "FIRST", "LAST"):
        kind, count = {"NEXT": ("forward", 1), "PRIOR": ("backward", 1),
                       "FIRST": ("absolute", 1), "LAST": ("absolute", -1)}[head]  # fmt: skip
        i += 1
    elif head in ("ABSOLUTE", "RELATIVE"):
        n = number(i + 1)
        if n is None:
            raise SyntaxError_(
                f'syntax error at or near "{words[i + 1] if i + 1 < len(words) else ""}"'
            )
        kind, count = head.lower(), n
        i += 1 + width(i + 1)
    elif head == "ALL":
        kind, count, i = "forward", None, i + 1  # type: ignore[assignment]
    elif head in ("FORWARD", "BACKWARD"):
        kind = head.lower()
        i += 1
        if i < len(up) and up[i] == "ALL":
            count, i = None, i + 1  # type: ignore[assignment]
        else:
            n = number(i)
            if n is not None:
                count, i = n, i + width(i)
    else:
        n = number(i)
        if n is not None:
            count, i = n, i + width(i)
    if i < len(up) and up[i] in ("FROM", "IN"):
        i += 1
    if i != len(toks) - 1:
        near = words[i + 1] if i + 1 < len(words) else (words[i] if i < len(words) else "")
        raise SyntaxError_(f'syntax error at or near "{near}"')
    return kind, count, i


def _move(cur: Cursor, kind: str, count: int | None) -> list[tuple[Any, ...]]:
    """Move ``cur`` as PostgreSQL's portal moves; the rows passed over (fetched)."""
    n = len(cur.rows)
    if kind in ("forward", "backward") and count is not None and count < 0:
        kind, count = ("backward" if kind == "forward" else "forward"), -count
    if kind in ("forward", "backward") and count == 0:
        kind = "relative"
    if kind == "absolute":
        assert count is not None
        target = count if count >= 0 else n + 1 + count
        if target <= 0:
            cur.pos = 0
            return []
        if target > n:
            cur.pos = n + 1
            return []
        cur.pos = target
        return [cur.rows[target - 1]]
    if kind == "relative":
        assert count is not None
        return _move(cur, "absolute", cur.pos + count) if cur.pos + count > 0 else _before(cur)
    p = cur.pos
    want = n + 1 if count is None else count
    if kind == "forward":
        got = cur.rows[p : p + want] if p < n else []
        cur.pos = p + want if len(got) == want else n + 1
        return got
    got = [cur.rows[j - 1] for j in range(min(p - 1, n), max(p - want, 1) - 1, -1)]
    cur.pos = p - want if len(got) == want else 0
    return got


def _reaches_end(cur: Cursor, kind: str, count: int | None) -> bool:
    """Whether a FETCH/MOVE would read past the rows DECLARE made (where its error is)."""
    n = len(cur.rows)
    if count is None:
        return kind == "forward"
    if kind in ("forward", "backward") and count < 0:
        kind, count = ("backward" if kind == "forward" else "forward"), -count
    if kind == "forward":
        return cur.pos + count > n
    if kind == "absolute":
        return count < 0 or count > n
    if kind == "relative":
        return cur.pos + count > n
    return False


def _before(cur: Cursor) -> list[tuple[Any, ...]]:
    cur.pos = 0
    return []


def fetch(session: Session, stmt: Statement) -> Result:
    kind, toks = stmt.command, command_tokens(stmt)
    words = [str(t.text) for t in toks]
    direction, count, at = _direction(words, toks)
    name = _name(toks[at])
    cur = session.cursors.open.get(name)
    if cur is None:
        raise InvalidCursorName(f'cursor "{name}" does not exist')
    n = len(cur.rows)
    if direction == "absolute":
        assert count is not None
        backward = (count if count >= 0 else n + 1 + count) < cur.pos
    elif direction == "relative":
        backward = (count or 0) < 0
    else:
        backward = (direction == "backward") != (count is not None and count < 0)
    if backward and not cur.scroll:
        raise ObjectNotInPrerequisiteState(
            "cursor can only scan forward",
            hint="Declare it with SCROLL option to enable backward scan.",
        )
    if cur.failed:
        raise ObjectNotInPrerequisiteState(f'portal "{name}" cannot be run')
    if cur.error is not None and _reaches_end(cur, direction, count):
        cur.failed = True
        raise cur.error
    rows = _move(cur, direction, count)
    if kind == "MOVE":
        return Result(f"MOVE {len(rows)}")
    return Result(f"FETCH {len(rows)}", cur.columns, rows)


def fetch_columns(session: Session, stmt: Statement) -> list[tuple[str, SqlType]] | None:
    """The columns FETCH answers with (None: no such cursor, for Execute to report)."""
    toks = command_tokens(stmt)
    _, _, at = _direction([str(t.text) for t in toks], toks)
    return session.cursors.columns(_name(toks[at]))


def close(session: Session, stmt: Statement) -> Result:
    toks = command_tokens(stmt)
    if len(toks) != 2:
        raise SyntaxError_(
            f'syntax error at or near "{toks[2].text if len(toks) > 2 else "CLOSE"}"'
        )
    if toks[1].token_type == TokenType.ALL:
        session.cursors.open.clear()
        return Result("CLOSE CURSOR ALL")
    name = _name(toks[1])
    if session.cursors.open.pop(name, None) is None:
        raise InvalidCursorName(f'cursor "{name}" does not exist')
    return Result("CLOSE CURSOR")


def run(session: Session, stmt: Statement, params: list[Any],
        param_types: list[SqlType | None]) -> Result:  # fmt: skip
    if stmt.command == "DECLARE":
        return declare(session, stmt, params, param_types)
    if stmt.command == "CLOSE":
        return close(session, stmt)
    return fetch(session, stmt)


def pg_cursors(open_: Cursors) -> list[tuple[Any, ...]]:
    """pg_cursors' rows: name, statement, is_holdable, is_binary, is_scrollable,
    creation_time."""
    return [
        (c.name, c.statement, c.hold, c.binary, c.scroll,
         dt.datetime.fromtimestamp(c.created, dt.UTC))
        for c in open_.open.values()
    ]  # fmt: skip
