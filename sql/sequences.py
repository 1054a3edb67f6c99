"""Sequences: nextval/currval/setval. As in PostgreSQL, nextval is not transactional: values
are handed out in their own small KV transactions (a block at a time) and never reused,
even when the caller's transaction rolls back."""

from __future__ import annotations

import struct
import threading
from typing import Any

from kv.client import TxnClient
from kv.errors import RetryableError
from sql import layout
from sql.catalog import TableDef
from sql.errors import NumericValueOutOfRange, ObjectNotInPrerequisiteState

_I64 = struct.Struct(">q")
BLOCK = 32


class Sequences:
    def __init__(self, client: TxnClient, db: bytes) -> None:
        self.client = client
        self.db = db
        self._blocks: dict[int, list[int]] = {}  # seq id -> [next value, last value of block]
        self._mutex = threading.Lock()

    def nextval(self, seq: TableDef) -> int:
        opts = seq.seq
        inc = opts.get("increment", 1)
        with self._mutex:
            block = self._blocks.get(seq.id)
            if block is None or (block[0] > block[1] if inc > 0 else block[0] < block[1]):
                first = self._reserve(seq, BLOCK)
                block = [first, first + inc * (BLOCK - 1)]
                self._blocks[seq.id] = block
            value = block[0]
            block[0] += inc
        lo, hi = opts.get("min", 1), opts.get("max", (1 << 63) - 1)
        if not lo <= value <= hi:
            raise NumericValueOutOfRange(
                f'nextval: reached maximum value of sequence "{seq.name}" ({hi})'
            )
        return value

    def nextvals(self, seq: TableDef, n: int) -> range:
        """``n`` fresh values at once, reserved in one KV transaction (a bulk write's row ids:
        one commit per batch instead of one per ``BLOCK`` rows). Only for increment 1
        sequences without a custom range, as the hidden row id sequences are."""
        assert seq.seq.get("increment", 1) == 1, "nextvals serves row id sequences"
        first = self._reserve(seq, n)
        return range(first, first + n)

    def _reserve(self, seq: TableDef, n: int) -> int:
        key = layout.sequence_key(self.db, seq.id)
        inc = seq.seq.get("increment", 1)
        for _ in range(100):
            txn = self.client.begin()
            try:
                raw = txn.get(key)
                last = _I64.unpack(raw)[0] if raw else seq.seq.get("start", 1) - inc
                first = last + inc
                txn.put(key, _I64.pack(last + inc * n))
                txn.commit()
                return first
            except RetryableError:
                txn.rollback()
        raise RetryableError("could not reserve sequence values")

    def setval(self, seq: TableDef, value: int, is_called: bool = True) -> int:
        inc = seq.seq.get("increment", 1)
        with self._mutex:
            self._blocks.pop(seq.id, None)
            txn = self.client.begin()
            txn.put(
                layout.sequence_key(self.db, seq.id), _I64.pack(value if is_called else value - inc)
            )
            txn.commit()
        return value

    def forget(self, seq_id: int) -> None:
        with self._mutex:
            self._blocks.pop(seq_id, None)


def seq_options(props: dict[str, Any]) -> dict[str, int]:
    inc = int(props.get("increment", 1))
    if inc == 0:
        raise ObjectNotInPrerequisiteState("INCREMENT must not be zero")
    lo = int(props.get("min", 1 if inc > 0 else -(1 << 63)))
    hi = int(props.get("max", (1 << 63) - 1 if inc > 0 else -1))
    start = int(props.get("start", lo if inc > 0 else hi))
    return {"increment": inc, "min": lo, "max": hi, "start": start}
