"""Firing a table's triggers around one INSERT, UPDATE or DELETE (sql.dml calls ``Firing``
at the row and statement boundaries; nothing else fires triggers).

BEFORE ROW triggers run as each row is about to be written and may change it (the NEW they
return is stored) or skip it (NULL); AFTER ROW triggers are queued and run when the
statement's rows are all written, then AFTER STATEMENT ones, as in PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from sql import routine_call
from sql import types as T
from sql.catalog import TableDef, TriggerDef
from sql.errors import FeatureNotSupported, SqlError
from sql.pg_dialect import DIALECT
from sql.plpgsql import Rec, TriggerCall, row_distinct
from sql.scope import Context, Row, Scope, ScopeColumn
from sql.session_api import SessionApi

_OP = {"insert": "INSERT", "update": "UPDATE", "delete": "DELETE", "truncate": "TRUNCATE"}
_WHEN = {"before": "BEFORE", "after": "AFTER", "instead": "INSTEAD OF"}


def uses_column(trigger: TriggerDef, column: str) -> bool:
    """Does ``trigger`` depend on ``column`` (UPDATE OF it, or its WHEN reads it)?"""
    if column in trigger.columns:
        return True
    when = trigger.when or ""
    return re.search(rf"\b(new|old)\.{re.escape(column)}\b", when, re.IGNORECASE) is not None


class Firing:
    """The enabled triggers of ``table`` for one statement's ``event``."""

    def __init__(
        self,
        session: SessionApi,
        table: TableDef,
        event: str,
        triggers: list[TriggerDef],
        ctx: Context,
    ) -> None:
        self.session = session
        self.table = table
        self.event = event
        self.triggers = sorted(triggers, key=lambda t: t.name)
        self.live = table.live_columns
        self.width = len(self.live)
        self.queued: list[tuple[TriggerDef, Row | None, Row | None]] = []
        self.conditions: dict[str, Callable[[Row], Any]] = {}
        if any(t.when for t in triggers):
            from sql.expr import Compiler

            # Each side's columns, then its tableoid (the one system column WHEN may read).
            cols = [
                col
                for side in ("new", "old")
                for col in [
                    *(ScopeColumn(side, c.name, c.type) for c in self.live),
                    ScopeColumn(side, "tableoid", T.OID, hidden=True),
                ]
            ]
            comp = Compiler(Scope(cols), ctx)
            for t in triggers:
                if t.when:
                    tree = sqlglot.parse_one(t.when, read=DIALECT).transform(self._expand)
                    tree = tree.transform(row_distinct)
                    self.conditions[t.name] = comp._bool(tree).fn

    def _expand(self, node: exp.Expr) -> exp.Expr:
        """NEW.* / OLD.* (alone or in ROW(...)) as the row of their columns."""
        if isinstance(node, exp.Anonymous) and node.name.lower() == "row":
            items = [y for x in node.expressions for y in self._star(x) or [x]]
            return exp.Tuple(expressions=items)
        star = self._star(node)
        return node if star is None else exp.Tuple(expressions=star)

    def _star(self, node: exp.Expr) -> list[exp.Expr] | None:
        if not (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
            return None
        side = node.table.lower()
        return [exp.column(c.name, side) for c in self.live]

    @classmethod
    def of(
        cls,
        session: SessionApi,
        table: TableDef,
        event: str,
        ctx: Context,
        columns: list[str] | None = None,
    ) -> Firing | None:
        """The triggers an ``event`` statement fires (``columns``: an UPDATE's SET columns,
        for UPDATE OF); None when there are none."""
        found = [
            t
            for t in table.triggers
            if t.enabled
            and event in t.events
            and not (event == "update" and t.columns and not set(t.columns) & set(columns or []))
        ]
        return cls(session, table, event, found, ctx) if found else None

    def _rec(self, row: Row | None) -> Rec:
        if row is None:
            names = [c.name for c in self.live]
            return Rec(names, [c.type for c in self.live], [None] * self.width, null=True)
        return Rec([c.name for c in self.live], [c.type for c in self.live],
                   list(row[: self.width]))  # fmt: skip

    def _call(self, t: TriggerDef, level: str, old: Row | None, new: Row | None) -> Any:
        routine = self.session.catalog().routines.get(t.function)
        if routine is None:
            raise SqlError(f"cache lookup failed for function {t.function}").with_state("XX000")
        if routine.language != "plpgsql":
            raise FeatureNotSupported(f"trigger functions in {routine.language} are not supported")
        call = TriggerCall(
            t.name,
            _WHEN[t.timing],
            level,
            _OP[self.event],
            self.table.name,
            self.table.schema,
            self.table.id,
            t.args,
            self._rec(new),
            self._rec(old),
        )
        self.session.trigger_depth += 1
        try:
            return routine_call.invoke(self.session, routine, [], call)
        finally:
            self.session.trigger_depth -= 1

    def _fires(self, t: TriggerDef, old: Row | None, new: Row | None) -> bool:
        cond = self.conditions.get(t.name)
        if cond is None:
            return True
        blank = (None,) * self.width
        oid = (self.table.id,)
        return (
            cond(
                tuple((new or blank)[: self.width])
                + oid
                + tuple((old or blank)[: self.width])
                + oid
            )
            is True
        )

    def statement(self, timing: str) -> None:
        """BEFORE / AFTER STATEMENT triggers."""
        for t in self.triggers:
            if not t.row and t.timing == timing:
                self._call(t, "STATEMENT", None, None)

    def before_row(self, old: Row | None, new: Row | None) -> Row | None:
        """BEFORE ROW triggers of one row: the row to write (NEW as the triggers left it; OLD
        for DELETE), or None to skip it."""
        row = new if self.event != "delete" else old
        for t in self.triggers:
            if not t.row or t.timing != "before" or not self._fires(t, old, row if new else None):
                continue
            got = self._call(t, "ROW", old, new if self.event != "delete" else None)
            if got is None:
                return None
            if self.event == "delete":
                continue
            if not isinstance(got, Rec) or len(got.values) != self.width:
                raise SqlError(
                    "returned row structure does not match the structure of the triggering table"
                ).with_state("42804")
            assert row is not None
            row = tuple(got.values) + tuple(row[self.width :])
            new = row
        return row

    def instead_row(self, old: Row | None, new: Row | None) -> Row | None:
        """INSTEAD OF ROW triggers of a view's row: the row they report (NEW as they left
        it, OLD for DELETE), or None: they did nothing."""
        row = new if self.event != "delete" else old
        for t in self.triggers:
            if not t.row or t.timing != "instead":
                continue
            got = self._call(t, "ROW", old, new)
            if got is None:
                return None
            if isinstance(got, Rec) and self.event != "delete":
                row = tuple(got.values)
        return row

    def after_row(self, old: Row | None, new: Row | None) -> None:
        for t in self.triggers:
            if t.row and t.timing == "after" and self._fires(t, old, new):
                self.queued.append((t, old, new))

    def finish(self) -> None:
        """The queued AFTER ROW triggers, then AFTER STATEMENT ones."""
        self.finish_rows()
        self.statement("after")

    def finish_rows(self) -> None:
        """The queued AFTER ROW triggers (of a partition rows were routed to: its statement
        triggers do not fire, the named table's do)."""
        queued, self.queued = self.queued, []
        for t, old, new in queued:
            self._call(t, "ROW", old, new)
