"""Names of relations and functions against a live PostgreSQL: 'name'::regclass of no
relation is 42P01 (tables, views, sequences, indexes and system catalogs all name
relations); a scalar function in FROM is one row of its value, an unknown one 42883."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

SETUP = """
CREATE TABLE rt (a int PRIMARY KEY);
CREATE VIEW rv AS SELECT a FROM rt;
CREATE SEQUENCE rs;
"""


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'rt'::regclass, 'rv'::regclass, 'rs'::regclass, 'rt_pkey'::regclass",
        "SELECT 'pg_class'::regclass, 'pg_catalog.pg_type'::regclass, 'public.rt'::regclass",
        "SELECT 'nosuch'::regclass",
        "SELECT pg_get_viewdef('nosuch'::regclass)",
        "SELECT count(*) FROM pg_class WHERE oid = 'rt'::regclass",
    ],
)
def test_regclass_of_a_name(differ: Differ, sql: str) -> None:
    differ.check(SETUP)
    differ.check(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM nosuchfn(2)",
        "SELECT * FROM upper('abc')",
        "SELECT u FROM upper('abc') AS u",
        "SELECT x.y FROM lower('ABC') AS x(y)",
    ],
)
def test_scalar_function_in_from(differ: Differ, sql: str) -> None:
    differ.check(sql)
