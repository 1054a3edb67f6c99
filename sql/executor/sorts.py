"""Running the operators that order rows or compare whole rows: ORDER BY, DISTINCT,
DISTINCT ON and the set operations (UNION, INTERSECT, EXCEPT).

NULLs sort last ascending and first descending unless NULLS FIRST/LAST says otherwise; equal
keys keep their input order (the sort is stable).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import operator
from collections.abc import Callable, Iterator
from typing import Any

from sql import jsonb
from sql.casts import cast_value
from sql.executor.context import Exec, checked, checked_cmp, dismantle, hashable, sort_checked
from sql.memory import SAMPLE, Held, row_size
from sql.plan.nodes import Distinct, DistinctOn, SetOp, Sort, SortKey
from sql.scope import Row
from sql.types import SqlType, record_key


def compare_rows(
    keys: list[SortKey], types: list[SqlType] | None = None
) -> Callable[[Row, Row], int]:
    """``types`` (of the rows' columns) lets jsonb keys compare as PostgreSQL orders them."""
    by_key: dict[int, Callable[[Any], Any]] = {}
    for k in keys:
        t = types[k.index] if types is not None else None
        if t is not None and t.name == "jsonb":
            by_key[k.index] = jsonb.sort_key
        elif t is not None and t.fields is not None:
            by_key[k.index] = functools.partial(record_key, t=t)

    def cmp(a: Row, b: Row) -> int:
        for k in keys:
            x, y = a[k.index], b[k.index]
            if k.index in by_key and x is not None and y is not None:
                x, y = by_key[k.index](x), by_key[k.index](y)
            if x is None or y is None:
                if x is None and y is None:
                    continue
                first = -1 if k.nulls_first else 1
                return first if x is None else -first
            if x == y:
                continue
            if x != x or y != y:  # NaN: equal to NaN, above every other value
                if x != x and y != y:
                    continue
                less = x == x
            else:
                less = x < y
            r = -1 if less else 1
            return -r if k.desc else r
        return 0

    return cmp


def sort(node: Sort, ex: Exec) -> Iterator[Row]:
    held = Held()
    try:
        rows = held.collect(ex.rows(node.child), factor=2)  # the rows, and the sort's keys
        sort_checked(rows, compare_rows(node.keys, [c.type for c in node.scope.columns]))
        yield from checked(rows)
        dismantle(rows)
    finally:
        held.close()


TOP_N_MAX = 1000  # a LIMIT above this sorts all rows


def top_n(node: Sort, n: int, ex: Exec) -> Iterator[Row]:
    """The first ``n`` rows in ``node``'s order (as ``sort`` would yield them, ties in input
    order), keeping only ``n`` rows while the input streams past in batches."""
    if n <= 0:
        return
    parts = _key_parts(node)
    if parts is None:
        cmp_key = checked_cmp(compare_rows(node.keys, [c.type for c in node.scope.columns]))
        rows: list[Row] = []
        for batch in ex.batches(node.child):
            # earlier rows first: nsmallest is stable, as sorted(...)[:n] is
            rows = heapq.nsmallest(n, itertools.chain(rows, batch), key=cmp_key)
        yield from rows
        return
    first = operator.itemgetter(0)
    best: list[tuple[tuple[Any, ...], Row]] = []
    for batch in ex.batches(node.child):
        keyed = zip(_batch_keys(parts, batch), batch, strict=True)
        best = heapq.nsmallest(n, itertools.chain(best, keyed), key=first)
    for _, row in best:
        yield row


_INTEGERS = {"smallint", "integer", "bigint"}
_TEXTS = {"text", "character varying"}

KeyPart = tuple[int, bool, int, Any]  # (column, negate, rank of NULL, NULL's placeholder)


def _key_parts(node: Sort) -> list[KeyPart] | None:
    """How to make a plain tuple that Python compares as ``compare_rows(node.keys)`` orders
    rows: for keys of integer columns (either direction) and text (ascending) columns, each a
    (rank, value) pair, NULL ranked first or last; None for other keys."""
    parts: list[KeyPart] = []
    for k in node.keys:
        name = node.scope.columns[k.index].type.name
        if name in _INTEGERS:
            parts.append((k.index, k.desc, 0 if k.nulls_first else 2, 0))
        elif name in _TEXTS and not k.desc:
            parts.append((k.index, False, 0 if k.nulls_first else 2, ""))
        else:
            return None
    return parts


def _batch_keys(parts: list[KeyPart], batch: list[Row]) -> list[tuple[Any, ...]]:
    """The sort keys of ``batch``'s rows, built a column at a time."""
    cols: list[list[Any]] = []
    for i, negate, null_rank, placeholder in parts:
        col = list(map(operator.itemgetter(i), batch))
        if None in col:
            ranks = [1 if v is not None else null_rank for v in col]
            col = [v if v is not None else placeholder for v in col]
        else:
            ranks = [1] * len(col)
        if negate:
            col = list(map(operator.neg, col))
        cols += (ranks, col)
    return list(zip(*cols, strict=True))


def _first_of_each(rows: Iterator[Row], key_of: Callable[[Row], tuple[Any, ...]]) -> Iterator[Row]:
    """The first row of each distinct key, as the rows come."""
    seen: set[Any] = set()
    held = Held()
    try:
        for row in rows:
            key = key_of(row)
            if key not in seen:
                seen.add(key)
                if not len(seen) % SAMPLE:
                    held.add((row_size(key) + 40) * SAMPLE)
                yield row
        dismantle(seen)
    finally:
        held.close()


def distinct(node: Distinct, ex: Exec) -> Iterator[Row]:
    width = node.width
    yield from _first_of_each(ex.rows(node.child), lambda r: tuple(hashable(v) for v in r[:width]))


def distinct_on(node: DistinctOn, ex: Exec) -> Iterator[Row]:
    keys = node.keys
    yield from _first_of_each(ex.rows(node.child), lambda r: tuple(hashable(r[i]) for i in keys))


def _cast(node: SetOp, rows: Iterator[Row], side: int) -> Iterator[Row]:
    plan = [(c[side], c[2]) for c in node.casts]
    if all(src == dst for src, dst in plan):
        yield from rows
        return
    for row in rows:
        yield tuple(
            cast_value(v, s, d, explicit=False) for v, (s, d) in zip(row, plan, strict=True)
        )


def set_op(node: SetOp, ex: Exec, held: Held) -> Iterator[Row]:
    left = _cast(node, ex.rows(node.left), 0)
    right = _cast(node, ex.rows(node.right), 1)
    if node.kind == "union":
        if node.all:
            yield from left
            yield from right
            return
        seen: set[Any] = set()
        for row in itertools.chain(left, right):
            key = tuple(hashable(v) for v in row)
            if key not in seen:
                seen.add(key)
                if not len(seen) % SAMPLE:
                    held.add((row_size(key) + 40) * SAMPLE)
                yield row
        dismantle(seen)
        return
    counts: dict[Any, int] = {}
    for row in right:
        key = tuple(hashable(v) for v in row)
        counts[key] = counts.get(key, 0) + 1
        if not len(counts) % SAMPLE:
            held.add((row_size(key) + 80) * SAMPLE)
    emitted: set[Any] = set()
    for row in left:
        key = tuple(hashable(v) for v in row)
        n = counts.get(key, 0)
        if node.kind == "intersect":
            if n > 0 and (node.all or key not in emitted):
                emitted.add(key)
                if node.all:
                    counts[key] = n - 1
                yield row
        else:
            if node.all:
                if n > 0:
                    counts[key] = n - 1
                else:
                    yield row
            elif n == 0 and key not in emitted:
                emitted.add(key)
                yield row
    dismantle(counts, emitted)
