"""The index access methods CREATE INDEX ... USING accepts, what each allows (unique,
multicolumn, INCLUDE, ASC/DESC), the types each has a default operator class for, and the
storage parameters (WITH (...)) each takes, with PostgreSQL 15's checks and errors.

Every method's index is kept as db9 keeps a btree: one entry per row under the index's key
prefix, ``<index prefix><encoded key values><pk>`` (sql.rows, kv layout), written by every
INSERT/UPDATE/DELETE and by CREATE INDEX's backfill. A btree or hash index is also a way to
find rows (sql.plan.rules.access_paths); a gist, spgist, gin or brin index is not
(``IndexDef.scannable``): its entries are ordered by db9's key encoding, which answers none
of those methods' operators (&&, <@, @>, <->), so the queries they serve in PostgreSQL scan
the table and filter, and so get the same rows.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container
from dataclasses import dataclass

from sql.errors import FeatureNotSupported, InvalidParameterValue, UndefinedObject
from sql.types import SqlType

_GEOMETRIC = frozenset({"box", "point", "polygon", "circle"})
_BRIN_MINMAX = frozenset({
    "int2", "int4", "int8", "float4", "float8", "numeric", "text", "bpchar", "name", "char",
    "bytea", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "oid", "tid",
    "uuid", "inet", "cidr", "macaddr", "macaddr8", "pg_lsn", "bit", "varbit", "money",
})  # fmt: skip


# The operator classes extensions add (sql.extensions), once installed: pg_trgm's for text,
# btree_gin's and btree_gist's for scalar types (the default for their type: so an EXCLUDE
# USING gist (room WITH =, ...) or a gin index on an int column is accepted).
_BTREE_GIN = frozenset({
    "bit", "bool", "bpchar", "bytea", "char", "cidr", "date", "float4", "float8", "inet",
    "int2", "int4", "int8", "interval", "macaddr8", "macaddr", "money", "name", "numeric",
    "oid", "text", "time", "timestamp", "timestamptz", "timetz", "uuid", "varbit", "varchar",
})  # fmt: skip
_BTREE_GIST = {
    **{t: f"gist_{t}_ops" for t in (
        "bit", "bool", "bpchar", "bytea", "cidr", "date", "float4", "float8", "inet", "int2",
        "int4", "int8", "interval", "macaddr8", "macaddr", "numeric", "oid", "text", "time",
        "timestamp", "timestamptz", "timetz", "uuid",
    )},
    "money": "gist_cash_ops", "varbit": "gist_vbit_ops", "varchar": "gist_text_ops",
}  # fmt: skip
EXTENSION_OPCLASSES: dict[str, dict[str, frozenset[str]]] = {
    "pg_trgm": {"gin": frozenset({"gin_trgm_ops"}), "gist": frozenset({"gist_trgm_ops"})},
    "btree_gin": {"gin": frozenset({f"{t}_ops" for t in _BTREE_GIN} | {"enum_ops"})},
    "btree_gist": {"gist": frozenset(_BTREE_GIST.values()) | {"gist_enum_ops"}},
}


def _extension_default(method: str, t: SqlType, installed: Collection[str]) -> str | None:
    typname = t.typname
    enum = t.category == "E"
    if method == "gin" and "btree_gin" in installed and (typname in _BTREE_GIN or enum):
        return "enum_ops" if enum else f"{typname}_ops"
    if method == "gist" and "btree_gist" in installed and (typname in _BTREE_GIST or enum):
        return "gist_enum_ops" if enum else _BTREE_GIST[typname]
    return None


@dataclass(frozen=True, slots=True)
class AccessMethod:
    name: str
    oid: int  # pg_am.oid
    unique: bool = False
    multicolumn: bool = False
    include: bool = False
    ordered: bool = False  # ASC/DESC, NULLS FIRST/LAST
    scannable: bool = False  # the planner finds rows through it (equality and ranges)
    params: frozenset[str] = frozenset({"fillfactor"})
    extension: str | None = None  # the extension that installs it (sql.extensions)

    def default_opclass(self, t: SqlType, installed: Collection[str] = ()) -> str | None:
        """The name of the default operator class for ``t`` (None: there is none), with the
        extensions ``installed``."""
        typname = t.typname
        extension = _extension_default(self.name, t, installed)
        if extension is not None:
            return extension
        if self.name in ("btree", "hash"):
            return f"{typname}_ops"
        if t.subtype is not None:  # anyrange's and anymultirange's classes
            multi = t.is_multirange
            return {"gist": "multirange_ops" if multi else "range_ops",
                    "spgist": None if multi else "range_ops",
                    "brin": None if multi else "range_inclusion_ops"}.get(self.name)  # fmt: skip
        if typname == "hstore" and self.name in ("gist", "gin"):  # the hstore extension's
            return f"{self.name}_hstore_ops"
        if self.name == "bloom":  # varchar takes text's class (binary coercible to text)
            return {"int4": "int4_ops", "text": "text_ops", "varchar": "text_ops"}.get(typname)
        if self.name == "gist":
            if typname in ("tsvector", "tsquery"):
                return f"{typname}_ops"
            if typname not in _GEOMETRIC:
                return None
            return "poly_ops" if typname == "polygon" else f"{typname}_ops"
        if self.name == "spgist":
            names = {"point": "quad_point_ops", "box": "box_ops", "polygon": "poly_ops"}
            return names.get(typname) or ("text_ops" if typname in ("text", "varchar") else None)
        if self.name == "gin":
            if t.element is not None:
                return "array_ops"
            return {"jsonb": "jsonb_ops", "tsvector": "tsvector_ops"}.get(typname)
        if typname == "varchar":
            return "text_minmax_ops"
        if typname in _BRIN_MINMAX:
            return f"{typname}_minmax_ops"
        return "box_inclusion_ops" if typname == "box" else None

    def opclasses(self, installed: Collection[str] = ()) -> frozenset[str]:
        """The operator classes of this method other than the btree ones (sql.index_options
        checks those), with the extensions ``installed``."""
        out = _OPCLASSES.get(self.name, frozenset())
        for name in installed:
            out |= EXTENSION_OPCLASSES.get(name, {}).get(self.name, frozenset())
        return out


_OPCLASSES = {
    "gist": frozenset(
        {
            "box_ops",
            "point_ops",
            "poly_ops",
            "circle_ops",
            "tsvector_ops",
            "tsquery_ops",
            "range_ops",
            "multirange_ops",
            "gist_hstore_ops",
        }
    ),
    "spgist": frozenset(
        {"quad_point_ops", "kd_point_ops", "box_ops", "poly_ops", "text_ops", "range_ops"}
    ),
    "gin": frozenset(
        {"array_ops", "jsonb_ops", "jsonb_path_ops", "tsvector_ops", "gin_hstore_ops"}
    ),
    "bloom": frozenset({"int4_ops", "text_ops"}),
    "brin": frozenset(
        {f"{t}_minmax_ops" for t in _BRIN_MINMAX}
        | {f"{t}_minmax_multi_ops" for t in _BRIN_MINMAX}
        | {f"{t}_bloom_ops" for t in _BRIN_MINMAX}
        | {"box_inclusion_ops", "inet_inclusion_ops", "range_inclusion_ops"}
    ),
}

METHODS = {
    m.name: m
    for m in (
        AccessMethod(
            "btree", 403, unique=True, multicolumn=True, include=True, ordered=True,
            scannable=True, params=frozenset({"fillfactor", "deduplicate_items"}),
        ),
        # A hash index answers equality only: db9 keeps it as a btree, which does too.
        AccessMethod("hash", 405, scannable=True),
        AccessMethod(
            "gist", 783, multicolumn=True, include=True,
            params=frozenset({"fillfactor", "buffering"}),
        ),
        AccessMethod("gin", 2742, multicolumn=True,
                     params=frozenset({"fastupdate", "gin_pending_list_limit"})),
        AccessMethod("spgist", 4000, include=True),
        AccessMethod("brin", 3580, multicolumn=True,
                     params=frozenset({"pages_per_range", "autosummarize"})),
        # bloom's oid is the first free one, as a fresh database's CREATE EXTENSION bloom
        AccessMethod("bloom", 16_385, multicolumn=True, extension="bloom",
                     params=frozenset({"length", *(f"col{i}" for i in range(1, 33))})),
    )
}  # fmt: skip


def method_named(name: str, installed: Container[str] = ()) -> AccessMethod:
    """The access method ``name`` (42704 for one PostgreSQL does not have, or whose
    extension is not among the ``installed`` ones)."""
    found = METHODS.get(name.lower())
    if found is None or (found.extension is not None and found.extension not in installed):
        raise UndefinedObject(f'access method "{name}" does not exist')
    return found


def check_shape(am: AccessMethod, unique: bool, keys: int, include: bool) -> None:
    """0A000 for what ``am`` cannot do, as DefineIndex checks it, in its order (ASC/DESC is
    checked later, per key, after its operator class)."""
    if unique and not am.unique:
        raise FeatureNotSupported(f'access method "{am.name}" does not support unique indexes')
    if include and not am.include:
        raise FeatureNotSupported(f'access method "{am.name}" does not support included columns')
    if keys > 1 and not am.multicolumn:
        raise FeatureNotSupported(f'access method "{am.name}" does not support multicolumn indexes')


def methods(installed: Container[str]) -> list[AccessMethod]:
    """The index access methods of a database with the extensions ``installed`` (pg_am)."""
    return [m for m in METHODS.values() if m.extension is None or m.extension in installed]


def check_default_opclass(am: AccessMethod, t: SqlType, installed: Collection[str] = ()) -> None:
    """42704 when ``t`` has no default operator class for ``am`` (btree and hash: db9 keys
    every type it stores, so they take them all)."""
    if am.name in ("btree", "hash"):
        return
    if am.default_opclass(t, installed) is None:
        raise UndefinedObject(
            f'data type {t.display()} has no default operator class for access method "{am.name}"',
            hint="You must specify an operator class for the index or define a default "
            "operator class for the data type.",
        )


def check_other_opclass(
    am: AccessMethod, opclass: str, t: SqlType, installed: Collection[str] = ()
) -> str:
    """The operator class of a gist/spgist/gin/brin key to record ('' for ``t``'s default);
    42704 for a class ``am`` does not have (with the extensions ``installed``)."""
    name = opclass.lower()
    if name not in am.opclasses(installed):
        raise UndefinedObject(
            f'operator class "{name}" does not exist for access method "{am.name}"'
        )
    return "" if name == am.default_opclass(t, installed) else name


def storage_options(am: AccessMethod, given: list[tuple[str, str]]) -> list[str]:
    """``WITH (name = value, ...)`` of CREATE INDEX as pg_class.reloptions holds it
    (``name=value``, names lower-cased); 22023 for a parameter ``am`` does not take or a
    value out of its range."""
    out = []
    for name, value in given:
        key = name.lower()
        if key not in am.params:
            raise InvalidParameterValue(f'unrecognized parameter "{key}"')
        if am.name == "bloom":
            _bloom_option(key, value)
        if key == "fillfactor":
            try:
                n = int(value)
            except ValueError:
                raise InvalidParameterValue(
                    f'invalid value for integer option "fillfactor": {value}'
                ) from None
            if not 10 <= n <= 100:
                raise InvalidParameterValue(
                    f'value {value} out of bounds for option "fillfactor"',
                    detail='Valid values are between "10" and "100".',
                )
        out.append(f"{key}={value}")
    return out


def opclass_options(opclass: str, given: list[tuple[str, str]]) -> str:
    """An operator class's parameters (``gist_trgm_ops(siglen=32)``) as pg_get_indexdef
    prints them; 22023 for one the class does not take or out of range (siglen: 1 .. 2024
    for pg_trgm's gist class, the only one db9 has that takes any)."""
    out = []
    for name, value in given:
        key = name.lower()
        if opclass.lower() != "gist_trgm_ops" or key != "siglen":
            raise InvalidParameterValue(f'unrecognized parameter "{key}"')
        if not value.isdigit() or not 1 <= int(value) <= 2024:
            raise InvalidParameterValue(
                f'value {value} out of bounds for option "siglen"',
                detail='Valid values are between "1" and "2024".',
            )
        out.append(f"{key}='{value}'")
    return ", ".join(out)


def _bloom_option(key: str, value: str) -> None:
    """bloom's length (bits per signature, 1..4096) and colN (bits per column, 1..4095)."""
    top = 4096 if key == "length" else 4095
    try:
        n = int(value)
    except ValueError:
        raise InvalidParameterValue(f'invalid value for integer option "{key}": {value}') from None
    if not 1 <= n <= top:
        raise InvalidParameterValue(
            f'value {value} out of bounds for option "{key}"',
            detail=f'Valid values are between "1" and "{top}".',
        )


_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
_RESERVED = frozenset({"on", "true", "false", "null", "default", "all", "and", "or", "not"})


def shown_options(options: list[str]) -> str:
    """reloptions as pg_get_indexdef prints them: ``name=value``, the value quoted unless it
    reads as a plain identifier."""
    out = []
    for option in options:
        name, _, value = option.partition("=")
        plain = _PLAIN.fullmatch(value) and value not in _RESERVED
        quoted = "'" + value.replace("'", "''") + "'"
        out.append(f"{name}={value if plain else quoted}")
    return ", ".join(out)
