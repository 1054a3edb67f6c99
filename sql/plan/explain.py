"""A plan as EXPLAIN prints it: one line per node (plus detail lines such as ``Index Cond``),
children indented under their parent with ``->``, in PostgreSQL's words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sql.errors import FeatureNotSupported, InvalidParameterValue, SyntaxError_
from sql.plan import nodes as N

_JOIN_KIND = {"inner": "", "cross": "", "left": "Left ", "right": "Right ", "full": "Full "}


def _table_scan(n: N.TableScan) -> list[str]:
    head = f"{n.label} on {n.codec.table.name}"
    return [head] + ([f"Index Cond: {n.cond}"] if n.cond else [])


def _point_get(n: N.PointGet) -> list[str]:
    name = n.codec.table.name
    return [f"Index Scan using {name}_pkey on {name}", f"Index Cond: {n.cond}"]


def _key_scan(n: N.KeyScan) -> list[str]:
    table = n.codec.table.name
    index = n.index.name if n.index is not None else f"{table}_pkey"
    kind = "Index Only Scan" if n.covering else "Index Scan"
    return [f"{kind} using {index} on {table}", f"Index Cond: {n.cond}"]


DESCRIBE: dict[type[N.Node], Callable[[Any], list[str]]] = {
    N.TableScan: _table_scan,
    N.PointGet: _point_get,
    N.KeyScan: _key_scan,
    N.Materialized: lambda n: [n.label],
    N.ValuesScan: lambda n: ["Values Scan"],
    N.SeriesScan: lambda n: ["Function Scan on generate_series"],
    N.CteScan: lambda n: [n.label],
    N.WorkTableScan: lambda n: [n.label],
    N.RecursiveUnion: lambda n: [n.label],
    N.SubqueryScan: lambda n: ["Subquery Scan"],
    N.Filter: lambda n: [f"Filter: {n.text}"],
    N.Project: lambda n: ["Result" if isinstance(n.child, N.OneRow) else "Project"],
    N.OneRow: lambda n: ["Result"],
    N.NestedLoopJoin: lambda n: [f"Nested Loop {_JOIN_KIND[n.kind]}Join".replace("  ", " ")],
    N.LateralJoin: lambda n: [f"Nested Loop {_JOIN_KIND[n.kind]}Join".replace("  ", " ")],
    N.HashJoin: lambda n: (
        [f"Hash {_JOIN_KIND[n.kind]}Join", f"Hash Cond: {n.text}"]
        + (["Hashed: left side"] if n.build_left else [])
    ),
    N.Aggregate: lambda n: ["HashAggregate" if n.has_group_by else "Aggregate"],
    N.Sort: lambda n: ["Sort", f"Sort Key: {n.text}"],
    N.Limit: lambda n: ["Limit"],
    N.Prelude: lambda n: ["Result"],
    N.Distinct: lambda n: ["HashAggregate (distinct)"],
    N.ProjectSet: lambda n: ["ProjectSet"],
    N.DistinctOn: lambda n: ["Unique"],
    N.SetOp: lambda n: [f"{'Append' if n.kind == 'union' else 'SetOp ' + n.kind.title()}"],
    N.Window: lambda n: ["WindowAgg"],
}


def explain_node(node: N.Node, depth: int = 0) -> list[str]:
    lines = DESCRIBE[type(node)](node)
    pad = "  " * depth
    out = [(pad + ("->  " if depth else "") + lines[0])]
    out += [pad + ("      " if depth else "  ") + extra for extra in lines[1:]]
    for child in node.children():
        out += explain_node(child, depth + 1)
    return out


def explain_plan(plan: N.Plan) -> list[str]:
    return explain_node(plan.node)


_BOOLEAN = {"on": True, "true": True, "1": True, "yes": True,
            "off": False, "false": False, "0": False, "no": False}  # fmt: skip
_OPTIONS = ("analyze", "verbose", "costs", "settings", "buffers", "wal", "timing", "summary")


def explain_options(text: str) -> tuple[dict[str, Any], str]:
    """EXPLAIN's options and the statement after them, from the text after the word EXPLAIN:
    ``(name [value], ...)`` or the old ``[ANALYZE] [VERBOSE]``, with PostgreSQL's errors.
    Options: analyze, verbose, costs, settings, buffers, wal, timing, summary (booleans) and
    format (only TEXT: another is refused 0A000)."""
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
    if opts["format"] != "text":
        raise FeatureNotSupported("EXPLAIN (FORMAT ...) other than TEXT is not supported")
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
