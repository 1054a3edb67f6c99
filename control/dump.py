"""``db9 db dump``: a database as SQL a fresh db9 (or PostgreSQL) database replays, within the
product's limits of 50,000 rows and 16 MB. Larger databases are exported with pg_dump or COPY
over pgwire.

The dump is written in pg_dump's order, from the same definitions db9's catalog functions give
pg_dump (pg_get_indexdef, pg_get_constraintdef, pg_get_viewdef, pg_get_triggerdef): schemas,
types, sequences, tables (parents before their children and partitions), functions, rows,
sequence positions and identities, indexes, foreign keys, views, triggers, comments. Rows go
in before identities, foreign keys and triggers are added, so an identity column keeps its
values, rows need no order among tables and no trigger fires on them. Not dumped: owners and
privileges, row-level security policies, rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from control.registry import ControlError
from sql import partition_text, regclass_text, routine_types, trigger_defs, user_types, views
from sql.catalog import Catalog, ColumnDef, RoutineDef, TableDef
from sql.database import Database
from sql.functions_text import quote_ident, quote_literal
from sql.session import Session
from sql.system_catalog import constraint_def, index_def
from sql.types import format_value

MAX_ROWS = 50_000
MAX_BYTES = 16 << 20


class DumpTooLarge(ControlError):
    status = 413


def _name(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def _literal(text: str | None) -> str:
    return "NULL" if text is None else quote_literal(text)


def _type_sql(catalog: Catalog, col: ColumnDef) -> str:
    """A column's type as SQL, a user-defined one (a domain too) schema-qualified."""
    ty = col.type
    oid = ty.domain.oid if ty.domain is not None else ty.oid
    return user_types.format_type(catalog, [], oid) or ty.display()


def _ordered(tables: list[TableDef], after: Callable[[TableDef], list[int]]) -> list[TableDef]:
    """``tables`` with each after the ones ``after`` names (parents, a view's relations)."""
    by_id = {t.id: t for t in tables}
    done: set[int] = set()
    out: list[TableDef] = []

    def visit(t: TableDef) -> None:
        if t.id in done:
            return
        done.add(t.id)
        for dep in after(t):
            if dep in by_id:
                visit(by_id[dep])
        out.append(t)

    for t in tables:
        visit(t)
    return out


def _sequence_sql(seq: TableDef) -> str:
    o = seq.seq
    parts = [f"AS {o.get('type', 'bigint')}", f"INCREMENT BY {o.get('increment', 1)}"]
    parts += [f"MINVALUE {o['min']}"] if o.get("min") is not None else ["NO MINVALUE"]
    parts += [f"MAXVALUE {o['max']}"] if o.get("max") is not None else ["NO MAXVALUE"]
    parts += [f"START WITH {o.get('start', 1)}", f"CACHE {o.get('cache', 1)}"]
    parts += ["CYCLE"] if o.get("cycle") else []
    return " ".join(parts)


def schema_ddl(catalog: Catalog) -> Iterator[str]:
    """Schemas, types, sequences (not an identity's) and tables, in creation order."""
    for schema in catalog.schemas:
        if schema not in ("public", "pg_catalog", "information_schema"):
            yield f"CREATE SCHEMA {quote_ident(schema)};"
    types = sorted(catalog.types.values(), key=lambda t: t.id)
    for t in types:
        if t.kind == "enum":
            labels = ", ".join(quote_literal(x) for x in t.type_def["labels"])
            yield f"CREATE TYPE {_name(t.schema, t.name)} AS ENUM ({labels});"
        elif t.kind == "composite":
            fields = ", ".join(
                f"{quote_ident(c.name)} {_type_sql(catalog, c)}" for c in t.live_columns
            )
            yield f"CREATE TYPE {_name(t.schema, t.name)} AS ({fields});"
        elif t.kind == "range":  # its multirange comes with it
            subtype = t.type_def["subtype"]
            yield f"CREATE TYPE {_name(t.schema, t.name)} AS RANGE (subtype = {subtype});"
    for t in types:
        if t.kind == "domain":
            value = t.columns[0]
            line = f"CREATE DOMAIN {_name(t.schema, t.name)} AS {_type_sql(catalog, value)}"
            line += f" DEFAULT {value.default}" if value.default is not None else ""
            line += " NOT NULL" if value.not_null else ""
            for con in t.constraints:
                line += f" CONSTRAINT {quote_ident(con.name)} CHECK ({con.check})"
            yield line + ";"
    tables = [t for t in catalog.all_tables() if t.kind == "table"]
    identity = {
        (t.schema, c.sequence) for t in tables for c in t.live_columns if c.identity and c.sequence
    }
    for seq in catalog.all_tables():
        if seq.kind == "sequence" and (seq.schema, seq.name) not in identity:
            yield f"CREATE SEQUENCE {_name(seq.schema, seq.name)} {_sequence_sql(seq)};"
    for t in _ordered(tables, lambda t: t.parents):
        yield table_ddl(catalog, t)


def table_ddl(catalog: Catalog, t: TableDef) -> str:
    """CREATE TABLE without its foreign keys and identities (added after the rows)."""
    name = _name(t.schema, t.name)
    parents = [catalog.tables[p] for p in t.parents if p in catalog.tables]
    if t.bound is not None and parents:
        out = f"CREATE TABLE {name} PARTITION OF {_name(parents[0].schema, parents[0].name)} "
        out += partition_text.bound_sql(t.bound)
        return out + (f" PARTITION BY {partition_text.key_sql(t)};" if t.partkey else ";")
    items = []
    for c in t.live_columns:
        if not c.local:
            continue
        line = f"    {quote_ident(c.name)} {_type_sql(catalog, c)}"
        if c.default is not None and not c.identity:
            line += f" DEFAULT {regclass_text.shown(c.default, catalog, [])}"
        items.append(line + (" NOT NULL" if c.not_null else ""))
    pk = next((i for i in t.indexes if i.primary), None)
    if pk is not None and not pk.parent_oid:
        cols = ", ".join(quote_ident(c) for c in t.primary_key)
        items.append(f"    CONSTRAINT {quote_ident(pk.name)} PRIMARY KEY ({cols})")
    for con in t.constraints:
        if con.kind in ("u", "c", "x") and con.local and not (con.inherited and con.kind != "c"):
            shown = constraint_def(con, True, [], t, catalog)
            items.append(f"    CONSTRAINT {quote_ident(con.name)} {shown}")
    out = f"CREATE TABLE {name} (\n" + ",\n".join(items) + "\n)"
    if parents:
        out += " INHERITS (" + ", ".join(_name(p.schema, p.name) for p in parents) + ")"
    if t.partkey is not None:
        out += f" PARTITION BY {partition_text.key_sql(t)}"
    return out + ";"


def routine_ddl(r: RoutineDef) -> str:
    name = _name(r.schema, r.name)
    args = routine_types.describe_arguments(r, defaults=True)
    if r.kind == "a":
        opts = ", ".join(f"{k.upper()} = {v}" for k, v in r.aggregate.items())
        return f"CREATE AGGREGATE {name}({args}) ({opts});"
    head = f"CREATE {'PROCEDURE' if r.kind == 'p' else 'FUNCTION'} {name}({args})"
    if r.kind != "p":
        head += f" RETURNS {routine_types.describe_result(r)}"
    head += f" LANGUAGE {r.language}"
    head += {"i": " IMMUTABLE", "s": " STABLE"}.get(r.volatility, "")
    head += " STRICT" if r.strict else ""
    if r.atomic:
        return head + " BEGIN ATOMIC " + " ".join(f"{s};" for s in r.atomic) + " END;"
    tag = "$body$"
    while tag in r.body:
        tag = tag[:-1] + "x$"
    return f"{head} AS {tag}{r.body}{tag};"


def after_rows(catalog: Catalog, session: Session) -> Iterator[str]:
    """What goes in once the rows are: sequence positions, identities, owned sequences,
    indexes, foreign keys, views, triggers, comments."""
    tables = [t for t in catalog.all_tables() if t.kind == "table"]
    sequences = session.database.sequences
    seqs = {(s.schema, s.name): s for s in catalog.all_tables() if s.kind == "sequence"}
    for t in tables:
        for c in t.live_columns:
            seq = seqs.get((t.schema, c.sequence or ""))
            if seq is None:
                continue
            if c.identity:
                yield (
                    f"ALTER TABLE ONLY {_name(t.schema, t.name)} ALTER COLUMN "
                    f"{quote_ident(c.name)} ADD GENERATED {c.identity.upper()} AS IDENTITY "
                    f"(SEQUENCE NAME {_name(seq.schema, seq.name)} {_sequence_sql(seq)});"
                )
            else:
                yield (
                    f"ALTER SEQUENCE {_name(seq.schema, seq.name)} OWNED BY "
                    f"{_name(t.schema, t.name)}.{quote_ident(c.name)};"
                )
    for _, seq in sorted(seqs.items()):  # by name, as pg_dump: not by creation order
        last, _, called = sequences.state(seq)
        target = quote_literal(_name(seq.schema, seq.name))
        yield f"SELECT pg_catalog.setval({target}, {last}, {'true' if called else 'false'});"
    for t in tables:
        constrained = {con.index for con in t.constraints if con.index}
        for idx in t.indexes:
            if not idx.primary and idx.name not in constrained and not idx.parent_oid:
                yield index_def(t, idx, catalog, []) + ";"
    for t in tables:
        for con in t.constraints:
            if con.kind == "f" and con.local and not con.inherited:
                yield (
                    f"ALTER TABLE ONLY {_name(t.schema, t.name)} ADD CONSTRAINT "
                    f"{quote_ident(con.name)} {constraint_def(con, True, [])};"
                )
    shown = [t for t in catalog.all_tables() if t.kind == "view"]
    for v in _ordered(shown, lambda v: v.depends):
        check = f" WITH {v.check_option.upper()} CHECK OPTION" if v.check_option else ""
        body = views.definition(v).rstrip().rstrip(";")
        yield f"CREATE VIEW {_name(v.schema, v.name)} AS {body}{check};"
    for t in tables:
        for tr in t.triggers:
            fn = catalog.routines.get(tr.function)
            fname = _name(fn.schema, fn.name) if fn is not None else "?"
            yield trigger_defs.definition(t, tr, fname, pretty=False) + ";"
            if not tr.enabled:
                table, trigger = _name(t.schema, t.name), quote_ident(tr.name)
                yield f"ALTER TABLE {table} DISABLE TRIGGER {trigger};"
    yield from _comments(catalog)


def _comments(catalog: Catalog) -> Iterator[str]:
    for t in catalog.all_tables():
        name = _name(t.schema, t.name)
        kind = {"table": "TABLE", "view": "VIEW", "sequence": "SEQUENCE"}.get(t.kind)
        if kind is None:
            continue
        if t.comment:
            yield f"COMMENT ON {kind} {name} IS {quote_literal(t.comment)};"
        for c in t.live_columns:
            if c.comment:
                column = f"{name}.{quote_ident(c.name)}"
                yield f"COMMENT ON COLUMN {column} IS {quote_literal(c.comment)};"
        for i in t.indexes:
            if i.comment:
                index = _name(t.schema, i.name)
                yield f"COMMENT ON INDEX {index} IS {quote_literal(i.comment)};"
        for con in t.constraints:
            if con.comment:
                yield (
                    f"COMMENT ON CONSTRAINT {quote_ident(con.name)} ON {name} IS "
                    f"{quote_literal(con.comment)};"
                )


def dump(database: Database, name: str) -> Iterator[str]:
    """The dump's lines; raises DumpTooLarge past the limits (before yielding past them)."""
    session = Session(database, user="admin")
    try:
        session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")  # one snapshot for it all
        catalog = session.catalog()
        rows_left, size = MAX_ROWS, 0

        def emit(line: str) -> str:
            nonlocal size
            size += len(line) + 1
            if size > MAX_BYTES:
                raise DumpTooLarge(
                    f"database {name} is larger than the dump limit of 16 MB; "
                    "export it with pg_dump or COPY over pgwire"
                )
            return line

        yield emit(f"-- db9 dump of database {name}")
        for line in schema_ddl(catalog):
            yield emit(line)
        for r in sorted(catalog.routines.values(), key=lambda r: r.oid):
            yield emit(routine_ddl(r))
        for t in catalog.all_tables():
            if t.kind != "table" or t.partkey is not None:
                continue  # a partitioned table's rows are its partitions'
            cols = t.live_columns
            select = ", ".join(quote_ident(c.name) for c in cols)
            target = _name(t.schema, t.name)
            result = session.execute(f"SELECT {select} FROM ONLY {target}")
            rows = result[-1].rows or []
            rows_left -= len(rows)
            if rows_left < 0:
                raise DumpTooLarge(
                    f"database {name} has more than {MAX_ROWS:,} rows, the dump "
                    "limit; export it with pg_dump or COPY over pgwire"
                )
            for row in rows:
                values = ", ".join(
                    _literal(format_value(v, c.type))
                    + ("" if c.udt is not None or c.type.domain else f"::{c.type.display()}")
                    for v, c in zip(row, cols, strict=True)
                )
                yield emit(f"INSERT INTO {target} ({select}) VALUES ({values});")
        for line in after_rows(catalog, session):
            yield emit(line)
    finally:
        session.close()
