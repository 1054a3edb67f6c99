"""CREATE, ALTER, DROP EXTENSION and COMMENT ON EXTENSION of the built-in extensions
(sql.extensions: what each installs). Installing allocates the extension's oid and puts its
base types in the catalog; dropping removes them, with the columns of them under CASCADE
(sql.type_deps), as DROP SCHEMA of the extension's schema does."""

from __future__ import annotations

import copy
from typing import Any

from sql import grants, relations, roles, type_deps
from sql.catalog import SYSTEM_SCHEMAS, Catalog, Installed, TableDef
from sql.errors import (
    DependentObjectsStillExist,
    DuplicateObject,
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidParameterValue,
    InvalidSchemaName,
    ReadOnlySqlTransaction,
    SyntaxError_,
    UndefinedObject,
)
from sql.extensions import EXTENSIONS, Extension, extension_types
from sql.result import Result
from sql.session_api import SessionApi

COMMANDS = frozenset({"CREATE EXTENSION", "DROP EXTENSION", "ALTER EXTENSION"})


def run(session: SessionApi, command: str, tokens: list[Any]) -> Result:
    if session.read_only:
        raise ReadOnlySqlTransaction(f"cannot execute {command} in a read-only transaction")
    if command == "DROP EXTENSION":
        return _drop(session, tokens)
    if command == "ALTER EXTENSION":
        return _alter(session, tokens)
    return _create(session, tokens)


def _alter(session: SessionApi, tokens: list[Any]) -> Result:
    """ALTER EXTENSION name UPDATE [TO version] | SET SCHEMA s: each built-in extension has
    one version, so updating is to the installed one (a notice) or has no path (22023);
    SET SCHEMA moves its types (a relocatable one only). ADD and DROP are not supported."""
    words = [str(t.text).upper() for t in tokens]
    if len(tokens) < 4:
        raise SyntaxError_("syntax error at end of input")
    name = relations.ident(tokens[2])
    catalog = session.catalog()
    installed = catalog.extensions.get(name)
    if words[3:5] == ["SET", "SCHEMA"] and len(tokens) == 6:
        return _set_schema(session, catalog, name, relations.ident(tokens[5]))
    if words[3] != "UPDATE":
        raise FeatureNotSupported(f"ALTER EXTENSION ... {words[3]} is not supported")
    if installed is None:
        raise UndefinedObject(f'extension "{name}" does not exist')
    version = EXTENSIONS[name].version
    wanted = str(tokens[5].text) if words[4:5] == ["TO"] and len(tokens) > 5 else version
    if wanted != version:
        raise InvalidParameterValue(
            f'extension "{name}" has no update path from version "{version}" to version "{wanted}"'
        )
    session.notices.append(f'version "{version}" of extension "{name}" is already installed')
    return Result("ALTER EXTENSION")


def _set_schema(session: SessionApi, catalog: Catalog, name: str, schema: str) -> Result:
    installed = catalog.extensions.get(name)
    if installed is None:
        raise UndefinedObject(f'extension "{name}" does not exist')
    if schema not in catalog.schemas:
        raise InvalidSchemaName(f'schema "{schema}" does not exist')
    if not EXTENSIONS[name].relocatable:
        raise FeatureNotSupported(f'extension "{name}" does not support SET SCHEMA')
    if schema == installed.schema:
        return Result("ALTER EXTENSION")
    store, txn = session.database.catalogs, session.current_txn()
    work = copy.deepcopy(catalog)
    for t in extension_types(work, name):
        store.rename_table(txn, t, t.name)  # its name leaves the old schema
        t.schema = schema
        store.put_table(txn, t, work, new=False)
    store.set_extensions(txn, {**catalog.extensions, name: installed._replace(schema=schema)})
    return Result("ALTER EXTENSION")


def comment(session: SessionApi, tokens: list[Any], i: int, text: str | None) -> None:
    """COMMENT ON EXTENSION name IS ... (the name at ``tokens[i]``)."""
    name = relations.ident(tokens[i])
    catalog = session.catalog()
    installed = catalog.extensions.get(name)
    if installed is None:
        raise UndefinedObject(f'extension "{name}" does not exist')
    changed = {**catalog.extensions, name: installed._replace(comment=text)}
    session.database.catalogs.set_extensions(session.current_txn(), changed)


def _create(session: SessionApi, tokens: list[Any]) -> Result:
    """CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v] [CASCADE]."""
    words = [str(t.text).upper() for t in tokens]
    i = 2
    if_not_exists = words[i : i + 3] == ["IF", "NOT", "EXISTS"]
    i += 3 if if_not_exists else 0
    if i >= len(tokens):
        raise SyntaxError_("syntax error at end of input")
    name = relations.ident(tokens[i])
    i += 1
    schema: str | None = None
    version: str | None = None
    while i < len(tokens):
        word = words[i]
        if word in ("WITH", "CASCADE"):
            i += 1
        elif word in ("SCHEMA", "VERSION") and i + 1 < len(tokens):
            value = relations.ident(tokens[i + 1])
            if word == "SCHEMA":
                schema = value
            else:
                version = str(tokens[i + 1].text)
            i += 2
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[i].text}"')
    catalog = session.catalog()
    if name in catalog.extensions:
        if not if_not_exists:
            raise DuplicateObject(f'extension "{name}" already exists')
        session.notices.append(f'extension "{name}" already exists, skipping')
        return Result("CREATE EXTENSION")
    ext = EXTENSIONS.get(name)
    if ext is None:
        raise FeatureNotSupported(f'extension "{name}" is not supported: db9 loads no extensions')
    if not ext.trusted and not roles.is_superuser(session):
        raise InsufficientPrivilege(
            f'permission denied to create extension "{name}"',
            hint="Must be superuser to create this extension.",
        )
    if version is not None and version != ext.version:
        raise FeatureNotSupported(
            f'extension "{name}" has no installation script nor update path for version "{version}"'
        )
    schema = _target_schema(session, catalog, name, ext, schema)
    store, txn = session.database.catalogs, session.current_txn()
    oid = store.next_id(txn)
    work = copy.deepcopy(catalog)
    for type_name, category, io in ext.types:
        t = TableDef(id=store.next_id(txn), schema=schema, name=type_name, columns=[])
        t.kind = "base"
        t.type_def = {
            "extension": name,
            "category": category,
            "io": io,
            "array_oid": store.next_id(txn),
        }
        store.put_table(txn, grants.owned(session, t), work, new=True)
    store.set_extensions(txn, {**catalog.extensions, name: Installed(oid, schema, ext.comment)})
    return Result("CREATE EXTENSION")


def _target_schema(
    session: SessionApi, catalog: Catalog, name: str, ext: Extension, schema: str | None
) -> str:
    """The schema an extension goes in: its fixed one, else WITH SCHEMA's, else the first
    existing schema of the search path (3F000 when there is none)."""
    if ext.schema is not None:
        if schema is not None and schema != ext.schema:
            raise FeatureNotSupported(
                f'extension "{name}" must be installed in schema "{ext.schema}"'
            )
        return ext.schema
    if schema is not None:
        if schema not in catalog.schemas:
            raise InvalidSchemaName(f'schema "{schema}" does not exist')
        return schema
    for s in session.search_path():
        if s in catalog.schemas and s not in SYSTEM_SCHEMAS:
            return s
    raise InvalidSchemaName("no schema has been selected to create in")


def _drop(session: SessionApi, tokens: list[Any]) -> Result:
    """DROP EXTENSION [IF EXISTS] name [, ...] [CASCADE | RESTRICT]: a column of one of the
    extension's types depends on it (2BP01; CASCADE drops the column)."""
    words = [str(t.text).upper() for t in tokens]
    i = 2
    if_exists = words[i : i + 2] == ["IF", "EXISTS"]
    i += 2 if if_exists else 0
    cascade = words[-1] == "CASCADE"
    end = len(tokens) - (1 if words[-1] in ("CASCADE", "RESTRICT") else 0)
    names = [relations.ident(t) for t in tokens[i:end] if t.text != ","]
    if not names:
        raise SyntaxError_("syntax error at end of input")
    catalog = session.catalog()
    gone: list[str] = []
    for name in names:
        if name not in catalog.extensions:
            if not if_exists:
                raise UndefinedObject(f'extension "{name}" does not exist')
            session.notices.append(f'extension "{name}" does not exist, skipping')
        elif name == "plpgsql":
            raise FeatureNotSupported("db9's plpgsql is built in: it cannot be dropped")
        else:
            gone.append(name)
    drop_installed(session, gone, cascade)
    return Result("DROP EXTENSION")


def drop_installed(session: SessionApi, names: list[str], cascade: bool) -> None:
    """Drop the installed extensions ``names`` and their types: 2BP01 if a column has one
    of the types, unless ``cascade`` (which drops the column)."""
    if not names:
        return
    catalog = session.catalog()
    work = copy.deepcopy(catalog)
    for name in names:
        for t in extension_types(work, name):
            deps = type_deps.dependents(work, t)
            if deps and not cascade:
                owner, col = deps[0]
                raise DependentObjectsStillExist(
                    f"cannot drop extension {name} because other objects depend on it",
                    detail=f"column {col.name} of {type_deps.owner_noun(owner)} {owner.name} "
                    f"depends on type {t.name}",
                    hint="Use DROP ... CASCADE to drop the dependent objects too.",
                )
            type_deps.drop_with_dependents(session, work, t)
    store, txn = session.database.catalogs, session.current_txn()
    store.set_extensions(txn, {k: v for k, v in catalog.extensions.items() if k not in names})


def in_schema(c: Catalog, schema: str) -> list[str]:
    """The installed extensions whose objects are in ``schema`` (DROP SCHEMA drops them)."""
    return [name for name, e in c.extensions.items() if e.schema == schema]
