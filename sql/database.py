"""One database: a key prefix in the store, and what all its sessions share (its catalog
and sequences, its advisory lock table, its LISTEN/NOTIFY hub, parsed statements, the observer
told of every statement)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from kv.client import TxnClient
from sql.advisory_table import KvLockTable
from sql.catalog import CatalogStore
from sql.notify_hub import Hub
from sql.notify_kv import KvHub
from sql.sequences import Sequences


@dataclass
class Database:
    """One database (a key prefix) and what its sessions share."""

    client: TxnClient
    db: bytes
    name: str = "postgres"
    catalogs: CatalogStore = field(init=False)
    sequences: Sequences = field(init=False)
    advisory: KvLockTable = field(init=False)  # its advisory locks, as held on this node
    notify: Hub = field(init=False)  # its listeners and their notifications (LISTEN/NOTIFY)

    def __post_init__(self) -> None:
        self.catalogs = CatalogStore(self.db)
        self.sequences = Sequences(self.client, self.db)
        self.advisory = KvLockTable(self.client, self.db)
        self.notify = KvHub(self.client, self.db)
        self.parse_cache: dict[str, list[exp.Expr | None]] = {}
        # Told of every statement: (text, seconds, error sqlstate or None, committed). The
        # control plane's inspect metrics hang here; the SQL layer only reports.
        # Told (text, seconds, SQLSTATE or None, committed) after each statement, and
        # (None, 0.0, None, True) when a string of statements' implicit block commits.
        self.observer: Callable[[str | None, float, str | None, bool], None] | None = None
