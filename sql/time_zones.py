"""``x AT TIME ZONE zone`` and ``timezone(zone, x)``: a timestamp with time zone shown as the
local time in ``zone`` (a timestamp without one), or a timestamp read as local time in
``zone`` (a timestamp with time zone, kept in UTC as db9 keeps them all). A date, or an
untyped literal, is a timestamp with time zone first, as PostgreSQL's implicit cast makes it.

Zones are IANA names (``Europe/Paris``), ``UTC``/``GMT``/``Z``, or numeric offsets
``+hh[:mm]`` read as PostgreSQL reads them here, POSIX-style: ``+05:30`` is five and a half
hours WEST of Greenwich (Django writes a fixed offset's sign inverted for that reason).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from typing import Any

from sql import types as T
from sql.casts import coerce_to
from sql.errors import FeatureNotSupported, InvalidParameterValue
from sql.scope import Typed

_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?")
# A POSIX zone of a name and an offset (``UTC-05:00``, Django's fixed offsets): the name is
# only an abbreviation; the offset reads as ``_OFFSET`` does, hours west.
_NAMED_OFFSET = re.compile(r"(?:[A-Za-z]{3,})([+-])(\d{1,2})(?::(\d{2}))?")


@functools.lru_cache(maxsize=256)
def zone(name: str) -> dt.tzinfo:
    """The tzinfo a zone name stands for; 22023 for one PostgreSQL would not recognise."""
    text = name.strip()
    if text.upper() in ("UTC", "GMT", "Z", "ZULU", "UCT", "ETC/UTC"):
        return dt.UTC
    m = _OFFSET.fullmatch(text) or _NAMED_OFFSET.fullmatch(text)
    if m:
        sign = 1 if m[1] == "-" else -1  # POSIX: positive is west of Greenwich
        return dt.timezone(sign * dt.timedelta(hours=int(m[2]), minutes=int(m[3] or 0)))
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidParameterValue(f'time zone "{name}" not recognized') from None


def at_time_zone(value: Typed, zone_arg: Typed) -> Typed:
    """``value AT TIME ZONE zone_arg``."""
    if value.type.name in ("unknown", "date"):
        value = coerce_to(value, T.TIMESTAMPTZ)
    where = coerce_to(zone_arg, T.TEXT)
    fv, fz = value.fn, where.fn
    if value.type.name == T.TIMESTAMPTZ.name:

        def local(r: Any) -> Any:
            v, z = fv(r), fz(r)
            if v is None or z is None:
                return None
            return v.astimezone(zone(z)).replace(tzinfo=None)

        return Typed(local, T.TIMESTAMP, value.const and where.const, "timezone")
    if value.type.name == T.TIMESTAMP.name:

        def absolute(r: Any) -> Any:
            v, z = fv(r), fz(r)
            if v is None or z is None:
                return None
            return v.replace(tzinfo=zone(z)).astimezone(dt.UTC)

        return Typed(absolute, T.TIMESTAMPTZ, value.const and where.const, "timezone")
    raise FeatureNotSupported(f"AT TIME ZONE of type {value.type.display()} is not supported")
