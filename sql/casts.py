"""How typed values convert and combine: PostgreSQL's casts, the common type of several
expressions, the operand types of a comparison or an arithmetic operator, and the scale
of a numeric division.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sql import array_bounds, bits, far_dates, inet, isn, ranges, timetz
from sql import numeric as N
from sql import types as T
from sql.errors import (
    CannotCoerce,
    DatatypeMismatch,
    FeatureNotSupported,
    NotNullViolation,
    NumericValueOutOfRange,
    UndefinedFunction,
)
from sql.scope import Row, Typed
from sql.types import SqlType


def numeric_result(a: SqlType, b: SqlType) -> SqlType:
    ra, rb = T.NUMERIC_RANK.get(a.name, 0), T.NUMERIC_RANK.get(b.name, 0)
    if a.name == "unknown":
        return b if rb else T.NUMERIC
    if b.name == "unknown":
        return a if ra else T.NUMERIC
    if not ra or not rb:
        raise UndefinedFunction(f"operator does not exist: {a.name} + {b.name}")
    top = a if ra >= rb else b
    if top.name == "real" and max(ra, rb) == 5 and min(ra, rb) <= 4:
        return T.FLOAT8 if min(ra, rb) == 4 else T.FLOAT4
    if top.name == "smallint":
        return T.INT4  # PostgreSQL promotes smallint arithmetic
    return T.SqlType(top.name, top.oid, top.array_oid, top.typlen, top.category)


def unify(types: Sequence[SqlType]) -> SqlType:
    """The common type of CASE branches, UNION columns, COALESCE arguments."""
    known = [t for t in types if t.name != "unknown"]
    if not known:
        return T.TEXT
    first = known[0]
    if all(t.name == first.name for t in known):
        return first
    if all(t.name in T.NUMERIC_RANK for t in known):
        best = max(known, key=lambda t: T.NUMERIC_RANK[t.name])
        return T.INT4 if best.name == "smallint" else best
    if all(t.category == "S" for t in known):
        return T.TEXT
    if all(t.category == "D" for t in known):
        return T.TIMESTAMPTZ if any(t.oid == 1184 for t in known) else T.TIMESTAMP
    raise DatatypeMismatch(
        f"types {known[0].display()} and {known[-1].display()} cannot be matched"
    )


# Types cast only to and from text (and their own kin above).
_TEXT_CASTS_ONLY = frozenset(
    ("tid", "xid", "xid8", "pg_snapshot", "txid_snapshot", "macaddr", "jsonpath")
)


def cast_value(v: Any, src: SqlType, dst: SqlType, *, explicit: bool = True) -> Any:
    """Convert ``v`` of type ``src`` to ``dst`` as PostgreSQL's casts do."""
    if v is None:
        return None
    if dst.precision is not None and dst.name in T.TIME_PRECISION_TYPES:  # timestamp(3)
        plain = replace(dst, precision=None)
        return T.round_time(cast_value(v, src, plain, explicit=explicit), dst.precision)
    s, d = src.name, dst.name
    if dst.fields is not None and isinstance(v, tuple):
        return _record(v, src, dst, explicit)
    if dst.element is not None:
        if isinstance(v, str):
            return T.parse_text(v, dst)
        return array_bounds.like(v, [
            cast_value(x, src, dst, explicit=explicit)
            if T.is_subarray(x, dst.element)
            else cast_value(x, src.element or T.UNKNOWN, dst.element, explicit=explicit)
            for x in v
        ])  # fmt: skip
    if dst.is_multirange and src.is_range and dst.subtype == src:  # multirange(r)
        return ranges.multirange([v], T.range_step(src))
    if s in bits.BIT_TYPES or d in bits.BIT_TYPES:
        return _bit_cast(v, src, dst, explicit)
    if s in isn.TYPES and d in isn.TYPES:
        return isn.cast(v, s, d)
    if d == "regtype" and isinstance(v, str):
        return T.regtype_name(v)
    if d == "regclass" and isinstance(v, str):
        return v  # a relation name, resolved by whoever uses it
    text_types = ("text", "character varying", "character", "name")
    if s == "jsonb" and d in text_types:  # a jsonb string is text in quotes: '""'::jsonb
        v = T.format_jsonb(v)
    if s == '"char"' and d in text_types:  # as charout prints it: \377, '' for NUL
        v = T.format_char(v)
    elif s == '"char"' and d == "integer":  # its byte, signed
        code = ord(v) if v else 0
        return code - 256 if code >= 0x80 else code
    elif d == '"char"' and s == "integer":
        if not -128 <= v <= 127:
            raise NumericValueOutOfRange('"char" out of range')
        return chr(v & 0xFF) if v else ""
    elif s == "xid8" and d == "xid":  # xid(xid8): its low 32 bits
        return v % (1 << 32)
    elif (
        ('"char"' in (s, d) or {s, d} & _TEXT_CASTS_ONLY)
        and s != d
        and not {s, d} & {*text_types, "unknown"}
    ):
        raise CannotCoerce(f"cannot cast type {src.display()} to {dst.display()}")
    if isinstance(v, str) and d not in text_types:
        return T.parse_text(v, dst)
    if d in ("text", "name", "character varying") and s == "character" and isinstance(v, str):
        v = v.rstrip(" ")  # bpchar's padding is not significant, and casts drop it
    if s in ("inet", "cidr") and d in text_types:  # text(inet): always with the mask
        v = v.full()
    if s == "inet" and d == "cidr":  # the network: host bits cleared
        return inet.network(v)
    if s == "cidr" and d == "inet":
        return inet.Inet(v.address, v.bits)
    if d in ("text", "name"):
        if isinstance(v, str):
            return v if type(v) is str else str(v)  # a RegclassName orders as text now
        if isinstance(v, bool):  # boolean's cast to text spells it out, unlike boolout
            return "true" if v else "false"
        return T.format_value(v, src)
    if d in ("character varying", "character"):
        text = v if isinstance(v, str) else (T.format_value(v, src) or "")
        return T.coerce_string(text, dst, explicit=explicit)
    if d in ("smallint", "integer", "bigint", "oid", "regclass", "regtype", "regproc"):
        if isinstance(v, bool):
            if not explicit and s == "boolean":
                raise DatatypeMismatch("cannot cast type boolean to integer implicitly")
            return int(v)
        if isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                raise NumericValueOutOfRange(f"{d} out of range")
            v = round(v)  # banker's rounding, as rint()
        elif isinstance(v, Decimal):
            if not v.is_finite():
                what = "NaN" if v.is_nan() else "infinity"
                raise FeatureNotSupported(f"cannot convert {what} to {dst.typname}")
            v = int(N.round_to(v, 0))
        elif isinstance(v, int) and {s, d} == {"oid", "integer"}:  # binary coercible: the
            # same 32 bits read signed or unsigned (pg_locks.objid::int4 of a hashtext key)
            v = (v + (1 << 31)) % (1 << 32) - (1 << 31) if d == "integer" else v % (1 << 32)
        return T.check_int(int(v), dst)
    if d in ("real", "double precision"):
        if isinstance(v, bool):
            raise DatatypeMismatch(f"cannot cast type boolean to {d}")
        f = float(v)
        if isinstance(v, Decimal) and v.is_finite() and (math.isinf(f) or (f == 0 and v)):
            raise NumericValueOutOfRange(f'"{v}" is out of range for type {d}')
        return T.round_float4(f) if d == "real" else f
    if d == "money":
        if isinstance(v, bool) or s not in ("smallint", "integer", "bigint", "numeric", "money"):
            raise CannotCoerce(f"cannot cast type {src.display()} to money")
        return T.to_money(v)
    if d == "numeric":
        if isinstance(v, bool):
            raise DatatypeMismatch("cannot cast type boolean to numeric")
        if isinstance(v, float):
            if math.isnan(v):
                return Decimal("NaN")
            if math.isinf(v):
                return Decimal("Infinity") if v > 0 else Decimal("-Infinity")
            # float8_numeric: the float's first 15 digits (6 for real), as %g prints them
            v = Decimal(f"{v:.{6 if s == 'real' else 15}g}")
        return T.coerce_numeric(Decimal(v), dst)
    if d == "boolean":
        if isinstance(v, bool):
            return v
        if isinstance(v, int) and s in ("integer", "bigint", "smallint"):
            return v != 0
    if d == "date":
        if isinstance(v, far_dates.FarTimestamp):
            return far_dates.timestamp_to_date(v, T.session_zone())
        if isinstance(v, far_dates.FarDate):
            return v
        if isinstance(v, dt.datetime):
            return (T.utc_to_local(v) if v.tzinfo is not None else v).date()
        if isinstance(v, dt.date):
            return v
    if d == "time without time zone":
        if isinstance(v, dt.datetime):
            return (T.utc_to_local(v) if v.tzinfo is not None else v).time()
        if isinstance(v, dt.time):  # a timetz's local time, its zone dropped
            return dt.time(v.hour, v.minute, v.second, v.microsecond)
        if isinstance(v, T.Interval):  # the interval's time of day, as interval_time
            micros = v.micros % (86_400 * 1_000_000)
            return (dt.datetime.min + dt.timedelta(microseconds=micros)).time()
    if d == "time with time zone":
        if isinstance(v, dt.datetime) and v.tzinfo is not None:  # local time, local offset
            local = v.astimezone(T.session_zone())
            return timetz.of(local.time(), local.utcoffset() or dt.timedelta(0))
        if isinstance(v, dt.time):
            if v.tzinfo is not None:
                return v
            return timetz.of(v, timetz.current_offset(T.session_zone()))
    if d == "interval" and isinstance(v, dt.time):
        return T.Interval(0, 0, T.to_storage(v, T.TIME))
    if d in ("timestamp without time zone", "timestamp with time zone"):
        tz = d == "timestamp with time zone"
        if isinstance(v, far_dates.FarDate):
            return far_dates.date_to_timestamp(v, tz, T.session_zone())
        if isinstance(v, far_dates.FarTimestamp):
            return far_dates.retag(v, tz, T.session_zone())
        if isinstance(v, dt.datetime):
            # a local time in the session's zone, either way (T.session_zone)
            if d == "timestamp with time zone" and v.tzinfo is None:
                return T.local_to_utc(v)
            if d == "timestamp without time zone" and v.tzinfo is not None:
                return T.utc_to_local(v)
            return v
        if isinstance(v, dt.date):
            out = dt.datetime(v.year, v.month, v.day)
            return T.local_to_utc(out) if d.endswith("with time zone") else out
    if s == "hstore" and d in ("json", "jsonb"):  # hstore_to_json(b): the casts hstore made
        return T.jsonb_value(v.as_dict()) if d == "jsonb" else hstore_json(v)
    if d in ("json", "jsonb") and s in ("json", "jsonb"):
        if d == "jsonb" and isinstance(v, str):
            return T.parse_text(v, dst)
        if d == "json" and s == "jsonb":
            return T.format_jsonb(v)
        return v
    if s == d:
        return v
    if src.subtype is not None or dst.subtype is not None:  # no cast between range types
        raise CannotCoerce(f"cannot cast type {src.display()} to {dst.display()}")
    raise DatatypeMismatch(f"cannot cast type {src.display()} to {dst.display()}")


def hstore_json(v: Any) -> str:
    """hstore_to_json: an object of string (or null) values, as hstore prints it."""
    return json.dumps(v.as_dict(), ensure_ascii=False, separators=(", ", ": "))


_INT_WIDTHS = {"integer": 32, "bigint": 64}


def _bit_cast(v: Any, src: SqlType, dst: SqlType, explicit: bool) -> Any:
    """Casts to and from bit(n) / bit varying(n): between themselves, text and int4/int8."""
    s, d = src.name, dst.name
    if s in bits.BIT_TYPES and d in bits.BIT_TYPES:
        return bits.fit(v, d, dst.length, explicit=explicit or s != d)
    if d in bits.BIT_TYPES:
        if s in _INT_WIDTHS and isinstance(v, int):
            return bits.fit(bits.from_int(v, _INT_WIDTHS[s], dst.length), d, dst.length,
                            explicit=True)  # fmt: skip
        if isinstance(v, str) and s in ("text", "character varying", "character", "unknown"):
            return bits.fit(bits.parse(v.strip()), d, dst.length, explicit=explicit)
    elif d in _INT_WIDTHS and s == "bit":
        return bits.to_int(v, _INT_WIDTHS[d], d)
    elif d in ("text", "character varying", "character", "name"):
        return cast_value(v, T.TEXT, dst, explicit=explicit) if d != "text" else v
    raise CannotCoerce(f"cannot cast type {src.display()} to {dst.display()}")


def _record(v: tuple[Any, ...], src: SqlType, dst: SqlType, explicit: bool) -> tuple[Any, ...]:
    """A row value as the composite type ``dst``, field by field."""
    fields = dst.fields or ()
    if len(v) != len(fields):
        raise CannotCoerce(
            f"cannot cast type {src.display()} to {dst.display()}",
            detail=f"Input has too {'few' if len(v) < len(fields) else 'many'} columns.",
        )
    srcs = [ft for _, ft in src.fields] if src.fields else [T.UNKNOWN] * len(v)
    return tuple(
        cast_value(x, st, ft, explicit=explicit)
        for x, st, (_, ft) in zip(v, srcs, fields, strict=True)
    )


# Compiles a domain's CHECKs into one function of a value that raises 23514 (sql.expr
# registers it: the checks are SQL expressions over VALUE).
domain_checker: Callable[[SqlType], Callable[[Any], None]] | None = None


def domain_check(dst: SqlType) -> Callable[[Any], Any]:
    """A function that returns a value of the domain ``dst`` unchanged after checking it
    against the domain: NOT NULL (23502) and its CHECKs (23514)."""
    domain = dst.domain
    assert domain is not None
    check = domain_checker(dst) if domain_checker is not None and domain.checks else None

    def run(v: Any) -> Any:
        if v is None and domain.not_null:
            raise NotNullViolation(f"domain {domain.name} does not allow null values")
        if check is not None:
            check(v)
        return v

    return run


def _domain(t: Typed, dst: SqlType) -> Typed:
    checked, fn = domain_check(dst), t.fn
    if t.const:
        value = checked(fn(()))
        return Typed(lambda _r: value, dst, True, t.name)
    return Typed(lambda row: checked(fn(row)), dst, False, t.name)


# Type categories between which PostgreSQL has no assignment cast (numeric, datetime,
# boolean, timespan): a value of one stored into a column of another fails 42804.
_NO_ASSIGNMENT = {("D", "N"), ("N", "D"), ("B", "D"), ("D", "B"), ("T", "N"), ("N", "T"),
                  ("D", "T"), ("T", "D")}  # fmt: skip


def assignable(src: SqlType, dst: SqlType) -> bool:
    """False where PostgreSQL surely has no assignment cast from ``src`` to ``dst`` (an array
    into a scalar of a non-string type or back, or across the categories above); True
    otherwise, including every case left to the cast itself to decide."""
    if "S" in (src.category, dst.category) or src.name == "unknown" or src.domain or dst.domain:
        return True
    if (src.element is None) != (dst.element is None):
        return False
    if src.element is not None and dst.element is not None:
        return assignable(src.element, dst.element)
    return (src.category, dst.category) not in _NO_ASSIGNMENT


def coerce_to(t: Typed, dst: SqlType, *, explicit: bool = False) -> Typed:
    if dst.domain is not None and (t.type.domain is None or t.type.domain.oid != dst.domain.oid):
        return _domain(coerce_to(t, replace(dst, domain=None), explicit=explicit), dst)
    if t.type == dst or (
        t.type.name == dst.name
        and dst.length is None
        and dst.precision is None
        and dst.element is None
    ):
        if t.type.domain is not None and dst.domain is None:
            return Typed(t.fn, dst, t.const, t.name)
        return t
    fn, src = t.fn, t.type

    def run(row: Row) -> Any:
        return cast_value(fn(row), src, dst, explicit=explicit)

    if t.const:
        value = run(())
        return Typed(lambda _r: value, dst, True, t.name)
    return Typed(run, dst, False, t.name)


def comparable(a: Typed, b: Typed) -> tuple[Typed, Typed]:
    """Bring two operands to a common type (an untyped literal takes the other's type)."""
    ta, tb = a.type, b.type
    if "character" in (ta.name, tb.name):
        # character(n) compares without its trailing blanks
        return _unpadded(a), _unpadded(b)
    if ta.name == "unknown" and tb.name != "unknown":
        return coerce_to(a, base_type(tb)), b
    if tb.name == "unknown" and ta.name != "unknown":
        return a, coerce_to(b, base_type(ta))
    if ta.name in T.NUMERIC_RANK and tb.name in T.NUMERIC_RANK:
        # numeric against a float compares as float8 (numeric's implicit cast), not exactly
        if ta.name == "numeric" and tb.name in ("real", "double precision"):
            return coerce_to(a, T.FLOAT8), b
        if tb.name == "numeric" and ta.name in ("real", "double precision"):
            return a, coerce_to(b, T.FLOAT8)
        return a, b
    if ta.category == "S" and tb.category == "S":
        return a, b
    if ta.category == "D" and tb.category == "D":
        if ta.name == "date" and tb.name != "date":
            return coerce_to(a, tb), b
        if tb.name == "date" and ta.name != "date":
            return a, coerce_to(b, ta)
        # timestamp against timestamptz: the timestamp in the session's time zone, as
        # PostgreSQL's implicit cast (timestamp_cmp_timestamptz)
        if ta.name == T.TIMESTAMP.name and tb.name == T.TIMESTAMPTZ.name:
            return coerce_to(a, tb), b
        if tb.name == T.TIMESTAMP.name and ta.name == T.TIMESTAMPTZ.name:
            return a, coerce_to(b, ta)
        return a, b
    if "record" in (ta.name, tb.name) and ta.fields is not None and tb.fields is not None:
        return a, b  # a record compares with a composite value field by field
    if isn.comparable(ta.name, tb.name):  # isn's cross-type operators: the values alike
        return a, b
    if ta.name != tb.name and not (ta.element and tb.element):
        raise UndefinedFunction(f"operator does not exist: {ta.display()} = {tb.display()}")
    return a, b


def _unpadded(t: Typed) -> Typed:
    if t.type.category not in ("S", "X"):
        return coerce_to(t, T.TEXT, explicit=True)
    f = t.fn
    return Typed(lambda r: None if (v := f(r)) is None else v.rstrip(" "), T.TEXT, t.const, t.name)


def base_type(t: SqlType) -> SqlType:
    """The type an untyped literal becomes next to ``t`` (varchar(5) -> text, not truncating)."""
    if t.category == "S" and t.name != "citext":  # citext keeps its own comparison
        return T.TEXT
    if t.name == "numeric":
        return T.NUMERIC
    return t


def as_decimal(v: Any) -> Decimal:
    if isinstance(v, Decimal):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(v)


def numeric_div(a: Decimal, b: Decimal) -> Decimal:
    """PostgreSQL's numeric division and its result scale (see sql.numeric.div)."""
    return N.div(a, b)


def _exp(d: Decimal) -> int:
    e = d.as_tuple().exponent
    return e if isinstance(e, int) else 0
