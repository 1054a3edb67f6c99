"""Relation names inside stored expressions print as PostgreSQL deparses them: a regclass
literal (a serial's ``nextval('s'::regclass)``, ``'t'::regclass``, nextval's bare argument)
is schema-qualified unless visible on the current search path, which pg_dump empties."""

from __future__ import annotations

from tests.sql.differential import Differ

SCHEMA = """
CREATE SCHEMA s2;
CREATE SEQUENCE counter;
CREATE TABLE items (id serial PRIMARY KEY, n int, r regclass DEFAULT 'counter'::regclass);
CREATE TABLE "Odd" (id serial, x int DEFAULT nextval('counter'), y int DEFAULT 7);
CREATE TABLE s2.t (id serial, m int);
CREATE INDEX items_e ON items ((n + 1))
"""

DEFAULTS = "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef ORDER BY adrelid, adnum"
COLUMN_DEFAULTS = (
    "SELECT table_name, column_name, column_default FROM information_schema.columns"
    " WHERE table_schema IN ('public', 's2') ORDER BY 1, 2"
)


def load(differ: Differ) -> None:
    differ.pg.execute("DROP SCHEMA IF EXISTS s2 CASCADE")
    differ.session.execute(SCHEMA)
    differ.pg.execute(SCHEMA)


def test_defaults_print_qualified_off_the_search_path(differ: Differ) -> None:
    load(differ)
    for path in ["public", "''", "s2", "s2, public"]:
        differ.check(f"SET search_path = {path}")
        differ.check(DEFAULTS)
        differ.check(COLUMN_DEFAULTS)
        differ.check("SELECT pg_get_indexdef('public.items_e'::regclass)")
        differ.check("SELECT 'public.\"Odd_id_seq\"'::regclass, 'public.items'::regclass")


def test_qualified_defaults_still_run_and_follow_a_sequence_rename(differ: Differ) -> None:
    load(differ)
    differ.check('INSERT INTO "Odd" DEFAULT VALUES')
    differ.check("ALTER SEQUENCE items_id_seq RENAME TO items_seq2")
    differ.check("SET search_path = ''")
    differ.check("INSERT INTO public.items (n) VALUES (1) RETURNING id, r")
    differ.check(DEFAULTS)
