"""Running joins. The right side is read into memory first (a list for a nested loop, a hash
table on the join keys for a hash join); the left side streams past it. LEFT, RIGHT and FULL
joins add NULL-padded rows for the rows without a match; a NULL key matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kv import interrupt
from sql.executor.context import Exec, dismantle
from sql.memory import Held
from sql.plan.nodes import HashJoin, NestedLoopJoin
from sql.scope import Row


def _join(
    ex: Exec,
    node: NestedLoopJoin | HashJoin,
    right_rows: list[Row],
    candidates: Callable[[Row], Iterable[tuple[int, Row]]],
    cond: Callable[[Row], Any] | None,
) -> Iterator[Row]:
    """Rows of a join: each left row with its matching right rows, then the NULL-padded
    rows that LEFT, RIGHT and FULL joins add for rows without a match."""
    nl, nr = len(node.left.scope.columns), len(node.right.scope.columns)
    matched: set[int] = set()
    check = interrupt.check
    for lrow in ex.rows(node.left):
        check()
        hit = False
        for i, rrow in candidates(lrow):
            if not i & 1023:
                check()
            row = lrow + rrow
            if cond is None or cond(row) is True:
                hit = True
                matched.add(i)
                yield row
        if not hit and node.kind in ("left", "full"):
            yield lrow + (None,) * nr
    if node.kind in ("right", "full"):
        for i, rrow in enumerate(right_rows):
            if i not in matched:
                yield (None,) * nl + rrow
    dismantle(matched)


def nested_loop_join(node: NestedLoopJoin, ex: Exec) -> Iterator[Row]:
    if node.outer_right:
        yield from _nested_loop_held_left(node, ex)
        return
    held = Held()
    try:
        right_rows = held.collect(ex.rows(node.right), factor=2)
        pairs = list(enumerate(right_rows))
        yield from _join(ex, node, right_rows, lambda _lrow: pairs,
                         node.cond.fn if node.cond else None)  # fmt: skip
        dismantle(pairs, right_rows)
    finally:
        held.close()


def _nested_loop_held_left(node: NestedLoopJoin, ex: Exec) -> Iterator[Row]:
    """An inner nested loop over the right side's rows, the left side's held: the same rows
    (left columns first), in the right side's order."""
    assert node.kind in ("inner", "cross")
    held = Held()
    try:
        left_rows = held.collect(ex.rows(node.left), factor=2)
        cond = node.cond.fn if node.cond else None
        check = interrupt.check
        for rrow in ex.rows(node.right):
            check()
            for i, lrow in enumerate(left_rows):
                if not i & 1023:
                    check()
                row = lrow + rrow
                if cond is None or cond(row) is True:
                    yield row
        dismantle(left_rows)
    finally:
        held.close()


def _hash_table(
    node: HashJoin, ex: Exec, held: Held
) -> tuple[list[Row], dict[tuple[Any, ...], list[tuple[int, Row]]]]:
    """The build side's rows, and them by join key (rows with a NULL key left out)."""
    table: dict[tuple[Any, ...], list[tuple[int, Row]]] = {}
    # the build side: its rows, and a key, a list and an entry per row in the table
    right_rows = held.collect(ex.rows(node.right), factor=3)
    rk = [k.fn for k in node.right_keys]
    for i, rrow in enumerate(right_rows):
        if not i & 1023:
            interrupt.check()
        key = tuple(f(rrow) for f in rk)
        if None not in key:  # NULL never equals anything
            table.setdefault(key, []).append((i, rrow))
    return right_rows, table


def hash_join(node: HashJoin, ex: Exec) -> Iterator[Row]:
    if node.build_left:
        yield from _hash_join_built_left(node, ex)
        return
    held = Held()
    try:
        right_rows, table = _hash_table(node, ex, held)
        lk = [k.fn for k in node.left_keys]

        def candidates(lrow: Row) -> Iterable[tuple[int, Row]]:
            key = tuple(f(lrow) for f in lk)
            return () if None in key else table.get(key, ())

        yield from _join(ex, node, right_rows, candidates,
                         node.residual.fn if node.residual else None)  # fmt: skip
        dismantle(table, right_rows)
    finally:
        held.close()


def _hash_join_built_left(node: HashJoin, ex: Exec) -> Iterator[Row]:
    """A hash join whose left side is the hash table: the same rows (left columns first),
    read in the right side's order; a LEFT join's unmatched left rows come last."""
    assert node.kind in ("inner", "left", "right")
    table: dict[tuple[Any, ...], list[tuple[int, Row]]] = {}
    held = Held()
    try:
        lk = [k.fn for k in node.left_keys]
        left_rows = held.collect(ex.rows(node.left), factor=3)
        for i, lrow in enumerate(left_rows):
            if not i & 1023:
                interrupt.check()
            key = tuple(f(lrow) for f in lk)
            if None not in key:
                table.setdefault(key, []).append((i, lrow))
        rk = [k.fn for k in node.right_keys]
        cond = node.residual.fn if node.residual else None
        check = interrupt.check
        nl, nr = len(node.left.scope.columns), len(node.right.scope.columns)
        matched: set[int] = set()
        for rrow in ex.rows(node.right):
            check()
            key = tuple(f(rrow) for f in rk)
            hit = False
            if None not in key:
                for i, lrow in table.get(key, ()):
                    row = lrow + rrow
                    if cond is None or cond(row) is True:
                        hit = True
                        matched.add(i)
                        yield row
            if not hit and node.kind == "right":
                yield (None,) * nl + rrow
        if node.kind == "left":
            for i, lrow in enumerate(left_rows):
                if i not in matched:
                    yield lrow + (None,) * nr
        dismantle(table, left_rows, matched)
    finally:
        held.close()


def inner_hash_join_batches(node: HashJoin, ex: Exec) -> Iterator[list[Row]]:
    """The rows of an inner ``hash_join``, in the same order, a batch of the probe side at a
    time. A batch's output is cut every ``_OUT`` rows, with an interrupt check: a probe row
    may match many (a join on a key shared by thousands of rows)."""
    assert node.kind == "inner" and not node.build_left
    held = Held()
    try:
        _, table = _hash_table(node, ex, held)
        lk = [k.fn for k in node.left_keys]
        cond = node.residual.fn if node.residual else None
        check = interrupt.check
        for batch in ex.batches(node.left):
            check()
            keys = [tuple([f(r) for f in lk]) for r in batch]
            out: list[Row] = []
            for key, lrow in zip(keys, batch, strict=True):
                matches = table.get(key)
                if not matches:
                    continue
                for at in range(0, len(matches), _OUT):
                    joined = [lrow + rrow for _, rrow in matches[at : at + _OUT]]
                    if cond is not None:
                        joined = [row for row in joined if cond(row) is True]
                    out += joined
                    if len(out) >= _OUT:
                        check()
                        yield out
                        out = []
            if out:
                yield out
        dismantle(table)
    finally:
        held.close()


_OUT = 4096  # rows of join output per batch, at most
