"""Access paths: a WHERE directly on a table scan may read less than the whole table.

A condition is sargable on a key (the primary key or an index) when it bounds one of the
key's columns by values that mention no column of the query (constants, parameters, outer
references): ``=``, ``<``, ``<=``, ``>``, ``>=``, BETWEEN, IN lists, ``= ANY(array)``,
``LIKE 'prefix%'`` on text, IS NULL, an OR whose branches all bound the same column, and a
row comparison ``(a, b) > (x, y)`` over consecutive key columns. A value is used only when
it converts to the column's type without changing which rows it selects (``_lossless``).

For each key, its leading columns take alternatives (points: =, IN, IS NULL, ORs of them)
until one takes a range; the key's ranges are their cartesian product (sql.plan.nodes.KeyScan).
Equality on every primary-key column is a point get, whose conditions leave the filter;
every other condition stays in the filter, since keys compare stored forms and ranges may
be wider than the conditions (a LIKE prefix). Without statistics the key constraining the
most columns wins (points before a range, the primary key on ties); with statistics
(sql.stats, ANALYZE) the estimated cheapest key wins, and a sequential scan wins over a
secondary index whose rows would cost more to fetch one by one. A primary-key range reads
a subset of what a sequential scan reads, in the same way, so it is always taken (stale
statistics cannot make a narrow range a full scan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kv.errors import Db9Error
from sql.casts import base_type, coerce_to
from sql.catalog import IndexDef, TableDef
from sql.errors import FeatureNotSupported, UndefinedColumn, UndefinedTable
from sql.expr import Compiler, array_operand, flatten, quantified
from sql.plan.conjuncts import cond_text, conjuncts
from sql.plan.nodes import Filter, KeyAlt, KeyScan, Node, PointGet, TableScan, Where
from sql.plan.rule import Binding
from sql.scope import Scope, Typed
from sql.stats import ColumnStats, TableStats
from sql.types import SqlType

_FEW_ROWS = 100
_FLIP: dict[type, type] = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}
# Types whose key form converts back to the exact value (an index-only scan may show it)
# and whose key order and equality are SQL's (a key range may replace the condition).
_EXACT_KEYS = {
    "smallint",
    "integer",
    "bigint",
    "text",
    "character varying",
    "boolean",
    "date",
    "timestamp without time zone",
    "timestamp with time zone",
    "uuid",
}


def choose_access_path(node: Node, binding: Binding) -> Node:
    """``Where(TableScan)`` may become ``Where`` over a point get or a key scan, with the
    conditions the scan fully answers removed; other nodes stay as they are."""
    if not isinstance(node, Where) or not isinstance(node.child, TableScan):
        return node
    path, conds = _access_path(binding, node.child, node.conds, node.bound_in)
    return Where(path, conds, node.bound_in)


@dataclass
class _Key:
    index: IndexDef | None  # None: the primary key
    columns: list[str]
    desc: list[bool]


@dataclass
class _Sargs:
    """What finding sargable conditions needs: the scanned table and a compiler for values
    (which sees no column of the query, only outer references and parameters)."""

    const: Compiler
    table: TableDef
    alias: str | None
    # Values clamped into a narrower integer column's range: a bound of the key range
    # (then inclusive), never of a point get (its conditions leave the filter).
    inexact: dict[int, Typed] = field(default_factory=dict)  # by id; kept alive
    exact: dict[int, exp.Expr] = field(default_factory=dict)  # conditions, values all kept

    def column(self, e: exp.Expr) -> str | None:
        while isinstance(e, exp.Paren):
            e = e.this
        if (
            isinstance(e, exp.Column)
            and (not e.table or e.table == self.alias)
            and self.table.has_column(e.name)
        ):
            return e.name
        return None

    def value(self, col: str, other: exp.Expr) -> Typed | None:
        """``other`` as a key value of column ``col``, or None (see the module's doc)."""
        if any(True for _ in other.find_all(exp.Column, exp.Subquery, exp.Select)):
            return None
        ctype = self.table.column(col).type
        self.const._type_param(other, base_type(ctype))
        try:
            value = self.const.compile(other)
        except (UndefinedColumn, UndefinedTable, FeatureNotSupported):
            return None
        clamp = _clamp(value.type, ctype)
        if clamp is not None:
            f = value.fn
            clamped = Typed(lambda r: None if (x := f(r)) is None else clamp(x), ctype, value.const)
            self.inexact[id(clamped)] = clamped
            return clamped
        if not _lossless(value.type, ctype):
            return None
        return coerce_to(value, ctype)

    def array(self, col: str, other: exp.Expr) -> Typed | None:
        """``other`` (of ``col = ANY(other)``) as a list of key values of ``col``."""
        if any(True for _ in other.find_all(exp.Column, exp.Subquery, exp.Select)):
            return None
        ctype = self.table.column(col).type
        if ctype.element is not None:
            return None
        self.const._type_param(other, base_type(ctype).array_of())
        try:
            arr = array_operand(ctype, self.const.compile(other))
        except (UndefinedColumn, UndefinedTable, FeatureNotSupported):
            return None
        elem = arr.type.element
        assert elem is not None
        nested = arr.fn  # a multidimensional array's elements are the values
        arr = Typed(lambda r: None if (xs := nested(r)) is None else flatten(xs, elem),
                    arr.type, arr.const)  # fmt: skip
        clamp = _clamp(elem, ctype)
        if elem.name == ctype.name:
            return arr
        conv: Callable[[tuple[Any, ...]], Any]
        if clamp is not None:
            move = clamp
            conv = lambda r: None if r[0] is None else move(r[0])  # noqa: E731
        elif _lossless(elem, ctype):
            conv = coerce_to(Typed(lambda r: r[0], elem), ctype).fn
        else:
            return None
        fa = arr.fn
        listed = Typed(lambda r: None if (xs := fa(r)) is None else [conv((x,)) for x in xs],
                       ctype.array_of())  # fmt: skip
        if clamp is not None:
            self.inexact[id(listed)] = listed
        return listed

    def sarg(self, c: exp.Expr, key: _Key, n: int) -> list[KeyAlt] | None:
        """The alternatives condition ``c`` gives column ``n`` of ``key``, or None."""
        alts = self._sarg(c, key, n)
        if alts is not None and all(self._kept(a) for a in alts):
            self.exact[id(c)] = c
        return alts

    def _kept(self, alt: KeyAlt) -> bool:
        """Are ``alt``'s values the condition's own (none clamped)?"""
        values = [alt.value] + [v for vs, _ in alt.lower + alt.upper for v in vs]
        return all(id(v) not in self.inexact for v in values if v is not None)

    def _sarg(self, c: exp.Expr, key: _Key, n: int) -> list[KeyAlt] | None:
        while isinstance(c, exp.Paren):
            c = c.this
        col = key.columns[n]
        if isinstance(c, exp.Or):
            out: list[KeyAlt] = []
            for branch in _disjuncts(c):
                alts = self.combine(conjuncts(branch), key, n)
                if alts is None:
                    return None
                out += alts[0]
            return out
        if type(c) in _FLIP and (
            isinstance(c.this, exp.Tuple) or isinstance(c.expression, exp.Tuple)
        ):
            return self.row_bound(c, key, n)
        if isinstance(c, exp.EQ) or type(c) in _FLIP:
            sides = (
                (c.this, c.expression, type(c)),
                (c.expression, c.this, _FLIP.get(type(c), exp.EQ)),
            )
            for this, other, kind in sides:
                if self.column(this) != col:
                    continue
                found = quantified(other)
                if found is not None and found[0] == "any" and kind is exp.EQ:
                    arr = self.array(col, found[1])
                    return None if arr is None else [KeyAlt("in", arr)]
                if found is not None:
                    return None
                v = self.value(col, other)
                if v is None:
                    return None
                if kind is exp.EQ:
                    return [KeyAlt("eq", v)]
                bound = ([v], kind in (exp.GTE, exp.LTE) or id(v) in self.inexact)
                lower = kind in (exp.GT, exp.GTE)
                return [KeyAlt("range", lower=[bound] if lower else [],
                               upper=[] if lower else [bound])]  # fmt: skip
            return None
        if isinstance(c, exp.Between) and self.column(c.this) == col:
            if c.args.get("symmetric"):
                return None
            lo, hi = self.value(col, c.args["low"]), self.value(col, c.args["high"])
            if lo is None or hi is None:
                return None
            return [KeyAlt("range", lower=[([lo], True)], upper=[([hi], True)])]
        if isinstance(c, exp.In) and self.column(c.this) == col and not c.args.get("query"):
            items = [self.value(col, i) for i in c.expressions]
            if not items or any(i is None for i in items):
                return None
            fns = [i.fn for i in items if i is not None]
            listed = Typed(lambda r: [f(r) for f in fns], items[0].type)  # type: ignore[union-attr]
            if any(id(i) in self.inexact for i in items):
                self.inexact[id(listed)] = listed
            return [KeyAlt("in", listed)]
        if isinstance(c, exp.Is) and isinstance(c.expression, exp.Null):
            if self.column(c.this) == col and not c.args.get("negate"):
                return [KeyAlt("null")]
            return None
        if (
            isinstance(c, exp.Like)
            and self.column(c.this) == col
            and not c.args.get("negate")
            and not c.args.get("escape")
            and self.table.column(col).type.name in ("text", "character varying")
        ):
            pattern = self.value(col, c.expression)
            return None if pattern is None else [KeyAlt("range", pattern)]
        return None

    def answered(self, c: exp.Expr, col: str) -> bool:
        """Does the key range of condition ``c`` on ``col`` hold exactly the rows for which
        ``c`` is true? Yes for =, <, <=, >, >=, BETWEEN, IN, = ANY and IS NULL with values
        kept exactly, on a type whose key order and equality are SQL's (not numeric's 1.50
        and 1.5, float's -0 and 0, LIKE or row comparisons)."""
        if id(c) not in self.exact or self.table.column(col).type.name not in _EXACT_KEYS:
            return False
        c = _bare(c)
        if isinstance(c, exp.Is):
            return True
        if isinstance(c, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
            if isinstance(c.this, exp.Tuple) or isinstance(c.expression, exp.Tuple):
                return False
        elif not isinstance(c, exp.Between | exp.In):
            return False
        return True

    def row_bound(self, c: exp.Expr, key: _Key, n: int) -> list[KeyAlt] | None:
        """``(a, b, ...) op (x, y, ...)`` over key columns ``n``, ``n+1``, ... (as many as
        run in the key's order and direction; a cut bound becomes inclusive)."""
        this, other, kind = c.this, c.expression, type(c)
        if not isinstance(this, exp.Tuple):
            this, other, kind = other, this, _FLIP[kind]
        if not isinstance(this, exp.Tuple) or not isinstance(other, exp.Tuple):
            return None
        cols, vals = this.expressions, other.expressions
        if len(cols) != len(vals):
            return None
        values: list[Typed] = []
        for i, (ce, ve) in enumerate(zip(cols, vals, strict=True)):
            at = n + i
            if (
                at >= len(key.columns)
                or self.column(ce) != key.columns[at]
                or key.desc[at] != key.desc[n]
            ):
                break
            v = self.value(key.columns[at], ve)
            if v is None:
                break
            values.append(v)
        if not values:
            return None
        inclusive = (
            kind in (exp.GTE, exp.LTE)
            or len(values) < len(cols)
            or any(id(v) in self.inexact for v in values)
        )
        bound = (values, inclusive)
        if kind in (exp.GT, exp.GTE):
            return [KeyAlt("range", lower=[bound])]
        return [KeyAlt("range", upper=[bound])]

    def combine(
        self, conds: list[exp.Expr], key: _Key, n: int
    ) -> tuple[list[KeyAlt], list[exp.Expr]] | None:
        """The best alternatives ANDed conditions give column ``n`` of ``key`` (a point
        before a list of points before a range, ranges merged), and the conditions used."""
        found = [(c, alts) for c in conds if (alts := self.sarg(c, key, n)) is not None]
        if not found:
            return None
        points = [(c, a) for c, a in found if all(x.kind != "range" for x in a)]
        if points:
            c, alts = min(points, key=lambda p: (len(p[1]), p[1][0].kind == "in"))
            return alts, [c]
        singles = [(c, a[0]) for c, a in found if len(a) == 1]
        if not singles:
            c, alts = min(found, key=lambda p: len(p[1]))
            return alts, [c]
        merged = KeyAlt("range")
        for _, a in singles:
            merged.lower += a.lower
            merged.upper += a.upper
            merged.value = merged.value or a.value
        return [merged], [c for c, _ in singles]


def _disjuncts(e: exp.Expr) -> list[exp.Expr]:
    while isinstance(e, exp.Paren):
        e = e.this
    if isinstance(e, exp.Or):
        return _disjuncts(e.this) + _disjuncts(e.expression)
    return [e]


def _access_path(
    binding: Binding, scan: TableScan, conds: list[exp.Expr], scope: Scope
) -> tuple[Node, list[exp.Expr]]:
    table = scan.codec.table
    alias = scan.scope.columns[0].table if scan.scope.columns else table.name
    const = binding.compiler(
        Scope([], outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated)
    )
    sargs = _Sargs(const, table, alias)
    pk = table.primary_key
    keys = [_Key(None, list(pk), [False] * len(pk))] if pk else []
    # A DEFERRABLE unique index may lack the entry of a row whose check waits
    # (sql.unique_checks): never a way to find rows.
    deferrable = {c.index for c in table.constraints if c.kind == "u" and c.deferrable}
    keys += [
        _Key(
            i,
            list(i.columns),
            [bool(i.descending and i.descending[n]) for n in range(len(i.columns))],
        )
        for i in table.indexes
        if not i.primary and i.columns and i.scannable and i.name not in deferrable
    ]
    stats = TableStats.of(table)
    if stats is not None and stats.rows < _FEW_ROWS:
        stats = None  # analyzed when (nearly) empty: no guide to its size now
    best: tuple[float, KeyScan] | None = None
    best_exact: list[exp.Expr] = []
    for key in keys:
        alts, used, exact = _key_alts(sargs, conds, key)
        if not alts:
            continue
        text = cond_text(used)
        if (
            key.index is None
            and len(alts) == len(pk) == len(used)
            and all(
                len(a) == 1
                and a[0].kind == "eq"
                and isinstance(_bare(u), exp.EQ)
                and id(a[0].value) not in sargs.inexact
                for a, u in zip(alts, used, strict=True)
            )
        ):
            point = PointGet(scan.codec, scan.scope, [a[0].value for a in alts if a[0].value], text)
            return point, [c for c in conds if all(c is not u for u in used)]
        rows = _estimate(stats, key, alts) if stats is not None else None
        node = KeyScan(scan.codec, scan.scope, key.index, alts, text, estimate=rows)
        cost = _cost(key, alts, rows)
        if best is None or cost < best[0]:
            best, best_exact = (cost, node), exact
    if best is None:
        return scan, conds
    cost, chosen = best
    if chosen.index is not None and stats is not None and cost >= stats.rows:
        return scan, conds  # fetching the rows one by one would cost more than a scan
    return chosen, [c for c in conds if all(c is not e for e in best_exact)]


def _bare(e: exp.Expr) -> exp.Expr:
    while isinstance(e, exp.Paren):
        e = e.this
    return e


def _key_alts(
    sargs: _Sargs, conds: list[exp.Expr], key: _Key
) -> tuple[list[list[KeyAlt]], list[exp.Expr], list[exp.Expr]]:
    """The key's alternatives per leading column, the conditions they come from, and those
    of them the key ranges answer exactly (no filter needed)."""
    alts: list[list[KeyAlt]] = []
    used: list[exp.Expr] = []
    exact: list[exp.Expr] = []
    for n in range(len(key.columns)):
        found = sargs.combine(conds, key, n)
        if found is None:
            break
        alts.append(found[0])
        used += [c for c in found[1] if all(c is not u for u in used)]
        exact += [c for c in found[1] if sargs.answered(c, key.columns[n])]
        if any(a.kind == "range" for a in found[0]):
            break
    return alts, used, exact


def _estimate(stats: TableStats, key: _Key, alts: list[list[KeyAlt]]) -> float:
    """Rows the key's ranges hold, columns taken as independent."""
    frac = 1.0
    for col, column in zip(key.columns, alts, strict=False):
        cs = stats.columns.get(col)
        if cs is None:
            frac *= 0.1
            continue
        point = (1 - cs.null_frac) / max(cs.ndistinct, 1.0)
        f = 0.0
        for alt in column:
            if alt.kind == "eq":
                f += point
            elif alt.kind == "null":
                f += cs.null_frac
            elif alt.kind == "in":
                n = _constant(alt.value)
                f += point * (len(n) if isinstance(n, list) else 10)
            else:
                f += _range_fraction(cs, alt)
        frac *= min(f, 1.0)
    return stats.rows * frac


def _range_fraction(cs: ColumnStats, alt: KeyAlt) -> float:
    """The fraction of rows in ``alt``'s range: from the column's smallest and largest value
    for constant numeric bounds, else PostgreSQL's defaults (1/3 one side, 1/200 both)."""
    lo, hi = cs.lo, cs.hi
    known = lo is not None and hi is not None and hi > lo
    a, b = lo, hi
    for bounds, lower in ((alt.lower, True), (alt.upper, False)):
        for values, _ in bounds:
            v = _constant(values[0])
            if not isinstance(v, int | float | Decimal) or not known:
                known = False
                continue
            if lower:
                a = max(a, float(v))  # type: ignore[type-var]
            else:
                b = min(b, float(v))  # type: ignore[type-var]
    live = 1 - cs.null_frac
    if known and a is not None and b is not None and lo is not None and hi is not None:
        return live * max(b - a, 0.0) / (hi - lo) + live / max(cs.ndistinct, 1.0)
    if alt.value is not None:  # a LIKE prefix
        return live * 0.05
    return live * (0.005 if alt.lower and alt.upper else 1 / 3)


def _constant(t: Typed | None) -> Any:
    """A constant expression's value now, or None (not constant, or it fails)."""
    if t is None or not t.const:
        return None
    try:
        return t.fn(())
    except Db9Error:
        return None


def _cost(key: _Key, alts: list[list[KeyAlt]], rows: float | None) -> float:
    """Without statistics: a rank (lower is better) by how much of the key is bound; with
    them, rows read, a fetched row costing more than a row read in key order."""
    if rows is None:
        points = sum(1 for a in alts if all(x.kind != "range" for x in a))
        ranged = len(alts) - points
        return -(4 * points + 2 * ranged + (1 if key.index is None else 0))
    probes = 1
    for a in alts:
        probes *= len(a)
    return rows * (1 if key.index is None else 4) + probes


def index_only(node: Node, needed: set[str] | None) -> Node:
    """``node`` (a plan's source: a key scan under its filter) made an index-only scan when
    the index entries hold every column in ``needed`` (None: every column is needed)."""
    if isinstance(node, Filter):
        child = index_only(node.child, needed)
        return node if child is node.child else Filter(child, node.pred, node.text)
    if not isinstance(node, KeyScan) or node.index is None or needed is None:
        return node
    table = node.codec.table
    held = set(node.index.columns) | set(table.primary_key)
    if (
        not table.primary_key
        or not needed <= held
        or any(table.column(c).type.name not in _EXACT_KEYS for c in needed)
    ):
        return node
    return replace(node, covering=True)


_INT_RANGE = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}


def _clamp(value: SqlType, column: SqlType) -> Callable[[int], int] | None:
    """For an integer value wider than the integer column (a bigint parameter on an integer
    key): its value moved into the column's range, where it selects the same rows or, at an
    end of the range, more (the filter keeps the condition)."""
    vr, cr = _INT_RANGE.get(value.name), _INT_RANGE.get(column.name)
    if vr is None or cr is None or vr <= cr:
        return None
    return lambda x: min(max(x, -cr), cr - 1)


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
