"""Binding window function calls: the window each call runs over (named windows of the
WINDOW clause and what an OVER clause may add to them, as PostgreSQL's
transformWindowDefinitions allows), its frame (checked as gram.y and transformFrameOffset
check it) and the function's arguments and result type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from sql import types as T
from sql.casts import coerce_to, unify
from sql.errors import (
    FeatureNotSupported,
    InvalidColumnReference,
    UndefinedFunction,
    UndefinedObject,
    WindowingError,
    WrongObjectType,
)
from sql.expr import Compiler
from sql.in_range import in_range_for, offset_type
from sql.plan.nodes import AggSpec, Frame, FrameBound, WindowSpec
from sql.routine_types import INTERNAL_WINDOW_FUNCTIONS
from sql.scope import Typed
from sql.types import SqlType

# window functions proper (not aggregates), by their PostgreSQL name
WINDOW_FUNCTIONS = {
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
}
_NO_ARGS = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist"}


@dataclass
class _Def:
    """A window definition as written: partition and order clauses and the frame (None when
    the definition has none), from a WINDOW clause or an OVER clause."""

    partition: list[exp.Expr]
    order: exp.Order | None
    spec: exp.WindowSpec | None


class Windows:
    """The named windows of one SELECT, and the bound window function calls over them."""

    def __init__(
        self,
        named: list[exp.Window],
        sorted_first: list[exp.Expr],
        comp: Compiler,
        agg_spec: Callable[[exp.Expr, Compiler], AggSpec],
        is_aggregate: Callable[[exp.Expr], bool],
    ) -> None:
        self.comp = comp
        self.agg_spec = agg_spec
        self.is_aggregate = is_aggregate
        self.named: dict[str, _Def] = {}
        # PostgreSQL's sort group references: ORDER BY and GROUP BY expressions first,
        # then each window's keys as its definition comes
        self.refs: dict[str, int] = {}
        for e in sorted_first:
            self._ref(e)
        for w in named:
            name = w.this.name.lower() if isinstance(w.this, exp.Identifier) else str(w.this)
            if name in self.named:
                raise WindowingError(f'window "{name}" is already defined')
            self.named[name] = self._definition(w)
            self._keys(self.named[name])  # its expressions must bind, used or not
            self._sort_refs(self.named[name])

    def _ref(self, e: exp.Expr) -> int:
        return self.refs.setdefault(e.sql(dialect="postgres"), len(self.refs) + 1)

    def _sort_refs(self, d: _Def) -> list[tuple[int, bool, bool]]:
        return [(ref, desc, nf) for _, ref, desc, nf in self._sort_keys(d)]

    def _sort_keys(self, d: _Def) -> list[tuple[exp.Expr, int, bool, bool]]:
        """The window's sort keys: expression, sort group reference, descending, nulls
        first; partition keys first, repeats dropped."""
        out: list[tuple[exp.Expr, int, bool, bool]] = []
        seen: set[int] = set()
        keys = [(p, False, False) for p in d.partition]
        for o in d.order.expressions if d.order is not None else []:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            keys.append((o.this, desc, desc if nf is None else bool(nf)))
        # PostgreSQL numbers a window's ORDER BY expressions before its PARTITION BY ones
        for e, _, _ in keys[len(d.partition) :]:
            self._ref(e)
        for e, desc, nulls_first in keys:
            ref = self._ref(e)
            if ref not in seen:
                seen.add(ref)
                out.append((e, ref, desc, nulls_first))
        return out

    def _definition(self, w: exp.Window) -> _Def:
        """``w``'s own clauses merged onto the window it names (``OVER (w ORDER BY x)``)."""
        own = _Def(list(w.args.get("partition_by") or []), w.args.get("order"), w.args.get("spec"))
        ref = w.args.get("alias")
        if ref is None:
            return own
        name = ref.name.lower()
        base = self.named.get(name)
        if base is None:
            raise UndefinedObject(f'window "{name}" does not exist')
        if own.partition:
            raise WindowingError(f'cannot override PARTITION BY clause of window "{name}"')
        if own.order is not None and base.order is not None:
            raise WindowingError(f'cannot override ORDER BY clause of window "{name}"')
        if base.spec is not None:
            if own.order is not None or own.spec is not None:
                raise WindowingError(f'cannot copy window "{name}" because it has a frame clause')
            return base
        return _Def(base.partition, own.order or base.order, own.spec)

    def _keys(self, d: _Def) -> tuple[list[Typed], list[tuple[Typed, bool, bool]]]:
        comp = self.comp
        part = [comp.compile(p) for p in d.partition]
        order = []
        for o in d.order.expressions if d.order is not None else []:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            order.append((comp.compile(o.this), desc, desc if nf is None else bool(nf)))
        return part, order

    def bind(self, w: exp.Window) -> WindowSpec:
        """The window function call ``w`` bound: its window, frame, arguments and type."""
        d = self._definition(w)
        part, order = self._keys(d)
        frame = self._frame(d.spec, order)
        key = "|".join(
            [p.sql(dialect="postgres") for p in d.partition]
            + ([d.order.sql(dialect="postgres")] if d.order is not None else [])
        )
        name, args, rtype, agg = self._function(w.this)
        keys = self._sort_keys(d)
        refs = [(ref, desc, nf) for _, ref, desc, nf in keys]
        text = ", ".join(_order_item(e, desc, nf) for e, _, desc, nf in keys)
        return WindowSpec(name, args, part, order, rtype, frame, key, agg, refs, text)

    # the function

    def _function(self, fn: exp.Expr) -> tuple[str, list[Typed], SqlType, AggSpec | None]:
        call = fn.this if isinstance(fn, exp.Filter) else fn
        if isinstance(call, exp.RowNumber):
            name = "row_number"
        elif isinstance(call, exp.Anonymous):
            name = str(call.this).lower()
        else:
            name = ""
        if name not in WINDOW_FUNCTIONS and isinstance(call, exp.Anonymous):
            internal = self._internal(name, call)
            if internal is not None:
                name, call = internal
        if name not in WINDOW_FUNCTIONS:
            if not self.is_aggregate(call):
                shown = name or (call.sql_name().lower() if isinstance(call, exp.Func) else "?")
                raise WrongObjectType(
                    f"OVER specified, but {shown} is not a window function nor an "
                    "aggregate function"
                )
            arg = call.this if not isinstance(call, exp.Anonymous) else None
            if isinstance(arg, exp.Distinct):
                raise FeatureNotSupported("DISTINCT is not implemented for window functions")
            if isinstance(arg, exp.Order):
                raise FeatureNotSupported(
                    "aggregate ORDER BY is not implemented for window functions"
                )
            if isinstance(call, exp.Count) and call.this is None:
                raise WrongObjectType(
                    "count(*) must be used to call a parameterless aggregate function"
                )
            agg = self.agg_spec(fn, self.comp)
            return agg.name, [], agg.rtype, agg
        if isinstance(fn, exp.Filter):
            raise FeatureNotSupported(
                "FILTER is not implemented for non-aggregate window functions"
            )
        raw = list(call.expressions if isinstance(call, exp.Anonymous) else call.iter_expressions())
        args = [self.comp.compile(a) for a in raw]
        return name, *_window_function(name, args)

    def _internal(self, name: str, call: exp.Anonymous) -> tuple[str, exp.Anonymous] | None:
        """A user function declared LANGUAGE internal AS 'window_nth_value' (and the like):
        the built-in window function it names, called with its arguments in parameter
        order (named ones placed, missing ones their defaults)."""
        session = self.comp.ctx.session
        if session is None:
            return None
        found = [
            r
            for r in session.catalog().routines_named(name, None, session.search_path())
            if r.language == "internal" and r.body in INTERNAL_WINDOW_FUNCTIONS
        ]
        if len(found) != 1:
            return None
        routine = found[0]
        params = routine.in_args
        given: list[exp.Expr | None] = [None] * len(params)
        names = [p.name for p in params]
        for i, a in enumerate(call.expressions):
            if isinstance(a, exp.PropertyEQ | exp.Kwarg):
                key = a.this.name
                if key not in names:
                    return None
                given[names.index(key)] = a.expression
            elif i < len(given):
                given[i] = a
        args: list[exp.Expr] = []
        for p, g in zip(params, given, strict=True):
            if g is None and p.default is None:
                return None
            args.append(g if g is not None else sqlglot.parse_one(p.default or "", "postgres"))
        builtin = INTERNAL_WINDOW_FUNCTIONS[routine.body]
        return builtin, exp.Anonymous(this=builtin, expressions=args)

    # the frame

    def _frame(self, spec: exp.WindowSpec | None, order: list[tuple[Typed, bool, bool]]) -> Frame:
        if spec is None:  # RANGE UNBOUNDED PRECEDING: to the current row's last peer
            return Frame("range", FrameBound("unbounded"), FrameBound("current"))
        mode = str(spec.args.get("kind") or "range").lower()
        start = self._bound(spec.args.get("start"), spec.args.get("start_side"))
        end_e = spec.args.get("end")
        end = self._bound(end_e, spec.args.get("end_side")) if end_e else FrameBound("current")
        if start.kind == "unbounded" and str(spec.args.get("start_side")).lower() == "following":
            raise WindowingError("frame start cannot be UNBOUNDED FOLLOWING")
        if end.kind == "unbounded" and str(spec.args.get("end_side")).lower() == "preceding":
            raise WindowingError("frame end cannot be UNBOUNDED PRECEDING")
        if start.kind == "current" and end.kind == "preceding":
            raise WindowingError("frame starting from current row cannot have preceding rows")
        if start.kind == "following" and end.kind in ("preceding", "current"):
            raise WindowingError("frame starting from following row cannot have preceding rows")
        exclude = str(spec.args.get("exclude") or "").lower()
        exclude = {"current row": "current", "no others": ""}.get(exclude, exclude)
        frame = Frame(mode, start, end, exclude)
        offsets = [b for b in (start, end) if b.offset is not None]
        if mode == "groups" and not order:
            raise WindowingError("GROUPS mode requires an ORDER BY clause")
        if mode == "range" and offsets:
            if len(order) != 1:
                raise WindowingError(
                    "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column"
                )
            sort = order[0][0].type
            for b in offsets:
                assert b.offset is not None
                target = offset_type(sort, b.offset.type)
                if target is None:
                    raise FeatureNotSupported(
                        "RANGE with offset PRECEDING/FOLLOWING is not supported for column "
                        f"type {sort.display()} and offset type {b.offset.type.display()}"
                    )
                b.offset = coerce_to(b.offset, target)
            frame.in_range = in_range_for(sort)
        else:
            for b in offsets:
                assert b.offset is not None
                b.offset = coerce_to(b.offset, T.INT8)
        return frame

    def _bound(self, value: exp.Expr | str | None, side: object) -> FrameBound:
        text = value.upper() if isinstance(value, str) else None
        if text == "UNBOUNDED":
            return FrameBound("unbounded")
        if text == "CURRENT ROW":
            return FrameBound("current")
        assert isinstance(value, exp.Expr)
        if _has_column(value):
            raise InvalidColumnReference("argument of ROWS must not contain variables")
        return FrameBound(str(side).lower(), self.comp.compile(value))


def _has_column(e: exp.Expr) -> bool:
    """Whether ``e`` reads a column of the query (a subquery's own columns do not count)."""
    if isinstance(e, exp.Column):
        return True
    if isinstance(e, exp.Subquery | exp.Select):
        return False
    return any(_has_column(c) for c in e.iter_expressions())


def _window_function(name: str, args: list[Typed]) -> tuple[list[Typed], SqlType, None]:
    """A window function's arguments coerced to its signature, and its result type."""

    def wrong() -> UndefinedFunction:
        shown = ", ".join(a.type.display() for a in args)
        return UndefinedFunction(f"function {name}({shown}) does not exist")

    def value(a: Typed) -> Typed:
        return coerce_to(a, T.TEXT) if a.type.name == "unknown" else a

    def integer(a: Typed) -> Typed:
        # an integer argument: smallint and integer (and an untyped literal) convert implicitly
        if a.type.name not in ("smallint", "integer", "unknown"):
            raise wrong()
        return coerce_to(a, T.INT4)

    if name in _NO_ARGS:
        if args:
            raise wrong()
        rtype = T.FLOAT8 if name in ("percent_rank", "cume_dist") else T.INT8
        return [], rtype, None
    if name == "ntile":
        if len(args) != 1:
            raise wrong()
        return [integer(args[0])], T.INT4, None
    if name in ("first_value", "last_value"):
        if len(args) != 1:
            raise wrong()
        a = value(args[0])
        return [a], a.type, None
    if name == "nth_value":
        if len(args) != 2:
            raise wrong()
        a = value(args[0])
        return [a, integer(args[1])], a.type, None
    # lag and lead: (value [, offset [, default]]), value and default of a common type
    if not 1 <= len(args) <= 3:
        raise wrong()
    a = args[0]
    if len(args) == 3:
        t = unify([a.type, args[2].type])
        t = T.TEXT if t.name == "unknown" else t
        rest = [integer(args[1]), coerce_to(args[2], t)]
        return [coerce_to(a, t), *rest], t, None
    a = value(a)
    return [a, *[integer(x) for x in args[1:]]], a.type, None


def _order_item(e: exp.Expr, desc: bool, nulls_first: bool) -> str:
    """One ORDER BY item's SQL text (NULLS spelled out only where not the default)."""
    text = e.sql(dialect="postgres") + (" DESC" if desc else "")
    if nulls_first != desc:
        text += " NULLS FIRST" if nulls_first else " NULLS LAST"
    return text
