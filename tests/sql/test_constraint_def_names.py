"""pg_get_constraintdef quotes the names that need it, as PostgreSQL does: SQLAlchemy's
reflection reads foreign keys back from its text with a pattern."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_constraint_definitions_quote_odd_names(differ: Differ) -> None:
    for stmt in [
        'CREATE TABLE "(2)" (id int PRIMARY KEY, "col%p" int, "Up" int, UNIQUE (id, "col%p"))',
        'CREATE TABLE "per % cent" ("select" int PRIMARY KEY, ref int, r2 int, '
        'FOREIGN KEY (ref) REFERENCES "(2)" (id) ON DELETE CASCADE, '
        'FOREIGN KEY (ref, r2) REFERENCES "(2)" (id, "col%p"))',
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid IN (SELECT oid FROM pg_class WHERE relname IN ('(2)', 'per % cent')) "
        "ORDER BY 1",
    ]:
        differ.check(stmt)


def test_a_foreign_key_to_another_schema_names_it(differ: Differ) -> None:
    """PostgreSQL qualifies the referenced table when its schema is not on the search path
    (SQLAlchemy's referred_schema comes from it)."""
    for stmt in [
        "CREATE SCHEMA other",
        "CREATE TABLE other.r (id int PRIMARY KEY)",
        "CREATE TABLE pr (id int PRIMARY KEY)",
        "CREATE TABLE l (rid int REFERENCES other.r (id), pid int REFERENCES pr (id))",
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
        "ORDER BY 1",
        "SET search_path = other, public",
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
        "ORDER BY 1",
        "RESET search_path",
        "DROP SCHEMA other CASCADE",
    ]:
        differ.check(stmt)
