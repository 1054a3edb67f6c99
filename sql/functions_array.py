"""Array functions by PostgreSQL's names (array_append, array_cat, array_position(s),
array_dims, array_ndims, array_lower/upper/length, cardinality, array_fill, array_replace,
array_remove, trim_array, array_to_string, string_to_array) and string_to_table, and the
value helpers behind ``||`` on arrays.

An array value is a list, a multidimensional one nested lists of equal shape (sql.types'
``array_dims``), lower bounds other than 1 kept as sql.array_bounds says. Polymorphic
arguments resolve as PostgreSQL's anyarray/anyelement do: an untyped literal takes the type
the other argument gives it, and the element type is the array's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sql import array_bounds
from sql import types as T
from sql.casts import coerce_to, unify
from sql.errors import (
    ArraySubscriptError,
    DataException,
    FeatureNotSupported,
    NullValueNotAllowed,
    ProgramLimitExceeded,
)
from sql.functions_text import no_such_function
from sql.scope import Row, Typed
from sql.types import SqlType

_MAX_ELEMENTS = 134_217_727  # PostgreSQL's MaxArraySize


def _incompatible(detail: str) -> ArraySubscriptError:
    return ArraySubscriptError("cannot concatenate incompatible arrays", detail=detail)


def array_cat(x: list[Any] | None, y: list[Any] | None, elem: SqlType) -> list[Any] | None:
    """``array || array`` (array_cat): arrays of n and n dimensions join along the first;
    an array of n-1 dimensions is added as one more item of the first dimension."""
    if x is None:
        return y
    if y is None:
        return x
    dx, dy = T.array_dims(x, elem), T.array_dims(y, elem)
    if not dx:
        return y
    if not dy:
        return x
    if len(dx) == len(dy):
        if dx[1:] != dy[1:]:
            raise _incompatible(
                "Arrays with differing element dimensions are not compatible for concatenation."
            )
        return array_bounds.like(x, x + y)
    if len(dx) == len(dy) + 1:
        if dx[1:] != dy:
            raise _incompatible(
                "Arrays with differing dimensions are not compatible for concatenation."
            )
        return array_bounds.like(x, [*x, y])
    if len(dy) == len(dx) + 1:
        if dy[1:] != dx:
            raise _incompatible(
                "Arrays with differing dimensions are not compatible for concatenation."
            )
        return array_bounds.like(y, [x, *y])
    raise _incompatible(
        f"Arrays of {len(dx)} and {len(dy)} dimensions are not compatible for concatenation."
    )


def _one_dimensional(x: list[Any], elem: SqlType) -> list[Any]:
    if len(T.array_dims(x, elem)) > 1:
        raise DataException("argument must be empty or one-dimensional array")
    return x


def array_append(x: list[Any] | None, v: Any, elem: SqlType) -> list[Any]:
    """``array || element``: only for an empty or one-dimensional array."""
    return array_bounds.like(x, [*_one_dimensional(x or [], elem), v])


def array_prepend(v: Any, x: list[Any] | None, elem: SqlType) -> list[Any]:
    """``element || array``: only for an empty or one-dimensional array."""
    return array_bounds.like(x, [v, *_one_dimensional(x or [], elem)])


def _flat(x: list[Any], elem: SqlType, what: str) -> list[Any]:
    """A one-dimensional array's elements; 0A000 for a multidimensional one."""
    if len(T.array_dims(x, elem)) > 1:
        raise FeatureNotSupported(f"{what} in multidimensional arrays is not supported")
    return x


def _dims_text(x: list[Any], elem: SqlType) -> str | None:
    dims = T.array_dims(x, elem)
    lows = array_bounds.lower_bounds(x, len(dims))
    return "".join(f"[{lo}:{lo + d - 1}]" for lo, d in zip(lows, dims, strict=True)) or None


def _dim(x: list[Any], elem: SqlType, d: int | None, value: Callable[[int, int], Any]) -> Any:
    """``value(length, lower bound)`` of dimension ``d`` (NULL if ``x`` has no such one)."""
    dims = T.array_dims(x, elem)
    if d is None or not 1 <= d <= len(dims):
        return None
    return value(dims[d - 1], array_bounds.lower_bound(x, d - 1))


def subscripts(
    x: list[Any] | None, elem: SqlType, d: int | None, reverse: bool = False
) -> list[int]:
    """generate_subscripts: the subscripts of dimension ``d``, highest first if ``reverse``."""
    if x is None:
        return []
    out = _dim(x, elem, d, lambda n, lo: list(range(lo, lo + n))) or []
    return out[::-1] if reverse else out


def _position(x: list[Any], v: Any, elem: SqlType, start: int | None = None) -> int | None:
    items = _flat(x, elem, "searching for elements")
    low = array_bounds.lower_bound(x)
    begin = low if start is None else max(start, low)
    for i in range(begin - low, len(items)):
        if items[i] == v and (items[i] is None) == (v is None):
            return i + low
    return None


def _positions(x: list[Any], v: Any, elem: SqlType) -> list[int]:
    items = _flat(x, elem, "searching for elements")
    low = array_bounds.lower_bound(x)
    return [i + low for i, item in enumerate(items) if item == v and (item is None) == (v is None)]


def _replace(x: list[Any], old: Any, new: Any, elem: SqlType) -> list[Any]:
    def swap(items: list[Any]) -> list[Any]:
        return [
            swap(i) if T.is_subarray(i, elem)
            else new if i == old and (i is None) == (old is None)
            else i
            for i in items
        ]  # fmt: skip

    return array_bounds.like(x, swap(x))


def _remove(x: list[Any], v: Any, elem: SqlType) -> list[Any]:
    if len(T.array_dims(x, elem)) > 1:
        raise FeatureNotSupported("removing elements from multidimensional arrays is not supported")
    return [i for i in x if not (i == v and (i is None) == (v is None))]


def _fill(v: Any, dims: list[Any] | None, lbounds: list[Any] | None) -> list[Any]:
    if dims is None or (lbounds is None and lbounds is not _NO_BOUNDS):
        raise NullValueNotAllowed("dimension array or low bound array cannot be null")
    if any(T.is_subarray(d, T.INT4) for d in dims) or (
        lbounds is not _NO_BOUNDS and any(T.is_subarray(b, T.INT4) for b in lbounds or [])
    ):
        raise ArraySubscriptError(
            "wrong number of array subscripts",
            detail="Dimension array must be one dimensional.",
        )
    if lbounds is not _NO_BOUNDS and len(lbounds or []) != len(dims):
        raise ArraySubscriptError(
            "wrong number of array subscripts",
            detail="Low bound array has different size than dimensions array.",
        )
    if any(d is None for d in dims) or any(b is None for b in (lbounds or [])):
        raise NullValueNotAllowed("dimension values cannot be null")
    if len(dims) > T.MAX_ARRAY_DIMS:
        raise ProgramLimitExceeded(
            f"number of array dimensions ({len(dims)}) exceeds the maximum allowed "
            f"({T.MAX_ARRAY_DIMS})"
        )
    if not dims or any(d <= 0 for d in dims):
        return []
    total = 1
    for d in dims:
        total *= d
    if total > _MAX_ELEMENTS:
        raise ProgramLimitExceeded(f"array size exceeds the maximum allowed ({_MAX_ELEMENTS})")
    return array_bounds.bounded(T.array_from_elements([v] * total, dims), lbounds or [1])


_NO_BOUNDS: list[Any] = []


def _trim(x: list[Any], n: int, elem: SqlType) -> list[Any]:
    dims = T.array_dims(x, elem)
    length = dims[0] if dims else 0
    if not 0 <= n <= length:
        raise ArraySubscriptError(f"number of elements to trim must be between 0 and {length}")
    return list(x[: length - n])  # a slice: lower bounds of 1, as in PostgreSQL


def _to_string(x: list[Any], sep: str, null: str | None, elem: SqlType) -> str:
    out = []
    for v in T.array_elements(x, elem):
        if v is None:
            if null is not None:
                out.append(null)
        else:
            out.append(T.format_value(v, elem) or "")
    return sep.join(out)


def split_string(s: str | None, sep: str | None, null: str | None = None) -> list[Any] | None:
    """string_to_array / string_to_table: NULL separator splits into characters, an empty
    one keeps the string whole; an empty string has no elements."""
    if s is None:
        return None
    if s == "":
        return []
    parts = list(s) if sep is None else [s] if sep == "" else s.split(sep)
    return [None if null is not None and p == null else p for p in parts]


FUNCTIONS = frozenset({
    "array_append", "array_prepend", "array_cat", "array_position", "array_positions",
    "array_dims", "array_ndims", "array_lower", "array_upper", "array_length", "cardinality",
    "array_fill", "array_replace", "array_remove", "trim_array", "array_to_string",
    "string_to_array",
})  # fmt: skip
SRFS = frozenset({"string_to_table"})


def _resolve(
    name: str, args: list[Typed], arrays: list[int], elements: list[int]
) -> tuple[SqlType, SqlType]:
    """The array type of a polymorphic call (anyarray at ``arrays``, anyelement at
    ``elements``) and its element type; the arguments there are coerced, in place."""
    for i in arrays:
        if args[i].type.name != "unknown" and args[i].type.element is None:
            raise no_such_function(name, args)
    known = [args[i].type.element or T.TEXT for i in arrays if args[i].type.name != "unknown"]
    known += [args[i].type for i in elements if args[i].type.name != "unknown"]
    elem = unify(known) if known else T.TEXT
    arr = elem.array_of()
    for i in arrays:
        args[i] = coerce_to(args[i], arr)
    for i in elements:
        args[i] = coerce_to(args[i], elem)
    return arr, elem


def compile_call(name: str, args: list[Typed]) -> Typed:
    """A call of one of ``FUNCTIONS``."""
    n = len(args)
    arity = {
        "array_append": (2, 2), "array_prepend": (2, 2), "array_cat": (2, 2),
        "array_position": (2, 3), "array_positions": (2, 2), "array_dims": (1, 1),
        "array_ndims": (1, 1), "array_lower": (2, 2), "array_upper": (2, 2),
        "array_length": (2, 2), "cardinality": (1, 1), "array_fill": (2, 3),
        "array_replace": (3, 3), "array_remove": (2, 2), "trim_array": (2, 2),
        "array_to_string": (2, 3), "string_to_array": (2, 3),
    }[name]  # fmt: skip
    if not arity[0] <= n <= arity[1]:
        raise no_such_function(name, args)
    args = list(args)
    impl: Callable[..., Any]
    if name in ("string_to_array", "array_to_string"):
        if name == "string_to_array":
            texts = [coerce_to(a, T.TEXT) for a in args]
            if any(a.type.category in "NBDT" for a in args):
                raise no_such_function(name, args)
            return _call(lambda s, d, nul=None: split_string(s, d, nul), texts,
                         T.TEXT.array_of(), strict_first=1)  # fmt: skip
        arr, elem = _resolve(name, args, [0], [])
        rest = [coerce_to(a, T.TEXT) for a in args[1:]]
        return _call(lambda x, sep, nul=None: _to_string(x, sep, nul, elem), [args[0], *rest],
                     T.TEXT, strict_first=2)  # fmt: skip
    if name == "array_fill":
        elem_t = args[0].type if args[0].type.name != "unknown" else None
        if elem_t is None:
            raise DataException(
                "could not determine polymorphic type because input has type unknown"
            )
        dims = [coerce_to(a, T.INT4.array_of()) for a in args[1:]]
        bounds = (lambda r: dims[1].fn(r)) if len(dims) > 1 else (lambda _r: _NO_BOUNDS)
        first, dim0 = args[0].fn, dims[0].fn
        return Typed(lambda r: _fill(first(r), dim0(r), bounds(r)), elem_t.array_of(),
                     name=name)  # fmt: skip
    if name in ("array_append", "array_prepend", "array_cat"):
        pos = {"array_append": ([0], [1]), "array_prepend": ([1], [0]), "array_cat": ([0, 1], [])}
        arr, elem = _resolve(name, args, *pos[name])
        impl = {
            "array_append": lambda x, v: array_append(x, v, elem),
            "array_prepend": lambda v, x: array_prepend(v, x, elem),
            "array_cat": lambda x, y: array_cat(x, y, elem),
        }[name]
        return _call(impl, args, arr, strict_first=0)
    if name in ("array_position", "array_positions", "array_replace", "array_remove"):
        values = [1, 2] if name == "array_replace" else [1]
        arr, elem = _resolve(name, args, [0], values)
        if name == "array_position":
            if n == 3:
                args[2] = coerce_to(args[2], T.INT4)
            return _call(lambda x, v, s=None: _position(x, v, elem, s), args, T.INT4,
                         strict_first=1)  # fmt: skip
        if name == "array_positions":
            return _call(lambda x, v: _positions(x, v, elem), args, T.INT4.array_of(),
                         strict_first=1)  # fmt: skip
        if name == "array_replace":
            return _call(lambda x, a, b: _replace(x, a, b, elem), args, arr, strict_first=1)
        return _call(lambda x, v: _remove(x, v, elem), args, arr, strict_first=1)
    arr, elem = _resolve(name, args, [0], [])
    if n == 2:
        args[1] = coerce_to(args[1], T.INT4)
    if name == "trim_array":
        return _call(lambda x, k: _trim(x, k, elem), args, arr)
    table: dict[str, tuple[Callable[..., Any], SqlType]] = {
        "array_dims": (lambda x: _dims_text(x, elem), T.TEXT),
        "array_ndims": (lambda x: len(T.array_dims(x, elem)) or None, T.INT4),
        "array_lower": (lambda x, d: _dim(x, elem, d, lambda _n, lo: lo), T.INT4),
        "array_upper": (lambda x, d: _dim(x, elem, d, lambda n, lo: lo + n - 1), T.INT4),
        "array_length": (lambda x, d: _dim(x, elem, d, lambda n, _lo: n), T.INT4),
        "cardinality": (lambda x: len(T.array_elements(x, elem)), T.INT4),
    }
    fn, rtype = table[name]
    return _call(fn, args, rtype)


def _call(impl: Callable[..., Any], args: list[Typed], rtype: SqlType,
          strict_first: int | None = None) -> Typed:  # fmt: skip
    """``impl`` over the arguments' values: NULL when any of the first ``strict_first``
    (all when None) is NULL."""
    fns = [a.fn for a in args]
    upto = len(fns) if strict_first is None else strict_first

    def run(r: Row) -> Any:
        values = [f(r) for f in fns]
        if any(v is None for v in values[:upto]):
            return None
        return impl(*values)

    if all(a.const for a in args):
        value = run(())
        return Typed(lambda _r: value, rtype, True)
    return Typed(run, rtype)


def compile_width_bucket(args: list[Typed]) -> Typed:
    """width_bucket(operand, thresholds): how many of the sorted thresholds the operand
    reaches (PostgreSQL's width_bucket_array; NaN sorts above every number)."""
    if len(args) != 2:
        raise no_such_function("width_bucket", args)
    args = list(args)
    _arr, elem = _resolve("width_bucket", args, [1], [0])

    def key(v: Any) -> Any:
        return (True, 0.0) if isinstance(v, float) and v != v else (False, v)

    def bucket(op: Any, thresholds: list[Any]) -> int:
        if len(T.array_dims(thresholds, elem)) > 1:
            raise ArraySubscriptError("thresholds must be one-dimensional array")
        if any(t is None for t in thresholds):
            raise NullValueNotAllowed("thresholds array must not contain NULLs")
        lo, hi, k = 0, len(thresholds), key(op)
        while lo < hi:  # the first threshold above the operand
            mid = (lo + hi) // 2
            if key(thresholds[mid]) <= k:
                lo = mid + 1
            else:
                hi = mid
        return lo

    return _call(bucket, args, T.INT4)


def compile_srf(name: str, args: list[Typed]) -> tuple[Callable[[Row], list[Any]], SqlType]:
    """string_to_table(s, sep [, null]): a function from a row to its values, and their type."""
    if not 2 <= len(args) <= 3 or any(a.type.category in "NBDT" for a in args):
        raise no_such_function(name, args)
    fns = [coerce_to(a, T.TEXT).fn for a in args]

    def run(r: Row) -> list[Any]:
        values = [f(r) for f in fns]
        return split_string(*values) or []

    return run, T.TEXT
