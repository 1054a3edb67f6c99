"""UNIQUE NULLS [NOT] DISTINCT against a live PostgreSQL: as a column or table constraint and
on CREATE UNIQUE INDEX, NULLS NOT DISTINCT lets one row hold NULL keys (23505 for a second,
ON CONFLICT DO NOTHING skips it, an index over duplicate NULLs cannot be built)."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_nulls_not_distinct_matches_postgres(differ: Differ) -> None:
    for sql in [
        "CREATE TABLE u1 (i int UNIQUE NULLS NOT DISTINCT, t text)",
        "INSERT INTO u1 VALUES (1, 'one')",
        "INSERT INTO u1 (t) VALUES ('six')",
        "INSERT INTO u1 (t) VALUES ('seven')",
        "INSERT INTO u1 (t) VALUES ('eight') ON CONFLICT DO NOTHING",
        "SELECT * FROM u1 ORDER BY t",
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'u1_i_key'",
        "CREATE TABLE u2 (i int, j int, UNIQUE NULLS NOT DISTINCT (i, j))",
        "INSERT INTO u2 VALUES (1, NULL), (1, NULL)",
        "INSERT INTO u2 VALUES (1, NULL), (2, NULL)",
        "CREATE TABLE u3 (i int)",
        "INSERT INTO u3 VALUES (NULL), (NULL)",
        "CREATE UNIQUE INDEX u3_distinct ON u3 (i) NULLS DISTINCT",
        "CREATE UNIQUE INDEX u3_not_distinct ON u3 (i) NULLS NOT DISTINCT",
        "DELETE FROM u3",
        "CREATE UNIQUE INDEX u3_not_distinct ON u3 (i) NULLS NOT DISTINCT",
        "INSERT INTO u3 VALUES (NULL)",
        "INSERT INTO u3 VALUES (NULL)",
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'u3' ORDER BY 1",
        "CREATE INDEX u3_plain ON u3 (i) NULLS NOT DISTINCT",
    ]:
        differ.check(sql)
