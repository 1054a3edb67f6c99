"""The hstore extension's operators and functions (its values: sql.hstore_values).

They exist only in a database that installed hstore (sql.extensions): the type is then in
the catalog, and ``hstore_type()`` finds it by name on the search path. An operator is
hstore's when one operand is hstore (an untyped literal beside it is read as the type its
position takes: hstore where the operator takes two hstores (``@>``, ``||``, ``-``), as
PostgreSQL first assumes the other operand's type, else text, its preferred type).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from sql import types as T
from sql.casts import coerce_to, hstore_json
from sql.errors import (
    ArraySubscriptError,
    NullValueNotAllowed,
    UndefinedFunction,
)
from sql.functions_text import strict_call
from sql.hstore_values import Hstore
from sql.scope import ExprCompiler, Row, Typed
from sql.types import SqlType

TEXTS = T.TEXT.array_of()


def hstore_type(name: str = "hstore") -> SqlType:
    """The installed hstore type (42704 as PostgreSQL's "type does not exist" otherwise)."""
    t = T.type_by_name(name)
    if t is None or t.name != "hstore":
        raise UndefinedFunction(f'type "{name}" does not exist')
    return t


def is_hstore(t: SqlType) -> bool:
    """Whether ``t`` is the extension's hstore (not an enum or composite of that name)."""
    return t.name == "hstore" and t.element is None and t.labels is None and t.fields is None


def _texts(keys: list[Any]) -> list[str]:
    return [k for k in T.array_elements(keys, T.TEXT) if k is not None]


def _no_op(a: Typed, symbol: str, b: Typed) -> UndefinedFunction:
    return UndefinedFunction(
        f"operator does not exist: {a.type.display()} {symbol} {b.type.display()}"
    )


def compile_operator(symbol: str, a: Typed, b: Typed) -> Typed | None:
    """``a symbol b`` when it is one of hstore's operators, else None."""
    if not (is_hstore(a.type) or (a.type.name == "unknown" and is_hstore(b.type))):
        return None
    ht = a.type if is_hstore(a.type) else b.type
    a = coerce_to(a, ht)
    tb = b.type.name
    if symbol == "->":
        if b.type.element is not None:  # an untyped literal is a key (text is preferred)
            keys = coerce_to(b, TEXTS)
            return strict_call("?column?", [a, keys], TEXTS, slice_array)
        return strict_call("?column?", [a, _text(b, a, symbol)], T.TEXT, lambda h, k: h.get(k))
    if symbol == "?":
        return strict_call("?column?", [a, _text(b, a, symbol)], T.BOOL, lambda h, k: h.has(k))
    if symbol in ("?|", "?&"):
        pick = any if symbol == "?|" else all
        keys = coerce_to(b, TEXTS)
        return strict_call(
            "?column?", [a, keys], T.BOOL, lambda h, ks: pick(h.has(k) for k in _texts(ks))
        )
    if symbol in ("@>", "<@"):
        b = coerce_to(b, ht) if tb == "unknown" else b
        if not is_hstore(b.type):
            raise _no_op(a, symbol, b)
        impl = contains if symbol == "@>" else (lambda x, y: contains(y, x))
        return strict_call("?column?", [a, b], T.BOOL, impl)
    if symbol == "||":
        b = coerce_to(b, ht) if tb == "unknown" else b
        if not is_hstore(b.type):
            raise _no_op(a, symbol, b)
        return strict_call("?column?", [a, b], ht, Hstore.merged)
    if symbol == "-":
        b = coerce_to(b, ht) if tb == "unknown" else b  # hstore - hstore matches exactly
        if is_hstore(b.type):
            return strict_call("?column?", [a, b], ht, delete_pairs)
        if b.type.element is not None:
            return strict_call("?column?", [a, coerce_to(b, TEXTS)], ht, delete_keys)
        return strict_call(
            "?column?", [a, _text(b, a, symbol)], ht, lambda h, k: delete_keys(h, [k])
        )
    if symbol in ("=", "<>"):
        return None  # hstore_eq: the values' equality (the generic comparison)
    raise _no_op(a, symbol, b)


def _text(b: Typed, a: Typed, symbol: str) -> Typed:
    if b.type.name == "unknown" or b.type.category == "S":
        return coerce_to(b, T.TEXT, explicit=True)
    raise _no_op(a, symbol, b)


def contains(a: Hstore, b: Hstore) -> bool:
    """hs_contains: every pair of ``b`` is in ``a`` (a NULL value matches a NULL value)."""
    have = a.as_dict()
    return all(k in have and have[k] == v for k, v in b.pairs)


def delete_keys(h: Hstore, keys: list[Any]) -> Hstore:
    drop = set(_texts(keys))
    return Hstore([(k, v) for k, v in h.pairs if k not in drop])


def delete_pairs(h: Hstore, other: Hstore) -> Hstore:
    gone = other.as_dict()
    return Hstore([(k, v) for k, v in h.pairs if not (k in gone and gone[k] == v)])


# -- functions -------------------------------------------------------------------------------


_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def to_json_loose(h: Hstore) -> str:
    """hstore_to_json_loose: a value reading as a JSON number is one, t and f are booleans."""

    def value(v: str | None) -> str:
        if v is None:
            return "null"
        if v in ("t", "f"):
            return "true" if v == "t" else "false"
        return v if _JSON_NUMBER.fullmatch(v) else json.dumps(v, ensure_ascii=False)

    return (
        "{"
        + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {value(v)}" for k, v in h.pairs)
        + "}"
    )


def from_arrays(keys: list[Any], values: list[Any] | None) -> Hstore:
    """hstore(text[], text[]): pairs of the two arrays' elements (NULL values: all NULL)."""
    ks = T.array_elements(keys, T.TEXT)
    if any(k is None for k in ks):
        raise NullValueNotAllowed("null value not allowed for hstore key")
    if values is None:
        return Hstore((k, None) for k in ks)
    vs = T.array_elements(values, T.TEXT)
    if len(T.array_dims(keys, T.TEXT)) > 1 or len(T.array_dims(values, T.TEXT)) > 1:
        raise ArraySubscriptError("wrong number of array subscripts")
    if len(ks) != len(vs):
        raise ArraySubscriptError("arrays must have same bounds")
    return Hstore(zip(ks, vs, strict=True))


def from_pairs_array(arr: list[Any]) -> Hstore:
    """hstore(text[]): {k, v, k, v} or {{k, v}, {k, v}}."""
    dims = T.array_dims(arr, T.TEXT)
    items = T.array_elements(arr, T.TEXT)
    if len(dims) > 2 or (len(dims) == 2 and dims[1] != 2):
        raise ArraySubscriptError("wrong number of array subscripts")
    if len(items) % 2:
        raise ArraySubscriptError("array must have even number of elements")
    if any(k is None for k in items[::2]):
        raise NullValueNotAllowed("null value not allowed for hstore key")
    return Hstore(zip(items[::2], items[1::2], strict=True))


def to_array(h: Hstore) -> list[Any]:
    return [x for pair in h.pairs for x in pair]


def to_matrix(h: Hstore) -> list[Any]:
    return [[k, v] for k, v in h.pairs]


def slice_array(h: Hstore, keys: list[Any]) -> list[Any]:
    return [h.get(k) if k is not None else None for k in T.array_elements(keys, T.TEXT)]


def slice_(h: Hstore, keys: list[Any]) -> Hstore:
    want = set(_texts(keys))
    return Hstore([(k, v) for k, v in h.pairs if k in want])


NAMES = frozenset({
    "hstore", "akeys", "avals", "hstore_to_array", "hstore_to_matrix", "hstore_to_json",
    "hstore_to_jsonb", "hstore_to_json_loose", "hstore_to_jsonb_loose", "slice",
    "slice_array", "exist", "exists_any", "exists_all", "defined", "isexists", "isdefined",
    "delete", "fetchval", "hs_concat", "hs_contains", "hs_contained", "tconvert",
    "populate_record",
})  # fmt: skip
SRFS = frozenset({"skeys", "svals", "each"})


def compile_call(c: ExprCompiler, name: str, raw: list[exp.Expr]) -> Typed:
    """One of hstore's functions (``name`` in NAMES)."""
    args = [c.compile(a) for a in raw]
    ht = hstore_type()
    shown = ", ".join(a.type.display() for a in args)
    missing = UndefinedFunction(f"function {name}({shown}) does not exist")
    if name in ("hstore", "tconvert"):
        if len(args) == 1 and args[0].type.fields is not None:
            rec = args[0]
            names = [n for n, _ in rec.type.fields or ()]
            types = [t for _, t in rec.type.fields or ()]
            return strict_call(name, [rec], ht, lambda v: Hstore(
                (n, T.format_value(x, t)) for n, x, t in zip(names, v, types, strict=True)
            ))  # fmt: skip
        if len(args) == 1:
            return strict_call(name, [coerce_to(args[0], TEXTS)], ht, from_pairs_array)
        if len(args) == 2 and (
            args[0].type.element is not None or args[1].type.element is not None
        ):
            keys, values = coerce_to(args[0], TEXTS), coerce_to(args[1], TEXTS)
            fk, fv = keys.fn, values.fn

            def pairs(r: Row) -> Hstore | None:
                k = fk(r)
                return None if k is None else from_arrays(k, fv(r))

            return Typed(pairs, ht, keys.const and values.const, name)
        if len(args) == 2:
            k, v = (coerce_to(a, T.TEXT, explicit=True) for a in args)
            fk, fv = k.fn, v.fn

            def one(r: Row) -> Hstore | None:
                key = fk(r)
                return None if key is None else Hstore([(key, fv(r))])

            return Typed(one, ht, k.const and v.const, name)
        raise missing
    if name == "populate_record" and len(args) == 2 and args[0].type.fields is not None:
        return _populate_record(args[0], coerce_to(args[1], ht))
    if not args or not (is_hstore(args[0].type) or args[0].type.name == "unknown"):
        raise missing
    h = coerce_to(args[0], ht)
    rest = args[1:]
    unary: dict[str, tuple[SqlType, Callable[[Hstore], Any]]] = {
        "akeys": (TEXTS, Hstore.key_list),
        "avals": (TEXTS, Hstore.value_list),
        "hstore_to_array": (TEXTS, to_array),
        "hstore_to_matrix": (TEXTS, to_matrix),
        "hstore_to_json": (T.JSON, hstore_json),
        "hstore_to_jsonb": (T.JSONB, lambda x: T.jsonb_value(x.as_dict())),
        "hstore_to_json_loose": (T.JSON, to_json_loose),
        "hstore_to_jsonb_loose": (
            T.JSONB, lambda x: T.parse_text(to_json_loose(x), T.JSONB)
        ),
    }  # fmt: skip
    if name in unary and not rest:
        rtype, fn = unary[name]
        return strict_call(name, [h], rtype, fn)
    if len(rest) != 1:
        raise missing
    b = rest[0]
    symbol = {"exist": "?", "isexists": "?", "exists_any": "?|", "exists_all": "?&",
              "fetchval": "->", "hs_concat": "||", "hs_contains": "@>", "hs_contained": "<@",
              "delete": "-"}.get(name)  # fmt: skip
    if symbol is not None:
        if symbol in ("?|", "?&"):
            b = coerce_to(b, TEXTS)
        if symbol == "-" and b.type.name == "unknown":  # a function prefers text: a key
            b = coerce_to(b, T.TEXT)
        op = compile_operator(symbol, h, b)
        assert op is not None
        return Typed(op.fn, op.type, op.const, name)
    if name in ("defined", "isdefined"):
        return strict_call(name, [h, _text(b, h, name)], T.BOOL, lambda x, k: x.get(k) is not None)
    if name == "slice":
        return strict_call(name, [h, coerce_to(b, TEXTS)], ht, slice_)
    if name == "slice_array":
        return strict_call(name, [h, coerce_to(b, TEXTS)], TEXTS, slice_array)
    raise missing


def _populate_record(base: Typed, h: Typed) -> Typed:
    """populate_record(base, h): ``base`` (a composite value, maybe NULL) with each field
    that ``h`` has a key for read from that key's value (NULL for a NULL value); NULL
    ``h`` gives ``base`` unchanged."""
    fields = base.type.fields or ()
    fb, fh = base.fn, h.fn

    def run(r: Row) -> Any:
        row, pairs = fb(r), fh(r)
        if pairs is None:
            return row
        values = list(row) if row is not None else [None] * len(fields)
        given = pairs.as_dict()
        for i, (field, ft) in enumerate(fields):
            if field in given:
                v = given[field]
                values[i] = None if v is None else T.parse_text(v, ft)
        return tuple(values)

    return Typed(run, base.type, base.const and h.const, "populate_record")


def compile_set(
    c: ExprCompiler, name: str, raw: list[exp.Expr]
) -> tuple[Callable[[Row], list[tuple[Any, ...]]], list[tuple[str, SqlType]]]:
    """skeys(hstore), svals(hstore), each(hstore): a function from a row to its rows, and
    their columns."""
    args = [c.compile(a) for a in raw]
    ht = hstore_type()
    if len(args) != 1 or not (is_hstore(args[0].type) or args[0].type.name == "unknown"):
        shown = ", ".join(a.type.display() for a in args)
        raise UndefinedFunction(f"function {name}({shown}) does not exist")
    f = coerce_to(args[0], ht).fn

    def rows(r: Row) -> list[tuple[Any, ...]]:
        h = f(r)
        if h is None:
            return []
        if name == "skeys":
            return [(k,) for k in h.key_list()]
        if name == "svals":
            return [(v,) for v in h.value_list()]
        return list(h.pairs)

    if name == "each":
        return rows, [("key", T.TEXT), ("value", T.TEXT)]
    return rows, [(name, T.TEXT)]


def subscript_setter(key: Typed, value: Typed) -> Callable[[Row, Any], Any]:
    """``SET h[key] = value`` of UPDATE: the column's hstore (an empty one for NULL) with
    ``key`` set to ``value`` (any text, NULL too); a NULL key is 22004."""
    fk = coerce_to(key, T.TEXT, explicit=True).fn
    fv = coerce_to(value, T.TEXT).fn

    def run(row: Row, old: Any) -> Hstore:
        k = fk(row)
        if k is None:
            raise NullValueNotAllowed("hstore subscript in assignment must not be null")
        return Hstore.merged(old or Hstore(), Hstore([(k, fv(row))]))

    return run
