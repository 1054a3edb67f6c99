"""A query string as statements: split where psql splits (sql.lexer), each classified (a
utility command db9 reads word by word, or SQL for sqlglot; its PostgreSQL command name), and
the pieces of utility commands read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import commands, lexer
from sql.errors import InvalidParameterValue, SqlError, SyntaxError_
from sql.pg_dialect import DIALECT


@dataclass
class Statement:
    text: str
    start: int  # offset of the statement in the query string (for error positions)
    utility: tuple[str, list[str]] | None  # ("begin", words) etc., handled without sqlglot
    command: str = ""  # the PostgreSQL command it is, e.g. "DROP VIEW" (sql.commands)
    tokens: list[Any] = field(default_factory=list)
    error: SqlError | None = None  # a lexical error (split_statements' lenient mode)
    query: str = ""  # the whole query string it came in (pg_prepared_statements shows it)


_UTILITY_HEADS = {
    "BEGIN",
    "START",
    "COMMIT",
    "END",
    "ROLLBACK",
    "ABORT",
    "SAVEPOINT",
    "RELEASE",
    "SHOW",
    "SET",
    "RESET",
    "EXPLAIN",
    "DISCARD",
    "DEALLOCATE",
    "LISTEN",
    "UNLISTEN",
    "NOTIFY",
    "COPY",
    "VACUUM",
    "ANALYZE",
    "ANALYSE",
    "CHECKPOINT",
    "REINDEX",
    "CLOSE",
    "FETCH",
    "MOVE",
}


def split_statements(sql: str, lenient: bool = False, standard: bool = True) -> list[Statement]:
    """The statements of ``sql`` at psql's boundaries (sql.lexer), each as the text sqlglot
    reads as PostgreSQL means it; token offsets are the statement's offset plus their offset
    in that text. A lexical error in any statement rejects the whole string, as PostgreSQL
    does, unless ``lenient`` (psql's view: each statement on its own, the error its own).
    ``standard``: standard_conforming_strings is on."""
    out: list[Statement] = []
    for piece in lexer.split(sql, standard):
        if piece.error is not None:
            if not lenient:
                raise piece.error
            out.append(Statement(piece.text, piece.start, None, "", [], piece.error))
            continue
        try:
            tokens = DIALECT.tokenize(piece.sql)
        except TokenError as exc:
            error = SyntaxError_(f"syntax error: {exc}")
            if not lenient:
                raise error from None
            out.append(Statement(piece.text, piece.start, None, "", [], error))
            continue
        if not tokens:
            continue
        for tok in tokens:
            tok.start += piece.start
            tok.end += piece.start
        words = [t.text for t in tokens]
        head = words[0].upper()
        utility = (head.lower(), words) if head in _UTILITY_HEADS else None
        stmt = Statement(piece.sql, piece.start, utility, "", tokens, query=sql)
        # A command sqlglot does not parse keeps its rest as one string: named by its words.
        stmt.command = commands.command_name([t.text for t in command_tokens(stmt)])
        out.append(stmt)
    return out


def command_tokens(stmt: Statement) -> list[Any]:
    """The statement's tokens; sqlglot hands back the rest of a command it does not parse
    (DECLARE, FETCH, ...) as one string token: read that again."""
    toks = stmt.tokens
    if (
        len(toks) == 2
        and toks[1].token_type == TokenType.STRING
        and (
            toks[0].token_type == TokenType.COMMAND or stmt.text[toks[1].start - stmt.start] != "'"
        )
    ):
        base = toks[0].end + 1
        rest = DIALECT.tokenize(stmt.text[base - stmt.start :])
        for t in rest:
            t.start += base
            t.end += base
        return [toks[0], *rest]
    return toks


def set_value(name: str, source: str) -> str:
    """The one value of ``SET name = value`` as PostgreSQL's grammar reads it: a string's
    contents, a signed number's text, a word (lower-cased), or ``default``."""
    tokens = DIALECT.tokenize(source)
    at = next(i for i, t in enumerate(tokens) if t.text.lower() == name) + 1
    if at < len(tokens) and (
        tokens[at].token_type == TokenType.EQ or tokens[at].text.upper() == "TO"
    ):
        at += 1
    values = tokens[at:]
    if any(t.token_type == TokenType.COMMA for t in values):
        raise InvalidParameterValue(f"SET {name} takes only one argument")
    if not values:
        raise SyntaxError_("syntax error at end of input")
    sign = ""
    if values[0].token_type in (TokenType.DASH, TokenType.PLUS) and len(values) > 1:
        sign = "-" if values[0].token_type == TokenType.DASH else ""
        values = values[1:]
    first = values[0]
    if (
        first.token_type == TokenType.NUMBER
        and len(values) > 1
        and values[1].start == first.end + 1
    ):
        junk = first.text + values[1].text
        raise SyntaxError_(f'trailing junk after numeric literal at or near "{junk}"')
    if len(values) > 1:
        raise SyntaxError_(f'syntax error at or near "{values[1].text}"')
    if first.token_type in (TokenType.STRING, TokenType.NUMBER):
        return sign + first.text
    return first.text.lower()


def join_dotted(words: list[str]) -> list[str]:
    """``db9 . statement_mem_limit`` (three tokens) as one setting name."""
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "." and out and i + 1 < len(words):
            out[-1] = f"{out[-1]}.{words[i + 1]}"
            i += 2
            continue
        out.append(words[i])
        i += 1
    return out


def error_position(text: str, err: dict[str, Any]) -> int:
    """The 1-based offset in ``text`` of a sqlglot parse error (``err``: one of its errors)."""
    line, col = err.get("line"), err.get("col")
    if not line or not col:
        return 1
    lines = text.split("\n")
    before = sum(len(x) + 1 for x in lines[: int(line) - 1])
    return int(before + max(int(col) - len(err.get("highlight") or "") + 1, 1))
