"""``AT TIME ZONE`` against a live PostgreSQL (Django's ``__date``, ``__year``, Trunc and
Extract with USE_TZ): a timestamptz as local time in a zone, a timestamp read as local time
in a zone, a date and an untyped literal as timestamptz first, POSIX numeric offsets, an
unknown zone, and the results under ::date, EXTRACT and date_trunc."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SET timezone = 'UTC'",
    "CREATE TABLE dt (id int PRIMARY KEY, s timestamptz, n timestamp, d date)",
    "INSERT INTO dt VALUES (1, '2015-06-15 23:30:50.000321+00', '2015-06-15 23:30:50',"
    " '2015-06-15'), (2, '2016-01-01 00:10:00+00', '2016-12-31 23:59:59', '2016-02-29'),"
    " (3, NULL, NULL, NULL)",
    "SELECT s AT TIME ZONE 'UTC', s AT TIME ZONE 'Australia/Melbourne',"
    " n AT TIME ZONE 'UTC', n AT TIME ZONE 'America/New_York' FROM dt ORDER BY id",
    "SELECT (s AT TIME ZONE 'UTC')::date, EXTRACT(YEAR FROM s AT TIME ZONE 'Asia/Tokyo'),"
    " DATE_TRUNC('day', s AT TIME ZONE 'Australia/Melbourne') FROM dt ORDER BY id",
    "SELECT id FROM dt WHERE (s AT TIME ZONE 'America/Los_Angeles')::date = '2015-12-31'",
    "SELECT d AT TIME ZONE 'UTC', '2020-01-01 10:00' AT TIME ZONE 'Europe/Paris' FROM dt"
    " ORDER BY id",
    "SELECT s AT TIME ZONE '+05:30', s AT TIME ZONE '-03' FROM dt ORDER BY id",
    "SELECT s AT TIME ZONE 'Nowhere/Zone' FROM dt",
]


def test_at_time_zone_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_posix_zone_of_a_name_and_an_offset(differ: Differ) -> None:
    """'UTC-05:00' (Django's fixed offsets) is POSIX: an abbreviation and hours west, so five
    hours east; a four-digit offset after a name is no zone (22023), as PostgreSQL."""
    for stmt in [
        "SELECT timestamptz '2020-06-01 12:00:00+00' AT TIME ZONE 'UTC-05:00',"
        " timestamptz '2020-06-01 12:00:00+00' AT TIME ZONE 'UTC+05:00'",
        "SELECT timestamp '2020-06-01 12:00:00' AT TIME ZONE 'UTC-05:00'",
        "SELECT timestamptz '2020-06-01 12:00:00+00' AT TIME ZONE 'UTC+0530'",
        "SELECT timestamptz '2020-06-01 12:00:00+00' AT TIME ZONE 'EST5EDT',"
        " timestamptz '2020-06-01 12:00:00+00' AT TIME ZONE 'XYZ-03'",
    ]:
        differ.check(stmt)
