"""Which operator class each index key has, as clients read it from pg_index.indclass joined
to pg_opclass (Django's introspection and tests), and pg_index.indkey listing INCLUDE
columns after the keys, against a live PostgreSQL: written classes (pattern ops, trgm ops,
btree_gin/btree_gist), defaults of every method, tsvector's gin and gist classes."""

from __future__ import annotations

from tests.sql.differential import Differ

OPCLASS_OF = (
    "SELECT c.relname, (SELECT array_agg(oc.opcname ORDER BY u.n)"
    " FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS u(cls, n)"
    " JOIN pg_opclass oc ON oc.oid = u.cls) FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'ix_%' ORDER BY 1"
)
SCRIPT = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "CREATE TABLE t (id int PRIMARY KEY, s text, v varchar(10), c char(3), j jsonb,"
    " d tsvector, a int[], n int, ts timestamp)",
    "CREATE INDEX ix_pattern ON t (s text_pattern_ops, v varchar_pattern_ops, c)",
    "CREATE INDEX ix_plain ON t (id, s, v, ts)",
    "CREATE INDEX ix_expr ON t ((lower(s)) text_pattern_ops)",
    "CREATE INDEX ix_gin ON t USING gin (j, a, d)",
    "CREATE INDEX ix_jpath ON t USING gin (j jsonb_path_ops)",
    "CREATE INDEX ix_trgm ON t USING gin (s gin_trgm_ops)",
    "CREATE INDEX ix_trgm_gist ON t USING gist (s gist_trgm_ops(siglen=16))",
    "CREATE INDEX ix_btree_gin ON t USING gin (n, ts)",
    "CREATE INDEX ix_btree_gist ON t USING gist (n, s, d)",
    "CREATE INDEX ix_include ON t USING gist (n) INCLUDE (s, ts)",
    "CREATE INDEX ix_hash ON t USING hash (s)",
    OPCLASS_OF,
    "SELECT c.relname, i.indnatts, i.indnkeyatts, i.indkey::text FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_include'",
    "SELECT opcname, opcdefault, opcintype::regtype FROM pg_opclass"
    " WHERE opcname IN ('gin_trgm_ops', 'gist_trgm_ops', 'int4_ops', 'gist_int4_ops',"
    " 'tsvector_ops', 'text_pattern_ops', 'jsonb_path_ops')"
    " AND opcmethod <> (SELECT oid FROM pg_am WHERE amname = 'hash') ORDER BY 1, 2, 3::text",
]


def test_index_opclasses_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
