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


FUNCTIONS = [
    "CREATE EXTENSION citext",
    "CREATE TABLE f (s citext, t text)",
    "INSERT INTO f VALUES ('Hello World', 'Hello World')",
    # citext's own versions ignore case; with a text subject they are text's
    "SELECT strpos(s, 'WORLD'), strpos(t, 'WORLD'), strpos(s, 'world'::text) FROM f",
    "SELECT replace(s, 'L', '_'), replace(t, 'L', '_'), replace(s, 'o.', '$') FROM f",
    "SELECT replace('A.b.C.'::citext, 'B.', '\\1'), replace('a+b'::citext, '+', '-'),"
    " split_part('a.B.c'::citext, '.', 2), split_part('aXbxC'::citext, 'x', 3)",
    "SELECT split_part(s, 'O', 2), split_part(t, 'O', 2) FROM f",
    "SELECT translate(s, 'LO', '01'), translate(t, 'LO', '01') FROM f",
    "SELECT regexp_match(s, 'W(O)'), regexp_match(s, 'W(O)', 'c'), regexp_match(t, 'W(O)') FROM f",
    "SELECT regexp_replace(s, 'o', '0'), regexp_replace(s, 'O', '0', 'g'),"
    " regexp_replace(t, 'O', '0', 'g') FROM f",
    "SELECT regexp_split_to_array(s, 'O'), regexp_split_to_array(t, 'O') FROM f",
]


def test_citext_functions_ignore_case(differ: Differ) -> None:
    for sql in FUNCTIONS:
        differ.check(sql)


QUERIES = [
    "CREATE EXTENSION citext",
    "CREATE TABLE a (id int, k citext)",
    "CREATE TABLE b (k citext, v int)",
    "INSERT INTO a VALUES (1, 'Foo'), (2, 'BAR'), (3, 'baz'), (4, NULL)",
    "INSERT INTO b VALUES ('foo', 10), ('bar', 20), ('FOO', 30)",
    "SELECT a.id, b.v FROM a JOIN b ON a.k = b.k ORDER BY 1, 2",
    "SELECT a.id FROM a WHERE a.k IN (SELECT k FROM b) ORDER BY 1",
    "SELECT a.id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = a.k) ORDER BY 1",
    "SELECT lower(k::text) FROM (SELECT k FROM a UNION SELECT k FROM b) u ORDER BY 1",
    "SELECT DISTINCT ON (k) lower(k::text), v FROM b ORDER BY k, v",
    "SELECT k::text, v FROM b WHERE k BETWEEN 'BAR' AND 'bar' ORDER BY v",
    "UPDATE b SET k = upper(k) WHERE v = 10",
    "SELECT k, v FROM b ORDER BY v",
]


def test_citext_in_joins_sets_and_subqueries(differ: Differ) -> None:
    for sql in QUERIES:
        differ.check(sql)
