"""pg_opclass's rows and the operator class of each index key (pg_index.indclass).

A type's default btree class has a synthetic oid per type (``OPCLASS_BASE`` + the type's
oid), as before. Every other class db9 accepts (sql.access_methods' per method, the btree
pattern classes of sql.index_options, and the classes of installed extensions) has a row
with an oid from its place in one sorted list, so the oid an index key points at names the
class CREATE INDEX recorded (Django's introspection joins pg_opclass on indclass).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from sql import access_methods
from sql import types as T
from sql.catalog import IndexDef, TableDef
from sql.types import SqlType

OPCLASS_BASE = 100_000
_NAMED_BASE = 110_000
PG_CATALOG, PUBLIC = 11, 2200
_BTREE_NAMED = ("text_pattern_ops", "varchar_pattern_ops", "bpchar_pattern_ops")
_POLYMORPHIC = {
    "array_ops": 2277, "enum_ops": 3500, "gist_enum_ops": 3500, "range_ops": 3831,
    "multirange_ops": 4537, "range_inclusion_ops": 3831,
}  # fmt: skip
_INTYPES = {  # class -> the typname it takes, where its name does not say
    "text_pattern_ops": "text", "varchar_pattern_ops": "text", "bpchar_pattern_ops": "bpchar",
    "jsonb_path_ops": "jsonb", "quad_point_ops": "point", "kd_point_ops": "point",
    "poly_ops": "polygon", "gin_trgm_ops": "text", "gist_trgm_ops": "text",
    "gist_cash_ops": "money", "gist_vbit_ops": "varbit", "box_inclusion_ops": "box",
    "inet_inclusion_ops": "inet",
}  # fmt: skip


def default_btree_oid(t: SqlType) -> int:
    """The default btree operator class of a type (a synthetic oid per type)."""
    return OPCLASS_BASE + t.oid


@functools.cache
def _named() -> list[tuple[int, str, str]]:
    """(method oid, class name, extension or '') of every class other than the default
    btree ones, in oid order."""
    out = {(access_methods.METHODS["btree"].oid, n, "") for n in _BTREE_NAMED}
    for m in access_methods.METHODS.values():  # an extension's method (bloom): with it
        out |= {(m.oid, n, m.extension or "") for n in m.opclasses()}
    for ext, by_method in access_methods.EXTENSION_OPCLASSES.items():
        for method, names in by_method.items():
            out |= {(access_methods.METHODS[method].oid, n, ext) for n in names}
    return sorted(out)


@functools.cache
def _oids() -> dict[tuple[int, str], int]:
    return {(am, name): _NAMED_BASE + i for i, (am, name, _) in enumerate(_named())}


def is_class(oid: int) -> bool:
    """Whether ``oid`` is one of the classes pg_opclass lists (all are pg_catalog's or an
    extension's: db9 has no CREATE OPERATOR CLASS)."""
    return oid - OPCLASS_BASE in T.BY_OID or _NAMED_BASE <= oid < _NAMED_BASE + len(_named())


def _oids_named(am_oid: int) -> set[str]:
    return {name for am, name in _oids() if am == am_oid}


def _intype(name: str) -> int:
    if name in _POLYMORPHIC:
        return _POLYMORPHIC[name]
    typname = _INTYPES.get(name)
    if typname is None:
        base = name.removeprefix("gist_").removesuffix("_ops")
        for suffix in ("_minmax_multi", "_minmax", "_bloom"):
            base = base.removesuffix(suffix)
        typname = base
    t = T.type_by_name(typname)
    return t.oid if t is not None else 0


def _is_default(am_oid: int, name: str, installed: Collection[str]) -> bool:
    for m in access_methods.METHODS.values():
        if m.oid != am_oid:
            continue
        typname = _INTYPES.get(name) or name.removeprefix("gist_").removesuffix("_ops")
        t = T.type_by_name(typname)
        return t is not None and m.default_opclass(t, installed) == name
    return False


def rows(installed: Collection[str], owner: int) -> list[tuple[Any, ...]]:
    """pg_opclass: the default btree class of every type, then the named classes (an
    extension's only while it is installed)."""
    out: list[tuple[Any, ...]] = [
        (default_btree_oid(t), 403, f"{t.typname}_ops", PG_CATALOG, True, t.oid, owner, 0, 0)
        for _, t in sorted(T.BY_OID.items())
        if t.element is None
    ]
    for i, (am, name, ext) in enumerate(_named()):
        if ext and ext not in installed:
            continue
        default = name in ("enum_ops", "gist_enum_ops") or _is_default(am, name, installed)
        namespace = PUBLIC if ext else PG_CATALOG
        out.append((_NAMED_BASE + i, am, name, namespace, default, _intype(name), owner, 0, 0))
    return out


def key_classes(t: TableDef, index: IndexDef, installed: Collection[str]) -> list[int]:
    """pg_index.indclass of ``index``: per key its class's oid (0 where db9 cannot say: an
    expression key of a default class)."""
    am = access_methods.METHODS.get(index.method, access_methods.METHODS["btree"])
    out = []
    for n, col in enumerate(index.columns):
        written = index.opclasses[n].split(" (")[0] if index.opclasses else ""
        column = t.column(col) if col else None
        key_type = column.type if column is not None else None
        if written in _oids_named(am.oid):
            out.append(_oids()[(am.oid, written)])
        elif written and am.name in ("btree", "hash"):  # a type's own class, written out
            own = T.type_by_name(written.removesuffix("_ops"))
            out.append(default_btree_oid(own) if own is not None else 0)
        elif written or key_type is None:
            out.append(0)
        elif am.name in ("btree", "hash"):  # varchar's default class is text's
            out.append(default_btree_oid(T.TEXT if key_type.typname == "varchar" else key_type))
        else:
            name = am.default_opclass(key_type, installed)
            out.append(_oids().get((am.oid, name or ""), 0))
    return out
