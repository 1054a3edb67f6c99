"""PostgreSQL's pseudo-types (pg_type's typtype 'p'): their catalog rows, and casts to the
polymorphic ones. A value cast to a polymorphic pseudo-type keeps its own type, as the cast
only checks that the type fits (``'{1}'::int[]::anyarray`` is an integer[]); an untyped
literal cannot be read as one (0A000), except as anyelement and its kin, where it stays
untyped."""

from __future__ import annotations

from sql.errors import CannotCoerce, FeatureNotSupported
from sql.types import SqlType

# name: (oid, typlen); all in category P except unknown (X)
CATALOG: dict[str, tuple[int, int]] = {
    "any": (2276, 4), "anyarray": (2277, -1), "anycompatible": (5077, 4),
    "anycompatiblearray": (5078, -1), "anycompatiblemultirange": (4538, -1),
    "anycompatiblenonarray": (5079, 4), "anycompatiblerange": (5080, -1),
    "anyelement": (2283, 4), "anyenum": (3500, 4), "anymultirange": (4537, -1),
    "anynonarray": (2776, 4), "anyrange": (3831, -1), "cstring": (2275, -2),
    "event_trigger": (3838, 4), "fdw_handler": (3115, 4), "index_am_handler": (325, 4),
    "internal": (2281, 8), "language_handler": (2280, 4), "pg_ddl_command": (32, 8),
    "record": (2249, -1), "table_am_handler": (269, 4), "trigger": (2279, 4),
    "tsm_handler": (3310, 4), "unknown": (705, -2), "void": (2278, 4),
}  # fmt: skip


BY_OID = {oid: name for name, (oid, _) in CATALOG.items()}
ARRAYS = {"record": 2287, "cstring": 1263}  # the two with array types (_record, _cstring)


def _fits(name: str, t: SqlType) -> bool:
    """Whether a value of type ``t`` may be cast to the polymorphic type ``name``."""
    kind = name.removeprefix("anycompatible").removeprefix("any")
    if kind in ("element", ""):
        return True
    if kind == "array":
        return t.element is not None
    if kind == "nonarray":
        return t.element is None
    if kind == "enum":
        return t.labels is not None
    if kind == "range":
        return t.is_range
    return t.is_multirange  # multirange


POLYMORPHIC = frozenset(n for n in CATALOG if n.startswith("any") and n != "any")


def pseudo_type(name: str) -> SqlType:
    oid, typlen = CATALOG[name]
    return SqlType(name, oid, 0, typlen, "X" if name == "unknown" else "P")


def cast_type(src: SqlType, name: str, *, null: bool) -> SqlType:
    """The type of a value of type ``src`` cast to the polymorphic type ``name``: its own;
    an untyped literal's stays unknown (anyelement, anynonarray and their compatible kin), the
    pseudo-type itself for a NULL, else 0A000; 42846 for a type that does not fit."""
    if src.name == "unknown":
        if null:
            return pseudo_type(name)
        if name.endswith(("element", "nonarray", "anycompatible")):
            return src
        raise FeatureNotSupported(f"cannot accept a value of type {name}")
    if not _fits(name, src):
        raise CannotCoerce(f"cannot cast type {src.display()} to {name}")
    return src
