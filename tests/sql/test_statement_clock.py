"""statement_timestamp() and clock_timestamp() against a live PostgreSQL (Django's
``Now()`` is ``STATEMENT_TIMESTAMP()``): timestamptz values, the statement's start at or
after the transaction's, the clock at or after the statement's, usable under AT TIME ZONE
and as a column default."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "BEGIN",
    "SELECT statement_timestamp() >= now(), clock_timestamp() >= statement_timestamp()",
    "SELECT pg_typeof(statement_timestamp()), pg_typeof(clock_timestamp())",
    "SELECT (STATEMENT_TIMESTAMP() AT TIME ZONE 'UTC') IS NOT NULL",
    "COMMIT",
    "CREATE TABLE ev (id int PRIMARY KEY, at timestamptz DEFAULT statement_timestamp())",
    "INSERT INTO ev (id) VALUES (1)",
    "SELECT id, at <= clock_timestamp() FROM ev",
]


def test_statement_and_clock_timestamps_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
