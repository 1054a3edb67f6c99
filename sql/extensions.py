"""The extensions db9 has built in: pg_extension's rows, CREATE and DROP EXTENSION of them.

db9 loads no extension code: the functions of the extensions listed here are part of it
(plpgsql: sql.plpgsql; pgcrypto's digest(): sql.functions_text). Which of them a database
has installed is catalog state (``Catalog.extensions``, changed in the statement's
transaction): plpgsql from the start, as initdb installs it, the others once CREATE EXTENSION
ran (what Django's CryptoExtension migration does), so pg_extension and psql's \\dx show
what PostgreSQL would. Any other extension is 0A000: db9 cannot provide it.
"""

from __future__ import annotations

from typing import Any

from sql import relations
from sql import types as T
from sql.catalog import Catalog
from sql.errors import (
    DuplicateObject,
    FeatureNotSupported,
    ReadOnlySqlTransaction,
    SyntaxError_,
    UndefinedObject,
)
from sql.result import Result
from sql.session_api import SessionApi
from sql.types import SqlType

COMMANDS = frozenset({"CREATE EXTENSION", "DROP EXTENSION"})
PG_EXTENSION = 3079  # pg_description.classoid of an extension
PG_CATALOG, PUBLIC = 11, 2200  # the namespaces they are installed in

# name -> (oid, version, schema oid, comment): PostgreSQL 15's (oids are initdb's / the
# first free ones; they differ between PostgreSQL installations)
BUILT_IN: dict[str, tuple[int, str, int, str]] = {
    "plpgsql": (13_575, "1.0", PG_CATALOG, "PL/pgSQL procedural language"),
    "pgcrypto": (16_390, "1.3", PUBLIC, "cryptographic functions"),
    "pg_trgm": (
        16_400,
        "1.6",
        PUBLIC,
        "text similarity measurement and index searching based on trigrams",
    ),
    "unaccent": (16_401, "1.1", PUBLIC, "text search dictionary that removes accents"),
    "btree_gin": (16_402, "1.3", PUBLIC, "support for indexing common datatypes in GIN"),
    "btree_gist": (16_403, "1.7", PUBLIC, "support for indexing common datatypes in GiST"),
}
NOT_RELOCATABLE = frozenset({"plpgsql"})

COLS: list[tuple[str, SqlType]] = [
    ("oid", T.OID),
    ("extname", T.NAME),
    ("extowner", T.OID),
    ("extnamespace", T.OID),
    ("extrelocatable", T.BOOL),
    ("extversion", T.TEXT),
    ("extconfig", T.REGCLASS.array_of()),
    ("extcondition", T.TEXT.array_of()),
]


def pg_extension(c: Catalog) -> list[tuple[Any, ...]]:
    return [
        (oid, name, 10, schema, name not in NOT_RELOCATABLE, version, None, None)
        for name, (oid, version, schema, _) in BUILT_IN.items()
        if name in c.extensions
    ]


def descriptions(c: Catalog) -> list[tuple[int, int, int, str]]:
    """pg_description's rows of the installed extensions: (objoid, classoid, objsubid, text)."""
    return [
        (oid, PG_EXTENSION, 0, text)
        for name, (oid, _, _, text) in BUILT_IN.items()
        if name in c.extensions
    ]


def run(session: SessionApi, command: str, tokens: list[Any]) -> Result:
    if session.read_only:
        raise ReadOnlySqlTransaction(f"cannot execute {command} in a read-only transaction")
    if command == "DROP EXTENSION":
        return _drop(session, tokens)
    return _create(session, tokens)


def _create(session: SessionApi, tokens: list[Any]) -> Result:
    """CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v] [CASCADE]."""
    words = [str(t.text).upper() for t in tokens]
    i = 2
    if_not_exists = words[i : i + 3] == ["IF", "NOT", "EXISTS"]
    i += 3 if if_not_exists else 0
    if i >= len(tokens):
        raise SyntaxError_("syntax error at end of input")
    name = relations.ident(tokens[i])
    if name not in BUILT_IN:
        raise FeatureNotSupported(f'extension "{name}" is not supported: db9 loads no extensions')
    installed = session.catalog().extensions
    if name in installed:
        if not if_not_exists:
            raise DuplicateObject(f'extension "{name}" already exists')
        session.notices.append(f'extension "{name}" already exists, skipping')
        return Result("CREATE EXTENSION")
    session.database.catalogs.set_extensions(session.current_txn(), installed | {name})
    return Result("CREATE EXTENSION")


def _drop(session: SessionApi, tokens: list[Any]) -> Result:
    """DROP EXTENSION [IF EXISTS] name [, ...] [CASCADE | RESTRICT]: nothing depends on a
    built-in extension's objects in db9, so CASCADE and RESTRICT drop the same."""
    words = [str(t.text).upper() for t in tokens]
    i = 2
    if_exists = words[i : i + 2] == ["IF", "EXISTS"]
    i += 2 if if_exists else 0
    end = len(tokens) - (1 if words[-1] in ("CASCADE", "RESTRICT") else 0)
    names = [relations.ident(t) for t in tokens[i:end] if t.text != ","]
    if not names:
        raise SyntaxError_("syntax error at end of input")
    installed = session.catalog().extensions
    gone = set()
    for name in names:
        if name not in installed:
            if not if_exists:
                raise UndefinedObject(f'extension "{name}" does not exist')
            session.notices.append(f'extension "{name}" does not exist, skipping')
        elif name == "plpgsql":
            raise FeatureNotSupported("db9's plpgsql is built in: it cannot be dropped")
        else:
            gone.add(name)
    if gone:
        session.database.catalogs.set_extensions(session.current_txn(), installed - gone)
    return Result("DROP EXTENSION")
