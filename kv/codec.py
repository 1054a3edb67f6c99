"""Order-preserving ("memcomparable") encoding of SQL values.

The byte order of two encodings equals the order of the values, so LMDB's sorted keys give
primary-key and index order for free and a range predicate becomes a key range. Every
encoding is self-delimiting, so values concatenate into composite keys, and a descending
column is the same encoding with every byte complemented.

    None       01
    False      02            True   03
    int        04 <be64(n + 2**63)>                      (signed 64-bit only)
    float      05 <be64(bits)>  sign bit flipped; all bits flipped if negative; NaN highest
    Decimal    06 01                                      -Infinity
               06 02 <~be64(E + 2**63)> <~digits> ff     negative: complement of positive
               06 03                                      zero
               06 04 <be64(E + 2**63)> <digits> 00       positive: 0.<digits> x 10**E
               06 05                                      +Infinity
               06 06                                      NaN
    str        07 <esc(utf-8)>
    bytes      08 <esc(bytes)>
    tuple      09 <element>... 00
    esc(b) = b with 00 -> 00 ff, then 00 01   (order-preserving and prefix-free)
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal, InvalidOperation
from typing import Any

from kv.errors import Db9Error

Value = Any  # None | bool | int | float | Decimal | str | bytes | tuple[Value, ...]

T_END = 0x00
T_NULL = 0x01
T_FALSE = 0x02
T_TRUE = 0x03
T_INT = 0x04
T_FLOAT = 0x05
T_DECIMAL = 0x06
T_STR = 0x07
T_BYTES = 0x08
T_TUPLE = 0x09

D_NEG_INF, D_NEG, D_ZERO, D_POS, D_POS_INF, D_NAN = 1, 2, 3, 4, 5, 6

INT_MIN = -(1 << 63)
INT_MAX = (1 << 63) - 1
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")
_SIGN = 1 << 63
_ALL = (1 << 64) - 1
_NAN_BITS = 0x7FF8000000000000
_COMPLEMENT = bytes(255 - i for i in range(256))


class CodecError(Db9Error):
    """Bytes that are not a valid encoding, or a value that cannot be encoded."""

    sqlstate = "22P03"  # invalid_binary_representation


class NumericOutOfRange(CodecError):
    sqlstate = "22003"  # numeric_value_out_of_range


def escape_bytes(b: bytes) -> bytes:
    return b.replace(b"\x00", b"\x00\xff") + b"\x00\x01"


def unescape_bytes(data: bytes, offset: int = 0) -> tuple[bytes, int]:
    """The bytes escaped at ``offset`` and the offset just past their terminator."""
    end = data.find(b"\x00\x01", offset)
    if end < 0:
        raise CodecError("unterminated escaped bytes")
    body = data[offset:end]
    if body.count(b"\x00") != body.count(b"\x00\xff"):
        raise CodecError("invalid escape in encoded bytes")
    return body.replace(b"\x00\xff", b"\x00"), end + 2


# -- encoding -------------------------------------------------------------------------------


def _encode_decimal(d: Decimal) -> bytes:
    if d.is_nan():
        return bytes([T_DECIMAL, D_NAN])
    if d.is_infinite():
        return bytes([T_DECIMAL, D_NEG_INF if d < 0 else D_POS_INF])
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    n = len(digits)
    while n and digits[n - 1] == 0:  # strip trailing zeros without rounding
        n -= 1
        exp += 1
    if n == 0:
        return bytes([T_DECIMAL, D_ZERO])
    start = 0
    while digits[start] == 0:
        start += 1
    body = bytes(0x30 + x for x in digits[start:n])
    magnitude = _U64.pack((len(body) + exp + _SIGN) & _ALL) + body + b"\x00"
    if sign:
        return bytes([T_DECIMAL, D_NEG]) + magnitude.translate(_COMPLEMENT)
    return bytes([T_DECIMAL, D_POS]) + magnitude


def _encode(v: Value, out: list[bytes]) -> None:
    if v is None:
        out.append(b"\x01")
    elif v is True:
        out.append(b"\x03")
    elif v is False:
        out.append(b"\x02")
    elif isinstance(v, int):
        if not INT_MIN <= v <= INT_MAX:
            raise NumericOutOfRange(f"integer {v} is out of range for a 64-bit key")
        out.append(b"\x04" + _U64.pack(v + _SIGN))
    elif isinstance(v, float):
        if math.isnan(v):
            bits = _NAN_BITS | _SIGN
        else:
            bits = _U64.unpack(_F64.pack(v + 0.0))[0]  # + 0.0 turns -0.0 into 0.0
            bits = bits ^ _ALL if bits & _SIGN else bits | _SIGN
        out.append(b"\x05" + _U64.pack(bits))
    elif isinstance(v, str):
        out.append(b"\x07" + escape_bytes(v.encode("utf-8", "surrogatepass")))
    elif isinstance(v, bytes | bytearray | memoryview):
        out.append(b"\x08" + escape_bytes(bytes(v)))
    elif isinstance(v, Decimal):
        out.append(_encode_decimal(v))
    elif isinstance(v, tuple):
        out.append(b"\x09")
        for item in v:
            _encode(item, out)
        out.append(b"\x00")
    else:
        raise CodecError(f"cannot encode a value of type {type(v).__name__}")


def encode(value: Value, *, descending: bool = False) -> bytes:
    out: list[bytes] = []
    _encode(value, out)
    data = b"".join(out)
    return data.translate(_COMPLEMENT) if descending else data


def encode_fast(v: Value) -> bytes:
    """``encode(v)``, with the commonest kinds (NULL, int, str) tried first: a bulk writer's
    per-value encoder."""
    if v is None:
        return b"\x01"
    cls = v.__class__
    if cls is int and INT_MIN <= v <= INT_MAX:
        return b"\x04" + _U64.pack(v + _SIGN)
    if cls is str:
        raw: bytes = v.encode("utf-8", "surrogatepass")
        if b"\x00" in raw:
            raw = raw.replace(b"\x00", b"\x00\xff")
        return b"\x07" + raw + b"\x00\x01"
    return encode(v)


def encode_key(*values: Value) -> bytes:
    """Concatenated encodings: a composite key ordered like the tuple ``values``."""
    out: list[bytes] = []
    for v in values:
        _encode(v, out)
    return b"".join(out)


# -- decoding -------------------------------------------------------------------------------


def _decode_decimal(data: bytes, off: int) -> tuple[Decimal, int]:
    if off >= len(data):
        raise CodecError("truncated decimal")
    sub = data[off]
    off += 1
    if sub == D_ZERO:
        return Decimal(0), off
    if sub == D_NAN:
        return Decimal("NaN"), off
    if sub == D_POS_INF:
        return Decimal("Infinity"), off
    if sub == D_NEG_INF:
        return Decimal("-Infinity"), off
    if sub not in (D_POS, D_NEG):
        raise CodecError(f"invalid decimal kind {sub}")
    negative = sub == D_NEG
    term = b"\xff" if negative else b"\x00"
    end = data.find(term, off + 8)
    if end < 0 or len(data) < off + 8:
        raise CodecError("truncated decimal")
    raw = data[off : end + 1]
    if negative:
        raw = raw.translate(_COMPLEMENT)
    e = _U64.unpack_from(raw)[0] - _SIGN
    body = raw[8:-1]
    if not body or body[0] == 0x30 or body[-1] == 0x30 or not body.isdigit():
        raise CodecError("invalid decimal digits")
    digits = tuple(c - 0x30 for c in body)
    try:
        return Decimal((1 if negative else 0, digits, e - len(digits))), end + 1
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise CodecError(f"invalid decimal: {exc}") from None


def _decode(data: bytes, off: int, depth: int = 0) -> tuple[Value, int]:
    if off >= len(data):
        raise CodecError("truncated value")
    tag = data[off]
    off += 1
    if tag in (T_INT, T_FLOAT):
        if off + 8 > len(data):
            raise CodecError("truncated number")
        bits = _U64.unpack_from(data, off)[0]
        if tag == T_INT:
            return bits - _SIGN, off + 8
        bits = bits ^ _SIGN if bits & _SIGN else bits ^ _ALL
        return _F64.unpack(_U64.pack(bits))[0], off + 8
    if tag == T_STR:
        raw, off = unescape_bytes(data, off)
        try:
            return raw.decode("utf-8", "surrogatepass"), off
        except UnicodeDecodeError:
            raise CodecError("invalid UTF-8 in encoded text") from None
    if tag == T_BYTES:
        return unescape_bytes(data, off)
    if tag == T_NULL:
        return None, off
    if tag == T_FALSE:
        return False, off
    if tag == T_TRUE:
        return True, off
    if tag == T_DECIMAL:
        return _decode_decimal(data, off)
    if tag == T_TUPLE:
        if depth > 64:
            raise CodecError("tuples nested too deeply")
        items: list[Value] = []
        while True:
            if off >= len(data):
                raise CodecError("unterminated tuple")
            if data[off] == T_END:
                return tuple(items), off + 1
            item, off = _decode(data, off, depth + 1)
            items.append(item)
    raise CodecError(f"invalid type tag 0x{tag:02x}")


def decode_prefix(data: bytes, offset: int = 0, *, descending: bool = False) -> tuple[Value, int]:
    """Decode one value at ``offset``; return it and the offset just after it."""
    if descending:
        value, used = _decode(data[offset:].translate(_COMPLEMENT), 0)
        return value, offset + used
    return _decode(data, offset)


def decode(data: bytes) -> Value:
    value, end = _decode(data, 0)
    if end != len(data):
        raise CodecError(f"{len(data) - end} trailing bytes after the encoded value")
    return value


def decode_tuple(data: bytes) -> tuple[Value, ...]:
    """``decode`` for an encoded tuple (a row), with its common items decoded in-line:
    a row is decoded for every row read, and a call per column is most of the cost."""
    n = len(data)
    if not n or data[0] != T_TUPLE:
        raise CodecError("not an encoded tuple")
    items: list[Value] = []
    append = items.append
    off = 1
    while True:
        if off >= n:
            raise CodecError("unterminated tuple")
        tag = data[off]
        if tag == T_END:
            if off + 1 != n:
                raise CodecError(f"{n - off - 1} trailing bytes after the encoded value")
            return tuple(items)
        if tag == T_INT and off + 9 <= n:
            append(_U64.unpack_from(data, off + 1)[0] - _SIGN)
            off += 9
        elif tag == T_NULL:
            append(None)
            off += 1
        else:
            item, off = _decode(data, off, 1)
            append(item)


def skip_value(data: bytes, off: int) -> int:
    """The offset just past the value encoded at ``off``, found without decoding it."""
    if off >= len(data):
        raise CodecError("truncated value")
    tag = data[off]
    off += 1
    if tag in (T_INT, T_FLOAT):
        end = off + 8
    elif tag in (T_STR, T_BYTES):
        end = data.find(b"\x00\x01", off) + 2
        if end < 2:
            raise CodecError("unterminated escaped bytes")
    elif tag == T_DECIMAL:
        if off >= len(data):
            raise CodecError("truncated decimal")
        sub = data[off]
        off += 1
        if sub != D_POS and sub != D_NEG:
            return off
        end = data.find(b"\xff" if sub == D_NEG else b"\x00", off + 8) + 1
        if end < 1:
            raise CodecError("truncated decimal")
    elif tag == T_TUPLE:
        while True:
            if off >= len(data):
                raise CodecError("unterminated tuple")
            if data[off] == T_END:
                return off + 1
            off = skip_value(data, off)
    elif T_NULL <= tag <= T_TRUE:
        return off
    else:
        raise CodecError(f"invalid type tag 0x{tag:02x}")
    if end > len(data):
        raise CodecError("truncated value")
    return end


def decode_key(data: bytes, offset: int = 0) -> tuple[Value, ...]:
    items: list[Value] = []
    while offset < len(data):
        item, offset = _decode(data, offset)
        items.append(item)
    return tuple(items)
