"""CREATE [OR REPLACE] [TEMP] RECURSIVE VIEW name (cols) AS query, which sqlglot does not read:
PostgreSQL defines it as ``CREATE VIEW name AS WITH RECURSIVE name (cols) AS (query) SELECT
cols FROM name``, and so does db9, rewriting the statement's text."""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql.errors import SyntaxError_


def rewrite(text: str, tokens: list[Any], start: int) -> str | None:
    """The plain CREATE VIEW a CREATE RECURSIVE VIEW stands for (None: not recursive).
    ``tokens`` are the statement's, at offsets from ``start``."""
    words = [str(t.text).upper() for t in tokens]
    try:
        at = words.index("RECURSIVE")
    except ValueError:
        return None
    if at + 2 >= len(words) or words[at + 1] != "VIEW":
        return None
    i = at + 2
    name_lo = i
    while i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
        i += 2
    name = text[tokens[name_lo].start - start : tokens[i].end + 1 - start]
    bare = text[tokens[i].start - start : tokens[i].end + 1 - start]
    i += 1
    if i >= len(tokens) or tokens[i].token_type != TokenType.L_PAREN:
        raise SyntaxError_(f'syntax error at or near "{tokens[min(i, len(tokens) - 1)].text}"')
    close = i
    while close < len(tokens) and tokens[close].token_type != TokenType.R_PAREN:
        close += 1
    if close + 1 >= len(tokens) or words[close + 1] != "AS":
        raise SyntaxError_("syntax error in CREATE RECURSIVE VIEW")
    cols = text[tokens[i].start - start + 1 : tokens[close].end - start]
    head = text[: tokens[at].start - start]
    query = text[tokens[close + 1].end + 1 - start :].strip().rstrip(";")
    return (
        f"{head}VIEW {name} AS WITH RECURSIVE {bare} ({cols}) AS ({query}) "
        f"SELECT {cols} FROM {bare}"
    )
