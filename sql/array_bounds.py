"""Arrays whose subscripts do not start at 1 ('[0:2]={1,2,3}', what ``a[0] = x`` makes).

db9 holds an array as nested lists. One whose lower bounds are not all 1 is a ``Bounded``
list, its items as usual plus ``lower``, one bound per dimension; sub-arrays are plain lists.
Invariant: a ``Bounded`` never has all its lower bounds 1 (``bounded`` returns a plain list
then), so code that knows nothing of bounds sees what it always did, and an operation that
builds an array afresh gives PostgreSQL's default bounds of 1.

In storage (sql.types.to_storage) a Bounded array is its items' tuple with one more item last,
``(MARK, *lower)``: MARK starts with a NUL, which no text, name or numeric value holds.
"""

from __future__ import annotations

from typing import Any

MARK = "\x00lower"


class Bounded(list):  # type: ignore[type-arg]
    """An array's items with its lower bounds (``lower[d]``: dimension ``d+1``'s)."""

    lower: tuple[int, ...]

    def __init__(self, items: Any, lower: tuple[int, ...]) -> None:
        super().__init__(items)
        self.lower = lower


def bounded(items: list[Any], lower: list[int] | tuple[int, ...]) -> list[Any]:
    """``items`` with lower bounds ``lower`` (a plain list when they are all 1)."""
    if all(b == 1 for b in lower):
        return items if type(items) is list else list(items)
    return Bounded(items, tuple(lower))


def lower_bounds(v: Any, ndims: int) -> list[int]:
    """The lower bound of each of ``v``'s ``ndims`` dimensions."""
    if isinstance(v, Bounded):
        return list(v.lower[:ndims]) + [1] * (ndims - len(v.lower))
    return [1] * ndims


def lower_bound(v: Any, dim: int = 0) -> int:
    """The lower bound of ``v``'s dimension ``dim + 1``."""
    if isinstance(v, Bounded) and dim < len(v.lower):
        return v.lower[dim]
    return 1


def like(template: Any, items: list[Any]) -> list[Any]:
    """``items`` with the lower bounds of ``template`` (an array of the same shape)."""
    return bounded(items, template.lower) if isinstance(template, Bounded) else items


def dims_prefix(v: Any, dims: list[int]) -> str:
    """array_out's ``[l:u]...=`` decoration: only for an array whose bounds are not all 1."""
    if not isinstance(v, Bounded) or not dims:
        return ""
    lows = lower_bounds(v, len(dims))
    return "".join(f"[{lo}:{lo + n - 1}]" for lo, n in zip(lows, dims, strict=True)) + "="


def stored(v: Any, items: tuple[Any, ...]) -> tuple[Any, ...]:
    """The storage tuple of array ``v`` given its items' storage forms."""
    if isinstance(v, Bounded):
        return (*items, (MARK, *v.lower))
    return items


def split_stored(v: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[int, ...] | None]:
    """A storage tuple's items and its lower bounds (None: all 1)."""
    if v and isinstance(v[-1], tuple) and v[-1] and v[-1][0] == MARK:
        return v[:-1], tuple(v[-1][1:])
    return v, None
