"""Sequences: their options (CREATE / ALTER SEQUENCE, checked as PostgreSQL's init_params
checks them) and nextval/currval/setval. As in PostgreSQL, nextval is not transactional:
values are handed out in their own small KV transactions (a block at a time) and never
reused, even when the caller's transaction rolls back."""

from __future__ import annotations

import re
import struct
import threading
from typing import Any

from kv.client import TxnClient
from kv.errors import RetryableError
from sql import layout
from sql import types as T
from sql.catalog import TableDef
from sql.errors import (
    InvalidParameterValue,
    NumericValueOutOfRange,
    SequenceGeneratorLimitExceeded,
    SyntaxError_,
    UndefinedObject,
)

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
        lo, hi = opts.get("min", 1), opts.get("max", (1 << 63) - 1)
        for _ in range(2):
            with self._mutex:
                block = self._blocks.get(seq.id)
                if block is None or (block[0] > block[1] if inc > 0 else block[0] < block[1]):
                    first = self._reserve(seq, BLOCK)
                    block = [first, first + inc * (BLOCK - 1)]
                    self._blocks[seq.id] = block
                value = block[0]
                block[0] += inc
            if lo <= value <= hi:
                return value
            if not opts.get("cycle"):
                which, bound = ("maximum", hi) if inc > 0 else ("minimum", lo)
                raise SequenceGeneratorLimitExceeded(
                    f'nextval: reached {which} value of sequence "{seq.name}" ({bound})'
                )
            # CYCLE: the next value is the other end of the range.
            self.setval(seq, lo if inc > 0 else hi, is_called=False)
        raise SequenceGeneratorLimitExceeded(f'nextval: sequence "{seq.name}" has no values')

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
                first: int = last + inc
                txn.put(key, _I64.pack(last + inc * n))
                txn.commit()
                return first
            except RetryableError:
                txn.rollback()
        raise RetryableError("could not reserve sequence values")

    def setval(self, seq: TableDef, value: int, is_called: bool = True) -> int:
        inc = seq.seq.get("increment", 1)
        lo, hi = seq.seq.get("min", 1), seq.seq.get("max", (1 << 63) - 1)
        if not lo <= value <= hi:
            raise NumericValueOutOfRange(
                f'setval: value {value} is out of bounds for sequence "{seq.name}" ({lo}..{hi})'
            )
        with self._mutex:
            self._blocks.pop(seq.id, None)
            txn = self.client.begin()
            txn.put(
                layout.sequence_key(self.db, seq.id), _I64.pack(value if is_called else value - inc)
            )
            txn.commit()
        return value

    def state(self, seq: TableDef) -> tuple[int, int, bool]:
        """A sequence's row as PostgreSQL shows it: last_value, log_cnt, is_called. log_cnt
        counts down the values left in this process's reserved block, as PostgreSQL's counts
        the values it logged ahead (32 after a first nextval)."""
        inc = seq.seq.get("increment", 1)
        with self._mutex:
            block = self._blocks.get(seq.id)
            if block is not None:
                used = (block[0] - (block[1] - inc * (BLOCK - 1))) // inc
                return block[0] - inc, BLOCK + 1 - used, True
        txn = self.client.begin()
        try:
            raw = txn.get(layout.sequence_key(self.db, seq.id))
        finally:
            txn.rollback()
        if raw is None:
            return int(seq.seq.get("start", 1)), 0, False
        return _I64.unpack(raw)[0], 0, True

    def give_back(self, seq: TableDef) -> None:
        """Return this process's unused reserved values of ``seq`` (before its options
        change: the next nextval continues from the last value handed out, as PostgreSQL's
        does), unless someone reserved values after them."""
        inc = seq.seq.get("increment", 1)
        with self._mutex:
            block = self._blocks.pop(seq.id, None)
            if block is None:
                return
            key = layout.sequence_key(self.db, seq.id)
            txn = self.client.begin()
            try:
                raw = txn.get(key)
                if raw is not None and _I64.unpack(raw)[0] == block[1]:
                    txn.put(key, _I64.pack(block[0] - inc))
                    txn.commit()
                else:
                    txn.rollback()
            except RetryableError:
                txn.rollback()

    def fresh(self, seq_id: int) -> None:
        """A new sequence got ``seq_id``: drop any value kept under it. Ids come back after
        a rolled-back CREATE, but the values nextval handed out then were committed on
        their own."""
        with self._mutex:
            self._blocks.pop(seq_id, None)
            txn = self.client.begin()
            txn.delete(layout.sequence_key(self.db, seq_id))
            txn.commit()

    def forget(self, seq_id: int) -> None:
        with self._mutex:
            self._blocks.pop(seq_id, None)


# A sequence's data type: its name and range.
_TYPES = {"smallint": 16, "integer": 32, "bigint": 64}
SEQUENCE_TYPES = frozenset(_TYPES)
_TYPE_NAMES = {"int2": "smallint", "int4": "integer", "int": "integer", "int8": "bigint"}
_ALIASES = {"varchar": "character varying", "char": "character", "float8": "double precision",
            "float4": "real", "bool": "boolean", "decimal": "numeric"}  # fmt: skip
_OPTION_WORDS = {"AS", "CACHE", "CYCLE", "NO", "INCREMENT", "MAXVALUE", "MINVALUE", "OWNED",
                 "START", "RESTART"}  # fmt: skip


def _type_range(name: str) -> tuple[int, int]:
    bits = _TYPES[name]
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def read_options(tokens: list[Any], i: int) -> dict[str, Any]:
    """PostgreSQL's SeqOptElem list from ``tokens[i:]``: "type", "increment", "min" / "max"
    (None: NO MINVALUE / NO MAXVALUE), "start", "restart" (None: RESTART alone), "cache",
    "cycle", "owned" (the tokens after OWNED BY). 42601 for a word out of place or an option
    given twice."""
    out: dict[str, Any] = {}

    def word(k: int) -> str:
        return str(tokens[k].text).upper() if k < len(tokens) else ""

    def number(k: int) -> tuple[int, int]:
        sign = 1
        if word(k) in ("-", "+"):
            sign = -1 if word(k) == "-" else 1
            k += 1
        text = str(tokens[k].text) if k < len(tokens) else ""
        if not re.fullmatch(r"\d+", text):
            raise SyntaxError_(f'syntax error at or near "{text}"' if text else
                               "syntax error at end of input")  # fmt: skip
        return sign * int(text), k + 1

    def put(key: str, value: Any) -> None:
        if key in out:
            raise SyntaxError_("conflicting or redundant options")
        out[key] = value

    while i < len(tokens):
        w = word(i)
        if w == "AS":
            k = i + 1
            parts = []
            while k < len(tokens) and word(k) not in _OPTION_WORDS:
                parts.append(str(tokens[k].text).lower())
                k += 1
            put("type", " ".join(parts).replace(" . ", ".").replace("pg_catalog.", ""))
            i = k
        elif w == "INCREMENT":
            i += 1 + (word(i + 1) == "BY")
            value, i = number(i)
            put("increment", value)
        elif w in ("MINVALUE", "MAXVALUE"):
            value, i = number(i + 1)
            put(w[:3].lower(), value)
        elif w == "NO" and word(i + 1) in ("MINVALUE", "MAXVALUE", "CYCLE"):
            put("cycle" if word(i + 1) == "CYCLE" else word(i + 1)[:3].lower(),
                False if word(i + 1) == "CYCLE" else None)  # fmt: skip
            i += 2
        elif w == "CYCLE":
            put("cycle", True)
            i += 1
        elif w == "START":
            i += 1 + (word(i + 1) == "WITH")
            value, i = number(i)
            put("start", value)
        elif w == "RESTART":
            i += 1
            if word(i) == "WITH" or (i < len(tokens) and word(i) not in _OPTION_WORDS):
                value, i = number(i + (word(i) == "WITH"))
                put("restart", value)
            else:
                put("restart", None)
        elif w == "CACHE":
            value, i = number(i + 1)
            put("cache", value)
        elif w == "OWNED" and word(i + 1) == "BY":
            k = i + 2
            while k < len(tokens) and word(k) not in _OPTION_WORDS:
                k += 1
            put("owned", tokens[i + 2 : k])
            i = k
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
    return out


def apply_options(old: dict[str, Any] | None, opts: dict[str, Any]) -> dict[str, Any]:
    """The options of a sequence created (``old`` None) or altered with ``opts``
    (read_options), checked as PostgreSQL's init_params checks them (22023)."""
    new = dict(old or {"type": "bigint", "increment": 1, "cycle": False, "cache": 1})
    new.setdefault("type", "bigint")
    reset_max = reset_min = old is None
    if "type" in opts:
        name = _TYPE_NAMES.get(opts["type"], opts["type"])
        if name not in _TYPES:
            base = re.sub(r"\s*\(.*", "", name)
            if T.type_by_name(_ALIASES.get(base, base)) is None:
                raise UndefinedObject(f'type "{name}" does not exist')
            raise InvalidParameterValue("sequence type must be smallint, integer, or bigint")
        if old is not None and name != new["type"]:
            lo, hi = _type_range(new["type"])
            reset_max = new.get("max") == hi
            reset_min = new.get("min") == lo
        new["type"] = name
    if "increment" in opts:
        new["increment"] = opts["increment"]
    inc = new["increment"]
    if inc == 0:
        raise InvalidParameterValue("INCREMENT must not be zero")
    if "cycle" in opts:
        new["cycle"] = opts["cycle"]
    tlo, thi = _type_range(new["type"])
    # A bound given as NO MINVALUE / MAXVALUE, or the old type's bound when AS changes the
    # type, becomes the default one (the new type's, as PostgreSQL's init_params does).
    if opts.get("max", 0) is not None and "max" in opts:
        new["max"] = opts["max"]
    elif "max" in opts or reset_max:
        new["max"] = thi if inc > 0 or (reset_max and old is not None) else -1
    if opts.get("min", 0) is not None and "min" in opts:
        new["min"] = opts["min"]
    elif "min" in opts or reset_min:
        new["min"] = 1 if inc > 0 and not (reset_min and old is not None) else tlo
    lo, hi = new["min"], new["max"]
    type_name = new["type"]
    if not tlo <= hi <= thi:
        raise InvalidParameterValue(
            f"MAXVALUE ({hi}) is out of range for sequence data type {type_name}"
        )
    if not tlo <= lo <= thi:
        raise InvalidParameterValue(
            f"MINVALUE ({lo}) is out of range for sequence data type {type_name}"
        )
    if lo >= hi:
        raise InvalidParameterValue(f"MINVALUE ({lo}) must be less than MAXVALUE ({hi})")
    if "start" in opts:
        new["start"] = opts["start"]
    elif old is None:
        new["start"] = lo if inc > 0 else hi
    start = new["start"]
    if start < lo:
        raise InvalidParameterValue(f"START value ({start}) cannot be less than MINVALUE ({lo})")
    if start > hi:
        raise InvalidParameterValue(f"START value ({start}) cannot be greater than MAXVALUE ({hi})")
    if "restart" in opts:
        restart = start if opts["restart"] is None else opts["restart"]
        if restart < lo:
            raise InvalidParameterValue(
                f"RESTART value ({restart}) cannot be less than MINVALUE ({lo})"
            )
        if restart > hi:
            raise InvalidParameterValue(
                f"RESTART value ({restart}) cannot be greater than MAXVALUE ({hi})"
            )
    if "cache" in opts:
        if opts["cache"] < 1:
            raise InvalidParameterValue(f"CACHE ({opts['cache']}) must be greater than zero")
        new["cache"] = opts["cache"]
    return new


def restart_value(seq: dict[str, Any], opts: dict[str, Any]) -> int | None:
    """The value ALTER SEQUENCE ... RESTART makes the next nextval return, or None."""
    if "restart" not in opts:
        return None
    return int(seq["start"]) if opts["restart"] is None else int(opts["restart"])


def seq_options(props: dict[str, Any]) -> dict[str, Any]:
    """A sequence's options from plain values (``increment``, ``min``, ``max``, ``start``,
    ``type``), e.g. a serial column's."""
    return apply_options(None, props)


# nextval('name') in a column default, as stored (also sqlglot's NEXTVAL(CAST('name' AS ...))).
NEXTVAL = re.compile(r"nextval\(\s*(?:cast\(\s*)?'([^']*)'", re.IGNORECASE)


def default_users(tables: list[TableDef], seq: TableDef) -> list[tuple[TableDef, str]]:
    """The (table, column) pairs whose default draws from ``seq`` (nextval('seq')): what
    keeps DROP SEQUENCE from going without CASCADE, as PostgreSQL's dependencies do."""
    out = []
    for t in tables:
        for col in t.live_columns:
            for name in NEXTVAL.findall(col.default or ""):
                schema, _, rel = name.replace('"', "").rpartition(".")
                if rel.lower() == seq.name.lower() and schema in ("", seq.schema):
                    out.append((t, col.name))
    return out
