"""SQL types: their OIDs, how values are checked on assignment, cast, printed as PostgreSQL
prints them, and turned into codec values for storage and keys.

Values at run time are plain Python objects: int, float, Decimal, bool, str, bytes,
datetime.date / datetime.datetime, Interval, uuid.UUID, JSON (parsed for jsonb, text for
json) and lists for arrays. The static type of every expression is known at plan time, so a
value never has to carry its type.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import string
import struct
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sql import (
    array_bounds,
    bits,
    far_dates,
    geometry,
    hstore_values,
    inet,
    isn,
    jsonpath,
    macaddr,
    ranges,
    tid,
    timetz,
    ts_config,
    ts_values,
    xids,
    zones,
)
from sql.citext_values import CiText
from sql.errors import (
    ArraySubscriptError,
    DatetimeFieldOverflow,
    FeatureNotSupported,
    InvalidDatetimeFormat,
    InvalidParameterValue,
    InvalidTextRepresentation,
    NumericValueOutOfRange,
    ProgramLimitExceeded,
    StatementTooComplex,
    StringDataRightTruncation,
    UntranslatableCharacter,
)
from sql.float_text import format_float, neighbours
from sql.numeric import EXACT


@dataclass(frozen=True)
class SqlType:
    name: str  # as PostgreSQL's format_type prints it, without modifiers
    oid: int
    array_oid: int = 0
    typlen: int = -1
    category: str = "U"  # pg_type.typcategory: N numeric, S string, B bool, D datetime, ...
    length: int | None = None  # varchar(n), char(n)
    precision: int | None = None  # numeric(p, s)
    scale: int | None = None
    element: SqlType | None = None  # for arrays
    labels: tuple[str, ...] | None = None  # an enum's labels, in their order
    fields: tuple[tuple[str, SqlType], ...] | None = None  # a composite type's fields
    # Where each field sits in a stored value of a composite type that has lost attributes
    # (ALTER TYPE ... DROP ATTRIBUTE): its attnum - 1, dropped slots stored as NULL; None
    # when the fields are the stored tuple's leading items in order. A stored tuple shorter
    # than a field's slot was written before ADD ATTRIBUTE added it: the field reads NULL.
    slots: tuple[int, ...] | None = field(default=None, compare=False)
    # A domain over this type: its checks travel with the base type, which every operation
    # sees (a domain compares equal to its base type, as PostgreSQL operates on the base).
    domain: Domain | None = field(default=None, compare=False)
    # A range type's subtype (int4range: integer); a multirange type's range type.
    subtype: SqlType | None = None

    @property
    def is_range(self) -> bool:
        return self.subtype is not None and self.subtype.subtype is None

    @property
    def is_multirange(self) -> bool:
        return self.subtype is not None and self.subtype.subtype is not None

    @property
    def typname(self) -> str:
        """pg_type.typname: the short internal name (int4, varchar, timestamptz...)."""
        if self.domain is not None:
            return self.domain.name
        if self.name in ("int2vector", "oidvector"):
            return self.name
        if self.element is not None:
            return "_" + self.element.typname
        return _TYPNAMES.get(self.name, self.name)

    @property
    def is_array(self) -> bool:
        return self.element is not None

    def display(self) -> str:
        """The type as format_type() shows it, e.g. ``character varying(20)``."""
        if self.domain is not None:
            return self.domain.name
        if self.element is not None:
            return self.element.display() + "[]"
        if self.length is not None:
            return f"{self.name}({self.length})"
        if self.precision is not None and self.category == "D":  # timestamp(3) with time zone
            first, _, rest = self.name.partition(" ")
            return f"{first}({self.precision}) {rest}".rstrip()
        if self.precision is not None:
            return f"{self.name}({self.precision},{self.scale or 0})"
        return self.name

    @property
    def typmod(self) -> int:
        """The type modifier (pg_attribute.atttypmod, RowDescription): varchar(n)/char(n) n + 4,
        numeric(p,s) (p << 16 | s) + 4, bit(n) n; an array its element's; -1 for none."""
        t = self.element if self.element is not None else self
        if t.length is not None:
            return t.length + (0 if t.category == "V" else 4)
        if t.precision is not None and t.category == "D":  # time(p), timestamp(p): p
            return t.precision
        if t.precision is not None:
            return ((t.precision << 16) | ((t.scale or 0) & 0x7FF)) + 4
        return -1

    def array_of(self) -> SqlType:
        """The array type of this type; an array type is its own (int[][] is int[]: the
        number of dimensions belongs to a value, as in PostgreSQL)."""
        if self.element is not None and self.name.endswith("[]"):
            return self
        return SqlType(self.name + "[]", self.array_oid, 0, -1, "A", element=self)


@dataclass(frozen=True)
class Domain:
    """CREATE DOMAIN's name and constraints: NOT NULL, and CHECK expressions over VALUE (SQL)."""

    name: str
    oid: int
    not_null: bool = False
    checks: tuple[tuple[str, str], ...] = ()  # (constraint name, expression)
    default: str | None = None  # DEFAULT, as SQL: a column of the domain's default


class EnumLabel(str):
    """An enum value: its label, ordered by the label's position in the type."""

    __slots__ = ("rank",)
    rank: int

    def __new__(cls, label: str, rank: int) -> EnumLabel:
        v = super().__new__(cls, label)
        v.rank = rank
        return v

    def _rank_of(self, other: object) -> int | None:
        return other.rank if isinstance(other, EnumLabel) else None

    def __lt__(self, other: object) -> bool:
        r = self._rank_of(other)
        return self.rank < r if r is not None else str.__lt__(self, other)  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        r = self._rank_of(other)
        return self.rank <= r if r is not None else str.__le__(self, other)  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        r = self._rank_of(other)
        return self.rank > r if r is not None else str.__gt__(self, other)  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        r = self._rank_of(other)
        return self.rank >= r if r is not None else str.__ge__(self, other)  # type: ignore[operator]

    __hash__ = str.__hash__
    __eq__ = str.__eq__

    def __reduce__(self) -> tuple[Any, ...]:
        return (EnumLabel, (str(self), self.rank))


@dataclass(frozen=True)
class OutputStyle:
    """The settings that change how values print: extra_float_digits (1 or more: the
    shortest exact text; 0 and below: 15 + it significant digits, 6 + it for real) and
    bytea_output (escape: printable ASCII as is, other bytes as \\ooo); and TimeZone, the
    zone timestamptz values print in and local times without an offset are read in."""

    extra_float_digits: int = 1
    bytea_escape: bool = False
    timezone: str = "UTC"
    isn_weak: bool = False  # isn.weak: isn's input takes a wrong check digit (flagged)

    @property
    def zone(self) -> dt.tzinfo:
        return zones.zone(self.timezone)


DEFAULT_OUTPUT = OutputStyle()
# The running session's output settings (set by the session while a statement runs and by
# pgwire while it writes rows).
OUTPUT_STYLE: ContextVar[OutputStyle] = ContextVar("OUTPUT_STYLE", default=DEFAULT_OUTPUT)


def output_style(settings: dict[str, str]) -> OutputStyle:
    """The OutputStyle of a session's settings (22023 was raised when they were SET)."""
    try:
        efd = int(settings.get("extra_float_digits", "1"))
    except ValueError:
        efd = 1
    escape = settings.get("bytea_output", "hex").lower() == "escape"
    tz = settings.get("timezone", "UTC")
    weak = settings.get("isn.weak", "off").lower() in ("on", "true", "1", "yes")
    if efd >= 1 and not escape and tz == "UTC" and not weak:
        return DEFAULT_OUTPUT
    return OutputStyle(efd, escape, tz, weak)


def session_zone() -> dt.tzinfo:
    """The running session's TimeZone."""
    return OUTPUT_STYLE.get().zone


def _bytea_escape(v: bytes) -> str:
    return "".join("\\\\" if b == 0x5C else chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}" for b in v)


def _float_text(v: float, single: bool) -> str:
    efd = OUTPUT_STYLE.get().extra_float_digits
    if efd >= 1 or not math.isfinite(v):
        return format_float(v, single)
    digits = max((6 if single else 15) + efd, 1)
    text = f"{v:.{digits}g}"
    return "-0" if text == "-0" else text


# User-defined types (CREATE TYPE / CREATE DOMAIN) by name, as the running statement's
# catalog and search path resolve them (set by the session around planning and DDL).
USER_TYPES: ContextVar[Callable[[str], SqlType | None] | None] = ContextVar(
    "USER_TYPES", default=None
)


def record_key(v: tuple[Any, ...], t: SqlType) -> tuple[Any, ...]:
    """A composite value as a key that orders as btree's record comparison: field by
    field, a NULL field above every value and equal to another NULL."""
    return tuple(
        (1,) if x is None else (0, record_key(x, ft) if ft.fields is not None else x)
        for x, (_, ft) in zip(v, t.fields or (), strict=True)
    )


def has_btree(t: SqlType) -> bool:
    """Whether the type has btree ordering and equality (ORDER BY, DISTINCT): the geometric
    types and json have none, nor arrays or composites of them."""
    if t.element is not None:
        return has_btree(t.element)
    if t.fields is not None:
        return all(has_btree(f) for _, f in t.fields)
    return t.category != "G" and t.name not in _NO_BTREE


_NO_BTREE = frozenset(("json", "xid", "pg_snapshot", "txid_snapshot", "jsonpath"))
# Base types with btree equality but no hash opclass: grouping them must sort.
_UNHASHABLE = frozenset(("money", "bit", "bit varying", "tsvector", "tsquery", "record"))


def has_hash(t: SqlType) -> bool:
    """Whether PostgreSQL can hash the type for grouping (HashAggregate, HashSetOp): not
    money, bit strings, text search types, nor an anonymous record (its typcache does not
    report it hashable); an array or a named composite as its elements or fields are."""
    if t.element is not None:
        return has_hash(t.element)
    if t.name == "record":
        return False
    if t.fields is not None:
        return all(has_hash(f) for _, f in t.fields)
    return has_btree(t) and t.name not in _UNHASHABLE


def type_to_json(t: SqlType) -> dict[str, Any]:
    """A type as JSON, to keep in the catalog with a column of a user-defined type."""
    d: dict[str, Any] = {k: v for k, v in vars(t).items() if v is not None}
    if t.element is not None:
        d["element"] = type_to_json(t.element)
    if t.fields is not None:
        d["fields"] = [[n, type_to_json(f)] for n, f in t.fields]
    if t.domain is not None:
        d["domain"] = {**vars(t.domain), "checks": [list(c) for c in t.domain.checks]}
    if t.subtype is not None:
        d["subtype"] = type_to_json(t.subtype)
    return d


def type_from_json(d: dict[str, Any]) -> SqlType:
    d = dict(d)
    if "element" in d:
        d["element"] = type_from_json(d["element"])
    if "subtype" in d:
        d["subtype"] = type_from_json(d["subtype"])
    if "fields" in d:
        d["fields"] = tuple((n, type_from_json(f)) for n, f in d["fields"])
    if "labels" in d:
        d["labels"] = tuple(d["labels"])
    if "slots" in d:
        d["slots"] = tuple(d["slots"])
    if "domain" in d:
        dom = dict(d["domain"])
        dom["checks"] = tuple(tuple(c) for c in dom["checks"])
        d["domain"] = Domain(**dom)
    return SqlType(**d)


_TYPNAMES = {
    "smallint": "int2",
    "integer": "int4",
    "bigint": "int8",
    "real": "float4",
    "double precision": "float8",
    "boolean": "bool",
    "character varying": "varchar",
    "character": "bpchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "bit varying": "varbit",
    '"char"': "char",
}

INT2 = SqlType("smallint", 21, 1005, 2, "N")
INT4 = SqlType("integer", 23, 1007, 4, "N")
INT8 = SqlType("bigint", 20, 1016, 8, "N")
FLOAT4 = SqlType("real", 700, 1021, 4, "N")
FLOAT8 = SqlType("double precision", 701, 1022, 8, "N")
NUMERIC = SqlType("numeric", 1700, 1231, -1, "N")
BOOL = SqlType("boolean", 16, 1000, 1, "B")
TEXT = SqlType("text", 25, 1009, -1, "S")
VARCHAR = SqlType("character varying", 1043, 1015, -1, "S")
BPCHAR = SqlType("character", 1042, 1014, -1, "S")
NAME = SqlType("name", 19, 1003, 64, "S")
BYTEA = SqlType("bytea", 17, 1001, -1, "U")
DATE = SqlType("date", 1082, 1182, 4, "D")
TIMESTAMP = SqlType("timestamp without time zone", 1114, 1115, 8, "D")
TIMESTAMPTZ = SqlType("timestamp with time zone", 1184, 1185, 8, "D")
TIME = SqlType("time without time zone", 1083, 1183, 8, "D")  # a dt.time, no time zone
TIMETZ = SqlType("time with time zone", 1266, 1270, 12, "D")  # a timetz.TimeTz
BIT = SqlType("bit", 1560, 1561, -1, "V")  # a str of 0s and 1s (sql.bits)
VARBIT = SqlType("bit varying", 1562, 1563, -1, "V")
INET = SqlType("inet", 869, 1041, -1, "I")  # an inet.Inet
CIDR = SqlType("cidr", 650, 651, -1, "I")
INTERVAL = SqlType("interval", 1186, 1187, 16, "T")
UUID = SqlType("uuid", 2950, 2951, 16, "U")
JSON = SqlType("json", 114, 199, -1, "U")
JSONB = SqlType("jsonb", 3802, 3807, -1, "U")
OID = SqlType("oid", 26, 1028, 4, "N")
REGCLASS = SqlType("regclass", 2205, 2210, 4, "N")


class RegclassName(str):
    """A regclass value that knows its relation's oid: db9's regclass values are relation
    names, and PostgreSQL orders regclass values by oid, so two of these compare by oid
    (equality stays the name's)."""

    oid: int

    def __new__(cls, name: str, oid: int) -> RegclassName:
        value = super().__new__(cls, name)
        value.oid = oid
        return value

    def __lt__(self, other: str) -> bool:
        return self.oid < other.oid if isinstance(other, RegclassName) else str.__lt__(self, other)

    def __gt__(self, other: str) -> bool:
        return self.oid > other.oid if isinstance(other, RegclassName) else str.__gt__(self, other)

    def __le__(self, other: str) -> bool:
        return self.oid <= other.oid if isinstance(other, RegclassName) else str.__le__(self, other)

    def __ge__(self, other: str) -> bool:
        return self.oid >= other.oid if isinstance(other, RegclassName) else str.__ge__(self, other)

    __hash__ = str.__hash__


REGTYPE = SqlType("regtype", 2206, 2211, 4, "N")
CHAR = SqlType('"char"', 18, 1002, 1, "S")
REGNAMESPACE = SqlType("regnamespace", 4089, 4090, 4, "N")
REGPROC = SqlType("regproc", 24, 1008, 4, "N")
INT2VECTOR = SqlType("int2vector", 22, 1006, -1, "A", element=INT2)
OIDVECTOR = SqlType("oidvector", 30, 1013, -1, "A", element=OID)
TID = SqlType("tid", 27, 1010, 6, "U")  # an int: block << 16 | offset (sql.tid)
XID = SqlType("xid", 28, 1011, 4, "U")  # an int (sql.xids)
XID8 = SqlType("xid8", 5069, 271, 8, "U")
PG_SNAPSHOT = SqlType("pg_snapshot", 5038, 5039, -1, "U")  # its canonical text (sql.xids)
TXID_SNAPSHOT = SqlType("txid_snapshot", 2970, 2949, -1, "U")
MACADDR = SqlType("macaddr", 829, 1040, 6, "U")  # an int of its 48 bits (sql.macaddr)
JSONPATH = SqlType("jsonpath", 4072, 4073, -1, "U")  # its canonical text (sql.jsonpath)
UNKNOWN = SqlType("unknown", 705, 0, -2, "X")  # an untyped string literal or NULL
MONEY = SqlType("money", 790, 791, 8, "N")
RECORD = SqlType("record", 2249, 2287, -1, "P")  # ROW(...): its fields are per expression
POINT = SqlType("point", 600, 1017, 16, "G")
LSEG = SqlType("lseg", 601, 1018, 32, "G")
PATH = SqlType("path", 602, 1019, -1, "G")
BOX = SqlType("box", 603, 1020, 32, "G")
POLYGON = SqlType("polygon", 604, 1027, -1, "G")
LINE = SqlType("line", 628, 629, 24, "G")
CIRCLE = SqlType("circle", 718, 719, 24, "G")
TSVECTOR = SqlType("tsvector", 3614, 3643, -1, "U")
TSQUERY = SqlType("tsquery", 3615, 3645, -1, "U")
REGCONFIG = SqlType("regconfig", 3734, 3735, 4, "U")  # held as its name
# Range and multirange types: values are ranges.Range / ranges.Multirange.
INT4RANGE = SqlType("int4range", 3904, 3905, -1, "R", subtype=INT4)
NUMRANGE = SqlType("numrange", 3906, 3907, -1, "R", subtype=NUMERIC)
TSRANGE = SqlType("tsrange", 3908, 3909, -1, "R", subtype=TIMESTAMP)
TSTZRANGE = SqlType("tstzrange", 3910, 3911, -1, "R", subtype=TIMESTAMPTZ)
DATERANGE = SqlType("daterange", 3912, 3913, -1, "R", subtype=DATE)
INT8RANGE = SqlType("int8range", 3926, 3927, -1, "R", subtype=INT8)
INT4MULTIRANGE = SqlType("int4multirange", 4451, 6150, -1, "R", subtype=INT4RANGE)
NUMMULTIRANGE = SqlType("nummultirange", 4532, 6151, -1, "R", subtype=NUMRANGE)
TSMULTIRANGE = SqlType("tsmultirange", 4533, 6152, -1, "R", subtype=TSRANGE)
TSTZMULTIRANGE = SqlType("tstzmultirange", 4534, 6153, -1, "R", subtype=TSTZRANGE)
DATEMULTIRANGE = SqlType("datemultirange", 4535, 6155, -1, "R", subtype=DATERANGE)
INT8MULTIRANGE = SqlType("int8multirange", 4536, 6157, -1, "R", subtype=INT8RANGE)
RANGES = (INT4RANGE, NUMRANGE, TSRANGE, TSTZRANGE, DATERANGE, INT8RANGE)
MULTIRANGES = (
    INT4MULTIRANGE,
    NUMMULTIRANGE,
    TSMULTIRANGE,
    TSTZMULTIRANGE,
    DATEMULTIRANGE,
    INT8MULTIRANGE,
)

SCALARS = [
    INT2,
    INT4,
    INT8,
    FLOAT4,
    FLOAT8,
    NUMERIC,
    BOOL,
    TEXT,
    VARCHAR,
    BPCHAR,
    NAME,
    BYTEA,
    DATE,
    TIMESTAMP,
    TIMESTAMPTZ,
    TIME,
    TIMETZ,
    BIT,
    VARBIT,
    INTERVAL,
    UUID,
    INET,
    CIDR,
    JSON,
    JSONB,
    OID,
    REGCLASS,
    REGTYPE,
    CHAR,
    REGNAMESPACE,
    REGPROC,
    INT2VECTOR,
    OIDVECTOR,
    MONEY,
    POINT,
    LSEG,
    PATH,
    BOX,
    POLYGON,
    LINE,
    CIRCLE,
    TSVECTOR,
    TSQUERY,
    REGCONFIG,
    TID,
    XID,
    XID8,
    PG_SNAPSHOT,
    TXID_SNAPSHOT,
    MACADDR,
    JSONPATH,
    *RANGES,
    *MULTIRANGES,
]
BY_OID: dict[int, SqlType] = {t.oid: t for t in SCALARS}
for _t in SCALARS:
    BY_OID[_t.array_oid] = _t.array_of()

INTEGER_TYPES = (INT2, INT4, INT8, OID)
_INT_RANGE = {
    "smallint": (-(1 << 15), (1 << 15) - 1),
    "integer": (-(1 << 31), (1 << 31) - 1),
    "bigint": (-(1 << 63), (1 << 63) - 1),
    "oid": (0, (1 << 32) - 1),
}
NUMERIC_RANK = {
    "oid": 3,
    "regclass": 3,
    "regtype": 3,
    "regnamespace": 3,
    "regproc": 3,
    "smallint": 1,
    "integer": 2,
    "bigint": 3,
    "numeric": 4,
    "real": 5,
    "double precision": 6,
}

_NAMES = {
    "int2": INT2,
    "smallint": INT2,
    "int": INT4,
    "int4": INT4,
    "integer": INT4,
    "int8": INT8,
    "bigint": INT8,
    "float4": FLOAT4,
    "real": FLOAT4,
    "float8": FLOAT8,
    "float": FLOAT8,
    "double precision": FLOAT8,
    "double": FLOAT8,
    "numeric": NUMERIC,
    "decimal": NUMERIC,
    "bool": BOOL,
    "boolean": BOOL,
    "text": TEXT,
    "varchar": VARCHAR,
    "character varying": VARCHAR,
    "char": BPCHAR,
    "character": BPCHAR,
    "bpchar": BPCHAR,
    "name": NAME,
    "bytea": BYTEA,
    "date": DATE,
    "timestamp": TIMESTAMP,
    "timestamp without time zone": TIMESTAMP,
    "timestamptz": TIMESTAMPTZ,
    "timestamp with time zone": TIMESTAMPTZ,
    "time": TIME,
    "time without time zone": TIME,
    "timetz": TIMETZ,
    "time with time zone": TIMETZ,
    "bit": BIT,
    "varbit": VARBIT,
    "bit varying": VARBIT,
    "interval": INTERVAL,
    "uuid": UUID,
    "inet": INET,
    "cidr": CIDR,
    "json": JSON,
    "jsonb": JSONB,
    "oid": OID,
    "regclass": REGCLASS,
    "regtype": REGTYPE,
    "regnamespace": REGNAMESPACE,
    "regproc": REGPROC,
    "int2vector": INT2VECTOR,
    "oidvector": OIDVECTOR,
    '"char"': CHAR,
    "unknown": UNKNOWN,
    "record": RECORD,
    "money": MONEY,
    **{t.name: t for t in (TID, XID, XID8, PG_SNAPSHOT, TXID_SNAPSHOT, MACADDR, JSONPATH)},
    **{t.name: t for t in (POINT, LSEG, PATH, BOX, POLYGON, LINE, CIRCLE)},
    **{t.name: t for t in (TSVECTOR, TSQUERY, REGCONFIG)},
    **{t.name: t for t in (*RANGES, *MULTIRANGES)},
}


def type_by_name(name: str) -> SqlType | None:
    name = " ".join(name.lower().split())
    if name.endswith("[]"):
        base = type_by_name(name[:-2])
        return base.array_of() if base else None
    found = _NAMES.get(name)
    if found is None:
        user = USER_TYPES.get()
        found = user(name) if user is not None else None
    if found is None and name.startswith("_"):  # an array type by its typname: _int4
        base = type_by_name(name[1:])
        return base.array_of() if base is not None and base.array_oid else None
    return found


def without_modifiers(t: SqlType) -> SqlType:
    """``t`` without its modifiers (an array's: its element's): varchar(3) -> varchar, as a
    parameter's type is (``$1::numeric(8,4)`` binds a numeric, the cast then rounds it) and
    pg_typeof names it; int2vector and oidvector stay themselves."""
    if t.element is not None:
        return without_modifiers(t.element).array_of() if t.name.endswith("[]") else t
    if t.length is None and t.precision is None and t.scale is None:
        return t
    return replace(t, length=None, precision=None, scale=None)


def with_modifiers(t: SqlType, mods: list[int]) -> SqlType:
    if t.name in ("character varying", "character", *bits.BIT_TYPES) and mods:
        return replace(t, length=mods[0])
    if t.name == "numeric" and mods:
        return replace(t, precision=mods[0], scale=mods[1] if len(mods) > 1 else 0)
    if t.name == "character" and not mods:
        return replace(t, length=1)
    if t.name in TIME_PRECISION_TYPES and mods:  # precision above 6 is 6, as PostgreSQL warns
        return replace(t, precision=max(0, min(mods[0], 6)))
    return t


TIME_PRECISION_TYPES = (
    "time without time zone",
    "time with time zone",
    "timestamp without time zone",
    "timestamp with time zone",
)


def round_time(v: Any, precision: int) -> Any:
    """A time or timestamp rounded to ``precision`` fractional digits (half away from zero,
    as AdjustTimestampForTypmod)."""
    if not isinstance(v, dt.time | dt.datetime):
        return v  # NULL, +/-infinity, a far_dates value (whole seconds beyond here)
    unit = 10 ** (6 - precision)
    micros = (v.microsecond + unit // 2) // unit * unit
    if micros < 1_000_000:
        return v.replace(microsecond=micros)
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0) + dt.timedelta(seconds=1)
    carried = dt.datetime.combine(dt.date(2000, 1, 1), v.replace(microsecond=0))
    later = carried + dt.timedelta(seconds=1)
    if later.date() != carried.date():  # 23:59:59.9999995: PostgreSQL's 24:00:00, not held
        return v.replace(microsecond=999_999 // unit * unit)
    if v.tzinfo is not None:
        return timetz.of(later.time(), v.utcoffset() or dt.timedelta(0))
    return later.time()


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Interval:
    """PostgreSQL's interval: months, days and microseconds kept apart, as PG does."""

    months: int = 0
    days: int = 0
    micros: int = 0

    def _key(self) -> int:
        # PostgreSQL compares intervals with 30-day months and 24-hour days.
        return (self.months * 30 + self.days) * 86_400_000_000 + self.micros

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Interval) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __add__(self, other: Interval) -> Interval:
        return Interval(
            self.months + other.months, self.days + other.days, self.micros + other.micros
        )

    def __neg__(self) -> Interval:
        return Interval(-self.months, -self.days, -self.micros)


# -- text input (casts from text, literals, pgwire text parameters) ------------------------------

_BOOL_TRUE = {"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"}
_BOOL_FALSE = {"f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"}


def _bad(t: SqlType, text: str) -> InvalidTextRepresentation:
    return InvalidTextRepresentation(f'invalid input syntax for type {t.name}: "{text}"')


_NUMERIC_SPECIAL = {
    "nan": Decimal("NaN"),
    **{f"{sign}{word}": Decimal(f"{'-' if sign == '-' else ''}Infinity")
       for sign in ("", "+", "-") for word in ("inf", "infinity")},
}  # fmt: skip


def check_int(value: int, t: SqlType) -> int:
    lo, hi = _INT_RANGE.get(t.name, _INT_RANGE["bigint"])
    if not lo <= value <= hi:
        raise NumericValueOutOfRange(f"{t.name} out of range")
    return value


_INT_TEXT = re.compile(r"[+-]?[0-9]+")


def parse_text(text: str, t: SqlType) -> Any:
    """A value of type ``t`` from its text form, as the type's input function reads it."""
    if t.precision is not None and t.name in TIME_PRECISION_TYPES:
        return round_time(parse_text(text, replace(t, precision=None)), t.precision)
    name = t.name
    s = text.strip()
    if name in ("int2vector", "oidvector"):  # space-separated, as their output
        items = [parse_text(x, t.element) for x in s.split()] if t.element else []
        return array_bounds.bounded(items, [0]) if items else items  # subscripts from 0
    if t.element is not None:
        return parse_array(text, t.element)
    if t.subtype is not None:
        return parse_range(text, t)
    if t in INTEGER_TYPES or name in ("smallint", "integer", "bigint"):
        if not _INT_TEXT.fullmatch(s):
            raise _bad(t, text)
        if len(s.lstrip("+-0")) > 20:  # past any integer type (and int()'s digit limit)
            raise NumericValueOutOfRange(f'value "{s}" is out of range for type {name}')
        return check_int(int(s), t)
    if name in ("real", "double precision"):
        low = s.lower()
        special = {
            "nan": math.nan,
            "infinity": math.inf,
            "+infinity": math.inf,
            "-infinity": -math.inf,
            "inf": math.inf,
            "+inf": math.inf,
            "-inf": -math.inf,
        }
        if low in special:
            return special[low]
        if "_" in s or "n" in low:  # Python's float() reads 1_000 and "nan" spellings
            raise _bad(t, text)
        try:
            v = float(s)
        except ValueError:
            raise _bad(t, text) from None
        if name == "real":
            v = _float4_from_text(s, v)
        if math.isinf(v) or (v == 0 and re.search(r"[1-9]", low.split("e")[0])):
            raise NumericValueOutOfRange(f'"{s}" is out of range for type {name}')
        return v
    if name == "numeric":
        low = s.lower()
        if low in _NUMERIC_SPECIAL:
            return coerce_numeric(_NUMERIC_SPECIAL[low], t)
        if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", low):
            raise _bad(t, text)
        d = Decimal(s)
        # PostgreSQL's numeric holds 131072 digits before the point and 16383 after.
        if (d and d.adjusted() >= 131072) or int(d.as_tuple().exponent) < -16383:
            raise NumericValueOutOfRange("value overflows numeric format")
        return coerce_numeric(d, t)
    if name == "boolean":
        low = s.lower()
        if low in _BOOL_TRUE:
            return True
        if low in _BOOL_FALSE:
            return False
        raise _bad(t, text)
    if name == '"char"':
        return parse_char(text)
    if name in ("text", "name", "unknown"):
        return text
    if name == "character varying":
        return coerce_string(text, t, explicit=False)
    if name == "character":
        return coerce_string(text, t, explicit=False)
    if name == "bytea":
        return parse_bytea(text)
    if name == "date":
        return parse_date(s)
    if name == "timestamp without time zone":
        return parse_timestamp(s, tz=False)
    if name == "timestamp with time zone":
        return parse_timestamp(s, tz=True)
    if name == "time without time zone":
        return parse_time(s)
    if name == "time with time zone":
        return timetz.parse(s, session_zone())
    if name in bits.BIT_TYPES:
        return bits.fit(bits.parse(s), name, t.length, explicit=False)
    if name in ("inet", "cidr"):
        return inet.parse_inet(s, cidr=name == "cidr")
    if name == "interval":
        return parse_interval(s)
    if name == "uuid":
        try:
            return uuid.UUID(s)
        except ValueError:
            raise _bad(t, text) from None
    if t.category == "G":
        return geometry.parse(text, name)
    if name == "tsvector":
        return ts_values.parse_tsvector(text)
    if name == "tsquery":
        return ts_values.parse_tsquery(text)
    if name == "regconfig":
        return ts_config.config(text).name
    if name == "money":
        return parse_money(text)
    if name == "tid":
        return tid.parse(text)
    if name in ("xid", "xid8"):
        return xids.parse_xid(text, 32 if name == "xid" else 64)
    if name in xids.SNAPSHOTS:
        return xids.parse_snapshot(text)
    if name == "macaddr":
        return macaddr.parse(text)
    if name == "jsonpath":
        return jsonpath.parse(text)
    if t.labels is not None:
        return enum_label(text, t)
    if t.fields is not None:
        return parse_record(text, t)
    if name == "hstore":  # the extensions' types (an enum or composite may share the name)
        return hstore_values.parse_hstore(text)
    if name == "citext":
        return CiText(text)
    if name in isn.TYPES:
        return isn.parse(text, name, weak=OUTPUT_STYLE.get().isn_weak)
    if name == "json":
        parse_json(text, jsonb=False)
        return text
    if name == "jsonb":
        return jsonb_value(parse_json(text, jsonb=True))
    if name in ("oid", "regclass", "regtype", "regnamespace", "regproc"):
        if re.fullmatch(r"\d+", s):
            return int(s)
        if name == "regnamespace" and s.strip('"') in FIXED_SCHEMA_OIDS:
            return FIXED_SCHEMA_OIDS[s.strip('"')]
        if name == "regnamespace":
            raise FeatureNotSupported(
                "regnamespace input of a created schema's name is not supported"
            )
        if name == "regtype" and s:
            return regtype_name(s)
        raise _bad(t, text)
    raise FeatureNotSupported(f"type {name} is not supported")


def regtype_name(text: str) -> str:
    """A regtype value: a type's name as format_type prints it (``timestamp`` and ``int4``
    are ``timestamp without time zone`` and ``integer``, so regtypes compare by type); a name
    not known here is held as written, and whoever uses it resolves it (a bound
    ``%s::regtype``: psycopg's TypeInfo)."""
    name = text[len("pg_catalog.") :] if text.lower().startswith("pg_catalog.") else text
    found = type_by_name(name) if not name.startswith('"') else None
    return found.display() if found is not None else text


# The schemas whose oids are the same in every database (pg_namespace).
FIXED_SCHEMA_OIDS = {"pg_catalog": 11, "public": 2200, "information_schema": 13183}


_MONEY_TEXT = re.compile(r"(-)?\$?(-)?((?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?)")
_MONEY_MAX = Decimal(2**63 - 1) / 100


_OCTAL_CHAR = re.compile(r"\\[0-7]{3}")


def parse_char(text: str) -> str:
    """charin: ``\\ooo`` is that byte, else the first byte of the text ('' for none); a
    "char" value is held as the character of its byte's code."""
    if _OCTAL_CHAR.fullmatch(text):  # the low byte of the number, as C's char keeps it
        code = int(text[1:], 8) & 0xFF
        return chr(code) if code else ""
    first = text.encode()[:1]
    return chr(first[0]) if first else ""


def format_char(v: str) -> str:
    """charout: a byte with its high bit set as ``\\ooo``, NUL as nothing."""
    if not v or v == "\x00":
        return ""
    code = ord(v[0])
    return f"\\{code:03o}" if code >= 0x80 else v[0]


def parse_money(text: str) -> Decimal:
    """cash_in in the C locale: an optional sign and $, thousands commas, cents rounded."""
    s = text.strip()
    negative = s.startswith("(") and s.endswith(")")
    m = _MONEY_TEXT.fullmatch(s[1:-1].strip() if negative else s)
    if not m or m[3] in ("", "."):
        raise InvalidTextRepresentation(f'invalid input syntax for type money: "{text}"')
    v = to_money(Decimal(m[3].replace(",", "")))
    return -v if negative or m[1] or m[2] else v


def to_money(d: Decimal | int | float) -> Decimal:
    """A number as money: rounded to cents (22003 past money's 64-bit range)."""
    v = Decimal(d).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=EXACT)
    if abs(v) > _MONEY_MAX:
        raise NumericValueOutOfRange(f'value "{d}" is out of range for type money')
    return v


def format_money(v: Decimal) -> str:
    """cash_out in the C locale: -$1,234.56."""
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v):,.2f}"


def enum_label(text: str, t: SqlType) -> EnumLabel:
    """An enum value from its label (22P02 for a label the type does not have)."""
    labels = t.labels or ()
    if text not in labels:
        raise InvalidTextRepresentation(f'invalid input value for enum {t.name}: "{text}"')
    return EnumLabel(text, labels.index(text))


def parse_record(text: str, t: SqlType) -> tuple[Any, ...]:
    """record_in: ``(a,"b c",,d)``, an empty field NULL, quotes and backslashes escaping."""
    fields = t.fields or ()

    def malformed(detail: str) -> InvalidTextRepresentation:
        return InvalidTextRepresentation(f'malformed record literal: "{text}"', detail=detail)

    i, n = 0, len(text)
    while i < n and text[i].isspace():
        i += 1
    if i >= n or text[i] != "(":
        raise malformed("Missing left parenthesis.")
    i += 1
    values: list[Any] = []
    for k, (_, ft) in enumerate(fields):
        if k:
            if i >= n or text[i] != ",":
                raise malformed("Too few columns.")
            i += 1
        if i < n and text[i] in ",)":
            values.append(None)
            continue
        buf: list[str] = []
        quoted = False
        while i < n and (quoted or text[i] not in ",)"):
            c = text[i]
            if c == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
            elif c == '"':
                if quoted and i + 1 < n and text[i + 1] == '"':
                    buf.append('"')
                    i += 2
                else:
                    quoted = not quoted
                    i += 1
            else:
                buf.append(c)
                i += 1
        if i >= n:
            raise malformed("Unexpected end of input.")
        values.append(parse_text("".join(buf), ft))
    if i >= n or text[i] != ")":
        raise malformed("Too many columns.")
    if text[i + 1 :].strip():
        raise malformed("Junk after right parenthesis.")
    return tuple(values)


def format_record(v: tuple[Any, ...], t: SqlType) -> str:
    """record_out: fields by their output functions, quoted where they need it."""
    out = []
    for x, (_, ft) in zip(v, t.fields or (), strict=True):
        if x is None:
            out.append("")
            continue
        text = format_value(x, ft) or ""
        if text == "" or re.search(r'[",\\()\s]', text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'
        out.append(text)
    return "(" + ",".join(out) + ")"


def text_parser(t: SqlType) -> Callable[[str], Any]:
    """``parse_text`` for one type, with the type's dispatch done once (COPY parses every
    value of a column with it): the same values and errors as ``parse_text(text, t)``."""
    name = t.name
    if t.element is None and name in ("smallint", "integer", "bigint"):
        lo, hi = _INT_RANGE[name]
        fullmatch = _DIGITS.fullmatch

        def parse_int(text: str) -> Any:
            # Plain ASCII digits of at most 18: int() of them is exact and cannot overflow.
            if fullmatch(text):
                v = int(text)
                if lo <= v <= hi:
                    return v
            return parse_text(text, t)

        return parse_int
    if t.element is None and name in ("text", "name", "unknown"):
        return str
    if t.element is None and name in ("character varying", "character"):
        return functools.partial(_parse_string_as, t)
    return functools.partial(_parse_text_as, t)


_DIGITS = re.compile(r"-?[0-9]{1,18}")


def _parse_string_as(t: SqlType, text: str) -> str:
    return coerce_string(text, t, explicit=False)


def _parse_text_as(t: SqlType, text: str) -> Any:
    return parse_text(text, t)


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python accepts NaN and Infinity; JSON does not


def _json_int(text: str) -> int | Decimal:
    # int() refuses more than 4300 digits; JSON numbers have no such limit.
    return int(text) if len(text) < 4000 else Decimal(text)


class _JsonNull:
    """The JSON null as a whole jsonb value ('null'::jsonb): not SQL NULL. Inside a document a
    JSON null is Python None; only a whole value needs telling apart from SQL NULL."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __reduce__(self) -> str:
        return "JSON_NULL"


JSON_NULL = _JsonNull()


def jsonb_value(doc: Any) -> Any:
    """A parsed document as a jsonb value: a JSON null is JSON_NULL, not SQL NULL."""
    return JSON_NULL if doc is None else doc


def jsonb_doc(v: Any) -> Any:
    """The document of a (non-NULL) jsonb value: JSON_NULL is the JSON null, None."""
    return None if v is JSON_NULL else v


def parse_json(text: str, *, jsonb: bool) -> Any:
    """A JSON document as PostgreSQL's json/jsonb input reads it: NaN and Infinity are not
    JSON (22P02), and nesting deeper than the stack allows is 54001. ``jsonb`` (also for json
    values being de-escaped, as ``->>`` does) refuses unpaired surrogate escapes (22P02) and
    ``\\u0000`` (22P05); json itself keeps its text, escapes and all."""
    try:
        doc = json.loads(
            text, parse_float=Decimal, parse_int=_json_int, parse_constant=_json_constant
        )
    except RecursionError:
        raise StatementTooComplex("stack depth limit exceeded") from None
    except ValueError:
        raise InvalidTextRepresentation("invalid input syntax for type json") from None
    if jsonb:
        stack = [doc]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                stack.extend(v.keys())
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
            elif isinstance(v, str):
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    raise InvalidTextRepresentation(
                        "invalid input syntax for type json",
                        detail="Unicode surrogate escapes must come in pairs.",
                    ) from None
                if "\x00" in v:
                    raise UntranslatableCharacter(
                        "unsupported Unicode escape sequence",
                        detail="\\u0000 cannot be converted to text.",
                    )
    return doc


def round_float4(v: float) -> float:
    """``v`` rounded to float4; 22003 if a finite value overflows or a non-zero one
    underflows to zero (as float8 to float4 and float4 arithmetic check)."""
    try:
        f = float(struct.unpack("f", struct.pack("f", v))[0])
    except OverflowError:
        raise NumericValueOutOfRange("value out of range: overflow") from None
    if math.isinf(f) and not math.isinf(v):
        raise NumericValueOutOfRange("value out of range: overflow")
    if f == 0 and v != 0:
        raise NumericValueOutOfRange("value out of range: underflow")
    return f


def _float4_from_text(text: str, as_double: float) -> float:
    """strtof: the float4 nearest the decimal text itself (through a double first, a text
    near a float4 midpoint could round twice and land on the wrong side)."""
    f = round_float4(as_double)
    if not math.isfinite(f) or f == as_double:
        return f
    exact = Decimal(text)
    lo, hi = neighbours(f, True)
    best = f
    for c in (lo, hi):
        if math.isfinite(c) and abs(Decimal(c) - exact) < abs(Decimal(best) - exact):
            best = c
    return best


def coerce_numeric(d: Decimal, t: SqlType) -> Decimal:
    if t.precision is None or d.is_nan():
        return d
    scale = t.scale or 0
    if d.is_infinite():
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {t.precision}, scale {scale} cannot hold an "
            "infinite value.",
        )
    try:
        q = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=EXACT)
    except InvalidOperation:
        raise NumericValueOutOfRange("numeric field overflow") from None
    digits_before = len(q.as_tuple().digits) + int(q.as_tuple().exponent) if q else 0
    if digits_before > t.precision - scale:
        raise NumericValueOutOfRange(
            "numeric field overflow",
            detail=f"A field with precision {t.precision}, scale {scale} must round to an "
            f"absolute value less than 10^{t.precision - scale}.",
        )
    return q


def coerce_string(s: str, t: SqlType, *, explicit: bool) -> str:
    """varchar(n)/char(n): too long is an error on assignment, a truncation on explicit cast."""
    n = t.length
    if t.name == "character":
        n = n or 1
        if len(s) > n:
            if explicit or not s[n:].strip(" "):
                return s[:n]
            raise StringDataRightTruncation(f"value too long for type character({n})")
        return s.ljust(n)
    if n is not None and len(s) > n:
        if explicit or not s[n:].strip(" "):
            return s[:n]
        raise StringDataRightTruncation(f"value too long for type character varying({n})")
    return s


def parse_bytea(text: str) -> bytes:
    if text.startswith("\\x"):
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            bad = next((c for c in text[2:] if c not in string.hexdigits + " "), None)
            if bad is None:
                raise InvalidParameterValue(
                    "invalid hexadecimal data: odd number of digits"
                ) from None
            raise InvalidParameterValue(f'invalid hexadecimal digit: "{bad}"') from None
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if text[i + 1 : i + 2] == "\\":
                out.append(0x5C)
                i += 2
            elif re.fullmatch(r"[0-7]{3}", text[i + 1 : i + 4]):
                out.append(int(text[i + 1 : i + 4], 8))
                i += 4
            else:
                raise InvalidTextRepresentation("invalid input syntax for type bytea")
        else:
            out += c.encode()
            i += 1
    return bytes(out)


_DATE_RE = re.compile(r"(\d{4,})-(\d{1,2})-(\d{1,2})")
_TS_RE = re.compile(
    r"(\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?"
)


# Dates written month first (DateStyle's MDY order: 01.02.2003, 1/2/2003, 01-02-2003) or
# year first with dots (2003.01.02), read as the ISO form.
_MDY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4,})(?=$|[ T])")
_YMD_DOTS = re.compile(r"(\d{4,})\.(\d{1,2})\.(\d{1,2})(?=$|[ T])")


def _iso_date(s: str) -> str:
    m = _MDY.match(s)
    if m:
        return f"{m[3]}-{m[1]}-{m[2]}{s[m.end() :]}"
    m = _YMD_DOTS.match(s)
    if m:
        return f"{m[1]}-{m[2]}-{m[3]}{s[m.end() :]}"
    return s


def parse_date(text: str) -> dt.date | far_dates.FarDate:
    s = _iso_date(text)
    low = s.lower()
    far = far_dates.special(s, "date") or far_dates.parse_far(s, "date", dt.UTC)
    if far is not None:
        return far  # type: ignore[no-any-return]
    if low in ("today", "now", "tomorrow", "yesterday", "epoch"):
        return parse_timestamp(low, tz=False).date()
    m = _DATE_RE.fullmatch(s)
    if not m:
        raise InvalidDatetimeFormat(f'invalid input syntax for type date: "{text}"')
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None


def local_to_utc(
    value: dt.datetime | far_dates.FarTimestamp, zone: dt.tzinfo | None = None
) -> dt.datetime | far_dates.FarTimestamp:
    """A local time in ``zone`` (default: the session's TimeZone) as a UTC timestamptz; past
    Python's years a far_dates.FarTimestamp."""
    z = zone or session_zone()
    if isinstance(value, far_dates.FarTimestamp):
        return far_dates.retag(value, True, z)
    try:
        # A local time the zone repeats or skips (a DST change) takes the smaller of its
        # two offsets, as PostgreSQL does (standard time for a repeated hour).
        first, second = value.replace(tzinfo=z, fold=0), value.replace(tzinfo=z, fold=1)
        a, b = first.utcoffset(), second.utcoffset()
        chosen = second if a is not None and b is not None and b < a else first
        return chosen.astimezone(dt.UTC)
    except OverflowError:
        offset = z.utcoffset(value) or dt.timedelta(0)
        micros = far_dates.micros_of(value) - offset // dt.timedelta(microseconds=1)
        return far_dates.timestamp_of(micros, True)


def utc_to_local(
    value: dt.datetime | far_dates.FarTimestamp, zone: dt.tzinfo | None = None
) -> dt.datetime | far_dates.FarTimestamp:
    """A timestamptz as the (naive) local time in ``zone`` (default: the session's)."""
    z = zone or session_zone()
    if isinstance(value, far_dates.FarTimestamp):
        return far_dates.retag(value, False, z)
    try:
        return value.astimezone(z).replace(tzinfo=None)
    except OverflowError:
        offset = z.utcoffset(value.replace(tzinfo=None)) or dt.timedelta(0)
        micros = far_dates.micros_of(value) + offset // dt.timedelta(microseconds=1)
        return far_dates.timestamp_of(micros, False)


def parse_timestamp(text: str, *, tz: bool) -> dt.datetime | far_dates.FarTimestamp:
    s = _iso_date(text.strip())
    low = s.lower()
    kind = "timestamptz" if tz else "timestamp"
    far = far_dates.special(s, kind) or far_dates.parse_far(s, kind, session_zone())
    if far is not None:
        return far  # type: ignore[no-any-return]
    if low == "now":
        now = dt.datetime.now(dt.UTC)
        return now if tz else utc_to_local(now)
    if low in ("epoch", "today", "tomorrow", "yesterday"):  # midnight, local but for epoch
        if low == "epoch":
            day = dt.datetime(1970, 1, 1)
        else:
            today = utc_to_local(dt.datetime.now(dt.UTC)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            day = today + dt.timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[low])
        if not tz:
            return day
        return day.replace(tzinfo=dt.UTC) if low == "epoch" else local_to_utc(day)
    m = _TS_RE.fullmatch(s)
    if not m:
        kind = "timestamp with time zone" if tz else "timestamp without time zone"
        raise InvalidDatetimeFormat(f'invalid input syntax for type {kind}: "{text}"')
    frac = (m[7] or "").ljust(6, "0")
    try:
        value = dt.datetime(
            int(m[1]),
            int(m[2]),
            int(m[3]),
            int(m[4] or 0),
            int(m[5] or 0),
            int(m[6] or 0),
            int(frac or 0),
        )
    except ValueError:
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None
    if not tz:
        return value
    if not m[8]:
        return local_to_utc(value)
    return local_to_utc(value, dt.timezone(zones.parse_offset(m[8])))


_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?")


def parse_time(text: str) -> dt.time:
    """time_in: ``HH:MM[:SS[.ffffff]]``, alone or after a date (``2003-04-12 04:05:06``,
    whose time it keeps); ``24:00:00`` is not kept (Python's time stops before it)."""
    s = text.strip()
    if s.lower() in ("now", "allballs"):
        return dt.time() if s.lower() == "allballs" else dt.datetime.now(dt.UTC).time()
    m = _TIME_RE.fullmatch(s) or _TIME_RE.fullmatch(s.replace("T", " ").split(" ")[-1])
    if not m:
        raise InvalidDatetimeFormat(f'invalid input syntax for type time: "{text}"')
    try:
        return dt.time(int(m[1]), int(m[2]), int(m[3] or 0), int((m[4] or "").ljust(6, "0")))
    except ValueError:
        raise DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None


def format_time(v: dt.time) -> str:
    text = v.strftime("%H:%M:%S")
    if v.microsecond:
        text += f".{v.microsecond:06d}".rstrip("0")
    return text


_IV_UNITS = {
    "microsecond": ("us", 1),
    "millisecond": ("us", 1000),
    "second": ("us", 1_000_000),
    "minute": ("us", 60_000_000),
    "hour": ("us", 3_600_000_000),
    "day": ("d", 1),
    "week": ("d", 7),
    "month": ("m", 1),
    "mon": ("m", 1),
    "year": ("m", 12),
    "decade": ("m", 120),
    "century": ("m", 1200),
    "min": ("us", 60_000_000),
    "sec": ("us", 1_000_000),
    "ms": ("us", 1000),
    "us": ("us", 1),
    "h": ("us", 3_600_000_000),
    "d": ("d", 1),
    "y": ("m", 12),
    "m": ("us", 60_000_000),
    "s": ("us", 1_000_000),
}


def parse_interval(s: str) -> Interval:
    months = days = micros = 0
    text = s.lower().replace("@", " ").strip()
    ago = text.endswith(" ago")
    if ago:
        text = text[:-4]
    pos = 0
    tokens = re.findall(r"[+-]?\d+(?:\.\d+)?(?::\d+(?::\d+(?:\.\d+)?)?)?|[a-z]+", text)
    if not tokens:
        raise InvalidDatetimeFormat(f'invalid input syntax for type interval: "{s}"')
    while pos < len(tokens):
        tok = tokens[pos]
        if ":" in tok:
            sign = -1 if tok.startswith("-") else 1
            parts = tok.lstrip("+-").split(":")
            h, mnt = int(parts[0]), int(parts[1])
            sec = Decimal(parts[2]) if len(parts) > 2 else Decimal(0)
            micros += sign * int((h * 3600 + mnt * 60) * 1_000_000 + sec * 1_000_000)
            pos += 1
            continue
        try:
            number = Decimal(tok)
        except InvalidOperation:
            raise InvalidDatetimeFormat(f'invalid input syntax for type interval: "{s}"') from None
        unit = tokens[pos + 1] if pos + 1 < len(tokens) else "second"
        unit = unit.rstrip("s") if unit not in ("s", "us", "ms") else unit
        if unit not in _IV_UNITS:
            raise InvalidDatetimeFormat(f'invalid input syntax for type interval: "{s}"')
        kind, factor = _IV_UNITS[unit]
        amount = number * factor
        if kind == "m":
            months += int(amount)
            days += int((amount - int(amount)) * 30)
        elif kind == "d":
            days += int(amount)
            micros += int((amount - int(amount)) * 86_400_000_000)
        else:
            micros += int(amount)
        pos += 2
    iv = Interval(months, days, micros)
    return -iv if ago else iv


MAX_ARRAY_DIMS = 6  # PostgreSQL's MAXDIM


def is_subarray(item: Any, element: SqlType) -> bool:
    """True if ``item``, an item of an array of ``element``, is a sub-array (one more
    dimension) rather than an element. A multidimensional array is a list of equal-length
    lists; jsonb elements are themselves lists at times, so jsonb arrays have one dimension."""
    return (
        isinstance(item, list | tuple)
        and element.name != "jsonb"
        and element.category not in ("G", "C", "R")
        and element.fields is None
    )


def array_dims(items: Any, element: SqlType) -> list[int]:
    """The dimensions of an array value; 2202E if its sub-arrays are not all of one shape."""
    if not items:
        return []
    subs = [is_subarray(x, element) for x in items]
    if not any(subs):
        return [len(items)]
    if not all(subs):
        raise ArraySubscriptError(
            "multidimensional arrays must have array expressions with matching dimensions"
        )
    inner = array_dims(items[0], element)
    for x in items[1:]:
        if array_dims(x, element) != inner:
            raise ArraySubscriptError(
                "multidimensional arrays must have array expressions with matching dimensions"
            )
    if not inner:
        return []  # an array of empty arrays is empty, as in PostgreSQL
    if len(inner) + 1 > MAX_ARRAY_DIMS:
        raise ProgramLimitExceeded(
            f"number of array dimensions ({len(inner) + 1}) exceeds the maximum allowed "
            f"({MAX_ARRAY_DIMS})"
        )
    return [len(items), *inner]


def array_elements(items: Any, element: SqlType) -> list[Any]:
    """The elements of an array value in storage order, all dimensions flattened."""
    out: list[Any] = []
    stack = [iter(items)]
    while stack:
        for x in stack[-1]:
            if is_subarray(x, element):
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


def array_from_elements(elements: list[Any], dims: list[int]) -> list[Any]:
    """Nested lists of shape ``dims`` holding ``elements`` in order."""
    if len(dims) <= 1:
        return list(elements)
    step = len(elements) // dims[0] if dims[0] else 0
    return [
        array_from_elements(elements[i * step : (i + 1) * step], dims[1:]) for i in range(dims[0])
    ]


class _Braces(list):  # type: ignore[type-arg]
    """A sub-array read from text, told apart from an element value that is a list."""


_ARRAY_DIMS_RE = re.compile(r"\s*((?:\[\s*[+-]?\d+\s*(?::\s*[+-]?\d+\s*)?\]\s*)+)=")


# array_in's whitespace (array_isspace): ASCII only, so a no-break space is element text
_ARRAY_SPACE = " \t\n\r\v\f"


def parse_array(text: str, element: SqlType) -> list[Any]:
    """An array from its text form (array_in): nested braces for dimensions, elements
    quoted or not, backslash escapes, NULL; an optional ``[1:n]=`` decoration. As in
    PostgreSQL, the whole text is checked (malformed array literal) before any element is
    read by its type's input function."""

    def malformed(detail: str) -> InvalidTextRepresentation:
        return InvalidTextRepresentation(f'malformed array literal: "{text}"', detail=detail)

    pos = 0
    declared: list[int] | None = None
    lowers: list[int] = []
    m = _ARRAY_DIMS_RE.match(text)
    if m:
        declared = []
        for lo_hi in re.findall(r"\[([^\]]*)\]", m[1]):
            lo, _, hi = lo_hi.partition(":")
            lower, upper = (int(lo), int(hi)) if hi else (1, int(lo))
            lowers.append(lower)
            if upper < lower:
                raise ArraySubscriptError(
                    "upper bound cannot be less than lower bound"
                )  # fmt: skip
            declared.append(upper - lower + 1)
        pos = m.end()
    n = len(text)
    while pos < n and text[pos] in _ARRAY_SPACE:
        pos += 1
    if pos >= n or text[pos] != "{":
        raise malformed('Array value must start with "{" or dimension information.')
    root: list[Any] = []
    stack: list[list[Any]] = []
    current = root
    pos += 1
    stack.append(root)
    expect_item = True  # after "{" or ","
    closed = False
    while pos < n:
        c = text[pos]
        if c in _ARRAY_SPACE:
            pos += 1
            continue
        if closed:
            raise malformed("Junk after closing right brace.")
        if c == "{":
            if not expect_item:
                raise malformed('Unexpected "{" character.')
            if len(stack) >= MAX_ARRAY_DIMS:
                raise ProgramLimitExceeded(
                    f"number of array dimensions ({len(stack) + 1}) exceeds the maximum "
                    f"allowed ({MAX_ARRAY_DIMS})"
                )
            sub: list[Any] = _Braces()
            current.append(sub)
            stack.append(sub)
            current = sub
            pos += 1
            continue
        if c == "}":
            if (expect_item and current) or (not current and len(stack) > 1):
                # a trailing comma, or empty inner braces: only the whole array can be {}
                raise malformed('Unexpected "}" character.')
            stack.pop()
            pos += 1
            expect_item = False
            if not stack:
                closed = True
            else:
                current = stack[-1]
            continue
        if c == ",":
            if expect_item:
                raise malformed('Unexpected "," character.')
            expect_item = True
            pos += 1
            continue
        if not expect_item:
            raise malformed('Expected "," or "}".')
        # one element, quoted or not
        buf: list[str] = []
        quoted = c == '"'
        if quoted:
            pos += 1
            while True:
                if pos >= n:
                    raise malformed("Unexpected end of input.")
                ch = text[pos]
                if ch == "\\":
                    if pos + 1 >= n:
                        raise malformed("Unexpected end of input.")
                    buf.append(text[pos + 1])
                    pos += 2
                elif ch == '"':
                    pos += 1
                    break
                else:
                    buf.append(ch)
                    pos += 1
            value: Any = _Element("".join(buf))
        else:
            escaped = False
            kept = 0  # what an escape keeps: trailing spaces before it are the element's
            while pos < n and text[pos] not in ',{}"':
                ch = text[pos]
                if ch == "\\":
                    if pos + 1 >= n:
                        raise malformed("Unexpected end of input.")
                    buf.append(text[pos + 1])
                    escaped = True
                    kept = len(buf)
                    pos += 2
                else:
                    buf.append(ch)
                    pos += 1
            if pos < n and text[pos] in '{"':
                raise malformed(f'Unexpected "{text[pos]}" character.')
            token = "".join(buf[:kept]) + "".join(buf[kept:]).rstrip(_ARRAY_SPACE)
            value = None if token.upper() == "NULL" and not escaped else _Element(token)
        if any(isinstance(x, _Braces) for x in current):
            raise malformed(
                "Multidimensional arrays must have sub-arrays with matching dimensions."
            )
        current.append(value)
        expect_item = False
    if not closed:
        raise malformed("Unexpected end of input.")
    if any(isinstance(x, _Braces) for x in root) and not all(isinstance(x, _Braces) for x in root):
        raise malformed("Multidimensional arrays must have sub-arrays with matching dimensions.")
    try:
        dims = array_dims(root, element)
    except ArraySubscriptError:
        raise malformed(
            "Multidimensional arrays must have sub-arrays with matching dimensions."
        ) from None
    if declared is not None and declared != dims:
        raise malformed("Specified array dimensions do not match array contents.")
    return array_bounds.bounded(_read_elements(root, element), lowers) if dims else []


class _Element(str):
    """An array element's text, read by its type's input function once the array's
    structure has been checked."""


def _read_elements(items: list[Any], element: SqlType) -> list[Any]:
    return [
        parse_text(x, element)
        if isinstance(x, _Element)
        else _read_elements(x, element)
        if isinstance(x, _Braces)
        else x
        for x in items
    ]


# -- text output: what PostgreSQL prints -------------------------------------------------------


def format_interval(iv: Interval) -> str:
    """IntervalStyle postgres: a field after a negative one carries its sign, even '+'."""
    parts = []
    before_negative = False

    def part(value: int, unit: str) -> None:
        nonlocal before_negative
        sign = "+" if before_negative and value > 0 else ""
        parts.append(f"{sign}{value} {unit}{'s' if value != 1 else ''}")
        before_negative = value < 0

    years, months = divmod(abs(iv.months), 12)
    if iv.months < 0:
        years, months = -years, -months
    if years:
        part(years, "year")
    if months:
        part(months, "mon")
    if iv.days:
        part(iv.days, "day")
    if iv.micros or not parts:
        sign = "-" if iv.micros < 0 else ("+" if before_negative else "")
        total = abs(iv.micros)
        secs, us = divmod(total, 1_000_000)
        h, rem = divmod(secs, 3600)
        mnt, sec = divmod(rem, 60)
        clock = f"{sign}{h:02d}:{mnt:02d}:{sec:02d}"
        if us:
            clock += f".{us:06d}".rstrip("0")
        parts.append(clock)
    return " ".join(parts)


def format_timestamp(v: dt.datetime) -> str:
    """timestamp_out / timestamptz_out (ISO DateStyle); a timestamptz in the session's zone."""
    offset = None
    if v.tzinfo is not None:
        try:
            v = v.astimezone(session_zone())
        except OverflowError:  # beyond Python's years in the session's zone: shown in UTC
            v = v.astimezone(dt.UTC)
        offset = v.utcoffset()
    text = f"{v.year:04d}-" + v.strftime("%m-%d %H:%M:%S")
    if v.microsecond:
        text += f".{v.microsecond:06d}".rstrip("0")
    if offset is not None:
        text += zones.offset_text(offset)
    return text


def _jsonb_scalar(x: Any) -> str:
    if x is JSON_NULL:
        return "null"
    if isinstance(x, Decimal):
        return format(x, "f") if x == x.to_integral_value() or "E" not in str(x) else str(x)
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return "null"
    return json.dumps(x, ensure_ascii=False)


def format_jsonb(v: Any) -> str:
    """jsonb_out: keys ordered as jsonb stores them (shorter first, then bytewise). Written
    with an explicit stack: a document nested as deep as its parser allows prints."""
    out: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, v)]  # (is literal text, item)
    while stack:
        literal, x = stack.pop()
        if literal:
            out.append(x)
        elif isinstance(x, dict):
            keys = sorted(x, key=lambda k: (len(k.encode()), k.encode()))
            stack.append((True, "}"))
            for i in range(len(keys) - 1, -1, -1):
                stack.append((False, x[keys[i]]))
                stack.append((True, json.dumps(keys[i], ensure_ascii=False) + ": "))
                if i:
                    stack.append((True, ", "))
            stack.append((True, "{"))
        elif isinstance(x, list):
            stack.append((True, "]"))
            for i in range(len(x) - 1, -1, -1):
                stack.append((False, x[i]))
                if i:
                    stack.append((True, ", "))
            stack.append((True, "["))
        else:
            out.append(_jsonb_scalar(x))
    return "".join(out)


def format_value(v: Any, t: SqlType) -> str | None:
    """The text PostgreSQL's output function prints for ``v`` (None stays NULL)."""
    if v is None:
        return None
    if t.name in ("int2vector", "oidvector"):
        return " ".join(str(x) for x in v)
    if t.element is not None:
        return format_array(v, t.element)
    if t.subtype is not None:
        return format_range(v, t)
    if t.name == "jsonb":
        return format_jsonb(v)
    if t.category == "G":
        return geometry.format_geometric(v)
    if t.fields is not None:
        return format_record(v, t)
    if t.labels is not None:
        return str.__str__(v)
    if t.name == "money":
        return format_money(v)
    if t.name == "tid":
        return tid.format_tid(v)
    if t.name == "macaddr":
        return macaddr.format_macaddr(v)
    if t.name == "hstore":
        return hstore_values.format_hstore(v)
    if t.name in isn.TYPES:
        return isn.format_isn(v, t.name)
    if t.name == '"char"':
        return format_char(v)
    if t.name == "regproc" and v == 0:  # regprocout's InvalidOid
        return "-"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, float):
        return _float_text(v, t.name == "real")
    if isinstance(v, Decimal):
        if v.is_nan():
            return "NaN"
        if v.is_infinite():
            return "Infinity" if v > 0 else "-Infinity"
        if v.is_zero():
            v = v.copy_abs()  # PostgreSQL's numeric has no negative zero
        return format(v, "f")
    if isinstance(v, bytes):
        return _bytea_escape(v) if OUTPUT_STYLE.get().bytea_escape else "\\x" + v.hex()
    if isinstance(v, dt.datetime):
        return format_timestamp(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return format_time(v) if v.tzinfo is None else timetz.format_timetz(v)
    if isinstance(v, far_dates.FarDate):
        return far_dates.format_date(v)
    if isinstance(v, far_dates.FarTimestamp):
        return far_dates.format_timestamp(v, session_zone())
    if isinstance(v, Interval):
        return format_interval(v)
    return str(v)


def range_step(t: SqlType) -> ranges.Step | None:
    """The next value of a discrete range type's subtype (int4range, int8range, daterange:
    their canonical form is ``[)``); None for a continuous one. A multirange type answers
    for its range type."""
    if t.is_multirange:
        assert t.subtype is not None
        return range_step(t.subtype)
    if t.name in ("int4range", "int8range"):
        sub = INT4 if t.name == "int4range" else INT8
        return lambda v: check_int(v + 1, sub)
    if t.name == "daterange":
        return _next_day
    return None


def _next_day(d: dt.date) -> dt.date:
    try:
        return d + dt.timedelta(days=1)
    except OverflowError:
        raise DatetimeFieldOverflow("date out of range") from None


def parse_range(text: str, t: SqlType) -> ranges.Range | ranges.Multirange:
    """range_in / multirange_in of the range or multirange type ``t``."""
    sub = t.subtype
    assert sub is not None
    if t.is_multirange:
        return ranges.parse_multi(text, lambda x: _parse_one_range(x, sub), range_step(t))
    return _parse_one_range(text, t)


def _parse_one_range(text: str, t: SqlType) -> ranges.Range:
    sub = t.subtype
    assert sub is not None
    return ranges.parse(text, lambda x: parse_text(x, sub), range_step(t))


def format_range(v: ranges.Range | ranges.Multirange, t: SqlType) -> str:
    sub = t.subtype
    assert sub is not None
    if isinstance(v, ranges.Multirange):
        inner = sub.subtype
        assert inner is not None
        return ranges.format_multi(v, lambda x: format_value(x, inner) or "")
    return ranges.format_range(v, lambda x: format_value(x, sub) or "")


def format_array(items: list[Any], element: SqlType) -> str:
    """array_out: nested braces, one level per dimension (2202E for a ragged value); an
    array of empty arrays is empty."""
    dims = array_dims(items, element)
    if not dims:
        return "{}"

    def level(xs: Any) -> str:
        out = []
        for item in xs:
            if item is None:
                out.append("NULL")
                continue
            if is_subarray(item, element):
                out.append(level(item))
                continue
            text = format_value(item, element) or ""
            if text == "" or re.search(r'[{},"\\ \t\n\r\v\f]', text) or text.upper() == "NULL":
                text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            out.append(text)
        return "{" + ",".join(out) + "}"

    return array_bounds.dims_prefix(items, dims) + level(items)


# -- storage: codec-encodable forms ---------------------------------------------------------------

_EPOCH = dt.datetime(2000, 1, 1)
_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def to_storage(v: Any, t: SqlType, *, exact: bool = False) -> Any:
    """A value the KV codec can encode, ordered as the SQL type orders (for keys).

    ``exact`` (row values) keeps what ordering may normalise away: a numeric's display scale
    (1.50 stays 1.50; as a key it equals 1.5).
    """
    if v is None:
        return None
    if t.element is not None:
        return array_bounds.stored(v, tuple(
            to_storage(x, t if is_subarray(x, t.element) else t.element, exact=exact) for x in v
        ))  # fmt: skip
    name = t.name
    if exact and name == "numeric":
        return str(v)
    if t.subtype is not None:
        return _range_storage(v, t, exact)
    if name == "date":
        return v.toordinal()
    if name in ("timestamp without time zone", "timestamp with time zone"):
        return far_dates.micros_of(v)
    if name == "time without time zone":  # microseconds since midnight
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond
    if name == "time with time zone":  # (UTC microseconds, seconds west): timetz's order
        return timetz.TimeTz.key(v)
    if name in ("inet", "cidr"):
        return inet.to_storage(v)
    if name == "interval":
        return (v._key(), v.months, v.days, v.micros)
    if name == "uuid":
        return v.bytes
    if name == "jsonb":
        return format_jsonb(v)
    if t.category == "G":
        return geometry.to_tuple(v)
    if name in ("tsvector", "tsquery"):
        return str(v)
    if t.labels is not None:
        return str.__str__(v)
    if t.fields is not None:
        items = [to_storage(x, ft, exact=exact) for x, (_, ft) in zip(v, t.fields, strict=True)]
        if t.slots is None:
            return tuple(items)
        stored: list[Any] = [None] * (max(t.slots, default=-1) + 1)
        for slot, item in zip(t.slots, items, strict=True):
            stored[slot] = item
        return tuple(stored)
    if name == "hstore":  # its text (a tuple would read as a subarray in an hstore[])
        return hstore_values.format_hstore(v)
    if name == "citext":  # a key: lower-cased (a unique index ignores case); a row: as is
        return str(v) if exact else str.lower(v)
    return v


_CONVERTED_ON_LOAD = frozenset(
    ["date", "timestamp without time zone", "timestamp with time zone", "time without time zone",
     "time with time zone", "interval", "uuid", "inet", "cidr",
     "jsonb", "numeric", "tsvector", "tsquery", "hstore", "citext", *geometry.GEOMETRIC]
)  # fmt: skip


def _range_storage(v: Any, t: SqlType, exact: bool) -> Any:
    sub = t.subtype
    assert sub is not None
    if isinstance(v, ranges.Multirange):
        return tuple(_range_storage(r, sub, exact) for r in v.ranges)
    return ranges.to_storage(v, lambda x: to_storage(x, sub, exact=exact))


def _range_loaded(v: Any, t: SqlType) -> Any:
    sub = t.subtype
    assert sub is not None
    if t.is_multirange:
        return ranges.Multirange(tuple(_range_loaded(r, sub) for r in v))
    return ranges.from_storage(v, lambda x: from_storage(x, sub))


def stored_as_is(t: SqlType) -> bool:
    """True if ``from_storage`` returns this type's stored values unchanged."""
    return (
        t.element is None
        and t.subtype is None
        and t.name not in _CONVERTED_ON_LOAD
        and t.category not in ("E", "C")
    )


_STORED_AS_TUPLES = frozenset({"inet", "cidr", "interval"})  # (int, ...): see to_storage


def _stored_subarray(item: Any, element: SqlType) -> bool:
    """is_subarray for a stored item: an inet or interval is stored as a tuple that starts
    with an int, a sub-array of them as a tuple of such tuples (or NULLs)."""
    if element.name in _STORED_AS_TUPLES:
        return isinstance(item, list | tuple) and not (item and isinstance(item[0], int))
    return is_subarray(item, element)


def from_storage(v: Any, t: SqlType) -> Any:
    if v is None:
        return None
    if t.element is not None:
        items, lower = array_bounds.split_stored(v)
        out = [from_storage(x, t if _stored_subarray(x, t.element) else t.element) for x in items]
        return out if lower is None else array_bounds.bounded(out, lower)
    if t.subtype is not None:
        return _range_loaded(v, t)
    name = t.name
    if name == "date":
        return far_dates.date_of(v)
    if name in ("timestamp without time zone", "timestamp with time zone"):
        return far_dates.timestamp_of(v, name == "timestamp with time zone")
    if name == "time without time zone":
        return (dt.datetime.min + dt.timedelta(microseconds=v)).time()
    if name == "time with time zone":
        return timetz.make(v[0] - v[1] * 1_000_000, v[1])
    if name in ("inet", "cidr"):
        return inet.from_storage(v, cidr=name == "cidr")
    if name == "interval":
        return Interval(v[1], v[2], v[3])
    if name == "uuid":
        return uuid.UUID(bytes=v)
    if name == "jsonb":
        return jsonb_value(json.loads(v, parse_float=Decimal))
    if name == "numeric" and isinstance(v, str):
        return Decimal(v)
    if t.category == "G":
        return geometry.from_tuple(v, name)
    if name == "tsvector":
        return ts_values.parse_tsvector(v)
    if name == "tsquery":
        return ts_values.parse_tsquery(v)
    if t.labels is not None:
        return EnumLabel(v, t.labels.index(v) if v in t.labels else len(t.labels))
    if t.fields is not None:
        slots = t.slots if t.slots is not None else range(len(t.fields))
        return tuple(
            from_storage(v[slot], ft) if slot < len(v) else None
            for slot, (_, ft) in zip(slots, t.fields, strict=True)
        )
    if name == "hstore":
        return hstore_values.parse_hstore(v)
    if name == "citext":
        return CiText(v)
    return v
