"""Every sargable predicate reads through the primary key or an index, and answers exactly as
PostgreSQL does: BETWEEN, IN lists and ``= ANY(array)``, ``LIKE 'prefix%'``, IS NULL, ORs
of ranges on one column, row comparisons, multi-column prefixes (equalities then a range),
an index-only scan when the index covers the query, and statistics (ANALYZE) deciding
between an index and a sequential scan."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kv.client import TxnClient
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv
from tests.sql.differential import Differ

SCHEMA = [
    "CREATE TABLE s (a int, b int, c text, d numeric(6,2), e int, PRIMARY KEY (a, b))",
    "CREATE INDEX s_c ON s (c)",
    "CREATE INDEX s_de ON s (d, e)",
    "CREATE INDEX s_e ON s (e DESC)",
    "CREATE UNIQUE INDEX s_bc ON s (b, c)",
    "INSERT INTO s SELECT i % 7, i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'k' || (i % 13) END, "
    "CASE WHEN i % 6 = 0 THEN NULL ELSE (i % 9) / 2.0 END, "
    "CASE WHEN i % 4 = 0 THEN NULL ELSE i % 11 END FROM generate_series(1, 300) i",
]

# (query, the scan line EXPLAIN must show)
FORMS = [
    ("SELECT * FROM s WHERE a BETWEEN 2 AND 3", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a NOT BETWEEN 2 AND 5", "Seq Scan on s"),
    ("SELECT * FROM s WHERE a = 2 AND b BETWEEN 100 AND 130", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = 2 AND b > 290", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a IN (1, 3, 3, 40) AND b < 50", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = 3 AND b IN (3, 10, 17, 10, 5)", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = ANY(ARRAY[2, 1, 2]) AND b < 40", "Index Scan using s_pkey on s"),
    (
        "SELECT * FROM s WHERE a IN (1, 2) AND b IN (8, 9, 15, 16, 22, 23)",
        "Index Scan using s_pkey on s",
    ),
    ("SELECT * FROM s WHERE a IN (1, NULL)", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a BETWEEN 2 AND NULL", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = 1 OR a = 4 OR a > 5", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a < 1 OR a BETWEEN 1 AND 2 OR a = 2", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE (a, b) > (5, 290)", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE (a, b) <= (0, 30)", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE (a, b) >= (6, NULL)", "Index Scan using s_pkey on s"),
    (
        "SELECT * FROM s WHERE (a, b) < (1, 200) AND (a, b) >= (0, 150)",
        "Index Scan using s_pkey on s",
    ),
    ("SELECT * FROM s WHERE c LIKE 'k1%'", "Index Scan using s_c on s"),
    ("SELECT * FROM s WHERE c LIKE 'k1_'", "Index Scan using s_c on s"),
    ("SELECT * FROM s WHERE c LIKE 'k12'", "Index Scan using s_c on s"),
    ("SELECT * FROM s WHERE c NOT LIKE 'k1%'", "Seq Scan on s"),
    ("SELECT * FROM s WHERE c IS NULL", "Index Scan using s_c on s"),
    ("SELECT * FROM s WHERE c IN ('k1', 'k3') OR c IS NULL", "Index Scan using s_c on s"),
    ("SELECT * FROM s WHERE c BETWEEN 'k10' AND 'k2'", "Index Scan using s_c on s"),
    ("SELECT * FROM s WHERE d = 2 AND e BETWEEN 3 AND 8", "Index Scan using s_de on s"),
    ("SELECT * FROM s WHERE d = 1.5 AND e IS NULL", "Index Scan using s_de on s"),
    ("SELECT * FROM s WHERE d IS NULL AND e > 5", "Index Scan using s_de on s"),
    ("SELECT * FROM s WHERE d IN (1, 3.5) AND e IN (2, 4)", "Index Scan using s_de on s"),
    ("SELECT * FROM s WHERE d > 3.25", "Index Scan using s_de on s"),
    ("SELECT * FROM s WHERE e BETWEEN 3 AND 5", "Index Scan using s_e on s"),
    ("SELECT * FROM s WHERE e > 8 OR e < 1", "Index Scan using s_e on s"),
    ("SELECT * FROM s WHERE e IS NULL", "Index Scan using s_e on s"),
    ("SELECT * FROM s WHERE e IN (3, 7)", "Index Scan using s_e on s"),
    ("SELECT * FROM s WHERE e = 2.5", "Seq Scan on s"),
    ("SELECT * FROM s WHERE a BETWEEN 1.5 AND 3", "Seq Scan on s"),
    ("SELECT * FROM s WHERE a BETWEEN 1::bigint AND 2", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = 6 AND b > -3000000000", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = 2147483647::bigint + 1", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE a = 6 AND b = 13::bigint", "Index Scan using s_pkey on s"),
    ("SELECT * FROM s WHERE e = ANY(ARRAY[3, 5000000000])", "Index Scan using s_e on s"),
    ("SELECT * FROM s WHERE e <= 5000000000 AND e >= 10", "Index Scan using s_e on s"),
    ("SELECT * FROM s WHERE d BETWEEN 1 AND 2", "Index Scan using s_de on s"),
    ("SELECT c, a, b FROM s WHERE c LIKE 'k2%'", "Index Only Scan using s_c on s"),
    ("SELECT count(*) FROM s WHERE c IS NULL", "Index Only Scan using s_c on s"),
    ("SELECT e, a, b FROM s WHERE e IN (3, 7) OR e IS NULL", "Index Only Scan using s_e on s"),
    ("SELECT d, e FROM s WHERE d = 2 AND e > 3", "Index Scan using s_de on s"),
    (
        "SELECT b, c FROM s WHERE b BETWEEN 10 AND 30 AND c <> 'k3'",
        "Index Only Scan using s_bc on s",
    ),
    ("SELECT a, b, c FROM s WHERE b IN (15, 16, 20)", "Index Only Scan using s_bc on s"),
    ("SELECT b FROM s WHERE (b, c) >= (295, 'k6')", "Index Only Scan using s_bc on s"),
    ("SELECT a, b FROM s WHERE a = 2 AND b < 30 ORDER BY b DESC", "Index Scan using s_pkey on s"),
]


def setup(differ: Differ) -> None:
    for stmt in SCHEMA:
        differ.check(stmt)


@pytest.mark.parametrize(("query", "path"), FORMS, ids=[q for q, _ in FORMS])
def test_sargable_form_uses_the_index_and_matches_postgres(
    differ: Differ, query: str, path: str
) -> None:
    setup(differ)
    differ.check(query)
    plan = [r[0] for r in differ.session.execute("EXPLAIN (COSTS OFF) " + query)[0].rows or []]
    assert any(line.lstrip(" ->") == path for line in plan), plan


def test_cached_plan_evaluates_bounds_at_each_execution() -> None:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
    s.execute("CREATE TABLE t (k int PRIMARY KEY, v text)")
    s.execute("CREATE INDEX t_v ON t (v)")
    s.execute("INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50) i")
    between = s.prepare("SELECT k FROM t WHERE k BETWEEN $1 AND $2 ORDER BY k")
    assert s.execute_prepared(between, [3, 5]).rows == [(3,), (4,), (5,)]
    assert s.execute_prepared(between, [48, 60]).rows == [(48,), (49,), (50,)]
    assert s.execute_prepared(between, [None, 60]).rows == []
    anyk = s.prepare("SELECT k FROM t WHERE k = ANY($1) ORDER BY k")
    assert s.execute_prepared(anyk, [[7, 2, 7, 99]]).rows == [(2,), (7,)]
    assert s.execute_prepared(anyk, [[]]).rows == []
    assert s.execute_prepared(anyk, [[5, 3, 4, 4]]).rows == [(3,), (4,), (5,)]
    like = s.prepare("SELECT k FROM t WHERE v LIKE $1 ORDER BY k")
    assert s.execute_prepared(like, ["v4%"]).rows == [(4,)] + [(k,) for k in range(40, 50)]
    assert s.execute_prepared(like, ["%5"]).rows == [(5,), (15,), (25,), (35,), (45,)]
    plan = s.execute("EXPLAIN (COSTS OFF) SELECT k FROM t WHERE k BETWEEN 1 AND 2")[0].rows or []
    assert "Index Scan using t_pkey on t" in [r[0].lstrip(" ->") for r in plan]


def test_outer_reference_bounds_a_correlated_subquery(differ: Differ) -> None:
    setup(differ)
    differ.check(
        "SELECT o.a, o.b, (SELECT count(*) FROM s i WHERE i.a = o.a AND i.b BETWEEN o.b "
        "AND o.b + 20) FROM s o WHERE o.a = 1 ORDER BY o.b"
    )
    differ.check(
        "SELECT o.b FROM s o WHERE o.a = 2 AND EXISTS (SELECT 1 FROM s i WHERE i.c LIKE "
        "o.c || '%' AND i.a IN (o.a, o.a + 1)) ORDER BY o.b"
    )


def test_analyze_makes_a_range_over_most_of_the_table_a_seq_scan() -> None:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
    s.execute("CREATE TABLE t (k int PRIMARY KEY, v int)")
    s.execute("CREATE INDEX t_v ON t (v)")
    s.execute("INSERT INTO t SELECT i, i FROM generate_series(1, 1000) i")
    wide = "EXPLAIN (COSTS OFF) SELECT * FROM t WHERE v > 10"
    narrow = "EXPLAIN (COSTS OFF) SELECT * FROM t WHERE v BETWEEN 10 AND 20"
    s.execute("ANALYZE t")
    assert (s.execute(wide)[0].rows or [("",)])[0][0] == "Seq Scan on t"
    plan = [r[0].lstrip(" ->") for r in s.execute(narrow)[0].rows or []]
    assert "Index Scan using t_v on t" in plan
    # A primary-key range reads a subset of what a scan would, however wide.
    pk = "EXPLAIN (COSTS OFF) SELECT * FROM t WHERE k > 10"
    assert "Index Scan using t_pkey on t" in [r[0].lstrip(" ->") for r in s.execute(pk)[0].rows]


def test_statistics_of_an_empty_table_do_not_turn_ranges_into_scans() -> None:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
    s.execute("CREATE TABLE t (k int PRIMARY KEY, v int)")
    s.execute("CREATE INDEX t_v ON t (v)")
    s.execute("ANALYZE t")
    s.execute("INSERT INTO t SELECT i, i FROM generate_series(1, 1000) i")
    plan = s.execute("EXPLAIN (COSTS OFF) SELECT * FROM t WHERE v BETWEEN 10 AND 20")[0].rows or []
    assert "Index Scan using t_v on t" in [r[0].lstrip(" ->") for r in plan]


COLS = {"a": "int", "b": "int", "c": "txt", "d": "num", "e": "int"}


def _lit(kind: str, draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return "NULL"
    if kind == "int":
        n = draw(st.sampled_from([*range(-2, 14), 3_000_000_000, -3_000_000_000, 2**31 - 1]))
        return f"{n}::bigint" if draw(st.integers(0, 4)) == 0 else str(n)
    if kind == "num":
        return draw(st.sampled_from(["0", "1", "1.5", "2.25", "3", "4", "2.5"]))
    return "'" + draw(st.sampled_from(["k", "k1", "k10", "k12", "k2", "k9", "l", ""])) + "'"


@st.composite
def sargable(draw: st.DrawFn, depth: int = 0) -> str:
    col = draw(st.sampled_from(sorted(COLS)))
    kind = COLS[col]
    form = draw(st.integers(0, 10 if depth < 2 else 6))
    if form == 0:
        return f"{col} IS {'NOT ' if draw(st.booleans()) else ''}NULL"
    if form == 1:
        op = draw(st.sampled_from(["=", "<", "<=", ">", ">="]))
        return f"{col} {op} {_lit(kind, draw)}"
    if form == 2:
        neg = "NOT " if draw(st.integers(0, 4)) == 0 else ""
        return f"{col} {neg}BETWEEN {_lit(kind, draw)} AND {_lit(kind, draw)}"
    if form == 3:
        items = ", ".join(_lit(kind, draw) for _ in range(draw(st.integers(1, 4))))
        return f"{col} IN ({items})"
    if form == 4 and kind == "txt":
        prefix = draw(st.sampled_from(["k", "k1", "k1_", "", "k%2", "l"]))
        return f"{col} LIKE '{prefix}{draw(st.sampled_from(['%', '', '_%']))}'"
    if form == 4:
        items = ", ".join(_lit(kind, draw) for _ in range(draw(st.integers(0, 3))))
        cast = {"int": "bigint[]", "num": "numeric[]"}[kind]  # int[] of 3e9 fails in PG
        return f"{col} = ANY(ARRAY[{items}]::{cast})"
    if form == 5:
        op = draw(st.sampled_from(["<", "<=", ">", ">="]))
        second = _lit("int", draw) if draw(st.booleans()) else str(draw(st.integers(0, 300)))
        return f"(a, b) {op} ({_lit('int', draw)}, {second})"
    if form == 6:
        op = draw(st.sampled_from(["<", ">="]))
        return f"(d, e) {op} ({_lit('num', draw)}, {_lit('int', draw)})"
    if form == 10:  # whole primary keys: point gets
        a_in = ", ".join(_lit("int", draw) for _ in range(draw(st.integers(1, 3))))
        b_in = ", ".join(_lit("int", draw) for _ in range(draw(st.integers(1, 4))))
        return f"a IN ({a_in}) AND b IN ({b_in})"
    left, right = draw(sargable(depth + 1)), draw(sargable(depth + 1))
    return f"({left}) {'OR' if form == 7 else 'AND'} ({right})"


_READY: set[int] = set()


@settings(
    max_examples=int(os.environ.get("DB9_SQL_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_sargable_predicates_match_postgres(differ: Differ, data: st.DataObject) -> None:
    if id(differ) not in _READY:
        setup(differ)
        _READY.add(id(differ))
    for _ in range(5):
        pred = data.draw(sargable())
        select = data.draw(st.sampled_from(["*", "a, b", "c, a", "d, e, b", "count(*)"]))
        differ.check(f"SELECT {select} FROM s WHERE {pred}")


def test_an_inner_hash_join_hashes_the_side_analyze_finds_smaller(differ: Differ) -> None:
    setup(differ)
    differ.check("CREATE TABLE tiny (k int PRIMARY KEY, label text)")
    differ.check("INSERT INTO tiny VALUES (1, 'one'), (3, 'three')")
    differ.check("ANALYZE")
    query = "SELECT tiny.label, s.b, s.c FROM tiny JOIN s ON s.a = tiny.k AND s.b < 100"
    differ.check(query)
    differ.check("SELECT t.label, s.b FROM s JOIN tiny t ON s.a = t.k WHERE s.b > 250")
    rows = differ.session.execute("EXPLAIN (COSTS OFF) " + query)[0].rows
    plan = [r[0].strip(" ->") for r in rows or []]
    assert plan[-2:] == ["Hash", "Seq Scan on tiny"], plan  # the left side is hashed


def test_analyze_reads_every_column_type() -> None:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
    s.execute(
        "CREATE TABLE t (k int PRIMARY KEY, i interval, j jsonb, a int[], f float8, n numeric, "
        "d date, b bytea, u uuid)"
    )
    s.execute(
        "INSERT INTO t VALUES (1, '1 day', '{\"x\": [1]}', '{1,2}', 'NaN', 'NaN', '2020-01-01', "
        "'\\x00', '00000000-0000-0000-0000-000000000001'), (2, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL)"
    )
    assert s.execute("ANALYZE t")[0].tag == "ANALYZE"
    assert s.execute("SELECT k FROM t WHERE k BETWEEN 1 AND 2 ORDER BY k")[0].rows == [(1,), (2,)]


def test_descending_text_index_serves_like_ranges_and_nulls(differ: Differ) -> None:
    differ.check("CREATE TABLE w (k int PRIMARY KEY, t text, n int)")
    differ.check("CREATE INDEX w_tn ON w (t DESC, n DESC)")
    differ.check(
        "INSERT INTO w SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE 'w' || (i % 37) END, "
        "CASE WHEN i % 4 = 0 THEN NULL ELSE i % 5 END FROM generate_series(1, 200) i"
    )
    for pred in [
        "t LIKE 'w1%'",
        "t LIKE 'w3_'",
        "t > 'w30' AND t <= 'w5'",
        "t IS NULL AND n > 2",
        "t = 'w7' AND n IS NULL",
        "t IN ('w2', 'w20') AND n BETWEEN 1 AND 3",
        "(t, n) > ('w35', 2)",
        "(t, n) <= ('w10', 1)",
        "t = 'w8' AND (n = 0 OR n >= 4)",
    ]:
        query = f"SELECT k, t, n FROM w WHERE {pred}"
        differ.check(query)
        rows = differ.session.execute("EXPLAIN (COSTS OFF) " + query)[0].rows
        plan = [r[0].strip(" ->") for r in rows or []]
        assert any(line.startswith("Index") and "using w_tn" in line for line in plan), plan


PREPARED = [
    ("SELECT a, b FROM s WHERE a BETWEEN $1 AND $2", [(1, 2), (3, None), (5, 4), (0, 0)]),
    ("SELECT a, b FROM s WHERE a = $1 AND b > $2", [(2, 290), (6, 0), (None, 1)]),
    ("SELECT b, c FROM s WHERE c LIKE $1", [("k1%",), ("k12",), ("%",), ("k_",), (None,)]),
    ("SELECT b FROM s WHERE e = ANY($1)", [([3, 7],), ([],), ([None, 2],), (None,)]),
    ("SELECT a, b FROM s WHERE (a, b) > ($1, $2)", [(5, 290), (6, None), (None, 3)]),
    ("SELECT a, b FROM s WHERE a IN ($1, $2) AND b < $3", [(1, 1, 40), (2, None, 30)]),
    ("SELECT b FROM s WHERE d = $1 AND e IS NULL", [(Decimal("1.5"),), (Decimal("2"),)]),
]


@pytest.mark.parametrize(("query", "runs"), PREPARED, ids=[q for q, _ in PREPARED])
def test_a_prepared_statement_reuses_its_plan_with_new_bounds(
    differ: Differ, query: str, runs: list[tuple[Any, ...]]
) -> None:
    setup(differ)
    prepared = differ.session.prepare(query)
    pg_query = query
    for n in range(3, 0, -1):
        pg_query = pg_query.replace(f"${n}", "%s")
    for params in runs:
        ours = differ.session.execute_prepared(prepared, list(params)).rows or []
        theirs = differ.pg.execute(pg_query.encode(), params).fetchall()
        assert sorted(ours, key=repr) == sorted(theirs, key=repr), (query, params)
