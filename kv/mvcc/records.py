"""Mutations, locks and write records, and their compact byte encodings.

A lock marks a key prewritten by an unfinished transaction and names the transaction's primary
key, where its fate is decided. A write record marks a committed (or rolled back) version and
points at the transaction's start_ts; values of at most SHORT_VALUE_MAX bytes ride inside the
lock and then the write record, so most reads need one seek and no second lookup.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

SHORT_VALUE_MAX = 255


class Op(IntEnum):
    """What a mutation asks for. INSERT is a PUT that requires the key to be absent."""

    PUT = 1
    DELETE = 2
    LOCK = 3
    INSERT = 4
    CHECK_NOT_EXISTS = 5


class WriteKind(IntEnum):
    PUT = 1
    DELETE = 2
    LOCK = 3
    ROLLBACK = 4


@dataclass(frozen=True, slots=True)
class Mutation:
    op: Op
    key: bytes
    value: bytes = b""


@dataclass(frozen=True, slots=True)
class Lock:
    key: bytes
    primary: bytes
    start_ts: int
    ttl_ms: int
    kind: WriteKind  # what the commit will write: PUT, DELETE or LOCK
    short_value: bytes | None = None  # PUT values up to SHORT_VALUE_MAX bytes
    txn_size: int = 0

    _HEAD = struct.Struct(">BQQQI")
    _START_TS = struct.Struct(">Q")  # after the kind byte

    def encode(self) -> bytes:
        head = self._HEAD.pack(
            self.kind, self.start_ts, self.ttl_ms, self.txn_size, len(self.primary)
        )
        tail = b"" if self.short_value is None else b"\x01" + self.short_value
        return head + self.primary + tail

    @classmethod
    def start_ts_of(cls, data: bytes) -> int:
        """The start_ts of an encoded lock, without decoding the rest."""
        ts: int = cls._START_TS.unpack_from(data, 1)[0]
        return ts

    @classmethod
    def decode(cls, key: bytes, data: bytes) -> Lock:
        kind, start_ts, ttl, size, plen = cls._HEAD.unpack_from(data)
        off = cls._HEAD.size
        primary = data[off : off + plen]
        rest = data[off + plen :]
        short = rest[1:] if rest else None
        return cls(key, primary, start_ts, ttl, WriteKind(kind), short, size)


@dataclass(frozen=True, slots=True)
class Write:
    kind: WriteKind
    start_ts: int
    short_value: bytes | None = None

    _HEAD = struct.Struct(">BQ")

    def encode(self) -> bytes:
        head = self._HEAD.pack(self.kind, self.start_ts)
        return head if self.short_value is None else head + b"\x01" + self.short_value

    @classmethod
    def decode(cls, data: bytes) -> Write:
        kind, start_ts = cls._HEAD.unpack_from(data)
        short = data[10:] if len(data) > 9 else None
        return cls(WriteKind(kind), start_ts, short)
