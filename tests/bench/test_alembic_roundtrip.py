"""Alembic's autogenerate round trip against a db9 server (``python -m bench.alembic_roundtrip``
in short): on an empty database autogenerate writes the whole create of a schema with every
common column type, index kind, FK action and constraint; the upgrade runs; autogenerate
against the unchanged schema then finds nothing to change; the downgrade leaves no table."""

from __future__ import annotations

import pytest

from bench.alembic_roundtrip import roundtrip, sqlalchemy_url
from bench.servers import db9_server, free_base


@pytest.mark.timeout(300)
def test_autogenerate_on_an_unchanged_schema_reports_no_changes() -> None:
    with db9_server(free_base(1)) as server:
        result = roundtrip(sqlalchemy_url(server), "db9")
    assert not result.error
    assert sorted(op for op in result.created if op.startswith("add_table")) == [
        "add_table child", "add_table kinds", "add_table parent"
    ]  # fmt: skip
    assert result.upgraded
    assert result.changes == []
    assert result.downgraded
    assert result.left == []
