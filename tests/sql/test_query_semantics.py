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
