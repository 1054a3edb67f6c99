"""LIMIT ALL is no limit (SQLAlchemy writes it for an OFFSET without a LIMIT), against a live
PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ


@pytest.mark.parametrize(
    "tail",
    ["LIMIT ALL", "LIMIT ALL OFFSET 2", "OFFSET 1 LIMIT ALL", "LIMIT NULL OFFSET 3"],
)
def test_limit_all_is_no_limit(differ: Differ, tail: str) -> None:
    differ.check("CREATE TABLE la (id int)")
    differ.check("INSERT INTO la SELECT generate_series(1, 5)")
    differ.check(f"SELECT id FROM la ORDER BY id {tail}")
    differ.check(f"SELECT id FROM (SELECT id FROM la ORDER BY id {tail}) s ORDER BY id")
