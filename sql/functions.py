"""Scalar functions and date/time arithmetic, looked up by name after the operators, and the
set-returning functions of a select list (unnest, generate_series, generate_subscripts).

Each entry maps a PostgreSQL function name to (argument coercion, result type, Python
implementation). Functions are strict unless marked: a NULL argument gives NULL.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlglot import exp

from kv import interrupt, nowait
from sql import (
    activity,
    bits,
    citext,
    comments,
    extension_catalog,
    extensions,
    far_dates,
    function_defs,
    functions_advisory,
    functions_array,
    functions_enum,
    functions_geometry,
    functions_range,
    functions_text_search,
    hstore,
    inet,
    interval_justify,
    isn_functions,
    jsonb,
    partition_text,
    pg_hash,
    privileges,
    pseudo_types,
    regclass_text,
    relation_sizes,
    roles,
    routine_call,
    routine_types,
    temp,
    timetz,
    trigger_defs,
    trigram,
    unaccent,
    user_types,
    uuid_ossp,
    visibility,
)
from sql import types as T
from sql.casts import coerce_to, unify
from sql.errors import (
    DatatypeMismatch,
    DatetimeFieldOverflow,
    DivisionByZero,
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidParameterValue,
    ObjectNotInPrerequisiteState,
    ProgramLimitExceeded,
    ReadOnlySqlTransaction,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
    UndefinedTable,
)
from sql.functions_numeric import (
    OVERLOADS,
    TYPE_FUNCTIONS,
    check_series_bounds,
    compile_math,
    float_round,
    num_round,
)
from sql.functions_text import (
    BUILDERS,
    TEXT_SRFS,
    VOID,
    compile_variadic,
    no_such_function,
    output_text,
    quote_ident,
    substring_call,
    text_srf,
    trim_call,
)
from sql.like import similar_substring
from sql.memory import check_concat, check_value, fits
from sql.numeric import plus
from sql.relations import parse_name
from sql.scope import Context, ExprCompiler, Row, Typed
from sql.session_api import SessionApi
from sql.system_catalog import constraint_def, index_column_def, index_def
from sql.types import Interval, SqlType
from sql.views import view_definition

_PG_FUNC_NAMES = {
    "GroupConcat": "string_agg",
    "LogicalAnd": "bool_and",
    "LogicalOr": "bool_or",
    "ArrayAgg": "array_agg",
    "CurrentTimestamp": "current_timestamp",
    "CurrentDate": "current_date",
    "Ceil": "ceil",
    "StrPosition": "position",
    "ExplodingGenerateSeries": "generate_series",
    "Explode": "unnest",
    "Hex": "to_hex",
    "TimestampTrunc": "date_trunc",
    "Extract": "extract",
}


def pg_function_name(e: exp.Expr) -> str | None:
    """PostgreSQL's name for a function sqlglot parsed into one of its own classes."""
    if isinstance(e, exp.Pad):
        return "lpad" if e.args.get("is_left") else "rpad"
    return _PG_FUNC_NAMES.get(type(e).__name__)


Impl = Callable[..., Any]


def _chr(n: int) -> str:
    """chr(): a code point of UTF-8; NUL, surrogates and beyond U+10FFFF are not."""
    if n == 0:
        raise ProgramLimitExceeded("null character not permitted")
    if n < 0:
        raise ProgramLimitExceeded("character number must be positive")
    if 0xD800 <= n <= 0xDFFF or n > 0x10FFFF:
        raise ProgramLimitExceeded(f"requested character not valid for encoding: {n}")
    return chr(n)


def _round(x: Any, digits: int = 0) -> Any:
    return float_round(x) if isinstance(x, float) else num_round(Decimal(x), digits)


def _num_type(args: list[SqlType]) -> SqlType:
    t = args[0]
    return T.NUMERIC if t.name in ("unknown",) else (T.INT4 if t.name == "smallint" else t)


# name -> (arg types or None to keep, result type or function of arg types, impl, strict)
def _split_part(s: str, sep: str, n: int) -> str:
    if n == 0:
        raise InvalidParameterValue("field position must not be zero")
    parts = s.split(sep) if sep else [s]
    if n < 0:
        n = len(parts) + n + 1
    return parts[n - 1] if 1 <= n <= len(parts) else ""


def _pad(s: str, n: int, fill: str, left: bool) -> str:
    if n <= len(s):
        return s[: max(n, 0)]
    if not fill:
        return s
    check_value(n)
    pad = (fill * ((n - len(s)) // len(fill) + 1))[: n - len(s)]
    return pad + s if left else s + pad


def _repeat(s: str, n: int) -> str:
    check_value(len(s) * max(n, 0))  # before building it: PostgreSQL's 1 GB limit, the cap
    return s * max(n, 0)


def _concat_values(parts: list[str]) -> str:
    total = sum(map(len, parts))
    if total > 1 << 16:
        check_concat(total - len(parts[-1]), len(parts[-1]))
    return "".join(parts)


FUNCTIONS: dict[
    str, tuple[list[SqlType] | None, SqlType | Callable[[list[SqlType]], SqlType], Impl, bool]
] = {
    "upper": ([T.TEXT], T.TEXT, str.upper, True),
    "lower": ([T.TEXT], T.TEXT, str.lower, True),
    "char_length": ([T.TEXT], T.INT4, len, True),
    "character_length": ([T.TEXT], T.INT4, len, True),
    "octet_length": ([T.TEXT], T.INT4, lambda s: len(s.encode()), True),
    "replace": ([T.TEXT, T.TEXT, T.TEXT], T.TEXT, lambda s, a, b: s.replace(a, b), True),
    "split_part": ([T.TEXT, T.TEXT, T.INT4], T.TEXT, _split_part, True),
    "lpad": ([T.TEXT, T.INT4, T.TEXT], T.TEXT, lambda s, n, f=" ": _pad(s, n, f, True), True),
    "rpad": ([T.TEXT, T.INT4, T.TEXT], T.TEXT, lambda s, n, f=" ": _pad(s, n, f, False), True),
    "starts_with": ([T.TEXT, T.TEXT], T.BOOL, lambda s, p: s.startswith(p), True),
    "translate": (
        [T.TEXT, T.TEXT, T.TEXT],
        T.TEXT,
        lambda s, a, b: s.translate(
            {ord(c): (b[i] if i < len(b) else None) for i, c in reversed(list(enumerate(a)))}
        ),
        True,
    ),
    "chr": ([T.INT4], T.TEXT, lambda n: _chr(n), True),
    "ascii": ([T.TEXT], T.INT4, lambda s: ord(s[0]) if s else 0, True),
    "trunc": ([T.NUMERIC], T.NUMERIC, lambda x: x.to_integral_value("ROUND_DOWN"), True),
    "to_hex": ([T.INT8], T.TEXT, lambda n: format(n & ((1 << 64) - 1) if n < 0 else n, "x"), True),
    "reverse": ([T.TEXT], T.TEXT, lambda s: s[::-1], True),
    "textcat": ([T.TEXT, T.TEXT], T.TEXT, lambda a, b: a + b, True),  # the || of text
    "repeat": ([T.TEXT, T.INT4], T.TEXT, _repeat, True),
    "left": ([T.TEXT, T.INT4], T.TEXT, lambda s, n: s[:n], True),
    "right": (
        [T.TEXT, T.INT4],
        T.TEXT,
        lambda s, n: s[-n:] if n > 0 else s[-n:] if n < 0 else "",
        True,
    ),
    "strpos": ([T.TEXT, T.TEXT], T.INT4, lambda s, sub: s.find(sub) + 1, True),
    # position(sub IN s): sqlglot's StrPosition holds (s, sub)
    "position": ([T.TEXT, T.TEXT], T.INT4, lambda s, sub: s.find(sub) + 1, True),
    "gen_random_uuid": ([], T.UUID, uuid.uuid4, False),
    "host": ([T.INET], T.TEXT, inet.host, True),
    "masklen": ([T.INET], T.INT4, lambda v: v.bits, True),
    "family": ([T.INET], T.INT4, inet.family, True),
    "network": ([T.INET], T.CIDR, inet.network, True),
    # boolean operators' functions (the = and <> of boolean, callable by name)
    "booleq": ([T.BOOL, T.BOOL], T.BOOL, lambda a, b: a == b, True),
    "boolne": ([T.BOOL, T.BOOL], T.BOOL, lambda a, b: a != b, True),
    "random": ([], T.FLOAT8, lambda: __import__("random").random(), False),
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
    # the transition functions of built-in aggregates, callable by CREATE AGGREGATE's SFUNC
    "int2pl": ([T.INT2, T.INT2], T.INT2, lambda a, b: T.check_int(a + b, T.INT2), True),
    "int4pl": ([T.INT4, T.INT4], T.INT4, lambda a, b: T.check_int(a + b, T.INT4), True),
    "int8pl": ([T.INT8, T.INT8], T.INT8, lambda a, b: T.check_int(a + b, T.INT8), True),
    "int2_sum": ([T.INT8, T.INT2], T.INT8, lambda s, v: s if v is None else (s or 0) + v, False),
    "int4_sum": ([T.INT8, T.INT4], T.INT8, lambda s, v: s if v is None else (s or 0) + v, False),
    "booland_statefunc": ([T.BOOL, T.BOOL], T.BOOL, lambda a, b: a and b, True),
    "hashtext": ([T.TEXT], T.INT4, pg_hash.hashtext, True),
    "hashtextextended": ([T.TEXT, T.INT8], T.INT8, pg_hash.hashtextextended, True),
    "hashint4": ([T.INT4], T.INT4, pg_hash.hashint4, True),
    "hashint8": ([T.INT8], T.INT4, pg_hash.hashint8, True),
    "boolor_statefunc": ([T.BOOL, T.BOOL], T.BOOL, lambda a, b: a or b, True),
    "justify_hours": ([T.INTERVAL], T.INTERVAL, interval_justify.justify_hours, True),
    "justify_days": ([T.INTERVAL], T.INTERVAL, interval_justify.justify_days, True),
    "justify_interval": ([T.INTERVAL], T.INTERVAL, interval_justify.justify_interval, True),
}
# Built-in functions that are called with NULL arguments (PostgreSQL's non-strict ones).
NOT_STRICT = frozenset(n for n, entry in FUNCTIONS.items() if not entry[3])


def _text_args(c: ExprCompiler, args: list[Typed], n: int | None = None) -> list[Typed]:
    return [coerce_to(a, T.TEXT, explicit=True) for a in args[: n or len(args)]]


def _transaction_start(ctx: Context) -> Callable[[], dt.datetime]:
    """now(): the start of the running statement's transaction in its session."""

    def now() -> dt.datetime:
        session = ctx.session
        return session.statement_time() if session is not None else dt.datetime.now(dt.UTC)

    return now


def _as_called(raw_args: list[exp.Expr]) -> list[exp.Expr]:
    """The arguments an aggregate-style call passes (``f(*)``: none; ``f(DISTINCT a, b)``
    and ``f(a ORDER BY b)``: a, b and a), to name them in a missing function's message."""
    out: list[exp.Expr] = []
    for a in raw_args:
        while isinstance(a, exp.Order):
            a = a.this
        if isinstance(a, exp.Distinct):
            out += a.expressions
        elif not isinstance(a, exp.Star):
            out.append(a)
    return out


def regtype_named(text: str) -> SqlType | None:
    """The type regtype input text names: a created type by its schema-qualified name
    (quoted or not, as format_type prints it), else a built-in one by its own name."""
    found = T.type_by_name(text) if "." in text else None
    return found or T.type_by_name(text.split(".")[-1].strip('"'))


def compile_function(c: ExprCompiler, e: exp.Expr) -> Typed | None:
    if isinstance(e, exp.Anonymous):
        name = str(e.this).lower()
        raw_args = list(e.expressions)
    elif isinstance(e, exp.Func):
        name = pg_function_name(e) or e.sql_name().lower()
        raw_args = [a for a in e.args.values() if isinstance(a, exp.Expr)]
        raw_args += [x for v in e.args.values() if isinstance(v, list) for x in v]
    else:
        return None
    special = _SPECIAL.get(type(e))
    if special is not None:
        return special(c, e)
    if name == "make_interval":
        return _make_interval(c, raw_args)
    if name in ("current_timestamp", "now", "localtimestamp", "transaction_timestamp"):
        # Read when evaluated, not when compiled: a cached plan runs in later transactions.
        now = _transaction_start(c.ctx)
        if name == "localtimestamp":
            return Typed(lambda _r: T.utc_to_local(now()), T.TIMESTAMP, False, name)
        return Typed(lambda _r: now(), T.TIMESTAMPTZ, False, "now" if name == "now" else name)
    if name in ("statement_timestamp", "clock_timestamp") and not raw_args:
        ctx = c.ctx

        def clock() -> dt.datetime:
            session = ctx.session
            if name == "statement_timestamp" and session is not None:
                return session.statement_start()
            return dt.datetime.now(dt.UTC)

        return Typed(lambda _r: clock(), T.TIMESTAMPTZ, False, name)
    if name == "current_date":
        now = _transaction_start(c.ctx)
        return Typed(lambda _r: T.utc_to_local(now()).date(), T.DATE, False, "current_date")
    if name in (
        "current_schema",
        "current_database",
        "current_user",
        "session_user",
        "user",
        "current_role",
    ):
        session = c.ctx.session
        info = session.info(name) if session else None
        return Typed(lambda _r: info, T.NAME, True, name)
    if name == "pg_backend_pid" and not raw_args:
        ctx = c.ctx  # the connection's pid (pgwire sets it after login): read when run
        return Typed(lambda _r: ctx.session.pid if ctx.session else 0, T.INT4, False, name)
    if name == "pg_notify" and len(raw_args) == 2:
        ctx = c.ctx
        typed = [c._typed_like(a, c.compile(a), T.TEXT) for a in raw_args]
        if any(t.type.category != "S" and t.type.name != "unknown" for t in typed):
            raise no_such_function(name, typed)  # pg_notify(text, text) only
        channel, payload = (coerce_to(t, T.TEXT).fn for t in typed)

        def notify(r: Row) -> str:
            nowait.check()  # the commit writes it to the store (sql.notify_kv)
            if ctx.session is not None:
                ctx.session.notify.notify(channel(r), payload(r))
            return ""

        return Typed(notify, VOID, False, name)
    if name == "pg_notification_queue_usage" and not raw_args:
        ctx = c.ctx
        return Typed(lambda _r: ctx.session.notify.hub.usage() if ctx.session else 0.0, T.FLOAT8,
                     False, name)  # fmt: skip
    if name == "txid_current" and not raw_args:
        # the transaction's id: its start timestamp, unique and growing as PostgreSQL's
        # epoch-extended xid is (asyncpg's pool tests tell transactions apart by it)
        ctx = c.ctx
        return Typed(
            lambda _r: ctx.session.xact_id if ctx.session else None,
            T.INT8,
            False,
            name,
        )
    if name == "pg_blocking_pids" and len(raw_args) == 1:
        arg = raw_args[0]
        ctx, pid = c.ctx, coerce_to(c._typed_like(arg, c.compile(arg), T.INT4), T.INT4).fn

        def blockers(r: Row) -> list[int] | None:
            session = ctx.session
            if session is None or (p := pid(r)) is None:
                return None
            return activity.blocking_pids(session, session.wire, p)

        return Typed(blockers, T.INT4.array_of(), False, name)
    if name in activity.SIGNALS and raw_args:
        arg = raw_args[0]  # pg_terminate_backend($1): the parameter is an integer
        ctx, target = c.ctx, coerce_to(c._typed_like(arg, c.compile(arg), T.INT4), T.INT4).fn
        terminate = activity.SIGNALS[name]

        def signal(r: Row) -> bool | None:
            session = ctx.session
            if session is None or (p := target(r)) is None:
                return None

            def check(b: activity.Backend) -> None:  # PostgreSQL 15's rules and messages
                if roles.is_superuser(session):
                    return
                role = roles.find(session, session.catalog(), b.user)
                what = ("terminate", "superuser process", "process is being terminated")
                if not terminate:
                    what = ("cancel", "superuser query", "query is being canceled")
                if role is not None and role.superuser:
                    raise InsufficientPrivilege(f"must be a superuser to {what[0]} {what[1]}")
                if b.user != session.user:
                    raise InsufficientPrivilege(
                        f"must be a member of the role whose {what[2]} or member of "
                        "pg_signal_backend"
                    )

            return activity.signal_backend(session, session.wire, p, terminate, check)

        return Typed(signal, T.BOOL, False, name)
    if name in activity.FUNCTIONS and not raw_args:
        ctx = c.ctx
        rtype = T.type_by_name(activity.FUNCTIONS[name])
        assert rtype is not None
        return Typed(
            lambda _r: activity.call(name, ctx.session.wire if ctx.session else None),
            rtype,
            False,
            name,
        )
    if name == "pg_trigger_depth" and not raw_args:
        ctx = c.ctx
        return Typed(
            lambda _r: ctx.session.trigger_depth if ctx.session else 0, T.INT4, False, name
        )
    if name in ("nextval", "currval", "setval"):
        return _sequence_fn(c, name, raw_args)
    if name == "lastval" and not raw_args:
        return _lastval(c)
    if name in functions_advisory.NAMES:
        # pg_advisory_lock($1): the parameter is a bigint, ($1, $2) two ints
        want = T.INT8 if len(raw_args) == 1 else T.INT4
        args = [c._typed_like(a, c.compile(a), want) for a in raw_args]
        return functions_advisory.compile_advisory(name, args, c.ctx.session)
    if name in functions_enum.NAMES:
        return functions_enum.compile_enum(name, [c.compile(a) for a in raw_args])
    if name in functions_geometry.NAMES:
        found = functions_geometry.compile_geometric(name, [c.compile(a) for a in raw_args])
        if found is not None:
            return found
    if name in trigram.NAMES and trigram.available(c.ctx):
        return trigram.compile_call(name, [c.compile(a) for a in raw_args], c.ctx)
    if name in unaccent.NAMES and trigram.available(c.ctx, "unaccent"):
        return unaccent.compile_call(name, [c.compile(a) for a in raw_args])
    if name in functions_range.NAMES:
        found = functions_range.compile_range(name, [c.compile(a) for a in raw_args])
        if found is not None:
            return found
    if name in functions_text_search.NAMES:
        args = [c.compile(a) for a in raw_args]
        return functions_text_search.compile_text_search(name, args, c.ctx)
    if name in CATALOG_FUNCTIONS:
        return _catalog_fn(c, name, raw_args)
    if name == "width_bucket" and len(raw_args) == 2:
        return functions_array.compile_width_bucket([c.compile(a) for a in raw_args])
    if name in OVERLOADS or name in TYPE_FUNCTIONS:
        return compile_math(name, [c.compile(a) for a in raw_args])
    if name in jsonb.FUNCTIONS:
        return jsonb.compile_call(c, name, raw_args)
    if name in hstore.NAMES and _installed(c, "hstore"):
        return hstore.compile_call(c, name, raw_args)
    if name in isn_functions.NAMES and _installed(c, "isn"):
        return isn_functions.compile_call(c, name, raw_args)
    if name in citext.NAMES and raw_args and _installed(c, "citext"):
        found = citext.compile_call(c, name, raw_args)
        if found is not None:
            return found
    if name in _PGCRYPTO and not _installed(c, "pgcrypto"):
        types = ", ".join(c.compile(a).type.display() for a in _as_called(raw_args))
        raise UndefinedFunction(f"function {name}({types}) does not exist")
    if name in uuid_ossp.NAMES and _installed(c, "uuid-ossp"):
        return uuid_ossp.compile_call(name, [c.compile(a) for a in raw_args])
    if name in functions_array.FUNCTIONS:
        return functions_array.compile_call(name, [c.compile(a) for a in raw_args])
    if raw_args and isinstance(raw_args[-1], exp.Variadic):
        fixed = [c.compile(a) for a in raw_args[:-1]]
        return compile_variadic(name, fixed, c.compile(raw_args[-1].this))
    build = BUILDERS.get(name)
    if build is not None:
        return build(name, [c.compile(a) for a in raw_args])
    if name == "version":
        session = c.ctx.session
        server = session.settings.get("server_version") if session is not None else None
        text = f"PostgreSQL {server or '15'} (db9) on x86_64-pc-linux-gnu, 64-bit"
        return Typed(lambda _r: text, T.TEXT, False, name)
    entry = FUNCTIONS.get(name)
    if entry is None:
        user = routine_call.compile_call(c, name, raw_args)
        if user is not None:
            return user
        made = T.type_by_name(name)
        if made is not None and made.subtype is not None:  # a CREATE TYPE range's constructor
            return functions_range.construct(made, [c.compile(a) for a in raw_args])
    if entry is None and len(raw_args) == 1 and T.type_by_name(name) is not None:
        # float8(x), int4(x), text(x): a type's name called as a function is a cast
        return c.compile(
            exp.Cast(this=raw_args[0], to=exp.DataType.build(name, dialect="postgres", udt=True))
        )
    if entry is None:
        types = ", ".join(c.compile(a).type.display() for a in _as_called(raw_args))
        raise UndefinedFunction(f"function {name}({types}) does not exist")
    arg_types, result, impl, strict = entry
    args = [c.compile(a) for a in raw_args]
    if arg_types is not None:
        _check_text_args(name, args, arg_types)
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
            args = c.common(raw_args)
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


def _check_text_args(name: str, args: list[Typed], params: list[SqlType]) -> None:
    """A text parameter takes only strings and untyped literals: PostgreSQL has no implicit
    cast to text from numbers, booleans or dates (length(42) is 42883); a boolean parameter
    only booleans and untyped literals."""
    for i, a in enumerate(args):
        param = params[min(i, len(params) - 1)] if params else a.type
        if (param is T.TEXT and a.type.category in "NBDT") or (
            param is T.BOOL and a.type.category not in "BX"
        ):
            raise no_such_function(name, args)


def _similar_substring(s: Typed, pattern: Typed, escape: Typed) -> Typed:
    """substring(text FROM pattern FOR escape), SUBSTRING(text SIMILAR pattern ESCAPE
    escape): the SQL regular expression form (sql.like.similar_substring)."""
    p, esc = coerce_to(pattern, T.TEXT), coerce_to(escape, T.TEXT)

    def run(r: Any) -> Any:
        v, pv, ev = s.fn(r), p.fn(r), esc.fn(r)
        if v is None or pv is None or ev is None:
            return None
        return similar_substring(v, pv, ev or None)

    return Typed(run, T.TEXT, name="substring")


def _substring(c: ExprCompiler, e: exp.Substring) -> Typed:
    if e.args.get("start") and e.args.get("length"):
        pattern = c.compile(e.args["start"])
        if pattern.type.name in ("text", "unknown", "character varying"):
            s = coerce_to(c.compile(e.this), T.TEXT, explicit=True)
            return _similar_substring(s, pattern, c.compile(e.args["length"]))
    parts = [e.this, e.args.get("start"), e.args.get("length")]
    return substring_call("substring", [c.compile(a) for a in parts if a is not None])


def _trim_fn(c: ExprCompiler, e: exp.Trim) -> Typed:
    side = (e.args.get("position") or "both").lower()
    name = {"leading": "ltrim", "trailing": "rtrim"}.get(side, "btrim")
    parts = [e.this] + ([e.expression] if e.expression is not None else [])
    return trim_call(name, [c.compile(a) for a in parts])


def _round_fn(c: ExprCompiler, e: exp.Round) -> Typed:
    x = c.compile(e.this)
    digits = coerce_to(c.compile(e.args["decimals"]), T.INT4) if e.args.get("decimals") else None
    if x.type.name == "unknown" or x.type.name in ("smallint", "integer", "bigint"):
        x = coerce_to(x, T.NUMERIC if digits is not None else T.FLOAT8)
    elif x.type.name == "real":
        x = coerce_to(x, T.FLOAT8)
    if digits is not None and x.type.name != "numeric":
        raise UndefinedFunction(f"function round({x.type.display()}, integer) does not exist")

    def run(r: Any) -> Any:
        v = x.fn(r)
        d = digits.fn(r) if digits else 0
        return None if v is None or d is None else _round(v, d)

    return Typed(run, x.type, name="round")


def _concat(c: ExprCompiler, e: exp.Expr) -> Typed:
    if e.expressions and isinstance(e.expressions[-1], exp.Variadic):
        *fixed, last = e.expressions
        return compile_variadic("concat", [c.compile(a) for a in fixed], c.compile(last.this))
    args = output_text([c.compile(a) for a in e.expressions])
    return Typed(
        lambda r: _concat_values([v for a in args if (v := a.fn(r)) is not None]),
        T.TEXT,
        name="concat",
    )


def _concat_ws(c: ExprCompiler, e: exp.Expr) -> Typed:
    if e.expressions and isinstance(e.expressions[-1], exp.Variadic):
        *fixed, last = e.expressions
        return compile_variadic("concat_ws", [c.compile(a) for a in fixed], c.compile(last.this))
    args = output_text([c.compile(a) for a in e.expressions])
    sep, rest = args[0], args[1:]

    def run(r: Any) -> Any:
        s = sep.fn(r)
        if s is None:
            return None
        return s.join(v for a in rest if (v := a.fn(r)) is not None)

    return Typed(run, T.TEXT, name="concat_ws")


def _extract(c: ExprCompiler, e: exp.Extract) -> Typed:
    unit = e.this.name.lower()
    src = c.compile(e.expression)
    if src.type.name == "unknown":
        src = coerce_to(src, T.TIMESTAMP)

    is_timestamp = src.type.name.startswith(("timestamp", "time ")) or src.type.name == "interval"

    def part(v: Any) -> Any:
        if isinstance(v, Interval):
            total = v.micros
            parts: dict[str, Any] = {
                "year": v.months // 12,
                "month": v.months % 12,
                "day": v.days,
                "hour": total // 3_600_000_000,
                "minute": total // 60_000_000 % 60,
                "second": Decimal(total % 60_000_000) / 1_000_000,
                "epoch": Decimal((v.months * 30 + v.days) * 86_400_000_000 + total) / 1_000_000,
            }
        elif isinstance(v, dt.time):  # time: its fields of the day, and seconds since midnight
            us = v.second * 1_000_000 + v.microsecond
            parts = {
                "hour": v.hour,
                "minute": v.minute,
                "second": Decimal(us) / 1_000_000,
                "milliseconds": Decimal(us) / 1000,
                "microseconds": us,
                "epoch": Decimal(int(T.to_storage(v, T.TIME))) / 1_000_000,
            }
            if unit not in parts:
                raise InvalidParameterValue(f'unit "{unit}" not recognized for type time')
        else:
            ts = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
            if ts.tzinfo is not None:  # timestamptz: its fields in the session's zone
                ts = ts.astimezone(T.session_zone())
            epoch_base = dt.datetime(1970, 1, 1, tzinfo=ts.tzinfo and dt.UTC)
            parts = {
                "year": ts.year,
                "month": ts.month,
                "day": ts.day,
                "hour": ts.hour,
                "minute": ts.minute,
                "second": Decimal(ts.second) + Decimal(ts.microsecond) / 1_000_000,
                "dow": (ts.weekday() + 1) % 7,
                "isodow": ts.isoweekday(),
                "doy": ts.timetuple().tm_yday,
                "quarter": (ts.month - 1) // 3 + 1,
                "week": ts.isocalendar()[1],
                "isoyear": ts.isocalendar()[0],
                "decade": ts.year // 10,
                "century": (ts.year + 99) // 100,
                "millennium": (ts.year + 999) // 1000,
                "milliseconds": Decimal(ts.second * 1_000_000 + ts.microsecond) / 1000,
                "microseconds": ts.second * 1_000_000 + ts.microsecond,
                "epoch": Decimal((ts - epoch_base) // dt.timedelta(microseconds=1)) / 1_000_000,
            }
        if unit not in parts:
            raise InvalidParameterValue(f'unit "{unit}" not recognized')
        value = Decimal(parts[unit])
        if is_timestamp and unit in ("second", "epoch"):
            return value.quantize(Decimal("0.000001"))
        if is_timestamp and unit == "milliseconds":
            return value.quantize(Decimal("0.001"))
        return value.to_integral_value() if value == value.to_integral_value() else value

    f = src.fn
    return Typed(lambda r: None if (v := f(r)) is None else part(v), T.NUMERIC, name="extract")


_TRUNC_UNITS = [
    "microseconds",
    "milliseconds",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "quarter",
    "year",
    "decade",
    "century",
    "millennium",
]


def _date_trunc_value(
    unit: str, v: dt.datetime | far_dates.FarTimestamp
) -> dt.datetime | far_dates.FarTimestamp:
    if unit not in _TRUNC_UNITS:
        raise InvalidParameterValue(f'unit "{unit}" not recognized for type timestamp')
    if isinstance(v, far_dates.FarTimestamp):
        if v.infinite:
            return v
        raise DatetimeFieldOverflow("timestamp out of range")
    if v.tzinfo is not None:  # timestamptz: truncated in the session's zone
        return T.local_to_utc(_date_trunc_value(unit, T.utc_to_local(v)))
    if unit == "week":
        d = v - dt.timedelta(days=v.weekday())
        return d.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "quarter":
        return v.replace(
            month=(v.month - 1) // 3 * 3 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
    if unit in ("decade", "century", "millennium"):
        size = {"decade": 10, "century": 100, "millennium": 1000}[unit]
        year = (v.year - 1) // size * size + 1 if unit != "decade" else v.year // 10 * 10
        return v.replace(year=year, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    fields = ["year", "month", "day", "hour", "minute", "second", "microsecond"]
    keep = {
        "year": 1,
        "month": 2,
        "day": 3,
        "hour": 4,
        "minute": 5,
        "second": 6,
        "milliseconds": 7,
        "microseconds": 7,
    }[unit]
    reset: dict[str, Any] = {f: (1 if f in ("month", "day") else 0) for f in fields[keep:]}
    if unit == "milliseconds":
        reset = {"microsecond": v.microsecond // 1000 * 1000}
    return v.replace(**reset)


_INTERVAL_TRUNC_MICROS = {"microseconds": 1, "milliseconds": 1000, "second": 1_000_000,
                          "minute": 60_000_000, "hour": 3_600_000_000}  # fmt: skip
_INTERVAL_TRUNC_MONTHS = {"quarter": 3, "year": 12, "decade": 120, "century": 1200,
                          "millennium": 12000}  # fmt: skip


def _interval_trunc(unit: str, v: Interval) -> Interval:
    """date_trunc(unit, interval) as PostgreSQL 15's interval_trunc: the fields below ``unit``
    zeroed, each truncated toward zero (months by whole quarters, years, ...)."""
    if unit in _INTERVAL_TRUNC_MICROS:
        step = _INTERVAL_TRUNC_MICROS[unit]
        micros = abs(v.micros) // step * step
        return Interval(v.months, v.days, micros if v.micros >= 0 else -micros)
    if unit == "day":
        return Interval(v.months, v.days, 0)
    if unit == "month":
        return Interval(v.months, 0, 0)
    if unit in _INTERVAL_TRUNC_MONTHS:
        step = _INTERVAL_TRUNC_MONTHS[unit]
        months = abs(v.months) // step * step
        return Interval(months if v.months >= 0 else -months, 0, 0)
    if unit == "week":
        raise FeatureNotSupported(
            'interval units "week" not supported because months usually have fractional weeks'
        )
    raise InvalidParameterValue(f'interval units "{unit}" not recognized')


def _date_trunc(c: ExprCompiler, e: exp.TimestampTrunc) -> Typed:
    unit = e.args["unit"].name.lower()
    src = c.compile(e.this)
    if src.type.name in ("interval", T.TIME.name):  # a time is truncated as an interval
        iv = coerce_to(src, T.INTERVAL).fn
        return Typed(
            lambda r: None if (v := iv(r)) is None else _interval_trunc(unit, v),
            T.INTERVAL,
            name="date_trunc",
        )
    if src.type.name in ("unknown", "date"):
        src = coerce_to(src, T.TIMESTAMP)
    f = src.fn
    rtype = src.type if src.type.name.startswith("timestamp") else T.TIMESTAMP
    return Typed(
        lambda r: None if (v := f(r)) is None else _date_trunc_value(unit, v),
        rtype,
        name="date_trunc",
    )


_SPECIAL: dict[type[exp.Expr], Callable[[ExprCompiler, Any], Typed]] = {
    exp.Substring: _substring,
    exp.Trim: _trim_fn,
    exp.Round: _round_fn,
    exp.Concat: _concat,
    exp.ConcatWs: _concat_ws,
    exp.Extract: _extract,
    exp.TimestampTrunc: _date_trunc,
}


CATALOG_FUNCTIONS = {
    "format_type",
    "pg_get_expr",
    "pg_get_indexdef",
    "pg_get_constraintdef",
    "pg_table_is_visible",
    "pg_type_is_visible",
    "pg_get_userbyid",
    "obj_description",
    "col_description",
    "shobj_description",
    "has_table_privilege",
    "has_sequence_privilege",
    "has_column_privilege",
    "has_schema_privilege",
    "has_database_privilege",
    "pg_encoding_to_char",
    "current_setting",
    "set_config",
    "pg_typeof",
    "to_regclass",
    "pg_is_in_recovery",
    "pg_get_serial_sequence",
    "pg_relation_size",
    "pg_total_relation_size",
    "pg_size_pretty",
    "date_part",
    "pg_get_viewdef",
    "pg_get_partkeydef",
    "pg_my_temp_schema",
    "pg_function_is_visible",
    *visibility.SYSTEM_ONLY_KINDS,
    "pg_tablespace_location",
    "pg_get_function_result",
    "pg_get_function_arguments",
    "pg_get_function_identity_arguments",
    "pg_get_triggerdef",
    "acldefault",
    "current_schemas",
    "pg_get_function_sqlbody",
}


def _catalog_fn(c: ExprCompiler, name: str, raw_args: list[exp.Expr]) -> Typed:
    """Functions clients call while introspecting (psql, SQLAlchemy, asyncpg, pg_dump)."""
    in_session = c.ctx.session

    def session() -> SessionApi:
        assert in_session is not None, "catalog functions run in a session"
        return in_session

    args = [c.compile(a) for a in raw_args]
    fns = [a.fn for a in args]
    types = [a.type for a in args]

    def catalog() -> Any:
        return session().catalog()

    def find_index(oid: Any) -> tuple[Any, Any] | None:
        if isinstance(oid, str) and not oid.isdigit():  # a regclass value: a name
            index = catalog().index_by_name(oid, session().search_path())
            oid = index.oid if index is not None else 0
        oid = int(oid) if oid is not None else 0
        for t in catalog().all_tables():
            for i in t.indexes:
                if i.oid == oid:
                    return t, i
        return None

    def impl(*v: Any) -> Any:
        if name == "format_type":
            if isinstance(v[0], str) and not v[0].isdigit():  # a regtype: the type's name
                t = T.type_by_name(v[0])
            else:
                t = T.BY_OID.get(int(v[0])) if v[0] is not None else None
            if t is None and v[0] in pseudo_types.BY_OID:
                return pseudo_types.BY_OID[v[0]]
            if t is None and v[0] is not None and not isinstance(v[0], str):
                return user_types.format_type(catalog(), session().search_path(), v[0])
            if t is None:
                return None
            mod = v[1] if len(v) > 1 and v[1] is not None else -1
            if mod >= 4 and t.name in ("character varying", "character"):
                return f"{t.name}({mod - 4})"
            if mod >= 0 and t.name in bits.BIT_TYPES:  # bit's typmod is its length
                return f"{t.name}({mod})"
            if mod >= 0 and t.name in T.TIME_PRECISION_TYPES:  # the fractional digits
                return T.with_modifiers(t, [mod]).display()
            if mod >= 4 and t.name == "numeric":
                return f"numeric({(mod - 4) >> 16},{(mod - 4) & 0xFFFF})"
            return t.display()
        if name == "pg_get_expr":
            if v[0] is None:
                return None
            return regclass_text.shown(str(v[0]), catalog(), session().search_path())
        if name == "acldefault":
            role = roles.by_oid(session(), catalog(), v[1])
            return privileges.acl_default(str(v[0]), role.name if role else str(v[1]))
        if name == "pg_get_function_sqlbody":  # a BEGIN ATOMIC body; NULL for a string one
            routine = catalog().routines.get(v[0])
            if routine is None or not routine.atomic:
                return None
            return "BEGIN ATOMIC\n" + "".join(f" {st};\n" for st in routine.atomic) + "END"
        if name == "pg_get_indexdef":
            found = find_index(v[0])
            if found and len(v) > 1 and v[1]:
                return index_column_def(found[1], int(v[1]), catalog(), session().search_path())
            return index_def(*found, catalog(), session().search_path()) if found else None
        if name == "pg_get_triggerdef":
            for t in catalog().all_tables():
                for tr in t.triggers:
                    if tr.oid == v[0]:
                        fn = catalog().routines.get(tr.function)
                        pretty = len(v) > 1 and bool(v[1])
                        fname = "?"
                        if fn is not None:  # qualified unless its schema is on the path
                            fname = quote_ident(fn.name)
                            if fn.schema not in session().search_path():
                                fname = f"{quote_ident(fn.schema)}.{fname}"
                        return trigger_defs.definition(t, tr, fname, pretty=pretty)
            return None
        if name == "pg_get_constraintdef":
            for t in catalog().all_tables():
                for con in t.constraints:
                    if con.oid == v[0]:
                        pretty = len(v) > 1 and bool(v[1])
                        return constraint_def(con, pretty, session().search_path(), t, catalog())
            for d in catalog().types.values():  # a domain's CHECK
                for con in d.constraints:
                    if con.oid == v[0]:
                        return f"CHECK ({con.check})"
            return None
        if name in ("has_table_privilege", "has_sequence_privilege", "has_column_privilege"):
            return privileges.has_privilege_function(session(), name.split("_")[1], list(v))
        if name == "pg_table_is_visible":
            return visibility.table_is_visible(catalog(), session().search_path(), v[0])
        if name == "pg_type_is_visible":
            return visibility.type_is_visible(catalog(), session().search_path(), v[0])
        if name == "pg_get_functiondef":
            routine = catalog().routines.get(int(getattr(v[0], "oid", v[0])))  # oid or regproc
            return function_defs.definition(routine) if routine is not None else None
        if name == "current_schemas":
            return visibility.current_schemas(session(), bool(v[0]))
        if name == "pg_function_is_visible":
            return visibility.function_is_visible(catalog(), session().search_path(), v[0])
        if name in visibility.SYSTEM_ONLY_KINDS:
            return visibility.system_object_is_visible(v[0], name)
        if name == "pg_tablespace_location":  # pg_default and pg_global: the data directory
            return "" if v[0] in (1663, 1664) else None
        if name in ("has_schema_privilege", "has_database_privilege"):
            return True
        if name == "pg_my_temp_schema":
            own = session().temp
            return catalog().schema_oids.get(own.schema, 0) if own.used else 0
        if name == "pg_get_viewdef":
            return view_definition(catalog(), session().search_path(), v[0])
        if name == "pg_get_partkeydef":
            rel = catalog().by_regclass(v[0], session().search_path())
            return partition_text.key_sql(rel) if rel is not None and rel.partkey else None
        if name == "pg_get_userbyid":
            role = roles.by_oid(session(), catalog(), v[0]) if v[0] is not None else None
            return role.name if role is not None else f"unknown (OID={v[0]})"
        if name == "obj_description" and v[0] is not None:
            classoid = {
                "pg_class": comments.PG_CLASS,
                "pg_constraint": comments.PG_CONSTRAINT,
                "pg_extension": extensions.PG_EXTENSION,
            }
            kind = classoid.get(str(v[1]), -1) if len(v) > 1 else None
            return comments.description(catalog(), v[0], kind, 0, session().search_path())
        if name == "col_description" and None not in v:
            return comments.description(
                catalog(), v[0], comments.PG_CLASS, v[1], session().search_path()
            )
        if name in (
            "pg_get_function_result",
            "pg_get_function_arguments",
            "pg_get_function_identity_arguments",
        ):
            routine = catalog().routines.get(v[0])
            if routine is None and v[0] is not None:  # an extension's built-in function
                ext = extension_catalog.described(catalog(), v[0])
                if ext is None:
                    return None
                return ext.result_text if name == "pg_get_function_result" else ext.arguments
            if routine is None:
                return None
            if name == "pg_get_function_result":
                return routine_types.describe_result(routine)
            return routine_types.describe_arguments(
                routine, defaults=name == "pg_get_function_arguments"
            )
        if name in ("obj_description", "col_description", "shobj_description"):
            return None
        if name == "pg_encoding_to_char":
            return "UTF8"
        if name == "current_setting":
            key = str(v[0]).lower()
            if key not in session().settings:
                raise UndefinedObject(f'unrecognized configuration parameter "{v[0]}"')
            return session().settings[key]
        if name == "set_config":
            return session().set_config(str(v[0]).lower(), str(v[1]), local=v[2] is True)
        if name == "pg_typeof":
            return T.without_modifiers(types[0]).display()
        if name == "to_regclass":
            rel = parse_name(str(v[0]))
            found = catalog().find(rel.name, rel.schema, session().search_path())
            return found.name if found else None
        if name == "to_regtype":
            regtype = regtype_named(str(v[0]))
            if regtype is None or T.BY_OID.get(regtype.oid) is not None:
                return regtype.display() if regtype else None
            path = session().search_path()
            return user_types.format_type(catalog(), path, regtype.oid) or regtype.display()
        if name in ("pg_is_in_recovery", "pg_relation_is_publishable"):
            return False
        if name == "pg_get_statisticsobjdef_columns":
            return None
        if name == "pg_get_serial_sequence":
            rel = parse_name(str(v[0]))
            t = catalog().find(rel.name, rel.schema, session().search_path())
            if t is None:
                raise UndefinedTable(f'relation "{v[0]}" does not exist')
            col = t.column(v[1])
            if col is None:
                raise UndefinedColumn(f'column "{v[1]}" of relation "{t.name}" does not exist')
            if not col.sequence:
                return None
            return f"{quote_ident(t.schema)}.{quote_ident(col.sequence)}"
        if name in relation_sizes.FUNCTIONS:
            return relation_sizes.size(session(), name, list(v))
        if name == "pg_size_pretty":
            return relation_sizes.size_pretty(v[0])
        if name == "date_part":
            return None
        return None

    rtype = {
        "pg_table_is_visible": T.BOOL,
        "pg_type_is_visible": T.BOOL,
        "pg_function_is_visible": T.BOOL,
        **{kind: T.BOOL for kind in visibility.SYSTEM_ONLY_KINDS},
        "has_table_privilege": T.BOOL,
        "has_sequence_privilege": T.BOOL,
        "has_column_privilege": T.BOOL,
        "has_schema_privilege": T.BOOL,
        "has_database_privilege": T.BOOL,
        "pg_is_in_recovery": T.BOOL,
        "pg_my_temp_schema": T.OID,
        **{size_fn: T.INT8 for size_fn in relation_sizes.FUNCTIONS},
        "current_schemas": T.NAME.array_of(),
        "pg_get_userbyid": T.NAME,
        "pg_encoding_to_char": T.NAME,
        "pg_typeof": T.REGTYPE,
        "to_regclass": T.REGCLASS,
        "to_regtype": T.REGTYPE,
        "pg_relation_is_publishable": T.BOOL,
    }.get(name, T.TEXT)
    if name == "date_part" and len(raw_args) == 2:
        unit = str(fns[0](())).lower()
        ex = exp.Extract(this=exp.Var(this=unit), expression=raw_args[1])
        inner = _extract(c, ex)
        return Typed(
            lambda r: None if (x := inner.fn(r)) is None else float(x), T.FLOAT8, name="date_part"
        )
    strict = name not in ("set_config",)

    def run(r: Any) -> Any:
        values = [f(r) for f in fns]
        non_strict = ("pg_is_in_recovery", "pg_typeof")
        if strict and name not in non_strict and any(x is None for x in values[:1]):
            return None
        return impl(*values)

    _ = coerce_to
    return Typed(run, rtype, False, name)


def datetime_arith(op: str, a: Typed, b: Typed) -> Typed:
    ta, tb = a.type, b.type
    if op in "*/" and "interval" in (ta.name, tb.name):  # interval * '2': a float8
        a = coerce_to(a, T.FLOAT8) if ta.name == "unknown" else a
        b = coerce_to(b, T.FLOAT8) if tb.name == "unknown" else b
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
        return strict(lambda x, y: far_dates.add_days(x, sign * y), T.DATE)
    if tb.name == "date" and ta.name in ("integer", "smallint", "bigint") and op == "+":
        return strict(lambda x, y: far_dates.add_days(y, x), T.DATE)
    if T.TIMETZ.name in (ta.name, tb.name):
        return _timetz_arith(op, ta, tb, strict)
    if ta.name == "date" and tb.name == "date" and op == "-":
        return strict(lambda x, y: (x - y).days, T.INT4)
    if T.TIME in (ta, tb):
        return _time_arith(op, ta, tb, strict)
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
    if ta.name == "interval" and tb.name in T.NUMERIC_RANK and op == "/":
        return strict(lambda x, y: interval_div(x, float(y)), T.INTERVAL)
    if ta.name == "interval" and tb.name in T.NUMERIC_RANK and op == "*":
        return strict(lambda x, y: interval_mul(x, float(y)), T.INTERVAL)
    if tb.name == "interval" and ta.name in T.NUMERIC_RANK and op == "*":
        return strict(lambda x, y: interval_mul(y, float(x)), T.INTERVAL)
    raise DatatypeMismatch(f"operator does not exist: {ta.display()} {op} {tb.display()}")


def _time_arith(
    op: str, ta: SqlType, tb: SqlType, strict: Callable[[Callable[[Any, Any], Any], SqlType], Typed]
) -> Typed:
    """time +/- interval (wrapping at midnight), time - time, date + time and time + date."""
    day = 86_400_000_000

    def micros(t: dt.time) -> int:
        return int(T.to_storage(t, T.TIME))

    def at(m: int) -> dt.time:
        return T.from_storage(m % day, T.TIME)  # type: ignore[no-any-return]

    if ta is T.TIME and tb.name == "interval" and op in "+-":
        sign = 1 if op == "+" else -1
        return strict(lambda x, y: at(micros(x) + sign * y.micros), T.TIME)
    if ta.name == "interval" and tb is T.TIME and op == "+":
        return strict(lambda x, y: at(micros(y) + x.micros), T.TIME)
    if ta is T.TIME and tb is T.TIME and op == "-":
        return strict(lambda x, y: Interval(0, 0, micros(x) - micros(y)), T.INTERVAL)
    if ta.name == "date" and tb is T.TIME and op == "+":
        return strict(lambda x, y: dt.datetime.combine(x, y), T.TIMESTAMP)
    if ta is T.TIME and tb.name == "date" and op == "+":
        return strict(lambda x, y: dt.datetime.combine(y, x), T.TIMESTAMP)
    raise DatatypeMismatch(f"operator does not exist: {ta.display()} {op} {tb.display()}")


def _timetz_arith(
    op: str, ta: SqlType, tb: SqlType, strict: Callable[[Callable[[Any, Any], Any], SqlType], Typed]
) -> Typed:
    """timetz +/- interval, interval + timetz, date + timetz and timetz + date."""
    tz = T.TIMETZ.name
    if ta.name == tz and tb.name == "interval" and op in "+-":
        sign = 1 if op == "+" else -1
        return strict(lambda x, y: timetz.plus_micros(x, sign * y.micros), T.TIMETZ)
    if ta.name == "interval" and tb.name == tz and op == "+":
        return strict(lambda x, y: timetz.plus_micros(y, x.micros), T.TIMETZ)
    if ta.name == "date" and tb.name == tz and op == "+":
        return strict(timetz.at_date, T.TIMESTAMPTZ)
    if ta.name == tz and tb.name == "date" and op == "+":
        return strict(lambda x, y: timetz.at_date(y, x), T.TIMESTAMPTZ)
    raise DatatypeMismatch(f"operator does not exist: {ta.display()} {op} {tb.display()}")


def _as_ts(x: Any) -> dt.datetime:
    if isinstance(x, dt.datetime):
        return x
    return dt.datetime(x.year, x.month, x.day)


def add_interval(x: Any, iv: Interval, sign: int) -> Any:
    """timestamp/date +/- interval: months first (clamped to the month's last day), then days
    and microseconds; past Python's years (or from one) a far_dates.FarTimestamp."""
    if isinstance(x, far_dates.FarDate):
        x = far_dates.date_to_timestamp(x, False, dt.UTC)
    flat = sign * (iv.days * 86_400_000_000 + iv.micros)
    if isinstance(x, far_dates.FarTimestamp) and (x.infinite or not iv.months):
        return far_dates.add_micros(x, flat)
    ts = _as_ts(x)
    if ts.tzinfo is not None and (iv.months or iv.days):
        # a timestamp with time zone: months and days move the local date in the session's
        # zone (a day across a DST change is 23 or 25 hours), the time part moves the instant
        local = add_interval(T.utc_to_local(ts), Interval(iv.months, iv.days, 0), sign)
        return add_interval(T.local_to_utc(local), Interval(0, 0, iv.micros), sign)
    months = ts.month - 1 + sign * iv.months
    year, month = ts.year + months // 12, months % 12 + 1
    if not 1 <= year <= 9999:
        raise DatetimeFieldOverflow("timestamp out of range")
    day = min(ts.day, calendar.monthrange(year, month)[1])
    ts = ts.replace(year=year, month=month, day=day)
    try:
        return ts + dt.timedelta(microseconds=flat)
    except OverflowError:
        return far_dates.add_micros(ts, flat)


def _lastval(c: ExprCompiler) -> Typed:
    """lastval(): the value nextval (or setval) last gave in this session."""
    session = c.ctx.session

    def run(_r: Any) -> Any:
        if session is None or not session.last_values:
            raise ObjectNotInPrerequisiteState("lastval is not yet defined in this session")
        values = session.last_values
        seq_id = next(reversed(values))
        seq = session.catalog().tables.get(seq_id)
        if seq is None:
            raise ObjectNotInPrerequisiteState("lastval is not yet defined in this session")
        privileges.require(session, seq, "rU")
        return values[seq_id]

    return Typed(run, T.INT8, False, "lastval")


def interval_div(iv: Interval, factor: float) -> Interval:
    """interval / float8 as PostgreSQL 15's interval_div: months and days divided and
    truncated, their fractions carried down (a month as 30 days, a day as 24 hours) and
    rounded to the microsecond."""
    if factor == 0:
        raise DivisionByZero("division by zero")
    months = int(iv.months / factor)
    days = int(iv.days / factor)
    month_days = round((iv.months / factor - months) * 30, 6)
    secs = round((iv.days / factor - days + month_days - int(month_days)) * 86400, 6)
    if abs(secs) >= 86400:
        days += int(secs / 86400)
        secs -= int(secs / 86400) * 86400
    days += int(month_days)
    return Interval(months, days, round(iv.micros / factor + secs * 1_000_000))


def interval_mul(iv: Interval, factor: float) -> Interval:
    """interval * float8 as PostgreSQL 15's interval_mul (the fractions carried down as
    interval_div carries them)."""
    months = int(iv.months * factor)
    days = int(iv.days * factor)
    month_days = round((iv.months * factor - months) * 30, 6)
    secs = round((iv.days * factor - days + month_days - int(month_days)) * 86400, 6)
    if abs(secs) >= 86400:
        days += int(secs / 86400)
        secs -= int(secs / 86400) * 86400
    days += int(month_days)
    return Interval(months, days, round(iv.micros * factor + secs * 1_000_000))


def _sequence_fn(c: ExprCompiler, name: str, raw_args: list[exp.Expr]) -> Typed:
    session = c.ctx.session
    if session is None or not raw_args:
        raise UndefinedFunction(f"function {name}() does not exist")
    args = [c.compile(a) for a in raw_args]
    seq_name = coerce_to(args[0], T.TEXT, explicit=True)
    rest = [coerce_to(a, T.INT8 if i == 0 else T.BOOL) for i, a in enumerate(args[1:])]

    def lookup(text: str) -> Any:
        name = parse_name(text)
        seq = session.catalog().find(name.name, name.schema, session.search_path())
        if seq is None or seq.kind != "sequence":
            raise UndefinedTable(f'relation "{text}" does not exist')
        return seq

    def run(r: Any) -> Any:
        text = seq_name.fn(r)
        if text is None:
            return None
        seq = lookup(text)
        # nextval needs USAGE or UPDATE, currval SELECT or USAGE, setval UPDATE.
        privileges.require(session, seq, {"nextval": "Uw", "currval": "rU"}.get(name, "w"))
        sequences = session.database.sequences
        if name != "currval" and session.read_only and not temp.is_temp_schema(seq.schema):
            raise ReadOnlySqlTransaction(f"cannot execute {name}() in a read-only transaction")
        if name == "nextval":
            value = sequences.nextval(seq)
            session.last_values.pop(seq.id, None)  # the last entry is lastval()'s
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
        sequences.setval(seq, value, called)
        values = session.last_values
        if called and seq.id in values:
            values[seq.id] = value
        elif called:  # currval's now, but lastval stays with the sequence nextval last used
            rest_values = dict(values)
            values.clear()
            values[seq.id] = value
            values.update(rest_values)
        return value

    return Typed(run, T.INT8, False, name)


CATALOG_FUNCTIONS |= relation_sizes.FUNCTIONS | {
    "current_schemas",
    "pg_get_functiondef",
    "to_regtype",
    "pg_relation_is_publishable",
    "pg_get_statisticsobjdef_columns",
}


# -- set-returning functions in a select list (sql.plan.binder makes a ProjectSet of them) ------


SRF_NAMES = (
    {
        "unnest",
        "generate_series",
        "generate_subscripts",
        "pg_partition_ancestors",
        "pg_listening_channels",
        "_pg_expandarray",
    }
    | TEXT_SRFS
    | functions_array.SRFS
)


def _partition_ancestors(session: Any, arg: Callable[[Row], Any]) -> Callable[[Row], list[Any]]:
    """pg_partition_ancestors(rel) in a select list: the relation and the partitioned
    tables above it (regclass values: names)."""

    def run(r: Row) -> list[Any]:
        catalog = session.catalog()
        table = catalog.by_regclass(arg(r), session.search_path())
        if table is None or table.kind != "table":
            return []
        return [t.name for t in [table, *catalog.ancestors(table)]]

    return run


def _expand_array(arr: Typed) -> tuple[Callable[[Row], list[Any]], SqlType]:
    """information_schema._pg_expandarray(a): a record (x, n) per element, n counting from 1
    (JDBC drivers number primary-key and index columns with it)."""
    elem = arr.type.element or T.INT2
    if arr.type.name == "int2vector":
        elem = T.INT2
    record = replace(T.RECORD, fields=(("x", elem), ("n", T.INT4)))

    def run(r: Row) -> list[Any]:
        values = arr.fn(r)
        if values is None:
            return []
        return [(x, n) for n, x in enumerate(T.array_elements(values, elem), 1)]

    return run, record


_PGCRYPTO = frozenset({"digest"})  # pgcrypto's functions db9 has (sql.functions_text)


def _installed(c: ExprCompiler, extension: str) -> bool:
    """Whether the database compiling ``c``'s expression installed ``extension`` (taken as
    yes without a session: an index or constraint expression, whose types were resolved)."""
    session = c.ctx.session
    return session is None or extension in session.catalog().extensions


def srf_name(e: exp.Expr) -> str | None:
    """The set-returning function ``e`` calls (unnest, generate_series, generate_subscripts),
    or None."""
    if isinstance(e, exp.Explode | exp.Unnest):
        return "unnest"
    if isinstance(e, exp.ExplodingGenerateSeries | exp.GenerateSeries):
        return "generate_series"
    if isinstance(e, exp.Anonymous) and (
        str(e.this).lower() in SRF_NAMES
        or str(e.this).lower() in jsonb.SRFS
        or str(e.this).lower() in jsonb.POPULATE_SETS
        or str(e.this).lower() in hstore.SRFS
    ):
        return str(e.this).lower()
    return None


def compile_srf(comp: ExprCompiler, call: exp.Expr) -> tuple[Callable[[Row], list[Any]], SqlType]:
    """A set-returning function call in a select list: a function from a row to the list of
    values it returns there, and their type."""
    name = srf_name(call)
    if name is None:
        user = routine_call.compile_srf(comp, call)
        if user is not None:
            return user
    if isinstance(call, exp.Anonymous):
        args = list(call.expressions)
    elif isinstance(call, exp.Explode):
        args = [call.this]
    elif isinstance(call, exp.Unnest):
        args = list(call.expressions)
    else:
        args = [
            a
            for a in (call.args.get("start"), call.args.get("end"), call.args.get("step"))
            if a is not None
        ]
    if name in jsonb.POPULATE_SETS:
        return jsonb.compile_populate_set(comp, name, args)
    if name in jsonb.SRFS or name in hstore.SRFS:
        compile_set = hstore.compile_set if name in hstore.SRFS else jsonb.compile_set
        rows, cols = compile_set(comp, name, args)
        if len(cols) != 1:  # a record of the columns
            record = replace(T.RECORD, fields=tuple(cols))
            return (lambda r: [tuple(row) for row in rows(r)]), record
        return (lambda r: [row[0] for row in rows(r)]), cols[0][1]
    typed = [comp.compile(a) for a in args]
    if name == "_pg_expandarray" and len(typed) == 1:
        return _expand_array(typed[0])
    if name == "pg_listening_channels" and not typed:
        ctx = comp.ctx
        return (lambda _r: ctx.session.notify.channels() if ctx.session else []), T.TEXT
    if name == "pg_partition_ancestors" and len(typed) == 1 and comp.ctx.session is not None:
        return _partition_ancestors(comp.ctx.session, typed[0].fn), T.REGCLASS
    if name in TEXT_SRFS:
        return text_srf(name, typed)
    if name in functions_array.SRFS:
        return functions_array.compile_srf(name, typed)
    if name == "unnest" and typed and typed[0].type.is_multirange:  # its ranges, in order
        multi = typed[0]
        assert multi.type.subtype is not None
        return (lambda r: list(getattr(multi.fn(r), "ranges", ()))), multi.type.subtype
    if name == "unnest":
        arr = typed[0]
        elem = arr.type.element or T.TEXT
        return (lambda r: T.array_elements(arr.fn(r) or [], elem)), elem
    if name == "generate_subscripts":
        arr, *more = typed
        elem = arr.type.element or T.TEXT
        dim = coerce_to(more[0], T.INT4).fn if more else (lambda _r: 1)
        rev = coerce_to(more[1], T.BOOL).fn if len(more) > 1 else (lambda _r: False)
        return (lambda r: functions_array.subscripts(arr.fn(r), elem, dim(r), bool(rev(r)))), T.INT4
    t = unify([a.type for a in typed])
    t = T.INT4 if t.name in ("unknown", "smallint") else t
    # generate_series(0, $1): the parameter takes the series' type
    vals = [coerce_to(comp._typed_like(e, a, t), t) for e, a in zip(args, typed, strict=True)]

    def series(r: Row) -> list[Any]:
        start, stop = vals[0].fn(r), vals[1].fn(r)
        step = vals[2].fn(r) if len(vals) > 2 else 1
        if start is None or stop is None or step is None:
            return []
        check_series_bounds(start, stop, step)
        out = []
        v = start
        while (v <= stop) if step > 0 else (v >= stop):
            out.append(v)
            v = plus(v, step)
            if not len(out) & 1023:
                interrupt.check()
            if not len(out) & 0xFFFF:
                fits(len(out) * 40)
        return out

    return series, t


_MAKE_INTERVAL = ("years", "months", "weeks", "days", "hours", "mins", "secs")


def _make_interval(c: ExprCompiler, raw_args: list[exp.Expr]) -> Typed:
    """make_interval(years, months, weeks, days, hours, mins, secs), each defaulting to 0
    and nameable (``secs => 1.5``); strict, as PostgreSQL's."""
    given: dict[str, Typed] = {}
    for n, arg in enumerate(raw_args):
        if isinstance(arg, exp.Kwarg):
            key, value = arg.this.name.lower(), arg.expression
        else:
            key, value = (_MAKE_INTERVAL[n] if n < len(_MAKE_INTERVAL) else ""), arg
        if key not in _MAKE_INTERVAL or key in given:
            raise UndefinedFunction("function make_interval with these arguments does not exist")
        given[key] = coerce_to(c.compile(value), T.FLOAT8 if key == "secs" else T.INT4)
    fns = [given[k].fn if k in given else (lambda _r: 0) for k in _MAKE_INTERVAL]

    def run(row: Row) -> Any:
        years, months, weeks, days, hours, mins, secs = (f(row) for f in fns)
        if None in (years, months, weeks, days, hours, mins, secs):
            return None
        micros = (hours * 3600 + mins * 60) * 1_000_000 + round(secs * 1_000_000)
        return T.Interval(years * 12 + months, weeks * 7 + days, micros)

    return Typed(run, T.INTERVAL, all(t.const for t in given.values()), "make_interval")
