"""PostgreSQL's default text search parser ("default", prsd_*): a document split into typed
tokens, as ts_parse/ts_token_type name them.

Every character of the input belongs to exactly one top-level token, so joining the tokens'
texts gives the input back (ts_headline relies on it). A compound token (a hyphenated word, a
URL) carries the parts PostgreSQL also emits after it, each a token of its own for indexing.
Covered: words (asciiword, word, numword), hyphenated words and their parts, email addresses,
hosts, URLs and their paths, file paths, integers, decimals, scientific numbers, version
numbers, XML tags and entities (not indexed), and blanks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ts_token_type('default') names, by id
ASCIIWORD, WORD, NUMWORD = "asciiword", "word", "numword"
ASCIIHWORD, HWORD, NUMHWORD = "asciihword", "hword", "numhword"
HWORD_ASCIIPART, HWORD_PART, HWORD_NUMPART = "hword_asciipart", "hword_part", "hword_numpart"
EMAIL, PROTOCOL, URL, HOST, URL_PATH, FILE = "email", "protocol", "url", "host", "url_path", "file"
SFLOAT, FLOAT, INT, UINT, VERSION = "sfloat", "float", "int", "uint", "version"
TAG, ENTITY, BLANK = "tag", "entity", "blank"

COMPOUNDS = frozenset({ASCIIHWORD, HWORD, NUMHWORD, URL})
NUMBERS = frozenset({SFLOAT, FLOAT, INT, UINT, VERSION})


@dataclass(frozen=True)
class Token:
    """One token: its type, its text, and (compounds) the part tokens that follow it."""

    kind: str
    text: str
    parts: tuple[Token, ...] = ()


_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?::\d+)?(?![\w])"
_PATH = r"/[^\s<>\"'`]+"
_PART = r"[^\W_]*[^\W\d_][^\W_]*"  # a piece of a hyphenated word: has a letter
_SCANNER = re.compile(
    rf"""
    (?P<tag></?[A-Za-z][\w-]*(?:\s+[\w:-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*\s*/?>)
  | (?P<entity>&(?:[A-Za-z]+|\#\d+|\#x[0-9A-Fa-f]+);)
  | (?P<protocol>(?:https?|ftp)://)(?=(?P<ahead>{_HOST}))
  | (?P<email>[A-Za-z0-9._+-]*[A-Za-z0-9]@{_HOST})
  | (?P<url>(?P<urlhost>{_HOST})(?P<urlpath>{_PATH}))
  | (?P<host>{_HOST})
  | (?P<version>\d+(?:\.\d+){{2,}}(?![\w.]*\w))
  | (?P<sfloat>[-+]?(?:\d+\.\d*|\.\d+|\d+)[eE][-+]?\d+(?!\w))
  | (?P<float>[-+]?\d+\.\d+(?![\w.]*\w))
  | (?P<file>(?:\.{{0,2}}/)?[A-Za-z0-9_-]+(?:[./][A-Za-z0-9_-]+)+|/[A-Za-z0-9_.-]+)
  | (?P<int>[-+]\d++(?![^\W\d_]))
  | (?P<uint>\d++(?![^\W\d_]))
  | (?P<hword>{_PART}(?:-{_PART})+)
  | (?P<word>[^\W_]+)
    """,
    re.VERBOSE,
)


def _word_kind(text: str) -> str:
    if any(ch.isdigit() for ch in text):
        return NUMWORD
    return ASCIIWORD if text.isascii() else WORD


_PART_KIND = {ASCIIWORD: HWORD_ASCIIPART, WORD: HWORD_PART, NUMWORD: HWORD_NUMPART}


def _hword(text: str) -> Token:
    """A hyphenated word; its parts are the pieces with the hyphens between them as blanks."""
    parts: list[Token] = []
    for i, piece in enumerate(text.split("-")):
        if i:
            parts.append(Token(BLANK, "-"))
        parts.append(Token(_PART_KIND[_word_kind(piece)], piece))
    kinds = {p.kind for p in parts}
    if HWORD_NUMPART in kinds:
        kind = NUMHWORD
    elif HWORD_PART in kinds:
        kind = HWORD
    else:
        kind = ASCIIHWORD
    return Token(kind, text, tuple(parts))


def _tokens_of(m: re.Match[str]) -> list[Token]:
    kind = m.lastgroup
    text = m.group(0)
    if m.group("protocol") is not None:
        return [Token(PROTOCOL, text)]
    if m.group("url") is not None:
        parts = (Token(HOST, m.group("urlhost")), Token(URL_PATH, m.group("urlpath")))
        return [Token(URL, text, parts)]
    if kind == "hword":
        return [_hword(text)]
    if kind == "word":
        return [Token(_word_kind(text), text)]
    assert kind is not None
    return [Token(kind, text)]


def tokens(text: str) -> list[Token]:
    """The top-level tokens of ``text``; blanks fill the gaps, so the texts join to ``text``."""
    out: list[Token] = []
    pos = 0
    for m in _SCANNER.finditer(text):
        out += _blanks(text[pos : m.start()])
        out += _tokens_of(m)
        pos = m.end()
    out += _blanks(text[pos:])
    return out


def _blanks(text: str) -> list[Token]:
    """A run of separators; as in PostgreSQL, a sign (+ or -) starts a new blank token."""
    return [Token(BLANK, b) for b in re.split(r"(?=[-+])", text) if b]


def flat(text: str) -> list[Token]:
    """The tokens in the order ts_parse emits them: each compound followed by its parts."""
    out: list[Token] = []

    def add(t: Token) -> None:
        out.append(t)
        for p in t.parts:
            add(p)

    for t in tokens(text):
        add(t)
    return out
