"""A few classes of SQLAlchemy's dialect compliance suite (``python -m bench.sqlalchemy_suite``
in short) against a db9 server: each of their tests must pass, as they do on PostgreSQL 15.
The suite comes from the installed SQLAlchemy's sdist (downloaded once into
~/.cache/db9-bench); without it this is skipped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench import sqlalchemy_suite
from bench.servers import db9_server, free_base

# Quick classes that exercise what the fixes for issue 16 touched: LIMIT ALL, row IN lists,
# isolation levels, materialized views and foreign keys in reflection, bound regclass names.
CLASSES = (
    "LimitOffsetTest or ExpandingBoundInTest or IsolationLevelTest or HasTableTest "
    "or QuotedNameArgumentTest or TableNoColumnsTest or CompositeKeyReflectionTest"
)


@pytest.mark.timeout(600)
def test_compliance_classes_pass_on_db9(tmp_path: Path) -> None:
    try:
        sqlalchemy_suite.sdist()
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"no SQLAlchemy sdist: {exc}")
    with db9_server(free_base(1)) as server:
        sqlalchemy_suite.prepare(server)
        junit = tmp_path / "db9.xml"
        results = sqlalchemy_suite.run_suite(server, "psycopg", junit, ["-k", CLASSES])
    ran = [k for k, o in results.items() if not o.skipped]
    failed = [f"{k}: {o.cause}" for k, o in results.items() if not o.passed and not o.skipped]
    assert len(ran) > 50
    assert not failed, "\n".join(failed)
