"""Running a plan: ``execute`` dispatches each node to its runner, ``run_plan`` and
``iterate_plan`` run a whole query (a subquery's rows as a list, a top-level query's as they
are consumed).

Every runner is a generator: nothing runs until the first row is asked for, and closing the
iterator stops the plan and gives back what it holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

from kv import interrupt
from kv.client import Transaction
from sql.errors import InvalidParameterValue
from sql.executor import aggregates, batches, joins, scans, sorts, windows
from sql.executor.context import Exec, holding
from sql.memory import SAMPLE, Held
from sql.plan import nodes as N
from sql.scope import Row


def _filter(node: N.Filter, ex: Exec) -> Iterator[Row]:
    f = node.pred.fn
    for row in ex.rows(node.child):
        if f(row) is True:
            yield row


def _project(node: N.Project, ex: Exec) -> Iterator[Row]:
    fns = node.fns
    for row in ex.rows(node.child):
        yield tuple(f(row) for f in fns)


def _one_row(node: N.OneRow, ex: Exec) -> Iterator[Row]:
    yield ()


def _limit(node: N.Limit, ex: Exec) -> Iterator[Row]:
    off = node.offset.fn(()) if node.offset else 0
    lim = node.limit.fn(()) if node.limit else None
    if off is not None and off < 0:
        raise InvalidParameterValue("OFFSET must not be negative")
    if lim is not None and lim < 0:
        raise InvalidParameterValue("LIMIT must not be negative")
    if node.ties is not None and lim is not None:
        yield from _with_ties(node, ex, off or 0, lim)
        return
    stop = None if lim is None else (off or 0) + lim
    if isinstance(node.child, N.Sort) and stop is not None and stop <= sorts.TOP_N_MAX:
        rows = sorts.top_n(node.child, stop, ex)  # ORDER BY ... LIMIT: keep only the top
    else:
        rows = ex.rows(node.child)
    yield from itertools.islice(rows, off or 0, stop)


def _with_ties(node: N.Limit, ex: Exec, off: int, lim: int) -> Iterator[Row]:
    """FETCH FIRST ``lim`` ROWS WITH TIES: then the rows equal to the last on the ORDER BY
    keys (``node.ties``)."""
    assert node.ties is not None
    same = sorts.compare_rows(node.ties, [c.type for c in node.scope.columns])
    last: Row | None = None
    for n, row in enumerate(itertools.islice(ex.rows(node.child), off, None)):
        if n >= lim and (last is None or same(last, row) != 0):
            return
        last = row
        yield row


def _project_set(node: N.ProjectSet, ex: Exec) -> Iterator[Row]:
    for row in ex.rows(node.child):
        results = [m(row) for m in node.makers]
        n = max((len(r) for r in results), default=0)
        held = Held()
        try:
            if n > SAMPLE:  # the set-returning functions' lists, while this row expands
                held.add(sum(len(r) for r in results) * 40)
                held.flush()
            for i in range(n):
                if not i & 1023:
                    interrupt.check()
                yield row + tuple(r[i] if i < len(r) else None for r in results)
        finally:
            held.close()


def _lateral_join(node: N.LateralJoin, ex: Exec) -> Iterator[Row]:
    """Each left row with the rows its LATERAL right side gives for it (NULLs for none, in
    a LEFT join)."""
    pad = (None,) * len(node.plan.columns)
    cond = node.cond.fn if node.cond is not None else None
    for lrow in ex.rows(node.left):
        interrupt.check()
        hit = False
        for rrow in run_plan(node.plan, lrow):
            row = lrow + rrow
            if cond is None or cond(row) is True:
                hit = True
                yield row
        if not hit and node.kind == "left":
            yield lrow + pad


def _prelude(node: N.Prelude, ex: Exec) -> Iterator[Row]:
    N.reset_writes(node.first)
    for first in node.first:
        for _ in ex.rows(first):
            pass
    yield from ex.rows(node.child)


Runner = Callable[[Any, Exec], Iterator[Row]]


def _holding(run: Callable[[Any, Exec, Held], Iterator[Row]]) -> Runner:
    """The runner of a node that keeps rows while it runs (sql.executor.context.holding)."""
    return lambda node, ex: holding(lambda held: run(node, ex, held))


RUNNERS: dict[type[N.Node], Runner] = {
    N.TableScan: scans.table_scan,
    N.PointGet: scans.point_get,
    N.KeyScan: scans.key_scan,
    N.Materialized: scans.materialized,
    N.ValuesScan: scans.values_scan,
    N.SeriesScan: scans.series_scan,
    N.CteScan: scans.cte_scan,
    N.WorkTableScan: scans.work_table_scan,
    N.RecursiveUnion: scans.recursive_union,
    N.SubqueryScan: scans.subquery_scan,
    N.Filter: _filter,
    N.Project: _project,
    N.OneRow: _one_row,
    N.NestedLoopJoin: joins.nested_loop_join,
    N.HashJoin: joins.hash_join,
    N.LateralJoin: _lateral_join,
    N.Aggregate: _holding(aggregates.aggregate),
    N.Window: _holding(windows.window),
    N.Sort: sorts.sort,
    N.Limit: _limit,
    N.Prelude: _prelude,
    N.Distinct: sorts.distinct,
    N.DistinctOn: sorts.distinct_on,
    N.ProjectSet: _project_set,
    N.SetOp: _holding(sorts.set_op),
}


def execute(node: N.Node, ex: Exec) -> Iterator[Row]:
    """The rows of ``node``, produced as they are consumed."""
    return RUNNERS[type(node)](node, ex)


def start(txn: Transaction) -> Exec:
    """A new execution in ``txn``; its ``close`` gives back what its CTE results hold."""
    return Exec(txn, execute, batches.execute_batches)


def run_plan(plan: N.Plan, outer_row: Row | None = None, limit: int | None = None) -> list[Row]:
    """The rows of a subquery (for ``outer_row`` of the enclosing query), at most ``limit``."""
    assert plan.run_txn is not None
    saved = plan.scope.outer_cell[0]
    plan.scope.outer_cell[0] = outer_row
    ex = start(plan.run_txn())
    try:
        it = ex.rows(plan.node)
        if limit is not None:
            return list(itertools.islice(it, limit))
        held = Held()  # the list is the caller's; it must fit while it is built
        try:
            return held.collect(it)
        finally:
            held.close()
    finally:
        ex.close()
        plan.scope.outer_cell[0] = saved


def iterate_plan(plan: N.Plan) -> Iterator[Row]:
    """The rows of a top-level query, produced as they are consumed. The transaction is
    taken now; what the plan holds is given back when the iterator ends or is closed."""
    assert plan.run_txn is not None
    return _iterate(plan.node, start(plan.run_txn()))


def _iterate(node: N.Node, ex: Exec) -> Iterator[Row]:
    try:
        yield from ex.rows(node)
    finally:
        ex.close()
