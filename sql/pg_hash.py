"""PostgreSQL's extended hash functions (Bob Jenkins' lookup3, as src/common/hashfn.c has
it), so hash partitioning puts a row in the partition PostgreSQL would: hashint4extended,
hashint8extended, hashtextextended and their combination per partition key; and the SQL
functions hashtext, hashtextextended, hashint4, hashint8."""

from __future__ import annotations

import datetime as dt
from typing import Any

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
PARTITION_SEED = 0x7A5B22367996DCFD  # HASH_PARTITION_SEED (partbounds.h)


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def _mix(a: int, b: int, c: int) -> tuple[int, int, int]:
    a = (a - c) & _M32
    a ^= _rot(c, 4)
    c = (c + b) & _M32
    b = (b - a) & _M32
    b ^= _rot(a, 6)
    a = (a + c) & _M32
    c = (c - b) & _M32
    c ^= _rot(b, 8)
    b = (b + a) & _M32
    a = (a - c) & _M32
    a ^= _rot(c, 16)
    c = (c + b) & _M32
    b = (b - a) & _M32
    b ^= _rot(a, 19)
    a = (a + c) & _M32
    c = (c - b) & _M32
    c ^= _rot(b, 4)
    b = (b + a) & _M32
    return a, b, c


def _final(a: int, b: int, c: int) -> tuple[int, int, int]:
    c ^= b
    c = (c - _rot(b, 14)) & _M32
    a ^= c
    a = (a - _rot(c, 11)) & _M32
    b ^= a
    b = (b - _rot(a, 25)) & _M32
    c ^= b
    c = (c - _rot(b, 16)) & _M32
    a ^= c
    a = (a - _rot(c, 4)) & _M32
    b ^= a
    b = (b - _rot(a, 14)) & _M32
    c ^= b
    c = (c - _rot(b, 24)) & _M32
    return a, b, c


def _seeded(length: int, seed: int) -> tuple[int, int, int]:
    a = b = c = (0x9E3779B9 + length + 3923095) & _M32
    if seed:
        a = (a + (seed >> 32)) & _M32
        b = (b + (seed & _M32)) & _M32
        a, b, c = _mix(a, b, c)
    return a, b, c


def hash_uint32_extended(k: int, seed: int) -> int:
    a, b, c = _seeded(4, seed)
    a = (a + (k & _M32)) & _M32
    a, b, c = _final(a, b, c)
    return (b << 32) | c


def hash_bytes_extended(data: bytes, seed: int) -> int:
    n = len(data)
    a, b, c = _seeded(n, seed)
    at = 0
    while n - at >= 12:
        a = (a + int.from_bytes(data[at : at + 4], "little")) & _M32
        b = (b + int.from_bytes(data[at + 4 : at + 8], "little")) & _M32
        c = (c + int.from_bytes(data[at + 8 : at + 12], "little")) & _M32
        a, b, c = _mix(a, b, c)
        at += 12
    rest = data[at:]
    # the last 11 bytes, little-endian; the lowest byte of c is left for the length
    if len(rest) > 8:
        c = (c + (int.from_bytes(rest[8:], "little") << 8)) & _M32
    if len(rest) > 4:
        b = (b + int.from_bytes(rest[4:8], "little")) & _M32
    if rest:
        a = (a + int.from_bytes(rest[:4], "little")) & _M32
    a, b, c = _final(a, b, c)
    return (b << 32) | c


def hash_int8_extended(v: int, seed: int) -> int:
    lo, hi = v & _M32, (v >> 32) & _M32
    lo ^= hi if v >= 0 else (~hi & _M32)
    return hash_uint32_extended(lo, seed)


def hash_combine64(a: int, b: int) -> int:
    a ^= (b + 0x49A0F4DD15E5A8E3 + (a << 54) + (a >> 7)) & _M64
    return a & _M64


def _int4(u: int) -> int:
    return u - (1 << 32) if u & 0x80000000 else u


def _int8(u: int) -> int:
    return u - (1 << 64) if u & (1 << 63) else u


# The SQL-callable hashes (hashtext() makes advisory lock keys of names): the 32-bit
# hash_bytes/hash_uint32 is the extended one's low word at seed 0.


def hashtext(s: str) -> int:
    return _int4(hash_bytes_extended(s.encode(), 0) & _M32)


def hashtextextended(s: str, seed: int) -> int:
    return _int8(hash_bytes_extended(s.encode(), seed & _M64))


def hashint4(v: int) -> int:
    return _int4(hash_uint32_extended(v, 0) & _M32)


def hashint8(v: int) -> int:
    return _int4(hash_int8_extended(v, 0) & _M32)


_EPOCH = dt.date(2000, 1, 1)


def hash_value(v: Any, type_name: str, seed: int) -> int | None:
    """The type's extended hash of ``v``, or None for a type whose hash db9 does not know
    (the caller hashes its text then)."""
    if type_name in ("smallint", "integer", "oid"):
        return hash_uint32_extended(v, seed)
    if type_name == "bigint":
        return hash_int8_extended(v, seed)
    if type_name == "boolean":
        return hash_uint32_extended(int(v), seed)
    if type_name == "date" and isinstance(v, dt.date):
        return hash_uint32_extended((v - _EPOCH).days, seed)
    if type_name in ("text", "character varying", "name") and isinstance(v, str):
        return hash_bytes_extended(v.encode(), seed)
    return None


def partition_hash(values: list[tuple[Any, str, str]]) -> int:
    """compute_partition_hash_value: the row's keys (value, type name, its text) hashed with
    the partition seed and combined; NULL keys are skipped."""
    row = 0
    for v, type_name, text in values:
        if v is None:
            continue
        h = hash_value(v, type_name, PARTITION_SEED)
        if h is None:
            h = hash_bytes_extended(text.encode(), PARTITION_SEED)
        row = hash_combine64(row, h)
    return row
