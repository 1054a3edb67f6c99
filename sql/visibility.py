"""pg_table_is_visible, pg_type_is_visible, pg_function_is_visible: whether an object can be
named without its schema, i.e. its schema is on the search path and no schema before it there
holds an object of the same name (of the same argument types, for a function).

psql's list commands (\\d, \\dt, \\dT, \\df ...) filter by these, so an object of a schema off
the path shows only when the pattern names its schema.
"""

from __future__ import annotations

from typing import Any

from sql import extension_catalog, opclasses
from sql.catalog import Catalog
from sql.session_api import SessionApi


def _first_holder(path: list[str], holders: set[str]) -> str | None:
    return next((s for s in path if s in holders), None)


def _relations(catalog: Catalog) -> dict[int, tuple[str, str]]:
    """Every pg_class row's oid: its (schema, name)."""
    out: dict[int, tuple[str, str]] = {}
    for t in catalog.tables.values():
        out[t.id] = (t.schema, t.name)
        for i in t.indexes:
            out[i.oid] = (t.schema, i.name)
    for t in catalog.types.values():
        if t.kind == "composite":
            out[t.id] = (t.schema, t.name)
    return out


def table_is_visible(catalog: Catalog, path: list[str], oid: Any) -> bool | None:
    if isinstance(oid, str) and not oid.isdigit():  # a regclass value: a name
        table = catalog.by_regclass(oid, path)
        index = catalog.index_by_name(oid, path)
        oid = table.id if table else index.oid if index else 0
    rels = _relations(catalog)
    found = rels.get(int(oid))
    if found is None:
        return None if int(oid) >= 16384 else True  # a system relation: pg_catalog's
    schema, name = found
    holders = {s for s, n in rels.values() if n == name}
    return _first_holder(path, holders) == schema


def type_is_visible(catalog: Catalog, path: list[str], oid: Any) -> bool | None:
    t = catalog.types.get(int(oid))
    if t is None:
        rel = catalog.tables.get(int(oid))  # a table's row type
        if rel is None:
            return True if int(oid) < 16384 else None
        t = rel
    named = [x for x in [*catalog.types.values(), *catalog.tables.values()] if x.name == t.name]
    holders = {x.schema for x in named}
    return _first_holder(path, holders) == t.schema


def function_is_visible(catalog: Catalog, path: list[str], oid: Any) -> bool | None:
    r = catalog.routines.get(int(oid))
    if r is None and int(oid) >= 16384:  # an extension's function: its schema on the path
        ext = extension_catalog.described(catalog, int(oid))
        return None if ext is None else ext.schema in path
    if r is None:
        return True
    args = [a.type for a in r.in_args]
    holders = {
        x.schema
        for x in catalog.routines.values()
        if x.name == r.name and [a.type for a in x.in_args] == args
    }
    return _first_holder(path, holders) == r.schema


# The visibility functions of the kinds of object db9 holds only pg_catalog's own of.
SYSTEM_ONLY_KINDS = frozenset(
    {
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_opfamily_is_visible",
        "pg_conversion_is_visible",
        "pg_collation_is_visible",
        "pg_statistics_obj_is_visible",
        "pg_ts_config_is_visible",
        "pg_ts_dict_is_visible",
        "pg_ts_parser_is_visible",
        "pg_ts_template_is_visible",
    }
)


def system_object_is_visible(oid: Any, kind: str = "") -> bool | None:
    """pg_operator_is_visible and the others of SYSTEM_ONLY_KINDS: db9 has no user-defined
    operators, operator classes, conversions, collations, extended statistics or text search
    objects, so an object of these is pg_catalog's, which is always searched: visible. An
    oid of a user's object names none of them: NULL, PostgreSQL's answer for a missing one."""
    if oid is None:
        return None
    if kind == "pg_opclass_is_visible" and opclasses.is_class(int(oid)):
        return True
    return True if int(oid) < 16384 else None


def current_schemas(session: SessionApi, implicit: bool) -> list[str]:
    """current_schemas(include_implicit): the search path's existing schemas, in order; with
    ``implicit`` the session's temporary schema (once used) and pg_catalog (unless the path
    names it) first, as PostgreSQL searches them."""
    catalog = session.catalog()
    named = [part.strip().strip('"') for part in session.settings["search_path"].split(",")]
    named = [session.user if n == "$user" else n for n in named]
    explicit = [n for n in named if n in catalog.schemas and n != "pg_temp"]
    if not implicit:
        return explicit
    own = [s for s in session.search_path() if s not in named and s != "pg_catalog"]
    return [*own, *([] if "pg_catalog" in named else ["pg_catalog"]), *explicit]
