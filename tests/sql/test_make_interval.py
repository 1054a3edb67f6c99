"""make_interval with positional and named arguments (SQLAlchemy renders an interval
literal as make_interval(secs => ...)), against a live PostgreSQL."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ


@pytest.mark.parametrize(
    "call",
    [
        "make_interval(secs => 86404.0)",
        "make_interval(secs => 1.5)",
        "make_interval(days => 2, hours => 3)",
        "make_interval(1, 2, 3, 4, 5, 6, 7.25)",
        "make_interval(2, mins => 30)",
        "make_interval()",
        "make_interval(years => NULL)",
        "make_interval(weeks => -1, secs => -0.5)",
    ],
)
def test_make_interval(differ: Differ, call: str) -> None:
    differ.check(f"SELECT {call}")
