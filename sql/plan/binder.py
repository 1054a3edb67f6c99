"""Binding: a sqlglot query tree becomes a plan (sql.plan.nodes), names resolved against
one catalog snapshot and every expression compiled (sql.expr).

    FROM (scans, joins) -> WHERE -> GROUP BY / aggregates -> HAVING -> window functions
      -> select list (+ hidden sort keys) -> DISTINCT -> ORDER BY -> OFFSET/LIMIT

Each join and each WHERE is handed to the optimizer (sql.plan.optimizer) as soon as it is
built, which chooses the join method and the scan's access path.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from sql import types as T
from sql.casts import coerce_to, unify
from sql.catalog import Catalog, TableDef
from sql.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    GroupingError,
    InvalidColumnReference,
    SyntaxError_,
    UndefinedColumn,
    UndefinedTable,
)
from sql.expr import Compiler, expr_name
from sql.functions import compile_srf, srf_name
from sql.layout import prefix_end
from sql.plan.conjuncts import and_all
from sql.plan.nodes import (
    Aggregate,
    AggSpec,
    CteScan,
    Distinct,
    DistinctOn,
    Filter,
    Join,
    Limit,
    Materialized,
    Node,
    OneRow,
    Plan,
    Project,
    ProjectSet,
    RecursiveUnion,
    SeriesScan,
    SetOp,
    Sort,
    SortKey,
    SubqueryScan,
    TableScan,
    ValuesScan,
    Where,
    Window,
    WindowSpec,
    WorkTable,
    WorkTableScan,
)
from sql.plan.optimizer import optimize
from sql.plan.rules.access_paths import index_only
from sql.rows import ROWID, RowCodec
from sql.scope import Context, Row, Scope, ScopeColumn, Typed
from sql.session_api import SessionApi
from sql.system_catalog import SYSTEM_RELATIONS, system_relation
from sql.types import SqlType


def table_scope(table: TableDef, alias: str | None) -> Scope:
    name = alias or table.name
    cols = [ScopeColumn(name, c.name, c.type) for c in table.live_columns]
    if not table.primary_key:
        cols.append(ScopeColumn(name, ROWID, T.INT8, hidden=True))
    return Scope(cols)


def _find_srfs(e: exp.Expr) -> list[exp.Expr]:
    return _outermost(e, lambda node: srf_name(node) is not None, (exp.Subquery, exp.Select))


def _outermost(
    e: exp.Expr, matches: Callable[[exp.Expr], bool], opaque: tuple[type[exp.Expr], ...]
) -> list[exp.Expr]:
    """The outermost nodes of ``e`` that ``matches``, not looking inside ``opaque`` ones
    (subqueries, which are planned on their own)."""
    found: list[exp.Expr] = []

    def walk(node: exp.Expr) -> None:
        if isinstance(node, opaque):
            return
        if matches(node):
            found.append(node)
            return
        for child in node.iter_expressions():
            walk(child)

    walk(e)
    return found


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


# sqlglot's classes for aggregate calls, and PostgreSQL's names for them (checked in order)
_AGG_CLASSES: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Count, "count"),
    (exp.Sum, "sum"),
    (exp.Avg, "avg"),
    (exp.Min, "min"),
    (exp.Max, "max"),
    (exp.ArrayAgg, "array_agg"),
    (exp.GroupConcat, "string_agg"),
    (exp.LogicalAnd, "bool_and"),
    (exp.LogicalOr, "bool_or"),
)


def _agg_name(e: exp.Expr) -> str | None:
    for cls, name in _AGG_CLASSES:
        if isinstance(e, cls):
            return name
    if isinstance(e, exp.Anonymous) and str(e.this).lower() in AGGREGATES:
        return str(e.this).lower()
    return None


def _find_aggs(e: exp.Expr) -> list[exp.Expr]:
    """Aggregate calls in ``e``, not looking into subqueries or window functions."""

    def is_agg(node: exp.Expr) -> bool:
        if isinstance(node, exp.Filter) and _agg_name(node.this):
            return True
        return _agg_name(node) is not None

    return _outermost(e, is_agg, (exp.Subquery, exp.Select, exp.Window))


def _find_windows(e: exp.Expr) -> list[exp.Window]:
    found = _outermost(e, lambda node: isinstance(node, exp.Window), (exp.Subquery, exp.Select))
    return [w for w in found if isinstance(w, exp.Window)]


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

    def plan_query(self, q: exp.Expr, outer: Scope | None = None, arm: bool = False) -> Plan:
        """``q`` planned. An ``arm`` of a set operation keeps its untyped literals' columns
        of type unknown, for the set operation to resolve (``SELECT 1 UNION SELECT '2'``);
        elsewhere they are text."""
        scope = Scope([], outer=outer)
        with_ = q.args.get("with_") or q.args.get("with")
        pushed = False
        if with_ is not None:
            self.ctes.append(self._plan_ctes(with_, outer))
            pushed = True
        try:
            if isinstance(q, exp.Select):
                node, cols = self._select(q, scope, arm)
            elif isinstance(q, exp.Union | exp.Intersect | exp.Except):
                node, cols = self._setop(q, scope)
            elif isinstance(q, exp.Subquery):
                inner = self.plan_query(q.this, outer, arm)
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
        work = WorkTable()
        wscope = Scope([ScopeColumn(name, c.name, c.type) for c in anchor.columns])
        working = WorkTableScan(wscope, work, f"WorkTable Scan on {name}")
        out[name] = (Plan(working, anchor.columns, Scope([])), -1)
        step = self.plan_query(body.expression, outer)
        distinct = bool(body.args.get("distinct"))
        node = RecursiveUnion(Scope(list(anchor.columns)), anchor.node, step.node, work,
                              distinct, f"Recursive Union ({name})")  # fmt: skip
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
        return Materialized(scope, source, f"Function Scan on {name}")

    def _cte_scan(self, plan: Plan, cid: int, alias: str) -> Node:
        scope = Scope([ScopeColumn(alias, c.name, c.type) for c in plan.columns])
        if cid < 0:  # the recursive working table
            assert isinstance(plan.node, WorkTableScan)
            return WorkTableScan(scope, plan.node.work, f"WorkTable Scan on {alias}")
        return CteScan(scope, plan, cid, f"CTE Scan on {alias}")

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
            return SeriesScan(Scope([ScopeColumn(col, col, t)]), args)
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
        return ValuesScan(Scope(cols), rows)

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
            on = and_all(parts)
        return optimize(Join(left, right, kind, on, scope), self)

    # SELECT

    def _select(
        self, q: exp.Select, scope: Scope, arm: bool = False
    ) -> tuple[Node, list[ScopeColumn]]:
        saved = self.ctx.agg_slots, self.ctx.group_slots
        self.ctx.agg_slots = self.ctx.group_slots = None
        try:
            return self._select_block(q, scope, arm)
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

    def _select_block(
        self, q: exp.Select, scope: Scope, arm: bool
    ) -> tuple[Node, list[ScopeColumn]]:
        node, base = self.source(q, scope)
        node = index_only(node, _columns_read(q))
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
        if not arm:
            outs = [coerce_to(t, T.TEXT) if t.type.name == "unknown" else t for t in outs]
        out_cols = [
            ScopeColumn(None, expr_name(e) if not isinstance(e, exp.Column) else e.name, t.type)
            for e, t in zip(exprs, outs, strict=True)
        ]
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
        node = self._limit(node, q)
        if len(fns) > width:
            node = Project(node, [operator.itemgetter(i) for i in range(width)], Scope(out_cols))
        return node, out_cols

    def _limit(self, node: Node, q: exp.Expr) -> Node:
        """``node`` under the query's LIMIT and OFFSET (constants, bigint), if it has any."""
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if limit is None and offset is None:
            return node
        const = self.compiler(Scope([]))
        lim = coerce_to(const.compile(limit.expression), T.INT8) if limit is not None else None
        off = coerce_to(const.compile(offset.expression), T.INT8) if offset is not None else None
        return Limit(node, lim, off)

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
        chosen = optimize(Where(node, [where.this], scope), self)
        assert isinstance(chosen, Where)
        rest = and_all(chosen.conds)
        if rest is None:
            return chosen.child
        pred = self.compiler(scope)._bool(rest)
        return Filter(chosen.child, pred, rest.sql(dialect="postgres"))

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
            maker, rtype = compile_srf(comp, call)
            slots[text] = (len(cols), rtype)
            cols.append(ScopeColumn(None, expr_name(call), rtype))
            makers.append(maker)
        self.ctx.agg_slots = slots
        post = Scope(
            cols, outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated
        )
        return ProjectSet(node, makers, post), post

    def _setop(self, q: exp.Expr, scope: Scope) -> tuple[Node, list[ScopeColumn]]:
        left = self.plan_query(q.this, scope.outer, arm=True)
        right = self.plan_query(q.expression, scope.outer, arm=True)
        if len(left.columns) != len(right.columns):
            kind = type(q).__name__.upper()
            raise SyntaxError_(f"each {kind} query must have the same number of columns")
        casts = []
        cols = []
        for lc, rc in zip(left.columns, right.columns, strict=True):
            t = unify([lc.type, rc.type])
            casts.append((lc.type, rc.type, t))
            cols.append(ScopeColumn(None, lc.name, t))
        comp = self.compiler(scope)
        for arm, plan in ((q.this, left), (q.expression, right)):
            # A parameter of unspecified type as an arm's column takes the column's type.
            if isinstance(arm, exp.Select) and len(arm.expressions) == len(cols):
                for x, own, col in zip(arm.expressions, plan.columns, cols, strict=True):
                    if own.type.name == "unknown":
                        comp._type_param(x.this if isinstance(x, exp.Alias) else x, col.type)
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
        node = self._limit(node, q)
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


def _columns_read(q: exp.Expr) -> set[str] | None:
    """The names of the columns ``q`` reads anywhere (its subqueries included), None when
    it reads whole rows (``*``, ``t.*``)."""
    names = set()
    for c in q.find_all(exp.Column, exp.Star):
        if isinstance(c, exp.Star):
            if not isinstance(c.parent, exp.Count):
                return None
        elif isinstance(c.this, exp.Star):
            return None
        else:
            names.add(c.name)
    return names


def _is_system_relation(name: str) -> bool:
    return name in SYSTEM_RELATIONS
