"""Array forms Django's ArrayField writes, against a live PostgreSQL: ``ARRAY((SELECT ...))``
(a parenthesised query is still ARRAY(query)), arrays and jsonb compared with IN / = ANY
of a subquery, and sized array type names in casts (``::double precision[2][]``, bulk_create's
unnest: the size is ignored)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE a (id int PRIMARY KEY, f int[], j jsonb)",
    "INSERT INTO a VALUES (1, '{1}', '{\"a\": 1, \"b\": 2}'), (2, '{2,3}', '[1]'),"
    " (3, NULL, NULL), (4, '{{1,2},{3,4}}', '{}')",
    "SELECT ARRAY((SELECT id FROM a ORDER BY id DESC))",
    "SELECT ARRAY((SELECT f FROM a WHERE id = 2)), ARRAY[(SELECT 1)], ARRAY[(SELECT 1), 2]",
    "SELECT ARRAY((SELECT 1) UNION (SELECT 2) ORDER BY 1)",
    "SELECT id FROM a WHERE f IN (SELECT f FROM a WHERE id > 1) ORDER BY id",
    "SELECT id FROM a WHERE f = ANY (SELECT f FROM a WHERE id > 1) ORDER BY id",
    "SELECT id, f NOT IN (SELECT f FROM a WHERE id > 1) FROM a ORDER BY id",
    'SELECT id FROM a WHERE j IN (SELECT \'{"b": 2, "a": 1}\'::jsonb) ORDER BY id',
    "SELECT '{1,2}'::double precision[2], '{{1},{2}}'::int[2][], ARRAY[1.5]::float8[3][]",
    "SELECT * FROM unnest('{{1,2},{3,4}}'::integer[2][])",
    "SELECT pg_typeof('{1}'::int[3]), (ARRAY[7, 8])[2], ('{5,6}'::int[])[1]",
]


def test_array_subqueries_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
