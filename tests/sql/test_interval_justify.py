"""justify_hours, justify_days and justify_interval against a live PostgreSQL: days out of
24-hour periods and months out of 30-day periods, signs made to agree, overflow (22008)."""

from __future__ import annotations

import pytest

from tests.sql.differential import Differ

VALUES = [
    "30 hours", "-30 hours", "1 mon -1 hour", "-1 mon 1 hour", "1 mon -1 day",
    "35 days -1 hour", "-35 days 1 hour", "1 year -1 day -1 hour", "0",
    "-1 mon -30 days -24 hours", "29 days 23:59:59.999999", "1 day -48 hours",
    "3 mon -91 days 01:00", "-1 day 24 hours", "59 days", "-59 days",
    "2147483647 days 24 hours", "2147483647 mon 30 days", "-2147483648 days -24 hours",
]  # fmt: skip


@pytest.mark.parametrize("fn", ["justify_hours", "justify_days", "justify_interval"])
def test_justify_matches_postgres(differ: Differ, fn: str) -> None:
    for v in VALUES:
        differ.check(f"SELECT {fn}('{v}'::interval)")
    differ.check(f"SELECT {fn}(NULL::interval)")
