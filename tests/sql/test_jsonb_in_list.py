"""jsonb IN (list of jsonb constants) against a live PostgreSQL (Django's JSONField
``__key__in``): objects and arrays on either side compare by value, not through a hash set
(they were an XX000 TypeError), NULLs as IN treats them."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE j (id int PRIMARY KEY, v jsonb)",
    'INSERT INTO j VALUES (1, \'{"a": {"b": 1}}\'), (2, \'{"a": [1, 2]}\'), (3, \'{"a": 3}\'),'
    " (4, '{}'), (5, NULL)",
    "SELECT id FROM j WHERE (v -> 'a') IN ('{\"b\": 1}'::jsonb, '[1, 2]'::jsonb) ORDER BY id",
    "SELECT id FROM j WHERE (v -> 'a') IN ('3'::jsonb, '\"x\"'::jsonb) ORDER BY id",
    "SELECT id, (v -> 'a') IN ('3'::jsonb, NULL) FROM j ORDER BY id",
    "SELECT id FROM j WHERE (v -> 'a') NOT IN ('{\"b\": 1}'::jsonb) ORDER BY id",
]


def test_jsonb_in_a_list_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
