"""Aggregates against a live PostgreSQL by their input: string_agg over bytea (a bytea
delimiter, a NULL one), window aggregates over generate_series of timestamps by an
interval, ordered-set aggregates' direct arguments (grouped or 42803), and aggregates whose
arguments are only outer columns, which belong to the outer query."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE b (v bytea);
INSERT INTO b VALUES ('\\xaa'), ('\\xff'), (NULL), ('\\x01');
CREATE TABLE bt (b1 bool, n int);
INSERT INTO bt VALUES (true, 1), (false, 2), (NULL, 3);
"""

QUERIES = [
    "SELECT string_agg(v, '') FROM b",
    "SELECT string_agg(v, NULL) FROM b",
    "SELECT string_agg(v, decode('ee', 'hex')) FROM b",
    "SELECT string_agg(v, '\\x00'::bytea ORDER BY v) FROM b",
    "SELECT string_agg(v::text, NULL) FROM b",
    # timestamps over a frame of interval offsets
    "SELECT i, min(i) OVER (ORDER BY i RANGE BETWEEN '1 day' PRECEDING AND '10 days' FOLLOWING),"
    " count(*) OVER (ORDER BY i DESC RANGE '13 hours' PRECEDING) FROM generate_series("
    "'2020-01-01'::timestamptz, '2020-01-05', '12 hours') i ORDER BY i",
    "SELECT count(*) FROM generate_series('2020-03-01'::timestamp, '2020-01-01', '-1 day') i",
    "SELECT count(*) FROM generate_series('2020-03-01'::timestamp, '2020-01-01', '0 days') i",
    # an ordered-set aggregate's direct arguments: grouped columns, constants, outer columns
    "SELECT rank(x) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 5) x",
    "SELECT x % 2, rank(x % 2) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 5) x"
    " GROUP BY x % 2 ORDER BY 1",
    "SELECT n, percentile_disc(n / 4.0) WITHIN GROUP (ORDER BY n) FROM bt GROUP BY n ORDER BY n",
    "SELECT dense_rank(x) WITHIN GROUP (ORDER BY x) FROM (VALUES (1), (1), (2)) v(x)"
    " GROUP BY (x) ORDER BY 1",
    "SELECT (SELECT rank(o.n) WITHIN GROUP (ORDER BY i.n) FROM bt i) FROM bt o ORDER BY 1",
    # aggregates of the outer query written in a subquery
    "SELECT (SELECT max(0) FILTER (WHERE b1)) FROM bt",
    "SELECT (SELECT count(*) FILTER (WHERE outer_c <> 0) FROM (VALUES (1)) t0(inner_c))"
    " FROM (VALUES (2), (3)) t1(outer_c)",
    "SELECT (SELECT count(*) FROM (VALUES (1)) t0(inner_c)) FROM (VALUES (2), (3)) t1(outer_c)",
    "SELECT (SELECT sum(o.n) + count(*) FROM bt i) FROM bt o",
    "SELECT (SELECT sum(i.n + o.n) FROM bt i) FROM bt o ORDER BY 1",
    "SELECT b1, sum(n) FROM bt o GROUP BY b1 HAVING EXISTS (SELECT 1 FROM bt i"
    " WHERE sum(DISTINCT o.n) = i.n)",
    "SELECT (SELECT max((SELECT i.n FROM bt i WHERE i.n = o.n))) FROM bt o",
    "SELECT (SELECT max((SELECT i.n FROM bt i WHERE i.n = o.n)) FILTER (WHERE o.n < 3)) FROM bt o",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_aggregate_input_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(SETUP)
    differ.check(sql)
