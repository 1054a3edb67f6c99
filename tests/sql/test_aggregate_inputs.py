"""Aggregates against a live PostgreSQL by their input: string_agg over bytea (a bytea
delimiter, a NULL one), and aggregates whose arguments are only outer columns, which belong
to the outer query."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE b (v bytea);
INSERT INTO b VALUES ('\\xaa'), ('\\xff'), (NULL), ('\\x01');
CREATE TABLE bt (b1 bool, n int);
INSERT INTO bt VALUES (true, 1), (false, 2), (NULL, 3);
"""

QUERIES = [
    "SELECT string_agg(v, '') FROM b",
    "SELECT string_agg(v, NULL) FROM b",
    "SELECT string_agg(v, decode('ee', 'hex')) FROM b",
    "SELECT string_agg(v, '\\x00'::bytea ORDER BY v) FROM b",
    "SELECT string_agg(v::text, NULL) FROM b",
]


@pytest.mark.parametrize("sql", QUERIES)
def test_aggregate_input_matches_postgres(differ: Differ, sql: str) -> None:
    differ.check(SETUP)
    differ.check(sql)
