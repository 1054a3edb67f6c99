"""Renaming a column other tables' foreign keys reference, against a live PostgreSQL
(Django's test_rename_referenced_field): the foreign keys follow the new name, in
pg_get_constraintdef and in their checks both ways, a self-reference too (the checks failed
on a column that no longer existed)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE p (id int PRIMARY KEY, code int UNIQUE)",
    "CREATE TABLE c (id int PRIMARY KEY, pc int REFERENCES p (code))",
    "CREATE TABLE s (id int PRIMARY KEY, parent int REFERENCES s (id))",
    "INSERT INTO p VALUES (1, 10)",
    "ALTER TABLE p RENAME COLUMN code TO renamed",
    "INSERT INTO c VALUES (1, 10)",
    "INSERT INTO c VALUES (2, 99)",
    "DELETE FROM p",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY 1",
    "ALTER TABLE s RENAME COLUMN id TO sid",
    "INSERT INTO s VALUES (1, NULL), (2, 1)",
    "INSERT INTO s VALUES (3, 7)",
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY 1",
]


def test_foreign_keys_follow_a_renamed_referenced_column(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
