"""Values on the wire: PostgreSQL's text and binary formats for the types db9 serves.

Text format is the types' output/input functions (sql.types). Binary format follows
PostgreSQL's send/recv functions for the common types; a type without a binary form is
refused with 0A000 rather than sent wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import uuid
from decimal import Decimal
from typing import Any

from sql import types as T
from sql.errors import FeatureNotSupported, InvalidTextRepresentation
from sql.types import Interval, SqlType

_EPOCH_DATE = dt.date(2000, 1, 1).toordinal()
_EPOCH = dt.datetime(2000, 1, 1)
_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_I2, _I4, _I8 = struct.Struct("!h"), struct.Struct("!i"), struct.Struct("!q")
_F4, _F8 = struct.Struct("!f"), struct.Struct("!d")


def encode_text(v: Any, t: SqlType) -> bytes | None:
    text = T.format_value(v, t)
    return None if text is None else text.encode("utf-8")


def decode_text(raw: bytes, t: SqlType) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidTextRepresentation('invalid byte sequence for encoding "UTF8"') from None
    if t.name in ("unknown", "text"):
        return text
    return T.parse_text(text, t)


# -- numeric's binary form: base-10000 digits with weight, sign and display scale -------------


def _numeric_send(d: Decimal) -> bytes:
    if d.is_nan():
        return struct.pack("!hhHH", 0, 0, 0xC000, 0)
    if d.is_infinite():
        return struct.pack("!hhHH", 0, 0, 0xD000 if d > 0 else 0xF000, 0)
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    dscale = max(-exp, 0)
    text = "".join(map(str, digits)) or "0"
    # Split into integer and fraction digit strings, then group by four around the point.
    if exp >= 0:
        int_part, frac_part = text + "0" * exp, ""
    else:
        int_part, frac_part = text[:exp] or "0", text[exp:].rjust(-exp, "0")
    int_part = int_part.lstrip("0")
    int_groups = [int(int_part[max(i - 4, 0) : i]) for i in range(len(int_part), 0, -4)][::-1]
    frac_part += "0" * (-len(frac_part) % 4)
    frac_groups = [int(frac_part[i : i + 4]) for i in range(0, len(frac_part), 4)]
    groups = int_groups + frac_groups
    weight = len(int_groups) - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    head = struct.pack("!hhHH", len(groups), weight, 0x4000 if sign else 0, dscale)
    return head + b"".join(struct.pack("!H", g) for g in groups)


def _numeric_recv(raw: bytes) -> Decimal:
    ndigits, weight, sign, dscale = struct.unpack_from("!hhHH", raw)
    if sign == 0xC000:
        return Decimal("NaN")
    if sign in (0xD000, 0xF000):
        return Decimal("Infinity" if sign == 0xD000 else "-Infinity")
    groups = struct.unpack_from(f"!{ndigits}H", raw, 8)
    value = Decimal(0)
    for i, g in enumerate(groups):
        value += Decimal(g).scaleb(4 * (weight - i))
    if sign == 0x4000:
        value = -value
    return value.quantize(Decimal(1).scaleb(-dscale)) if dscale else value


def encode_binary(v: Any, t: SqlType) -> bytes | None:
    if v is None:
        return None
    name = t.name
    if name == "smallint":
        return _I2.pack(v)
    if name in ("integer",):
        return _I4.pack(v)
    if name in ("oid", "regclass", "regtype", "regnamespace", "regproc"):
        return struct.pack("!I", v) if isinstance(v, int) else str(v).encode()
    if name == "bigint":
        return _I8.pack(v)
    if name == "real":
        return _F4.pack(v)
    if name == "double precision":
        return _F8.pack(v)
    if name == "boolean":
        return b"\x01" if v else b"\x00"
    if name == "bytea":
        return bytes(v)
    if name in ("text", "character varying", "character", "name", '"char"', "unknown", "json"):
        return (v if isinstance(v, str) else T.format_value(v, t) or "").encode()
    if name == "jsonb":
        return b"\x01" + T.format_jsonb(v).encode()
    if name == "uuid":
        return v.bytes  # type: ignore[no-any-return]
    if name == "date":
        return _I4.pack(v.toordinal() - _EPOCH_DATE)
    if name == "timestamp without time zone":
        return _I8.pack((v - _EPOCH) // dt.timedelta(microseconds=1))
    if name == "timestamp with time zone":
        return _I8.pack((v - _EPOCH_TZ) // dt.timedelta(microseconds=1))
    if name == "interval":
        return struct.pack("!qii", v.micros, v.days, v.months)
    if name == "numeric":
        return _numeric_send(Decimal(v))
    raise FeatureNotSupported(f"binary output of type {t.display()} is not supported")


def decode_binary(raw: bytes, t: SqlType) -> Any:
    name = t.name
    try:
        if name == "smallint":
            return _I2.unpack(raw)[0]
        if name in ("integer", "oid"):
            return _I4.unpack(raw)[0] if name == "integer" else struct.unpack("!I", raw)[0]
        if name == "bigint":
            return _I8.unpack(raw)[0]
        if name == "real":
            return _F4.unpack(raw)[0]
        if name == "double precision":
            return _F8.unpack(raw)[0]
        if name == "boolean":
            return raw != b"\x00"
        if name == "bytea":
            return raw
        if name in ("text", "character varying", "character", "name", "unknown", "json"):
            return raw.decode("utf-8")
        if name == "jsonb":
            return json.loads(raw[1:].decode("utf-8"), parse_float=Decimal)
        if name == "uuid":
            return uuid.UUID(bytes=raw)
        if name == "date":
            return dt.date.fromordinal(_I4.unpack(raw)[0] + _EPOCH_DATE)
        if name == "timestamp without time zone":
            return _EPOCH + dt.timedelta(microseconds=_I8.unpack(raw)[0])
        if name == "timestamp with time zone":
            return _EPOCH_TZ + dt.timedelta(microseconds=_I8.unpack(raw)[0])
        if name == "interval":
            micros, days, months = struct.unpack("!qii", raw)
            return Interval(months, days, micros)
        if name == "numeric":
            return _numeric_recv(raw)
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidTextRepresentation(
            f"invalid binary value for type {t.display()}: {exc}"
        ) from None
    raise FeatureNotSupported(f"binary input of type {t.display()} is not supported")
