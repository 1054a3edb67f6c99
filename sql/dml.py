"""INSERT, UPDATE and DELETE: rows and their index entries written through the transaction.

Constraints are checked as rows are written: NOT NULL and CHECK on the new row, PRIMARY KEY
and UNIQUE through insert-if-absent KV mutations (so a concurrent duplicate fails at commit
too), FOREIGN KEY by looking the parent up in the same snapshot.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import sqlglot
from sqlglot import exp

from kv.errors import AlreadyExists
from sql import (
    array_assign,
    assign_targets,
    deferrals,
    exclusion,
    hstore,
    partitions,
    policies,
    privileges,
    rules,
    temp,
    view_dml,
    view_update,
)
from sql import types as T
from sql.casts import cast_value, coerce_to
from sql.catalog import ConstraintDef, IndexDef, TableDef
from sql.errors import (
    CardinalityViolation,
    CheckViolation,
    FeatureNotSupported,
    ForeignKeyViolation,
    GeneratedAlways,
    InsufficientPrivilege,
    InvalidColumnReference,
    NotNullViolation,
    ObjectNotInPrerequisiteState,
    SyntaxError_,
    UndefinedObject,
    UniqueViolation,
    WithCheckOptionViolation,
    WrongObjectType,
)
from sql.executor.context import checked
from sql.executor.execute import run_plan, start
from sql.expr import Compiler, SubqueryColumn, expr_name
from sql.layout import prefix_end
from sql.pg_dialect import DIALECT
from sql.plan.binder import Planner, register_writing_cte, table_scope
from sql.plan.nodes import CteScan, Materialized, Node, Plan, is_point_read
from sql.result import Result
from sql.rows import ROWID, RowCodec
from sql.scope import Context, Scope, ScopeColumn, Typed
from sql.session_api import SessionApi
from sql.triggers import Firing

Row = tuple[Any, ...]


class TableWriter:
    """Writes rows of one table, keeping indexes and constraints, with PostgreSQL's timing:
    NOT NULL, CHECK and uniqueness are checked as each row is written; foreign keys (both the
    child's parent lookup and the parent's ON DELETE / ON UPDATE action) are queued and run by
    ``finish`` at the end of the statement, as PostgreSQL's RI triggers are.

    A row is the tuple ``RowCodec`` decodes: live columns, then the hidden row id of a table
    without a primary key. Rows handed to ``update`` and ``delete`` must be stored rows (as a
    scan of this table returns them), never rows rebuilt from a projection.
    """

    def __init__(self, session: SessionApi, table: TableDef, ctx: Context) -> None:
        self.session = session
        self.table = table
        self.codec = RowCodec(session.db, table)
        self.txn = session.current_txn()
        self.ctx = ctx
        self.catalog = session.catalog()
        scope = table_scope(table, None)
        comp = Compiler(scope, ctx)
        self.checks: list[tuple[ConstraintDef, Typed]] = [
            (c, comp._bool(sqlglot.parse_one(c.check or "true", read=DIALECT)))
            for c in table.constraints
            if c.kind == "c"
        ]
        self.fks = [c for c in table.constraints if c.kind == "f"]
        # GENERATED ALWAYS AS (expr) STORED columns: (row position, the expression as the
        # column's type), computed from the row's other columns (``generate``)
        self.generated: list[tuple[int, Typed]] = [
            (self.codec.by_name[c.name],
             coerce_to(comp.compile(sqlglot.parse_one(c.generated, read=DIALECT)), c.type))
            for c in table.live_columns
            if c.generated is not None
        ]  # fmt: skip
        # DEFERRABLE unique constraints by index: a conflict waits (sql.unique_checks)
        self.deferrable = {
            c.index: c for c in table.constraints if c.kind == "u" and c.deferrable and c.index
        }
        # EXCLUDE constraints by their index (sql.exclusion), compiled when first needed
        self.excluding = {c.index: c for c in table.constraints if c.kind == "x" and c.index}
        self._exclusions: dict[str, exclusion.Exclusion] = {}
        self.live = table.live_columns
        # A partition's rows are its ancestors' too: FKs to them point at it as well.
        qualified = {f"{t.schema}.{t.name}" for t in [table, *self.catalog.ancestors(table)]}
        self.referencing = [  # (child table, its FK) for every FK that points at this table
            (child, fk)
            for child in self.catalog.all_tables()
            for fk in child.constraints
            if fk.kind == "f" and fk.ref_table in qualified and child.partkey is None
        ]
        self.after: deque[Callable[[], None]] = deque()  # foreign-key work for the end
        self._ids = range(0)  # row ids reserved and not yet used (complete_many)
        self._block = 0
        self._others: dict[int, TableWriter] = {}  # writers of the tables FKs lead to
        # Partitioning (sql.partitions): a partitioned table's rows go to leaf writers; a
        # partition's own rows must satisfy its bound (``routed``: the router chose it).
        partitioned = table.partkey is not None or table.bound is not None
        self.router = partitions.Router(self.catalog) if partitioned else None
        self.routed = False
        self._leaves: dict[int, TableWriter] = {}
        # Views' WITH CHECK OPTION conditions a new row must meet (sql.view_update).
        self.view_check_sql: list[tuple[str, str, str]] = []
        self.view_checks: list[tuple[str, Typed]] = []
        # Row level security checks of new rows (set by the statement: see enforce_policies)
        self.policies: list[tuple[str | None, Typed]] = []
        self.policies_of = table  # the table whose policies they are (over its rows)
        self.firing: Firing | None = None  # a leaf's row triggers, for rows routed to it

    def set_view_checks(self, checks: list[tuple[str, str, str]]) -> None:
        """``checks``: (view name, the name the condition calls this table, its SQL)."""
        self.view_check_sql = checks
        planner = Planner(self.session, self.catalog, self.ctx)
        self.view_checks = [
            (name, planner.compiler(table_scope(self.table, label))._bool(
                sqlglot.parse_one(sql, read=DIALECT)))
            for name, label, sql in checks
        ]  # fmt: skip

    def fresh(self) -> TableWriter:
        """A writer for one more run of the same statement: the compiled constraints and the
        tables referencing this one are shared; the transaction is the session's current one
        and nothing is queued."""
        writer = copy.copy(self)
        writer.txn = self.session.current_txn()
        writer.after = deque()
        writer._others = {}
        writer._leaves = {}
        return writer

    def generate(self, row: Row) -> Row:
        """``row`` with its generated columns computed from its other columns (PostgreSQL
        computes them after BEFORE triggers; a generated column reads no other one)."""
        if not self.generated:
            return row
        out = list(row)
        for at, expr in self.generated:
            out[at] = expr.fn(row)
        return tuple(out)

    def complete(self, values: Row) -> Row:
        """A new stored row from live column values: a fresh row id when there is no PK."""
        values = self.generate(values)
        if self.table.primary_key:
            return values
        return (
            *values,
            self.session.database.sequences.nextval(_rowid_seq(self.session, self.table)),
        )

    def complete_many(self, rows: list[Row]) -> list[Row]:
        """``complete`` of a batch. Row ids are reserved a block at a time, each block twice
        the last (up to ``ROWID_BLOCK_MAX``): one sequence commit per block, not per batch;
        the ones a statement leaves unused are never used (row ids need not be dense)."""
        if self.generated:
            rows = [self.generate(r) for r in rows]
        if self.table.primary_key:
            return rows
        n = len(rows)
        if n < SMALL_BATCH and len(self._ids) < n:
            # A few rows (a single-row INSERT above all): the sequence's shared block, one
            # commit per ``sequences.BLOCK`` rows across statements and sessions.
            return [self.complete(r) for r in rows]
        if len(self._ids) < n:
            self._block = min(ROWID_BLOCK_MAX, max(n, 2 * self._block))
            seq = _rowid_seq(self.session, self.table)
            fresh = self.session.database.sequences.nextvals(seq, max(n, self._block))
            if self._ids and self._ids.stop == fresh.start:
                fresh = range(self._ids.start, fresh.stop)
            self._ids = fresh
        ids, self._ids = self._ids[:n], self._ids[n:]
        return [(*r, i) for r, i in zip(rows, ids, strict=True)]

    def finish(self) -> None:
        """Run the queued foreign-key checks and actions, in the order they were queued, and
        the AFTER ROW triggers of the leaf partitions rows were routed to."""
        for leaf in self._leaves.values():
            leaf.finish()
            if leaf.firing is not None:
                leaf.firing.finish_rows()
        while self.after:
            self.after.popleft()()

    def by_name(self, row: Row) -> dict[str, Any]:
        return {c.name: v for c, v in zip(self.live, row, strict=False)}

    def route(self, values: dict[str, Any]) -> TableWriter:
        """Insert a row of a partitioned table (``values`` by column name) into its leaf,
        through the leaf's row triggers as PostgreSQL routes it (a BEFORE trigger may change
        the row, then it must still fit the leaf, or skip it); returns the leaf's writer."""
        writer = self.leaf_for(values)
        row: Row | None = writer.complete(tuple(values.get(c.name) for c in writer.live))
        fire = writer.firing
        if fire is not None:
            fired = fire.before_row(None, row)
            if fired is None:
                return writer
            if fired != row and not writer.fits(fired):
                raise CheckViolation(
                    f'new row for relation "{writer.table.name}" violates partition constraint',
                    detail=f"Failing row contains {writer._row_text(fired)}.",
                )
            row = fired
        assert row is not None
        writer.insert(row)
        if fire is not None:
            fire.after_row(None, row)
        return writer

    def leaf_for(self, values: dict[str, Any]) -> TableWriter:
        """The writer of the leaf partition a row (by column name) belongs in."""
        assert self.router is not None
        leaf = self.router.leaf(self.table, values)
        writer = self._leaves.get(leaf.id)
        if writer is None:
            writer = self._leaves[leaf.id] = TableWriter(self.session, leaf, self.ctx)
            writer.routed = True
            if self.view_check_sql:
                writer.set_view_checks(self.view_check_sql)
            writer.firing = Firing.of(self.session, leaf, "insert", self.ctx)
        return writer

    def fits(self, row: Row) -> bool:
        """Whether a new version of a partition's row still satisfies its bound."""
        return self.router is None or self.router.fits(self.table, self.by_name(row))

    def _writer(self, table: TableDef) -> TableWriter:
        """A writer of another table in this statement (made once: it compiles checks)."""
        writer = self._others.get(table.id)
        if writer is None:
            writer = self._others[table.id] = TableWriter(self.session, table, self.ctx)
        return writer

    def _row_text(self, row: Row) -> str:
        return (
            "("
            + ", ".join(
                "null" if v is None else (T.format_value(v, c.type) or "")
                for v, c in zip(row, self.live, strict=False)
            )
            + ")"
        )

    def check(self, row: Row) -> None:
        """Every constraint of a stored row, foreign keys included, checked now (for DDL
        that adds constraints to a table with rows)."""
        self.check_row(row)
        for fk in self.fks:
            if all(v is not None for v in self._values(row, fk.columns)):
                self._check_parent(fk, row)

    def check_row(self, row: Row) -> None:
        """NOT NULL and CHECK constraints of a new row version."""
        for i, col in enumerate(self.live):
            if col.not_null and row[i] is None:
                raise NotNullViolation(
                    f'null value in column "{col.name}" of relation "{self.table.name}" '
                    "violates not-null constraint",
                    detail=f"Failing row contains {self._row_text(row)}.",
                )
        for con, pred in self.checks:
            if pred.fn(row) is False:
                raise CheckViolation(
                    f'new row for relation "{self.table.name}" violates check constraint '
                    f'"{con.name}"',
                    detail=f"Failing row contains {self._row_text(row)}.",
                )
        if self.table.bound is not None and not self.routed and not self.fits(row):
            raise CheckViolation(
                f'new row for relation "{self.table.name}" violates partition constraint',
                detail=f"Failing row contains {self._row_text(row)}.",
            )
        for name, pred in self.view_checks:
            if pred.fn(row) is not True:
                raise WithCheckOptionViolation(
                    f'new row violates check option for view "{name}"',
                    detail=f"Failing row contains {self._row_text(row)}.",
                )

    def _values(self, row: Row, cols: list[str]) -> list[Any]:
        return [row[self.codec.by_name[c]] for c in cols]

    def _queue_parent_checks(self, row: Row, old: Row | None) -> None:
        for fk in self.fks:
            values = self._values(row, fk.columns)
            if any(v is None for v in values):
                continue  # MATCH SIMPLE: a key with a NULL references nothing
            if old is not None and self._values(old, fk.columns) == values:
                continue
            check = partial(self._check_live_parent, fk, row)
            if self.session.deferrals.deferred(fk):
                self.session.deferrals.fk_waiting.append(
                    deferrals.FkWaiting(self.table.id, fk.name, check)
                )
            else:
                self.after.append(check)

    def _check_live_parent(self, fk: ConstraintDef, row: Row) -> None:
        raw = self.txn.get(self.codec.key(row))
        if raw is not None and self.codec.decode_value(raw) == row:
            self._check_parent(fk, row)
        # else this row version was deleted or updated again later in the statement

    def _check_parent(self, fk: ConstraintDef, row: Row) -> None:
        values = self._values(row, fk.columns)
        schema, _, name = (fk.ref_table or "").partition(".")
        parent = self._writer(self.catalog.table(name, schema, []))
        if not parent.has_key(fk.ref_columns, values):
            cols = ", ".join(fk.columns)
            vals = ", ".join(str(v) for v in values)
            raise ForeignKeyViolation(
                f'insert or update on table "{self.table.name}" violates foreign key constraint '
                f'"{fk.name}"',
                detail=f'Key ({cols})=({vals}) is not present in table "{parent.table.name}".',
            )

    def has_key(self, cols: list[str], values: list[Any]) -> bool:
        """Whether a row with these values in the PK or a unique index's columns exists. The
        key found is locked until commit (a KV LOCK, kv/txn/prewrite.py): a concurrent delete
        of it, or of its unique value, then fails one of the two transactions, as
        PostgreSQL's FOR KEY SHARE does, instead of leaving a child without its parent."""
        if self.table.partkey is not None:  # the key's partition holds it, if any does
            assert self.router is not None
            try:
                leaf = self.router.leaf(self.table, dict(zip(cols, values, strict=True)))
            except CheckViolation:
                return False
            return self._writer(leaf).has_key(cols, values)
        if cols == self.table.primary_key:
            key = self.codec.key_for_pk(tuple(values))
            found = self.txn.get(key) is not None
        else:
            key, found = _unique_entry(self.txn, self.codec, cols, values)
        if found:
            self.txn.lock_key(key)
        return found

    def _queue_child_actions(self, old: Row, new: Row | None) -> None:
        for child, fk in self.referencing:
            before = self._values(old, fk.ref_columns)
            if any(v is None for v in before):
                continue
            after = None if new is None else self._values(new, fk.ref_columns)
            if after == before:
                continue
            act = partial(self._act_on_children, child, fk, before, after)
            action = fk.on_delete if after is None else fk.on_update
            if action == "NO ACTION" and self.session.deferrals.deferred(fk):
                self.session.deferrals.fk_waiting.append(
                    deferrals.FkWaiting(child.id, fk.name, act)
                )
            else:  # actions run at once, deferrable or not, as in PostgreSQL
                self.after.append(act)

    def _act_on_children(
        self, child: TableDef, fk: ConstraintDef, before: list[Any], after: list[Any] | None
    ) -> None:
        """A referenced key went away (deleted, or updated to ``after``): refuse, cascade,
        set NULL or set the default in the rows that referenced it."""
        action = fk.on_delete if after is None else fk.on_update
        if action == "NO ACTION" and self.has_key(fk.ref_columns, before):
            return  # another row holds the key again by now
        writer = self._writer(child)
        types = [self.codec.types[self.codec.by_name[c]] for c in fk.ref_columns]
        hits = _rows_matching(writer, fk.columns, before, types)
        if not hits:
            return
        if action in ("NO ACTION", "RESTRICT"):
            cols = ", ".join(fk.ref_columns)
            vals = ", ".join(str(v) for v in before)
            raise ForeignKeyViolation(
                f'update or delete on table "{self.table.name}" violates foreign key '
                f'constraint "{fk.name}" on table "{child.name}"',
                detail=f'Key ({cols})=({vals}) is still referenced from table "{child.name}".',
            )
        for hit in hits:
            if action == "CASCADE" and after is None:
                writer.delete(hit)
                continue
            new = list(hit)
            for n, c in enumerate(fk.columns):
                i = writer.codec.by_name[c]
                if action == "CASCADE":
                    new[i] = (after or [])[n]
                elif action == "SET NULL":
                    new[i] = None
                else:  # SET DEFAULT
                    new[i] = default_value(self.session, child, c, self.ctx).fn(())
            writer.update(hit, writer.generate(tuple(new)))
        writer.finish()

    def _unique_error(self, index_name: str, cols: list[str], row: Row) -> UniqueViolation:
        if "" in cols:  # an expression index: its key is not a list of columns
            return UniqueViolation(f'duplicate key value violates unique constraint "{index_name}"')
        vals = ", ".join(
            T.format_value(row[self.codec.by_name[c]], self.table.column(c).type) or "null"
            for c in cols
        )
        return UniqueViolation(
            f'duplicate key value violates unique constraint "{index_name}"',
            detail=f"Key ({', '.join(cols)})=({vals}) already exists.",
        )

    def arbiters(self, cols: list[str] | None) -> list[IndexDef]:
        """The unique indexes an ON CONFLICT (cols) clause names: all of them without cols."""
        unique = [i for i in self.table.indexes if i.unique or i.primary]
        if cols is None:
            return unique + [i for i in self.table.indexes if i.name in self.excluding]
        found = [i for i in unique if not i.computed and set(i.columns) == set(cols)]
        if not found:
            raise InvalidColumnReference(
                "there is no unique or exclusion constraint matching the ON CONFLICT specification"
            )
        return found

    def conflicts(self, row: Row, arbiters: list[IndexDef]) -> Row | None:
        """The stored row that ``row`` would collide with on one of ``arbiters``."""
        for index in arbiters:
            if index.primary:
                raw = self.txn.get(self.codec.key(row))
                if raw is not None:
                    return self.codec.decode_value(raw)
                continue
            if index.name in self.excluding:
                found = self.exclusion(index.name).find(self.txn, self.codec, row)
                if found is not None:
                    return found
                continue
            entry = self.codec.index_entry(index, row)
            if entry is not None and entry[2]:
                pk = self.txn.get(entry[0])
                if pk is not None:
                    raw = self.txn.get(self.codec.prefix + pk)
                    if raw is not None:
                        return self.codec.decode_value(raw)
        return None

    def enforce_policies(self, row: Row) -> None:
        """42501 unless a new row passes the row level security checks set on this writer
        (``policies``: (restrictive policy's name or None, predicate), sql.policies)."""
        secured = self.policies_of
        if self.policies and secured.id != self.table.id:  # the predicates read its rows
            values = self.by_name(row)
            row = tuple(values.get(c.name) for c in secured.live_columns)
        for name, pred in self.policies:
            if pred.fn(row) is not True:
                which = f' "{name}"' if name else ""
                raise InsufficientPrivilege(
                    f'new row violates row-level security policy{which} for table "{secured.name}"'
                )

    def insert(self, row: Row) -> None:
        self.enforce_policies(row)
        if self.table.partkey is not None:
            self.check_row(row)
            self.route(self.by_name(row))
            return
        self.check_row(row)
        self._insert_checked(row)

    def _insert_checked(self, row: Row) -> None:
        table = self.table
        try:
            self.txn.insert(self.codec.key(row), self.codec.encode_value(row))
        except AlreadyExists:
            pk = next(i for i in table.indexes if i.primary)
            raise self._unique_error(pk.name, table.primary_key, row) from None
        self._add_index_entries(row)
        self._check_exclusions(row)
        self._queue_parent_checks(row, None)

    def insert_many(self, rows: list[Row], *, checked: bool = False) -> None:
        """``insert`` of each row, in order and with the same errors (the first row that
        breaks a constraint is the one reported), with a batch's encoding, uniqueness reads
        and buffering done a batch at a time instead of a KV call per key. ``checked``: the
        rows passed ``check_row`` already (COPY checks each as it is read)."""
        for row in rows if self.policies else ():
            self.enforce_policies(row)
        if self.table.partkey is not None:
            for row in rows:
                if not checked:
                    self.check_row(row)
                self.route(self.by_name(row))
            return
        if self.deferrable or self.excluding:  # a conflict may wait, or needs a scan
            for row in rows:
                if checked:
                    self._insert_checked(row)
                else:
                    self.insert(row)
            return
        if not checked:
            for n, row in enumerate(rows):
                try:
                    self.check_row(row)
                except Exception:
                    self.insert_many(rows[:n], checked=True)  # an earlier row's unique
                    raise  # violation comes first
        codec, txn = self.codec, self.txn
        indexes = [i for i in self.table.indexes if not i.primary]
        # Row-major claims: each row's key, then its unique entries, so the first pair taken
        # belongs to the first row (and, within it, the first index) PostgreSQL reports.
        claims: list[tuple[bytes, bytes]] = []
        owners: list[tuple[Row, IndexDef | None]] = []
        plain: list[tuple[bytes, bytes]] = []
        # A row id is fresh from its sequence, never handed out twice: its key needs no claim.
        keyed = bool(self.table.primary_key)
        for row in rows:
            if keyed:
                claims.append((codec.key(row), codec.encode_value(row)))
                owners.append((row, None))
            else:
                plain.append((codec.key(row), codec.encode_value(row)))
            for index in indexes:
                entry = codec.index_entry(index, row)
                if entry is None:
                    continue
                key, value, unique = entry
                if unique:
                    claims.append((key, value))
                    owners.append((row, index))
                else:
                    plain.append((key, value))
        bad = txn.insert_many(claims)
        if bad >= 0:
            row, taken = owners[bad]
            if taken is None:
                pk = next(i for i in self.table.indexes if i.primary)
                raise self._unique_error(pk.name, self.table.primary_key, row)
            raise self._unique_error(taken.name, taken.columns, row)
        txn.put_many(plain)
        if self.fks:
            for row in rows:
                self._queue_parent_checks(row, None)

    def _add_index_entries(self, row: Row) -> None:
        for index in self.table.indexes:
            if index.primary:
                continue
            entry = self.codec.index_entry(index, row)
            if entry is None:
                continue
            key, value, unique = entry
            if unique:
                self._claim(index, key, value, row)
            else:
                self.txn.put(key, value)

    def exclusion(self, index: str) -> exclusion.Exclusion:
        found = self._exclusions.get(index)
        if found is None:
            found = self._exclusions[index] = exclusion.Exclusion(self.table, self.excluding[index])
        return found

    def _check_exclusions(self, row: Row) -> None:
        """23P01 when the written ``row`` conflicts with another on an EXCLUDE constraint;
        a DEFERRABLE one's check waits for the end of the statement or the commit
        (sql.unique_checks)."""
        for index, con in self.excluding.items():
            if con.deferrable:
                waiting = deferrals.Waiting(
                    self.table.id, index, con.name, b"", b"", self.codec.key(row), ""
                )
                self.session.deferrals.waiting.append(waiting)
                continue
            check = self.exclusion(index)
            other = check.find(self.txn, self.codec, row)
            if other is not None:
                raise check.error(row, other)

    def _claim(self, index: IndexDef, key: bytes, value: bytes, row: Row) -> None:
        """Write a unique entry; a conflict fails (23505) or, for a DEFERRABLE constraint,
        waits for its check (sql.unique_checks)."""
        try:
            self.txn.insert(key, value)
        except AlreadyExists:
            error = self._unique_error(index.name, index.columns, row)
            con = self.deferrable.get(index.name)
            if con is None:
                raise error from None
            waiting = deferrals.Waiting(
                self.table.id, index.name, con.name, key, value, self.codec.key(row),
                error.detail or "",
            )  # fmt: skip
            self.session.deferrals.waiting.append(waiting)

    def _drop_entry(self, index: IndexDef, entry: tuple[bytes, bytes, bool]) -> None:
        """Delete a row's index entry; a DEFERRABLE unique value may be held by another row
        while this row's entry waits: only the row's own entry goes."""
        if entry[2] and index.name in self.deferrable and self.txn.get(entry[0]) != entry[1]:
            return
        self.txn.delete(entry[0])

    def _remove_index_entries(self, row: Row) -> None:
        for index in self.table.indexes:
            entry = None if index.primary else self.codec.index_entry(index, row)
            if entry is not None:
                self._drop_entry(index, entry)

    def delete(self, row: Row) -> None:
        self.txn.delete(self.codec.key(row))
        self._remove_index_entries(row)
        self._queue_child_actions(row, None)

    def update(self, old: Row, new: Row) -> None:
        self.check_row(new)
        old_key, new_key = self.codec.key(old), self.codec.key(new)
        # Every old entry goes before any new one is claimed, so a row may take over a
        # unique value it held itself.
        if old_key != new_key:
            self.txn.delete(old_key)
        entries = []
        for index in self.table.indexes:
            if index.primary:
                continue
            before = self.codec.index_entry(index, old)
            after = self.codec.index_entry(index, new)
            if (
                before is not None
                and after is not None
                and before[0] == after[0]
                and (old_key == new_key)
            ):
                continue
            if before is not None:
                self._drop_entry(index, before)
            if after is not None:
                entries.append((index, *after))
        if old_key != new_key:
            try:
                self.txn.insert(new_key, self.codec.encode_value(new))
            except AlreadyExists:
                pk = next(i for i in self.table.indexes if i.primary)
                raise self._unique_error(pk.name, self.table.primary_key, new) from None
        else:
            self.txn.put(new_key, self.codec.encode_value(new))
        for index, nk, nv, unique in entries:
            if unique:
                self._claim(index, nk, nv, new)
            else:
                self.txn.put(nk, nv)
        if self.excluding:
            self._check_exclusions(new)
        # PostgreSQL fires a row's RI triggers by name: the referenced side's actions
        # ("RI_ConstraintTrigger_a_*") before the referencing side's checks ("..._c_*").
        self._queue_child_actions(old, new)
        self._queue_parent_checks(new, old)


def _unique_entry(
    txn: Any, codec: RowCodec, cols: list[str], values: list[Any]
) -> tuple[bytes, bool]:
    """The key of the unique index entry for ``values`` in ``cols``, and whether it points at
    a live row."""
    for index in codec.table.indexes:
        if index.unique and index.scannable and index.columns == cols:
            stored = [
                T.to_storage(v, codec.types[codec.by_name[c]])
                for v, c in zip(values, cols, strict=True)
            ]
            key = codec.index_bounds(index, stored)
            pk = txn.get(key)
            return key, pk is not None and txn.get(codec.prefix + pk) is not None
    return b"", False


def _rows_matching(
    writer: TableWriter, cols: list[str], values: list[Any], types: list[T.SqlType]
) -> list[Row]:
    """The stored rows of the writer's table whose ``cols`` equal ``values`` (of ``types``):
    through an index that starts with ``cols`` when one does and the types are the same (so
    the encoded keys are too), else by a scan."""
    codec = writer.codec
    idx = [codec.by_name[c] for c in cols]
    if [codec.types[i] for i in idx] == types:
        for index in codec.table.indexes:
            if not index.primary and index.scannable and index.columns[: len(cols)] == cols:
                stored = [T.to_storage(v, t) for v, t in zip(values, types, strict=True)]
                lo = codec.index_bounds(index, stored)
                entries = writer.txn.iter_scan(lo, prefix_end(lo))
                keys = [codec.pk_from_index(index, k, v) for k, v in entries]
                found = writer.txn.batch_get(keys) if keys else {}
                return [codec.decode_value(found[k]) for k in keys if found.get(k) is not None]
    out = []
    for _, raw in writer.txn.iter_scan(codec.prefix, prefix_end(codec.prefix)):
        row = codec.decode_value(raw)
        if all(row[i] == v for i, v in zip(idx, values, strict=True)):
            out.append(row)
    return out


# -- statements ---------------------------------------------------------------------------------


def _table_of(session: SessionApi, t: exp.Expr) -> TableDef:
    if isinstance(t, exp.Schema):
        t = t.this
    assert isinstance(t, exp.Table)
    return session.catalog().table(t.name, t.db or None, session.search_path())


def statement_planner(
    session: SessionApi, tree: exp.Expr, ctx: Context, ctes: list[CteFrame] | None = None
) -> Planner:
    """The planner of an INSERT, UPDATE or DELETE: its WITH queries are visible to all of
    it (source, FROM / USING, SET and WHERE subqueries, RETURNING); ``ctes``: those of the
    WITH it is part of (WITH t AS (INSERT ... SELECT ... FROM u))."""
    planner = Planner(session, session.catalog(), ctx)
    planner.ctes = list(ctes or [])
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is not None:
        planner.push_ctes(with_)
        if ctes is None:  # the statement's own WITH: run_writes runs its writing queries
            ctx.writes = [
                node.plan.node.source
                for node in planner.writing_ctes(planner.ctes[-1])
                if isinstance(node, CteScan) and isinstance(node.plan.node, Materialized)
            ]
    return planner


def run_writes(plan: DmlPlan, ctx: Context) -> DmlPlan:
    """``plan`` running its WITH's data-modifying queries (``ctx.writes``) first, anew each
    execution, whether or not it reads them (as PostgreSQL runs them to completion)."""
    writes = list(ctx.writes)
    if not writes:
        return plan

    def run() -> Result:
        for w in writes:
            w.reset()
        for w in writes:
            w()
        return plan.run()

    return replace(plan, run=run)


def default_value(session: SessionApi, table: TableDef, col_name: str, ctx: Context) -> Typed:
    col = table.column(col_name)
    domain = col.type.domain
    default = col.default if col.default is not None or domain is None else domain.default
    if default is None and domain is not None:  # NULL, which the domain checks when used
        return coerce_to(Typed(lambda _r: None, replace(col.type, domain=None)), col.type)
    if default is None:
        return Typed(lambda _r: None, col.type, True)
    planner = Planner(session, session.catalog(), ctx)
    e = sqlglot.parse_one(default, read=DIALECT)
    return coerce_to(planner.compiler(Scope([])).compile(e), col.type)


def _view_returning(
    session: SessionApi, table: TableDef, tree: exp.Expr, ctx: Context, scope: Scope | None
) -> tuple[list[tuple[str, T.SqlType]], list[Any]] | None:
    """``_returning`` as sql.view_dml calls it (for an INSTEAD OF trigger's view)."""
    return _returning(Planner(session, session.catalog(), ctx), table, tree, scope)


def _returning(
    planner: Planner, table: TableDef, tree: exp.Expr, scope: Scope | None
) -> tuple[list[tuple[str, T.SqlType]], list[Any]] | None:
    """RETURNING's columns and functions over rows of ``scope`` (the target table alone when
    None; UPDATE ... FROM and DELETE ... USING rows also hold the other items' columns)."""
    ret = tree.args.get("returning")
    if ret is None:
        return None
    scope = scope or table_scope(table, None)
    exprs = planner._expand_stars(ret.expressions, scope)
    comp = planner.compiler(scope)

    typed = [comp.compile(e) for e in exprs]
    cols = [
        (
            expr_name(e) if not isinstance(e, exp.Column) else e.name,
            t.type if t.type.name != "unknown" else T.TEXT,
        )
        for e, t in zip(exprs, typed, strict=True)
    ]
    return cols, [t.fn for t in typed]


CteFrame = dict[str, tuple[Plan, int]]  # a WITH's queries by name (Planner.ctes)


@dataclass(frozen=True, slots=True)
class DmlPlan:
    """A compiled INSERT, UPDATE or DELETE. ``run`` runs it once more in the session's current
    transaction, with the values in its context's ``params`` at the time of the call. It holds
    what planning resolved (tables, columns, constraints, the search path's choices), so it is
    valid only while the catalog and the session's search path are as they were.

    ``point``: it touches at most one row, found by its key, and reads nothing else but
    single rows by key (no subquery, no query source, no foreign-key action on other tables):
    work small enough to run on a caller's event loop."""

    run: Callable[[], Result]
    point: bool
    temporary: bool = False  # writes a temporary table (a READ ONLY transaction may)
    columns: list[tuple[str, T.SqlType]] | None = None  # RETURNING's


def insert(session: SessionApi, tree: exp.Insert, ctx: Context) -> Result:
    return plan_insert(session, tree, ctx).run()


def plan_insert(
    session: SessionApi, tree: exp.Insert, ctx: Context, ctes: list[CteFrame] | None = None
) -> DmlPlan:
    ruled = rules.rewrite(session, tree, ctx, ctes, _plan_any, _view_returning)
    if ruled is not None:
        return DmlPlan(ruled.run, False, columns=ruled.columns)
    on_view = view_dml.instead_of(session, tree, ctx, _view_returning)
    if on_view is not None:
        return DmlPlan(on_view, False)
    through = view_update.rewrite(session, tree)
    if through is not None:
        return _plan_any(session, through, ctx, ctes)
    target = tree.this
    table = _table_of(session, target)
    alias = (target.this if isinstance(target, exp.Schema) else target).alias or None
    if table.kind != "table":
        raise FeatureNotSupported(f'cannot insert into "{table.name}"')
    live = table.live_columns
    listed = isinstance(target, exp.Schema)  # an explicit column list: VALUES must fill it
    targets = (
        [assign_targets.target_of(i) for i in target.expressions]
        if isinstance(target, exp.Schema)
        else [assign_targets.Target(c.name, []) for c in live]
    )
    assign_targets.check_insert_targets(targets)
    names = list(dict.fromkeys(t.name for t in targets))  # the columns, in order
    types = [assign_targets.value_type(table, t) for t in targets]  # one per value
    privileges.require(session, table, "a", names)
    if _reads_columns(tree.args.get("returning")):
        privileges.require(session, table, "r", [])
    positions = [i for n in names for i, c in enumerate(live) if c.name == n]
    overriding = "OVERRIDING SYSTEM VALUE" in tree.sql(dialect="postgres").upper()
    planner = statement_planner(session, tree, ctx, ctes)
    combine: Callable[[list[Any]], list[Any]] | None = None  # values per target -> per column
    if any(t.subscripts for t in targets):
        comp = planner.compiler(Scope([]))
        parts = [assign_targets.subscript_parts(comp, t) for t in targets]
        combine = assign_targets.combiner(targets, names, parts)
    source = tree.expression
    base = TableWriter(session, table, ctx)
    if tree.meta.get(view_update.CHECKS):
        base.set_view_checks(tree.meta[view_update.CHECKS])
    base.policies = _policy_checks(planner, table, alias or table.name, "insert")
    defaults = [default_value(session, table, c.name, ctx) for c in live]
    values_in: list[list[Typed | None]] = []  # None: DEFAULT
    query: Plan | None = None
    if listed and not isinstance(source, exp.Values):
        for tg in targets:
            if table.column(tg.name).generated is not None:
                raise GeneratedAlways(
                    f'cannot insert a non-DEFAULT value into column "{tg.name}"',
                    detail=f'Column "{tg.name}" is a generated column.',
                )
    casts: list[Callable[[Any], Any] | None] = []  # per column of the query: its assignment
    if isinstance(source, exp.Values):
        comp = planner.compiler(Scope([]))
        widths = {len(t.expressions) if isinstance(t, exp.Tuple) else 1 for t in source.expressions}
        if len(widths) > 1:
            raise SyntaxError_("VALUES lists must all be the same length")
        for tup in source.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            if len(items) > len(targets):
                raise SyntaxError_("INSERT has more expressions than target columns")
            if len(items) < len(targets) and listed:
                raise SyntaxError_("INSERT has more target columns than expressions")
            values: list[Typed | None] = []
            for tg, item, t in zip(targets, items, types, strict=False):
                n = tg.name
                if (isinstance(item, exp.Var) and item.name.upper() == "DEFAULT") or (
                    isinstance(item, exp.Column)
                    and item.name.upper() == "DEFAULT"
                    and not item.table
                ):
                    if tg.subscripts:
                        raise FeatureNotSupported("cannot set an array element to DEFAULT")
                    values.append(None)
                    continue
                col = table.column(n)
                if col.generated is not None:
                    raise GeneratedAlways(
                        f'cannot insert a non-DEFAULT value into column "{n}"',
                        detail=f'Column "{n}" is a generated column.',
                    )
                if col.identity == "always" and not overriding:
                    raise GeneratedAlways(
                        f'cannot insert a non-DEFAULT value into column "{n}"',
                        detail=f'Column "{n}" is an identity column defined as GENERATED ALWAYS.',
                    )
                values.append(assign_targets.assigned(tg, comp.compile(item), t))
            values += [None] * (len(targets) - len(values))
            values_in.append(values)
    elif source is not None:
        query = planner.plan_query(source)
        if not listed and len(query.columns) < len(targets):  # the first columns, as VALUES
            targets, types = targets[: len(query.columns)], types[: len(query.columns)]
            names, positions = names[: len(query.columns)], positions[: len(query.columns)]
        if len(query.columns) != len(targets):
            raise SyntaxError_(
                "INSERT has more expressions than target columns"
                if len(query.columns) > len(targets)
                else "INSERT has more target columns than expressions"
            )
        # A column already of its target type needs no cast (INSERT ... SELECT of a copy).
        casts = [
            None if c.type == t else partial(_assign, c.type, t)
            for c, t in zip(query.columns, types, strict=True)
        ]
    else:  # DEFAULT VALUES
        values_in.append([None] * len(names))
    conflict = tree.args.get("conflict")
    arbiters = _arbiters(base, conflict) if conflict is not None else []
    do_nothing = conflict is not None and "NOTHING" in str(conflict.args.get("action")).upper()
    returning = _returning(planner, table, tree, _with_tableoid(table_scope(table, alias)))
    if returning is not None:  # each row's tableoid: its leaf partition's when routed
        returning = (returning[0], [_tableoid_fed(base, f) for f in returning[1]])

    def rows_in() -> list[list[Any]]:
        if combine is not None:
            return [combine(values) for values in targets_in()]
        return targets_in()

    def targets_in() -> list[list[Any]]:
        if query is None:
            return [[_DEFAULT if v is None else v.fn(()) for v in vs] for vs in values_in]
        if not any(casts):
            return [list(got) for got in run_plan(query)]
        return [
            [v if f is None else f(v) for v, f in zip(got, casts, strict=True)]
            for got in run_plan(query)
        ]

    def run() -> Result:
        writer = base.fresh()
        fire = Firing.of(session, table, "insert", ctx)
        if fire is not None:
            fire.statement("before")
        if conflict is None:
            return _insert_all(writer, rows_in(), positions, defaults, returning, fire)
        out_rows = []
        touched: set[tuple[int, bytes]] = (
            set()
        )  # rows this ON CONFLICT DO UPDATE inserted or updated
        count = 0
        for values in rows_in():
            full: list[Any] = [_DEFAULT] * len(live)
            for i, v in zip(positions, values, strict=True):
                full[i] = v
            for i, v in enumerate(full):
                if v is _DEFAULT:
                    full[i] = defaults[i].fn(())
            row = writer.complete(tuple(full))
            if fire is not None:
                fired = fire.before_row(None, row)
                if fired is None:
                    continue
                row = fired
            if conflict is not None:
                # a partitioned table's conflicts are its leaf partition's
                target, trow, found = writer, row, arbiters
                writer.check_row(row)
                if table.partkey is not None:
                    named = writer.by_name(row)
                    target = writer.leaf_for(named)
                    trow = target.complete(tuple(named.get(c.name) for c in target.live))
                    found = [i for i in target.table.indexes if (i.unique or i.primary)
                             and any(a.columns == i.columns for a in arbiters)]  # fmt: skip
                    target.check_row(trow)
                existing = target.conflicts(trow, found)
                if existing is not None:
                    if do_nothing:
                        continue
                    if (target.table.id, target.codec.key(existing)) in touched:
                        raise CardinalityViolation(
                            "ON CONFLICT DO UPDATE command cannot affect row a second time"
                        )
                    updated = _on_conflict_update(
                        target, conflict, existing, trow, ctx, alias or table.name
                    )
                    if updated is None:
                        continue
                    trow = updated
                else:
                    target.insert(trow)
                if target is not writer:
                    named = target.by_name(trow)
                    row = (*(named.get(c.name) for c in live), *row[len(live) :])
                else:
                    row = trow
                if not do_nothing:
                    touched.add((target.table.id, target.codec.key(trow)))
            else:
                writer.insert(row)
            if fire is not None:
                fire.after_row(None, row)
            count += 1
            if returning:
                out_rows.append(tuple(f(row) for f in returning[1]))
        writer.finish()
        if fire is not None:
            fire.finish()
        tag = f"INSERT 0 {count}"
        if returning:
            return Result(tag, returning[0], out_rows)
        return Result(tag)

    point = (
        query is None
        and len(values_in) == 1
        and tree.find(exp.Select) is None
        and not (conflict is not None and base.referencing)
        and not table.triggers
    )
    return DmlPlan(
        run, point, temp.is_temp_schema(table.schema), returning[0] if returning else None
    )


def _with_tableoid(scope: Scope) -> Scope:
    label = scope.columns[0].table if scope.columns else None
    return Scope([*scope.columns, ScopeColumn(label, "tableoid", T.OID, hidden=True)])


def _tableoid_fed(writer: TableWriter, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """A RETURNING function of INSERT over a stored row, fed the row's table oid too."""
    table = writer.table

    def run(row: Row) -> Any:
        oid = table.id
        if writer.router is not None and table.partkey is not None:
            oid = writer.router.leaf(table, writer.by_name(row)).id
        return fn((*row, oid))

    return run


def _assign(src: T.SqlType, dst: T.SqlType, v: Any) -> Any:
    return cast_value(v, src, dst, explicit=False)


def _insert_all(
    writer: TableWriter,
    rows_in: list[list[Any]],
    slots: list[int],
    defaults: list[Typed],
    returning: tuple[list[tuple[str, T.SqlType]], list[Callable[[Row], Any]]] | None,
    fire: Firing | None = None,
) -> Result:
    """A plain INSERT (no ON CONFLICT): rows completed and written ``INSERT_BATCH`` at a time.
    ``slots``: each input value's column position; ``defaults``: each column's default;
    ``fire``: the table's triggers (then rows go one at a time)."""
    live = writer.live
    direct = slots == list(range(len(live)))
    # A default that calls a function (nextval above all) runs row by row, as PostgreSQL's
    # does: a statement failing at row n has drawn n values, not a batch's worth.
    step = 1 if fire or any(c.default and "(" in c.default for c in live) else INSERT_BATCH
    count = 0
    out_rows: list[Row] = []
    for at in range(0, len(rows_in), step):
        batch: list[Row] = []
        for values in rows_in[at : at + step]:
            if direct and _DEFAULT not in values:
                batch.append(tuple(values))
                continue
            full: list[Any] = [_DEFAULT] * len(live)
            for i, v in zip(slots, values, strict=True):
                full[i] = v
            for i, v in enumerate(full):
                if v is _DEFAULT:
                    full[i] = defaults[i].fn(())
            batch.append(tuple(full))
        rows = writer.complete_many(batch)
        if fire is not None:
            rows = [r for r in (fire.before_row(None, row) for row in rows) if r is not None]
        writer.insert_many(rows)
        if fire is not None:
            for row in rows:
                fire.after_row(None, row)
        count += len(rows)
        if returning:
            out_rows.extend(tuple(f(row) for f in returning[1]) for row in rows)
    writer.finish()
    if fire is not None:
        fire.finish()
    tag = f"INSERT 0 {count}"
    if returning:
        return Result(tag, returning[0], out_rows)
    return Result(tag)


INSERT_BATCH = 1000
SMALL_BATCH = 32  # fewer rows than this take their row ids one by one (complete_many)
ROWID_BLOCK_MAX = 1 << 16


def _arbiters(writer: TableWriter, conflict: exp.Expr) -> list[IndexDef]:
    """The unique indexes whose conflicts ON CONFLICT handles (PostgreSQL's arbiter indexes)."""
    name = conflict.args.get("constraint")
    if name is not None:
        for con in writer.table.constraints:
            if con.name == name.name and con.kind in ("p", "u", "x"):
                if con.deferrable:
                    raise ObjectNotInPrerequisiteState(
                        "ON CONFLICT does not support deferrable unique constraints/exclusion "
                        "constraints as arbiters",
                        hint="Use DEFERRABLE INITIALLY IMMEDIATE or NOT DEFERRABLE.",
                    )
                if con.kind == "x" and "NOTHING" not in str(conflict.args.get("action")).upper():
                    raise WrongObjectType(
                        "ON CONFLICT DO UPDATE not supported with exclusion constraints"
                    )
                return [i for i in writer.table.indexes if i.name == con.index]
        raise UndefinedObject(
            f'constraint "{name.name}" for table "{writer.table.name}" does not exist'
        )
    keys = conflict.args.get("conflict_keys")
    if not keys:
        if "NOTHING" not in str(conflict.args.get("action")).upper():
            raise SyntaxError_(
                "ON CONFLICT DO UPDATE requires inference specification or constraint name"
            )
        return writer.arbiters(None)
    cols = [(k.this if isinstance(k, exp.Ordered) else k).name for k in keys]
    for c in cols:
        writer.table.column(c)
    return writer.arbiters(cols)


def _hint_param(ctx: Context, e: exp.Expr, t: T.SqlType) -> None:
    """A bare $n assigned to a column takes the column's type without its modifiers
    (INSERT VALUES, UPDATE SET), as in PostgreSQL: the assignment then applies them, so a
    bound numeric is rounded to the column's scale and a long string fails varchar(n)."""
    if isinstance(e, exp.Parameter) and str(e.name).isdigit():
        n = int(e.name)
        while len(ctx.param_types) < n:
            ctx.param_types.append(None)
        if ctx.param_types[n - 1] is None:
            ctx.param_types[n - 1] = T.without_modifiers(t)


def describe_dml(
    session: SessionApi, tree: exp.Expr, ctx: Context
) -> list[tuple[str, T.SqlType]] | None:
    """Parameter types and RETURNING columns of a DML statement, without running it."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    view = session.catalog().find(target.name, target.db or None, session.search_path())
    if view is not None and view.kind == "view":
        return _describe_on_view(session, view, tree, ctx)
    table = _table_of(session, tree.this)
    planner = statement_planner(session, tree, ctx)
    if isinstance(tree, exp.Insert):
        target = tree.this
        targets = (
            [assign_targets.target_of(i) for i in target.expressions]
            if isinstance(target, exp.Schema)
            else [assign_targets.Target(c.name, []) for c in table.live_columns]
        )
        source = tree.expression
        if isinstance(source, exp.Values):
            for tup in source.expressions:
                items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
                for tg, item in zip(targets, items, strict=False):
                    _hint_param(ctx, item, assign_targets.value_type(table, tg))
                comp = planner.compiler(Scope([]))
                for item in items:
                    if not (
                        isinstance(item, exp.Var | exp.Column) and item.name.upper() == "DEFAULT"
                    ):
                        comp.compile(item)
        elif source is not None:
            planner.plan_query(source)
    else:
        alias = tree.this.alias or None
        _, scope, _ = _targets(planner, tree, table, alias)
        comp = planner.compiler(scope)
        expand = partial(planner._expand_stars, scope=scope)
        for s in _assignments(tree.expressions, expand) if isinstance(tree, exp.Update) else []:
            if isinstance(s.this, exp.Bracket):
                continue
            _hint_param(ctx, s.expression, table.column(s.this.name).type)
            if not (
                isinstance(s.expression, exp.Column) and s.expression.name.upper() == "DEFAULT"
            ):
                comp.compile(s.expression)
        where = tree.args.get("where")
        if where is not None:
            comp._bool(where.this)
    if isinstance(tree, exp.Insert):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        returning = _returning(planner, table, tree, table_scope(table, target.alias or None))
    else:
        returning = _returning(planner, table, tree, scope)
    return returning[0] if returning else None


def _describe_on_view(
    session: SessionApi, view: TableDef, tree: exp.Expr, ctx: Context
) -> list[tuple[str, T.SqlType]] | None:
    """describe_dml of a statement on a view: through its relation when that is how it
    runs; else parameters typed by the view's columns and RETURNING over them."""
    event = rules.event_of(tree)
    by_trigger = any(t.enabled and t.timing == "instead" and event in t.events
                     for t in view.triggers)  # fmt: skip
    if not rules.rules_for(view, event) and not by_trigger:
        through = view_update.rewrite(session, tree)
        if through is not None:
            return describe_dml(session, through, ctx)
    if isinstance(tree, exp.Insert) and isinstance(tree.expression, exp.Values):
        names = (
            [i.name for i in tree.this.expressions]
            if isinstance(tree.this, exp.Schema)
            else [c.name for c in view.live_columns]
        )
        for tup in tree.expression.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            for n, item in zip(names, items, strict=False):
                _hint_param(ctx, item, view.column(n).type)
    for s in tree.expressions if isinstance(tree, exp.Update) else []:
        if isinstance(s, exp.EQ) and isinstance(s.this, exp.Column):
            _hint_param(ctx, s.expression, view.column(s.this.name).type)
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    returning = _view_returning(session, view, tree, ctx, table_scope(view, target.alias or None))
    return returning[0] if returning else None


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


_DEFAULT: Any = _Default()


def _rowid_seq(session: SessionApi, table: TableDef) -> TableDef:
    # Tables without a primary key number their rows from a sequence with the table's id.
    return TableDef(
        id=table.id,
        schema=table.schema,
        name=f"{table.name}_rowid",
        columns=[],
        kind="sequence",
        seq={"start": 1, "increment": 1, "min": 1, "max": (1 << 63) - 1},
    )


def _on_conflict_update(
    writer: TableWriter,
    conflict: exp.Expr,
    existing: Row,
    proposed: Row,
    ctx: Context,
    alias: str | None,
) -> Row | None:
    """DO UPDATE of the stored row ``existing``; None when its WHERE leaves the row alone."""
    sets = conflict.args.get("expressions") or []
    for col in conflict.find_all(exp.Column):
        if col.table.lower() == "excluded" and not col.args["table"].quoted:
            col.set("table", exp.to_identifier("excluded"))
    table = writer.table
    scope = table_scope(table, alias)
    excl = [ScopeColumn("excluded", c.name, c.type, hidden=c.hidden) for c in scope.columns]
    full = Scope(scope.columns + excl)
    comp = Compiler(full, ctx)
    combined = existing + proposed
    where = conflict.args.get("where")
    if (
        where is not None
        and comp._bool(where.this if isinstance(where, exp.Where) else where).fn(combined)
        is not True
    ):
        return None
    new = list(existing)
    for s in _assignments(sets):
        setter = _setter(writer.session, table, s, comp, ctx)
        at = writer.codec.by_name[_target_name(s)]
        new[at] = setter(combined, new[at])
    row = writer.generate(tuple(new))
    writer.update(existing, row)
    return row


Setter = Callable[[Row, Any], Any]  # (the row the SET reads, the column's value) -> new value


def _setter(
    session: SessionApi, table: TableDef, s: exp.EQ, comp: Compiler, ctx: Context
) -> Setter:
    """One SET item of UPDATE or ON CONFLICT DO UPDATE: ``column = value`` or, into an
    array, ``column[i] = value`` / ``column[i:j] = array`` (sql.array_assign)."""
    if not isinstance(s.this, exp.Bracket):
        value = _set_value(session, table, s, comp, ctx)
        return lambda row, _old: value.fn(row)
    target = assign_targets.target_of(s.this)
    if hstore.is_hstore(table.column(target.name).type) and len(target.subscripts) == 1:
        return hstore.subscript_setter(
            comp.compile(target.subscripts[0]), comp.compile(s.expression)
        )
    to = assign_targets.value_type(table, target)
    if isinstance(s.expression, exp.Column) and s.expression.name.upper() == "DEFAULT":
        raise FeatureNotSupported("cannot set an array element to DEFAULT")
    value = assign_targets.assigned(target, comp.compile(s.expression), to)
    parts = assign_targets.subscript_parts(comp, target)

    def run(row: Row, old: Any) -> Any:
        return array_assign.assign(old, [p(row) for p in parts], value.fn(row))

    return run


def _set_value(
    session: SessionApi, table: TableDef, s: exp.EQ, comp: Compiler, ctx: Context
) -> Typed:
    """The new value of one ``column = value`` of UPDATE or ON CONFLICT DO UPDATE."""
    name, value = s.this.name, s.expression
    col = table.column(name)
    is_default = (
        isinstance(value, exp.Column) and value.name.upper() == "DEFAULT" and not value.table
    )
    if col.identity == "always" and not is_default:
        raise GeneratedAlways(f'column "{name}" can only be updated to DEFAULT')
    if col.generated is not None and not is_default:
        raise GeneratedAlways(
            f'column "{name}" can only be updated to DEFAULT',
            detail=f'Column "{name}" is a generated column.',
        )
    if col.generated is not None:  # generate() computes it
        return Typed(lambda _r: None, col.type, True)
    if is_default:
        return default_value(session, table, name, ctx)
    return assign_targets.assigned(assign_targets.Target(name, []), comp.compile(value), col.type)


def _policy_checks(
    planner: Planner, secured: TableDef, label: str, command: str
) -> list[tuple[str | None, Typed]]:
    """The WITH CHECK predicates of ``secured``'s policies for ``command`` over its rows read
    as ``label`` (sql.policies; a member's rows are put in its order first)."""
    out: list[tuple[str | None, Typed]] = []
    for name, sql in policies.checks(planner.session, secured, command):
        pred = policies.expression(sql, secured.name, label)
        out.append((name, planner.compiler(table_scope(secured, label))._bool(pred)))
    return out


def _reads_columns(*parts: exp.Expr | None) -> bool:
    """Whether WHERE / RETURNING read a column (then SELECT privilege is needed too)."""
    return any(
        p is not None and (p.find(exp.Column) is not None or p.find(exp.Star) is not None)
        for p in parts
    )


def _assigned_columns(tree: exp.Update) -> list[str]:
    """The columns an UPDATE's SET assigns (what its column privileges must cover)."""
    out: list[str] = []
    for s in tree.expressions:
        left = s.this if isinstance(s, exp.EQ) else None
        items = left.expressions if isinstance(left, exp.Tuple) else [left]
        out += [e.name for e in items if isinstance(e, exp.Column | exp.Identifier)]
    return out


def _target_name(s: exp.EQ) -> str:
    """The column a SET item assigns (``a`` of ``a[2] = x`` too)."""
    target = s.this
    while isinstance(target, exp.Bracket):
        target = target.this
    return str(target.name)


def _assignments(
    items: list[exp.Expr], expand: Callable[[list[exp.Expr]], list[exp.Expr]] | None = None
) -> list[exp.EQ]:
    """SET items as ``column = value``, a ``(a, b) = (x, y)``, ``= ROW(...)`` or
    ``= (SELECT ...)`` item taken apart (``expand``: the stars in a ROW(...))."""
    out = []
    for s in items:
        if not isinstance(s, exp.EQ):
            raise SyntaxError_("invalid SET clause")
        if isinstance(s.this, exp.Tuple | exp.Paren):
            cols = s.this.expressions if isinstance(s.this, exp.Tuple) else [s.this.this]
            value = s.expression
            if isinstance(value, exp.Subquery):
                values: list[exp.Expr] = [
                    SubqueryColumn(this=value, index=i, width=len(cols)) for i in range(len(cols))
                ]
            elif isinstance(value, exp.Anonymous) and value.name.upper() == "ROW":
                values = list(value.expressions)
                values = expand(values) if expand is not None else values
            elif isinstance(value, exp.Tuple):
                values = list(value.expressions)
            else:
                raise FeatureNotSupported(
                    "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() "
                    "expression"
                )
            if len(values) != len(cols):
                raise SyntaxError_("number of columns does not match number of values")
            out += [exp.EQ(this=c, expression=v) for c, v in zip(cols, values, strict=True)]
        else:
            out.append(s)
    return out


def _targets(
    planner: Planner,
    tree: exp.Expr,
    table: TableDef,
    alias: str | None,
    root: TableDef | None = None,
) -> tuple[Node, Scope, int]:
    """The rows UPDATE / DELETE act on, unprojected, and their scope: each row starts with a
    stored row of the target (all its columns, the hidden row id included, as its scan
    decoded it) and goes on with the FROM / USING items' columns. The int is the target's
    width."""
    select = exp.Select()
    select.set("from_", exp.From(this=tree.this.copy()))
    extra = tree.args.get("from_") or tree.args.get("from") or tree.args.get("using")
    items = [extra.this] if isinstance(extra, exp.From) else list(extra or [])
    joins = []
    for item in items:
        item = item.copy()
        inner = item.args.pop("joins", None) or []
        joins.append(exp.Join(this=item, kind="CROSS"))
        joins += inner
    select.set("joins", joins)
    where = tree.args.get("where")
    if where is not None:
        select.set("where", where.copy())
    if any(c.name.lower() == "tableoid" for c in tree.find_all(exp.Column)):
        select.set("expressions", [exp.column("tableoid")])  # the scan carries it (binder)
    planner.checked.add(table.id)  # by plan_update / plan_delete, on the statement's target
    command = "update" if isinstance(tree, exp.Update) else "delete"
    reads = _reads_columns(tree.args.get("where"), tree.args.get("returning"))
    planner.rls_commands[table.id] = (command, "select") if reads else (command,)
    if root is not None:  # a partition or child updated through the table named: its policies
        planner.rls_tables[table.id] = root
    node, scope = planner.source(select, Scope([]))
    target = table_scope(table, alias).columns
    width = len(target)
    assert [(c.table, c.name) for c in scope.columns[:width]] == [
        (c.table, c.name) for c in target
    ], "the target's scan must come first"
    return node, scope, width


def _run(session: SessionApi, node: Node) -> list[Row]:
    """All rows of ``node``, read before the statement writes anything."""
    return list(start(session.current_txn()).rows(node))


def _targets_once(
    session: SessionApi, node: Node, width: int, writer: TableWriter, done: set[bytes]
) -> Iterator[tuple[Row, Row]]:
    """(stored target row, joined row) of UPDATE / DELETE, each target row once (``done``
    collects their keys): with FROM / USING a row matched twice is acted on once, as in
    PostgreSQL."""
    for joined in checked(_run(session, node)):
        old = joined[:width]
        key = writer.codec.key(old)
        if key not in done:
            done.add(key)
            yield old, joined


def update(session: SessionApi, tree: exp.Update, ctx: Context) -> Result:
    return plan_update(session, tree, ctx).run()


def _point(tree: exp.Expr, node: Node, writer: TableWriter) -> bool:
    """UPDATE / DELETE of at most one row by key, with nothing else to read (DmlPlan.point)."""
    return (
        is_point_read(node)
        and tree.find(exp.Select) is None
        and not writer.referencing
        and not writer.table.triggers  # a trigger runs statements of its own
    )


def plan_update(
    session: SessionApi, tree: exp.Update, ctx: Context, ctes: list[CteFrame] | None = None
) -> DmlPlan:
    ruled = rules.rewrite(session, tree, ctx, ctes, _plan_any, _view_returning)
    if ruled is not None:
        return DmlPlan(ruled.run, False, columns=ruled.columns)
    on_view = view_dml.instead_of(session, tree, ctx, _view_returning)
    if on_view is not None:
        return DmlPlan(on_view, False)
    through = view_update.rewrite(session, tree)
    if through is not None:
        return _plan_any(session, through, ctx, ctes)
    table = _table_of(session, tree.this)
    privileges.require(session, table, "w", _assigned_columns(tree))
    if _reads_columns(tree.args.get("where"), tree.args.get("returning")):
        privileges.require(session, table, "r", [])
    if not tree.this.args.get("only") and session.catalog().children(table):
        return _each_member(session, tree, ctx, table, partial(_plan_update, ctes=ctes))
    return _plan_update(session, tree, ctx, table, ctes).plan()


@dataclass(frozen=True, slots=True)
class _Phases:
    """UPDATE / DELETE of one table in two steps: ``fetch`` reads the rows it acts on
    ((stored row, joined row) pairs), ``apply`` writes. A statement over an inheritance tree
    fetches every member's rows before it writes any, so a row an UPDATE moves into another
    partition is not seen (and updated) there again, as PostgreSQL's snapshot hides it."""

    fetch: Callable[[], list[tuple[Row, Row]]]
    apply: Callable[[list[tuple[Row, Row]]], Result]
    point: bool
    temporary: bool = False
    columns: list[tuple[str, T.SqlType]] | None = None  # RETURNING's

    def plan(self) -> DmlPlan:
        return DmlPlan(lambda: self.apply(self.fetch()), self.point, self.temporary, self.columns)


def _plan_update(
    session: SessionApi,
    tree: exp.Update,
    ctx: Context,
    root: TableDef,
    ctes: list[CteFrame] | None = None,
) -> _Phases:
    """UPDATE of one table. A partition's row whose new version leaves its bound moves:
    deleted there and inserted through ``root`` (the table the statement names) into its
    new leaf partition."""
    table = _table_of(session, tree.this)
    alias = tree.this.alias or None
    planner = statement_planner(session, tree, ctx, ctes)
    node, scope, width = _targets(planner, tree, table, alias, root)
    base = TableWriter(session, table, ctx)
    if tree.meta.get(view_update.CHECKS):
        base.set_view_checks(tree.meta[view_update.CHECKS])
    comp = planner.compiler(scope)
    assigns = []
    expand = partial(planner._expand_stars, scope=scope)
    for s in _assignments(tree.expressions, expand):
        setter = _setter(session, table, s, comp, ctx)  # raises for an unknown column
        assigns.append((base.codec.by_name[_target_name(s)], setter))
    seen: dict[str, bool] = {}  # column -> assigned whole
    for s in _assignments(tree.expressions, expand):
        name, whole = _target_name(s), not isinstance(s.this, exp.Bracket)
        if name in seen and (whole or seen[name]):
            raise SyntaxError_(f'multiple assignments to same column "{name}"')
        seen[name] = whole
    returning = _returning(planner, table, tree, scope)
    mover = TableWriter(session, root, ctx) if root.partkey is not None else None
    if mover is not None and tree.meta.get(view_update.CHECKS):
        mover.set_view_checks(tree.meta[view_update.CHECKS])
    label = alias or table.name
    base.policies = _policy_checks(planner, root, label, "update")
    base.policies_of = root
    oid_at = next((i for i, c in enumerate(scope.columns)
                   if i >= width and c.name == "tableoid"), None)  # fmt: skip

    def fetch() -> list[tuple[Row, Row]]:
        return list(_targets_once(session, node, width, base, set()))

    def apply(targets: list[tuple[Row, Row]]) -> Result:
        writer = base.fresh()
        out_rows = []
        root_writer = mover.fresh() if mover is not None else None
        fire = Firing.of(session, table, "update", ctx, sorted(seen))
        if fire is not None:
            fire.statement("before")
        # DELETE row triggers, fired for rows that move to another partition
        moving = root_writer is not None and table.bound is not None
        removing = Firing.of(session, table, "delete", ctx) if moving else None
        count = 0
        for old, joined in targets:
            new = list(old)
            for idx, setter in assigns:
                new[idx] = setter(joined, new[idx])
            row: Row | None = tuple(new)
            if fire is not None:
                row = fire.before_row(old, row)
                if row is None:
                    continue
            assert row is not None
            row = writer.generate(row)
            moves = moving and not writer.fits(row)
            if moves:
                # A DELETE here and an INSERT there: this partition's DELETE row triggers fire
                # (a BEFORE one may stop the move), then the other's INSERT ones, not AFTER
                # UPDATE (PostgreSQL's rule for rows that change partition).
                if removing is not None and removing.before_row(old, None) is None:
                    continue
                writer.delete(old)
                if removing is not None:
                    removing.after_row(old, None)
                assert root_writer is not None
                values = writer.by_name(row)
                # the named table's own constraints (its bound too, when it is a partition)
                root_writer.check_row(tuple(values.get(c.name) for c in root_writer.live))
                leaf = root_writer.leaf_for(values)
                if base.policies and not leaf.policies:  # checked once its triggers ran
                    leaf.policies, leaf.policies_of = base.policies, root
                root_writer.route(values)
                if oid_at is not None:  # RETURNING tableoid: the partition it moved to
                    joined = (*joined[:oid_at], leaf.table.id, *joined[oid_at + 1 :])
            else:
                writer.enforce_policies(row)
                writer.update(old, row)
            if fire is not None and not moves:
                fire.after_row(old, row)
            count += 1
            if returning:
                out_rows.append(tuple(f(row + joined[width:]) for f in returning[1]))
        if root_writer is not None:
            root_writer.finish()
        writer.finish()
        if removing is not None:
            removing.finish_rows()
        if fire is not None:
            fire.finish()
        if returning:
            return Result(f"UPDATE {count}", returning[0], out_rows)
        return Result(f"UPDATE {count}")

    return _Phases(fetch, apply, _point(tree, node, base) and mover is None,
                   temp.is_temp_schema(table.schema),
                   returning[0] if returning else None)  # fmt: skip


def _each_member(
    session: SessionApi,
    tree: exp.Expr,
    ctx: Context,
    table: TableDef,
    plan_one: Callable[..., _Phases],
) -> DmlPlan:
    """UPDATE / DELETE of ``table`` and of every table inheriting from it: the statement
    planned for each as ``ONLY`` that table under the parent's name; every member's rows are
    read, then written, in the statement's transaction, the counts and RETURNING rows added
    up."""
    catalog = session.catalog()
    alias = tree.this.alias or table.name
    plans = []
    for member in [table, *catalog.descendants(table)]:
        if member.partkey is not None:
            continue  # a partitioned table holds no rows
        one = tree.copy()
        ret = one.args.get("returning")
        if ret is not None:  # RETURNING * is the parent's columns
            ret.set("expressions", [e2 for e in ret.expressions for e2 in (
                [exp.column(c.name, quoted=True) for c in table.live_columns]
                if isinstance(e, exp.Star) else [e])])  # fmt: skip
        target = exp.Table(
            this=exp.to_identifier(member.name, quoted=True),
            db=exp.to_identifier(member.schema, quoted=True),
            only=True,
            alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)),
        )
        one.set("this", target)
        plans.append(plan_one(session, one, ctx, table))
    verb = "UPDATE" if isinstance(tree, exp.Update) else "DELETE"

    def run() -> Result:
        fetched = [plan.fetch() for plan in plans]
        count = 0
        columns = None
        rows: list[Row] = []
        for plan, targets in zip(plans, fetched, strict=True):
            got = plan.apply(targets)
            count += int(got.tag.rsplit(" ", 1)[1])  # rows a BEFORE trigger skipped not counted
            if got.columns is not None:
                columns = got.columns
                rows += got.rows or []
        if columns is not None:
            return Result(f"{verb} {count}", columns, rows)
        return Result(f"{verb} {count}")

    columns = plans[0].columns if plans else None
    return DmlPlan(run, False, temp.is_temp_schema(table.schema), columns)


def delete(session: SessionApi, tree: exp.Delete, ctx: Context) -> Result:
    return plan_delete(session, tree, ctx).run()


def plan_delete(
    session: SessionApi, tree: exp.Delete, ctx: Context, ctes: list[CteFrame] | None = None
) -> DmlPlan:
    ruled = rules.rewrite(session, tree, ctx, ctes, _plan_any, _view_returning)
    if ruled is not None:
        return DmlPlan(ruled.run, False, columns=ruled.columns)
    on_view = view_dml.instead_of(session, tree, ctx, _view_returning)
    if on_view is not None:
        return DmlPlan(on_view, False)
    through = view_update.rewrite(session, tree)
    if through is not None:
        return _plan_any(session, through, ctx, ctes)
    table = _table_of(session, tree.this)
    privileges.require(session, table, "d")
    if _reads_columns(tree.args.get("where"), tree.args.get("returning")):
        privileges.require(session, table, "r", [])
    if not tree.this.args.get("only") and session.catalog().children(table):
        return _each_member(session, tree, ctx, table, partial(_plan_delete, ctes=ctes))
    return _plan_delete(session, tree, ctx, table, ctes).plan()


def _plan_delete(
    session: SessionApi,
    tree: exp.Delete,
    ctx: Context,
    root: TableDef,
    ctes: list[CteFrame] | None = None,
) -> _Phases:
    table = _table_of(session, tree.this)
    alias = tree.this.alias or None
    planner = statement_planner(session, tree, ctx, ctes)
    node, scope, width = _targets(planner, tree, table, alias, root)
    base = TableWriter(session, table, ctx)
    if tree.meta.get(view_update.CHECKS):
        base.set_view_checks(tree.meta[view_update.CHECKS])
    returning = _returning(planner, table, tree, scope)

    def fetch() -> list[tuple[Row, Row]]:
        return list(_targets_once(session, node, width, base, set()))

    def apply(targets: list[tuple[Row, Row]]) -> Result:
        writer = base.fresh()
        out_rows = []
        fire = Firing.of(session, table, "delete", ctx)
        if fire is not None:
            fire.statement("before")
        count = 0
        for old, joined in targets:
            if fire is not None and fire.before_row(old, None) is None:
                continue
            count += 1
            writer.delete(old)
            if fire is not None:
                fire.after_row(old, None)
            if returning:
                out_rows.append(tuple(f(joined) for f in returning[1]))
        writer.finish()
        if fire is not None:
            fire.finish()
        if returning:
            return Result(f"DELETE {count}", returning[0], out_rows)
        return Result(f"DELETE {count}")

    return _Phases(fetch, apply, _point(tree, node, base), temp.is_temp_schema(table.schema),
                   returning[0] if returning else None)  # fmt: skip


def _plan_any(
    session: SessionApi, tree: exp.Expr, ctx: Context, ctes: list[CteFrame] | None = None
) -> DmlPlan:
    """plan_insert, plan_update or plan_delete, as ``tree`` is."""
    return (
        plan_insert
        if isinstance(tree, exp.Insert)
        else plan_update
        if isinstance(tree, exp.Update)
        else plan_delete
    )(session, tree, ctx, ctes)  # type: ignore[arg-type]


def _writing_cte(
    session: SessionApi, tree: exp.Expr, ctx: Context, ctes: list[CteFrame]
) -> tuple[list[tuple[str, T.SqlType]], Callable[[], list[Row]]]:
    """An INSERT / UPDATE / DELETE in WITH (sql.plan.binder.WritingCte)."""
    plan = (
        plan_insert
        if isinstance(tree, exp.Insert)
        else plan_update
        if isinstance(tree, exp.Update)
        else plan_delete
    )(session, tree, ctx, ctes)  # type: ignore[arg-type]

    def run() -> list[Row]:
        return list(plan.run().rows or [])

    return plan.columns or [], run


register_writing_cte(_writing_cte)


__all__ = [
    "ROWID",
    "DmlPlan",
    "delete",
    "insert",
    "plan_delete",
    "plan_insert",
    "plan_update",
    "update",
]
