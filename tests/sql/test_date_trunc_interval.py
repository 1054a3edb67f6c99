"""date_trunc of an interval and of a time (truncated as an interval) against a live
PostgreSQL (Django's Extract/Trunc of a DurationField): the fields below the unit zeroed,
toward zero for negative intervals, months by whole quarters and years, and week refused."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT date_trunc('second', '1 day 02:03:04.5678'::interval),"
    " date_trunc('hour', '-1 day -02:03:04'::interval),"
    " date_trunc('year', '3 years 5 months 2 days'::interval),"
    " date_trunc('quarter', '5 months 3 days'::interval)",
    "SELECT date_trunc('minute', '-00:10:59.9'::interval),"
    " date_trunc('day', '40 days 1 hour'::interval),"
    " date_trunc('month', '1 year 2 mons 3 days'::interval),"
    " date_trunc('milliseconds', '0.1234567 s'::interval)",
    "SELECT date_trunc('hour', '10:30:15'::time)",
    "SELECT date_trunc('week', '1 day'::interval)",
    "SELECT date_trunc('fortnight', '1 day'::interval)",
    "SELECT EXTRACT(SECOND FROM date_trunc('second', '1 day 02:03:04.5678'::interval))",
]


def test_date_trunc_of_intervals_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
