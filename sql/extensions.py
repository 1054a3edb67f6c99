"""pg_extension: the extensions of a db9 database. PostgreSQL's initdb installs plpgsql in
every database, and db9 runs PL/pgSQL (sql.plpgsql), so that one is listed (psql's \\dx);
CREATE EXTENSION is not supported, so no other is."""

from __future__ import annotations

from typing import Any

from sql import types as T
from sql.catalog import Catalog
from sql.types import SqlType

PLPGSQL_OID = 13575  # initdb's choice; it differs between PostgreSQL builds
PG_EXTENSION = 3079  # pg_description.classoid of an extension

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


def pg_extension(_c: Catalog) -> list[tuple[Any, ...]]:
    return [(PLPGSQL_OID, "plpgsql", 10, 11, False, "1.0", None, None)]


# pg_description's rows of the extensions: (objoid, classoid, objsubid, description)
DESCRIPTIONS = [(PLPGSQL_OID, PG_EXTENSION, 0, "PL/pgSQL procedural language")]
