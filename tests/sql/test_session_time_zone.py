"""The TimeZone setting against a live PostgreSQL: timestamptz literals without an offset read
in the session's zone, values print in it with its offset (hours, minutes, seconds), casts to
and from timestamp, date and time, EXTRACT, date_trunc and to_char in local time (IANA names,
numeric hours east, POSIX offsets west; a repeated or skipped DST hour takes the smaller
offset), offsets with seconds in literals, SHOW of the forms SET accepts, and 22023 for an
unknown zone."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sql.differential import Differ

SCRIPT = [
    "SET timezone TO '-02:00'",
    "SHOW timezone",
    "SELECT '2000-01-01'::timestamptz, '2000-01-01 00:00+01:02:03'::timestamptz",
    "SELECT '0258-1-8 1:12:32.358261+01:02:03'::timestamptz::text",
    "SELECT '2034-02-03 23:34:27.951357-04:27'::timestamptz",
    "SELECT 'epoch'::timestamptz, 'epoch'::timestamp, 'epoch'::date + 1",
    "SELECT '2000-01-02 03:00:00+05'::timestamptz::timestamp,"
    " '2000-01-02 03:00:00+05'::timestamptz::date, '2000-01-02 23:00:00+00'::timestamptz::time",
    "SELECT '2000-01-02 03:00'::timestamp::timestamptz, '2000-01-02'::date::timestamptz",
    "SELECT EXTRACT(HOUR FROM '2000-01-02 23:00:00+00'::timestamptz),"
    " EXTRACT(EPOCH FROM '2000-01-02 23:00:00+00'::timestamptz)",
    "SELECT date_trunc('day', '2000-01-02 23:00:00+00'::timestamptz)",
    "SET timezone TO 'Europe/Rome'",
    "SELECT '2000-07-02 03:04:05.000678'::timestamptz, '1000-01-01'::timestamptz",
    "SELECT '2000-01-01 12:00'::timestamptz AT TIME ZONE 'UTC'",
    "SET TIME ZONE -7",
    "SHOW timezone",
    "SELECT '2000-01-01 12:00+00'::timestamptz",
    "SELECT set_config('TimeZone', 'NOSUCH0', false)",
    "SELECT '2000-01-01 12:00+00'::timestamptz",
    "SET timezone = 'Mars/Olympus'",
    "SET TIME ZONE LOCAL",
    "SHOW timezone",
    "SELECT '2000-01-01 12:00+00'::timestamptz",
]


def test_session_time_zone_matches_postgres(differ: Differ) -> None:
    differ.pg.execute("SET timezone TO 'UTC'")
    for sql in SCRIPT:
        differ.check(sql)


CASES = [
    "SET timezone = 'Nowhere/City'",
    "SET timezone = 'America/New_York'",
    "SELECT timestamptz '2020-01-01 12:00:00+00', '2020-06-01 12:00'::timestamptz",
    "SELECT timestamptz '2020-01-01 12:00:00+00'::timestamp, timestamp '2020-06-01 12:00'"
    "::timestamptz, date '2020-06-01'::timestamptz",
    "SELECT timestamptz '2020-06-01 02:00:00+00'::date, timestamptz '2020-06-01 12:00:00+00'::time",
    "SELECT extract(hour from timestamptz '2020-06-01 12:00:00+00'),"
    " extract(epoch from timestamptz '2020-01-01 12:00:00+00')",
    "SELECT date_trunc('day', timestamptz '2020-06-01 02:00:00+00')",
    "SELECT to_char(timestamptz '2020-06-01 12:00:00+00', 'YYYY-MM-DD HH24:MI TZ OF')",
    "SELECT timestamptz '2020-06-01 12:00:00+00' AT TIME ZONE 'UTC'",
    "SET TIME ZONE 'Asia/Kolkata'",
    "SELECT timestamptz '2020-01-01 12:00:00+00', to_char(timestamptz '2020-01-01 12:00+00', 'TZ')",
    "SET timezone = -5",
    "SELECT timestamptz '2020-01-01 12:00:00+00', to_char(timestamptz '2020-01-01 12:00+00', 'TZ')",
    "SET timezone = '+02:30'",
    "SELECT timestamptz '2020-01-01 12:00:00+00'",
    "SET timezone = 'Europe/Paris'",
    "SELECT timestamptz '2020-03-29 02:30:00', timestamptz '2020-10-25 02:30:00'",
    "SELECT date_trunc('month', timestamptz '2020-03-01 00:30:00+02'),"
    " date_trunc('hour', timestamptz '2020-03-29 01:30:00+00')",
    "SET TIME ZONE LOCAL",
    "SELECT timestamptz '2020-01-01 12:00:00+00'",
    "SET timezone = 'GMT'",
    "SELECT timestamptz '2020-01-01 12:00:00+00'",
    "RESET timezone",
]

ZONES = ["UTC", "America/New_York", "Europe/Paris", "Asia/Kathmandu", "Australia/Lord_Howe",
         "America/St_Johns", "Pacific/Chatham", "Africa/Casablanca", "-3", "7"]  # fmt: skip


def test_time_zone_setting_matches_postgres(differ: Differ) -> None:
    for sql in CASES:
        differ.check(sql)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    zone=st.sampled_from(ZONES),
    when=st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2060, 1, 1)),
)
def test_instants_and_local_times_in_any_zone(differ: Differ, zone: str, when: dt.datetime) -> None:
    differ.check(f"SET TIME ZONE '{zone}'")
    text = when.isoformat(sep=" ")
    differ.check(
        f"SELECT timestamptz '{text}+00', '{text}'::timestamptz, timestamp '{text}'::timestamptz,"
        f" timestamptz '{text}+00'::timestamp, extract(hour from timestamptz '{text}+00'),"
        f" date_trunc('day', timestamptz '{text}+00')"
    )


def test_a_statement_run_again_under_another_zone(differ: Differ) -> None:
    """The same text run again after SET TimeZone reads its literals in the new zone (no
    cached plan keeps the old zone's reading)."""
    for stmt in [
        "CREATE TABLE tt (a timestamptz)",
        "INSERT INTO tt VALUES ('2020-06-01 12:00+00')",
        "SELECT a, '2020-06-01 12:00'::timestamptz AS b, a::timestamp AS c FROM tt",
        "SET timezone = 'Asia/Tokyo'",
        "SELECT a, '2020-06-01 12:00'::timestamptz AS b, a::timestamp AS c FROM tt",
        "SELECT a FROM tt WHERE a = '2020-06-01 21:00'",
        "SET timezone = 'UTC'",
        "SELECT a FROM tt WHERE a = '2020-06-01 21:00'",
        "SELECT a, '2020-06-01 12:00'::timestamptz AS b, a::timestamp AS c FROM tt",
    ]:
        differ.check(stmt)


def test_interval_arithmetic_moves_local_days(differ: Differ) -> None:
    """timestamptz +/- interval: months and days move the local date in the session's zone (a
    day across a DST change is 23 or 25 hours), the time part the instant."""
    for stmt in [
        "SET timezone = 'America/Chicago'",
        "SELECT timestamptz '2010-03-13 12:00:00-06' + interval '1 day',"
        " timestamptz '2010-03-13 12:00:00-06' + interval '24 hours'",
        "SELECT timestamptz '2010-03-13 12:00:00-06' + interval '1 day 02:00',"
        " timestamptz '2010-03-13 12:00:00-06' - interval '-1 mon 3 days'",
        "SELECT interval '1 day' + timestamptz '2010-11-06 12:00:00-05',"
        " timestamptz '2010-11-07 12:00:00-06' - interval '1 day'",
        "SET timezone = 'UTC'",
        "SELECT timestamptz '2010-03-13 12:00:00-06' + interval '1 day'",
    ]:
        differ.check(stmt)
