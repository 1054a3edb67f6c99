"""The ordered-set aggregates (``agg(direct args) WITHIN GROUP (ORDER BY keys)``), as
PostgreSQL's orderedsetaggs.c computes them over a group's rows sorted by the keys:
percentile_disc / percentile_cont (one fraction or an array of them) and mode over the
single key, NULL keys ignored; and the hypothetical-set aggregates rank, dense_rank,
percent_rank and cume_dist of the row the direct arguments make, among all the rows.

Each row arrives as ``(direct values, key values)``, already in key order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sql.errors import NumericValueOutOfRange
from sql.executor.sorts import compare_rows
from sql.plan.nodes import SortKey

PERCENTILES = frozenset({"percentile_disc", "percentile_cont"})
HYPOTHETICAL = frozenset({"rank", "dense_rank", "percent_rank", "cume_dist"})
ORDERED_SET = PERCENTILES | HYPOTHETICAL | {"mode"}

Item = tuple[tuple[Any, ...], tuple[Any, ...]]


def result(name: str, items: list[Item], keys: list[SortKey]) -> Any:
    """The aggregate ``name`` of one group's rows ``items`` (sorted by ``keys``)."""
    if name in HYPOTHETICAL:
        return _hypothetical(name, items, keys)
    values = [k[0] for _, k in items if k[0] is not None]
    if name == "mode":
        return _mode(values)
    if not values:
        return None
    fraction = items[0][0][0]
    pick = _disc if name == "percentile_disc" else _cont
    return _each(fraction, lambda f: pick(values, f))


def _each(fraction: Any, f: Callable[[float], Any]) -> Any:
    """``f`` of one fraction, or of each of an array's (NULL stays NULL), same shape."""
    if fraction is None:
        return None
    if isinstance(fraction, list):
        return [_each(x, f) for x in fraction]
    p = float(fraction)
    if not 0 <= p <= 1 or math.isnan(p):
        raise NumericValueOutOfRange(f"percentile value {fraction} is not between 0 and 1")
    return f(p)


def _disc(values: list[Any], p: float) -> Any:
    return values[max(math.ceil(p * len(values)), 1) - 1]


def _cont(values: list[Any], p: float) -> Any:
    at = p * (len(values) - 1)
    lo, hi = math.floor(at), math.ceil(at)
    first = values[lo]
    if lo == hi:
        return first
    return first + (values[hi] - first) * (at - lo)


def _mode(values: list[Any]) -> Any:
    """The most frequent value; of equally frequent ones the first in key order."""
    best, best_n, prev, n = None, 0, None, 0
    for v in values:
        n = n + 1 if n and v == prev else 1
        prev = v
        if n > best_n:
            best, best_n = v, n
    return best


def _hypothetical(name: str, items: list[Item], keys: list[SortKey]) -> Any:
    total = len(items)
    if not items:
        return {"rank": 1, "dense_rank": 1, "percent_rank": 0.0, "cume_dist": 1.0}[name]
    cmp = compare_rows(keys)
    row = items[0][0]
    before = sum(1 for _, k in items if cmp(k, row) < 0)
    if name == "rank":
        return before + 1
    if name == "percent_rank":
        return before / total
    if name == "cume_dist":
        return (sum(1 for _, k in items if cmp(k, row) <= 0) + 1) / (total + 1)
    distinct_before = 0
    prev: tuple[Any, ...] | None = None
    for _, k in items:
        if cmp(k, row) >= 0:
            break
        if prev is None or cmp(prev, k) != 0:
            distinct_before += 1
        prev = k
    return distinct_before + 1
