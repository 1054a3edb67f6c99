"""Plan nodes: a query plan is a tree of these dataclasses, and they hold only data.

A node holds its children, compiled expressions (``Typed``, closures over a row tuple),
table and index definitions, key bounds and sort keys, and the ``scope`` naming the columns
of the rows it produces. Running a node is sql.executor's; describing it for EXPLAIN is
sql.plan.explain's; building one from a query is sql.plan.binder's.

``Join`` and ``Where`` are logical nodes: the binder makes them and the optimizer's rules
(sql.plan.rules) replace them before the plan runs; they never reach the executor.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from kv.client import Transaction
from sql.catalog import IndexDef
from sql.rows import RowCodec
from sql.scope import Row, Scope, ScopeColumn, Typed
from sql.types import SqlType


class Node:
    scope: Scope  # the columns of the rows the node produces, in tuple order

    def children(self) -> list[Node]:
        return []


class Unary(Node):
    """A node over one input, ``child``."""

    child: Node

    def children(self) -> list[Node]:
        return [self.child]


class SameRows(Unary):
    """A node whose rows are rows of its input (filtered, reordered, cut): the same scope."""

    @property
    def scope(self) -> Scope:  # type: ignore[override]
        return self.child.scope


# -- scans -------------------------------------------------------------------------------------


@dataclass
class TableScan(Node):
    """Every row of a table (``start``/``end``: its key range)."""

    codec: RowCodec
    scope: Scope
    start: bytes
    end: bytes
    label: str = "Seq Scan"
    cond: str = ""
    want: bytes | None = None  # live column i is decoded iff want[i] (None: all); else None


@dataclass
class PointGet(Node):
    """The row with the given primary key, if any."""

    codec: RowCodec
    scope: Scope
    keys: list[Typed]  # pk values, in pk column order
    cond: str = ""


@dataclass
class KeyAlt:
    """One alternative for a key column: ``eq`` one value, ``in`` any of a list's values
    (NULLs never match), ``null`` IS NULL, or ``range``: bounds and a LIKE prefix. A range
    bound holds values for this column and maybe the next ones (a row comparison)."""

    kind: str  # eq, in, null, range
    # eq: the value; in: the list, one value per item (a multidimensional array's elements
    # flattened, an array column's arrays whole); range: a LIKE pattern
    value: Typed | None = None
    lower: list[tuple[list[Typed], bool]] = field(default_factory=list)  # (values, inclusive)
    upper: list[tuple[list[Typed], bool]] = field(default_factory=list)


@dataclass
class KeyScan(Node):
    """Rows whose key (the primary key, or ``index``) lies in the key ranges that ``alts``
    give when the scan starts: per leading key column its alternatives, ORed; the columns'
    alternatives combine as a cartesian product. Only the last column may hold ranges.
    The ranges are read in key order, overlapping ones merged, so no row comes twice.
    ``covering``: the index entries hold every column the query reads (no row fetch)."""

    codec: RowCodec
    scope: Scope
    index: IndexDef | None  # None: the primary key
    alts: list[list[KeyAlt]]
    cond: str = ""
    covering: bool = False
    estimate: float | None = None  # rows, when statistics give one
    want: bytes | None = None  # as TableScan's, for rows read from a primary-key range


@dataclass
class Materialized(Node):
    """Rows computed elsewhere when the node runs (a virtual catalog table). ``writes``:
    they are a data-modifying statement's RETURNING rows (WITH t AS (INSERT ...))."""

    scope: Scope
    source: Callable[[], Iterable[Row]]
    label: str
    writes: bool = False


class RunOnce:
    """A data-modifying WITH query's statement, run once per execution of the statement it
    is part of however many readers it has (the query reading it, another WITH query, a
    subquery run per row): the first call runs it, later ones return its rows until
    ``reset`` (a new execution)."""

    def __init__(self, run: Callable[[], list[Row]]) -> None:
        self._run = run
        self._rows: list[Row] | None = None

    def __call__(self) -> list[Row]:
        if self._rows is None:
            self._rows = self._run()
        return self._rows

    def reset(self) -> None:
        self._rows = None


def reset_writes(readers: Iterable[Node]) -> None:
    """A new execution: the data-modifying WITH queries ``readers`` (CteScans) read run anew."""
    for r in readers:
        if isinstance(r, CteScan) and isinstance(r.plan.node, Materialized):
            source = r.plan.node.source
            if isinstance(source, RunOnce):
                source.reset()


@dataclass
class ValuesScan(Node):
    """A VALUES list: one row of constant expressions each."""

    scope: Scope
    rows: list[list[Typed]]


@dataclass
class SeriesScan(Node):
    """generate_series(start, stop[, step]) in FROM, one row at a time (never a list)."""

    scope: Scope
    args: list[Typed]  # constants: start, stop and maybe step, of the result type


@dataclass
class CteScan(Node):
    """A reader of a (non-recursive) CTE's rows. The CTE is computed once per execution,
    as far as its readers go, and shared by all of them (``cid`` names it)."""

    scope: Scope
    plan: Plan
    cid: int
    label: str


@dataclass
class WorkTable:
    """A recursive CTE's working table: the rows of its last round."""

    rows: list[Row] = field(default_factory=list)


@dataclass
class WorkTableScan(Node):
    """The rows of a recursive CTE's previous round, as its recursive term reads them."""

    scope: Scope
    work: WorkTable
    label: str


@dataclass
class RecursiveUnion(Node):
    """WITH RECURSIVE: ``anchor``, then ``step`` run over the previous round (``work``) until
    a round adds nothing; with ``distinct`` (UNION) rows seen before are dropped."""

    scope: Scope
    anchor: Node
    step: Node
    work: WorkTable
    distinct: bool
    label: str


@dataclass
class SubqueryScan(Node):
    plan: Plan
    scope: Scope
    view: bool = False  # a view's query: its scans' columns were pruned by its own text

    def children(self) -> list[Node]:
        return [self.plan.node]


# -- relational operators ---------------------------------------------------------------------


@dataclass
class Where(SameRows):
    """Logical: a WHERE clause's conditions, not yet compiled. The rules decide which of
    them a scan below can use (sql.plan.rules); the binder compiles the rest into a Filter."""

    child: Node
    conds: list[exp.Expr]
    bound_in: Scope  # the scope the conditions are compiled in (with the enclosing query's)


@dataclass
class Filter(SameRows):
    child: Node
    pred: Typed
    text: str


@dataclass
class Project(Node):
    child: Node
    fns: list[Callable[[Row], Any]]
    scope: Scope
    # for each output column, the input column it passes on unchanged when the binder knows
    # it does (a window function's or aggregate's result), else None; None: unknown
    passes: list[int | None] | None = None
    exprs: list[exp.Expr] | None = None  # each output's expression as written, for EXPLAIN

    def children(self) -> list[Node]:
        return [] if isinstance(self.child, OneRow) else [self.child]


def picked(fn: Callable[[Row], Any]) -> int | None:
    """The input column a ``Project`` function passes on unchanged, if it is a plain pick
    (an ``operator.itemgetter`` of one position, as compiled columns are)."""
    if isinstance(fn, operator.itemgetter):
        args = fn.__reduce__()[1]
        return args[0] if len(args) == 1 and isinstance(args[0], int) else None
    return None


@dataclass
class OneRow(Node):
    scope: Scope = field(default_factory=lambda: Scope([]))


@dataclass
class Join(Node):
    """Logical: a join as written (USING already turned into ON), its method not yet chosen
    (sql.plan.rules.join_order)."""

    left: Node
    right: Node
    kind: str  # inner, left, right, full, cross
    on: exp.Expr | None
    scope: Scope

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass
class NestedLoopJoin(Node):
    left: Node
    right: Node
    kind: str  # inner, left, right, full, cross
    cond: Typed | None
    scope: Scope
    text: str = ""  # the condition's SQL, for EXPLAIN
    # an inner join whose left side is the smaller: the left is held, the right streams
    outer_right: bool = False

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass
class LateralJoin(Node):
    """A join whose right side reads the left row (LATERAL): ``plan`` runs once per left
    row, that row as its outer row; INNER (or CROSS) and LEFT only."""

    left: Node
    plan: Plan
    kind: str  # inner, left, cross
    cond: Typed | None
    scope: Scope

    def children(self) -> list[Node]:
        return [self.left, self.plan.node]


@dataclass
class HashJoin(Node):
    """An equi-join: the right side (the left with ``build_left``) is built into a hash
    table on its keys, the other side streams past it."""

    left: Node
    right: Node
    kind: str
    left_keys: list[Typed]
    right_keys: list[Typed]
    residual: Typed | None
    scope: Scope
    text: str
    build_left: bool = False  # hash the left side (cheaper by the cost model; never FULL)
    residual_text: str = ""  # the residual's SQL, for EXPLAIN

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass
class Transition:
    """One mode of a user aggregate (CREATE AGGREGATE): its compiled functions read a row
    of (state, arguments...) (``final`` a row of (state,)); ``init`` is INITCOND's value."""

    step: Typed
    strict: bool
    init: Any
    final: Typed | None = None
    final_strict: bool = False
    inverse: Typed | None = None  # MINVFUNC: the moving mode only
    inverse_strict: bool = False


@dataclass
class UserAgg:
    """A user aggregate's plain mode and, when it has MSFUNC / MINVFUNC, its moving mode,
    which a window whose frame start moves uses unless the call has volatile arguments."""

    plain: Transition
    moving: Transition | None = None
    volatile: bool = False


@dataclass
class AggSpec:
    name: str
    arg: Typed | None  # a user aggregate's: the tuple of its arguments
    distinct: bool
    rtype: SqlType
    sep: Typed | None = None
    filter: Typed | None = None
    order: list[tuple[Typed, bool, bool]] = field(default_factory=list)
    user: UserAgg | None = None


@dataclass
class Aggregate(Unary):
    """Rows of (group keys..., aggregate results...): one per group, or one in all when
    there is no GROUP BY."""

    child: Node
    keys: list[Typed]
    aggs: list[AggSpec]
    scope: Scope
    has_group_by: bool
    key_texts: list[str] = field(default_factory=list)  # the keys' SQL, for EXPLAIN


@dataclass
class SortKey:
    index: int
    desc: bool
    nulls_first: bool


@dataclass
class Sort(SameRows):
    child: Node
    keys: list[SortKey]
    text: str


@dataclass
class Limit(SameRows):
    child: Node
    limit: Typed | None
    offset: Typed | None
    ties: list[SortKey] | None = None  # FETCH FIRST ... WITH TIES: the ORDER BY keys


@dataclass
class Prelude(SameRows):
    """``child``'s rows, once each of ``first`` has run to its end: the data-modifying
    statements of a WITH run whether or not the query reads them, as in PostgreSQL."""

    child: Node
    first: list[Node]

    def children(self) -> list[Node]:
        return [*self.first, self.child]


@dataclass
class Distinct(SameRows):
    child: Node
    width: int  # leading columns that define distinctness


@dataclass
class ProjectSet(Unary):
    """Set-returning functions in the select list: each input row becomes as many rows as
    the longest result, shorter results padded with NULLs."""

    child: Node
    makers: list[Callable[[Row], list[Any]]]
    scope: Scope


@dataclass
class DistinctOn(SameRows):
    """SELECT DISTINCT ON: the first row (in ORDER BY order) of each group of equal keys."""

    child: Node
    keys: list[int]


@dataclass
class SetOp(Node):
    kind: str  # union, intersect, except
    all: bool
    left: Node
    right: Node
    scope: Scope
    casts: list[tuple[SqlType, SqlType, SqlType]]  # (left type, right type, result type)

    def children(self) -> list[Node]:
        return [self.left, self.right]


@dataclass
class FrameBound:
    """One end of a window frame: ``unbounded`` (preceding for a start, following for an
    end), ``current``, ``preceding`` or ``following`` (with ``offset``, evaluated once per
    partition)."""

    kind: str
    offset: Typed | None = None


@dataclass
class Frame:
    """A window frame: ROWS, RANGE or GROUPS between two bounds, less the rows EXCLUDE names
    (``current``, ``group``, ``ties`` or ``""``). Without ORDER BY every row of a partition
    is a peer of every other. ``in_range`` (RANGE with an offset) says whether a row's sort
    value ``val`` lies on the inner side of ``base`` moved by ``offset``: PostgreSQL's
    in_range(val, base, offset, sub, less)."""

    mode: str
    start: FrameBound
    end: FrameBound
    exclude: str = ""
    in_range: Callable[[Any, Any, Any, bool, bool], bool] | None = None


@dataclass
class WindowSpec:
    """One window function call: its name, arguments, window (partition keys, order keys,
    frame; ``window`` names the window so that calls over the same one share a sort) and,
    for an aggregate, the aggregate's spec."""

    name: str
    args: list[Typed]
    partition: list[Typed]
    order: list[tuple[Typed, bool, bool]]  # expr, desc, nulls_first
    rtype: SqlType
    frame: Frame
    window: str = ""
    agg: AggSpec | None = None
    # the window's sort keys as PostgreSQL numbers them (sort group reference, descending,
    # nulls first), partition keys first, repeats dropped: which window runs first
    sort_refs: list[tuple[int, bool, bool]] = field(default_factory=list)
    order_text: str = ""  # those keys as an ORDER BY list's SQL text, for EXPLAIN's Sort


@dataclass
class Window(Unary):
    """Each input row with one more column per window function."""

    child: Node
    specs: list[WindowSpec]
    scope: Scope


def window_runs(specs: list[WindowSpec]) -> list[list[int]]:
    """The calls of ``specs`` (their indexes) grouped by window, in the order PostgreSQL
    runs the windows (one WindowAgg each, the first lowest)."""
    windows: dict[str, list[int]] = {}
    for si, spec in enumerate(specs):
        windows.setdefault(spec.window, []).append(si)

    def run_first(a: list[int], b: list[int]) -> int:
        """PostgreSQL's common_prefix_cmp (negative: ``a`` first). Key by key, the higher
        sort group reference first, then descending before ascending and NULLS FIRST
        before NULLS LAST; a window whose keys start another's runs after it, so that the
        other's sort serves both."""
        ka, kb = specs[a[0]].sort_refs, specs[b[0]].sort_refs
        for (ra, da, na), (rb, db, nb) in zip(ka, kb, strict=False):
            if ra != rb:
                return -1 if ra > rb else 1
            if da != db:
                return -1 if da else 1
            if na != nb:
                return -1 if na else 1
        return len(kb) - len(ka)

    return sorted(windows.values(), key=functools.cmp_to_key(run_first))


# -- the plan of one query ---------------------------------------------------------------------


@dataclass
class Plan:
    node: Node
    columns: list[ScopeColumn]
    scope: Scope  # the scope the query was planned in (its outer cell, correlation flag)
    run_txn: Callable[[], Transaction] | None = None

    @property
    def correlated(self) -> bool:
        return self.scope.correlated[0]


def is_point_read(node: Node) -> bool:
    """A plan that reads at most one row by primary key (projected, filtered, limited):
    bounded work, cheap enough to run on the caller's thread."""
    while isinstance(node, Project | Filter | Limit):
        node = node.child
    return isinstance(node, PointGet)
