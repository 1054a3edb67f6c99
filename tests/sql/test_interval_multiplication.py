"""interval * number and number * interval against a live PostgreSQL (Django's
``F("duration") * 2``): months and days scaled and truncated, their fractions carried down
as PostgreSQL 15's interval_mul carries them; an untyped literal factor is a float8."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT interval '1 day 2 hours' * 2, 3 * interval '1 month', interval '1 month' * 1.5",
    "SELECT interval '10 seconds' * 0.3, interval '1 day' * 2.5, 2 * interval '1 year 3 mons'",
    "SELECT interval '1 hour' * '2', interval '1 mon' * -0.5, interval '7 days' * 1.0 / 3",
    "SELECT interval '1 hour' * 2.5::real, interval '1 hour' * NULL::int",
    "CREATE TABLE d (id int PRIMARY KEY, iv interval, n int)",
    "INSERT INTO d VALUES (1, '1 day 01:00:00', 3), (2, '-2 hours', 2), (3, NULL, 1)",
    "SELECT id, iv * n, n * iv, iv * 3.2 FROM d ORDER BY id",
]


def test_interval_multiplication_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
