"""Query semantics of PostgreSQL's regression scripts (aggregates, subqueries, joins), each
compared with a live PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

STATISTICS = [
    "SELECT var_pop(b), var_samp(b), stddev_pop(b), stddev_samp(b), variance(b), stddev(b) FROM t",
    "SELECT var_pop(b::numeric), var_samp(a), stddev_pop(a::int8), stddev(b::numeric) FROM t",
    "SELECT var_pop(a::int2), variance(a / 7.0) FROM t",
    "SELECT var_pop(1.0::float8), var_samp(2.0::float8), var_pop(1.0::numeric), var_samp(2.0)",
    "SELECT var_pop('inf'::float8), var_samp('nan'::float4), stddev_pop('inf'::numeric), "
    "stddev_samp('nan'::numeric)",
    "SELECT var_pop(x::numeric), var_pop(x::float8) FROM (VALUES ('1'), ('infinity')) v(x)",
    "SELECT avg(x::float8), var_pop(x::float8) "
    "FROM (VALUES (100000003), (100000004), (100000006), (100000007)) v(x)",
    "SELECT regr_count(b, a), regr_sxx(b, a), regr_syy(b, a), regr_sxy(b, a), regr_avgx(b, a), "
    "regr_avgy(b, a), regr_r2(b, a), regr_slope(b, a), regr_intercept(b, a) FROM t",
    "SELECT covar_pop(b, a), covar_samp(b, a), corr(b, a) FROM t",
    "SELECT covar_pop(1::float8, 'inf'::float8), covar_samp(3::float8, 'nan'::float8)",
    "SELECT regr_count(b, a), regr_slope(b, a), corr(b, a) FROM t WHERE a < 0",
    "SELECT a % 2 AS g, var_samp(DISTINCT b) FILTER (WHERE a > 1) FROM t GROUP BY 1 ORDER BY 1",
    "SELECT float8_accum('{4,140,2900}'::float8[], 100)",
    "SELECT float8_regr_accum('{4,140,2900,1290,83075,15050}'::float8[], 200, 100)",
    "SELECT float8_combine('{3,60,200}'::float8[], '{2,180,200}'::float8[])",
    "SELECT float8_regr_combine('{3,60,200,750,20000,2000}'::float8[], "
    "'{2,180,200,740,57800,-3400}'::float8[])",
    "SELECT var_pop(c) FROM t",
    "SELECT regr_count(c, a) FROM t",
]


@pytest.mark.parametrize("sql", STATISTICS)
def test_statistical_aggregates_match_postgres(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE t (a int, b real, c text)")
    differ.check(
        "INSERT INTO t VALUES (1, 2.5, 'x'), (2, 7.25, 'y'), (3, NULL, 'z'), (4, 100.5, NULL),"
        " (5, 0.125, 'w')"
    )
    differ.check(sql)


SUBQUERIES = [
    # a subquery reads a column of a query two levels out
    "SELECT a, (SELECT (SELECT max(b.c) FROM t b WHERE b.a = o.a)) FROM t o",
    "SELECT a FROM t o WHERE EXISTS (SELECT 1 FROM t m WHERE EXISTS "
    "(SELECT 1 FROM t i WHERE i.a = o.a AND i.b = m.b))",
    # EXISTS / NOT EXISTS correlated by equality, with NULLs on either side
    "SELECT a, b FROM t o WHERE EXISTS (SELECT 1 FROM u WHERE u.x = o.b)",
    "SELECT a, b FROM t o WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.x = o.b)",
    "SELECT a, b FROM t o WHERE NOT EXISTS (SELECT 1 FROM u WHERE o.b = u.x AND u.y > 1)",
    "SELECT a, b FROM t o WHERE EXISTS (SELECT * FROM u WHERE u.x = o.b AND u.y = o.a)",
    "SELECT a, EXISTS (SELECT 1 FROM u WHERE u.z = o.c) FROM t o",
    "SELECT a FROM t o WHERE EXISTS (SELECT 1 FROM u WHERE u.x = o.b) OR a < 2",
    "SELECT a FROM t o WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.x = o.b + 1)",
    "SELECT a FROM t o WHERE EXISTS (SELECT 1 FROM u JOIN t i ON i.b = u.x WHERE u.x = o.a)",
    "SELECT a FROM t o WHERE EXISTS (SELECT max(x) FROM u WHERE u.x = o.b)",
    "SELECT a FROM t o WHERE EXISTS (SELECT 1 FROM u WHERE u.x = o.b LIMIT 0)",
    "SELECT a FROM t o WHERE EXISTS (SELECT 1 FROM u WHERE u.y < o.a)",
    "SELECT a FROM t o WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.x = 99)",
    "SELECT a FROM t o WHERE EXISTS (SELECT 1 FROM u WHERE u.z = o.a)",
    # joins written as FROM a, b WHERE ... and JOIN ... USING
    "SELECT o.a, u.y FROM t o, u WHERE o.b = u.x AND u.y > 0",
    "SELECT count(*) FROM t o, u, t p WHERE o.b = u.x AND u.y = p.a AND o.a <> p.a",
    "SELECT * FROM t JOIN t t2 USING (a) ORDER BY a",
    "SELECT * FROM t FULL JOIN (SELECT x AS b, y FROM u) s USING (b) ORDER BY b, a",
]


@pytest.mark.parametrize("sql", SUBQUERIES)
def test_subqueries_and_joins_match_postgres(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE t (a int, b bigint, c text)")
    differ.check("CREATE TABLE u (x int, y numeric, z text)")
    differ.check("INSERT INTO t VALUES (1, 10, 'p'), (2, 20, NULL), (3, NULL, 'q'), (4, 10, 'r')")
    differ.check("INSERT INTO u VALUES (10, 1, 'p'), (10, 2.5, NULL), (NULL, 3, 'q'), (30, 4, 'x')")
    differ.check(sql)


def test_correlated_exists_is_a_hashed_semi_join(differ: Differ) -> None:
    """Thousands of outer rows each probing thousands of inner ones: a nested loop takes
    minutes, the hashed semi-join (and a cached uncorrelated EXISTS) well under a second."""
    import time

    differ.check("CREATE TABLE big (k int, v int)")
    differ.check("INSERT INTO big SELECT g, g % 1000 FROM generate_series(1, 3000) g")
    started = time.monotonic()
    differ.check("SELECT count(*) FROM big o WHERE EXISTS (SELECT 1 FROM big i WHERE i.v = o.k)")
    differ.check("SELECT count(*) FROM big o WHERE NOT EXISTS (SELECT 1 FROM big i WHERE i.k = 0)")
    differ.check("SELECT count(*) FROM big o, big i WHERE o.k = i.v AND i.k < 100")
    differ.check("SELECT count(*) FROM big o JOIN big i USING (k)")
    assert time.monotonic() - started < 20


FROM_ITEMS = [
    # a column alias list on a table renames its columns, a join's alias list the join's
    "SELECT t1.a, t2.e FROM t t1 (a, b), t t2 (d, e) WHERE t1.a = t2.d",
    "SELECT * FROM t t1 (a, b) JOIN t t2 (a, c) USING (a) ORDER BY a",
    "SELECT * FROM t t1 (x) NATURAL JOIN t t2 (y, x)",
    "SELECT ii, kk FROM (t CROSS JOIN t t2) AS tx (ii, jj, kk)",
    "SELECT * FROM t t1 (j, i) WHERE i = 10",
    "SELECT * FROM t t1 (a, b, c, d)",
    "SELECT * FROM t x JOIN (u x CROSS JOIN u y (ff)) j ON i = ff",
    "SELECT t.n FROM generate_series(1, 3) AS t(n)",
    # unnest in FROM: several arrays side by side, WITH ORDINALITY, LATERAL without the word
    "SELECT * FROM unnest(ARRAY[1, 2]) u(v)",
    "SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a', 'b', 'c']) WITH ORDINALITY AS u(a, b, n)",
    "SELECT * FROM unnest(ARRAY[[1, 2], [3, 4]]) WITH ORDINALITY",
    "SELECT u.* FROM unnest(ARRAY['x', NULL]) u",
    "SELECT i, x FROM t, unnest(ARRAY[i, j, NULL]) x ORDER BY 1, 2",
    "SELECT * FROM unnest(1)",
    "SELECT * FROM unnest(NULL::int[])",
]


@pytest.mark.parametrize("sql", FROM_ITEMS)
def test_from_items_match_postgres(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE t (i int, j int)")
    differ.check("CREATE TABLE u (k int)")
    differ.check("INSERT INTO t VALUES (1, 10), (2, 20), (3, NULL)")
    differ.check("INSERT INTO u VALUES (1), (3)")
    differ.check(sql)


RECURSION = [
    "WITH RECURSIVE x(n) AS (SELECT a FROM y WHERE a = 1 UNION ALL "
    "SELECT x.n + 1 FROM y LEFT JOIN x ON x.n = y.a WHERE n < 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT a FROM y WHERE a = 1 UNION ALL "
    "SELECT x.n + 1 FROM x RIGHT JOIN y ON x.n = y.a WHERE n < 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n IN (SELECT * FROM x))"
    " SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT count(*) FROM x) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x ORDER BY 1) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x LIMIT 10) SELECT * FROM x",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x FOR UPDATE) SELECT * FROM x",
    "WITH RECURSIVE f(i) AS (VALUES (1) UNION ALL (SELECT i + 1 FROM f WHERE i < 10 "
    "UNION ALL SELECT i + 1 FROM f WHERE i < 5)) SELECT * FROM f",
    "WITH RECURSIVE f(i) AS (VALUES (1) UNION ALL (SELECT i + 1 FROM f WHERE i < 10 "
    "EXCEPT SELECT i + 1 FROM f WHERE i < 5)) SELECT * FROM f",
    "WITH RECURSIVE f(i) AS (SELECT i FROM (VALUES (1), (2)) t(i) UNION ALL "
    "SELECT (i + 1)::numeric(10,0) FROM f WHERE i < 10) SELECT * FROM f",
    "WITH RECURSIVE f(i) AS (SELECT i::numeric(3,0) FROM (VALUES (1), (2)) t(i) UNION ALL "
    "SELECT (i + 1)::numeric(10,0) FROM f WHERE i < 10) SELECT * FROM f",
    # a UNION in WITH RECURSIVE that does not read itself is not recursive
    "WITH RECURSIVE x(id) AS (VALUES (1) UNION ALL SELECT id + 1 FROM x WHERE id < 5), "
    "y(id) AS (VALUES (1) UNION ALL SELECT id + 1 FROM x WHERE id < 10) "
    "SELECT y.*, x.* FROM y LEFT JOIN x USING (id)",
    # what stays allowed: a derived table, an inner join
    "WITH RECURSIVE f(i) AS (VALUES (1) UNION ALL SELECT * FROM (SELECT i + 1 FROM f "
    "WHERE i < 5) s) SELECT * FROM f",
    "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT x.n + 1 FROM x JOIN y ON x.n = y.a "
    "WHERE n < 5) SELECT * FROM x",
]


@pytest.mark.parametrize("sql", RECURSION)
def test_recursive_terms_are_checked_as_in_postgres(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE y (a int)")
    differ.check("INSERT INTO y SELECT generate_series(1, 10)")
    differ.check(sql)


ORDERED_SET = [
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b), percentile_disc(0.5) WITHIN GROUP "
    "(ORDER BY b) FROM t",
    "SELECT a % 2, percentile_cont(ARRAY[0, 0.25, 1]) WITHIN GROUP (ORDER BY b DESC) FROM t "
    "GROUP BY 1 ORDER BY 1",
    "SELECT percentile_disc(ARRAY[[NULL, 1, 0.5], [0.75, 0.25, NULL]]) WITHIN GROUP (ORDER BY a) "
    "FROM t",
    "SELECT mode() WITHIN GROUP (ORDER BY c), mode() WITHIN GROUP (ORDER BY c DESC) FROM t",
    "SELECT rank(3) WITHIN GROUP (ORDER BY a), dense_rank(3) WITHIN GROUP (ORDER BY a), "
    "percent_rank(3) WITHIN GROUP (ORDER BY a), cume_dist(3) WITHIN GROUP (ORDER BY a) FROM t",
    "SELECT rank(2, 'x') WITHIN GROUP (ORDER BY a DESC, c NULLS FIRST) FROM t",
    "SELECT rank('3') WITHIN GROUP (ORDER BY a) FROM t",
    "SELECT percent_rank(0) WITHIN GROUP (ORDER BY a) FROM t WHERE a > 100",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b) FILTER (WHERE a > 2) FROM t",
    "SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY b) FROM t",
    "SELECT rank(3) WITHIN GROUP (ORDER BY c) FROM t",
    "SELECT rank(3) WITHIN GROUP (ORDER BY a, b) FROM t",
    "SELECT rank('fred') WITHIN GROUP (ORDER BY a) FROM t",
    "SELECT no_such(3) WITHIN GROUP (ORDER BY a) FROM t",
    "SELECT percentile_cont(0.5 ORDER BY a) WITHIN GROUP (ORDER BY a) FROM t",
]


@pytest.mark.parametrize("sql", ORDERED_SET)
def test_ordered_set_aggregates_match_postgres(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE t (a int, b float8, c text)")
    differ.check(
        "INSERT INTO t VALUES (1, 2.5, 'x'), (2, 7.25, 'y'), (3, NULL, 'x'), (4, 100.5, NULL),"
        " (5, 0.125, 'w'), (3, 1, 'y')"
    )
    differ.check(sql)


AGGREGATE_ERRORS = [
    "SELECT newcnt(*) FROM t",
    "SELECT aggfns(DISTINCT a, b, c) FROM t",
    "SELECT aggfns(a, b, c ORDER BY b + 1) FROM t",
    "SELECT string_agg(DISTINCT c, ',' ORDER BY a) FROM t",
    "SELECT string_agg(DISTINCT a::text, ',' ORDER BY a) FROM t",
    "SELECT string_agg(DISTINCT c, ',' ORDER BY c) FROM t",
    "SELECT array_agg(DISTINCT a ORDER BY a DESC) FROM t",
]


@pytest.mark.parametrize("sql", AGGREGATE_ERRORS)
def test_aggregate_call_errors_match_postgres(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE t (a int, b float8, c text)")
    differ.check("INSERT INTO t VALUES (1, 2.5, 'x'), (2, 7.25, 'y'), (1, NULL, 'x')")
    differ.check(sql)


def test_group_by_a_name_groups_its_qualified_column(differ: Differ) -> None:
    differ.check("CREATE TABLE t (i int, j int)")
    differ.check("INSERT INTO t VALUES (1, 10), (1, 10), (2, NULL)")
    differ.check("SELECT * FROM (SELECT DISTINCT i, j FROM t) ss GROUP BY i, j")
    differ.check("SELECT ss.i, count(*) FROM (SELECT i FROM t) ss GROUP BY i")
    differ.check("SELECT t.i FROM t, t t2 GROUP BY i")


@pytest.mark.parametrize(
    "sql", ["(((SELECT * FROM t)))", "((SELECT i FROM t) UNION (SELECT 5))", "(SELECT 1) + 1"]
)
def test_a_parenthesised_query_is_a_statement(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE t (i int)")
    differ.check("INSERT INTO t VALUES (1), (2)")
    differ.check(sql)
