"""btree_gin and btree_gist (built in): scalar columns in gin and gist indexes, and the
classic ``EXCLUDE USING gist (room WITH =, during WITH &&)`` over a range column (Django's
ExclusionConstraint), against a live PostgreSQL; without the extension the scalar column
has no gist class (42704); range columns take gist and spgist range_ops."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE early (room int, EXCLUDE USING gist (room WITH =))",
    "CREATE TABLE early2 (n int)",
    "CREATE INDEX ON early2 USING gin (n)",
    "CREATE EXTENSION btree_gist",
    "CREATE EXTENSION btree_gin",
    "CREATE TABLE r (id int PRIMARY KEY, room int, cancelled bool, during tsrange,"
    " EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (NOT cancelled))",
    "INSERT INTO r VALUES (1, 1, false, '[2020-01-01,2020-01-03)')",
    "INSERT INTO r VALUES (2, 1, false, '[2020-01-02,2020-01-04)')",
    "INSERT INTO r VALUES (3, 2, false, '[2020-01-02,2020-01-04)')",
    "INSERT INTO r VALUES (4, 1, true, '[2020-01-02,2020-01-04)')",
    "INSERT INTO r VALUES (5, 1, false, '[2020-01-03,2020-01-05)')",
    "SELECT id FROM r ORDER BY id",
    "CREATE INDEX r_spgist ON r USING spgist (during)",
    "CREATE INDEX r_gist ON r USING gist (during range_ops, room)",
    "CREATE INDEX r_gin ON r USING gin (room, id)",
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'r' ORDER BY 1",
    "CREATE TABLE m (id int, span int4multirange, EXCLUDE USING gist (span WITH &&))",
    "INSERT INTO m VALUES (1, '{[1,3)}'), (2, '{[5,6)}')",
    "INSERT INTO m VALUES (3, '{[2,4)}')",
    "CREATE INDEX ON m USING spgist (span)",
]


def test_btree_gist_exclusion_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
