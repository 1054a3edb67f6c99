"""Running the leaves of a plan: table and index scans over the store, and rows computed
in memory (VALUES, generate_series, CTEs, recursive CTEs, virtual catalog tables).

Key bounds are evaluated when the scan starts; a NULL bound selects no rows. Index scans
read the index entries of their range, then fetch the rows they point at in one batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kv import interrupt
from sql.catalog import IndexDef
from sql.errors import InvalidParameterValue
from sql.executor.batches import range_scan_batches, rows_of, table_scan_batches
from sql.executor.context import Exec, Spool, checked, hashable
from sql.executor.ranges import key_range
from sql.layout import prefix_end
from sql.memory import Held, row_size
from sql.plan.nodes import (
    CteScan,
    IndexRangeScan,
    IndexScan,
    Materialized,
    PointGet,
    RangeScan,
    RecursiveUnion,
    SeriesScan,
    SubqueryScan,
    TableScan,
    ValuesScan,
    WorkTableScan,
)
from sql.rows import RowCodec
from sql.scope import Row, Typed
from sql.types import to_storage


def table_scan(node: TableScan, ex: Exec) -> Iterator[Row]:
    return rows_of(table_scan_batches(node, ex))


def _rows_through_index(ex: Exec, codec: RowCodec, index: IndexDef, lo: bytes,
                        hi: bytes) -> Iterator[Row]:  # fmt: skip
    """The rows that the index entries in ``[lo, hi)`` point at, fetched in one batch."""
    keys = [codec.pk_from_index(index, k, v) for k, v in ex.txn.iter_scan(lo, hi)]
    found = ex.txn.batch_get(keys) if keys else {}
    for key in keys:
        raw = found.get(key)
        if raw is not None:
            yield codec.decode_value(raw)


def range_scan(node: RangeScan, ex: Exec) -> Iterator[Row]:
    return rows_of(range_scan_batches(node, ex))


def point_get(node: PointGet, ex: Exec) -> Iterator[Row]:
    values = [k.fn(()) for k in node.keys]
    if any(v is None for v in values):
        return
    raw = ex.txn.get(node.codec.key_for_pk(tuple(values)))
    if raw is not None:
        yield node.codec.decode_value(raw)


def index_scan(node: IndexScan, ex: Exec) -> Iterator[Row]:
    vals = [v.fn(()) for v in node.values]
    if any(v is None for v in vals):
        return
    types = [node.codec.types[i] for i in node.codec.index_columns(node.index)]
    stored = [to_storage(v, t) for v, t in zip(vals, types, strict=False)]
    lo = node.codec.index_bounds(node.index, stored)
    yield from _rows_through_index(ex, node.codec, node.index, lo, prefix_end(lo))


def index_range_scan(node: IndexRangeScan, ex: Exec) -> Iterator[Row]:
    codec, index = node.codec, node.index
    t = codec.types[codec.index_columns(index)[0]]
    prefix = codec.index_bounds(index, [])
    bounds = key_range(prefix, prefix_end(prefix), node.lower, node.upper,
                        lambda v: codec.index_bounds(index, [to_storage(v, t)]))  # fmt: skip
    if bounds is not None:
        yield from _rows_through_index(ex, codec, index, *bounds)


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
    if step == 0:
        raise InvalidParameterValue("step size cannot equal zero")
    v = start
    n = 0
    while (v <= stop) if step > 0 else (v >= stop):
        yield (v,)
        v += step
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
