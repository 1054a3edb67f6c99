"""Bit strings: bit(n) and bit varying(n).

A value is a ``str`` of ``0`` and ``1`` characters, most significant bit first. Python's
string order is bitcmp's (bit by bit, then the shorter first), so values compare, sort and
store as strings. Text input takes binary digits or ``x``/``X`` and hex digits; binary I/O
is PostgreSQL's (int4 bit count, then the bits packed in bytes, padded with zeros).

Lengths: bit(n) holds exactly n bits (22026 on assignment, padded or truncated by an
explicit cast), bit varying(n) at most n (22001 on assignment, truncated by a cast).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from sql.errors import (
    InvalidParameterValue,
    InvalidTextRepresentation,
    NumericValueOutOfRange,
    StringDataLengthMismatch,
    StringDataRightTruncation,
)

BIT_TYPES = ("bit", "bit varying")
_I4 = struct.Struct("!i")


def parse(text: str) -> str:
    """bit_in / varbit_in: binary digits, or x/X then hex digits."""
    if text[:1] in ("x", "X"):
        out = []
        for c in text[1:]:
            try:
                out.append(f"{int(c, 16):04b}")
            except ValueError:
                raise InvalidTextRepresentation(f'"{c}" is not a valid hexadecimal digit') from None
        return "".join(out)
    for c in text:
        if c not in "01":
            raise InvalidTextRepresentation(f'"{c}" is not a valid binary digit')
    return text


def fit(bits: str, name: str, length: int | None, *, explicit: bool) -> str:
    """A bit string as bit(length) / bit varying(length)."""
    if name == "bit":
        n = length if length is not None else (len(bits) if explicit else 1)
        if len(bits) != n:
            if not explicit:
                raise StringDataLengthMismatch(
                    f"bit string length {len(bits)} does not match type bit({n})"
                )
            return bits[:n].ljust(n, "0")
        return bits
    if length is not None and len(bits) > length:
        if not explicit:
            raise StringDataRightTruncation(f"bit string too long for type bit varying({length})")
        return bits[:length]
    return bits


def from_int(v: int, width: int, length: int | None) -> str:
    """int4/int8 -> bit(n): the low n bits of the two's complement (sign-extended)."""
    n = length if length is not None else 1
    mask = (1 << width) - 1
    full = format(v & mask, f"0{width}b")
    if n <= width:
        return full[width - n :]
    return (full[0] * (n - width)) + full


def to_int(bits: str, width: int, type_name: str) -> int:
    """bit -> int4/int8: the bits as a two's complement integer of ``width`` bits."""
    if len(bits) > width:
        raise NumericValueOutOfRange(f"{type_name} out of range")
    if not bits:
        return 0
    v = int(bits, 2)
    return v - (1 << width) if len(bits) == width and bits[0] == "1" else v


def send(bits: str) -> bytes:
    n = len(bits)
    padded = bits.ljust((n + 7) // 8 * 8, "0")
    return _I4.pack(n) + (int(padded, 2).to_bytes(len(padded) // 8, "big") if n else b"")


def recv(n: int, data: bytes) -> str:
    if n < 0 or (n + 7) // 8 != len(data):
        raise InvalidParameterValue("invalid length in external bit string")
    bits = "".join(f"{b:08b}" for b in data)
    return bits[:n]


def binary_op(op: str) -> Callable[[str, str], str]:
    """& | # on equal lengths (22026 otherwise), << >> by an integer, || concatenation."""

    def logical(f: Callable[[int, int], int], sym: str) -> Callable[[str, str], str]:
        def run(x: str, y: str) -> str:
            if len(x) != len(y):
                raise StringDataLengthMismatch(f"cannot {sym} bit strings of different sizes")
            if not x:
                return x
            return format(f(int(x, 2), int(y, 2)), f"0{len(x)}b")

        return run

    ops: dict[str, Callable[[Any, Any], str]] = {
        "&": logical(lambda a, b: a & b, "AND"),
        "|": logical(lambda a, b: a | b, "OR"),
        "#": logical(lambda a, b: a ^ b, "XOR"),
        "<<": lambda x, n: shift(x, n),
        ">>": lambda x, n: shift(x, -n),
        "||": lambda x, y: x + y,
    }
    return ops[op]


def shift(bits: str, n: int) -> str:
    """Left by ``n`` (right when negative), zeros coming in, the length kept."""
    size = len(bits)
    if n >= 0:
        return (bits[n:] + "0" * min(n, size))[-size:] if size else bits
    n = -n
    return ("0" * min(n, size) + bits[: max(size - n, 0)])[:size]


def invert(bits: str) -> str:
    return bits.translate(str.maketrans("01", "10"))
