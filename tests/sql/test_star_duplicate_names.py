"""* over a FROM item whose columns share a name, against a live PostgreSQL: multi-argument
unnest in FROM (two columns named unnest; Django's bulk_create inserts
``SELECT * FROM UNNEST(%s::varchar[], %s::int[])``) and a subquery with two outputs of one
name expand by position, where a reference by that name stays ambiguous."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE bulk (id serial PRIMARY KEY, a varchar(10), b int)",
    "SELECT * FROM UNNEST('{x,y,z}'::varchar[], '{1,2}'::int[])",
    "SELECT * FROM UNNEST('{x,y}'::varchar[], '{a,b}'::varchar[])",
    "SELECT u.* FROM UNNEST('{x,y}'::varchar[], '{1,2}'::int[]) AS u",
    "SELECT * FROM UNNEST('{x,y}'::varchar[], '{1,2}'::int[]) WITH ORDINALITY",
    "INSERT INTO bulk (a, b) SELECT * FROM UNNEST('{x,y}'::varchar[], '{1,2}'::int[])"
    " RETURNING bulk.id",
    "SELECT * FROM bulk ORDER BY id",
    "SELECT * FROM (SELECT 1 AS x, 2 AS x) s",
    "SELECT s.* FROM (SELECT 1 AS x, 2 AS x) s",
    "SELECT x FROM (SELECT 1 AS x, 2 AS x) s",
    "SELECT unnest FROM UNNEST('{x}'::varchar[], '{1}'::int[])",
]


def test_star_over_columns_of_one_name_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
