"""Typed constants (``type 'string'``) read as PostgreSQL reads them: the type applies to the
string alone, so ``timestamptz '...'::timestamp`` casts the typed constant, and an interval
constant keeps every part of its string (``interval '1 day 02:03:04'`` is not one day)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

CASES = [
    "SELECT interval '1 day 02:03:04'",
    "SELECT interval '2 days -02:03:04.5' AS x",
    "SELECT interval '-1 day +02:03:04', interval '1.5 days 02:00'",
    "SELECT interval '1 day 02:03:04' + timestamp '2020-01-01'",
    "SELECT interval '1 day 02:03:04' * 2, interval '1 day 02:03:04'::text",
    "SELECT interval '1 week 2 days 3 hours 4 minutes', interval '3' day",
    "SELECT timestamptz '2020-01-01 12:00:00+00'::timestamp",
    "SELECT timestamp '2020-06-01 12:34:56'::date, date '2020-06-01'::timestamp",
    "SELECT int4 '5'::text || 'x', numeric '1.5'::int, json '{\"a\": 1}'::jsonb",
]


def test_typed_constants_match_postgres(differ: Differ) -> None:
    for sql in CASES:
        differ.check(sql)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.integers(-400, 400),
    unit=st.sampled_from(["day", "days", "mon", "year", "week"]),
    sign=st.sampled_from(["", "-", "+"]),
    h=st.integers(0, 99),
    m=st.integers(0, 59),
    s=st.integers(0, 59),
)
def test_an_interval_constant_keeps_its_time_part(
    differ: Differ, days: int, unit: str, sign: str, h: int, m: int, s: int
) -> None:
    differ.check(f"SELECT interval '{days} {unit} {sign}{h:02}:{m:02}:{s:02}'")
