"""int2vector and oidvector catalog columns (pg_index.indkey, indoption, ...) have subscripts
from 0, as PostgreSQL's: SQLAlchemy reflects an expression index through
pg_get_indexdef(index, generate_subscripts(indkey, 1) + 1, true)."""

from __future__ import annotations

from tests.sql.differential import Differ

SETUP = [
    "CREATE TABLE k (a int, txt text)",
    "CREATE INDEX ix ON k (lower(txt))",
    "CREATE INDEX ix2 ON k (a, lower(txt) DESC)",
]
QUERIES = [
    "SELECT indexrelid::regclass, indkey, array_lower(indkey, 1), array_upper(indkey, 1),"
    " indkey[0], indoption, indkey::int2[]"
    " FROM pg_index WHERE indrelid = 'k'::regclass ORDER BY 1",
    "SELECT i.indexrelid::regclass, u.attnum, u.ord, pg_get_indexdef(i.indexrelid, u.ord + 1,"
    " true) FROM pg_index i, LATERAL (SELECT unnest(i.indkey) AS attnum,"
    " generate_subscripts(i.indkey, 1) AS ord) u WHERE indrelid = 'k'::regclass"
    " ORDER BY 1, 3",
    "SELECT '1 2 3'::int2vector, array_lower('1 2 3'::int2vector, 1),"
    " ('1 2 3'::int2vector)[0], ''::int2vector",
]


def test_vector_columns_count_from_zero(differ: Differ) -> None:
    for sql in SETUP + QUERIES:
        differ.check(sql)
