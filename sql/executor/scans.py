"""Running the leaves of a plan: table and index scans over the store, and rows computed
in memory (VALUES, generate_series, CTEs, recursive CTEs, virtual catalog tables).

Key bounds are evaluated when the scan starts; a NULL bound selects no rows. Index scans
read the index entries of their ranges, then fetch the rows they point at in one batch (an
index-only scan builds the rows from the entries instead).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kv import interrupt
from kv.codec import encode
from sql.errors import InvalidParameterValue
from sql.executor.batches import rows_of, table_scan_batches
from sql.executor.context import Exec, Spool, checked, dismantle, hashable
from sql.functions import add_interval
from sql.functions_numeric import check_series_bounds
from sql.layout import prefix_end
from sql.like import like_prefix
from sql.memory import Held, row_size
from sql.numeric import plus
from sql.plan.nodes import (
    CteScan,
    KeyAlt,
    KeyScan,
    Materialized,
    PointGet,
    RecursiveUnion,
    SeriesScan,
    SubqueryScan,
    TableScan,
    ValuesScan,
    WorkTableScan,
)
from sql.scope import Row, Typed
from sql.types import Interval, SqlType, to_storage


def table_scan(node: TableScan, ex: Exec) -> Iterator[Row]:
    return rows_of(table_scan_batches(node, ex))


def point_get(node: PointGet, ex: Exec) -> Iterator[Row]:
    values = [k.fn(()) for k in node.keys]
    if any(v is None for v in values):
        return
    raw = ex.txn.get(node.codec.key_for_pk(tuple(values)))
    if raw is not None:
        yield node.codec.decode_value(raw)


def key_scan(node: KeyScan, ex: Exec) -> Iterator[Row]:
    codec, index = node.codec, node.index
    if index is None:
        head, cols, desc = codec.prefix, codec.pk_idx, [False] * len(codec.pk_idx)
    else:
        head = codec.index_bounds(index, [])
        cols = codec.index_columns(index)
        desc = [bool(index.descending and index.descending[n]) for n in range(len(cols))]
    types = [codec.types[i] for i in cols]
    if (
        index is None
        and len(node.alts) == len(cols)
        and all(a.kind != "range" for a in node.alts[-1])
    ):
        # Every key column is a point: whole primary keys, one batch of gets in key order.
        keys = [head + k for k in key_points(node.alts, types, desc)]
        found = ex.txn.batch_get(keys) if keys else {}
        decode = codec.decode_value
        for key in keys:
            raw = found.get(key)
            if raw is not None:
                yield decode(raw)
        return
    ranges = key_ranges(node.alts, types, desc)
    if index is None:  # the rows themselves, a batch at a time (sql.executor.batches)
        for lo, hi in ranges:
            for raws in ex.txn.iter_values(head + lo, head + hi):
                yield from codec.decode_values(raws, node.want)
        return
    entries = (e for lo, hi in ranges for e in ex.txn.iter_scan(head + lo, head + hi))
    if node.covering:
        yield from (codec.row_from_index(index, k, v) for k, v in entries)
        return
    keys = [codec.pk_from_index(index, k, v) for k, v in entries]
    found = ex.txn.batch_get(keys) if keys else {}
    for key in keys:
        raw = found.get(key)
        if raw is not None:
            yield codec.decode_value(raw)


def key_points(alts: list[list[KeyAlt]], types: list[SqlType], desc: list[bool]) -> list[bytes]:
    """The keys (bytes after the key's prefix) whose columns take the point alternatives
    ``alts`` give now: their cartesian product, sorted, each once."""
    keys = [b""]
    for n, column in enumerate(alts):
        points: set[bytes] = set()
        for alt in column:
            points.update(_points(alt, types[n], desc[n]))
        keys = [k + e for k in keys for e in sorted(points)]
    return keys


def key_ranges(alts: list[list[KeyAlt]], types: list[SqlType],
               desc: list[bool]) -> list[tuple[bytes, bytes]]:  # fmt: skip
    """The key ranges ``alts`` select now (bytes after the key's prefix), sorted, with
    overlapping and adjacent ones merged: each key is read once."""
    prefixes = key_points(alts[:-1], types, desc)
    n = len(alts) - 1
    rel: list[tuple[bytes, bytes]] = []
    for alt in alts[-1]:
        if alt.kind == "range":
            r = _range(alt, types[n:], desc[n:])
            if r is not None:
                rel.append(r)
        else:
            rel += [(e, prefix_end(e)) for e in _points(alt, types[n], desc[n])]
    spans = sorted((p + lo, p + hi) for p in prefixes for lo, hi in rel)
    merged: list[tuple[bytes, bytes]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _points(alt: KeyAlt, t: SqlType, desc: bool) -> list[bytes]:
    if alt.kind == "null":
        return [encode(None, descending=desc)]
    assert alt.value is not None
    v = alt.value.fn(())
    if alt.kind == "eq":
        return [] if v is None else [encode(to_storage(v, t), descending=desc)]
    return [encode(to_storage(x, t), descending=desc) for x in v or [] if x is not None]


def _range(alt: KeyAlt, types: list[SqlType], desc: list[bool]) -> tuple[bytes, bytes] | None:
    """The bytes of the column values within ``alt``'s bounds, NULL excluded; None: none."""
    lo, hi = (b"\x00", b"\xfe") if desc[0] else (b"\x02", b"\xff")
    for bounds, is_lower in ((alt.lower, True), (alt.upper, False)):
        for typed, inclusive in bounds:
            values = [x.fn(()) for x in typed]
            if values[0] is None:
                return None
            if None in values:  # (a, b) > (1, NULL): rows with a = 1 compare as NULL
                values, inclusive = values[: values.index(None)], False
            at = b"".join(encode(to_storage(v, t), descending=d)
                          for v, t, d in zip(values, types, desc, strict=False))  # fmt: skip
            # A descending column's keys run from the highest value down.
            if is_lower != desc[0]:
                lo = max(lo, at if inclusive else prefix_end(at))
            else:
                hi = min(hi, prefix_end(at) if inclusive else at)
    if alt.value is not None:
        pattern = alt.value.fn(())
        if pattern is None:
            return None
        fixed, exact = like_prefix(pattern)
        if exact:
            at = encode(fixed, descending=desc[0])
            lo, hi = max(lo, at), min(hi, prefix_end(at))
        elif fixed:
            at = encode(fixed, descending=desc[0])[:-2]  # no terminator: every extension
            lo, hi = max(lo, at), min(hi, prefix_end(at))
    return (lo, hi) if lo < hi else None


def materialized(node: Materialized, ex: Exec) -> Iterator[Row]:
    yield from checked(node.source())


def values_scan(node: ValuesScan, ex: Exec) -> Iterator[Row]:
    yield from checked([tuple(x.fn(()) for x in r) for r in node.rows])


def series_scan(node: SeriesScan, ex: Exec) -> Iterator[Row]:
    yield from checked(_series(node.args))


def _series(args: list[Typed]) -> Iterator[Row]:
    start, stop = args[0].fn(()), args[1].fn(())
    step = args[2].fn(()) if len(args) > 2 else 1
    if start is None or stop is None or step is None:
        return
    if isinstance(step, Interval):
        yield from _time_series(start, stop, step)
        return
    check_series_bounds(start, stop, step)
    v = start
    n = 0
    while (v <= stop) if step > 0 else (v >= stop):
        yield (v,)
        v = plus(v, step)
        n += 1
        if not n & 1023:
            interrupt.check()


def _time_series(start: Any, stop: Any, step: Interval) -> Iterator[Row]:
    """generate_series over timestamps by an interval (22023 for a zero interval)."""
    ahead = add_interval(start, step, 1)
    if ahead == start:
        raise InvalidParameterValue("step size cannot equal zero")
    up = ahead > start
    v, n = start, 0
    while (v <= stop) if up else (v >= stop):
        yield (v,)
        v = add_interval(v, step, 1)
        n += 1
        if not n & 1023:
            interrupt.check()


def cte_scan(node: CteScan, ex: Exec) -> Iterator[Row]:
    spool = ex.ctes.get(node.cid)
    if spool is None:
        spool = ex.ctes[node.cid] = Spool(ex.rows(node.plan.node), ex.held)
    yield from checked(spool.reader())


def work_table_scan(node: WorkTableScan, ex: Exec) -> Iterator[Row]:
    yield from checked(list(checked(node.work.rows)))


def recursive_union(node: RecursiveUnion, ex: Exec) -> Iterator[Row]:
    yield from checked(_recursive_rounds(node, ex))


def _recursive_rounds(node: RecursiveUnion, ex: Exec) -> Iterator[Row]:
    # Round by round, each row yielded as it is made: only the last round (the working
    # table) and, for UNION, the rows seen are held, and a reader that stops early stops
    # the recursion. An endless one runs until cancelled or timed out, as in PostgreSQL.
    seen: set[tuple[Any, ...]] = set()
    held = Held()
    try:
        rows: Iterable[Row] = ex.rows(node.anchor)
        while True:
            interrupt.check()
            new: list[Row] = []
            for row in rows:
                if node.distinct:
                    key = tuple(hashable(v) for v in row)
                    if key in seen:
                        continue
                    seen.add(key)
                new.append(row)
                yield row
            if not new:
                dismantle(seen)
                return
            held.close()  # the previous round's rows go
            held.add(row_size(new[0]) * len(new) * (2 if node.distinct else 1))
            held.flush()
            node.work.rows = new
            rows = ex.rows(node.step)
    finally:
        held.close()


def subquery_scan(node: SubqueryScan, ex: Exec) -> Iterator[Row]:
    yield from ex.rows(node.plan.node)
