"""Dates and timestamps that Python's datetime cannot hold: ``infinity``, ``-infinity``, years
BC and years after 9999 (PostgreSQL's date runs from 4713 BC to 5874897 AD, its timestamps
to 294276 AD).

Values inside Python's range stay ``datetime.date`` / ``datetime.datetime``; the others are a
:class:`FarDate` (a day number, Python's ``toordinal`` extended both ways: 0 is 1 BC's last
day) or a :class:`FarTimestamp` (microseconds since 2000-01-01, PostgreSQL's own count, in UTC
for timestamptz). Both order against the near values of their type, and the infinities
against everything, as PostgreSQL orders them. They carry their type's I/O, storage and the
arithmetic that can reach them (date +/- integer, timestamp +/- an interval of days and
microseconds); other operations on them are refused with 22008.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from sql import zones
from sql.errors import DatetimeFieldOverflow

DATE_INF, DATE_NEG_INF = 2**31 - 1, -(2**31)  # as date's int4 carries them
TS_INF, TS_NEG_INF = 2**63 - 1, -(2**63)  # as timestamp's int8 does
_EPOCH_ORDINAL = dt.date(2000, 1, 1).toordinal()
_DAY_US = 86_400_000_000
# PostgreSQL's limits: JD 0 (4714-11-24 BC) and 5874897-12-31 for dates, 294276 AD for
# timestamps; as ordinals / microseconds since 2000.
_MIN_DATE_ORDINAL = -1_721_425
_MAX_DATE_ORDINAL = 2_145_031_948
_MIN_TS_US = -211_813_488_000_000_000
_MAX_TS_US = 9_224_318_016_000_000_000
_EPOCH = dt.datetime(2000, 1, 1)
_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _civil(ordinal: int) -> tuple[int, int, int]:
    """(year, month, day) of a day number; year 0 is 1 BC (Hinnant's civil_from_days)."""
    z = ordinal - 719163 + 719468  # days since 0000-03-01
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def ordinal_of(year: int, month: int, day: int) -> int:
    """The day number of a date; year 0 is 1 BC (Hinnant's days_from_civil)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + 719163


def _valid_day(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]


def _key(v: Any) -> int:
    """A date-like value's day number or a timestamp-like value's microseconds since 2000."""
    if isinstance(v, FarDate | FarTimestamp):
        return v.value
    if isinstance(v, dt.datetime):
        base = _EPOCH_TZ if v.tzinfo is not None else _EPOCH
        return (v - base) // dt.timedelta(microseconds=1)
    if isinstance(v, dt.date):
        return v.toordinal()
    raise TypeError(type(v).__name__)


@functools.total_ordering
class _Far:
    __slots__ = ("value",)
    value: int

    def __init__(self, value: int) -> None:
        self.value = value

    def _other(self, other: object) -> int | None:
        if isinstance(self, FarDate) != (
            isinstance(other, FarDate) or type(other) is dt.date
        ):  # a date never equals a timestamp
            return None
        try:
            return _key(other)
        except TypeError:
            return None

    def __eq__(self, other: object) -> bool:
        o = self._other(other)
        return o is not None and self.value == o

    def __lt__(self, other: object) -> bool:
        o = self._other(other)
        if o is None:
            return NotImplemented
        return self.value < o

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.value))

    @property
    def infinite(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        # An operation written for datetime values (year, month, replace, ...): PostgreSQL's
        # error for a value out of that operation's range.
        if name.startswith("__"):
            raise AttributeError(name)
        raise DatetimeFieldOverflow("timestamp out of range")


class FarDate(_Far):
    """A date outside 0001-01-01 .. 9999-12-31, or +/-infinity."""

    __slots__ = ()

    @property
    def infinite(self) -> bool:
        return self.value in (DATE_INF, DATE_NEG_INF)

    def toordinal(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"FarDate({format_date(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FarDate, (self.value,))


class FarTimestamp(_Far):
    """A timestamp (``tz``: with time zone, in UTC) outside Python's years, or +/-infinity."""

    __slots__ = ("tz",)

    def __init__(self, value: int, tz: bool) -> None:
        super().__init__(value)
        self.tz = tz

    @property
    def infinite(self) -> bool:
        return self.value in (TS_INF, TS_NEG_INF)

    def __repr__(self) -> str:
        return f"FarTimestamp({self.value}, tz={self.tz})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FarTimestamp, (self.value, self.tz))


def date_of(ordinal: int) -> dt.date | FarDate:
    """The date of a day number: a datetime.date where Python has one; 22008 beyond
    PostgreSQL's range."""
    if 1 <= ordinal <= 3_652_059:
        return dt.date.fromordinal(ordinal)
    if ordinal in (DATE_INF, DATE_NEG_INF):
        return FarDate(ordinal)
    if not _MIN_DATE_ORDINAL <= ordinal <= _MAX_DATE_ORDINAL:
        raise DatetimeFieldOverflow("date out of range")
    return FarDate(ordinal)


def timestamp_of(micros: int, tz: bool) -> dt.datetime | FarTimestamp:
    """The timestamp ``micros`` after 2000-01-01 (UTC for ``tz``); 22008 beyond PostgreSQL's
    range."""
    if micros in (TS_INF, TS_NEG_INF):
        return FarTimestamp(micros, tz)
    if not _MIN_TS_US <= micros < _MAX_TS_US:
        raise DatetimeFieldOverflow("timestamp out of range")
    try:
        return (_EPOCH_TZ if tz else _EPOCH) + dt.timedelta(microseconds=micros)
    except OverflowError:
        return FarTimestamp(micros, tz)


def micros_of(v: dt.datetime | FarTimestamp) -> int:
    """Microseconds since 2000-01-01 (UTC for a timestamptz) of any timestamp value."""
    return _key(v)


_SPECIAL = {"infinity": 1, "+infinity": 1, "-infinity": -1}
_FAR = re.compile(
    r"(\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?(?:\s+(BC|AD))?",
    re.IGNORECASE,
)


def special(text: str, kind: str) -> Any:
    """``infinity`` / ``-infinity`` of ``kind`` (date, timestamp, timestamptz), or None."""
    sign = _SPECIAL.get(text.strip().lower())
    if sign is None:
        return None
    if kind == "date":
        return FarDate(DATE_INF if sign > 0 else DATE_NEG_INF)
    return FarTimestamp(TS_INF if sign > 0 else TS_NEG_INF, kind == "timestamptz")


def parse_far(text: str, kind: str, zone: dt.tzinfo) -> Any:
    """A date or timestamp written with BC or a year past 9999 (None if ``text`` is not one):
    the value, a FarDate / FarTimestamp or (BC years close to 1 AD never are) a near one."""
    m = _FAR.fullmatch(text.strip())
    if not m or (m[9] is None and len(m[1]) <= 4) or (m[9] or "").upper() == "AD":
        return None
    year = int(m[1])
    if m[9] is not None:
        if year == 0:
            raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')
        year = 1 - year
    month, day = int(m[2]), int(m[3])
    if not _valid_day(year, month, day):
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')
    ordinal = ordinal_of(year, month, day)
    if kind == "date":
        return date_of(ordinal)
    clock = ((int(m[4] or 0) * 60 + int(m[5] or 0)) * 60 + int(m[6] or 0)) * 1_000_000
    micros = (ordinal - _EPOCH_ORDINAL) * _DAY_US + clock + int((m[7] or "").ljust(6, "0"))
    if kind == "timestamptz":
        offset = zones.parse_offset(m[8]) if m[8] else _far_offset(zone, year)
        micros -= offset // dt.timedelta(microseconds=1)
    return timestamp_of(micros, kind == "timestamptz")


def _far_offset(zone: dt.tzinfo, year: int) -> dt.timedelta:
    """A zone's offset for a year Python cannot hold: its offset at the nearest year it can."""
    near = dt.datetime(max(1, min(9999, year)), 1, 1)
    return zone.utcoffset(near) or dt.timedelta(0)


def _ymd(year: int, month: int, day: int) -> tuple[str, str]:
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d}", " BC"
    return f"{year:04d}-{month:02d}-{day:02d}", ""


def format_date(v: FarDate) -> str:
    if v.value == DATE_INF:
        return "infinity"
    if v.value == DATE_NEG_INF:
        return "-infinity"
    text, era = _ymd(*_civil(v.value))
    return text + era


def format_timestamp(v: FarTimestamp, zone: dt.tzinfo) -> str:
    if v.value == TS_INF:
        return "infinity"
    if v.value == TS_NEG_INF:
        return "-infinity"
    micros = v.value
    offset = dt.timedelta(0)
    if v.tz:
        offset = _far_offset(zone, _civil(_EPOCH_ORDINAL + micros // _DAY_US)[0])
        micros += offset // dt.timedelta(microseconds=1)
    days, rest = divmod(micros, _DAY_US)
    text, era = _ymd(*_civil(_EPOCH_ORDINAL + days))
    secs, us = divmod(rest, 1_000_000)
    text += f" {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if us:
        text += f".{us:06d}".rstrip("0")
    if v.tz:
        text += zones.offset_text(offset)
    return text + era


def add_days(v: dt.date | FarDate, days: int) -> dt.date | FarDate:
    """date +/- integer; infinity stays infinite."""
    if isinstance(v, FarDate) and v.infinite:
        return v
    return date_of(_key(v) + days)


def add_micros(v: dt.datetime | FarTimestamp, micros: int) -> dt.datetime | FarTimestamp:
    """timestamp +/- an interval without months; infinity stays infinite."""
    if isinstance(v, FarTimestamp) and v.infinite:
        return v
    tz = v.tz if isinstance(v, FarTimestamp) else v.tzinfo is not None
    return timestamp_of(_key(v) + micros, tz)


def date_to_timestamp(v: FarDate, tz: bool, zone: dt.tzinfo) -> FarTimestamp | dt.datetime:
    """A far date's midnight (local in ``zone`` for a timestamptz)."""
    if v.infinite:
        return FarTimestamp(TS_INF if v.value == DATE_INF else TS_NEG_INF, tz)
    micros = (v.value - _EPOCH_ORDINAL) * _DAY_US
    if tz:
        micros -= _far_offset(zone, _civil(v.value)[0]) // dt.timedelta(microseconds=1)
    return timestamp_of(micros, tz)


def timestamp_to_date(v: FarTimestamp, zone: dt.tzinfo) -> FarDate | dt.date:
    if v.infinite:
        return FarDate(DATE_INF if v.value == TS_INF else DATE_NEG_INF)
    micros = v.value
    if v.tz:
        micros += _far_offset(zone, 1) // dt.timedelta(microseconds=1)
    return date_of(_EPOCH_ORDINAL + micros // _DAY_US)


def retag(v: FarTimestamp, tz: bool, zone: dt.tzinfo) -> FarTimestamp | dt.datetime:
    """A far timestamp as the other kind: local time in ``zone`` <-> UTC."""
    if v.infinite or v.tz == tz:
        return FarTimestamp(v.value, tz)
    offset = _far_offset(zone, _civil(_EPOCH_ORDINAL + v.value // _DAY_US)[0])
    shift = offset // dt.timedelta(microseconds=1)
    return timestamp_of(v.value - shift if tz else v.value + shift, tz)
