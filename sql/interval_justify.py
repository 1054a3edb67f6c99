"""justify_hours, justify_days and justify_interval: whole days moved out of an interval's
time part and whole 30-day months out of its days, as PostgreSQL 15's timestamp.c does it
(C division truncates toward zero; the parts end up with one sign where the result allows)."""

from __future__ import annotations

from sql.errors import DatetimeFieldOverflow
from sql.types import Interval

_DAY = 86_400_000_000
_MONTH_DAYS = 30
_INT32 = (-(1 << 31), (1 << 31) - 1)


def _whole(n: int, unit: int) -> tuple[int, int]:
    """(quotient, remainder) of ``n / unit`` truncated toward zero, as C's TMODULO."""
    q = abs(n) // unit * (1 if n >= 0 else -1)
    return q, n - q * unit


def _int32(n: int) -> int:
    if not _INT32[0] <= n <= _INT32[1]:
        raise DatetimeFieldOverflow("interval out of range")
    return n


def justify_hours(iv: Interval) -> Interval:
    """24-hour periods of the time part as days."""
    whole, time = _whole(iv.micros, _DAY)
    day = _int32(iv.days + whole)
    if day > 0 and time < 0:
        time, day = time + _DAY, day - 1
    elif day < 0 and time > 0:
        time, day = time - _DAY, day + 1
    return Interval(iv.months, day, time)


def justify_days(iv: Interval) -> Interval:
    """30-day periods of the days as months."""
    whole, day = _whole(iv.days, _MONTH_DAYS)
    month = _int32(iv.months + whole)
    if month > 0 and day < 0:
        day, month = day + _MONTH_DAYS, month - 1
    elif month < 0 and day > 0:
        day, month = day - _MONTH_DAYS, month + 1
    return Interval(month, day, iv.micros)


def justify_interval(iv: Interval) -> Interval:
    """justify_hours then justify_days, with the signs of all three parts made to agree."""
    month, day, time = iv.months, iv.days, iv.micros
    if (day > 0 and time > 0) or (day < 0 and time < 0):  # pre-justify days (overflow)
        whole, day = _whole(day, _MONTH_DAYS)
        month = _int32(month + whole)
    whole, time = _whole(time, _DAY)
    day = _int32(day + whole)
    whole, day = _whole(day, _MONTH_DAYS)
    month = _int32(month + whole)
    if month > 0 and (day < 0 or (day == 0 and time < 0)):
        day, month = day + _MONTH_DAYS, month - 1
    elif month < 0 and (day > 0 or (day == 0 and time > 0)):
        day, month = day - _MONTH_DAYS, month + 1
    if day > 0 and time < 0:
        time, day = time + _DAY, day - 1
    elif day < 0 and time > 0:
        time, day = time - _DAY, day + 1
    return Interval(month, day, time)
