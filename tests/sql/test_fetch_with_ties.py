"""FETCH FIRST n ROWS ONLY / WITH TIES as PostgreSQL runs them, against a live PostgreSQL: the
rows tied with the last on the ORDER BY keys come too (in queries, views and cursors), WITH
TIES without ORDER BY or with SKIP LOCKED is 42601, a NULL count 2201W (a NULL expression is
no limit). They raised XX000."""

from __future__ import annotations

from tests.sql.differential import Differ

SCRIPT = [
    "CREATE TABLE onek (thousand int, u int)",
    "INSERT INTO onek SELECT i % 5, i FROM generate_series(1, 20) i",
    "SELECT thousand FROM onek WHERE thousand < 5 ORDER BY thousand FETCH FIRST 2 ROW WITH TIES",
    "SELECT thousand FROM onek WHERE thousand < 5 ORDER BY thousand FETCH FIRST ROWS WITH TIES",
    "SELECT thousand FROM onek ORDER BY thousand DESC FETCH FIRST 1 ROW WITH TIES",
    "SELECT thousand FROM onek WHERE thousand < 5 ORDER BY thousand FETCH FIRST 2 ROW ONLY",
    "SELECT thousand FROM onek WHERE thousand < 5 ORDER BY thousand FETCH FIRST 1 ROW WITH TIES"
    " FOR UPDATE SKIP LOCKED",
    "SELECT thousand FROM onek WHERE thousand > 50 FETCH FIRST 2 ROW WITH TIES",
    "SELECT thousand FROM onek ORDER BY thousand OFFSET 3 ROWS FETCH NEXT 4 ROWS WITH TIES",
    "SELECT thousand FROM onek ORDER BY thousand FETCH FIRST 0 ROWS WITH TIES",
    "SELECT thousand FROM onek ORDER BY thousand FETCH FIRST (NULL + 1) ROWS WITH TIES",
    "SELECT thousand FROM onek ORDER BY thousand FETCH FIRST NULL ROWS WITH TIES",
    "CREATE VIEW v1 AS SELECT thousand FROM onek ORDER BY thousand"
    " FETCH FIRST 5 ROWS WITH TIES OFFSET 10",
    "SELECT * FROM v1",
    "CREATE VIEW v2 AS SELECT thousand FROM onek ORDER BY thousand"
    " OFFSET 10 FETCH FIRST 5 ROWS ONLY",
    "SELECT * FROM v2",
    "BEGIN",
    "DECLARE c5 CURSOR FOR SELECT thousand FROM onek ORDER BY thousand"
    " FETCH FIRST 2 ROWS WITH TIES",
    "FETCH ALL IN c5",
    "COMMIT",
    "SELECT 1 UNION SELECT 2 UNION SELECT 2 ORDER BY 1 DESC FETCH FIRST 1 ROW WITH TIES",
]


def test_fetch_first_with_ties_as_in_postgres(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
