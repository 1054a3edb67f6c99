"""The TimeZone setting against a live PostgreSQL: timestamptz literals without an offset read
in the session's zone, values print in it with its offset (hours, minutes, seconds), casts to
and from timestamp, date and time, EXTRACT and date_trunc in local time, offsets with seconds
in literals, SHOW of the forms SET accepts, and 22023 for an unknown zone."""

from __future__ import annotations

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
