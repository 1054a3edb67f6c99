"""timestamp against timestamp with time zone, against a live PostgreSQL: the timestamp is
taken in the session's time zone (PostgreSQL's implicit cast; db9's zone is always UTC), in
WHERE, BETWEEN, IN and through an index (Django binds a naive datetime as
``'...'::timestamp`` against its timestamptz columns)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SET timezone = 'UTC'",
    "CREATE TABLE art (id int PRIMARY KEY, pub timestamp with time zone)",
    "INSERT INTO art VALUES (1, '2008-01-01 00:00:00'::timestamp),"
    " (2, '2008-12-31 23:59:59.999999'::timestamp), (3, '2009-01-01 05:00:00+00')",
    "SELECT id FROM art WHERE pub BETWEEN '2008-01-01 00:00:00'::timestamp"
    " AND '2008-12-31 23:59:59.999999'::timestamp ORDER BY id",
    "SELECT id FROM art WHERE pub = '2008-01-01 00:00:00'::timestamp",
    "SELECT id FROM art WHERE '2008-06-01'::timestamp < pub ORDER BY id",
    "SELECT id FROM art WHERE pub IN ('2008-01-01 00:00:00'::timestamp) ORDER BY id",
    "SELECT '2008-01-01 00:00:00'::timestamp = '2008-01-01 00:00:00+00'::timestamptz",
    "CREATE INDEX art_pub ON art (pub)",
    "SELECT id FROM art WHERE pub >= '2009-01-01 00:00:00'::timestamp ORDER BY id",
    "SELECT id FROM art WHERE pub = '2009-01-01 05:00:00'::timestamp",
]


def test_timestamp_compares_with_timestamptz_in_session_zone(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
