"""The extensions db9 has built in: what CREATE EXTENSION accepts and installs (its statements:
sql.extension_ddl), pg_extension's rows, pg_available_extensions.

db9 loads no extension code: the types, functions and operators of the extensions listed in
``EXTENSIONS`` are part of it (plpgsql: sql.plpgsql; pgcrypto's digest(): sql.functions_text;
hstore: sql.hstore; citext: sql.citext; isn: sql.isn; pg_trgm: sql.trigram; unaccent: sql.unaccent;
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

from dataclasses import dataclass
from typing import Any

from sql import types as T
from sql.catalog import Catalog, TableDef
from sql.types import SqlType

PG_EXTENSION = 3079  # pg_description.classoid of an extension


@dataclass(frozen=True)
class Extension:
    """One built-in extension, as its control file describes it (PostgreSQL 15's)."""

    version: str
    comment: str
    relocatable: bool = True
    schema: str | None = None  # the schema it must be installed in (else the first of the path)
    # the base types it installs: (name, typcategory, prefix of its I/O functions' names)
    types: tuple[tuple[str, str, str], ...] = ()
    trusted: bool = True  # a role without superuser may install it


# fmt: off
EXTENSIONS: dict[str, Extension] = {
    "plpgsql": Extension("1.0", "PL/pgSQL procedural language", False, "pg_catalog"),
    "pgcrypto": Extension("1.3", "cryptographic functions"),
    "hstore": Extension("1.8", "data type for storing sets of (key, value) pairs", types=(("hstore", "U", "hstore_"),)),  # noqa: E501
    "citext": Extension("1.6", "data type for case-insensitive character strings", types=(("citext", "S", "citext"),)),  # noqa: E501
    "isn": Extension("1.2", "data types for international product numbering standards", types=tuple((n, "U", n + "_") for n in ("ean13", "isbn13", "ismn13", "issn13", "isbn", "ismn", "issn", "upc"))),  # noqa: E501
    "uuid-ossp": Extension("1.1", "generate universally unique identifiers (UUIDs)"),
    "bloom": Extension("1.0", "bloom access method - signature file based index", trusted=False),
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
        for name, (oid, schema, _) in sorted(c.extensions.items(), key=lambda kv: kv[1].oid)
        if name in EXTENSIONS
    ]  # fmt: skip


def pg_available_extensions(c: Catalog) -> list[tuple[Any, ...]]:
    return [
        (name, e.version, e.version if name in c.extensions else None, e.comment)
        for name, e in EXTENSIONS.items()
    ]


def pg_available_extension_versions(c: Catalog) -> list[tuple[Any, ...]]:
    """Each extension's one version (PostgreSQL lists the older ones it can update from too):
    every control file says superuser, trusted ones let others install them."""
    return [
        (name, e.version, name in c.extensions, True, e.trusted, e.relocatable, e.schema, None,
         e.comment)
        for name, e in EXTENSIONS.items()
    ]  # fmt: skip


def descriptions(c: Catalog) -> list[tuple[int, int, int, str]]:
    """pg_description's rows of the installed extensions: (objoid, classoid, objsubid, text)."""
    return [
        (e.oid, PG_EXTENSION, 0, e.comment) for e in c.extensions.values() if e.comment is not None
    ]


def extension_types(c: Catalog, name: str) -> list[TableDef]:
    """The base types the installed extension ``name`` put in the catalog."""
    return [t for t in c.types.values() if t.kind == "base" and t.type_def.get("extension") == name]


PG_TYPE = 1247  # pg_depend.classid of a type


def depend_rows(c: Catalog) -> list[tuple[Any, ...]]:
    """pg_depend's rows of the installed extensions' members ('e': pg_dump leaves them to
    CREATE EXTENSION): (classid, objid, objsubid, refclassid, refobjid, refobjsubid,
    deptype)."""
    return [
        (PG_TYPE, t.id, 0, PG_EXTENSION, c.extensions[name].oid, 0, "e")
        for name in c.extensions
        for t in extension_types(c, name)
    ]
