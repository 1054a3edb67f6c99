"""Window functions against a live PostgreSQL: frames (ROWS, RANGE, GROUPS, offsets, EXCLUDE),
named windows, the window functions proper, aggregates over frames and the errors PostgreSQL
gives for misuse; and that a moving frame costs linear work where PostgreSQL's does."""

from __future__ import annotations

import pytest

from sql.executor import aggregates, windows
from tests.sql.differential import Differ

SETUP = """
CREATE TABLE w (id int, g int, x int, f float8, n numeric, d date, s text);
INSERT INTO w VALUES
 (1, 1, 10, 1.5, 1.10, '2020-01-01', 'a'), (2, 1, 20, 2.5, 2.2, '2020-03-01', 'b'),
 (3, 1, 20, 'NaN', 3, '2020-03-01', 'c'), (4, 1, NULL, 'Infinity', 'NaN', '2021-01-01', 'd'),
 (5, 2, 5, -1, -4.125, '2019-12-31', 'e'), (6, 2, 7, 0, 0, NULL, NULL),
 (7, 2, 7, 8, 100, '2020-06-30', 'g'), (8, 3, NULL, NULL, NULL, '2022-02-02', 'h'),
 (9, 3, 40, 4, 4.4, '2020-01-01', 'i'), (10, 3, 41, 5, 5.55, '2020-01-02', 'j')
"""

QUERIES = [
    # the window functions proper
    "SELECT id, row_number() OVER w, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w,"
    " cume_dist() OVER w FROM w WINDOW w AS (PARTITION BY g ORDER BY x) ORDER BY id",
    "SELECT id, ntile(3) OVER (ORDER BY id), ntile(4) OVER (PARTITION BY g ORDER BY id),"
    " ntile(NULL) OVER (ORDER BY id) FROM w ORDER BY id",
    "SELECT id, lag(x) OVER w, lead(x, 2) OVER w, lag(x, g, -1) OVER w, lead(x, 1, 0.5) OVER w,"
    " lag(s, 1, 'none') OVER w FROM w WINDOW w AS (ORDER BY id) ORDER BY id",
    "SELECT id, first_value(x) OVER w, last_value(x) OVER w, nth_value(x, 2) OVER w"
    " FROM w WINDOW w AS (PARTITION BY g ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)"
    " ORDER BY id",
    # frames: ROWS, GROUPS and RANGE with offsets, exclusions, NULLs first and last
    "SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING),"
    " sum(x) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING),"
    " count(*) OVER (ORDER BY id ROWS 2 PRECEDING) FROM w ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY x GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING),"
    " sum(id) OVER (ORDER BY x GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING EXCLUDE GROUP),"
    " sum(id) OVER (ORDER BY x GROUPS BETWEEN 2 PRECEDING AND CURRENT ROW EXCLUDE TIES)"
    " FROM w ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY x RANGE BETWEEN 5 PRECEDING AND 10 FOLLOWING),"
    " sum(id) OVER (ORDER BY x DESC NULLS LAST RANGE BETWEEN 1 PRECEDING AND 13 FOLLOWING"
    " EXCLUDE CURRENT ROW) FROM w ORDER BY id",
    "SELECT id, sum(id) OVER w, count(*) OVER w, min(id) OVER w FROM w"
    " WINDOW w AS (ORDER BY x NULLS FIRST RANGE BETWEEN 2 PRECEDING AND"
    " 2 FOLLOWING) ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY f RANGE BETWEEN 1 PRECEDING AND 'inf' FOLLOWING)"
    " FROM w ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY n DESC RANGE BETWEEN 2 PRECEDING AND 1.5 FOLLOWING)"
    " FROM w ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY d RANGE BETWEEN '2 months' PRECEDING AND"
    " '1 day'::interval FOLLOWING) FROM w ORDER BY id",
    "SELECT id, sum(x) OVER (ORDER BY x RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    " EXCLUDE TIES), string_agg(s, ',') OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND"
    " UNBOUNDED FOLLOWING) FROM w ORDER BY id",
    # aggregates over frames: inverse (count, sum, avg over exact numbers) and restarting
    "SELECT id, sum(n) OVER f, avg(n) OVER f, avg(x) OVER f, count(x) OVER f, sum(f) OVER f,"
    " min(s) OVER f, max(d) OVER f FROM w"
    " WINDOW f AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) ORDER BY id",
    "SELECT id, count(*) FILTER (WHERE x > 7) OVER (ORDER BY id), bool_and(x > 5) OVER"
    " (PARTITION BY g) FROM w ORDER BY id",
    "SELECT id, var_pop(x) OVER w, var_samp(n) OVER w, stddev(f) OVER w, stddev_pop(x) OVER w"
    " FROM w WINDOW w AS (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)"
    " ORDER BY id",
    "SELECT id, avg(v) OVER w, sum(v) OVER w, avg(v) OVER (), v / 7 FROM (SELECT id,"
    " (id % 3 || ' mons ' || id || ' days ' || id * 7 || ' hours')::interval AS v FROM w) t"
    " WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY id",
    "SELECT avg(x), interval '1 month 3 days' / 7, interval '1 mon' / 3, sum(x) FROM"
    " (VALUES (interval '1 mon'), ('1 day 3 hours'), ('7 secs'), (NULL)) t(x)",
    # named windows, GROUP BY below the window, window calls in ORDER BY and subqueries
    "SELECT id, sum(x) OVER (w2 ROWS UNBOUNDED PRECEDING) FROM w"
    " WINDOW w1 AS (PARTITION BY g), w2 AS (w1 ORDER BY id) ORDER BY id",
    "SELECT g, sum(x), sum(sum(x)) OVER (ORDER BY g), rank() OVER (ORDER BY count(*) DESC, g)"
    " FROM w GROUP BY g ORDER BY g",
    "SELECT id FROM w ORDER BY row_number() OVER (ORDER BY x DESC NULLS LAST, id)",
    "SELECT * FROM (SELECT id, row_number() OVER (PARTITION BY g ORDER BY id) rn FROM w) s"
    " WHERE rn <= 2 ORDER BY id",
    "SELECT g FROM w WHERE false WINDOW w AS (PARTITION BY x)",
    "SELECT sum(x) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM w"
    " WHERE id = 0 GROUP BY x",
]

ERRORS = [
    "SELECT id FROM w WHERE row_number() OVER () > 1",
    "SELECT rank() OVER (ORDER BY rank() OVER ())",
    "SELECT count(*) OVER w FROM w WINDOW w AS (ORDER BY id), w AS (ORDER BY id)",
    "SELECT sum(x) OVER (nope) FROM w",
    "SELECT sum(x) OVER (w1 PARTITION BY id) FROM w WINDOW w1 AS (ORDER BY id)",
    "SELECT sum(x) OVER (w1 ORDER BY g) FROM w WINDOW w1 AS (ORDER BY id)",
    "SELECT sum(x) OVER (w1 ORDER BY g) FROM w WINDOW w1 AS (ROWS UNBOUNDED PRECEDING)",
    "SELECT sum(x) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY x, id RANGE 1 PRECEDING) FROM w",
    "SELECT sum(x) OVER (ORDER BY d RANGE 1 PRECEDING) FROM w",
    "SELECT sum(x) OVER (ORDER BY x RANGE -1 PRECEDING) FROM w",
    "SELECT sum(x) OVER (ORDER BY f RANGE 'NaN' PRECEDING) FROM w",
    "SELECT sum(x) OVER (ORDER BY x ROWS -1 PRECEDING) FROM w",
    "SELECT sum(x) OVER (GROUPS 1 PRECEDING) FROM w",
    "SELECT rank() OVER (PARTITION BY g, ORDER BY x) FROM w",
    "SELECT sum(x) OVER (PARTITION BY g GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY x ROWS NULL PRECEDING) FROM w",
    "SELECT sum(x) OVER (ORDER BY x ROWS x PRECEDING) FROM w",
    "SELECT sum(x) OVER (ROWS BETWEEN unbounded.y PRECEDING AND unbounded.y FOLLOWING)"
    " FROM w, (VALUES (1)) AS unbounded(y)",
    "SELECT sum(x) OVER (ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM w",
    "SELECT sum(x) OVER (ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM w",
    "SELECT ntile(0) OVER () FROM w",
    "SELECT nth_value(x, 0) OVER () FROM w",
    "SELECT sum(DISTINCT x) OVER () FROM w",
    "SELECT lower(s) OVER () FROM w",
    "SELECT rank() FILTER (WHERE x > 1) OVER () FROM w",
    "SELECT sum(row_number() OVER ()) FROM w",
    "SELECT count(*) FROM w GROUP BY rank() OVER ()",
]


# calls, arguments and frames at their edges, and window calls where PostgreSQL refuses them
EDGES = [
    "SELECT sum(x) OVER v FROM w WINDOW v AS (PARTITION BY rank() OVER ())",
    "SELECT x FROM w GROUP BY x HAVING rank() OVER () > 1",
    "UPDATE w SET x = rank() OVER ()",
    "INSERT INTO w (id) VALUES (rank() OVER ())",
    "SELECT id FROM w WHERE x IN (SELECT rank() OVER () FROM w) ORDER BY id",
    "DELETE FROM w RETURNING rank() OVER ()",
    "SELECT count(*) OVER (ORDER BY x) FROM w GROUP BY g",
    "SELECT lag(x, 1, 'a') OVER () FROM w",
    "SELECT id, nth_value(x, NULL) OVER (ORDER BY id), lead(x, -1) OVER (ORDER BY id) FROM w"
    " ORDER BY id",
    "SELECT sum(x) OVER (ORDER BY s RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN 1.5 PRECEDING AND CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN '1' PRECEDING AND CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY x RANGE BETWEEN 1.5 PRECEDING AND CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY n RANGE BETWEEN 1 PRECEDING AND CURRENT ROW), id FROM w",
    "SELECT sum(x) OVER (ORDER BY f RANGE BETWEEN 1 PRECEDING AND CURRENT ROW), id FROM w",
    "SELECT ntile(2.5) OVER () FROM w",
    "SELECT ntile(id) OVER (ORDER BY id), id FROM w",
    "SELECT row_number(1) OVER () FROM w",
    "SELECT first_value() OVER () FROM w",
    "SELECT lag() OVER () FROM w",
    "SELECT percent_rank() OVER (), cume_dist() OVER () FROM w WHERE false",
    "SELECT id, percent_rank() OVER (PARTITION BY g ORDER BY x), cume_dist() OVER (ORDER BY x)"
    " FROM w",
    "SELECT string_agg(s, ',' ORDER BY s) OVER () FROM w",
    "SELECT count(DISTINCT x) OVER () FROM w",
    "SELECT sum(x) FILTER (WHERE x > 10) OVER (ORDER BY id), id FROM w",
    "SELECT array_agg(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE"
    " CURRENT ROW), id FROM w",
    "SELECT max(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING), min(s) OVER"
    " (ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 5 FOLLOWING), id FROM w",
    "SELECT sum(x) OVER (PARTITION BY g ORDER BY x RANGE BETWEEN UNBOUNDED PRECEDING AND 5"
    " FOLLOWING), id FROM w",
    "SELECT sum(x) OVER (ORDER BY x RANGE BETWEEN 5 FOLLOWING AND UNBOUNDED FOLLOWING), id FROM w",
    "SELECT sum(x) OVER (ORDER BY x GROUPS BETWEEN 1 FOLLOWING AND 5 FOLLOWING EXCLUDE TIES), id"
    " FROM w",
    "SELECT id, sum(id) OVER (ORDER BY d RANGE BETWEEN '1 year' PRECEDING AND '1 day' PRECEDING)"
    " FROM w",
    "SELECT id, sum(id) OVER (ORDER BY d DESC RANGE BETWEEN '1 year' PRECEDING AND '1 day'"
    " PRECEDING) FROM w",
    "SELECT id, sum(id) OVER (ORDER BY d::timestamp RANGE BETWEEN '1 mon' PRECEDING AND CURRENT"
    " ROW) FROM w",
    "SELECT id, sum(id) OVER (ORDER BY d::timestamptz RANGE BETWEEN '1 mon' PRECEDING AND"
    " CURRENT ROW) FROM w",
    "SELECT sum(x) OVER (ORDER BY d RANGE BETWEEN '-1 day' PRECEDING AND CURRENT ROW) FROM w",
    "SELECT rank() OVER (ORDER BY x), x FROM w GROUP BY x",
    "SELECT g, rank() OVER (ORDER BY g) FROM w GROUP BY g HAVING count(*) > 2",
    "SELECT DISTINCT g, count(*) OVER (PARTITION BY g) FROM w",
    "SELECT id, (SELECT max(rn) FROM (SELECT row_number() OVER () rn FROM w w2 WHERE w2.g = w.g)"
    " s) FROM w",
    "SELECT id, sum(id) OVER (PARTITION BY g) FROM w LIMIT 3 OFFSET 2",
    "SELECT g, sum(x) OVER () FROM w GROUP BY g",
    "SELECT sum(x) OVER (), sum(x) FROM w",
]


# peers (rows equal on the window's ORDER BY) are numbered in the order PostgreSQL's
# quicksort leaves them, not in input order
PEER_ORDER = [
    "SELECT id, row_number() OVER (ORDER BY g), first_value(id) OVER (ORDER BY g ROWS"
    " BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM w",
    "SELECT i, row_number() OVER (ORDER BY i % 3), row_number() OVER (PARTITION BY i % 2"
    " ORDER BY i % 5 DESC) FROM generate_series(1, 300) i",
]


@pytest.fixture
def table(differ: Differ) -> Differ:
    differ.check(SETUP)
    return differ


@pytest.mark.parametrize("sql", QUERIES)
def test_window_queries_match_postgres(table: Differ, sql: str) -> None:
    table.check(sql)


@pytest.mark.parametrize("sql", EDGES)
def test_window_edges_match_postgres(table: Differ, sql: str) -> None:
    table.check(sql)


@pytest.mark.parametrize("sql", PEER_ORDER)
def test_peers_come_in_postgres_sort_order(table: Differ, sql: str) -> None:
    table.check(sql)


@pytest.mark.parametrize("sql", ERRORS)
def test_window_misuse_fails_as_in_postgres(table: Differ, sql: str) -> None:
    assert table.check(sql).sqlstate is not None


def test_moving_frames_do_linear_work(table: Differ, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sum over a frame that slides along 20,000 rows adds and removes each row once (an
    inverse transition, as PostgreSQL's moving aggregates do), and a running count feeds
    each row once, instead of aggregating every frame afresh."""
    calls = {"moving": 0, "running": 0}
    moving_step, running_add = windows._Moving._step, aggregates.AggState.add

    def counted_step(self: windows._Moving, v: object, sign: int) -> None:
        calls["moving"] += 1
        moving_step(self, v, sign)

    def counted_add(self: aggregates.AggState, v: object) -> None:
        calls["running"] += 1
        running_add(self, v)

    monkeypatch.setattr(windows._Moving, "_step", counted_step)
    monkeypatch.setattr(aggregates.AggState, "add", counted_add)
    n = 20_000
    table.check(
        "SELECT max(s), min(s), max(c) FROM (SELECT sum(i) OVER (ORDER BY i ROWS BETWEEN"
        " 1000 PRECEDING AND 10 FOLLOWING) s, count(*) OVER (ORDER BY i) c"
        f" FROM generate_series(1, {n}) i) t"
    )
    assert calls["moving"] <= 2 * n
    assert calls["running"] <= 4 * n  # the running count, and the outer max/min/max
