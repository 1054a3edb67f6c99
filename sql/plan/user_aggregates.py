"""Binding a call of a user aggregate (CREATE AGGREGATE, sql.aggregate_ddl): the aggregate
its arguments' types choose, and its SFUNC, FINALFUNC, MSFUNC, MINVFUNC and MFINALFUNC
compiled as ordinary calls over a row of (state, arguments...), so that each may be any
function a query can call: SQL, PL/pgSQL or built in (int4pl, int4_sum, ...).

Which names are user aggregates is noted per planning (``note_catalog``), so the binder's
search for aggregate calls, which sees no session, recognises them.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlglot import exp

from sql import functions, routine_call
from sql import types as T
from sql.casts import cast_value, coerce_to
from sql.catalog import Catalog, RoutineDef
from sql.errors import UndefinedFunction
from sql.expr import Compiler
from sql.plan.nodes import AggSpec, Transition, UserAgg
from sql.routine_types import arg_type, in_types
from sql.scope import Context, Scope, ScopeColumn, Typed
from sql.session_api import SessionApi
from sql.types import SqlType

_NAMES: ContextVar[frozenset[str]] = ContextVar("user_aggregates", default=frozenset())


def note_catalog(catalog: Catalog) -> None:
    """Planning against ``catalog`` from here on: its aggregates' names are aggregates."""
    _NAMES.set(frozenset(r.name for r in catalog.routines.values() if r.kind == "a"))


def is_user_aggregate(name: str) -> bool:
    return name in _NAMES.get()


_VOLATILE = frozenset(
    {"random", "nextval", "setval", "currval", "gen_random_uuid", "clock_timestamp", "timeofday",
     "setseed"}
)  # fmt: skip


def volatile(session: SessionApi | None, exprs: list[exp.Expr]) -> bool:
    """Whether ``exprs`` call a volatile function or hold a subquery (PostgreSQL then keeps
    a window aggregate out of its moving mode: restarting would be visible)."""
    for e in exprs:
        for node in e.walk():
            if isinstance(node, exp.Rand | exp.Subquery | exp.Select):
                return True
            if isinstance(node, exp.Anonymous):
                name = str(node.this).lower()
                if name in _VOLATILE:
                    return True
                if session is not None and any(
                    r.volatility == "v"
                    for r in session.catalog().routines_named(name, None, session.search_path())
                ):
                    return True
    return False


def resolve(session: SessionApi, name: str, types: list[SqlType]) -> RoutineDef:
    """The aggregate ``name(types)`` calls; 42883 when none takes these arguments."""
    found = routine_call.resolve(session, name, None, types, kind="a")
    if found is None:
        shown = ", ".join(t.display() for t in types)
        raise UndefinedFunction(f"function {name}({shown}) does not exist")
    return found


def bind(
    ctx: Context,
    name: str,
    args: list[Typed],
    distinct: bool,
    filt: Typed | None,
    order: list[tuple[Typed, bool, bool]],
    volatile: bool,
) -> AggSpec:
    """The spec of ``name(args)``: its argument the tuple of the arguments' values."""
    session = ctx.session
    assert session is not None
    agg = resolve(session, name, [a.type for a in args])
    params = in_types(agg)
    # a polymorphic parameter takes its argument's type; an untyped literal is text there
    types = [a.type if p.name == "unknown" else p for p, a in zip(params, args, strict=True)]
    types = [T.TEXT if t.name == "unknown" else t for t in types]
    args = [coerce_to(a, t) for a, t in zip(args, types, strict=True)]
    opts = agg.aggregate
    plain = _transition(ctx, opts, "", types)
    moving = _transition(ctx, opts, "m", types) if "msfunc" in opts else None
    rtype = plain.final.type if plain.final is not None else plain.step.type
    fns = [a.fn for a in args]

    def arg(r: Any) -> tuple[Any, ...]:
        return tuple(f(r) for f in fns)

    user = UserAgg(plain, moving, volatile)
    return AggSpec(name, Typed(arg, T.TEXT), distinct, rtype, None, filt, order, user)


def _transition(ctx: Context, opts: dict[str, str], mode: str, types: list[SqlType]) -> Transition:
    """The plain (``mode`` "") or moving ("m") functions of an aggregate over ``types``."""
    stype = _state_type(opts[mode + "stype"], types)
    step, strict = _call(ctx, opts[mode + "sfunc"], [stype, *types])
    inverse, inverse_strict = (
        _call(ctx, opts["minvfunc"], [stype, *types]) if mode == "m" else (None, False)
    )
    final = final_strict = None
    if mode + "finalfunc" in opts:
        final, final_strict = _call(ctx, opts[mode + "finalfunc"], [stype])
    init = opts.get(mode + "initcond")
    value = cast_value(init, T.TEXT, stype) if init is not None else None
    return Transition(step, strict, value, final, bool(final_strict), inverse, inverse_strict)


def _state_type(text: str, types: list[SqlType]) -> SqlType:
    low = text.lower()
    if low in ("anyelement", "anycompatible", "anynonarray") and types:
        return types[0]
    if low in ("anyarray", "anycompatiblearray") and types:
        return types[0].array_of()
    return arg_type(text)


def _call(ctx: Context, fname: str, types: list[SqlType]) -> tuple[Typed, bool]:
    """``fname`` called with columns of ``types`` (state first), compiled, and whether it
    is strict (called with no NULL argument)."""
    name = fname.rsplit(".", 1)[-1].lower()
    cols = [ScopeColumn(None, f"agg_arg{i}", t) for i, t in enumerate(types)]
    call = exp.Anonymous(this=name, expressions=[exp.column(c.name) for c in cols])
    typed = Compiler(Scope(cols), ctx).compile(call)
    session = ctx.session
    assert session is not None
    user = routine_call.resolve(session, name, None, types)
    strict = user.strict if user is not None else name not in functions.NOT_STRICT
    return typed, strict
