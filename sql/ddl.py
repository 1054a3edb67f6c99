"""DDL: CREATE/DROP/ALTER of tables, indexes, schemas and sequences, inside the transaction.

A new or changed definition is written to the catalog in the caller's transaction, so DDL
commits or rolls back with it. Index creation backfills from the table's rows in the same
transaction; dropping a table deletes its rows and index entries.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection
from typing import Any

import sqlglot
from sqlglot import exp

from kv import dropped
from sql import (
    access_methods,
    comments,
    exclusion,
    extension_ddl,
    grants,
    identity_ddl,
    index_constraints,
    index_exprs,
    index_marks,
    inheritance,
    inheritance_ddl,
    partition_indexes,
    partitions,
    policy_ddl,
    privileges,
    relations,
    roles,
    sequences,
    table_alter,
    temp,
    triggers,
    type_deps,
    views,
)
from sql import types as T
from sql.casts import coerce_to
from sql.catalog import (
    BUILT_IN_COLLATIONS,
    SYSTEM_SCHEMAS,
    Catalog,
    ColumnDef,
    ConstraintDef,
    IndexDef,
    RoleDef,
    TableDef,
)
from sql.errors import (
    ActiveSqlTransaction,
    CheckViolation,
    DependentObjectsStillExist,
    DuplicateColumn,
    DuplicateObject,
    DuplicateTable,
    FeatureNotSupported,
    InvalidObjectDefinition,
    InvalidParameterValue,
    InvalidSchemaName,
    InvalidTableDefinition,
    NotNullViolation,
    ObjectNotInPrerequisiteState,
    SyntaxError_,
    UndefinedColumn,
    UndefinedObject,
    UndefinedTable,
    UniqueViolation,
    WrongObjectType,
)
from sql.expr import Compiler, datatype_to_sql
from sql.functions_text import quote_ident, quote_literal
from sql.index_options import check_opclass
from sql.layout import index_prefix, prefix_end, table_indexes_prefix, table_prefix
from sql.pg_dialect import DIALECT, Exclude
from sql.plan.binder import Planner, table_scope
from sql.result import Result
from sql.rows import RowCodec
from sql.scope import Context, Scope
from sql.sequences import SEQUENCE_TYPES, apply_options, read_options, restart_value, seq_options
from sql.session_api import SessionApi
from sql.table_data import BATCH, backfill, delete_range, type_fields, validate_constraints
from sql.user_types import column_udt


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
    tables += [d for t, e in zip(list(tables), tree.expressions, strict=True)
               if not e.args.get("only") for d in catalog.descendants(t)]  # fmt: skip
    cascade = str(tree.args.get("option") or "").upper() == "CASCADE"
    for t, e in zip(list(tables), tree.expressions, strict=False):
        if e.args.get("only") and t.partkey is not None:
            raise WrongObjectType(
                "cannot truncate only a partitioned table",
                hint="Do not specify the ONLY keyword, or use TRUNCATE ONLY on the partitions "
                "directly.",
            )
    chosen = {f"{t.schema}.{t.name}": t for t in tables}
    # a partition's rows are its ancestors' too: what references those references it
    for t in list(tables):
        for up in catalog.ancestors(t):
            chosen.setdefault(f"{up.schema}.{up.name}", up)
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
            for below in catalog.descendants(child):
                chosen.setdefault(f"{below.schema}.{below.name}", below)
            grew = True
    fires = [triggers.Firing.of(session, t, "truncate", Context()) for t in chosen.values()]
    for fire in fires:
        if fire is not None:
            fire.statement("before")
    for table in chosen.values():
        _delete_data(session, table)
    if restart:
        for table in chosen.values():
            for col in table.columns:
                seq = catalog.find(col.sequence, table.schema, []) if col.sequence else None
                if seq is not None:
                    start = seq.seq.get("start", 1)
                    session.database.sequences.setval(seq, start, is_called=False)
    for fire in fires:
        if fire is not None:
            fire.finish()
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
    catalog = session.catalog()
    for s in session.search_path():
        if s in catalog.schemas and s not in SYSTEM_SCHEMAS and not temp.is_temp_schema(s):
            return s
    raise InvalidSchemaName("no schema has been selected to create in")


def _checked_columns(table: TableDef, check: exp.Expr) -> list[str]:
    """The columns a table CHECK reads, each once, in the order the expression first names
    them (its pg_constraint.conkey, as PostgreSQL records it)."""
    known = {c.name for c in table.live_columns}
    named = (c.name for c in check.find_all(exp.Column, bfs=False))
    return list(dict.fromkeys(n for n in named if n in known))


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
    sql_type = datatype_to_sql(kind)
    name, modifiers, array = type_fields(sql_type, cd.name)
    col = ColumnDef(cd.name, name, attnum, modifiers, array=array, udt=column_udt(sql_type))
    identity_options: dict[str, Any] = {}  # GENERATED ... AS IDENTITY (sequence options)
    for c in cd.constraints:
        k = c.kind
        named = c.name or None  # CONSTRAINT name before the column constraint
        if isinstance(k, exp.NotNullColumnConstraint):
            col.not_null = not k.args.get("allow_null")
        elif isinstance(k, exp.CollateColumnConstraint):
            # a built-in collation is recorded (pg_attribute.attcollation); db9 compares
            # text byte by byte, as all of them do. Other names are taken and not recorded.
            named = k.this.name if isinstance(k.this, exp.Identifier | exp.Column) else ""
            col.collation = named if named in BUILT_IN_COLLATIONS else None
        elif isinstance(k, exp.DefaultColumnConstraint):
            col.default = table_alter.check_default(session, col, k.this, Context())
        elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
            col.identity = "always" if k.this else "by default"
            col.not_null = True
            serial = serial or "identity"
            for option, key in (("start", "start"), ("increment", "increment"), ("cache", "cache"),
                                ("minvalue", "min"), ("maxvalue", "max")):  # fmt: skip
                value = k.args.get(option)
                if value is not None:
                    identity_options[key] = int(value.sql(dialect="postgres"))
            if k.args.get("cycle") is not None:
                identity_options["cycle"] = bool(k.args["cycle"])
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
                    named or _check_name(table, k.this),
                    "c",
                    [cd.name],
                    check=k.this.sql(dialect="postgres"),
                    no_inherit=bool(k.args.get("no_inherit")),
                )
            )
        elif isinstance(k, exp.Reference):
            table.constraints.append(
                _fk(session, table, [cd.name], k, named or f"{table.name}_{cd.name}_fkey")
            )
        elif isinstance(k, exp.ComputedColumnConstraint):
            col.generated = k.this.sql(dialect="postgres")
    if serial:
        seq = TableDef(
            id=0,
            schema=table.schema,
            name=f"{table.name}_{cd.name}_seq",
            columns=[],
            kind="sequence",
            # A serial's sequence has its column's type (smallserial: AS smallint).
            seq=seq_options(
                {"type": sql_type.name, **identity_options}
                if sql_type.name in SEQUENCE_TYPES
                else identity_options
            ),
        )
        seqs.append(seq)
        col.sequence = seq.name
        qualified = quote_literal(f"{quote_ident(table.schema)}.{quote_ident(seq.name)}")
        col.default = f"nextval({qualified}::regclass)"  # shown by regclass_text
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
    deferred = "INITIALLY DEFERRED" in text
    deferrable = deferred or "DEFERRABLE" in text.replace("NOT DEFERRABLE", "")
    if deferred and "NOT DEFERRABLE" in text:
        raise SyntaxError_("constraint declared INITIALLY DEFERRED must be DEFERRABLE")
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
        deferrable=deferrable,
        deferred=deferred,
    )


def create_table(session: SessionApi, tree: exp.Create, ctx: Context) -> Result:
    props = tree.args.get("properties")
    found = props.expressions if props is not None else []
    inherits = next((p for p in found if isinstance(p, exp.InheritsProperty)), None)
    part_by = next((p for p in found if isinstance(p, exp.PartitionedByProperty)), None)
    part_of = next((p for p in found if isinstance(p, exp.PartitionedOfProperty)), None)
    schema_e = tree.this
    if part_of is not None and isinstance(part_of.this, exp.Schema):
        items = list(part_of.this.expressions)
        parent_e = part_of.this.this
    elif part_of is not None:
        items, parent_e = [], part_of.this
    elif isinstance(schema_e, exp.Schema):
        items, parent_e = list(schema_e.expressions), None
    else:
        _refuse_properties(tree, "CREATE TABLE")  # AS EXECUTE, ...
        raise FeatureNotSupported("this form of CREATE TABLE is not supported")
    _refuse_properties(tree, "CREATE TABLE")
    persistence = temp.persistence_of(tree)
    t = schema_e.this if isinstance(schema_e, exp.Schema) else schema_e
    store = session.database.catalogs
    txn = session.current_txn()
    schema = _schema_of(session, t, persistence)
    # The shared catalog, read only: a copy of it all made CREATE TABLE O(catalog) (1000
    # children of one table took minutes); only the parents, whose columns and constraints
    # the new table takes over, are copied.
    catalog = session.catalog()
    if relations.lookup(catalog, relations.Name(schema, t.name), []) is not None:
        if tree.args.get("exists"):
            session.notices.append(f'relation "{t.name}" already exists, skipping')
            return Result("CREATE TABLE")
        raise DuplicateTable(f'relation "{t.name}" already exists')
    parents = copy.deepcopy(_parents(session, catalog, inherits, parent_e, persistence))
    if part_by is not None and inherits is not None:
        raise InvalidObjectDefinition("cannot create partitioned table as inheritance child")
    table = TableDef(id=store.next_id(txn), schema=schema, name=t.name, columns=[])
    seqs: list[TableDef] = []
    attnum = 0
    own: list[ColumnDef] = []
    options: list[exp.ColumnDef] = []  # PARTITION OF's column options
    constraints: list[exp.Expr] = []
    for item in items:
        if isinstance(item, exp.ColumnDef):
            if any(c.name == item.name for c in own) or any(o.name == item.name for o in options):
                raise DuplicateColumn(f'column "{item.name}" specified more than once')
            if part_of is not None and item.args.get("kind") is None:
                options.append(item)
                continue
            attnum += 1
            col = _column_def(session, table, item, attnum, seqs)
            own.append(col)
            table.columns.append(col)
        elif isinstance(item, exp.LikeProperty):
            for col in _like(session, catalog, table, item):
                if any(c.name == col.name for c in own):
                    raise DuplicateColumn(f'column "{col.name}" specified more than once')
                attnum += 1
                col.attnum = attnum
                own.append(col)
                table.columns.append(col)
        else:
            constraints.append(item)
    if parents:
        table.columns = inheritance.merge_parents(
            table, parents, own, partition=part_of is not None
        )
    for item in constraints:  # after the columns: a constraint may name an inherited one
        _table_constraint(session, table, item)
    if parents:
        table.parents = [p.id for p in parents]
        inherited = inheritance.inherited_checks(parents, table)
        names = {i.name for i in inherited}
        for con in inherited:  # one the child declares too is merged (a partition's is
            # the parent's alone, as PostgreSQL keeps it)
            con.local = part_of is None and any(c.name == con.name for c in table.constraints)
        table.constraints = [*inherited, *(c for c in table.constraints if c.name not in names)]
    for item in options:
        _column_options(session, table, item, seqs)
    if part_of is not None:
        parent = parents[0]
        if not table.primary_key and parent.primary_key:
            table.primary_key = list(parent.primary_key)
        for con in parent.constraints:
            if con.kind == "f" and all(c.name != con.name for c in table.constraints):
                table.constraints.append(dataclasses.replace(con, oid=0, inherited=True,
                                                             local=False))  # fmt: skip
            if con.kind == "u" and all(c.columns != con.columns for c in table.constraints):
                table.constraints.append(
                    ConstraintDef(
                        f"{table.name}_{'_'.join(con.columns)}_key", "u", list(con.columns)
                    )
                )
        table.bound = partitions.parse_bound(parent, table.name, part_of.expression)
        partitions.check_overlap(catalog, parent, table.name, table.bound)
        partitions.check_default_rows(session, catalog, parent, table)
    _finish_constraints(table)
    if part_by is not None:
        table.partkey = partitions.parse_key(table, part_by)
        partitions.check_unique_keys(table)
    for seq in seqs:
        seq.id = store.next_id(txn)
        store.put_table(txn, grants.owned(session, seq), catalog, new=True)
        session.database.sequences.fresh(seq.id)
    store.put_table(txn, grants.owned(session, table), catalog, new=True)
    if persistence is not None:
        temp.register(session, table, persistence)
    if part_of is not None:
        clone_indexes(session, parents[0], table.id)
    return Result("CREATE TABLE")


def _like(
    session: SessionApi, catalog: Catalog, table: TableDef, like: exp.LikeProperty
) -> list[ColumnDef]:
    """LIKE source [INCLUDING ... | EXCLUDING ...]: the source's columns (NOT NULL always;
    defaults and CHECK constraints when included)."""
    src_e = like.this
    source = relations.lookup(
        catalog, relations.Name(src_e.db or None, src_e.name), session.search_path()
    )
    if source is None:
        raise UndefinedTable(f'relation "{src_e.name}" does not exist')
    included: set[str] = set()
    for opt in like.expressions:
        what = str(opt.args.get("value") or "").upper()
        names = _LIKE_ALL if what == "ALL" else {what}
        if str(opt.name).upper() == "INCLUDING":
            included |= names
        else:
            included -= names
    cols = []
    for c in source.table.live_columns:
        col = ColumnDef(c.name, c.type_name, 0, list(c.modifiers), array=c.array,
                        not_null=c.not_null)  # fmt: skip
        if "DEFAULTS" in included and not c.sequence:
            col.default = c.default
        cols.append(col)
    if "CONSTRAINTS" in included:
        for con in source.table.constraints:
            if con.kind == "c":
                table.constraints.append(ConstraintDef(con.name, "c", list(con.columns),
                                                       check=con.check))  # fmt: skip
    return cols


_LIKE_ALL = {"COMMENTS", "COMPRESSION", "CONSTRAINTS", "DEFAULTS", "GENERATED", "IDENTITY",
             "INDEXES", "STATISTICS", "STORAGE"}  # fmt: skip


def _parents(
    session: SessionApi,
    catalog: Catalog,
    inherits: exp.Expr | None,
    parent_e: exp.Expr | None,
    persistence: str | None,
) -> list[TableDef]:
    """The tables a new table inherits from (INHERITS) or is a partition of (PARTITION OF)."""
    out: list[TableDef] = []
    names = list(inherits.expressions) if inherits is not None else []
    if parent_e is not None:
        names = [parent_e]
    for e in names:
        parent = relations.for_use(
            catalog, "TABLE", relations.Name(e.db or None, e.name), session.search_path()
        ).table
        if any(p.id == parent.id for p in out):
            raise DuplicateTable(f'relation "{parent.name}" would be inherited from more than once')
        inheritance.check_parent(parent, partition=parent_e is not None)
        if parent_e is not None and parent.partkey is None:
            raise InvalidObjectDefinition(f'table "{parent.name}" is not partitioned')
        is_temp = temp.is_temp_schema(parent.schema)
        if is_temp and persistence is None:
            raise WrongObjectType(
                f"cannot create a permanent relation as partition of temporary relation "
                f'"{parent.name}"'
                if parent_e is not None
                else f'cannot inherit from temporary relation "{parent.name}"'
            )
        if not is_temp and persistence is not None and parent_e is not None:
            raise WrongObjectType(
                f"cannot create a temporary relation as partition of permanent relation "
                f'"{parent.name}"'
            )
        out.append(parent)
    return out


def _column_options(
    session: SessionApi, table: TableDef, item: exp.ColumnDef, seqs: list[TableDef]
) -> None:
    """PARTITION OF's ``column WITH OPTIONS NOT NULL DEFAULT ...`` on an inherited column."""
    if not table.has_column(item.name):
        raise UndefinedColumn(f'column "{item.name}" does not exist')
    col = table.column(item.name)
    probe = exp.ColumnDef(this=item.this.copy(), kind=exp.DataType.build(col.type_name),
                          constraints=[c.copy() for c in item.constraints])  # fmt: skip
    made = _column_def(session, table, probe, col.attnum, seqs)
    col.not_null = col.not_null or made.not_null
    if made.default is not None:
        col.default = made.default
    col.local = True


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


def _storage_parameters(action: exp.Expr) -> bool:
    """ALTER TABLE SET (name = value, ...) of storage parameters: True; 22023 for a name
    PostgreSQL does not know; False for any other SET."""
    if not isinstance(action, exp.AlterSet) or not action.expressions:
        return False
    items = action.expressions
    if not all(isinstance(x, exp.EQ) and isinstance(x.this, exp.Column) for x in items):
        return False
    for x in action.expressions:
        name = x.this.name.lower()
        if name not in _STORAGE_PARAMETERS:
            raise InvalidParameterValue(f'unrecognized parameter "{name}"')
    return True


def _refuse_properties(tree: exp.Create, what: str) -> None:
    """Refuse the clauses db9 would otherwise ignore (TEMP, PARTITION BY, INHERITS, ...).
    UNLOGGED and storage parameters (WITH (fillfactor = ...)) tune storage only and are
    accepted without effect; sequence options are read by the caller."""
    props = tree.args.get("properties")
    for p in props.expressions if props is not None else []:
        if type(p) is exp.Property and str(p.name).lower() in _STORAGE_PARAMETERS:
            continue
        if type(p) is exp.Property and str(p.name).lower() == "oids":
            if isinstance(p.args.get("value"), exp.Boolean) and not p.args["value"].this:
                continue  # WITH (oids = false), WITHOUT OIDS: what every table is
            raise FeatureNotSupported("tables declared WITH OIDS are not supported")
        if temp.is_temp_property(p):
            continue  # read by sql.temp.persistence_of
        if not isinstance(
            p,
            exp.UnloggedProperty
            | exp.SequenceProperties
            | exp.InheritsProperty
            | exp.PartitionedByProperty
            | exp.PartitionedOfProperty,
        ):
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
        pk = _deferrable(ConstraintDef(name or f"{table.name}_pkey", "p", table.primary_key), inner)
        if name or pk.deferrable:  # else _finish_constraints adds it, first
            table.constraints.append(pk)
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
                name or _check_name(table, inner.this),
                "c",
                _checked_columns(table, inner.this),
                check=inner.this.sql(dialect="postgres"),
                no_inherit=bool(inner.args.get("no_inherit")),
            )
        )
    elif isinstance(inner, Exclude):
        _exclusion(session, table, name, inner)
    else:
        raise FeatureNotSupported(f"constraint {item.sql(dialect='postgres')} is not supported")


def _check_name(table: TableDef, check: exp.Expr) -> str:
    """A CHECK constraint's default name: after its column when it reads exactly one (the
    column it is written beside does not count), as PostgreSQL names it."""
    read = {c.name for c in check.find_all(exp.Column)}
    return f"{table.name}_{read.pop()}_check" if len(read) == 1 else f"{table.name}_check"


def _exclusion(session: SessionApi, table: TableDef, name: str | None, inner: Exclude) -> None:
    """EXCLUDE [USING method] (key WITH op, ...) [WHERE (...)]: the constraint and its index
    (sql.exclusion), named as PostgreSQL names them (<table>_<keys>_excl, numbered when taken)."""
    params = inner.this
    using = params.args.get("using")
    am = access_methods.method_named(
        str(using.name) if using is not None else "btree", session.catalog().extensions
    )
    keys = params.args.get("columns") or []
    access_methods.check_shape(am, False, len(keys), bool(params.args.get("include")))
    cols, desc, opclasses, exprs, names = _index_keys(
        table, am, [k.this for k in keys], session.catalog().extensions
    )
    operators = [str(k.args["op"].name) for k in keys]
    for op, (_, t) in zip(operators, _key_types(table, cols, exprs), strict=True):
        exclusion.compile_operator(op, t)
    where = params.args.get("where")
    predicate = None
    if where is not None:
        cond = where.this if isinstance(where, exp.Where) else where
        Compiler(table_scope(table, None), Context())._bool(cond)
        predicate = cond.sql(dialect="postgres")
    if not name:
        base = f"{table.name}_{'_'.join(names)}_excl"
        name, n = base, 0
        catalog = _catalog(session)
        while relations.lookup(catalog, relations.Name(table.schema, name), []) is not None or any(
            i.name == name for i in table.indexes
        ):
            n += 1
            name = f"{base}{n}"
    index = IndexDef(
        _next_index_id(table),
        name,
        cols,
        descending=desc if any(desc) else [],
        opclasses=opclasses if any(opclasses) else [],
        method=am.name,
        exprs=exprs if any(exprs) else [],
        predicate=predicate,
    )
    table.indexes.append(index)
    con = ConstraintDef(name, "x", [c for c in cols if c], index=name, operators=operators)
    table.constraints.append(_deferrable(con, inner))


def _key_types(table: TableDef, cols: list[str], exprs: list[str]) -> list[tuple[str, T.SqlType]]:
    """Per index key its SQL and type."""
    comp = Compiler(table_scope(table, None), Context())
    out = []
    for n, c in enumerate(cols):
        text = exprs[n] if exprs and exprs[n] else ""
        typed = comp.compile(sqlglot.parse_one(text, read="postgres") if text else exp.column(c))
        out.append((text or c, typed.type))
    return out


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
    if rel.kind not in ("TABLE", "MATERIALIZED VIEW"):
        raise WrongObjectType(
            f'cannot create index on relation "{t.name}"',
            detail=f"This operation is not supported for {rel.plural}.",
        )
    table = rel.table
    params = idx.args["params"]
    using = params.args.get("using")
    am = access_methods.method_named(
        str(using.name) if using is not None else "btree", session.catalog().extensions
    )
    method = am.name
    if params.args.get("partition_by"):
        raise FeatureNotSupported("CREATE INDEX ... PARTITION_BY is not supported")
    system = {"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"} - {
        c.name for c in table.live_columns
    }
    for node in params.find_all(exp.Column):
        if node.name in system:
            raise FeatureNotSupported("index creation on system columns is not supported")
    keys = params.args.get("columns") or []
    access_methods.check_shape(
        am, bool(tree.args.get("unique")), len(keys), bool(params.args.get("include"))
    )
    cols, desc, opclasses, exprs, names = _index_keys(table, am, keys, session.catalog().extensions)
    where = params.args.get("where")
    predicate = None
    if where is not None:
        cond = where.this if isinstance(where, exp.Where) else where
        Compiler(table_scope(table, None), Context())._bool(cond)
        predicate = cond.sql(dialect="postgres")
    include = [i.name for i in params.args.get("include") or []]
    options = access_methods.storage_options(
        am,
        [(str(p.name), p.args["value"].name) for p in params.args.get("with_storage") or []],
    )
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
        options=options,
        nulls_not_distinct=tree.meta.get("nulls_not_distinct", False)
        and bool(tree.args.get("unique")),  # PostgreSQL accepts it on any index
    )
    if index.unique and table.partkey is not None:
        partitions.check_unique_keys(table, [c for c in cols if c])
    backfill(session, table, index)
    table.indexes.append(index)
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    if table.partkey is not None and not tree.meta.get("only"):
        # a partitioned table's index is its partitions' too (ON ONLY: attached later)
        for child in catalog.children(table):
            _clone_index(session, table, index, child.id)
    return Result("CREATE INDEX")


def _opclass(e: exp.Opclass) -> tuple[str, str]:
    """An index key's operator class and its parameters as pg_get_indexdef prints them
    (``gist_trgm_ops(siglen=32)``: ``gist_trgm_ops``, `` (siglen='32')``)."""
    named = e.expression.this if isinstance(e.expression, exp.Table) else e.expression
    if not isinstance(named, exp.Anonymous):
        return e.expression.name, ""
    given = [(str(p.this.name), str(p.expression.name)) for p in named.expressions]
    name = str(named.this)
    options = access_methods.opclass_options(name, given)
    return name, f" ({options})"


def _index_keys(
    table: TableDef,
    am: access_methods.AccessMethod,
    keys: list[exp.Expr],
    installed: Collection[str],
) -> tuple[list[str], list[bool], list[str], list[str], list[str]]:
    """The keys of an index of ``table`` by ``am`` as written (columns, expressions, each
    with an operator class and ordering), checked as PostgreSQL checks them (with the
    extensions ``installed`` and their operator classes): per key the
    column ('' for an expression), DESC, operator class ('' for the default), expression SQL
    ('' for a column) and the name it gives a generated index name."""
    cols, desc, opclasses, exprs, names = [], [], [], [], []
    for o in keys:
        e = o.this if isinstance(o, exp.Ordered) else o
        opclass, opclass_params = _opclass(e) if isinstance(e, exp.Opclass) else (None, "")
        e = e.this if isinstance(e, exp.Opclass) else e
        e = e.this if isinstance(e, exp.Paren) else e
        if isinstance(e, exp.Column) and not e.table:
            key_type = table.column(e.name).type
            cols.append(e.name)
            exprs.append("")
            names.append(e.name)
        else:
            key_type = Compiler(table_scope(table, None), Context()).compile(e).type
            if key_type.name == "record":
                raise InvalidTableDefinition(
                    f'column "{index_exprs.key_name(e)}" has pseudo-type record'
                )
            cols.append("")
            exprs.append(e.sql(dialect="postgres"))
            names.append(index_exprs.key_name(e))
        desc.append(bool(isinstance(o, exp.Ordered) and o.args.get("desc")))
        if am.scannable:
            opclasses.append(check_opclass(opclass, key_type) if opclass else "")
        elif opclass:
            opclasses.append(
                access_methods.check_other_opclass(am, opclass, key_type, installed)
                + opclass_params
            )
        else:
            access_methods.check_default_opclass(am, key_type, installed)
            opclasses.append("")
        ordering = isinstance(o, exp.Ordered) and (o.args.get("desc") or o.args.get("nulls_first"))
        if ordering and not am.ordered:
            raise FeatureNotSupported(
                f'access method "{am.name}" does not support ASC/DESC options'
            )
    return cols, desc, opclasses, exprs, names


def _clone_index(session: SessionApi, parent: TableDef, index: IndexDef, child_id: int) -> None:
    """``index`` of a partitioned table made on its partition ``child_id`` (and on the
    partitions below it), named as PostgreSQL names it: after the partition."""
    catalog = _catalog(session)
    child = catalog.tables[child_id]
    same = next(
        (i for i in child.indexes if i.columns == index.columns and i.exprs == index.exprs
         and i.unique == index.unique and i.predicate == index.predicate),
        None,
    )  # fmt: skip
    if same is not None:  # it has one already (ATTACH of a table with a matching index)
        if not same.primary and not same.parent_oid:
            same.parent_oid = index.oid
            session.database.catalogs.put_table(session.current_txn(), child, catalog, new=False)
        return
    # As PostgreSQL names it: after the partition and the key (and INCLUDE) columns.
    keys = [
        c or index_exprs.key_name(sqlglot.parse_one(index.exprs[n], read="postgres"))
        for n, c in enumerate(index.columns)
    ]
    base = f"{child.name}_{'_'.join([*keys, *index.include])}_idx"
    name, n = base, 0
    while relations.lookup(catalog, relations.Name(child.schema, name), []) is not None:
        n += 1
        name = f"{base}{n}"
    clone = dataclasses.replace(
        index, id=_next_index_id(child), name=name, oid=0, parent_oid=index.oid
    )
    backfill(session, child, clone)
    child.indexes.append(clone)
    session.database.catalogs.put_table(session.current_txn(), child, catalog, new=False)
    if child.partkey is not None:
        for below in catalog.children(child):
            _clone_index(session, child, clone, below.id)


def _attached_keys(session: SessionApi, parent: TableDef, child_id: int) -> None:
    """An attached partition takes its partitioned table's PRIMARY KEY and UNIQUE
    constraints when it has none on those columns (PostgreSQL builds their indexes)."""
    child = session.catalog().tables[child_id]
    quoted = _quoted_list([child.schema]) + "." + _quoted_list([child.name])
    wanted = []
    if parent.primary_key and not child.primary_key:
        wanted.append(f"PRIMARY KEY ({_quoted_list(parent.primary_key)})")
    for con in parent.constraints:
        if con.kind == "u" and all(c.columns != con.columns for c in child.constraints):
            wanted.append(f"UNIQUE ({_quoted_list(con.columns)})")
    for clause in wanted:
        tree = sqlglot.parse_one(f"ALTER TABLE ONLY {quoted} ADD {clause}", read=DIALECT)
        assert isinstance(tree, exp.Alter)
        alter_table(session, tree, Context())


def _quoted_list(names: list[str]) -> str:
    return ", ".join('"' + n.replace('"', '""') + '"' for n in names)


def clone_indexes(session: SessionApi, parent: TableDef, child_id: int) -> None:
    """A new or attached partition takes its partitioned table's indexes (those no
    constraint owns: the partition has its own PRIMARY KEY and UNIQUE constraints)."""
    owned = {c.index for c in parent.constraints if c.index}
    for index in parent.indexes:
        if not index.primary and index.name not in owned:
            _clone_index(session, parent, index, child_id)


def _delete_data(session: SessionApi, table: TableDef) -> None:
    lo = table_prefix(session.db, table.id)
    delete_range(session, lo, prefix_end(lo))
    for index in table.indexes:
        ilo = index_prefix(session.db, table.id, index.id)
        delete_range(session, ilo, prefix_end(ilo))


# -- statements routed by their command name (see sql.commands), read from their tokens ------


def run_named(
    session: SessionApi, command: str, tokens: list[Any], text: str = ""
) -> Result | None:
    """Run a statement sqlglot cannot be trusted to read (it parses DROP MATERIALIZED VIEW as
    DROP VIEW, DROP INDEX a, b not at all); None: resolved and checked, let sqlglot's tree run
    it (ALTER TABLE on a table)."""
    if command.startswith("DROP "):
        return _drop_named(session, command[5:], tokens)
    if command.startswith("ALTER "):
        return _alter_named(session, command[6:], tokens, text)
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
    for rel in found:
        if rel is not None:
            privileges.require_owner(session, rel.table, rel.kind.lower(), rel.name)
    tables = ("TABLE", "VIEW", "MATERIALIZED VIEW")
    dropping = {r.table.id for r in found if r is not None and r.kind in tables}
    for rel in found:
        if rel is None:
            continue
        if rel.kind in tables:
            views.drop_dependents(session, catalog, rel.table, cascade, dropping, _drop_table)
        if rel.kind == "INDEX":
            assert rel.index is not None
            _drop_index(session, catalog, rel.table, rel.index)
        elif rel.kind in ("TABLE", "MATERIALIZED VIEW"):
            _drop_table_checked(session, catalog, rel.table, cascade, dropping)
        else:
            if rel.kind == "SEQUENCE":
                _drop_sequence_defaults(session, catalog, rel.table, cascade, dropping)
            _drop_table(session, rel.table, catalog)
    return Result(f"DROP {kind}")


def _drop_sequence_defaults(
    session: SessionApi, catalog: Catalog, seq: TableDef, cascade: bool, dropping: set[int]
) -> None:
    """Column defaults that call nextval of ``seq`` block DROP SEQUENCE (2BP01); CASCADE
    drops those defaults, as PostgreSQL does."""
    others = [t for t in catalog.all_tables() if t.id not in dropping and t.kind == "table"]
    users = sequences.default_users(others, seq)
    if users and not cascade:
        raise DependentObjectsStillExist(
            f"cannot drop sequence {seq.name} because other objects depend on it",
            detail="\n".join(
                f"default value for column {c} of table {t.name} depends on sequence {seq.name}"
                for t, c in users
            ),
            hint="Use DROP ... CASCADE to drop the dependent objects too.",
        )
    for t, c in users:
        session.notices.append(f"drop cascades to default value for column {c} of table {t.name}")
        t.column(c).default = None
        session.database.catalogs.put_table(session.current_txn(), t, catalog, new=False)


def _drop_index(session: SessionApi, catalog: Catalog, tb: TableDef, index: IndexDef) -> None:
    if index.primary or any(c.index == index.name for c in tb.constraints):
        raise DependentObjectsStillExist(
            f"cannot drop index {index.name} because constraint {index.name} on table "
            f"{tb.name} requires it"
        )
    if index.parent_oid and (up := partition_indexes.index_owner(catalog, index.parent_oid)):
        raise DependentObjectsStillExist(
            f"cannot drop index {index.name} because index {up[1].name} requires it",
            hint=f"You can drop index {up[1].name} instead.",
        )
    _drop_index_tree(session, catalog, tb, index)


def _drop_index_tree(session: SessionApi, catalog: Catalog, tb: TableDef, index: IndexDef) -> None:
    """Drop ``index`` and the partitions' indexes attached to it."""
    for child_table, child in partition_indexes.children(catalog, index):
        _drop_index_tree(session, catalog, child_table, child)
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
    kids = [c for c in catalog.children(table) if c.id not in dropping]
    if kids and table.partkey is None and not cascade:
        raise DependentObjectsStillExist(
            f"cannot drop table {table.name} because other objects depend on it",
            detail="\n".join(f"table {k.name} depends on table {table.name}" for k in kids),
            hint="Use DROP ... CASCADE to drop the dependent objects too.",
        )
    for kid in kids:
        if table.partkey is None:
            session.notices.append(f"drop cascades to table {kid.name}")
        dropping.add(kid.id)
        views.drop_dependents(session, catalog, kid, cascade, dropping, _drop_table)
        _drop_table_checked(session, catalog, kid, cascade, dropping)
    key = f"{table.schema}.{table.name}"
    for child in catalog.all_tables():
        if (
            child.id == table.id
            or child.id in dropping
            or any(up.id in dropping for up in catalog.ancestors(child))
        ):
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
        installed = extension_ddl.in_schema(catalog, name)
        if (tables or installed) and not cascade:
            raise DependentObjectsStillExist(
                f"cannot drop schema {name} because other objects depend on it",
                detail="\n".join(f"extension {e} depends on schema {name}" for e in installed)
                or None,
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            )
        for ext in installed:
            session.notices.append(f"drop cascades to extension {ext}")
        extension_ddl.drop_installed(session, installed, True)
        in_schema = {tb.id for tb in tables}
        for tb in tables:
            if tb.kind == "table":
                # Foreign keys from other schemas lose their constraint, as CASCADE does.
                _drop_table_checked(session, catalog, tb, True, in_schema)
            else:
                _drop_table(session, tb, catalog)
        store.drop_schema(txn, name)
    return Result("DROP SCHEMA")


def _alter_named(
    session: SessionApi, kind: str, tokens: list[Any], text: str = ""
) -> Result | None:
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
    privileges.require_owner(session, rel.table, rel.kind.lower(), rel.name)
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
        if action == "OWNER TO" and rel.kind in ("SEQUENCE", "VIEW"):
            pass  # PostgreSQL takes ALTER TABLE for them too (pg_dump writes it so)
        elif action in ("SET SCHEMA", "OWNER TO"):
            raise FeatureNotSupported(f"ALTER TABLE {action} is not supported")
        else:
            raise WrongObjectType(
                f'ALTER action {action} cannot be performed on relation "{rel.name}"',
                detail=f"This operation is not supported for {rel.plural}.",
            )
    if relations.words_at(tokens, i, "OWNER", "TO") and len(tokens) == i + 3:
        owner = check_role(session, tokens[i + 2])
        if rel.index is None and owner.oid != rel.table.owner:
            table = copy.deepcopy(rel.table)
            privileges.change_owner(table, owner.oid)
            session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
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
    if kind == "SEQUENCE" and (
        relations.words_at(tokens, i, "SET", "LOGGED")
        or relations.words_at(tokens, i, "SET", "UNLOGGED")
    ):
        if len(tokens) != i + 2:
            raise SyntaxError_(f'syntax error at or near "{tokens[i + 2].text}"')
        return Result("ALTER SEQUENCE")  # db9 logs every relation's writes alike
    if kind == "SEQUENCE" and i < len(tokens) and str(tokens[i].text).upper() != "SET":
        _alter_sequence(session, catalog, rel.table, read_options(tokens, i))
        return Result("ALTER SEQUENCE")
    if kind == "TABLE" and relations.words_at(tokens, i, "VALIDATE", "CONSTRAINT"):
        if len(tokens) != i + 3:
            raise SyntaxError_(f'syntax error at or near "{tokens[-1].text}"')
        _validate_constraint(session, catalog, rel.table, relations.ident(tokens[i + 2]))
        return Result("ALTER TABLE")
    if kind == "TABLE" and _inheritance_action(session, catalog, rel.table, tokens, i, text):
        return Result("ALTER TABLE")
    if kind == "TABLE" and index_marks.run(session, catalog, rel.table, tokens, i):
        return Result("ALTER TABLE")
    if kind == "TABLE" and identity_ddl.run(session, catalog, rel.table, tokens, i):
        return Result("ALTER TABLE")
    if kind == "INDEX" and relations.words_at(tokens, i, "ALTER"):
        _index_statistics(rel.table, rel.index, tokens, i + 1)
        return Result("ALTER INDEX")
    if kind == "INDEX" and relations.words_at(tokens, i, "ATTACH", "PARTITION"):
        assert rel.index is not None
        child, j = relations.read_names(tokens, i + 2)
        if len(child) != 1 or j != len(tokens):
            raise SyntaxError_('syntax error at or near ","')
        partition_indexes.attach(session, catalog, rel.table, rel.index, child[0])
        return Result("ALTER INDEX")
    if kind == "TABLE":
        only = "ONLY " if relations.words_at(tokens, 2 + 2 * if_exists, "ONLY") else ""
        table = rel.table

        def run_action(action: str) -> None:
            target = _quoted_list([table.schema]) + "." + _quoted_list([table.name])
            tree = sqlglot.parse_one(f"ALTER TABLE {only}{target} {action}", read=DIALECT)
            if not isinstance(tree, exp.Alter):
                raise FeatureNotSupported("this form of ALTER TABLE is not supported")
            alter_table(session, tree, Context())

        if index_constraints.run(session, table.id, tokens, i, text, run_action):
            return Result("ALTER TABLE")
    if kind == "TABLE":
        table = copy.deepcopy(rel.table)
        if policy_ddl.row_security(session, table, tokens, i):
            session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
            return Result("ALTER TABLE")
    if kind == "TABLE":
        return None  # the table's own actions, read from sqlglot's tree
    raise FeatureNotSupported(f"ALTER {kind} {tokens[i].text.upper()} is not supported")


def _index_statistics(table: TableDef, index: Any, tokens: list[Any], i: int) -> None:
    """ALTER INDEX ... ALTER [COLUMN] n SET STATISTICS v: checked as PostgreSQL checks it;
    db9's ANALYZE keeps no per-column targets, so nothing else changes."""
    i += relations.words_at(tokens, i, "COLUMN")
    if not relations.words_at(tokens, i + 1, "SET", "STATISTICS") or len(tokens) < i + 4:
        raise FeatureNotSupported("this form of ALTER INDEX is not supported")
    word = str(tokens[i].text)
    if not word.isdigit():
        return  # a key named by its column name: PostgreSQL takes it too
    n = int(word)
    if not 1 <= n <= 32767:
        raise InvalidParameterValue("column number must be in range from 1 to 32767")
    if n > len(index.columns) + len(index.include):
        raise UndefinedColumn(f'column number {n} of relation "{index.name}" does not exist')
    if n > len(index.columns) or not (index.exprs and index.exprs[n - 1]):
        col = (
            index.columns[n - 1]
            if n <= len(index.columns)
            else index.include[n - 1 - len(index.columns)]
        )
        raise FeatureNotSupported(
            f'cannot alter statistics on non-expression column "{col}" of index "{index.name}"',
            hint="Alter statistics on table column instead.",
        )


def _inheritance_action(
    session: SessionApi, catalog: Catalog, table: TableDef, tokens: list[Any], i: int, text: str
) -> bool:
    """ATTACH / DETACH PARTITION, INHERIT, NO INHERIT (sql.inheritance_ddl); False for any
    other action."""
    attach = relations.words_at(tokens, i, "ATTACH", "PARTITION")
    detach = relations.words_at(tokens, i, "DETACH", "PARTITION")
    no = relations.words_at(tokens, i, "NO", "INHERIT")
    if not (attach or detach or no or relations.words_at(tokens, i, "INHERIT")):
        return False
    names, j = relations.read_names(tokens, i + (1 if not no else 2) + (attach or detach))
    other = relations.for_use(catalog, "TABLE", names[0], session.search_path()).table
    if attach:
        rest = text[tokens[j].start - tokens[0].start :] if j < len(tokens) else ""
        inheritance_ddl.attach_partition(session, catalog, table, other, rest)
        _attached_keys(session, table, other.id)
        clone_indexes(session, table, other.id)
    elif detach:
        if j < len(tokens) and session.in_block and str(tokens[j].text).upper() == "CONCURRENTLY":
            raise ActiveSqlTransaction(
                "ALTER TABLE ... DETACH CONCURRENTLY cannot run inside a transaction block"
            )
        inheritance_ddl.detach_partition(session, catalog, table, other)
    elif no:
        inheritance_ddl.no_inherit(session, catalog, table, other)
    else:
        inheritance_ddl.inherit(session, catalog, table, other)
    return True


def check_role(session: SessionApi, tok: Any) -> RoleDef:
    """The role named in OWNER TO (42704 when there is none)."""
    word = str(tok.text).upper()
    name = word if word in roles.SPECIAL else relations.ident(tok)
    return roles.named(session, session.catalog(), name)


def _alter_sequence(
    session: SessionApi, catalog: Catalog, seq: TableDef, opts: dict[str, Any]
) -> None:
    """ALTER SEQUENCE's options (sql.sequences.read_options): the new ones checked against
    the kept ones, RESTART moving the sequence on, OWNED BY its owner."""
    changed = {k: v for k, v in opts.items() if k not in ("owned", "restart")}
    new = apply_options(seq.seq, opts)
    sequences = session.database.sequences
    sequences.give_back(seq)  # with the old increment: the next value follows the last one
    if changed:
        seq.seq = new
        session.database.catalogs.put_table(session.current_txn(), seq, catalog, new=False)
    restart = restart_value(new, opts)
    if restart is not None:
        sequences.setval(seq, restart, is_called=False)
    if "owned" in opts:
        _owned_by(session, catalog, seq, opts["owned"])


def _owned_by(session: SessionApi, catalog: Catalog, seq: TableDef, tokens: list[Any]) -> None:
    """ALTER SEQUENCE ... OWNED BY table.column | NONE: the column's table then drops the
    sequence with it (``ColumnDef.sequence``)."""
    store, txn = session.database.catalogs, session.current_txn()
    owner: tuple[TableDef, ColumnDef] | None = None
    if not (len(tokens) == 1 and str(tokens[0].text).upper() == "NONE"):
        try:  # table.column or schema.table.column
            table_name, column, end = relations.read_column_name(tokens, 0)
        except SyntaxError_:
            end = -1
        if end != len(tokens):
            raise SyntaxError_(
                "invalid OWNED BY option", hint="Specify OWNED BY table.column or OWNED BY NONE."
            )
        rel = relations.lookup(catalog, table_name, session.search_path())
        if rel is None:
            raise UndefinedTable(f'relation "{table_name}" does not exist')
        if rel.kind != "TABLE":
            raise WrongObjectType(f'sequence cannot be owned by relation "{rel.name}"')
        if rel.table.schema != seq.schema:
            raise ObjectNotInPrerequisiteState(
                "sequence must be in same schema as table it is linked to"
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


def _rename_referenced_column(
    session: SessionApi, catalog: Catalog, table: TableDef, old: str, new: str
) -> None:
    """Foreign keys that reference ``table``'s column ``old`` reference it as ``new`` (the
    caller writes ``table`` itself, whose own self-references change here too)."""
    store = session.database.catalogs
    txn = session.current_txn()
    ref = f"{table.schema}.{table.name}"
    for other in [table, *(t for t in catalog.all_tables() if t.id != table.id)]:
        changed = False
        for con in other.constraints:
            if con.kind == "f" and con.ref_table == ref and old in con.ref_columns:
                con.ref_columns = [new if c == old else c for c in con.ref_columns]
                changed = True
        if changed and other is not table:
            store.put_table(txn, other, catalog, new=False)


# COMMENT ON / GRANT / REVOKE name a relation kind after ON (or TABLE by default for GRANT).
_ON_KINDS = ("MATERIALIZED VIEW", "FOREIGN TABLE", "TABLE", "SEQUENCE", "INDEX", "VIEW")
# Object types GRANT and REVOKE name that db9 does not have.
_OTHER_OBJECTS = {
    "ALL", "DATABASE", "DOMAIN", "FOREIGN", "FUNCTION", "LANGUAGE", "LARGE", "PARAMETER",
    "PROCEDURE", "ROUTINE", "TABLESPACE", "TYPE",
}  # fmt: skip


def _on_object(session: SessionApi, command: str, tokens: list[Any]) -> None:
    """Check the objects a COMMENT, GRANT or REVOKE names, as PostgreSQL does before it records
    the comment (sql.comments) or privilege (sql.grants)."""
    upper = [str(t.text).upper() for t in tokens]
    catalog = _catalog(session)
    path = session.search_path()
    if "ON" not in upper:
        if command == "COMMENT":
            raise SyntaxError_(f'syntax error at or near "{tokens[-1].text}"')
        grants.membership(session, command, tokens)
        return
    i = upper.index("ON") + 1
    if command == "COMMENT" and relations.words_at(tokens, i, "EXTENSION"):
        extension_ddl.comment(session, tokens, i + 1, comments.comment_text(tokens, i + 2))
        return
    if command == "COMMENT":
        kind = next((k for k in (*_ON_KINDS, "COLUMN", "SCHEMA", "CONSTRAINT") if
            relations.words_at(tokens, i, *k.split())), None)  # fmt: skip
        if kind is None:
            raise FeatureNotSupported(f"COMMENT ON {upper[i]} is not supported")
        if kind == "COLUMN":
            owner, column, _ = relations.read_column_name(tokens, i + 1)
            _check_column(catalog, owner, column, path)
        elif kind != "CONSTRAINT":
            names, _ = relations.read_names(tokens, i + len(kind.split()))
            _check_objects(session, catalog, kind, names, path)
        comments.record(session, catalog, kind, tokens, i + len(kind.split()))
        return
    every = next((f"ALL {k}" for k in ("TABLES", "SEQUENCES")
                  if relations.words_at(tokens, i, "ALL", k, "IN", "SCHEMA")), None)  # fmt: skip
    if every is not None:
        names, _ = relations.read_names(tokens, i + 4)
        _check_objects(session, catalog, "SCHEMA", names, path)
        grants.apply(session, command, tokens, every)
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
    grants.apply(session, command, tokens, "SCHEMA" if relations.words_at(tokens, i, "SCHEMA")
                 else kind)  # fmt: skip


def _check_column(catalog: Catalog, owner: relations.Name, column: str, path: list[str]) -> None:
    rel = relations.lookup(catalog, owner, path)
    if rel is None:
        raise UndefinedTable(f'relation "{owner}" does not exist')
    if not rel.table.has_column(column) or rel.kind != "TABLE":
        raise UndefinedColumn(f'column "{column}" of relation "{owner.name}" does not exist')


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
    opts = read_options(*_sequence_options_at(tree.meta.get("tokens") or []))
    store = session.database.catalogs
    txn = session.current_txn()
    seq = TableDef(
        id=store.next_id(txn),
        schema=schema,
        name=t.name,
        columns=[],
        kind="sequence",
        seq=apply_options(None, opts),
    )
    store.put_table(txn, grants.owned(session, seq), catalog, new=True)
    session.database.sequences.fresh(seq.id)
    if "owned" in opts:
        _owned_by(session, _catalog(session), seq, opts["owned"])
    return Result("CREATE SEQUENCE")


def _sequence_options_at(tokens: list[Any]) -> tuple[list[Any], int]:
    """CREATE SEQUENCE's tokens and where its options start (after the name)."""
    i = next((k for k, tok in enumerate(tokens) if str(tok.text).upper() == "SEQUENCE"), 0) + 1
    i += 3 * relations.words_at(tokens, i, "IF", "NOT", "EXISTS")
    return tokens, relations.read_names(tokens, i)[1] if i < len(tokens) else i


def alter_table(
    session: SessionApi, tree: exp.Alter, ctx: Context, recursing: bool = False
) -> Result:
    """ALTER TABLE; ``recursing``: a parent's ALTER repeated on its child (which may then
    drop or rename the columns it inherited)."""
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
            if tree.args.get("only") and catalog.children(table):
                raise InvalidTableDefinition("column must be added to child tables too")
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
                store.put_table(txn, grants.owned(session, seq), catalog, new=True)
                session.database.sequences.fresh(seq.id)
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
                if not recursing:
                    partitions.check_not_key(table, c.name, "drop")
                pk = next((k for k in table.constraints if k.kind == "p"), None)
                if c.name in table.primary_key and pk is not None:
                    # the key goes with its column (rows rekeyed); foreign keys referencing
                    # it need CASCADE, as PostgreSQL's dependencies on the key's index
                    drop_pk = exp.Drop(
                        kind="CONSTRAINT",
                        expressions=[exp.to_identifier(pk.name)],
                        cascade=action.args.get("cascade"),
                    )
                    try:
                        table_alter.drop_constraint(session, table, drop_pk, catalog)
                    except DependentObjectsStillExist as exc:
                        raise DependentObjectsStillExist(
                            f"cannot drop column {c.name} of table {table.name} because other "
                            "objects depend on it",
                            detail=exc.detail,
                            hint="Use DROP ... CASCADE to drop the dependent objects too.",
                        ) from None
                users = [t for t in table.triggers if triggers.uses_column(t, c.name)]
                if users and not action.args.get("cascade"):
                    raise DependentObjectsStillExist(
                        f"cannot drop column {c.name} of table {table.name} because other "
                        "objects depend on it",
                        detail=f"trigger {users[0].name} on table {table.name} depends on "
                        f"column {c.name} of table {table.name}",
                        hint="Use DROP ... CASCADE to drop the dependent objects too.",
                    )
                table.triggers = [t for t in table.triggers if t not in users]
                table.column(c.name).dropped = True
                type_deps.drop_column_objects(session, table, c.name)
        elif isinstance(action, exp.RenameColumn):
            col = table.column(action.this.name)
            new = action.args["to"].name
            if table.has_column(new):
                raise DuplicateColumn(f'column "{new}" of relation "{table.name}" already exists')
            if not recursing:
                partitions.check_not_key(table, col.name, "rename")
            partitions.rename_key_column(table, col.name, new)
            for index in table.indexes:
                index.columns = [new if c == col.name else c for c in index.columns]
                index.include = [new if c == col.name else c for c in index.include]
                index_exprs.rename_column(index, col.name, new)
            for con in table.constraints:
                con.columns = [new if c == col.name else c for c in con.columns]
                if con.check is not None:
                    con.check = index_exprs.renamed_in(con.check, col.name, new, quote=False)
            for other in table.columns:
                if other.generated is not None:
                    other.generated = index_exprs.renamed_in(
                        other.generated, col.name, new, quote=False
                    )
            table.primary_key = [new if c == col.name else c for c in table.primary_key]
            _rename_referenced_column(session, catalog, table, col.name, new)
            col.name = new
        elif isinstance(action, exp.AlterRename):
            new = action.this.name
            if relations.lookup(catalog, relations.Name(table.schema, new), []) is not None:
                raise DuplicateTable(f'relation "{new}" already exists')
            store.rename_table(txn, table, old_name)
            table.name = new
            _rename_table(session, catalog, table, old_name, new)
        elif isinstance(action, exp.AddConstraint):
            named = []
            for item in action.expressions:
                before = len(table.indexes)
                old_def = TableDef.from_json(table.to_json())
                _table_constraint(session, table, item)
                added = [c for c in table.constraints if c not in old_def.constraints]
                if not isinstance(item, exp.Constraint) and added and added[-1].kind == "c":
                    # children get the parent's name for it, as PostgreSQL names them
                    item = exp.Constraint(this=exp.to_identifier(added[-1].name),
                                          expressions=[item.copy()])  # fmt: skip
                named.append(item)
                _finish_constraints(table)
                if table.primary_key and not old_def.primary_key:
                    _rekey(session, old_def, table)
                for index in table.indexes[before:]:
                    if not index.primary:
                        backfill(session, table, index)
                if tree.args.get("not_valid") and all(c.kind in ("c", "f") for c in added):
                    for con in added:  # the rows there are now are checked by VALIDATE
                        con.validated = False
                    continue
                validate_constraints(session, table, ctx)
                for con in added:
                    if con.kind == "x":
                        check = exclusion.Exclusion(table, con)
                        check.validate(session.current_txn(), RowCodec(session.db, table))
            action.set("expressions", named)
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
                partitions.check_not_key(table, col.name, "alter")
                table_alter.alter_column_type(session, table, action, ctx)
            else:
                raise FeatureNotSupported(
                    f"ALTER COLUMN {action.sql(dialect='postgres')} is not supported"
                )
        elif _storage_parameters(action):
            pass  # tuning db9 has no use for (see _STORAGE_PARAMETERS)
        else:
            raise FeatureNotSupported(
                f"ALTER TABLE {action.sql(dialect='postgres')} is not supported"
            )
    store.put_table(txn, table, catalog, new=False)
    if not tree.args.get("only"):
        for kid in catalog.children(table):
            _alter_child(session, tree, kid, ctx)
    return Result("ALTER TABLE")


def _validate_constraint(session: SessionApi, catalog: Catalog, table: TableDef, name: str) -> None:
    """ALTER TABLE ... VALIDATE CONSTRAINT: a NOT VALID check or foreign key checked against
    every row (23514 / 23503 as PostgreSQL words them), then valid; 42704 for no such
    constraint, 42809 for a kind that is never NOT VALID."""
    con = next((c for c in table.constraints if c.name == name), None)
    if con is None:
        raise UndefinedObject(f'constraint "{name}" of relation "{table.name}" does not exist')
    if con.kind not in ("c", "f"):
        raise WrongObjectType(
            f'constraint "{name}" of relation "{table.name}" is not a foreign key or check '
            "constraint"
        )
    if con.validated:
        return
    table = copy.deepcopy(table)  # never the catalog copy other statements share
    con = next(c for c in table.constraints if c.name == name)
    con.validated = True
    try:
        validate_constraints(session, table, Context())
    except CheckViolation:
        raise CheckViolation(
            f'check constraint "{name}" of relation "{table.name}" is violated by some row'
        ) from None
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)


def _no_inherit(item: exp.Expr) -> bool:
    """A CHECK ... NO INHERIT constraint clause (it stays with the table it is added to)."""
    return any(c.args.get("no_inherit") for c in item.find_all(exp.CheckColumnConstraint))


def _alter_child(session: SessionApi, tree: exp.Alter, kid: TableDef, ctx: Context) -> None:
    """ALTER TABLE of a parent, done to a child as PostgreSQL recurses it: a column the
    child has already is merged (its inheritance count goes up), a dropped column goes only
    where nothing else defines it; the table's own rename stays with the parent."""
    actions, merged, kept = [], [], []
    store, txn = session.database.catalogs, session.current_txn()
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.AlterRename):
            continue
        if isinstance(action, exp.AddConstraint):
            inheritable = [i for i in action.expressions if not _no_inherit(i)]
            if not inheritable:
                continue
            action = action.copy()
            action.set("expressions", [i.copy() for i in inheritable])
            mine = {c.name: c for c in kid.constraints}
            same = [i for i in action.expressions if i.name and i.name in mine]
            for item in same:  # the child's own constraint of that name is merged
                mine[item.name].inherited = True
                mine[item.name].local = mine[item.name].local and kid.bound is None
            if same:
                store.put_table(txn, kid, _catalog(session), new=False)
                rest = [i.copy() for i in action.expressions if i not in same]
                if not rest:
                    continue
                action = action.copy()
                action.set("expressions", rest)
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == (
            "CONSTRAINT"
        ):
            dropping = {c.name for c in action.args.get("tables") or action.expressions}
            local = []
            for con in kid.constraints:
                if con.name in dropping:
                    con.inherited = False  # the parent's goes: the child's may go too
                    if con.local:
                        local.append(con.name)
            store.put_table(txn, kid, _catalog(session), new=False)
            going = [
                n for n in dropping if n not in local and any(c.name == n for c in kid.constraints)
            ]
            if not going:
                continue
            action = action.copy()
            action.set("expressions", [exp.to_identifier(n) for n in sorted(going)])
            action.set("tables", None)
        if isinstance(action, exp.ColumnDef) and kid.has_column(action.name):
            merged.append(action.name)
            continue
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            names = [c.name for c in action.args.get("tables") or action.expressions]
            going = [n for n in names if kid.has_column(n)
                     and kid.column(n).inherited <= 1 and not kid.column(n).local]  # fmt: skip
            kept += [n for n in names if kid.has_column(n) and n not in going]
            if not going:
                continue
            action = action.copy()
            action.set("expressions", [exp.column(n) for n in going])
            action.set("tables", None)
        actions.append(action.copy())
    if actions:
        child = tree.copy()
        child.set("this", exp.Table(this=exp.to_identifier(kid.name, quoted=True),
                                    db=exp.to_identifier(kid.schema, quoted=True)))  # fmt: skip
        child.set("actions", actions)
        alter_table(session, child, ctx, recursing=True)
    catalog = _catalog(session)
    fresh = catalog.tables[kid.id]
    for action in actions:
        if isinstance(action, exp.ColumnDef) and fresh.has_column(action.name):
            col = fresh.column(action.name)
            col.inherited, col.local = 1, False
        if isinstance(action, exp.AddConstraint):
            for con in fresh.constraints:
                if con.kind == "c" and con.name in {i.name for i in action.expressions}:
                    con.inherited, con.local = True, False
    for name in merged:
        fresh.column(name).inherited += 1
    for name in kept:
        fresh.column(name).inherited = max(0, fresh.column(name).inherited - 1)
        fresh.column(name).local = True
    session.database.catalogs.put_table(session.current_txn(), fresh, catalog, new=False)


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
