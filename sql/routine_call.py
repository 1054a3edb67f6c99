"""Calling user-defined functions and procedures: choosing among a name's overloads by the
argument types, compiling a call into an expression, and running a routine's body (a SQL
function's statements here, PL/pgSQL in sql.plpgsql) in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from sql import plpgsql, user_types
from sql import types as T
from sql.casts import cast_value, coerce_to
from sql.catalog import RoutineDef
from sql.errors import (
    AmbiguousFunction,
    FeatureNotSupported,
    GroupingError,
    SqlError,
    SyntaxError_,
    UndefinedFunction,
    WrongObjectType,
)
from sql.plpgsql import Rec
from sql.result import Result
from sql.routine_types import (
    RECORD,
    arg_type,
    drain,
    in_types,
    result_columns,
    result_type,
    row_type,
)
from sql.scope import ExprCompiler, Typed
from sql.session_api import SessionApi

MAX_DEPTH = 200  # nested calls before 54001, PostgreSQL's max_stack_depth in spirit
# Implicit casts between categories PostgreSQL allows, widening only.
_NUMERIC_RANK = {"smallint": 0, "integer": 1, "bigint": 2, "numeric": 3, "real": 4,
                 "double precision": 5}  # fmt: skip


def signature(r: RoutineDef) -> tuple[str, ...]:
    """What tells overloads apart: the input arguments' types."""
    return tuple(t.name for t in in_types(r))


def validate(session: SessionApi, r: RoutineDef) -> None:
    """Check a new routine as CREATE FUNCTION does: its types exist, a PL/pgSQL body parses."""
    in_types(r)
    if r.returns not in ("trigger", "record", "void"):
        try:
            arg_type(r.returns)
        except SqlError:
            if row_type(session.catalog(), r.returns) is None:
                raise
    if r.language == "plpgsql":
        plpgsql.compile_routine(r)


def _implicit(src: T.SqlType, dst: T.SqlType) -> int | None:
    """How well an argument of type ``src`` fits a parameter of type ``dst``: 3 exact, 2 an
    untyped literal, 1 an implicit cast; None: it does not."""
    if dst.name == "unknown":  # polymorphic
        return 1
    if src.name == dst.name:
        return 3
    if src.name == "unknown":
        return 2
    if src.name in _NUMERIC_RANK and dst.name in _NUMERIC_RANK:
        return 1 if _NUMERIC_RANK[src.name] <= _NUMERIC_RANK[dst.name] else None
    if src.category == "S" and dst.category == "S":
        return 1
    if dst.name == "text" or (src.category == dst.category and src.category in ("D", "N")):
        return 1 if src.category == dst.category else None
    return None


def resolve(
    session: SessionApi,
    name: str,
    schema: str | None,
    types: list[T.SqlType],
    kind: str = "",
) -> RoutineDef | None:
    """The routine ``name(types)`` calls, None when no routine has that name; 42883 when
    some do but none takes these arguments, 42725 when two fit equally well. Aggregates
    (``kind`` "a") and functions are called apart."""
    found = [
        r
        for r in session.catalog().routines_named(name, schema, session.search_path())
        if (r.kind == "a") == (kind == "a")
    ]
    if not found:
        return None
    best: list[tuple[int, RoutineDef]] = []
    for r in found:
        params = in_types(r)
        defaults = sum(1 for a in r.in_args if a.default is not None)
        variadic = bool(r.in_args) and r.in_args[-1].mode == "v"
        if not (len(params) - defaults <= len(types) <= len(params)) and not variadic:
            continue
        score = 0
        for i, t in enumerate(types):
            p = params[min(i, len(params) - 1)] if params else None
            if p is None:
                score = -1
                break
            if variadic and i >= len(params) - 1 and p.element is not None:
                p = p.element
            fit = _implicit(t, p)
            if fit is None:
                score = -1
                break
            score += fit
        if score >= 0:
            best.append((score, r))
    if not best:
        return None
    best.sort(key=lambda x: -x[0])
    if len(best) > 1 and best[0][0] == best[1][0]:
        shown = ", ".join(t.display() for t in types)
        raise AmbiguousFunction(f"function {name}({shown}) is not unique")
    return best[0][1]


def compile_call(c: ExprCompiler, name: str, raw_args: list[exp.Expr]) -> Typed | None:
    """A call of a user-defined function in an expression; None: there is none called so."""
    session = c.ctx.session
    if session is None or not session.catalog().routines_named(name, None, session.search_path()):
        return None  # the arguments (f(*), f(DISTINCT x), ...) are left to the caller
    args = [c.compile(a) for a in raw_args]
    routine = resolve(session, name, None, [a.type for a in args])
    if routine is None:
        if resolve(session, name, None, [a.type for a in args], kind="a") is not None:
            raise GroupingError("aggregate functions are not allowed here")
        return None
    if routine.kind == "p":
        raise WrongObjectType(
            f"{name}({', '.join(a.type.display() for a in args)}) is a procedure"
        ).with_state("42809")
    if routine.returns == "trigger":
        raise FeatureNotSupported("trigger functions can only be called as triggers")
    if routine.language == "internal":  # a window function (routine_types)
        raise WrongObjectType(f"window function {name} requires an OVER clause").with_state("42809")
    bound = _bind(c, routine, args, raw_args)
    rtype = result_type(routine)
    fns = [a.fn for a in bound]
    ctx = c.ctx

    def run(r: Any) -> Any:
        values = [f(r) for f in fns]
        if routine.strict and any(v is None for v in values):
            return None
        assert ctx.session is not None
        out = invoke(ctx.session, routine, values)
        if routine.retset:
            raise FeatureNotSupported(
                "a set-returning user function in an expression is not supported"
            )
        if isinstance(out, tuple | Rec):
            assert ctx.session is not None
            return _record(result_columns(routine, ctx.session.catalog()), out)
        return out

    return Typed(run, rtype, False, name)


def returns_set(session: SessionApi | None, node: exp.Expr) -> bool:
    """Is ``node`` a call of a user function that RETURNS SETOF (by its name)?"""
    if session is None or not isinstance(node, exp.Anonymous):
        return False
    found = session.catalog().routines_named(str(node.this).lower(), None, session.search_path())
    return any(r.retset for r in found)


def compile_srf(
    c: ExprCompiler, call: exp.Expr
) -> tuple[Callable[[Any], list[Any]], T.SqlType] | None:
    """A user SETOF function in a select list: a function from a row to its values."""
    if not isinstance(call, exp.Anonymous) or c.ctx.session is None:
        return None
    args = [c.compile(a) for a in call.expressions]
    routine = resolve(c.ctx.session, str(call.this).lower(), None, [a.type for a in args])
    if routine is None or not routine.retset:
        return None
    bound = _bind(c, routine, args, list(call.expressions))
    ctx = c.ctx
    cols = result_columns(routine, c.ctx.session.catalog())

    def values(r: Any) -> list[Any]:
        vals = [a.fn(r) for a in bound]
        if routine.strict and any(v is None for v in vals):
            return []
        assert ctx.session is not None
        out = invoke(ctx.session, routine, vals)
        if len(cols) > 1:
            return [_record(cols, v) for v in out]
        return list(out)

    return values, (cols[0][1] if len(cols) == 1 else T.TEXT)


def _record(cols: list[tuple[str, T.SqlType]], value: Any) -> Any:
    """A routine's row (a tuple or a record) as its text, (1,abc)."""
    if isinstance(value, Rec):
        return None if value.null else plpgsql.record_text(value)
    if isinstance(value, tuple):
        return plpgsql.record_text(Rec([n for n, _ in cols], [t for _, t in cols], list(value)))
    return value


def _bind(
    c: ExprCompiler, routine: RoutineDef, args: list[Typed], raw: list[exp.Expr]
) -> list[Typed]:
    """The arguments (compiled from ``raw``), coerced to the parameters' types, defaults
    filled in; an untyped parameter takes its parameter's type (``f($1)``)."""
    params = in_types(routine)
    out = []
    for i, p in enumerate(params):
        if i < len(args):
            a = args[i]
            if p.name != "unknown" and i < len(raw):
                a = c._typed_like(raw[i], a, p)
            out.append(a if p.name == "unknown" else coerce_to(a, p))
        else:
            default = routine.in_args[i].default
            assert default is not None
            expr = sqlglot.parse_one(default, read="postgres")
            out.append(coerce_to(c.compile(expr), p))
    return out


def from_item(
    c: ExprCompiler, fn: exp.Expr, defined: list[tuple[str, T.SqlType]] | None = None
) -> tuple[list[tuple[str, T.SqlType]], Callable[[], list[tuple[Any, ...]]]] | None:
    """A user function in FROM: its columns and its rows. ``defined``: the column
    definition list of a function returning record (``f() AS (a int, b text)``)."""
    if not isinstance(fn, exp.Anonymous) or c.ctx.session is None:
        return None
    name = str(fn.this).lower()
    args = [c.compile(a) for a in fn.expressions]
    routine = resolve(c.ctx.session, name, None, [a.type for a in args])
    if routine is None:
        return None
    bound = _bind(c, routine, args, list(fn.expressions))
    cols = result_columns(routine, c.ctx.session.catalog())
    if defined:
        if routine.returns != "record" or routine.out_args:
            raise SyntaxError_(
                'a column definition list is only allowed for functions returning "record"'
            )
        cols = defined
    elif routine.returns == "record" and not routine.out_args:
        raise SyntaxError_('a column definition list is required for functions returning "record"')
    ctx = c.ctx

    def rows() -> list[tuple[Any, ...]]:
        values = [a.fn(()) for a in bound]
        if routine.strict and any(v is None for v in values):
            return []
        assert ctx.session is not None
        out = invoke(ctx.session, routine, values)
        items = out if routine.retset else [out]
        items = [tuple(v.values) if isinstance(v, Rec) else v for v in items]
        if len(cols) == 1:
            return [(v[0] if isinstance(v, tuple) else v,) for v in items]
        return [v if isinstance(v, tuple) else (v,) for v in items if v is not None]

    return cols, rows


def invoke(session: SessionApi, routine: RoutineDef, values: list[Any], trigger: Any = None) -> Any:
    """Run ``routine`` with argument ``values``: its result (a list of them for SETOF, a
    tuple for several OUT columns)."""
    depth = session.routine_depth
    if depth >= MAX_DEPTH:
        raise SqlError(
            "stack depth limit exceeded",
            hint='Increase the configuration parameter "max_stack_depth".',
        ).with_state("54001")
    session.routine_depth = depth + 1
    # a call made while a statement's rows stream out still reads its types' names
    # (composite and enum types) against the session's catalog
    token = (
        T.USER_TYPES.set(user_types.resolver(session.catalog, session.search_path()))
        if T.USER_TYPES.get() is None
        else None
    )
    try:
        if routine.language == "plpgsql":
            return plpgsql.run(session, routine, values, trigger)
        return _run_sql(session, routine, values)
    finally:
        session.routine_depth = depth
        if token is not None:
            T.USER_TYPES.reset(token)


def bind_names(tree: exp.Expr, names: dict[str, int], qualifier: str) -> exp.Expr:
    """``tree`` with the names in ``names`` (a name -> its parameter's number) read as
    parameters: bare names, and names qualified by ``qualifier`` (the function's name)."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            table = node.table
            if node.name in names and (not table or table == qualifier):
                if plpgsql.is_set_target(node):
                    return node
                out = exp.Parameter(this=exp.Literal.number(names[node.name]))
                out.type = node.type  # a subscript keeps what sqlglot made of it
                return out
        return node

    return tree.transform(swap)


def _run_sql(session: SessionApi, routine: RoutineDef, values: list[Any]) -> Any:
    params = in_types(routine)
    names = {a.name: i + 1 for i, a in enumerate(routine.in_args) if a.name}
    texts = routine.atomic or [s.text for s in session.split(routine.body)]
    result: Result | None = None
    for text in texts:
        stmt = session.split(text)[0]
        tree = bind_names(session.parse(stmt), names, routine.name)
        result = session.run_tree(tree, list(values), list(params))
    rows = drain(result)
    rtype = result_type(routine)
    if routine.returns == "void" or result is None:
        return "" if not routine.retset else []
    cols = result.columns or []
    if len(routine.out_args) > 1 or (rtype is RECORD and routine.returns != "record"):
        outs = [t for _, t in result_columns(routine, session.catalog())]
        conv = [
            tuple(cast_value(v, c[1], t) for v, c, t in zip(row, cols, outs, strict=False))
            for row in rows
        ]
        return conv if routine.retset else (conv[0] if conv else None)
    if not cols:
        return [] if routine.retset else None
    src = cols[0][1]
    vals = [cast_value(row[0], src, rtype) for row in rows]
    return vals if routine.retset else (vals[0] if vals else None)


def call(session: SessionApi, funccall: Any, text: str) -> Result:
    """CALL proc(args): the arguments are evaluated as a SELECT list."""
    from pglast.stream import RawStream

    names = [n.sval for n in funccall.funcname]
    args = [RawStream()(a) for a in funccall.args or ()]
    values: list[Any] = []
    types: list[T.SqlType] = []
    if args:
        stmt = session.split("SELECT " + ", ".join(args))[0]
        result = session.run_tree(session.parse(stmt), [], [])
        row = drain(result)[0]
        values = list(row)
        types = [c[1] for c in result.columns or []]
    routine = resolve(session, names[-1], names[0] if len(names) > 1 else None, types)
    if routine is None or routine.kind != "p":
        shown = ", ".join(t.display() for t in types)
        if routine is not None:
            raise WrongObjectType(f"{names[-1]}({shown}) is not a procedure").with_state("42809")
        raise UndefinedFunction(
            f"procedure {'.'.join(names)}({shown}) does not exist",
            hint="No procedure matches the given name and argument types. You might need to"
            " add explicit type casts.",
        )
    params = in_types(routine)
    values = [
        cast_value(v, t, p) if p.name != "unknown" else v
        for v, t, p in zip(values, types, params, strict=False)
    ]
    out = invoke(session, routine, values)
    outs = routine.out_args
    if outs:
        cols = [(a.name or "column", arg_type(a.type)) for a in outs]
        row = out if isinstance(out, tuple) else (out,)
        return Result("CALL", cols, [row])
    return Result("CALL")
