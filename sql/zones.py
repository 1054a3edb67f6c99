"""Time zones by name, as PostgreSQL reads the TimeZone setting and ``AT TIME ZONE``.

A zone is an IANA name (``Europe/Rome``), ``UTC``/``GMT``/``Z``, a POSIX-style spec without
daylight rules (``-02:00``, ``<+02>-02``, ``EST5``: the sign POSIX's, positive WEST of
Greenwich), or for the TimeZone setting a bare number of hours (``-7``, ``5.5``: ISO's sign,
positive east), which is stored as the POSIX spec PostgreSQL shows for it (``<-07>+07``).

The session's zone travels with :data:`sql.types.OUTPUT_STYLE` (timestamptz values are kept
in UTC; the zone only changes how they read and print, and the casts to and from local time).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from sql.errors import InvalidParameterValue

_UTC_NAMES = frozenset(("UTC", "GMT", "Z", "ZULU", "UCT", "ETC/UTC", "ETC/GMT", "UNIVERSAL"))
# A POSIX std zone: an optional name (letters, or anything in <...>) then the offset west.
_POSIX = re.compile(r"(?:([A-Za-z]{3,})|<([^>]+)>)?([+-]?)(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?")
_HOURS = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _fixed(west_seconds: int) -> dt.tzinfo:
    return dt.UTC if west_seconds == 0 else dt.timezone(dt.timedelta(seconds=-west_seconds))


@functools.lru_cache(maxsize=256)
def zone(name: str) -> dt.tzinfo:
    """The tzinfo a zone name stands for; 22023 for one PostgreSQL would not recognise."""
    text = name.strip()
    if text.upper() in _UTC_NAMES:
        return dt.UTC
    m = _POSIX.fullmatch(text)
    if m and (m[1] or m[2] or m[3] or m[5]):
        west = (int(m[4]) * 60 + int(m[5] or 0)) * 60 + int(m[6] or 0)
        if west > 15 * 3600 or int(m[5] or 0) > 59 or int(m[6] or 0) > 59:
            raise InvalidParameterValue(f'time zone "{name}" not recognized')
        return _fixed(-west if m[3] == "-" else west)
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidParameterValue(f'time zone "{name}" not recognized') from None


def _posix_name(east_seconds: int) -> str:
    """PostgreSQL's shown form of a fixed offset: ``<+0530>-0530`` for 5h30 east."""
    sign = "-" if east_seconds < 0 else "+"
    h, rest = divmod(abs(east_seconds), 3600)
    m, s = divmod(rest, 60)
    abbrev = f"{h:02d}" + (f"{m:02d}" if m or s else "") + (f"{s:02d}" if s else "")
    west = "+" if sign == "-" else "-"
    return f"<{sign}{abbrev}>{west}{abbrev}"


def setting(value: str) -> str:
    """The TimeZone setting's stored (SHOW) form of ``value``; 22023 if unrecognised."""
    text = re.sub(r"^([+-])\s+", r"\1", value.strip().strip("'").strip())  # SET TIME ZONE - 7
    if _HOURS.fullmatch(text):  # hours east of Greenwich
        east = round(float(text) * 3600)
        if abs(east) > 15 * 3600:
            raise InvalidParameterValue(f'invalid value for parameter "TimeZone": "{text}"')
        return "UTC" if east == 0 else _posix_name(east)
    try:
        zone(text)
    except InvalidParameterValue:
        raise InvalidParameterValue(f'invalid value for parameter "TimeZone": "{text}"') from None
    return text


def offset_text(offset: dt.timedelta) -> str:
    """A UTC offset as timestamptz and timetz print it: ``+02``, ``-04:27``, ``+01:02:03``."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    h, rest = divmod(abs(seconds), 3600)
    m, s = divmod(rest, 60)
    text = f"{sign}{h:02d}"
    if m or s:
        text += f":{m:02d}"
    if s:
        text += f":{s:02d}"
    return text


def parse_offset(text: str) -> dt.timedelta:
    """A UTC offset as written after a time: ``Z``, ``+2``, ``-04:27``, ``+0530``,
    ``+01:02:03`` (ISO's sign: positive east of Greenwich)."""
    if text in ("Z", "z"):
        return dt.timedelta(0)
    sign = -1 if text[0] == "-" else 1
    parts = text[1:].split(":")
    if len(parts) == 1:  # hh, hhmm or hhmmss
        digits = parts[0]
        parts = (
            [digits[:-4] or "0", digits[-4:-2], digits[-2:]]
            if len(digits) > 4
            else ([digits[:-2], digits[-2:]] if len(digits) > 2 else [digits])
        )
    h, m, sec = (int(x) for x in [*parts, "0", "0"][:3])
    return sign * dt.timedelta(hours=h, minutes=m, seconds=sec)
