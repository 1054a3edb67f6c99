"""A row IN a list of rows, as SQLAlchemy's tuple_(...).in_(...) writes it: the OR of the row
comparisons (NULLs included), against a live PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ


@pytest.mark.parametrize(
    "where",
    [
        "(x, z) IN ((1, 3), (4, 7))",
        "(st.x, st.z) IN ((1, 3), (4, 6))",
        "(x, z) NOT IN ((1, 3))",
        "(x, z) IN ((1, NULL), (4, 6))",
        "(x, z) NOT IN ((1, NULL))",
        "(x, y, z) IN ((1, 2, 3))",
        "(x, z) IN ((1, 2, 3))",
        "(x, z) IN (('1', '3'))",
    ],
)
def test_row_in_a_list_of_rows(differ: Differ, where: str) -> None:
    differ.check("CREATE TABLE st (x int, y int, z int)")
    differ.check("INSERT INTO st VALUES (1, 2, 3), (4, 5, 6), (NULL, 1, 1)")
    differ.check(f"SELECT x, y, z, {where} AS hit FROM st ORDER BY x")
