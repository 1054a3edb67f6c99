"""Assignment to array elements and slices (UPDATE t SET a[2] = x, a[1:3] = y), as PostgreSQL's
array_set_element / array_set_slice do for arrays whose subscripts start at 1 (db9 keeps no
other lower bound). A one-dimensional array grows to take an element or slice past its end,
the gap filled with NULLs; a NULL array becomes a new one.
"""

from __future__ import annotations

from typing import Any

from sql.errors import ArraySubscriptError, FeatureNotSupported, NullValueNotAllowed

_LOWER_BOUND = "arrays whose subscripts do not start at 1 are not supported"
# A subscript: one position (1-based), or a slice (lower, upper), either end None if omitted.
Subscript = int | None | tuple[int | None, int | None]


def assign(arr: list[Any] | None, subscripts: list[Subscript], value: Any) -> list[Any]:
    """``arr`` with the element or slice at ``subscripts`` set to ``value``."""
    for s in subscripts:
        for bound in s if isinstance(s, tuple) else (s,):
            if bound is None and not isinstance(s, tuple):
                raise NullValueNotAllowed("array subscript in assignment must not be null")
            if bound is not None and bound < 1:
                raise FeatureNotSupported("array subscripts below 1 are not supported")
    out = list(arr or [])
    if any(isinstance(s, tuple) for s in subscripts):
        if len(subscripts) != 1 or (out and isinstance(out[0], list)):
            return _set_slices(out, subscripts, value)
        s = subscripts[0]
        assert isinstance(s, tuple)
        return _set_slice(out, s, value)
    head = subscripts[0]
    assert isinstance(head, int)
    if len(subscripts) == 1:
        if isinstance(value, list) or any(isinstance(x, list) for x in out):
            raise ArraySubscriptError("array subscript out of range")  # fewer than its dims
        if not out and head > 1:
            raise FeatureNotSupported(_LOWER_BOUND)
        if head > len(out):
            out += [None] * (head - len(out))
        out[head - 1] = value
        return out
    if head > len(out) or not isinstance(out[head - 1], list):
        raise ArraySubscriptError("array subscript out of range")
    out[head - 1] = _set_inner(out[head - 1], subscripts[1:], value)
    return out


def _set_inner(arr: list[Any], subscripts: list[Subscript], value: Any) -> list[Any]:
    """An element inside a multidimensional array: every subscript must be in range."""
    head = subscripts[0]
    assert isinstance(head, int)
    if head > len(arr) or isinstance(arr[head - 1], list) != (len(subscripts) > 1):
        raise ArraySubscriptError("array subscript out of range")  # not one per dimension
    out = list(arr)
    out[head - 1] = value if len(subscripts) == 1 else _set_inner(arr[head - 1], subscripts[1:],
                                                                  value)  # fmt: skip
    return out


def _set_slice(out: list[Any], bounds: tuple[int | None, int | None], value: Any) -> list[Any]:
    if value is None:
        return out  # a NULL source leaves the array as it was, as in PostgreSQL
    if not isinstance(value, list):
        raise ArraySubscriptError("source array too small")
    lo = 1 if bounds[0] is None else bounds[0]
    hi = len(out) if bounds[1] is None else bounds[1]
    if (bounds[0] is None or bounds[1] is None) and not out:
        raise ArraySubscriptError(
            "array slice subscript must provide both boundaries",
            detail="When assigning to a slice of an empty array value, slice boundaries must "
            "be fully specified.",
        )
    if hi < lo:
        raise ArraySubscriptError("upper bound cannot be less than lower bound")
    if not out and lo > 1:
        raise FeatureNotSupported(_LOWER_BOUND)
    if len(value) < hi - lo + 1:
        raise ArraySubscriptError("source array too small")
    if hi > len(out):
        out += [None] * (hi - len(out))
    out[lo - 1 : hi] = value[: hi - lo + 1]
    return out


def _set_slices(arr: list[Any], subscripts: list[Subscript], value: Any) -> list[Any]:
    """``a[l1:u1][l2:u2]... = value``: the slices of a multidimensional array, which must lie
    inside it (a new array when ``arr`` is empty); a plain subscript beside a slice is 1:u."""
    if value is None:
        return arr
    dims: list[int] = []
    node: Any = arr
    while isinstance(node, list) and node:
        dims.append(len(node))
        node = node[0]
    spans: list[tuple[int, int]] = []
    for n, s in enumerate(subscripts):
        lo, hi = s if isinstance(s, tuple) else (1, s)
        size = dims[n] if n < len(dims) else None
        first = lo if lo is not None else 1
        last = hi if hi is not None else size
        if last is None:
            raise ArraySubscriptError(
                "array slice subscript must provide both boundaries",
                detail="When assigning to a slice of an empty array value, slice boundaries "
                "must be fully specified.",
            )
        if last < first:
            raise ArraySubscriptError("upper bound cannot be less than lower bound")
        spans.append((first, last))
    if dims and len(dims) != len(spans):
        raise ArraySubscriptError("wrong number of array subscripts")
    if dims and any(last > d for (_, last), d in zip(spans, dims, strict=True)):
        raise ArraySubscriptError("array subscript out of range")
    if not dims and any(first != 1 for first, _ in spans):
        raise FeatureNotSupported(_LOWER_BOUND)
    values = _elements(value)
    need = 1
    for first, last in spans:
        need *= last - first + 1
    if len(values) < need:
        raise ArraySubscriptError("source array too small")
    taken = iter(values)

    def fill(items: list[Any], level: int) -> list[Any]:
        first, last = spans[level]
        out: list[Any] = list(items) if items else [None] * last
        for i in range(first, last + 1):
            inner = out[i - 1] if isinstance(out[i - 1], list) else []
            out[i - 1] = next(taken) if level + 1 == len(spans) else fill(inner, level + 1)
        return out

    return fill(arr, 0)


def _elements(value: Any) -> list[Any]:
    """An array's elements in storage order (a scalar source is one element)."""
    if not isinstance(value, list):
        return [value]
    return [x for v in value for x in _elements(v)]
