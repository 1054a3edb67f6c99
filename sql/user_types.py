"""User-defined types as SqlTypes: an enum (its labels), a composite type (its fields, a
table's row type too), a domain (its base type carrying the domain's constraints) and a range
(its subtype: continuous, as without a canonical function) with its multirange, read
from their catalog entries (TableDef of a kind in catalog.TYPE_KINDS), and the resolver the
session installs so that type names resolve against the statement's catalog and search path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sql import types as T
from sql.catalog import FIRST_USER_OID, Catalog, TableDef
from sql.functions_text import quote_ident
from sql.types import Domain, SqlType


def sql_type(t: TableDef) -> SqlType:
    """The SqlType of the user-defined type ``t``."""
    array_oid = int(t.type_def.get("array_oid", 0))
    if t.kind == "enum":
        return SqlType(t.name, t.id, array_oid, 4, "E", labels=tuple(t.type_def["labels"]))
    if t.kind == "composite":
        live = t.live_columns
        fields = tuple((c.name, c.type) for c in live)
        slots = tuple(c.attnum - 1 for c in live)
        packed = slots == tuple(range(len(live)))
        return SqlType(t.name, t.id, array_oid, -1, "C", fields=fields,
                       slots=None if packed else slots)  # fmt: skip
    if t.kind == "domain":
        value = t.columns[0]
        checks = tuple((c.name, c.check or "") for c in t.constraints if c.kind == "c")
        domain = Domain(t.name, t.id, value.not_null, checks, value.default)
        return replace(value.type, domain=domain)
    if t.kind == "base":  # an extension's type: its operations go by its name (hstore, citext)
        return SqlType(t.name, t.id, array_oid, -1, str(t.type_def.get("category", "U")))
    subtype = T.type_by_name(str(t.type_def.get("subtype", "")))
    if t.kind == "multirange":  # its range type, from what the multirange keeps of it
        rng = SqlType(t.type_def["range_name"], int(t.type_def["range_id"]),
                      int(t.type_def["range_array_oid"]), -1, "R", subtype=subtype)  # fmt: skip
        return SqlType(t.name, t.id, array_oid, -1, "R", subtype=rng)
    return SqlType(t.name, t.id, array_oid, -1, "R", subtype=subtype)


def format_type(catalog: Catalog, path: list[str], oid: int) -> str | None:
    """format_type() of a user-defined type or its array type: its name, schema-qualified
    when its schema is not on the search path; None for an oid of no type."""
    for t in catalog.types.values():
        array = int(t.type_def.get("array_oid", 0)) == oid
        if t.id == oid or array:
            name = quote_ident(t.name)
            shown = name if t.schema in path else f"{quote_ident(t.schema)}.{name}"
            return shown + ("[]" if array else "")
    return None


def resolver(catalog: Callable[[], Catalog], path: list[str]) -> Callable[[str], SqlType | None]:
    """Type names (``name`` or ``schema.name``) to the user-defined types of the catalog
    ``catalog()`` returns (read once, when a name is first looked up)."""
    loaded: list[Catalog] = []

    def resolve(name: str) -> SqlType | None:
        if not loaded:
            loaded.append(catalog())
        qualifier, _, bare = name.rpartition(".")
        bare, schema = bare.strip('"'), qualifier.strip('"') or None
        found = loaded[0].find_type(bare, schema, path)
        if found is not None:
            return sql_type(found)
        rel = loaded[0].find(bare, schema, path)
        if rel is not None and rel.kind in ("table", "view"):
            return row_type(rel)
        return None

    return resolve


def row_type(rel: TableDef) -> SqlType:
    """A table's (or view's) row type: a composite type of its name and columns, with no
    array type of its own (what tells it from a CREATE TYPE one: see is_row_type)."""
    fields = tuple((c.name, c.type) for c in rel.live_columns)
    return SqlType(rel.name, rel.id, 0, -1, "C", fields=fields)


def is_row_type(t: SqlType) -> bool:
    return t.category == "C" and t.array_oid == 0


def is_user_defined(t: SqlType) -> bool:
    """True for a type only the catalog knows (a column of it keeps the type with it)."""
    base = t.element or t
    return (
        t.domain is not None
        or base.domain is not None
        or base.category in ("E", "C", "R")
        or base.oid >= FIRST_USER_OID  # an extension's base type (hstore, citext)
    )


def column_udt(t: SqlType) -> dict[str, object] | None:
    """What a column of type ``t`` keeps of a user-defined type (ColumnDef.udt), or None: a
    domain over an array keeps the domain, an array of a user-defined type its element."""
    if not is_user_defined(t):
        return None
    return T.type_to_json(t if t.domain is not None else (t.element or t))
