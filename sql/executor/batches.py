"""Execution over batches of rows, next to the store's cursor.

A table scan reads its rows a batch at a time (``Transaction.iter_values``: MVCC visibility in
kv.kernels), decodes only the columns its plan reads (``TableScan.want``, set by
sql.plan.rules.columns) and hands whole batches to the filters and projections above it and to
aggregates (sql.executor.aggregates), so those run one list comprehension per batch instead of
a generator call chain per row. A node without a batch runner is read as chunks of its rows.
The store checks for a cancel or timeout before every batch (kv/interrupt.py).

Only consumers that read every row ask for batches (aggregates, top-N): evaluating a filter or
projection ahead for a whole batch then computes nothing a row-at-a-time run would not (no
extra errors or volatile calls); under a plain LIMIT rows are still pulled one at a time.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from sql.executor.context import Exec
from sql.executor.joins import inner_hash_join_batches
from sql.plan.nodes import Filter, HashJoin, Node, Project, TableScan
from sql.scope import Row

CHUNK = 1024  # rows per batch cut from a node that produces rows one at a time

Batches = Iterator[list[Row]]


def table_scan_batches(node: TableScan, ex: Exec) -> Batches:
    decode, want = node.codec.decode_values, node.want
    for raws in ex.txn.iter_values(node.start, node.end):
        yield decode(raws, want)


def hash_join_batches(node: HashJoin, ex: Exec) -> Batches:
    if node.kind == "inner" and not node.build_left:
        return inner_hash_join_batches(node, ex)
    return _chunks(ex.rows(node))


def filter_batches(node: Filter, ex: Exec) -> Batches:
    f = node.pred.fn
    for batch in ex.batches(node.child):
        kept = [r for r in batch if f(r) is True]
        if kept:
            yield kept


def project_batches(node: Project, ex: Exec) -> Batches:
    fns = node.fns
    picks = _positions(fns)
    if picks is not None and len(picks) >= 2:  # only columns: one C call makes each row
        pick = operator.itemgetter(*picks)
        for batch in ex.batches(node.child):
            yield list(map(pick, batch))
        return
    for batch in ex.batches(node.child):
        yield [tuple([f(r) for f in fns]) for r in batch]


def _positions(fns: list[Callable[[Row], Any]]) -> list[int] | None:
    """The input positions ``fns`` copy, if every one is a column reference (an itemgetter
    of one position)."""
    out = []
    for f in fns:
        if type(f) is not operator.itemgetter:
            return None
        args = f.__reduce__()[1]
        if len(args) != 1 or type(args[0]) is not int:
            return None
        out.append(args[0])
    return out


BATCH_RUNNERS: dict[type[Node], Callable[[Any, Exec], Batches]] = {
    TableScan: table_scan_batches,
    HashJoin: hash_join_batches,
    Filter: filter_batches,
    Project: project_batches,
}


def execute_batches(node: Node, ex: Exec) -> Batches:
    """The rows of ``node`` in batches (none empty)."""
    runner = BATCH_RUNNERS.get(type(node))
    if runner is not None:
        return runner(node, ex)
    return _chunks(ex.rows(node))


def _chunks(rows: Iterator[Row]) -> Batches:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_of(batches: Batches) -> Iterator[Row]:
    """A node's rows from its batches, for the row-at-a-time operators above it."""
    for batch in batches:
        yield from batch
