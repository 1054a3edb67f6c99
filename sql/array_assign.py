"""Assignment to array elements and slices (UPDATE t SET a[2] = x, a[1:3] = y), as PostgreSQL's
array_set_element / array_set_slice do, lower bounds included (sql.array_bounds). A
one-dimensional array grows either way to take an element or slice outside it, the gap filled
with NULLs (a[0] = x on '{1,2}' gives '[0:2]={x,1,2}'); a multidimensional one must hold the
position; an empty or NULL array becomes one whose bounds are the subscripts'.
"""

from __future__ import annotations

from typing import Any

from sql import array_bounds
from sql.errors import ArraySubscriptError, NullValueNotAllowed

# A subscript: one position, or a slice (lower, upper), either end None if omitted.
Subscript = int | None | tuple[int | None, int | None]


def assign(arr: list[Any] | None, subscripts: list[Subscript], value: Any) -> list[Any]:
    """``arr`` with the element or slice at ``subscripts`` set to ``value``."""
    for s in subscripts:
        for bound in s if isinstance(s, tuple) else (s,):
            if bound is None and not isinstance(s, tuple):
                raise NullValueNotAllowed("array subscript in assignment must not be null")
    out = list(arr or [])
    if any(isinstance(s, tuple) for s in subscripts):
        if len(subscripts) != 1 or (out and isinstance(out[0], list)):
            return _set_slices(arr or [], subscripts, value)
        s = subscripts[0]
        assert isinstance(s, tuple)
        return _set_slice(arr or [], s, value)
    head = subscripts[0]
    assert isinstance(head, int)
    if len(subscripts) == 1:
        if isinstance(value, list) or any(isinstance(x, list) for x in out):
            raise ArraySubscriptError("array subscript out of range")  # fewer than its dims
        if not out:
            return array_bounds.bounded([value], [head])
        low = array_bounds.lower_bound(arr)
        if head < low:
            out[:0] = [None] * (low - head)
            low = head
        at = head - low
        if at >= len(out):
            out += [None] * (at - len(out) + 1)
        out[at] = value
        return array_bounds.bounded(out, [low])
    lows = array_bounds.lower_bounds(arr, len(subscripts))
    offsets = [i - low + 1 for i, low in zip(subscripts, lows, strict=True) if isinstance(i, int)]
    first = offsets[0]
    if not 1 <= first <= len(out) or not isinstance(out[first - 1], list):
        raise ArraySubscriptError("array subscript out of range")
    out[first - 1] = _set_inner(out[first - 1], offsets[1:], value)
    return array_bounds.like(arr, out)


def _set_inner(arr: list[Any], at: list[int], value: Any) -> list[Any]:
    """An element inside a multidimensional array (1-based offsets): each must be in range."""
    head = at[0]
    if not 1 <= head <= len(arr) or isinstance(arr[head - 1], list) != (len(at) > 1):
        raise ArraySubscriptError("array subscript out of range")  # not one per dimension
    out = list(arr)
    out[head - 1] = value if len(at) == 1 else _set_inner(arr[head - 1], at[1:], value)
    return out


def _both_bounds() -> ArraySubscriptError:
    return ArraySubscriptError(
        "array slice subscript must provide both boundaries",
        detail="When assigning to a slice of an empty array value, slice boundaries must "
        "be fully specified.",
    )


def _set_slice(arr: list[Any], bounds: tuple[int | None, int | None], value: Any) -> list[Any]:
    if value is None:
        return arr  # a NULL source leaves the array as it was, as in PostgreSQL
    if not isinstance(value, list):
        raise ArraySubscriptError("source array too small")
    out = list(arr)
    low = array_bounds.lower_bound(arr)
    if (bounds[0] is None or bounds[1] is None) and not out:
        raise _both_bounds()
    lo = low if bounds[0] is None else bounds[0]
    hi = low + len(out) - 1 if bounds[1] is None else bounds[1]
    if hi < lo:
        raise ArraySubscriptError("upper bound cannot be less than lower bound")
    source = _elements(value)
    if len(source) < hi - lo + 1:
        raise ArraySubscriptError("source array too small")
    if not out:
        return array_bounds.bounded(source[: hi - lo + 1], [lo])
    first, last = min(low, lo), max(low + len(out) - 1, hi)
    items: list[Any] = [None] * (last - first + 1)
    items[low - first : low - first + len(out)] = out
    items[lo - first : hi - first + 1] = source[: hi - lo + 1]
    return array_bounds.bounded(items, [first])


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
    lows = array_bounds.lower_bounds(arr, len(dims))
    spans: list[tuple[int, int]] = []
    for n, s in enumerate(subscripts):
        lo, hi = s if isinstance(s, tuple) else (1, s)
        size = dims[n] if n < len(dims) else None
        low = lows[n] if n < len(dims) else 1
        first = lo if lo is not None else low
        last = hi if hi is not None else (None if size is None else low + size - 1)
        if last is None:
            raise _both_bounds()
        if last < first:
            raise ArraySubscriptError("upper bound cannot be less than lower bound")
        spans.append((first, last))
    if dims and len(dims) != len(spans):
        raise ArraySubscriptError("wrong number of array subscripts")
    if dims and any(
        first < low or last > low + d - 1
        for (first, last), d, low in zip(spans, dims, lows, strict=True)
    ):
        raise ArraySubscriptError("array subscript out of range")
    values = _elements(value)
    need = 1
    for first, last in spans:
        need *= last - first + 1
    if len(values) < need:
        raise ArraySubscriptError("source array too small")
    taken = iter(values)
    # offsets into the items: against the array's bounds, or from the slice's own if new
    bases = lows if dims else [first for first, _ in spans]

    def fill(items: list[Any], level: int) -> list[Any]:
        first, last = spans[level]
        base = bases[level]
        out: list[Any] = list(items) if items else [None] * (last - first + 1)
        for i in range(first - base, last - base + 1):
            inner = out[i] if isinstance(out[i], list) else []
            out[i] = next(taken) if level + 1 == len(spans) else fill(inner, level + 1)
        return out

    filled = fill(list(arr), 0)
    return array_bounds.like(arr, filled) if dims else array_bounds.bounded(filled, bases)


def _elements(value: Any) -> list[Any]:
    """An array's elements in storage order (a scalar source is one element)."""
    if not isinstance(value, list):
        return [value]
    return [x for v in value for x in _elements(v)]
