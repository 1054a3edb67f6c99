"""The sequence of a serial column in a table whose name needs quotes (Django's
``db_table = "Individual"``), against a live PostgreSQL: the column default names it
quoted, pg_get_serial_sequence() parses its quoted argument and quotes its answer, and
setval() through it moves the sequence the inserts use."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    'CREATE TABLE "Individual" (id serial PRIMARY KEY, v int)',
    'INSERT INTO "Individual" (v) VALUES (1) RETURNING id',
    "SELECT pg_get_serial_sequence('\"Individual\"', 'id')",
    "SELECT pg_get_serial_sequence('individual', 'id')",
    "SELECT setval(pg_get_serial_sequence('\"Individual\"', 'id'), 5, false)",
    'INSERT INTO "Individual" (v) VALUES (2) RETURNING id',
    "SELECT column_default FROM information_schema.columns"
    " WHERE table_name = 'Individual' AND column_name = 'id'",
    'CREATE SCHEMA "Sch"',
    'CREATE TABLE "Sch"."Mixed" (id serial PRIMARY KEY)',
    "SELECT pg_get_serial_sequence('\"Sch\".\"Mixed\"', 'id')",
    'INSERT INTO "Sch"."Mixed" DEFAULT VALUES RETURNING id',
    "SELECT column_default FROM information_schema.columns WHERE table_name = 'Mixed'",
    'DROP SCHEMA "Sch" CASCADE',
]


def test_serial_sequences_of_quoted_names_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
