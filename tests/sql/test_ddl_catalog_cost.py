"""What one DDL statement costs does not grow with the catalog: a new catalog version parses
only the definitions that changed, and CREATE TABLE copies only the tables it takes columns
from (asyncpg's test_introspection_on_large_db creates 1000 children of one table)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kv.client import TxnClient
from sql import ddl
from sql.catalog import Catalog, TableDef
from sql.database import Database
from sql.session import Session
from tests.kv.conftest import local_kv


def _session_with_tables(n: int) -> Session:
    session = Session(Database(TxnClient(local_kv()), b"\x00\x01"))
    session.execute("CREATE TABLE base (a int, b text)")
    for i in range(n):
        session.execute(f"CREATE TABLE child_{i} () INHERITS (base)")
    return session


def test_a_new_catalog_version_parses_only_the_changed_definitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = _session_with_tables(20)
    parsed: list[bytes] = []
    original = TableDef.from_json

    def counting(raw: bytes) -> TableDef:
        parsed.append(raw)
        return original(raw)

    monkeypatch.setattr(TableDef, "from_json", staticmethod(counting))
    session.execute("CREATE TABLE another (x int)")
    assert session.execute("SELECT count(*) FROM another")[-1].rows == [(0,)]
    # of 22 definitions, only those no earlier load read: child_19 (made after the last
    # load) and another
    assert len(parsed) <= 2


def test_create_table_copies_only_its_parents(monkeypatch: pytest.MonkeyPatch) -> None:
    session = _session_with_tables(20)
    copied: list[int] = []

    def counting(x: Any, memo: Any = None) -> Any:
        tables = [x] if isinstance(x, TableDef | Catalog) else list(x)
        copied.append(sum(len(t.tables) if isinstance(t, Catalog) else 1 for t in tables))
        return copy.deepcopy(x, memo)

    monkeypatch.setattr(ddl, "copy", type("C", (), {"deepcopy": staticmethod(counting)}))
    session.execute("CREATE TABLE child_x () INHERITS (base)")
    assert session.execute("SELECT count(*) FROM pg_inherits")[-1].rows == [(21,)]
    assert sum(copied) == 1  # base
