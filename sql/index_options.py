"""Per-column options of CREATE INDEX that db9's btree takes as PostgreSQL does: operator
classes (every btree class db9 accepts orders its type as the default class does, since
text compares byte-wise as in the C locale, so the pattern classes need nothing more) and the
checks PostgreSQL makes of them."""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql.errors import DatatypeMismatch, UndefinedObject
from sql.pg_dialect import DIALECT
from sql.types import SqlType

# btree operator class -> the pg_type.typname values it takes.
_TEXTS = frozenset({"text", "varchar"})
BTREE_OPCLASSES: dict[str, frozenset[str]] = {
    "int2_ops": frozenset({"int2"}),
    "int4_ops": frozenset({"int4"}),
    "int8_ops": frozenset({"int8"}),
    "float4_ops": frozenset({"float4"}),
    "float8_ops": frozenset({"float8"}),
    "numeric_ops": frozenset({"numeric"}),
    "bool_ops": frozenset({"bool"}),
    "text_ops": _TEXTS,
    "varchar_ops": _TEXTS,
    "text_pattern_ops": _TEXTS,
    "varchar_pattern_ops": _TEXTS,
    "bpchar_ops": frozenset({"bpchar"}),
    "bpchar_pattern_ops": frozenset({"bpchar"}),
    "name_ops": frozenset({"name"}),
    "char_ops": frozenset({"char"}),
    "bytea_ops": frozenset({"bytea"}),
    "date_ops": frozenset({"date"}),
    "timestamp_ops": frozenset({"timestamp"}),
    "timestamptz_ops": frozenset({"timestamptz"}),
    "interval_ops": frozenset({"interval"}),
    "uuid_ops": frozenset({"uuid"}),
    "oid_ops": frozenset({"oid"}),
    "jsonb_ops": frozenset({"jsonb"}),
}


def check_opclass(opclass: str, column_type: SqlType) -> str:
    """The operator class to record for a column of ``column_type`` ('' for the type's
    default class, which pg_indexes does not print); 42704 for an unknown class, 42804 for
    one that does not take the type."""
    name = opclass.lower()
    if name == "array_ops" and column_type.element is not None:
        return ""
    takes = BTREE_OPCLASSES.get(name)
    if takes is None and name != "array_ops":
        raise UndefinedObject(f'operator class "{name}" does not exist for access method "btree"')
    typname = column_type.typname
    if takes is None or typname not in takes:
        raise DatatypeMismatch(
            f'operator class "{name}" does not accept data type {column_type.display()}'
        )
    default = "text_ops" if typname == "varchar" else f"{typname}_ops"
    return "" if name == default else name


def split_nulls_distinct(text: str, tokens: list[Any], start: int) -> tuple[str, bool | None]:
    """CREATE UNIQUE INDEX ... NULLS [NOT] DISTINCT, which sqlglot does not read: the
    statement's text without the clause, and whether it said NOT DISTINCT (None: no clause).
    ``tokens`` are the statement's, at offsets from ``start``."""
    depth = 0
    for i, tok in enumerate(tokens):
        depth += (tok.token_type == TokenType.L_PAREN) - (tok.token_type == TokenType.R_PAREN)
        words = [str(t.text).upper() for t in tokens[i : i + 3]]
        if depth or words[:1] != ["NULLS"]:
            continue
        n = 3 if words[1:3] == ["NOT", "DISTINCT"] else 2 if words[1:2] == ["DISTINCT"] else 0
        if n:
            lo, hi = tok.start - start, tokens[i + n - 1].end + 1 - start
            return text[:lo] + text[hi:], n == 3
    return text, None


def split_only(text: str) -> tuple[str, bool]:
    """CREATE INDEX ... ON ONLY table, which sqlglot does not read: the statement's text
    without ONLY, and whether it was there (the index is then the partitioned table's alone,
    its partitions' indexes attached later by ALTER INDEX ... ATTACH PARTITION)."""
    tokens = DIALECT.tokenize(text)
    for i, tok in enumerate(tokens[:-1]):
        if str(tok.text).upper() == "ON" and str(tokens[i + 1].text).upper() == "ONLY":
            nxt = tokens[i + 1]
            return text[: nxt.start] + text[nxt.end + 1 :], True
    return text, False
