"""The goal rows of the comparison table and the context the sections share."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.servers import Server


@dataclass(frozen=True)
class Goal:
    """``db9 / PG >= at_least`` for a rate, ``db9 / PG <= at_most`` for a time; an absolute
    bound (``absolute``) compares db9's value alone, with no PostgreSQL counterpart."""

    at_least: float | None = None
    at_most: float | None = None
    absolute: bool = False

    def met(self, value: float) -> bool:
        if self.at_least is not None and value < self.at_least:
            return False
        return self.at_most is None or value <= self.at_most

    def text(self) -> str:
        if self.absolute:
            return f"< {self.at_most:g}"
        if self.at_least is not None:
            return f">= {self.at_least:.0%}"
        return f"<= {self.at_most:g}x"


@dataclass
class Row:
    """One measured workload. ``higher_is_better`` for rates (TPS): the ratio is db9 / PG;
    for times it is db9's time / PG's ("Nx slower")."""

    section: str
    workload: str
    unit: str
    pg: float | None
    db9: float | None  # None: db9 failed the workload (the note says why)
    goal: Goal | None = None
    higher_is_better: bool = False
    note: str = ""
    also_required: bool = True  # a condition of the goal besides the ratio (e.g. no 40001)

    @property
    def ratio(self) -> float | None:
        if self.goal is not None and self.goal.absolute:
            return self.db9
        if self.pg is None or self.pg == 0 or self.db9 is None:
            return None
        return self.db9 / self.pg

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        if self.goal is not None and self.db9 is None:
            return False
        if self.goal is None or ratio is None:
            return None
        return self.also_required and self.goal.met(ratio)

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section, "workload": self.workload, "unit": self.unit,
            "postgresql": self.pg, "db9": self.db9, "ratio": self.ratio,
            "goal": self.goal.text() if self.goal else None, "met": self.met, "note": self.note,
        }  # fmt: skip


@dataclass
class Section:
    rows: list[Row]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    pg: Server
    db9: Server
    scale: int
    seconds: int
    rounds: int
    quick: bool
    port_base: int  # the range [port_base, port_base + 100) is ours; +0 and +1 are pg, db9
    compare_root: str = ""  # another db9 checkout for sections that measure before/after

    @property
    def servers(self) -> tuple[Server, Server]:
        return self.pg, self.db9

    def order(self, round_: int) -> tuple[Server, Server]:
        """Who goes first in ``round_``: alternating, so drift hits both alike."""
        return (self.pg, self.db9) if round_ % 2 == 0 else (self.db9, self.pg)


def interleaved(ctx: Context, measure: Callable[[Server], float]) -> dict[str, list[float]]:
    """``measure`` on both servers in each of ``ctx.rounds`` rounds, order alternating."""
    out: dict[str, list[float]] = {"postgresql": [], "db9": []}
    for round_ in range(ctx.rounds):
        for server in ctx.order(round_):
            out[server.name].append(measure(server))
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
