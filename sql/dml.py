"""INSERT, UPDATE and DELETE: rows and their index entries written through the transaction.

Constraints are checked as rows are written: NOT NULL and CHECK on the new row, PRIMARY KEY
and UNIQUE through insert-if-absent KV mutations (so a concurrent duplicate fails at commit
too), FOREIGN KEY by looking the parent up in the same snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from kv.errors import AlreadyExists
from sql import types as T
from sql.catalog import ConstraintDef, TableDef
from sql.errors import (
    CheckViolation,
    FeatureNotSupported,
    ForeignKeyViolation,
    GeneratedAlways,
    InvalidColumnReference,
    NotNullViolation,
    SyntaxError_,
    UniqueViolation,
)
from sql.expr import Compiler, Context, Scope, ScopeColumn, Typed, coerce_to
from sql.planner import Planner, table_scope
from sql.rows import ROWID, RowCodec

if TYPE_CHECKING:
    from sql.session import Result, Session

Row = tuple[Any, ...]


class TableWriter:
    """Writes rows of one table, keeping indexes and constraints."""

    def __init__(self, session: Session, table: TableDef, ctx: Context) -> None:
        self.session = session
        self.table = table
        self.codec = RowCodec(session.db, table)
        self.txn = session.current_txn()
        self.ctx = ctx
        self.catalog = session.catalog()
        scope = table_scope(table, None)
        comp = Compiler(scope, ctx)
        self.checks: list[tuple[ConstraintDef, Typed]] = [
            (c, comp._bool(sqlglot.parse_one(c.check or "true", read="postgres")))
            for c in table.constraints
            if c.kind == "c"
        ]
        self.fks = [c for c in table.constraints if c.kind == "f"]
        self.live = table.live_columns

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
        for fk in self.fks:
            self._check_parent(fk, row)

    def _check_parent(self, fk: ConstraintDef, row: Row) -> None:
        values = [row[self.codec.by_name[c]] for c in fk.columns]
        if any(v is None for v in values):
            return
        schema, _, name = (fk.ref_table or "").partition(".")
        parent = self.catalog.table(name, schema, [])
        pcodec = RowCodec(self.session.db, parent)
        if fk.ref_columns == parent.primary_key:
            found = self.txn.get(pcodec.key_for_pk(tuple(values))) is not None
        else:
            found = _lookup_unique(self.txn, pcodec, fk.ref_columns, values) is not None
        if not found:
            cols = ", ".join(fk.columns)
            vals = ", ".join(str(v) for v in values)
            raise ForeignKeyViolation(
                f'insert or update on table "{self.table.name}" violates foreign key constraint '
                f'"{fk.name}"',
                detail=f'Key ({cols})=({vals}) is not present in table "{parent.name}".',
            )

    def _unique_error(self, index_name: str, cols: list[str], row: Row) -> UniqueViolation:
        vals = ", ".join(
            T.format_value(row[self.codec.by_name[c]], self.table.column(c).type) or "null"
            for c in cols
        )
        return UniqueViolation(
            f'duplicate key value violates unique constraint "{index_name}"',
            detail=f"Key ({', '.join(cols)})=({vals}) already exists.",
        )

    def conflicts(self, row: Row) -> Row | None:
        """The existing row that ``row`` would collide with on a PK or unique index."""
        if self.table.primary_key:
            raw = self.txn.get(self.codec.key(row))
            if raw is not None:
                return self.codec.decode_value(raw)
        for index in self.table.indexes:
            if index.unique and not index.primary:
                key, _, unique = self.codec.index_entry(index, row)
                if unique:
                    pk = self.txn.get(key)
                    if pk is not None:
                        raw = self.txn.get(self.codec.prefix + pk)
                        if raw is not None:
                            return self.codec.decode_value(raw)
        return None

    def insert(self, row: Row) -> None:
        self.check(row)
        table = self.table
        try:
            self.txn.insert(self.codec.key(row), self.codec.encode_value(row))
        except AlreadyExists:
            pk = next(i for i in table.indexes if i.primary)
            raise self._unique_error(pk.name, table.primary_key, row) from None
        self._add_index_entries(row)

    def _add_index_entries(self, row: Row) -> None:
        for index in self.table.indexes:
            if index.primary:
                continue
            key, value, unique = self.codec.index_entry(index, row)
            if unique:
                try:
                    self.txn.insert(key, value)
                except AlreadyExists:
                    raise self._unique_error(index.name, index.columns, row) from None
            else:
                self.txn.put(key, value)

    def _remove_index_entries(self, row: Row) -> None:
        for index in self.table.indexes:
            if not index.primary:
                self.txn.delete(self.codec.index_entry(index, row)[0])

    def delete(self, row: Row) -> None:
        self._check_children(row)
        self.txn.delete(self.codec.key(row))
        self._remove_index_entries(row)

    def update(self, old: Row, new: Row) -> None:
        self.check(new)
        old_key, new_key = self.codec.key(old), self.codec.key(new)
        if old_key != new_key:
            self._check_children(old)
            self.txn.delete(old_key)
            try:
                self.txn.insert(new_key, self.codec.encode_value(new))
            except AlreadyExists:
                pk = next(i for i in self.table.indexes if i.primary)
                raise self._unique_error(pk.name, self.table.primary_key, new) from None
        else:
            self.txn.put(new_key, self.codec.encode_value(new))
        for index in self.table.indexes:
            if index.primary:
                continue
            ok, _, _ = self.codec.index_entry(index, old)
            nk, nv, unique = self.codec.index_entry(index, new)
            if ok == nk and old_key == new_key:
                continue
            self.txn.delete(ok)
            if unique:
                try:
                    self.txn.insert(nk, nv)
                except AlreadyExists:
                    raise self._unique_error(index.name, index.columns, new) from None
            else:
                self.txn.put(nk, nv)

    def _check_children(self, row: Row) -> None:
        """Rows of other tables referencing this one: refuse, cascade, or set NULL."""
        for child in self.catalog.all_tables():
            for fk in child.constraints:
                if fk.kind != "f" or fk.ref_table != f"{self.table.schema}.{self.table.name}":
                    continue
                values = [row[self.codec.by_name[c]] for c in fk.ref_columns]
                if any(v is None for v in values):
                    continue
                writer = TableWriter(self.session, child, self.ctx)
                hits = _rows_matching(writer, fk.columns, values)
                if not hits:
                    continue
                if fk.on_delete == "CASCADE":
                    for hit in hits:
                        writer.delete(hit)
                elif fk.on_delete == "SET NULL":
                    for hit in hits:
                        new = list(hit)
                        for c in fk.columns:
                            new[writer.codec.by_name[c]] = None
                        writer.update(hit, tuple(new))
                else:
                    cols = ", ".join(fk.ref_columns)
                    vals = ", ".join(str(v) for v in values)
                    raise ForeignKeyViolation(
                        f'update or delete on table "{self.table.name}" violates foreign key '
                        f'constraint "{fk.name}" on table "{child.name}"',
                        detail=f"Key ({cols})=({vals}) is still referenced from table "
                        f'"{child.name}".',
                    )


def _lookup_unique(txn: Any, codec: RowCodec, cols: list[str], values: list[Any]) -> Row | None:
    for index in codec.table.indexes:
        if index.unique and index.columns == cols:
            stored = [
                T.to_storage(v, codec.types[codec.by_name[c]])
                for v, c in zip(values, cols, strict=True)
            ]
            pk = txn.get(codec.index_bounds(index, stored))
            if pk is None:
                return None
            raw = txn.get(codec.prefix + pk)
            return codec.decode_value(raw) if raw is not None else None
    return None


def _rows_matching(writer: TableWriter, cols: list[str], values: list[Any]) -> list[Row]:
    codec = writer.codec
    idx = [codec.by_name[c] for c in cols]
    out = []
    from sql.layout import prefix_end

    for _, raw in writer.txn.iter_scan(codec.prefix, prefix_end(codec.prefix)):
        row = codec.decode_value(raw)
        if all(row[i] == v for i, v in zip(idx, values, strict=True)):
            out.append(row)
    return out


# -- statements ---------------------------------------------------------------------------------


def _table_of(session: Session, t: exp.Expr) -> TableDef:
    if isinstance(t, exp.Schema):
        t = t.this
    assert isinstance(t, exp.Table)
    return session.catalog().table(t.name, t.db or None, session.search_path())


def default_value(session: Session, table: TableDef, col_name: str, ctx: Context) -> Typed:
    col = table.column(col_name)
    if col.default is None:
        return Typed(lambda _r: None, col.type, True)
    planner = Planner(session, session.catalog(), ctx)
    e = sqlglot.parse_one(col.default, read="postgres")
    return coerce_to(planner.compiler(Scope([])).compile(e), col.type)


def _returning(
    session: Session, table: TableDef, tree: exp.Expr, ctx: Context, alias: str | None
) -> tuple[list[tuple[str, T.SqlType]], list[Any]] | None:
    ret = tree.args.get("returning")
    if ret is None:
        return None
    planner = Planner(session, session.catalog(), ctx)
    scope = table_scope(table, alias)
    exprs = planner._expand_stars(ret.expressions, scope)
    comp = planner.compiler(scope)
    from sql.expr import expr_name

    typed = [comp.compile(e) for e in exprs]
    cols = [
        (
            expr_name(e) if not isinstance(e, exp.Column) else e.name,
            t.type if t.type.name != "unknown" else T.TEXT,
        )
        for e, t in zip(exprs, typed, strict=True)
    ]
    return cols, [t.fn for t in typed]


def insert(session: Session, tree: exp.Insert, ctx: Context) -> Result:
    from sql.session import Result

    target = tree.this
    names = [i.name for i in target.expressions] if isinstance(target, exp.Schema) else None
    table = _table_of(session, target)
    if table.kind != "table":
        raise FeatureNotSupported(f'cannot insert into "{table.name}"')
    live = table.live_columns
    names = names or [c.name for c in live]
    for n in names:
        table.column(n)
    if len(set(names)) != len(names):
        raise SyntaxError_("column specified more than once")
    positions = {c.name: i for i, c in enumerate(live)}
    overriding = "OVERRIDING SYSTEM VALUE" in tree.sql(dialect="postgres").upper()
    planner = Planner(session, session.catalog(), ctx)
    source = tree.expression
    writer = TableWriter(session, table, ctx)
    defaults = {c.name: default_value(session, table, c.name, ctx) for c in live if True}
    types = [table.column(n).type for n in names]
    rows_in: list[list[Any]] = []
    if isinstance(source, exp.Values):
        comp = planner.compiler(Scope([]))
        for tup in source.expressions:
            items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
            if len(items) > len(names):
                raise SyntaxError_("INSERT has more expressions than target columns")
            values = []
            for n, item, t in zip(names, items, types, strict=False):
                if (isinstance(item, exp.Var) and item.name.upper() == "DEFAULT") or (
                    isinstance(item, exp.Column)
                    and item.name.upper() == "DEFAULT"
                    and not item.table
                ):
                    values.append(_DEFAULT)
                    continue
                col = table.column(n)
                if col.identity == "always" and not overriding:
                    raise GeneratedAlways(
                        f'cannot insert a non-DEFAULT value into column "{n}"',
                        detail=f'Column "{n}" is an identity column defined as GENERATED ALWAYS.',
                    )
                values.append(coerce_to(comp.compile(item), t).fn(()))
            values += [_DEFAULT] * (len(names) - len(values))
            rows_in.append(values)
    elif source is not None:
        plan = planner.plan_query(source)
        if len(plan.columns) != len(names):
            raise SyntaxError_(
                "INSERT has more expressions than target columns"
                if len(plan.columns) > len(names)
                else "INSERT has more target columns than expressions"
            )
        from sql.expr import cast_value

        for got in plan.run():
            rows_in.append(
                [
                    cast_value(v, c.type, t, explicit=False)
                    for v, c, t in zip(got, plan.columns, types, strict=True)
                ]
            )
    else:  # DEFAULT VALUES
        rows_in.append([_DEFAULT] * len(names))
    conflict = tree.args.get("conflict")
    returning = _returning(session, table, tree, ctx, None)
    out_rows = []
    count = 0
    for values in rows_in:
        full: list[Any] = [_DEFAULT] * len(live)
        for n, v in zip(names, values, strict=True):
            full[positions[n]] = v
        for i, c in enumerate(live):
            if full[i] is _DEFAULT:
                full[i] = defaults[c.name].fn(())
        row: tuple[Any, ...] = tuple(full)
        if not table.primary_key:
            row = (*row, session.database.sequences.nextval(_rowid_seq(session, table)))
        if conflict is not None:
            existing = writer.conflicts(row)
            if existing is not None:
                if (
                    conflict.args.get("action")
                    and "NOTHING" in str(conflict.args.get("action")).upper()
                ) or conflict.args.get("nothing"):
                    continue
                updated = _on_conflict_update(session, table, writer, conflict, existing, row, ctx)
                if updated is None:
                    continue
                row = updated
                count += 1
                if returning:
                    out_rows.append(tuple(f(row) for f in returning[1]))
                continue
        writer.insert(row)
        count += 1
        if returning:
            out_rows.append(tuple(f(row) for f in returning[1]))
    if returning:
        return Result(f"INSERT 0 {count}", returning[0], out_rows)
    return Result(f"INSERT 0 {count}")


def _hint_param(ctx: Context, e: exp.Expr, t: T.SqlType) -> None:
    """A bare $n assigned to a column takes the column's type (INSERT VALUES, UPDATE SET)."""
    if isinstance(e, exp.Parameter) and str(e.name).isdigit():
        n = int(e.name)
        while len(ctx.param_types) < n:
            ctx.param_types.append(None)
        if ctx.param_types[n - 1] is None:
            ctx.param_types[n - 1] = t


def describe_dml(
    session: Session, tree: exp.Expr, ctx: Context
) -> list[tuple[str, T.SqlType]] | None:
    """Parameter types and RETURNING columns of a DML statement, without running it."""
    table = _table_of(session, tree.this)
    planner = Planner(session, session.catalog(), ctx)
    if isinstance(tree, exp.Insert):
        target = tree.this
        names = (
            [i.name for i in target.expressions]
            if isinstance(target, exp.Schema)
            else [c.name for c in table.live_columns]
        )
        source = tree.expression
        if isinstance(source, exp.Values):
            for tup in source.expressions:
                items = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
                for n, item in zip(names, items, strict=False):
                    _hint_param(ctx, item, table.column(n).type)
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
        scope = _base_scope(planner, table, tree, alias)
        comp = planner.compiler(scope)
        for s in tree.expressions if isinstance(tree, exp.Update) else []:
            if isinstance(s, exp.EQ):
                _hint_param(ctx, s.expression, table.column(s.this.name).type)
                if not (
                    isinstance(s.expression, exp.Column) and s.expression.name.upper() == "DEFAULT"
                ):
                    comp.compile(s.expression)
        where = tree.args.get("where")
        if where is not None:
            comp._bool(where.this)
    returning = _returning(session, table, tree, ctx, tree.this.alias or None)
    return returning[0] if returning else None


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


_DEFAULT: Any = _Default()


def _rowid_seq(session: Session, table: TableDef) -> TableDef:
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
    session: Session,
    table: TableDef,
    writer: TableWriter,
    conflict: exp.Expr,
    existing: Row,
    proposed: Row,
    ctx: Context,
) -> Row | None:
    sets = conflict.args.get("expressions") or []
    scope = table_scope(table, None)
    excl = [ScopeColumn("excluded", c.name, c.type) for c in scope.columns]
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
    for s in sets:
        col = s.this.name
        c = table.column(col)
        new[writer.codec.by_name[col]] = coerce_to(comp.compile(s.expression), c.type).fn(combined)
    row = tuple(new)
    writer.update(existing, row)
    return row


def _matching_rows(
    session: Session, tree: exp.Expr, table: TableDef, ctx: Context, alias: str | None
) -> tuple[list[Row], Scope, Planner]:
    """The target rows (joined with FROM/USING rows for UPDATE ... FROM), materialised."""
    select = exp.Select(expressions=[exp.Star()])
    target = tree.this
    select.set("from_", exp.From(this=target.copy()))
    extra = tree.args.get("from_") or tree.args.get("from") or tree.args.get("using")
    if extra:
        items = (
            [extra.this]
            if isinstance(extra, exp.From)
            else list(
                extra.expressions
                if hasattr(extra, "expressions") and extra.expressions
                else [extra]
            )
        )
        select.set("joins", [exp.Join(this=i.copy(), kind="CROSS") for i in items])
    where = tree.args.get("where")
    if where is not None:
        select.set("where", where.copy())
    planner = Planner(session, session.catalog(), ctx)
    plan = planner.plan_query(select)
    scope = Scope(list(plan.node.scope.columns))
    rows = list(plan.node.rows(_exec(session)))
    return rows, scope, planner


def _exec(session: Session) -> Any:
    from sql.planner import Exec

    return Exec(session.current_txn())


def _base_scope(planner: Planner, table: TableDef, tree: exp.Expr, alias: str | None) -> Scope:
    """The scope of the joined rows (target first, then FROM items) before projection."""
    select = exp.Select(expressions=[exp.Star()])
    select.set("from_", exp.From(this=tree.this.copy()))
    extra = tree.args.get("from_") or tree.args.get("from") or tree.args.get("using")
    node = planner._from_item(tree.this, None)
    if extra:
        items = [extra.this] if isinstance(extra, exp.From) else [extra]
        for i in items:
            node = planner._join(node, exp.Join(this=i.copy(), kind="CROSS"), None)
    return node.scope


def update(session: Session, tree: exp.Update, ctx: Context) -> Result:
    from sql.session import Result

    table = _table_of(session, tree.this)
    alias = tree.this.alias or None
    planner = Planner(session, session.catalog(), ctx)
    scope = _base_scope(planner, table, tree, alias)
    writer = TableWriter(session, table, ctx)
    width = len(table_scope(table, alias).columns)
    comp = planner.compiler(scope)
    assigns = []
    for s in tree.expressions:
        if not isinstance(s, exp.EQ):
            raise SyntaxError_("invalid SET clause")
        target = s.this
        name = target.name
        col = table.column(name)
        if col.identity == "always":
            from sql.errors import GeneratedAlways as GA

            value_e = s.expression
            if not (isinstance(value_e, exp.Column) and value_e.name.upper() == "DEFAULT"):
                raise GA(f'column "{name}" can only be updated to DEFAULT')
        value_e = s.expression
        if (
            isinstance(value_e, exp.Column)
            and value_e.name.upper() == "DEFAULT"
            and not value_e.table
        ):
            typed = default_value(session, table, name, ctx)
        else:
            typed = coerce_to(comp.compile(value_e), col.type)
        assigns.append((writer.codec.by_name[name], typed))
    if len({a[0] for a in assigns}) != len(assigns):
        raise InvalidColumnReference("multiple assignments to same column")
    rows, _, _ = _matching_rows(session, tree, table, ctx, alias)
    returning = _returning(session, table, tree, ctx, alias)
    out_rows = []
    done: set[bytes] = set()
    for joined in rows:
        old = joined[:width]
        key = writer.codec.key(old)
        if key in done:
            continue  # UPDATE ... FROM: a row matched twice is updated once, as in PostgreSQL
        done.add(key)
        new = list(old)
        for idx, typed in assigns:
            new[idx] = typed.fn(joined)
        writer.update(old, tuple(new))
        if returning:
            out_rows.append(tuple(f(tuple(new)) for f in returning[1]))
    if returning:
        return Result(f"UPDATE {len(done)}", returning[0], out_rows)
    return Result(f"UPDATE {len(done)}")


def delete(session: Session, tree: exp.Delete, ctx: Context) -> Result:
    from sql.session import Result

    table = _table_of(session, tree.this)
    alias = tree.this.alias or None
    writer = TableWriter(session, table, ctx)
    width = len(table_scope(table, alias).columns)
    rows, _, _ = _matching_rows(session, tree, table, ctx, alias)
    returning = _returning(session, table, tree, ctx, alias)
    out_rows = []
    done: set[bytes] = set()
    for joined in rows:
        old = joined[:width]
        key = writer.codec.key(old)
        if key in done:
            continue
        done.add(key)
        writer.delete(old)
        if returning:
            out_rows.append(tuple(f(old) for f in returning[1]))
    if returning:
        return Result(f"DELETE {len(done)}", returning[0], out_rows)
    return Result(f"DELETE {len(done)}")


__all__ = ["ROWID", "delete", "insert", "update"]
