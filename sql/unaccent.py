"""The unaccent extension (built in: sql.extensions): unaccent([dictionary,] text) replaces
each character (or sequence) its rules name by their replacement, as contrib/unaccent does.

The rules are PostgreSQL's own ``unaccent.rules`` (``tsearch_data`` of an installed
PostgreSQL, the file the extension reads); without one they are generated from the Unicode
database the same way its ``generate_unaccent_rules.py`` starts (a letter's canonical
decomposition without its combining marks, and the combining marks themselves removed), a
subset of the shipped file. A rule line is ``src [trg]``: whitespace separates them, a
missing trg deletes src, a trg in double quotes keeps its blanks (``""`` is a quote). At
each position the longest src that matches is replaced; other characters are kept.
"""

from __future__ import annotations

import functools
import glob
import unicodedata

from sql import types as T
from sql.casts import coerce_to
from sql.errors import UndefinedObject
from sql.functions_text import no_such_function, strict_call
from sql.scope import Typed

NAMES = frozenset({"unaccent"})
_RULES_GLOB = "/usr/share/postgresql/*/tsearch_data/unaccent.rules"
_STRINGS = frozenset({"text", "character varying", "character", "name", "unknown"})


def parse_rules(text: str) -> dict[str, str]:
    """``src -> trg`` of a rules file's lines (blank lines skipped)."""
    rules: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if not parts:
            continue
        trg = parts[1].strip() if len(parts) > 1 else ""
        if len(trg) >= 2 and trg[0] == trg[-1] == '"':
            trg = trg[1:-1].replace('""', '"')
        rules[parts[0]] = trg
    return rules


def _generated() -> dict[str, str]:
    rules = {}
    for cp in range(0x80, 0x2000):
        ch = chr(cp)
        if unicodedata.combining(ch):
            rules[ch] = ""
            continue
        if not unicodedata.category(ch).startswith("L"):
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base:
            rules[ch] = base
    return rules


@functools.cache
def rules() -> tuple[dict[str, str], int]:
    """The rules, and the length of their longest source."""
    found = sorted(glob.glob(_RULES_GLOB))
    if not found:
        table = _generated()
    else:
        with open(found[-1], encoding="utf-8") as f:
            table = parse_rules(f.read())
    return table, max(map(len, table), default=1)


def unaccent(s: str) -> str:
    table, longest = rules()
    out, i = [], 0
    while i < len(s):
        for n in range(min(longest, len(s) - i), 0, -1):
            trg = table.get(s[i : i + n])
            if trg is not None:
                out.append(trg)
                i += n
                break
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _dictionary(name: str) -> str:
    """The regdictionary ``name`` (its schema may be written): only unaccent's own."""
    if name.strip().split(".")[-1].strip('"') != "unaccent":
        raise UndefinedObject(f'text search dictionary "{name}" does not exist')
    return name


def compile_call(name: str, args: list[Typed]) -> Typed:
    """unaccent(text) and unaccent(regdictionary, text)."""
    if not 1 <= len(args) <= 2 or args[-1].type.name not in _STRINGS:
        raise no_such_function(name, args)
    text = coerce_to(args[-1], T.TEXT, explicit=True)
    if len(args) == 1:
        return strict_call(name, [text], T.TEXT, unaccent)
    if args[0].type.name != "unknown":  # a regdictionary literal (db9 has no such type)
        raise no_such_function(name, args)
    dictionary = coerce_to(args[0], T.TEXT, explicit=True)
    return strict_call(
        name, [dictionary, text], T.TEXT, lambda d, s: unaccent(s) if _dictionary(d) else s
    )
