"""Dropping a primary-key column drops the key with it (rows rekeyed, other indexes kept); a
foreign key referencing the key needs CASCADE, which drops it (Django's ``remove_field`` of a
primary key). And an oid column compared with regclass constants through IN and = ANY, as
Django's and psql's catalog queries do, finds the relations they name."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_primary_key_column_dropped_as_postgresql_drops_it(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE tag (id serial PRIMARY KEY, title varchar(10), slug varchar(10) UNIQUE)",
        "ALTER TABLE tag DROP CONSTRAINT tag_pkey",
        "ALTER TABLE tag ADD CONSTRAINT tag_slug_pk PRIMARY KEY (slug)",
        "ALTER TABLE tag DROP COLUMN id CASCADE",
        "SELECT attname FROM pg_attribute WHERE attrelid = 'tag'::regclass AND attnum > 0"
        " AND NOT attisdropped",
        "CREATE TABLE a2 (id int PRIMARY KEY, x int)",
        "CREATE TABLE b2 (id int PRIMARY KEY, a_id int REFERENCES a2 (id))",
        "ALTER TABLE a2 DROP COLUMN id",
        "ALTER TABLE a2 DROP COLUMN id CASCADE",
        "SELECT conname FROM pg_constraint WHERE conrelid IN ('a2'::regclass, 'b2'::regclass)"
        " ORDER BY 1",
        "INSERT INTO tag (title, slug) VALUES ('a', 'x'), ('b', 'y')",
        "SELECT * FROM tag ORDER BY slug",
        "CREATE TABLE c3 (id int PRIMARY KEY, v text)",
        "CREATE INDEX c3_v ON c3 (v)",
        "INSERT INTO c3 VALUES (1, 'a'), (2, 'b')",
        "ALTER TABLE c3 DROP COLUMN id",
        "SELECT * FROM c3 WHERE v = 'b'",
        "INSERT INTO c3 VALUES ('c')",
        "SELECT count(*) FROM c3",
        "SELECT indexname FROM pg_indexes WHERE tablename = 'c3'",
    ]:
        differ.check(stmt)


def test_oids_in_a_list_of_regclass_constants(differ: Differ) -> None:
    for stmt in [
        "CREATE TABLE a2 (id int PRIMARY KEY, x int)",
        "CREATE TABLE b2 (id int PRIMARY KEY, a_id int REFERENCES a2 (id))",
        "SELECT conname FROM pg_constraint WHERE conrelid = 'a2'::regclass ORDER BY 1",
        "SELECT conname FROM pg_constraint WHERE conrelid IN ('a2'::regclass, 'b2'::regclass)"
        " ORDER BY 1",
        "SELECT conname FROM pg_constraint WHERE conrelid IN ('a2'::regclass) ORDER BY 1",
        "SELECT conname FROM pg_constraint"
        " WHERE conrelid = ANY (ARRAY['a2'::regclass, 'b2'::regclass]) ORDER BY 1",
        "SELECT relname FROM pg_class WHERE oid NOT IN ('a2'::regclass) AND relname LIKE '_2'",
    ]:
        differ.check(stmt)


def test_table_check_constraint_lists_its_columns(differ: Differ) -> None:
    """A table CHECK added by ALTER TABLE names the columns it reads in conkey (Django finds
    a column's check constraints by them); dropping such a column drops the check."""
    for stmt in [
        'CREATE TABLE au (id int PRIMARY KEY, height integer NULL CHECK ("height" >= 0), w int)',
        'ALTER TABLE "au" DROP CONSTRAINT "au_height_check"',
        'ALTER TABLE "au" ADD CONSTRAINT "au_height_f219d580_check" CHECK ("height" >= 0)',
        "ALTER TABLE au ADD CONSTRAINT hw CHECK (w > height AND w > 0)",
        "SELECT conname, conkey FROM pg_constraint WHERE conrelid = 'au'::regclass ORDER BY 1",
        "ALTER TABLE au DROP COLUMN w",
        "SELECT conname, conkey FROM pg_constraint WHERE conrelid = 'au'::regclass ORDER BY 1",
    ]:
        differ.check(stmt)
