"""bit(n) and bit varying(n) against a live PostgreSQL: B'' and X'' constants, input in
binary and hex, the length rules (22026 for bit(n), 22001 for varbit(n) on assignment; casts
pad or truncate), order and an index, & | # ~ << >> ||, casts to and from int4/int8 and
text, length functions, arrays and the catalog's names."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT B'0101', X'1F', '101'::bit(3), '101'::varbit, 'x1F'::bit(8), ''::varbit",
    "SELECT B'101'::bit(5), B'10101'::bit(3), B'10101'::varbit(2), B'1'::bit varying(4)",
    "SELECT '101'::bit(4)",
    "SELECT '102'::varbit",
    "SELECT 'x1G'::varbit",
    "CREATE TABLE bt (id int PRIMARY KEY, a bit(4), b varbit(6))",
    "INSERT INTO bt VALUES (1, '1010', '1'), (2, B'0110', '111000'), (3, NULL, NULL),"
    " (4, X'F', '')",
    "INSERT INTO bt VALUES (5, '101', '1')",
    "INSERT INTO bt VALUES (5, '1010', '1010101')",
    "SELECT id, a, b FROM bt ORDER BY b, id",
    "CREATE INDEX bt_a ON bt (a)",
    "SELECT id FROM bt WHERE a > B'0111' ORDER BY a",
    "SELECT a & B'1100', a | B'0001', a # B'1111', ~a, a << 1, a >> 2, a || b FROM bt ORDER BY id",
    "SELECT B'101' & B'11'",
    "SELECT 5::bit(4), (-1)::bit(8), 300::bit(4), 5::int8::bit(70), B'0101'::int, B'1111'::int4,"
    " X'FFFFFFFF'::int4, B'0101'::int8",
    "SELECT a::text, b::varchar, length(b), bit_length(b), octet_length(B'1010101010')"
    " FROM bt ORDER BY id",
    "SELECT count(DISTINCT a), count(DISTINCT b) FROM bt",
    "SELECT ARRAY[B'1', B'0'], '{101,01}'::varbit[]",
    "SELECT pg_typeof(B'1'), pg_typeof(B'1' & B'0'), pg_typeof(B'1' || B'0'),"
    " format_type(1560, 7), format_type(1562, 5), format_type('varbit'::regtype, -1)",
]


def test_bit_strings_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
