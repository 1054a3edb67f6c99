"""What one execution of a plan shares, and the interrupt checks of loops over rows in memory.

Stopping (kv/interrupt.py): KV reads and writes check for a cancel or timeout every page, so
every loop fed by a scan stops; loops over rows already in memory (materialised sources,
join builds and pairs, sorts, windows, aggregate results, recursive CTE rounds) call
``interrupt.check()`` themselves every ``EVERY`` rows. Invariant: no stretch between two checks
grows with the data; a pass over a whole list is cut into ``spans``, a loop whose steps vary
in cost (a frame's rows per position) counts its innermost steps with ``Steps``, and a node
frees the rows, tables and sets it held with ``dismantle``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kv import interrupt
from kv.client import Transaction
from sql.memory import SAMPLE, Held, row_size
from sql.plan.nodes import Node
from sql.scope import Row

EVERY = 1024  # rows between two interrupt checks in a loop over rows in memory


def checked(rows: Iterable[Row]) -> Iterator[Row]:
    """Yield ``rows``, checking for a cancel or timeout every ``EVERY`` of them."""
    if not isinstance(rows, list):
        for i, row in enumerate(rows):
            if not i % EVERY:
                interrupt.check()
            yield row
        return
    if len(rows) <= EVERY:
        yield from rows
        return
    check = interrupt.check
    for i in range(0, len(rows), EVERY):
        check()
        yield from rows[i : i + EVERY]


SPAN = 8 * EVERY  # items per slice of a pass whose step is one cheap expression


def spans(n: int) -> Iterator[tuple[int, int]]:
    """``[0, n)`` as slices ``(lo, hi)`` of ``SPAN``, checking for a cancel or timeout before
    each: a comprehension over a million items, done slice by slice, stops when asked."""
    check = interrupt.check
    for lo in range(0, n, SPAN):
        check()
        yield lo, min(n, lo + SPAN)


def mapped(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """``list(map(fn, items))``, slice by slice (``spans``)."""
    if len(items) <= SPAN:
        return list(map(fn, items))  # one slice: the caller's loop checks
    out: list[Any] = []
    for lo, hi in spans(len(items)):
        out += map(fn, items[lo:hi])
    return out


def dismantle(*containers: list[Any] | dict[Any, Any] | set[Any]) -> None:
    """Empty ``containers`` a slice at a time, checking for a cancel or timeout between
    slices. CPython frees what a container alone holds when its last reference goes, in one
    call with no check inside (a sorted million rows take a third of a second to free). A
    node calls it where it is done with what it held, after its last row; an error or an
    early close frees at once."""
    check = interrupt.check
    for c in containers:
        if isinstance(c, list):
            while len(c) > SPAN:
                del c[-SPAN:]
                check()
        else:
            pop = c.popitem if isinstance(c, dict) else c.pop
            while len(c) > SPAN:
                for _ in range(SPAN):
                    pop()
                check()
        c.clear()  # the last slice: the caller checks again soon


class Steps:
    """Counts a loop's innermost steps and checks for a cancel or timeout every ``EVERY`` of
    them, however they fall into outer iterations (a frame's rows, a position at a time)."""

    __slots__ = ("_left",)

    def __init__(self) -> None:
        self._left = EVERY

    def __call__(self) -> None:
        self._left -= 1
        if not self._left:
            self._left = EVERY
            interrupt.check()


def checked_cmp(cmp: Callable[[Any, Any], int]) -> Any:
    """A sort key from ``cmp`` that checks for a cancel or timeout every 4096 comparisons,
    so a long sort (O(n log n) comparisons in Python) stops when asked."""
    count = 0
    check = interrupt.check

    def counted(a: Any, b: Any) -> int:
        nonlocal count
        count += 1
        if not count & 4095:
            check()
        return cmp(a, b)

    return functools.cmp_to_key(counted)


def sort_checked(items: list[Any], cmp: Callable[[Any, Any], int]) -> None:
    """``items.sort(key=cmp_to_key(cmp))`` (stable), checking for a cancel or timeout every
    4096 comparisons and between slices while the keys are made and taken off: ``list.sort``
    makes a key per item before comparing and frees them after, with no check in between
    (a sixth of a second for a million rows)."""
    keyed = mapped(checked_cmp(cmp), items)
    keyed.sort()
    for lo, hi in spans(len(keyed)):
        items[lo:hi] = [k.obj for k in keyed[lo:hi]]
    dismantle(keyed)


@dataclass
class Exec:
    """What running a plan needs: the transaction, and CTE results of this execution.

    ``run`` runs a node (sql.executor.execute.execute), ``run_batches`` runs it a batch of rows
    at a time; a node's runner calls ``rows`` or ``batches`` on its children, so the modules
    that run nodes need not import one another."""

    txn: Transaction
    run: Callable[[Node, Exec], Iterator[Row]]
    run_batches: Callable[[Node, Exec], Iterator[list[Row]]]
    ctes: dict[int, Spool] = field(default_factory=dict)
    held: Held = field(default_factory=Held)  # what the CTE results hold, until close()

    def rows(self, node: Node) -> Iterator[Row]:
        return self.run(node, self)

    def batches(self, node: Node) -> Iterator[list[Row]]:
        """The rows of ``node`` in batches (sql.executor.batches), for a consumer of all."""
        return self.run_batches(node, self)

    def close(self) -> None:
        for spool in self.ctes.values():
            spool.close()
        self.ctes.clear()
        self.held.close()


class Spool:
    """A CTE's rows, computed only as far as its readers go (as PostgreSQL's CTE tuplestore):
    the first reader to need a row pulls it from the CTE's plan, later readers replay it. A
    query that stops early (LIMIT, EXISTS) never computes the rest, so a recursive CTE under a
    LIMIT ends."""

    def __init__(self, source: Iterator[Row], held: Held) -> None:
        self.rows: list[Row] = []
        self.source: Iterator[Row] | None = source
        self.held = held

    def reader(self) -> Iterator[Row]:
        rows = self.rows
        i = 0
        while True:
            if i < len(rows):
                yield rows[i]
                i += 1
                continue
            if self.source is None:
                return
            try:
                row = next(self.source)
            except StopIteration:
                self.source = None
                return
            rows.append(row)
            if not len(rows) % SAMPLE:
                self.held.add(row_size(row) * SAMPLE)

    def close(self) -> None:
        source, self.source = self.source, None
        if source is not None and hasattr(source, "close"):
            source.close()


def holding(rows: Callable[[Held], Iterator[Row]]) -> Iterator[Row]:
    """Rows of a node that keeps rows while it runs (groups, set operations, window
    partitions): ``rows`` charges what it keeps to the ``Held`` it is given, released however
    the iteration ends."""
    held = Held()
    try:
        yield from rows(held)
    finally:
        held.close()


def hashable(v: Any) -> Any:
    """A value as a dict key or set member (arrays and JSON objects are not hashable)."""
    if isinstance(v, list):
        return ("__list__", tuple(hashable(x) for x in v))
    if isinstance(v, dict):  # a jsonb object: equal whatever order its keys came in
        return ("__dict__", tuple(sorted((k, hashable(x)) for k, x in v.items())))
    return v


def unhashable(v: Any) -> Any:
    """The value ``hashable`` was given (an array back from its tuple form)."""
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "__list__":
        return [unhashable(x) for x in v[1]]
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "__dict__":
        return {k: unhashable(x) for k, x in v[1]}
    return v
