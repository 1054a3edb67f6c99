"""CREATE TYPE (AS ENUM, AS (fields), AS RANGE), CREATE DOMAIN, ALTER TYPE (ADD VALUE and
OWNER TO here, the rest in sql.type_alter), DROP TYPE and DROP DOMAIN, read from their
tokens. A user-defined type is a catalog entry (a TableDef of a kind in catalog.TYPE_KINDS)
in the namespace of relations; a column of such a type keeps the type with it
(ColumnDef.udt), brought up to date when the type changes (type_deps.refresh_dependents)."""

from __future__ import annotations

import copy
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import grants, owner_ddl, relations, temp, type_alter
from sql import types as T
from sql.catalog import SYSTEM_SCHEMAS, Catalog, ColumnDef, ConstraintDef, TableDef
from sql.errors import (
    DependentObjectsStillExist,
    DuplicateObject,
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidSchemaName,
    SyntaxError_,
    UndefinedObject,
    WrongObjectType,
)
from sql.expr import datatype_to_sql
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.session_api import SessionApi
from sql.type_alter import attribute, type_of
from sql.type_deps import dependents, drop_with_dependents, owner_noun, refresh_dependents
from sql.user_types import is_row_type

COMMANDS = frozenset({"CREATE TYPE", "CREATE DOMAIN", "DROP TYPE", "DROP DOMAIN", "ALTER TYPE"})


def run(session: SessionApi, command: str, text: str, tokens: list[Any], start: int) -> Result:
    """Run one of COMMANDS; ``start`` is the statement's offset, which token offsets include."""
    words = [str(t.text).upper() for t in tokens]
    catalog = copy.deepcopy(session.catalog())
    if command == "CREATE TYPE":
        return _create_type(session, catalog, text, tokens, words, start)
    if command == "CREATE DOMAIN":
        return _create_domain(session, catalog, text, tokens, words, start)
    if command == "ALTER TYPE":
        return _alter_type(session, catalog, tokens, words, text, start)
    return _drop(session, catalog, command, tokens)


def _name_at(
    session: SessionApi, catalog: Catalog, tokens: list[Any], i: int
) -> tuple[str, str, int]:
    """The schema a new type named at ``tokens[i]`` goes in, its name, and the next index."""
    names, j = relations.read_names(tokens, i)
    name = names[0]
    if name.schema is not None:
        if name.schema not in catalog.schemas:
            raise InvalidSchemaName(f'schema "{name.schema}" does not exist')
        return name.schema, name.name, j
    for s in session.search_path():
        if s in catalog.schemas and s not in SYSTEM_SCHEMAS and not temp.is_temp_schema(s):
            return s, name.name, j
    raise InvalidSchemaName("no schema has been selected to create in")


def _put_new(session: SessionApi, catalog: Catalog, t: TableDef) -> Result:
    store = session.database.catalogs
    txn = session.current_txn()
    t.id = store.next_id(txn)
    t.type_def["array_oid"] = store.next_id(txn)
    store.put_table(txn, grants.owned(session, t), catalog, new=True)
    return Result("CREATE TYPE" if t.kind != "domain" else "CREATE DOMAIN")


def _put_range(session: SessionApi, catalog: Catalog, t: TableDef, multi: str | None) -> Result:
    """A range type and its multirange type, named as makeMultirangeTypeName names it (the
    first "range" in the name made "multirange", else "_multirange" added) unless
    multirange_type_name says."""
    if multi:
        mschema, _, mname = multi.rpartition(".")
        mname, mschema = mname.strip('"'), mschema.strip('"') or t.schema
    else:
        mschema, at = t.schema, t.name.find("range")
        mname = t.name[:at] + "multi" + t.name[at:] if at >= 0 else t.name + "_multirange"
    if catalog.find_type(mname, mschema, [mschema]) is not None:
        raise DuplicateObject(f'type "{mname}" already exists')
    result = _put_new(session, catalog, t)
    m = TableDef(id=0, schema=mschema, name=mname, columns=[])
    m.kind = "multirange"
    m.type_def = {"subtype": t.type_def["subtype"], "range_id": t.id, "range_name": t.name,
                  "range_array_oid": t.type_def["array_oid"]}  # fmt: skip
    _put_new(session, catalog, m)
    t.type_def["multirange_oid"] = m.id
    session.database.catalogs.put_table(session.current_txn(), t, catalog, new=False)
    return result


def _create_type(
    session: SessionApi,
    catalog: Catalog,
    text: str,
    tokens: list[Any],
    words: list[str],
    start: int,
) -> Result:
    schema, name, i = _name_at(session, catalog, tokens, 2)
    if i >= len(words) or words[i] != "AS":
        raise FeatureNotSupported("CREATE TYPE is supported only as ENUM, RANGE or a composite")
    i += 1
    t = TableDef(id=0, schema=schema, name=name, columns=[])
    if i < len(words) and words[i] == "ENUM":
        _, end = relations.paren_text(text, tokens, i + 1, start)
        inside = tokens[i + 2 : end - 1]
        labels = [str(tok.text) for tok in inside if tok.token_type == TokenType.STRING]
        if any(tok.token_type not in (TokenType.STRING, TokenType.COMMA) for tok in inside):
            bad = next(tok for tok in inside if tok.token_type != TokenType.STRING)
            raise SyntaxError_(f'syntax error at or near "{bad.text}"')
        for label in labels:
            if len(label.encode()) > 63:
                raise InvalidParameterValue(
                    f'invalid enum label "{label}"',
                    detail="Labels must be 63 bytes or less.",
                )
        if len(set(labels)) != len(labels):
            dup = next(x for x in labels if labels.count(x) > 1)
            raise DuplicateObject(f'enum label "{dup}" used more than once')
        t.kind, t.type_def = "enum", {"labels": labels}
        return _put_new(session, catalog, t)
    if i < len(words) and words[i] == "RANGE":
        inner, _ = relations.paren_text(text, tokens, i + 1, start)
        options = dict(
            (k.strip().lower(), v.strip()) for k, _, v in
            (part.partition("=") for part in inner.split(","))
        )  # fmt: skip
        subtype = options.get("subtype")
        if not subtype:
            raise InvalidParameterValue('type attribute "subtype" is required')
        type_of(subtype)
        t.kind, t.type_def = "range", {"subtype": subtype}
        return _put_range(session, catalog, t, options.get("multirange_type_name"))
    inner, _ = relations.paren_text(text, tokens, i, start)
    t.kind = "composite"
    t.columns = _fields(inner)
    return _put_new(session, catalog, t)


def _fields(inner: str) -> list[ColumnDef]:
    if not inner.strip():
        return []
    tree = sqlglot.parse_one(f"CREATE TABLE x ({inner})", read=DIALECT)
    out = []
    for n, cd in enumerate(tree.find_all(exp.ColumnDef), 1):
        kind = cd.args.get("kind")
        if kind is None or cd.constraints:
            raise SyntaxError_(f'syntax error at or near "{cd.name}"')
        out.append(attribute(cd.name, datatype_to_sql(kind), n))
    return out


_DOMAIN_WORDS = {"DEFAULT", "CONSTRAINT", "NOT", "NULL", "CHECK", "COLLATE"}


def _create_domain(
    session: SessionApi,
    catalog: Catalog,
    text: str,
    tokens: list[Any],
    words: list[str],
    start: int,
) -> Result:
    schema, name, i = _name_at(session, catalog, tokens, 2)
    if i < len(words) and words[i] == "AS":
        i += 1
    j = i
    depth = 0
    while j < len(tokens) and (depth or words[j] not in _DOMAIN_WORDS):
        depth += tokens[j].token_type == TokenType.L_PAREN
        depth -= tokens[j].token_type == TokenType.R_PAREN
        j += 1
    if j == i:
        raise SyntaxError_("syntax error at end of input")
    base = type_of(text[tokens[i].start - start : tokens[j - 1].end + 1 - start])
    value = attribute("value", base, 1)
    t = TableDef(id=0, schema=schema, name=name, columns=[value], kind="domain")
    constraint: str | None = None
    while j < len(tokens):
        w = words[j]
        if w == "CONSTRAINT" and j + 1 < len(tokens):
            constraint = relations.ident(tokens[j + 1])
            j += 2
            continue
        if w == "NOT" and j + 1 < len(words) and words[j + 1] == "NULL":
            value.not_null = True
            j += 2
        elif w == "NULL":
            j += 1
        elif w == "CHECK":
            check, j = relations.paren_text(text, tokens, j + 1, start)
            t.constraints.append(ConstraintDef(constraint or f"{name}_check", "c", check=check))
        elif w == "DEFAULT":
            k = j + 1
            depth = 0
            while k < len(tokens) and (depth or words[k] not in _DOMAIN_WORDS - {"NULL"}):
                depth += tokens[k].token_type == TokenType.L_PAREN
                depth -= tokens[k].token_type == TokenType.R_PAREN
                k += 1
            value.default = text[tokens[j + 1].start - start : tokens[k - 1].end + 1 - start]
            j = k
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[j].text}"')
        constraint = None
    return _put_new(session, catalog, t)


def _alter_type(
    session: SessionApi,
    catalog: Catalog,
    tokens: list[Any],
    words: list[str],
    text: str,
    start: int,
) -> Result:
    names, i = relations.read_names(tokens, 2)
    path = session.search_path()
    if type_alter.is_attribute_form(words, i):
        t = type_alter.composite(catalog, names[0], path)
        return type_alter.alter_attributes(session, catalog, t, tokens, i, text, start)
    found = catalog.find_type(names[0].name, names[0].schema, path)
    if found is None and catalog.find(names[0].name, names[0].schema, path):
        raise WrongObjectType(
            f"{names[0].name} is a table's row type", hint="Use ALTER TABLE instead."
        )
    if found is None:
        raise UndefinedObject(f'type "{names[0]}" does not exist')
    if words[i : i + 2] == ["OWNER", "TO"]:
        return owner_ddl.run(session, "ALTER TYPE", text)
    if words[i : i + 2] == ["RENAME", "TO"] and len(tokens) == i + 3:
        return type_alter.rename_type(session, catalog, found, relations.ident(tokens[i + 2]))
    if words[i : i + 2] == ["SET", "SCHEMA"] and len(tokens) == i + 3:
        schema = relations.ident(tokens[i + 2])
        return type_alter.rename_type(session, catalog, found, found.name, schema)
    if words[i : i + 2] == ["RENAME", "VALUE"]:  # stored values are their labels' text
        raise FeatureNotSupported("ALTER TYPE ... RENAME VALUE is not supported")
    if words[i : i + 2] != ["ADD", "VALUE"]:
        near = tokens[i].text if i < len(tokens) else None
        raise SyntaxError_(
            f'syntax error at or near "{near}"' if near else "syntax error at end of input"
        )
    if found.kind != "enum":
        raise WrongObjectType(f'"{found.name}" is not an enum')
    i += 2
    if_not_exists = words[i : i + 3] == ["IF", "NOT", "EXISTS"]
    i += 3 * if_not_exists
    labels: list[str] = list(found.type_def["labels"])
    label = str(tokens[i].text)
    if label in labels:
        if if_not_exists:
            session.notices.append(f'enum label "{label}" already exists, skipping')
            return Result("ALTER TYPE")
        raise DuplicateObject(f'enum label "{label}" already exists')
    at = len(labels)
    if i + 2 < len(tokens) and words[i + 1] in ("BEFORE", "AFTER"):
        other = str(tokens[i + 2].text)
        if other not in labels:
            raise InvalidParameterValue(f'"{other}" is not an existing enum label')
        at = labels.index(other) + (words[i + 1] == "AFTER")
    labels.insert(at, label)
    found.type_def["labels"] = labels
    store, txn = session.database.catalogs, session.current_txn()
    store.put_table(txn, found, catalog, new=False)
    refresh_dependents(session, catalog, found)
    return Result("ALTER TYPE")


def _noun(t: TableDef) -> str:
    return {"view": "view", "sequence": "sequence"}.get(t.kind, "table")


def _drop(session: SessionApi, catalog: Catalog, command: str, tokens: list[Any]) -> Result:
    kind = command.split()[1]
    i = 2
    if_exists = relations.words_at(tokens, i, "IF", "EXISTS")
    i += 2 * if_exists
    names, i = relations.read_names(tokens, i)
    tail = [str(tok.text).upper() for tok in tokens[i:]]
    if tail not in ([], ["CASCADE"], ["RESTRICT"]):
        raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
    cascade = tail == ["CASCADE"]
    found: list[TableDef] = []
    for n in names:
        t = catalog.find_type(n.name, n.schema, session.search_path())
        builtin = T.type_by_name(n.name) if t is None and n.schema is None else None
        if builtin is not None and not is_row_type(builtin):
            raise DependentObjectsStillExist(
                f"cannot drop type {n.name} because it is required by the database system"
            )
        rel = catalog.find(n.name, n.schema, session.search_path()) if t is None else None
        if rel is not None and kind == "DOMAIN":
            raise WrongObjectType(f'"{n.name}" is not a domain')
        if rel is not None:
            raise DependentObjectsStillExist(
                f"cannot drop type {n.name} because {_noun(rel)} {n.name} requires it",
                hint=f"You can drop {_noun(rel)} {n.name} instead.",
            )
        if t is None:
            if not if_exists:
                raise UndefinedObject(f'type "{n.name}" does not exist')
            session.notices.append(f'type "{n.name}" does not exist, skipping')
            continue
        if kind == "DOMAIN" and t.kind != "domain":
            raise WrongObjectType(f'"{t.name}" is not a domain')
        if t.kind == "base":  # an extension's type (sql.extensions)
            ext = t.type_def["extension"]
            raise DependentObjectsStillExist(
                f"cannot drop type {t.name} because extension {ext} requires it",
                hint=f"You can drop extension {ext} instead.",
            )
        found.append(t)
    for t in found:
        deps = dependents(catalog, t)
        if deps and not cascade:
            noun = "type"
            first, col = deps[0]
            raise DependentObjectsStillExist(
                f"cannot drop {noun} {t.name} because other objects depend on it",
                detail=f"column {col.name} of {owner_noun(first)} {first.name} depends on "
                f"{noun} {t.name}",
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            )
        drop_with_dependents(session, catalog, t)
        multi = catalog.types.get(int(t.type_def.get("multirange_oid", 0)))
        if t.kind == "range" and multi is not None:  # its multirange goes with it
            session.database.catalogs.drop_table(session.current_txn(), multi)
    return Result("DROP TYPE" if kind == "TYPE" else "DROP DOMAIN")
