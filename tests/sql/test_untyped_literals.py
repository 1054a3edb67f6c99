"""An untyped literal ('...', type unknown) or a parameter of unspecified type takes the type
its context gives it, as PostgreSQL's type resolution does: the array of ``= ANY``/``<> ALL``,
the items of IN, the operands of comparisons, BETWEEN and the array operators, the values of
INSERT and UPDATE, the arms of UNION. Hypothesis draws column type x context x literal
(good, bad, NULL elements, quoted, empty, malformed) over a primary-key column (read
through the key) and a plain one (read through the filter); db9 must answer as PostgreSQL
15 does, rows or SQLSTATE. Parameters go over pgwire with psycopg, text format, no type."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pgwire.conftest import Running, start_server
from tests.sql.differential import Differ
from tests.sql.pg import connect

# The text of each type's values: the first three are the rows' keys.
VALUES = {
    "int": ["1", "2", "3", "-3", " 2 ", "abc", "1.5", "2147483648", ""],
    "numeric": ["1.5", "2", "3.25", "2.50", "-0", "1e1", "x"],
    "date": ["2020-01-01", "2020-01-02", "2020-02-29", "2020-13-01", "nope"],
    "boolean": ["t", "f", "yes", "off", "maybe"],
    "timestamptz": ["2020-01-01 00:00:00+00", "2020-01-02", "2020-01-03 05:00+05", "bad"],
    "uuid": [
        "00000000-0000-0000-0000-000000000001",
        "00000000000000000000000000000002",
        "{00000000-0000-0000-0000-000000000003}",
        "zz",
    ],
    "text": ["a", "b", "a b", "", "c"],
}
ARRAYS = {"int[]": "int", "text[]": "text"}
TYPES = [*VALUES, *ARRAYS]


def _table(t: str) -> str:
    return "t_" + t.replace("[]", "_arr")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def array_text(draw: st.DrawFn, elem: str) -> str:
    """An array literal's text over values of type ``elem``: elements quoted or not, NULLs,
    empty, and now and then a malformed one."""
    shape = draw(st.integers(0, 19))
    if shape == 0:
        return draw(st.sampled_from(["{1,2", "1,2", "{{1},2}", "{,}", "{ }"]))
    items = []
    for _ in range(draw(st.integers(0, 3))):
        v = draw(st.sampled_from([*VALUES[elem], None]))
        if v is None:
            items.append("NULL")
        elif v == "" or " " in v or "{" in v or draw(st.booleans()):
            items.append('"' + v + '"')
        else:
            items.append(v)
    return "{" + ",".join(items) + "}"


def value_text(t: str) -> st.SearchStrategy[str]:
    """The text of a value of column type ``t`` (may be bad input for it)."""
    if t in ARRAYS:
        return array_text(ARRAYS[t])
    return st.sampled_from(VALUES[t])


def literal(t: str) -> st.SearchStrategy[str]:
    return st.one_of(value_text(t).map(_quote), st.just("NULL"))


@st.composite
def condition(draw: st.DrawFn, t: str, col: str) -> str:
    """A WHERE condition on column ``col`` (of type ``t``) with untyped literals."""
    lit = literal(t)
    forms: list[Callable[[], str]] = [
        lambda: f"{col} = ANY({_quote(draw(array_text(ARRAYS.get(t, t))))})",
        lambda: f"{col} <> ALL({_quote(draw(array_text(ARRAYS.get(t, t))))})",
        lambda: f"{col} > SOME({_quote(draw(array_text(ARRAYS.get(t, t))))})",
        lambda: f"{col} IN ({draw(lit)}, {draw(lit)})",
        lambda: f"{col} NOT IN ({draw(lit)})",
        lambda: f"{col} = {draw(lit)}",
        lambda: f"{draw(lit)} = {col}",
    ]
    if t not in ARRAYS:  # (the order of arrays with NULL elements is not PostgreSQL's yet)
        forms += [
            lambda: f"{col} <= {draw(lit)}",
            lambda: f"{col} BETWEEN {draw(lit)} AND {draw(lit)}",
            lambda: f"{col} BETWEEN SYMMETRIC {draw(lit)} AND {draw(lit)}",
        ]
    else:

        def arr() -> str:
            return _quote(draw(array_text(ARRAYS[t])))

        def elem() -> str:
            return _quote(draw(value_text(ARRAYS[t])))

        forms += [
            lambda: f"{arr()} @> {col}",
            lambda: f"{col} <@ {arr()}",
            lambda: f"{col} && {arr()}",
            lambda: f"{elem()} = ANY({col})",
        ]
    return draw(st.sampled_from(forms))()


def setup(check: Callable[[str], object]) -> None:
    """One table per type: k its primary key, p a plain column of the same type."""
    for t in TYPES:
        table = _table(t)
        check(f"CREATE TABLE {table} (k {t} PRIMARY KEY, p {t})")
        if t in ARRAYS:
            rows = [("'{1,2}'", "'{1,2}'"), ("'{3}'", "NULL"), ("'{}'", "'{3}'")]
            if t == "text[]":
                rows = [("'{a,b}'", "'{a,b}'"), ("'{\"a b\"}'", "NULL"), ("'{}'", "'{\"a b\"}'")]
        else:
            v = [_quote(x) for x in VALUES[t][:3]]
            rows = [(v[0], v[0]), (v[1], "NULL"), (v[2], v[1])]
        values = ", ".join(f"({k}, {p})" for k, p in rows)
        check(f"INSERT INTO {table} VALUES {values}")


@pytest.fixture
def tables(differ: Differ) -> Differ:
    """The differ, with the tables of ``setup`` on both sides (once per test: every
    example of a hypothesis test shares them, and what its statements changed)."""
    setup(differ.check)
    return differ


@settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_untyped_literals_take_their_context_type_as_in_postgres(
    tables: Differ, data: st.DataObject
) -> None:
    differ = tables
    t = data.draw(st.sampled_from(TYPES))
    table = _table(t)
    for _ in range(4):
        col = data.draw(st.sampled_from(["k", "p"]))
        differ.check(f"SELECT k, p FROM {table} WHERE {data.draw(condition(t, col))}")
    lit = literal(t)
    x, y, z = data.draw(lit), data.draw(lit), data.draw(lit)
    differ.check(
        data.draw(
            st.sampled_from(
                [
                    f"INSERT INTO {table} (k, p) VALUES ({x}, {y})",
                    f"INSERT INTO {table} VALUES ({x}, NULL), ({y}, {z}) RETURNING p",
                    f"UPDATE {table} SET p = {x} WHERE k = {y} RETURNING k, p",
                    *(q.replace("%s", x) for q in in_expressions(t)),
                ]
            )
        )
    )


def in_expressions(t: str) -> list[str]:
    """Queries of the table of type ``t`` with a ``%s`` for an untyped value where an
    expression gives it a type: the common type of CASE, COALESCE, ARRAY[], greatest and
    UNION, the operands of NULLIF and of a simple CASE's comparison."""
    table = _table(t)
    queries = [
        f"SELECT k, NULLIF(p, %s) FROM {table}",
        f"SELECT k, COALESCE(p, %s) FROM {table}",
        f"SELECT k, CASE p WHEN %s THEN 1 ELSE 0 END FROM {table}",
        f"SELECT k, CASE WHEN p IS NULL THEN %s ELSE p END AS c FROM {table}",
        f"SELECT k, ARRAY[p, %s] FROM {table}",
        f"SELECT p FROM {table} UNION SELECT %s",
    ]
    if t not in ARRAYS:
        queries.append(f"SELECT k, greatest(p, %s) FROM {table}")
    return queries


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1 = ANY('{1,2}')",
        "SELECT 'a' = ANY('{a,b}')",
        "SELECT '1' > ALL('{0,NULL}')",
        "SELECT 2 = ANY('{{1,2},{3,4}}')",
        "SELECT 1 = ANY('{1,x}') AND false",
        "SELECT ARRAY[1] = ANY('{1}')",
        "SELECT '{1,2}' @> '{1}'::int[]",
        "SELECT '{1}'::int[] <@ '{1,2}'",
        "SELECT '{1,NULL}' && ARRAY[1]",
        "SELECT ARRAY[1,2] @> ARRAY[2]",
        "SELECT ARRAY['a'] && '{b}'",
        "SELECT '{1,2}'::int[] = ANY('{}')",
        "SELECT 1 UNION SELECT '2'",
        "SELECT 1 UNION SELECT 'x'",
        "SELECT 'a' UNION SELECT 'b' UNION SELECT 1",
        "SELECT ARRAY[1] UNION ALL SELECT '{2,3}' ORDER BY 1",
        "SELECT NULL UNION SELECT 2",
    ],
)
def test_untyped_literal_in_an_expression_as_in_postgres(differ: Differ, query: str) -> None:
    differ.check(query)


# -- parameters of unspecified type, over pgwire ----------------------------------------------


class Wire:
    """The same statement, with text parameters psycopg sends untyped, on db9 and on
    PostgreSQL: the rows, or the SQLSTATE."""

    def __init__(self, db9: psycopg.Connection[Any], pg: psycopg.Connection[Any]) -> None:
        self.db9, self.pg = db9, pg

    @staticmethod
    def _run(conn: psycopg.Connection[Any], sql: str, params: list[str | None]) -> Any:
        try:
            cur = conn.execute(sql.encode(), params, prepare=True)
        except psycopg.Error as exc:
            return exc.sqlstate
        return sorted(cur.fetchall(), key=repr) if cur.description else cur.statusmessage

    def check(self, sql: str, params: list[str | None] | None = None) -> None:
        ours, theirs = self._run(self.db9, sql, params or []), self._run(self.pg, sql, params or [])
        assert ours == theirs, f"{sql} {params}\ndb9:        {ours}\npostgresql: {theirs}"


@pytest.fixture
def wire(tmp_path: Path, pg_conninfo: str) -> Iterator[Wire]:
    pg = connect(pg_conninfo)
    pg.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    servers = start_server(tmp_path)
    server: Running = next(servers)
    db9 = psycopg.connect(server.dsn(), autocommit=True)
    try:
        both = Wire(db9, pg)
        setup(both.check)
        yield both
    finally:
        db9.close()
        pg.close()
        with contextlib.suppress(StopIteration):
            next(servers)


@st.composite
def parameterised(draw: st.DrawFn, t: str, col: str) -> tuple[str, list[str | None]]:
    """A condition on ``col`` with one or two ``%s`` parameters, and their text."""
    one = draw(st.one_of(value_text(t), st.none()))
    arr = draw(array_text(ARRAYS.get(t, t)))
    forms: list[tuple[str, list[str | None]]] = [
        (f"{col} = ANY(%s)", [arr]),
        (f"{col} <> ALL(%s)", [arr]),
        (f"{col} = %s", [one]),
        (f"{col} IN (%s, %s)", [one, draw(value_text(t))]),
    ]
    if t not in ARRAYS:
        forms.append((f"{col} BETWEEN %s AND %s", [one, draw(value_text(t))]))
    else:
        forms += [
            (f"%s @> {col}", [arr]),
            (f"%s = ANY({col})", [draw(value_text(ARRAYS[t]))]),
        ]
    return draw(st.sampled_from(forms))


@settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_untyped_parameters_take_their_context_type_as_in_postgres(
    wire: Wire, data: st.DataObject
) -> None:
    t = data.draw(st.sampled_from(TYPES))
    col = data.draw(st.sampled_from(["k", "p"]))
    cond, params = data.draw(parameterised(t, col))
    wire.check(f"SELECT k, p FROM {_table(t)} WHERE {cond}", params)
    value = data.draw(st.one_of(value_text(t), st.none()))
    wire.check(data.draw(st.sampled_from(in_expressions(t))), [value])
