"""``JOIN LATERAL f(...) AS k(x, ...)`` with the LATERAL word written (clients' catalog
queries: unnest(indclass) WITH ORDINALITY), the alias and its column names as PostgreSQL
gives them, against a live PostgreSQL (db9 lost them: 42P01 missing FROM-clause entry)."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE a (id int PRIMARY KEY, f int[], n int)",
    "INSERT INTO a VALUES (1, '{7,8}', 2), (2, '{}', 0), (3, NULL, 1)",
    "SELECT a.id, k.x FROM a JOIN LATERAL unnest(a.f) AS k(x) ON true ORDER BY 1, 2",
    "SELECT a.id, k.x, k.n FROM a CROSS JOIN LATERAL unnest(a.f) WITH ORDINALITY AS k(x, n)"
    " ORDER BY 1, 3",
    "SELECT a.id, g.x FROM a CROSS JOIN LATERAL generate_series(1, a.n) AS g(x) ORDER BY 1, 2",
    "SELECT a.id, k FROM a CROSS JOIN LATERAL unnest(a.f) AS k ORDER BY 1, 2",
    "SELECT a.id, k.x FROM a LEFT JOIN LATERAL unnest(a.f) AS k(x) ON k.x > 7 ORDER BY 1, 2",
    "SELECT a.id, k.x FROM a CROSS JOIN LATERAL unnest(a.f) AS k(x) JOIN a b ON b.id = k.x - 6"
    " ORDER BY 1, 2",
    "SELECT a.id, j.k, j.v FROM a CROSS JOIN LATERAL jsonb_each('{\"a\": 1}') AS j(k, v)"
    " ORDER BY 1",
]


def test_lateral_function_aliases_match_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
