"""GENERATED ALWAYS AS (expr) STORED columns against a live PostgreSQL (Django's
GeneratedField(db_persist=True)): computed on INSERT (VALUES, SELECT, multi-row, DEFAULT),
UPDATE and ON CONFLICT DO UPDATE, returned by RETURNING, 428C9 for an explicit value, and
shown in pg_attribute.attgenerated."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE g (id serial PRIMARY KEY, a int, b int,"
    " field int GENERATED ALWAYS AS (a + b) STORED,"
    " t text GENERATED ALWAYS AS ('v' || a::text) STORED)",
    "INSERT INTO g (a, b) VALUES (1, 2) RETURNING id, field, t",
    "INSERT INTO g (a, b) SELECT * FROM UNNEST('{1,2}'::int[], '{3,4}'::int[])"
    " RETURNING g.id, g.field",
    "INSERT INTO g (a, b, field) VALUES (5, 5, DEFAULT) RETURNING field",
    "INSERT INTO g (a, b, field) VALUES (5, 5, 11)",
    "INSERT INTO g (a, field) SELECT 1, 2",
    "UPDATE g SET a = 10 WHERE id = 1 RETURNING field, t",
    "UPDATE g SET field = 3",
    "UPDATE g SET field = DEFAULT, b = 0 WHERE id = 2 RETURNING *",
    "INSERT INTO g (id, a, b) VALUES (1, 5, 5) ON CONFLICT (id) DO UPDATE SET b = 100"
    " RETURNING field",
    "SELECT * FROM g ORDER BY id",
    "SELECT id FROM g WHERE field > 5 ORDER BY id",
    "SELECT attname, attgenerated FROM pg_attribute"
    " WHERE attrelid = 'g'::regclass AND attnum > 0 ORDER BY attnum",
    # the expression in pg_attrdef, as SQLAlchemy reflects it (Computed's sqltext)
    "SELECT a.attname, a.atthasdef, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
    " JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE a.attrelid = 'g'::regclass AND a.attname = 'field'",
]


def test_stored_generated_columns_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
