"""Running aggregates.

An aggregate keeps one running state per group and aggregate call; values of an aggregate
with ORDER BY are buffered and fed in order at the end (window functions: sql.executor.windows).
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from kv import interrupt
from sql import jsonb, moments, ranges
from sql import types as T
from sql.casts import numeric_div
from sql.errors import ArraySubscriptError, NullValueNotAllowed
from sql.executor import ordered_set
from sql.executor.context import Exec, dismantle, hashable, sort_checked, unhashable
from sql.executor.sorts import compare_rows
from sql.executor.user_aggregates import UserState
from sql.functions import interval_div
from sql.memory import SAMPLE, Held, check_value, row_size
from sql.numeric import plus
from sql.plan.nodes import Aggregate, AggSpec, SortKey, Transition
from sql.scope import Row
from sql.types import Interval, SqlType

# the variance family: numeric for integer and numeric input, double precision for floats
_KEEPS_INPUT = {"array_agg", "string_agg", *jsonb.AGGREGATES}


class AggState:
    """One aggregate's running state."""

    def __init__(
        self,
        name: str,
        distinct: bool,
        rtype: SqlType,
        arrays: bool = False,
        user: Transition | None = None,
    ) -> None:
        self.name, self.distinct, self.rtype = name, distinct, rtype
        self.user = UserState(user) if user is not None else None
        self.arrays = arrays  # array_agg of arrays: one more dimension, as array_agg_array
        self.seen: set[Any] = set()
        self.count = 0
        self.acc: Any = None
        self.items: list[Any] = []
        self.pending: list[tuple[tuple[Any, ...], Any]] = []

    def add(self, v: Any) -> None:
        if self.user is not None:  # v: the tuple of the arguments
            if self.distinct:
                key = repr(v)
                if key in self.seen:
                    return
                self.seen.add(key)
            self.user.add(v)
            return
        if self.name == "count_star":
            self.count += 1
            return
        if self.name in ordered_set.ORDERED_SET:
            self.count += 1
            self.items.append(v)  # (direct arguments, keys), NULLs included
            return
        if v is None and self.name != "array_agg":
            return
        if self.arrays:
            self._check_array(v)
        if self.distinct:
            key = repr(v) if isinstance(v, list | dict) else v
            if key in self.seen:
                return
            self.seen.add(key)
        self.count += 1
        n = self.name
        if n in ("sum", "avg"):
            self.acc = v if self.acc is None else plus(self.acc, v)
        elif n == "min":
            self.acc = v if self.acc is None or v < self.acc else self.acc
        elif n == "max":
            self.acc = v if self.acc is None or v > self.acc else self.acc
        elif n == "bool_and":
            self.acc = v if self.acc is None else (self.acc and v)
        elif n == "bool_or":
            self.acc = v if self.acc is None else (self.acc or v)
        elif n in _BITWISE:
            self.acc = v if self.acc is None else _BITWISE[n](self.acc, v)
        elif n in ("array_agg", "string_agg", "range_agg") or n in jsonb.AGGREGATES:
            self.items.append(v)  # array_agg keeps NULLs, as in PostgreSQL
        elif n == "range_intersect_agg":
            self.acc = v if self.acc is None else _intersect(self.acc, v, self.rtype)
        elif n in moments.TWO_ARG:
            self.acc = moments.float_regr_accum(self.acc or [0.0] * 6, *v)
        elif n in moments.ONE_ARG:
            if self.rtype.name == "numeric":
                self.acc = moments.numeric_accum(self.acc, v)
            else:
                self.acc = moments.float_accum(self.acc or [0.0] * 3, v)

    def _check_array(self, v: Any) -> None:
        """array_agg(anyarray)'s inputs: no NULL, no empty array, all of one shape."""
        if v is None:
            raise NullValueNotAllowed("cannot accumulate null arrays")
        elem = self.rtype.element or self.rtype
        dims = T.array_dims(v, elem)
        if not dims:
            raise ArraySubscriptError("cannot accumulate empty arrays")
        if self.items and T.array_dims(self.items[0], elem) != dims:
            raise ArraySubscriptError("cannot accumulate arrays of different dimensionality")

    def add_ordered(self, key: tuple[Any, ...], v: Any) -> None:
        """Buffer a value of an aggregate with ORDER BY; replay_ordered feeds them in order."""
        self.pending.append((key, v))

    def replay_ordered(self, keys: list[SortKey]) -> None:
        cmp = compare_rows(keys)

        def by_key(a: tuple[Row, Any], b: tuple[Row, Any]) -> int:
            return cmp(a[0], b[0])

        sort_checked(self.pending, by_key)
        for _, v in self.pending:
            self.add(v)
        self.pending = []

    def result(self, sep: Any = ",") -> Any:
        if self.user is not None:
            return self.user.result()
        n = self.name
        if n in ("count", "count_star"):
            return self.count
        if n == "avg":
            if self.count == 0:
                return None
            if isinstance(self.acc, Interval):
                return interval_div(self.acc, self.count)
            if isinstance(self.acc, float):
                return self.acc / self.count
            return numeric_div(Decimal(self.acc), Decimal(self.count))
        if n == "sum":
            if self.acc is not None and self.rtype.name == "numeric":
                return Decimal(self.acc)
            if self.acc is not None and self.rtype.name == "money":
                return T.to_money(self.acc)
            return self.acc
        if n == "array_agg":
            return self.items if self.count else None
        if n == "range_agg":  # of ranges or of multiranges: one multirange
            if not self.count:
                return None
            parts = [r for v in self.items for r in ranges.as_multi(v).ranges]
            return ranges.multirange(parts, T.range_step(self.rtype))
        if n in jsonb.AGGREGATES:
            return jsonb.aggregate_result(n, self.items) if self.count else None
        if n in moments.TWO_ARG:
            return moments.regr_result(n, self.acc or [0.0] * 6)
        if n in moments.ONE_ARG:
            if self.rtype.name == "numeric":
                return moments.numeric_result(n, self.acc)
            return moments.float_result(n, self.acc or [0.0] * 3)
        if n == "string_agg":
            if not self.count:
                return None
            if sep is None:  # a NULL delimiter: none
                sep = b"" if self.rtype.name == "bytea" else ""
            check_value(sum(map(len, self.items)) + len(sep) * len(self.items), "out of memory")
            return sep.join(self.items)
        return self.acc


_BITWISE: dict[str, Callable[[int, int], int]] = {
    "bit_and": operator.and_,
    "bit_or": operator.or_,
    "bit_xor": operator.xor,
}


def _intersect(a: Any, b: Any, t: SqlType) -> Any:
    step = T.range_step(t)
    if isinstance(a, ranges.Multirange):
        return ranges.multi_intersect(a, b, step)
    return ranges.intersect(a, b, step)


def of_arrays(spec: AggSpec) -> bool:
    """array_agg of an array argument (PostgreSQL's array_agg(anyarray))."""
    return spec.name == "array_agg" and spec.arg is not None and spec.arg.type.element is not None


def _state(spec: AggSpec) -> AggState:
    user = spec.user.plain if spec.user is not None else None
    return AggState(spec.name, spec.distinct, spec.rtype, of_arrays(spec), user)


def aggregate(node: Aggregate, ex: Exec, held: Held) -> Iterator[Row]:
    if all(_is_simple(a) for a in node.aggs):
        groups = _simple_groups(node, ex, held)
    else:
        groups = _general_groups(node, ex, held)
    if not groups and not node.has_group_by:
        groups[()] = [_state(a) for a in node.aggs]
    for n, (key, states) in enumerate(groups.items()):
        if not n & 1023:
            interrupt.check()
        values = []
        for spec, st in zip(node.aggs, states, strict=True):
            if spec.order:
                st.replay_ordered([SortKey(i, d, nf) for i, (_, d, nf) in enumerate(spec.order)])
            sep = spec.sep.fn(()) if spec.sep is not None else ","
            if spec.name in ordered_set.ORDERED_SET:
                keys = [SortKey(i, d, nf) for i, (_, d, nf) in enumerate(spec.order)]
                values.append(ordered_set.result(spec.name, st.items, keys))
            else:
                values.append(st.result(sep))
        yield tuple(unhashable(k) for k in key) + tuple(values)
    dismantle(groups)


# A group: its dict entry, its key and one state per aggregate.
def _per_group(node: Aggregate) -> int:
    return 100 + 600 * len(node.aggs)


def _general_groups(node: Aggregate, ex: Exec, held: Held) -> dict[tuple[Any, ...], list[AggState]]:
    groups: dict[tuple[Any, ...], list[AggState]] = {}
    keyfns = [k.fn for k in node.keys]
    per_group = _per_group(node)
    # aggregates that keep their inputs (array_agg, DISTINCT, ORDER BY) hold about the rows
    # they were given
    keeps = any(a.distinct or a.order or a.name in _KEEPS_INPUT for a in node.aggs)
    n = 0
    for row in ex.rows(node.child):
        key = tuple(hashable(f(row)) for f in keyfns)
        states = groups.get(key)
        if states is None:
            states = groups[key] = [_state(a) for a in node.aggs]
            held.add(per_group + row_size(key))
        if keeps:
            n += 1
            if not n % SAMPLE:
                held.add(row_size(row) * SAMPLE)
        for spec, st in zip(node.aggs, states, strict=True):
            if spec.filter is not None and spec.filter.fn(row) is not True:
                continue
            if spec.order:
                st.add_ordered(
                    tuple(k.fn(row) for k, _, _ in spec.order),
                    spec.arg.fn(row) if spec.arg is not None else None,
                )
                continue
            st.add(spec.arg.fn(row) if spec.arg is not None else None)
    return groups


_SIMPLE = {"count_star", "count", "sum", "avg", "min", "max"}
_JSON = {"json", "jsonb"}
_INTEGERS = {"smallint", "integer", "bigint"}


def _is_simple(spec: AggSpec) -> bool:
    return spec.name in _SIMPLE and not spec.distinct and not spec.order and spec.filter is None


def _simple_groups(node: Aggregate, ex: Exec, held: Held) -> dict[tuple[Any, ...], list[AggState]]:
    """The groups of count/sum/avg/min/max without DISTINCT, ORDER BY or FILTER, a batch of
    rows at a time: each batch's argument columns are computed in one pass, then folded into
    the running states in input order, as ``AggState.add`` would (so float and numeric sums
    round alike)."""
    groups: dict[tuple[Any, ...], list[AggState]] = {}
    keyfns = [k.fn for k in node.keys]
    per_group = _per_group(node)
    aggs = node.aggs
    # keys that are never arrays or JSON objects need no hashable()
    plain_keys = all(k.type.element is None and k.type.name not in _JSON for k in node.keys)
    for batch in ex.batches(node.child):
        parts: dict[Any, list[Row]]
        if not keyfns:
            parts = {(): batch}
        else:
            single = len(keyfns) == 1 and plain_keys  # grouped by the value itself
            if single:
                keys: list[Any] = list(map(keyfns[0], batch))
            else:
                keys = [tuple([hashable(f(r)) for f in keyfns]) for r in batch]
            parts = {}
            for k, row in zip(keys, batch, strict=True):
                rows = parts.get(k)
                if rows is None:
                    parts[k] = [row]
                else:
                    rows.append(row)
            if single:
                parts = {(k,): rows for k, rows in parts.items()}
        for key, rows in parts.items():
            states = groups.get(key)
            if states is None:
                states = groups[key] = [_state(a) for a in aggs]
                held.add(per_group + row_size(key))
            for spec, st in zip(aggs, states, strict=True):
                _fold(st, spec, rows)
    return groups


def _fold(st: AggState, spec: AggSpec, rows: list[Row]) -> None:
    """``st.add`` of the aggregate's argument over ``rows``, in one pass."""
    name = st.name
    if name == "count_star":
        st.count += len(rows)
        return
    assert spec.arg is not None
    f = spec.arg.fn
    values = [v for v in map(f, rows) if v is not None]
    if not values:
        return
    st.count += len(values)
    if name == "count":
        return
    acc = st.acc
    if name == "min":
        st.acc = min(values) if acc is None else min(itertools.chain((acc,), values))
    elif name == "max":
        st.acc = max(values) if acc is None else max(itertools.chain((acc,), values))
    elif spec.arg.type.name in _INTEGERS:  # exact: any order of additions gives one sum
        st.acc = sum(values, acc or 0)
    elif acc is None:  # sum, avg: left to right from the first value, as add() does
        st.acc = functools.reduce(plus, values)
    else:
        st.acc = functools.reduce(plus, values, acc)
