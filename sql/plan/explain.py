"""A plan as EXPLAIN prints it: one line per node (plus detail lines such as ``Index Cond``),
children indented under their parent with ``->``, in PostgreSQL's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sql.plan.nodes import (
    Aggregate,
    CteScan,
    Distinct,
    DistinctOn,
    Filter,
    HashJoin,
    IndexRangeScan,
    IndexScan,
    Limit,
    Materialized,
    NestedLoopJoin,
    Node,
    OneRow,
    Plan,
    PointGet,
    Project,
    ProjectSet,
    RangeScan,
    RecursiveUnion,
    SeriesScan,
    SetOp,
    Sort,
    SubqueryScan,
    TableScan,
    ValuesScan,
    Window,
    WorkTableScan,
)

_JOIN_KIND = {"inner": "", "cross": "", "left": "Left ", "right": "Right ", "full": "Full "}


def _table_scan(n: TableScan) -> list[str]:
    head = f"{n.label} on {n.codec.table.name}"
    return [head] + ([f"Index Cond: {n.cond}"] if n.cond else [])


def _pkey_scan(n: RangeScan | PointGet) -> list[str]:
    name = n.codec.table.name
    return [f"Index Scan using {name}_pkey on {name}", f"Index Cond: {n.cond}"]


def _index_scan(n: IndexScan | IndexRangeScan) -> list[str]:
    return [f"Index Scan using {n.index.name} on {n.codec.table.name}", f"Index Cond: {n.cond}"]


DESCRIBE: dict[type[Node], Callable[[Any], list[str]]] = {
    TableScan: _table_scan,
    RangeScan: _pkey_scan,
    PointGet: _pkey_scan,
    IndexScan: _index_scan,
    IndexRangeScan: _index_scan,
    Materialized: lambda n: [n.label],
    ValuesScan: lambda n: ["Values Scan"],
    SeriesScan: lambda n: ["Function Scan on generate_series"],
    CteScan: lambda n: [n.label],
    WorkTableScan: lambda n: [n.label],
    RecursiveUnion: lambda n: [n.label],
    SubqueryScan: lambda n: ["Subquery Scan"],
    Filter: lambda n: [f"Filter: {n.text}"],
    Project: lambda n: ["Result" if isinstance(n.child, OneRow) else "Project"],
    OneRow: lambda n: ["Result"],
    NestedLoopJoin: lambda n: [f"Nested Loop {_JOIN_KIND[n.kind]}Join".replace("  ", " ")],
    HashJoin: lambda n: [f"Hash {_JOIN_KIND[n.kind]}Join", f"Hash Cond: {n.text}"],
    Aggregate: lambda n: ["HashAggregate" if n.has_group_by else "Aggregate"],
    Sort: lambda n: ["Sort", f"Sort Key: {n.text}"],
    Limit: lambda n: ["Limit"],
    Distinct: lambda n: ["HashAggregate (distinct)"],
    ProjectSet: lambda n: ["ProjectSet"],
    DistinctOn: lambda n: ["Unique"],
    SetOp: lambda n: [f"{'Append' if n.kind == 'union' else 'SetOp ' + n.kind.title()}"],
    Window: lambda n: ["WindowAgg"],
}


def explain_node(node: Node, depth: int = 0) -> list[str]:
    lines = DESCRIBE[type(node)](node)
    pad = "  " * depth
    out = [(pad + ("->  " if depth else "") + lines[0])]
    out += [pad + ("      " if depth else "  ") + extra for extra in lines[1:]]
    for child in node.children():
        out += explain_node(child, depth + 1)
    return out


def explain_plan(plan: Plan) -> list[str]:
    return explain_node(plan.node)
