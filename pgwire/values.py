"""Values on the wire: PostgreSQL's text and binary formats for the types db9 serves.

Text format is the types' output/input functions (sql.types). Binary format follows
PostgreSQL's send/recv functions, arrays included; a type without a binary form is refused
with 0A000 rather than sent wrong.

Decoding raises only SQL errors, with the SQLSTATE PostgreSQL gives the same bytes: 08P01
for a value shorter than its type needs, 22P03 for bytes its type cannot hold (bad digits,
trailing bytes), 22021 for text that is not UTF-8, 22008 for dates out of range. Encoding
raises 22003/22008 for a value the format cannot carry.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import struct
import uuid
from decimal import Decimal
from typing import Any

from pgwire.messages import ProtocolViolation
from sql import bits as bit_strings
from sql import encodings, far_dates, geometry_binary, hstore_values, ranges, tid, timetz, xids
from sql import types as T
from sql.errors import (
    CharacterNotInRepertoire,
    DatatypeMismatch,
    DatetimeFieldOverflow,
    FeatureNotSupported,
    InternalError,
    InvalidBinaryRepresentation,
    NumericValueOutOfRange,
    ProgramLimitExceeded,
)
from sql.types import Interval, SqlType

_EPOCH_DATE = dt.date(2000, 1, 1).toordinal()
_EPOCH = dt.datetime(2000, 1, 1)
_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_I2, _I4, _I8 = struct.Struct("!h"), struct.Struct("!i"), struct.Struct("!q")
_U4, _U8 = struct.Struct("!I"), struct.Struct("!Q")
_F4, _F8 = struct.Struct("!f"), struct.Struct("!d")
_INTERVAL = struct.Struct("!qii")
_TIMETZ = struct.Struct("!qi")
_NUMERIC_HEAD = struct.Struct("!HhHH")
_I4_MIN, _I4_MAX = -(1 << 31), (1 << 31) - 1
_I8_MIN, _I8_MAX = -(1 << 63), (1 << 63) - 1
_NUMERIC_POS, _NUMERIC_NEG, _NUMERIC_NAN = 0x0000, 0x4000, 0xC000
_NUMERIC_PINF, _NUMERIC_NINF = 0xD000, 0xF000
_NUMERIC_DSCALE_MAX = 0x3FFF
_OID_TYPES = ("oid", "regclass", "regtype", "regnamespace", "regproc")
_TEXT_TYPES = ("text", "character varying", "character", "name", "unknown")


def _not_utf8(raw: bytes, exc: UnicodeDecodeError | None) -> CharacterNotInRepertoire:
    bad = raw[exc.start : exc.end] if exc is not None else b"\x00"
    shown = " ".join(f"0x{b:02x}" for b in bad)
    return CharacterNotInRepertoire(f'invalid byte sequence for encoding "UTF8": {shown}')


def utf8(raw: bytes) -> str:
    """Client text as the server takes it: in the client's encoding (UTF-8 unless SET
    client_encoding said otherwise), without NUL bytes (22021 otherwise)."""
    try:
        text = raw.decode(encodings.CLIENT_CODEC.get())
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc) from None
    if "\x00" in text:
        raise _not_utf8(raw, None)
    return text


def encode_text(v: Any, t: SqlType) -> bytes | None:
    text = T.format_value(v, t)
    if text is None:
        return None
    return encodings.encode(text, encodings.CLIENT_CODEC.get())


def decode_text(raw: bytes, t: SqlType) -> Any:
    text = utf8(raw)
    if t.name in ("unknown", "text"):
        return text
    if t is T.REGCLASS and not text.isdigit():
        return text  # a relation's name: the statement resolves it (sql.expr) in its snapshot
    return T.parse_text(text, t)


# -- reading one binary value ----------------------------------------------------------------


class _In:
    """A binary value being read; reading past its end is PostgreSQL's 08P01."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolViolation("insufficient data left in message")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, s: struct.Struct) -> Any:
        if self.pos + s.size > len(self.data):
            raise ProtocolViolation("insufficient data left in message")
        v = s.unpack_from(self.data, self.pos)
        self.pos += s.size
        return v[0] if len(v) == 1 else v

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos)

    def done(self) -> bool:
        return self.pos == len(self.data)


# -- numeric's binary form: base-10000 digits with weight, sign and display scale -------------


def _numeric_send(d: Decimal) -> bytes:
    if d.is_nan():
        return _NUMERIC_HEAD.pack(0, 0, _NUMERIC_NAN, 0)
    if d.is_infinite():
        # PostgreSQL sends a display scale of 32 here: bits of its short header read as one.
        return _NUMERIC_HEAD.pack(0, 0, _NUMERIC_PINF if d > 0 else _NUMERIC_NINF, 32)
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
    if dscale > _NUMERIC_DSCALE_MAX or not -(1 << 15) <= weight < (1 << 15):
        raise NumericValueOutOfRange("value overflows numeric format")
    head = _NUMERIC_HEAD.pack(len(groups), weight, _NUMERIC_NEG if sign else _NUMERIC_POS, dscale)
    return head + struct.pack(f"!{len(groups)}H", *groups)


def _numeric_recv(buf: _In) -> Decimal:
    """numeric_recv: digits past the display scale are cut off, as PostgreSQL does. The
    value is built from its digits, exactly: no decimal context rounds it."""
    ndigits, weight, sign, dscale = buf.unpack(_NUMERIC_HEAD)
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG, _NUMERIC_NAN, _NUMERIC_PINF, _NUMERIC_NINF):
        raise InvalidBinaryRepresentation('invalid sign in external "numeric" value')
    if dscale > _NUMERIC_DSCALE_MAX:
        raise InvalidBinaryRepresentation('invalid scale in external "numeric" value')
    groups = struct.unpack(f"!{ndigits}H", buf.take(2 * ndigits))
    if any(g >= 10000 for g in groups):
        raise InvalidBinaryRepresentation('invalid digit in external "numeric" value')
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    if sign in (_NUMERIC_PINF, _NUMERIC_NINF):
        return Decimal("Infinity" if sign == _NUMERIC_PINF else "-Infinity")
    text = "".join(f"{g:04d}" for g in groups)
    exp = 4 * (weight + 1 - ndigits)  # the exponent of the last digit
    if exp < -dscale:
        text = text[: max(0, len(text) - (-dscale - exp))]  # all of it may go: 0
        exp = -dscale
    elif exp > -dscale:
        text += "0" * (exp + dscale)
        exp = -dscale
    digits = tuple(int(c) for c in text.lstrip("0")) or (0,)
    return Decimal((1 if sign == _NUMERIC_NEG else 0, digits, exp))


# -- arrays: PostgreSQL's array_send / array_recv ----------------------------------------------


def _lower_bound(t: SqlType) -> int:
    return 0 if t.name in ("int2vector", "oidvector") else 1  # the vectors count from 0


def _array_recv(buf: _In, t: SqlType) -> list[Any]:
    elem = t.element
    assert elem is not None
    ndim, flags, elem_oid = buf.unpack(_I4), buf.unpack(_I4), buf.unpack(_U4)
    if ndim < 0:
        raise InvalidBinaryRepresentation(f"invalid number of dimensions: {ndim}")
    if ndim > T.MAX_ARRAY_DIMS:
        raise ProgramLimitExceeded(
            f"number of array dimensions ({ndim}) exceeds the maximum allowed ({T.MAX_ARRAY_DIMS})"
        )
    if flags not in (0, 1):
        raise InvalidBinaryRepresentation("invalid array flags")
    if elem_oid != elem.oid:
        found = T.BY_OID.get(elem_oid)
        raise DatatypeMismatch(
            f"binary data has array element type {elem_oid} "
            f"({found.display() if found else '???'}) instead of expected {elem.oid} "
            f"({elem.display()})"
        )
    dims = []
    for _ in range(ndim):
        size, lower = buf.unpack(_I4), buf.unpack(_I4)
        if size < 0 or lower + size - 1 > _I4_MAX:
            raise ProgramLimitExceeded("array size exceeds the maximum allowed")
        if lower != _lower_bound(t) and size:
            raise FeatureNotSupported("arrays with lower bounds other than 1 are not supported")
        dims.append(size)
    count = 1
    for size in dims:
        count *= size
    if not dims or count == 0:
        return []
    if count > len(buf.data):  # each element takes at least its 4-byte length
        raise ProtocolViolation("insufficient data left in message")
    elements: list[Any] = []
    for i in range(count):
        n = buf.unpack(_I4)
        if n == -1:
            elements.append(None)
            continue
        if n < -1 or n > len(buf.data) - buf.pos:
            raise InvalidBinaryRepresentation("insufficient data left in message")
        item = _In(buf.take(n))
        elements.append(_recv(item, elem))
        if not item.done():
            raise InvalidBinaryRepresentation(f"improper binary format in array element {i + 1}")
    return T.array_from_elements(elements, dims)


def _array_send(items: list[Any], t: SqlType) -> bytes:
    elem = t.element
    assert elem is not None
    dims = T.array_dims(items, elem)
    elements = T.array_elements(items, elem) if dims else []
    has_null = any(x is None for x in elements)
    parts = [struct.pack("!iiI", len(dims), int(has_null), elem.oid)]
    parts += [struct.pack("!ii", size, _lower_bound(t)) for size in dims]
    for x in elements:
        if x is None:
            parts.append(b"\xff\xff\xff\xff")
            continue
        data = _send(x, elem)
        parts.append(_I4.pack(len(data)))
        parts.append(data)
    return b"".join(parts)


# -- the types -------------------------------------------------------------------------------


def _int_send(s: struct.Struct, v: Any, t: SqlType) -> bytes:
    try:
        return s.pack(v)
    except struct.error:
        raise NumericValueOutOfRange(f"{t.name} out of range") from None


# range_send's flags byte
_R_EMPTY, _R_LB_INC, _R_UB_INC, _R_LB_INF, _R_UB_INF = 0x01, 0x02, 0x04, 0x08, 0x10


def _range_send(v: Any, t: SqlType) -> bytes:
    """range_send: flags, then each finite bound as a length and the subtype's send;
    multirange_send: the number of ranges, then each as a length and range_send."""
    sub = t.subtype
    assert sub is not None
    if isinstance(v, ranges.Multirange):
        out = [_I4.pack(len(v.ranges))]
        for r in v.ranges:
            one = _range_send(r, sub)
            out += [_I4.pack(len(one)), one]
        return b"".join(out)
    if v.empty:
        return bytes([_R_EMPTY])
    flags = (
        (_R_LB_INC if v.lower_inc else 0)
        | (_R_UB_INC if v.upper_inc else 0)
        | (_R_LB_INF if v.lower is None else 0)
        | (_R_UB_INF if v.upper is None else 0)
    )
    out = [bytes([flags])]
    for bound in (v.lower, v.upper):
        if bound is not None:
            one = _send(bound, sub)
            out += [_I4.pack(len(one)), one]
    return b"".join(out)


def _range_recv(buf: _In, t: SqlType) -> Any:
    sub = t.subtype
    assert sub is not None
    if t.is_multirange:
        count = buf.unpack(_I4)
        items = [_range_recv(_In(buf.take(buf.unpack(_I4))), sub) for _ in range(max(count, 0))]
        return ranges.multirange(items, T.range_step(t))
    (flags,) = buf.take(1)
    if flags & _R_EMPTY:
        return ranges.EMPTY
    values: list[Any] = []
    for inf in (_R_LB_INF, _R_UB_INF):
        if flags & inf:
            values.append(None)
            continue
        one = _In(buf.take(buf.unpack(_I4)))
        values.append(_recv(one, sub))
        if not one.done():
            raise InvalidBinaryRepresentation("incorrect binary data format")
    lower = ranges.Bound(values[0], values[0] is None, bool(flags & _R_LB_INC), True)
    upper = ranges.Bound(values[1], values[1] is None, bool(flags & _R_UB_INC), False)
    return ranges.make(lower, upper, T.range_step(t))


def _record_send(values: tuple[Any, ...], fields: tuple[tuple[str, SqlType], ...]) -> bytes:
    """record_send: the field count, then per field its type's oid and its value (length
    -1 for NULL) in that type's binary form; a ROW(...) and a composite alike. A field of a
    domain type names the domain (its attribute's atttypid), as clients check."""
    parts = [_I4.pack(len(fields))]
    for (_name, ft), x in zip(fields, values, strict=True):
        parts.append(_U4.pack(ft.domain.oid if ft.domain else ft.oid))
        if x is None:
            parts.append(b"\xff\xff\xff\xff")
            continue
        data = _send(x, ft)
        parts.append(_I4.pack(len(data)))
        parts.append(data)
    return b"".join(parts)


def _send(v: Any, t: SqlType) -> bytes:
    if t.element is not None:  # int2vector and oidvector too: they travel as arrays
        return _array_send(v, t)
    if t.subtype is not None:
        return _range_send(v, t)
    if t.fields is not None and isinstance(v, tuple) and len(v) == len(t.fields):
        return _record_send(v, t.fields)
    name = t.name
    if name == "smallint":
        return _int_send(_I2, v, t)
    if name == "integer":
        return _int_send(_I4, v, t)
    if name == "bigint":
        return _int_send(_I8, v, t)
    if name in _OID_TYPES:
        if not isinstance(v, int):  # a name that stands for the object (regclass 'pg_class')
            raise FeatureNotSupported(f"binary output of a {t.display()} given by name")
        return _int_send(_U4, v, t)
    if name == "real":
        try:
            return _F4.pack(v)
        except OverflowError:
            raise NumericValueOutOfRange("value out of range: overflow") from None
    if name == "double precision":
        return _F8.pack(v)
    if name == "boolean":
        return b"\x01" if v else b"\x00"
    if name == "bytea":
        return bytes(v)
    if name == '"char"':  # charsend: always one byte, 0 for the empty "char"
        return bytes([ord(v[0]) & 0xFF]) if v else b"\x00"  # (held as its byte's character)
    # an enum travels as its label, citext as text (citextsend)
    if name in (*_TEXT_TYPES, "json", "citext") or t.labels is not None:
        text = v if isinstance(v, str) else (T.format_value(v, t) or "")
        return encode_text(text, T.TEXT) or b""
    if name == "jsonb":
        return b"\x01" + (encode_text(T.format_jsonb(v), T.TEXT) or b"")
    if name == "uuid":
        return v.bytes  # type: ignore[no-any-return]
    if name == "date":  # days since 2000-01-01; +/-infinity the int4's extremes
        if isinstance(v, far_dates.FarDate) and v.infinite:
            return _I4.pack(v.value)
        return _I4.pack(v.toordinal() - _EPOCH_DATE)
    if name in ("timestamp without time zone", "timestamp with time zone"):
        return _I8.pack(far_dates.micros_of(v))  # since 2000-01-01; infinity: int8's extremes
    if name == "time without time zone":  # microseconds since midnight
        return _I8.pack(T.to_storage(v, t))
    if name in bit_strings.BIT_TYPES:
        return bit_strings.send(v)
    if name == "time with time zone":  # local microseconds since midnight, seconds west
        return _TIMETZ.pack(timetz.local_micros(v), timetz.west_seconds(v))
    if name in ("inet", "cidr"):  # family (2: AF_INET, 3: AF_INET6), bits, is_cidr, length
        packed: bytes = v.address.packed
        return bytes([2 if v.address.version == 4 else 3, v.bits, v.cidr, len(packed)]) + packed
    if name == "interval":
        try:
            return _INTERVAL.pack(v.micros, v.days, v.months)
        except struct.error:
            raise DatetimeFieldOverflow("interval out of range") from None
    if name == "numeric":
        return _numeric_send(Decimal(v))
    if name == "void":  # void_send: no bytes (pg_advisory_lock($1), pg_sleep through asyncpg)
        return b""
    if name == "hstore":
        return hstore_values.send_hstore(v)
    if name == "tid":
        return tid.send(v)
    if t.category == "G":
        return geometry_binary.send(v)
    if name == "xid":
        return _U4.pack(v)
    if name == "xid8":
        return _U8.pack(v)
    if name in xids.SNAPSHOTS:
        return xids.send_snapshot(v)
    if name == "macaddr":
        return int(v).to_bytes(6)
    if name == "jsonpath":  # jsonpath_send: version 1, then the text
        return b"\x01" + (encode_text(v, T.TEXT) or b"")
    raise FeatureNotSupported(f"binary output of type {t.display()} is not supported")


def encode_binary(v: Any, t: SqlType) -> bytes | None:
    return None if v is None else _send(v, t)


def _recv(buf: _In, t: SqlType) -> Any:
    if t.element is not None:
        return _array_recv(buf, t)
    if t.subtype is not None:
        return _range_recv(buf, t)
    name = t.name
    if name == "smallint":
        return buf.unpack(_I2)
    if name == "integer":
        return buf.unpack(_I4)
    if name in _OID_TYPES:
        return buf.unpack(_U4)
    if name == "bigint":
        return buf.unpack(_I8)
    if name == "real":
        return buf.unpack(_F4)
    if name == "double precision":
        return buf.unpack(_F8)
    if name == "boolean":
        return buf.take(1) != b"\x00"
    if name == "bytea":
        return buf.rest()
    if name in _TEXT_TYPES:
        return utf8(buf.rest())
    if name == "citext":  # citextrecv: textrecv
        return T.parse_text(utf8(buf.rest()), t)
    if t.labels is not None:  # an enum travels as its label (enum_recv)
        return T.parse_text(utf8(buf.rest()), t)
    if name == '"char"':
        (c,) = buf.take(1)
        return chr(c) if c else ""  # held as its byte's character (sql.types.parse_char)
    if name == "json":
        text = utf8(buf.rest())
        T.parse_json(text, jsonb=False)
        return text
    if name == "jsonb":
        version = buf.take(1)[0]
        if version != 1:
            raise InvalidBinaryRepresentation(f"unsupported jsonb version number {version}")
        return T.jsonb_value(T.parse_json(utf8(buf.rest()), jsonb=True))
    if name == "uuid":
        return uuid.UUID(bytes=buf.take(16))
    if name == "date":
        days = buf.unpack(_I4)
        if days in (_I4_MIN, _I4_MAX):
            return far_dates.FarDate(days)
        return far_dates.date_of(days + _EPOCH_DATE)
    if name in ("timestamp without time zone", "timestamp with time zone"):
        micros = buf.unpack(_I8)
        return far_dates.timestamp_of(micros, name == "timestamp with time zone")
    if name in ("inet", "cidr"):
        family, bits, _, size = buf.take(4)
        if (family, size) not in ((2, 4), (3, 16)):
            raise InvalidBinaryRepresentation(f"invalid address family in external {name} value")
        raw = buf.take(size)
        text = str(ipaddress.ip_address(raw)) + f"/{bits}"
        return T.parse_text(text, t)
    if name in bit_strings.BIT_TYPES:
        n = buf.unpack(_I4)
        return bit_strings.fit(bit_strings.recv(n, buf.rest()), name, t.length, explicit=False)
    if name == "time with time zone":
        micros, west = buf.unpack(_TIMETZ)
        return timetz.make(micros, west)
    if name == "time without time zone":
        micros = buf.unpack(_I8)
        if not 0 <= micros < 86_400_000_000:
            raise DatetimeFieldOverflow("time out of range")
        return T.from_storage(micros, t)
    if name == "interval":
        micros, days, months = buf.unpack(_INTERVAL)
        return Interval(months, days, micros)
    if name == "numeric":
        return _numeric_recv(buf)
    if name == "hstore":
        return hstore_values.recv_hstore(buf.rest())
    if name == "tid":
        return tid.recv(buf.take(tid.BINARY.size))
    if t.category == "G":
        return geometry_binary.recv(buf, name)
    if name == "xid":
        return buf.unpack(_U4)
    if name == "xid8":
        return buf.unpack(_U8)
    if name in xids.SNAPSHOTS:
        return xids.recv_snapshot(buf)
    if name == "macaddr":
        return int.from_bytes(buf.take(6))
    if name == "jsonpath":
        version = buf.take(1)[0]
        if version != 1:
            raise InternalError(f"unsupported jsonpath version number: {version}")
        return T.parse_text(utf8(buf.rest()), t)
    if t.fields is not None:
        return _record_recv(buf, t)
    raise FeatureNotSupported(f"binary input of type {t.display()} is not supported")


def _record_recv(buf: _In, t: SqlType) -> tuple[Any, ...]:
    """record_recv of a named composite: the field count, then each field's oid and value."""
    fields = t.fields or ()
    if t.name == "record":
        raise FeatureNotSupported("input of anonymous composite types is not implemented")
    n = buf.unpack(_I4)
    if n != len(fields):
        raise DatatypeMismatch(f"wrong number of columns: {n}, expected {len(fields)}")
    values: list[Any] = []
    for i, (_, ft) in enumerate(fields, 1):
        oid, size = buf.unpack(_I4), buf.unpack(_I4)
        expected = ft.domain.oid if ft.domain else ft.oid
        if oid != expected:
            raise DatatypeMismatch(
                f"binary data has type {oid} instead of expected {expected} in record column {i}"
            )
        if size == -1:
            values.append(None)
            continue
        inner = _In(buf.take(size))
        values.append(_recv(inner, ft))
        if not inner.done():
            raise InvalidBinaryRepresentation(
                f"improper binary format in record column {i}"
            )  # fmt: skip
    return tuple(values)


_FIXED = {"smallint": _I2, "integer": _I4, "bigint": _I8, "real": _F4, "double precision": _F8}
_FIXED.update(dict.fromkeys(_OID_TYPES, _U4))


def decode_binary(raw: bytes, t: SqlType, param: int = 1) -> Any:
    """The value of bind parameter number ``param`` sent in binary as type ``t``."""
    fixed = _FIXED.get(t.name)
    if fixed is not None and len(raw) == fixed.size:  # the common case, without a reader
        return fixed.unpack(raw)[0]
    buf = _In(raw)
    value = _recv(buf, t)
    if not buf.done():
        raise InvalidBinaryRepresentation(
            f"incorrect binary data format in bind parameter {param}"
        )  # fmt: skip
    return value
