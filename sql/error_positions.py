"""Error positions (the ErrorResponse's P field, psql's caret line) for the errors of name
resolution, found in one place: where a statement's error leaves the session, the object
the message names is looked up in the statement's tokens.

PostgreSQL's parse analysis places them at the reference: a relation at its (first)
qualified name's start, a column reference at its start, a function call at its name, an
operator at its symbol. db9 resolves names on sqlglot's tree, which has no offsets, so the
first token sequence spelling the reference stands for it (parse analysis meets references
in the order they are written, save for subtleties this does not model).
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql.errors import SqlError
from sql.statements import Statement

_QUOTED = r'"((?:[^"]|"")*)"'
_PATTERNS: list[tuple[str, re.Pattern[str], str]] = [
    # (SQLSTATE, message, what follows the name: "(" for a call, "" for anything)
    ("42P01", re.compile(rf"^relation {_QUOTED} does not exist$"), ""),
    ("42P01", re.compile(rf"^missing FROM-clause entry for table {_QUOTED}$"), "."),
    ("42703", re.compile(rf"^column {_QUOTED} of relation {_QUOTED} does not exist$"), ""),
    ("42703", re.compile(rf"^column {_QUOTED} does not exist$"), ""),
    ("42703", re.compile(r"^column (\S+) does not exist$"), ""),
    ("42883", re.compile(r"^function (.+?)\(.*\) does not exist$"), "("),
]
_OPERATOR = re.compile(r"^operator does not exist: (?:(.+) )?(\S+) (.+)$")
_OPERATOR_WORDS = {"~~": ["LIKE"], "!~~": ["NOT", "LIKE"], "~~*": ["ILIKE"],
                   "!~~*": ["NOT", "ILIKE"]}  # fmt: skip
_SKIPPED = {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.HEREDOC_STRING}


def place(exc: SqlError, stmt: Statement) -> None:
    """Set ``exc``'s position (1-based, in the whole query string) when it has none and the
    object its message names is spelled in ``stmt``."""
    if exc.position is not None or not stmt.tokens:
        return
    words = _subject(exc)
    if words is None:
        return
    at = _find(stmt.tokens, *words)
    if at is not None:
        exc.position = at + 1


def _subject(exc: SqlError) -> tuple[list[str], str] | None:
    """The token texts that spell what ``exc`` is about, and the token after them."""
    message = str(exc.message)
    for state, pattern, after in _PATTERNS:
        if exc.sqlstate != state:
            continue
        m = pattern.match(message)
        if m is not None:
            return _dotted(m.group(1).replace('""', '"')), after
    if exc.sqlstate == "42883":
        m = _OPERATOR.match(message)
        if m is not None:
            symbol = m.group(2)
            return _OPERATOR_WORDS.get(symbol, [symbol]), ""
    return None


def _dotted(name: str) -> list[str]:
    """``s.t`` as the tokens s . t (a quoted name holding a dot is rare enough to miss)."""
    parts = name.split(".")
    return [x for p in parts for x in (p, ".")][:-1]


def _find(tokens: list[Any], words: list[str], after: str) -> int | None:
    """The offset of the first run of ``tokens`` spelling ``words`` (names compared as
    PostgreSQL folds them), followed by ``after`` when it is given."""
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if all(_spells(tokens[i + k], w) for k, w in enumerate(words)) and (
            not after or (i + n < len(tokens) and tokens[i + n].text == after)
        ):
            return int(tokens[i].start)
    return None


def _spells(tok: Any, word: str) -> bool:
    if tok.token_type in _SKIPPED:
        return False
    if tok.token_type == TokenType.IDENTIFIER:  # quoted: as written
        return bool(tok.text == word)
    return bool(tok.text.lower() == word.lower())
