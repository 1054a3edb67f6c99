"""The tid type (a tuple identifier: block number and line offset), held as one int
``block << 16 | offset`` so that values order as tidcmp orders them (block, then offset) and
are stored as they are. Text as tidin reads it; binary as tidsend (uint32, uint16)."""

from __future__ import annotations

import struct

from sql.errors import InvalidTextRepresentation
from sql.strtoul import ULONG, strtoul

BINARY = struct.Struct("!IH")


def parse(text: str) -> int:
    """tidin: ``(block,offset)``; anything after the closing parenthesis is ignored."""
    coords: list[int] = []
    for i, ch in enumerate(text):
        if ch == ")" or len(coords) == 2:
            break
        if ch == "," or (ch == "(" and not coords):
            coords.append(i + 1)
    bad = InvalidTextRepresentation(f'invalid input syntax for type tid: "{text}"')
    if len(coords) < 2:
        raise bad
    block, end, overflow = strtoul(text, coords[0])
    # a block number that fits in 32 bits, or a negative int32's sign-extended form
    if (
        overflow
        or text[end : end + 1] != ","
        or not (block < 1 << 32 or block >= ULONG - (1 << 31))
    ):
        raise bad
    offset, end, overflow = strtoul(text, coords[1])
    if overflow or text[end : end + 1] != ")" or offset > 0xFFFF:
        raise bad
    return (block & 0xFFFFFFFF) << 16 | offset


def format_tid(v: int) -> str:
    return f"({v >> 16},{v & 0xFFFF})"


def send(v: int) -> bytes:
    return BINARY.pack(v >> 16, v & 0xFFFF)


def recv(raw: bytes) -> int:
    block, offset = BINARY.unpack(raw)
    return int(block) << 16 | int(offset)
