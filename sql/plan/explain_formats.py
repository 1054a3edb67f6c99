"""EXPLAIN (FORMAT JSON | YAML | XML): the plan EXPLAIN prints as text (sql.plan.explain's
``Line`` tree) as PostgreSQL's structured output, with its property names ("Node Type",
"Relation Name", "Plans", ...), their order, and its layout of each format (explain.c's
ExplainProperty* and ExplainOpenGroup).

A node's title is read back into properties (``Index Scan using i on t x``: the node type,
index, relation and alias), its ``Key: value`` detail lines become properties (the key
lists as lists), its children the "Plans" with their parent relationship.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sql.plan.explain import Line

_NAME = r'(?:"(?:[^"]|"")*"|[^\s"]+)'
_USING = re.compile(rf"^(.+?) using ({_NAME}) on ({_NAME})(?: ({_NAME}))?$")
_ON = re.compile(rf"^(.+?) on ({_NAME})(?: ({_NAME}))?$")
_JOIN = re.compile(r"^(Hash|Merge|Nested Loop)(?: (Left|Right|Full|Semi|Anti))?( Join)?$")
_SETOP = re.compile(r"^(HashSetOp|SetOp) (.+)$")
_AGGREGATES = {"Aggregate": "Plain", "HashAggregate": "Hashed", "GroupAggregate": "Sorted",
               "MixedAggregate": "Mixed"}  # fmt: skip
_DML = {"Insert": "Insert", "Update": "Update", "Delete": "Delete"}
_LISTS = frozenset(("Sort Key", "Group Key", "Presorted Key", "Output"))
_MEMBERS = frozenset(("Append", "Merge Append", "BitmapAnd", "BitmapOr"))


@dataclass(frozen=True)
class Number:
    """A number as PostgreSQL prints it (costs with two decimals, times with three)."""

    text: str


Props = list[tuple[str, Any]]


def plan_properties(
    top: Line,
    costs: bool = True,
    actual: tuple[float, int] | None = None,
) -> Props:
    """``top``'s properties; ``actual``: EXPLAIN ANALYZE's time and rows for the top node."""
    return _node(top, None, None, costs, actual)


def _unquote(name: str | None) -> str | None:
    if name is None:
        return None
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _title(title: str) -> tuple[Props, Props]:
    """The properties a title holds: those before PostgreSQL's "Parent Relationship" and
    those after its "Async Capable"."""
    head: Props = []
    tail: Props = []
    m = _USING.match(title)
    if m is not None:
        kind, index, rel, alias = m.groups()
        head.append(("Node Type", kind))
        tail += [("Scan Direction", "Forward"), ("Index Name", _unquote(index)),
                 ("Relation Name", _unquote(rel)), ("Alias", _unquote(alias or rel))]  # fmt: skip
        return head, tail
    m = _JOIN.match(title)
    if m is not None and (m.group(1) == "Nested Loop" or m.group(3)):  # not a Hash node
        kind, join, _ = m.groups()
        head.append(("Node Type", kind + " Join" if kind != "Nested Loop" else kind))
        # db9 does not prove an inner side unique (PostgreSQL's inner_unique)
        tail += [("Join Type", join or "Inner"), ("Inner Unique", False)]
        return head, tail
    m = _SETOP.match(title)
    if m is not None:
        strategy, command = m.groups()
        head += [("Node Type", "SetOp"), ("Strategy", "Hashed" if strategy == "HashSetOp"
                 else "Sorted")]  # fmt: skip
        tail.append(("Command", command))
        return head, tail
    if title in _AGGREGATES:
        head += [("Node Type", "Aggregate"), ("Strategy", _AGGREGATES[title]),
                 ("Partial Mode", "Simple")]  # fmt: skip
        return head, tail
    m = _ON.match(title)
    if m is not None:
        kind, rel, alias = m.groups()
        name, shown = _unquote(rel), _unquote(alias or rel)
        if kind in _DML:
            head += [("Node Type", "ModifyTable"), ("Operation", _DML[kind])]
            tail += [("Relation Name", name), ("Alias", shown)]
        elif kind in ("CTE Scan", "WorkTable Scan"):
            head.append(("Node Type", kind))
            tail += [("CTE Name", name), ("Alias", shown)]
        elif kind == "Function Scan":
            head.append(("Node Type", kind))
            tail += [("Function Name", name), ("Alias", shown)]
        elif kind in ("Subquery Scan", "Values Scan"):
            head.append(("Node Type", kind))
            tail.append(("Alias", _unquote(alias or rel)))
        else:
            head.append(("Node Type", kind))
            tail += [("Relation Name", name), ("Alias", shown)]
        return head, tail
    head.append(("Node Type", title))
    if title in ("Append", "Merge Append"):
        tail.append(("Subplans Removed", 0))  # no run-time partition pruning
    return head, tail


def _node(
    line: Line,
    relationship: str | None,
    subplan: str | None,
    costs: bool,
    actual: tuple[float, int] | None,
) -> Props:
    head, tail = _title(line.title)
    props = list(head)  # the node type and its strategy or operation, then how it is used
    if relationship is not None:
        props.append(("Parent Relationship", relationship))
    if subplan is not None:
        props.append(("Subplan Name", subplan))
    props += [("Parallel Aware", False), ("Async Capable", False)]
    late = [p for p in tail if p[0] == "Inner Unique"]  # after the costs, as PostgreSQL's
    props += [p for p in tail if p[0] != "Inner Unique"]
    if costs:
        start, total = line.cost()
        rows, width = line.rows_width()
        props += [("Startup Cost", Number(f"{start:.2f}")), ("Total Cost", Number(f"{total:.2f}")),
                  ("Plan Rows", max(round(rows), 1)), ("Plan Width", width)]  # fmt: skip
    if actual is not None:
        ms, n = actual
        props += [("Actual Startup Time", Number(f"{ms:.3f}")),
                  ("Actual Total Time", Number(f"{ms:.3f}")),
                  ("Actual Rows", n), ("Actual Loops", 1)]  # fmt: skip
    props += late
    for detail in line.details:
        key, sep, value = detail.partition(": ")
        if sep:
            props.append((key, _split(value) if key in _LISTS else value))
    plans: list[Props] = [_node(p, "InitPlan", name, costs, None) for name, p in line.sections]
    kind = props[0][1]
    for i, child in enumerate(line.children):
        if kind in _MEMBERS or line.title in _MEMBERS:
            rel = "Member"
        elif kind == "Subquery Scan":
            rel = "Subquery"
        else:
            rel = "Outer" if i == 0 else "Inner"
        plans.append(_node(child, rel, None, costs, None))
    if plans:
        props.append(("Plans", plans))
    return props


def _split(value: str) -> list[str]:
    """A key list (``a, f(b, c) DESC``) split at its top-level commas."""
    out, depth, quoted, start = [], 0, "", 0
    for i, ch in enumerate(value):
        if quoted:
            if ch == quoted:
                quoted = ""
        elif ch in "'\"":
            quoted = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(value[start:i].strip())
            start = i + 1
    out.append(value[start:].strip())
    return out


def render(fmt: str, query: Props) -> str:
    """One statement's properties (``Plan`` and what follows it) in ``fmt``."""
    if fmt == "json":
        return "\n".join(["[", *_json_object(query, 2), "]"])
    if fmt == "yaml":
        return "\n".join(_yaml(query, 0, "- "))
    return "\n".join(['<explain xmlns="http://www.postgresql.org/2009/explain">', "  <Query>",
                      *_xml(query, 4), "  </Query>", "</explain>"])  # fmt: skip


def _scalar_json(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Number):
        return v.text
    if isinstance(v, int | float):
        return str(v)
    return _quote(str(v))


def _quote(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def _json_object(props: Props, indent: int) -> list[str]:
    pad = " " * indent
    lines = [pad + "{"]
    for i, (key, value) in enumerate(props):
        comma = "," if i < len(props) - 1 else ""
        inner = " " * (indent + 2)
        if isinstance(value, list) and value and isinstance(value[0], list):
            lines.append(f'{inner}"{key}": [')
            for j, child in enumerate(value):
                body = _json_object(child, indent + 4)
                if j < len(value) - 1:
                    body[-1] += ","
                lines += body
            lines.append(f"{inner}]{comma}")
        elif isinstance(value, list) and key == "Triggers":
            lines += [f'{inner}"{key}": [', f"{inner}]{comma}"]
        elif isinstance(value, list):
            lines.append(f'{inner}"{key}": [{", ".join(_quote(str(x)) for x in value)}]{comma}')
        elif isinstance(value, dict):
            lines.append(f'{inner}"{key}": ' + "{")
            body = _json_object(list(value.items()), indent + 2)
            lines += body[1:-1]
            lines.append(inner + "}" + comma)
        else:
            lines.append(f'{inner}"{key}": {_scalar_json(value)}{comma}')
    lines.append(pad + "}")
    return lines


def _yaml(props: Props, indent: int, first: str = "") -> list[str]:
    """``props`` as a YAML mapping; ``first``: the list marker before its first key."""
    lines = []
    for i, (key, value) in enumerate(props):
        lead = " " * indent + (first if i == 0 else " " * len(first))
        inner = indent + len(first)
        if isinstance(value, dict):
            lines.append(f"{lead}{key}: ")
            lines += _yaml(list(value.items()), inner + 2)
        elif isinstance(value, list) and value and isinstance(value[0], list):
            lines.append(f"{lead}{key}: ")
            for child in value:
                lines += _yaml(child, inner + 2, "- ")
        elif isinstance(value, list):
            lines.append(f"{lead}{key}: ")
            lines += [" " * (inner + 2) + "- " + _quote(str(x)) for x in value]
        else:
            lines.append(f"{lead}{key}: {_scalar_json(value)}")
    return lines


def _xml(props: Props, indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for key, value in props:
        tag = key.replace(" ", "-")
        if isinstance(value, dict):
            lines += [f"{pad}<{tag}>", *_xml(list(value.items()), indent + 2), f"{pad}</{tag}>"]
        elif isinstance(value, list) and value and isinstance(value[0], list):
            lines.append(f"{pad}<{tag}>")
            for child in value:
                lines += [f"{pad}  <Plan>", *_xml(child, indent + 4), f"{pad}  </Plan>"]
            lines.append(f"{pad}</{tag}>")
        elif isinstance(value, list):
            lines.append(f"{pad}<{tag}>")
            lines += [f"{pad}  <Item>{_escape_xml(str(x))}</Item>" for x in value]
            lines.append(f"{pad}</{tag}>")
        else:
            text = _scalar_json(value) if not isinstance(value, str) else _escape_xml(value)
            lines.append(f"{pad}<{tag}>{text}</{tag}>")
    return lines


def _escape_xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
