"""Scalar functions and date/time arithmetic, looked up by name after the operators.

Each entry maps a PostgreSQL function name to (argument coercion, result type, Python
implementation). Functions are strict unless marked: a NULL argument gives NULL.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sql import types as T
from sql.errors import DatatypeMismatch, InvalidParameterValue, UndefinedFunction
from sql.types import Interval, SqlType

if TYPE_CHECKING:
    from sql.expr import Compiler, Typed

Impl = Callable[..., Any]


def _round(x: Any, digits: int = 0) -> Any:
    if isinstance(x, float):
        return (
            float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
            if math.isfinite(x)
            else x
        )
    d = Decimal(x)
    return d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _substr(s: str, start: int, length: int | None = None) -> str:
    if length is not None and length < 0:
        raise InvalidParameterValue("negative substring length not allowed")
    begin = max(start, 1)
    end = None if length is None else start + length
    if end is not None and end <= begin:
        return ""
    return s[begin - 1 : None if end is None else end - 1]


def _trim(s: str, chars: str | None = None, side: str = "both") -> str:
    chars = " " if chars is None else chars
    if side == "leading":
        return s.lstrip(chars)
    if side == "trailing":
        return s.rstrip(chars)
    return s.strip(chars)


def _num_type(args: list[SqlType]) -> SqlType:
    t = args[0]
    return T.NUMERIC if t.name in ("unknown",) else (T.INT4 if t.name == "smallint" else t)


# name -> (arg types or None to keep, result type or function of arg types, impl, strict)
FUNCTIONS: dict[
    str, tuple[list[SqlType] | None, SqlType | Callable[[list[SqlType]], SqlType], Impl, bool]
] = {
    "upper": ([T.TEXT], T.TEXT, str.upper, True),
    "lower": ([T.TEXT], T.TEXT, str.lower, True),
    "length": ([T.TEXT], T.INT4, len, True),
    "char_length": ([T.TEXT], T.INT4, len, True),
    "character_length": ([T.TEXT], T.INT4, len, True),
    "octet_length": ([T.TEXT], T.INT4, lambda s: len(s.encode()), True),
    "abs": (None, _num_type, abs, True),
    "sign": (None, _num_type, lambda x: (x > 0) - (x < 0), True),
    "ceil": (
        None,
        _num_type,
        lambda x: (
            type(x)(math.ceil(x))
            if not isinstance(x, Decimal)
            else x.to_integral_value("ROUND_CEILING")
        ),
        True,
    ),
    "ceiling": (
        None,
        _num_type,
        lambda x: (
            type(x)(math.ceil(x))
            if not isinstance(x, Decimal)
            else x.to_integral_value("ROUND_CEILING")
        ),
        True,
    ),
    "floor": (
        None,
        _num_type,
        lambda x: (
            type(x)(math.floor(x))
            if not isinstance(x, Decimal)
            else x.to_integral_value("ROUND_FLOOR")
        ),
        True,
    ),
    "sqrt": ([T.FLOAT8], T.FLOAT8, math.sqrt, True),
    "power": ([T.FLOAT8, T.FLOAT8], T.FLOAT8, math.pow, True),
    "pow": ([T.FLOAT8, T.FLOAT8], T.FLOAT8, math.pow, True),
    "ln": ([T.FLOAT8], T.FLOAT8, math.log, True),
    "exp": ([T.FLOAT8], T.FLOAT8, math.exp, True),
    "mod": (
        None,
        _num_type,
        lambda a, b: int(math.fmod(a, b)) if isinstance(a, int) else math.fmod(a, b),
        True,
    ),
    "replace": ([T.TEXT, T.TEXT, T.TEXT], T.TEXT, lambda s, a, b: s.replace(a, b), True),
    "reverse": ([T.TEXT], T.TEXT, lambda s: s[::-1], True),
    "repeat": ([T.TEXT, T.INT4], T.TEXT, lambda s, n: s * max(n, 0), True),
    "left": ([T.TEXT, T.INT4], T.TEXT, lambda s, n: s[:n], True),
    "right": (
        [T.TEXT, T.INT4],
        T.TEXT,
        lambda s, n: s[-n:] if n > 0 else s[-n:] if n < 0 else "",
        True,
    ),
    "strpos": ([T.TEXT, T.TEXT], T.INT4, lambda s, sub: s.find(sub) + 1, True),
    "position": ([T.TEXT, T.TEXT], T.INT4, lambda sub, s: s.find(sub) + 1, True),
    "ltrim": ([T.TEXT], T.TEXT, lambda s, c=" ": s.lstrip(c), True),
    "rtrim": ([T.TEXT], T.TEXT, lambda s, c=" ": s.rstrip(c), True),
    "btrim": ([T.TEXT], T.TEXT, lambda s, c=" ": s.strip(c), True),
    "initcap": ([T.TEXT], T.TEXT, lambda s: s.title(), True),
    "md5": ([T.TEXT], T.TEXT, lambda s: __import__("hashlib").md5(s.encode()).hexdigest(), True),
    "gen_random_uuid": ([], T.UUID, uuid.uuid4, False),
    "random": ([], T.FLOAT8, lambda: __import__("random").random(), False),
    "version": ([], T.TEXT, lambda: "PostgreSQL 16.0 (db9 0.1.0) on x86_64-pc-linux-gnu", False),
    "pg_backend_pid": ([], T.INT4, lambda: __import__("os").getpid(), False),
    "greatest": (
        None,
        lambda ts: ts[0],
        lambda *a: max(x for x in a if x is not None) if any(x is not None for x in a) else None,
        False,
    ),
    "least": (
        None,
        lambda ts: ts[0],
        lambda *a: min(x for x in a if x is not None) if any(x is not None for x in a) else None,
        False,
    ),
}


def _text_args(c: Compiler, args: list[Typed], n: int | None = None) -> list[Typed]:
    from sql.expr import coerce_to

    return [coerce_to(a, T.TEXT, explicit=True) for a in args[: n or len(args)]]


def compile_function(c: Compiler, e: exp.Expr) -> Typed | None:
    from sql.expr import Typed, coerce_to, unify

    if isinstance(e, exp.Anonymous):
        name = str(e.this).lower()
        raw_args = list(e.expressions)
    elif isinstance(e, exp.Func):
        name = e.sql_name().lower()
        raw_args = [a for a in e.args.values() if isinstance(a, exp.Expr)]
        raw_args += [x for v in e.args.values() if isinstance(v, list) for x in v]
    else:
        return None
    special = _SPECIAL.get(type(e))
    if special is not None:
        return special(c, e)
    if name in ("current_timestamp", "now", "localtimestamp", "transaction_timestamp"):
        session = c.ctx.session
        ts = session.statement_time() if session else dt.datetime.now(dt.UTC)
        t = T.TIMESTAMP if name == "localtimestamp" else T.TIMESTAMPTZ
        value = ts.replace(tzinfo=None) if t is T.TIMESTAMP else ts
        return Typed(lambda _r: value, t, True, "now" if name == "now" else name)
    if name == "current_date":
        session = c.ctx.session
        ts = session.statement_time() if session else dt.datetime.now(dt.UTC)
        d = ts.date()
        return Typed(lambda _r: d, T.DATE, True, "current_date")
    if name in (
        "current_schema",
        "current_database",
        "current_user",
        "session_user",
        "user",
        "current_role",
    ):
        session = c.ctx.session
        value = session.info(name) if session else None
        return Typed(lambda _r: value, T.NAME, True, name)
    if name in ("nextval", "currval", "setval"):
        return _sequence_fn(c, name, raw_args)
    entry = FUNCTIONS.get(name)
    if entry is None:
        raise UndefinedFunction(f"function {name}() does not exist")
    arg_types, result, impl, strict = entry
    args = [c.compile(a) for a in raw_args]
    if arg_types is not None:
        args = [
            coerce_to(
                a, arg_types[min(i, len(arg_types) - 1)] if arg_types else a.type, explicit=True
            )
            for i, a in enumerate(args)
        ]
    else:
        if (
            name not in ("greatest", "least")
            and args
            and all(a.type.name == "unknown" for a in args)
        ):
            args = [coerce_to(a, T.NUMERIC) for a in args]
        if name in ("greatest", "least") and args:
            ut = unify([a.type for a in args])
            args = [coerce_to(a, ut) for a in args]
    rtype = result([a.type for a in args]) if callable(result) else result
    fns = [a.fn for a in args]
    const = all(a.const for a in args) and strict

    def run(r: Any) -> Any:
        values = [f(r) for f in fns]
        if strict and any(v is None for v in values):
            return None
        return impl(*values)

    if const and args:
        value = run(())
        return Typed(lambda _r: value, rtype, True, name)
    return Typed(run, rtype, False, name)


def _substring(c: Compiler, e: exp.Substring) -> Typed:
    from sql.expr import Typed, coerce_to

    s = coerce_to(c.compile(e.this), T.TEXT, explicit=True)
    start = coerce_to(c.compile(e.args["start"]), T.INT4) if e.args.get("start") else None
    length = coerce_to(c.compile(e.args["length"]), T.INT4) if e.args.get("length") else None

    def run(r: Any) -> Any:
        v = s.fn(r)
        st = start.fn(r) if start else 1
        ln = length.fn(r) if length else None
        if v is None or st is None or (length is not None and ln is None):
            return None
        return _substr(v, st, ln)

    return Typed(run, T.TEXT, name="substring")


def _trim_fn(c: Compiler, e: exp.Trim) -> Typed:
    from sql.expr import Typed, coerce_to

    s = coerce_to(c.compile(e.this), T.TEXT, explicit=True)
    chars = coerce_to(c.compile(e.expression), T.TEXT) if e.expression is not None else None
    side = (e.args.get("position") or "both").lower()

    def run(r: Any) -> Any:
        v = s.fn(r)
        ch = chars.fn(r) if chars else " "
        return None if v is None or ch is None else _trim(v, ch, side)

    return Typed(run, T.TEXT, name="btrim" if side == "both" else side[0] + "trim")


def _round_fn(c: Compiler, e: exp.Round) -> Typed:
    from sql.expr import Typed, coerce_to

    x = c.compile(e.this)
    if x.type.name == "unknown" or x.type.name in ("smallint", "integer", "bigint"):
        x = coerce_to(x, T.NUMERIC)
    digits = coerce_to(c.compile(e.args["decimals"]), T.INT4) if e.args.get("decimals") else None
    if digits is not None and x.type.name != "numeric":
        raise UndefinedFunction(f"function round({x.type.display()}, integer) does not exist")

    def run(r: Any) -> Any:
        v = x.fn(r)
        d = digits.fn(r) if digits else 0
        return None if v is None or d is None else _round(v, d)

    return Typed(run, x.type, name="round")


def _concat(c: Compiler, e: exp.Expr) -> Typed:
    from sql.expr import Typed, coerce_to

    args = [coerce_to(c.compile(a), T.TEXT, explicit=True) for a in e.expressions]
    return Typed(
        lambda r: "".join(v for a in args if (v := a.fn(r)) is not None), T.TEXT, name="concat"
    )


def _concat_ws(c: Compiler, e: exp.Expr) -> Typed:
    from sql.expr import Typed, coerce_to

    args = [coerce_to(c.compile(a), T.TEXT, explicit=True) for a in e.expressions]
    sep, rest = args[0], args[1:]

    def run(r: Any) -> Any:
        s = sep.fn(r)
        if s is None:
            return None
        return s.join(v for a in rest if (v := a.fn(r)) is not None)

    return Typed(run, T.TEXT, name="concat_ws")


_SPECIAL: dict[type[exp.Expr], Callable[[Compiler, Any], Typed]] = {
    exp.Substring: _substring,
    exp.Trim: _trim_fn,
    exp.Round: _round_fn,
    exp.Concat: _concat,
    exp.ConcatWs: _concat_ws,
}


def datetime_arith(op: str, a: Typed, b: Typed) -> Typed:
    from sql.expr import Typed, coerce_to

    ta, tb = a.type, b.type
    if ta.name == "unknown":
        a = coerce_to(a, T.INTERVAL if tb.category == "D" else T.TIMESTAMP)
        ta = a.type
    if tb.name == "unknown":
        b = coerce_to(b, T.INTERVAL if ta.category == "D" else T.TIMESTAMP)
        tb = b.type
    fa, fb = a.fn, b.fn

    def strict(f: Callable[[Any, Any], Any], t: SqlType) -> Typed:
        return Typed(lambda r: None if (x := fa(r)) is None or (y := fb(r)) is None else f(x, y), t)

    if ta.name == "date" and tb.name in ("integer", "smallint", "bigint") and op in "+-":
        sign = 1 if op == "+" else -1
        return strict(lambda x, y: x + dt.timedelta(days=sign * y), T.DATE)
    if ta.name == "date" and tb.name == "date" and op == "-":
        return strict(lambda x, y: (x - y).days, T.INT4)
    if tb.name == "interval" and ta.category == "D" and op in "+-":
        rt = T.TIMESTAMP if ta.name == "date" else ta
        sign = 1 if op == "+" else -1
        return strict(lambda x, y: add_interval(x, y, sign), rt)
    if ta.name == "interval" and tb.category == "D" and op == "+":
        rt = T.TIMESTAMP if tb.name == "date" else tb
        return strict(lambda x, y: add_interval(y, x, 1), rt)
    if ta.category == "D" and tb.category == "D" and op == "-":

        def diff(x: Any, y: Any) -> Interval:
            delta = _as_ts(x) - _as_ts(y)
            return Interval(0, delta.days, delta.seconds * 1_000_000 + delta.microseconds)

        return strict(diff, T.INTERVAL)
    if ta.name == "interval" and tb.name == "interval" and op in "+-":
        return strict(lambda x, y: x + (y if op == "+" else -y), T.INTERVAL)
    raise DatatypeMismatch(f"operator does not exist: {ta.display()} {op} {tb.display()}")


def _as_ts(x: Any) -> dt.datetime:
    if isinstance(x, dt.datetime):
        return x
    return dt.datetime(x.year, x.month, x.day)


def add_interval(x: Any, iv: Interval, sign: int) -> dt.datetime:
    ts = _as_ts(x)
    months = ts.month - 1 + sign * iv.months
    year, month = ts.year + months // 12, months % 12 + 1
    import calendar

    day = min(ts.day, calendar.monthrange(year, month)[1])
    ts = ts.replace(year=year, month=month, day=day)
    return ts + sign * dt.timedelta(days=iv.days, microseconds=iv.micros)


def _sequence_fn(c: Compiler, name: str, raw_args: list[exp.Expr]) -> Typed:
    from sql.errors import ObjectNotInPrerequisiteState, UndefinedTable
    from sql.expr import Typed, coerce_to

    session = c.ctx.session
    if session is None or not raw_args:
        raise UndefinedFunction(f"function {name}() does not exist")
    args = [c.compile(a) for a in raw_args]
    seq_name = coerce_to(args[0], T.TEXT, explicit=True)
    rest = [coerce_to(a, T.INT8 if i == 0 else T.BOOL) for i, a in enumerate(args[1:])]

    def lookup(text: str) -> Any:
        schema, _, rel = text.rpartition(".")
        seq = session.catalog().find(
            rel.strip('"'), schema.strip('"') or None, session.search_path()
        )
        if seq is None or seq.kind != "sequence":
            raise UndefinedTable(f'relation "{text}" does not exist')
        return seq

    def run(r: Any) -> Any:
        text = seq_name.fn(r)
        if text is None:
            return None
        seq = lookup(text)
        sequences = session.database.sequences
        if name == "nextval":
            value = sequences.nextval(seq)
            session.last_values[seq.id] = value
            return value
        if name == "currval":
            if seq.id not in session.last_values:
                raise ObjectNotInPrerequisiteState(
                    f'currval of sequence "{seq.name}" is not yet defined in this session'
                )
            return session.last_values[seq.id]
        value = rest[0].fn(r)
        called = rest[1].fn(r) if len(rest) > 1 else True
        session.last_values[seq.id] = value
        return sequences.setval(seq, value, called)

    return Typed(run, T.INT8, False, name)
