"""PostgreSQL's in_range support functions: where a RANGE frame with an offset
(``RANGE BETWEEN 5 PRECEDING AND '1 day' FOLLOWING``) starts and ends.

``in_range(val, base, offset, sub, less)`` is true when ``val`` lies on the frame's side of
``base`` moved by ``offset`` (subtracted when ``sub``): ``val <= base -/+ offset`` when
``less``, ``val >= ...`` otherwise. Each sort type accepts offsets of certain types only
(``offset_type``); the arithmetic is exact, so no sum overflows as it could in C, and
PostgreSQL's answers for overflowing sums (the bound is past every value) come out alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sql import types as T
from sql.errors import InvalidPrecedingOrFollowingSize
from sql.functions import add_interval
from sql.types import Interval, SqlType

InRange = Callable[[Any, Any, Any, bool, bool], bool]


_INTS = ("smallint", "integer", "bigint")
_TIMES = ("time", "time without time zone")
_DATETIMES = (T.DATE.name, T.TIMESTAMP.name, T.TIMESTAMPTZ.name, T.INTERVAL.name, *_TIMES)


def offset_type(sort: SqlType, offset: SqlType) -> SqlType | None:
    """The type an offset of type ``offset`` is coerced to for a RANGE frame over a column
    of type ``sort``, or None when PostgreSQL has no in_range function for the pair."""
    s, o = sort.name, offset.name
    if s in ("smallint", "integer"):
        return offset if o in _INTS else (T.INT8 if o == "unknown" else None)
    if s == "bigint":
        return T.INT8 if o in (*_INTS, "unknown") else None
    if s in ("real", "double precision"):
        ok = (*_INTS, "numeric", "real", "double precision", "unknown")
        return T.FLOAT8 if o in ok else None
    if s == "numeric":
        return T.NUMERIC if o in (*_INTS, "numeric", "unknown") else None
    if s in _DATETIMES:
        return T.INTERVAL if o in ("interval", "unknown") else None
    return None


def in_range_for(sort: SqlType) -> InRange:
    """The in_range function of a sort type that ``offset_type`` accepted."""
    if sort.name in _INTS:
        return _in_range_int
    if sort.name in ("real", "double precision"):
        return _in_range_float
    if sort.name == "numeric":
        return _in_range_numeric
    if sort.name == "interval":
        return _in_range_interval
    if sort.name in _TIMES:
        return _in_range_time
    return _in_range_datetime


def _bad_size() -> InvalidPrecedingOrFollowingSize:
    return InvalidPrecedingOrFollowingSize("invalid preceding or following size in window function")


def _compare(val: Any, bound: Any, less: bool) -> bool:
    return bool(val <= bound) if less else bool(val >= bound)


def _in_range_int(val: int, base: int, offset: int, sub: bool, less: bool) -> bool:
    if offset < 0:
        raise _bad_size()
    return _compare(val, base - offset if sub else base + offset, less)


def _in_range_float(val: float, base: float, offset: float, sub: bool, less: bool) -> bool:
    if math.isnan(offset) or offset < 0:
        raise _bad_size()
    # NaN sorts after every other value and equals itself
    if math.isnan(val):
        return True if math.isnan(base) else not less
    if math.isnan(base):
        return less
    # an infinite offset from an infinite base in the same direction: inf - inf would be NaN
    if math.isinf(offset) and math.isinf(base) and (base > 0 if sub else base < 0):
        return True
    return _compare(val, base - offset if sub else base + offset, less)


def _in_range_numeric(val: Decimal, base: Decimal, offset: Decimal, sub: bool, less: bool) -> bool:
    if offset.is_nan() or offset < 0:
        raise _bad_size()
    if val.is_nan():
        return True if base.is_nan() else not less
    if base.is_nan():
        return less
    if offset.is_infinite() and base.is_infinite() and (base > 0 if sub else base < 0):
        return True
    return _compare(val, base - offset if sub else base + offset, less)


def _in_range_interval(
    val: Interval, base: Interval, offset: Interval, sub: bool, less: bool
) -> bool:
    if offset < Interval():
        raise _bad_size()
    return _compare(val, base + (-offset if sub else offset), less)


def _in_range_datetime(val: Any, base: Any, offset: Interval, sub: bool, less: bool) -> bool:
    if offset < Interval():
        raise _bad_size()
    bound = add_interval(base, offset, -1 if sub else 1)
    if not isinstance(val, dt.datetime):  # a date compares as its midnight
        val = dt.datetime(val.year, val.month, val.day)
    return _compare(val, bound, less)


def _micros(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _in_range_time(val: dt.time, base: dt.time, offset: Interval, sub: bool, less: bool) -> bool:
    # only the offset's time part counts, and the sum does not wrap around midnight
    if offset < Interval():
        raise _bad_size()
    bound = _micros(base) + (-offset.micros if sub else offset.micros)
    return _compare(_micros(val), bound, less)
