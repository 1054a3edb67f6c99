"""PostgreSQL protocol 3.0 messages: frontend messages decoded from bytes, backend messages
encoded to bytes. No sockets here: the connection module feeds bytes in and writes bytes out.

Every decoder checks lengths and terminators and raises ``ProtocolViolation`` (08P01) on
malformed input, so a broken or hostile client can only ever end its own connection.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from kv.errors import Db9Error
from sql.encodings import CLIENT_CODEC

PROTOCOL_3 = 196608  # 3.0
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_MESSAGE = 64 << 20  # the largest message we accept (a COPY chunk, a big bind)

_I16 = struct.Struct("!h")
_U16 = struct.Struct("!H")
_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")


class ProtocolViolation(Db9Error):
    """A message the server cannot act on (08P01). The stream is still in step: the
    message is answered with an ERROR and the session goes on, as in PostgreSQL."""

    sqlstate = "08P01"


class FramingError(ProtocolViolation):
    """The stream of messages itself is broken (a bad length or type byte): nothing after
    it can be read, so the connection ends with FATAL."""


# -- frontend messages ---------------------------------------------------------------------


@dataclass(slots=True)
class Startup:
    params: dict[str, str]


@dataclass(slots=True)
class SSLRequest:
    pass


@dataclass(slots=True)
class GSSENCRequest:
    pass


@dataclass(slots=True)
class CancelRequest:
    pid: int
    secret: int


@dataclass(slots=True)
class Query:
    sql: str


@dataclass(slots=True)
class Parse:
    name: str
    sql: str
    param_oids: list[int]


@dataclass(slots=True)
class Bind:
    portal: str
    statement: str
    param_formats: list[int]
    params: list[bytes | None]
    result_formats: list[int]


@dataclass(slots=True)
class Describe:
    kind: str  # "S" statement or "P" portal
    name: str


@dataclass(slots=True)
class Execute:
    portal: str
    max_rows: int


@dataclass(slots=True)
class Close:
    kind: str
    name: str


@dataclass(slots=True)
class Sync:
    pass


@dataclass(slots=True)
class Flush:
    pass


@dataclass(slots=True)
class Terminate:
    pass


@dataclass(slots=True)
class FunctionCall:
    """'F': the fast-path function call, which db9 does not offer."""

    body: bytes


@dataclass(slots=True)
class PasswordData:
    """'p' messages: a password, or a SASL initial/continuation response (by auth state)."""

    data: bytes


@dataclass(slots=True)
class CopyData:
    data: bytes


@dataclass(slots=True)
class CopyDone:
    pass


@dataclass(slots=True)
class CopyFail:
    message: str


Frontend = (
    Query | Parse | Bind | Describe | Execute | Close | Sync | Flush | Terminate
    | PasswordData | CopyData | CopyDone | CopyFail | FunctionCall
)  # fmt: skip


class Reader:
    """Reads fields from one message body, raising ProtocolViolation past its end."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pos = 0

    def int16(self) -> int:
        if self.pos + 2 > len(self.body):
            raise ProtocolViolation("insufficient data left in message")
        (v,) = _I16.unpack_from(self.body, self.pos)
        self.pos += 2
        return int(v)

    def int32(self) -> int:
        if self.pos + 4 > len(self.body):
            raise ProtocolViolation("insufficient data left in message")
        (v,) = _I32.unpack_from(self.body, self.pos)
        self.pos += 4
        return int(v)

    def cstring(self) -> str:
        end = self.body.find(b"\x00", self.pos)
        if end < 0:
            raise ProtocolViolation("invalid string in message")
        raw = self.body[self.pos : end]
        self.pos = end + 1
        try:
            return raw.decode(CLIENT_CODEC.get())
        except UnicodeDecodeError:
            raise ProtocolViolation("invalid UTF-8 in message") from None

    def bytes_(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.body):
            raise ProtocolViolation("insufficient data left in message")
        raw = self.body[self.pos : self.pos + n]
        self.pos += n
        return raw

    def rest(self) -> bytes:
        raw = self.body[self.pos :]
        self.pos = len(self.body)
        return raw

    def done(self) -> None:
        if self.pos != len(self.body):
            raise ProtocolViolation("invalid message format")


def decode_startup(body: bytes) -> Startup | SSLRequest | GSSENCRequest | CancelRequest:
    """The first message of a connection (no type byte): body after the length word."""
    r = Reader(body)
    code = r.int32()
    if code == SSL_REQUEST:
        r.done()
        return SSLRequest()
    if code == GSSENC_REQUEST:
        r.done()
        return GSSENCRequest()
    if code == CANCEL_REQUEST:
        pid, secret = r.int32(), r.int32()
        r.done()
        return CancelRequest(pid, secret)
    if code != PROTOCOL_3:
        raise ProtocolViolation(
            f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: server supports 3.0"
        )
    params: dict[str, str] = {}
    while True:
        key = r.cstring()
        if not key:
            break
        params[key] = r.cstring()
    r.done()
    return Startup(params)


def _cstring_at(body: bytes, pos: int) -> tuple[str, int]:
    end = body.find(b"\x00", pos)
    if end < 0:
        raise ProtocolViolation("invalid string in message")
    try:
        return body[pos:end].decode(CLIENT_CODEC.get()), end + 1
    except UnicodeDecodeError:
        raise ProtocolViolation("invalid UTF-8 in message") from None


def decode_bind(body: bytes) -> Bind:
    """Bind is parsed with offsets rather than a Reader: it comes with every execution."""
    portal, pos = _cstring_at(body, 0)
    statement, pos = _cstring_at(body, pos)
    size = len(body)
    try:
        (nf,) = _I16.unpack_from(body, pos)
        if nf < 0:
            raise ProtocolViolation("negative count in Bind")
        formats = list(struct.unpack_from(f"!{nf}h", body, pos + 2))
        pos += 2 + 2 * nf
        (np_,) = _I16.unpack_from(body, pos)
        if np_ < 0:
            raise ProtocolViolation("negative count in Bind")
        pos += 2
        params: list[bytes | None] = []
        for _ in range(np_):
            (n,) = _I32.unpack_from(body, pos)
            pos += 4
            if n == -1:
                params.append(None)
                continue
            if n < 0 or pos + n > size:
                raise ProtocolViolation("insufficient data left in message")
            params.append(body[pos : pos + n])
            pos += n
        (nr,) = _I16.unpack_from(body, pos)
        if nr < 0:
            raise ProtocolViolation("negative count in Bind")
        result_formats = list(struct.unpack_from(f"!{nr}h", body, pos + 2))
        pos += 2 + 2 * nr
    except struct.error:
        raise ProtocolViolation("insufficient data left in message") from None
    if pos != size:
        raise ProtocolViolation("invalid message format")
    return Bind(portal, statement, formats, params, result_formats)


def decode(kind: bytes, body: bytes) -> Frontend:
    """A typed frontend message from its type byte and body."""
    if kind == b"B":
        return decode_bind(body)
    r = Reader(body)
    msg: Frontend
    if kind == b"Q":
        msg = Query(r.cstring())
    elif kind == b"P":
        name, sql = r.cstring(), r.cstring()
        n = r.int16()
        if n < 0:
            raise ProtocolViolation("negative parameter count")
        msg = Parse(name, sql, [r.int32() for _ in range(n)])
    elif kind == b"D":
        which = r.bytes_(1).decode("latin-1")
        if which not in ("S", "P"):
            raise ProtocolViolation(f"invalid Describe kind {which!r}")
        msg = Describe(which, r.cstring())
    elif kind == b"E":
        msg = Execute(r.cstring(), r.int32())
    elif kind == b"C":
        which = r.bytes_(1).decode("latin-1")
        if which not in ("S", "P"):
            raise ProtocolViolation(f"invalid Close kind {which!r}")
        msg = Close(which, r.cstring())
    elif kind == b"S":
        msg = Sync()
    elif kind == b"H":
        msg = Flush()
    elif kind == b"X":
        msg = Terminate()
    elif kind == b"p":
        msg = PasswordData(r.rest())
    elif kind == b"d":
        msg = CopyData(r.rest())
    elif kind == b"c":
        msg = CopyDone()
    elif kind == b"f":
        msg = CopyFail(r.cstring())
    elif kind == b"F":
        msg = FunctionCall(r.rest())
    else:
        raise FramingError(f"invalid frontend message type {kind[0] if kind else 0}")
    r.done()
    return msg


# -- backend messages ----------------------------------------------------------------------


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + _I32.pack(len(body) + 4) + body


def _cstr(s: str) -> bytes:
    return s.encode(CLIENT_CODEC.get(), "replace").replace(b"\x00", b"") + b"\x00"


def auth_ok() -> bytes:
    return _msg(b"R", _I32.pack(0))


def auth_cleartext() -> bytes:
    return _msg(b"R", _I32.pack(3))


def auth_sasl(mechanisms: Sequence[str]) -> bytes:
    return _msg(b"R", _I32.pack(10) + b"".join(_cstr(m) for m in mechanisms) + b"\x00")


def auth_sasl_continue(data: bytes) -> bytes:
    return _msg(b"R", _I32.pack(11) + data)


def auth_sasl_final(data: bytes) -> bytes:
    return _msg(b"R", _I32.pack(12) + data)


def parameter_status(name: str, value: str) -> bytes:
    return _msg(b"S", _cstr(name) + _cstr(value))


def notification_response(pid: int, channel: str, payload: str) -> bytes:
    """NotificationResponse ('A'): a NOTIFY on a channel the session listens on."""
    return _msg(b"A", _I32.pack(pid) + _cstr(channel) + _cstr(payload))


def backend_key_data(pid: int, secret: int) -> bytes:
    return _msg(b"K", _I32.pack(pid) + _I32.pack(secret))


_READY = {s: b"Z\x00\x00\x00\x05" + s.encode() for s in "ITE"}


def ready_for_query(status: str) -> bytes:
    return _READY[status]


@dataclass(slots=True)
class Field:
    name: str
    type_oid: int
    type_size: int = -1
    type_mod: int = -1
    format: int = 0
    table_oid: int = 0
    column: int = 0


def row_description(fields: Sequence[Field]) -> bytes:
    body = _I16.pack(len(fields)) + b"".join(
        _cstr(f.name) + struct.pack("!ihihih", f.table_oid, f.column, f.type_oid, f.type_size,
                                    f.type_mod, f.format)
        for f in fields
    )  # fmt: skip
    return _msg(b"T", body)


def data_row(values: Sequence[bytes | None]) -> bytes:
    parts = [_I16.pack(len(values))]
    for v in values:
        if v is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(_I32.pack(len(v)))
            parts.append(v)
    return _msg(b"D", b"".join(parts))


def command_complete(tag: str) -> bytes:
    return _msg(b"C", _cstr(tag))


def empty_query() -> bytes:
    return _msg(b"I", b"")


def parse_complete() -> bytes:
    return _msg(b"1", b"")


def bind_complete() -> bytes:
    return b"2\x00\x00\x00\x04"


def close_complete() -> bytes:
    return _msg(b"3", b"")


def no_data() -> bytes:
    return _msg(b"n", b"")


def portal_suspended() -> bytes:
    return _msg(b"s", b"")


def parameter_description(oids: Sequence[int]) -> bytes:
    # the count is sent as PostgreSQL's pq_sendint16 sends it: unsigned (up to 65535)
    return _msg(b"t", _U16.pack(len(oids)) + b"".join(_U32.pack(o) for o in oids))


@dataclass(slots=True)
class Notice:
    severity: str
    sqlstate: str
    message: str
    detail: str | None = None
    hint: str | None = None
    position: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    routine: str | None = None  # the R field: PostgreSQL's C function that raised it


def _notice_body(n: Notice) -> bytes:
    parts = [b"S" + _cstr(n.severity), b"V" + _cstr(n.severity), b"C" + _cstr(n.sqlstate),
             b"M" + _cstr(n.message)]  # fmt: skip
    if n.detail:
        parts.append(b"D" + _cstr(n.detail))
    if n.hint:
        parts.append(b"H" + _cstr(n.hint))
    if n.position:
        parts.append(b"P" + _cstr(str(n.position)))
    for code, value in n.fields.items():  # W (context), F and L (source file and line)
        parts.append(code.encode() + _cstr(value))
    if n.routine:
        parts.append(b"R" + _cstr(n.routine))
    return b"".join(parts) + b"\x00"


def error_response(n: Notice) -> bytes:
    return _msg(b"E", _notice_body(n))


def notice_response(n: Notice) -> bytes:
    return _msg(b"N", _notice_body(n))


def copy_in_response(columns: int, binary: bool = False) -> bytes:
    fmt = 1 if binary else 0
    return _msg(b"G", bytes([fmt]) + _I16.pack(columns) + _I16.pack(fmt) * columns)


def copy_out_response(columns: int, binary: bool = False) -> bytes:
    fmt = 1 if binary else 0
    return _msg(b"H", bytes([fmt]) + _I16.pack(columns) + _I16.pack(fmt) * columns)


def copy_data(data: bytes) -> bytes:
    return _msg(b"d", data)


def copy_done() -> bytes:
    return _msg(b"c", b"")
