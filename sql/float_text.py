"""Floating-point numbers as PostgreSQL prints them (float4out / float8out with
extra_float_digits 1): the shortest text that reads back as the same value."""

from __future__ import annotations

import math
import struct
from decimal import Decimal, localcontext


def format_float(v: float, single: bool = False) -> str:
    """float4out/float8out with extra_float_digits 1: the shortest text that reads back as
    the same value, in exponent form below 1e-4 and from 1e6 (real) or 1e15 (double)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0:
        return "-0" if math.copysign(1.0, v) < 0 else "0"
    shortest = _shortest(v, single)
    sign, digit_tuple, _ = shortest.as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exp10 = shortest.adjusted()
    minus = "-" if sign else ""
    if exp10 < -4 or exp10 >= (6 if single else 15):
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{minus}{mant}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if exp10 < 0:
        return f"{minus}0.{'0' * (-exp10 - 1)}{digits}"
    whole = digits[: exp10 + 1].ljust(exp10 + 1, "0")
    frac = digits[exp10 + 1 :]
    return f"{minus}{whole}.{frac}" if frac else f"{minus}{whole}"


def neighbours(v: float, single: bool) -> tuple[float, float]:
    """The representable values just below and just above ``v`` (not zero)."""
    fmt, ifmt = ("f", "i") if single else ("d", "q")
    bits = struct.unpack(ifmt, struct.pack(fmt, abs(v)))[0]
    smaller = struct.unpack(fmt, struct.pack(ifmt, bits - 1))[0]
    larger = struct.unpack(fmt, struct.pack(ifmt, bits + 1))[0]
    return (smaller, larger) if v > 0 else (-larger, -smaller)


def _shortest(v: float, single: bool) -> Decimal:
    """The fewest significant digits that lie strictly between ``v``'s midpoints with its
    neighbours (Ryu, as PostgreSQL prints floats: a digit string exactly on a midpoint that
    would read back by round-half-even is not taken, unlike Python's repr)."""
    if not single:
        d = Decimal(repr(v))
        _, digits, p = d.as_tuple()
        assert isinstance(p, int)
        # Only a binary fraction can be a midpoint: a decimal that is not one is repr's.
        if (p < 0 and int("".join(map(str, digits))) % 5 ** (-p)) or d == Decimal(v):
            return d
    lo_nb, hi_nb = neighbours(v, single)
    exact = Decimal(v)
    with localcontext() as ctx:
        ctx.prec = 1200
        lo = (exact + Decimal(lo_nb)) / 2 if math.isfinite(lo_nb) else None
        hi = (exact + Decimal(hi_nb)) / 2 if math.isfinite(hi_nb) else None
        # The largest finite values: the gap above is as wide as the one below.
        lo = lo if lo is not None else exact - (hi - exact)  # type: ignore[operator]
        hi = hi if hi is not None else exact + (exact - lo)
    for n in range(1, 18):
        d = Decimal(f"{v:.{n - 1}e}")
        if lo < d < hi:
            return d
    return Decimal(repr(v))
