"""Hypothesis writes random tables and queries; db9 must answer exactly as PostgreSQL does
(rows, column names and SQLSTATEs)."""

from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

TYPES = {"int": "integer", "txt": "text", "num": "numeric(6,2)", "flag": "boolean"}
COLUMNS = ["a", "b", "c"]


def literal(kind: str, draw: st.DrawFn) -> str:
    if kind == "int":
        return str(draw(st.integers(-50, 50)))
    if kind == "txt":
        return "'" + draw(st.text(alphabet="abAB _%", max_size=4)).replace("'", "''") + "'"
    if kind == "num":
        return str(Decimal(draw(st.integers(-9999, 9999))) / 100)
    return draw(st.sampled_from(["true", "false"]))


@st.composite
def table_and_rows(draw: st.DrawFn) -> tuple[dict[str, str], list[str]]:
    kinds = {c: draw(st.sampled_from(sorted(TYPES))) for c in COLUMNS}
    rows = []
    for i in range(draw(st.integers(0, 12))):
        vals = [str(i)]
        for c in COLUMNS:
            vals.append("NULL" if draw(st.integers(0, 5)) == 0 else literal(kinds[c], draw))
        rows.append("(" + ", ".join(vals) + ")")
    return kinds, rows


@st.composite
def predicate(draw: st.DrawFn, kinds: dict[str, str], depth: int = 0) -> str:
    col = draw(st.sampled_from(COLUMNS))
    kind = kinds[col]
    choice = draw(st.integers(0, 7 if depth < 2 else 4))
    if choice == 0:
        return f"{col} IS {'NOT ' if draw(st.booleans()) else ''}NULL"
    if choice in (1, 2):
        op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
        return f"{col} {op} {literal(kind, draw)}"
    if choice == 3:
        items = ", ".join(literal(kind, draw) for _ in range(draw(st.integers(1, 3))))
        return f"{col} {'NOT ' if draw(st.booleans()) else ''}IN ({items})"
    if choice == 4:
        if kind == "txt":
            return f"{col} LIKE {literal('txt', draw)}"
        if kind == "flag":
            return col
        lo, hi = literal(kind, draw), literal(kind, draw)
        return f"{col} BETWEEN {lo} AND {hi}"
    left = draw(predicate(kinds, depth + 1))
    if choice == 5:
        return f"NOT ({left})"
    right = draw(predicate(kinds, depth + 1))
    return f"({left}) {'AND' if choice == 6 else 'OR'} ({right})"


@st.composite
def query(draw: st.DrawFn, kinds: dict[str, str]) -> str:
    where = f" WHERE {draw(predicate(kinds))}" if draw(st.booleans()) else ""
    numeric = [c for c in COLUMNS if kinds[c] in ("int", "num")]
    shape = draw(st.integers(0, 3))
    if shape == 0:
        cols = draw(st.lists(st.sampled_from(["id", *COLUMNS]), min_size=1, max_size=3))
        select = ", ".join(cols)
        order = ", ".join(
            f"{c} {draw(st.sampled_from(['ASC', 'DESC']))} "
            f"NULLS {draw(st.sampled_from(['FIRST', 'LAST']))}"
            for c in cols
        )
        limit = f" LIMIT {draw(st.integers(0, 5))}" if draw(st.booleans()) else ""
        return f"SELECT {select} FROM t{where} ORDER BY {order}, id{limit}"
    if shape == 1:
        group = draw(st.sampled_from(COLUMNS))
        aggs = ["count(*)"]
        if numeric:
            n = draw(st.sampled_from(numeric))
            aggs += [f"sum({n})", f"min({n})", f"max({n})"]
        having = " HAVING count(*) > 1" if draw(st.booleans()) else ""
        return f"SELECT {group}, {', '.join(aggs)} FROM t{where} GROUP BY {group}{having}"
    if shape == 2 and numeric:
        n = draw(st.sampled_from(numeric))
        op = draw(st.sampled_from(["+", "-", "*"]))
        other = literal(kinds[n], draw)
        return f"SELECT id, {n} {op} {other} AS v FROM t{where} ORDER BY id"
    return f"SELECT count(*), count(DISTINCT {draw(st.sampled_from(COLUMNS))}) FROM t{where}"


@settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_queries_over_random_tables_match_postgres(
    differ: Differ, data: st.DataObject
) -> None:
    kinds, rows = data.draw(table_and_rows())
    differ.reset()
    cols = ", ".join(f"{c} {TYPES[kinds[c]]}" for c in COLUMNS)
    differ.check(f"CREATE TABLE t (id integer PRIMARY KEY, {cols})")
    if rows:
        differ.check(f"INSERT INTO t VALUES {', '.join(rows)}")
    for _ in range(4):
        differ.check(data.draw(query(kinds)))
