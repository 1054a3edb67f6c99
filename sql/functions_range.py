"""The functions and operators of the range and multirange types (sql.ranges holds the
values and their algebra): constructors (``int4range(1, 5, '[]')``,
``int4multirange(r, ...)``), lower/upper/isempty/lower_inc/... , range_merge, multirange(),
and the operators @> <@ && << >> &< &> -|- + - * over ranges, multiranges and elements.

Operand typing follows PostgreSQL: an untyped literal takes the other side's range type (or
the subtype, as the element of ``@>``/``<@``); both sides must be of one range type (a
multirange counts as its range type), else 42883.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sql import ranges as R
from sql import types as T
from sql.casts import base_type, coerce_to
from sql.errors import DataException, NullValueNotAllowed, UndefinedFunction
from sql.functions_text import no_such_function, strict_call
from sql.scope import Row, Typed
from sql.types import SqlType

_CONSTRUCTORS = {t.name: t for t in (*T.RANGES, *T.MULTIRANGES)}
_ACCESSORS = ("lower", "upper", "isempty", "lower_inc", "upper_inc", "lower_inf", "upper_inf")
NAMES = frozenset({*_CONSTRUCTORS, *_ACCESSORS, "range_merge", "multirange"})


def range_of(t: SqlType) -> SqlType | None:
    """The range type of a range or multirange type, else None."""
    if t.is_multirange:
        return t.subtype
    return t if t.is_range else None


def _first_last(v: R.Range | R.Multirange) -> tuple[R.Range, R.Range]:
    if isinstance(v, R.Multirange):
        return (v.ranges[0], v.ranges[-1]) if v.ranges else (R.EMPTY, R.EMPTY)
    return v, v


_ACCESS: dict[str, Callable[[R.Range, R.Range], Any]] = {
    "lower": lambda f, _l: None if f.empty else f.lower,
    "upper": lambda _f, last: None if last.empty else last.upper,
    "isempty": lambda f, _l: f.empty,
    "lower_inc": lambda f, _l: f.lower_inc,
    "upper_inc": lambda _f, last: last.upper_inc,
    "lower_inf": lambda f, _l: f.lower_inf,
    "upper_inf": lambda _f, last: last.upper_inf,
}


def compile_range(name: str, args: list[Typed]) -> Typed | None:
    """The range function ``name`` of ``args``, or None when no range function takes them
    (``lower(text)`` is the text one)."""
    if name in _CONSTRUCTORS:
        return construct(_CONSTRUCTORS[name], args)
    if not args or range_of(args[0].type) is None:
        return None
    a = args[0]
    rt = range_of(a.type)
    assert rt is not None and rt.subtype is not None
    step = T.range_step(rt)
    if name in _ACCESS and len(args) == 1:
        get = _ACCESS[name]
        rtype = rt.subtype if name in ("lower", "upper") else T.BOOL

        def access(v: Any) -> Any:
            first, last = _first_last(v)
            return get(first, last)

        return strict_call(name, [a], rtype, access)
    if name == "range_merge" and len(args) == 1 and a.type.is_multirange:
        return strict_call(name, [a], rt, lambda m: R.span(m, step))
    if name == "range_merge" and len(args) == 2 and a.type.is_range:
        b = coerce_to(args[1], rt) if args[1].type.name == "unknown" else args[1]
        if b.type != rt:
            raise no_such_function(name, args)
        return strict_call(name, [a, b], rt, lambda x, y: R.merge(x, y, step))
    if name == "multirange" and len(args) == 1 and a.type.is_range:
        multi = multirange_of(rt)
        return strict_call(name, [a], multi, lambda x: R.multirange([x], step))
    raise no_such_function(name, args)


def construct(t: SqlType, args: list[Typed]) -> Typed:
    """The constructor function of the range or multirange type ``t``."""
    return _multi_constructor(t, args) if t.is_multirange else _constructor(t, args)


def multirange_of(rt: SqlType) -> SqlType:
    for m in T.MULTIRANGES:
        if m.subtype == rt:
            return m
    raise UndefinedFunction(f"could not find multirange type for data type {rt.display()}")


def _constructor(t: SqlType, args: list[Typed]) -> Typed:
    """int4range(lo, hi[, flags]): not strict, a NULL bound is infinite; NULL flags 22004."""
    sub = t.subtype
    assert sub is not None
    if len(args) not in (2, 3):
        raise no_such_function(t.name, args)
    bounds = [coerce_to(a, sub) for a in args[:2]]
    flags = coerce_to(args[2], T.TEXT) if len(args) == 3 else None
    fl, fh = bounds[0].fn, bounds[1].fn
    ff = flags.fn if flags is not None else None
    step = T.range_step(t)

    def run(r: Row) -> Any:
        f = ff(r) if ff is not None else "[)"
        if f is None:
            raise DataException("range constructor flags argument must not be null")
        return R.construct(fl(r), fh(r), f, step)

    const = all(a.const for a in args)
    if const:
        value = run(())
        return Typed(lambda _r: value, t, True, t.name)
    return Typed(run, t, False, t.name)


def _multi_constructor(t: SqlType, args: list[Typed]) -> Typed:
    """int4multirange(r, ...): strict in each range (a NULL range is 22004)."""
    rt = t.subtype
    assert rt is not None
    typed = [coerce_to(a, rt) if a.type.name == "unknown" else a for a in args]
    if any(a.type != rt for a in typed):
        raise no_such_function(t.name, args)
    fns = [a.fn for a in typed]
    step = T.range_step(rt)

    def run(r: Row) -> Any:
        values = [f(r) for f in fns]
        if any(v is None for v in values):
            raise NullValueNotAllowed("multirange values cannot contain null members")
        return R.multirange(values, step)

    if all(a.const for a in typed):
        value = run(())
        return Typed(lambda _r: value, t, True, t.name)
    return Typed(run, t, False, t.name)


# -- operators ----------------------------------------------------------------------------

_BOOL_OPS = frozenset({"@>", "<@", "&&", "<<", ">>", "&<", "&>", "-|-"})


def _undefined(symbol: str, a: Typed, b: Typed) -> UndefinedFunction:
    return UndefinedFunction(
        f"operator does not exist: {a.type.display()} {symbol} {b.type.display()}"
    )


def _spans(
    test: Callable[[R.Range, R.Range], bool], step: R.Step | None
) -> Callable[[Any, Any], bool]:
    """A positional test of two multiranges, as PostgreSQL's: on their spans."""

    def run(x: R.Multirange, y: R.Multirange) -> bool:
        if not x.ranges or not y.ranges:
            return False
        return test(R.span(x, step), R.span(y, step))

    return run


def range_operator(symbol: str, a: Typed, b: Typed) -> Typed:
    """``a symbol b`` where one side is a range or multirange."""
    ra, rb = range_of(a.type), range_of(b.type)
    if ra is None and a.type.name == "unknown" and rb is not None:
        a = coerce_to(a, b.type)
        ra = range_of(a.type)
    if rb is None and b.type.name == "unknown" and ra is not None:
        b = coerce_to(b, a.type)
        rb = range_of(b.type)
    rt = ra or rb
    assert rt is not None and rt.subtype is not None
    step = T.range_step(rt)
    if symbol in ("@>", "<@") and (ra is None or rb is None):  # an element
        rng, elem = (a, b) if ra is not None else (b, a)
        if (symbol == "@>") != (ra is not None):
            raise _undefined(symbol, a, b)
        if elem.type.name == "unknown":
            elem = coerce_to(elem, rt.subtype)
        elif base_type(elem.type) != rt.subtype:  # anyelement: the subtype exactly
            raise _undefined(symbol, a, b)

        def has(x: Any, v: Any) -> bool:
            return R.multi_contains_elem(R.as_multi(x), v)

        return strict_call("?column?", [rng, elem], T.BOOL, has)
    if ra is None or rb is None or ra != rb:
        raise _undefined(symbol, a, b)
    if symbol in _BOOL_OPS:
        test: Callable[[Any, Any], bool]
        if symbol == "@>":
            test = R.multi_contains
        elif symbol == "<@":
            test = lambda x, y: R.multi_contains(y, x)  # noqa: E731
        elif symbol == "&&":
            test = lambda x, y: any(  # noqa: E731
                R.overlaps(r, s) for r in x.ranges for s in y.ranges
            )
        else:
            positional: dict[str, Callable[[R.Range, R.Range], bool]] = {
                "<<": R.before,
                ">>": R.after,
                "&<": R.overleft,
                "&>": R.overright,
                "-|-": lambda x, y: R.adjacent(x, y, step),
            }
            test = _spans(positional[symbol], step)

        def both(x: Any, y: Any) -> bool:
            return test(R.as_multi(x), R.as_multi(y))

        return strict_call("?column?", [a, b], T.BOOL, both)
    if symbol in ("+", "-", "*") and a.type == b.type:
        impl: Callable[[Any, Any, R.Step | None], Any]
        if a.type.is_range:
            impl = {"+": R.union, "-": R.minus, "*": R.intersect}[symbol]
        else:
            impl = {"+": R.multi_union, "-": R.multi_minus, "*": R.multi_intersect}[symbol]
        return strict_call("?column?", [a, b], a.type, lambda x, y: impl(x, y, step))
    raise _undefined(symbol, a, b)
