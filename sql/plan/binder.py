"""Binding: a sqlglot query tree becomes a plan (sql.plan.nodes), names resolved against
one catalog snapshot and every expression compiled (sql.expr).

    FROM (scans, joins) -> WHERE -> GROUP BY / aggregates -> HAVING -> window functions
      -> select list (+ hidden sort keys) -> DISTINCT -> ORDER BY -> OFFSET/LIMIT

Each join and each WHERE is handed to the optimizer (sql.plan.optimizer) as soon as it is
built, which chooses the join method and the scan's access path.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from sql import (
    hstore,
    inheritance,
    jsonb,
    moments,
    policies,
    privileges,
    ranges,
    routine_call,
    temp,
    views,
)
from sql import types as T
from sql.casts import coerce_to, unify
from sql.catalog import Catalog, TableDef
from sql.errors import (
    AmbiguousColumn,
    DatatypeMismatch,
    FeatureNotSupported,
    GroupingError,
    InvalidColumnReference,
    InvalidRowCountInLimitClause,
    ObjectNotInPrerequisiteState,
    SqlError,
    SyntaxError_,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)
from sql.executor import ordered_set
from sql.expr import Compiler, datatype_to_sql, expr_name, flatten
from sql.functions import compile_srf, srf_name
from sql.functions_range import multirange_of
from sql.layout import prefix_end
from sql.lexer import USING_ALIAS
from sql.plan import outer_aggregates, user_aggregates
from sql.plan.conjuncts import and_all
from sql.plan.nodes import (
    Aggregate,
    AggSpec,
    CteScan,
    Distinct,
    DistinctOn,
    Filter,
    Join,
    LateralJoin,
    Limit,
    Materialized,
    Node,
    OneRow,
    Plan,
    Prelude,
    Project,
    ProjectSet,
    RecursiveUnion,
    RunOnce,
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
from sql.plan.recursion import check_recursive, recursion_order, self_references
from sql.plan.rules import join_removal
from sql.plan.rules.access_paths import index_only
from sql.plan.search_cycle import check_clauses, has_search_or_cycle, rewrite
from sql.plan.unused_outputs import without_unused_outputs
from sql.plan.windows import Windows
from sql.rows import ROWID, RowCodec
from sql.scope import STAR_POSITION, Context, Row, Scope, ScopeColumn, Typed
from sql.session_api import SessionApi
from sql.system_catalog import SYSTEM_RELATIONS, system_relation
from sql.types import SqlType

_ORDER_LIMIT = ("order", "limit", "offset")


def table_scope(table: TableDef, alias: str | None) -> Scope:
    name = alias or table.name
    cols = [ScopeColumn(name, c.name, c.type) for c in table.live_columns]
    if not table.primary_key:
        cols.append(ScopeColumn(name, ROWID, T.INT8, hidden=True))
    return Scope(cols)


def _names_its_columns(fn: exp.Expr) -> bool:
    """A function in FROM that applies a column alias list itself (the json(b) ones)."""
    return isinstance(fn, exp.Anonymous) and str(fn.this).lower() in (
        jsonb.SRFS | jsonb.RECORD_SRFS | hstore.SRFS
    )


def _renamed(node: Node, table: str, names: list[str]) -> Node:
    """A table in FROM with a column alias list (``t1 (a, b, c)``): its first columns take
    those names; the scan below keeps the table's own, for the access paths."""
    cols, k = [], 0
    for c in node.scope.columns:
        if c.hidden:
            cols.append(c)
            continue
        cols.append(
            dataclasses.replace(c, table=table, name=names[k] if k < len(names) else c.name)
        )
        k += 1
    if len(names) > k:
        raise InvalidColumnReference(
            f'table "{table}" has {k} columns available but {len(names)} columns specified'
        )
    keep: list[Callable[[Row], Any]] = [operator.itemgetter(i) for i in range(len(cols))]
    return Project(node, keep, Scope(cols))


def _reads_work_table(node: Node) -> bool:
    """Whether ``node`` reads a recursive query's working table (a WITH query inside the
    recursive term reading the recursive query)."""
    return isinstance(node, WorkTableScan) or any(_reads_work_table(c) for c in node.children())


def _coalesce(first: Callable[[Row], Any], second: Callable[[Row], Any]) -> Callable[[Row], Any]:
    def fn(row: Row) -> Any:
        v = first(row)
        return v if v is not None else second(row)

    return fn


def _is_join_tree(item: exp.Expr) -> bool:
    """A parenthesised join (sqlglot: a Subquery around a Table or another such tree)."""
    return isinstance(item, exp.Subquery) and (
        isinstance(item.this, exp.Table) or bool(item.args.get("joins")) or _is_join_tree(item.this)
    )


def _joins_a_leaf(item: exp.Expr) -> bool:
    """A table or derived table carrying joins (sqlglot nests ``x JOIN y ON ...`` written as
    one side of an outer join that way): the joins take it as their leftmost input."""
    return isinstance(item, exp.Table) or (
        isinstance(item, exp.Subquery) and isinstance(item.this, exp.Query)
    )


def _visible(scope: Scope) -> list[ScopeColumn]:
    """The columns a bare * expands to."""
    return [c for c in scope.columns if not c.hidden and not c.qualified_only]


def _dependent_columns(
    group: list[exp.Expr], scope: Scope, tables: dict[str, TableDef]
) -> list[exp.Expr]:
    """The columns a GROUP BY groups implicitly (PostgreSQL's functional dependency): every
    other column of a table whose whole primary key it lists as plain columns. Grouping by
    them as well changes no group, and lets the select list, HAVING and ORDER BY name them."""
    grouped: set[tuple[str, str]] = set()
    for g in group:
        if not isinstance(g, exp.Column) or isinstance(g.this, exp.Star):
            continue
        try:
            found = scope.resolve(g.name, g.table or None)
        except AmbiguousColumn:
            continue
        if found is not None:
            col = scope.columns[found[0]]
            grouped.add((col.table or "", col.name))
    extra: list[exp.Expr] = []
    for label, table in tables.items():
        pk = table.primary_key
        if not pk or not all((label, c) in grouped for c in pk):
            continue
        extra += [
            exp.column(c.name, label)
            for c in scope.columns
            if c.table == label and (label, c.name) not in grouped and not c.hidden
        ]
    return extra


def _star_column(scope: Scope, col: ScopeColumn) -> exp.Column:
    """A column * expands to, by name; one whose name its table holds twice (``unnest(a, b)``:
    two columns named unnest) also carries its position, which the compiler reads."""
    e = exp.column(col.name, col.table) if col.table else exp.column(col.name)
    if sum(c.name == col.name and c.table == col.table for c in scope.columns) > 1:
        e.meta[STAR_POSITION] = next(i for i, c in enumerate(scope.columns) if c is col)
    return e


def _find_srfs(e: exp.Expr, session: SessionApi | None = None) -> list[exp.Expr]:
    """The set-returning calls of ``e``: built-in ones, and user functions RETURNS SETOF."""
    return _outermost(
        e,
        lambda node: srf_name(node) is not None or routine_call.returns_set(session, node),
        (exp.Subquery, exp.Select),
    )


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
    "bit_and",
    "bit_or",
    "bit_xor",
    "range_agg",
    "range_intersect_agg",
    *jsonb.AGGREGATES,
    *moments.ONE_ARG,
    *moments.TWO_ARG,
}


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
    (exp.JSONArrayAgg, "json_agg"),
    (exp.JSONObjectAgg, "json_object_agg"),
    (exp.JSONBObjectAgg, "jsonb_object_agg"),
)


def _agg_name(e: exp.Expr) -> str | None:
    if isinstance(e, exp.WithinGroup):
        inner = e.this
        called = str(inner.this).lower() if isinstance(inner, exp.Anonymous) else None
        # an unknown name is an aggregate too, to be reported as a missing function
        return called if called is not None and called not in AGGREGATES else None
    for cls, name in _AGG_CLASSES:
        if isinstance(e, cls):
            return name
    if isinstance(e, exp.Anonymous):
        name = str(e.this).lower()
        if name in AGGREGATES or user_aggregates.is_user_aggregate(name):
            return name
    return None


def _find_aggs(e: exp.Expr) -> list[exp.Expr]:
    """Aggregate calls in ``e``, not looking into subqueries or window functions."""

    def is_agg(node: exp.Expr) -> bool:
        if isinstance(node, exp.Filter) and _agg_name(node.this):
            return True
        return _agg_name(node) is not None

    found: list[exp.Expr] = []
    for node in _outermost(
        e, lambda n: isinstance(n, exp.Window) or is_agg(n), (exp.Subquery, exp.Select)
    ):
        if not isinstance(node, exp.Window):
            found.append(node)
            continue
        # a window call's arguments, FILTER and window clauses run over the grouped rows
        fn = node.this
        call = fn.this if isinstance(fn, exp.Filter) else fn
        inner = list(call.iter_expressions()) + list(node.args.get("partition_by") or [])
        inner += [x for x in (node.args.get("order"),) if x is not None]
        if isinstance(fn, exp.Filter):
            inner.append(fn.expression)
        for x in inner:
            found += _find_aggs(x)
    return found


def contains_aggregate(e: exp.Expr) -> bool:
    """Whether ``e`` calls an aggregate outside any subquery or window."""
    return bool(_find_aggs(e))


def _sort_group_exprs(q: exp.Select, exprs: list[exp.Expr]) -> list[exp.Expr]:
    """The expressions of ``q``'s ORDER BY, then its GROUP BY, as PostgreSQL numbers them
    for sorting and grouping before it numbers any window's keys (positions and output
    names stand for the select list's expressions)."""
    out = []
    order, group = q.args.get("order"), q.args.get("group")
    items = [o.this for o in order.expressions] if order is not None else []
    items += list(group.expressions) if group is not None else []
    for e in items:
        if isinstance(e, exp.Literal) and not e.is_string and e.this.isdigit():
            n = int(e.this)
            e = exprs[n - 1] if 1 <= n <= len(exprs) else e
        elif isinstance(e, exp.Column) and not e.table:
            e = next((x for x in exprs if isinstance(x, exp.Alias) and x.alias == e.name), e)
        out.append(e.this if isinstance(e, exp.Alias) else e)
    return out


def _find_windows(e: exp.Expr) -> list[exp.Window]:
    found = _outermost(e, lambda node: isinstance(node, exp.Window), (exp.Subquery, exp.Select))
    return [w for w in found if isinstance(w, exp.Window)]


# Plans an INSERT / UPDATE / DELETE in WITH (session, statement, context, the CTE frames it
# sees): its RETURNING columns and a function running it that returns their rows. sql.dml,
# which imports this module, registers it (register_writing_cte).
WritingCte = Callable[
    [SessionApi, exp.Expr, Context, list[dict[str, tuple[Plan, int]]]],
    tuple[list[tuple[str, SqlType]], Callable[[], list[Row]]],
]
_WRITING_CTE: list[WritingCte] = []


def register_writing_cte(plan: WritingCte) -> None:
    _WRITING_CTE[:] = [plan]


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
        user_aggregates.note_catalog(catalog)
        self._cte_ids = itertools.count()
        self.check_privileges = True  # SELECT privilege on what it reads (off inside a view)
        # Relations whose privileges the statement checked itself (UPDATE's and DELETE's
        # targets, a partition reached through its parent).
        self.checked: set[int] = set()
        # The commands whose row level security policies filter a table's rows (the target
        # of UPDATE / DELETE: its command's, and SELECT's when it reads columns).
        self.rls_commands: dict[int, tuple[str, ...]] = {}
        self.rls_tables: dict[int, TableDef] = {}  # whose policies apply to a table's rows
        self._depth = 0  # plan_query calls under way: 1 while planning the statement's query
        # aggregate calls in subqueries that belong to the query around them (their sql)
        self._claimed: set[str] = set()

    def compiler(self, scope: Scope) -> Compiler:
        return Compiler(scope, self.ctx)

    def _row_security(self, node: Node, table: TableDef, alias: str | None) -> Node:
        """``node``, the rows of ``table``, filtered by the row level security policies that
        bind current_user for the statement's commands on it (sql.policies)."""
        secured = self.rls_tables.get(table.id, table)
        if not secured.rls or not self.check_privileges:
            return node
        for command in self.rls_commands.get(table.id, ("select",)):
            sql = policies.using_sql(self.session, secured, command)
            if sql is None:
                return node
            pred = policies.expression(sql, secured.name, alias or table.name)
            node = Filter(node, self.compiler(node.scope)._bool(pred), pred.sql(dialect="postgres"))
        return node

    def _plan_subquery(self, query: exp.Expr, outer: Scope) -> Plan:
        ctx = self.ctx
        saved = ctx.agg_slots, ctx.group_slots, ctx.outer_aggs
        slots = ctx.agg_slots or {}
        ctx.outer_aggs = {k: slots[k] for k in self._claimed if k in slots} or None
        ctx.agg_slots = ctx.group_slots = None
        try:
            plan = self.plan_query(query, outer)
        finally:
            ctx.agg_slots, ctx.group_slots, ctx.outer_aggs = saved
        plan.run_txn = self.session.current_txn
        return plan

    # entry

    def plan_query(
        self,
        q: exp.Expr,
        outer: Scope | None = None,
        share: Scope | None = None,
        arm: bool = False,
    ) -> Plan:
        """``q``'s plan; with ``share``, its outer references read the outer row from (and
        mark correlated) ``share``'s cell: the branches of a set operation and a
        parenthesised query run as the query they are part of. An ``arm`` of a set
        operation keeps its untyped literals' columns of type unknown, for the set operation
        to resolve (``SELECT 1 UNION SELECT '2'``); elsewhere they are text."""
        self._depth += 1
        try:
            return self._plan_query(q, outer, share, arm)
        finally:
            self._depth -= 1

    def _plan_query(self, q: exp.Expr, outer: Scope | None, share: Scope | None, arm: bool) -> Plan:
        scope = Scope([], outer=outer)
        if share is not None:
            scope.outer_cell, scope.correlated = share.outer_cell, share.correlated
        with_ = q.args.get("with_") or q.args.get("with")
        pushed = False
        if with_ is not None:
            self.ctes.append(self._plan_ctes(with_, outer, scope))
            pushed = True
            writes = self.writing_ctes(self.ctes[-1])
        try:
            if isinstance(q, exp.Select):
                node, cols = self._select(q, scope, arm)
            elif isinstance(q, exp.Union | exp.Intersect | exp.Except):
                node, cols = self._setop(q, scope)
            elif isinstance(q, exp.Subquery):
                inner = self.plan_query(q.this, outer, scope, arm)
                node, cols = inner.node, inner.columns
            elif isinstance(q, exp.Values) and any(q.args.get(k) for k in _ORDER_LIMIT):
                # VALUES ... ORDER BY / LIMIT: as SELECT * FROM (VALUES ...) "*VALUES*"
                rows = exp.Values(expressions=q.expressions)
                select = exp.select("*").from_(exp.alias_(rows, "*VALUES*", table=True))
                for k in _ORDER_LIMIT:
                    if q.args.get(k) is not None:
                        select.set(k, q.args[k])
                node, cols = self._select(select, scope)
            elif isinstance(q, exp.Values):
                node = self._values(q, scope)
                cols = node.scope.columns
            else:
                raise FeatureNotSupported(f"{type(q).__name__} is not a query")
        finally:
            if pushed:
                self.ctes.pop()
        if pushed and writes:
            node = Prelude(node, writes)
        plan = Plan(node, cols, scope)
        plan.run_txn = self.session.current_txn
        return plan

    def push_ctes(self, with_: exp.With) -> None:
        """Make ``with_``'s queries visible to everything this planner plans from now on (a
        data-modifying statement's WITH)."""
        self.ctes.append(self._plan_ctes(with_, None))

    def _plan_ctes(
        self, with_: exp.With, outer: Scope | None, share: Scope | None = None
    ) -> dict[str, tuple[Plan, int]]:
        """The queries of ``with_``; their outer references read the outer row from
        ``share``'s cell, the query the WITH belongs to (a WITH inside a correlated
        subquery)."""
        out: dict[str, tuple[Plan, int]] = {}
        self.ctes.append(out)
        recursive = bool(with_.args.get("recursive"))
        try:
            for cte in recursion_order(with_.expressions) if recursive else with_.expressions:
                if has_search_or_cycle(cte):
                    cte = self._search_cycle(cte, outer, recursive)
                name = cte.alias
                body = cte.this
                cid = next(self._cte_ids)
                if recursive:
                    check_recursive(name, body)
                if isinstance(body, exp.Insert | exp.Update | exp.Delete):
                    plan = self._rename(self._writing_cte(body), cte)
                elif recursive and isinstance(body, exp.Union) and self_references(name, body):
                    sh = share if outer is not None else None
                    plan = self._recursive_cte(name, cte, body, outer, cid, out, sh)
                else:
                    plan = self.plan_query(body, outer, share if outer is not None else None)
                    plan = self._rename(plan, cte)
                out[name] = (plan, cid)
        finally:
            self.ctes.pop()
        return out

    def _search_cycle(self, cte: exp.CTE, outer: Scope | None, recursive: bool) -> exp.CTE:
        """``cte`` with its SEARCH / CYCLE clauses rewritten into columns (sql.plan.search_cycle);
        the column names come from the alias list or else the non-recursive term."""
        alias = cte.args.get("alias")
        names = [c.name for c in alias.columns] if alias is not None and alias.columns else []
        body = cte.this
        if not names and isinstance(body, exp.Union):
            names = [c.name for c in self.plan_query(body.this, outer).columns]
        check_clauses(cte, names, recursive)
        return rewrite(cte, names)

    def _writing_cte(self, body: exp.Insert | exp.Update | exp.Delete) -> Plan:
        """An INSERT / UPDATE / DELETE in WITH: its RETURNING rows, the statement run once
        per execution (CteScan spools them), planned by sql.dml (``register_writing_cte``)."""
        if not _WRITING_CTE:
            raise FeatureNotSupported(f"{type(body).__name__.upper()} in WITH is not supported")
        if self._depth > 1:
            raise FeatureNotSupported(
                "WITH clause containing a data-modifying statement must be at the top level"
            )
        saved = self.ctx.plan_subquery
        try:
            columns, run = _WRITING_CTE[0](self.session, body, self.ctx, list(self.ctes))
        finally:
            self.ctx.plan_subquery = saved  # the statement's own planner took it over
        scope = Scope([ScopeColumn("", n, t) for n, t in columns])
        label = f"{type(body).__name__} on {body.this.name}"
        once = RunOnce(run)
        return Plan(Materialized(scope, once, label, writes=True), scope.columns, Scope([]))

    def writing_ctes(self, frame: dict[str, tuple[Plan, int]]) -> list[Node]:
        """Readers of ``frame``'s data-modifying CTEs: a Prelude runs them first."""
        return [
            CteScan(plan.scope, plan, cid, f"CTE Scan on {name}")
            for name, (plan, cid) in frame.items()
            if isinstance(plan.node, Materialized) and plan.node.writes
        ]

    def _rename(self, plan: Plan, cte: exp.CTE) -> Plan:
        names = [c.name for c in (cte.args["alias"].columns or [])] if cte.args.get("alias") else []
        if len(names) > len(plan.columns):
            raise InvalidColumnReference(
                f'WITH query "{cte.alias}" has {len(plan.columns)} columns available but '
                f"{len(names)} columns specified"
            )
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
        share: Scope | None = None,
    ) -> Plan:
        """A recursive query; its outer references read the outer row from ``share``'s
        cell (as _plan_ctes' queries)."""
        inner = body.args.get("with_")  # WITH ... a UNION b: a WITH of both terms
        if inner is not None:
            self.ctes.append(self._plan_ctes(inner, outer))
        try:
            return self._recursive_terms(name, cte, body, outer, out, share)
        finally:
            if inner is not None:
                self.ctes.pop()

    def _recursive_terms(
        self,
        name: str,
        cte: exp.CTE,
        body: exp.Union,
        outer: Scope | None,
        out: dict[str, tuple[Plan, int]],
        share: Scope | None,
    ) -> Plan:
        anchor = self._rename(self.plan_query(body.this, outer, share), cte)
        work = WorkTable()
        wscope = Scope([ScopeColumn(name, c.name, c.type) for c in anchor.columns])
        working = WorkTableScan(wscope, work, f"WorkTable Scan on {name}")
        out[name] = (Plan(working, anchor.columns, Scope([])), -1)
        step = self.plan_query(body.expression, outer, share)
        for i, (a, b) in enumerate(zip(anchor.columns, step.columns, strict=False)):
            if (
                b.type != a.type
                and b.type.name != "unknown"
                and (b.type.name == a.type.name or unify([a.type, b.type]) != a.type)
            ):
                overall = unify([a.type, b.type])
                if overall.name == a.type.name:
                    overall = T.type_by_name(a.type.name) or overall  # modifiers differ
                raise DatatypeMismatch(
                    f'recursive query "{name}" column {i + 1} has type {a.type.display()} in '
                    f"non-recursive term but type {overall.display()} overall",
                    hint="Cast the output of the non-recursive term to the correct type.",
                )
        distinct = bool(body.args.get("distinct"))
        if distinct and any(c.type.name == "money" for c in anchor.columns):
            # PostgreSQL's recursive UNION hashes its rows: money has no hash function
            raise FeatureNotSupported("could not implement recursive UNION")
        node = RecursiveUnion(Scope(list(anchor.columns)), anchor.node, step.node, work,
                              distinct, f"Recursive Union ({name})")  # fmt: skip
        return Plan(node, anchor.columns, Scope([]))

    # FROM

    def _from_item(self, item: exp.Expr, outer: Scope | None, share: Scope | None = None) -> Node:
        """A FROM item; a derived table in it reads the outer row from ``share``'s cell (the
        query it is part of: plan_query)."""
        joins = item.args.get("joins")
        if joins and _joins_a_leaf(item):  # "a JOIN b ON ..." nested as one side of a join
            bare = item.copy()
            bare.set("joins", None)
            node = self._from_item(bare, outer, share)
            for join in joins:
                node = self._join(node, join, outer, share)
            return node
        node = self._from_item_as_named(item, outer, share)
        alias = item.args.get("alias")
        if (
            isinstance(item, exp.Table)
            and isinstance(alias, exp.TableAlias)
            and alias.columns
            and not _names_its_columns(item.this)
        ):
            return _renamed(node, alias.name or item.name, [c.name for c in alias.columns])
        return node

    def _from_item_as_named(self, item: exp.Expr, outer: Scope | None, share: Scope | None) -> Node:
        alias = item.alias or None
        if isinstance(item, exp.Table):
            if isinstance(item.this, exp.Anonymous | exp.Func) and not isinstance(
                item.this, exp.Identifier
            ):
                if item.args.get("ordinality") and not isinstance(item.this, exp.Unnest):
                    return self._with_ordinality(item, alias, outer, share=share)
                return self._function_scan(item.this, alias, outer, item, share=share)
            name = item.name
            schema = temp.check_access(self.session, item.db or None)
            if schema is None:
                for frame in reversed(self.ctes):
                    if name in frame:
                        plan, cid = frame[name]
                        if plan.correlated and share is not None:
                            # It reads an outer row: so does the query reading it, whose
                            # result must not be kept for the next one.
                            share.correlated[0] = True
                        return self._cte_scan(plan, cid, alias or name)
            if schema in ("pg_catalog", "information_schema") or (
                schema is None
                and self.catalog.find(name, None, self.session.search_path()) is None
                and _is_system_relation(name)
            ):
                return self._system_scan(name, schema, alias)
            found = self.catalog.find(name, schema, self.session.search_path())
            if found is not None and self.check_privileges and found.id not in self.checked:
                privileges.require(self.session, found, "r", [])
            if found is not None and found.kind == "view":
                return views.scan(self, found, alias)
            if found is not None and found.kind == "sequence":
                return self._sequence_scan(found, alias)
            if found is not None and not found.populated:  # REFRESH ... WITH NO DATA
                raise ObjectNotInPrerequisiteState(
                    f'materialized view "{found.name}" has not been populated',
                    hint="Use the REFRESH MATERIALIZED VIEW command.",
                )
            table = self.catalog.table(name, schema, self.session.search_path())
            if not item.args.get("only") and self.catalog.children(table):
                node = inheritance.scan(self.db, self.catalog, table, alias)
                return self._row_security(node, table, alias)
            codec = RowCodec(self.db, table)
            lo = codec.prefix
            scan = TableScan(codec, table_scope(table, alias), lo, prefix_end(lo))
            read: Node = inheritance.with_tableoid(scan, table) if _reads_tableoid(item) else scan
            return self._row_security(read, table, alias)
        if isinstance(item, exp.Lateral):  # first in FROM: nothing to its left to read
            inner = item.this
            if isinstance(inner, exp.Subquery | exp.Query):
                sub = (
                    inner if isinstance(inner, exp.Subquery) else exp.Subquery(this=inner)
                ).copy()
                if item.args.get("alias") is not None:
                    sub.set("alias", item.args["alias"].copy())
                return self._from_item(sub, outer)
            return self._function_scan(inner, alias, outer)
        if _is_join_tree(item):
            assert isinstance(item, exp.Subquery)
            return self._join_as_table(item, outer)
        if isinstance(item, exp.Subquery):
            plan = self.plan_query(item.this, outer, share)
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
            scope = Scope([], outer=outer)
            if share is not None:  # its outer references read the query's outer row
                scope.outer_cell, scope.correlated = share.outer_cell, share.correlated
            return self._values(item, scope, alias)
        if isinstance(item, exp.Unnest):
            return self._unnest_scan(item, outer, None, share)
        raise FeatureNotSupported(f"FROM item {item.sql(dialect='postgres')} is not supported")

    def _join_as_table(self, item: exp.Subquery, outer: Scope | None) -> Node:
        """A parenthesised join used as a FROM item. With an alias its visible columns are
        the alias's (renamed by its column list) and the tables inside are hidden."""
        inner = item.this
        node = self._from_item(inner, outer)  # with the joins nested in it (_joins_a_leaf)
        if not _joins_a_leaf(inner):
            for join in inner.args.get("joins") or []:
                node = self._join(node, join, outer)
        for join in item.args.get("joins") or []:
            node = self._join(node, join, outer)
        alias = item.args.get("alias")
        if alias is None or not alias.name:
            return node
        names = [c.name for c in alias.columns or []]
        cols, k = [], 0
        for c in node.scope.columns:
            if c.hidden or c.qualified_only:
                cols.append(dataclasses.replace(c, table=None, qualified_only=True))
                continue
            cols.append(ScopeColumn(alias.name, names[k] if k < len(names) else c.name, c.type))
            k += 1
        if len(names) > k:
            raise InvalidColumnReference(
                f'table "{alias.name}" has {k} columns available but {len(names)} columns specified'
            )
        keep: list[Callable[[Row], Any]] = [operator.itemgetter(i) for i in range(len(cols))]
        return Project(node, keep, Scope(cols))

    def _system_scan(self, name: str, schema: str | None, alias: str | None) -> Node:
        cols, source = system_relation(self.session, name, schema)
        label = alias or name
        scope = Scope([ScopeColumn(label, col, ty, hidden=col == "tableoid") for col, ty in cols])
        shown = f"Seq Scan on {name}" + (f" {alias}" if alias and alias != name else "")
        return Materialized(scope, source, shown)  # a relation to PostgreSQL: its EXPLAIN's

    def _sequence_scan(self, seq: TableDef, alias: str | None) -> Node:
        """A sequence read as a relation: its one row (last_value, log_cnt, is_called)."""
        label = alias or seq.name
        scope = Scope([ScopeColumn(label, "last_value", T.INT8),
                       ScopeColumn(label, "log_cnt", T.INT8),
                       ScopeColumn(label, "is_called", T.BOOL)])  # fmt: skip
        sequences = self.session.database.sequences
        return Materialized(scope, lambda: [sequences.state(seq)], f"Seq Scan on {label}")

    def _cte_scan(self, plan: Plan, cid: int, alias: str) -> Node:
        scope = Scope([ScopeColumn(alias, c.name, c.type) for c in plan.columns])
        if cid < 0:  # the recursive working table
            assert isinstance(plan.node, WorkTableScan)
            return WorkTableScan(scope, plan.node.work, f"WorkTable Scan on {alias}")
        if isinstance(plan.node, Materialized) and plan.node.writes and not plan.columns:
            raise FeatureNotSupported(f'WITH query "{alias}" does not have a RETURNING clause')
        if _reads_work_table(plan.node):  # its rows change each round: read it anew
            return Project(plan.node, [operator.itemgetter(i) for i in range(len(scope.columns))],
                           scope)  # fmt: skip
        return CteScan(scope, plan, cid, f"CTE Scan on {alias}")

    def _function_scan(
        self,
        fn: exp.Expr,
        alias: str | None,
        outer: Scope | None,
        item: exp.Expr | None = None,
        cell: list[Any] | None = None,
        share: Scope | None = None,
    ) -> Node:
        """A function in FROM (``item``: its FROM item, for column aliases); its arguments
        read the outer row from ``cell`` (LATERAL), or in a subquery from the query's outer
        row (``share``: the query's scope, marked correlated when they do)."""
        if isinstance(fn, exp.Unnest):
            return self._unnest_scan(fn, outer, cell, share)
        name = (str(fn.this) if isinstance(fn, exp.Anonymous) else type(fn).__name__).lower()
        if name in jsonb.RECORD_SRFS and isinstance(fn, exp.Anonymous):
            return self._json_records(name, fn, alias, outer, item, share)
        if (name in jsonb.SRFS or name in hstore.SRFS) and isinstance(fn, exp.Anonymous):
            comp = self.compiler(_args_scope(outer, cell, share))
            compile_set = hstore.compile_set if name in hstore.SRFS else jsonb.compile_set
            rows, cols = compile_set(comp, name, list(fn.expressions))
            given = item.args.get("alias") if item is not None else None
            renames = [c.name for c in given.columns] if given and given.columns else []
            if len(renames) > len(cols):
                raise SyntaxError_(  # PostgreSQL: 42601 too
                    f'table "{alias}" has {len(cols)} columns available but '
                    f"{len(renames)} columns specified"
                )
            label = alias or name
            names = [c for c, _ in cols]
            if len(cols) == 1 and alias and names[0] == name:
                names = [alias]  # a function of a base type: the column is named as the alias
            names[: len(renames)] = renames
            scope = Scope([ScopeColumn(label, n, t) for n, (_, t) in zip(names, cols, strict=True)])
            return Materialized(scope, lambda: rows(()), f"Function Scan on {name}")
        if name in inheritance.TREE_FUNCTIONS and isinstance(fn, exp.Anonymous):
            comp = self.compiler(_args_scope(outer, cell, share))
            arg = comp.compile(fn.expressions[0]) if fn.expressions else None
            if arg is None or len(fn.expressions) != 1:
                raise UndefinedFunction(f"function {name}() does not exist")
            cols, tree_rows = inheritance.tree_function(self.session, name, arg.fn)
            label = alias or name
            return Materialized(Scope([ScopeColumn(label, n, t) for n, t in cols]), tree_rows,
                                f"Function Scan on {name}")  # fmt: skip
        if name == "pg_options_to_table" and isinstance(fn, exp.Anonymous):
            args_scope = _args_scope(outer, cell, share)
            if len(fn.expressions) != 1:
                raise UndefinedFunction(f"function {name}() does not exist")
            options = self.compiler(args_scope).compile(fn.expressions[0]).fn
            label = alias or name
            scope = Scope([ScopeColumn(label, "option_name", T.TEXT),
                           ScopeColumn(label, "option_value", T.TEXT)])  # fmt: skip
            return Materialized(scope, lambda: _option_rows(options(())),
                                f"Function Scan on {name}")  # fmt: skip
        if name in ("generate_series", "explodinggenerateseries", "exploding_generate_series"):
            args_scope = _args_scope(outer, cell, share)
            comp = self.compiler(args_scope)
            if isinstance(fn, exp.Anonymous):
                raw = list(fn.expressions)
            else:
                raw = [fn.args.get(k) for k in ("start", "end", "step")]
            given = [a for a in raw if a is not None]
            args = [comp.compile(a) for a in given]
            bounds = unify([a.type for a in args[:2]])
            if len(args) == 3 and bounds.name in _SERIES_TIMES:
                # generate_series(timestamp[tz], timestamp[tz], interval)
                t = bounds
                args = [
                    coerce_to(args[0], t),
                    coerce_to(args[1], t),
                    coerce_to(args[2], T.INTERVAL),
                ]
            else:
                t = unify([a.type for a in args])
                if t.name in ("unknown",) or t.name == "smallint":
                    t = T.INT4
                # generate_series(0, $1): the parameter takes the series' type
                args = [
                    coerce_to(comp._typed_like(e, a, t), t)
                    for e, a in zip(given, args, strict=True)
                ]
            label, col = _one_column_names(alias, "generate_series", item)
            return SeriesScan(Scope([ScopeColumn(label, col, t)]), args)
        if srf_name(fn) is not None:
            # Any other set-returning function: its values, computed when the scan runs.
            maker, rtype = compile_srf(self.compiler(_args_scope(outer, cell, share)), fn)
            label, col = _one_column_names(alias, name, item)
            return Materialized(
                Scope([ScopeColumn(label, col, rtype)]),
                lambda: [(v,) for v in maker(())],
                f"Function Scan on {name}",
            )
        given = item.args.get("alias") if item is not None else None
        defs = [c for c in given.columns if isinstance(c, exp.ColumnDef)] if given else []
        defined = [(d.name, datatype_to_sql(d.args["kind"])) for d in defs if d.args.get("kind")]
        user = routine_call.from_item(
            self.compiler(_args_scope(outer, cell, share)), fn, defined or None
        )
        if user is not None:
            cols, user_rows = user
            names = [c for c, _ in cols]
            if len(cols) == 1 and alias:
                names = [alias]
            renames = [c.name for c in given.columns] if given and given.columns else []
            if len(renames) > len(cols):
                raise SyntaxError_(
                    f'table "{alias}" has {len(cols)} columns available but '
                    f"{len(renames)} columns specified"
                )
            names[: len(renames)] = renames
            label = alias or name
            scope = Scope([ScopeColumn(label, n, t) for n, (_, t) in zip(names, cols, strict=True)])
            return Materialized(scope, user_rows, f"Function Scan on {name}")
        if isinstance(fn, exp.Anonymous) and not defs:
            # a scalar function in FROM: one row of its value (42883 for no such function)
            value = self.compiler(_args_scope(outer, cell, share)).compile(fn)
            label, col = _one_column_names(alias, name, item)
            return Materialized(
                Scope([ScopeColumn(label, col, value.type)]),
                lambda: [(value.fn(()),)],
                f"Function Scan on {name}",
            )
        raise FeatureNotSupported(f"function {name} in FROM is not supported")

    def _with_ordinality(
        self,
        item: exp.Table,
        alias: str | None,
        outer: Scope | None,
        cell: list[Any] | None = None,
        share: Scope | None = None,
    ) -> Node:
        """``f(...) WITH ORDINALITY [AS a(c1, ..., n)]``: the function's rows, each with its
        position (bigint, from 1) last; the alias's column list names the function's columns
        and then the position."""
        given = item.args.get("alias")
        names = [c.name for c in given.columns] if given is not None and given.columns else []
        bare = item.copy()
        if bare.args.get("alias") is not None:
            bare.args["alias"].set("columns", [])
        fn = bare.this
        node = self._function_scan(fn, alias, outer, bare, cell, share=share)
        if isinstance(node, SeriesScan):  # generate_series: its values as any SRF's
            maker, _ = compile_srf(self.compiler(_args_scope(outer, cell, share)), fn)
            node = Materialized(node.scope, lambda: [(v,) for v in maker(())], "")
        if not isinstance(node, Materialized):
            raise FeatureNotSupported(f"WITH ORDINALITY on {fn.sql(dialect='postgres')} is "
                                      "not supported")  # fmt: skip
        cols = node.scope.columns
        label = cols[0].table if cols else alias
        if len(names) > len(cols) + 1:
            raise InvalidColumnReference(
                f'table "{label}" has {len(cols) + 1} columns available but '
                f"{len(names)} columns specified"
            )
        out = [c.name for c in cols] + ["ordinality"]
        out[: len(names)] = names
        types = [c.type for c in cols] + [T.INT8]
        source = node.source
        return Materialized(
            Scope([ScopeColumn(label, n, t) for n, t in zip(out, types, strict=True)]),
            lambda: [(*row, n) for n, row in enumerate(source(), 1)],
            node.label or "Function Scan",
        )

    def _unnest_scan(
        self,
        fn: exp.Unnest,
        outer: Scope | None,
        cell: list[Any] | None,
        share: Scope | None = None,
    ) -> Node:
        """unnest(array, ...) in FROM: the arrays' elements side by side (a multidimensional
        one's in storage order), shorter ones padded with NULLs; WITH ORDINALITY adds their
        position. Its alias names the row and, with a column list, the columns."""
        args_scope = _args_scope(outer, cell, share)
        comp = self.compiler(args_scope)
        arrays = [comp.compile(a) for a in fn.expressions]
        for a in arrays:
            if a.type.element is None and not a.type.is_multirange:
                shown = ", ".join(x.type.display() for x in arrays)
                raise UndefinedFunction(f"function unnest({shown}) does not exist")
        alias = fn.args.get("alias")
        label = alias.name if alias is not None and alias.name else "unnest"
        names = ["unnest"] * len(arrays)
        if len(arrays) == 1 and alias is not None and alias.name:
            names = [alias.name]  # a function of a base type: the column is named as the alias
        ordinality = fn.args.get("offset")
        if ordinality:
            names.append(ordinality.name if isinstance(ordinality, exp.Expr) else "ordinality")
        given = [c.name for c in (alias.columns if alias is not None else None) or []]
        if len(given) > len(names):
            raise SyntaxError_(
                f'table "{label}" has {len(names)} columns available but '
                f"{len(given)} columns specified"
            )
        names[: len(given)] = given
        elems = [a.type.element or a.type.subtype or T.TEXT for a in arrays]
        types = elems + ([T.INT8] if ordinality else [])
        fns = [a.fn for a in arrays]

        def items(v: Any, t: SqlType) -> list[Any]:
            if isinstance(v, ranges.Multirange):  # unnest(anymultirange): its ranges
                return list(v.ranges)
            return flatten(v or [], t)

        def rows() -> list[Row]:
            columns = [items(f(()), t) for f, t in zip(fns, elems, strict=True)]
            out = list(itertools.zip_longest(*columns))
            if ordinality:
                out = [(*row, n) for n, row in enumerate(out, 1)]
            return out

        scope = Scope([ScopeColumn(label, n, t) for n, t in zip(names, types, strict=True)])
        return Materialized(scope, rows, "Function Scan on unnest")

    def _json_records(
        self,
        name: str,
        fn: exp.Anonymous,
        alias: str | None,
        outer: Scope | None,
        item: exp.Expr | None,
        share: Scope | None = None,
    ) -> Node:
        """json(b)_to_record(set) with a column definition list, json(b)_populate_record(set)
        of NULL::<a table's row type>."""
        given = item.args.get("alias") if item is not None else None
        defaults: exp.Expr | None = None  # populate_record's base record, when not NULL
        defs = [c for c in given.columns if isinstance(c, exp.ColumnDef)] if given else []
        args = list(fn.expressions)
        if "populate" in name:
            if len(args) != 2:
                raise UndefinedFunction(f"function {name}() does not exist")
            base = args[0]
            to = base.to if isinstance(base, exp.Cast) else None
            type_name = (
                (to.args.get("kind") or to).name
                if to is not None and to.this == exp.DataType.Type.USERDEFINED
                else ""
            )
            null_record = type_name == "record" and isinstance(base, exp.Cast)
            null_record = null_record and isinstance(base.this, exp.Null)
            if defs and not null_record:
                raise DatatypeMismatch(
                    "function return row and query-specified return row do not match"
                )
            if not isinstance(base, exp.Cast) or to is None:
                raise FeatureNotSupported(f"{name} of a base record other than <value>::<type> "
                                          "is not supported")  # fmt: skip
            if not isinstance(base.this, exp.Null):
                defaults = base
            if not type_name:
                raise FeatureNotSupported(f"{name} of a {to.sql()} record is not supported")
        if "populate" in name and type_name == "record":
            if not defs:
                raise SyntaxError_(
                    'a column definition list is required for functions returning "record"'
                )
            cols = [(d.name, datatype_to_sql(d.args["kind"])) for d in defs]
            doc_arg = args[1]
        elif "populate" in name:
            table = self.catalog.find(type_name, None, self.session.search_path())
            if table is not None and table.kind == "table":
                cols = [(c.name, c.type) for c in table.live_columns]
            else:
                row_type = T.type_by_name(type_name)  # a composite type, or a domain over one
                if row_type is None or not row_type.fields:
                    raise UndefinedObject(f'type "{type_name}" does not exist')
                cols = list(row_type.fields)
            doc_arg = args[1]
        else:
            if len(args) != 1:
                raise UndefinedFunction(f"function {name}() does not exist")
            if not defs:
                raise SyntaxError_(
                    'a column definition list is required for functions returning "record"'
                )
            cols = [(d.name, datatype_to_sql(d.args["kind"])) for d in defs]
            doc_arg = args[0]
        comp = self.compiler(_args_scope(outer, None, share))
        rows = jsonb.compile_records(comp, name, doc_arg, cols, defaults)
        label = alias or name
        scope = Scope([ScopeColumn(label, n, t) for n, t in cols])
        return Materialized(scope, lambda: rows(()), f"Function Scan on {name}")

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

    def _join(
        self, left: Node, join: exp.Join, outer: Scope | None, share: Scope | None = None
    ) -> Node:
        side = (join.side or "").lower()
        kind = side if side in ("left", "right", "full") else "inner"
        if (join.kind or "").upper() == "CROSS":
            kind = "cross"
        item = join.this
        if isinstance(item, exp.Unnest) and item.find(exp.Column) is not None:
            # unnest(t.arr) reads the items to its left: LATERAL without the word
            join = join.copy()
            join.set("this", exp.Lateral(this=item.copy(), alias=item.args.get("alias")))
        elif (
            isinstance(item, exp.Table)
            and isinstance(item.this, exp.Func)
            and item.this.find(exp.Column) is not None
        ):  # a function in FROM reads the items to its left: LATERAL without the word
            # (WITH ORDINALITY keeps its FROM item, which says so)
            fn = item.copy() if item.args.get("ordinality") else item.this.copy()
            lateral = exp.Lateral(this=fn, alias=item.args.get("alias"))
            join = join.copy()
            join.set("this", lateral)
        if isinstance(join.this, exp.Lateral):
            return self._lateral(left, join, kind, outer)
        right = self._from_item(join.this, outer, share)
        on = join.args.get("on")
        names = [i.name for i in join.args.get("using") or []]
        using_alias = None
        if names and names[-1].startswith(USING_ALIAS):  # USING (...) AS j (sql.lexer)
            using_alias = names.pop()[len(USING_ALIAS) :].lower()
        if (join.method or "").upper() == "NATURAL":
            theirs = {c.name for c in _visible(right.scope)}
            names = [c.name for c in _visible(left.scope) if c.name in theirs]
            kind = "cross" if not names and kind == "inner" else kind
        if not names:
            scope = Scope(left.scope.columns + right.scope.columns, outer=outer)
            joined = optimize(Join(left, right, kind, on, scope), self)
            return join_removal.remove_if_useless(joined, join, left, right)
        # USING: each side's column of a name is labelled so the condition names it alone.
        sides = []
        for node, label in ((left, "?left"), (right, "?right")):
            cols = list(node.scope.columns)
            at = []
            for col in names:
                hits = [i for i, c in enumerate(cols) if c.name == col and not c.qualified_only]
                if not hits:
                    side = "left" if label == "?left" else "right"
                    raise UndefinedColumn(
                        f'column "{col}" specified in USING clause does not exist in {side} table'
                    )
                if len(hits) > 1:
                    raise AmbiguousColumn(
                        f'common column name "{col}" appears more than once in '
                        f"{'left' if label == '?left' else 'right'} table"
                    )
                at.append(hits[0])
            sides.append(at)
        lcols, rcols = left.scope.columns, right.scope.columns
        labelled = [ScopeColumn(f"?l{i}", c.name, c.type) if i in sides[0] else c
                    for i, c in enumerate(lcols)]  # fmt: skip
        labelled += [ScopeColumn(f"?r{i}", c.name, c.type) if i in sides[1] else c
                     for i, c in enumerate(rcols)]  # fmt: skip
        on = and_all([exp.EQ(this=exp.column(n, f"?l{li}"), expression=exp.column(n, f"?r{ri}"))
                      for n, li, ri in zip(names, sides[0], sides[1], strict=True)])  # fmt: skip
        joined = optimize(Join(left, right, kind, on, Scope(labelled, outer=outer)), self)
        return self._merge_using(joined, lcols + rcols, names, sides, len(lcols), kind,
                                 using_alias)  # fmt: skip

    def _lateral(self, left: Node, join: exp.Join, kind: str, outer: Scope | None) -> Node:
        """``left JOIN LATERAL item``: the item planned with the left row as its outer row
        (sql.plan.nodes.LateralJoin)."""
        if kind in ("right", "full"):
            raise InvalidColumnReference(
                "The combining JOIN type must be INNER or LEFT for a LATERAL reference."
            )
        lateral = join.this
        left_scope = Scope(list(left.scope.columns), outer=outer)
        item = lateral.this
        alias = lateral.args.get("alias")
        if isinstance(item, exp.Subquery | exp.Query):
            sub = item if isinstance(item, exp.Subquery) else exp.Subquery(this=item)
            sub = sub.copy()
            if alias is not None:
                sub.set("alias", alias.copy())
            right = self._from_item(sub, left_scope)
            assert isinstance(right, SubqueryScan)
            plan = Plan(right, right.scope.columns, right.plan.scope)
        elif isinstance(item, exp.Table):  # f(...) WITH ORDINALITY
            cell: list[Any] = [None]
            right = self._with_ordinality(item, alias.name if alias else None, left_scope, cell)
            plan = Plan(right, right.scope.columns, Scope([], outer=left_scope, outer_cell=cell))
        else:
            cell = [None]
            if isinstance(item, exp.Unnest) and alias is not None and not item.args.get("alias"):
                item = item.copy()  # JOIN LATERAL unnest(...) AS k(x): the alias is the scan's
                item.set("alias", alias.copy())
            right = self._function_scan(
                item, alias.name if alias else None, left_scope, item=lateral, cell=cell
            )
            plan = Plan(right, right.scope.columns, Scope([], outer=left_scope, outer_cell=cell))
        plan.run_txn = self.session.current_txn
        scope = Scope(left.scope.columns + right.scope.columns, outer=outer)
        on = join.args.get("on")
        cond = self.compiler(scope)._bool(on) if on is not None else None
        return LateralJoin(left, plan, "left" if kind == "left" else "inner", cond, scope)

    def _merge_using(
        self,
        joined: Node,
        original: list[ScopeColumn],
        names: list[str],
        sides: list[list[int]],
        width: int,
        kind: str,
        alias: str | None,
    ) -> Node:
        """A USING join's rows as PostgreSQL shows them: one column per USING name first
        (the left value, the right one for RIGHT JOIN, COALESCE of both for FULL JOIN, in
        the two sides' common type), then every column of both sides; a side's own column
        of a USING name resolves only qualified (``a.x``)."""
        cols = joined.scope.columns
        fns: list[Callable[[Row], Any]] = []
        merged = []
        table = alias
        for name, li, ri in zip(names, sides[0], sides[1], strict=True):
            lt, rt = cols[li].type, cols[width + ri].type
            t = unify([lt, rt])
            lf = coerce_to(Typed(operator.itemgetter(li), lt), t).fn
            rf = coerce_to(Typed(operator.itemgetter(width + ri), rt), t).fn
            if kind == "full":
                fns.append(_coalesce(lf, rf))
            else:
                fns.append(rf if kind == "right" else lf)
            merged.append(ScopeColumn(table, name, t))
        using_at = set(sides[0]) | {width + i for i in sides[1]}
        rest = [dataclasses.replace(c, qualified_only=True) if i in using_at else c
                for i, c in enumerate(original)]  # fmt: skip
        fns += [operator.itemgetter(i) for i in range(len(cols))]
        return Project(joined, fns, Scope(merged + rest))

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
            node = self._from_item(without_unused_outputs(from_.this, q), outer, scope)
            for join in q.args.get("joins") or []:
                node = self._join(node, join, outer, scope)
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
        parts = [*exprs, *([having.this] if having is not None else [])]
        parts += [o.this for o in order.expressions] if order is not None else []
        agg_calls = [a for e in parts for a in _find_aggs(e)]
        if self.ctx.outer_aggs:  # the enclosing query computes these
            theirs = self.ctx.outer_aggs
            agg_calls = [a for a in agg_calls if a.sql(dialect="postgres") not in theirs]
        path = self.session.search_path()
        claimed = [
            a
            for e in parts
            for a in outer_aggregates.claimed(e, base, self.catalog, path, _find_aggs)
        ]
        self._claimed.update(a.sql(dialect="postgres") for a in claimed)
        agg_calls += claimed
        post_scope = base
        if agg_calls or group is not None or having is not None:
            if not agg_calls and group is None:
                # HAVING alone makes one group that reads nothing of its input: as in
                # PostgreSQL, the FROM and WHERE are not run (no error from them).
                node = Limit(node, Typed(lambda _r: 0, T.INT8, True), None)
            node, post_scope = self._aggregate(
                node, base, exprs, agg_calls, group, self._base_tables(q)
            )
            if having is not None:
                pred = self.compiler(post_scope)._bool(having.this)
                node = Filter(node, pred, having.this.sql(dialect="postgres"))
        windows = [w for e in exprs for w in _find_windows(e)]
        if order is not None:
            windows += [w for o in order.expressions for w in _find_windows(o.this)]
        named = q.args.get("windows") or []
        if windows or named:
            sorted_first = _sort_group_exprs(q, exprs)
            node, post_scope = self._window(node, post_scope, windows, named, sorted_first)
        srfs = [s for e in exprs for s in _find_srfs(e, self.session)]
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
                key_type = out_cols[idx].type if idx < len(out_cols) else t.type
                if not T.has_btree(key_type):
                    raise UndefinedFunction(
                        f"could not identify an ordering operator for type {key_type.display()}"
                    )
                desc = bool(o.args.get("desc"))
                nf = o.args.get("nulls_first")
                nulls_first = desc if nf is None else bool(nf)
                keys.append(SortKey(idx, desc, nulls_first))
                target = exprs[idx] if idx < len(exprs) else o.this
                target = target.this if isinstance(target, exp.Alias) else target
                texts.append(target.sql(dialect="postgres") + (" DESC" if desc else ""))
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
        passes = _slots_passed(exprs, self.ctx)
        computes = [e.this if isinstance(e, exp.Alias) else e for e in exprs]
        node = Project(node, fns, Scope(out_cols + hidden), passes, computes)
        if distinct and not on_keys:
            for col in out_cols:
                if not T.has_btree(col.type):
                    raise UndefinedFunction(
                        f"could not identify an equality operator for type {col.type.display()}"
                    )
            node = Distinct(node, width)
        if keys:
            node = Sort(node, keys, ", ".join(texts))
        if on_keys:
            node = DistinctOn(node, on_keys)
        node = self._limit(node, q, keys, scope)
        if len(fns) > width:
            node = Project(node, [operator.itemgetter(i) for i in range(width)], Scope(out_cols))
        return node, out_cols

    def _limit(self, node: Node, q: exp.Expr, keys: list[SortKey] | None, scope: Scope) -> Node:
        """``node`` under the query's LIMIT / FETCH FIRST and OFFSET (bigint), if it has
        any; ``keys``: its ORDER BY, which FETCH FIRST ... WITH TIES extends over. The counts
        read no column of the query's own FROM, but may read enclosing queries' (``scope``'s
        outer levels), evaluated per outer row."""
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if limit is None and offset is None:
            return node
        const = self.compiler(
            Scope([], outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated)
        )

        def count_of(e: exp.Expr) -> Typed:  # LIMIT $1: the parameter is a bigint
            return coerce_to(const._typed_like(e, const.compile(e), T.INT8), T.INT8)

        ties = None
        if isinstance(limit, exp.Fetch):
            options = limit.args.get("limit_options")
            if options is not None and options.args.get("percent"):
                raise SyntaxError_('syntax error at or near "PERCENT"')
            count = limit.args.get("count") or exp.Literal.number(1)
            lim: Typed | None = count_of(count)
            if options is not None and options.args.get("with_ties"):
                if isinstance(count, exp.Null):  # a NULL expression means no limit
                    raise InvalidRowCountInLimitClause(
                        "row count cannot be null in FETCH FIRST ... WITH TIES clause"
                    )
                if not keys:
                    raise SyntaxError_("WITH TIES cannot be specified without ORDER BY clause")
                if any(lock.args.get("wait") is False for lock in q.args.get("locks") or []):
                    raise SyntaxError_("SKIP LOCKED and WITH TIES options cannot be used together")
                ties = keys
        elif limit is not None and not _is_all(limit.expression):
            lim = count_of(limit.expression)
        else:  # LIMIT ALL: no limit
            lim = None
        off = count_of(offset.expression) if offset is not None else None
        return Limit(node, lim, off, ties)

    def _expand_stars(self, exprs: list[exp.Expr], scope: Scope) -> list[exp.Expr]:
        out: list[exp.Expr] = []
        for e in exprs:
            if isinstance(e, exp.Star):
                if not scope.columns:
                    raise SyntaxError_("SELECT * with no tables specified is not valid")
                out += [_star_column(scope, c) for c in _visible(scope)]
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                table = e.table
                cols = [c for c in scope.columns if c.table == table and not c.hidden]
                if not cols:
                    raise UndefinedTable(f'missing FROM-clause entry for table "{table}"')
                out += [_star_column(scope, c) for c in cols]
            elif (
                isinstance(e, exp.Dot)
                and isinstance(e.expression, exp.Star)
                and isinstance(e.this, exp.Paren | exp.Bracket)
            ):  # (x).*: a composite value's fields
                inner = self.compiler(scope).compile(e.this).type
                fields = inner.fields
                if fields is None:
                    raise WrongObjectType(f"type {inner.display()} is not composite")
                out += [
                    exp.Dot(this=e.this.copy(), expression=exp.to_identifier(name))
                    for name, _ in fields
                ]
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
            # An output column's name wins over an input column's (SQL92 ORDER BY); two
            # different outputs of that name are ambiguous.
            hits = [i for i, c in enumerate(cols) if c.name == e.name]
            shapes = {
                (x.this if isinstance(x, exp.Alias) else x).sql(dialect="postgres")
                for x in (exprs[i] for i in hits if i < len(exprs))
            }
            if len(shapes) > 1:
                raise AmbiguousColumn(f'ORDER BY "{e.name}" is ambiguous')
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
        tables: dict[str, TableDef] | None = None,
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
        shown = len(group_exprs)  # EXPLAIN's Group Key
        group_exprs += _dependent_columns(group_exprs, scope, tables or {})
        keys = [comp.compile(g) for g in group_exprs]
        slots: dict[str, tuple[int, SqlType]] = {}
        gslots: dict[str, tuple[int, SqlType]] = {}
        cols = []

        def resolved(e: exp.Expr) -> str:
            return _resolved_text(e, scope)

        for i, (g, k) in enumerate(zip(group_exprs, keys, strict=True)):
            gslots[g.sql(dialect="postgres")] = (i, k.type)
            gslots.setdefault(resolved(g), (i, k.type))
            if isinstance(g, exp.Column):
                gslots[g.name] = (i, k.type)
            cols.append(ScopeColumn(None, expr_name(g), k.type))
        specs: list[AggSpec] = []
        seen: dict[str, int] = {}
        _check_direct_args(calls, gslots, scope)
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
        self.ctx.group_text = resolved
        post = Scope(
            cols, outer=scope.outer, outer_cell=scope.outer_cell, correlated=scope.correlated
        )
        # Column references after grouping must be grouped: the compiler checks group_slots.
        texts = [g.sql(dialect="postgres") for g in group_exprs[:shown]]
        node = Aggregate(node, keys, specs, post, group is not None, texts)
        return node, _PostAggScope(post, scope)

    def _base_tables(self, q: exp.Select) -> dict[str, TableDef]:
        """The plain tables ``q``'s FROM and JOINs name directly, by the label their columns
        carry (not CTEs, views or partitioned parents)."""
        items = [q.args.get("from_") or q.args.get("from"), *(q.args.get("joins") or [])]
        out: dict[str, TableDef] = {}
        for item in items:
            t = item.this if isinstance(item, exp.From | exp.Join) else None
            if not isinstance(t, exp.Table) or not isinstance(t.this, exp.Identifier):
                continue
            if not t.db and any(t.name in frame for frame in self.ctes):
                continue
            found = self.catalog.find(t.name, t.db or None, self.session.search_path())
            if found is not None and found.kind == "table" and found.partkey is None:
                out[t.alias_or_name] = found
        return out

    def _agg_spec(self, call: exp.Expr, comp: Compiler, window: bool = False) -> AggSpec:
        """An aggregate call's spec; ``window`` for one under OVER, whose argument may hold
        the query's plain aggregates (``sum(sum(x)) OVER ()``)."""
        filt = filt_e = None
        if isinstance(call, exp.Filter):
            filt_e = (
                call.expression.this if isinstance(call.expression, exp.Where) else call.expression
            )
            filt = comp._bool(filt_e)
            call = call.this
        name = _agg_name(call) or "?"
        if isinstance(call, exp.WithinGroup):
            return self._ordered_set_spec(name, call, comp, filt)
        if name in jsonb.AGGREGATES:
            return self._json_agg_spec(name, call, comp, filt)
        if isinstance(call, exp.Anonymous) and name not in AGGREGATES:
            return self._user_agg_spec(name, call, comp, filt, filt_e)
        if name in moments.TWO_ARG or name in moments.ONE_ARG:
            return self._moments_spec(name, call, comp, filt)
        arg_e = call.this
        order_keys: list[tuple[Typed, bool, bool]] = []
        if isinstance(arg_e, exp.Order):
            order_keys = self._agg_order(arg_e, comp)
            arg_e = arg_e.this
        distinct = False
        if isinstance(arg_e, exp.Distinct):
            distinct = True
            arg_e = arg_e.expressions[0]
            ordering = call.this.expressions if isinstance(call.this, exp.Order) else []
            if any(o.this != arg_e for o in ordering):
                raise InvalidColumnReference(
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in "
                    "argument list"
                )
        sep = None
        if name == "string_agg":
            separator = call.args.get("separator")
            sep = comp.compile(separator) if separator is not None else None
        if isinstance(call, exp.Anonymous):
            args = call.expressions
            arg_e = args[0] if args else None
            if name == "string_agg" and len(args) > 1:
                sep = comp.compile(args[1])
            if isinstance(arg_e, exp.Order):  # bit_and(x ORDER BY ...), a plain call's
                order_keys = self._agg_order(arg_e, comp)
                arg_e = arg_e.this
            if isinstance(arg_e, exp.Distinct):  # bit_and(DISTINCT x)
                distinct, arg_e = True, arg_e.expressions[0]
        if name == "count" and (arg_e is None or isinstance(arg_e, exp.Star)):
            return AggSpec("count_star", None, False, T.INT8, filter=filt)
        if arg_e is None:
            raise FeatureNotSupported(f"aggregate {name} needs an argument")
        if not window and _find_aggs(arg_e):
            raise GroupingError("aggregate function calls cannot be nested")
        if _find_windows(arg_e):
            raise GroupingError("aggregate function calls cannot contain window function calls")
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
                "money": T.MONEY,
            }.get(t.name)  # type: ignore[assignment]
            if rtype is None:
                raise DatatypeMismatch(f"function sum({t.display()}) does not exist")
        elif name == "avg" and t.name == "interval":
            rtype = T.INTERVAL
        elif name == "avg":
            rtype = T.FLOAT8 if t.name in ("real", "double precision") else T.NUMERIC
            if t.name not in T.NUMERIC_RANK:
                raise DatatypeMismatch(f"function avg({t.display()}) does not exist")
        elif name in ("bool_and", "bool_or", "every"):
            name = "bool_and" if name == "every" else name
            rtype = T.BOOL
        elif name in ("bit_and", "bit_or", "bit_xor"):
            if t.name not in ("smallint", "integer", "bigint"):
                raise UndefinedFunction(f"function {name}({t.display()}) does not exist")
            rtype = t
        elif name == "array_agg":
            rtype = t.array_of()
        elif name in ("min", "max") and t.subtype is not None:  # ranges have no min/max
            raise UndefinedFunction(f"function {name}({t.display()}) does not exist")
        elif name in ("range_agg", "range_intersect_agg"):
            if t.subtype is None:
                raise UndefinedFunction(f"function {name}({t.display()}) does not exist")
            rtype = multirange_of(t) if name == "range_agg" and t.is_range else t
        elif name == "string_agg" and t.name == "bytea":
            rtype = T.BYTEA
            sep = coerce_to(sep, T.BYTEA) if sep is not None else None
        elif name == "string_agg":
            arg = coerce_to(arg, T.TEXT, explicit=True)
            rtype = T.TEXT
        else:
            rtype = t
        return AggSpec(name, arg, distinct, rtype, sep, filt, order_keys)

    def _ordered_set_spec(
        self, name: str, call: exp.WithinGroup, comp: Compiler, filt: Typed | None
    ) -> AggSpec:
        """An ordered-set aggregate (sql.executor.ordered_set): its argument is a row's
        (direct arguments, WITHIN GROUP keys), fed in key order."""
        inner = call.this
        assert isinstance(inner, exp.Anonymous) and isinstance(call.expression, exp.Order)
        direct_e = list(inner.expressions)
        if any(isinstance(a, exp.Order) for a in direct_e):
            raise SyntaxError_("cannot use multiple ORDER BY clauses with WITHIN GROUP")
        key_e = [o.this for o in call.expression.expressions]
        if any(_find_aggs(a) for a in direct_e + key_e):
            raise GroupingError("aggregate function calls cannot be nested")
        keys = self._agg_order(call.expression, comp)
        direct = [comp.compile(a) for a in direct_e]
        shown = ", ".join(x.type.display() for x in [*direct, *(k for k, _, _ in keys)])
        missing = UndefinedFunction(f"function {name}({shown}) does not exist")
        if name not in ordered_set.ORDERED_SET:
            raise missing
        if name in ordered_set.HYPOTHETICAL:
            if len(direct) != len(keys):
                raise missing
            typed = []
            for d, (k, _, _) in zip(direct, keys, strict=True):
                if d.type.name != "unknown" and unify([d.type, k.type]).category != k.type.category:
                    raise DatatypeMismatch(
                        f"WITHIN GROUP types {k.type.display()} and {d.type.display()} "
                        "cannot be matched"
                    )
                typed.append(coerce_to(d, k.type, explicit=d.type.name == "unknown"))
            direct = typed
            rtype = T.INT8 if name in ("rank", "dense_rank") else T.FLOAT8
        else:
            if len(keys) != 1 or len(direct) != (0 if name == "mode" else 1):
                raise missing
            key, desc, nf = keys[0]
            rtype = key.type
            if name == "percentile_cont":
                if key.type.name not in T.NUMERIC_RANK and key.type.name != "interval":
                    raise missing
                if key.type.name != "interval":
                    key, rtype = coerce_to(key, T.FLOAT8), T.FLOAT8
                keys = [(key, desc, nf)]
            if name != "mode":
                many = direct[0].type.element is not None
                direct = [coerce_to(direct[0], T.FLOAT8.array_of() if many else T.FLOAT8)]
                rtype = rtype.array_of() if many else rtype
        dfns = [d.fn for d in direct]
        kfns = [k.fn for k, _, _ in keys]

        def arg(r: Row) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
            return tuple(f(r) for f in dfns), tuple(f(r) for f in kfns)

        return AggSpec(name, Typed(arg, T.TEXT), False, rtype, None, filt, keys)

    def _user_agg_spec(
        self,
        name: str,
        call: exp.Anonymous,
        comp: Compiler,
        filt: Typed | None,
        filt_e: exp.Expr | None,
    ) -> AggSpec:
        """A call of a user aggregate (CREATE AGGREGATE), sql.plan.user_aggregates."""
        raw = list(call.expressions)
        order_keys: list[tuple[Typed, bool, bool]] = []
        if raw and isinstance(raw[-1], exp.Order):
            order_keys = self._agg_order(raw[-1], comp)
            raw[-1] = raw[-1].this
        distinct = bool(raw) and isinstance(raw[0], exp.Distinct)
        if distinct:
            raw[0:1] = raw[0].expressions
        if any(_find_aggs(a) for a in raw):
            raise GroupingError("aggregate function calls cannot be nested")
        args = [comp.compile(a) for a in raw]
        vol = user_aggregates.volatile(self.session, raw + ([filt_e] if filt_e else []))
        return user_aggregates.bind(self.ctx, name, args, distinct, filt, order_keys, vol)

    def _moments_spec(
        self, name: str, call: exp.Expr, comp: Compiler, filt: Typed | None
    ) -> AggSpec:
        """var_pop ... stddev_samp over one argument (float8 for real and float8, numeric
        for integers and numeric); regr_*, covar_*, corr over two float8 arguments, their
        argument a (y, x) pair that is NULL when either is."""
        raw = list(call.expressions) if isinstance(call, exp.Anonymous) else [call.this]
        order_keys: list[tuple[Typed, bool, bool]] = []
        if raw and isinstance(raw[-1], exp.Order):
            order_keys = self._agg_order(raw[-1], comp)
            raw[-1] = raw[-1].this
        distinct = bool(raw) and isinstance(raw[0], exp.Distinct)
        if distinct:
            raw[0:1] = raw[0].expressions
        if any(_find_aggs(a) for a in raw):
            raise GroupingError("aggregate function calls cannot be nested")
        args = [comp.compile(a) for a in raw]
        shown = ", ".join(a.type.display() for a in args)
        missing = UndefinedFunction(f"function {name}({shown}) does not exist")
        if name in moments.ONE_ARG:
            if len(args) != 1:
                raise missing
            t = args[0].type.name
            if t in ("real", "double precision"):
                return AggSpec(moments.ONE_ARG[name], coerce_to(args[0], T.FLOAT8), distinct,
                               T.FLOAT8, None, filt, order_keys)  # fmt: skip
            if t in ("smallint", "integer", "bigint", "numeric", "unknown"):
                return AggSpec(moments.ONE_ARG[name], coerce_to(args[0], T.NUMERIC), distinct,
                               T.NUMERIC, None, filt, order_keys)  # fmt: skip
            raise missing
        if len(args) != 2 or not all(
            a.type.name in T.NUMERIC_RANK or a.type.name == "unknown" for a in args
        ):
            raise missing
        fy, fx = (coerce_to(a, T.FLOAT8).fn for a in args)

        def pair(r: Row) -> tuple[float, float] | None:
            y, x = fy(r), fx(r)
            return None if y is None or x is None else (y, x)

        rtype = T.INT8 if name == "regr_count" else T.FLOAT8
        return AggSpec(name, Typed(pair, T.FLOAT8), distinct, rtype, None, filt, order_keys)

    @staticmethod
    def _agg_order(order: exp.Order, comp: Compiler) -> list[tuple[Typed, bool, bool]]:
        """An aggregate's ORDER BY: (key, descending, nulls first) each."""
        keys = []
        for o in order.expressions:
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            keys.append((comp.compile(o.this), desc, desc if nf is None else bool(nf)))
        return keys

    def _json_agg_spec(
        self, name: str, call: exp.Expr, comp: Compiler, filt: Typed | None
    ) -> AggSpec:
        """json_agg, jsonb_agg, json(b)_object_agg, however sqlglot spelled the call."""
        if isinstance(call, exp.Anonymous):
            raw = list(call.expressions)
        elif isinstance(call, exp.JSONBObjectAgg):
            raw = [call.this, call.expression]
        elif isinstance(call, exp.JSONObjectAgg):
            raw = list(call.expressions)
        else:
            raw = [call.this]
        order_keys: list[tuple[Typed, bool, bool]] = []
        if raw and isinstance(raw[-1], exp.Order):
            order_keys = self._agg_order(raw[-1], comp)
            raw[-1] = raw[-1].this
        distinct = bool(raw) and isinstance(raw[0], exp.Distinct)
        if distinct:
            raw[0] = raw[0].expressions[0]
        if any(_find_aggs(a) for a in raw):
            raise GroupingError("aggregate function calls cannot be nested")
        arg, rtype = jsonb.aggregate_input(name, [comp.compile(a) for a in raw])
        return AggSpec(name, arg, distinct, rtype, None, filt, order_keys)

    def _window(
        self,
        node: Node,
        scope: Scope,
        windows: list[exp.Window],
        named: list[exp.Window],
        sorted_first: list[exp.Expr],
    ) -> tuple[Node, Scope]:
        binder = Windows(
            named,
            sorted_first,
            self.compiler(scope),
            lambda call, comp: self._agg_spec(call, comp, window=True),
            lambda e: _agg_name(e) is not None,
        )
        if not windows:  # WINDOW definitions no call uses: checked, nothing to run
            return node, scope
        specs: list[WindowSpec] = []
        slots = dict(self.ctx.agg_slots or {})
        width = len(scope.columns)
        cols = list(scope.columns)
        for w in windows:
            text = w.sql(dialect="postgres")
            if text in slots:
                continue
            spec = binder.bind(w)
            slots[text] = (width + len(specs), spec.rtype)
            specs.append(spec)
            cols.append(ScopeColumn(None, spec.name, spec.rtype))
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
        for arm in (q.this, q.expression):
            for lock in arm.args.get("locks") or [] if isinstance(arm, exp.Select) else []:
                raise FeatureNotSupported(
                    f"{_lock_name(lock)} is not allowed with UNION/INTERSECT/EXCEPT"
                )
        left = self.plan_query(q.this, scope.outer, scope, arm=True)
        right = self.plan_query(q.expression, scope.outer, scope, arm=True)
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
        node = self._limit(node, q, keys if order is not None else None, scope)
        return node, cols


def _check_direct_args(
    calls: list[exp.Expr], gslots: dict[str, tuple[int, SqlType]], scope: Scope
) -> None:
    """An ordered-set aggregate's direct arguments are evaluated once per group: a column
    of this query in them must be grouped, alone or in a grouped expression (42803)."""

    def check(node: exp.Expr) -> None:
        text = node.sql(dialect="postgres")
        if text in gslots or f"({text})" in gslots or isinstance(node, exp.Select):
            return  # grouped, or a subquery (its outer references are the group's)
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            if not node.table and node.name in gslots:
                return
            if scope.resolve(node.name, node.table or None) is None:
                return  # an outer reference: one value per group
            shown = f"{node.table}.{node.name}" if node.table else node.name
            raise GroupingError(
                f'column "{shown}" must appear in the GROUP BY clause or be used in an '
                "aggregate function"
            )
        for child in node.iter_expressions():
            check(child)

    for call in calls:
        inner = call.this if isinstance(call, exp.Filter) else call
        if isinstance(inner, exp.WithinGroup) and isinstance(inner.this, exp.Anonymous):
            if any(isinstance(arg, exp.Order) for arg in inner.this.expressions):
                continue  # ORDER BY among the direct arguments: 42601 when the call is planned
            for arg in inner.this.expressions:
                check(arg)


_SERIES_TIMES = ("timestamp without time zone", "timestamp with time zone")


def _slots_passed(exprs: list[exp.Expr], ctx: Context) -> list[int | None] | None:
    """For each select-list expression, the window function's or aggregate's result
    column it is (``row_number() OVER w AS rn``), else None."""
    slots = ctx.agg_slots
    if not slots:
        return None
    out: list[int | None] = []
    for e in exprs:
        inner = e.this if isinstance(e, exp.Alias) else e
        hit = slots.get(inner.sql(dialect="postgres"))
        out.append(hit[0] if hit is not None else None)
    return out


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


def _reads_tableoid(item: exp.Expr) -> bool:
    """Whether the statement ``item`` is part of names the system column tableoid."""
    return any(c.name.lower() == inheritance.TABLEOID for c in item.root().find_all(exp.Column))


def _args_scope(outer: Scope | None, cell: list[Any] | None, share: Scope | None) -> Scope:
    """The scope a FROM function's arguments compile in: the LATERAL row's ``cell``, else the
    outer row of the subquery it is in (``share``), whose reading marks that query
    correlated (it is evaluated again for each outer row)."""
    scope = Scope([], outer=outer)
    if cell is not None:
        scope.outer_cell = cell
    elif share is not None:
        scope.outer_cell, scope.correlated = share.outer_cell, share.correlated
    return scope


def _option_rows(options: list[str] | None) -> list[Row]:
    """pg_options_to_table's rows: each ``name=value`` of a reloptions-style array split at
    its first ``=`` (a value is NULL where there is none)."""
    rows: list[Row] = []
    for opt in options or []:
        key, eq, value = opt.partition("=")
        rows.append((key, value if eq else None))
    return rows


def _is_system_relation(name: str) -> bool:
    return name in SYSTEM_RELATIONS


def _one_column_names(alias: str | None, name: str, item: exp.Expr | None) -> tuple[str, str]:
    """The range name and column name of a one-column function in FROM: ``f(...) g(c)`` is
    g.c, ``f(...) g`` g.g, ``f(...)`` f.f; more column aliases than columns is 42601."""
    given = item.args.get("alias") if item is not None else None
    renames = [c.name for c in given.columns] if given and given.columns else []
    if len(renames) > 1:
        raise InvalidColumnReference(f"too many column aliases specified for function {name}")
    return alias or name, renames[0] if renames else alias or name


def _resolved_text(e: exp.Expr, scope: Scope) -> str:
    """``e``'s text with each column it names replaced by its place in ``scope`` (columns
    that do not resolve there, outer or ambiguous ones, stay as written)."""

    def swap(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and isinstance(n.this, exp.Identifier):
            try:
                hit = scope.resolve(n.name, n.table or None)
            except SqlError:
                return n
            if hit is not None:
                return exp.var(f"#column{hit[0]}")
        return n

    return e.transform(swap).sql(dialect="postgres")


def _lock_name(lock: exp.Lock) -> str:
    """A locking clause as written: FOR [NO KEY] UPDATE, FOR [KEY] SHARE."""
    if lock.args.get("update"):
        return "FOR NO KEY UPDATE" if lock.args.get("key") else "FOR UPDATE"
    return "FOR KEY SHARE" if lock.args.get("key") else "FOR SHARE"


def _is_all(count: exp.Expr) -> bool:
    return isinstance(count, exp.Var) and count.name.upper() == "ALL"
