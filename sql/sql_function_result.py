"""CREATE FUNCTION ... LANGUAGE sql: the body's final statement checked against the declared
result, as PostgreSQL's check_sql_fn_retval does when check_function_bodies is on.

A function returning void may end in anything. Any other must end in a query (SELECT,
VALUES, TABLE) or a DML statement with RETURNING; a scalar result needs exactly one column
of a type assignable to it. Only what db9 can describe is checked: a final statement that
does not plan here (it reads a table an earlier statement of the body creates, or uses
something db9 lacks) is left to the call, as are polymorphic and composite results.
"""

from __future__ import annotations

from sqlglot import exp

from sql import types as T
from sql.catalog import RoutineDef
from sql.errors import SqlError
from sql.plan.binder import Planner
from sql.routine_call import bind_names
from sql.routine_types import arg_type, in_types, row_type
from sql.scope import Context
from sql.session_api import SessionApi

_FINAL = "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING."
_OFF = ("off", "false", "no", "0", "of", "f", "n")
_QUERY = exp.Select | exp.Union | exp.Intersect | exp.Except | exp.Values
_DML = exp.Insert | exp.Update | exp.Delete


def check(session: SessionApi, routine: RoutineDef) -> None:
    """42P13 when ``routine``'s final statement cannot produce its declared result."""
    if (
        routine.language != "sql"
        or routine.kind != "f"
        or routine.returns == "void"
        or str(session.settings.get("check_function_bodies", "on")).lower() in _OFF
    ):
        return
    texts = routine.atomic or [s.text for s in session.split(routine.body)]
    last = session.split(texts[-1])[0] if texts else None
    tree = session.parse(last) if last is not None and last.utility is None else None
    if isinstance(tree, exp.Subquery):
        tree = tree.this
    shown = _declared(routine)
    if not (
        isinstance(tree, _QUERY)
        or (isinstance(tree, _DML) and tree.args.get("returning") is not None)
    ):
        raise _mismatch(shown, _FINAL)
    rtype = _scalar(session, routine)
    if rtype is None or isinstance(tree, _DML):
        return
    columns = _columns(session, routine, tree)
    if columns is None:
        return
    if len(columns) != 1:
        raise _mismatch(shown, "Final statement must return exactly one column.")
    if not _assignable(columns[0], rtype):
        raise _mismatch(shown, f"Actual return type is {columns[0].display()}.")


def _mismatch(shown: str, detail: str) -> SqlError:
    return SqlError(
        f"return type mismatch in function declared to return {shown}", detail=detail
    ).with_state("42P13")


def _declared(routine: RoutineDef) -> str:
    try:
        return arg_type(routine.returns).display()
    except SqlError:
        return routine.returns


def _scalar(session: SessionApi, routine: RoutineDef) -> T.SqlType | None:
    """The declared result when it is one plain value (not a row, record or polymorphic)."""
    if routine.returns in ("record", "trigger") or any(
        a.mode in ("o", "b", "t") for a in routine.args
    ):
        return None
    if row_type(session.catalog(), routine.returns) is not None:
        return None  # a table's or a composite type's row
    try:
        t = arg_type(routine.returns)
    except SqlError:
        return None
    if _polymorphic(routine.returns, t) or t.category == "C" or t.fields is not None:
        return None
    return t


def _polymorphic(name: str, t: T.SqlType) -> bool:
    """anyelement and its kin (db9 types them unknown: the call decides)."""
    return name.lower().startswith("any") or t.category == "P" or t.name == "unknown"


def _columns(session: SessionApi, routine: RoutineDef, tree: exp.Expr) -> list[T.SqlType] | None:
    """The final query's column types, its arguments as parameters; None when it does not
    plan here or an argument is polymorphic."""
    params = in_types(routine)
    if any(_polymorphic(a.type, t) for a, t in zip(routine.in_args, params, strict=False)):
        return None
    names = {a.name: i + 1 for i, a in enumerate(routine.in_args) if a.name}
    try:
        tree = bind_names(tree, names, routine.name)
        plan = Planner(session, session.catalog(), Context([], list(params))).plan_query(tree)
    except SqlError:
        return None
    return [c.type for c in plan.columns]


def _assignable(src: T.SqlType, dst: T.SqlType) -> bool:
    """Whether PostgreSQL has an assignment cast ``src`` -> ``dst``: the same type, an untyped
    literal, any type into a string, and within the numeric or the datetime types; other
    pairs of one category are let through (db9 cannot tell them apart here)."""
    if src.name in (dst.name, "unknown") or dst.category == "S":
        return True
    if (src.element is None) != (dst.element is None):
        return False
    if src.element is not None and dst.element is not None:
        return _assignable(src.element, dst.element)
    return src.category == dst.category
