"""The tid type against a live PostgreSQL: tidin's reading (white space, signs, a negative
int32 block, text after the parenthesis, range errors), output, comparison and ordering, an
index on it, arrays, casts (text only: 42846 to integer) and the catalog's name."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT '(1,2)'::tid, '(-1,0)'::tid, '(4294967295,65535)'::tid, '(,5)'::tid",
    "SELECT '(1,+2)'::tid, ' (1,2)'::tid, 'a(1,2)'::tid, '(-2147483648,1)'::tid",
    "SELECT '( 3 , 4 )x'::tid",
    "SELECT '(4294967296,0)'::tid",
    "SELECT '(0,65536)'::tid",
    "SELECT '(-2147483649,1)'::tid",
    "SELECT '(1,2'::tid",
    "SELECT '(1,2,3)'::tid",
    "SELECT 'x'::tid",
    "SELECT '(1,2)'::tid < '(1,3)', '(2,0)'::tid > '(1,9)'::tid, '(1,2)'::tid = '(1,2)',"
    " '(1,2)'::tid <> '(1,2)', '(1,2)'::tid <= '(1,2)'",
    "CREATE TABLE tt (t tid PRIMARY KEY)",
    "INSERT INTO tt VALUES ('(5,5)'), ('(1,1)'), ('(1,0)'), ('(4294967295,1)')",
    "SELECT t FROM tt ORDER BY t",
    "SELECT max(t), min(t) FROM tt",
    "SELECT t FROM tt WHERE t > '(1,0)' ORDER BY t DESC",
    "SELECT ARRAY['(1,2)'::tid], '{\"(1,2)\",\"(3,4)\"}'::tid[]",
    "SELECT '(1,2)'::tid::text, '(1,2)'::tid::varchar, '(1,2)'::tid::text::tid",
    "SELECT '(1,2)'::tid::int",
    "SELECT 5::tid",
    "SELECT pg_typeof('(1,2)'::tid), format_type(27, -1), 'tid'::regtype::oid",
]


def test_tid_type_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
