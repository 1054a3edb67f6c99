"""Helpers for tests that drive SQL sessions of one database directly (no PostgreSQL)."""

from __future__ import annotations

from sql.session import Session


def one(s: Session, sql: str) -> object:
    """The first column of the first row of the last statement in ``sql``."""
    rows = s.execute(sql)[-1].rows
    assert rows is not None
    return rows[0][0]
