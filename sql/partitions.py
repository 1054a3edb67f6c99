"""Declarative partitioning as PostgreSQL 15 has it: partition keys, bounds and routing.

A partitioned table (``TableDef.partkey``) stores no rows; its partitions are inheritance
children (sql.inheritance) with a ``bound``: a list of values, a range FROM (...) TO (...)
(MINVALUE / MAXVALUE per column), a hash MODULUS and REMAINDER, or DEFAULT. Bound values are
kept as text of the key's type so a catalog entry stays plain JSON. ``Router`` finds the leaf
partition of a row (23514 when there is none); ``fits`` is a partition's constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from sql import pg_hash
from sql import types as T
from sql.casts import coerce_to
from sql.catalog import Catalog, TableDef
from sql.errors import (
    CheckViolation,
    DatatypeMismatch,
    FeatureNotSupported,
    GroupingError,
    InvalidObjectDefinition,
    InvalidParameterValue,
    InvalidTableDefinition,
    SyntaxError_,
    UndefinedColumn,
    UndefinedObject,
    WindowingError,
)
from sql.executor.execute import start
from sql.expr import Compiler
from sql.inheritance import scan
from sql.pg_dialect import DIALECT
from sql.scope import Context, Scope, ScopeColumn

Row = tuple[Any, ...]
MIN, VALUE, MAX = -1, 0, 1  # a range bound's kind per column
_SYSTEM_COLUMNS = {"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"}
_AGGREGATES = {"sum", "avg", "count", "min", "max", "array_agg", "string_agg", "bool_and",
               "bool_or", "every"}  # fmt: skip


# -- the key ------------------------------------------------------------------------------------


def parse_key(table: TableDef, prop: exp.Expr) -> dict[str, Any]:
    """PARTITION BY strategy (keys) of ``table``, checked as PostgreSQL checks it."""
    spec = prop.this
    strategy = (spec.name if isinstance(spec, exp.Anonymous) else spec.sql_name()).lower()
    if strategy not in ("list", "range", "hash"):
        raise InvalidParameterValue(f'unrecognized partitioning strategy "{strategy}"')
    items = list(spec.expressions)
    if strategy == "list" and len(items) > 1:
        raise InvalidObjectDefinition(
            'cannot use "list" partition strategy with more than one column'
        )
    keys = []
    for n, item in enumerate(items):
        e = item.this if isinstance(item, exp.Paren) else item
        if isinstance(e, exp.Column) and not e.table:
            if e.name in _SYSTEM_COLUMNS:
                raise InvalidObjectDefinition(
                    f'cannot use system column "{e.name}" in partition key'
                )
            if not table.has_column(e.name):
                raise UndefinedColumn(f'column "{e.name}" named in partition key does not exist')
            keys.append(e.name)
            continue
        if any(isinstance(x, exp.AggFunc) for x in e.find_all(exp.AggFunc)) or any(
            isinstance(x, exp.Anonymous) and x.name.lower() in _AGGREGATES
            for x in e.find_all(exp.Anonymous)
        ):
            if e.find(exp.Window) is not None:
                raise WindowingError(
                    "window functions are not allowed in partition key expressions"
                )
            raise GroupingError("aggregate functions are not allowed in partition key expressions")
        if _returns_set(e):
            raise FeatureNotSupported(
                "set-returning functions are not allowed in partition key expressions"
            )
        if e.find(exp.Column) is None:
            raise InvalidObjectDefinition("cannot use constant expression as partition key")
        keys.append(e.sql(dialect="postgres"))
        typed = key_typed(table, keys[-1])
        if typed.type.name in ("record", "unknown"):
            raise InvalidTableDefinition(
                f"partition key column {n + 1} has pseudo-type {typed.type.name}"
            )
    for k in keys:
        ty = key_typed(table, k).type
        if ty.name in ("point", "box", "circle", "line", "lseg", "path", "polygon", "json", "xml"):
            method = "btree" if strategy != "hash" else "hash"
            raise UndefinedObject(
                f'data type {ty.name} has no default operator class for access method "{method}"'
            )
    return {"strategy": strategy, "keys": keys}


def _key_columns(table: TableDef) -> set[str]:
    keys = table.partkey["keys"] if table.partkey is not None else []
    out: set[str] = set()
    for k in keys:
        if table.has_column(k):
            out.add(k)
        else:
            out |= {c.name for c in sqlglot.parse_one(k, read=DIALECT).find_all(exp.Column)}
    return out


def check_not_key(table: TableDef, column: str, verb: str) -> None:
    """A column of a partition key (this table's, or a parent's it is a partition of) can
    be neither dropped nor changed in type (42P16 as PostgreSQL)."""
    if verb != "rename" and column in _key_columns(table):
        raise InvalidTableDefinition(
            f'cannot {verb} column "{column}" because it is part of the partition key of '
            f'relation "{table.name}"'
        )
    if verb in ("drop", "rename") and table.has_column(column) and table.column(column).inherited:
        raise InvalidTableDefinition(f'cannot {verb} inherited column "{column}"')


def rename_key_column(table: TableDef, old: str, new: str) -> None:
    """The partition key follows a renamed column."""
    if table.partkey is None:
        return
    keys = []
    for k in table.partkey["keys"]:
        if k == old:
            keys.append(new)
            continue
        tree = sqlglot.parse_one(k, read=DIALECT) if not table.has_column(k) else None
        if tree is None:
            keys.append(k)
            continue
        for c in tree.find_all(exp.Column):
            if c.name == old:
                c.set("this", exp.to_identifier(new))
        keys.append(tree.sql(dialect="postgres"))
    table.partkey["keys"] = keys


def key_typed(table: TableDef, key: str) -> Any:
    """A key's compiled expression over ``table``'s stored row."""
    e = sqlglot.parse_one(key, read=DIALECT) if not table.has_column(key) else exp.column(key)
    scope = Scope([ScopeColumn(table.name, c.name, c.type) for c in table.live_columns])
    return Compiler(scope, Context()).compile(e)


def key_types(table: TableDef) -> list[T.SqlType]:
    assert table.partkey is not None
    return [key_typed(table, k).type for k in table.partkey["keys"]]


# -- bounds -------------------------------------------------------------------------------------


def parse_bound(parent: TableDef, name: str, spec: exp.Expr) -> dict[str, Any]:
    """FOR VALUES ... / DEFAULT of a new partition ``name`` of ``parent``, its values read
    as the key's types and checked as PostgreSQL checks them."""
    if parent.partkey is None:
        raise InvalidObjectDefinition(f'table "{parent.name}" is not partitioned')
    strategy = parent.partkey["strategy"]
    types = key_types(parent)
    if isinstance(spec, exp.Var) and spec.name.upper() == "DEFAULT":
        if strategy == "hash":
            raise InvalidTableDefinition(
                "a hash-partitioned table may not have a default partition"
            )
        return {"kind": "default"}
    assert isinstance(spec, exp.PartitionBoundSpec)
    values = spec.this if isinstance(spec.this, list) else None
    from_ = spec.args.get("from_expressions")
    to = spec.args.get("to_expressions")
    if from_ is not None:
        kind = "range"
    elif values is not None:
        kind = "list"
    else:
        kind = "hash"
    if kind != strategy:
        raise InvalidTableDefinition(f"invalid bound specification for a {strategy} partition")
    if kind == "hash":
        modulus, remainder = _int_of(spec.this), _int_of(spec.expression)
        if modulus < 1:
            raise InvalidTableDefinition(
                "modulus for hash partition must be an integer value greater than zero"
            )
        if remainder < 0:
            raise InvalidTableDefinition(
                "remainder for hash partition must be an integer value greater than or equal "
                "to zero"
            )
        if remainder >= modulus:
            raise InvalidTableDefinition("remainder for hash partition must be less than modulus")
        return {"kind": "hash", "modulus": modulus, "remainder": remainder}
    if kind == "list":
        if not values:
            raise SyntaxError_('syntax error at or near ")"')
        out = []
        for v in values or []:
            text = _bound_value(v, types[0], parent.partkey["keys"][0])
            if text not in out:
                out.append(text)
        return {"kind": "list", "values": out, "plain": [t.category == "N" for t in types]}
    assert from_ is not None and to is not None
    lo = _range_side(from_, types, parent, "FROM")
    hi = _range_side(to, types, parent, "TO")
    if _cmp_bounds(_decode_range(lo, types), _decode_range(hi, types), False, True) >= 0:
        raise InvalidObjectDefinition(
            f'empty range bound specified for partition "{name}"',
            detail=f"Specified lower bound {_show(lo)} is greater than or equal to upper bound "
            f"{_show(hi)}.",
        )
    return {"kind": "range", "from": lo, "to": hi, "plain": [t.category == "N" for t in types]}


def _int_of(e: Any) -> int:
    try:
        return int(e.name if isinstance(e, exp.Literal) else e.sql())
    except ValueError:
        raise InvalidTableDefinition("modulus and remainder must be integers") from None


def _range_side(
    items: list[exp.Expr], types: list[T.SqlType], parent: TableDef, side: str
) -> list[Any]:
    assert parent.partkey is not None
    if len(items) != len(types):
        raise InvalidTableDefinition(
            f"{side} must specify exactly one value per partitioning column"
        )
    out: list[Any] = []
    seen = VALUE
    for item, ty, key in zip(items, types, parent.partkey["keys"], strict=True):
        word = (
            item.name.upper()
            if isinstance(item, exp.Var) or (isinstance(item, exp.Column) and not item.table)
            else ""
        )
        if word in ("MINVALUE", "MAXVALUE"):
            kind = MIN if word == "MINVALUE" else MAX
            if seen != VALUE and kind != seen:
                raise DatatypeMismatch(
                    f"every bound following {'MAXVALUE' if seen == MAX else 'MINVALUE'} must also "
                    f"be {'MAXVALUE' if seen == MAX else 'MINVALUE'}"
                )
            seen = kind
            out.append(word)
            continue
        if seen != VALUE:
            raise DatatypeMismatch(
                f"every bound following {'MAXVALUE' if seen == MAX else 'MINVALUE'} must also be "
                f"{'MAXVALUE' if seen == MAX else 'MINVALUE'}"
            )
        text = _bound_value(item, ty, key)
        if text is None:
            raise InvalidObjectDefinition("cannot specify NULL in range bound")
        out.append(text)
    return out


def _bound_value(e: exp.Expr, ty: T.SqlType, key: str) -> str | None:
    """One bound value as text of the key's type (None for NULL)."""
    if e.find(exp.Column) is not None and not isinstance(e, exp.Var):
        raise FeatureNotSupported("cannot use column reference in partition bound expression")
    if _returns_set(e):
        raise FeatureNotSupported("set-returning functions are not allowed in partition bound")
    if any(isinstance(x, exp.AggFunc) for x in e.find_all(exp.AggFunc)):
        raise GroupingError("aggregate functions are not allowed in partition bound")
    if e.find(exp.Select) is not None:
        raise FeatureNotSupported("cannot use subquery in partition bound")
    typed = Compiler(Scope([]), Context()).compile(e)
    if (typed.type is T.BOOL and ty is not T.BOOL) or (ty is T.BOOL and typed.type.category == "N"):
        raise DatatypeMismatch(
            f'specified value cannot be cast to type {ty.name} for column "{key}"'
        )
    value = coerce_to(typed, ty, explicit=True).fn(())
    return None if value is None else T.format_value(value, ty)


_SET_RETURNING = {
    "generate_series", "unnest", "generate_subscripts", "regexp_matches", "json_each",
    "jsonb_each", "json_array_elements", "jsonb_array_elements",
}  # fmt: skip


def _returns_set(e: exp.Expr) -> bool:
    return any(
        (isinstance(f, exp.Anonymous) and f.name.lower() in _SET_RETURNING)
        or isinstance(f, exp.Explode | exp.Unnest | exp.GenerateSeries)
        for f in e.find_all(exp.Func)
    )


def _decode_range(side: list[Any], types: list[T.SqlType]) -> list[tuple[int, Any]]:
    out = []
    for v, ty in zip(side, types, strict=True):
        if v == "MINVALUE":
            out.append((MIN, None))
        elif v == "MAXVALUE":
            out.append((MAX, None))
        else:
            out.append((VALUE, T.parse_text(v, ty)))
    return out


def _cmp(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _cmp_bounds(
    a: list[tuple[int, Any]], b: list[tuple[int, Any]], a_lower: bool, b_lower: bool
) -> int:
    """PostgreSQL's partition_rbound_cmp: two range bounds compared column by column."""
    for (ka, va), (kb, vb) in zip(a, b, strict=True):
        if ka != VALUE or kb != VALUE:
            if ka == kb:
                return 0  # both infinite the same way: the rest is the same too
            return _cmp(ka, kb)
        c = _cmp(va, vb)
        if c:
            return c
    if a_lower == b_lower:
        return 0
    return 1 if a_lower else -1  # an upper bound is exclusive: it comes before an equal lower


def _cmp_key(bound: list[tuple[int, Any]], key: tuple[Any, ...]) -> int:
    """A range bound against a row's key: negative when the bound is below the key."""
    for (kind, v), k in zip(bound, key, strict=True):
        if kind != VALUE:
            return kind
        c = _cmp(v, k)
        if c:
            return c
    return 0


def _show(side: list[Any]) -> str:
    return "(" + ", ".join(side) + ")"


# -- checks of a new bound against the other partitions -----------------------------------------


def check_overlap(catalog: Catalog, parent: TableDef, name: str, bound: dict[str, Any]) -> None:
    """42P17 when the new partition's bound overlaps a sibling's (or a second DEFAULT)."""
    types = key_types(parent)
    siblings = [c for c in catalog.children(parent) if c.bound is not None and c.name != name]
    for sib in siblings:
        other = sib.bound
        assert other is not None
        if bound["kind"] == "default" or other["kind"] == "default":
            if bound["kind"] == other["kind"]:
                raise InvalidObjectDefinition(
                    f'partition "{name}" conflicts with existing default partition "{sib.name}"'
                )
            continue
        if bound["kind"] == "list":
            if set(bound["values"]) & set(other["values"]):
                _overlap(name, sib)
        elif bound["kind"] == "range":
            lo, hi = _decode_range(bound["from"], types), _decode_range(bound["to"], types)
            olo, ohi = _decode_range(other["from"], types), _decode_range(other["to"], types)
            if _cmp_bounds(lo, ohi, True, False) < 0 and _cmp_bounds(olo, hi, True, False) < 0:
                _overlap(name, sib)
        else:
            (ms, rs), (mb, rb) = sorted(
                [(bound["modulus"], bound["remainder"]), (other["modulus"], other["remainder"])]
            )
            if mb % ms:
                raise InvalidObjectDefinition(
                    "every hash partition modulus must be a factor of the next larger modulus"
                )
            if rb % ms == rs:
                _overlap(name, sib)


def _overlap(name: str, other: TableDef) -> None:
    raise InvalidObjectDefinition(f'partition "{name}" would overlap partition "{other.name}"')


# -- routing ------------------------------------------------------------------------------------


@dataclass
class _Level:
    table: TableDef
    names: list[str]  # the table's live columns
    keys: list[Callable[[Row], Any]]
    children: list[tuple[TableDef, Bound]]
    default: TableDef | None
    types: list[T.SqlType]


@dataclass
class Bound:
    """A partition's bound with its values read back into the key's types."""

    kind: str
    values: list[Any]  # list: the values (None for NULL)
    lo: list[tuple[int, Any]]  # range: FROM
    hi: list[tuple[int, Any]]  # range: TO
    modulus: int = 0
    remainder: int = 0

    @classmethod
    def of(cls, bound: dict[str, Any], types: list[T.SqlType]) -> Bound:
        kind = bound["kind"]
        if kind == "list":
            vals = [None if v is None else T.parse_text(v, types[0]) for v in bound["values"]]
            return cls(kind, vals, [], [])
        if kind == "range":
            return cls(kind, [], _decode_range(bound["from"], types),
                       _decode_range(bound["to"], types))  # fmt: skip
        if kind == "hash":
            return cls(kind, [], [], [], bound["modulus"], bound["remainder"])
        return cls(kind, [], [], [])


class Router:
    """Finds the leaf partition of rows inserted into a partitioned table (or checked
    against a partition's constraint), the key expressions compiled once per level."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._levels: dict[int, _Level] = {}

    def level(self, table: TableDef) -> _Level:
        got = self._levels.get(table.id)
        if got is None:
            assert table.partkey is not None
            types = key_types(table)
            children = [(c, Bound.of(c.bound, types)) for c in self.catalog.children(table)
                        if c.bound is not None]  # fmt: skip
            got = self._levels[table.id] = _Level(
                table,
                [c.name for c in table.live_columns],
                [key_typed(table, k).fn for k in table.partkey["keys"]],
                [(c, b) for c, b in children if b.kind != "default"],
                next((c for c, b in children if b.kind == "default"), None),
                types,
            )
        return got

    def leaf(self, table: TableDef, values: dict[str, Any]) -> TableDef:
        """The leaf below ``table`` that a row (``values`` by column name) goes to."""
        while table.partkey is not None:
            lv = self.level(table)
            row = tuple(values.get(n) for n in lv.names)
            key = tuple(f(row) for f in lv.keys)
            found = next((c for c, b in lv.children if _holds(b, key, lv.types)), lv.default)
            if found is None:
                shown = ", ".join(lv.table.partkey["keys"])  # type: ignore[index]
                vals = ", ".join("null" if v is None else str(T.format_value(v, t))
                                 for v, t in zip(key, lv.types, strict=True))  # fmt: skip
                raise CheckViolation(
                    f'no partition of relation "{table.name}" found for row',
                    detail=f"Partition key of the failing row contains ({shown}) = ({vals}).",
                )
            table = found
        return table

    def fits(self, table: TableDef, values: dict[str, Any]) -> bool:
        """Whether a row satisfies ``table``'s partition constraint and its ancestors'."""
        while table.bound is not None and table.parents:
            parent = self.catalog.tables.get(table.parents[0])
            if parent is None or parent.partkey is None:
                return True
            lv = self.level(parent)
            row = tuple(values.get(n) for n in lv.names)
            key = tuple(f(row) for f in lv.keys)
            if table.bound["kind"] == "default":
                if any(_holds(b, key, lv.types) for _, b in lv.children):
                    return False
            elif not _holds(Bound.of(table.bound, lv.types), key, lv.types):
                return False
            table = parent
        return True


def _holds(bound: Bound, key: tuple[Any, ...], types: list[T.SqlType]) -> bool:
    if bound.kind == "list":
        return key[0] in bound.values
    if bound.kind == "range":
        if any(k is None for k in key):
            return False
        return _cmp_key(bound.lo, key) <= 0 and _cmp_key(bound.hi, key) > 0
    if bound.kind == "hash":
        return hash_key(key, types) % bound.modulus == bound.remainder
    return False


def hash_key(key: tuple[Any, ...], types: list[T.SqlType]) -> int:
    """A row's hash for hash partitioning: PostgreSQL's, so rows land in the partitions
    they would there (sql.pg_hash)."""
    return pg_hash.partition_hash(
        [(v, ty.name, "" if v is None else str(T.format_value(v, ty)))
         for v, ty in zip(key, types, strict=True)]
    )  # fmt: skip


def check_unique_keys(table: TableDef, columns: list[str] | None = None) -> None:
    """A partitioned table's PRIMARY KEY / UNIQUE (or the unique index on ``columns``) must
    hold every partition key column."""
    assert table.partkey is not None
    keyed = [c.columns for c in table.constraints if c.kind in ("p", "u")]
    for cols in keyed if columns is None else [columns]:
        for key in table.partkey["keys"]:
            if not table.has_column(key):
                raise FeatureNotSupported(
                    "unsupported UNIQUE constraint with partition key definition"
                )
            if key not in cols:
                raise FeatureNotSupported(
                    "unique constraint on partitioned table must include all partitioning columns"
                )


def rows_of(session: Any, catalog: Catalog, table: TableDef) -> Iterator[dict[str, Any]]:
    """Every row of ``table`` and the tables below it, by column name."""
    node = scan(session.db, catalog, table, None)
    names = [c.name for c in table.live_columns]
    for row in start(session.current_txn()).rows(node):
        yield dict(zip(names, row, strict=False))


def check_default_rows(session: Any, catalog: Catalog, parent: TableDef, new: TableDef) -> None:
    """A new partition may not take rows the default partition already holds (23514)."""
    default = next((c for c in catalog.children(parent)
                    if c.bound is not None and c.bound["kind"] == "default"), None)  # fmt: skip
    if default is None or new.bound is None or new.bound["kind"] == "default":
        return
    router = Router(catalog)
    lv = router.level(parent)
    bound = Bound.of(new.bound, lv.types)
    for values in rows_of(session, catalog, default):
        row = tuple(values.get(n) for n in lv.names)
        if _holds(bound, tuple(f(row) for f in lv.keys), lv.types):
            raise CheckViolation(
                f'updated partition constraint for default partition "{default.name}" would be '
                "violated by some row"
            )
