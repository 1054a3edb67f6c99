"""DDL: CREATE/DROP/ALTER of tables, indexes, schemas and sequences, inside the transaction.

A new or changed definition is written to the catalog in the caller's transaction, so DDL
commits or rolls back with it. Index creation backfills from the table's rows in the same
transaction; dropping a table deletes its rows and index entries.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import sqlglot
from sqlglot import exp

from kv import dropped
from sql import comments, index_exprs, relations, table_alter, temp, views
from sql import types as T
from sql.casts import coerce_to
from sql.catalog import (
    SYSTEM_SCHEMAS,
    Catalog,
    ColumnDef,
    ConstraintDef,
    IndexDef,
    TableDef,
)
from sql.errors import (
    ActiveSqlTransaction,
    DependentObjectsStillExist,
    DuplicateColumn,
    DuplicateObject,
    DuplicateTable,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidSchemaName,
    InvalidTableDefinition,
    NotNullViolation,
    SyntaxError_,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
    UniqueViolation,
    WrongObjectType,
)
from sql.expr import Compiler, datatype_to_sql
from sql.index_options import check_opclass
from sql.layout import index_prefix, prefix_end, table_indexes_prefix, table_prefix
from sql.pg_dialect import DIALECT
from sql.plan.binder import Planner, table_scope
from sql.result import Result
from sql.rows import RowCodec
from sql.scope import Context, Scope
from sql.sequences import seq_options
from sql.session_api import SessionApi
from sql.table_data import BATCH, backfill, delete_range, type_fields, validate_constraints


def _catalog(session: SessionApi) -> Catalog:
    """A private copy of the catalog: DDL edits table definitions before writing them back,
    and must never touch the cached copy other statements and sessions share."""
    return copy.deepcopy(session.catalog())


def run(session: SessionApi, tree: exp.Expr, ctx: Context) -> Result:
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "TABLE":
            return create_table(session, tree, ctx)
        if kind == "INDEX":
            return create_index(session, tree)
        if kind == "SCHEMA":
            return create_schema(session, tree)
        if kind == "SEQUENCE":
            return create_sequence(session, tree)
        raise FeatureNotSupported(f"CREATE {kind} is not supported")
    if isinstance(tree, exp.Drop):
        # DROP of relations and schemas went through run_named; sqlglot may read any other
        # DROP as one of these (DROP DATABASE foo as DROP TABLE foo), so nothing else runs.
        kind = (tree.args.get("kind") or "").upper()
        raise FeatureNotSupported(f"DROP {kind} is not supported")
    if isinstance(tree, exp.TruncateTable):
        return truncate(session, tree)
    if isinstance(tree, exp.Alter) and (tree.args.get("kind") or "TABLE").upper() == "TABLE":
        return alter_table(session, tree, ctx)
    raise FeatureNotSupported(f"{type(tree).__name__.upper()} is not supported")


def truncate(session: SessionApi, tree: exp.TruncateTable) -> Result:
    """TRUNCATE: every named table must be a table; tables whose foreign keys reference one
    go too with CASCADE, and otherwise refuse it, as in PostgreSQL. RESTART IDENTITY restarts
    the sequences the truncated tables' columns own (serial and identity columns); as
    sequence values are in db9 (sql.sequences), the restart is not undone by a rollback."""
    restart = str(tree.args.get("identity") or "").upper() == "RESTART"
    catalog = _catalog(session)
    tables = [
        relations.for_use(catalog, "TABLE", relations.Name(t.db or None, t.name),
                          session.search_path()).table
        for t in tree.expressions
    ]  # fmt: skip
    cascade = str(tree.args.get("option") or "").upper() == "CASCADE"
    chosen = {f"{t.schema}.{t.name}": t for t in tables}
    grew = True
    while grew:
        grew = False
        for child in catalog.all_tables():
            key = f"{child.schema}.{child.name}"
            refs = [c for c in child.constraints if c.kind == "f" and c.ref_table in chosen]
            if not refs or key in chosen:
                continue
            if not cascade:
                parent = chosen[refs[0].ref_table or ""]
                raise FeatureNotSupported(
                    "cannot truncate a table referenced in a foreign key constraint",
                    detail=f'Table "{child.name}" references "{parent.name}".',
                    hint=f'Truncate table "{child.name}" at the same time, or use TRUNCATE ...'
                    " CASCADE.",
                )
            session.notices.append(f'truncate cascades to table "{child.name}"')
            chosen[key] = child
            grew = True
    for table in chosen.values():
        _delete_data(session, table)
    if restart:
        for table in chosen.values():
            for col in table.columns:
                seq = catalog.find(col.sequence, table.schema, []) if col.sequence else None
                if seq is not None:
                    start = seq.seq.get("start", 1)
                    session.database.sequences.setval(seq, start, is_called=False)
    return Result("TRUNCATE TABLE")


def _schema_of(session: SessionApi, t: exp.Table, persistence: str | None = None) -> str:
    """The schema a relation named ``t`` is created in; a temporary one's (``persistence``
    not None) is made now if need be."""
    if persistence is not None:
        schema = temp.schema_for(session, t)
        temp.ensure_schema(session, _catalog(session))
        return schema
    if temp.is_temp_schema(t.db):
        return _schema_of(session, t, temp.ON_COMMIT_PRESERVE)
    if t.db:
        return t.db
    catalog = _catalog(session)
    for s in session.search_path():
        if s in catalog.schemas and s not in SYSTEM_SCHEMAS and not temp.is_temp_schema(s):
            return s
    raise InvalidSchemaName("no schema has been selected to create in")


def _column_def(
    session: SessionApi, table: TableDef, cd: exp.ColumnDef, attnum: int, seqs: list[TableDef]
) -> ColumnDef:
    kind = cd.args.get("kind")
    if kind is None:
        raise SyntaxError_(f'column "{cd.name}" has no type')
    type_sql = kind.sql(dialect="postgres").lower()
    serial = next(
        (s for s in ("bigserial", "smallserial", "serial") if type_sql.startswith(s)), None
    )
    name, modifiers, array = type_fields(datatype_to_sql(kind))
    col = ColumnDef(cd.name, name, attnum, modifiers, array=array)
    identity_options: dict[str, int] = {}  # GENERATED ... AS IDENTITY (sequence options)
    for c in cd.constraints:
        k = c.kind
        named = c.name or None  # CONSTRAINT name before the column constraint
        if isinstance(k, exp.NotNullColumnConstraint):
            col.not_null = not k.args.get("allow_null")
        elif isinstance(k, exp.DefaultColumnConstraint):
            col.default = table_alter.check_default(session, col, k.this, Context())
        elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
            col.identity = "always" if k.this else "by default"
            col.not_null = True
            serial = serial or "identity"
            for option, key in (("start", "start"), ("increment", "increment"),
                                ("minvalue", "min"), ("maxvalue", "max")):  # fmt: skip
                value = k.args.get(option)
                if value is not None:
                    identity_options[key] = int(value.sql(dialect="postgres"))
        elif isinstance(k, exp.PrimaryKeyColumnConstraint):
            table.primary_key = [cd.name]
            col.not_null = True
            if named:
                table.constraints.append(ConstraintDef(named, "p", [cd.name]))
        elif isinstance(k, exp.UniqueColumnConstraint):
            table.constraints.append(
                _deferrable(
                    ConstraintDef(named or f"{table.name}_{cd.name}_key", "u", [cd.name]), k
                )
            )
        elif isinstance(k, exp.CheckColumnConstraint):
            table.constraints.append(
                ConstraintDef(
                    named or f"{table.name}_{cd.name}_check",
                    "c",
                    [cd.name],
                    check=k.this.sql(dialect="postgres"),
                )
            )
        elif isinstance(k, exp.Reference):
            table.constraints.append(
                _fk(session, table, [cd.name], k, named or f"{table.name}_{cd.name}_fkey")
            )
    if serial:
        seq = TableDef(
            id=0,
            schema=table.schema,
            name=f"{table.name}_{cd.name}_seq",
            columns=[],
            kind="sequence",
            seq=seq_options(identity_options),
        )
        seqs.append(seq)
        col.sequence = seq.name
        qualified = seq.name if table.schema == "public" else f"{table.schema}.{seq.name}"
        col.default = f"nextval('{qualified}'::regclass)"
        col.not_null = True
    return col


def _fk(
    session: SessionApi, table: TableDef, cols: list[str], ref: exp.Reference, name: str
) -> ConstraintDef:
    target = ref.this
    ref_table_e = target.this if isinstance(target, exp.Schema) else target
    ref_cols = [i.name for i in target.expressions] if isinstance(target, exp.Schema) else []
    schema = ref_table_e.db or None
    if ref_table_e.name == table.name and (schema or table.schema) == table.schema:
        parent = table
    else:
        parent = session.catalog().table(ref_table_e.name, schema, session.search_path())
    ref_cols = ref_cols or list(parent.primary_key)
    if not ref_cols:
        raise InvalidTableDefinition(
            f'there is no primary key for referenced table "{parent.name}"'
        )
    on_delete = on_update = "NO ACTION"
    text = ref.sql(dialect="postgres").upper()
    if "DEFERRABLE" in text.replace("NOT DEFERRABLE", "") or "INITIALLY DEFERRED" in text:
        raise FeatureNotSupported("deferrable constraints are not supported")
    for action in ("CASCADE", "SET NULL", "RESTRICT", "SET DEFAULT"):
        if f"ON DELETE {action}" in text:
            on_delete = action
        if f"ON UPDATE {action}" in text:
            on_update = action
    return ConstraintDef(
        name,
        "f",
        cols,
        ref_table=f"{parent.schema}.{parent.name}",
        ref_columns=ref_cols,
        on_delete=on_delete,
        on_update=on_update,
    )


def create_table(session: SessionApi, tree: exp.Create, ctx: Context) -> Result:
    schema_e = tree.this
    if not isinstance(schema_e, exp.Schema):
        _refuse_properties(tree, "CREATE TABLE")  # PARTITION OF, AS EXECUTE, ...
        raise FeatureNotSupported("this form of CREATE TABLE is not supported")
    _refuse_properties(tree, "CREATE TABLE")
    persistence = temp.persistence_of(tree)
    t = schema_e.this
    store = session.database.catalogs
    txn = session.current_txn()
    schema = _schema_of(session, t, persistence)
    catalog = _catalog(session)
    if relations.lookup(catalog, relations.Name(schema, t.name), []) is not None:
        if tree.args.get("exists"):
            session.notices.append(f'relation "{t.name}" already exists, skipping')
            return Result("CREATE TABLE")
        raise DuplicateTable(f'relation "{t.name}" already exists')
    table = TableDef(id=store.next_id(txn), schema=schema, name=t.name, columns=[])
    seqs: list[TableDef] = []
    attnum = 0
    for item in schema_e.expressions:
        if isinstance(item, exp.ColumnDef):
            if table.has_column(item.name):
                raise DuplicateColumn(f'column "{item.name}" specified more than once')
            attnum += 1
            table.columns.append(_column_def(session, table, item, attnum, seqs))
        else:
            _table_constraint(session, table, item)
    if not table.columns and not schema_e.expressions:
        pass
    _finish_constraints(table)
    for seq in seqs:
        seq.id = store.next_id(txn)
        store.put_table(txn, seq, catalog, new=True)
    store.put_table(txn, table, catalog, new=True)
    if persistence is not None:
        temp.register(session, table, persistence)
    return Result("CREATE TABLE")


# PostgreSQL's table storage parameters (CREATE TABLE ... WITH): tuning db9 has no use for.
_STORAGE_PARAMETERS = {
    "fillfactor", "toast_tuple_target", "parallel_workers", "autovacuum_enabled",
    "vacuum_index_cleanup", "vacuum_truncate", "autovacuum_vacuum_threshold",
    "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_threshold",
    "autovacuum_vacuum_insert_scale_factor", "autovacuum_analyze_threshold",
    "autovacuum_analyze_scale_factor", "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit", "autovacuum_freeze_min_age", "autovacuum_freeze_max_age",
    "autovacuum_freeze_table_age", "autovacuum_multixact_freeze_min_age",
    "autovacuum_multixact_freeze_max_age", "autovacuum_multixact_freeze_table_age",
    "log_autovacuum_min_duration", "user_catalog_table",
}  # fmt: skip


def _refuse_properties(tree: exp.Create, what: str) -> None:
    """Refuse the clauses db9 would otherwise ignore (TEMP, PARTITION BY, INHERITS, ...).
    UNLOGGED and storage parameters (WITH (fillfactor = ...)) tune storage only and are
    accepted without effect; sequence options are read by the caller."""
    props = tree.args.get("properties")
    for p in props.expressions if props is not None else []:
        if type(p) is exp.Property and str(p.name).lower() in _STORAGE_PARAMETERS:
            continue
        if temp.is_temp_property(p):
            continue  # read by sql.temp.persistence_of
        if not isinstance(p, exp.UnloggedProperty | exp.SequenceProperties):
            raise FeatureNotSupported(f"{what} ... {p.sql(dialect='postgres')} is not supported")


def _table_constraint(session: SessionApi, table: TableDef, item: exp.Expr) -> None:
    name = None
    if isinstance(item, exp.Constraint):
        name = item.name
        inner = item.expressions[0]
    else:
        inner = item
    if name and any(c.name == name for c in table.constraints):
        raise DuplicateObject(f'constraint "{name}" for relation "{table.name}" already exists')
    if isinstance(inner, exp.PrimaryKey):
        if table.primary_key:
            raise InvalidTableDefinition(
                f'multiple primary keys for table "{table.name}" are not allowed'
            )
        table.primary_key = [i.name for i in inner.expressions]
        for c in table.primary_key:
            table.column(c).not_null = True
        if name:
            table.constraints.append(ConstraintDef(name, "p", table.primary_key))
    elif isinstance(inner, exp.UniqueColumnConstraint):
        cols = [i.name for i in inner.this.expressions] if inner.this is not None else []
        con = ConstraintDef(name or f"{table.name}_{'_'.join(cols)}_key", "u", cols)
        table.constraints.append(_deferrable(con, inner))
    elif isinstance(inner, exp.ForeignKey):
        cols = [i.name for i in inner.expressions]
        table.constraints.append(
            _fk(
                session,
                table,
                cols,
                inner.args["reference"],
                name or f"{table.name}_{'_'.join(cols)}_fkey",
            )
        )
    elif isinstance(inner, exp.CheckColumnConstraint | exp.Check):
        table.constraints.append(
            ConstraintDef(
                name or f"{table.name}_check", "c", check=inner.this.sql(dialect="postgres")
            )
        )
    else:
        raise FeatureNotSupported(f"constraint {item.sql(dialect='postgres')} is not supported")


def _deferrable(con: ConstraintDef, k: exp.Expr) -> ConstraintDef:
    """``con`` with the [NOT] DEFERRABLE / INITIALLY DEFERRED|IMMEDIATE of its clause ``k``
    (42601 for INITIALLY DEFERRED on a NOT DEFERRABLE constraint, as PostgreSQL says)."""
    options = [str(o).upper() for o in k.args.get("options") or []]
    con.nulls_not_distinct = bool(k.args.get("nulls"))
    con.deferrable = "DEFERRABLE" in options or "INITIALLY DEFERRED" in options
    con.deferred = "INITIALLY DEFERRED" in options
    if con.deferred and "NOT DEFERRABLE" in options:
        raise SyntaxError_("constraint declared INITIALLY DEFERRED must be DEFERRABLE")
    return con


def _finish_constraints(table: TableDef) -> None:
    """Give PRIMARY KEY and UNIQUE constraints their enforcing indexes; check columns exist."""
    for c in table.constraints:
        for col in c.columns:
            table.column(col)
    if table.primary_key:
        for col in table.primary_key:
            table.column(col)
        pk_con = next((c for c in table.constraints if c.kind == "p"), None)
        name = pk_con.name if pk_con else f"{table.name}_pkey"
        if pk_con is None:
            table.constraints.insert(
                0, ConstraintDef(name, "p", list(table.primary_key), index=name)
            )
        else:
            pk_con.index = name
        if not any(i.primary for i in table.indexes):
            table.indexes.insert(
                0,
                IndexDef(
                    _next_index_id(table), name, list(table.primary_key), unique=True, primary=True
                ),
            )
    for c in table.constraints:
        if c.kind == "u" and c.index is None:
            c.index = c.name
            table.indexes.append(
                IndexDef(
                    _next_index_id(table),
                    c.name,
                    list(c.columns),
                    unique=True,
                    nulls_not_distinct=c.nulls_not_distinct,
                )
            )


def _next_index_id(table: TableDef) -> int:
    """A new index id for ``table``, never one an earlier index had: a dropped index's entries
    are left for GC to destroy (``kv.dropped``) and must not be read as the new index's."""
    table.index_seq = max([table.index_seq, *(i.id for i in table.indexes)]) + 1
    return table.index_seq


def create_index(session: SessionApi, tree: exp.Create) -> Result:
    idx = tree.this
    if tree.args.get("exists") and not idx.name:
        raise SyntaxError_('syntax error at or near "ON"')  # IF NOT EXISTS needs a name
    if tree.args.get("concurrently") and session.in_block:
        raise ActiveSqlTransaction(
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction block"
        )
    t = idx.args["table"]
    target = relations.Name(t.db or None, t.name)
    rel = relations.lookup(_catalog(session), target, session.search_path())
    if rel is None:
        raise UndefinedTable(f'relation "{target}" does not exist')
    if rel.kind == "INDEX":
        raise WrongObjectType(f'"{t.name}" is an index')
    if rel.kind != "TABLE":
        raise WrongObjectType(
            f'cannot create index on relation "{t.name}"',
            detail=f"This operation is not supported for {rel.plural}.",
        )
    table = rel.table
    params = idx.args["params"]
    using = params.args.get("using")
    method = str(using.name).lower() if using is not None else "btree"
    if method not in ("btree", "hash"):
        raise FeatureNotSupported(f'access method "{using.name}" is not supported')
    for unsupported in ("with_storage", "partition_by"):
        if params.args.get(unsupported):
            raise FeatureNotSupported(f"CREATE INDEX ... {unsupported.upper()} is not supported")
    system = {"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"} - {
        c.name for c in table.live_columns
    }
    for node in params.find_all(exp.Column):
        if node.name in system:
            raise FeatureNotSupported("index creation on system columns is not supported")
    cols, desc, opclasses, exprs, names = [], [], [], [], []
    for o in idx.args["params"].args.get("columns") or []:
        e = o.this if isinstance(o, exp.Ordered) else o
        opclass = e.expression.name if isinstance(e, exp.Opclass) else None
        e = e.this if isinstance(e, exp.Opclass) else e
        e = e.this if isinstance(e, exp.Paren) else e
        if isinstance(e, exp.Column) and not e.table:
            key_type = table.column(e.name).type
            cols.append(e.name)
            exprs.append("")
            names.append(e.name)
        else:
            key_type = Compiler(table_scope(table, None), Context()).compile(e).type
            cols.append("")
            exprs.append(e.sql(dialect="postgres"))
            names.append(index_exprs.key_name(e))
        desc.append(bool(isinstance(o, exp.Ordered) and o.args.get("desc")))
        opclasses.append(check_opclass(opclass, key_type) if opclass else "")
    where = params.args.get("where")
    predicate = None
    if where is not None:
        cond = where.this if isinstance(where, exp.Where) else where
        Compiler(table_scope(table, None), Context())._bool(cond)
        predicate = cond.sql(dialect="postgres")
    if method == "hash":
        # A hash index answers equality only: db9 keeps it as a btree, which does too.
        if tree.args.get("unique"):
            raise FeatureNotSupported('access method "hash" does not support unique indexes')
        if len(cols) > 1:
            raise FeatureNotSupported('access method "hash" does not support multicolumn indexes')
    include = [i.name for i in params.args.get("include") or []]
    for c in include:
        table.column(c)
    catalog = _catalog(session)
    name = idx.name
    if not name:
        # As PostgreSQL's ChooseRelationName: the first of t_x_idx, t_x_idx1, ... not taken.
        base = f"{table.name}_{'_'.join([*names, *include])}_idx"
        name, n = base, 0
        while relations.lookup(catalog, relations.Name(table.schema, name), []) is not None:
            n += 1
            name = f"{base}{n}"
    if relations.lookup(catalog, relations.Name(table.schema, name), []) is not None:
        if tree.args.get("exists"):
            session.notices.append(f'relation "{name}" already exists, skipping')
            return Result("CREATE INDEX")
        raise DuplicateTable(f'relation "{name}" already exists')
    index = IndexDef(
        _next_index_id(table),
        name,
        cols,
        unique=bool(tree.args.get("unique")),
        descending=desc if any(desc) else [],
        opclasses=opclasses if any(opclasses) else [],
        include=include,
        method=method,
        exprs=exprs if any(exprs) else [],
        predicate=predicate,
        nulls_not_distinct=tree.meta.get("nulls_not_distinct", False)
        and bool(tree.args.get("unique")),  # PostgreSQL accepts it on any index
    )
    backfill(session, table, index)
    table.indexes.append(index)
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return Result("CREATE INDEX")


def _delete_data(session: SessionApi, table: TableDef) -> None:
    lo = table_prefix(session.db, table.id)
    delete_range(session, lo, prefix_end(lo))
    for index in table.indexes:
        ilo = index_prefix(session.db, table.id, index.id)
        delete_range(session, ilo, prefix_end(ilo))


# -- statements routed by their command name (see sql.commands), read from their tokens ------


def run_named(session: SessionApi, command: str, tokens: list[Any]) -> Result | None:
    """Run a statement sqlglot cannot be trusted to read (it parses DROP MATERIALIZED VIEW as
    DROP VIEW, DROP INDEX a, b not at all); None: resolved and checked, let sqlglot's tree run
    it (ALTER TABLE on a table)."""
    if command.startswith("DROP "):
        return _drop_named(session, command[5:], tokens)
    if command.startswith("ALTER "):
        return _alter_named(session, command[6:], tokens)
    if command == "SECURITY LABEL":
        # PostgreSQL answers this when no label provider is loaded; db9 has none.

        raise InvalidParameterValue("no security label providers have been loaded")
    _on_object(session, command, tokens)
    return Result(command)


def _drop_named(session: SessionApi, kind: str, tokens: list[Any]) -> Result:
    i = len(kind.split()) + 1
    concurrently = relations.words_at(tokens, i, "CONCURRENTLY")
    i += concurrently
    if_exists = relations.words_at(tokens, i, "IF", "EXISTS")
    i += 2 * if_exists
    names, i = relations.read_names(tokens, i)
    tail = [str(tok.text).upper() for tok in tokens[i:]]
    if tail not in ([], ["CASCADE"], ["RESTRICT"]) or (concurrently and kind != "INDEX"):
        raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
    cascade = tail == ["CASCADE"]
    if concurrently:
        if session.in_block:
            raise ActiveSqlTransaction(
                "DROP INDEX CONCURRENTLY cannot run inside a transaction block"
            )
        if len(names) > 1:
            raise FeatureNotSupported(
                "DROP INDEX CONCURRENTLY does not support dropping multiple objects"
            )
        if cascade:
            raise FeatureNotSupported("DROP INDEX CONCURRENTLY does not support CASCADE")
    if kind == "SCHEMA":
        return _drop_schemas(session, [n.name if n.schema is None else str(n) for n in names],
                             if_exists, cascade)  # fmt: skip
    catalog = _catalog(session)
    notices = relations.notices_or_raise(if_exists, session.notices)
    # Resolve every name before dropping any, as PostgreSQL does: one bad name drops nothing.
    found = [relations.for_drop(catalog, kind, n, session.search_path(), notices) for n in names]
    dropping = {r.table.id for r in found if r is not None and r.kind in ("TABLE", "VIEW")}
    for rel in found:
        if rel is None:
            continue
        if rel.kind in ("TABLE", "VIEW"):
            views.drop_dependents(session, catalog, rel.table, cascade, dropping, _drop_table)
        if rel.kind == "INDEX":
            assert rel.index is not None
            _drop_index(session, catalog, rel.table, rel.index)
        elif rel.kind == "TABLE":
            _drop_table_checked(session, catalog, rel.table, cascade, dropping)
        else:
            _drop_table(session, rel.table, catalog)
    return Result(f"DROP {kind}")


def _drop_index(session: SessionApi, catalog: Catalog, tb: TableDef, index: IndexDef) -> None:
    if index.primary or any(c.index == index.name for c in tb.constraints):
        raise DependentObjectsStillExist(
            f"cannot drop index {index.name} because constraint {index.name} on table "
            f"{tb.name} requires it"
        )
    dropped.schedule(session.current_txn(), index_prefix(session.db, tb.id, index.id))
    tb.indexes = [i for i in tb.indexes if i.name != index.name]
    session.database.catalogs.put_table(session.current_txn(), tb, catalog, new=False)


def _drop_table_checked(
    session: SessionApi, catalog: Catalog, table: TableDef, cascade: bool, dropping: set[int]
) -> None:
    """Drop ``table``; foreign keys of other tables referencing it block the drop unless
    CASCADE (which drops those constraints) or their table is dropped too."""
    store = session.database.catalogs
    txn = session.current_txn()
    key = f"{table.schema}.{table.name}"
    for child in catalog.all_tables():
        if child.id == table.id or child.id in dropping:
            continue
        refs = [c for c in child.constraints if c.kind == "f" and c.ref_table == key]
        if refs and not cascade:
            raise DependentObjectsStillExist(
                f"cannot drop table {table.name} because other objects depend on it",
                detail=f"constraint {refs[0].name} on table {child.name} depends on "
                f"table {table.name}",
            )
        if refs:
            child.constraints = [c for c in child.constraints if c not in refs]
            store.put_table(txn, child, catalog, new=False)
    _drop_table(session, table, catalog)


def _drop_schemas(session: SessionApi, names: list[str], if_exists: bool, cascade: bool) -> Result:
    store = session.database.catalogs
    txn = session.current_txn()
    catalog = _catalog(session)
    for name in names:
        if name not in catalog.schemas:
            if if_exists:
                session.notices.append(f'schema "{name}" does not exist, skipping')
                continue
            raise InvalidSchemaName(f'schema "{name}" does not exist')
        if name in SYSTEM_SCHEMAS:
            raise FeatureNotSupported(f"cannot drop schema {name}")
    for name in names:
        if name not in catalog.schemas:
            continue
        tables = [tb for tb in catalog.all_tables() if tb.schema == name]
        if tables and not cascade:
            raise DependentObjectsStillExist(
                f"cannot drop schema {name} because other objects depend on it"
            )
        in_schema = {tb.id for tb in tables}
        for tb in tables:
            if tb.kind == "table":
                # Foreign keys from other schemas lose their constraint, as CASCADE does.
                _drop_table_checked(session, catalog, tb, True, in_schema)
            else:
                _drop_table(session, tb, catalog)
        store.drop_schema(txn, name)
    return Result("DROP SCHEMA")


def _alter_named(session: SessionApi, kind: str, tokens: list[Any]) -> Result | None:
    i = len(kind.split()) + 1
    if_exists = relations.words_at(tokens, i, "IF", "EXISTS")
    i += 2 * if_exists
    i += relations.words_at(tokens, i, "ONLY")
    names, i = relations.read_names(tokens, i)
    if len(names) != 1:
        raise SyntaxError_('syntax error at or near ","')
    rename = relations.words_at(tokens, i, "RENAME", "TO") and len(tokens) == i + 3
    if kind == "INDEX" and relations.words_at(tokens, i, "SET", "SCHEMA"):
        raise SyntaxError_('syntax error at or near "SCHEMA"')  # not in ALTER INDEX's grammar
    catalog = _catalog(session)
    notices = relations.notices_or_raise(if_exists, session.notices)
    rel = relations.for_alter(catalog, kind, names[0], session.search_path(), notices,
                              rename=rename)  # fmt: skip
    if rel is None:
        return Result(f"ALTER {kind}")
    if rename:
        _rename_relation(session, catalog, rel, relations.ident(tokens[i + 2]))
        return Result(f"ALTER {kind}")
    if kind == "TABLE" and rel.kind != "TABLE":
        action = " ".join(str(t.text).upper() for t in tokens[i : i + 2])
        if action == "SET SCHEMA" and rel.kind == "INDEX":
            raise WrongObjectType(
                f'cannot change schema of index "{rel.name}"',
                hint="Change the schema of the table instead.",
            )
        if action in ("SET SCHEMA", "OWNER TO"):
            raise FeatureNotSupported(f"ALTER TABLE {action} is not supported")
        raise WrongObjectType(
            f'ALTER action {action} cannot be performed on relation "{rel.name}"',
            detail=f"This operation is not supported for {rel.plural}.",
        )
    if relations.words_at(tokens, i, "OWNER", "TO") and len(tokens) == i + 3:
        check_role(session, tokens[i + 2])
        return Result(f"ALTER {kind}")
    if kind == "TABLE" and relations.words_at(tokens, i, "RENAME", "CONSTRAINT"):
        if len(tokens) != i + 5 or not relations.words_at(tokens, i + 3, "TO"):
            raise SyntaxError_(
                f'syntax error at or near "{tokens[min(i + 3, len(tokens) - 1)].text}"'
            )
        old, new = relations.ident(tokens[i + 2]), relations.ident(tokens[i + 4])
        table_alter.rename_constraint(rel.table, old, new, catalog)
        session.database.catalogs.put_table(session.current_txn(), rel.table, catalog, new=False)
        return Result("ALTER TABLE")
    if kind == "SEQUENCE" and relations.words_at(tokens, i, "OWNED", "BY"):
        _owned_by(session, catalog, rel.table, tokens[i + 2 :])
        return Result("ALTER SEQUENCE")
    if kind == "TABLE":
        return None  # the table's own actions, read from sqlglot's tree
    raise FeatureNotSupported(f"ALTER {kind} {tokens[i].text.upper()} is not supported")


def check_role(session: SessionApi, tok: Any) -> None:
    """A role named in OWNER TO: db9's one role is the session user."""
    word = str(tok.text).upper()
    if word not in ("CURRENT_USER", "SESSION_USER", "CURRENT_ROLE") and (
        relations.ident(tok) != session.user
    ):
        raise UndefinedObject(f'role "{relations.ident(tok)}" does not exist')


def _owned_by(session: SessionApi, catalog: Catalog, seq: TableDef, tokens: list[Any]) -> None:
    """ALTER SEQUENCE ... OWNED BY table.column | NONE: the column's table then drops the
    sequence with it (``ColumnDef.sequence``)."""
    store, txn = session.database.catalogs, session.current_txn()
    owner: tuple[TableDef, ColumnDef] | None = None
    if not (len(tokens) == 1 and str(tokens[0].text).upper() == "NONE"):
        names, end = relations.read_names(tokens, 0)
        if len(names) != 1 or end != len(tokens) or names[0].schema is None:
            raise SyntaxError_(
                "invalid OWNED BY option", hint="Specify OWNED BY table.column or OWNED BY NONE."
            )
        column = names[0].name
        rel = relations.lookup(
            catalog, relations.Name(None, names[0].schema), session.search_path()
        )
        if rel is None:
            raise UndefinedTable(f'relation "{names[0].schema}" does not exist')
        if rel.kind != "TABLE":
            raise WrongObjectType(f'sequence cannot be owned by relation "{rel.name}"')
        if rel.table.schema != seq.schema:
            raise FeatureNotSupported(
                "a sequence owned by a table in another schema is not supported"
            )
        owner = (rel.table, rel.table.column(column))
    for other in catalog.all_tables():
        for col in other.columns:
            if (
                col.sequence == seq.name
                and other.schema == seq.schema
                and (owner is None or col is not owner[1])
            ):
                col.sequence = None
                store.put_table(txn, other, catalog, new=False)
    if owner is not None:
        owner[1].sequence = seq.name
        store.put_table(txn, owner[0], catalog, new=False)


def _rename_relation(
    session: SessionApi, catalog: Catalog, rel: relations.Relation, new: str
) -> None:
    store = session.database.catalogs
    txn = session.current_txn()
    table = rel.table
    if relations.lookup(catalog, relations.Name(table.schema, new), []) is not None:
        raise DuplicateTable(f'relation "{new}" already exists')
    if rel.index is not None:
        old = rel.index.name
        rel.index.name = new
        for con in table.constraints:
            if con.index == old:
                con.index = new
                con.name = new if con.name == old else con.name
        store.put_table(txn, table, catalog, new=False)
        return
    old_name = table.name
    store.rename_table(txn, table, old_name)
    table.name = new
    if table.kind == "sequence":
        # Columns name their sequence; serial defaults call it by name.
        for other in catalog.all_tables():
            changed = False
            for col in other.columns:
                if col.sequence == old_name and other.schema == table.schema:
                    col.sequence = new
                    if col.default is not None:
                        col.default = col.default.replace(f"'{old_name}'", f"'{new}'")
                        col.default = col.default.replace(f".{old_name}'", f".{new}'")
                    changed = True
            if changed:
                store.put_table(txn, other, catalog, new=False)
        store.put_table(txn, table, catalog, new=False)
        return
    _rename_table(session, catalog, table, old_name, new)
    store.put_table(txn, table, catalog, new=False)
    views.rename_references(session, catalog, table, old_name)


def _rename_table(
    session: SessionApi, catalog: Catalog, table: TableDef, old_name: str, new: str
) -> None:
    """Point foreign keys at the table's new name (the caller writes ``table`` itself)."""
    store = session.database.catalogs
    txn = session.current_txn()
    old_ref, new_ref = f"{table.schema}.{old_name}", f"{table.schema}.{new}"
    for other in catalog.all_tables():
        changed = False
        for con in other.constraints:
            if con.kind == "f" and con.ref_table == old_ref:
                con.ref_table = new_ref
                changed = True
        if changed and other.id != table.id:
            store.put_table(txn, other, catalog, new=False)
        elif changed:
            table.constraints = other.constraints


# COMMENT ON / GRANT / REVOKE name a relation kind after ON (or TABLE by default for GRANT).
_ON_KINDS = ("MATERIALIZED VIEW", "FOREIGN TABLE", "TABLE", "SEQUENCE", "INDEX", "VIEW")
# Object types GRANT and REVOKE name that db9 does not have.
_OTHER_OBJECTS = {
    "ALL", "DATABASE", "DOMAIN", "FOREIGN", "FUNCTION", "LANGUAGE", "LARGE", "PARAMETER",
    "PROCEDURE", "ROUTINE", "TABLESPACE", "TYPE",
}  # fmt: skip


def _on_object(session: SessionApi, command: str, tokens: list[Any]) -> None:
    """Check the objects a COMMENT, GRANT or REVOKE names, as PostgreSQL does before it records
    the comment or privilege (db9 records neither: see sql.commands.NO_OPS)."""
    upper = [str(t.text).upper() for t in tokens]
    catalog = _catalog(session)
    path = session.search_path()
    if "ON" not in upper:
        if command == "COMMENT":
            raise SyntaxError_(f'syntax error at or near "{tokens[-1].text}"')
        raise FeatureNotSupported(f"{command} of roles is not supported")
    i = upper.index("ON") + 1
    if command == "COMMENT":
        kind = next((k for k in (*_ON_KINDS, "COLUMN", "SCHEMA", "CONSTRAINT") if
            relations.words_at(tokens, i, *k.split())), None)  # fmt: skip
        if kind is None:
            raise FeatureNotSupported(f"COMMENT ON {upper[i]} is not supported")
        if kind != "CONSTRAINT":
            names, _ = relations.read_names(tokens, i + len(kind.split()))
            _check_objects(session, catalog, kind, names, path)
        comments.record(session, catalog, kind, tokens, i + len(kind.split()))
        return
    kind = next((k for k in _ON_KINDS if relations.words_at(tokens, i, *k.split())), None)
    if kind is None and upper[i] in _OTHER_OBJECTS:
        raise FeatureNotSupported(f"{command} ON {upper[i]} is not supported")
    if relations.words_at(tokens, i, "SCHEMA"):
        names, _ = relations.read_names(tokens, i + 1)
        _check_objects(session, catalog, "SCHEMA", names, path)
    elif kind in (None, "TABLE", "SEQUENCE") and upper[i] != "ALL":
        start = i + (1 if kind else 0)
        names, _ = relations.read_names(tokens, start)
        _check_objects(session, catalog, kind or "TABLE", names, path, grant=True)
    else:
        raise FeatureNotSupported(f"{command} ON {upper[i]} is not supported")
    to = "TO" if command == "GRANT" else "FROM"
    if to in upper:
        j = upper.index(to) + 1
        for tok in tokens[j:]:
            word = str(tok.text).upper()
            if word in (",", "GROUP", "CASCADE", "RESTRICT", "GRANTED", "BY", "WITH"):
                if word in ("GRANTED", "WITH"):
                    break
                continue
            name = relations.ident(tok)
            if word not in ("PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE") and (
                name != session.user
            ):
                raise UndefinedObject(f'role "{name}" does not exist')


def _check_objects(
    session: SessionApi,
    catalog: Catalog,
    kind: str,
    names: list[relations.Name],
    path: list[str],
    *,
    grant: bool = False,
) -> None:
    for n in names:
        if kind == "SCHEMA":
            if n.name not in catalog.schemas:
                raise InvalidSchemaName(f'schema "{n.name}" does not exist')
        elif kind == "COLUMN":
            if n.schema is None:
                raise SyntaxError_("column name must be qualified")
            rel = relations.lookup(catalog, relations.Name(None, n.schema), path)
            if rel is None:
                raise UndefinedTable(f'relation "{n.schema}" does not exist')
            if not rel.table.has_column(n.name) or rel.kind != "TABLE":
                raise UndefinedColumn(f'column "{n.name}" of relation "{n.schema}" does not exist')
        elif grant:
            rel = relations.lookup(catalog, n, path)
            if rel is None:
                raise UndefinedTable(f'relation "{n}" does not exist')
            if rel.kind == "INDEX":
                raise WrongObjectType(f'"{n.name}" is an index')
            if kind == "SEQUENCE" and rel.kind != "SEQUENCE":
                raise WrongObjectType(f'"{n.name}" is not a sequence')
        else:
            relations.for_use(catalog, kind, n, path)


def _drop_table(session: SessionApi, table: TableDef, catalog: Catalog) -> None:
    """Drop ``table`` (its rows, index entries and owned sequences); ``catalog`` is the
    statement's picture, only read here: no copy per dropped table. The rows and index
    entries are not touched: their prefixes go to GC (``kv.dropped``), in constant time
    whatever the table's size."""
    store = session.database.catalogs
    txn = session.current_txn()
    if table.kind == "table":
        dropped.schedule(txn, table_prefix(session.db, table.id))
        dropped.schedule(txn, table_indexes_prefix(session.db, table.id))
        for col in table.columns:
            if col.sequence:
                seq = catalog.find(col.sequence, table.schema, [])
                if seq is not None:
                    store.drop_table(txn, seq)
    store.drop_table(txn, table)


def create_schema(session: SessionApi, tree: exp.Create) -> Result:
    name = tree.this.db or tree.this.name
    catalog = _catalog(session)
    if name in catalog.schemas and tree.args.get("exists"):
        session.notices.append(f'schema "{name}" already exists, skipping')
        return Result("CREATE SCHEMA")
    session.database.catalogs.create_schema(session.current_txn(), name, catalog)
    return Result("CREATE SCHEMA")


def create_sequence(session: SessionApi, tree: exp.Create) -> Result:
    t = tree.this
    _refuse_properties(tree, "CREATE SEQUENCE")
    schema = _schema_of(session, t, temp.persistence_of(tree))
    catalog = _catalog(session)
    if relations.lookup(catalog, relations.Name(schema, t.name), []) is not None:
        if tree.args.get("exists"):
            session.notices.append(f'relation "{t.name}" already exists, skipping')
            return Result("CREATE SEQUENCE")
        raise DuplicateTable(f'relation "{t.name}" already exists')
    props: dict[str, Any] = {}
    properties = tree.args.get("properties")
    for p in properties.expressions if properties is not None else []:
        if isinstance(p, exp.SequenceProperties):
            for k in ("start", "increment", "minvalue", "maxvalue"):
                v = p.args.get(k)
                if v is not None:
                    props[{"minvalue": "min", "maxvalue": "max"}.get(k, k)] = int(v.sql())
    store = session.database.catalogs
    txn = session.current_txn()
    seq = TableDef(
        id=store.next_id(txn),
        schema=schema,
        name=t.name,
        columns=[],
        kind="sequence",
        seq=seq_options(props),
    )
    store.put_table(txn, seq, catalog, new=True)
    return Result("CREATE SEQUENCE")


def alter_table(session: SessionApi, tree: exp.Alter, ctx: Context) -> Result:
    t = tree.this
    catalog = _catalog(session)
    table = catalog.find(t.name, t.db or None, session.search_path())
    if table is None or table.kind != "table":
        if tree.args.get("exists"):
            return Result("ALTER TABLE")
        raise UndefinedTable(f'relation "{t.name}" does not exist')
    store = session.database.catalogs
    txn = session.current_txn()
    old_name = table.name
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.ColumnDef):
            if table.has_column(action.name):
                if action.args.get("exists"):
                    continue
                raise DuplicateColumn(
                    f'column "{action.name}" of relation "{table.name}" already exists'
                )
            seqs: list[TableDef] = []
            old_pk, before = list(table.primary_key), len(table.indexes)
            col = _column_def(session, table, action, table.width + 1, seqs)
            new_pk, table.primary_key = table.primary_key, old_pk
            if new_pk != old_pk and old_pk:
                raise InvalidTableDefinition(
                    f'multiple primary keys for table "{table.name}" are not allowed'
                )
            for seq in seqs:  # first: the rewrite below takes the new rows' values from it
                seq.id = store.next_id(txn)
                store.put_table(txn, seq, catalog, new=True)
            if seqs or col.default is not None or col.not_null:
                _rewrite_with_new_column(session, table, col, ctx)
            table.columns.append(col)
            if new_pk != old_pk:
                # The new column is the key: rows move from their row ids to it.
                old_def = TableDef.from_json(table.to_json())
                table.primary_key = new_pk
                _finish_constraints(table)
                _rekey(session, old_def, table)
            else:
                _finish_constraints(table)
                for index in table.indexes[before:]:
                    backfill(session, table, index)
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            for c in action.args.get("tables") or action.expressions:
                if not table.has_column(c.name):
                    if action.args.get("exists"):
                        continue
                    raise UndefinedColumn(
                        f'column "{c.name}" of relation "{table.name}" does not exist'
                    )
                if c.name in table.primary_key:
                    raise DependentObjectsStillExist(
                        f"cannot drop column {c.name} of table {table.name} because other "
                        "objects depend on it"
                    )
                table.column(c.name).dropped = True
                gone = [i for i in table.indexes if c.name in index_exprs.referenced_columns(i)]
                for index in gone:
                    dropped.schedule(txn, index_prefix(session.db, table.id, index.id))
                table.indexes = [i for i in table.indexes if i not in gone]
                table.constraints = [k for k in table.constraints if c.name not in k.columns]
        elif isinstance(action, exp.RenameColumn):
            col = table.column(action.this.name)
            new = action.args["to"].name
            if table.has_column(new):
                raise DuplicateColumn(f'column "{new}" of relation "{table.name}" already exists')
            for index in table.indexes:
                index.columns = [new if c == col.name else c for c in index.columns]
                index.include = [new if c == col.name else c for c in index.include]
                index_exprs.rename_column(index, col.name, new)
            for con in table.constraints:
                con.columns = [new if c == col.name else c for c in con.columns]
            table.primary_key = [new if c == col.name else c for c in table.primary_key]
            col.name = new
        elif isinstance(action, exp.AlterRename):
            new = action.this.name
            if relations.lookup(catalog, relations.Name(table.schema, new), []) is not None:
                raise DuplicateTable(f'relation "{new}" already exists')
            store.rename_table(txn, table, old_name)
            table.name = new
            _rename_table(session, catalog, table, old_name, new)
        elif isinstance(action, exp.AddConstraint):
            for item in action.expressions:
                before = len(table.indexes)
                old_def = TableDef.from_json(table.to_json())
                _table_constraint(session, table, item)
                _finish_constraints(table)
                if table.primary_key and not old_def.primary_key:
                    _rekey(session, old_def, table)
                for index in table.indexes[before:]:
                    if not index.primary:
                        backfill(session, table, index)
                validate_constraints(session, table, ctx)
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == (
            "CONSTRAINT"
        ):
            table_alter.drop_constraint(session, table, action, catalog)
        elif isinstance(action, exp.AlterColumn):
            col = table.column(action.this.name)
            if (
                action.args.get("drop")
                and action.args.get("allow_null") is None
                and "DEFAULT" in action.sql(dialect="postgres").upper()
            ):
                col.default = None
            elif action.args.get("default") is not None:
                table_alter.set_default(session, table, col.name, action.args["default"], ctx)
            elif "DROP NOT NULL" in action.sql(dialect="postgres").upper():
                table_alter.drop_not_null(table, col.name)
            elif "SET NOT NULL" in action.sql(dialect="postgres").upper():
                col.not_null = True
                validate_constraints(session, table, ctx)
            elif action.args.get("dtype") is not None:
                table_alter.alter_column_type(session, table, action, ctx)
            else:
                raise FeatureNotSupported(
                    f"ALTER COLUMN {action.sql(dialect='postgres')} is not supported"
                )
        else:
            raise FeatureNotSupported(
                f"ALTER TABLE {action.sql(dialect='postgres')} is not supported"
            )
    store.put_table(txn, table, catalog, new=False)
    return Result("ALTER TABLE")


def _rekey(session: SessionApi, old: TableDef, new: TableDef) -> None:
    """A table gains a primary key: move every row from its hidden row id to its key, and
    rebuild the indexes, whose entries end with the row key.

    Rows are moved as they are scanned (the scan reads the transaction's writes as they were
    when it began). Old and new keys share the table's prefix, so a key may be both: an old
    key already holding a moved row is not deleted, and a new row replaces whatever it finds.
    Every row of the table is one of the old rows, so a new key is taken only by another new
    one (a row committed meanwhile by someone else fails the prewrite).
    """
    txn = session.current_txn()
    old_codec, new_codec = RowCodec(session.db, old), RowCodec(session.db, new)
    lo = old_codec.prefix
    moved: set[bytes] = set()
    null_column: str | None = None
    batch: list[tuple[bytes, bytes]] = []
    for key, raw in txn.iter_scan(lo, prefix_end(lo)):
        values = old_codec.decode_value(raw)[:-1]  # drop the row id
        if key not in moved:
            txn.delete(key)
        # As PostgreSQL: the unique index is built first (NULL keys left out), then NOT NULL
        # is checked.
        nulls = [i for i in new_codec.pk_idx if values[i] is None]
        if nulls:
            null_column = null_column or new_codec.live[nulls[0]].name
            continue
        new_key = new_codec.key(values)
        if new_key in moved:
            name = next(i.name for i in new.indexes if i.primary)
            raise UniqueViolation(
                f'could not create unique index "{name}"', detail="Key is duplicated."
            )
        moved.add(new_key)
        batch.append((new_key, new_codec.encode_value(values)))
        if len(batch) >= BATCH:
            txn.put_many(batch)
            batch.clear()
    txn.put_many(batch)
    if null_column is not None:
        raise NotNullViolation(
            f'column "{null_column}" of relation "{new.name}" contains null values'
        )
    for index in old.indexes:
        ilo = index_prefix(session.db, old.id, index.id)
        delete_range(session, ilo, prefix_end(ilo))
    for index in new.indexes:
        if not index.primary:
            backfill(session, new, index)


def _rewrite_with_new_column(
    session: SessionApi, table: TableDef, col: ColumnDef, ctx: Context
) -> None:
    """Existing rows get the new column's default (evaluated per row, like PostgreSQL)."""
    txn = session.current_txn()
    old = RowCodec(session.db, table)
    newdef = dataclasses.replace(table, columns=[*table.columns, col])
    new = RowCodec(session.db, newdef)
    default = None
    if col.default is not None:
        planner = Planner(session, session.catalog(), ctx)
        default = coerce_to(
            planner.compiler(Scope([])).compile(sqlglot.parse_one(col.default, read=DIALECT)),
            col.type,
        )
    lo = old.prefix
    for key, raw in list(txn.iter_scan(lo, prefix_end(lo))):
        row = old.decode_value(raw)
        value = default.fn(()) if default else None
        if value is None and col.not_null:
            raise NotNullViolation(
                f'column "{col.name}" of relation "{table.name}" contains null values'
            )
        pos = len(old.live)
        full = (*row[:pos], value, *row[pos:])
        txn.put(key, new.encode_value(full))
    _ = Compiler


__all__ = ["DuplicateObject", "T", "run"]
