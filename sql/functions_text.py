"""PostgreSQL's string, regular-expression, quoting, encoding and number-bucketing functions,
by PostgreSQL's names and with its errors.

``BUILDERS`` maps a name to a function from the compiled arguments to the compiled call, for
functions whose behaviour depends on their arguments' types or count (format, regexp_replace's
optional start, to_hex of int4 or int8). Regular expressions are PostgreSQL's advanced ones
translated to Python's ``re`` (``pg_regex``), shared with the ``~`` operators.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from sql import far_dates, formatting
from sql import types as T
from sql.casts import coerce_to
from sql.errors import (
    ArraySubscriptError,
    DatatypeMismatch,
    FeatureNotSupported,
    InvalidArgumentForWidthBucket,
    InvalidParameterValue,
    InvalidTextRepresentation,
    NullValueNotAllowed,
    SyntaxError_,
    UndefinedFunction,
)
from sql.regex_engine import pg_regex
from sql.scope import Row, Typed
from sql.types import SqlType

Builder = Callable[[str, list[Typed]], Typed]
VOID = SqlType("void", 2278, 0, 4, "P")  # what pg_sleep returns: prints as ''


def strict_call(name: str, args: list[Typed], rtype: SqlType, impl: Callable[..., Any]) -> Typed:
    """A strict call (NULL in, NULL out), folded once when every argument is constant."""
    fns = [a.fn for a in args]

    def run(r: Row) -> Any:
        values = [f(r) for f in fns]
        return None if any(v is None for v in values) else impl(*values)

    if all(a.const for a in args):
        value = run(())
        return Typed(lambda _r: value, rtype, True, name)
    return Typed(run, rtype, False, name)


def no_such_function(name: str, args: list[Typed]) -> UndefinedFunction:
    """42883 for ``name`` called with ``args``' types, with PostgreSQL's hint."""
    shown = ", ".join(a.type.display() for a in args)
    return UndefinedFunction(
        f"function {name}({shown}) does not exist",
        hint="No function matches the given name and argument types. You might need to add "
        "explicit type casts.",
    )


def _texts(args: list[Typed]) -> list[Typed]:
    return [coerce_to(a, T.TEXT, explicit=True) for a in args]


_INTS = ("smallint", "integer", "bigint")


def _is_int(a: Typed) -> bool:
    return a.type.name in _INTS


# -- regular expressions ---------------------------------------------------------------------


def _regex_flags(flags: str | None, fn: str, *, allow_global: bool) -> tuple[str, bool]:
    """The option letters without 'g', and whether 'g' was given (refused where PostgreSQL
    refuses it)."""
    flags = flags or ""
    glob = "g" in flags
    if glob and not allow_global:
        raise InvalidParameterValue(f'{fn}() does not support the "global" option')
    rest = flags.replace("g", "")
    pg_regex("", rest)  # validates the letters
    return rest, glob


def _positive(value: int, what: str) -> None:
    if value <= 0:
        raise InvalidParameterValue(f'invalid value for parameter "{what}": {value}')


def _matches(s: str, rx: re.Pattern[str], start: int = 1) -> Iterator[re.Match[str]]:
    """Matches of ``rx`` in ``s`` from 1-based ``start`` on, as PostgreSQL steps over them
    (after an empty match the search moves on one character)."""
    return rx.finditer(s, start - 1)


def _substitute(m: re.Match[str], repl: str) -> str:
    """``repl`` with \\1..\\9 (a group, '' if it did not take part) and \\& (the match); any
    other backslash stays, except that \\\\ is one backslash."""
    out: list[str] = []
    i, n = 0, len(repl)
    while i < n:
        ch = repl[i]
        if ch == "\\" and i + 1 < n:
            nxt = repl[i + 1]
            if "1" <= nxt <= "9":
                k = int(nxt)
                out.append((m.group(k) or "") if k <= (m.re.groups or 0) else "")
                i += 2
                continue
            if nxt == "&":
                out.append(m.group(0))
                i += 2
                continue
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def regexp_replace(
    s: str,
    pattern: str,
    repl: str,
    start: int = 1,
    nth: int = 0,
    flags: str = "",
    glob: bool | None = None,
) -> str:
    """regexp_replace: the first match (or the nth, or all with 'g' or nth = 0 given a start)
    from ``start`` on, replaced."""
    rx = pg_regex(pattern, flags)
    out: list[str] = []
    last = 0
    for count, m in enumerate(_matches(s, rx, start), 1):
        if nth and count != nth:
            continue
        out.append(s[last : m.start()])
        out.append(_substitute(m, repl))
        last = m.end()
        if nth or not glob:
            break
    out.append(s[last:])
    return "".join(out)


def _regexp_replace(name: str, args: list[Typed]) -> Typed:
    if not 3 <= len(args) <= 6:
        raise no_such_function(name, args)
    head = _texts(args[:3])
    has_start = len(args) >= 4 and _is_int(args[3])
    if has_start:
        nums = [coerce_to(a, T.INT4) for a in args[3:5]]
        rest = _texts(args[5:])
    else:
        if len(args) > 4:
            raise no_such_function(name, args)
        nums, rest = [], _texts(args[3:])

    def impl(s: str, p: str, r: str, *more: Any) -> str:
        start = more[0] if has_start else 1
        nth = more[1] if len(nums) > 1 else None
        flags = more[len(nums)] if rest else ""
        _positive(start, "start")
        if nth is not None and nth < 0:
            raise InvalidParameterValue(f'invalid value for parameter "n": {nth}')
        letters, glob = _regex_flags(flags, name, allow_global=True)
        if nth is not None:
            return regexp_replace(s, p, r, start, nth, letters, glob=nth == 0)
        return regexp_replace(s, p, r, start, 0, letters, glob=glob)

    return strict_call(name, head + nums + rest, T.TEXT, impl)


def _groups(m: re.Match[str]) -> list[str | None]:
    return list(m.groups()) if m.re.groups else [m.group(0)]


def regexp_matches(s: str, p: str, flags: str | None = None) -> list[list[str | None]]:
    """regexp_matches: each match's groups (the whole match when there are none); all
    matches with 'g', else the first."""
    letters, glob = _regex_flags(flags, "regexp_matches", allow_global=True)
    rx = pg_regex(p, letters)
    found = []
    for m in _matches(s, rx):
        found.append(_groups(m))
        if not glob:
            break
    return found


def _regexp_match(s: str, p: str, flags: str | None = None) -> list[str | None] | None:
    letters, _ = _regex_flags(flags, "regexp_match", allow_global=False)
    m = pg_regex(p, letters).search(s)
    return None if m is None else _groups(m)


def regexp_split(s: str, p: str, flags: str | None = None, fn: str = "") -> list[str]:
    """regexp_split_to_table/array: the pieces between matches; an empty match splits
    between characters, and no empty match is taken at either end."""
    letters, _ = _regex_flags(flags, fn or "regexp_split_to_table", allow_global=False)
    rx = pg_regex(p, letters)
    out: list[str] = []
    last, prev_end = 0, -1
    for m in rx.finditer(s):
        if m.start() == m.end() and m.start() in (0, len(s), prev_end):
            continue
        out.append(s[last : m.start()])
        last = prev_end = m.end()
    out.append(s[last:])
    return out


def _occurrence(
    s: str, p: str, start: int, nth: int, flags: str, sub: int, fn: str
) -> re.Match[str] | None:
    _positive(start, "start")
    _positive(nth, "n")
    if sub < 0:
        raise InvalidParameterValue(f'invalid value for parameter "subexpr": {sub}')
    letters, _ = _regex_flags(flags, fn, allow_global=False)
    for count, m in enumerate(_matches(s, pg_regex(p, letters), start), 1):
        if count == nth:
            return m
    return None


def _regexp_count(s: str, p: str, start: int = 1, flags: str = "") -> int:
    _positive(start, "start")
    letters, _ = _regex_flags(flags, "regexp_count", allow_global=False)
    return sum(1 for _ in _matches(s, pg_regex(p, letters), start))


def _regexp_instr(
    s: str,
    p: str,
    start: int = 1,
    nth: int = 1,
    endopt: int = 0,
    flags: str = "",
    sub: int = 0,
) -> int:
    if endopt not in (0, 1):
        raise InvalidParameterValue(f'invalid value for parameter "endoption": {endopt}')
    m = _occurrence(s, p, start, nth, flags, sub, "regexp_instr")
    if m is None or sub > (m.re.groups or 0) or m.start(sub) < 0:
        return 0
    return (m.end(sub) if endopt else m.start(sub)) + 1


def _regexp_substr(
    s: str, p: str, start: int = 1, nth: int = 1, flags: str = "", sub: int = 0
) -> str | None:
    m = _occurrence(s, p, start, nth, flags, sub, "regexp_substr")
    if m is None or sub > (m.re.groups or 0):
        return None
    return m.group(sub)


def _positional(types: list[SqlType]) -> Builder:
    """A strict function of fixed parameter types, any prefix of which may be given."""

    def build(name: str, args: list[Typed]) -> Typed:
        impl, rtype = _POSITIONAL_IMPLS[name]
        if len(args) > len(types) or len(args) < 2:
            raise no_such_function(name, args)
        coerced = [coerce_to(a, types[i], explicit=False) for i, a in enumerate(args)]
        return strict_call(name, coerced, rtype, impl)

    return build


_POSITIONAL_IMPLS: dict[str, tuple[Callable[..., Any], SqlType]] = {
    "regexp_count": (_regexp_count, T.INT4),
    "regexp_like": (lambda *a: _regexp_like(*a), T.BOOL),
    "regexp_instr": (_regexp_instr, T.INT4),
    "regexp_substr": (_regexp_substr, T.TEXT),
    "regexp_match": (_regexp_match, T.TEXT.array_of()),
    "regexp_split_to_array": (
        lambda s, p, f=None: regexp_split(s, p, f, "regexp_split_to_array"),
        T.TEXT.array_of(),
    ),
}
_I, _X = T.INT4, T.TEXT

# -- quoting and format() -------------------------------------------------------------------

# Keywords quote_ident quotes (all but PostgreSQL's unreserved ones).
_KEYWORD_TEXT = """
all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp
current_user default deferrable desc distinct do else end except false fetch for foreign
from grant group having in initially intersect into lateral leading limit localtime
localtimestamp not null offset on only or order placing primary references returning select
session_user some symmetric table then to trailing true union unique user using variadic
when where window with authorization binary collation concurrently cross current_schema
freeze full ilike inner is isnull join left like natural notnull outer overlaps right
similar tablesample verbose between bigint bit boolean char character coalesce dec decimal
exists extract float greatest grouping inout int integer interval least national nchar none
normalize nullif numeric out overlay position precision real row setof smallint substring
time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists
xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
"""
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())
_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_$]*\Z")


def quote_ident(s: str) -> str:
    """An identifier as SQL text: double-quoted unless lower-case, plain and no keyword."""
    if _PLAIN_IDENT.match(s) and s not in _KEYWORDS:
        return s
    return '"' + s.replace('"', '""') + '"'


def quote_literal(s: str) -> str:
    """A string literal as SQL text; one with a backslash is written E'...'."""
    body = s.replace("'", "''")
    if "\\" in s:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


def output_text(args: list[Typed]) -> list[Typed]:
    """The arguments as their output functions print them (true is 't', as concat and
    format show it)."""
    return [
        a
        if a.type is T.TEXT
        else Typed((lambda f, t: lambda r: T.format_value(f(r), t))(a.fn, a.type), T.TEXT, a.const)
        for a in args
    ]


def _quote_literal(name: str, args: list[Typed]) -> Typed:
    if len(args) != 1:
        raise no_such_function(name, args)
    (arg,) = output_text(args)
    if name == "quote_nullable":
        f = arg.fn
        return Typed(
            lambda r: "NULL" if (v := f(r)) is None else quote_literal(v), T.TEXT, arg.const, name
        )
    return strict_call(name, [arg], T.TEXT, quote_literal)


def _quote_ident(name: str, args: list[Typed]) -> Typed:
    if len(args) != 1:
        raise no_such_function(name, args)
    return strict_call(name, _texts(args), T.TEXT, quote_ident)


_SPEC = re.compile(r"%(?:(\d+)\$)?([-]?)(?:(\*)(?:(\d+)\$)?|(\d+))?(.)?", re.S)


def format_text(fmt: str, args: list[str | None]) -> str:
    """format(): %s, %I, %L and %%, with argument positions (n$), widths (n, *, *n$) and
    '-' for left alignment, as PostgreSQL's text_format."""
    out: list[str] = []
    i, n = 0, len(fmt)
    next_arg = 0

    def arg_at(k: int) -> str | None:
        if k >= len(args):
            raise InvalidParameterValue("too few arguments for format()")
        return args[k]

    while i < n:
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i >= n:
            raise InvalidParameterValue("unterminated format() type specifier")
        if fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        # argument position: digits then '$'
        pos = None
        m = re.match(r"(\d+)\$", fmt[i:])
        if m:
            pos = int(m.group(1))
            if pos == 0:
                raise InvalidParameterValue(
                    "format specifies argument 0, but arguments are numbered from 1"
                )
            i += m.end()
        left = False
        while i < n and fmt[i] == "-":
            left = True
            i += 1
        width: int | None = None
        width_arg: int | None = None
        if i < n and fmt[i] == "*":
            i += 1
            m = re.match(r"(\d+)\$", fmt[i:])
            if m:
                k = int(m.group(1))
                if k == 0:
                    raise InvalidParameterValue(
                        "format specifies argument 0, but arguments are numbered from 1"
                    )
                i += m.end()
                width_arg = k - 1
                next_arg = k
            else:
                width_arg = next_arg
                next_arg += 1
        else:
            m = re.match(r"\d+", fmt[i:])
            if m:
                if pos is None and i + m.end() < n and fmt[i + m.end()] == "$":
                    raise InvalidParameterValue("unterminated format() type specifier")
                width = int(m.group(0))
                i += m.end()
        if i >= n:
            raise InvalidParameterValue("unterminated format() type specifier")
        kind = fmt[i]
        i += 1
        if kind not in "sIL":
            raise InvalidParameterValue(
                f'unrecognized format() type specifier "{kind}"', hint='For a single "%" use "%%".'
            )
        if width_arg is not None:
            w = arg_at(width_arg)
            try:
                width = int(w) if w is not None else 0
            except ValueError:
                raise InvalidTextRepresentation(
                    f'invalid input syntax for type integer: "{w}"'
                ) from None
            if width < 0:
                left, width = True, -width
        if pos is not None:
            k = pos - 1
            next_arg = pos
        else:
            k = next_arg
            next_arg += 1
        v = arg_at(k)
        if kind == "I":
            if v is None:
                raise NullValueNotAllowed("null values cannot be formatted as an SQL identifier")
            text = quote_ident(v)
        elif kind == "L":
            text = "NULL" if v is None else quote_literal(v)
        else:
            text = "" if v is None else v
        if width is not None and len(text) < width:
            text = text.ljust(width) if left else text.rjust(width)
        out.append(text)
    return "".join(out)


def compile_variadic(name: str, fixed: list[Typed], array: Typed) -> Typed:
    """format, concat or concat_ws with VARIADIC array: the array's elements are the last
    arguments (none for a NULL array, which makes concat and concat_ws NULL)."""
    elem = array.type.element
    if elem is None:
        if array.type.name != "unknown":
            raise DatatypeMismatch("VARIADIC argument must be an array")
        array, elem = coerce_to(array, T.TEXT.array_of()), T.TEXT
    if name not in ("format", "concat", "concat_ws") or (name != "concat" and not fixed):
        raise no_such_function(name, [*fixed, array])
    fns = [a.fn for a in output_text(fixed)]
    spread = array.fn

    def run(r: Row) -> Any:
        values = [f(r) for f in fns]
        items = spread(r)
        extra = [T.format_value(x, elem) for x in _flat_items(items or [])]
        if name == "format":
            return None if values[0] is None else format_text(values[0], values[1:] + extra)
        if items is None:
            return None
        if name == "concat":
            return "".join(v for v in values + extra if v is not None)
        if values[0] is None:
            return None
        return values[0].join(v for v in values[1:] + extra if v is not None)

    return Typed(run, T.TEXT, False, name)


def _flat_items(x: list[Any]) -> list[Any]:
    return [y for v in x for y in (_flat_items(v) if isinstance(v, list) else [v])]


def _format(name: str, args: list[Typed]) -> Typed:
    if not args:
        raise no_such_function(name, args)
    texts = output_text(args)
    fmt, rest = texts[0].fn, [a.fn for a in texts[1:]]

    def run(r: Row) -> Any:
        f = fmt(r)
        return None if f is None else format_text(f, [g(r) for g in rest])

    if all(a.const for a in texts):
        value = run(())
        return Typed(lambda _r: value, T.TEXT, True, name)
    return Typed(run, T.TEXT, False, name)


# -- bytea: encode, decode, digests -----------------------------------------------------------


def _escape_encode(b: bytes) -> str:
    out = []
    for x in b:
        if x == 0x5C:
            out.append("\\\\")
        elif x == 0 or x >= 0x80:
            out.append(f"\\{x:03o}")
        else:
            out.append(chr(x))
    return "".join(out)


def _escape_decode(s: str) -> bytes:
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
        elif s[i + 1 : i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif re.match(r"[0-3][0-7]{2}", s[i + 1 : i + 4]):
            out.append(int(s[i + 1 : i + 4], 8))
            i += 4
        else:
            raise InvalidTextRepresentation("invalid input syntax for type bytea")
    return bytes(out)


def _encode(data: bytes, fmt: str) -> str:
    f = fmt.lower()
    if f == "hex":
        return data.hex()
    if f == "base64":
        text = base64.b64encode(data).decode()
        return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    if f == "escape":
        return _escape_encode(data)
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


def _decode(text: str, fmt: str) -> bytes:
    f = fmt.lower()
    if f == "hex":
        clean = re.sub(r"\s", "", text)
        bad = re.search(r"[^0-9a-fA-F]", clean)
        if bad:
            raise InvalidParameterValue(f'invalid hexadecimal digit: "{bad.group(0)}"')
        if len(clean) % 2:
            raise InvalidParameterValue("invalid hexadecimal data: odd number of digits")
        return bytes.fromhex(clean)
    if f == "base64":
        try:
            return base64.b64decode(re.sub(r"\s", "", text), validate=True)
        except binascii.Error:
            raise InvalidParameterValue("invalid base64 end sequence") from None
    if f == "escape":
        return _escape_decode(text)
    raise InvalidParameterValue(f'unrecognized encoding: "{fmt}"')


def _bytes_of(a: Typed) -> Typed:
    if a.type.name == "bytea":
        return a
    return coerce_to(a, T.BYTEA)


_PGCRYPTO_DIGESTS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})


def _pgcrypto_digest(name: str, args: list[Typed]) -> Typed:
    """pgcrypto's digest(data text | bytea, type text) (built in: sql.extensions): a text's
    UTF-8 bytes or a bytea hashed by the algorithm named."""
    if len(args) != 2:
        raise no_such_function(name, args)
    data = args[0] if args[0].type.name == "bytea" else coerce_to(args[0], T.TEXT)

    def run(value: Any, algo: str) -> bytes:
        if algo.lower() not in _PGCRYPTO_DIGESTS:
            raise InvalidParameterValue(f'Cannot use "{algo}": No such hash algorithm')
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return hashlib.new(algo.lower(), raw).digest()

    return strict_call(name, [data, coerce_to(args[1], T.TEXT)], T.BYTEA, run)


def _digest(algo: str) -> Builder:
    def build(name: str, args: list[Typed]) -> Typed:
        if len(args) != 1:
            raise no_such_function(name, args)
        return strict_call(
            name, [_bytes_of(args[0])], T.BYTEA, lambda b: hashlib.new(algo, b).digest()
        )

    return build


def _md5(name: str, args: list[Typed]) -> Typed:
    if len(args) != 1:
        raise no_such_function(name, args)
    a = args[0] if args[0].type.name == "bytea" else coerce_to(args[0], T.TEXT, explicit=True)
    return strict_call(
        name,
        [a],
        T.TEXT,
        lambda v: hashlib.md5(v if isinstance(v, bytes) else v.encode()).hexdigest(),
    )


def _encode_fn(name: str, args: list[Typed]) -> Typed:
    if len(args) != 2:
        raise no_such_function(name, args)
    return strict_call(name, [_bytes_of(args[0]), coerce_to(args[1], T.TEXT)], T.TEXT, _encode)


def _decode_fn(name: str, args: list[Typed]) -> Typed:
    if len(args) != 2:
        raise no_such_function(name, args)
    return strict_call(name, _texts(args), T.BYTEA, _decode)


def overlay(s: Any, new: Any, start: int, length: int | None = None) -> Any:
    """overlay(s placing new from start [for length]): s with length elements (default:
    the length of new) from start replaced by new."""
    if length is None:
        length = len(new)
    if length < 0 or start <= 0:
        raise InvalidParameterValue("negative substring length not allowed")
    return s[: max(start - 1, 0)] + new + s[start - 1 + length :]


def _overlay(name: str, args: list[Typed]) -> Typed:
    if len(args) not in (3, 4):
        raise no_such_function(name, args)
    is_bytes = args[0].type.name == "bytea" or args[1].type.name == "bytea"
    conv = _bytes_of if is_bytes else (lambda a: coerce_to(a, T.TEXT, explicit=True))
    parts = [conv(args[0]), conv(args[1])] + [coerce_to(a, T.INT4) for a in args[2:]]
    return strict_call(name, parts, T.BYTEA if is_bytes else T.TEXT, overlay)


def unistr(s: str) -> str:
    """unistr(): \\XXXX, \\+XXXXXX, \\uXXXX, \\UXXXXXXXX escapes (surrogate pairs joined)
    and \\\\ decoded."""
    out: list[str] = []
    i, n = 0, len(s)
    pending: int | None = None

    def invalid() -> SyntaxError_:
        return SyntaxError_(
            "invalid Unicode escape",
            hint="Unicode escapes must be \\XXXX, \\+XXXXXX, \\uXXXX, or \\UXXXXXXXX.",
        )

    while i < n:
        if s[i] != "\\":
            if pending is not None:
                raise SyntaxError_("invalid Unicode surrogate pair")
            out.append(s[i])
            i += 1
            continue
        if s[i + 1 : i + 2] == "\\":
            if pending is not None:
                raise SyntaxError_("invalid Unicode surrogate pair")
            out.append("\\")
            i += 2
            continue
        for prefix, digits in (("+", 6), ("u", 4), ("U", 8), ("", 4)):
            body = s[i + 1 + len(prefix) : i + 1 + len(prefix) + digits]
            if s[i + 1 : i + 1 + len(prefix)] == prefix and re.fullmatch(
                f"[0-9A-Fa-f]{{{digits}}}", body
            ):
                cp = int(body, 16)
                i += 1 + len(prefix) + digits
                break
        else:
            raise invalid()
        if pending is not None:
            if not 0xDC00 <= cp <= 0xDFFF:
                raise SyntaxError_("invalid Unicode surrogate pair")
            cp = 0x10000 + ((pending - 0xD800) << 10) + (cp - 0xDC00)
            pending = None
        elif 0xD800 <= cp <= 0xDBFF:
            pending = cp
            continue
        elif 0xDC00 <= cp <= 0xDFFF:
            raise SyntaxError_("invalid Unicode surrogate pair")
        if cp > 0x10FFFF:
            raise InvalidParameterValue("invalid Unicode code point: " + format(cp, "X"))
        if cp == 0:
            raise InvalidParameterValue("invalid Unicode code point: 0")
        out.append(chr(cp))
    if pending is not None:
        raise SyntaxError_("invalid Unicode surrogate pair")
    return "".join(out)


# -- numbers --------------------------------------------------------------------------------


def width_bucket(x: Any, low: Any, high: Any, count: int) -> int:
    """width_bucket(operand, low, high, count): the 1-based bucket of count equal buckets
    over [low, high) (or (high, low] when high < low); 0 below and count + 1 above."""
    if count <= 0:
        raise InvalidArgumentForWidthBucket("count must be greater than zero")
    if low == high:
        raise InvalidArgumentForWidthBucket("lower bound cannot equal upper bound")
    for v in (x, low, high):
        if v != v:
            raise InvalidArgumentForWidthBucket(
                "operand, lower bound, and upper bound cannot be NaN"
            )
    if isinstance(low, float) and (abs(low) == float("inf") or abs(high) == float("inf")):
        raise InvalidArgumentForWidthBucket("lower and upper bounds must be finite")
    if low < high:
        if x < low:
            return 0
        if x >= high:
            return count + 1
        return (
            int((x - low) * count / (high - low)) + 1
            if isinstance(x, float)
            else int((Decimal(x) - low) * count // (high - low)) + 1
        )
    if x > low:
        return 0
    if x <= high:
        return count + 1
    return (
        int((low - x) * count / (low - high)) + 1
        if isinstance(x, float)
        else int((low - Decimal(x)) * count // (low - high)) + 1
    )


def _width_bucket(name: str, args: list[Typed]) -> Typed:
    if len(args) != 4:
        raise no_such_function(name, args)
    num = (
        T.FLOAT8
        if any(a.type.name in ("double precision", "real") for a in args[:3])
        else T.NUMERIC
    )
    parts = [coerce_to(a, num) for a in args[:3]] + [coerce_to(args[3], T.INT4)]
    return strict_call(name, parts, T.INT4, width_bucket)


def _scale(d: Decimal) -> int | None:
    if not d.is_finite():
        return None
    return max(-d.as_tuple().exponent, 0)  # type: ignore[operator]


def _min_scale(d: Decimal) -> int | None:
    if not d.is_finite():
        return None
    return _scale(_trim_scale(d))


def _trim_scale(d: Decimal) -> Decimal:
    if not d.is_finite() or d.is_zero():
        return d if not d.is_finite() else Decimal(0)
    t = d.normalize()
    return t.quantize(Decimal(1)) if t.as_tuple().exponent > 0 else t  # type: ignore[operator]


def _numeric_fn(rtype: SqlType, impl: Callable[..., Any]) -> Builder:
    def build(name: str, args: list[Typed]) -> Typed:
        if len(args) != 1:
            raise no_such_function(name, args)
        return strict_call(name, [coerce_to(args[0], T.NUMERIC)], rtype, impl)

    return build


def _to_hex(name: str, args: list[Typed]) -> Typed:
    if len(args) != 1:
        raise no_such_function(name, args)
    bits = 64 if args[0].type.name == "bigint" else 32
    arg = coerce_to(args[0], T.INT8 if bits == 64 else T.INT4)
    return strict_call(name, [arg], T.TEXT, lambda n: format(n & ((1 << bits) - 1), "x"))


def _initcap(s: str) -> str:
    """initcap: the first letter of each run of letters and digits upper case, the rest
    lower."""
    out, in_word = [], False
    for ch in s:
        out.append(ch.lower() if in_word else ch.upper())
        in_word = ch.isalnum()
    return "".join(out)


def _pg_sleep(name: str, args: list[Typed]) -> Typed:
    if len(args) != 1:
        raise no_such_function(name, args)
    secs = coerce_to(args[0], T.FLOAT8).fn

    def run(r: Row) -> str:
        v = secs(r)
        if v is not None and v > 0:
            from kv import interrupt

            end = time.monotonic() + v
            while (left := end - time.monotonic()) > 0:
                interrupt.check()
                time.sleep(min(left, 0.05))
        return ""

    return Typed(run, VOID, False, name)


def _simple(arg_types: list[SqlType], rtype: SqlType, impl: Callable[..., Any]) -> Builder:
    def build(name: str, args: list[Typed]) -> Typed:
        if len(args) != len(arg_types):
            raise no_such_function(name, args)
        return strict_call(
            name,
            [coerce_to(a, t, explicit=True) for a, t in zip(args, arg_types, strict=True)],
            rtype,
            impl,
        )

    return build


def _to_char(name: str, args: list[Typed]) -> Typed:
    if len(args) != 2:
        raise no_such_function(name, args)
    value, fmt = args[0], coerce_to(args[1], T.TEXT)
    if value.type.category == "D":
        return strict_call(name, [value, fmt], T.TEXT, formatting.datetime_to_char)
    if value.type.category != "N" and value.type.name != "unknown":
        raise no_such_function(name, args)
    if value.type.name == "unknown":
        value = coerce_to(value, T.NUMERIC)
    return strict_call(name, [value, fmt], T.TEXT, formatting.number_to_char)


def _isfinite(name: str, args: list[Typed]) -> Typed:
    """isfinite(date | timestamp | timestamptz | interval): not +/-infinity."""
    if len(args) != 1:
        raise no_such_function(name, args)
    arg = args[0]
    if arg.type.name == "unknown":
        arg = coerce_to(arg, T.TIMESTAMPTZ)
    if arg.type.category not in ("D", "T") or arg.type.name.startswith("time "):
        raise no_such_function(name, args)
    far = far_dates.FarDate | far_dates.FarTimestamp
    return strict_call(name, [arg], T.BOOL, lambda v: not (isinstance(v, far) and v.infinite))


def _to_timestamp(name: str, args: list[Typed]) -> Typed:
    if len(args) == 1:
        epoch = coerce_to(args[0], T.FLOAT8)
        start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return strict_call(name, [epoch], T.TIMESTAMPTZ, lambda s: start + dt.timedelta(seconds=s))
    if len(args) != 2:
        raise no_such_function(name, args)
    return strict_call(
        name,
        _texts(args),
        T.TIMESTAMPTZ,
        lambda s, f: formatting.parse_datetime(s, f, name).replace(tzinfo=dt.UTC),
    )


def _regexp_like(s: str, p: str, flags: str = "") -> bool:
    letters, _ = _regex_flags(flags, "regexp_like", allow_global=False)
    return pg_regex(p, letters).search(s) is not None


def _byte_index(b: bytes, n: int, limit: int) -> None:
    if not 0 <= n < limit:
        raise ArraySubscriptError(f"index {n} out of valid range, 0..{limit - 1}")


def _get_bit(b: bytes, n: int) -> int:
    _byte_index(b, n, len(b) * 8)
    return (b[n // 8] >> (n % 8)) & 1


def _set_bit(b: bytes, n: int, v: int) -> bytes:
    _byte_index(b, n, len(b) * 8)
    if v not in (0, 1):
        raise InvalidParameterValue("new bit must be 0 or 1")
    out = bytearray(b)
    out[n // 8] = (out[n // 8] & ~(1 << (n % 8))) | (v << (n % 8))
    return bytes(out)


def _get_byte(b: bytes, n: int) -> int:
    _byte_index(b, n, len(b))
    return b[n]


def _set_byte(b: bytes, n: int, v: int) -> bytes:
    _byte_index(b, n, len(b))
    out = bytearray(b)
    out[n] = v & 0xFF
    return bytes(out)


def substr(s: Any, start: int, length: int | None = None) -> Any:
    """substring(s FROM start FOR length) of text or bytea: positions before 1 count
    towards the length."""
    if length is not None and length < 0:
        raise InvalidParameterValue("negative substring length not allowed")
    begin = max(start, 1)
    end = None if length is None else start + length
    if end is not None and end <= begin:
        return s[:0]
    return s[begin - 1 : None if end is None else end - 1]


def _regex_substring(s: str, pattern: str) -> str | None:
    """substring(text FROM pattern): the first parenthesized group's match (or the whole
    match without groups), NULL without a match."""
    m = pg_regex(pattern).search(s)
    if m is None:
        return None
    return m.group(1) if m.re.groups else m.group(0)


def substring_call(name: str, args: list[Typed]) -> Typed:
    """substring/substr by argument types: (text|bytea, int [, int]) positions, or
    (text, text) a POSIX regular expression."""
    if not 2 <= len(args) <= 3:
        raise no_such_function(name, args)
    subject, start = args[0], args[1]
    if start.type.category == "S" or (start.type.name == "unknown" and len(args) == 2):
        if len(args) == 3:
            raise FeatureNotSupported("substring with a SQL regular expression is not supported")
        return strict_call(name, _texts(args), T.TEXT, _regex_substring)
    t = T.BYTEA if subject.type.name == "bytea" else T.TEXT
    if t is T.TEXT and subject.type.category not in ("S", "U") and subject.type.name != "unknown":
        raise no_such_function(name, args)
    parts = [coerce_to(subject, t, explicit=True)] + [coerce_to(a, T.INT4) for a in args[1:]]
    return strict_call(name, parts, t, substr)


def trim_call(name: str, args: list[Typed]) -> Typed:
    """btrim/ltrim/rtrim (and TRIM): characters of text, or bytes of bytea, removed from
    the named side(s); text trims spaces by default."""
    if not 1 <= len(args) <= 2:
        raise no_such_function(name, args)
    t = T.BYTEA if args[0].type.name == "bytea" else T.TEXT
    if t is T.BYTEA and len(args) == 1:
        raise no_such_function(name, args)
    if any(a.type.category in "NBDT" for a in args):  # no implicit cast to text from these
        raise no_such_function(name, args)
    parts = [coerce_to(args[0], t, explicit=True)] + [coerce_to(a, t) for a in args[1:]]
    strip = {"btrim": "strip", "ltrim": "lstrip", "rtrim": "rstrip"}[name]
    return strict_call(name, parts, t, lambda v, chars=" ": getattr(v, strip)(chars))


def _length(name: str, args: list[Typed]) -> Typed:
    """length/octet_length of text (characters/UTF-8 bytes) or of bytea (bytes);
    length of a tsvector (lexemes); length/bit_length/octet_length of a bit string."""
    if len(args) != 1:
        raise no_such_function(name, args)
    (a,) = args
    if a.type.category == "V":  # bit strings: bits, bits, and the bytes they fill
        octets = name == "octet_length"
        return strict_call(name, [a], T.INT4, lambda v: (len(v) + 7) // 8 if octets else len(v))
    if name == "bit_length":
        inner = _length("octet_length", args)
        return Typed(lambda r: None if (n := inner.fn(r)) is None else n * 8, T.INT4, inner.const)
    if a.type.name == "bytea":
        return strict_call(name, [a], T.INT4, len)
    if a.type.name == "tsvector" and name == "length":  # its number of lexemes
        return strict_call(name, [a], T.INT4, lambda v: len(v.entries))
    if a.type.category != "S" and a.type.name != "unknown":
        raise no_such_function(name, args)
    count = len if name == "length" else (lambda v: len(v.encode()))
    return strict_call(name, [coerce_to(a, T.TEXT, explicit=True)], T.INT4, count)


BUILDERS: dict[str, Builder] = {
    "length": _length,
    "octet_length": _length,
    "bit_length": _length,
    "btrim": trim_call,
    "ltrim": trim_call,
    "rtrim": trim_call,
    "substr": substring_call,
    "regexp_like": _positional([_X, _X, _X]),
    "get_bit": _simple([T.BYTEA, T.INT8], T.INT4, _get_bit),
    "set_bit": _simple([T.BYTEA, T.INT8, T.INT4], T.BYTEA, _set_bit),
    "get_byte": _simple([T.BYTEA, T.INT4], T.INT4, _get_byte),
    "set_byte": _simple([T.BYTEA, T.INT4, T.INT4], T.BYTEA, _set_byte),
    "bit_count": _simple([T.BYTEA], T.INT8, lambda b: sum(bin(x).count("1") for x in b)),
    "to_char": _to_char,
    "to_number": _simple([T.TEXT, T.TEXT], T.NUMERIC, formatting.to_number),
    "to_date": _simple(
        [T.TEXT, T.TEXT], T.DATE, lambda s, f: formatting.parse_datetime(s, f, "to_date").date()
    ),
    "to_timestamp": _to_timestamp,
    "isfinite": _isfinite,
    "format": _format,
    "quote_literal": _quote_literal,
    "quote_nullable": _quote_literal,
    "quote_ident": _quote_ident,
    "regexp_replace": _regexp_replace,
    "regexp_count": _positional([_X, _X, _I, _X]),
    "regexp_instr": _positional([_X, _X, _I, _I, _I, _X, _I]),
    "regexp_substr": _positional([_X, _X, _I, _I, _X, _I]),
    "regexp_match": _positional([_X, _X, _X]),
    "regexp_split_to_array": _positional([_X, _X, _X]),
    "encode": _encode_fn,
    "decode": _decode_fn,
    "md5": _md5,
    "sha224": _digest("sha224"),
    "sha256": _digest("sha256"),
    "sha384": _digest("sha384"),
    "sha512": _digest("sha512"),
    "digest": _pgcrypto_digest,
    "overlay": _overlay,
    "unistr": _simple([T.TEXT], T.TEXT, unistr),
    "initcap": _simple([T.TEXT], T.TEXT, _initcap),
    "width_bucket": _width_bucket,
    "scale": _numeric_fn(T.INT4, _scale),
    "min_scale": _numeric_fn(T.INT4, _min_scale),
    "trim_scale": _numeric_fn(T.NUMERIC, _trim_scale),
    "to_hex": _to_hex,
    "pg_sleep": _pg_sleep,
}


def text_srf(name: str, args: list[Typed]) -> tuple[Callable[[Row], list[Any]], SqlType]:
    """regexp_matches and regexp_split_to_table: a function from a row to the values the
    call returns there, and their type."""
    if not 2 <= len(args) <= 3:
        raise no_such_function(name, args)
    fns = [a.fn for a in _texts(args)]

    def run(r: Row) -> list[Any]:
        values = [f(r) for f in fns]
        if any(v is None for v in values):
            return []
        if name == "regexp_matches":
            return regexp_matches(*values)
        return regexp_split(
            values[0], values[1], values[2] if len(values) > 2 else None, "regexp_split_to_table"
        )

    return run, (T.TEXT.array_of() if name == "regexp_matches" else T.TEXT)


TEXT_SRFS = frozenset({"regexp_matches", "regexp_split_to_table"})
