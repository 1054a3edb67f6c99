"""PostgreSQL's regression scripts read as psql reads them: statements and meta-commands.

The scripts live outside the project (../shared/pg-regress, see its README): ``REGRESS`` finds
them, ``CORE`` is the set the agreement figure is measured on. ``items`` splits a script the
way psql's lexer does, independently of db9's own statement splitter (which is under test):
a statement ends at a ``;`` outside quotes, comments and parentheses; quotes are '...', E'...'
(backslash escapes), "...", and $tag$...$tag$; a backslash outside quotes starts a
meta-command that runs to the end of the line (or to ``\\\\``); ``\\g``/``\\gset``/``\\gexec``
end the statement they follow; psql variables are interpolated (``:name``, ``:'name'``,
``:"name"``, never ``::``) from the dict the caller passes and keeps updating, because psql
interpolates a line only when it reads it; a ``COPY ... FROM stdin`` statement takes the lines
after it up to ``\\.`` as its data.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# $DB9_PG_REGRESS, else ../shared/pg-regress beside the checkout (or beside its folder)
REGRESS = next(
    (
        p
        for p in (
            Path(os.environ.get("DB9_PG_REGRESS", "/nonexistent")),
            ROOT.parent / "shared" / "pg-regress",
            ROOT.parent.parent / "shared" / "pg-regress",
            Path("/work/shared/pg-regress"),
        )
        if p.exists()
    ),
    ROOT.parent / "shared" / "pg-regress",
)
CORE = (  # noqa: SIM905 - the README's list, as it reads there
    "boolean int4 int8 numeric float8 text strings varchar char case select select_distinct "
    "select_having select_implicit insert update delete join aggregates union subselect with "
    "window arrays json create_table constraints sequence transactions limit namespace "
    "create_index truncate returning prepare"
).split()

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR = re.compile(r"[A-Za-z0-9_]+")
# psql sends the lines after COPY ... FROM STDIN (or, as the grammar also takes, FROM STDOUT)
_COPY_STDIN = re.compile(r"\s*COPY\b.*\bFROM\s+STD(IN|OUT)\b", re.IGNORECASE | re.DOTALL)
# The variable through which the caller says whether standard_conforming_strings is off (as
# psql learns it from the server): then every '...' takes backslash escapes.
STD_STRINGS = "__standard_conforming_strings"


@dataclass
class Statement:
    """One SQL statement, variables interpolated; ``then`` is the meta-command that ended it
    (``g``, ``gset``, ``gexec``, or empty for ``;``), ``arg`` its argument."""

    sql: str
    line: int
    copy_data: str | None = None
    then: str = ""
    arg: str = ""


@dataclass
class Meta:
    """A meta-command other than the ones that end a statement: ``name`` without the
    backslash, ``args`` the rest of its line."""

    name: str
    args: str
    line: int


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def set_value(args: str, variables: dict[str, str]) -> tuple[str, str]:
    """``\\set name value...``: the name and the value, its parts concatenated (quoted
    strings unquoted, ``:var`` and ``:'var'`` interpolated, bare words as they are)."""
    parts = _meta_words(args, variables)
    if not parts:
        return "", ""
    return parts[0], "".join(parts[1:])


def _meta_words(args: str, variables: dict[str, str]) -> list[str]:
    out: list[str] = []
    i, n = 0, len(args)
    while i < n:
        while i < n and args[i].isspace():
            i += 1
        if i >= n:
            break
        word = ""
        while i < n and not args[i].isspace():
            c = args[i]
            if c == "'":
                j = i + 1
                buf = []
                while j < n:
                    if args[j] == "'" and j + 1 < n and args[j + 1] == "'":
                        buf.append("'")
                        j += 2
                    elif args[j] == "'":
                        break
                    elif args[j] == "\\" and j + 1 < n:
                        buf.append({"n": "\n", "t": "\t"}.get(args[j + 1], args[j + 1]))
                        j += 2
                    else:
                        buf.append(args[j])
                        j += 1
                word += "".join(buf)
                i = j + 1
            elif c == ":":
                m = _VAR.match(args, i + 1)
                q = args[i + 1 : i + 2]
                if q in ("'", '"'):
                    end = args.find(q, i + 2)
                    name = args[i + 2 : end] if end > 0 else ""
                    if end > 0 and name in variables:
                        value = variables[name]
                        word += quote_literal(value) if q == "'" else quote_ident(value)
                        i = end + 1
                        continue
                if m and m.group() in variables:
                    word += variables[m.group()]
                    i = m.end()
                    continue
                word += c
                i += 1
            else:
                word += c
                i += 1
        out.append(word)
    return out


def items(text: str, variables: dict[str, str]) -> Iterator[Statement | Meta]:
    """The statements and meta-commands of ``text`` in order (see the module docstring)."""
    i, n = 0, len(text)
    buf: list[str] = []
    depth = 0
    line = 1  # of the current position
    start = 1  # line the buffered statement starts on

    def flush(then: str = "", arg: str = "") -> Statement | None:
        nonlocal buf, depth
        sql = "".join(buf).strip()
        buf, depth = [], 0
        if not sql:
            return None
        return Statement(sql, start, None, then, arg)

    while i < n:
        c = text[i]
        if not "".join(buf).strip():
            start = line
        if c == "\n":
            line += 1
            buf.append(c)
            i += 1
        elif c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            level, j = 1, i + 2
            while j < n and level:
                if text.startswith("/*", j):
                    level, j = level + 1, j + 2
                elif text.startswith("*/", j):
                    level, j = level - 1, j + 2
                else:
                    j += 1
            line += text.count("\n", i, j)
            buf.append(" ")
            i = j
        elif c == "'":
            escapes = variables.get(STD_STRINGS, "on") == "off" or (
                i > 0 and text[i - 1] in "eE" and (i < 2 or not text[i - 2].isalnum())
            )
            j = i + 1
            while j < n:
                if (escapes and text[j] == "\\") or text.startswith("''", j):
                    j += 2
                elif text[j] == "'":
                    break
                else:
                    j += 1
            line += text.count("\n", i, j)
            buf.append(text[i : j + 1])
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and not (text[j] == '"' and not text.startswith('""', j)):
                j += 2 if text.startswith('""', j) else 1
            line += text.count("\n", i, j)
            buf.append(text[i : j + 1])
            i = j + 1
        elif c == "$" and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = _IDENT.match(text, i + 1)
            tag_end = m.end() if m else i + 1
            if tag_end < n and text[tag_end] == "$":
                tag = text[i : tag_end + 1]
                end = text.find(tag, tag_end + 1)
                end = n if end < 0 else end + len(tag)
                line += text.count("\n", i, end)
                buf.append(text[i:end])
                i = end
            else:
                buf.append(c)
                i += 1
        elif c == ":" and text.startswith("::", i):
            buf.append("::")
            i += 2
        elif c == ":":
            q = text[i + 1 : i + 2]
            if q in ("'", '"'):
                end = text.find(q, i + 2)
                name = text[i + 2 : end] if end > 0 else ""
                if end > 0 and name in variables:
                    value = variables[name]
                    buf.append(quote_literal(value) if q == "'" else quote_ident(value))
                    i = end + 1
                    continue
            m = _VAR.match(text, i + 1)
            if m and m.group() in variables:
                buf.append(variables[m.group()])
                i = m.end()
                continue
            buf.append(c)
            i += 1
        elif c == "(":
            depth += 1
            buf.append(c)
            i += 1
        elif c == ")":
            depth = max(0, depth - 1)
            buf.append(c)
            i += 1
        elif c == ";" and depth == 0:
            buf.append(c)
            i += 1
            stmt = flush()
            if stmt is not None:
                if _COPY_STDIN.match(stmt.sql):
                    i, line, stmt.copy_data = _copy_data(text, i, line)
                yield stmt
        elif c == "\\" and text.startswith("\\;", i):  # a ';' that does not end the statement
            buf.append(";")
            i += 2
        elif c == "\\":
            j = text.find("\n", i)
            j = n if j < 0 else j
            end = text.find("\\\\", i + 1, j)
            command = text[i + 1 : end if end >= 0 else j]
            i = end + 2 if end >= 0 else j
            name, _, args = command.strip().partition(" ")
            if name in ("g", "gset", "gexec", "gx"):
                stmt = flush(name, args.strip())
                if stmt is not None:
                    yield stmt
            elif name:
                yield Meta(name, args.strip(), line)
        else:
            buf.append(c)
            i += 1
    stmt = flush()
    if stmt is not None:
        yield stmt


def _copy_data(text: str, i: int, line: int) -> tuple[int, int, str]:
    """The inline data of a COPY FROM stdin ending at ``i``: the lines after the statement's
    line up to ``\\.``; the position and line after them, and the data."""
    eol = text.find("\n", i)
    if eol < 0:
        return len(text), line, ""
    pos, line = eol + 1, line + 1
    rows: list[str] = []
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        row = text[pos:end]
        pos, line = end + 1, line + 1
        if row.strip() == "\\.":
            break
        rows.append(row + "\n")
    return pos, line, "".join(rows)


def top_level_order_by(sql: str) -> bool:
    """Whether ``sql`` orders its result: an ORDER BY outside quotes and parentheses."""
    depth, i, n = 0, 0, len(sql)
    words: list[str] = []
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = sql.find(c, i + 1)
            i = n if j < 0 else j + 1
        elif c == "(":
            depth, i = depth + 1, i + 1
        elif c == ")":
            depth, i = depth - 1, i + 1
        elif depth == 0 and (c.isalpha() or c == "_"):
            m = _IDENT.match(sql, i)
            assert m is not None
            words.append(m.group().lower())
            i = m.end()
        else:
            i += 1
    return any(a == "order" and b == "by" for a, b in itertools.pairwise(words))
