"""A plan as EXPLAIN prints it: one line per node (plus detail lines such as ``Index Cond``),
children indented under their parent with ``->``, in PostgreSQL's words."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from sql import types as T
from sql.catalog import IndexDef, TableDef
from sql.errors import InvalidParameterValue, SyntaxError_
from sql.pg_dialect import DIALECT
from sql.plan import nodes as N
from sql.plan.deparse import Deparser, is_constant, parse_cond, qual_cost, quote_ident
from sql.plan.rules.join_order import estimated_rows
from sql.plan.run_conditions import keys_are_outputs, split_run_conditions
from sql.scope import Scope, ScopeColumn
from sql.types import SqlType, has_hash

_JOIN_KIND = {"inner": "", "cross": "", "left": "Left ", "right": "Right ", "full": "Full "}
_SCANS = (N.TableScan, N.PointGet, N.KeyScan, N.Materialized, N.ValuesScan, N.SeriesScan,
          N.CteScan, N.WorkTableScan)  # fmt: skip


_BLOCKING = frozenset(("Sort", "Hash", "HashAggregate", "Aggregate", "GroupAggregate", "Unique"))


@dataclass
class Line:
    """One plan node as EXPLAIN shows it: its title, detail lines, children and subsections
    (a CTE's plan: ``CTE name`` and the plan under it)."""

    title: str
    details: list[str] = field(default_factory=list)
    children: list[Line] = field(default_factory=list)
    sections: list[tuple[str, Line]] = field(default_factory=list)
    estimate: tuple[float, int] | None = None  # rows, width (db9's own estimates)

    def rows_width(self) -> tuple[float, int]:
        if self.estimate is not None:
            return self.estimate
        below = [c.rows_width() for c in self.children]
        return sum(r for r, _ in below) or 1.0, max((w for _, w in below), default=0)

    def cost(self) -> tuple[float, float]:
        """Startup and total cost in PostgreSQL's units, roughly: a hundredth per row each
        node passes on, over its inputs' cost; blocking nodes start when their input ends."""
        below = sum(c.cost()[1] for c in self.children)
        below += sum(plan.cost()[1] for _, plan in self.sections)
        total = below + self.rows_width()[0] * 0.01
        blocking = self.title in _BLOCKING or self.title.startswith(("HashSetOp", "SetOp"))
        return (below if blocking else 0.0), total

    def render(
        self, header: int = 0, body: int = 2, arrow: bool = False, costs: bool = False
    ) -> list[str]:
        """The node's lines: its title at ``header`` (after ``->`` below the top), its
        details at ``body``, children at ``body`` with theirs 6 further in; ``costs``: the
        title carries PostgreSQL's ``(cost=... rows=... width=...)``."""
        title = self.title
        if costs:
            start, total = self.cost()
            rows, width = self.rows_width()
            title += f"  (cost={start:.2f}..{total:.2f} rows={max(round(rows), 1)} width={width})"
        out = [" " * header + ("->  " if arrow else "") + title]
        out += [" " * body + d for d in self.details]
        for name, plan in self.sections:
            out.append(" " * body + name)
            out += plan.render(body + 2, body + 8, True, costs)
        for child in self.children:
            out += child.render(body, body + 6, True, costs)
        return out


class Explainer:
    """Turns a plan into PostgreSQL's EXPLAIN lines: db9's projection folded into the node
    below it, filters as ``Filter:`` details of the node they apply to, relations named
    once each (a second ``int4_tbl`` is ``int4_tbl int4_tbl_1``)."""

    def __init__(self, root: N.Node, hashagg: bool = True, incremental_sort: bool = True) -> None:
        self.hashagg = hashagg  # enable_hashagg: off, PostgreSQL groups by sorting
        self.incremental_sort = incremental_sort  # enable_incremental_sort
        self.refnames: dict[int, str] = {}  # id(scan node) -> its printed relation name
        # id(scope column) -> the relation and column PostgreSQL names it by
        self.colnames: dict[int, tuple[str, str]] = {}
        self.scan_columns: list[ScopeColumn] = []
        self.relations = 0
        self._used: set[str] = set()
        self.ctes: dict[int, list[N.CteScan]] = {}  # cid -> its readers
        self.tables: dict[str, TableDef] = {}  # printed name -> table, for a lone table scan
        self._appended = 0  # inside an Append (UNION ALL, an inheritance tree) while naming
        self._name(root)
        # nodes whose rows the query returns as they are: a subquery scan there that
        # neither filters nor projects is no node of PostgreSQL's plan
        self._bare: set[int] = {id(root)}
        for readers in self.ctes.values():
            if len(readers) == 1 and not isinstance(readers[0].plan.node, N.RecursiveUnion):
                self._pull_up(readers[0])  # PostgreSQL inlines it
        self.prefix = self.relations > 1
        self.sections: list[tuple[str, Line]] = []  # CTEs PostgreSQL would not inline

    def render(self, top: Line, costs: bool = False) -> list[str]:
        """The lines of ``top``, the CTE sections PostgreSQL shows at the query's top node
        first among its sections."""
        top.sections = self.sections + top.sections
        return top.render(costs=costs)

    def _name(self, node: N.Node) -> None:
        if isinstance(node, N.CteScan):
            self.ctes.setdefault(node.cid, []).append(node)
            self._name_scan(node)
            if len(self.ctes[node.cid]) == 1:
                self._name(node.plan.node)
            return
        if isinstance(node, N.RecursiveUnion):
            self._name(node.anchor)
            self._name(node.step)
            return
        if isinstance(node, _SCANS):
            self._name_scan(node)
            return
        if isinstance(node, N.SubqueryScan | N.HashJoin | N.NestedLoopJoin | N.LateralJoin):
            self.relations += 1
        elif isinstance(node, N.SetOp):
            self.relations += 2
            self._appended += 1
        for child in node.children():
            self._name(child)
        if isinstance(node, N.SetOp):
            self._appended -= 1
        if isinstance(node, N.SubqueryScan):
            self._pull_up(node)

    def _pull_up(self, node: N.Node) -> None:
        """A subquery PostgreSQL pulls up: its columns are named by the columns below."""
        for i, c in enumerate(node.scope.columns):
            src = self._source(node, i)
            if src is not None and src[0]:
                self.colnames[id(c)] = src

    def _name_scan(self, node: N.Node) -> None:
        self.relations += 1
        base = _alias(node) or ""
        name, n = base, 0
        while name in self._used:
            n += 1
            name = f"{base}_{n}"
        self._used.add(name)
        self.refnames[id(node)] = name
        if isinstance(node, N.TableScan | N.PointGet | N.KeyScan) and not self._appended:
            self.tables[name] = node.codec.table  # a relation read by itself, not appended
        for c in node.scope.columns:
            self.colnames[id(c)] = (name, c.name)
            self.scan_columns.append(c)

    def deparser(self, scopes: list[Scope], prefix: bool, scan: bool = False) -> Deparser:
        """A deparser for expressions over ``scopes``; ``scan``: a scan's condition, which
        may read an enclosing row its scope does not hold (a lateral or correlated one)."""
        names = self.colnames
        return Deparser(
            scopes,
            prefix,
            lambda c: names.get(id(c), (c.table, c.name)),
            self._elsewhere if scan else lambda c: None,
        )

    def _elsewhere(self, c: exp.Column) -> ScopeColumn | None:
        hits = [
            col
            for col in self.scan_columns
            if col.name == c.name and (not c.table or col.table == c.table)
        ]
        return hits[0] if len(hits) == 1 else None

    def line(self, node: N.Node) -> Line:
        out = DESCRIBE[type(node)](self, node)
        out.estimate = (_rows(node), _width(node.scope))  # the outermost folded node's
        return out

    def _project(self, node: N.Project) -> Line:
        if isinstance(node.child, N.OneRow):
            return Line("Result")
        names = [c.name for c in node.scope.columns]
        if names == [c.name for c in node.child.scope.columns]:
            self._bare.add(id(node.child))  # passes its input on as it is
        return self.line(node.child)

    def _nested_loop(self, node: N.NestedLoopJoin | N.LateralJoin) -> Line:
        # PostgreSQL runs a RIGHT join as a LEFT one with its sides swapped (a nested loop
        # cannot NULL-pad its inner side's rows)
        swap = node.kind == "right"
        kind = _JOIN_KIND["left" if swap else node.kind]
        out = Line(f"Nested Loop {kind}Join" if kind else "Nested Loop")
        text = node.text if isinstance(node, N.NestedLoopJoin) else ""
        conds = [c for c in parse_cond(text) if not _true(c)] if text else []
        if conds:
            d = self.deparser([node.scope], self.prefix)
            out.details.append("Join Filter: " + d.qual(conds))
        if isinstance(node, N.NestedLoopJoin) and node.outer_right:
            swap = True
        outer, inner = node.children()[::-1] if swap else node.children()
        out.children = [self.line(outer), self.line(inner)]
        if isinstance(node, N.NestedLoopJoin) and _materialized(outer, inner):
            out.children[1] = Line("Materialize", children=[out.children[1]])
        return out

    def _aggregate(self, node: N.Aggregate) -> Line:
        if not node.has_group_by:
            return Line("Aggregate", children=[self.line(node.child)])
        d = self.deparser([node.child.scope], self.prefix)
        exprs = self._useful_keys([k for t in node.key_texts for k in parse_cond(t)], d)
        keys = [d.expr(k) for k in exprs]
        if not self.hashagg:  # the keys are computed below the Sort: references to them
            keys = [_key(d, k) for k in exprs]
        return self._grouped(keys, self.line(node.child), "Aggregate", self.hashagg)

    def _useful_keys(self, keys: list[exp.Expr], d: Deparser) -> list[exp.Expr]:
        """The grouping keys less the columns of a table whose primary key columns are all
        keys: they depend on it (PostgreSQL's remove_useless_groupby_columns)."""
        by_rel: dict[str, set[str]] = {}
        owner: list[tuple[str, str] | None] = []
        for k in keys:
            col = d._column(k) if isinstance(k, exp.Column) else None
            src = self.colnames.get(id(col)) if col is not None else None
            owner.append(src)
            if src is not None:
                by_rel.setdefault(src[0], set()).add(src[1])
        useless: dict[str, set[str]] = {}  # relation -> its primary key columns
        for rel, names in by_rel.items():
            table = self.tables.get(rel)
            cons = table.constraints if table is not None else []
            # a DEFERRABLE key may not hold mid-transaction: PostgreSQL does not rely on it
            pk = next((c for c in cons if c.kind == "p" and not c.deferrable), None)
            if pk is not None and pk.columns and set(pk.columns) <= names:
                useless[rel] = set(pk.columns)
        return [
            k
            for k, src in zip(keys, owner, strict=True)
            if src is None or src[0] not in useless or src[1] in useless[src[0]]
        ]

    def _hashes(self, columns: list[ScopeColumn]) -> bool:
        """Whether PostgreSQL groups ``columns`` by hashing: enable_hashagg on and every
        column's type hashable (money, an anonymous record... sort instead)."""
        return self.hashagg and all(has_hash(c.type) for c in columns)

    def _grouped(self, keys: list[str], below: Line, word: str, hashed: bool) -> Line:
        """Grouping by ``keys``: ``hashed``, or sorted (enable_hashagg off, a key type
        without hashing), then grouped or made unique (``word``: Aggregate, or Unique for
        DISTINCT and UNION)."""
        details = ["Group Key: " + ", ".join(keys)] if keys else []
        if not keys and word == "Unique" and not hashed:
            return Line("Unique", children=[below])  # no columns: one row at most
        if hashed or not keys:
            return Line("HashAggregate", details, [below])
        sort = Line("Sort", ["Sort Key: " + ", ".join(keys)], [below])
        if word == "Unique":
            return Line("Unique", children=[sort])
        return Line("GroupAggregate", details, [sort])

    def _distinct(self, node: N.Distinct) -> Line:
        below: N.Node = node.child
        while isinstance(below, N.Project | N.SameRows):
            below = below.child
        one_row = isinstance(below, N.Aggregate) and not below.has_group_by
        # one row in: PostgreSQL's costs make sorting it cheaper than hashing
        hashed = self._hashes(node.child.scope.columns[: node.width]) and not one_row
        keys = self._output_keys(node.child, node.width, not hashed)
        return self._grouped(keys, self.line(node.child), "Unique", hashed)

    def _output_keys(self, node: N.Node, width: int, sorted_: bool = False) -> list[str]:
        """The first ``width`` output columns of ``node`` as keys, each named by the scan
        column it comes from when there is one, else the expression computing it (in
        parentheses for a Sort, which reads it computed below)."""
        out = []
        for i, c in enumerate(node.scope.columns[:width]):
            src = self._source(node, i)
            computed = self._computed(node, i) if src is None else None
            if computed is not None:
                d, e = computed
                out.append(_key(d, e) if sorted_ else d.expr(e))
            elif src is None:
                out.append(quote_ident(c.name))
            else:
                rel, col = src
                out.append(
                    f"{quote_ident(rel)}.{quote_ident(col)}" if self.prefix else quote_ident(col)
                )
        return out

    def _computed(self, node: N.Node, i: int) -> tuple[Deparser, exp.Expr] | None:
        """The expression a projection computes output column ``i`` of ``node`` with, and
        a deparser for it, when the binder kept its text."""
        while isinstance(node, N.SameRows):
            node = node.child
        if not isinstance(node, N.Project) or node.exprs is None or i >= len(node.exprs):
            return None
        if isinstance(node.child, N.OneRow):
            return None
        parts = parse_cond(node.exprs[i].sql(dialect="postgres"))
        if len(parts) != 1 or isinstance(parts[0], exp.Var):
            return None
        return self.deparser([node.child.scope], self.prefix), parts[0]

    def _source(self, node: N.Node, i: int) -> tuple[str, str] | None:
        """The relation and column that output column ``i`` of ``node`` passes on, if any."""
        if i >= len(node.scope.columns):
            return None
        if isinstance(node, N.Project):
            if isinstance(node.child, N.OneRow):
                return None
            at = N.picked(node.fns[i]) if i < len(node.fns) else None
            if at is not None:
                return self._source(node.child, at)
            name = node.scope.columns[i].name
            hits = [j for j, c in enumerate(node.child.scope.columns) if c.name == name]
            return self._source(node.child, hits[0]) if len(hits) == 1 else None
        if isinstance(node, N.SubqueryScan):
            return self._source(node.plan.node, i)
        if isinstance(node, N.CteScan) and len(self.ctes.get(node.cid, [])) == 1:
            return self._source(node.plan.node, i)
        if isinstance(node, _SCANS):
            col = f"column{i + 1}" if isinstance(node, N.ValuesScan) else node.scope.columns[i].name
            return self.refnames.get(id(node), ""), col
        if isinstance(node, N.SetOp):
            return self._source(node.left, i)
        if isinstance(node, N.HashJoin | N.NestedLoopJoin):
            width = len(node.left.scope.columns)
            return self._source(node.left, i) if i < width else self._source(node.right, i - width)
        if isinstance(node, N.SameRows):
            return self._source(node.child, i)
        return None

    def _window(self, node: N.Window) -> Line:
        """One WindowAgg per window, in the order they run, each over a Sort when the rows
        are not already in its order (an Incremental Sort when they are in a prefix of it,
        the Sort only the keys past ``Presorted Key``)."""
        out = self.line(node.child)
        equal: list[exp.Expr] = []
        below: N.Node = node.child
        while isinstance(below, N.Filter):
            equal += parse_cond(below.text)
            below = below.child
        done: list[tuple[int, bool, bool]] | None = None
        for calls in N.window_runs(node.specs):
            spec = node.specs[calls[0]]
            keys = spec.sort_refs
            if keys and (done is None or keys != done[: len(keys)]):
                shown = self._order_keys(spec.order_text, node.child.scope, equal)
                same = 0
                while done is not None and same < min(len(done), len(keys)):
                    if done[same] != keys[same]:
                        break
                    same += 1
                details = ["Sort Key: " + ", ".join(shown)]
                if same and self.incremental_sort:
                    details.append("Presorted Key: " + ", ".join(shown[:same]))
                    out = Line("Incremental Sort", details, [out])
                else:
                    out = Line("Sort", details, [out])
                done = keys
            out = Line("WindowAgg", children=[out])
        return out

    def _window_order(self, node: N.Window) -> list[str]:
        """The Sort Key items of the order rows leave ``node`` in: the last sort's."""
        done: N.WindowSpec | None = None
        for calls in N.window_runs(node.specs):
            spec = node.specs[calls[0]]
            if done is None or spec.sort_refs != done.sort_refs[: len(spec.sort_refs)]:
                done = spec
        return self._order_keys(done.order_text, node.child.scope) if done else []

    def _order_keys(
        self, text: str, scope: Scope, equal: list[exp.Expr] | None = None
    ) -> list[str]:
        """An ORDER BY list's SQL text as Sort Key items, less the columns that ``equal``
        (conditions the rows meet) makes equal to a constant or to an earlier key: in one
        equivalence class, PostgreSQL's pathkeys keep one."""
        d = self.deparser([scope], self.prefix)
        classes = _EquivalenceClasses(d, equal or [])
        keys = []
        for o in _order_list(text, ordered=True):
            assert isinstance(o, exp.Ordered)
            if classes.redundant(o.this):
                continue
            desc = bool(o.args.get("desc"))
            nf = o.args.get("nulls_first")
            key = _key(d, classes.member(o.this, scope)) + (" DESC" if desc else "")
            if nf is not None and bool(nf) != desc:
                key += " NULLS FIRST" if nf else " NULLS LAST"
            keys.append(key)
        return keys

    def _scan(self, node: N.Node) -> Line:
        name = self.refnames.get(id(node), "")
        if isinstance(node, N.TableScan | N.PointGet | N.KeyScan):
            table = node.codec.table.name
            on = f"on {quote_ident(table)}" + (f" {quote_ident(name)}" if name != table else "")
            cond = node.cond
            if isinstance(node, N.TableScan):
                title = f"{node.label} {on}"
            else:
                index = node.index if isinstance(node, N.KeyScan) else None
                kind = "Index Only Scan" if getattr(node, "covering", False) else "Index Scan"
                title = f"{kind} using {quote_ident(_index_name(node, index))} {on}"
            out = Line(title)
            if cond:
                d = self.deparser([node.scope], False, True)
                out.details.append("Index Cond: " + d.qual(parse_cond(cond)))
            return out
        if isinstance(node, N.CteScan):
            readers = self.ctes.get(node.cid, [])
            if len(readers) == 1 and not isinstance(node.plan.node, N.RecursiveUnion):
                return self.line(node.plan.node)  # PostgreSQL inlines it
            cte = node.label.removeprefix("CTE Scan on ").split()[0]
            if readers and readers[0] is node:
                self.sections.append((f"CTE {cte}", self.line(node.plan.node)))
            return Line(f"CTE Scan on {cte}" + (f" {quote_ident(name)}" if name != cte else ""))
        if isinstance(node, N.ValuesScan):
            return Line(f"Values Scan on {quote_ident(name)}")
        if isinstance(node, N.SeriesScan):
            alias = f" {quote_ident(name)}" if name and name != "generate_series" else ""
            return Line(f"Function Scan on generate_series{alias}")
        if isinstance(node, N.WorkTableScan):
            cte = node.label.removeprefix("WorkTable Scan on ").split()[0]
            alias = f" {quote_ident(name)}" if name != cte else ""
            return Line(f"WorkTable Scan on {cte}{alias}")
        assert isinstance(node, N.Materialized)
        return Line(node.label)

    def _filter(self, node: N.Filter) -> Line:
        parts: list[exp.Expr] = []
        below: N.Node = node
        while isinstance(below, N.Filter):
            parts = parse_cond(below.text) + parts
            below = below.child
        target = below
        while isinstance(target, N.Project) and not isinstance(target.child, N.OneRow):
            target = target.child
        if isinstance(target, N.SubqueryScan):
            d = Deparser([node.scope], True)  # the subquery's own column names
            runs, parts = split_run_conditions(target, parts)
            inner = self.line(target.plan.node)
            if runs:
                conds = [_called(r.cond, r.call) for r in runs]
                inner.details.insert(0, "Run Condition: " + d.qual(conds))
                if not parts and id(node) in self._bare and keys_are_outputs(target):
                    return inner
            out = Line(f"Subquery Scan on {quote_ident(_alias(target) or 'unnamed_subquery')}")
            out.children = [inner]
            if parts:
                out.details.append("Filter: " + d.qual(parts))
            return out
        scan = isinstance(target, _SCANS)
        if scan:
            known = _folded(node)
            if known is False:  # PostgreSQL folds the condition and reads nothing
                return Line("Result", ["One-Time Filter: false"])
            if known is True:
                return self.line(below)
        out = self.line(below)
        if scan:  # PostgreSQL rebuilds "column = constant" from its equivalence classes: last
            parts = [p for p in parts if not _equates(p)] + [p for p in parts if _equates(p)]
        parts = sorted(parts, key=qual_cost)
        d = self.deparser([node.scope], self.prefix and not scan, scan)
        inner_join = isinstance(target, N.HashJoin | N.NestedLoopJoin) and target.kind in (
            "inner", "cross")  # fmt: skip
        label = "Join Filter" if inner_join else "Filter"
        if inner_join and isinstance(target, N.NestedLoopJoin) and not target.text:
            out.title = "Nested Loop"
        existing = next((i for i, x in enumerate(out.details) if x.startswith(label + ": ")), None)
        if existing is not None:
            out.details.pop(existing)
            if inner_join and isinstance(target, N.NestedLoopJoin):
                parts = parse_cond(target.text) + parts
        out.details.append(f"{label}: " + d.qual(parts))
        return out

    def _subquery_scan(self, node: N.SubqueryScan) -> Line:
        """A subquery PostgreSQL pulls up or whose scan it drops, but over an INTERSECT or
        EXCEPT: their rows carry a flag column the scan leaves out, so the scan stays."""
        inner = self.line(node.plan.node)
        top = node.plan.node
        while isinstance(top, N.Project) and not isinstance(top.child, N.OneRow):
            top = top.child
        if isinstance(top, N.SetOp) and top.kind != "union":
            name = quote_ident(_alias(node) or "unnamed_subquery")
            return Line(f"Subquery Scan on {name}", children=[inner])
        return inner

    def _hash_join(self, node: N.HashJoin) -> Line:
        outer, inner = (node.right, node.left) if node.build_left else (node.left, node.right)
        d = self.deparser([node.scope], self.prefix)
        side = self.deparser([outer.scope], False)
        conds = []
        for c in parse_cond(node.text):
            if (
                isinstance(c, exp.EQ)
                and isinstance(c.this, exp.Column)
                and side._column(c.this) is None
            ):
                c = exp.EQ(this=c.expression, expression=c.this)
            conds.append(c)
        kind = node.kind
        if node.build_left and kind in ("left", "right"):  # named for the outer (probe) side
            kind = "right" if kind == "left" else "left"
        out = Line(f"Hash {_JOIN_KIND[kind]}Join", ["Hash Cond: " + d.qual(conds)])
        if node.residual_text:
            out.details.append("Join Filter: " + d.qual(parse_cond(node.residual_text)))
        out.children = [self.line(outer), Line("Hash", children=[self.line(inner)])]
        return out

    def _sort(self, node: N.Sort) -> Line:
        key = self._sort_key(node)
        below: N.Node = node.child
        while isinstance(below, N.Project):
            below = below.child
        if isinstance(below, N.Window):
            # rows leave a WindowAgg in its own order: a prefix of it needs no second sort
            ordered = self._window_order(below)
            wanted = key.removeprefix("Sort Key: ").split(", ")
            if ordered[: len(wanted)] == wanted:
                return self.line(node.child)
        return Line("Sort", [key], [self.line(node.child)])

    def _sort_key(self, node: N.Sort) -> str:
        scopes = [node.scope]
        below: N.Node = node.child
        while isinstance(below, N.Project | N.Distinct | N.Limit):
            below = below.child
            scopes.append(below.scope)
        d = self.deparser(list(reversed(scopes)), self.prefix)
        orders = _order_list(node.text)
        keys = []
        for i, k in enumerate(node.keys):
            e = orders[i] if i < len(orders) else None
            if e is not None and not is_constant(e):
                key = _key(d, e)
            else:
                col = node.scope.columns[k.index] if k.index < len(node.scope.columns) else None
                key = d.expr(exp.column(col.name)) if col is not None else "?"
            if k.desc:
                key += " DESC"
            if k.nulls_first != k.desc:
                key += " NULLS FIRST" if k.nulls_first else " NULLS LAST"
            keys.append(key)
        return "Sort Key: " + ", ".join(keys)

    def _set_op(self, node: N.SetOp) -> Line:
        if node.kind == "union":
            arms: list[N.Node] = []
            self._union_arms(node, node.all, arms)
            append = Line("Append", children=[self.line(a) for a in arms])
            if node.all:
                return append
            # the keys are the arms' output: a computed one is referenced, in parentheses
            keys = self._output_keys(arms[0], len(arms[0].scope.columns), True)
            return self._grouped(keys, append, "Unique", self._hashes(arms[0].scope.columns))
        kind = node.kind.title() + (" All" if node.all else "")
        arms_lines = [
            Line(f'Subquery Scan on "*SELECT* {i}"', children=[self.line(a)])
            for i, a in enumerate((node.left, node.right), 1)
        ]
        append = Line("Append", children=arms_lines)
        if self._hashes(node.left.scope.columns):
            return Line(f"HashSetOp {kind}", children=[append])
        cols = [c.name for c in node.left.scope.columns]
        if not cols:
            return Line(f"SetOp {kind}", children=[append])
        key = ", ".join(('"*SELECT* 1".' if self.prefix else "") + quote_ident(c) for c in cols)
        return Line(f"SetOp {kind}", children=[Line("Sort", [f"Sort Key: {key}"], [append])])

    def _union_arms(self, node: N.Node, all_: bool, out: list[N.Node]) -> None:
        inner = node
        while isinstance(inner, N.Project) and not isinstance(inner.child, N.OneRow):
            inner = inner.child
        if isinstance(inner, N.SetOp) and inner.kind == "union" and (inner.all == all_ or not all_):
            self._union_arms(inner.left, all_, out)
            self._union_arms(inner.right, all_, out)
        else:
            out.append(node)


def _order_list(text: str, ordered: bool = False) -> list[exp.Expr]:
    """The expressions of an ORDER BY list's SQL text (``a, b DESC``)."""
    if not text:
        return []
    try:
        q = sqlglot.parse_one("SELECT 1 ORDER BY " + text, read=DIALECT)
    except Exception:  # not parseable: keys are named by their columns
        return []
    order = q.args.get("order")
    items = order.expressions if order is not None else []
    return list(items) if ordered else [o.this for o in items]


# what a condition PostgreSQL folds to a constant at planning may hold: no column, no
# parameter, no subquery, no function but these immutable ones
_FOLDABLE = (
    exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Not, exp.And, exp.Or, exp.Is,
    exp.Nullif, exp.Coalesce, exp.Cast, exp.Neg, exp.DataType, exp.Case, exp.If,
    exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod,
)  # fmt: skip


def _folded(node: N.Filter) -> bool | None:
    """A scan's filters' value when every one is a constant condition PostgreSQL folds
    (true: no filter; false or NULL: no row), else None."""
    value = True
    below: N.Node = node
    while isinstance(below, N.Filter):
        parts = parse_cond(below.text)
        if not parts or not all(isinstance(x, _FOLDABLE) for p in parts for x in p.walk()):
            return None
        try:
            result = below.pred.fn(())
        except Exception:  # an error at run time: PostgreSQL leaves it to the executor
            return None
        value = value and result is True
        below = below.child
    return value


class _EquivalenceClasses:
    """Columns ``conditions`` equate (``a = b``, ``a = 1``), as PostgreSQL's equivalence
    classes: ``redundant`` is true for a sort key whose class holds a constant or an
    earlier key."""

    def __init__(self, d: Deparser, conditions: list[exp.Expr]) -> None:
        self.d = d
        self.parent: dict[int, int] = {}
        self.constant: set[int] = set()
        self.seen: set[int] = set()
        for c in conditions:
            if not isinstance(c, exp.EQ):
                continue
            left, right = self._id(c.this), self._id(c.expression)
            if left is not None and right is not None:
                self.parent[self._root(left)] = self._root(right)
            elif left is not None and is_constant(c.expression):
                self.constant.add(left)
            elif right is not None and is_constant(c.this):
                self.constant.add(right)
        self.constant = {self._root(x) for x in self.constant}

    def _id(self, e: exp.Expr) -> int | None:
        col = self.d._column(e) if isinstance(e, exp.Column) else None
        return id(col) if col is not None else None

    def _root(self, x: int) -> int:
        while x in self.parent:
            x = self.parent[x]
        return x

    def member(self, key: exp.Expr, scope: Scope) -> exp.Expr:
        """The column a Sort shows for ``key``: its class's member that comes first among
        the input's columns (PostgreSQL finds the first in the input's target list)."""
        x = self._id(key)
        if x is None or not self.parent:
            return key
        root = self._root(x)
        for c in scope.columns:
            if self._root(id(c)) == root:
                return exp.column(c.name, c.table) if c.table else exp.column(c.name)
        return key

    def redundant(self, key: exp.Expr) -> bool:
        x = self._id(key)
        if x is None or not (self.parent or self.constant):
            return False
        root = self._root(x)
        if root in self.constant or root in self.seen:
            return True
        self.seen.add(root)
        return False


def _called(cond: exp.Expr, call: str) -> exp.Expr:
    """``cond`` with its column shown as the window function call it is."""
    return cond.copy().transform(lambda x: exp.Var(this=call) if isinstance(x, exp.Column) else x)


def _key(d: Deparser, e: exp.Expr) -> str:
    """A sort or group key: an expression other than a column is computed below and shown
    in parentheses, as PostgreSQL shows a reference to it."""
    text = d.expr(e)
    return text if isinstance(e, exp.Column) else f"({text})"


def _titled(title: str) -> Callable[[Explainer, Any], Line]:
    return lambda self, node: Line(title, children=[self.line(c) for c in node.children()])


DESCRIBE: dict[type[N.Node], Callable[[Explainer, Any], Line]] = {
    **{scan: Explainer._scan for scan in _SCANS},
    N.Project: Explainer._project,
    N.Filter: Explainer._filter,
    N.SubqueryScan: Explainer._subquery_scan,
    N.HashJoin: Explainer._hash_join,
    N.NestedLoopJoin: Explainer._nested_loop,
    N.LateralJoin: Explainer._nested_loop,
    N.Aggregate: Explainer._aggregate,
    N.Sort: Explainer._sort,
    N.Limit: _titled("Limit"),
    N.Distinct: Explainer._distinct,
    N.DistinctOn: _titled("Unique"),
    N.SetOp: Explainer._set_op,
    N.Window: Explainer._window,
    N.ProjectSet: _titled("ProjectSet"),
    N.RecursiveUnion: lambda self, n: Line(
        "Recursive Union", children=[self.line(n.anchor), self.line(n.step)]
    ),
    N.OneRow: lambda self, n: Line("Result"),
    N.Prelude: _titled("Result"),
}


def _materialized(outer: N.Node, inner: N.Node) -> bool:
    """Whether PostgreSQL would keep a nested loop's inner rows in a Materialize node: when
    the inner side is scanned again for more than one outer row and it is a table scan or
    a join (the nested loop here reads its inner side once anyway)."""
    rows = estimated_rows(outer)
    if rows is not None and rows <= 1:
        return False
    while isinstance(inner, N.Filter | N.Project) and not isinstance(inner, N.OneRow):
        if isinstance(inner, N.Project) and isinstance(inner.child, N.OneRow):
            return False
        inner = inner.child
    return isinstance(inner, N.TableScan | N.KeyScan | N.HashJoin | N.NestedLoopJoin)


def _true(e: exp.Expr) -> bool:
    """A condition that is the constant true (PostgreSQL drops it from a join's quals)."""
    while isinstance(e, exp.Paren):
        e = e.this
    return isinstance(e, exp.Boolean) and e.this is True


def _alias(node: N.Node) -> str | None:
    if isinstance(node, N.ValuesScan):
        return "*VALUES*"
    tables = [c.table for c in node.scope.columns if c.table]
    if tables:
        return tables[0]
    if isinstance(node, N.TableScan | N.PointGet | N.KeyScan):
        return node.codec.table.name
    return None


def _equates(e: exp.Expr) -> bool:
    """``column = constant``: a clause PostgreSQL moves into an equivalence class."""
    if not isinstance(e, exp.EQ):
        return False
    sides = (e.this, e.expression)
    return any(isinstance(x, exp.Column) for x in sides) and any(
        isinstance(x, exp.Literal | exp.Neg | exp.Cast | exp.Boolean) for x in sides
    )


def _index_name(node: N.PointGet | N.KeyScan, index: IndexDef | None) -> str:
    if index is not None:
        return index.name
    table = node.codec.table
    primary = next((i for i in table.indexes if i.primary), None)
    return primary.name if primary is not None else f"{table.name}_pkey"


def _rows(node: N.Node) -> float:
    """db9's estimate of the rows ``node`` produces (statistics where it has them, else
    PostgreSQL's defaults for a relation it knows nothing of)."""
    known = estimated_rows(node)
    if known is not None:
        return max(known, 1.0)
    if isinstance(node, N.OneRow) or (isinstance(node, N.Aggregate) and not node.has_group_by):
        return 1.0
    if isinstance(node, N.ValuesScan):
        return float(len(node.rows))
    if isinstance(node, N.Aggregate):
        return max(_rows(node.child) / 10, 1.0)
    if isinstance(node, N.SubqueryScan | N.CteScan):
        return _rows(node.plan.node)
    if isinstance(node, N.SetOp):
        return _rows(node.left) + _rows(node.right)
    if isinstance(node, N.Filter):
        return max(_rows(node.child) / 3, 1.0)
    if isinstance(node, N.Unary | N.Project):
        return _rows(node.child)
    if isinstance(node, N.HashJoin | N.NestedLoopJoin | N.LateralJoin):
        return max(_rows(c) for c in node.children())
    return 1000.0


def _width(scope: Scope) -> int:
    """The average width of a row, PostgreSQL's 32 bytes for a value of variable length."""
    cols = [c for c in scope.columns if not c.hidden and c.name != "?hidden"]
    return sum(c.type.typlen if c.type.typlen > 0 else 32 for c in cols)


def explain_plan(
    plan: N.Plan,
    settings: Mapping[str, str] | None = None,
    locks: bool = False,
    costs: bool = False,
) -> list[str]:
    """``plan`` as EXPLAIN (COSTS OFF) prints it, in PostgreSQL's shape and words, under the
    session's ``settings`` (enable_hashagg); ``locks``: the query locks the rows it reads
    (FOR UPDATE/SHARE), a LockRows step on top; ``costs``: each node with db9's estimates
    in PostgreSQL's ``(cost=... rows=... width=...)`` form."""

    return explain_tree(plan, settings, locks).render(costs=costs)


def explain_tree(
    plan: N.Plan, settings: Mapping[str, str] | None = None, locks: bool = False
) -> Line:
    """``plan`` as the tree of EXPLAIN's nodes (``explain_plan``), the CTE sections
    PostgreSQL shows at the query's top node first among its sections."""

    def enabled(name: str) -> bool:
        return (settings or {}).get(name, "on").lower() not in ("off", "false", "0")

    explainer = Explainer(plan.node, enabled("enable_hashagg"), enabled("enable_incremental_sort"))
    top = explainer.line(plan.node)
    if locks:
        top = Line("LockRows", children=[top])
    top.sections = explainer.sections + top.sections
    return top


def explain_type(fmt: str) -> SqlType:
    """The type of EXPLAIN's QUERY PLAN column in format ``fmt``: json for JSON (PostgreSQL
    also types XML's as xml, which db9 lacks), text otherwise."""
    return T.JSON if fmt == "json" else T.TEXT


_BOOLEAN = {"on": True, "true": True, "1": True, "yes": True,
            "off": False, "false": False, "0": False, "no": False}  # fmt: skip
_OPTIONS = ("analyze", "verbose", "costs", "settings", "buffers", "wal", "timing", "summary")


def explain_options(text: str) -> tuple[dict[str, Any], str]:
    """EXPLAIN's options and the statement after them, from the text after the word EXPLAIN:
    ``(name [value], ...)`` or the old ``[ANALYZE] [VERBOSE]``, with PostgreSQL's errors.
    Options: analyze, verbose, costs, settings, buffers, wal, timing, summary (booleans) and
    format (text, json, yaml, xml: sql.plan.explain_formats)."""
    opts: dict[str, Any] = {"format": "text"}
    rest = text.lstrip()
    if rest.startswith("("):
        close = rest.find(")")
        if close < 0:
            raise SyntaxError_("syntax error at end of input")
        for item in rest[1:close].split(","):
            words = item.split()
            if not words:
                raise SyntaxError_('syntax error at or near ")"')
            name, value = words[0].lower(), " ".join(words[1:]).strip("'").lower()
            if name == "format":
                if value not in ("text", "json", "xml", "yaml"):
                    raise InvalidParameterValue(
                        f'unrecognized value for EXPLAIN option "format": "{value}"'
                    )
                opts["format"] = value
            elif name in _OPTIONS:
                if value and value not in _BOOLEAN:
                    raise SyntaxError_(f"{name} requires a Boolean value")
                opts[name] = _BOOLEAN.get(value, True)
            else:
                raise SyntaxError_(f'unrecognized EXPLAIN option "{name}"')
        rest = rest[close + 1 :].lstrip()
    else:
        for legacy in ("analyze", "verbose"):
            word = rest.split(None, 1)[0] if rest else ""
            if word.lower() in (legacy, "analyse" if legacy == "analyze" else legacy):
                opts[legacy] = True
                rest = rest[len(word) :].lstrip()
    for needs in ("timing", "wal"):
        if opts.get(needs) and not opts.get("analyze"):
            raise InvalidParameterValue(f"EXPLAIN option {needs.upper()} requires ANALYZE")
    return opts, rest


def analyzed(lines: list[str], opts: dict[str, Any], rows: int, planning: float,
             execution: float) -> list[str]:  # fmt: skip
    """EXPLAIN ANALYZE's additions: the root's actual rows (and time unless TIMING OFF), then
    the planning and execution times unless SUMMARY OFF."""
    timing = f"time={execution:.3f}..{execution:.3f} " if opts.get("timing", True) else ""
    out = [f"{lines[0]} (actual {timing}rows={rows} loops=1)", *lines[1:]]
    if opts.get("summary", True):
        out += [f"Planning Time: {planning:.3f} ms", f"Execution Time: {execution:.3f} ms"]
    return out
