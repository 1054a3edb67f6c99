"""Text search configurations (``simple`` and PostgreSQL's snowball ones: ``english``,
``french``, ``russian``...) and what they build: to_tsvector, to_tsquery and its plain,
phrase and web-search forms, and the documents of json values.

A configuration maps each token type of the default parser (sql.ts_parser) to a dictionary:
``simple`` lower-cases, ``<language>_stem`` also drops the language's stop words and stems
with its Snowball stemmer (the library PostgreSQL's own stemmers come from). Token types a
configuration does not map (blanks, tags, entities, protocols) take no position; a stop word
takes a position and yields no lexeme, as in PostgreSQL.
"""

from __future__ import annotations

import functools
import glob
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]

from sql import ts_parser as P
from sql.errors import InvalidParameterValue, UndefinedObject
from sql.ts_stopwords import ENGLISH
from sql.ts_values import (
    AND,
    NOT,
    OR,
    PHRASE,
    STOP,
    Operand,
    Operator,
    QueryParser,
    Tree,
    TsQuery,
    TsVector,
    clean,
    make_tsvector,
)

_SIMPLE_TYPES = frozenset({
    P.ASCIIWORD, P.WORD, P.NUMWORD, P.ASCIIHWORD, P.HWORD, P.NUMHWORD, P.HWORD_ASCIIPART,
    P.HWORD_PART, P.HWORD_NUMPART, P.EMAIL, P.URL, P.HOST, P.URL_PATH, P.FILE, P.SFLOAT,
    P.FLOAT, P.INT, P.UINT, P.VERSION,
})  # fmt: skip
_STEMMED_TYPES = frozenset(
    {P.ASCIIWORD, P.WORD, P.ASCIIHWORD, P.HWORD, P.HWORD_ASCIIPART, P.HWORD_PART}
)
MAX_WORD_BYTES = 2047


@functools.cache
def _stemmer(language: str) -> Any:
    return snowballstemmer.stemmer(language)


@functools.cache
def _stopwords(language: str) -> frozenset[str]:
    """PostgreSQL's ``<language>.stop`` (tsearch_data of an installed PostgreSQL; english's
    list is built in): one word a line, lower-cased."""
    if language == "english":
        return ENGLISH
    found = sorted(glob.glob(f"/usr/share/postgresql/*/tsearch_data/{language}.stop"))
    if not found:
        return frozenset()
    with open(found[-1], encoding="utf-8") as f:
        return frozenset(w.strip().lower() for w in f if w.strip())


@dataclass(frozen=True)
class Config:
    """A text search configuration: its name and the Snowball stemmer (with its language's
    stop words) of its words and of its ASCII words (english for the non-Latin scripts, as
    PostgreSQL's snowball_create.sql maps them); ``simple`` only lower-cases."""

    name: str
    language: str | None
    ascii_language: str | None = None

    def lexize(self, token: P.Token) -> list[str] | None:
        """The lexemes of one token: None if the type is not indexed, [] for a stop word."""
        if token.kind not in _SIMPLE_TYPES:
            return None
        word = token.text.lower()
        language = self.ascii_language if token.kind in _ASCII_TYPES else self.language
        if language is None or token.kind not in _STEMMED_TYPES:
            return [word]
        if word in _stopwords(language):
            return []
        return [_stemmer(language).stemWord(word)]


_ASCII_TYPES = frozenset({P.ASCIIWORD, P.ASCIIHWORD, P.HWORD_ASCIIPART})
_LATIN = ("basque", "catalan", "danish", "dutch", "english", "finnish", "french", "german",
          "hungarian", "indonesian", "irish", "italian", "lithuanian", "norwegian",
          "portuguese", "romanian", "spanish", "swedish", "turkish")  # fmt: skip
_OTHER_SCRIPTS = ("arabic", "armenian", "greek", "hindi", "nepali", "russian", "serbian",
                  "tamil", "yiddish")  # fmt: skip
CONFIGS = {
    "simple": Config("simple", None),
    **{lang: Config(lang, lang, lang) for lang in _LATIN},
    **{lang: Config(lang, lang, "english") for lang in _OTHER_SCRIPTS},
}


def config(name: str) -> Config:
    """The configuration named ``name`` (optionally pg_catalog-qualified); 42704 otherwise."""
    key = name.strip().lower()
    if key.startswith("pg_catalog."):
        key = key[len("pg_catalog.") :]
    found = CONFIGS.get(key.strip('"'))
    if found is None:
        raise UndefinedObject(f'text search configuration "{name}" does not exist')
    return found


@dataclass
class Words:
    """parsetext's output: (lexeme, position) pairs in order; ``pos`` is the last position."""

    items: list[tuple[str, int]]
    pos: int = 0

    def add_text(self, cfg: Config, text: str) -> None:
        for token in P.flat(text):
            if len(token.text.encode()) > MAX_WORD_BYTES:
                continue  # PostgreSQL: NOTICE "word is too long to be indexed", ignored
            lexemes = cfg.lexize(token)
            if lexemes is None:
                continue
            self.pos += 1
            for lexeme in lexemes:
                self.items.append((lexeme, self.pos))


def to_tsvector(cfg: Config, text: str) -> TsVector:
    words = Words([])
    words.add_text(cfg, text)
    return _vector(words)


def _vector(words: Words) -> TsVector:
    by_lexeme: dict[str, list[tuple[int, int]]] = {}
    for lexeme, pos in words.items:
        by_lexeme.setdefault(lexeme, []).append((pos, 0))
    return make_tsvector(by_lexeme)


# -- json documents ---------------------------------------------------------------------------

_FLAGS = ("string", "numeric", "boolean", "key", "all")


def json_flags(flags: Any) -> frozenset[str]:
    """json(b)_to_tsvector's filter: a flag or an array of them (22023 otherwise)."""
    items = flags if isinstance(flags, list) else [flags]
    if isinstance(flags, dict):
        raise InvalidParameterValue("wrong flag type, only arrays and scalars are allowed")
    out = set()
    for f in items:
        if not isinstance(f, str):
            raise InvalidParameterValue("flag array element is not a string")
        if f.lower() not in _FLAGS:
            raise InvalidParameterValue(
                f'wrong flag in flag array: "{f}"',
            )
        out.add(f.lower())
    return frozenset(_FLAGS if "all" in out else out)


class JsonNumber(str):
    """A json number, as its text (told apart from a json string)."""


def json_strings(doc: Any, flags: frozenset[str]) -> Iterator[str]:
    """The texts of a json document (numbers as JsonNumber, null as None) the flags select,
    in document order."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if "key" in flags:
                yield k
            yield from json_strings(v, flags)
    elif isinstance(doc, list):
        for v in doc:
            yield from json_strings(v, flags)
    elif isinstance(doc, bool):
        if "boolean" in flags:
            yield "true" if doc else "false"
    elif isinstance(doc, JsonNumber):
        if "numeric" in flags:
            yield doc
    elif isinstance(doc, str) and "string" in flags:
        yield doc


def json_to_tsvector(cfg: Config, strings: Iterator[str]) -> TsVector:
    """Each selected text parsed on its own; a text that yielded words leaves a gap of one
    position, so phrases do not match across values."""
    words = Words([])
    for text in strings:
        before = len(words.items)
        words.add_text(cfg, text)
        if len(words.items) > before:
            words.pos += 1
    return _vector(words)


# -- queries --------------------------------------------------------------------------------


def _morph(cfg: Config, text: str, weights: int, prefix: bool, op: str) -> Tree:
    """pushval_morph: the lexemes of one operand's text joined by ``op`` in position order,
    a stop-word placeholder for each position a stop word took."""
    words = Words([])
    words.add_text(cfg, text)
    tree: Tree | None = None
    last = 0
    for lexeme, pos in words.items:
        while last and last + 1 < pos:  # positions stop words took become placeholders
            tree = _join(tree, STOP, op)
            last += 1
        operand = Operand(lexeme, weights, prefix)
        # (a second lexeme at the same position, a dictionary's variant, would be ANDed)
        tree = _join(tree, operand, AND if pos == last else op)
        last = pos
    return STOP if tree is None else tree


def _join(left: Tree | None, right: Tree, op: str) -> Tree:
    if left is None:
        return right
    return Operator(op, right, left, 1 if op == PHRASE else 0)


def to_tsquery(cfg: Config, text: str) -> TsQuery:
    parser = QueryParser(text, lambda w, wt, pf: _morph(cfg, w, wt, pf, PHRASE))
    return TsQuery(clean(parser.parse()))


def plainto_tsquery(cfg: Config, text: str) -> TsQuery:
    return TsQuery(clean(_morph(cfg, text, 0, False, AND)) if text else None)


def phraseto_tsquery(cfg: Config, text: str) -> TsQuery:
    return TsQuery(clean(_morph(cfg, text, 0, False, PHRASE)) if text else None)


def websearch_to_tsquery(cfg: Config, text: str) -> TsQuery:
    """Web search syntax: "quoted phrase", ``-`` negates the next term, ``or`` between two
    terms is OR (elsewhere a word); other adjacent terms are ANDed, AND binding tighter.
    Each term's words are joined by <-> (a hyphenated word is a phrase)."""
    terms = list(_web_terms(text))
    groups: list[list[Tree]] = [[]]
    for i, (quoted, word, negations) in enumerate(terms):
        is_or = (
            not quoted and not negations and word.lower() == "or"
            and any(groups[-1]) and i + 1 < len(terms)
        )  # fmt: skip
        if is_or:
            groups.append([])
            continue
        node = _morph(cfg, word, 0, False, PHRASE)
        for _ in range(negations):
            node = Operator(NOT, node)
        groups[-1].append(node)
    tree: Tree | None = None
    for group in groups:
        anded: Tree | None = None
        for node in group:
            anded = node if anded is None else Operator(AND, node, anded)
        if anded is not None:
            tree = anded if tree is None else Operator(OR, anded, tree)
    return TsQuery(clean(tree))


_WEB_SEPARATORS = frozenset('!&|()<>:"')


def _web_terms(text: str) -> Iterator[tuple[bool, str, int]]:
    """(quoted, text, number of negations) for each term of a web search text; a ``-``
    before a term negates it, unless it touches a ``>`` (as in ``<->``, ``->``, ``>-``)."""
    i, n = 0, len(text)
    negated = 0
    while i < n:
        ch = text[i]
        if ch == "-" and text[i - 1 : i] != ">" and text[i + 1 : i + 2] != ">":
            negated += 1
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            yield True, text[i + 1 : end], negated
            negated = 0
            i = end + 1
        elif ch.isspace() or ch in _WEB_SEPARATORS or ch == "-":
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _WEB_SEPARATORS:
                j += 1
            yield False, text[i:j], negated
            negated = 0
            i = j


TextFn = Callable[[Config, str], TsQuery]
