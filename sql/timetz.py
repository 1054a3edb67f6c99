"""timetz (time with time zone): a time of day with a fixed UTC offset.

A value is a :class:`TimeTz`, a ``datetime.time`` whose tzinfo is a fixed offset. It compares
as PostgreSQL's timetz_cmp does: by the time in UTC, then by the zone (so ``10:00+02`` and
``08:00+00`` are different values, ordered by their offset), not as Python compares aware
times (equal there). Stored as ``(UTC microseconds, seconds west)``, which sorts the same way;
sent in binary as PostgreSQL does: int8 microseconds of the local time, int4 seconds west.
"""

from __future__ import annotations

import datetime as dt
import re

from sql import zones
from sql.errors import DatetimeFieldOverflow, InvalidDatetimeFormat

_DAY = 86_400_000_000
_MAX_OFFSET = 15 * 3600 + 59 * 60  # PostgreSQL's TZDISP_LIMIT (15:59)
_RE = re.compile(
    r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)


class TimeTz(dt.time):
    """A timetz value; its tzinfo is always a fixed offset."""

    __slots__ = ()

    def key(self) -> tuple[int, int]:
        """(UTC microseconds since midnight, seconds west of Greenwich): timetz's order."""
        west = west_seconds(self)
        local = ((self.hour * 60 + self.minute) * 60 + self.second) * 1_000_000 + self.microsecond
        return (local + west * 1_000_000, west)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeTz) and self.key() == other.key()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, TimeTz):
            return NotImplemented
        return self.key() < other.key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, TimeTz):
            return NotImplemented
        return self.key() <= other.key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, TimeTz):
            return NotImplemented
        return self.key() > other.key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, TimeTz):
            return NotImplemented
        return self.key() >= other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __reduce__(self) -> tuple[object, ...]:
        return (make, (local_micros(self), west_seconds(self)))


def west_seconds(v: dt.time) -> int:
    offset = v.utcoffset()
    return -int(offset.total_seconds()) if offset is not None else 0


def local_micros(v: dt.time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond


def make(micros: int, west: int) -> TimeTz:
    """The value of ``micros`` since local midnight at ``west`` seconds west of Greenwich."""
    if not 0 <= micros < _DAY:
        raise DatetimeFieldOverflow("time out of range")
    if abs(west) > _MAX_OFFSET:
        raise DatetimeFieldOverflow("time zone displacement out of range")
    t = (dt.datetime.min + dt.timedelta(microseconds=micros)).time()
    zone = dt.UTC if west == 0 else dt.timezone(dt.timedelta(seconds=-west))
    return TimeTz(t.hour, t.minute, t.second, t.microsecond, zone)


def of(t: dt.time, offset: dt.timedelta) -> TimeTz:
    """A time of day at ``offset`` east of Greenwich."""
    return make(local_micros(t), -int(offset.total_seconds()))


def current_offset(zone: dt.tzinfo) -> dt.timedelta:
    """The offset a timetz without one takes in ``zone``: the zone's at the present time."""
    return dt.datetime.now(zone).utcoffset() or dt.timedelta(0)


def parse(text: str, zone: dt.tzinfo) -> TimeTz:
    """timetz_in: ``HH:MM[:SS[.ffffff]][offset]``; no offset: ``zone``'s current one.
    A date before the time (``2003-04-12 04:05:06-08``) is skipped."""
    s = text.strip()
    m = _RE.fullmatch(s) or _RE.fullmatch(s.replace("T", " ").split(" ", 1)[-1])
    if not m:
        raise InvalidDatetimeFormat(f'invalid input syntax for type time with time zone: "{text}"')
    h, mi, sec = int(m[1]), int(m[2]), int(m[3] or 0)
    micros = int((m[4] or "").ljust(6, "0"))
    if h > 24 or mi > 59 or sec > 60 or (h == 24 and (mi or sec or micros)):
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')
    if h == 24:
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"')
    offset = zones.parse_offset(m[5]) if m[5] else current_offset(zone)
    if abs(offset.total_seconds()) > _MAX_OFFSET:
        raise DatetimeFieldOverflow(f'time zone displacement out of range: "{text}"')
    return of(dt.time(h, mi, sec, micros), offset)


def format_timetz(v: dt.time) -> str:
    text = v.strftime("%H:%M:%S")
    if v.microsecond:
        text += f".{v.microsecond:06d}".rstrip("0")
    return text + zones.offset_text(v.utcoffset() or dt.timedelta(0))


def plus_micros(v: TimeTz, micros: int) -> TimeTz:
    """timetz +/- interval: only the interval's time part counts, wrapping at midnight; the
    zone stays (timetz_pl_interval)."""
    return make((local_micros(v) + micros) % _DAY, west_seconds(v))


def at_date(d: dt.date, v: TimeTz) -> dt.datetime:
    """date + timetz: the local time on that date at the value's offset, as a timestamptz
    (datetimetz_timestamptz)."""
    local = dt.datetime.combine(d, dt.time(v.hour, v.minute, v.second, v.microsecond))
    return (local + dt.timedelta(seconds=west_seconds(v))).replace(tzinfo=dt.UTC)
