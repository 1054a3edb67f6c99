"""The types of user-defined routines: their arguments' and results' SqlTypes from the
type text CREATE FUNCTION gave, and the values routines hand to statements.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sql import types as T
from sql import user_types
from sql.catalog import Catalog, RoutineDef
from sql.errors import SqlError
from sql.result import Result

VOID = T.SqlType("void", 2278, 0, 4, "P")
RECORD = T.SqlType("record", 2249, 2287, -1, "P")
_ALIASES = {
    "int": "integer",
    "decimal": "numeric",
    "float": "double precision",
    "timestamp": "timestamp without time zone",
    "time": "time without time zone",
}


# The built-in window functions a LANGUAGE internal function may name (its prosrc, as
# pg_proc spells it) and the window function each is.
INTERNAL_WINDOW_FUNCTIONS = {
    f"window_{n}": n
    for n in ("row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag",
              "lead", "first_value", "last_value", "nth_value")
}  # fmt: skip


def arg_type(text: str) -> T.SqlType:
    """The SqlType a routine's argument or result type text names."""
    low = text.lower()
    if low == "void":
        return VOID
    if low in ("record", "trigger"):
        return RECORD
    if low in ("anyelement", "anynonarray", "anycompatible", "any"):
        return T.UNKNOWN
    m = re.fullmatch(r"\s*(.+?)\s*(?:\(([\d,\s]+)\))?\s*((?:\[\d*\])*)\s*", low)
    base = T.type_by_name(m[1]) if m else None
    if base is None and m:
        base = T.type_by_name(_ALIASES.get(m[1], m[1]))
    if m is None or base is None:
        raise SqlError(f'type "{text}" does not exist').with_state("42704")
    # PostgreSQL drops a routine's argument and result type modifiers (char(2) is bpchar);
    # db9's character always has a length, so a routine's bpchar is text.
    if base.name == "character":
        base = T.TEXT
    for _ in range(m[3].count("[")):
        base = base.array_of()
    return base


def describe_result(r: RoutineDef) -> str | None:
    """pg_get_function_result: ``integer``, ``SETOF text``, ``TABLE(a integer)``."""
    if r.kind == "p":
        return None
    table = [a for a in r.args if a.mode == "t"]
    if table:
        cols = ", ".join(f"{a.name} {arg_type(a.type).display()}" for a in table)
        return f"TABLE({cols})"
    if r.returns in ("trigger", "void", "record"):
        text = r.returns
    else:
        rtype = result_type(r)
        text = r.returns if rtype is RECORD else rtype.display()
    return f"SETOF {text}" if r.retset else text


def describe_arguments(r: RoutineDef, *, defaults: bool = True) -> str:
    """pg_get_function_arguments (``defaults``) / pg_get_function_identity_arguments."""
    modes = {"o": "OUT ", "b": "INOUT ", "v": "VARIADIC ", "i": "IN " if r.kind == "p" else ""}
    parts = []
    for a in r.args:
        if a.mode == "t" or (not defaults and a.mode == "o"):
            continue
        text = modes.get(a.mode, "") + (f"{a.name} " if a.name else "")
        text += arg_type(a.type).display()
        if defaults and a.default is not None:
            text += f" DEFAULT {a.default}"
        parts.append(text)
    return ", ".join(parts)


def in_types(r: RoutineDef) -> list[T.SqlType]:
    return [arg_type(a.type) for a in r.in_args]


def result_type(routine: RoutineDef) -> T.SqlType:
    """The type of a routine's value: RECORD for a table's row type (see row_type)."""
    outs = routine.out_args
    if routine.returns == "record" and len(outs) == 1:
        return arg_type(outs[0].type)
    try:
        rtype = arg_type(routine.returns)
    except SqlError:
        return RECORD
    return RECORD if user_types.is_row_type(rtype) else rtype


def row_type(catalog: Catalog, name: str) -> list[tuple[str, T.SqlType]] | None:
    """The columns of the row type ``name`` (a table's or a view's), None: it names none."""
    schema, _, rel = name.rpartition(".")
    found = catalog.find(rel, schema or None, [s for s in catalog.schemas])
    return [(c.name, c.type) for c in found.live_columns] if found is not None else None


def result_columns(
    routine: RoutineDef, catalog: Catalog | None = None
) -> list[tuple[str, T.SqlType]]:
    """A routine's result as FROM sees it: its OUT / TABLE columns, a table row type's
    columns, else one column."""
    outs = routine.out_args
    if outs:
        return [(a.name or f"column{i + 1}", arg_type(a.type)) for i, a in enumerate(outs)]
    rtype = result_type(routine)
    if rtype is RECORD and catalog is not None and routine.returns != "record":
        cols = row_type(catalog, routine.returns)
        if cols is not None:
            return cols
    return [(routine.name, rtype)]


def value_type(v: Any) -> T.SqlType | None:
    """The type of a Python value handed to a statement as a parameter."""
    if isinstance(v, bool):
        return T.BOOL
    if isinstance(v, int):
        return T.INT4 if -(2**31) <= v < 2**31 else T.INT8
    if isinstance(v, Decimal):
        return T.NUMERIC
    if isinstance(v, float):
        return T.FLOAT8
    if isinstance(v, str):
        return T.TEXT
    if isinstance(v, dt.datetime):
        return T.TIMESTAMPTZ if v.tzinfo else T.TIMESTAMP
    if isinstance(v, dt.date):
        return T.DATE
    return None


def drain(result: Result | None) -> list[tuple[Any, ...]]:
    """A nested statement's rows, read to the end."""
    if result is None:
        return []
    if result.pending is not None:
        pending = result.pending
        try:
            return list(pending)
        finally:
            pending.close()
    return list(result.rows or [])
