"""information_schema views of constraints and routines that GUI tools browse:
constraint_column_usage, referential_constraints, check_constraints, routines, parameters,
and the NOT NULL pseudo-constraints PostgreSQL 15 lists among table_constraints and
check_constraints (named ``<schema oid>_<table oid>_<attnum>_not_null``).

routines and parameters carry the columns tools read (PostgreSQL's views have some eighty);
a query naming another column gets 42703.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from sql import routine_types
from sql import types as T
from sql.catalog import Catalog, ConstraintDef, RoutineDef, TableDef
from sql.session_api import SessionApi
from sql.types import SqlType

Rows = list[tuple[Any, ...]]
NAME, TXT, I4 = T.NAME, T.TEXT, T.INT4

CONSTRAINT_COLUMN_USAGE_COLS: list[tuple[str, SqlType]] = [
    ("table_catalog", NAME),
    ("table_schema", NAME),
    ("table_name", NAME),
    ("column_name", NAME),
    ("constraint_catalog", NAME),
    ("constraint_schema", NAME),
    ("constraint_name", NAME),
]
REFERENTIAL_CONSTRAINTS_COLS: list[tuple[str, SqlType]] = [
    ("constraint_catalog", NAME),
    ("constraint_schema", NAME),
    ("constraint_name", NAME),
    ("unique_constraint_catalog", NAME),
    ("unique_constraint_schema", NAME),
    ("unique_constraint_name", NAME),
    ("match_option", TXT),
    ("update_rule", TXT),
    ("delete_rule", TXT),
]
CHECK_CONSTRAINTS_COLS: list[tuple[str, SqlType]] = [
    ("constraint_catalog", NAME),
    ("constraint_schema", NAME),
    ("constraint_name", NAME),
    ("check_clause", TXT),
]
ROUTINES_COLS: list[tuple[str, SqlType]] = [
    ("specific_catalog", NAME),
    ("specific_schema", NAME),
    ("specific_name", NAME),
    ("routine_catalog", NAME),
    ("routine_schema", NAME),
    ("routine_name", NAME),
    ("routine_type", TXT),
    ("data_type", TXT),
    ("type_udt_catalog", NAME),
    ("type_udt_schema", NAME),
    ("type_udt_name", NAME),
    ("routine_body", TXT),
    ("routine_definition", TXT),
    ("external_name", TXT),
    ("external_language", TXT),
    ("parameter_style", TXT),
    ("is_deterministic", TXT),
    ("sql_data_access", TXT),
    ("is_null_call", TXT),
    ("security_type", TXT),
]
PARAMETERS_COLS: list[tuple[str, SqlType]] = [
    ("specific_catalog", NAME),
    ("specific_schema", NAME),
    ("specific_name", NAME),
    ("ordinal_position", I4),
    ("parameter_mode", TXT),
    ("is_result", TXT),
    ("as_locator", TXT),
    ("parameter_name", NAME),
    ("data_type", TXT),
    ("udt_catalog", NAME),
    ("udt_schema", NAME),
    ("udt_name", NAME),
    ("parameter_default", TXT),
]

_RULES = {"CASCADE": "CASCADE", "SET NULL": "SET NULL", "SET DEFAULT": "SET DEFAULT",
          "RESTRICT": "RESTRICT"}  # fmt: skip


def data_type(t: SqlType) -> str:
    """information_schema's data_type: ARRAY, USER-DEFINED, or the type's SQL name."""
    if t.element is not None:
        return "ARRAY"
    if t.oid >= 16384:
        return "USER-DEFINED"
    return t.name


def _referenced(c: Catalog, t: TableDef, con: ConstraintDef) -> TableDef | None:
    schema, _, name = (con.ref_table or "").rpartition(".")
    return c.find(name, schema or None, [t.schema])


def not_null_name(c: Catalog, t: TableDef, attnum: int) -> str:
    return f"{c.schema_oids.get(t.schema, 2200)}_{t.id}_{attnum}_not_null"


def not_null_constraints(c: Catalog) -> list[tuple[TableDef, str, str]]:
    """Each NOT NULL column of a table: (its table, its pseudo-constraint's name, column)."""
    out = []
    for t in c.all_tables():
        if t.kind != "table":
            continue
        for n, col in enumerate(t.live_columns, 1):
            if col.not_null or col.name in t.primary_key:
                out.append((t, not_null_name(c, t, n), col.name))
    return out


def _check_columns(t: TableDef, check: str) -> list[str]:
    try:
        tree = sqlglot.parse_one(check, read="postgres")
    except sqlglot.errors.ParseError:
        return []
    used = {col.name for col in tree.find_all(exp.Column)}
    return [col.name for col in t.live_columns if col.name in used]


def constraint_column_usage(c: Catalog, session: SessionApi) -> Rows:
    db = session.database.name
    rows: Rows = []
    for t in c.all_tables():
        for con in t.constraints:
            if con.kind in ("p", "u"):
                used = [(t, col) for col in con.columns]
            elif con.kind == "f":
                ref = _referenced(c, t, con)
                used = [(ref, col) for col in con.ref_columns] if ref else []
            elif con.kind == "c" and con.check:
                used = [(t, col) for col in _check_columns(t, con.check)]
            else:
                continue
            rows += [(db, owner.schema, owner.name, col, db, t.schema, con.name)
                     for owner, col in used]  # fmt: skip
    return rows


def _unique_constraint(ref: TableDef, columns: list[str]) -> ConstraintDef | None:
    """The referenced table's primary key or unique constraint on exactly ``columns``."""
    key = set(columns)
    found = [con for con in ref.constraints if con.kind in ("p", "u") and set(con.columns) == key]
    return min(found, key=lambda con: con.kind != "p") if found else None


def referenced_unique(c: Catalog, t: TableDef, con: ConstraintDef) -> ConstraintDef | None:
    """The primary key or unique constraint a foreign key ``con`` of ``t`` references."""
    ref = _referenced(c, t, con)
    return _unique_constraint(ref, con.ref_columns) if ref is not None else None


def referential_constraints(c: Catalog, session: SessionApi) -> Rows:
    db = session.database.name
    rows: Rows = []
    for t in c.all_tables():
        for con in t.constraints:
            if con.kind != "f":
                continue
            ref = _referenced(c, t, con)
            unique = _unique_constraint(ref, con.ref_columns) if ref else None
            rows.append(
                (db, t.schema, con.name, db if unique else None,
                 ref.schema if ref and unique else None, unique.name if unique else None,
                 "NONE", _RULES.get(con.on_update, "NO ACTION"),
                 _RULES.get(con.on_delete, "NO ACTION"))
            )  # fmt: skip
    return rows


def check_constraints(c: Catalog, session: SessionApi, definition: Any) -> Rows:
    """``definition`` is pg_get_constraintdef's text of a constraint (CHECK (...))."""
    db = session.database.name
    rows: Rows = []
    for t in [*c.all_tables(), *c.types.values()]:
        for con in t.constraints:
            if con.kind == "c":
                rows.append((db, t.schema, con.name, definition(con)[len("CHECK ") :]))
    rows += [(db, t.schema, name, f"{col} IS NOT NULL") for t, name, col in not_null_constraints(c)]
    return rows


def table_constraints_not_null(c: Catalog, session: SessionApi) -> Rows:
    """table_constraints' rows of the NOT NULL pseudo-constraints."""
    db = session.database.name
    return [(db, t.schema, name, db, t.schema, t.name, "CHECK", "NO", "NO", "YES")
            for t, name, _ in not_null_constraints(c)]  # fmt: skip


def _specific_name(r: RoutineDef) -> str:
    return f"{r.name}_{r.oid}"


def _udt(t: SqlType) -> tuple[str, str]:
    """The schema and name of a type's own pg_type row (int4, _text ...)."""
    return ("pg_catalog" if t.oid < 16384 else "public", t.typname)


def routines(c: Catalog, session: SessionApi) -> Rows:
    db = session.database.name
    rows: Rows = []
    for r in sorted(c.routines.values(), key=lambda r: r.oid):
        if r.kind == "a":
            continue  # aggregates are not routines in information_schema
        procedure = r.kind == "p"
        result = None if procedure else routine_types.result_type(r)
        udt: tuple[str | None, str | None]
        if r.returns == "trigger":
            dtype, udt = "trigger", ("pg_catalog", "trigger")
        elif result is None:
            dtype, udt = None, (None, None)
        else:
            dtype, udt = data_type(result), _udt(result)
        rows.append(
            (db, r.schema, _specific_name(r), db, r.schema, r.name,
             "PROCEDURE" if procedure else "FUNCTION", dtype, db if dtype else None, *udt,
             "SQL" if r.language == "sql" else "EXTERNAL", r.body, None, r.language.upper(),
             "GENERAL", "YES" if r.volatility == "i" else "NO", "MODIFIES",
             None if procedure else "YES" if r.strict else "NO", "INVOKER")
        )  # fmt: skip
    return rows


_MODES = {"i": "IN", "o": "OUT", "b": "INOUT", "v": "IN", "t": "OUT"}


def parameters(c: Catalog, session: SessionApi) -> Rows:
    db = session.database.name
    rows: Rows = []
    for r in sorted(c.routines.values(), key=lambda r: r.oid):
        if r.kind == "a":
            continue
        for n, a in enumerate(r.args, 1):
            t = routine_types.arg_type(a.type)
            rows.append(
                (db, r.schema, _specific_name(r), n, _MODES[a.mode], "NO", "NO", a.name or None,
                 data_type(t), db, *_udt(t), a.default)
            )  # fmt: skip
    return rows
