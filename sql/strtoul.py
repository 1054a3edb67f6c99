"""C's strtoul as PostgreSQL's input functions call it (tidin, xidin, xid8in, the snapshot
types): white space and a sign skipped, a minus negating modulo 2**64, base 0 reading 0x as
hex and a leading 0 as octal; without digits the value is 0 and the end is the start."""

from __future__ import annotations

ULONG = 1 << 64
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def strtoul(text: str, at: int = 0, base: int = 10) -> tuple[int, int, bool]:
    """(value, index after the number, out of range: the value is then 2**64 - 1)."""
    i = at
    while i < len(text) and text[i] in " \t\n\r\v\f":
        i += 1
    negative = i < len(text) and text[i] == "-"
    if i < len(text) and text[i] in "+-":
        i += 1
    hex_digit = i + 2 < len(text) and text[i + 2].lower() in _DIGITS[:16]
    if base in (0, 16) and text[i : i + 2].lower() == "0x" and hex_digit:
        i, base = i + 2, 16
    elif base == 0:
        base = 8 if text[i : i + 1] == "0" else 10
    start = i
    while i < len(text) and text[i].isascii() and text[i].lower() in _DIGITS[:base]:
        i += 1
    if i == start:
        return 0, at, False
    value = int(text[start:i], base)
    if value >= ULONG:
        return ULONG - 1, i, True
    return (ULONG - value) % ULONG if negative else value, i, False
