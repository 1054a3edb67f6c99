"""COMMENT ON ... IS is kept and read back as PostgreSQL does (obj_description,
col_description, pg_description), following renames and going with the object."""

from __future__ import annotations

from tests.sql.differential import Differ

SETUP = """CREATE TABLE t (a int PRIMARY KEY, x text CONSTRAINT ck CHECK (x <> ''));
CREATE INDEX ti ON t (x);
CREATE SEQUENCE sq"""

READ = (
    "SELECT obj_description('t'::regclass, 'pg_class') AS t, obj_description('ti'::regclass) "
    "AS i, obj_description('sq'::regclass, 'pg_class') AS s, col_description('t'::regclass, 2) "
    "AS x, col_description('t'::regclass, 1) AS a"
)
COUNT = (
    "SELECT count(*), string_agg(description, ',' ORDER BY description) FROM pg_description d "
    "JOIN pg_class c ON c.oid = d.objoid WHERE c.relname IN ('t', 'ti', 'sq')"
)
CON = "SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint WHERE conname = 'ck2'"


def test_comments_are_kept_and_read_back(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in [
        "COMMENT ON TABLE t IS 'the table'",
        "COMMENT ON COLUMN t.x IS 'a column'",
        "COMMENT ON INDEX ti IS 'an index'",
        "COMMENT ON SEQUENCE sq IS 'a sequence'",
        "COMMENT ON CONSTRAINT ck ON t IS 'a check'",
        READ,
        COUNT,
        "ALTER TABLE t RENAME CONSTRAINT ck TO ck2",
        CON,
        "ALTER TABLE t RENAME COLUMN x TO y",
        "ALTER INDEX ti RENAME TO ti2",
        "SELECT col_description('t'::regclass, 2), obj_description('ti2'::regclass)",
        "COMMENT ON TABLE t IS NULL",
        "COMMENT ON COLUMN t.y IS ''",
        "SELECT obj_description('t'::regclass, 'pg_class'), col_description('t'::regclass, 2)",
        "BEGIN",
        "COMMENT ON TABLE t IS 'rolled back'",
        "ROLLBACK",
        "SELECT obj_description('t'::regclass, 'pg_class')",
        "DROP INDEX ti2",
        "SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid "
        "WHERE c.relname = 't'",
    ]:
        differ.check(stmt)


def test_bad_comment_targets(differ: Differ) -> None:
    differ.check(SETUP)
    for stmt in [
        "COMMENT ON TABLE nope IS 'x'",
        "COMMENT ON COLUMN t.nope IS 'x'",
        "COMMENT ON CONSTRAINT nope ON t IS 'x'",
        "COMMENT ON INDEX t IS 'x'",
        "COMMENT ON TABLE t IS 42",
        "COMMENT ON TABLE t",
    ]:
        differ.check(stmt)


def test_comments_on_domain_constraints(differ: Differ) -> None:
    for stmt in [
        "CREATE DOMAIN cdom AS int CONSTRAINT the_constraint CHECK (value > 0)",
        "COMMENT ON CONSTRAINT the_constraint ON DOMAIN cdom IS 'yes'",
        "COMMENT ON CONSTRAINT no_constraint ON DOMAIN cdom IS 'no'",
        "COMMENT ON CONSTRAINT the_constraint ON DOMAIN no_dom IS 'no'",
        "COMMENT ON CONSTRAINT the_constraint ON DOMAIN cdom IS NULL",
    ]:
        differ.check(stmt)


def test_comment_on_a_schema_qualified_column(differ: Differ) -> None:
    """SQLAlchemy's DDL names the column schema.table.column."""
    for stmt in [
        "CREATE SCHEMA cs",
        "CREATE TABLE cs.ct (id int, v text)",
        "COMMENT ON COLUMN cs.ct.id IS 'id comment'",
        "COMMENT ON COLUMN cs.ct.v IS 'v comment'",
        "SELECT col_description('cs.ct'::regclass, 1), col_description('cs.ct'::regclass, 2)",
        "COMMENT ON COLUMN cs.ct.nope IS 'x'",
        "COMMENT ON COLUMN nope.ct.id IS 'x'",
        "COMMENT ON COLUMN cs.nope.id IS 'x'",
        "COMMENT ON COLUMN ct IS 'x'",
        "DROP SCHEMA cs CASCADE",
    ]:
        differ.check(stmt)
