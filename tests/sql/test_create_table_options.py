"""CREATE TABLE's WITH / WITHOUT clauses as PostgreSQL 15 takes them, against a live
PostgreSQL: WITHOUT OIDS and WITH (oids = false) accepted, WITH (oids = true) refused (0A000),
storage parameters accepted without effect."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_oids_clauses_as_in_postgres(differ: Differ) -> None:
    for sql in [
        "CREATE TEMP TABLE withoutoid() WITHOUT OIDS",
        "DROP TABLE withoutoid",
        "CREATE TEMP TABLE withoutoid() WITH (oids = false)",
        "DROP TABLE withoutoid",
        "CREATE TABLE withoid() WITH (oids = true)",
        "CREATE TABLE w2 (a int) WITH (fillfactor = 10)",
        "SELECT count(*) FROM w2",
    ]:
        differ.check(sql)
