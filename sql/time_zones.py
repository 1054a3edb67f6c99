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
from typing import Any

from sql import types as T
from sql.casts import coerce_to
from sql.errors import FeatureNotSupported
from sql.scope import Typed
from sql.zones import zone


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
