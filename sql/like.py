"""LIKE patterns: as a regular expression (matching), and as the fixed prefix every match
starts with (an index range). ``%`` matches any string, ``_`` one character, the escape
character (backslash unless ESCAPE says otherwise) makes the next character literal."""

from __future__ import annotations

import re

from sql.errors import (
    InvalidEscapeSequence,
    InvalidRegularExpression,
    InvalidUseOfEscapeCharacter,
    regex_error,
)


def like_to_regex(pattern: str, escape: str | None = "\\") -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def like_prefix(pattern: str, escape: str = "\\") -> tuple[str, bool]:
    """(the literal text before the first wildcard, whether the pattern is only that text).
    Every string the pattern matches starts with the prefix; an exact pattern matches the
    prefix alone (case-sensitive LIKE, compared codepoint by codepoint as db9 does)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
            continue
        if c in "%_":
            return "".join(out), False
        out.append(c)
        i += 1
    return "".join(out), True


def similar_to_regex(pattern: str, escape: str | None = "\\") -> re.Pattern[str]:
    """A SQL regular expression (SIMILAR TO, SUBSTRING ... SIMILAR) as PostgreSQL's
    similar_to_escape reads it, anchored at both ends: ``%`` any string, ``_`` one
    character, ``[...]`` as written, ``(...)`` a group, ``|*+?{}`` as in a regular
    expression, any other character literal; the escape character makes the next one
    literal, and escape + ``"`` (twice) marks the part SUBSTRING returns (group 1). Before
    the first marker ``%`` and quantifiers match as little as they can."""
    if escape is not None and len(escape) > 1:
        hint = "Escape string must be empty or one character."
        raise InvalidEscapeSequence("invalid escape string", hint=hint)
    out = ["^(?:"]
    separators = 0
    marked = bool(escape) and f'{escape}"' in pattern
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == '"':
                separators += 1
                if separators > 2:
                    raise InvalidUseOfEscapeCharacter(
                        "SQL regular expression may not contain more than two "
                        "escape-double-quote separators"
                    )
                out.append(")(" if separators == 1 else ")(?:")
            else:
                out.append(re.escape(nxt))
            i += 2
            continue
        if c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("]", "^") else i + 1)
            if end < 0:
                raise InvalidRegularExpression(
                    "invalid regular expression: brackets [] not balanced"
                )
            else:
                out.append(pattern[i : end + 1])
                i = end + 1
                continue
        elif c == "%":
            out.append(".*?" if separators == 0 and marked else ".*")
        elif c == "_":
            out.append(".")
        elif c == "(":
            out.append("(?:")
        elif c in "*+?}":  # before the first marker, as few as it can (PostgreSQL)
            out.append(c + "?" if separators == 0 and marked else c)
        elif c in "|{)":
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    out.append(")$")
    try:
        return re.compile("".join(out), re.DOTALL)
    except (re.error, OverflowError) as exc:
        raise regex_error(exc) from None


def similar_substring(text: str, pattern: str, escape: str | None) -> str | None:
    """SUBSTRING(text SIMILAR pattern ESCAPE escape): the part between the markers (the
    whole match without them), or NULL when the pattern does not match."""
    m = similar_to_regex(pattern, escape).match(text)
    if m is None:
        return None
    return m.group(1) if m.re.groups else m.group(0)
