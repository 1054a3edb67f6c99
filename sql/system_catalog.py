"""Virtual pg_catalog and information_schema relations, computed from the catalog.

Clients learn a database's shape from these: psql's \\d family, SQLAlchemy's reflection,
asyncpg's type introspection. Rows are built at query time from the catalog the transaction
sees, so they are as transactional as the catalog itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from sql import (
    access_methods,
    array_bounds,
    comments,
    cursors,
    dump_catalog,
    extension_catalog,
    extensions,
    info_schema,
    opclasses,
    partition_indexes,
    partition_text,
    privileges,
    pseudo_types,
    regclass_text,
    roles,
    routine_types,
    stat_views,
    system_oids,
    temp,
    trigger_defs,
    user_types,
    view_update,
    views,
)
from sql import types as T
from sql.catalog import Catalog, ColumnDef, TableDef
from sql.databases import UTF8, DatabaseInfo
from sql.errors import UndefinedTable
from sql.functions_text import quote_ident
from sql.session_api import SessionApi
from sql.settings import TIME_SETTINGS, parse_time_ms
from sql.types import SqlType

Rows = list[tuple[Any, ...]]
I2, I4, I8, TXT, BOOL, OIDT, NAME, CHR = (
    T.INT2,
    T.INT4,
    T.INT8,
    T.TEXT,
    T.BOOL,
    T.OID,
    T.NAME,
    T.CHAR,
)
OWNER = 10  # the bootstrap superuser's oid


def _ns(catalog: Catalog, schema: str) -> int:
    return catalog.schema_oids.get(schema, 2200)


def _tables(catalog: Catalog) -> list[TableDef]:
    return catalog.all_tables()


def _index_expr(text: str) -> str:
    """An expression key as pg_get_indexdef prints it: a function call bare, anything else
    in parentheses (PostgreSQL's own deparsing of the inside may differ in casts)."""
    e = sqlglot.parse_one(text, read="postgres")
    shown = e.sql(dialect="postgres", normalize_functions="lower")
    if isinstance(e, exp.Func) and not isinstance(e, exp.Binary | exp.Cast):
        return str(shown)
    if isinstance(e, exp.Binary):
        return f"(({shown}))"
    return f"({shown})"


def _deparsed(text: str, catalog: Catalog | None, path: list[str] | None) -> str:
    """A stored expression as the catalog functions print it on ``path`` (regclass literals
    qualified unless visible); as stored when no path is given."""
    return text if catalog is None or path is None else regclass_text.shown(text, catalog, path)


def index_def(
    table: TableDef, index: Any, catalog: Catalog | None = None, path: list[str] | None = None
) -> str:
    """pg_get_indexdef; expressions deparsed on ``path`` (see ``_deparsed``)."""
    exprs = [_deparsed(e, catalog, path) if e else e for e in index.exprs]
    cols = ", ".join(
        (_index_expr(exprs[i]) if exprs and exprs[i] else quote_ident(c))
        + (f" {index.opclasses[i]}" if index.opclasses and index.opclasses[i] else "")
        + (" DESC" if index.descending and index.descending[i] else "")
        for i, c in enumerate(index.columns)
    )
    unique = "UNIQUE " if index.unique else ""
    include = f" INCLUDE ({', '.join(map(quote_ident, index.include))})" if index.include else ""
    nulls = " NULLS NOT DISTINCT" if index.nulls_not_distinct else ""
    options = f" WITH ({access_methods.shown_options(index.options)})" if index.options else ""
    name = f"{quote_ident(table.schema)}.{quote_ident(table.name)}"
    return (
        f"CREATE {unique}INDEX {quote_ident(index.name)} ON {name} "
        f"USING {index.method} ({cols}){include}{nulls}{options}"
        + (
            f" WHERE {_parenthesised(_deparsed(index.predicate, catalog, path))}"
            if index.predicate
            else ""
        )
    )


def index_column_def(
    index: Any, column: int, catalog: Catalog | None = None, path: list[str] | None = None
) -> str:
    """pg_get_indexdef(index, column, pretty) for column > 0: that key's column name or
    expression (INCLUDE columns numbered after the keys); '' past the last, as PostgreSQL."""
    keys = [(index.exprs[n] if n < len(index.exprs) and index.exprs[n] else "") or name
            for n, name in enumerate(index.columns)]  # fmt: skip
    cols = [*keys, *index.include]
    if not 1 <= column <= len(cols):
        return ""
    n = column - 1
    if n < len(index.exprs) and index.exprs[n]:
        return _index_expr(_deparsed(index.exprs[n], catalog, path))
    return quote_ident(cols[n])


def _parenthesised(text: str) -> str:
    """``text`` in parentheses, unless one pair already encloses all of it (a predicate
    restored from pg_get_indexdef's own output must not gain a pair each round)."""
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for k, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and k < len(text) - 1:
                break
        else:
            return text
    return f"({text})"


def constraint_def(
    con: Any,
    pretty: bool = False,
    path: list[str] | None = None,
    table: Any = None,
    catalog: Catalog | None = None,
) -> str:
    """pg_get_constraintdef; a foreign key's table is schema-qualified unless its schema is
    on the search path ``path`` (None: taken as visible); an exclusion constraint's keys
    come from its index in ``table``; a CHECK's regclass literals are deparsed on ``path``
    when ``catalog`` is given."""
    text = _constraint_text(con, pretty, path, table, catalog)
    return text if getattr(con, "validated", True) else f"{text} NOT VALID"


def _constraint_text(
    con: Any, pretty: bool, path: list[str] | None, table: Any, catalog: Catalog | None
) -> str:
    cols = ", ".join(quote_ident(c) for c in con.columns)
    later = " DEFERRABLE INITIALLY DEFERRED" if con.deferred else " DEFERRABLE"
    if con.kind == "p":
        return f"PRIMARY KEY ({cols})"
    if con.kind == "u":
        nulls = "NULLS NOT DISTINCT " if con.nulls_not_distinct else ""
        return f"UNIQUE {nulls}({cols})" + (later if con.deferrable else "")
    if con.kind == "c":
        check = _deparsed(con.check, catalog, path)
        text = f"CHECK ({check})" if pretty else f"CHECK (({check}))"
        return text + (" NO INHERIT" if con.no_inherit else "")
    if con.kind == "f":
        schema, _, table = (con.ref_table or "").rpartition(".")
        ref = quote_ident(table)
        if path is not None and schema and schema not in path:
            ref = f"{quote_ident(schema)}.{ref}"
        ref_cols = ", ".join(quote_ident(c) for c in con.ref_columns)
        out = f"FOREIGN KEY ({cols}) REFERENCES {ref}({ref_cols})"
        if con.on_update != "NO ACTION":
            out += f" ON UPDATE {con.on_update}"
        if con.on_delete != "NO ACTION":
            out += f" ON DELETE {con.on_delete}"
        return out + (later if con.deferrable else "")
    if con.kind == "x" and table is not None:
        index = table.index(con.index or "")
        if index is None:
            return ""
        exprs = index.exprs or [""] * len(index.columns)
        keys = ", ".join(
            f"{quote_ident(c) if c else _index_expr(e)} WITH {op}"
            for c, e, op in zip(index.columns, exprs, con.operators, strict=True)
        )
        out = f"EXCLUDE USING {index.method} ({keys})"
        if index.predicate is not None:  # as PostgreSQL: in two pairs
            out += f" WHERE ({_parenthesised(index.predicate)})"
        return out + (later if con.deferrable else "")
    return ""


# -- pg_catalog ---------------------------------------------------------------------------------


# pg_collation: the collations every PostgreSQL database has built in, all of which compare
# as db9 does, byte by byte (the database's default is C): deterministic, libc or default.
COLLATIONS: Rows = [
    (100, "default", 11, OWNER, "d", True, -1, None, None, None, None),
    (950, "C", 11, OWNER, "c", True, -1, "C", "C", None, None),
    (951, "POSIX", 11, OWNER, "c", True, -1, "POSIX", "POSIX", None, None),
    (12340, "ucs_basic", 11, OWNER, "c", True, 6, "C", "C", None, None),
]


def collation_oid(t: SqlType, named: str | None) -> int:
    """pg_attribute.attcollation: the column's COLLATE, else the default collation (100) for
    a collatable type (text, varchar, char(n) and arrays of them), name's C (950), or 0."""
    base = t.element or t
    if base.name == "name":
        return 950
    if base.name not in ("text", "character varying", "character"):
        return 0
    return next((row[0] for row in COLLATIONS if row[1] == named), 100)


def pg_namespace(c: Catalog, session: SessionApi) -> Rows:
    owner = roles.by_oid(session, c, OWNER)
    who = privileges.quote_role(owner.name) if owner is not None else str(OWNER)
    # public grants USAGE to PUBLIC, as initdb makes it (pg_dump writes REVOKE otherwise)
    public = [f"{who}=UC/{who}", f"=U/{who}"]
    return [
        (c.schema_oids.get(s, 2200), s, OWNER, public if s == "public" else None) for s in c.schemas
    ]


def _row(cols: list[tuple[str, SqlType]], **values: Any) -> tuple[Any, ...]:
    """A row from named values; unnamed columns get their type's neutral value."""
    out = []
    for name, ty in cols:
        if name in values:
            out.append(values[name])
        elif ty is BOOL:
            out.append(False)
        elif ty.category == "N":
            out.append(0)
        else:
            out.append(None)
    return tuple(out)


PG_CLASS_COLS = [
    ("oid", OIDT),
    ("relname", NAME),
    ("relnamespace", OIDT),
    ("reltype", OIDT),
    ("reloftype", OIDT),
    ("relowner", OIDT),
    ("relam", OIDT),
    ("relfilenode", OIDT),
    ("reltablespace", OIDT),
    ("relpages", I4),
    ("reltuples", T.FLOAT4),
    ("relallvisible", I4),
    ("reltoastrelid", OIDT),
    ("relhasindex", BOOL),
    ("relisshared", BOOL),
    ("relpersistence", CHR),
    ("relkind", CHR),
    ("relnatts", I2),
    ("relchecks", I2),
    ("relhasrules", BOOL),
    ("relhastriggers", BOOL),
    ("relhassubclass", BOOL),
    ("relrowsecurity", BOOL),
    ("relforcerowsecurity", BOOL),
    ("relispopulated", BOOL),
    ("relreplident", CHR),
    ("relispartition", BOOL),
    ("relrewrite", OIDT),
    ("relfrozenxid", OIDT),  # pg_dump reads these two; in PostgreSQL's order (DBeaver: c.*)
    ("relminmxid", OIDT),
    ("relacl", TXT.array_of()),  # aclitem[] in PostgreSQL: db9 has no aclitem type
    ("reloptions", TXT.array_of()),
    ("relpartbound", TXT),
]


def _with_triggers(c: Catalog) -> set[int]:
    """The tables PostgreSQL marks relhastriggers: those with triggers, and both ends of a
    foreign key (its checks are triggers there)."""
    out = {t.id for t in c.tables.values() if t.triggers}
    for t in c.tables.values():
        for con in t.constraints:
            if con.kind == "f" and con.ref_table:
                out.add(t.id)
                schema, _, name = con.ref_table.rpartition(".")
                ref = c.find(name, schema or None, [t.schema])
                if ref is not None:
                    out.add(ref.id)
    return out


def pg_class(c: Catalog, session: SessionApi) -> Rows:
    rows: Rows = []
    triggered = _with_triggers(c)
    for t in _tables(c):
        checks = sum(1 for con in t.constraints if con.kind == "c")
        rows.append(
            _row(
                PG_CLASS_COLS,
                oid=t.id,
                relname=t.name,
                relnamespace=_ns(c, t.schema),
                relowner=t.owner,
                relacl=privileges.acl_items(session, c, t.acl),
                relrowsecurity=t.rls,
                relforcerowsecurity=t.rls_forced,
                relam=2 if t.kind == "table" and t.partkey is None else 0,  # heap; none: no storage
                relfilenode=t.id,
                reltuples=-1.0,
                relhasindex=bool(t.indexes),
                relhastriggers=t.id in triggered,
                relpersistence="t" if temp.is_temp_schema(t.schema) else "p",
                relkind="p"
                if t.partkey is not None
                else "m"
                if t.materialized
                else {"table": "r", "view": "v"}.get(t.kind, "S"),
                relnatts=len(t.live_columns),
                relchecks=checks,
                relhassubclass=any(t.id in o.parents for o in c.tables.values()),
                relispartition=t.bound is not None,
                relpartbound=partition_text.bound_sql(t.bound) if t.bound is not None else None,
                relispopulated=True,
                relreplident=t.replident,
            )
        )
        for i in t.indexes:
            rows.append(
                _row(
                    PG_CLASS_COLS,
                    oid=i.oid,
                    relname=i.name,
                    relnamespace=_ns(c, t.schema),
                    relowner=t.owner,
                    relam=access_methods.METHODS[i.method].oid,
                    relfilenode=i.oid,
                    reloptions=list(i.options) if i.options else None,
                    reltuples=-1.0,
                    relpersistence="p",
                    relkind="I" if t.partkey is not None else "i",
                    relispartition=bool(i.parent_oid),
                    relnatts=len(i.columns),
                    relispopulated=True,
                    relreplident="n",
                )
            )
    for t in c.types.values():
        if t.kind == "composite":  # a composite type's row type is a relation of kind c
            rows.append(
                _row(
                    PG_CLASS_COLS,
                    oid=t.id,
                    relname=t.name,
                    relnamespace=_ns(c, t.schema),
                    relowner=OWNER,
                    reltuples=-1.0,
                    relpersistence="p",
                    relkind="c",
                    reltype=t.id,  # its row type (asyncpg's introspection joins on it)
                    relnatts=len(t.live_columns),
                    relispopulated=True,
                    relreplident="n",
                )
            )
    return rows


def _attrs(t: TableDef) -> list[tuple[int, ColumnDef]]:
    return [(n + 1, col) for n, col in enumerate(t.live_columns)]


_SEQUENCE_ROW = [("last_value", I8), ("log_cnt", I8), ("is_called", BOOL)]


def _plain_attr(
    relid: int,
    name: str,
    ty: SqlType,
    num: int,
    *,
    mod: int,
    not_null: bool = False,
    ndims: int = 0,
    align: str = "i",
) -> tuple[Any, ...]:
    """A pg_attribute row of a column with no default, identity, ACL or options: a sequence's,
    an index key's, a composite type's field (of a domain: the domain's oid)."""
    oid = ty.domain.oid if ty.domain else ty.oid
    return (relid, name, oid, num, not_null, mod, ty.typlen, False, False, "", "", ndims, 0,
            True, True, 0, -1, _storage(ty), align, None, None, "", False, None, None)  # fmt: skip


def pg_attribute(c: Catalog, session: SessionApi) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        if t.kind == "sequence":  # a sequence's one row, as PostgreSQL's relation shows it
            for num, (name, ty) in enumerate(_SEQUENCE_ROW, 1):
                rows.append(_plain_attr(t.id, name, ty, num, not_null=True, mod=-1, align="d"))
            continue
        if t.kind not in ("table", "view"):
            continue
        for num, col in _attrs(t):
            ty = col.type
            ident = {"always": "a", "by default": "d"}.get(col.identity or "", "")
            rows.append(
                (
                    t.id,
                    col.name,
                    ty.domain.oid if ty.domain else ty.oid,
                    num,
                    col.not_null,
                    ty.typmod,
                    ty.typlen,
                    False,
                    (col.default is not None and not col.identity) or col.generated is not None,
                    ident,
                    "s" if col.generated is not None else "",
                    1 if ty.element else 0,
                    collation_oid(ty, col.collation),
                    col.local,
                    True,
                    col.inherited,
                    -1,
                    _storage(ty),
                    "i",
                    None,
                    None,
                    "",
                    False,
                    None,
                    privileges.acl_items(session, c, col.acl),
                )
            )
        for i in t.indexes:
            for n, name in enumerate(i.columns):
                if not name:  # an expression key (sql.index_exprs): not shown
                    continue
                ty = t.column(name).type
                rows.append(_plain_attr(i.oid, name, ty, n + 1, mod=ty.typmod))
    for ct in c.types.values():  # a composite type's fields are its relation's columns
        if ct.kind != "composite":
            continue
        for num, col in _attrs(ct):
            ty = col.type
            rows.append(
                _plain_attr(ct.id, col.name, ty, num, mod=ty.typmod, ndims=int(bool(ty.element)))
            )
    return rows


PG_ATTRIBUTE_COLS = [
    ("attrelid", OIDT),
    ("attname", NAME),
    ("atttypid", OIDT),
    ("attnum", I2),
    ("attnotnull", BOOL),
    ("atttypmod", I4),
    ("attlen", I2),
    ("attisdropped", BOOL),
    ("atthasdef", BOOL),
    ("attidentity", CHR),
    ("attgenerated", CHR),
    ("attndims", I4),
    ("attcollation", OIDT),
    ("attislocal", BOOL),
    ("attisvisible", BOOL),
    ("attinhcount", I4),
    ("attstattarget", I4),  # what pg_dump reads besides
    ("attstorage", CHR),
    ("attalign", CHR),
    ("attoptions", TXT.array_of()),
    ("attfdwoptions", TXT.array_of()),
    ("attcompression", CHR),
    ("atthasmissing", BOOL),
    ("attmissingval", TXT),
    ("attacl", TXT.array_of()),  # aclitem[] in PostgreSQL: psql's \dp, pg_dump
]


def pg_attrdef(c: Catalog) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        for num, col in _attrs(t) if t.kind == "table" else []:
            if col.generated is not None:  # its expression, as pg_get_expr prints it
                rows.append((t.id * 1000 + num, t.id, num, partition_text.deparsed(col.generated)))
            elif col.default is not None and not col.identity:
                rows.append((t.id * 1000 + num, t.id, num, col.default))
    return rows


def pg_enum(c: Catalog) -> Rows:
    return [
        (t.id * 1000 + n, t.id, float(n), label)
        for t in c.types.values()
        if t.kind == "enum"
        for n, label in enumerate(t.type_def["labels"], 1)
    ]


def pg_type(c: Catalog) -> Rows:
    rows: Rows = []
    user = [(t.id, user_types.sql_type(t), t) for t in c.types.values()]
    for oid, t, d in user:
        typtype = {
            "enum": "e", "composite": "c", "domain": "d", "range": "r", "multirange": "m",
            "base": "b",
        }[d.kind]  # fmt: skip
        base = t.oid if d.kind == "domain" else 0
        io = d.type_def.get("io", f"{d.kind}_")  # an extension's type: its functions' names
        rows.append(
            (oid, d.name, _ns(c, d.schema), t.typlen, typtype, t.category, 0,
             d.type_def.get("array_oid", 0), base, -1,
             t.domain.not_null if t.domain else False, oid if d.kind == "composite" else 0,
             ",", True, d.owner, collation_oid(t, None) if d.kind == "domain" else (
                 100 if t.category == "S" else 0), None, f"{io}in", f"{io}out",
             f"{io}recv", f"{io}send", None, _storage(t), "i",
             d.columns[0].default if d.kind == "domain" else None)
        )  # fmt: skip
        if d.kind != "domain" and t.array_oid:  # its array type too (typelem: the type)
            rows.append(
                (t.array_oid, "_" + d.name, _ns(c, d.schema), -1, "b", "A", oid, 0, 0, -1,
                 False, 0, ",", True, d.owner, 100 if t.category == "S" else 0, None,
                 "array_in", "array_out", "array_recv",
                 "array_send", None, "x", "i", None)
            )  # fmt: skip
    for name, (oid, typlen) in pseudo_types.CATALOG.items():  # typinput: anyarray_in, ...
        io = "unknown" if name == "unknown" else f"{name}_"
        rows.append(
            (oid, name, 11, typlen, "p", "X" if name == "unknown" else "P", 0,
             pseudo_types.ARRAYS.get(name, 0), 0, -1, False, 0, ",", True, OWNER, 0, None,
             f"{io}in", f"{io}out", f"{io}recv", f"{io}send", None, "p", "i", None)
        )  # fmt: skip
        if name in pseudo_types.ARRAYS:
            rows.append(
                (pseudo_types.ARRAYS[name], "_" + name, 11, -1, "p" if name == "record" else "b",
                 "P" if name == "record" else "A", oid, 0, 0, -1, False, 0, ",", True, OWNER, 0,
                 None, "array_in", "array_out", "array_recv", "array_send", None, "x", "d", None)
            )  # fmt: skip
    for oid, t in sorted(T.BY_OID.items()):
        elem = t.element.oid if t.element else 0
        typtype = "r" if t.is_range else "m" if t.is_multirange else "b"
        io = {"r": "range_", "m": "multirange_", "b": t.typname}[typtype]
        rows.append(
            (
                oid,
                t.typname,
                11,
                t.typlen,
                typtype,
                t.category,
                elem,
                t.array_oid if not t.element else 0,
                0,
                -1,
                False,
                0,
                ",",
                True,
                OWNER,
                collation_oid(t, None),
                None,
                io + "in",
                io + "out",
                io + "recv",
                io + "send",
                None,
                _storage(t),
                "i",
                None,
            )
        )
    return rows


PG_RANGE_COLS = [
    ("rngtypid", OIDT),
    ("rngsubtype", OIDT),
    ("rngmultitypid", OIDT),
    ("rngcollation", OIDT),
    ("rngsubopc", OIDT),
    ("rngcanonical", T.REGPROC),
    ("rngsubdiff", T.REGPROC),
]


def pg_range(c: Catalog) -> Rows:
    """The range types: rngsubopc is the subtype's default btree class as pg_opclass has it
    (db9's synthetic oids); a CREATE TYPE ... AS RANGE one has no canonical or subdiff."""
    multi = {m.subtype.oid: m.oid for m in T.MULTIRANGES if m.subtype is not None}
    rows: Rows = []
    for r in T.RANGES:
        assert r.subtype is not None
        canonical = f"{r.name}_canonical" if T.range_step(r) is not None else 0
        opc = opclasses.default_btree_oid(r.subtype)
        rows.append((r.oid, r.subtype.oid, multi[r.oid], 0, opc, canonical, f"{r.name}_subdiff"))
    for d in c.types.values():
        if d.kind == "range":
            sub = user_types.sql_type(d).subtype
            multi_oid = int(d.type_def.get("multirange_oid", 0))
            opc = opclasses.default_btree_oid(sub) if sub else 0
            rows.append((d.id, sub.oid if sub else 0, multi_oid, 0, opc, 0, 0))
    return sorted(rows)


def _storage(t: SqlType) -> str:
    """typstorage / attstorage: plain for fixed-width types, extended for varlena ones."""
    return "p" if t.typlen > 0 else "x"


PG_TYPE_COLS = [
    ("oid", OIDT),
    ("typname", NAME),
    ("typnamespace", OIDT),
    ("typlen", I2),
    ("typtype", CHR),
    ("typcategory", CHR),
    ("typelem", OIDT),
    ("typarray", OIDT),
    ("typbasetype", OIDT),
    ("typtypmod", I4),
    ("typnotnull", BOOL),
    ("typrelid", OIDT),
    ("typdelim", CHR),
    ("typisdefined", BOOL),
    ("typowner", OIDT),
    ("typcollation", OIDT),
    ("typdefault", TXT),
    ("typinput", TXT),
    ("typoutput", TXT),
    ("typreceive", TXT),
    ("typsend", TXT),
    ("typacl", TXT.array_of()),
    ("typstorage", CHR),
    ("typalign", CHR),
    ("typdefaultbin", TXT),
]


PG_INDEX_COLS = [
    ("indexrelid", OIDT),
    ("indrelid", OIDT),
    ("indnatts", I2),
    ("indnkeyatts", I2),
    ("indisunique", BOOL),
    ("indnullsnotdistinct", BOOL),
    ("indisprimary", BOOL),
    ("indisexclusion", BOOL),
    ("indimmediate", BOOL),
    ("indisclustered", BOOL),
    ("indisvalid", BOOL),
    ("indcheckxmin", BOOL),
    ("indisready", BOOL),
    ("indislive", BOOL),
    ("indisreplident", BOOL),
    ("indkey", T.INT2VECTOR),
    ("indcollation", TXT),
    ("indclass", T.OIDVECTOR),
    ("indoption", T.INT2VECTOR),
    ("indexprs", TXT),
    ("indpred", TXT),
]


def pg_index(c: Catalog) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        names = [col.name for col in t.live_columns]
        for i in t.indexes:
            # key columns, then INCLUDE columns (indnatts of them; indclass: the keys')
            keys = [names.index(col) + 1 if col else 0 for col in [*i.columns, *i.include]]
            rows.append(
                _row(
                    PG_INDEX_COLS,
                    indexrelid=i.oid,
                    indrelid=t.id,
                    indnatts=len(i.columns) + len(i.include),
                    indnkeyatts=len(i.columns),
                    indisunique=i.unique,
                    indisprimary=i.primary,
                    indisexclusion=any(k.kind == "x" and k.index == i.name for k in t.constraints),
                    indimmediate=not any(k.index == i.name and k.deferrable for k in t.constraints),
                    indisclustered=i.clustered,
                    indisreplident=i.replident,
                    indisvalid=True,
                    indisready=True,
                    indislive=True,
                    indkey=keys,
                    indclass=opclasses.key_classes(t, i, c.extensions),
                    indexprs=", ".join(e for e in i.exprs if e) or None,
                    indpred=i.predicate,
                    # INDOPTION_DESC | INDOPTION_NULLS_FIRST: DESC sorts NULLs first by default
                    indoption=[3 if d else 0 for d in i.descending] or [0] * len(i.columns),
                )
            )
    return rows


def pg_constraint(c: Catalog) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        names = [col.name for col in t.live_columns]
        for con in t.constraints:
            keys = [names.index(x) + 1 for x in con.columns if x in names]
            fkeys: list[int] = []
            ref_oid = 0
            ref_index = None
            if con.kind == "f" and con.ref_table:
                schema, _, rel = con.ref_table.partition(".")
                parent = c.find(rel, schema, [])
                if parent is not None:
                    ref_oid = parent.id
                    pnames = [col.name for col in parent.live_columns]
                    fkeys = [pnames.index(x) + 1 for x in con.ref_columns if x in pnames]
                    # the referenced key's unique index, which the FK depends on
                    key = set(con.ref_columns)
                    ref_index = next(
                        (i for i in sorted(parent.indexes, key=lambda i: not i.primary)
                         if i.unique and not i.computed and set(i.columns) == key),
                        None,
                    )  # fmt: skip
            index = t.index(con.index) if con.index else ref_index
            action = {"CASCADE": "c", "SET NULL": "n", "RESTRICT": "r", "SET DEFAULT": "d"}
            rows.append(
                _row(
                    PG_CONSTRAINT_COLS,
                    oid=con.oid,
                    conname=con.name,
                    connamespace=_ns(c, t.schema),
                    contype=con.kind,
                    condeferrable=con.deferrable,
                    condeferred=con.deferred,
                    convalidated=con.validated,
                    conrelid=t.id,
                    conindid=index.oid if index else 0,
                    confrelid=ref_oid,
                    confupdtype=action.get(con.on_update, "a") if con.kind == "f" else " ",
                    confdeltype=action.get(con.on_delete, "a") if con.kind == "f" else " ",
                    confmatchtype="s" if con.kind == "f" else " ",
                    conkey=keys or None,
                    confkey=fkeys or None,
                    consrc=con.check,
                    condef=constraint_def(con, table=t),
                    conislocal=con.local,
                    coninhcount=int(con.inherited),
                    connoinherit=con.no_inherit,
                )
            )
    for t in c.types.values():  # a domain's CHECKs
        for con in t.constraints:
            rows.append(
                _row(
                    PG_CONSTRAINT_COLS,
                    oid=con.oid,
                    conname=con.name,
                    connamespace=_ns(c, t.schema),
                    contype=con.kind,
                    convalidated=True,
                    contypid=t.id,
                    confupdtype=" ",
                    confdeltype=" ",
                    confmatchtype=" ",
                    consrc=con.check,
                    condef=f"CHECK ({con.check})",
                )
            )
    return rows


PG_CONSTRAINT_COLS = [
    ("oid", OIDT),
    ("conname", NAME),
    ("connamespace", OIDT),
    ("contype", CHR),
    ("condeferrable", BOOL),
    ("condeferred", BOOL),
    ("convalidated", BOOL),
    ("conrelid", OIDT),
    ("contypid", OIDT),
    ("conindid", OIDT),
    ("confrelid", OIDT),
    ("confupdtype", CHR),
    ("confdeltype", CHR),
    ("confmatchtype", CHR),
    ("conkey", I2.array_of()),
    ("confkey", I2.array_of()),
    ("consrc", TXT),
    ("condef", TXT),
    ("conislocal", BOOL),
    ("conparentid", OIDT),
    ("coninhcount", I4),
    ("connoinherit", BOOL),
]


def pg_inherits(c: Catalog) -> Rows:
    tables = [
        (t.id, parent, n + 1, False) for t in _tables(c) for n, parent in enumerate(t.parents)
    ]
    return [*tables, *partition_indexes.inherits_rows(c)]


def pg_partitioned_table(c: Catalog) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        if t.partkey is None:
            continue
        names = [col.name for col in t.live_columns]
        attrs = [names.index(k) + 1 if k in names else 0 for k in t.partkey["keys"]]
        default = next((o.id for o in c.children(t) if (o.bound or {}).get("kind") == "default"), 0)
        rows.append((t.id, t.partkey["strategy"][0], len(attrs), default, attrs, [0] * len(attrs)))
    return rows


PG_DATABASE_COLS = [
    ("oid", OIDT),
    ("datname", NAME),
    ("datdba", OIDT),
    ("encoding", I4),
    ("datlocprovider", CHR),
    ("datistemplate", BOOL),
    ("datallowconn", BOOL),
    ("datconnlimit", I4),
    ("datcollate", TXT),
    ("datctype", TXT),
    ("daticulocale", TXT),
    ("datcollversion", TXT),
    ("datacl", TXT.array_of()),
    ("datfrozenxid", OIDT),
    ("datminmxid", OIDT),
    ("dattablespace", OIDT),
]


def pg_database(c: Catalog, session: SessionApi) -> Rows:
    """The databases the session's login sees (sql.databases); without a directory, the one
    it is connected to."""
    directory = getattr(session, "directory", None)
    if directory is None:
        infos = [DatabaseInfo(5, session.info("current_database"))]
    else:
        infos = directory.list()
    out = []
    for info in infos:
        owner = roles.find(session, c, info.owner) if info.owner else None
        out.append(
            _row(
                PG_DATABASE_COLS,
                oid=info.oid,
                datname=info.name,
                datdba=owner.oid if owner is not None else OWNER,
                encoding=UTF8,
                datlocprovider="c",
                datistemplate=info.is_template,
                datallowconn=info.allow_connections,
                datconnlimit=info.conn_limit,
                datcollate="C",
                datctype="C",
            )
        )
    return out


def pg_roles(c: Catalog, session: SessionApi) -> Rows:
    return [
        (r.oid, r.name, r.superuser, r.inherit, r.createrole, r.createdb, r.login,
         r.replication, r.connlimit, "********" if r.password or r.oid == OWNER else None,
         None, r.bypassrls, None)
        for r in roles.all_roles(session, c)
    ]  # fmt: skip


PG_USER_COLS = [
    ("usename", NAME),
    ("usesysid", OIDT),
    ("usecreatedb", BOOL),
    ("usesuper", BOOL),
    ("userepl", BOOL),
    ("usebypassrls", BOOL),
    ("passwd", TXT),
    ("valuntil", T.TIMESTAMPTZ),
    ("useconfig", TXT.array_of()),
]


def pg_user(c: Catalog, session: SessionApi) -> Rows:
    """The pg_user view: the roles that can log in, their password hidden."""
    return [
        (r.name, r.oid, r.createdb, r.superuser, r.replication, r.bypassrls, "********", None,
         None)
        for r in roles.all_roles(session, c)
        if r.login
    ]  # fmt: skip


def pg_authid(c: Catalog, session: SessionApi) -> Rows:
    """pg_authid has pg_roles' columns (its own order: oid is first) and, for a superuser
    as in PostgreSQL, the SCRAM verifier a role's password is kept as."""
    kept = {r.oid: r.password for r in c.roles.values()} if roles.is_superuser(session) else {}
    return [(*row[:8], row[11], row[8], kept.get(row[0]), row[10])
            for row in pg_roles(c, session)]  # fmt: skip


def pg_default_acl(c: Catalog, session: SessionApi) -> Rows:
    """ALTER DEFAULT PRIVILEGES' entries (sql.grants.alter_default)."""
    return [(oid, role, c.schema_oids.get(schema, 0) if schema else 0, objtype,
             privileges.acl_items(session, c, acl))
            for role, schema, objtype, acl, oid in c.default_acls]  # fmt: skip


def pg_auth_members(c: Catalog, session: SessionApi) -> Rows:
    return [(m[0], r.oid, m[2], bool(m[1])) for r in c.roles.values() for m in r.member_of]


PG_ROLES_COLS = [
    ("oid", OIDT),
    ("rolname", NAME),
    ("rolsuper", BOOL),
    ("rolinherit", BOOL),
    ("rolcreaterole", BOOL),
    ("rolcreatedb", BOOL),
    ("rolcanlogin", BOOL),
    ("rolreplication", BOOL),
    ("rolconnlimit", I4),
    ("rolpassword", TXT),
    ("rolvaliduntil", T.TIMESTAMPTZ),
    ("rolbypassrls", BOOL),
    ("rolconfig", TXT),
]

PG_AUTHID_COLS = [
    *PG_ROLES_COLS[:8],
    ("rolbypassrls", BOOL),
    ("rolconnlimit", I4),
    ("rolpassword", TXT),
    ("rolvaliduntil", T.TIMESTAMPTZ),
]


def pg_prepared_statements(c: Catalog, session: SessionApi) -> Rows:
    """The session's named prepared statements (sql.prepared.Prepared)."""
    return [
        (name, p.text, p.prepared_at, [t.display() for t in p.param_types], p.from_sql, 0, 0)
        for name, p in session.prepared.items()
    ]


def pg_cursors_rows(c: Catalog, session: SessionApi) -> Rows:
    return cursors.pg_cursors(session.cursors)


def pg_locks(c: Catalog, session: SessionApi) -> Rows:
    """The advisory locks of the session's database, held and awaited, on every node (other
    lock types are not listed)."""
    rows: Rows = []
    for r in session.advisory.table.rows():
        since = (
            dt.datetime.fromtimestamp(r.wait_start_ms / 1000, dt.UTC)
            if r.wait_start_ms is not None
            else None
        )
        rows.append(
            ("advisory", 5, None, None, None, None, None, r.tag.classid, r.tag.objid,
             r.tag.objsubid, r.vxid, r.pid, r.mode, r.granted, False, since)
        )  # fmt: skip
    return rows


def pg_settings(c: Catalog, session: SessionApi) -> Rows:
    rows: Rows = []
    for k, v in sorted(session.settings.items()):
        if k in TIME_SETTINGS:  # the raw number in its unit, as PostgreSQL lists it
            ms = str(parse_time_ms(k, v))
            rows.append((k, ms, "ms", "Ungrouped", "", "user", "integer", "default", "0",
                         "2147483647"))  # fmt: skip
        else:
            rows.append((k, v, None, "Ungrouped", "", "user", "string", "default", None, None))
    return rows


def pg_tables(c: Catalog) -> Rows:
    return [
        (t.schema, t.name, "postgres", None, bool(t.indexes), False, False, False)
        for t in _tables(c)
        if t.kind == "table"
    ]


def pg_indexes(c: Catalog) -> Rows:
    return [
        (t.schema, t.name, i.name, None, index_def(t, i)) for t in _tables(c) for i in t.indexes
    ]


_SEQ_TYPE_OIDS = {"smallint": 21, "integer": 23, "bigint": 20}
_SEQ_PRECISION = {"smallint": 16, "integer": 32, "bigint": 64}


def pg_sequence(c: Catalog) -> Rows:
    return [
        (
            t.id,
            _SEQ_TYPE_OIDS[t.seq.get("type", "bigint")],
            t.seq.get("start", 1),
            t.seq.get("increment", 1),
            t.seq.get("max"),
            t.seq.get("min"),
            t.seq.get("cache", 1),
            bool(t.seq.get("cycle")),
        )
        for t in _tables(c)
        if t.kind == "sequence"
    ]


def pg_sequences(c: Catalog, session: SessionApi) -> Rows:
    """The pg_sequences view: each sequence's options and last_value (NULL until a first
    nextval, as is_called says)."""
    rows: Rows = []
    for t in _tables(c):
        if t.kind != "sequence":
            continue
        last, _, called = session.database.sequences.state(t)
        rows.append((
            t.schema, t.name, "postgres", t.seq.get("type", "bigint"), t.seq.get("start", 1),
            t.seq.get("min"), t.seq.get("max"), t.seq.get("increment", 1),
            bool(t.seq.get("cycle")), t.seq.get("cache", 1), last if called else None,
        ))  # fmt: skip
    return rows


def pg_opclass(c: Catalog) -> Rows:
    return opclasses.rows(c.extensions, OWNER)


def pg_am(c: Catalog) -> Rows:
    return [
        (2, "heap", "t", 0),
        *((m.oid, m.name, "i", 0) for m in access_methods.methods(c.extensions)),
    ]


PG_PROC_COLS = [
    ("oid", OIDT),
    ("proname", NAME),
    ("pronamespace", OIDT),
    ("proowner", OIDT),
    ("prolang", OIDT),
    ("procost", T.FLOAT4),
    ("prorows", T.FLOAT4),
    ("provariadic", OIDT),
    ("prosupport", T.REGPROC),
    ("prokind", CHR),
    ("prosecdef", BOOL),
    ("proleakproof", BOOL),
    ("proisstrict", BOOL),
    ("proretset", BOOL),
    ("provolatile", CHR),
    ("proparallel", CHR),
    ("pronargs", I2),
    ("pronargdefaults", I2),
    ("prorettype", OIDT),
    ("proargtypes", T.OIDVECTOR),
    ("proallargtypes", OIDT.array_of()),
    ("proargmodes", CHR.array_of()),
    ("proargnames", TXT.array_of()),
    ("prosrc", TXT),
    ("probin", TXT),
    ("proacl", TXT.array_of()),
    ("proconfig", TXT.array_of()),
    ("protrftypes", OIDT.array_of()),
]
_LANGUAGE_OIDS = {"sql": 14, "plpgsql": 13576}


def pg_proc(c: Catalog) -> Rows:
    """User-defined functions and procedures (db9's built-in functions have no rows)."""
    rows: Rows = []
    for r in sorted(c.routines.values(), key=lambda r: r.oid):
        ins = routine_types.in_types(r)
        all_types = [routine_types.arg_type(a.type).oid for a in r.args]
        modes = [a.mode for a in r.args]
        rows.append(
            _row(
                PG_PROC_COLS,
                oid=r.oid,
                proname=r.name,
                pronamespace=_ns(c, r.schema),
                proowner=r.owner,
                prolang=_LANGUAGE_OIDS.get(r.language, 14),
                procost=100.0,
                prorows=1000.0 if r.retset else 0.0,
                prokind=r.kind,
                proisstrict=r.strict,
                proretset=r.retset,
                provolatile=r.volatility,
                proparallel="u",
                pronargs=len(ins),
                pronargdefaults=sum(1 for a in r.in_args if a.default is not None),
                prorettype=routine_types.result_type(r).oid if r.returns != "trigger" else 2279,
                proargtypes=[t.oid for t in ins],
                proallargtypes=all_types if any(m != "i" for m in modes) else None,
                proargmodes=modes if any(m != "i" for m in modes) else None,
                proargnames=[a.name for a in r.args] if any(a.name for a in r.args) else None,
                prosrc=r.body if not r.atomic else "",
            )
        )
    for f in extension_catalog.functions(c):  # built in: C functions, as their symbol
        rows.append(
            _row(PG_PROC_COLS, oid=f.oid, proname=f.name, pronamespace=_ns(c, f.schema),
                 proowner=OWNER, prolang=13, procost=1.0, prorows=1000.0 if f.retset else 0.0,
                 prokind="f", proisstrict=True, proretset=f.retset, provolatile=f.volatility,
                 proparallel="s", pronargs=len(f.arg_types), prorettype=f.result,
                 proargtypes=f.arg_types, proargnames=f.arg_names if any(f.arg_names) else None,
                 prosrc=f.name, probin="$libdir/" + f.extension)
        )  # fmt: skip
    return rows


PG_TRIGGER_COLS = [
    ("oid", OIDT),
    ("tgrelid", OIDT),
    ("tgparentid", OIDT),
    ("tgname", NAME),
    ("tgfoid", OIDT),
    ("tgtype", I2),
    ("tgenabled", CHR),
    ("tgisinternal", BOOL),
    ("tgconstrrelid", OIDT),
    ("tgconstrindid", OIDT),
    ("tgconstraint", OIDT),
    ("tgdeferrable", BOOL),
    ("tginitdeferred", BOOL),
    ("tgnargs", I2),
    ("tgattr", T.INT2VECTOR),
    ("tgqual", TXT),
]
# PostgreSQL's TRIGGER_TYPE_* bits of pg_trigger.tgtype.
_TG_BITS = {"row": 1, "before": 2, "insert": 4, "delete": 8, "update": 16, "truncate": 32,
            "instead": 64}  # fmt: skip


def pg_trigger(c: Catalog) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        attnums = {col.name: col.attnum for col in t.columns}
        for tr in t.triggers:
            bits = sum(_TG_BITS[e] for e in tr.events) | _TG_BITS.get(tr.timing, 0)
            rows.append(
                _row(
                    PG_TRIGGER_COLS,
                    oid=tr.oid,
                    tgrelid=t.id,
                    tgname=tr.name,
                    tgfoid=tr.function,
                    tgtype=bits | (_TG_BITS["row"] if tr.row else 0),
                    tgenabled="O" if tr.enabled else "D",
                    tgnargs=len(tr.args),
                    tgattr=[attnums[n] for n in tr.columns if n in attnums],
                    tgqual=tr.when,
                )
            )
    return rows


def empty(_c: Catalog) -> Rows:
    return []


# -- information_schema -------------------------------------------------------------------------


def _data_type(t: SqlType) -> str:
    if t.element is not None:
        return "ARRAY"
    return t.name


def is_tables(c: Catalog, session: SessionApi) -> Rows:
    kinds = {"table": ("BASE TABLE", "YES", "NO"), "view": ("VIEW", "NO", "NO")}
    return [
        (session.database.name, t.schema, t.name,
         "LOCAL TEMPORARY" if temp.is_temp_schema(t.schema)
         else kinds[t.kind][0],
         "YES" if t.kind == "view" and view_update.updatable(t) else kinds[t.kind][1],
         kinds[t.kind][2])
        for t in _tables(c)
        if t.kind in kinds and not t.materialized and not temp.is_other_sessions(session, t.schema)
    ]  # fmt: skip


def is_views(c: Catalog, session: SessionApi) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        if t.kind != "view":
            continue
        auto = "YES" if view_update.updatable(t) else "NO"
        instead = {e for tr in t.triggers if tr.timing == "instead" for e in tr.events}
        rows.append(
            (session.database.name, t.schema, t.name, views.definition(t),
             (t.check_option or "none").upper(), auto, auto,
             "YES" if "update" in instead else "NO", "YES" if "delete" in instead else "NO",
             "YES" if "insert" in instead else "NO")
        )  # fmt: skip
    return rows


def is_triggers(c: Catalog, session: SessionApi) -> Rows:
    """information_schema.triggers: a row per trigger and event."""
    rows: Rows = []
    for t in _tables(c):
        for tr in t.triggers:
            fn = c.routines.get(tr.function)
            statement = trigger_defs.action_statement(tr, fn.name if fn else "?")
            for event in ("insert", "delete", "update"):
                if event not in tr.events:
                    continue
                order = 1 + sum(
                    1
                    for o in t.triggers
                    if event in o.events
                    and (o.timing, o.row) == (tr.timing, tr.row)
                    and o.name < tr.name
                )
                rows.append(
                    (session.database.name, t.schema, tr.name, event.upper(),
                     session.database.name, t.schema, t.name, order,
                     trigger_defs.condition(tr, pretty=False), statement,
                     "ROW" if tr.row else "STATEMENT",
                     {"before": "BEFORE", "after": "AFTER", "instead": "INSTEAD OF"}[tr.timing],
                     None, None, "OLD", "NEW", None)
                )  # fmt: skip
    return rows


def pg_views(c: Catalog) -> Rows:
    return [(t.schema, t.name, "postgres", views.definition(t)) for t in _tables(c)
            if t.kind == "view"]  # fmt: skip


def pg_matviews(c: Catalog) -> Rows:
    return [(t.schema, t.name, "postgres", None, bool(t.indexes), t.populated,
             views.definition(t)) for t in _tables(c) if t.materialized]  # fmt: skip


def is_columns(c: Catalog, session: SessionApi) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        if t.kind not in ("table", "view") or t.materialized:  # as information_schema's
            continue
        for num, col in _attrs(t):
            ty = col.type
            precision = {
                "smallint": 16,
                "integer": 32,
                "bigint": 64,
                "real": 24,
                "double precision": 53,
            }.get(ty.name, ty.precision)
            radix = (
                2
                if ty.name in ("smallint", "integer", "bigint", "real", "double precision")
                else (10 if ty.name == "numeric" else None)
            )
            scale = 0 if ty.name in ("smallint", "integer", "bigint") else ty.scale
            rows.append(
                (
                    session.database.name,
                    t.schema,
                    t.name,
                    col.name,
                    num,
                    None
                    if col.identity or col.default is None
                    else regclass_text.shown(col.default, c, session.search_path()),
                    "NO" if col.not_null else "YES",
                    _data_type(ty),
                    ty.length,
                    precision,
                    radix,
                    scale,
                    ty.typname,
                    "YES" if col.identity else "NO",
                    col.identity.upper() if col.identity else None,
                    "YES",
                )
            )
    return rows


IS_COLUMNS_COLS = [
    ("table_catalog", NAME),
    ("table_schema", NAME),
    ("table_name", NAME),
    ("column_name", NAME),
    ("ordinal_position", I4),
    ("column_default", TXT),
    ("is_nullable", TXT),
    ("data_type", TXT),
    ("character_maximum_length", I4),
    ("numeric_precision", I4),
    ("numeric_precision_radix", I4),
    ("numeric_scale", I4),
    ("udt_name", NAME),
    ("is_identity", TXT),
    ("identity_generation", TXT),
    ("is_updatable", TXT),
]

_CONTYPE = {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY", "c": "CHECK"}


def is_table_constraints(c: Catalog, session: SessionApi) -> Rows:
    return [
        (
            session.database.name,
            t.schema,
            con.name,
            session.database.name,
            t.schema,
            t.name,
            _CONTYPE[con.kind],
            "YES" if con.deferrable else "NO",
            "YES" if con.deferred else "NO",
            "YES",
        )
        for t in _tables(c)
        for con in t.constraints
        if con.kind in _CONTYPE
    ] + info_schema.table_constraints_not_null(c, session)


def is_key_column_usage(c: Catalog, session: SessionApi) -> Rows:
    rows: Rows = []
    for t in _tables(c):
        for con in t.constraints:
            if con.kind not in ("p", "u", "f"):
                continue
            unique = info_schema.referenced_unique(c, t, con) if con.kind == "f" else None
            for n, col in enumerate(con.columns):
                rows.append(
                    (
                        session.database.name,
                        t.schema,
                        con.name,
                        session.database.name,
                        t.schema,
                        t.name,
                        col,
                        n + 1,
                        # the referenced column's place in the key it references
                        unique.columns.index(con.ref_columns[n]) + 1 if unique else None,
                    )
                )
    return rows


def is_schemata(c: Catalog, session: SessionApi) -> Rows:
    return [(session.database.name, s, "postgres") for s in c.schemas]


def is_sequences(c: Catalog, session: SessionApi) -> Rows:
    return [
        (
            session.database.name,
            t.schema,
            t.name,
            t.seq.get("type", "bigint"),
            _SEQ_PRECISION[t.seq.get("type", "bigint")],
            2,
            0,
            str(t.seq.get("start", 1)),
            str(t.seq.get("min")),
            str(t.seq.get("max")),
            str(t.seq.get("increment", 1)),
            "YES" if t.seq.get("cycle") else "NO",
        )
        for t in _tables(c)
        if t.kind == "sequence"
    ]


Builder = Callable[..., Rows]
RELATIONS: dict[tuple[str, str], tuple[list[tuple[str, SqlType]], Builder, bool]] = {
    ("pg_catalog", "pg_namespace"): (
        [("oid", OIDT), ("nspname", NAME), ("nspowner", OIDT), ("nspacl", TXT.array_of())],
        pg_namespace,
        True,
    ),
    ("pg_catalog", "pg_class"): (PG_CLASS_COLS, pg_class, True),
    ("pg_catalog", "pg_attribute"): (PG_ATTRIBUTE_COLS, pg_attribute, True),
    ("pg_catalog", "pg_attrdef"): (
        [("oid", OIDT), ("adrelid", OIDT), ("adnum", I2), ("adbin", TXT)],
        pg_attrdef,
        False,
    ),
    ("pg_catalog", "pg_type"): (PG_TYPE_COLS, pg_type, False),
    ("pg_catalog", "pg_index"): (PG_INDEX_COLS, pg_index, False),
    ("pg_catalog", "pg_constraint"): (PG_CONSTRAINT_COLS, pg_constraint, False),
    ("pg_catalog", "pg_inherits"): (
        [("inhrelid", OIDT), ("inhparent", OIDT), ("inhseqno", I4), ("inhdetachpending", BOOL)],
        pg_inherits,
        False,
    ),
    ("pg_catalog", "pg_partitioned_table"): (
        [
            ("partrelid", OIDT),
            ("partstrat", CHR),
            ("partnatts", I2),
            ("partdefid", OIDT),
            ("partattrs", T.INT2VECTOR),
            ("partclass", T.OIDVECTOR),
        ],
        pg_partitioned_table,
        False,
    ),
    ("pg_catalog", "pg_database"): (PG_DATABASE_COLS, pg_database, True),
    ("pg_catalog", "pg_roles"): (PG_ROLES_COLS, pg_roles, True),
    ("pg_catalog", "pg_user"): (PG_USER_COLS, pg_user, True),
    ("pg_catalog", "pg_authid"): (PG_AUTHID_COLS, pg_authid, True),
    ("pg_catalog", "pg_default_acl"): (
        [
            ("oid", OIDT),
            ("defaclrole", OIDT),
            ("defaclnamespace", OIDT),
            ("defaclobjtype", CHR),
            ("defaclacl", TXT.array_of()),
        ],
        pg_default_acl,
        True,
    ),
    ("pg_catalog", "pg_auth_members"): (
        [("roleid", OIDT), ("member", OIDT), ("grantor", OIDT), ("admin_option", BOOL)],
        pg_auth_members,
        True,
    ),
    ("pg_catalog", "pg_prepared_statements"): (
        [
            ("name", TXT),
            ("statement", TXT),
            ("prepare_time", T.TIMESTAMPTZ),
            ("parameter_types", T.REGTYPE.array_of()),
            ("from_sql", BOOL),
            ("generic_plans", I8),
            ("custom_plans", I8),
        ],
        pg_prepared_statements,
        True,
    ),
    ("pg_catalog", "pg_cursors"): (
        [
            ("name", TXT),
            ("statement", TXT),
            ("is_holdable", BOOL),
            ("is_binary", BOOL),
            ("is_scrollable", BOOL),
            ("creation_time", T.TIMESTAMPTZ),
        ],
        pg_cursors_rows,
        True,
    ),
    ("pg_catalog", "pg_locks"): (
        [
            ("locktype", TXT),
            ("database", OIDT),
            ("relation", OIDT),
            ("page", I4),
            ("tuple", I2),
            ("virtualxid", TXT),
            ("transactionid", T.INT8),  # xid: not a type of db9
            ("classid", OIDT),
            ("objid", OIDT),
            ("objsubid", I2),
            ("virtualtransaction", TXT),
            ("pid", I4),
            ("mode", TXT),
            ("granted", BOOL),
            ("fastpath", BOOL),
            ("waitstart", T.TIMESTAMPTZ),
        ],
        pg_locks,
        True,
    ),
    ("pg_catalog", "pg_settings"): (
        [
            ("name", TXT),
            ("setting", TXT),
            ("unit", TXT),
            ("category", TXT),
            ("short_desc", TXT),
            ("context", TXT),
            ("vartype", TXT),
            ("source", TXT),
            ("min_val", TXT),
            ("max_val", TXT),
        ],
        pg_settings,
        True,
    ),
    ("pg_catalog", "pg_tables"): (
        [
            ("schemaname", NAME),
            ("tablename", NAME),
            ("tableowner", NAME),
            ("tablespace", NAME),
            ("hasindexes", BOOL),
            ("hasrules", BOOL),
            ("hastriggers", BOOL),
            ("rowsecurity", BOOL),
        ],
        pg_tables,
        False,
    ),
    ("pg_catalog", "pg_indexes"): (
        [
            ("schemaname", NAME),
            ("tablename", NAME),
            ("indexname", NAME),
            ("tablespace", NAME),
            ("indexdef", TXT),
        ],
        pg_indexes,
        False,
    ),
    ("pg_catalog", "pg_sequence"): (
        [
            ("seqrelid", OIDT),
            ("seqtypid", OIDT),
            ("seqstart", I8),
            ("seqincrement", I8),
            ("seqmax", I8),
            ("seqmin", I8),
            ("seqcache", I8),
            ("seqcycle", BOOL),
        ],
        pg_sequence,
        False,
    ),
    ("pg_catalog", "pg_sequences"): (
        [
            ("schemaname", NAME),
            ("sequencename", NAME),
            ("sequenceowner", NAME),
            ("data_type", T.REGTYPE),
            ("start_value", I8),
            ("min_value", I8),
            ("max_value", I8),
            ("increment_by", I8),
            ("cycle", BOOL),
            ("cache_size", I8),
            ("last_value", I8),
        ],
        pg_sequences,
        True,
    ),
    ("pg_catalog", "pg_am"): (
        [("oid", OIDT), ("amname", NAME), ("amtype", CHR), ("amhandler", OIDT)],
        pg_am,
        False,
    ),
    ("pg_catalog", "pg_description"): (
        [("objoid", OIDT), ("classoid", OIDT), ("objsubid", I4), ("description", TXT)],
        comments.descriptions,
        False,
    ),
    ("pg_catalog", "pg_opclass"): (
        [
            ("oid", OIDT),
            ("opcmethod", OIDT),
            ("opcname", NAME),
            ("opcnamespace", OIDT),
            ("opcdefault", BOOL),
            ("opcintype", OIDT),
            ("opcowner", OIDT),
            ("opcfamily", OIDT),
            ("opckeytype", OIDT),
        ],
        pg_opclass,
        False,
    ),
    ("pg_catalog", "pg_statistic_ext"): (
        [
            ("oid", OIDT),
            ("stxrelid", OIDT),
            ("stxname", NAME),
            ("stxnamespace", OIDT),
            ("stxowner", OIDT),
            ("stxstattarget", I4),
            ("stxkeys", TXT),
            ("stxkind", CHR.array_of()),
        ],
        empty,
        False,
    ),
    ("pg_catalog", "pg_publication"): (
        [
            ("oid", OIDT),
            ("pubname", NAME),
            ("pubowner", OIDT),
            ("puballtables", BOOL),
            ("pubinsert", BOOL),
            ("pubupdate", BOOL),
            ("pubdelete", BOOL),
            ("pubtruncate", BOOL),
            ("pubviaroot", BOOL),
        ],
        empty,
        False,
    ),
    ("pg_catalog", "pg_publication_namespace"): (
        [("oid", OIDT), ("pnpubid", OIDT), ("pnnspid", OIDT)],
        empty,
        False,
    ),
    ("pg_catalog", "pg_publication_rel"): (
        [
            ("oid", OIDT),
            ("prpubid", OIDT),
            ("prrelid", OIDT),
            ("prqual", TXT),
            ("prattrs", I2.array_of()),
        ],
        empty,
        False,
    ),
    ("pg_catalog", "pg_enum"): (
        [("oid", OIDT), ("enumtypid", OIDT), ("enumsortorder", T.FLOAT4), ("enumlabel", NAME)],
        pg_enum,
        False,
    ),
    ("pg_catalog", "pg_range"): (PG_RANGE_COLS, pg_range, False),
    ("pg_catalog", "pg_extension"): (extensions.COLS, extensions.pg_extension, False),
    ("pg_catalog", "pg_available_extensions"): (
        extensions.AVAILABLE_COLS,
        extensions.pg_available_extensions,
        False,
    ),
    ("pg_catalog", "pg_available_extension_versions"): (
        extensions.VERSIONS_COLS,
        extensions.pg_available_extension_versions,
        False,
    ),
    ("pg_catalog", "pg_trigger"): (PG_TRIGGER_COLS, pg_trigger, False),
    ("pg_catalog", "pg_policy"): (
        [
            ("oid", OIDT),
            ("polname", NAME),
            ("polrelid", OIDT),
            ("polcmd", CHR),
            ("polpermissive", BOOL),
            ("polroles", OIDT.array_of()),
            ("polqual", TXT),
            ("polwithcheck", TXT),
        ],
        empty,
        False,
    ),
    ("pg_catalog", "pg_collation"): (
        [
            ("oid", OIDT),
            ("collname", NAME),
            ("collnamespace", OIDT),
            ("collowner", OIDT),
            ("collprovider", CHR),
            ("collisdeterministic", BOOL),
            ("collencoding", I4),
            ("collcollate", TXT),
            ("collctype", TXT),
            ("colliculocale", TXT),
            ("collversion", TXT),
        ],
        lambda _c: COLLATIONS,
        False,
    ),
    ("pg_catalog", "pg_proc"): (PG_PROC_COLS, pg_proc, False),
    ("information_schema", "tables"): (
        [
            ("table_catalog", NAME),
            ("table_schema", NAME),
            ("table_name", NAME),
            ("table_type", TXT),
            ("is_insertable_into", TXT),
            ("is_typed", TXT),
        ],
        is_tables,
        True,
    ),
    ("information_schema", "columns"): (IS_COLUMNS_COLS, is_columns, True),
    ("information_schema", "triggers"): (
        [
            ("trigger_catalog", NAME),
            ("trigger_schema", NAME),
            ("trigger_name", NAME),
            ("event_manipulation", TXT),
            ("event_object_catalog", NAME),
            ("event_object_schema", NAME),
            ("event_object_table", NAME),
            ("action_order", I4),
            ("action_condition", TXT),
            ("action_statement", TXT),
            ("action_orientation", TXT),
            ("action_timing", TXT),
            ("action_reference_old_table", NAME),
            ("action_reference_new_table", NAME),
            ("action_reference_old_row", NAME),
            ("action_reference_new_row", NAME),
            ("created", T.TIMESTAMPTZ),
        ],
        is_triggers,
        True,
    ),
    ("information_schema", "views"): (
        [
            ("table_catalog", NAME),
            ("table_schema", NAME),
            ("table_name", NAME),
            ("view_definition", TXT),
            ("check_option", TXT),
            ("is_updatable", TXT),
            ("is_insertable_into", TXT),
            ("is_trigger_updatable", TXT),
            ("is_trigger_deletable", TXT),
            ("is_trigger_insertable_into", TXT),
        ],
        is_views,
        True,
    ),
    ("pg_catalog", "pg_matviews"): (
        [
            ("schemaname", NAME),
            ("matviewname", NAME),
            ("matviewowner", NAME),
            ("tablespace", NAME),
            ("hasindexes", BOOL),
            ("ispopulated", BOOL),
            ("definition", TXT),
        ],
        pg_matviews,
        False,
    ),
    ("pg_catalog", "pg_views"): (
        [("schemaname", NAME), ("viewname", NAME), ("viewowner", NAME), ("definition", TXT)],
        pg_views,
        False,
    ),
    ("information_schema", "table_constraints"): (
        [
            ("constraint_catalog", NAME),
            ("constraint_schema", NAME),
            ("constraint_name", NAME),
            ("table_catalog", NAME),
            ("table_schema", NAME),
            ("table_name", NAME),
            ("constraint_type", TXT),
            ("is_deferrable", TXT),
            ("initially_deferred", TXT),
            ("enforced", TXT),
        ],
        is_table_constraints,
        True,
    ),
    ("information_schema", "key_column_usage"): (
        [
            ("constraint_catalog", NAME),
            ("constraint_schema", NAME),
            ("constraint_name", NAME),
            ("table_catalog", NAME),
            ("table_schema", NAME),
            ("table_name", NAME),
            ("column_name", NAME),
            ("ordinal_position", I4),
            ("position_in_unique_constraint", I4),
        ],
        is_key_column_usage,
        True,
    ),
    ("information_schema", "schemata"): (
        [("catalog_name", NAME), ("schema_name", NAME), ("schema_owner", NAME)],
        is_schemata,
        True,
    ),
    ("information_schema", "sequences"): (
        [
            ("sequence_catalog", NAME),
            ("sequence_schema", NAME),
            ("sequence_name", NAME),
            ("data_type", TXT),
            ("numeric_precision", I4),
            ("numeric_precision_radix", I4),
            ("numeric_scale", I4),
            ("start_value", TXT),
            ("minimum_value", TXT),
            ("maximum_value", TXT),
            ("increment", TXT),
            ("cycle_option", TXT),
        ],
        is_sequences,
        True,
    ),
}


def _database_oid(c: Catalog, session: SessionApi) -> int:
    name = session.database.name
    return next((r[0] for r in pg_database(c, session) if r[1] == name), 0)


RELATIONS.update(
    {
        ("information_schema", "constraint_column_usage"): (
            info_schema.CONSTRAINT_COLUMN_USAGE_COLS,
            info_schema.constraint_column_usage,
            True,
        ),
        ("information_schema", "referential_constraints"): (
            info_schema.REFERENTIAL_CONSTRAINTS_COLS,
            info_schema.referential_constraints,
            True,
        ),
        ("information_schema", "check_constraints"): (
            info_schema.CHECK_CONSTRAINTS_COLS,
            lambda c, s: info_schema.check_constraints(c, s, constraint_def),
            True,
        ),
        ("information_schema", "routines"): (info_schema.ROUTINES_COLS, info_schema.routines, True),
        ("information_schema", "parameters"): (
            info_schema.PARAMETERS_COLS,
            info_schema.parameters,
            True,
        ),
        ("pg_catalog", "pg_stat_activity"): (
            stat_views.ACTIVITY_COLS,
            lambda c, s: stat_views.pg_stat_activity(c, s, _database_oid(c, s)),
            True,
        ),
        ("pg_catalog", "pg_stat_ssl"): (stat_views.SSL_COLS, stat_views.pg_stat_ssl, True),
        ("pg_catalog", "pg_stat_gssapi"): (
            stat_views.GSSAPI_COLS,
            stat_views.pg_stat_gssapi,
            True,
        ),
        ("pg_catalog", "pg_stat_database"): (
            stat_views.DATABASE_COLS,
            lambda c, s: stat_views.pg_stat_database(c, s, _database_oid(c, s)),
            True,
        ),
    }
)


for _key, _entry in dump_catalog.RELATIONS.items():
    RELATIONS.setdefault(_key, _entry)
SYSTEM_RELATIONS: set[str] = {name for schema, name in RELATIONS if schema == "pg_catalog"}


def _zero_based(row: tuple[Any, ...], at: list[int]) -> tuple[Any, ...]:
    out = list(row)
    for n in at:
        if out[n]:  # an empty array has no bounds
            out[n] = array_bounds.bounded(list(out[n]), [0])
    return tuple(out)


def system_relation(
    session: SessionApi, name: str, schema: str | None
) -> tuple[list[tuple[str, SqlType]], Callable[[], Rows]]:
    """The columns of a virtual relation, and what computes its rows (from the catalog the
    session's transaction sees when it is called). Raises UndefinedTable for an unknown name."""
    key = (schema or "pg_catalog", name)
    entry = RELATIONS.get(key)
    if entry is None:
        shown = f"{schema}.{name}" if schema else name
        raise UndefinedTable(f'relation "{shown}" does not exist')
    cols, build, wants_session = entry
    # Every catalog's rows carry its tableoid (the system column pg_dump names objects by).
    tableoid = system_oids.oid_of(name) or 0

    # int2vector and oidvector subscripts start at 0 (array_lower, generate_subscripts)
    vectors = [n for n, (_, t) in enumerate(cols) if t.name in ("int2vector", "oidvector")]

    def source() -> Rows:
        catalog = session.catalog()
        rows = build(catalog, session) if wants_session else build(catalog)
        if vectors:
            rows = [_zero_based(r, vectors) for r in rows]
        return [(*r, tableoid) for r in rows]

    return [*cols, ("tableoid", OIDT)], source
