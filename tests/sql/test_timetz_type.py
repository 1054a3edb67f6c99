"""The timetz type (time with time zone) against a live PostgreSQL: input with and without
an offset (the session zone's), output with offsets to the second, timetz_cmp's order (UTC
time, then zone: 10:00+02 is not 08:00+00), an index, casts to and from time, timestamptz
and text, arrays, the catalog's name for it and bad input."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SET timezone TO '-02:00'",
    "CREATE TABLE tz (id int PRIMARY KEY, t timetz)",
    "INSERT INTO tz VALUES (1, '10:00+02'), (2, '08:00+00'), (3, '09:00-01'), (4, '07:59:59Z'),"
    " (5, '03:04:05.000006'), (6, '10:20:30.000040-07:08'), (7, NULL), (8, '00:00+01:02:03')",
    "SELECT id, t FROM tz ORDER BY t, id",
    "SELECT id FROM tz WHERE t = '10:00+02'::timetz ORDER BY id",
    "SELECT id FROM tz WHERE t > '08:00+00' ORDER BY id",
    "CREATE INDEX tz_t ON tz (t)",
    "SELECT id FROM tz WHERE t >= '08:00+00' ORDER BY t, id",
    "SELECT t::time, t::text FROM tz ORDER BY id",
    "SELECT '10:20:30'::time::timetz, '2000-01-02 23:00+00'::timestamptz::timetz",
    "SELECT '10:00+02'::timetz = '08:00+00'::timetz, '10:00+02'::timetz < '08:00+00'::timetz",
    "SELECT max(t), min(t) FROM tz",
    "SELECT ARRAY['10:00+02'::timetz, '23:59:59.999999-12:00']",
    "SELECT pg_typeof('10:00'::time with time zone), format_type(1266, -1), '1:2:3Z'::timetz",
    "SELECT '25:00+02'::timetz",
    "SELECT 'nonsense'::timetz",
]


def test_timetz_type_matches_postgres(differ: Differ) -> None:
    differ.pg.execute("SET timezone TO 'UTC'")
    for sql in SCRIPT:
        differ.check(sql)


PRECISION = [
    "CREATE TABLE tp (id int PRIMARY KEY, a timestamp(0), b timestamptz(2), c time(3),"
    " d timetz(1))",
    "INSERT INTO tp VALUES (1, '2000-01-01 10:00:00.5', '2000-01-01 10:00:00.125+00',"
    " '10:00:00.12345', '10:00:00.25+02'), (2, '2000-01-01 23:59:59.6', '2000-01-01 00:00:00+00',"
    " '23:59:59.9994', '00:00:00.06Z')",
    "SELECT * FROM tp ORDER BY id",
    "SELECT '2000-01-01 10:00:00.555'::timestamp(1), '10:00:00.555'::time(2),"
    " '2000-01-01 10:00:00.555+00'::timestamptz(0)::text, '12:00:00.5+01'::timetz(0)",
    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
    " WHERE a.attrelid = 'tp'::regclass AND a.attnum > 0 ORDER BY a.attnum",
]


def test_time_precision_matches_postgres(differ: Differ) -> None:
    differ.pg.execute("SET timezone TO 'UTC'")
    for sql in PRECISION:
        differ.check(sql)


ARITHMETIC = [
    "SET timezone TO 'America/Toronto'",
    "SELECT '2020-02-29'::date + '10:20:30+05'::timetz, '23:00-03'::timetz + '2020-12-31'::date",
    "SELECT '10:20:30+05'::timetz + '1 mon 2 days 15:00'::interval,"
    " '10:20:30+05'::timetz - '1 mon 2 days 15:00'::interval,"
    " '-3 hours'::interval + '01:00:00.5-02'::timetz",
    "SELECT now() = now()::date + now()::timetz, 7 + '2020-02-29'::date",
    "SELECT pg_typeof('2020-01-01'::date + '10:00'::timetz), pg_typeof('1 h'::interval + "
    "'10:00'::timetz)",
]


def test_timetz_arithmetic_matches_postgres(differ: Differ) -> None:
    for sql in ARITHMETIC:
        differ.check(sql)
