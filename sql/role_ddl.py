"""CREATE / ALTER / DROP ROLE (and their USER and GROUP spellings), read from their tokens.

Roles belong to the database (db9 has no cluster-wide catalog): each is a sql.catalog.RoleDef.
Who may run these is PostgreSQL's rule: a superuser, or a role with CREATEROLE for roles
that are not superusers.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import privileges, relations, roles, scram
from sql.catalog import BOOTSTRAP_ROLE, Catalog, RoleDef
from sql.errors import (
    DependentObjectsStillExist,
    DuplicateObject,
    InsufficientPrivilege,
    ObjectInUse,
    ReservedName,
    SyntaxError_,
    UndefinedObject,
)
from sql.result import Result
from sql.session_api import SessionApi

_KINDS = ("ROLE", "USER", "GROUP")
COMMANDS = frozenset(f"{verb} {kind}" for verb in ("CREATE", "ALTER", "DROP") for kind in _KINDS)

# Option words and the RoleDef field each sets (the NO... spelling clears it).
_FLAGS = {
    "SUPERUSER": "superuser",
    "CREATEDB": "createdb",
    "CREATEROLE": "createrole",
    "INHERIT": "inherit",
    "LOGIN": "login",
    "REPLICATION": "replication",
    "BYPASSRLS": "bypassrls",
}


def run(session: SessionApi, command: str, tokens: list[Any]) -> Result:
    verb, kind = command.split()
    catalog = session.catalog()
    if verb == "DROP":
        return _drop(session, catalog, kind, tokens)
    if verb == "CREATE":
        return _create(session, catalog, kind, tokens)
    return _alter(session, catalog, kind, tokens)


def _may_manage(session: SessionApi, catalog: Catalog, superuser: bool, action: str) -> None:
    me = roles.current(session, catalog)
    if me.superuser:
        return
    if superuser:
        raise InsufficientPrivilege(f"must be superuser to {action} superusers")
    if not me.createrole:
        raise InsufficientPrivilege(f"permission denied to {action} role")


def _check_name(name: str) -> None:
    if name in ("public", "none"):
        raise ReservedName(f'role name "{name}" is reserved')
    if name.startswith("pg_"):
        raise ReservedName(f'role name "{name}" is reserved')


def _create(session: SessionApi, catalog: Catalog, kind: str, tokens: list[Any]) -> Result:
    if len(tokens) < 3:
        raise SyntaxError_("syntax error at end of input")
    name = relations.ident(tokens[2])
    _check_name(name)
    role = RoleDef(0, name, login=kind == "USER")
    members = _options(session, catalog, role, tokens, 3)
    _may_manage(session, catalog, role.superuser, "create")
    if roles.find(session, catalog, name) is not None:
        raise DuplicateObject(f'role "{name}" already exists')
    txn = session.current_txn()
    store = session.database.catalogs
    role.oid = store.next_id(txn)
    grantor = roles.current_oid(session)
    store.put_role(txn, role)
    for other, admin in members:  # ROLE / ADMIN / USER name: they become members of the new role
        other.member_of.append([role.oid, admin, grantor])
        if other.oid != BOOTSTRAP_ROLE:
            store.put_role(txn, other)
    return Result("CREATE ROLE")


def _options(
    session: SessionApi, catalog: Catalog, role: RoleDef, tokens: list[Any], i: int
) -> list[tuple[RoleDef, bool]]:
    """Apply the role options from ``tokens[i]`` to ``role``; returns the roles named by ROLE,
    USER or ADMIN (to be made members of it, ADMIN ones with the admin option)."""
    members: list[tuple[RoleDef, bool]] = []
    if relations.words_at(tokens, i, "WITH"):
        i += 1
    while i < len(tokens):
        word = str(tokens[i].text).upper()
        i += 1
        if word in _FLAGS:
            setattr(role, _FLAGS[word], True)
        elif word.startswith("NO") and word[2:] in _FLAGS:
            setattr(role, _FLAGS[word[2:]], False)
        elif word == "CONNECTION" and relations.words_at(tokens, i, "LIMIT"):
            role.connlimit = int(str(tokens[i + 1].text).lstrip("+"))
            i += 2
        elif word in ("ENCRYPTED", "UNENCRYPTED") and relations.words_at(tokens, i, "PASSWORD"):
            continue
        elif word == "PASSWORD":
            tok = tokens[i]
            # Kept as its SCRAM verifier (pg_authid's form), never as the password.
            text = None if tok.token_type == TokenType.NULL else str(tok.text)
            if text == "":
                session.notices.append("empty string is not a valid password, clearing password")
            role.password = scram.rolpassword(text) if text else None
            i += 1
        elif word == "VALID" and relations.words_at(tokens, i, "UNTIL"):
            role.valid_until = str(tokens[i + 1].text)
            i += 2
        elif word == "SYSID":
            i += 1
        elif word in ("IN", "ROLE", "ADMIN", "USER"):
            if word == "IN":
                if i >= len(tokens) or str(tokens[i].text).upper() not in ("ROLE", "GROUP"):
                    raise SyntaxError_(f'syntax error at or near "{tokens[i - 1].text}"')
                i += 1
            names, i = _role_names(tokens, i)
            for n in names:
                other = roles.named(session, catalog, n)
                if word == "IN":
                    role.member_of.append([other.oid, False, roles.current_oid(session)])
                else:
                    members.append((copy.deepcopy(other), word == "ADMIN"))
        else:
            raise SyntaxError_(f'syntax error at or near "{tokens[i - 1].text}"')
    return members


def _role_names(tokens: list[Any], i: int) -> tuple[list[str], int]:
    """Comma-separated role names from ``tokens[i]`` (CURRENT_USER and kin upper-cased)."""
    out: list[str] = []
    while i < len(tokens):
        word = str(tokens[i].text).upper()
        out.append(word if word in roles.SPECIAL else relations.ident(tokens[i]))
        i += 1
        if i < len(tokens) and tokens[i].token_type == TokenType.COMMA:
            i += 1
            continue
        break
    return out, i


def _alter(session: SessionApi, catalog: Catalog, kind: str, tokens: list[Any]) -> Result:
    if len(tokens) < 3:
        raise SyntaxError_("syntax error at end of input")
    word = str(tokens[2].text).upper()
    name = word if word in roles.SPECIAL else relations.ident(tokens[2])
    if word == "ALL":  # ALTER ROLE ALL SET ...: settings db9 does not apply per role
        return Result("ALTER ROLE")
    role = copy.deepcopy(roles.named(session, catalog, name))
    txn = session.current_txn()
    store = session.database.catalogs
    if relations.words_at(tokens, 3, "RENAME", "TO"):
        new = relations.ident(tokens[5])
        _check_name(new)
        _may_manage(session, catalog, role.superuser, "rename")
        if role.oid == BOOTSTRAP_ROLE:
            raise ObjectInUse("session user cannot be renamed")
        if roles.find(session, catalog, new) is not None:
            raise DuplicateObject(f'role "{new}" already exists')
        role.name = new
        store.put_role(txn, role)
        return Result("ALTER ROLE")
    if kind == "GROUP" and str(tokens[3].text).upper() in ("ADD", "DROP"):
        names, _ = _role_names(tokens, 5)
        for n in names:
            member = copy.deepcopy(roles.named(session, catalog, n))
            member.member_of = [m for m in member.member_of if m[0] != role.oid]
            if str(tokens[3].text).upper() == "ADD":
                member.member_of.append([role.oid, False, roles.current_oid(session)])
            if member.oid != BOOTSTRAP_ROLE:
                store.put_role(txn, member)
        return Result("ALTER ROLE")
    rest = str(tokens[3].text).upper() if len(tokens) > 3 else ""
    if rest in ("SET", "RESET", "IN"):  # per-role settings: accepted, not applied
        return Result("ALTER ROLE")
    was_super = role.superuser
    _options(session, catalog, role, tokens, 3)
    _may_manage(session, catalog, was_super or role.superuser, "alter")
    if role.oid != BOOTSTRAP_ROLE:
        store.put_role(txn, role)
    return Result("ALTER ROLE")


def _drop(session: SessionApi, catalog: Catalog, kind: str, tokens: list[Any]) -> Result:
    i = 2
    if_exists = relations.words_at(tokens, i, "IF", "EXISTS")
    i += 2 * if_exists
    names, _ = _role_names(tokens, i)
    txn = session.current_txn()
    store = session.database.catalogs
    me = roles.current(session, catalog)
    if not (me.superuser or me.createrole):
        raise InsufficientPrivilege("permission denied to drop role")
    for name in names:
        role = roles.find(session, catalog, name)
        if role is None:
            if if_exists:
                session.notices.append(f'role "{name}" does not exist, skipping')
                continue
            raise UndefinedObject(f'role "{name}" does not exist')
        if role.oid == me.oid:
            raise ObjectInUse("current user cannot be dropped")
        if role.oid == roles.session_role(session, catalog).oid:
            raise ObjectInUse("session user cannot be dropped")
        _may_manage(session, catalog, role.superuser, "drop")
        if privileges.depends_on_role(catalog, role.oid):
            raise DependentObjectsStillExist(
                f'role "{name}" cannot be dropped because some objects depend on it'
            )
        store.drop_role(txn, role)
        for other in catalog.roles.values():
            if any(m[0] == role.oid for m in other.member_of):
                other = copy.deepcopy(other)
                other.member_of = [m for m in other.member_of if m[0] != role.oid]
                store.put_role(txn, other)
    return Result("DROP ROLE")
