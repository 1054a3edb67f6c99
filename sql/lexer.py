"""PostgreSQL's lexical rules, for what sqlglot's tokenizer reads differently: statement
boundaries as psql finds them, and each statement rewritten into text sqlglot reads as
PostgreSQL means it.

Invariants:
- A statement ends at a semicolon outside quotes, comments, parentheses and BEGIN (or CASE)
  ... END pairs after its first word (psql's rule, for BEGIN ATOMIC function bodies).
- Standard strings take backslashes literally; ``E'...'`` strings decode PostgreSQL's
  backslash escapes; ``U&'...'`` strings and ``U&"..."`` identifiers decode ``\\XXXX``,
  ``\\+XXXXXX`` (or the ``UESCAPE`` character); ``$tag$...$tag$`` strings are taken verbatim;
  string literals separated only by whitespace holding a newline are one literal;
  ``USING <`` / ``USING >`` (only ORDER BY takes an operator after USING) are ASC / DESC;
  ``SUBSTRING(x SIMILAR p ESCAPE e)`` is written ``SUBSTRING(x FROM p FOR e)``;
  ``USING (a) AS j`` is written ``USING (a, "<USING_ALIAS>j")``.
- A rewritten statement holds each such string as a plain ``'...'`` literal, or as a
  ``$d9$...$d9$`` string (sqlglot's RawString) when its content holds a backslash (sqlglot
  reads ``\\'`` as an escape); ``plain_literals`` turns those back into string literals.
- A statement nothing needs rewriting of is returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from sql.errors import (
    CharacterNotInRepertoire,
    FeatureNotSupported,
    InvalidEscapeSequence,
    SqlError,
    SyntaxError_,
)

_IDENT_START = re.compile(r"[A-Za-z_\x80-\U0010ffff]")
_IDENT = re.compile(r"[A-Za-z_0-9$\x80-\U0010ffff]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*)?\$")
_SPACE = " \t\n\r\f\v"
_WORD = r'(?:[A-Za-z_][A-Za-z_0-9$]*|"[^"]+")'
_USING_AS = re.compile(
    rf"using\s*\(\s*({_WORD}(?:\s*,\s*{_WORD})*)\s*\)\s*as\s+([A-Za-z_][A-Za-z_0-9$]*)\b",
    re.IGNORECASE,
)
USING_ALIAS = "?using as "  # the name of the USING-list entry that carries its alias
_ORDER_USING = re.compile(r"using\s*([<>])(?![-+*/<>=~!@#%^&|`?])", re.IGNORECASE)


@dataclass
class Piece:
    """One statement: ``text`` as written, ``start`` its offset, ``sql`` what sqlglot reads."""

    text: str
    start: int
    sql: str
    error: SqlError | None = None  # a lexical error in it (PostgreSQL rejects the string)


class _Scanner:
    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.standard = True  # standard_conforming_strings

    def error(self, message: str, at: int) -> SyntaxError_:
        return SyntaxError_(message, position=at + 1)

    def skip_comment(self) -> bool:
        """Past one comment at ``i`` (nested ``/* */`` as PostgreSQL nests them)."""
        src, i = self.src, self.i
        if src.startswith("--", i):
            end = src.find("\n", i)
            self.i = len(src) if end < 0 else end
            return True
        if not src.startswith("/*", i):
            return False
        depth, j = 1, i + 2
        while depth:
            if j >= len(src):
                raise self.error("unterminated /* comment at or near " + _near(src, i), i)
            if src.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif src.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        self.i = j
        return True

    def quoted(self, quote: str) -> str:
        """The body of a ``'...'`` or ``"..."`` starting at ``i`` (doubled quotes kept as
        one); with ``backslash`` escapes skipped over for E strings by the caller."""
        src, i = self.src, self.i
        j = i + 1
        out = []
        while True:
            k = src.find(quote, j)
            if k < 0:
                what = "quoted string" if quote == "'" else "quoted identifier"
                raise self.error(f"unterminated {what} at or near {_near(src, i)}", i)
            out.append(src[j:k])
            if src.startswith(quote * 2, k):
                out.append(quote)
                j = k + 2
                continue
            self.i = k + 1
            return "".join(out)

    def extended(self) -> str:
        """The raw body of an ``E'...'`` string at ``i`` (escapes not yet decoded)."""
        src, i = self.src, self.i
        j = i + 1
        while True:
            if j >= len(src):
                raise self.error(f"unterminated quoted string at or near {_near(src, i)}", i)
            c = src[j]
            if c == "\\":
                j += 2
            elif c == "'":
                if src.startswith("''", j):
                    j += 2
                    continue
                self.i = j + 1
                return src[i + 1 : j]
            else:
                j += 1

    def gap_has_newline(self) -> bool:
        """Past whitespace and comments; whether they held a newline (string continuation)."""
        newline = False
        while self.i < len(self.src):
            c = self.src[self.i]
            if c in _SPACE:
                newline = newline or c == "\n"
                self.i += 1
            elif self.src.startswith("--", self.i):
                self.skip_comment()
            else:
                break
        return newline


def _near(src: str, i: int) -> str:
    return '"' + src[i : i + 20].split("\n")[0] + '"'


def _decode_extended(raw: str, at: int) -> str:
    """PostgreSQL's E-string escapes: \\b \\f \\n \\r \\t, \\ooo, \\xhh, \\uXXXX, \\UXXXXXXXX,
    any other character taken as itself; '' is a quote. Bytes must form valid UTF-8."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "'" and raw.startswith("''", i):
            out += b"'"
            i += 2
            continue
        if c != "\\" or i + 1 >= len(raw):
            out += c.encode()
            i += 1
            continue
        n = raw[i + 1]
        simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
        if n in simple:
            out += simple[n].encode()
            i += 2
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", raw[i + 1 :])
            assert m is not None
            out.append(int(m.group(), 8) & 0xFF)
            i += 1 + len(m.group())
        elif n == "x" and re.match(r"[0-9A-Fa-f]", raw[i + 2 : i + 3]):
            m = re.match(r"[0-9A-Fa-f]{1,2}", raw[i + 2 :])
            assert m is not None
            out.append(int(m.group(), 16))
            i += 2 + len(m.group())
        elif n in "uU":
            width = 4 if n == "u" else 8
            digits = raw[i + 2 : i + 2 + width]
            if not re.fullmatch("[0-9A-Fa-f]{" + str(width) + "}", digits):
                raise InvalidEscapeSequence("invalid Unicode escape", position=at + 1)
            out += _code_point(int(digits, 16), at).encode()
            i += 2 + width
        else:
            out += n.encode()
            i += 2
    if 0 in out:
        raise CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8": 0x00')
    try:
        return out.decode()
    except UnicodeDecodeError:
        bad = out[len(out.decode(errors="ignore").encode()) :][:1]
        raise CharacterNotInRepertoire(
            f'invalid byte sequence for encoding "UTF8": 0x{bad.hex() if bad else "00"}'
        ) from None


def _code_point(n: int, at: int) -> str:
    if n == 0 or n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise SyntaxError_("invalid Unicode escape value", position=at + 1)
    return chr(n)


def _decode_unicode(body: str, escape: str, at: int) -> str:
    """A U& body: ``<esc>XXXX``, ``<esc>+XXXXXX``, ``<esc><esc>`` for the escape itself."""
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != escape:
            out.append(c)
            i += 1
            continue
        rest = body[i + 1 :]
        if rest.startswith(escape):
            out.append(escape)
            i += 2
        elif re.match(r"[0-9A-Fa-f]{4}", rest):
            out.append(_code_point(int(rest[:4], 16), at))
            i += 5
        elif re.match(r"\+[0-9A-Fa-f]{6}", rest):
            out.append(_code_point(int(rest[1:7], 16), at))
            i += 8
        else:
            raise SyntaxError_(
                "invalid Unicode escape",
                position=at + 1,
                hint="Unicode escapes must be \\XXXX or \\+XXXXXX.",
            )
    return "".join(out)


def _literal(content: str) -> str:
    """``content`` as a string literal sqlglot reads back exactly."""
    body = content.replace("'", "''")
    if "\\'" not in body + "'":
        return "'" + body + "'"
    tag = "$d9$"
    n = 0
    while tag in content or content.endswith(tag[:-1]):
        n += 1
        tag = f"$d9_{n}$"
    return tag + content + tag


def _uescape(sc: _Scanner) -> str:
    """After a U& literal: an optional ``UESCAPE 'c'`` clause; the escape character."""
    save = sc.i
    sc.gap_has_newline()
    while sc.skip_comment():
        sc.gap_has_newline()
    m = re.match(r"uescape\b", sc.src[sc.i :], re.IGNORECASE)
    if not m:
        sc.i = save
        return "\\"
    sc.i += m.end()
    sc.gap_has_newline()
    at = sc.i
    if not sc.src.startswith("'", sc.i):
        raise SyntaxError_("UESCAPE must be followed by a simple string literal", position=at + 1)
    esc = sc.quoted("'")
    if len(esc) != 1 or esc in "0123456789abcdefABCDEF+'\"" or esc in _SPACE:
        raise SyntaxError_("invalid Unicode escape character", position=at + 1)
    return esc


def _string_at(sc: _Scanner) -> tuple[str, str] | None:
    """A string literal starting at ``i``: (kind, decoded content), ``i`` moved past it and
    its continuations; None if no string starts there. kind: 'text', 'bit', 'hex', 'ident'."""
    src, i = sc.src, sc.i
    head = src[i : i + 3].lower()
    if head.startswith("u&'") or head.startswith('u&"'):
        quote = src[i + 2]
        if quote == "'" and not sc.standard:
            raise FeatureNotSupported(
                "unsafe use of string constant with Unicode escapes",
                detail="String constants with Unicode escapes cannot be used when "
                "standard_conforming_strings is off.",
            )
        sc.i = i + 2
        body = sc.quoted(quote)
        return ("ident" if quote == '"' else "text", _decode_unicode(body, _uescape(sc), i))
    first = src[i : i + 1]
    if first == "'" or (head[:1] in ("e", "n", "b", "x") and src[i + 1 : i + 2] == "'"):
        kind = {"b": "bit", "x": "hex"}.get(head[:1], "text") if first != "'" else "text"
        extended = first in "eE" or (first == "'" and not sc.standard)
        parts = []
        while True:
            if first != "'":
                sc.i += 1
            if extended:
                parts.append(_decode_extended(sc.extended(), i))
            else:
                parts.append(sc.quoted("'"))
            save = sc.i
            newline = sc.gap_has_newline()
            if sc.src.startswith("'", sc.i):
                if not newline:  # PostgreSQL joins literals only across a newline
                    raise SyntaxError_(
                        f"syntax error at or near {_near(src, sc.i)}", position=sc.i + 1
                    )
                first = "'"
                continue
            sc.i = save
            return kind, "".join(parts)
    m = _DOLLAR_TAG.match(src, i)
    if m:
        end = src.find(m.group(), m.end())
        if end < 0:
            raise sc.error(f"unterminated dollar-quoted string at or near {_near(src, i)}", i)
        sc.i = end + len(m.group())
        return "text", src[m.end() : end]
    return None


def split(src: str, standard: bool = True) -> list[Piece]:
    """The statements of ``src`` (psql's boundaries), each with the text sqlglot reads;
    ``standard``: standard_conforming_strings (off: backslashes escape in '...' too)."""
    sc = _Scanner(src)
    sc.standard = standard
    pieces: list[Piece] = []
    out: list[str] = []  # the rewritten current statement
    start = -1  # where the current statement's first token is
    last = 0  # end of the last copied source
    changed = False
    depth = 0
    substring: list[int] = []  # paren depths of open SUBSTRING( calls

    error: SqlError | None = None
    block = [0, 0]  # psql's count of the statement's words, and its BEGIN/CASE ... END depth

    def flush(end: int) -> None:
        nonlocal out, start, last, changed, error
        if start >= 0:
            text = src[start:end].rstrip(_SPACE)
            sql = ("".join(out) + src[last:end]).strip(_SPACE) if changed else text
            pieces.append(Piece(text, start, text if error else sql, error))
        out, start, last, changed, error = [], -1, end, False, None
        block[:] = [0, 0]

    def failed(exc: SqlError, at: int) -> None:
        """A lexical error: the statement's, found where psql still finds its end (after the
        literal; at the end of input when a quote or comment is never closed)."""
        nonlocal error, start, last
        error = error or exc
        if start < 0:
            start = last = at
        if sc.i <= at:
            sc.i = len(src)

    while sc.i < len(src):
        i = sc.i
        c = src[i]
        if c in _SPACE:
            sc.i += 1
            continue
        if src.startswith("/*", i):
            nested = src.find("/*", i + 2)
            try:
                sc.skip_comment()
            except SqlError as exc:
                failed(exc, i)
                continue
            if 0 <= nested < sc.i or start < 0:  # sqlglot does not nest comments
                if start >= 0:
                    out.append(src[last:i] + " ")
                    changed = True
                last = sc.i
            continue
        if src.startswith("--", i):
            sc.skip_comment()
            if start < 0:
                last = sc.i
            continue
        if c == ";" and depth == 0 and block[1] == 0:
            flush(i)
            sc.i = last = i + 1
            continue
        if start < 0:
            start = last = i
        if c == "(":
            depth += 1
        elif c == ")":
            if substring and substring[-1] == depth:
                substring.pop()
            depth = max(depth - 1, 0)
        try:
            found = _string_at(sc)
            if found is None and c == '"':
                sc.quoted('"')
                continue
        except SqlError as exc:
            failed(exc, i)
            continue
        if found is not None:
            kind, content = found
            written = src[i : sc.i]
            if kind == "ident":
                new = '"' + content.replace('"', '""') + '"'
            elif kind == "bit":
                new = "B'" + content + "'"
            elif kind == "hex":
                new = "X'" + content + "'"
            else:
                new = _literal(content)
            if new != written:
                out.append(src[last:i] + new)
                last, changed = sc.i, True
            continue
        if c == "$" and re.match(r"\$\d", src[i : i + 2]):
            m = re.match(r"\$\d+", src[i:])
            assert m is not None
            sc.i += m.end()
            if i > 0 and src[i - 1] not in _SPACE:  # sqlglot needs a space before $n
                out.append(src[last:i] + " ")
                last, changed = i, True
            continue
        if _IDENT_START.match(c):
            m = _IDENT.match(src, i + 1)
            assert m is not None
            sc.i = m.end()
            word = src[i : m.end()].lower()
            block[0] += 1
            if word in ("begin", "case") and block[0] > 1:  # BEGIN ATOMIC ... END bodies
                block[1] += 1
            elif word == "end" and block[1] > 0:
                block[1] -= 1
            if word == "substring" and re.match(r"\s*\(", src[m.end() :]):
                substring.append(depth + 1)
            elif (
                word in ("similar", "escape")
                and substring
                and substring[-1] == depth
                and (word == "escape" or not re.match(r"\s+to\b", src[m.end() :], re.I))
            ):  # SUBSTRING(x SIMILAR p ESCAPE e) is SUBSTRING(x FROM p FOR e) to sqlglot
                out.append(src[last:i] + ("FROM" if word == "similar" else "FOR"))
                last, changed = m.end(), True
            order = _ORDER_USING.match(src, i) if word == "using" else None
            named = _USING_AS.match(src, i) if word == "using" and not order else None
            if named:  # JOIN ... USING (a, b) AS j: the alias rides in the list (sql.plan)
                out.append(
                    f'{src[last:i]}USING ({named.group(1)}, "{USING_ALIAS}{named.group(2)}")'
                )
                sc.i = last = named.end()
                changed = True
                continue
            if order:  # ORDER BY x USING < / >: sqlglot reads only ASC / DESC
                out.append(src[last:i] + ("ASC" if order.group(1) == "<" else "DESC"))
                sc.i = last = order.end()
                changed = True
            continue
        if c.isdigit() or c == ".":
            m = re.compile(r"[0-9.]*([eE][+-]?[0-9]+)?[A-Za-z_0-9]*").match(src, i + 1)
            assert m is not None
            sc.i = max(m.end(), i + 1)
            continue
        sc.i += 1
    flush(len(src))
    return pieces


def plain_literals(tree: exp.Expr) -> exp.Expr:
    """Dollar-quoted strings (sqlglot's RawString) as the string literals they are."""
    for node in list(tree.find_all(exp.RawString)):
        literal = exp.Literal.string(str(node.this))
        if node is tree:
            return literal
        node.replace(literal)
    return tree
