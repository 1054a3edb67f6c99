"""ALTER FUNCTION / PROCEDURE / ROUTINE / AGGREGATE / DOMAIN / TYPE ... OWNER TO role: the
statements a pg_dump restore runs after each object it creates. Read with PostgreSQL's own
grammar (pglast); the other forms of these commands are refused with 0A000. A table's,
sequence's and view's OWNER TO is ALTER TABLE's (sql.ddl)."""

from __future__ import annotations

import copy
from typing import Any

from pglast import ast
from pglast.enums import ObjectType, RoleSpecType

from sql import privileges, roles, routine_ddl
from sql.catalog import Catalog, RoleDef
from sql.errors import (
    FeatureNotSupported,
    InsufficientPrivilege,
    SqlError,
    UndefinedObject,
    WrongObjectType,
)
from sql.result import Result
from sql.routine_ddl import parse
from sql.session_api import SessionApi

COMMANDS = frozenset(
    {"ALTER FUNCTION", "ALTER PROCEDURE", "ALTER ROUTINE", "ALTER AGGREGATE", "ALTER DOMAIN"}
)
_ROUTINE_KINDS = {
    ObjectType.OBJECT_FUNCTION: "function",
    ObjectType.OBJECT_PROCEDURE: "procedure",
    ObjectType.OBJECT_ROUTINE: "routine",
    ObjectType.OBJECT_AGGREGATE: "aggregate",
}


def is_owner_to(text: str) -> bool:
    try:
        return isinstance(parse(text), ast.AlterOwnerStmt)
    except SqlError:
        return False


def run(session: SessionApi, command: str, text: str) -> Result:
    stmt: Any = parse(text)
    if not isinstance(stmt, ast.AlterOwnerStmt):
        raise FeatureNotSupported(f"{command} is supported only as OWNER TO")
    catalog = session.catalog()
    owner = _role(session, catalog, stmt.newowner)
    store, txn = session.database.catalogs, session.current_txn()
    if stmt.objectType in _ROUTINE_KINDS:
        routine = routine_ddl.lookup(session, stmt.object, _ROUTINE_KINDS[stmt.objectType])
        assert routine is not None  # not missing_ok: 42883 raised
        if routine.owner != owner.oid:
            if not _owns(session, catalog, routine.owner):
                raise InsufficientPrivilege(f"must be owner of function {routine.name}")
            changed = copy.deepcopy(routine)
            changed.owner = owner.oid
            store.put_routine(txn, changed)
        return Result(command)
    if stmt.objectType in (ObjectType.OBJECT_DOMAIN, ObjectType.OBJECT_TYPE):
        names = [str(getattr(n, "sval", n)) for n in stmt.object or ()]
        schema = names[0] if len(names) > 1 else None
        found = catalog.find_type(names[-1], schema, session.search_path())
        domain = stmt.objectType == ObjectType.OBJECT_DOMAIN
        if found is None:
            raise UndefinedObject(f'type "{".".join(names)}" does not exist')
        if domain and found.kind != "domain":
            raise WrongObjectType(f'"{found.name}" is not a domain')
        if found.owner != owner.oid:
            privileges.require_owner(session, found, "type", found.name)
            changed_type = copy.deepcopy(found)
            changed_type.owner = owner.oid
            store.put_table(txn, changed_type, catalog, new=False)
        return Result(command)
    raise FeatureNotSupported(f"{command} is supported only as OWNER TO")


def _role(session: SessionApi, catalog: Catalog, spec: Any) -> RoleDef:
    if spec.roletype == RoleSpecType.ROLESPEC_CSTRING:
        return roles.named(session, catalog, str(spec.rolename))
    if spec.roletype == RoleSpecType.ROLESPEC_SESSION_USER:
        return roles.named(session, catalog, "SESSION_USER")
    return roles.named(session, catalog, "CURRENT_USER")


def _owns(session: SessionApi, catalog: Catalog, owner: int) -> bool:
    if roles.is_superuser(session):
        return True
    return owner in roles.memberships(catalog, roles.current(session, catalog).oid)
