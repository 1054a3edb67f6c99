"""The citext extension against a live PostgreSQL that installs it: a case-insensitive text
type whose values keep their case: =, <>, <, ORDER BY, DISTINCT, GROUP BY, a unique index
and a primary key ignore case, LIKE/ILIKE and regular expressions too; citext = text
compares as text; casts to and from text and varchar; arrays of citext."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "SELECT 'a'::citext",  # no such type before CREATE EXTENSION
    "CREATE EXTENSION citext",
    "SELECT 'Abc'::citext, 'Abc'::citext = 'aBC', 'abc'::citext < 'ABD', 'B'::citext > 'a'",
    "SELECT 'Abc'::citext = 'abc'::text, 'Abc'::citext::text, 'Abc'::varchar::citext",
    "CREATE TABLE c (id int PRIMARY KEY, name citext UNIQUE, tags citext[])",
    "INSERT INTO c VALUES (1, 'Alice', ARRAY['X','y']), (2, 'bob', NULL), (3, 'CAROL', '{}')",
    "INSERT INTO c VALUES (4, 'ALICE', NULL)",
    "SELECT id, name FROM c WHERE name = 'alice'",
    "SELECT id FROM c WHERE name IN ('BOB', 'carol') ORDER BY id",
    "SELECT name FROM c ORDER BY name",
    "SELECT name FROM c ORDER BY name DESC",
    "SELECT id FROM c WHERE name LIKE 'a%' ORDER BY id",
    "SELECT id FROM c WHERE name ILIKE '%O%' ORDER BY id",
    "SELECT id FROM c WHERE name NOT LIKE 'B%' ORDER BY id",
    "SELECT id FROM c WHERE name ~ '^c' ORDER BY id",
    "SELECT id, upper(name), lower(name), length(name), name || '!' FROM c ORDER BY id",
    "CREATE TABLE d (v citext)",
    "INSERT INTO d VALUES ('x'), ('X'), ('y'), (NULL), ('Y '), ('y')",
    "SELECT count(DISTINCT v) FROM d",
    "SELECT lower(v::text), count(*) FROM d GROUP BY v ORDER BY 1",
    "SELECT min(v)::text IN ('x', 'X'), max(v)::text FROM d",
    "CREATE TABLE p (k citext PRIMARY KEY)",
    "INSERT INTO p VALUES ('Key')",
    "INSERT INTO p VALUES ('KEY')",
    "SELECT k FROM p WHERE k = 'kEy'",
    "UPDATE p SET k = 'Other' WHERE k = 'key'",
    "SELECT k FROM p",
    "SELECT typname, typcategory FROM pg_type WHERE typname = 'citext'",
]


def test_citext_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
