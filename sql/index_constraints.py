"""ALTER TABLE ... ADD [CONSTRAINT name] {PRIMARY KEY | UNIQUE} USING INDEX index, which
sqlglot does not read: an existing unique index becomes the constraint's, with PostgreSQL's
checks of it (55000, 42809, 42704). db9 keys a table's rows by its primary key and builds a
UNIQUE constraint's index from the constraint, so the index is replaced by the one the
equivalent ``ADD CONSTRAINT name PRIMARY KEY|UNIQUE (columns)`` makes, under the
constraint's name (PostgreSQL renames the index to it too).

An ALTER TABLE of several actions runs them in order: each other action through the caller's
``run`` (the ALTER TABLE of that one action), so ``DROP CONSTRAINT old_pkey, ADD PRIMARY KEY
USING INDEX i`` works as in PostgreSQL.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from kv import dropped
from sql import relations
from sql.errors import (
    FeatureNotSupported,
    ObjectNotInPrerequisiteState,
    SyntaxError_,
    UndefinedObject,
    WrongObjectType,
)
from sql.layout import index_prefix
from sql.session_api import SessionApi


def _actions(tokens: list[Any], i: int) -> list[tuple[int, int]]:
    """The [start, end) token ranges of the comma-separated actions from ``tokens[i]``."""
    out, depth, start = [], 0, i
    for k in range(i, len(tokens)):
        kind = tokens[k].token_type
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth == 0 and kind == TokenType.COMMA:
            out.append((start, k))
            start = k + 1
    out.append((start, len(tokens)))
    return out


def _using_index(tokens: list[Any], lo: int, hi: int) -> int | None:
    """The position of USING INDEX in an ADD ... PRIMARY KEY | UNIQUE action, or None."""
    if not relations.words_at(tokens, lo, "ADD"):
        return None
    for k in range(lo, hi - 2):
        before = str(tokens[k - 1].text).upper().split()[-1:]  # PRIMARY KEY is one token
        if relations.words_at(tokens, k, "USING", "INDEX") and before in (["KEY"], ["UNIQUE"]):
            return k
    return None


def run(
    session: SessionApi,
    table_id: int,
    tokens: list[Any],
    i: int,
    text: str,
    run_action: Callable[[str], None],
) -> bool:
    """The ALTER TABLE actions from ``tokens[i]`` when one of them is ADD ... USING INDEX
    (False, nothing done, when none is); ``run_action`` runs one other action's text."""
    actions = _actions(tokens, i)
    if not any(_using_index(tokens, lo, hi) is not None for lo, hi in actions):
        return False
    base = tokens[0].start
    for lo, hi in actions:
        at = _using_index(tokens, lo, hi)
        if at is None:
            run_action(text[tokens[lo].start - base : tokens[hi - 1].end + 1 - base])
        else:
            _add(session, table_id, tokens, lo, at, hi, run_action)
    return True


def _add(
    session: SessionApi,
    table_id: int,
    tokens: list[Any],
    lo: int,
    at: int,
    hi: int,
    run_action: Callable[[str], None],
) -> None:
    catalog = copy.deepcopy(session.catalog())  # changed below: never the shared one
    table = catalog.tables[table_id]
    name = (
        relations.ident(tokens[lo + 2])
        if relations.words_at(tokens, lo + 1, "CONSTRAINT")
        else None
    )
    primary = str(tokens[at - 1].text).upper().endswith("KEY")
    if at + 2 >= hi:
        raise SyntaxError_("syntax error at end of input")
    index_name = relations.ident(tokens[at + 2])
    options = " ".join(str(t.text).upper() for t in tokens[at + 3 : hi])
    if table.partkey is not None:
        raise FeatureNotSupported(
            "ALTER TABLE / ADD CONSTRAINT USING INDEX is not supported on partitioned tables"
        )
    index = table.index(index_name)
    if index is None:
        owner = next((t for t in catalog.all_tables() if t.index(index_name) is not None), None)
        if owner is None:
            raise UndefinedObject(f'index "{index_name}" does not exist')
        raise ObjectNotInPrerequisiteState(
            f'index "{index_name}" does not belong to table "{table.name}"'
        )
    if index.primary or any(c.index == index.name for c in table.constraints):
        raise ObjectNotInPrerequisiteState(
            f'index "{index_name}" is already associated with a constraint'
        )
    detail = "Cannot create a primary key or unique constraint using such an index."
    if not index.unique:
        raise WrongObjectType(f'"{index_name}" is not a unique index', detail=detail)
    if index.exprs:
        raise WrongObjectType(f'index "{index_name}" contains expressions', detail=detail)
    if index.predicate:
        raise WrongObjectType(f'"{index_name}" is a partial index', detail=detail)
    if index.method != "btree":
        raise WrongObjectType(f'index "{index_name}" is not a btree', detail=detail)
    for n in range(len(index.columns)):
        if (index.descending and index.descending[n]) or (index.opclasses and index.opclasses[n]):
            raise WrongObjectType(
                f'index "{index_name}" column number {n + 1} does not have default sorting '
                "behavior",
                detail=detail,
            )
    con_name = name or index_name
    table.indexes = [i for i in table.indexes if i is not index]
    dropped.schedule(session.current_txn(), index_prefix(session.db, table.id, index.id))
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in index.columns)
    nulls = " NULLS NOT DISTINCT" if index.nulls_not_distinct and not primary else ""
    kind = "PRIMARY KEY" if primary else f"UNIQUE{nulls}"
    quoted = '"' + con_name.replace('"', '""') + '"'
    run_action(f"ADD CONSTRAINT {quoted} {kind} ({cols}) {options}".strip())
