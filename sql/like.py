"""LIKE patterns: as a regular expression (matching), and as the fixed prefix every match
starts with (an index range). ``%`` matches any string, ``_`` one character, the escape
character (backslash unless ESCAPE says otherwise) makes the next character literal."""

from __future__ import annotations

import re


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
