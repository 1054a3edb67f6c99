"""ALTER TYPE on a user-defined type's shape and name: a composite type's attributes (ADD,
DROP [IF EXISTS], ALTER ... [SET DATA] TYPE, RENAME ATTRIBUTE, several comma-separated),
RENAME TO, SET SCHEMA and an enum's RENAME VALUE, as PostgreSQL 15 runs them.

A composite type keeps its attributes as a relation keeps its columns: a dropped one stays
in TableDef.columns (dropped), an added one gets the next attnum. Values stored before the
change stay as they are and read through the new shape (SqlType.slots): a dropped
attribute disappears, an added one reads NULL; so ALTER ATTRIBUTE ... TYPE, which would
have to convert them, is refused while a table column stores the type (0A000).
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import index_exprs, relations, table_data
from sql import types as T
from sql.catalog import BUILT_IN_COLLATIONS, TYPE_KINDS, Catalog, ColumnDef, TableDef
from sql.errors import (
    DatatypeMismatch,
    DuplicateColumn,
    DuplicateObject,
    DuplicateTable,
    FeatureNotSupported,
    InvalidSchemaName,
    InvalidTableDefinition,
    SyntaxError_,
    UndefinedColumn,
    UndefinedTable,
    WrongObjectType,
)
from sql.expr import datatype_to_sql
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.session_api import SessionApi
from sql.type_deps import dependents, mentions, refresh_dependents
from sql.user_types import column_udt

ATTRIBUTE_ACTIONS = frozenset({"ADD", "DROP", "ALTER"})
_COLLATABLE = ("text", "character varying", "character", "name", "citext")
# PostgreSQL runs a statement's actions by pass, whatever their order: drops, then type
# changes, then additions (AlterTableGetLockLevel's AT_PASS_DROP < ALTER_TYPE < ADD_COL).
_PASS = {"DROP": 0, "ALTER": 1, "ADD": 2}


def type_of(sql: str) -> T.SqlType:
    """The type written ``sql`` (an attribute's, a domain's base type, a range's subtype)."""
    try:
        cast = sqlglot.parse_one(f"CAST(NULL AS {sql})", read=DIALECT)
    except sqlglot.errors.ParseError:
        raise SyntaxError_(f'syntax error at or near "{sql.split()[0]}"') from None
    assert isinstance(cast, exp.Cast)
    return datatype_to_sql(cast.to)


def attribute(name: str, t: T.SqlType, attnum: int) -> ColumnDef:
    """A composite type's attribute (or a domain's value) ``name`` of type ``t``."""
    type_name, mods, array = table_data.type_fields(t, name)
    return ColumnDef(name, type_name, attnum, mods, array=array, udt=column_udt(t))


def is_attribute_form(words: list[str], i: int) -> bool:
    """Whether ALTER TYPE's action at ``words[i]`` is one on attributes (the type must then
    be a composite type, found as a relation)."""
    head = words[i : i + 2]
    return head[1:] == ["ATTRIBUTE"] and head[0] in (*ATTRIBUTE_ACTIONS, "RENAME")


def composite(catalog: Catalog, name: relations.Name, path: list[str]) -> TableDef:
    """The composite type an attribute action names, resolved as PostgreSQL resolves it:
    as a relation (42P01 for an enum or no such name, 42809 for a table)."""
    found = catalog.find_type(name.name, name.schema, path)
    if found is not None and found.kind == "composite":
        return found
    if found is None and catalog.find(name.name, name.schema, path) is not None:
        raise WrongObjectType(f'"{name.name}" is not a composite type')
    raise UndefinedTable(f'relation "{name}" does not exist')


def alter_attributes(
    session: SessionApi, catalog: Catalog, t: TableDef, tokens: list[Any], i: int, text: str,
    start: int,
) -> Result:  # fmt: skip
    """Run the comma-separated attribute actions from ``tokens[i]`` on the composite type
    ``t``, then store it and bring the columns of it up to date."""
    words = [str(tok.text).upper() for tok in tokens]
    if words[i] == "RENAME":
        _rename_attribute(t, tokens, words, i + 2)
    else:
        actions = _split(tokens, i)
        if any(words[a] not in ATTRIBUTE_ACTIONS or words[a + 1 : a + 2] != ["ATTRIBUTE"]
               for a, _ in actions):  # fmt: skip
            bad = next(a for a, _ in actions if words[a] not in ATTRIBUTE_ACTIONS
                       or words[a + 1 : a + 2] != ["ATTRIBUTE"])  # fmt: skip
            raise _near(tokens, bad + (words[bad] in ATTRIBUTE_ACTIONS))
        for a, end in sorted(actions, key=lambda pair: _PASS[words[pair[0]]]):
            if words[a] == "DROP":
                _drop_attribute(session, t, tokens, words, a + 2, end)
            elif words[a] == "ALTER":
                _alter_attribute(session, catalog, t, tokens, words, a + 2, end, text, start)
            else:
                _add_attribute(session, t, tokens, words, a + 2, end, text, start)
    session.database.catalogs.put_table(session.current_txn(), t, catalog, new=False)
    reshaped = words[i] != "RENAME"
    keyed = set()
    for owner, col in refresh_dependents(session, catalog, t):
        if (
            reshaped
            and owner.kind == "table"
            and any(col.name in index_exprs.referenced_columns(x) for x in owner.indexes)
        ):
            keyed.add(owner.id)
    for table_id in sorted(keyed):  # keys hold its values by the old shape (SqlType.slots)
        table_data.rekey(session, catalog.tables[table_id])
    return Result("ALTER TYPE")


def _split(tokens: list[Any], i: int) -> list[tuple[int, int]]:
    """The (start, end) token ranges of the actions from ``tokens[i]``, split at commas
    outside parentheses."""
    out, depth, begin = [], 0, i
    for j in range(i, len(tokens)):
        kind = tokens[j].token_type
        depth += kind == TokenType.L_PAREN
        depth -= kind == TokenType.R_PAREN
        if kind == TokenType.COMMA and depth == 0:
            out.append((begin, j))
            begin = j + 1
    if begin >= len(tokens):
        raise SyntaxError_("syntax error at end of input")
    out.append((begin, len(tokens)))
    return out


def _behaviour(words: list[str], j: int, end: int) -> int:
    """The end of an action less its trailing CASCADE or RESTRICT (db9 has no typed tables,
    the only objects either applies to)."""
    return end - 1 if end > j and words[end - 1] in ("CASCADE", "RESTRICT") else end


def _missing(t: TableDef, name: str) -> UndefinedColumn:
    return UndefinedColumn(f'column "{name}" of relation "{t.name}" does not exist')


def _live(t: TableDef, name: str) -> ColumnDef | None:
    return next((c for c in t.live_columns if c.name == name), None)


def _near(tokens: list[Any], j: int) -> SyntaxError_:
    if j >= len(tokens):
        return SyntaxError_("syntax error at end of input")
    return SyntaxError_(f'syntax error at or near "{tokens[j].text}"')


def _drop_attribute(
    session: SessionApi, t: TableDef, tokens: list[Any], words: list[str], j: int, end: int
) -> None:
    end = _behaviour(words, j, end)
    if_exists = words[j : j + 2] == ["IF", "EXISTS"]
    j += 2 * if_exists
    if j >= end:
        raise _near(tokens, j)
    if j + 1 < end:
        raise _near(tokens, j + 1)
    name = relations.ident(tokens[j])
    col = _live(t, name)
    if col is None and if_exists:
        session.notices.append(f'column "{name}" of relation "{t.name}" does not exist, skipping')
        return
    if col is None:
        raise _missing(t, name)
    col.dropped = True


def _type_at(
    session: SessionApi, t: TableDef, tokens: list[Any], words: list[str], j: int, end: int,
    text: str, start: int, column: str,
) -> tuple[Any, str | None]:  # fmt: skip
    """The type (and COLLATE) of an attribute written at ``tokens[j:end]``."""
    end = _behaviour(words, j, end)
    collate = next((k for k in range(j, end) if words[k] == "COLLATE"), end)
    if collate == j:
        raise _near(tokens, j)
    if words[collate + 1 : collate + 2] == [] and collate < end:
        raise _near(tokens, collate + 1)
    if collate < end and collate + 2 != end:
        raise _near(tokens, collate + 2)
    for k in range(j, collate):
        if words[k] == "USING":
            raise _near(tokens, k)
    new_type = type_of(text[tokens[j].start - start : tokens[collate - 1].end + 1 - start])
    named = relations.ident(tokens[collate + 1]) if collate < end else None
    if named is not None and (new_type.element or new_type).name not in _COLLATABLE:
        raise DatatypeMismatch(f"collations are not supported by type {new_type.display()}")
    udt = column_udt(new_type)
    if udt is not None and mentions(udt, t.id):
        raise InvalidTableDefinition(f"composite type {t.name} cannot be made a member of itself")
    return new_type, named if named in BUILT_IN_COLLATIONS else None


def _add_attribute(
    session: SessionApi, t: TableDef, tokens: list[Any], words: list[str], j: int, end: int,
    text: str, start: int,
) -> None:  # fmt: skip
    if j >= end:
        raise _near(tokens, j)
    name = relations.ident(tokens[j])
    if _live(t, name) is not None:
        raise DuplicateColumn(f'column "{name}" of relation "{t.name}" already exists')
    new_type, collation = _type_at(session, t, tokens, words, j + 1, end, text, start, name)
    col = attribute(name, new_type, max((c.attnum for c in t.columns), default=0) + 1)
    col.collation = collation
    t.columns.append(col)


def _alter_attribute(
    session: SessionApi, catalog: Catalog, t: TableDef, tokens: list[Any], words: list[str],
    j: int, end: int, text: str, start: int,
) -> None:  # fmt: skip
    if j >= end:
        raise _near(tokens, j)
    name = relations.ident(tokens[j])
    k = j + 1
    if words[k : k + 2] == ["SET", "DATA"]:
        k += 2
    if words[k : k + 1] != ["TYPE"]:
        raise _near(tokens, k)
    col = _live(t, name)
    if col is None:
        raise _missing(t, name)
    for owner, used in dependents(catalog, t):
        if owner.kind not in TYPE_KINDS:
            raise FeatureNotSupported(
                f'cannot alter type "{t.name}" because column "{owner.name}.{used.name}" uses it'
            )
    new_type, collation = _type_at(session, t, tokens, words, k + 1, end, text, start, name)
    new = attribute(name, new_type, col.attnum)
    new.collation = collation
    t.columns[t.columns.index(col)] = new


def _rename_attribute(t: TableDef, tokens: list[Any], words: list[str], j: int) -> None:
    end = _behaviour(words, j, len(tokens))
    if j + 3 != end or words[j + 1] != "TO":
        raise _near(tokens, min(j + 3, end) if j + 3 <= end else end)
    old, new = relations.ident(tokens[j]), relations.ident(tokens[j + 2])
    col = _live(t, old)
    if col is None:
        raise UndefinedColumn(f'column "{old}" does not exist')
    if _live(t, new) is not None:
        raise DuplicateColumn(f'column "{new}" of relation "{t.name}" already exists')
    col.name = new


def rename_type(
    session: SessionApi, catalog: Catalog, t: TableDef, new: str, schema: str | None = None
) -> Result:
    """RENAME TO ``new`` (or SET SCHEMA ``schema``): the type, its multirange's record of a
    range's name, and every column of it."""
    target = schema or t.schema
    if schema is not None and schema not in catalog.schemas:
        raise InvalidSchemaName(f'schema "{schema}" does not exist')
    if schema == t.schema:  # SET SCHEMA to its own schema: nothing to do (RENAME TO its
        return Result("ALTER TYPE")  # own name clashes with itself, as in PostgreSQL)
    clash = catalog.find_type(new, target, [])
    rel = catalog.find(new, target, [])
    in_schema = f' in schema "{target}"' if schema is not None else ""
    if (
        schema is None
        and t.kind == "composite"
        and (rel is not None or (clash is not None and clash.kind == "composite"))
    ):
        raise DuplicateTable(f'relation "{new}" already exists')
    if clash is not None or rel is not None:
        raise DuplicateObject(f'type "{new}" already exists{in_schema}')
    store, txn = session.database.catalogs, session.current_txn()
    store.rename_table(txn, t, t.name)
    t.name, t.schema = new, target
    store.put_table(txn, t, catalog, new=False)
    multi = catalog.types.get(int(t.type_def.get("multirange_oid", 0)))
    if t.kind == "range" and multi is not None:
        multi.type_def["range_name"] = new
        if schema is not None:  # a range's multirange moves with it
            store.rename_table(txn, multi, multi.name)
            multi.schema = schema
        store.put_table(txn, multi, catalog, new=False)
    refresh_dependents(session, catalog, t)
    return Result("ALTER TYPE")
