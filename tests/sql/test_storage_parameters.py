"""ALTER TABLE SET (storage parameter = value) against a live PostgreSQL: accepted with no
effect in db9, an unknown parameter 22023."""

from __future__ import annotations

from tests.sql.differential import Differ


def test_alter_table_set_storage_parameters(differ: Differ) -> None:
    differ.check("CREATE TABLE sp (a int)")
    differ.check("ALTER TABLE sp SET (parallel_workers = 4)")
    differ.check("ALTER TABLE sp SET (fillfactor = 70, autovacuum_enabled = false)")
    differ.check("ALTER TABLE sp SET (nosuch = 1)")
    differ.check("INSERT INTO sp VALUES (1)")
    differ.check("SELECT a FROM sp")
