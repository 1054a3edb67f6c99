"""COPY ... FROM STDIN and COPY ... TO STDOUT in text, CSV and binary formats.

The statement is parsed from sqlglot's tokens (its COPY grammar misses PostgreSQL's option
forms); the data itself flows through the wire protocol's copy sub-protocol, so this module
only turns bytes into rows and rows into bytes. In binary format it owns only the framing
(signature, header, per-row field counts and lengths, trailer); each field's bytes are a
type's send/recv form, which the caller (pgwire.values) encodes and decodes.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kv import interrupt
from sql import types as T
from sql.errors import (
    BadCopyFileFormat,
    CharacterNotInRepertoire,
    FeatureNotSupported,
    InvalidColumnReference,
    InvalidParameterValue,
    SyntaxError_,
    UndefinedColumn,
)
from sql.types import SqlType


@dataclass
class CopySpec:
    direction: str  # "in" (FROM STDIN) or "out" (TO STDOUT)
    table: str | None = None
    schema: str | None = None
    columns: list[str] = field(default_factory=list)
    query: str | None = None  # COPY (query) TO STDOUT
    format: str = "text"
    delimiter: str = "\t"
    null: str = "\\N"
    header: bool = False
    quote: str = '"'
    escape: str = '"'
    ncols: int = 0  # filled in once the table or query is resolved
    # FORCE_QUOTE (CSV TO: "*" for every column), FORCE_NOT_NULL and FORCE_NULL (CSV FROM):
    # column names as given, then their positions among the copied columns (resolve_forced)
    force_quote: list[str] | None = None
    force_not_null: list[str] | None = None
    force_null: list[str] | None = None
    quoted: frozenset[int] = frozenset()
    not_null: frozenset[int] = frozenset()
    nulled: frozenset[int] = frozenset()
    where: str | None = None  # COPY FROM ... WHERE: the condition's text

    @property
    def binary(self) -> bool:
        return self.format == "binary"


def parse_copy(
    words: list[str],
    raw_text: str,
    starts: list[int] | None = None,
    literals: list[bool] | None = None,
) -> CopySpec:
    """``words`` are the statement's token texts, ``raw_text`` the statement itself;
    ``starts``: each token's offset in it (what a WHERE condition's text is cut at),
    ``literals``: which tokens are string constants (not punctuation)."""
    upper = [w.upper() for w in words]
    i = 1
    spec = CopySpec("in")
    if i < len(words) and words[i] == "(":
        depth, j = 0, i
        while j < len(words):
            depth += words[j] == "("
            depth -= words[j] == ")"
            if depth == 0:
                break
            j += 1
        start = raw_text.find("(")
        end = _matching_paren(raw_text, start)
        spec.query = raw_text[start + 1 : end].strip()
        i = j + 1
    else:
        if i >= len(words):
            raise SyntaxError_("syntax error at end of input")
        name = words[i]
        i += 1
        if i + 1 < len(words) and words[i] == ".":
            spec.schema, name = name, words[i + 1]
            i += 2
        spec.table = name
        if i < len(words) and words[i] == "(":
            i += 1
            while i < len(words) and words[i] != ")":
                if words[i] != ",":
                    spec.columns.append(words[i])
                i += 1
            i += 1
    if i >= len(upper) or upper[i] not in ("FROM", "TO"):
        raise SyntaxError_("syntax error: expected FROM STDIN or TO STDOUT")
    spec.direction = "in" if upper[i] == "FROM" else "out"
    target = upper[i + 1] if i + 1 < len(upper) else ""
    if (spec.direction, target) not in (("in", "STDIN"), ("out", "STDOUT")):
        raise FeatureNotSupported("COPY supports only FROM STDIN and TO STDOUT")
    if spec.query is not None and spec.direction == "in":
        raise SyntaxError_("COPY (query) FROM is not allowed")
    toks = [
        _Tok(w, bool(literals and literals[k]), starts[k] if starts else -1)
        for k, w in enumerate(words)
    ]
    _options(spec, toks[i + 2 :], raw_text)
    return spec


@dataclass
class _Tok:
    word: str
    literal: bool  # a string constant: never punctuation
    start: int  # offset in the statement's text (-1: unknown)

    def punct(self, p: str) -> bool:
        return not self.literal and self.word == p

    def key(self) -> str:
        return "" if self.literal else self.word.upper()


def _matching_paren(text: str, start: int) -> int:
    depth, quote = 0, None
    for k in range(start, len(text)):
        c = text[k]
        if quote:
            if c == quote:
                quote = None
            continue
        if c in ("'", '"'):
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return k
    raise SyntaxError_("unbalanced parentheses in COPY")


_FORCED = ("force_quote", "force_not_null", "force_null")


def _options(spec: CopySpec, toks: list[_Tok], raw_text: str) -> None:
    """COPY's options, ``(name value, ...)`` or the old unparenthesised forms, then a
    COPY FROM's WHERE condition; PostgreSQL's errors for misuse (ProcessCopyOptions)."""
    given: list[str] = []
    j = 0
    if j < len(toks) and toks[j].key() == "WITH":
        j += 1
    if j < len(toks) and toks[j].punct("("):
        j += 1
        while j < len(toks):
            name = toks[j].word.lower()
            j += 1
            first, depth = j, 0
            while j < len(toks) and not (depth == 0 and (toks[j].punct(",") or toks[j].punct(")"))):
                depth += toks[j].punct("(") - toks[j].punct(")")
                j += 1
            _option(spec, name, toks[first:j], given)
            j += 1
            if toks[j - 1].punct(")"):
                break
    else:
        j = _legacy_options(spec, toks, j, given)
    if j < len(toks) and toks[j].key() == "WHERE":
        if spec.direction == "out":
            at = toks[j].start
            raise SyntaxError_(
                "WHERE clause not allowed with COPY TO", position=at + 1 if at >= 0 else None
            )
        if j + 1 >= len(toks):
            raise SyntaxError_("syntax error at end of input")
        cut = toks[j + 1].start
        spec.where = (
            (raw_text[cut:] if cut >= 0 else " ".join(t.word for t in toks[j + 1 :]))
            .strip()
            .rstrip(";")
        )
    elif j < len(toks):
        raise SyntaxError_(f'syntax error at or near "{toks[j].word}"')
    _check_options(spec, given)


def _option(spec: CopySpec, name: str, value: list[_Tok], given: list[str]) -> None:
    """One ``name value`` of the parenthesised option list."""
    if name in given:
        raise SyntaxError_("conflicting or redundant options")
    given.append(name)
    words = [t.word for t in value]
    if name in _FORCED:
        if len(value) == 1 and value[0].punct("*") and name == "force_quote":
            spec.force_quote = ["*"]
            return
        if len(value) < 3 or not value[0].punct("(") or not value[-1].punct(")"):
            if len(value) == 2 and value[0].punct("("):
                raise SyntaxError_('syntax error at or near ")"')
            raise InvalidParameterValue(
                f'argument to option "{name}" must be a list of column names'
            )
        setattr(spec, name, [t.word for t in value[1:-1] if not t.punct(",")])
        return
    if name == "format" and len(words) == 1:
        spec.format = words[0].lower()
    elif name == "header":
        spec.header = _boolean(name, words)
    elif name in ("delimiter", "null", "quote", "escape") and len(words) == 1:
        setattr(spec, name, words[0])
    elif name in ("freeze", "oids"):
        if _boolean(name, words) and name == "oids":
            raise SyntaxError_("COPY with OIDS is not supported anymore")
    elif name == "encoding" and len(words) == 1:
        pass  # the client's encoding decides the data's here
    else:
        raise SyntaxError_(f'option "{name}" not recognized')


def _boolean(name: str, words: list[str]) -> bool:
    if not words:
        return True
    if len(words) == 1 and words[0].lower() in ("true", "on", "1", "false", "off", "0"):
        return words[0].lower() in ("true", "on", "1")
    raise SyntaxError_(f"{name} requires a Boolean value")


def _legacy_options(spec: CopySpec, toks: list[_Tok], j: int, given: list[str]) -> int:
    """The options before PostgreSQL 9.0's list: ``BINARY``, ``CSV HEADER``, ``DELIMITER
    [AS] 'x'``, ``FORCE QUOTE a, b``, ...; returns where they end."""
    while j < len(toks) and toks[j].key() != "WHERE":
        key = toks[j].key()
        val = toks[j + 1] if j + 1 < len(toks) else None
        if key in ("CSV", "TEXT", "BINARY"):
            spec.format = key.lower()
            given.append("format")
            j += 1
        elif key == "FORMAT" and val is not None:
            spec.format = val.word.lower()
            given.append("format")
            j += 2
        elif key == "HEADER":
            if val is not None and val.word.upper() in ("TRUE", "ON", "1", "FALSE", "OFF", "0"):
                spec.header = val.word.upper() in ("TRUE", "ON", "1")
                j += 2
            else:
                spec.header = True
                j += 1
            given.append("header")
        elif key in ("DELIMITER", "NULL", "QUOTE", "ESCAPE"):
            k = j + 1
            if k < len(toks) and toks[k].key() == "AS":
                k += 1
            if k >= len(toks):
                raise SyntaxError_(f"COPY option {key} needs a value")
            setattr(spec, key.lower(), toks[k].word)
            given.append(key.lower())
            j = k + 1
        elif key == "FORCE":
            words = [t.key() for t in toks[j + 1 : j + 3]]
            name, j = (
                ("force_not_null", j + 3) if words == ["NOT", "NULL"]
                else ("force_quote", j + 2) if words[:1] == ["QUOTE"]
                else ("force_null", j + 2) if words[:1] == ["NULL"]
                else ("", j)
            )  # fmt: skip
            if not name:
                raise SyntaxError_(f'syntax error at or near "{toks[j].word}"')
            if name == "force_quote" and j < len(toks) and toks[j].punct("*"):
                spec.force_quote = ["*"]
                j += 1
            else:
                cols = [toks[j].word] if j < len(toks) else []
                j += 1
                while j + 1 < len(toks) and toks[j].punct(","):
                    cols.append(toks[j + 1].word)
                    j += 2
                setattr(spec, name, cols)
            given.append(name)
        elif key in ("FREEZE", "OIDS"):
            j += 2 if val is not None and val.key() in ("TRUE", "ON", "FALSE", "OFF") else 1
        elif toks[j].punct(","):
            j += 1
        else:
            raise SyntaxError_(f'option "{toks[j].word}" not recognized')
    return j


def _check_options(spec: CopySpec, given: list[str]) -> None:
    if spec.format not in ("text", "csv", "binary"):
        raise InvalidParameterValue(f'COPY format "{spec.format}" not recognized')
    for key in ("DELIMITER", "NULL", "HEADER"):  # in PostgreSQL's order of checks
        if spec.binary and key.lower() in given:
            error = FeatureNotSupported if key == "HEADER" else SyntaxError_
            raise error(f"cannot specify {key} in BINARY mode")
    for key in ("QUOTE", "ESCAPE"):
        if spec.format != "csv" and key.lower() in given:
            raise FeatureNotSupported(f"COPY {key.lower()} available only in CSV mode")
    for name, way in (("force_quote", "out"), ("force_not_null", "in"), ("force_null", "in")):
        if getattr(spec, name) is None:
            continue
        shown = name.replace("_", " ")
        if spec.format != "csv":
            raise FeatureNotSupported(f"COPY {shown} available only in CSV mode")
        if spec.direction != way:
            using = "COPY TO" if way == "out" else "COPY FROM"
            raise FeatureNotSupported(f"COPY {shown} only available using {using}")
    if spec.format == "csv":
        if spec.delimiter == "\t":
            spec.delimiter = ","
        if spec.null == "\\N":
            spec.null = ""
    if len(spec.delimiter) != 1:
        raise InvalidParameterValue("COPY delimiter must be a single one-byte character")


# -- text format -------------------------------------------------------------------------------

_UNESCAPE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unescape_text(field_: str) -> str:
    if "\\" not in field_:
        return field_
    out, i = [], 0
    while i < len(field_):
        c = field_[i]
        if c == "\\" and i + 1 < len(field_):
            nxt = field_[i + 1]
            if nxt in _UNESCAPE:
                out.append(_UNESCAPE[nxt])
                i += 2
                continue
            out.append(nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _escape_text(value: str, delimiter: str) -> str:
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\t", "\\t").replace(delimiter, "\\" + delimiter))  # fmt: skip


def parse_rows(spec: CopySpec, chunks: Iterable[bytes]) -> Iterator[list[str | None]]:
    """Fields of each input row (None for NULL), from the data in pieces of any size, as the
    client sends it: only complete rows are decoded and parsed, so a row (or a UTF-8
    character) may span pieces and the whole input is never held at once. Stops at ``\\.``."""
    skip_header = spec.header
    pending = b""
    for chunk in itertools.chain(chunks, [None]):
        if chunk is None:
            data, pending, final = pending, b"", True
        else:
            pending += chunk
            cut = pending.rfind(b"\n") + 1
            if not cut:
                continue
            data, pending, final = pending[:cut], pending[cut:], False
        if not data:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            shown = " ".join(f"0x{b:02x}" for b in data[exc.start : exc.end])
            raise CharacterNotInRepertoire(
                f'invalid byte sequence for encoding "UTF8": {shown}'
            ) from None
        if spec.format == "csv":
            end = 0
            for rec, after in _csv_records(text, spec, final):
                end = after
                if skip_header:
                    skip_header = False
                    continue
                if rec == [("\\.", False)]:
                    return
                # NULL is the null string unquoted (quoted too under FORCE_NULL, never
                # under FORCE_NOT_NULL); a quoted "" is an empty string
                yield [
                    None
                    if v == spec.null
                    and (k in spec.nulled or not quoted)
                    and k not in spec.not_null
                    else v
                    for k, (v, quoted) in enumerate(rec)
                ]
            if end < len(text):  # a quoted field goes on in the next piece
                pending = text[end:].encode("utf-8") + pending
            continue
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        for n, line in enumerate(lines):
            if not n & 1023:
                interrupt.check()
            if skip_header:
                skip_header = False
                continue
            if line == "\\.":
                return
            if line.endswith("\r"):
                line = line[:-1]
            yield [
                None if f == spec.null else _unescape_text(f) for f in line.split(spec.delimiter)
            ]


def _csv_records(
    data: str, spec: CopySpec, final: bool = True
) -> Iterator[tuple[list[tuple[str, bool]], int]]:
    """CSV records as (value, was_quoted) pairs with the offset just past each: PostgreSQL
    tells NULL (an unquoted empty field) from '' (a quoted one), which the csv module cannot
    report. Unless ``final``, a record whose quoted field runs to the end is left unread."""
    delim, quote, esc = spec.delimiter, spec.quote, spec.escape
    i, n = 0, len(data)
    while i < n:
        interrupt.check()
        record: list[tuple[str, bool]] = []
        while True:
            buf: list[str] = []
            quoted = False
            if i < n and data[i] == quote:
                quoted = True
                i += 1
                while True:
                    if i >= n:
                        if not final:
                            return

                        raise BadCopyFileFormat("unterminated CSV quoted field")
                    c = data[i]
                    if not i & 0xFFFF:
                        interrupt.check()  # one quoted field may be as long as the input
                    if c == esc and i + 1 < n and data[i + 1] == quote:
                        buf.append(quote)
                        i += 2
                    elif c == esc and i + 1 == n and esc != quote and not final:
                        return  # the escaped character is in the next piece
                    elif c == quote:
                        i += 1
                        break
                    else:
                        buf.append(c)
                        i += 1
            while i < n and data[i] not in (delim, "\n", "\r"):
                buf.append(data[i])
                i += 1
            record.append(("".join(buf), quoted))
            if i < n and data[i] == delim:
                i += 1
                continue
            if i < n and data[i] == "\r":
                i += 1
            if i < n and data[i] == "\n":
                i += 1
            break
        yield record, i


def format_row(spec: CopySpec, values: list[Any], types: list[SqlType]) -> str:
    texts = [T.format_value(v, t) for v, t in zip(values, types, strict=True)]
    if spec.format == "csv":
        every = spec.force_quote == ["*"]
        fields = [
            spec.null if t is None else _csv_field(t, spec, every or k in spec.quoted, len(texts))
            for k, t in enumerate(texts)
        ]
        return spec.delimiter.join(fields) + "\n"
    return (
        spec.delimiter.join(
            spec.null if t is None else _escape_text(t, spec.delimiter) for t in texts
        )
        + "\n"
    )


def _csv_field(text: str, spec: CopySpec, force: bool, width: int) -> str:
    """One CSV field as PostgreSQL's CopyAttributeOutCSV writes it: quoted when forced, equal
    to the null string, holding the delimiter, the quote or a line break (or ``\\.`` alone
    on a line); inside quotes the quote and escape characters are escaped."""
    quote, esc = spec.quote, spec.escape
    if not (
        force
        or text == spec.null
        or (width == 1 and text == "\\.")
        or any(c in text for c in (spec.delimiter, quote, "\n", "\r"))
    ):
        return text
    body = "".join(esc + c if c in (quote, esc) else c for c in text)
    return quote + body + quote


def resolve_forced(spec: CopySpec, names: list[str], table: str | None, listed: bool) -> None:
    """The positions among the copied columns ``names`` of the FORCE_* columns; 42P10 for
    one the column list leaves out, 42703 for one the table lacks (PostgreSQL's
    CopyGetAttnums then its check in BeginCopy)."""
    for option, attr in (("force_quote", "quoted"), ("force_not_null", "not_null"),
                         ("force_null", "nulled")):  # fmt: skip
        cols = getattr(spec, option)
        if not cols or cols == ["*"]:
            continue
        at = []
        for c in cols:
            if c not in names:
                if listed or table is None:
                    raise InvalidColumnReference(
                        f'{option.upper()} column "{c}" not referenced by COPY'
                    )
                raise UndefinedColumn(f'column "{c}" of relation "{table}" does not exist')
            at.append(names.index(c))
        setattr(spec, attr, frozenset(at))


def header_line(spec: CopySpec, names: list[str]) -> str:
    if spec.format == "csv":
        return spec.delimiter.join(_csv_field(n, spec, False, len(names)) for n in names) + "\n"
    return spec.delimiter.join(names) + "\n"


# -- binary format -----------------------------------------------------------------------------
#
#   b"PGCOPY\n\xff\r\n\x00"  int32 flags (bit 16: rows carry OIDs)  int32 n  n bytes (extension)
#   per row:  int16 field count  then per field  int32 length (-1: NULL)  length bytes
#   trailer:  int16 -1

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")
_HEADER = struct.Struct("!ii")
BINARY_HEADER = BINARY_SIGNATURE + _HEADER.pack(0, 0)
BINARY_TRAILER = _I16.pack(-1)


def _binary_header(buf: bytes | bytearray) -> int | None:
    """The size of the header at the start of ``buf``, None while it is incomplete; raises
    22P04 for what is no binary COPY header, as PostgreSQL's ReceiveCopyBinaryHeader does."""
    if len(buf) < len(BINARY_SIGNATURE) + _HEADER.size:
        if not BINARY_SIGNATURE.startswith(bytes(buf[: len(BINARY_SIGNATURE)])):
            raise BadCopyFileFormat("COPY file signature not recognized")
        return None
    if bytes(buf[: len(BINARY_SIGNATURE)]) != BINARY_SIGNATURE:
        raise BadCopyFileFormat("COPY file signature not recognized")
    flags, ext = _HEADER.unpack_from(buf, len(BINARY_SIGNATURE))
    if flags & (1 << 16):
        raise BadCopyFileFormat("invalid COPY file header (WITH OIDS)")
    if flags >> 16:
        raise BadCopyFileFormat("unrecognized critical flags in COPY file header")
    if ext < 0:
        raise BadCopyFileFormat("invalid COPY file header (missing length)")
    end = len(BINARY_SIGNATURE) + _HEADER.size + ext
    return end if len(buf) >= end else None


_END: list[bytes | None] = []  # the trailer, told from a row of no fields by identity


def _binary_row(buf: bytearray, at: int, width: int) -> tuple[list[bytes | None] | None, int]:
    """The fields of the row at ``at`` and the offset past it; (None, at) while incomplete,
    (_END, offset) for the trailer."""
    if len(buf) < at + 2:
        return None, at
    (count,) = _I16.unpack_from(buf, at)
    pos = at + 2
    if count == -1:
        return _END, pos
    if count != width:
        raise BadCopyFileFormat(f"row field count is {count}, expected {width}")
    fields: list[bytes | None] = []
    for _ in range(count):
        if len(buf) < pos + 4:
            return None, at
        (size,) = _I32.unpack_from(buf, pos)
        pos += 4
        if size == -1:
            fields.append(None)
            continue
        if size < 0:
            raise BadCopyFileFormat("invalid field size")
        if len(buf) < pos + size:
            return None, at
        fields.append(bytes(buf[pos : pos + size]))
        pos += size
    return fields, pos


def parse_binary_rows(width: int, chunks: Iterable[bytes]) -> Iterator[list[bytes | None]]:
    """Each row's fields in binary COPY data (None for NULL), each still in its type's binary
    form, from pieces of any size; the header is checked and the trailer ends the data."""
    buf = bytearray()
    at: int | None = None  # past the header, once it has been read
    ended = False
    for chunk in chunks:
        if ended:
            if chunk:
                raise BadCopyFileFormat("received copy data after EOF marker")
            continue
        buf += chunk
        if at is None:
            at = _binary_header(buf)
            if at is None:
                continue
        while True:
            interrupt.check()
            fields, after = _binary_row(buf, at, width)
            if fields is None:
                break
            at = after
            if fields is _END:
                if at < len(buf):
                    raise BadCopyFileFormat("received copy data after EOF marker")
                ended = True
                break
            yield fields
        del buf[:at]
        at = 0
    if at is None:
        raise BadCopyFileFormat("COPY file signature not recognized")
    if buf and not ended:  # the end of the data between rows ends them, as a trailer does
        raise BadCopyFileFormat("unexpected EOF in COPY data")


def binary_row(fields: list[bytes | None]) -> bytes:
    """One row in binary COPY format, from its fields' binary forms (None for NULL)."""
    parts = [_I16.pack(len(fields))]
    for f in fields:
        if f is None:
            parts.append(_I32.pack(-1))
        else:
            parts.append(_I32.pack(len(f)))
            parts.append(f)
    return b"".join(parts)
