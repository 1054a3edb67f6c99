"""ALTER TABLE ... ALTER [COLUMN] c ADD GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY
[(sequence options)]: how pg_dump restores an identity column (CREATE TABLE with a plain NOT
NULL column, then this with ``SEQUENCE NAME`` and the sequence's options). The column gets a
new sequence, as CREATE TABLE ... GENERATED AS IDENTITY gives it one (sql.ddl).

Also ``DROP IDENTITY [IF EXISTS]`` (the column keeps NOT NULL and loses its default and its
sequence, as in PostgreSQL, where the sequence depends on the identity internally) and ``SET
GENERATED {ALWAYS | BY DEFAULT}``: how Django turns an AutoField into an IntegerField and
back."""

from __future__ import annotations

import copy
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import grants, relations
from sql.catalog import Catalog, TableDef
from sql.errors import (
    DuplicateTable,
    FeatureNotSupported,
    InvalidParameterValue,
    ObjectNotInPrerequisiteState,
    SyntaxError_,
)
from sql.functions_text import quote_ident, quote_literal
from sql.sequences import apply_options, read_options
from sql.session_api import SessionApi

_INTEGERS = {"smallint", "integer", "bigint"}


def run(session: SessionApi, catalog: Catalog, table: TableDef, tokens: list[Any], i: int) -> bool:
    """Run the action at ``tokens[i]`` if it adds an identity; False when it is another."""
    if not relations.words_at(tokens, i, "ALTER"):
        return False
    j = i + 1 + relations.words_at(tokens, i + 1, "COLUMN")
    name = relations.ident(tokens[j])
    if relations.words_at(tokens, j + 1, "DROP", "IDENTITY"):
        missing_ok = relations.words_at(tokens, j + 3, "IF", "EXISTS")
        end = j + 3 + 2 * missing_ok
        if end != len(tokens):
            raise SyntaxError_(f'syntax error at or near "{_text(tokens, end)}"')
        _drop(session, catalog, table, name, missing_ok)
        return True
    if relations.words_at(tokens, j + 1, "SET", "GENERATED"):
        k = j + 3
        if relations.words_at(tokens, k, "ALWAYS"):
            kind, k = "always", k + 1
        elif relations.words_at(tokens, k, "BY", "DEFAULT"):
            kind, k = "by default", k + 2
        else:
            raise SyntaxError_(f'syntax error at or near "{_text(tokens, k)}"')
        if k != len(tokens):
            raise FeatureNotSupported("this form of ALTER TABLE is not supported")
        _set_kind(session, catalog, table, name, kind)
        return True
    if not relations.words_at(tokens, j + 1, "ADD", "GENERATED"):
        return False
    j += 3
    if relations.words_at(tokens, j, "ALWAYS"):
        kind, j = "always", j + 1
    elif relations.words_at(tokens, j, "BY", "DEFAULT"):
        kind, j = "by default", j + 2
    else:
        raise SyntaxError_(f'syntax error at or near "{_text(tokens, j)}"')
    if not relations.words_at(tokens, j, "AS", "IDENTITY"):
        raise SyntaxError_(f'syntax error at or near "{_text(tokens, j)}"')
    j += 2
    seq_name: relations.Name | None = None
    opts: dict[str, Any] = {}
    if j < len(tokens) and tokens[j].token_type == TokenType.L_PAREN:
        close = _closing(tokens, j)
        inner = tokens[j + 1 : close]
        if relations.words_at(inner, 0, "SEQUENCE", "NAME"):
            names, k = relations.read_names(inner, 2)
            seq_name, inner = names[0], inner[k:]
        opts = read_options(inner, 0)
        j = close + 1
    if j != len(tokens):
        raise SyntaxError_(f'syntax error at or near "{_text(tokens, j)}"')
    _add(session, catalog, table, name, kind, seq_name, opts)
    return True


def _add(
    session: SessionApi,
    catalog: Catalog,
    original: TableDef,
    name: str,
    kind: str,
    seq_name: relations.Name | None,
    opts: dict[str, Any],
) -> None:
    table = copy.deepcopy(original)
    col = table.column(name)
    where = f'column "{name}" of relation "{table.name}"'
    if col.identity:
        raise ObjectNotInPrerequisiteState(f"{where} is already an identity column")
    if col.default is not None:
        raise ObjectNotInPrerequisiteState(f"{where} already has a default value")
    if not col.not_null:
        raise ObjectNotInPrerequisiteState(
            f"{where} must be declared NOT NULL before identity can be added"
        )
    if col.type.name not in _INTEGERS or col.type.element is not None:
        raise InvalidParameterValue("identity column type must be smallint, integer, or bigint")
    schema = (seq_name.schema if seq_name else None) or table.schema
    seq = seq_name.name if seq_name else f"{table.name}_{name}_seq"
    if relations.lookup(catalog, relations.Name(schema, seq), []) is not None:
        raise DuplicateTable(f'relation "{seq}" already exists')
    store, txn = session.database.catalogs, session.current_txn()
    sequence = TableDef(
        id=store.next_id(txn),
        schema=schema,
        name=seq,
        columns=[],
        kind="sequence",
        seq=apply_options(None, {"type": col.type.name, **opts}),
    )
    store.put_table(txn, grants.owned(session, sequence), catalog, new=True)
    session.database.sequences.fresh(sequence.id)
    col.identity = kind
    col.sequence = seq
    qualified = quote_literal(f"{quote_ident(schema)}.{quote_ident(seq)}")
    col.default = f"nextval({qualified}::regclass)"  # shown by regclass_text
    store.put_table(txn, table, catalog, new=False)


def _identity_column(table: TableDef, name: str) -> tuple[Any, str]:
    col = table.column(name)
    return col, f'column "{name}" of relation "{table.name}" is not an identity column'


def _drop(
    session: SessionApi, catalog: Catalog, original: TableDef, name: str, missing_ok: bool
) -> None:
    table = copy.deepcopy(original)
    col, not_identity = _identity_column(table, name)
    if not col.identity:
        if not missing_ok:
            raise ObjectNotInPrerequisiteState(not_identity)
        session.notices.append(f"{not_identity}, skipping")
        return
    store, txn = session.database.catalogs, session.current_txn()
    seq = catalog.find(col.sequence, table.schema, []) if col.sequence else None
    if seq is not None:
        store.drop_table(txn, seq)
    col.identity = col.default = col.sequence = None
    store.put_table(txn, table, catalog, new=False)


def _set_kind(
    session: SessionApi, catalog: Catalog, original: TableDef, name: str, kind: str
) -> None:
    table = copy.deepcopy(original)
    col, not_identity = _identity_column(table, name)
    if not col.identity:
        raise ObjectNotInPrerequisiteState(not_identity)
    col.identity = kind
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)


def _closing(tokens: list[Any], j: int) -> int:
    depth = 0
    for k in range(j, len(tokens)):
        depth += tokens[k].token_type == TokenType.L_PAREN
        depth -= tokens[k].token_type == TokenType.R_PAREN
        if depth == 0:
            return k
    raise SyntaxError_("syntax error at end of input")


def _text(tokens: list[Any], j: int) -> str:
    return str(tokens[j].text) if j < len(tokens) else ""
