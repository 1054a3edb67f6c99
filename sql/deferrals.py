"""A transaction's DEFERRABLE unique checks that wait, its deferred foreign-key checks, and
its SET CONSTRAINTS modes: the state sql.unique_checks keeps on the session (held apart so the
session's Protocol can name it without importing the checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sql.catalog import ConstraintDef


@dataclass
class Waiting:
    table_id: int
    index: str
    constraint: str
    key: bytes  # the index entry's key (the unique value)
    value: bytes  # the entry's value (the row's primary key)
    row_key: bytes
    detail: str  # "Key (i)=(3) already exists."


@dataclass
class FkWaiting:
    """A deferred foreign key's check of one row (sql.dml queues it instead of running it at
    the statement's end): ``run`` re-reads what it needs in the transaction and raises 23503
    if the key is (still) missing, or (still) referenced, then."""

    table_id: int
    constraint: str
    run: Callable[[], None]


@dataclass
class Deferrals:
    """A transaction's waiting entries and its SET CONSTRAINTS modes."""

    waiting: list[Waiting] = field(default_factory=list)
    fk_waiting: list[FkWaiting] = field(default_factory=list)
    modes: dict[str, bool] = field(default_factory=dict)  # constraint name -> deferred
    all_deferred: bool | None = None  # SET CONSTRAINTS ALL ...

    def deferred(self, con: ConstraintDef) -> bool:
        if not con.deferrable:
            return False
        if con.name in self.modes:
            return self.modes[con.name]
        return con.deferred if self.all_deferred is None else self.all_deferred

    def pending(self) -> bool:
        return bool(self.waiting or self.fk_waiting)

    def clear(self) -> None:
        self.waiting.clear()
        self.fk_waiting.clear()
        self.modes.clear()
        self.all_deferred = None
