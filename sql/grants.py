"""GRANT and REVOKE, read from their tokens: privileges on relations and their columns
(recorded in the relations' ACLs, sql.privileges), and role membership (GRANT role TO role).

The objects named were resolved and checked before (sql.ddl); privileges on schemas are
checked and accepted but not recorded (db9 checks no schema privileges).
"""

from __future__ import annotations

import copy
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import privileges, relations, roles
from sql.catalog import BOOTSTRAP_ROLE, Catalog, RoleDef, TableDef
from sql.errors import (
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidSchemaName,
    SqlError,
    SyntaxError_,
    warning,
)
from sql.result import Result
from sql.session_api import SessionApi


class InvalidGrantOperation(SqlError):
    sqlstate = "0LP01"


_STOP = ("CASCADE", "RESTRICT", "WITH", "GRANTED")


def _grantees(session: SessionApi, catalog: Catalog, tokens: list[Any], i: int) -> list[int]:
    """The role oids named from ``tokens[i]`` (PUBLIC is 0; GROUP before a name is noise)."""
    out: list[int] = []
    while i < len(tokens):
        word = str(tokens[i].text).upper()
        if word in _STOP and tokens[i].token_type != TokenType.IDENTIFIER:
            break
        if word in (",", "GROUP") and tokens[i].token_type != TokenType.IDENTIFIER:
            i += 1
            continue
        if word == "PUBLIC" and tokens[i].token_type != TokenType.IDENTIFIER:
            out.append(roles.PUBLIC)
        else:
            name = word if word in roles.SPECIAL else relations.ident(tokens[i])
            out.append(roles.named(session, catalog, name).oid)
        i += 1
    return out


def _privilege_list(tokens: list[Any], i: int) -> tuple[list[tuple[str, list[str]]], int]:
    """(privilege word, its column list) pairs up to ON; ALL [PRIVILEGES] is "ALL"."""
    out: list[tuple[str, list[str]]] = []
    while i < len(tokens) and str(tokens[i].text).upper() != "ON":
        word = str(tokens[i].text).upper()
        i += 1
        if word == ",":
            continue
        if word == "ALL" and relations.words_at(tokens, i, "PRIVILEGES"):
            i += 1
        cols: list[str] = []
        if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
            i += 1
            while tokens[i].token_type != TokenType.R_PAREN:
                if tokens[i].token_type != TokenType.COMMA:
                    cols.append(relations.ident(tokens[i]))
                i += 1
            i += 1
        out.append((word, cols))
    return out, i


def apply(session: SessionApi, command: str, tokens: list[Any], kind: str | None) -> None:
    """Record GRANT / REVOKE privileges ON relations (``kind`` TABLE, SEQUENCE or None for
    unqualified names, ALL TABLES or ALL SEQUENCES for those IN SCHEMA ...; SCHEMA is
    checked only)."""
    catalog = session.catalog()
    upper = [str(t.text).upper() for t in tokens]
    option_only = command == "REVOKE" and relations.words_at(tokens, 1, "GRANT", "OPTION", "FOR")
    privs, i = _privilege_list(tokens, 4 if option_only else 1)
    to = "TO" if command == "GRANT" else "FROM"
    j = upper.index(to, i)
    grantees = _grantees(session, catalog, tokens, j + 1)
    with_option = command == "GRANT" and "OPTION" in upper[j:]
    if kind == "SCHEMA":
        return
    store = session.database.catalogs
    txn = session.current_txn()
    if kind in ("ALL TABLES", "ALL SEQUENCES"):  # ON ALL ... IN SCHEMA s, ...: those now there
        schemas = {n.name for n in relations.read_names(tokens, i + 5)[0]}
        sequences = kind == "ALL SEQUENCES"
        ids = [t.id for t in catalog.all_tables()
               if t.schema in schemas and (t.kind == "sequence") == sequences]  # fmt: skip
    else:
        path = session.search_path()
        ids = []
        for n in relations.read_names(tokens, i + 1 + (1 if kind else 0))[0]:
            rel = relations.lookup(catalog, n, path)
            assert rel is not None  # checked by the caller
            ids.append(rel.table.id)
    for table_id in ids:
        table = copy.deepcopy(catalog.tables[table_id])
        _apply_one(session, table, privs, grantees, with_option, option_only, command)
        store.put_table(txn, table, catalog, new=False)
        catalog = session.catalog()


def _apply_one(
    session: SessionApi,
    table: TableDef,
    privs: list[tuple[str, list[str]]],
    grantees: list[int],
    with_option: bool,
    option_only: bool,
    command: str,
) -> None:
    kind = privileges.object_kind(table)
    table_letters: set[str] = set()
    column_letters: dict[str, set[str]] = {}
    for word, cols in privs:
        if word == "ALL":
            letters = set(privileges.ALL["column" if cols else kind])
        elif word in privileges.LETTERS:
            letters = {privileges.LETTERS[word]}
        else:
            raise SyntaxError_(f'syntax error at or near "{word}"')
        allowed = set(privileges.ALL["column" if cols else kind])
        if not letters <= allowed:
            if kind == "sequence":
                only = "only supports USAGE, SELECT, and UPDATE privileges"
                session.notices.append(warning(f'sequence "{table.name}" {only}', "0LP01"))
                letters &= allowed
            else:
                what = "column" if cols else "table"
                raise InvalidGrantOperation(f"invalid privilege type {word} for {what}")
        if cols:
            for c in cols:
                table.column(c)  # 42703 for a missing column
                column_letters.setdefault(c, set()).update(letters)
        else:
            table_letters |= letters
    grantor = _grantor(session, table, table_letters | set().union(*column_letters.values()))
    change = privileges.granted if command == "GRANT" else privileges.revoked
    for grantee in grantees:
        flag = with_option if command == "GRANT" else option_only
        if table_letters:
            table.acl = change(privileges.acl_of(table), grantee, grantor, table_letters, flag)
        elif command == "REVOKE" and not column_letters and table.acl is None:
            table.acl = privileges.acl_of(table)
        for name, letters in column_letters.items():
            col = table.column(name)
            col.acl = change(col.acl or [], grantee, grantor, letters, flag) or None
        if command == "REVOKE" and table_letters:
            # Revoking a table privilege revokes it from every column too.
            for col in table.live_columns:
                if col.acl:
                    col.acl = change(col.acl, grantee, grantor, table_letters, flag) or None


def _grantor(session: SessionApi, table: TableDef, letters: set[str]) -> int:
    """Who grants: the owner when current_user owns the relation (or is a superuser), else
    current_user if it holds the grant option."""
    if privileges.owns(session, table):
        return table.owner
    options = privileges.grant_options(session, table, None)
    if not letters & options and not privileges.has(session, table, privileges.ORDER, []):
        raise InsufficientPrivilege(f"permission denied for {privileges.noun(table)} {table.name}")
    if not letters <= options:
        session.notices.append(warning("no privileges were granted", "01007"))
    return roles.current_oid(session)


def membership(session: SessionApi, command: str, tokens: list[Any]) -> None:
    """GRANT role [, ...] TO role [, ...] [WITH ADMIN OPTION] and its REVOKE."""
    catalog = session.catalog()
    upper = [str(t.text).upper() for t in tokens]
    option_only = command == "REVOKE" and relations.words_at(tokens, 1, "ADMIN", "OPTION", "FOR")
    to = "TO" if command == "GRANT" else "FROM"
    if to not in upper:
        raise SyntaxError_("syntax error at end of input")
    j = upper.index(to)
    granted = _grantees(session, catalog, tokens[:j], 4 if option_only else 1)
    members = _grantees(session, catalog, tokens, j + 1)
    admin = command == "GRANT" and "ADMIN" in upper[j:]
    me = roles.current(session, catalog)
    store = session.database.catalogs
    txn = session.current_txn()
    for oid in granted:
        role = roles.by_oid(session, catalog, oid)
        assert role is not None
        if not (me.superuser or me.createrole or _has_admin(catalog, me, oid)):
            raise InsufficientPrivilege(f'must have admin option on role "{role.name}"')
        for member_oid in members:
            member = copy.deepcopy(roles.by_oid(session, catalog, member_oid))
            assert member is not None
            if command == "GRANT":
                _grant_membership(catalog, role, member, admin, me.oid)
            else:
                _revoke_membership(session, role, member, option_only)
            if member.oid != BOOTSTRAP_ROLE:
                store.put_role(txn, member)
                catalog = session.catalog()


def _has_admin(catalog: Catalog, me: RoleDef, oid: int) -> bool:
    return any(m[0] == oid and m[1] for m in me.member_of)


def _grant_membership(
    catalog: Catalog, role: RoleDef, member: RoleDef, admin: bool, grantor: int
) -> None:
    if member.oid == role.oid or member.oid in roles.memberships(
        catalog, role.oid, inherit_only=False
    ):
        raise InvalidGrantOperation(f'role "{role.name}" is a member of role "{member.name}"')
    if role.oid == BOOTSTRAP_ROLE:
        raise FeatureNotSupported("granting the login user's role to another role")
    for m in member.member_of:
        if m[0] == role.oid:
            m[1] = m[1] or admin
            return
    member.member_of.append([role.oid, admin, grantor])


def _revoke_membership(
    session: SessionApi, role: RoleDef, member: RoleDef, option_only: bool
) -> None:
    if not any(m[0] == role.oid for m in member.member_of):
        session.notices.append(
            warning(f'role "{member.name}" is not a member of role "{role.name}"')
        )
        return
    if option_only:
        for m in member.member_of:
            if m[0] == role.oid:
                m[1] = False
    else:
        member.member_of = [m for m in member.member_of if m[0] != role.oid]


# ALTER DEFAULT PRIVILEGES ... ON <word>: the pg_default_acl object type and its privileges.
_DEFAULT_KINDS = {"TABLES": ("r", "table"), "SEQUENCES": ("S", "sequence")}


def alter_default(session: SessionApi, tokens: list[Any]) -> Result:
    """ALTER DEFAULT PRIVILEGES [FOR ROLE r, ...] [IN SCHEMA s, ...] GRANT | REVOKE ... ON
    TABLES | SEQUENCES ...: what relations those roles make later start with (PostgreSQL's
    rules: the schema-less entry replaces the owner-holds-all default, a schema's entry adds
    to it; an entry back to its starting point goes)."""
    catalog = session.catalog()
    me = roles.current(session, catalog)
    owners, schemas, i = [me], [""], 3
    if relations.words_at(tokens, i, "FOR", "ROLE") or relations.words_at(tokens, i, "FOR", "USER"):
        names, i = _names_until(tokens, i + 2, ("IN", "GRANT", "REVOKE"))
        owners = [roles.named(session, catalog, n) for n in names]
        for owner in owners:
            if not roles.is_member(session, catalog, me, owner):
                raise InsufficientPrivilege(f'must be member of role "{owner.name}"')
    if relations.words_at(tokens, i, "IN", "SCHEMA"):
        schemas, i = _names_until(tokens, i + 2, ("GRANT", "REVOKE"))
        for s in schemas:
            if s not in catalog.schemas:
                raise InvalidSchemaName(f'schema "{s}" does not exist')
    if i >= len(tokens) or str(tokens[i].text).upper() not in ("GRANT", "REVOKE"):
        raise SyntaxError_(f'syntax error at or near "{tokens[min(i, len(tokens) - 1)].text}"')
    command, sub = str(tokens[i].text).upper(), tokens[i:]
    upper = [str(t.text).upper() for t in sub]
    option_only = command == "REVOKE" and relations.words_at(sub, 1, "GRANT", "OPTION", "FOR")
    privs, j = _privilege_list(sub, 4 if option_only else 1)
    if j + 1 >= len(sub):
        raise SyntaxError_("syntax error at end of input")
    if upper[j + 1] not in _DEFAULT_KINDS:
        raise FeatureNotSupported(f"ALTER DEFAULT PRIVILEGES ON {upper[j + 1]} is not supported")
    objtype, kind = _DEFAULT_KINDS[upper[j + 1]]
    letters: set[str] = set()
    for word, cols in privs:
        if cols:
            raise SyntaxError_('syntax error at or near "("')
        got = set(privileges.ALL[kind]) if word == "ALL" else {privileges.LETTERS.get(word, "?")}
        if not got <= set(privileges.ALL[kind]):
            raise InvalidGrantOperation(f"invalid privilege type {word} for {kind}")
        letters |= got
    to = "TO" if command == "GRANT" else "FROM"
    if to not in upper[j:]:
        raise SyntaxError_("syntax error at end of input")
    k = upper.index(to, j)
    grantees = _grantees(session, catalog, sub, k + 1)
    flag = ("OPTION" in upper[k:]) if command == "GRANT" else option_only
    change = privileges.granted if command == "GRANT" else privileges.revoked
    entries = copy.deepcopy(catalog.default_acls)
    store, txn = session.database.catalogs, session.current_txn()
    for owner in owners:
        for schema in schemas:
            # Where an entry starts: the hard-wired default (the owner holds all) or nothing.
            start = [[owner.oid, privileges.ALL[kind], owner.oid]] if schema == "" else []
            entry = next((e for e in entries if e[:3] == [owner.oid, schema, objtype]), None)
            acl = entry[3] if entry is not None else start
            for grantee in grantees:
                acl = change(acl, grantee, owner.oid, letters, flag)
            acl = _sorted(acl)  # as aclitemsort leaves it
            if entry is not None:
                entries.remove(entry)
            if acl != start:
                oid = entry[4] if entry is not None else store.next_id(txn)
                entries.append([owner.oid, schema, objtype, acl, oid])
    store.set_default_acls(txn, entries)
    return Result("ALTER DEFAULT PRIVILEGES")


def _names_until(tokens: list[Any], i: int, stop: tuple[str, ...]) -> tuple[list[str], int]:
    out: list[str] = []
    while i < len(tokens) and str(tokens[i].text).upper() not in stop:
        if tokens[i].token_type != TokenType.COMMA:
            out.append(relations.ident(tokens[i]))
        i += 1
    return out, i


def owned(session: SessionApi, table: TableDef) -> TableDef:
    """``table``, a relation or type being made, owned by current_user and with the
    privileges its default privileges give it."""
    return with_defaults(session.catalog(), roles.owned(session, table))


def with_defaults(catalog: Catalog, table: TableDef) -> TableDef:
    """``table``, a relation being made, with the ACL its owner's default privileges give
    relations of its kind in its schema (ALTER DEFAULT PRIVILEGES)."""
    if table.kind not in ("table", "view", "sequence") or not catalog.default_acls:
        return table
    objtype = "S" if table.kind == "sequence" else "r"
    mine = {e[1]: e[3] for e in catalog.default_acls if e[0] == table.owner and e[2] == objtype}
    acl = mine.get("")
    for grantee, letters, grantor in mine.get(table.schema, []):
        acl = privileges.acl_of(table) if acl is None else acl
        with_option = {ch for ch, nxt in zip(letters, letters[1:] + " ", strict=True)
                       if nxt == "*"}  # fmt: skip
        plain = set(letters.replace("*", "")) - with_option
        if plain:
            acl = privileges.granted(acl, grantee, grantor, plain, False)
        if with_option:
            acl = privileges.granted(acl, grantee, grantor, with_option, True)
    if acl is not None:
        acl = _sorted(copy.deepcopy(acl))  # as aclitemsort leaves it; the default stays NULL
        table.acl = None if acl == privileges.acl_of(table) else acl
    return table


def _sorted(acl: list[list[Any]]) -> list[list[Any]]:
    """``acl`` in aclitemsort's order: by grantee, then grantor."""
    return sorted(acl, key=lambda item: (item[0], item[2]))
