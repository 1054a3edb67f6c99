"""bit_and, bit_or and bit_xor over smallint, integer and bigint against a live PostgreSQL
(Django's BitAnd/BitOr/BitXor): NULLs skipped, NULL for no rows, DISTINCT, FILTER, GROUP
BY and as window functions; 42883 for other types."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE b (id int PRIMARY KEY, g int, s smallint, i int, l bigint)",
    "INSERT INTO b VALUES (1, 1, 6, 12, -1), (2, 1, 3, 10, 9223372036854775807),"
    " (3, 2, NULL, NULL, NULL), (4, 2, 5, 7, 4), (5, 1, 3, 10, 2)",
    "SELECT bit_and(s), bit_or(s), bit_xor(s), bit_and(i), bit_or(i), bit_xor(i),"
    " bit_and(l), bit_or(l), bit_xor(l) FROM b",
    "SELECT g, bit_xor(i), bit_xor(DISTINCT i), bit_or(l) FILTER (WHERE id > 1) FROM b"
    " GROUP BY g ORDER BY g",
    "SELECT bit_and(i), bit_or(i), bit_xor(i) FROM b WHERE false",
    "SELECT pg_typeof(bit_and(s)), pg_typeof(bit_or(i)), pg_typeof(bit_xor(l)) FROM b",
    "SELECT id, bit_xor(i) OVER (ORDER BY id) FROM b ORDER BY id",
    "SELECT bit_and(1.5)",
    "SELECT bit_or('x'::text)",
]


def test_bit_aggregates_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
