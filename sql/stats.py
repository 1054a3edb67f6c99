"""Planner statistics of a table, as ANALYZE gathers them: its row count and, per column,
the fraction of NULLs, the number of distinct values and, for numbers, the smallest and
largest value. They live in the table's definition (``TableDef.stats``), so an ANALYZE is
a new catalog version: plans made before it are made again, with the new numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kv.client import Transaction
from sql.catalog import TableDef
from sql.layout import prefix_end
from sql.rows import RowCodec
from sql.types import SqlType


@dataclass
class ColumnStats:
    null_frac: float
    ndistinct: float
    lo: float | None = None  # numbers only
    hi: float | None = None


@dataclass
class TableStats:
    rows: float
    columns: dict[str, ColumnStats]

    @classmethod
    def of(cls, table: TableDef) -> TableStats | None:
        """The table's statistics, or None if it was never analyzed."""
        s = table.stats
        if not s:
            return None
        return cls(float(s["rows"]), {n: ColumnStats(*c) for n, c in s["columns"].items()})


def gather(
    rows: Iterable[tuple[Any, ...]], names: list[str], types: list[SqlType]
) -> dict[str, Any]:
    """Statistics of ``rows`` (tuples of the columns ``names``), as ``TableDef.stats`` keeps
    them (plain JSON)."""
    n = 0
    nulls = [0] * len(names)
    seen: list[set[Any]] = [set() for _ in names]
    lo: list[float | None] = [None] * len(names)
    hi: list[float | None] = [None] * len(names)
    numeric = [t.category == "N" and t.element is None for t in types]
    for row in rows:
        n += 1
        for i in range(len(names)):
            v = row[i]
            if v is None:
                nulls[i] += 1
                continue
            try:
                seen[i].add(v)
            except TypeError:  # unhashable (arrays, json): counted by their text
                seen[i].add(repr(v))
            if numeric[i] and isinstance(v, int | float | Decimal):
                f = float(v)
                cur_lo, cur_hi = lo[i], hi[i]
                lo[i] = f if cur_lo is None or f < cur_lo else cur_lo
                hi[i] = f if cur_hi is None or f > cur_hi else cur_hi
    cols = {
        name: [nulls[i] / n if n else 0.0, float(len(seen[i])), lo[i], hi[i]]
        for i, name in enumerate(names)
    }
    return {"rows": n, "columns": cols}


def analyze(txn: Transaction, db: bytes, table: TableDef) -> dict[str, Any]:
    """Statistics of every row of ``table`` at ``txn``'s snapshot."""
    codec = RowCodec(db, table)
    decode = codec.decode_value
    rows = (decode(raw) for _, raw in txn.iter_scan(codec.prefix, prefix_end(codec.prefix)))
    return gather(rows, [c.name for c in codec.live], codec.types)
