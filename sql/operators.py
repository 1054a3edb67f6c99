"""Operators that sqlglot parses into nodes named for other databases' functions (``@>`` is
ArrayContainsAll, ``?`` JSONBContainsTopKey, ``#`` BitwiseXor), resolved by PostgreSQL's
operator symbol and the operand types.

``SYMBOLS`` maps each such node class to PostgreSQL's symbol; ``compile_operator`` chooses the
implementation from the symbol and the operands' types, and raises 42883 "operator does not
exist" for any other combination, as PostgreSQL does.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from sql import geometry
from sql import types as T
from sql.casts import coerce_to
from sql.errors import DatatypeMismatch, UndefinedFunction
from sql.functions_range import range_operator
from sql.functions_text import strict_call
from sql.functions_text_search import tsquery_operator
from sql.pg_dialect import (
    Above,
    Below,
    Horizontal,
    PatternGreater,
    PatternGreaterEq,
    PatternLess,
    PatternLessEq,
    SameAs,
    StrictlyAbove,
    StrictlyBelow,
    TrgmStrictDistance,
    TrgmStrictDistanceSwapped,
    TrgmStrictSimilar,
    TrgmStrictSimilarSwapped,
    TrgmWordDistance,
    TrgmWordDistanceSwapped,
    TrgmWordSimilar,
    TrgmWordSimilarSwapped,
)
from sql.scope import Typed
from sql.types import SqlType

SYMBOLS: dict[type[exp.Expr], str] = {
    exp.ArrayContainsAll: "@>",
    exp.ArrayContainedBy: "<@",
    exp.ArrayOverlaps: "&&",
    exp.JSONBContainsTopKey: "?",
    exp.JSONBContainsAnyTopKeys: "?|",
    exp.JSONBContainsAllTopKeys: "?&",
    exp.JSONBDeleteAtPath: "#-",
    exp.StartsWith: "^@",
    exp.BitwiseAnd: "&",
    exp.BitwiseOr: "|",
    exp.BitwiseXor: "#",
    exp.BitwiseNot: "~",
    exp.BitwiseLeftShift: "<<",
    exp.BitwiseRightShift: ">>",
    exp.Distance: "<->",
    exp.Adjacent: "-|-",
    exp.ExtendsLeft: "&<",
    exp.ExtendsRight: "&>",
    SameAs: "~=",
    Below: "<^",
    Above: ">^",
    Horizontal: "?-",
    StrictlyBelow: "<<|",
    StrictlyAbove: "|>>",
    PatternLess: "~<~",
    PatternLessEq: "~<=~",
    PatternGreaterEq: "~>=~",
    PatternGreater: "~>~",
    TrgmWordSimilar: "<%",
    TrgmWordSimilarSwapped: "%>",
    TrgmStrictSimilar: "<<%",
    TrgmStrictSimilarSwapped: "%>>",
    TrgmWordDistance: "<<->",
    TrgmWordDistanceSwapped: "<->>",
    TrgmStrictDistance: "<<<->",
    TrgmStrictDistanceSwapped: "<->>>",
}
_PATTERN_CMP: dict[str, Callable[[str, str], bool]] = {
    "~<~": operator.lt, "~<=~": operator.le, "~>=~": operator.ge, "~>~": operator.gt,
}  # fmt: skip
_STRINGS = ("text", "character varying", "character", "name", "unknown")


def _json_contains(a: Any, b: Any, top: bool = True) -> bool:
    """jsonb ``a @> b``: every key of an object with a contained value, every element of an
    array contained in some element; a top-level array contains a bare scalar."""
    if isinstance(a, dict):
        return isinstance(b, dict) and all(
            k in a and _json_contains(a[k], v, False) for k, v in b.items()
        )
    if isinstance(a, list):
        if isinstance(b, list):
            return all(
                any(_json_contains(x, y, False) for x in a)
                if not isinstance(y, list | dict)
                else any(isinstance(x, type(y)) and _json_contains(x, y, False) for x in a)
                for y in b
            )
        return top and not isinstance(b, dict) and any(_same_scalar(x, b) for x in a)
    return not isinstance(b, list | dict) and _same_scalar(a, b)


def _same_scalar(x: Any, y: Any) -> bool:
    if isinstance(x, list | dict) or isinstance(y, list | dict):
        return False
    if isinstance(x, bool) or isinstance(y, bool):
        return type(x) is type(y) and x == y
    if isinstance(x, str) or isinstance(y, str):
        return isinstance(x, str) and isinstance(y, str) and x == y
    return bool(x == y)


def _json_has(a: Any, key: str) -> bool:
    if isinstance(a, dict):
        return key in a
    if isinstance(a, list):
        return any(isinstance(x, str) and x == key for x in a)
    return isinstance(a, str) and a == key


def _json_delete_path(a: Any, path: list[str | None]) -> Any:
    if not path or not isinstance(a, dict | list):
        return a
    head, rest = path[0], path[1:]
    if isinstance(a, dict):
        if head not in a:
            return a
        out = dict(a)
        if rest:
            out[head] = _json_delete_path(a[head], rest)
        else:
            del out[head]
        return out
    try:
        i = int(head or "")
    except ValueError:
        return a
    if not -len(a) <= i < len(a):
        return a
    out_list = list(a)
    if rest:
        out_list[i] = _json_delete_path(a[i], rest)
    else:
        del out_list[i]
    return out_list


def _flat(x: list[Any]) -> list[Any]:
    return [y for v in x for y in (_flat(v) if isinstance(v, list) else [v])]


def _array_contains(a: list[Any], b: list[Any]) -> bool:
    have = _flat(a)
    return all(v is not None and v in have for v in _flat(b))


def _int_type(t: SqlType) -> bool:
    return t.name in ("smallint", "integer", "bigint")


_BITS = {"smallint": 16, "integer": 32, "bigint": 64}


def _checked_int(v: int, t: SqlType) -> int:
    bits = _BITS[t.name]
    wrapped = (v + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))
    return wrapped


def compile_operator(symbol: str, args: list[Typed]) -> Typed:
    """The PostgreSQL operator ``symbol`` applied to the compiled operands ``args`` (one for
    a prefix operator)."""
    ts = tsquery_operator(symbol, args)
    if ts is not None:
        return ts
    if len(args) == 1:
        (a,) = args
        if symbol == "~":
            a = coerce_to(a, T.INT4) if a.type.name == "unknown" else a
            if _int_type(a.type):
                return _call([a], a.type, lambda x: ~x)
        raise UndefinedFunction(f"operator does not exist: {symbol} {a.type.display()}")
    a, b = args
    ta, tb = a.type, b.type
    if ta.subtype is not None or tb.subtype is not None:
        return range_operator(symbol, a, b)
    if ta.category == "G" or tb.category == "G":
        return _geometric(symbol, a, b)
    if symbol in ("@>", "<@") and "jsonb" in (ta.name, tb.name):
        a, b = coerce_to(a, T.JSONB), coerce_to(b, T.JSONB)
        if symbol == "@>":
            return _call([a, b], T.BOOL, _json_contains)
        return _call([a, b], T.BOOL, lambda x, y: _json_contains(y, x))
    if symbol in ("@>", "<@", "&&") and (ta.element is not None or tb.element is not None):
        arr = ta if ta.element is not None else tb
        a, b = coerce_to(a, arr), coerce_to(b, arr)
        impl: Callable[..., Any] = {
            "@>": _array_contains,
            "<@": lambda x, y: _array_contains(y, x),
            "&&": lambda x, y: bool(
                set(v for v in _flat(x) if v is not None)
                & set(v for v in _flat(y) if v is not None)
            ),
        }[symbol]
        return _call([a, b], T.BOOL, impl)
    if symbol in ("?", "?|", "?&", "#-") and ta.name == "jsonb":
        if symbol == "?":
            return _call([a, coerce_to(b, T.TEXT)], T.BOOL, _json_has)
        keys = coerce_to(b, T.TEXT.array_of())
        if symbol == "#-":
            return _call([a, keys], T.JSONB, _json_delete_path)
        pick = any if symbol == "?|" else all
        return _call(
            [a, keys],
            T.BOOL,
            lambda x, ks: pick(_json_has(x, k) for k in ks if k is not None),
        )
    if symbol in _PATTERN_CMP and ta.name in _STRINGS and tb.name in _STRINGS:
        # text_pattern_ops: code point order, which is UTF-8's byte order (bpchar's
        # trailing blanks do not count)
        bp = "character" in (ta.name, tb.name)
        t = T.TEXT if not bp else a.type if ta.name == "character" else b.type
        a, b = coerce_to(a, t), coerce_to(b, t)
        cmp = _PATTERN_CMP[symbol]
        if bp:
            return _call([a, b], T.BOOL, lambda x, y: cmp(x.rstrip(" "), y.rstrip(" ")))
        return _call([a, b], T.BOOL, cmp)
    if symbol == "^@":
        a, b = coerce_to(a, T.TEXT, explicit=True), coerce_to(b, T.TEXT, explicit=True)
        return _call([a, b], T.BOOL, lambda x, y: x.startswith(y))
    if symbol in ("&", "|", "#", "<<", ">>"):
        if ta.name == "unknown":
            a = coerce_to(a, tb if _int_type(tb) else T.INT4)
        if tb.name == "unknown":
            b = coerce_to(b, a.type if _int_type(a.type) else T.INT4)
        if _int_type(a.type) and _int_type(b.type):
            if symbol in ("<<", ">>"):
                t = a.type
                b = coerce_to(b, T.INT4)
                bits = _BITS[t.name]
                if symbol == "<<":
                    return _call([a, b], t, lambda x, n: _checked_int(x << (n % bits), t))
                return _call([a, b], t, lambda x, n: x >> (n % bits))
            t = a.type if _BITS[a.type.name] >= _BITS[b.type.name] else b.type
            a, b = coerce_to(a, t), coerce_to(b, t)
            op: Callable[[int, int], int] = {
                "&": lambda x, y: x & y,
                "|": lambda x, y: x | y,
                "#": lambda x, y: x ^ y,
            }[symbol]
            return _call([a, b], t, op)
    raise UndefinedFunction(
        f"operator does not exist: {a.type.display()} {symbol} {b.type.display()}"
    )


_POSITIONS = frozenset({"<<", ">>", "<^", ">^", "?-", "?|", "<<|", "|>>"})
_PAIRS: dict[str, Callable[[Any, Any], Any]] = {
    "<->": geometry.distance,
    "@>": geometry.contains,
    "<@": lambda x, y: geometry.contains(y, x),
    "&&": geometry.overlaps,
}
_PROBES = {  # a value of each type, to learn at plan time which pairs an operator takes
    "point": geometry.Point(0, 0),
    "lseg": geometry.Lseg(geometry.Point(0, 0), geometry.Point(1, 1)),
    "box": geometry.Box(geometry.Point(1, 1), geometry.Point(0, 0)),
    "path": geometry.Path((geometry.Point(0, 0), geometry.Point(1, 1)), False),
    "polygon": geometry.Polygon((geometry.Point(0, 0), geometry.Point(1, 1))),
    "circle": geometry.Circle(geometry.Point(0, 0), 1.0),
    "line": geometry.Line(1.0, -1.0, 0.0),
}


def _geometric(symbol: str, a: Typed, b: Typed) -> Typed:
    """The operators of the geometric types (an untyped literal takes the other's type)."""
    if a.type.name == "unknown":
        a = coerce_to(a, b.type)
    if b.type.name == "unknown":
        b = coerce_to(b, a.type)
    ta, tb = a.type.name, b.type.name
    if symbol == "~=" and ta == tb and ta in ("point", "box", "circle", "polygon"):
        return _call([a, b], T.BOOL, geometry.same_as)
    if symbol in _POSITIONS and ta == tb == "point":
        return _call([a, b], T.BOOL, lambda x, y: geometry.position(symbol, x, y))
    if symbol in ("+", "-", "*", "/") and ta == tb == "point":
        return _call([a, b], T.POINT, lambda x, y: geometry.point_arith(symbol, x, y))
    impl = _PAIRS.get(symbol)
    if impl is not None and impl(_PROBES.get(ta), _PROBES.get(tb)) is not None:
        return _call([a, b], T.FLOAT8 if symbol == "<->" else T.BOOL, impl)
    raise UndefinedFunction(
        f"operator does not exist: {a.type.display()} {symbol} {b.type.display()}"
    )


def geometric_comparison(symbol: str, a: Typed, b: Typed) -> Typed:
    """``=``, ``<>``, ``<``, ... of two geometric values where PostgreSQL has them: boxes and
    circles by area, paths by their number of points, lsegs and lines by equality only;
    point has <> only, polygon none (42883)."""
    name = a.type.name
    if symbol == "<>" and name == b.type.name == "point":  # point_ne: not ~=
        return _call([a, b], T.BOOL, lambda x, y: not geometry.same_as(x, y))
    if (
        name != b.type.name
        or name not in geometry.EQUATABLE
        or (symbol not in ("=", "<>") and name not in geometry.COMPARABLE)
    ):
        raise UndefinedFunction(
            f"operator does not exist: {a.type.display()} {symbol} {b.type.display()}"
        )
    if symbol in ("=", "<>"):
        negate = symbol == "<>"
        return _call([a, b], T.BOOL, lambda x, y: geometry.equal(x, y) != negate)
    m = geometry.measure

    def order(x: Any, y: Any) -> bool:
        mx, my = m(x), m(y)
        if geometry.fp_eq(mx, my):
            return symbol in ("<=", ">=")
        return mx < my if symbol in ("<", "<=") else mx > my

    return _call([a, b], T.BOOL, order)


def geometric_subscript(t: SqlType, shift: int) -> tuple[SqlType, Callable[[Any, int], Any]]:
    """``p[0]``/``p[1]`` of a point (x, y), of an lseg or box (its two points), the index
    arriving ``shift`` less than written; out of range is NULL."""
    parts: Callable[[Any], tuple[Any, Any]]
    if t.name == "name":  # a name is a char[64]: typname[0] = '_' (pg_dump asks that)
        return T.CHAR, lambda v, i: _name_byte(v, i + shift)
    if t.name == "point":
        rtype, parts = T.FLOAT8, lambda p: (p.x, p.y)
    elif t.name == "lseg":
        rtype, parts = T.POINT, lambda s: (s.p1, s.p2)
    elif t.name == "box":
        rtype, parts = T.POINT, lambda b: (b.high, b.low)
    else:
        raise DatatypeMismatch(
            f"cannot subscript type {t.display()} because it does not support subscripting"
        )
    return rtype, lambda v, i: parts(v)[i + shift] if 0 <= i + shift <= 1 else None


def _name_byte(v: str, i: int) -> str | None:
    """``name[i]``: its i-th byte (from 0) as a "char", NUL ('') past its end; NULL outside
    the 64 bytes a name holds."""
    if not 0 <= i < 64:
        return None
    raw = v.encode()
    return chr(raw[i]) if i < len(raw) else ""


def _call(args: list[Typed], rtype: SqlType, impl: Callable[..., Any]) -> Typed:
    return strict_call("?column?", args, rtype, impl)
