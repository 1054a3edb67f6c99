"""ALTER TABLE ... CLUSTER ON index, SET WITHOUT CLUSTER and REPLICA IDENTITY {DEFAULT | FULL
| NOTHING | USING INDEX index}: marks on a table and its indexes that db9 keeps for the
catalogs (pg_index.indisclustered / indisreplident, pg_class.relreplident) with PostgreSQL's
checks; db9 neither clusters rows nor logically replicates, so they change nothing else."""

from __future__ import annotations

from typing import Any

from sql import relations
from sql.catalog import Catalog, IndexDef, TableDef
from sql.errors import SyntaxError_, UndefinedObject, WrongObjectType
from sql.session_api import SessionApi

_IDENTITIES = {"DEFAULT": "d", "FULL": "f", "NOTHING": "n"}


def _index(table: TableDef, tok: Any) -> IndexDef:
    name = relations.ident(tok)
    index = table.index(name)
    if index is None:
        raise UndefinedObject(f'index "{name}" for table "{table.name}" does not exist')
    return index


def run(session: SessionApi, catalog: Catalog, table: TableDef, tokens: list[Any], i: int) -> bool:
    """The action at ``tokens[i]`` when it is one of these (False, nothing done, if not)."""
    rest = len(tokens) - i
    if relations.words_at(tokens, i, "CLUSTER", "ON") and rest == 3:
        chosen = _index(table, tokens[i + 2])
        for index in table.indexes:
            index.clustered = index is chosen
    elif relations.words_at(tokens, i, "SET", "WITHOUT", "CLUSTER") and rest == 3:
        for index in table.indexes:
            index.clustered = False
    elif relations.words_at(tokens, i, "REPLICA", "IDENTITY") and rest >= 3:
        word = str(tokens[i + 2].text).upper()
        if word in _IDENTITIES and rest == 3:
            table.replident = _IDENTITIES[word]
            chosen = None
        elif relations.words_at(tokens, i + 2, "USING", "INDEX") and rest == 5:
            chosen = _index(table, tokens[i + 4])
            _check_identity(table, chosen)
            table.replident = "i"
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[i + 2].text}"')
        for index in table.indexes:
            index.replident = index is chosen
    else:
        return False
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return True


def _check_identity(table: TableDef, index: IndexDef) -> None:
    """42809 for an index PostgreSQL refuses as a replica identity."""
    if not (index.unique or index.primary):
        raise WrongObjectType(f'cannot use non-unique index "{index.name}" as replica identity')
    if any(c.index == index.name and c.deferrable for c in table.constraints):
        raise WrongObjectType(f'cannot use non-immediate index "{index.name}" as replica identity')
    if index.exprs:
        raise WrongObjectType(f'cannot use expression index "{index.name}" as replica identity')
    if index.predicate:
        raise WrongObjectType(f'cannot use partial index "{index.name}" as replica identity')
    for col in index.columns:
        if not table.column(col).not_null and col not in table.primary_key:
            raise WrongObjectType(
                f'index "{index.name}" cannot be used as replica identity because column '
                f'"{col}" is nullable'
            )
