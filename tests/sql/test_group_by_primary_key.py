"""GROUP BY a table's primary key groups its other columns too (PostgreSQL's functional
dependency; Django's ``annotate(Count(...))`` groups by the pk and selects every column),
against a live PostgreSQL: in the select list, HAVING and ORDER BY, through joins and
aliases; not for a unique column, part of a composite key, or a derived table."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE author (id int PRIMARY KEY, name text, age int, email text UNIQUE NOT NULL)",
    "CREATE TABLE book (id int PRIMARY KEY, author_id int REFERENCES author (id), pages int)",
    "CREATE TABLE pair (a int, b int, v int, PRIMARY KEY (a, b))",
    "INSERT INTO author VALUES (1, 'ann', 30, 'a@x'), (2, 'bob', 40, 'b@x'), (3, 'cy', 50, 'c@x')",
    "INSERT INTO book VALUES (1, 1, 100), (2, 1, 200), (3, 2, 50)",
    "INSERT INTO pair VALUES (1, 1, 5), (1, 2, 6)",
    'SELECT "author"."id", "author"."name", "author"."age", COUNT("book"."id") AS "n"'
    ' FROM "author" LEFT OUTER JOIN "book" ON ("author"."id" = "book"."author_id")'
    ' GROUP BY "author"."id" ORDER BY "author"."id"',
    "SELECT a.*, sum(b.pages) FROM author a JOIN book b ON a.id = b.author_id"
    " GROUP BY a.id ORDER BY a.name",
    "SELECT name, count(*) FROM author GROUP BY id ORDER BY 1",
    "SELECT a.name FROM author a JOIN book b ON a.id = b.author_id GROUP BY a.id HAVING a.age > 35",
    "SELECT upper(a.name), max(b.pages) FROM author a JOIN book b ON a.id = b.author_id"
    " GROUP BY a.id ORDER BY a.age DESC",
    "SELECT a.name FROM author a JOIN book b ON a.id = b.author_id GROUP BY b.id",
    "SELECT name, count(*) FROM author GROUP BY email",
    "SELECT v FROM pair GROUP BY a",
    "SELECT v, count(*) FROM pair GROUP BY a, b ORDER BY v",
    "SELECT s.name FROM (SELECT * FROM author) s GROUP BY s.id",
]


def test_group_by_primary_key_groups_the_tables_columns(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
