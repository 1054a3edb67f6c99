"""Virtual pg_catalog and information_schema relations, computed from the catalog."""

from __future__ import annotations

from typing import Any

from sql.errors import UndefinedTable

SYSTEM_RELATIONS: set[str] = set()


def system_relation(planner: Any, name: str, schema: str | None, alias: str | None) -> Any:
    shown = f"{schema}.{name}" if schema else name
    raise UndefinedTable(f'relation "{shown}" does not exist')
