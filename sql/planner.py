"""Planning and running queries: a SELECT becomes a tree of nodes, each an iterator of rows.

    FROM (scans, joins) -> WHERE -> GROUP BY / aggregates -> HAVING -> window functions
      -> select list (+ hidden sort keys) -> DISTINCT -> ORDER BY -> OFFSET/LIMIT

Single-table predicates on the primary key become point gets or key ranges, equality on an
indexed column an index scan; equi-joins are hash joins. Every node can describe itself for
EXPLAIN.

Stopping (kv/interrupt.py): KV reads and writes check for a cancel or timeout every page, so
every loop fed by a scan stops; loops over rows already in memory (materialised sources,
join builds and pairs, sorts, windows, aggregate results, recursive CTE rounds) call
``interrupt.check()`` themselves every ``_EVERY`` rows.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kv import interrupt
from kv.client import Transaction
from kv.codec import encode_key
from sql import types as T
from sql.casts import cast_value, coerce_to, comparable, numeric_div, unify
from sql.catalog import Catalog, IndexDef, TableDef
from sql.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    GroupingError,
    InvalidColumnReference,
    InvalidParameterValue,
    SyntaxError_,
    UndefinedColumn,
    UndefinedTable,
)
from sql.expr import Compiler, expr_name
from sql.layout import prefix_end, table_prefix
from sql.memory import SAMPLE, Held, check_value, fits, row_size
from sql.rows import ROWID, RowCodec
from sql.scope import Context, Row, Scope, ScopeColumn, Typed
from sql.session_api import SessionApi
from sql.system_catalog import SYSTEM_RELATIONS, system_relation
from sql.types import SqlType, to_storage

_EVERY = 1024  # rows between two interrupt checks in a loop over rows in memory


def _checked(rows: Iterable[Row]) -> Iterator[Row]:
    """Yield ``rows``, checking for a cancel or timeout every ``_EVERY`` of them."""
    if not isinstance(rows, list):
        for i, row in enumerate(rows):
            if not i % _EVERY:
                interrupt.check()
            yield row
        return
    if len(rows) <= _EVERY:
        yield from rows
        return
    check = interrupt.check
    for i in range(0, len(rows), _EVERY):
        check()
        yield from rows[i : i + _EVERY]


def _checked_cmp(cmp: Callable[[Any, Any], int]) -> Any:
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


@dataclass
class Exec:
    """What running a plan needs: the transaction, and CTE results of this execution."""

    txn: Transaction
    ctes: dict[int, Spool] = field(default_factory=dict)
    held: Held = field(default_factory=Held)  # what the CTE results hold, until close()

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


class Node:
    scope: Scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        raise NotImplementedError

    def explain(self) -> list[str]:
        raise NotImplementedError

    def children(self) -> list[Node]:
        return []


class HoldingNode(Node):
    """A node that keeps rows while it runs (groups, set operations, window partitions):
    ``_rows`` charges what it keeps to ``held``, released however the iteration ends."""

    def rows(self, ex: Exec) -> Iterator[Row]:
        held = Held()
        try:
            yield from self._rows(ex, held)
        finally:
            held.close()

    def _rows(self, ex: Exec, held: Held) -> Iterator[Row]:
        raise NotImplementedError


def _explain_tree(node: Node, depth: int = 0) -> list[str]:
    lines = node.explain()
    pad = "  " * depth
    out = [(pad + ("->  " if depth else "") + lines[0])]
    out += [pad + ("      " if depth else "  ") + extra for extra in lines[1:]]
    for child in node.children():
        out += _explain_tree(child, depth + 1)
    return out


# -- scans -------------------------------------------------------------------------------------


def table_scope(table: TableDef, alias: str | None) -> Scope:
    name = alias or table.name
    cols = [ScopeColumn(name, c.name, c.type) for c in table.live_columns]
    if not table.primary_key:
        cols.append(ScopeColumn(name, ROWID, T.INT8, hidden=True))
    return Scope(cols)


@dataclass
class TableScan(Node):
    codec: RowCodec
    scope: Scope
    start: bytes
    end: bytes
    label: str = "Seq Scan"
    cond: str = ""

    def rows(self, ex: Exec) -> Iterator[Row]:
        decode = self.codec.decode_value
        for _, raw in ex.txn.iter_scan(self.start, self.end):
            yield decode(raw)

    def explain(self) -> list[str]:
        head = f"{self.label} on {self.codec.table.name}"
        return [head] + ([f"Index Cond: {self.cond}"] if self.cond else [])


def _key_range(
    lo: bytes,
    hi: bytes,
    lower: list[tuple[Typed, bool]],
    upper: list[tuple[Typed, bool]],
    key_of: Callable[[Any], bytes],
) -> tuple[bytes, bytes] | None:
    """Narrow ``[lo, hi)`` by bounds evaluated now; None when a bound is NULL (no rows)."""
    for typed, inclusive in lower:
        v = typed.fn(())
        if v is None:
            return None
        at = key_of(v)
        lo = max(lo, at if inclusive else prefix_end(at))
    for typed, inclusive in upper:
        v = typed.fn(())
        if v is None:
            return None
        at = key_of(v)
        hi = min(hi, prefix_end(at) if inclusive else at)
    return (lo, hi) if lo < hi else None


def _rows_through_index(ex: Exec, codec: RowCodec, index: IndexDef, lo: bytes,
                        hi: bytes) -> Iterator[Row]:  # fmt: skip
    """The rows that the index entries in ``[lo, hi)`` point at, fetched in one batch."""
    keys = [codec.pk_from_index(index, k, v) for k, v in ex.txn.iter_scan(lo, hi)]
    found = ex.txn.batch_get(keys) if keys else {}
    for key in keys:
        raw = found.get(key)
        if raw is not None:
            yield codec.decode_value(raw)


@dataclass
class RangeScan(Node):
    """Rows whose leading primary-key column lies between bounds computed at run time."""

    codec: RowCodec
    scope: Scope
    lower: list[tuple[Typed, bool]]  # (value, inclusive)
    upper: list[tuple[Typed, bool]]
    cond: str = ""

    def rows(self, ex: Exec) -> Iterator[Row]:
        prefix = self.codec.prefix
        t = self.codec.types[self.codec.pk_idx[0]]
        bounds = _key_range(prefix, prefix_end(prefix), self.lower, self.upper,
                            lambda v: prefix + encode_key(to_storage(v, t)))  # fmt: skip
        if bounds is None:
            return
        decode = self.codec.decode_value
        for _, raw in ex.txn.iter_scan(*bounds):
            yield decode(raw)

    def explain(self) -> list[str]:
        name = self.codec.table.name
        return [f"Index Scan using {name}_pkey on {name}", f"Index Cond: {self.cond}"]


@dataclass
class PointGet(Node):
    codec: RowCodec
    scope: Scope
    keys: list[Typed]  # pk values, in pk column order
    cond: str = ""

    def rows(self, ex: Exec) -> Iterator[Row]:
        values = [k.fn(()) for k in self.keys]
        if any(v is None for v in values):
            return
        raw = ex.txn.get(self.codec.key_for_pk(tuple(values)))
        if raw is not None:
            yield self.codec.decode_value(raw)

    def explain(self) -> list[str]:
        return [
            f"Index Scan using {self.codec.table.name}_pkey on {self.codec.table.name}",
            f"Index Cond: {self.cond}",
        ]


@dataclass
class IndexScan(Node):
    codec: RowCodec
    scope: Scope
    index: IndexDef
    values: list[Typed]
    cond: str = ""

    def rows(self, ex: Exec) -> Iterator[Row]:
        vals = [v.fn(()) for v in self.values]
        if any(v is None for v in vals):
            return
        types = [self.codec.types[i] for i in self.codec.index_columns(self.index)]
        stored = [to_storage(v, t) for v, t in zip(vals, types, strict=False)]
        lo = self.codec.index_bounds(self.index, stored)
        yield from _rows_through_index(ex, self.codec, self.index, lo, prefix_end(lo))

    def explain(self) -> list[str]:
        return [
            f"Index Scan using {self.index.name} on {self.codec.table.name}",
            f"Index Cond: {self.cond}",
        ]


@dataclass
class IndexRangeScan(Node):
    """Rows whose leading indexed column lies between bounds, fetched through the index."""

    codec: RowCodec
    scope: Scope
    index: IndexDef
    lower: list[tuple[Typed, bool]]
    upper: list[tuple[Typed, bool]]
    cond: str = ""

    def rows(self, ex: Exec) -> Iterator[Row]:
        codec, index = self.codec, self.index
        t = codec.types[codec.index_columns(index)[0]]
        prefix = codec.index_bounds(index, [])
        bounds = _key_range(prefix, prefix_end(prefix), self.lower, self.upper,
                            lambda v: codec.index_bounds(index, [to_storage(v, t)]))  # fmt: skip
        if bounds is not None:
            yield from _rows_through_index(ex, codec, index, *bounds)

    def explain(self) -> list[str]:
        return [
            f"Index Scan using {self.index.name} on {self.codec.table.name}",
            f"Index Cond: {self.cond}",
        ]


@dataclass
class Materialized(Node):
    """Rows computed elsewhere: a CTE, VALUES, a function, a virtual catalog table."""

    scope: Scope
    source: Callable[[Exec], Iterable[Row]]
    label: str

    def rows(self, ex: Exec) -> Iterator[Row]:
        yield from _checked(self.source(ex))

    def explain(self) -> list[str]:
        return [self.label]


@dataclass
class SubqueryScan(Node):
    plan: Plan
    scope: Scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        yield from self.plan.node.rows(ex)

    def explain(self) -> list[str]:
        return ["Subquery Scan"]

    def children(self) -> list[Node]:
        return [self.plan.node]


# -- relational operators ---------------------------------------------------------------------


@dataclass
class Filter(Node):
    child: Node
    pred: Typed
    text: str

    @property
    def scope(self) -> Scope:  # type: ignore[override]
        return self.child.scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        f = self.pred.fn
        for row in self.child.rows(ex):
            if f(row) is True:
                yield row

    def explain(self) -> list[str]:
        return [f"Filter: {self.text}"]

    def children(self) -> list[Node]:
        return [self.child]


@dataclass
class Project(Node):
    child: Node
    fns: list[Callable[[Row], Any]]
    scope: Scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        fns = self.fns
        for row in self.child.rows(ex):
            yield tuple(f(row) for f in fns)

    def explain(self) -> list[str]:
        return ["Result" if isinstance(self.child, OneRow) else "Project"]

    def children(self) -> list[Node]:
        return [] if isinstance(self.child, OneRow) else [self.child]


@dataclass
class OneRow(Node):
    scope: Scope = field(default_factory=lambda: Scope([]))

    def rows(self, ex: Exec) -> Iterator[Row]:
        yield ()

    def explain(self) -> list[str]:
        return ["Result"]


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
    for lrow in node.left.rows(ex):
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


@dataclass
class NestedLoopJoin(Node):
    left: Node
    right: Node
    kind: str  # inner, left, right, full, cross
    cond: Typed | None
    scope: Scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        held = Held()
        try:
            right_rows = held.collect(self.right.rows(ex), factor=2)
            pairs = list(enumerate(right_rows))
            yield from _join(ex, self, right_rows, lambda _lrow: pairs,
                             self.cond.fn if self.cond else None)  # fmt: skip
        finally:
            held.close()

    def explain(self) -> list[str]:
        kind = {"inner": "", "cross": "", "left": "Left ", "right": "Right ", "full": "Full "}
        return [f"Nested Loop {kind[self.kind]}Join".replace("  ", " ")]

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass
class HashJoin(Node):
    left: Node
    right: Node
    kind: str
    left_keys: list[Typed]
    right_keys: list[Typed]
    residual: Typed | None
    scope: Scope
    text: str

    def rows(self, ex: Exec) -> Iterator[Row]:
        table: dict[tuple[Any, ...], list[tuple[int, Row]]] = {}
        held = Held()
        try:
            # the build side: its rows, and a key, a list and an entry per row in the table
            right_rows = held.collect(self.right.rows(ex), factor=3)
            rk = [k.fn for k in self.right_keys]
            for i, rrow in enumerate(right_rows):
                if not i & 1023:
                    interrupt.check()
                key = tuple(f(rrow) for f in rk)
                if None not in key:  # NULL never equals anything
                    table.setdefault(key, []).append((i, rrow))
            lk = [k.fn for k in self.left_keys]

            def candidates(lrow: Row) -> Iterable[tuple[int, Row]]:
                key = tuple(f(lrow) for f in lk)
                return () if None in key else table.get(key, ())

            yield from _join(ex, self, right_rows, candidates,
                             self.residual.fn if self.residual else None)  # fmt: skip
        finally:
            held.close()

    def explain(self) -> list[str]:
        kind = {"inner": "", "left": "Left ", "right": "Right ", "full": "Full "}[self.kind]
        return [f"Hash {kind}Join", f"Hash Cond: {self.text}"]

    def children(self) -> list[Node]:
        return [self.left, self.right]


class _Agg:
    """One aggregate's running state."""

    def __init__(self, name: str, distinct: bool, rtype: SqlType) -> None:
        self.name, self.distinct, self.rtype = name, distinct, rtype
        self.seen: set[Any] = set()
        self.count = 0
        self.acc: Any = None
        self.items: list[Any] = []
        self.pending: list[tuple[tuple[Any, ...], Any]] = []

    def add(self, v: Any) -> None:
        if self.name == "count_star":
            self.count += 1
            return
        if v is None and self.name != "array_agg":
            return
        if self.distinct:
            key = repr(v) if isinstance(v, list | dict) else v
            if key in self.seen:
                return
            self.seen.add(key)
        self.count += 1
        n = self.name
        if n in ("sum", "avg"):
            self.acc = v if self.acc is None else self.acc + v
        elif n == "min":
            self.acc = v if self.acc is None or v < self.acc else self.acc
        elif n == "max":
            self.acc = v if self.acc is None or v > self.acc else self.acc
        elif n == "bool_and":
            self.acc = v if self.acc is None else (self.acc and v)
        elif n == "bool_or":
            self.acc = v if self.acc is None else (self.acc or v)
        elif n in ("array_agg", "string_agg", "json_agg", "jsonb_agg"):
            self.items.append(v)  # array_agg keeps NULLs, as in PostgreSQL

    def add_ordered(self, key: tuple[Any, ...], v: Any) -> None:
        """Buffer a value of an aggregate with ORDER BY; replay_ordered feeds them in order."""
        self.pending.append((key, v))

    def replay_ordered(self, keys: list[SortKey]) -> None:
        cmp = _compare_rows(keys)

        def by_key(a: tuple[Row, Any], b: tuple[Row, Any]) -> int:
            return cmp(a[0], b[0])

        self.pending.sort(key=_checked_cmp(by_key))
        for _, v in self.pending:
            self.add(v)
        self.pending = []

    def result(self, sep: str = ",") -> Any:
        n = self.name
        if n in ("count", "count_star"):
            return self.count
        if n == "avg":
            if self.count == 0:
                return None
            if isinstance(self.acc, float):
                return self.acc / self.count

            return numeric_div(Decimal(self.acc), Decimal(self.count))
        if n == "sum":
            if self.acc is not None and self.rtype.name == "numeric":
                return Decimal(self.acc)
            return self.acc
        if n == "array_agg":
            return self.items if self.count else None
        if n == "string_agg":
            if not self.count:
                return None
            check_value(sum(map(len, self.items)) + len(sep) * len(self.items), "out of memory")
            return sep.join(self.items)
        return self.acc


_KEEPS_INPUT = {"array_agg", "string_agg", "json_agg", "jsonb_agg"}


@dataclass
class AggSpec:
    name: str
    arg: Typed | None
    distinct: bool
    rtype: SqlType
    sep: Typed | None = None
    filter: Typed | None = None
    order: list[tuple[Typed, bool, bool]] = field(default_factory=list)


@dataclass
class Aggregate(HoldingNode):
    child: Node
    keys: list[Typed]
    aggs: list[AggSpec]
    scope: Scope
    has_group_by: bool

    def _rows(self, ex: Exec, held: Held) -> Iterator[Row]:
        groups: dict[tuple[Any, ...], list[_Agg]] = {}
        keyfns = [k.fn for k in self.keys]
        # a group: its dict entry, its key and one state per aggregate; aggregates that keep
        # their inputs (array_agg, DISTINCT, ORDER BY) hold about the rows they were given
        per_group = 100 + 600 * len(self.aggs)
        keeps = any(a.distinct or a.order or a.name in _KEEPS_INPUT for a in self.aggs)
        n = 0
        for row in self.child.rows(ex):
            key = tuple(_hashable(f(row)) for f in keyfns)
            states = groups.get(key)
            if states is None:
                states = groups[key] = [_Agg(a.name, a.distinct, a.rtype) for a in self.aggs]
                held.add(per_group + row_size(key))
            if keeps:
                n += 1
                if not n % SAMPLE:
                    held.add(row_size(row) * SAMPLE)
            for spec, st in zip(self.aggs, states, strict=True):
                if spec.filter is not None and spec.filter.fn(row) is not True:
                    continue
                if spec.order:
                    st.add_ordered(
                        tuple(k.fn(row) for k, _, _ in spec.order),
                        spec.arg.fn(row) if spec.arg is not None else None,
                    )
                    continue
                st.add(spec.arg.fn(row) if spec.arg is not None else None)
        if not groups and not self.has_group_by:
            groups[()] = [_Agg(a.name, a.distinct, a.rtype) for a in self.aggs]
        for n, (key, states) in enumerate(groups.items()):
            if not n & 1023:
                interrupt.check()
            values = []
            for spec, st in zip(self.aggs, states, strict=True):
                if spec.order:
                    st.replay_ordered(
                        [SortKey(i, d, nf) for i, (_, d, nf) in enumerate(spec.order)]
                    )
                sep = spec.sep.fn(()) if spec.sep is not None else ","
                values.append(st.result(sep))
            yield tuple(_unhashable(k) for k in key) + tuple(values)

    def explain(self) -> list[str]:
        return ["HashAggregate" if self.has_group_by else "Aggregate"]

    def children(self) -> list[Node]:
        return [self.child]


def _hashable(v: Any) -> Any:
    if isinstance(v, list):
        return ("__list__", tuple(_hashable(x) for x in v))
    if isinstance(v, dict):
        return ("__dict__", repr(v))
    return v


def _unhashable(v: Any) -> Any:
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "__list__":
        return [_unhashable(x) for x in v[1]]
    return v


@dataclass
class SortKey:
    index: int
    desc: bool
    nulls_first: bool


def _compare_rows(keys: list[SortKey]) -> Callable[[Row, Row], int]:
    def cmp(a: Row, b: Row) -> int:
        for k in keys:
            x, y = a[k.index], b[k.index]
            if x is None or y is None:
                if x is None and y is None:
                    continue
                first = -1 if k.nulls_first else 1
                return first if x is None else -first
            if x == y:
                continue
            less = x < y
            r = -1 if less else 1
            return -r if k.desc else r
        return 0

    return cmp


@dataclass
class Sort(Node):
    child: Node
    keys: list[SortKey]
    text: str

    @property
    def scope(self) -> Scope:  # type: ignore[override]
        return self.child.scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        held = Held()
        try:
            rows = held.collect(self.child.rows(ex), factor=2)  # the rows, and the sort's keys
            rows.sort(key=_checked_cmp(_compare_rows(self.keys)))
            yield from _checked(rows)
        finally:
            held.close()

    def explain(self) -> list[str]:
        return ["Sort", f"Sort Key: {self.text}"]

    def children(self) -> list[Node]:
        return [self.child]


@dataclass
class Limit(Node):
    child: Node
    limit: Typed | None
    offset: Typed | None

    @property
    def scope(self) -> Scope:  # type: ignore[override]
        return self.child.scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        off = self.offset.fn(()) if self.offset else 0
        lim = self.limit.fn(()) if self.limit else None
        if off is not None and off < 0:
            raise InvalidParameterValue("OFFSET must not be negative")
        if lim is not None and lim < 0:
            raise InvalidParameterValue("LIMIT must not be negative")
        stop = None if lim is None else (off or 0) + lim
        yield from itertools.islice(self.child.rows(ex), off or 0, stop)

    def explain(self) -> list[str]:
        return ["Limit"]

    def children(self) -> list[Node]:
        return [self.child]


@dataclass
class Distinct(Node):
    child: Node
    width: int  # leading columns that define distinctness

    @property
    def scope(self) -> Scope:  # type: ignore[override]
        return self.child.scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        seen: set[Any] = set()
        held = Held()
        try:
            for row in self.child.rows(ex):
                key = tuple(_hashable(v) for v in row[: self.width])
                if key not in seen:
                    seen.add(key)
                    if not len(seen) % SAMPLE:
                        held.add((row_size(key) + 40) * SAMPLE)
                    yield row
        finally:
            held.close()

    def explain(self) -> list[str]:
        return ["HashAggregate (distinct)"]

    def children(self) -> list[Node]:
        return [self.child]


@dataclass
class ProjectSet(Node):
    child: Node
    makers: list[Callable[[Row], list[Any]]]
    scope: Scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        for row in self.child.rows(ex):
            results = [m(row) for m in self.makers]
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

    def explain(self) -> list[str]:
        return ["ProjectSet"]

    def children(self) -> list[Node]:
        return [self.child]


SRF_NAMES = {"unnest", "generate_series", "generate_subscripts"}


def _srf_name(e: exp.Expr) -> str | None:
    if isinstance(e, exp.Explode | exp.Unnest):
        return "unnest"
    if isinstance(e, exp.ExplodingGenerateSeries | exp.GenerateSeries):
        return "generate_series"
    if isinstance(e, exp.Anonymous) and str(e.this).lower() in SRF_NAMES:
        return str(e.this).lower()
    return None


def _find_srfs(e: exp.Expr) -> list[exp.Expr]:
    found: list[exp.Expr] = []

    def walk(node: exp.Expr) -> None:
        if isinstance(node, exp.Subquery | exp.Select):
            return
        if _srf_name(node) is not None:
            found.append(node)
            return
        for child in node.iter_expressions():
            walk(child)

    walk(e)
    return found


def _compile_srf(comp: Compiler, call: exp.Expr) -> tuple[Callable[[Row], list[Any]], SqlType]:
    name = _srf_name(call)
    if isinstance(call, exp.Anonymous):
        args = list(call.expressions)
    elif isinstance(call, exp.Explode):
        args = [call.this]
    elif isinstance(call, exp.Unnest):
        args = list(call.expressions)
    else:
        args = [
            a
            for a in (call.args.get("start"), call.args.get("end"), call.args.get("step"))
            if a is not None
        ]
    typed = [comp.compile(a) for a in args]
    if name == "unnest":
        arr = typed[0]
        elem = arr.type.element or T.TEXT
        return (lambda r: list(arr.fn(r) or [])), elem
    if name == "generate_subscripts":
        arr = typed[0]
        return (lambda r: list(range(1, len(arr.fn(r) or []) + 1))), T.INT4
    t = unify([a.type for a in typed])
    t = T.INT4 if t.name in ("unknown", "smallint") else t
    vals = [coerce_to(a, t) for a in typed]

    def series(r: Row) -> list[Any]:
        start, stop = vals[0].fn(r), vals[1].fn(r)
        step = vals[2].fn(r) if len(vals) > 2 else 1
        if start is None or stop is None or not step:
            return []
        out = []
        v = start
        while (v <= stop) if step > 0 else (v >= stop):
            out.append(v)
            v += step
            if not len(out) & 1023:
                interrupt.check()
            if not len(out) & 0xFFFF:
                fits(len(out) * 40)
        return out

    return series, t


@dataclass
class DistinctOn(Node):
    """SELECT DISTINCT ON: the first row (in ORDER BY order) of each group of equal keys."""

    child: Node
    keys: list[int]

    @property
    def scope(self) -> Scope:  # type: ignore[override]
        return self.child.scope

    def rows(self, ex: Exec) -> Iterator[Row]:
        seen: set[Any] = set()
        held = Held()
        try:
            for row in self.child.rows(ex):
                key = tuple(_hashable(row[i]) for i in self.keys)
                if key not in seen:
                    seen.add(key)
                    if not len(seen) % SAMPLE:
                        held.add((row_size(key) + 40) * SAMPLE)
                    yield row
        finally:
            held.close()

    def explain(self) -> list[str]:
        return ["Unique"]

    def children(self) -> list[Node]:
        return [self.child]


@dataclass
class SetOp(HoldingNode):
    kind: str  # union, intersect, except
    all: bool
    left: Node
    right: Node
    scope: Scope
    casts: list[tuple[SqlType, SqlType, SqlType]]  # (left type, right type, result type)

    def _cast(self, rows: Iterator[Row], side: int) -> Iterator[Row]:
        plan = [(c[side], c[2]) for c in self.casts]
        if all(src == dst for src, dst in plan):
            yield from rows
            return
        for row in rows:
            yield tuple(
                cast_value(v, s, d, explicit=False) for v, (s, d) in zip(row, plan, strict=True)
            )

    def _rows(self, ex: Exec, held: Held) -> Iterator[Row]:
        left = self._cast(self.left.rows(ex), 0)
        right = self._cast(self.right.rows(ex), 1)
        if self.kind == "union":
            if self.all:
                yield from left
                yield from right
                return
            seen: set[Any] = set()
            for row in itertools.chain(left, right):
                key = tuple(_hashable(v) for v in row)
                if key not in seen:
                    seen.add(key)
                    if not len(seen) % SAMPLE:
                        held.add((row_size(key) + 40) * SAMPLE)
                    yield row
            return
        counts: dict[Any, int] = {}
        for row in right:
            key = tuple(_hashable(v) for v in row)
            counts[key] = counts.get(key, 0) + 1
            if not len(counts) % SAMPLE:
                held.add((row_size(key) + 80) * SAMPLE)
        emitted: set[Any] = set()
        for row in left:
            key = tuple(_hashable(v) for v in row)
            n = counts.get(key, 0)
            if self.kind == "intersect":
                if n > 0 and (self.all or key not in emitted):
                    emitted.add(key)
                    if self.all:
                        counts[key] = n - 1
                    yield row
            else:
                if self.all:
                    if n > 0:
                        counts[key] = n - 1
                    else:
                        yield row
                elif n == 0 and key not in emitted:
                    emitted.add(key)
                    yield row

    def explain(self) -> list[str]:
        return [f"{'Append' if self.kind == 'union' else 'SetOp ' + self.kind.title()}"]

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass
class WindowSpec:
    name: str
    arg: Typed | None
    partition: list[Typed]
    order: list[tuple[Typed, bool, bool]]  # expr, desc, nulls_first
    rtype: SqlType


@dataclass
class Window(HoldingNode):
    child: Node
    specs: list[WindowSpec]
    scope: Scope

    def _rows(self, ex: Exec, held: Held) -> Iterator[Row]:
        # the rows, each row's window values, its partition entry and its sort key
        rows = held.collect(self.child.rows(ex), factor=3)
        extra: list[list[Any]] = [[None] * len(self.specs) for _ in rows]
        for si, spec in enumerate(self.specs):
            parts: dict[tuple[Any, ...], list[int]] = {}
            for i, row in enumerate(rows):
                if not i & 1023:
                    interrupt.check()
                key = tuple(_hashable(p.fn(row)) for p in spec.partition)
                parts.setdefault(key, []).append(i)
            for idxs in parts.values():
                okeys = [SortKey(n, d, nf) for n, (_, d, nf) in enumerate(spec.order)]
                decorated = [(tuple(o.fn(rows[i]) for o, _, _ in spec.order), i) for i in idxs]
                cmp = _compare_rows(okeys)

                def by_key(a: tuple[Row, int], b: tuple[Row, int], c: Any = cmp) -> int:
                    result: int = c(a[0], b[0])
                    return result

                decorated.sort(key=_checked_cmp(by_key))
                self._fill(spec, si, decorated, rows, extra, cmp)
        for row, more in zip(rows, extra, strict=True):
            yield row + tuple(more)

    def _fill(
        self,
        spec: WindowSpec,
        si: int,
        ordered: list[tuple[Row, int]],
        rows: list[Row],
        extra: list[list[Any]],
        cmp: Callable[[Row, Row], int],
    ) -> None:
        name = spec.name
        rank = dense = 0
        prev: Row | None = None
        # peers: rows equal on the ORDER BY keys share a rank and (for aggregates) a frame end
        for pos, (okey, i) in enumerate(ordered):
            if not pos & 1023:
                interrupt.check()
            new_peer = prev is None or cmp(prev, okey) != 0
            if new_peer:
                rank = pos + 1
                dense += 1
            prev = okey
            if name == "row_number":
                extra[i][si] = pos + 1
            elif name == "rank":
                extra[i][si] = rank
            elif name == "dense_rank":
                extra[i][si] = dense
        if name in ("row_number", "rank", "dense_rank"):
            return
        agg_name = "count_star" if name == "count" and spec.arg is None else name
        state = _Agg(agg_name, False, spec.rtype)
        if not spec.order:
            for _, i in ordered:
                state.add(spec.arg.fn(rows[i]) if spec.arg else None)
            value = state.result()
            for _, i in ordered:
                extra[i][si] = value
            return
        pos = 0
        while pos < len(ordered):
            interrupt.check()
            end = pos
            while end + 1 < len(ordered) and cmp(ordered[end + 1][0], ordered[pos][0]) == 0:
                end += 1
            for _, i in ordered[pos : end + 1]:
                state.add(spec.arg.fn(rows[i]) if spec.arg else None)
            value = state.result()
            for _, i in ordered[pos : end + 1]:
                extra[i][si] = value
            pos = end + 1

    def explain(self) -> list[str]:
        return ["WindowAgg"]

    def children(self) -> list[Node]:
        return [self.child]


# -- the plan of one query ---------------------------------------------------------------------


def is_point_read(node: Node) -> bool:
    """A plan that reads at most one row by primary key (projected, filtered, limited):
    bounded work, cheap enough to run on the caller's thread."""
    while isinstance(node, Project | Filter | Limit):
        node = node.child
    return isinstance(node, PointGet)


@dataclass
class Plan:
    node: Node
    columns: list[ScopeColumn]
    scope: Scope  # the scope the query was planned in (its outer cell, correlation flag)
    run_txn: Callable[[], Transaction] | None = None

    @property
    def correlated(self) -> bool:
        return self.scope.correlated[0]

    def run(self, outer_row: Row | None = None, limit: int | None = None) -> list[Row]:
        assert self.run_txn is not None
        saved = self.scope.outer_cell[0]
        self.scope.outer_cell[0] = outer_row
        ex = Exec(self.run_txn())
        try:
            it = self.node.rows(ex)
            if limit is not None:
                return list(itertools.islice(it, limit))
            held = Held()  # the list is the caller's; it must fit while it is built
            try:
                return held.collect(it)
            finally:
                held.close()
        finally:
            ex.close()
            self.scope.outer_cell[0] = saved

    def iterate(self) -> Iterator[Row]:
        """The rows of a top-level query, produced as they are consumed. The transaction is
        taken now; what the plan holds is given back when the iterator ends or is closed."""
        assert self.run_txn is not None
        return self._iterate(Exec(self.run_txn()))

    def _iterate(self, ex: Exec) -> Iterator[Row]:
        try:
            yield from self.node.rows(ex)
        finally:
            ex.close()

    def explain(self) -> list[str]:
        return _explain_tree(self.node)


AGGREGATES = {
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "bool_and",
    "bool_or",
    "array_agg",
    "string_agg",
    "every",
}
WINDOW_ONLY = {"row_number", "rank", "dense_rank"}


def _agg_name(e: exp.Expr) -> str | None:
    if isinstance(e, exp.Count):
        return "count"
    if isinstance(e, exp.Sum):
        return "sum"
    if isinstance(e, exp.Avg):
        return "avg"
    if isinstance(e, exp.Min):
        return "min"
    if isinstance(e, exp.Max):
        return "max"
    if isinstance(e, exp.ArrayAgg):
        return "array_agg"
    if isinstance(e, exp.GroupConcat):
        return "string_agg"
    if isinstance(e, exp.LogicalAnd):
        return "bool_and"
    if isinstance(e, exp.LogicalOr):
        return "bool_or"
    if isinstance(e, exp.Anonymous) and str(e.this).lower() in AGGREGATES:
        return str(e.this).lower()
    return None


def _find_aggs(e: exp.Expr) -> list[exp.Expr]:
    """Aggregate calls in ``e``, not looking into subqueries or window functions."""
    found: list[exp.Expr] = []

    def walk(node: exp.Expr) -> None:
        if isinstance(node, exp.Subquery | exp.Select | exp.Window):
            return
        if isinstance(node, exp.Filter) and _agg_name(node.this):
            found.append(node)
            return
        if _agg_name(node) is not None:
            found.append(node)
            return
        for child in node.iter_expressions():
            walk(child)

    walk(e)
    return found


def _find_windows(e: exp.Expr) -> list[exp.Window]:
    found: list[exp.Window] = []

    def walk(node: exp.Expr) -> None:
        if isinstance(node, exp.Subquery | exp.Select):
            return
        if isinstance(node, exp.Window):
            found.append(node)
            return
        for child in node.iter_expressions():
            walk(child)

    walk(e)
    return found


def _conjuncts(e: exp.Expr | None) -> list[exp.Expr]:
    if e is None:
        return []
    if isinstance(e, exp.And):
        return _conjuncts(e.this) + _conjuncts(e.expression)
    if isinstance(e, exp.Paren):
        return _conjuncts(e.this)
    return [e]


def _and_all(parts: list[exp.Expr]) -> exp.Expr | None:
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = exp.And(this=out, expression=p)
    return out


class Planner:
    """Plans queries against one catalog snapshot for one session."""

    def __init__(self, session: SessionApi, catalog: Catalog, ctx: Context) -> None:
        self.session = session
        self.catalog = catalog
        self.ctx = ctx
        self.db: bytes = session.db
        self.ctes: list[dict[str, tuple[Plan, int]]] = []
        ctx.plan_subquery = self._plan_subquery
        ctx.session = session
        self._cte_ids = itertools.count()

    def compiler(self, scope: Scope) -> Compiler:
        return Compiler(scope, self.ctx)

    def _plan_subquery(self, query: exp.Expr, outer: Scope) -> Plan:
        ctx = self.ctx
        saved = ctx.agg_slots, ctx.group_slots
        ctx.agg_slots = ctx.group_slots = None
        try:
            plan = self.plan_query(query, outer)
        finally:
            ctx.agg_slots, ctx.group_slots = saved
        plan.run_txn = self.session.current_txn
        return plan

    # entry

    def plan_query(self, q: exp.Expr, outer: Scope | None = None) -> Plan:
        scope = Scope([], outer=outer)
        with_ = q.args.get("with_") or q.args.get("with")
        pushed = False
        if with_ is not None:
            self.ctes.append(self._plan_ctes(with_, outer))
            pushed = True
        try:
            if isinstance(q, exp.Select):
                node, cols = self._select(q, scope)
            elif isinstance(q, exp.Union | exp.Intersect | exp.Except):
                node, cols = self._setop(q, scope)
            elif isinstance(q, exp.Subquery):
                inner = self.plan_query(q.this, outer)
                node, cols = inner.node, inner.columns
            elif isinstance(q, exp.Values):
                node = self._values(q, scope)
                cols = node.scope.columns
            else:
                raise FeatureNotSupported(f"{type(q).__name__} is not a query")
        finally:
            if pushed:
                self.ctes.pop()
        plan = Plan(node, cols, scope)
        plan.run_txn = self.session.current_txn
        return plan

    def _plan_ctes(self, with_: exp.With, outer: Scope | None) -> dict[str, tuple[Plan, int]]:
        out: dict[str, tuple[Plan, int]] = {}
        self.ctes.append(out)
        try:
            for cte in with_.expressions:
                name = cte.alias
                body = cte.this
                cid = next(self._cte_ids)
                if with_.args.get("recursive") and isinstance(body, exp.Union):
                    plan = self._recursive_cte(name, cte, body, outer, cid, out)
                else:
                    plan = self.plan_query(body, outer)
                    plan = self._rename(plan, cte)
                out[name] = (plan, cid)
        finally:
            self.ctes.pop()
        return out

    def _rename(self, plan: Plan, cte: exp.CTE) -> Plan:
        names = [c.name for c in (cte.args["alias"].columns or [])] if cte.args.get("alias") else []
        if names:
            cols = [
                ScopeColumn(c.table, names[i] if i < len(names) else c.name, c.type)
                for i, c in enumerate(plan.columns)
            ]
            plan = Plan(plan.node, cols, plan.scope, plan.run_txn)
        return plan

    def _recursive_cte(
        self,
        name: str,
        cte: exp.CTE,
        body: exp.Union,
        outer: Scope | None,
        cid: int,
        out: dict[str, tuple[Plan, int]],
    ) -> Plan:
        anchor = self._rename(self.plan_query(body.this, outer), cte)
        work: dict[str, Any] = {"rows": []}
        wscope = Scope([ScopeColumn(name, c.name, c.type) for c in anchor.columns])
        working = Materialized(wscope, lambda _ex: work["rows"], f"WorkTable Scan on {name}")
        out[name] = (Plan(working, anchor.columns, Scope([])), -1)
        step = self.plan_query(body.expression, outer)
        distinct = bool(body.args.get("distinct"))

        def run(ex: Exec) -> Iterator[Row]:
            # Round by round, each row yielded as it is made: only the last round (the
            # working table) and, for UNION, the rows seen are held, and a reader that stops
            # early stops the recursion. An endless one runs until cancelled or timed out,
            # as in PostgreSQL.
            seen: set[tuple[Any, ...]] = set()
            held = Held()
            try:
                frontier: list[Row] = []
                rows: Iterable[Row] = anchor.node.rows(ex)
                while True:
                    interrupt.check()
                    new: list[Row] = []
                    for row in rows:
                        if distinct:
                            key = tuple(_hashable(v) for v in row)
                            if key in seen:
                                continue
                            seen.add(key)
                        new.append(row)
                        yield row
                    if not new:
                        return
                    held.close()  # the previous round's rows go
                    held.add(row_size(new[0]) * len(new) * (2 if distinct else 1))
                    held.flush()
                    frontier = new
                    work["rows"] = frontier
                    rows = step.node.rows(ex)
            finally:
                held.close()

        node = Materialized(Scope(list(anchor.columns)), run, f"Recursive Union ({name})")
        return Plan(node, anchor.columns, Scope([]))

    # FROM

    def _from_item(self, item: exp.Expr, outer: Scope | None) -> Node:
        alias = item.alias or None
        if isinstance(item, exp.Table):
            if isinstance(item.this, exp.Anonymous | exp.Func) and not isinstance(
                item.this, exp.Identifier
            ):
                return self._function_scan(item.this, alias, outer)
            name = item.name
            schema = item.db or None
            if schema is None:
                for frame in reversed(self.ctes):
                    if name in frame:
                        plan, cid = frame[name]
                        return self._cte_scan(plan, cid, alias or name)
            if schema in ("pg_catalog", "information_schema") or (
                schema is None
                and self.catalog.find(name, None, self.session.search_path()) is None
                and _is_system_relation(name)
            ):
                return self._system_scan(name, schema, alias)
            table = self.catalog.table(name, schema, self.session.search_path())
            codec = RowCodec(self.db, table)
            lo = codec.prefix
            return TableScan(codec, table_scope(table, alias), lo, prefix_end(lo))
        if isinstance(item, exp.Subquery):
            plan = self.plan_query(item.this, outer)
            cols = plan.columns
            names = (
                [c.name for c in item.args["alias"].columns]
                if item.args.get("alias") and item.args["alias"].columns
                else []
            )
            scope = Scope(
                [
                    ScopeColumn(alias, names[i] if i < len(names) else c.name, c.type)
                    for i, c in enumerate(cols)
                ]
            )
            return SubqueryScan(plan, scope)
        if isinstance(item, exp.Values):
            return self._values(item, Scope([], outer=outer), alias)
        raise FeatureNotSupported(f"FROM item {item.sql(dialect='postgres')} is not supported")

    def _system_scan(self, name: str, schema: str | None, alias: str | None) -> Node:
        cols, source = system_relation(self.session, name, schema)
        label = alias or name
        scope = Scope([ScopeColumn(label, col, ty) for col, ty in cols])
        return Materialized(scope, lambda _ex: source(), f"Function Scan on {name}")

    def _cte_scan(self, plan: Plan, cid: int, alias: str) -> Node:
        scope = Scope([ScopeColumn(alias, c.name, c.type) for c in plan.columns])
        if cid < 0:  # the recursive working table
            return Materialized(
                scope, lambda ex: list(plan.node.rows(ex)), f"WorkTable Scan on {alias}"
            )

        def source(ex: Exec) -> Iterator[Row]:
            spool = ex.ctes.get(cid)
            if spool is None:
                spool = ex.ctes[cid] = Spool(plan.node.rows(ex), ex.held)
            return spool.reader()

        return Materialized(scope, source, f"CTE Scan on {alias}")

    def _function_scan(self, fn: exp.Expr, alias: str | None, outer: Scope | None) -> Node:
        name = (str(fn.this) if isinstance(fn, exp.Anonymous) else type(fn).__name__).lower()
        if name in ("generate_series", "explodinggenerateseries", "exploding_generate_series"):
            comp = self.compiler(Scope([], outer=outer))
            if isinstance(fn, exp.Anonymous):
                raw = list(fn.expressions)
            else:
                raw = [fn.args.get(k) for k in ("start", "end", "step")]
            args = [comp.compile(a) for a in raw if a is not None]
            t = unify([a.type for a in args])
            if t.name in ("unknown",) or t.name == "smallint":
                t = T.INT4
            args = [coerce_to(a, t) for a in args]
            col = alias or "generate_series"

            def run(ex: Exec) -> Iterator[Row]:  # one row at a time: never a list
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

            return Materialized(
                Scope([ScopeColumn(col, col, t)]), run, "Function Scan on generate_series"
            )
        raise FeatureNotSupported(f"function {name} in FROM is not supported")

    def _values(self, v: exp.Values, scope: Scope, alias: str | None = None) -> Node:
        comp = self.compiler(scope)
        rows = [
            [comp.compile(x) for x in (t.expressions if isinstance(t, exp.Tuple) else [t])]
            for t in v.expressions
        ]
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise SyntaxError_("VALUES lists must all be the same length")
        types = [unify([r[i].type for r in rows]) for i in range(width)]
        if any(t.name == "unknown" for t in types):
            types = [T.TEXT if t.name == "unknown" else t for t in types]
        rows = [[coerce_to(x, types[i]) for i, x in enumerate(r)] for r in rows]
        alias = alias or v.alias or "*VALUES*"
        names = (
            [c.name for c in v.args["alias"].columns]
            if v.args.get("alias") and v.args["alias"].columns
            else []
        )
        cols = [
            ScopeColumn(alias, names[i] if i < len(names) else f"column{i + 1}", t)
            for i, t in enumerate(types)
        ]
        return Materialized(
            Scope(cols), lambda _ex: [tuple(x.fn(()) for x in r) for r in rows], "Values Scan"
        )

    def _join(self, left: Node, join: exp.Join, outer: Scope | None) -> Node:
        right = self._from_item(join.this, outer)
        side = (join.side or "").lower()
        kind = side if side in ("left", "right", "full") else "inner"
        if (join.kind or "").upper() == "CROSS":
            kind = "cross"
        scope = Scope(left.scope.columns + right.scope.columns, outer=outer)
        on = join.args.get("on")
        using = join.args.get("using")
        if using:
            parts: list[exp.Expr] = []
            for ident in using:
                col = ident.name
                lt = next((c.table for c in left.scope.columns if c.name == col), None)
                rt = next((c.table for c in right.scope.columns if c.name == col), None)
                if lt is None or rt is None:
                    raise UndefinedColumn(
                        f'column "{col}" specified in USING clause does not exist'
                    )
                parts.append(exp.EQ(this=exp.column(col, lt), expression=exp.column(col, rt)))
            on = _and_all(parts)
        if on is None:
            return NestedLoopJoin(left, right, "cross" if kind == "inner" else kind, None, scope)
        lkeys: list[Typed] = []
        rkeys: list[Typed] = []
        rest: list[exp.Expr] = []
        texts: list[str] = []
        comp = self.compiler(scope)
        for c in _conjuncts(on):
            if (
                isinstance(c, exp.EQ)
                and isinstance(c.this, exp.Column)
                and isinstance(c.expression, exp.Column)
            ):
                ia = self._side(c.this, left.scope, right.scope)
                ib = self._side(c.expression, left.scope, right.scope)
                if ia == "l" and ib == "r":
                    lk, rk = c.this, c.expression
                elif ia == "r" and ib == "l":
                    lk, rk = c.expression, c.this
                else:
                    rest.append(c)
                    continue
                comparable(comp.compile(lk), comp.compile(rk))  # raises if incomparable
                lkeys.append(self.compiler(left.scope).compile(lk))
                rkeys.append(self.compiler(right.scope).compile(rk))
                texts.append(c.sql(dialect="postgres"))
            else:
                rest.append(c)
        residual_e = _and_all(rest)
        residual = comp._bool(residual_e) if residual_e is not None else None
        if lkeys:
            return HashJoin(
                left,
                right,
                kind if kind != "cross" else "inner",
                lkeys,
                rkeys,
                residual,
                scope,
                " AND ".join(texts),
            )
        return NestedLoopJoin(left, right, kind, residual, scope)

    def _side(self, col: exp.Column, left: Scope, right: Scope) -> str | None:
        try:
            if left.resolve(col.name, col.table or None) and (
                col.table or not right.resolve(col.name, None)
            ):
                return "l"
            if right.resolve(col.name, col.table or None):
                return "r"
        except Exception:  # ambiguity is reported when the condition is compiled
            return None
        return None

    # SELECT

    def _select(self, q: exp.Select, scope: Scope) -> tuple[Node, list[ScopeColumn]]:
        saved = self.ctx.agg_slots, self.ctx.group_slots
        self.ctx.agg_slots = self.ctx.group_slots = None
        try:
            return self._select_block(q, scope)
        finally:
            self.ctx.agg_slots, self.ctx.group_slots = saved

    def source(self, q: exp.Select, scope: Scope) -> tuple[Node, Scope]:
        """The FROM items of ``q`` joined and filtered by its WHERE, before any projection:
        a row holds every column of every FROM item in order, hidden row ids included
        (UPDATE and DELETE take the stored target row from the front of it)."""
        outer = scope.outer
        from_ = q.args.get("from_") or q.args.get("from")
        if from_ is not None:
            node = self._from_item(from_.this, outer)
            for join in q.args.get("joins") or []:
                node = self._join(node, join, outer)
        else:
            node = OneRow()
        # share one correlation cell between the FROM scope and the query's scope
        base = Scope(
            list(node.scope.columns),
            outer=outer,
            outer_cell=scope.outer_cell,
            correlated=scope.correlated,
        )
        return self._where(node, q.args.get("where"), base), base

    def _select_block(self, q: exp.Select, scope: Scope) -> tuple[Node, list[ScopeColumn]]:
        node, base = self.source(q, scope)
        exprs = self._expand_stars(q.expressions, base)
        having = q.args.get("having")
        group = q.args.get("group")
        order = q.args.get("order")
        agg_calls = [a for e in exprs for a in _find_aggs(e)]
        if having is not None:
            agg_calls += _find_aggs(having.this)
        if order is not None:
            for o in order.expressions:
                agg_calls += _find_aggs(o.this)
        post_scope = base
        if agg_calls or group is not None:
            node, post_scope = self._aggregate(node, base, exprs, agg_calls, group)
            if having is not None:
                pred = self.compiler(post_scope)._bool(having.this)
                node = Filter(node, pred, having.this.sql(dialect="postgres"))
        windows = [w for e in exprs for w in _find_windows(e)]
        if order is not None:
            windows += [w for o in order.expressions for w in _find_windows(o.this)]
        if windows:
            node, post_scope = self._window(node, post_scope, windows)
        srfs = [s for e in exprs for s in _find_srfs(e)]
        if srfs:
            node, post_scope = self._project_set(node, post_scope, srfs)
        comp = self.compiler(post_scope)
        outs = [comp.compile(e) for e in exprs]
        out_cols = [
            ScopeColumn(
                None,
                expr_name(e) if not isinstance(e, exp.Column) else e.name,
                T.TEXT if t.type.name == "unknown" else t.type,
            )
            for e, t in zip(exprs, outs, strict=True)
        ]
        outs = [coerce_to(t, T.TEXT) if t.type.name == "unknown" else t for t in outs]
        fns = [t.fn for t in outs]
        keys: list[SortKey] = []
        texts = []
        distinct = q.args.get("distinct")
        if order is not None:
            for o in order.expressions:
                idx = self._order_target(o.this, exprs, out_cols)
                if idx is None:
                    if distinct and not distinct.args.get("on"):
                        raise InvalidColumnReference(
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
                        )
                    t = comp.compile(o.this)
                    fns.append(t.fn)
                    idx = len(fns) - 1
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                nulls_first = desc if nf is None else bool(nf)
                keys.append(SortKey(idx, desc, nulls_first))
                texts.append(o.this.sql(dialect="postgres") + (" DESC" if desc else ""))
        width = len(outs)
        on_keys: list[int] = []
        if distinct and distinct.args.get("on"):
            on = distinct.args["on"]
            for e in on.expressions if isinstance(on, exp.Tuple) else [on]:
                idx = self._order_target(e, exprs, out_cols)
                if idx is None:
                    fns.append(comp.compile(e).fn)
                    idx = len(fns) - 1
                on_keys.append(idx)
        hidden = [ScopeColumn(None, "?hidden", T.TEXT)] * (len(fns) - width)
        node = Project(node, fns, Scope(out_cols + hidden))
        if distinct and not on_keys:
            node = Distinct(node, width)
        if keys:
            node = Sort(node, keys, ", ".join(texts))
        if on_keys:
            node = DistinctOn(node, on_keys)
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if limit is not None or offset is not None:
            const = self.compiler(Scope([]))
            lim = coerce_to(const.compile(limit.expression), T.INT8) if limit is not None else None
            off = (
                coerce_to(const.compile(offset.expression), T.INT8) if offset is not None else None
            )
            node = Limit(node, lim, off)
        if len(fns) > width:
            node = Project(node, [operator.itemgetter(i) for i in range(width)], Scope(out_cols))
        return node, out_cols

    def _expand_stars(self, exprs: list[exp.Expr], scope: Scope) -> list[exp.Expr]:
        out: list[exp.Expr] = []
        for e in exprs:
            if isinstance(e, exp.Star):
                if not scope.columns:
                    raise SyntaxError_("SELECT * with no tables specified is not valid")
                out += [
                    exp.column(c.name, c.table) if c.table else exp.column(c.name)
                    for c in scope.columns
                    if not c.hidden
                ]
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                table = e.table
                cols = [c for c in scope.columns if c.table == table and not c.hidden]
                if not cols:
                    raise UndefinedTable(f'missing FROM-clause entry for table "{table}"')
                out += [exp.column(c.name, table) for c in cols]
            else:
                out.append(e)
        return out

    def _order_target(
        self, e: exp.Expr, exprs: list[exp.Expr], cols: list[ScopeColumn]
    ) -> int | None:
        if isinstance(e, exp.Literal) and not e.is_string:
            n = int(e.this)
            if not 1 <= n <= len(cols):
                raise InvalidColumnReference(f"ORDER BY position {n} is not in select list")
            return n - 1
        if isinstance(e, exp.Column) and not e.table:
            hits = [
                i for i, x in enumerate(exprs) if isinstance(x, exp.Alias) and x.alias == e.name
            ]
            if hits:
                return hits[0]
        text = e.sql(dialect="postgres")
        for i, x in enumerate(exprs):
            inner = x.this if isinstance(x, exp.Alias) else x
            if inner.sql(dialect="postgres") == text:
                return i
        return None

    def _where(self, node: Node, where: exp.Where | None, scope: Scope) -> Node:
        if where is None:
            return node
        conds = _conjuncts(where.this)
        if isinstance(node, TableScan):
            node, conds = self._access_path(node, conds, scope)
        rest = _and_all(conds)
        if rest is None:
            return node
        pred = self.compiler(scope)._bool(rest)
        return Filter(node, pred, rest.sql(dialect="postgres"))

    def _access_path(
        self, scan: TableScan, conds: list[exp.Expr], scope: Scope
    ) -> tuple[Node, list[exp.Expr]]:
        """Turn equalities on the primary key (or an index) into a point get or index scan."""
        table = scan.codec.table
        alias = scan.scope.columns[0].table if scan.scope.columns else table.name
        const = self.compiler(
            Scope([], outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated)
        )
        eqs: dict[str, tuple[exp.Expr, Typed]] = {}
        bounds: list[tuple[exp.Expr, str, Typed, bool, bool]] = []  # cond, col, value, lower, incl
        flip: dict[type, type] = {
            exp.GT: exp.LT,
            exp.GTE: exp.LTE,
            exp.LT: exp.GT,
            exp.LTE: exp.GTE,
        }
        for c in conds:
            if type(c) in flip:
                for col, other, kind in (
                    (c.this, c.expression, type(c)),
                    (c.expression, c.this, flip[type(c)]),
                ):
                    if not (
                        isinstance(col, exp.Column)
                        and (not col.table or col.table == alias)
                        and table.has_column(col.name)
                    ) or _mentions_columns(other, scope):
                        continue
                    const._type_param(other, table.column(col.name).type)
                    try:
                        value = const.compile(other)
                    except (UndefinedColumn, UndefinedTable, FeatureNotSupported):
                        continue
                    ctype = table.column(col.name).type
                    if not _lossless(value.type, ctype):
                        continue
                    lower = kind in (exp.GT, exp.GTE)
                    inclusive = kind in (exp.GTE, exp.LTE)
                    bounds.append((c, col.name, coerce_to(value, ctype), lower, inclusive))
                    break
            if not isinstance(c, exp.EQ):
                continue
            for col, other in ((c.this, c.expression), (c.expression, c.this)):
                if (
                    isinstance(col, exp.Column)
                    and (not col.table or col.table == alias)
                    and table.has_column(col.name)
                    and not _mentions_columns(other, scope)
                ):
                    const._type_param(other, table.column(col.name).type)
                    try:
                        value = const.compile(other)
                    except (UndefinedColumn, UndefinedTable, FeatureNotSupported):
                        continue
                    ctype = table.column(col.name).type
                    if not _lossless(value.type, ctype):
                        continue
                    eqs[col.name] = (c, coerce_to(value, ctype))
                    break
        pk = table.primary_key
        if pk and all(k in eqs for k in pk):
            used = [eqs[k][0] for k in pk]
            node = PointGet(
                scan.codec,
                scan.scope,
                [eqs[k][1] for k in pk],
                " AND ".join(u.sql(dialect="postgres") for u in used),
            )
            return node, [c for c in conds if all(c is not u for u in used)]
        lead = [b for b in bounds if pk and b[1] == pk[0]]
        if lead and pk[0] not in eqs:
            rscan: Node = RangeScan(
                scan.codec,
                scan.scope,
                [(b[2], b[4]) for b in lead if b[3]],
                [(b[2], b[4]) for b in lead if not b[3]],
                " AND ".join(b[0].sql(dialect="postgres") for b in lead),
            )
            # Bounds compare stored forms; the predicates stay as a filter for SQL semantics.
            return rscan, conds
        for index in table.indexes:
            if index.primary or not index.columns or index.columns[0] not in eqs:
                continue
            prefix = []
            for col in index.columns:
                if col not in eqs:
                    break
                prefix.append(col)
            used = [eqs[k][0] for k in prefix]
            iscan: Node = IndexScan(
                scan.codec,
                scan.scope,
                index,
                [eqs[k][1] for k in prefix],
                " AND ".join(u.sql(dialect="postgres") for u in used),
            )
            # Keep the predicates: the index compares stored forms, the filter SQL semantics.
            return iscan, conds
        for index in table.indexes:
            if index.primary or not index.columns or any(index.descending):
                continue
            ranged = [b for b in bounds if b[1] == index.columns[0]]
            if ranged:
                irange: Node = IndexRangeScan(
                    scan.codec,
                    scan.scope,
                    index,
                    [(b[2], b[4]) for b in ranged if b[3]],
                    [(b[2], b[4]) for b in ranged if not b[3]],
                    " AND ".join(b[0].sql(dialect="postgres") for b in ranged),
                )
                return irange, conds
        return scan, conds

    def _aggregate(
        self,
        node: Node,
        scope: Scope,
        exprs: list[exp.Expr],
        calls: list[exp.Expr],
        group: exp.Group | None,
    ) -> tuple[Node, Scope]:
        comp = self.compiler(scope)
        group_exprs: list[exp.Expr] = []
        for g in group.expressions if group is not None else []:
            if isinstance(g, exp.Literal) and not g.is_string:
                n = int(g.this)
                if not 1 <= n <= len(exprs):
                    raise InvalidColumnReference(f"GROUP BY position {n} is not in select list")
                target = exprs[n - 1]
                group_exprs.append(target.this if isinstance(target, exp.Alias) else target)
            elif isinstance(g, exp.Column) and not g.table and scope.resolve(g.name, None) is None:
                alias = next(
                    (x.this for x in exprs if isinstance(x, exp.Alias) and x.alias == g.name), None
                )
                if alias is None:
                    raise UndefinedColumn(f'column "{g.name}" does not exist')
                group_exprs.append(alias)
            else:
                group_exprs.append(g)
        keys = [comp.compile(g) for g in group_exprs]
        slots: dict[str, tuple[int, SqlType]] = {}
        gslots: dict[str, tuple[int, SqlType]] = {}
        cols = []
        for i, (g, k) in enumerate(zip(group_exprs, keys, strict=True)):
            gslots[g.sql(dialect="postgres")] = (i, k.type)
            if isinstance(g, exp.Column):
                gslots[g.name] = (i, k.type)
            cols.append(ScopeColumn(None, expr_name(g), k.type))
        specs: list[AggSpec] = []
        seen: dict[str, int] = {}
        for call in calls:
            text = call.sql(dialect="postgres")
            if text in seen:
                continue
            spec = self._agg_spec(call, comp)
            seen[text] = len(keys) + len(specs)
            slots[text] = (seen[text], spec.rtype)
            specs.append(spec)
            cols.append(ScopeColumn(None, spec.name, spec.rtype))
        self.ctx.agg_slots = slots
        self.ctx.group_slots = gslots
        post = Scope(
            cols, outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated
        )
        # Column references after grouping must be grouped: the compiler checks group_slots.
        return Aggregate(node, keys, specs, post, group is not None), _PostAggScope(post, scope)

    def _agg_spec(self, call: exp.Expr, comp: Compiler) -> AggSpec:
        filt = None
        if isinstance(call, exp.Filter):
            filt = comp._bool(
                call.expression.this if isinstance(call.expression, exp.Where) else call.expression
            )
            call = call.this
        name = _agg_name(call) or "?"
        arg_e = call.this
        order_keys: list[tuple[Typed, bool, bool]] = []
        if isinstance(arg_e, exp.Order):
            for o in arg_e.expressions:
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                order_keys.append((comp.compile(o.this), desc, desc if nf is None else bool(nf)))
            arg_e = arg_e.this
        distinct = False
        if isinstance(arg_e, exp.Distinct):
            distinct = True
            arg_e = arg_e.expressions[0]
        sep = None
        if name == "string_agg":
            separator = call.args.get("separator")
            sep = comp.compile(separator) if separator is not None else None
        if isinstance(call, exp.Anonymous):
            args = call.expressions
            arg_e = args[0] if args else None
            if name == "string_agg" and len(args) > 1:
                sep = comp.compile(args[1])
        if name == "count" and (arg_e is None or isinstance(arg_e, exp.Star)):
            return AggSpec("count_star", None, False, T.INT8, filter=filt)
        if arg_e is None:
            raise FeatureNotSupported(f"aggregate {name} needs an argument")
        if _find_aggs(arg_e):
            raise GroupingError("aggregate function calls cannot be nested")
        arg = comp.compile(arg_e)
        t = arg.type
        if t.name == "unknown":
            arg = coerce_to(
                arg, T.TEXT if name in ("min", "max", "string_agg", "array_agg") else T.NUMERIC
            )
            t = arg.type
        if name == "count":
            rtype = T.INT8
        elif name == "sum":
            rtype = {
                "smallint": T.INT8,
                "integer": T.INT8,
                "bigint": T.NUMERIC,
                "numeric": T.NUMERIC,
                "real": T.FLOAT4,
                "double precision": T.FLOAT8,
                "interval": T.INTERVAL,
            }.get(t.name)  # type: ignore[assignment]
            if rtype is None:
                raise DatatypeMismatch(f"function sum({t.display()}) does not exist")
        elif name == "avg":
            rtype = T.FLOAT8 if t.name in ("real", "double precision") else T.NUMERIC
            if t.name not in T.NUMERIC_RANK:
                raise DatatypeMismatch(f"function avg({t.display()}) does not exist")
        elif name in ("bool_and", "bool_or", "every"):
            name = "bool_and" if name == "every" else name
            rtype = T.BOOL
        elif name == "array_agg":
            rtype = t.array_of()
        elif name == "string_agg":
            arg = coerce_to(arg, T.TEXT, explicit=True)
            rtype = T.TEXT
        else:
            rtype = t
        return AggSpec(name, arg, distinct, rtype, sep, filt, order_keys)

    def _window(self, node: Node, scope: Scope, windows: list[exp.Window]) -> tuple[Node, Scope]:
        comp = self.compiler(scope)
        specs: list[WindowSpec] = []
        slots = dict(self.ctx.agg_slots or {})
        width = len(scope.columns)
        cols = list(scope.columns)
        for w in windows:
            text = w.sql(dialect="postgres")
            if text in slots:
                continue
            fn = w.this
            name = _agg_name(fn) or (
                str(fn.this).lower() if isinstance(fn, exp.Anonymous) else fn.sql_name().lower()
            )
            if isinstance(fn, exp.RowNumber):
                name = "row_number"
            arg = None
            if name not in WINDOW_ONLY:
                a = (
                    fn.this
                    if not isinstance(fn, exp.Anonymous)
                    else (fn.expressions[0] if fn.expressions else None)
                )
                if a is not None and not isinstance(a, exp.Star):
                    arg = comp.compile(a)
            part = [comp.compile(p) for p in w.args.get("partition_by") or []]
            order = []
            ob = w.args.get("order")
            for o in ob.expressions if ob is not None else []:
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                order.append((comp.compile(o.this), desc, desc if nf is None else bool(nf)))
            if name in WINDOW_ONLY or name == "count":
                rtype = T.INT8
            elif name == "sum" and arg is not None:
                rtype = {"smallint": T.INT8, "integer": T.INT8}.get(
                    arg.type.name, arg.type if arg.type.name != "bigint" else T.NUMERIC
                )
            elif name == "avg" and arg is not None:
                rtype = T.FLOAT8 if arg.type.name in ("real", "double precision") else T.NUMERIC
            elif arg is not None:
                rtype = arg.type
            else:
                raise FeatureNotSupported(f"window function {name} is not supported")
            if name not in WINDOW_ONLY | {"count", "sum", "avg", "min", "max"}:
                raise FeatureNotSupported(f"window function {name} is not supported")
            slots[text] = (width + len(specs), rtype)
            specs.append(WindowSpec(name, arg, part, order, rtype))
            cols.append(ScopeColumn(None, name, rtype))
        self.ctx.agg_slots = slots
        post = Scope(
            cols, outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated
        )
        return Window(node, specs, post), post

    def _project_set(self, node: Node, scope: Scope, srfs: list[exp.Expr]) -> tuple[Node, Scope]:
        """Set-returning functions in the select list (unnest, generate_series,
        generate_subscripts): each input row becomes as many rows as the longest result,
        shorter results padded with NULLs, as PostgreSQL's ProjectSet does."""
        comp = self.compiler(scope)
        slots = dict(self.ctx.agg_slots or {})
        makers: list[Callable[[Row], list[Any]]] = []
        cols = list(scope.columns)
        for call in srfs:
            text = call.sql(dialect="postgres")
            if text in slots:
                continue
            maker, rtype = _compile_srf(comp, call)
            slots[text] = (len(cols), rtype)
            cols.append(ScopeColumn(None, expr_name(call), rtype))
            makers.append(maker)
        self.ctx.agg_slots = slots
        post = Scope(
            cols, outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated
        )
        return ProjectSet(node, makers, post), post

    def _setop(self, q: exp.Expr, scope: Scope) -> tuple[Node, list[ScopeColumn]]:
        left = self.plan_query(q.this, scope.outer)
        right = self.plan_query(q.expression, scope.outer)
        if len(left.columns) != len(right.columns):
            kind = type(q).__name__.upper()
            raise SyntaxError_(f"each {kind} query must have the same number of columns")
        casts = []
        cols = []
        for lc, rc in zip(left.columns, right.columns, strict=True):
            t = unify([lc.type, rc.type])
            casts.append((lc.type, rc.type, t))
            cols.append(ScopeColumn(None, lc.name, t))
        kinds: dict[type, str] = {
            exp.Union: "union",
            exp.Intersect: "intersect",
            exp.Except: "except",
        }
        kind = kinds[type(q)]
        distinct = q.args.get("distinct")
        node: Node = SetOp(kind, not distinct, left.node, right.node, Scope(cols), casts)
        order = q.args.get("order")
        if order is not None:
            keys = []
            for o in order.expressions:
                idx = None
                if isinstance(o.this, exp.Literal):
                    idx = int(o.this.this) - 1
                elif isinstance(o.this, exp.Column):
                    idx = next((i for i, c in enumerate(cols) if c.name == o.this.name), None)
                if idx is None or not 0 <= idx < len(cols):
                    raise InvalidColumnReference("invalid ORDER BY for a set operation")
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                keys.append(SortKey(idx, desc, desc if nf is None else bool(nf)))
            node = Sort(node, keys, "")
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if limit is not None or offset is not None:
            const = self.compiler(Scope([]))
            lim = coerce_to(const.compile(limit.expression), T.INT8) if limit is not None else None
            off = (
                coerce_to(const.compile(offset.expression), T.INT8) if offset is not None else None
            )
            node = Limit(node, lim, off)
        return node, cols


class _PostAggScope(Scope):
    """After GROUP BY: the aggregate's output columns; input columns only if grouped."""

    def __init__(self, post: Scope, pre: Scope) -> None:
        super().__init__(
            post.columns, outer=post.outer, outer_cell=post.outer_cell, correlated=post.correlated
        )
        self.pre = pre

    def resolve(self, name: str, table: str | None) -> tuple[int, SqlType] | None:
        return self.pre.resolve(name, table)


def _mentions_columns(e: exp.Expr, scope: Scope) -> bool:
    return any(True for _ in e.find_all(exp.Column, exp.Subquery, exp.Select))


def _lossless(value: SqlType, column: SqlType) -> bool:
    """Can a key bound of type ``value`` be converted to the column's type without changing
    which rows it selects? (5.5 as an integer bound would become 6.)"""
    if value.name == "unknown" or value.name == column.name:
        return True
    ints = ["smallint", "integer", "bigint"]
    if value.name in ints:
        if column.name == "numeric":
            return True
        return column.name in ints and ints.index(value.name) <= ints.index(column.name)
    if value.category == "S" and column.category == "S":
        return column.name in ("text", "character varying")
    return False


def _same_family(a: SqlType, b: SqlType) -> bool:
    return a.category == b.category or (a.name in T.NUMERIC_RANK and b.name in T.NUMERIC_RANK)


def _is_system_relation(name: str) -> bool:
    return name in SYSTEM_RELATIONS


def row_key_range(db: bytes, table: TableDef) -> tuple[bytes, bytes]:
    lo = table_prefix(db, table.id)
    return lo, prefix_end(lo)


def encode_pk(values: tuple[Any, ...]) -> bytes:
    return encode_key(*values)
