"""A function in a subquery's FROM whose arguments read the enclosing query's row
(``unnest(c.conkey)`` in Django's constraint introspection), against a live PostgreSQL:
unnest with and without ORDINALITY, generate_series, json(b) set functions, first in FROM
and joined, re-run for each outer row."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE t (id int PRIMARY KEY, k int[], n int, j jsonb)",
    "INSERT INTO t VALUES (1, '{3,1,2}', 2, '{\"a\": 1}'), (2, '{5}', 3, '{\"b\": 2, \"c\": 3}')",
    "SELECT id, array(SELECT x FROM unnest(t.k) WITH ORDINALITY cols(x, i) ORDER BY i DESC)"
    " FROM t ORDER BY id",
    "SELECT id, array(SELECT x FROM unnest(t.k) x) FROM t ORDER BY id",
    "SELECT id, (SELECT count(*) FROM unnest(t.k)) FROM t ORDER BY id",
    "SELECT id, array(SELECT x FROM generate_series(1, t.n) x) FROM t ORDER BY id",
    "SELECT id, array(SELECT x FROM unnest(t.k) x JOIN t t2 ON t2.id = 1) FROM t ORDER BY id",
    "SELECT id, (SELECT string_agg(key, ',' ORDER BY key) FROM jsonb_each(t.j)) FROM t ORDER BY id",
    "SELECT id FROM t WHERE 2 IN (SELECT * FROM unnest(t.k)) ORDER BY id",
]


def test_function_scans_read_the_enclosing_row(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
