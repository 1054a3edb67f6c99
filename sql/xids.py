"""Transaction id types: xid (32 bits) and xid8 (64 bits), held as ints and read as PostgreSQL
15's xidin and xid8in read them (strtoul, base 0, nothing rejected); and the snapshot types
pg_snapshot and txid_snapshot (``xmin:xmax:xip,...``), held as their canonical text (xmin and
xmax non-zero, xmax not before xmin, the in-progress ids sorted in [xmin, xmax), duplicates
dropped), sent in binary as int4 count, int8 xmin, int8 xmax and the int8 ids."""

from __future__ import annotations

import struct

from sql.errors import InvalidBinaryRepresentation, InvalidTextRepresentation
from sql.strtoul import strtoul
from sql.wire_source import Source

SNAPSHOTS = ("pg_snapshot", "txid_snapshot")
_I4, _I8 = struct.Struct("!i"), struct.Struct("!q")
_MAX_NXIP = (0x3FFFFFFF - 16) // 8  # PG_SNAPSHOT_MAX_NXIP: what fits in 1 GB


def parse_xid(text: str, bits: int) -> int:
    value, _, _ = strtoul(text, 0, 0)
    return value % (1 << bits)


def _canonical(xmin: int, xmax: int, xips: list[int]) -> str:
    return f"{xmin}:{xmax}:" + ",".join(str(x) for x in xips)


def parse_snapshot(text: str) -> str:
    bad = InvalidTextRepresentation(f'invalid input syntax for type pg_snapshot: "{text}"')
    xmin, end, _ = strtoul(text)
    if text[end : end + 1] != ":":
        raise bad
    xmax, end, _ = strtoul(text, end + 1)
    if text[end : end + 1] != ":":
        raise bad
    if xmin == 0 or xmax == 0 or xmax < xmin:
        raise bad
    at, last, xips = end + 1, 0, list[int]()
    while at < len(text):
        value, at, _ = strtoul(text, at)
        if value < xmin or value >= xmax or value < last:
            raise bad
        if not xips or value != last:
            xips.append(value)
        last = value
        if text[at : at + 1] == ",":
            at += 1
        elif at < len(text):
            raise bad
    return _canonical(xmin, xmax, xips)


def send_snapshot(v: str) -> bytes:
    xmin, xmax, rest = v.split(":")
    xips = [int(x) for x in rest.split(",") if x]
    return struct.pack(f"!iqq{len(xips)}q", len(xips), int(xmin), int(xmax), *xips)


def recv_snapshot(src: Source) -> str:
    """pg_snapshot_recv: its checks fail with 22P03, missing bytes with 08P01 (``src``)."""
    bad = InvalidBinaryRepresentation("invalid external pg_snapshot data")
    n = int(_I4.unpack(src.take(4))[0])
    if not 0 <= n <= _MAX_NXIP:
        raise bad
    xmin, xmax = (int(_I8.unpack(src.take(8))[0]) for _ in range(2))
    if xmin <= 0 or xmax <= 0 or xmax < xmin:
        raise bad
    xips: list[int] = []
    for _ in range(n):
        cur = int(_I8.unpack(src.take(8))[0])
        if cur < (xips[-1] if xips else 0) or cur < xmin or cur > xmax:  # xmax itself: yes
            raise bad
        if not xips or cur != xips[-1]:
            xips.append(cur)
    return _canonical(xmin, xmax, xips)
