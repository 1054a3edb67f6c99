"""The extensions db9 has built in: what CREATE EXTENSION accepts and installs, pg_extension's
rows, DROP EXTENSION, pg_available_extensions.

db9 loads no extension code: the types, functions and operators of the extensions listed in
``EXTENSIONS`` are part of it (plpgsql: sql.plpgsql; pgcrypto's digest(): sql.functions_text;
hstore: sql.hstore; citext: sql.citext; pg_trgm: sql.trigram; unaccent: sql.unaccent;
btree_gin/btree_gist: their operator classes in sql.access_methods). ``EXTENSIONS`` is one
line per extension: its version, comment, schema rule and the base types it installs.

Which of them a database has installed is catalog state (``Catalog.extensions``: name ->
(oid, schema), changed in the statement's transaction): plpgsql from the start, as initdb
installs it, the others once CREATE EXTENSION ran. Installing one allocates its oid and puts
each of its base types in the catalog (a TableDef of kind "base" in the extension's schema,
with an array type), so a type exists, with its pg_type row and oid, only in a database
that installed it: drivers look hstore up by name (psycopg's HstoreInfo.fetch, asyncpg's
codec). DROP EXTENSION removes the types; a column of one is a dependent object (2BP01
unless CASCADE, which drops the column). Any other extension is 0A000.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sql import relations, roles, type_deps
from sql import types as T
from sql.catalog import SYSTEM_SCHEMAS, Catalog, TableDef
from sql.errors import (
    DependentObjectsStillExist,
    DuplicateObject,
    FeatureNotSupported,
    InvalidSchemaName,
    ReadOnlySqlTransaction,
    SyntaxError_,
    UndefinedObject,
)
from sql.result import Result
from sql.session_api import SessionApi
from sql.types import SqlType

COMMANDS = frozenset({"CREATE EXTENSION", "DROP EXTENSION"})
PG_EXTENSION = 3079  # pg_description.classoid of an extension


@dataclass(frozen=True)
class Extension:
    """One built-in extension, as its control file describes it (PostgreSQL 15's)."""

    version: str
    comment: str
    relocatable: bool = True
    schema: str | None = None  # the schema it must be installed in (else the first of the path)
    types: tuple[tuple[str, str], ...] = ()  # the base types it installs: (name, typcategory)


# fmt: off
EXTENSIONS: dict[str, Extension] = {
    "plpgsql": Extension("1.0", "PL/pgSQL procedural language", False, "pg_catalog"),
    "pgcrypto": Extension("1.3", "cryptographic functions"),
    "hstore": Extension("1.8", "data type for storing sets of (key, value) pairs", types=(("hstore", "U"),)),  # noqa: E501
    "citext": Extension("1.6", "data type for case-insensitive character strings", types=(("citext", "S"),)),  # noqa: E501
    "uuid-ossp": Extension("1.1", "generate universally unique identifiers (UUIDs)"),
    "bloom": Extension("1.0", "bloom access method - signature file based index"),
    "pg_trgm": Extension("1.6", "text similarity measurement and index searching based on trigrams"),  # noqa: E501
    "unaccent": Extension("1.1", "text search dictionary that removes accents"),
    "btree_gin": Extension("1.3", "support for indexing common datatypes in GIN"),
    "btree_gist": Extension("1.7", "support for indexing common datatypes in GiST"),
}
# fmt: on

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
AVAILABLE_COLS: list[tuple[str, SqlType]] = [
    ("name", T.NAME),
    ("default_version", T.TEXT),
    ("installed_version", T.TEXT),
    ("comment", T.TEXT),
]
VERSIONS_COLS: list[tuple[str, SqlType]] = [
    ("name", T.NAME),
    ("version", T.TEXT),
    ("installed", T.BOOL),
    ("superuser", T.BOOL),
    ("trusted", T.BOOL),
    ("relocatable", T.BOOL),
    ("schema", T.NAME),
    ("requires", T.NAME.array_of()),
    ("comment", T.TEXT),
]


def installed(c: Catalog, name: str) -> bool:
    """Whether the database of catalog ``c`` has the extension ``name``."""
    return name in c.extensions


def schema_oid(c: Catalog, schema: str) -> int:
    return c.schema_oids.get(schema) or T.FIXED_SCHEMA_OIDS.get(schema, 0)


def pg_extension(c: Catalog) -> list[tuple[Any, ...]]:
    return [
        (oid, name, 10, schema_oid(c, schema), EXTENSIONS[name].relocatable,
         EXTENSIONS[name].version, None, None)
        for name, (oid, schema) in sorted(c.extensions.items(), key=lambda kv: kv[1][0])
        if name in EXTENSIONS
    ]  # fmt: skip


def pg_available_extensions(c: Catalog) -> list[tuple[Any, ...]]:
    return [
        (name, e.version, e.version if name in c.extensions else None, e.comment)
        for name, e in EXTENSIONS.items()
    ]


def pg_available_extension_versions(c: Catalog) -> list[tuple[Any, ...]]:
    return [
        (name, e.version, name in c.extensions, name in ("plpgsql", "bloom"),
         name != "bloom", e.relocatable, e.schema, None, e.comment)
        for name, e in EXTENSIONS.items()
    ]  # fmt: skip


def descriptions(c: Catalog) -> list[tuple[int, int, int, str]]:
    """pg_description's rows of the installed extensions: (objoid, classoid, objsubid, text)."""
    return [
        (oid, PG_EXTENSION, 0, EXTENSIONS[name].comment)
        for name, (oid, _) in c.extensions.items()
        if name in EXTENSIONS
    ]


def extension_types(c: Catalog, name: str) -> list[TableDef]:
    """The base types the installed extension ``name`` put in the catalog."""
    return [t for t in c.types.values() if t.kind == "base" and t.type_def.get("extension") == name]


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
    i += 1
    schema: str | None = None
    version: str | None = None
    while i < len(tokens):
        word = words[i]
        if word in ("WITH", "CASCADE"):
            i += 1
        elif word in ("SCHEMA", "VERSION") and i + 1 < len(tokens):
            value = relations.ident(tokens[i + 1])
            if word == "SCHEMA":
                schema = value
            else:
                version = str(tokens[i + 1].text)
            i += 2
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
    catalog = session.catalog()
    if name in catalog.extensions:
        if not if_not_exists:
            raise DuplicateObject(f'extension "{name}" already exists')
        session.notices.append(f'extension "{name}" already exists, skipping')
        return Result("CREATE EXTENSION")
    ext = EXTENSIONS.get(name)
    if ext is None:
        raise FeatureNotSupported(f'extension "{name}" is not supported: db9 loads no extensions')
    if version is not None and version != ext.version:
        raise FeatureNotSupported(
            f'extension "{name}" has no installation script nor update path for version "{version}"'
        )
    schema = _target_schema(session, catalog, name, ext, schema)
    store, txn = session.database.catalogs, session.current_txn()
    oid = store.next_id(txn)
    work = copy.deepcopy(catalog)
    for type_name, category in ext.types:
        t = TableDef(id=store.next_id(txn), schema=schema, name=type_name, columns=[])
        t.kind = "base"
        t.type_def = {"extension": name, "category": category, "array_oid": store.next_id(txn)}
        store.put_table(txn, roles.owned(session, t), work, new=True)
    store.set_extensions(txn, {**catalog.extensions, name: (oid, schema)})
    return Result("CREATE EXTENSION")


def _target_schema(
    session: SessionApi, catalog: Catalog, name: str, ext: Extension, schema: str | None
) -> str:
    """The schema an extension goes in: its fixed one, else WITH SCHEMA's, else the first
    existing schema of the search path (3F000 when there is none)."""
    if ext.schema is not None:
        if schema is not None and schema != ext.schema:
            raise FeatureNotSupported(
                f'extension "{name}" must be installed in schema "{ext.schema}"'
            )
        return ext.schema
    if schema is not None:
        if schema not in catalog.schemas:
            raise InvalidSchemaName(f'schema "{schema}" does not exist')
        return schema
    for s in session.search_path():
        if s in catalog.schemas and s not in SYSTEM_SCHEMAS:
            return s
    raise InvalidSchemaName("no schema has been selected to create in")


def _drop(session: SessionApi, tokens: list[Any]) -> Result:
    """DROP EXTENSION [IF EXISTS] name [, ...] [CASCADE | RESTRICT]: a column of one of the
    extension's types depends on it (2BP01; CASCADE drops the column)."""
    words = [str(t.text).upper() for t in tokens]
    i = 2
    if_exists = words[i : i + 2] == ["IF", "EXISTS"]
    i += 2 if if_exists else 0
    cascade = words[-1] == "CASCADE"
    end = len(tokens) - (1 if words[-1] in ("CASCADE", "RESTRICT") else 0)
    names = [relations.ident(t) for t in tokens[i:end] if t.text != ","]
    if not names:
        raise SyntaxError_("syntax error at end of input")
    catalog = session.catalog()
    gone: list[str] = []
    for name in names:
        if name not in catalog.extensions:
            if not if_exists:
                raise UndefinedObject(f'extension "{name}" does not exist')
            session.notices.append(f'extension "{name}" does not exist, skipping')
        elif name == "plpgsql":
            raise FeatureNotSupported("db9's plpgsql is built in: it cannot be dropped")
        else:
            gone.append(name)
    if not gone:
        return Result("DROP EXTENSION")
    work = copy.deepcopy(catalog)
    for name in gone:
        for t in extension_types(work, name):
            deps = type_deps.dependents(work, t)
            if deps and not cascade:
                owner, col = deps[0]
                raise DependentObjectsStillExist(
                    f"cannot drop extension {name} because other objects depend on it",
                    detail=f"column {col.name} of {type_deps.owner_noun(owner)} {owner.name} "
                    f"depends on type {t.name}",
                    hint="Use DROP ... CASCADE to drop the dependent objects too.",
                )
            type_deps.drop_with_dependents(session, work, t)
    store, txn = session.database.catalogs, session.current_txn()
    store.set_extensions(txn, {k: v for k, v in catalog.extensions.items() if k not in gone})
    return Result("DROP EXTENSION")
