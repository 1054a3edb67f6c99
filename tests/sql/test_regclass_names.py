"""'name'::regclass against a live PostgreSQL: a name of no relation is 42P01 (tables,
views, sequences, indexes and system catalogs all name relations)."""

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
