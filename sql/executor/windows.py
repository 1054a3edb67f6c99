"""Window functions: each input row with one value per window function call.

The rows are sorted once per distinct window (partition keys, then order keys) and cut into
partitions; rows equal on the order keys are peers. Each row's frame is the range
``[start, end)`` of partition positions its ROWS / RANGE / GROUPS bounds give, less what
EXCLUDE removes. Both ends only move forward as the current row does, so bounds are found by
pointers that never go back (RANGE offsets through the sort type's in_range, as PostgreSQL's
nodeWindowAgg does). An aggregate whose frame starts at the partition's first row runs once
over the partition, adding rows as the frame end moves; count, sum and avg over exact
numbers also remove rows as the frame start moves; other moving frames are aggregated
afresh for each distinct frame, as PostgreSQL restarts an aggregate without an inverse.

Every pass over a partition checks for a cancel or timeout (``context.spans``, ``Steps``):
a window over a million rows is dozens of such passes, each a second or more unchecked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from operator import itemgetter
from typing import Any

from kv import interrupt
from sql.casts import numeric_div
from sql.errors import (
    InvalidArgumentForNthValue,
    InvalidArgumentForNtile,
    InvalidPrecedingOrFollowingSize,
    NullValueNotAllowed,
)
from sql.executor import user_aggregates
from sql.executor.aggregates import AggState, of_arrays
from sql.executor.context import SPAN, Exec, Steps, dismantle, mapped, sort_checked, spans
from sql.executor.pg_qsort import pg_qsort
from sql.executor.sorts import compare_rows
from sql.functions import interval_div
from sql.memory import Held
from sql.numeric import EXACT
from sql.plan.nodes import Frame, FrameBound, SortKey, Window, WindowSpec, window_runs
from sql.scope import Row
from sql.types import Interval

# up to this many rows a window's sort orders peers as PostgreSQL's does; above, Python's
# (faster) sort keeps them in input order
PG_ORDER_MAX = 50_000


def window(node: Window, ex: Exec, held: Held) -> Iterator[Row]:
    rows = held.collect(ex.rows(node.child), factor=3)
    # one column of results per window call, not a list per row: a million small lists
    # cost seconds of allocation and garbage collection with no interrupt check between
    extra: list[list[Any]] = [[None] * len(rows) for _ in node.specs]
    runs = window_runs(node.specs)
    order = list(range(len(rows)))
    done: list[tuple[int, bool, bool]] | None = None  # the keys the rows are sorted on
    for calls in runs:
        first = node.specs[calls[0]]
        keys = first.sort_refs
        if done is None or keys != done[: len(keys)]:
            order = _sorted(first, rows, order)
            done = keys
        for part in _partitions(first, rows, order):
            peers = _Peers(first, rows, part)
            for si in calls:
                values = _evaluate(node.specs[si], rows, part, peers)
                column = extra[si]
                if len(part) <= SPAN:  # one slice: _partitions checks
                    for i, v in zip(part, values, strict=True):
                        column[i] = v
                    continue
                for lo, hi in spans(len(part)):
                    for i, v in zip(part[lo:hi], values[lo:hi], strict=True):
                        column[i] = v
                dismantle(values)
            if len(part) > SPAN:
                peers.dismantle()
    # rows leave in the order of the last window's sort, as PostgreSQL's do
    for lo, hi in spans(len(order)):
        if len(extra) == 1:
            (only,) = extra
            for i in order[lo:hi]:
                yield (*rows[i], only[i])
        else:
            for i in order[lo:hi]:
                yield rows[i] + tuple(column[i] for column in extra)
    dismantle(rows, order, *extra)


def _sorted(spec: WindowSpec, rows: list[Row], order: list[int]) -> list[int]:
    """The row indexes ``order`` sorted by the partition keys, then the order keys."""
    keys = [(p, False, False) for p in spec.partition] + spec.order
    if not keys:
        return order
    cmp = compare_rows([SortKey(n, d, nf) for n, (_, d, nf) in enumerate(keys)])
    fns = [k.fn for k, _, _ in keys]
    decorated = []
    for n, i in enumerate(order):
        if not n & 1023:
            interrupt.check()
        decorated.append((tuple(f(rows[i]) for f in fns), i))

    def by_key(a: tuple[Row, int], b: tuple[Row, int]) -> int:
        result: int = cmp(a[0], b[0])
        return result

    if len(decorated) <= PG_ORDER_MAX:
        pg_qsort(decorated, by_key)  # peers in the order PostgreSQL's sort leaves them
    else:
        sort_checked(decorated, by_key)
    return mapped(itemgetter(1), decorated)


def _partitions(spec: WindowSpec, rows: list[Row], order: list[int]) -> Iterator[list[int]]:
    if not rows:
        return
    if not spec.partition:
        yield order
        return
    cmp = compare_rows([SortKey(n, False, False) for n in range(len(spec.partition))])
    fns = [p.fn for p in spec.partition]
    part: list[int] = []
    prev: Row | None = None
    for n, i in enumerate(order):
        if not n & 1023:
            interrupt.check()
        key = tuple(f(rows[i]) for f in fns)
        if prev is not None and cmp(prev, key) != 0:
            yield part
            part = []
        part.append(i)
        prev = key
    if part:
        yield part


class _Peers:
    """A partition's peer groups: for each position its group's number, first position and
    end (one past its last)."""

    def __init__(self, spec: WindowSpec, rows: list[Row], part: list[int]) -> None:
        n = len(part)
        self.group = [0] * n
        self.start = [0] * n
        self.end = [n] * n
        self.starts = [0]  # each group's first position
        if spec.order:
            cmp = compare_rows([SortKey(k, d, nf) for k, (_, d, nf) in enumerate(spec.order)])
            fns = [o.fn for o, _, _ in spec.order]
            self.keys = mapped(lambda i: tuple(f(rows[i]) for f in fns), part)
            g = 0
            for pos in range(1, n):
                if not pos & 1023:
                    interrupt.check()
                if cmp(self.keys[pos - 1], self.keys[pos]) != 0:
                    g += 1
                    self.starts.append(pos)
                self.group[pos] = g
                self.start[pos] = self.starts[-1]
            ends = [*self.starts[1:], n]
            self.end = mapped(ends.__getitem__, self.group)
        self.count = len(self.starts)

    def dismantle(self) -> None:
        """Free the lists a slice at a time (a partition of a million rows)."""
        dismantle(self.group, self.start, self.end, self.starts, getattr(self, "keys", []))


# -- frames ------------------------------------------------------------------------------------


def _offset(bound: FrameBound, row: Row, which: str, mode: str) -> Any:
    assert bound.offset is not None
    value = bound.offset.fn(row)
    if value is None:
        raise NullValueNotAllowed(f"frame {which} offset must not be null")
    if mode != "range" and value < 0:
        raise InvalidPrecedingOrFollowingSize(f"frame {which} offset must not be negative")
    return value


def _frames(
    frame: Frame, spec: WindowSpec, rows: list[Row], part: list[int], peers: _Peers
) -> tuple[list[int], list[int]]:
    """Each position's frame ``[start, end)`` before exclusion."""
    n = len(part)
    first = rows[part[0]]
    starts = [0] * n
    ends = [n] * n
    for is_start, bound in ((True, frame.start), (False, frame.end)):
        interrupt.check()  # each bound is a pass or more over the partition
        out = starts if is_start else ends
        kind = bound.kind
        if kind == "unbounded":
            continue  # 0 for a start, n for an end: already there
        if kind == "current":
            if frame.mode == "rows":
                out[:] = range(n) if is_start else range(1, n + 1)
            else:
                out[:] = peers.start if is_start else peers.end
            continue
        off = _offset(bound, first, "starting" if is_start else "ending", frame.mode)
        sign = -1 if kind == "preceding" else 1
        if frame.mode == "rows":
            out[:] = _shifted_positions(n, sign * off + (0 if is_start else 1))
        elif frame.mode == "groups":
            last = peers.count - 1
            for pos in range(n):
                if not pos & 1023:
                    interrupt.check()
                g = peers.group[pos] + sign * off
                if is_start:
                    out[pos] = n if g > last else peers.starts[max(g, 0)]
                else:
                    out[pos] = 0 if g < 0 else (peers.starts[g + 1] if g < last else n)
        else:
            out[:] = _range_bounds(frame, spec, peers, off, kind == "preceding", is_start)
    return starts, ends


def _shifted_positions(n: int, shift: int) -> list[int]:
    """``[min(max(pos + shift, 0), n) for pos in range(n)]``, built by C loops."""
    below = min(n, max(0, -shift))  # positions that clip to 0
    inside = max(below, min(n, n - shift))  # the first position that clips to n
    return [0] * below + list(range(below + shift, inside + shift)) + [n] * (n - inside)


def _range_bounds(
    frame: Frame, spec: WindowSpec, peers: _Peers, off: Any, preceding: bool, is_start: bool
) -> list[int]:
    """RANGE ``off`` PRECEDING / FOLLOWING: for a start, the first position not before the
    bound; for an end, the first position past it (nodeWindowAgg's update_frameheadpos and
    update_frametailpos, NULLs peers only of NULLs)."""
    in_range = frame.in_range
    assert in_range is not None
    _, desc, nulls_first = spec.order[0]
    vals = [k[0] for k in peers.keys]
    n = len(vals)
    sub = preceding if not desc else not preceding
    less = (not is_start) if not desc else is_start
    out = [0] * n
    p = 0
    for pos in range(n):
        if not pos & 1023:
            interrupt.check()
        cur = vals[pos]
        while p < n:
            v = vals[p]
            if cur is None or v is None:
                # NULLs sort first or last and are peers of NULLs only
                if is_start and nulls_first:
                    stop = v is not None or cur is None
                elif is_start:
                    stop = v is None or cur is not None
                elif nulls_first:
                    stop = v is not None and cur is None
                else:
                    stop = v is None and cur is not None
                if stop:
                    break
            elif in_range(v, cur, off, sub, less) == is_start:
                break
            p += 1
            if not p & 1023:
                interrupt.check()  # p only moves forward: one partition's worth in all
        out[pos] = p
    return out


def _segments(frame: Frame, peers: _Peers, pos: int, start: int, end: int) -> list[tuple[int, int]]:
    """The frame ``[start, end)`` of position ``pos`` less its excluded rows, as ranges."""
    if not frame.exclude:
        return [(start, end)] if start < end else []
    if frame.exclude == "current":
        lo, hi = pos, pos + 1
    else:
        lo, hi = peers.start[pos], peers.end[pos]
    out = []
    if start < min(end, lo):
        out.append((start, min(end, lo)))
    if frame.exclude == "ties" and start <= pos < end:
        out.append((pos, pos + 1))
    if max(start, hi) < end:
        out.append((max(start, hi), end))
    return out


# -- evaluation --------------------------------------------------------------------------------


def _evaluate(spec: WindowSpec, rows: list[Row], part: list[int], peers: _Peers) -> list[Any]:
    """``spec``'s value at each position of the partition ``part``."""
    name = spec.name
    n = len(part)
    if name == "row_number":
        return list(range(1, n + 1))
    if name == "rank":
        return mapped((1).__add__, peers.start)
    if name == "dense_rank":
        return mapped((1).__add__, peers.group)
    if name == "percent_rank":
        return mapped(lambda s: s / (n - 1), peers.start) if n > 1 else [0.0] * n
    if name == "cume_dist":
        return mapped(lambda e: e / n, peers.end)
    if name == "ntile":
        return _ntile(spec.args[0].fn(rows[part[0]]), n)
    if name in ("lag", "lead"):
        return _shifted(spec, rows, part, -1 if name == "lag" else 1)
    starts, ends = _frames(spec.frame, spec, rows, part, peers)
    if spec.agg is not None:
        return _aggregate(spec, rows, part, peers, starts, ends)
    arg = spec.args[0].fn
    out: list[Any] = []
    for pos in range(n):
        if not pos & 1023:
            interrupt.check()
        segs = _segments(spec.frame, peers, pos, starts[pos], ends[pos])
        at = _nth(spec, rows[part[pos]], segs)
        out.append(None if at is None else arg(rows[part[at]]))
    return out


def _ntile(buckets: int | None, n: int) -> list[Any]:
    if buckets is None:
        return [None] * n
    if buckets <= 0:
        raise InvalidArgumentForNtile("argument of ntile must be greater than zero")
    # the first n % buckets buckets hold one row more than the others
    size, extra = divmod(n, buckets)
    out = []
    for b in range(min(buckets, n)):
        if not b & 1023:
            interrupt.check()
        out += [b + 1] * (size + (1 if b < extra else 0))
    return out


def _shifted(spec: WindowSpec, rows: list[Row], part: list[int], sign: int) -> list[Any]:
    """lag / lead: the value ``offset`` rows back / ahead in the partition, else the
    default."""
    value = spec.args[0].fn
    offset = spec.args[1].fn if len(spec.args) > 1 else None
    default = spec.args[2].fn if len(spec.args) > 2 else None
    n = len(part)
    out: list[Any] = []
    for pos, i in enumerate(part):
        if not pos & 1023:
            interrupt.check()
        row = rows[i]
        k = 1 if offset is None else offset(row)
        if k is None:
            out.append(None)
            continue
        at = pos + sign * k
        if 0 <= at < n:
            out.append(value(rows[part[at]]))
        else:
            out.append(default(row) if default is not None else None)
    return out


def _nth(spec: WindowSpec, row: Row, segs: list[tuple[int, int]]) -> int | None:
    """The position first_value / last_value / nth_value reads, or None past the frame."""
    if not segs:
        return None
    if spec.name == "first_value":
        return segs[0][0]
    if spec.name == "last_value":
        return segs[-1][1] - 1
    k: int | None = spec.args[1].fn(row)
    if k is None:
        return None
    if k <= 0:
        raise InvalidArgumentForNthValue("argument of nth_value must be greater than zero")
    for lo, hi in segs:
        if k <= hi - lo:
            return lo + k - 1
        k -= hi - lo
    return None


# -- aggregates over frames --------------------------------------------------------------------


def _aggregate(
    spec: WindowSpec,
    rows: list[Row],
    part: list[int],
    peers: _Peers,
    starts: list[int],
    ends: list[int],
) -> list[Any]:
    agg = spec.agg
    assert agg is not None
    arg = agg.arg.fn if agg.arg is not None else None
    filt = agg.filter.fn if agg.filter is not None else None
    sep = agg.sep.fn(()) if agg.sep is not None else ","
    n = len(part)

    def value(pos: int) -> tuple[bool, Any]:
        """Whether the row at ``pos`` feeds the aggregate, and its argument."""
        row = rows[part[pos]]
        if filt is not None and filt(row) is not True:
            return False, None
        return True, arg(row) if arg is not None else None

    def fresh() -> AggState:
        return AggState(agg.name, False, agg.rtype, of_arrays(agg))

    frame = spec.frame
    if agg.user is not None:
        segments = None
        if frame.exclude:

            def segments(pos: int) -> list[tuple[int, int]]:
                return _segments(frame, peers, pos, starts[pos], ends[pos])

        moves = frame.start.kind != "unbounded"
        return user_aggregates.over_frames(agg.user, value, starts, ends, moves, segments, Steps())
    out: list[Any] = [None] * n
    moving = _Moving.of(agg.name, agg.arg.type.name if agg.arg is not None else "", agg.rtype.name)
    if not frame.exclude and (all(s == 0 for s in starts) or moving is not None):
        state: Any = moving if moving is not None and any(starts) else fresh()
        lo = hi = 0
        result: Any = None
        stale = True
        for pos in range(n):
            if not pos & 1023:
                interrupt.check()
            s, e = starts[pos], max(ends[pos], starts[pos])
            while hi < e:
                fed, v = value(hi)
                if fed:
                    state.add(v)
                    stale = True
                hi += 1
                if not hi & 1023:
                    interrupt.check()  # hi and lo only move forward: a partition in all
            while lo < s:
                if lo < hi:
                    fed, v = value(lo)
                    if fed:
                        state.remove(v)
                        stale = True
                lo += 1
                if not lo & 1023:
                    interrupt.check()
            hi = max(hi, lo)
            if stale:
                result = _copy(state.result(sep))
                stale = False
            out[pos] = result
        return out
    last: list[tuple[int, int]] | None = None
    result = None
    step = Steps()  # a frame's rows are aggregated afresh at each position: count them
    for pos in range(n):
        if not pos & 1023:
            interrupt.check()
        segs = _segments(frame, peers, pos, starts[pos], ends[pos])
        if segs != last:
            st = fresh()
            for lo, hi in segs:
                for p in range(lo, hi):
                    step()
                    fed, v = value(p)
                    if fed:
                        st.add(v)
            result = _copy(st.result(sep))
            last = segs
        out[pos] = result
    return out


def _copy(v: Any) -> Any:
    # array_agg's result is its state's list, which later rows extend
    return list(v) if isinstance(v, list) else v


_INVERTIBLE = ("smallint", "integer", "bigint", "numeric", "interval")


class _Moving:
    """count, sum and avg with an inverse: a frame whose start moves removes the rows it
    leaves. Exact numbers only (floats would drift); numeric keeps PostgreSQL's NaN and
    infinity counts and shows the largest scale among the values still in the frame."""

    def __init__(self, name: str, numeric: bool, wide: bool) -> None:
        self.name, self.numeric, self.wide = name, numeric, wide
        self.count = 0
        self.total: Any = Decimal(0) if numeric else 0
        self.nan = self.pinf = self.ninf = 0
        self.scales: Counter[int] = Counter()

    @staticmethod
    def of(name: str, arg_type: str, result_type: str) -> _Moving | None:
        """The moving state of aggregate ``name`` over ``arg_type``, if it has an inverse."""
        if name in ("count", "count_star"):
            return _Moving(name, False, False)
        if name in ("sum", "avg") and arg_type in _INVERTIBLE:
            moving = _Moving(name, arg_type == "numeric", result_type == "numeric")
            if arg_type == "interval":
                moving.total = Interval()
            return moving
        return None

    def _step(self, v: Any, sign: int) -> None:
        if self.name == "count_star":
            self.count += sign
            return
        if v is None:
            return
        self.count += sign
        if self.name == "count":
            return
        if isinstance(v, Interval):
            self.total = self.total + (v if sign > 0 else -v)
        elif not self.numeric:
            self.total += sign * v
        elif v.is_nan():
            self.nan += sign
        elif v.is_infinite():
            if v > 0:
                self.pinf += sign
            else:
                self.ninf += sign
        else:
            self.total = EXACT.add(self.total, v) if sign > 0 else EXACT.subtract(self.total, v)
            exponent = v.as_tuple().exponent
            self.scales[-exponent if isinstance(exponent, int) else 0] += sign

    def add(self, v: Any) -> None:
        self._step(v, 1)

    def remove(self, v: Any) -> None:
        self._step(v, -1)

    def result(self, _sep: str = ",") -> Any:
        if self.name in ("count", "count_star"):
            return self.count
        if self.count == 0:
            return None
        total: Any = self.total
        if self.numeric:
            if self.nan or (self.pinf and self.ninf):
                return Decimal("NaN")
            if self.pinf or self.ninf:
                return Decimal("Infinity") if self.pinf else Decimal("-Infinity")
            scale = max((s for s, c in self.scales.items() if c > 0), default=0)
            total = EXACT.quantize(total, Decimal(1).scaleb(-scale))
        if self.name == "avg":
            if isinstance(total, Interval):
                return interval_div(total, self.count)
            return numeric_div(Decimal(total), Decimal(self.count))
        return Decimal(total) if self.wide else total
