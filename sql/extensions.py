"""The extensions db9 has built in, and CREATE EXTENSION of them.

db9 loads no extension code: the functions of the extensions listed here are part of it
(plpgsql: sql.plpgsql; pgcrypto's digest(): sql.functions_text), so each is always
installed. pg_extension lists them, ``CREATE EXTENSION IF NOT EXISTS`` of one is the notice
PostgreSQL gives for an installed extension (what Django's CryptoExtension migration runs),
and without IF NOT EXISTS it is 42710. Any other extension is 0A000: db9 cannot provide it.
"""

from __future__ import annotations

from typing import Any

from sql import relations
from sql.errors import DuplicateObject, FeatureNotSupported, SyntaxError_
from sql.result import Result
from sql.session_api import SessionApi

COMMANDS = frozenset({"CREATE EXTENSION"})

# name -> (oid, version): PostgreSQL 15's plpgsql and pgcrypto versions
BUILT_IN: dict[str, tuple[int, str]] = {"plpgsql": (13_570, "1.0"), "pgcrypto": (16_390, "1.3")}


def pg_extension_rows() -> list[tuple[int, str, str]]:
    return [(oid, name, version) for name, (oid, version) in BUILT_IN.items()]


def run(session: SessionApi, tokens: list[Any]) -> Result:
    """CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v] [CASCADE]."""
    words = [str(t.text).upper() for t in tokens]
    i = 2
    if words[i : i + 3] == ["IF", "NOT", "EXISTS"]:
        i += 3
        if_not_exists = True
    else:
        if_not_exists = False
    if i >= len(tokens):
        raise SyntaxError_("syntax error at end of input")
    name = relations.ident(tokens[i])
    if name not in BUILT_IN:
        raise FeatureNotSupported(f'extension "{name}" is not supported: db9 loads no extensions')
    if not if_not_exists:
        raise DuplicateObject(f'extension "{name}" already exists')
    session.notices.append(f'extension "{name}" already exists, skipping')
    return Result("CREATE EXTENSION")
