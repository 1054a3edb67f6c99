"""A pytest plugin loaded into SQLAlchemy's own test run (``-p bench.sqlalchemy_plugin``) by
``bench.sqlalchemy_suite``.

SQLAlchemy's PostgreSQL provisioning runs ``CREATE EXTENSION IF NOT EXISTS citext`` and
``hstore`` before any test: only its PostgreSQL-specific tests (``test/dialect/postgresql``) use
them, never the compliance suite, and db9 has no extensions. The plugin empties that list on
both servers alike, so the two runs stay comparable.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # Imported here, not at the top: SQLAlchemy's conftest puts the sdist's lib/ first on
    # sys.path, and that is the copy the run must use.
    from sqlalchemy.dialects.postgresql import provision

    provision._extensions[:] = []
