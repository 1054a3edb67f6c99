"""The functions the built-in extensions install, as pg_proc lists them (psql's \\df, GUI
tools): each installed extension's signatures below, with oids derived from the extension's
(``oid * 1000 + n``: stable while it stays installed, clear of the oids CREATE statements
allocate), and pg_depend's 'e' rows that make them the extension's members, so pg_dump leaves
them to CREATE EXTENSION. Only functions db9 implements are listed (sql.hstore, sql.citext,
sql.isn_functions, sql.uuid_ossp, pgcrypto's digest in sql.functions_text)."""

from __future__ import annotations

from dataclasses import dataclass

from sql import types as T
from sql.catalog import Catalog

_ISN = ("ean13", "isbn", "isbn13", "ismn", "ismn13", "issn", "issn13", "upc")
# name -> its functions: "name([argument name:]type, ...) [setof] result type"
SIGNATURES: dict[str, tuple[str, ...]] = {
    "pgcrypto": ("digest(text, text) bytea", "digest(bytea, text) bytea"),
    "hstore": (
        "fetchval(hstore, text) text", "slice_array(hstore, text[]) text[]",
        "slice(hstore, text[]) hstore", "isexists(hstore, text) boolean",
        "exist(hstore, text) boolean", "exists_any(hstore, text[]) boolean",
        "exists_all(hstore, text[]) boolean", "isdefined(hstore, text) boolean",
        "defined(hstore, text) boolean", "delete(hstore, text) hstore",
        "delete(hstore, text[]) hstore", "delete(hstore, hstore) hstore",
        "hs_concat(hstore, hstore) hstore", "hs_contains(hstore, hstore) boolean",
        "hs_contained(hstore, hstore) boolean", "tconvert(text, text) hstore",
        "hstore(text, text) hstore", "hstore(text[], text[]) hstore", "hstore(text[]) hstore",
        "hstore(record) hstore", "hstore_to_json(hstore) json",
        "hstore_to_json_loose(hstore) json", "hstore_to_jsonb(hstore) jsonb",
        "hstore_to_jsonb_loose(hstore) jsonb", "akeys(hstore) text[]", "avals(hstore) text[]",
        "skeys(hstore) setof text", "svals(hstore) setof text", "each(hstore) setof record",
        "populate_record(anyelement, hstore) anyelement", "hstore_to_array(hstore) text[]",
        "hstore_to_matrix(hstore) text[]",
    ),
    "citext": (
        "strpos(citext, citext) integer", "replace(citext, citext, citext) text",
        "split_part(citext, citext, integer) text", "translate(citext, citext, text) text",
        "regexp_match(citext, citext) text[]", "regexp_match(citext, citext, text) text[]",
        "regexp_replace(citext, citext, text) text",
        "regexp_replace(citext, citext, text, text) text",
        "regexp_split_to_array(citext, citext) text[]",
        "regexp_split_to_array(citext, citext, text) text[]",
    ),
    "isn": (
        *(f"is_valid({t}) boolean" for t in _ISN),
        *(f"make_valid({t}) {t}" for t in _ISN),
        "isn_weak() boolean", "isn_weak(boolean) boolean",
    ),
    "uuid-ossp": (
        "uuid_nil() uuid", "uuid_ns_dns() uuid", "uuid_ns_url() uuid", "uuid_ns_oid() uuid",
        "uuid_ns_x500() uuid", "uuid_generate_v1() uuid", "uuid_generate_v1mc() uuid",
        "uuid_generate_v3(namespace:uuid, name:text) uuid", "uuid_generate_v4() uuid",
        "uuid_generate_v5(namespace:uuid, name:text) uuid",
    ),
}  # fmt: skip
_PSEUDO = {"record": 2249, "anyelement": 2283}
PG_PROC = 1255  # pg_depend.classid of a function
_VOLATILE = frozenset({"uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4"})


@dataclass(frozen=True)
class Function:
    oid: int
    name: str
    schema: str
    arg_types: list[int]
    arg_names: list[str]
    arguments: str  # as pg_get_function_arguments shows them
    result: int
    result_text: str  # as pg_get_function_result shows it
    retset: bool
    volatility: str  # provolatile: i immutable, v volatile
    extension: str
    extension_oid: int


def _type_oid(c: Catalog, name: str, extension_types: dict[str, int]) -> int:
    array = name.endswith("[]")
    base = name.removesuffix("[]")
    if base in extension_types:  # the extension's own type (its array's oid is next to it)
        oid = extension_types[base]
        if array:
            found = next(t for t in c.types.values() if t.id == oid)
            return int(found.type_def["array_oid"])
        return oid
    if base in _PSEUDO:
        return _PSEUDO[base]
    t = T.type_by_name(name)
    assert t is not None, name
    return t.oid


def functions(c: Catalog) -> list[Function]:
    """The functions of the installed extensions."""
    out = []
    for ext, (ext_oid, schema, _) in c.extensions.items():
        own = {
            t.name: t.id
            for t in c.types.values()
            if t.kind == "base" and t.type_def.get("extension") in SIGNATURES
        }
        for n, sig in enumerate(SIGNATURES.get(ext, ()), 1):
            head, _, result = sig.partition(") ")
            name, _, arg_list = head.partition("(")
            args = [a.strip().rpartition(":") for a in arg_list.split(",") if a.strip()]
            retset = result.startswith("setof ")
            result = result.removeprefix("setof ")
            out.append(Function(
                ext_oid * 1000 + n, name, schema, [_type_oid(c, t, own) for _, _, t in args],
                [a for a, _, _ in args], ", ".join(f"{a} {t}" if a else t for a, _, t in args),
                _type_oid(c, result, own), ("SETOF " if retset else "") + result, retset,
                "v" if name in _VOLATILE else "i", ext, ext_oid,
            ))  # fmt: skip
    return out


def callable_in(c: Catalog | None, schema: str, name: str) -> bool:
    """Whether ``schema.name(...)`` calls an installed extension's function (without a
    catalog, as in a stored default: whether any built-in extension has ``name``)."""
    if c is None:
        return any(sig.startswith(name + "(") for sigs in SIGNATURES.values() for sig in sigs)
    return any(f.name == name and f.schema == schema for f in functions(c))


def described(c: Catalog, oid: int) -> Function | None:
    """The installed extensions' function of oid ``oid``, if it is one."""
    return next((f for f in functions(c) if f.oid == oid), None)


def depend_rows(c: Catalog) -> list[tuple[object, ...]]:
    """pg_depend's rows making each function a member of its extension."""
    return [(PG_PROC, f.oid, 0, 3079, f.extension_oid, 0, "e") for f in functions(c)]
