"""The unaccent extension (built in: sql.unaccent) against a live PostgreSQL with it
installed: every source character of PostgreSQL's unaccent.rules replaced as PostgreSQL
replaces it, in words and alone, with and without the dictionary argument."""

from __future__ import annotations

from sql import unaccent
from tests.sql.differential import Differ

SCRIPT = [
    "SELECT unaccent('Hôtel')",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "SELECT unaccent('Hôtel Ærø ß ﬁ ½ Œuvre naïve façade'), unaccent(NULL)",
    "SELECT unaccent('unaccent', 'Hôtel'), unaccent('public.unaccent', 'Ça')",
    "SELECT unaccent('unaccent'::text, 'Hôtel')",
    "SELECT unaccent('nosuch', 'Hôtel')",
    "CREATE TABLE t (id int PRIMARY KEY, v varchar(20))",
    "INSERT INTO t VALUES (1, 'àéÖ'), (2, 'aeO'), (3, 'abc')",
    "SELECT id FROM t WHERE unaccent(v) = 'aeO' ORDER BY id",
    "SELECT id FROM t WHERE UPPER(unaccent(v)) LIKE UPPER('%eo') ORDER BY id",
]


def test_unaccent_matches_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)


def test_every_rule_matches_postgres(differ: Differ) -> None:
    differ.check("CREATE EXTENSION IF NOT EXISTS unaccent")
    sources = sorted(unaccent.rules()[0])
    for i in range(0, len(sources), 200):
        chunk = "|".join(sources[i : i + 200]).replace("'", "''")
        differ.check(f"SELECT unaccent('{chunk}'), unaccent('x{chunk}y')")
