"""Dates and timestamps beyond Python's years against a live PostgreSQL: infinity and
-infinity, years BC and after 9999 as literals, their order among ordinary values (also in
a table, an index, min/max), arithmetic that reaches them (date + integer, timestamp +
interval), casts between date, timestamp and timestamptz, and PostgreSQL's range errors."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT 'infinity'::date, '-infinity'::date, '1000-01-01 BC'::date, '10000-01-01'::date",
    "SELECT 'infinity'::timestamp, '-infinity'::timestamptz, '1000-01-01 12:00 BC'::timestamp,"
    " '10000-01-01 12:00'::timestamp, '1000-01-01 12:00+00 BC'::timestamptz,"
    " '10000-01-01 12:00+00'::timestamptz",
    "SELECT '9999-12-31'::date + 1, '0001-01-01'::date - 1, 'infinity'::date + 1",
    "SELECT '9999-12-31 23:59:59.999999'::timestamp + 1 * '1s'::interval,"
    " '0001-01-01 00:00'::timestamp - '1 day'::interval, 'infinity'::timestamp + '1 day'::interval",
    "SELECT 'infinity'::date > '2000-01-01'::date,"
    " '-infinity'::timestamp < '0001-01-01'::timestamp, '1000-01-01 BC'::date < '0001-01-01'::date",
    "SELECT '-infinity'::date::timestamp, 'infinity'::timestamp::date,"
    " '10000-01-01'::date::timestamp",
    "CREATE TABLE fd (id int PRIMARY KEY, d date, ts timestamptz)",
    "INSERT INTO fd VALUES (1, 'infinity', 'infinity'), (2, '2000-01-01', '2000-01-01 00:00+00'),"
    " (3, '-infinity', '-infinity'), (4, '4000-01-01 BC', '4000-01-01 00:00+00 BC'),"
    " (5, '20000-01-01', '20000-01-01 00:00+00')",
    "SELECT id, d, ts FROM fd ORDER BY d",
    "CREATE INDEX fd_ts ON fd (ts)",
    "SELECT id FROM fd WHERE ts > '2000-01-01 00:00+00' ORDER BY ts",
    "SELECT max(d), min(d), max(ts), min(ts) FROM fd",
    "SELECT isfinite(d), isfinite(ts) FROM fd ORDER BY id",
    "SELECT '5000-01-01 BC'::date",
    "SELECT '300000-01-01'::timestamp",
]


def test_far_dates_match_postgres(differ: Differ) -> None:
    differ.pg.execute("SET timezone TO 'UTC'")
    for sql in SCRIPT:
        differ.check(sql)
