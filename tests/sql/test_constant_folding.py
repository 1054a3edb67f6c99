"""Plan-time constant folding, as PostgreSQL's eval_const_expressions does it: an operator over
constants is computed while the query is planned, so its error is raised even when no row
is read; arms that folding proves dead (CASE, AND, OR, COALESCE) are not computed; parse
analysis errors come first. Against a live PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM ft WHERE 1 / 0 = 1",  # asyncpg's test_execute_script_check_transactionality
        "SELECT * FROM ft WHERE 1 / 0 = 1 AND false",
        "SELECT * FROM ft WHERE false AND 1 / 0 = 1",
        "SELECT * FROM ft WHERE true OR 1 / 0 = 1",
        "SELECT * FROM ft WHERE a = 1 OR (CASE WHEN false THEN 1 / 0 END) = 1",
        "SELECT CASE WHEN a > 0 THEN 1 / 0 ELSE 1 END FROM ft",
        "SELECT CASE WHEN false THEN 1 / 0 ELSE 1.5 END FROM ft",
        "SELECT CASE WHEN true THEN 1 ELSE 1 / 0 END FROM ft",
        "SELECT CASE 1 WHEN 2 THEN 1 / 0 ELSE 0 END FROM ft",
        "SELECT CASE 1 WHEN 1 THEN 0 WHEN a THEN 1 / 0 END FROM ft",
        "SELECT coalesce(1, 1 / 0) FROM ft",
        "SELECT coalesce(a, 1 / 0) FROM ft",
        "SELECT 1 / 0, nosuch FROM ft",
        "SELECT * FROM ft WHERE 2147483647 + 1 = 1",
        "SELECT * FROM ft WHERE -(-9223372036854775807 - 1) = 1",
        "SELECT * FROM ft WHERE 1::numeric / 0 = 1",
        "SELECT sum(1 / 0) FROM ft",
        "SELECT * FROM ft LIMIT 0",
        "UPDATE ft SET a = 1 / 0",
        "DELETE FROM ft WHERE a = 1 / 0",
        "INSERT INTO ft SELECT 1 / 0 FROM ft",
    ],
)
def test_constant_errors_raise_at_planning(differ: Differ, sql: str) -> None:
    differ.check("CREATE TABLE ft (a int)")
    differ.check(sql)


def test_check_constraints_are_not_folded(differ: Differ) -> None:
    differ.check("CREATE TABLE fd (b int CHECK (b > 1 / 0))")
    differ.check("INSERT INTO fd (b) VALUES (1)")


def test_failed_script_commits_nothing(differ: Differ) -> None:
    differ.check("CREATE TABLE mytab (a int); SELECT * FROM mytab WHERE 1 / 0 = 1;")
    differ.check("SELECT count(*) FROM pg_class WHERE relname = 'mytab'")
