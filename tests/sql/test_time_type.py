"""The time type (time without time zone; Django's TimeField) against a live PostgreSQL:
input and output, storage and index order, casts from timestamps and text, comparisons,
EXTRACT, time +/- interval (wrapping at midnight), time - time, date + time, aggregates,
arrays and the catalog's name for it."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE tt (id int PRIMARY KEY, t time, ts timestamp, d date)",
    "INSERT INTO tt VALUES (1, '10:30:00', '2020-01-01 10:30:00', '2020-01-01'),"
    " (2, '23:59:59.5', '2020-01-02 01:00:00.25', '2021-02-03'), (3, NULL, NULL, NULL),"
    " (4, '00:00', '2020-01-01', '2020-01-01')",
    "SELECT * FROM tt ORDER BY t, id",
    "SELECT id FROM tt WHERE t > '11:00' ORDER BY id",
    "SELECT id FROM tt WHERE t = '10:30:00'::time",
    "SELECT ts::time, CAST(ts AS time), '12:00'::time, '2003-04-12 04:05:06'::time"
    " FROM tt ORDER BY id",
    "SELECT t::text, t::varchar(20) FROM tt ORDER BY id",
    "CREATE INDEX tt_t ON tt (t)",
    "SELECT id FROM tt WHERE t >= '10:30' ORDER BY t",
    "SELECT id FROM tt WHERE t BETWEEN '00:00' AND '10:30' ORDER BY id",
    "SELECT EXTRACT(HOUR FROM t), EXTRACT(MINUTE FROM t), EXTRACT(SECOND FROM t)"
    " FROM tt ORDER BY id",
    "SELECT t + interval '1 hour', t - interval '11 hours', interval '30 minutes' + t"
    " FROM tt ORDER BY id",
    "SELECT t - '10:00'::time FROM tt ORDER BY id",
    "SELECT d + t FROM tt ORDER BY id",
    "SELECT max(t), min(t), count(DISTINCT t) FROM tt",
    "SELECT '25:00'::time",
    "SELECT 'noon'::time",
    "SELECT pg_typeof(t), format_type(1083, -1) FROM tt LIMIT 1",
    "SELECT ARRAY['10:00'::time, '09:00:01.000001'::time]",
    "SELECT t FROM tt WHERE t IN ('10:30', '00:00') ORDER BY t",
    "UPDATE tt SET t = t + interval '90 minutes' WHERE id = 1 RETURNING t",
]


def test_time_type_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
