"""Privileges on relations and their columns: ACLs as PostgreSQL keeps them, and the checks
statements make against them (42501).

An ACL is a list of items ``[grantee oid, letters, grantor oid]`` (grantee 0 is PUBLIC);
letters are PostgreSQL's (``r`` SELECT, ``a`` INSERT, ...), each followed by ``*`` when held
with the grant option. A relation's ``acl`` None is the default: its owner holds every
privilege, nobody else any. Superusers pass every check; the owner's rights come from its ACL
item like anyone's (an owner may revoke its own), but ownership checks ("must be owner")
look at the owner alone.
"""

from __future__ import annotations

from typing import Any

from sql import roles
from sql.catalog import Catalog, ColumnDef, RoleDef, TableDef
from sql.errors import (
    InsufficientPrivilege,
    InvalidParameterValue,
    UndefinedTable,
    WrongObjectType,
)
from sql.session_api import SessionApi

ORDER = "arwdDxtXUCTc"  # aclitem's output order
LETTERS = {
    "INSERT": "a", "SELECT": "r", "UPDATE": "w", "DELETE": "d", "TRUNCATE": "D",
    "REFERENCES": "x", "TRIGGER": "t", "EXECUTE": "X", "USAGE": "U", "CREATE": "C",
    "TEMPORARY": "T", "TEMP": "T", "CONNECT": "c",
}  # fmt: skip
ALL = {"table": "arwdDxt", "sequence": "rwU", "column": "arwx", "schema": "UC"}


# acldefault(kind, owner): what an object of each kind grants when its ACL is NULL, as
# PostgreSQL 15's acldefault() returns it (the owner's privileges; PUBLIC's for functions,
# types, languages and databases).
_DEFAULT_ACL = {
    "r": ("arwdDxt", ""), "s": ("rwU", ""), "n": ("UC", ""), "f": ("X", "X"), "p": ("X", "X"),
    "T": ("U", "U"), "l": ("U", "U"), "d": ("CTc", "Tc"), "F": ("U", ""), "S": ("U", ""),
    "L": ("rw", ""), "c": ("", ""),
}  # fmt: skip


def acl_default(kind: str, owner: str) -> str:
    """acldefault()'s aclitem[] as text: ``{=X/owner,owner=X/owner}``."""
    if kind not in _DEFAULT_ACL:
        raise InvalidParameterValue(f"unrecognized object type abbreviation: {kind}")
    mine, public = _DEFAULT_ACL[kind]
    who = quote_role(owner)
    items = ([f"={public}/{who}"] if public else []) + ([f"{who}={mine}/{who}"] if mine else [])
    return "{" + ",".join(items) + "}"


def quote_role(name: str) -> str:
    """A role name as aclitem prints it (putid): quoted when it holds anything but ASCII
    letters, digits and underscores, a double quote doubled."""
    if all((ch.isascii() and ch.isalnum()) or ch == "_" for ch in name):
        return name
    return '"' + name.replace('"', '""') + '"'


def object_kind(table: TableDef) -> str:
    return "sequence" if table.kind == "sequence" else "table"


def noun(table: TableDef) -> str:
    """How messages name the relation's kind ("permission denied for view v")."""
    if table.kind == "view":
        return "materialized view" if getattr(table, "materialized", False) else "view"
    return object_kind(table)


def acl_of(table: TableDef) -> list[list[Any]]:
    if table.acl is not None:
        return table.acl
    return [[table.owner, ALL[object_kind(table)], table.owner]]


def _held(catalog: Catalog, acl: list[list[Any]] | None, role_oid: int) -> set[str]:
    mine = roles.memberships(catalog, role_oid) | {roles.PUBLIC}
    got: set[str] = set()
    for grantee, letters, _ in acl or []:
        if grantee in mine:
            got |= set(letters.replace("*", ""))
    return got


def has(
    session: SessionApi, table: TableDef, letters: str, columns: list[str] | None = None
) -> bool:
    """current_user holds one of ``letters`` on ``table``, or on each of ``columns`` (on any
    column when ``columns`` is empty)."""
    if roles.is_superuser(session):
        return True
    catalog = session.catalog()
    return role_has(catalog, roles.current(session, catalog), table, letters, columns)


def role_has(
    catalog: Catalog,
    role: RoleDef,
    table: TableDef,
    letters: str,
    columns: list[str] | None = None,
) -> bool:
    """``has`` for any role."""
    if role.superuser:
        return True
    me = role.oid
    if _held(catalog, acl_of(table), me) & set(letters):
        return True
    if columns is None:
        return False
    cols = [c for c in table.live_columns if not columns or c.name in columns]
    held = [bool(_held(catalog, c.acl, me) & set(letters)) for c in cols]
    return bool(held) and (all(held) if columns else any(held))


def require(
    session: SessionApi, table: TableDef, letters: str, columns: list[str] | None = None
) -> None:
    """42501 unless current_user holds one of ``letters`` on ``table`` (see ``has``)."""
    if not has(session, table, letters, columns):
        raise InsufficientPrivilege(f"permission denied for {noun(table)} {table.name}")


def owns(session: SessionApi, table: TableDef) -> bool:
    if roles.is_superuser(session):
        return True
    catalog = session.catalog()
    return table.owner in roles.memberships(catalog, roles.current(session, catalog).oid)


def require_owner(
    session: SessionApi, table: TableDef, kind: str | None = None, name: str | None = None
) -> None:
    """42501 "must be owner of <kind> <name>" unless current_user owns ``table`` (``name``:
    of the index that belongs to it)."""
    if not owns(session, table):
        raise InsufficientPrivilege(f"must be owner of {kind or noun(table)} {name or table.name}")


def change_owner(table: TableDef, owner: int) -> None:
    """ALTER ... OWNER TO: the old owner's grants become the new owner's."""
    old = table.owner
    table.owner = owner
    if table.acl is not None:
        table.acl = [[owner if g == old else g, letters, owner if by == old else by]
                     for g, letters, by in table.acl]  # fmt: skip


def acl_text(session: SessionApi, catalog: Catalog, acl: list[list[Any]] | None) -> str | None:
    """An ACL as aclitem[] prints it: {grantee=letters/grantor,...}; None stays NULL."""
    items = acl_items(session, catalog, acl)
    return None if items is None else "{" + ",".join(items) + "}"


def acl_items(
    session: SessionApi, catalog: Catalog, acl: list[list[Any]] | None
) -> list[str] | None:
    """An ACL as the array of its aclitems' texts (relacl, attacl): grantee=letters/grantor;
    None stays NULL."""
    if acl is None:
        return None

    def name(oid: int) -> str:
        if oid == roles.PUBLIC:
            return ""
        role = roles.by_oid(session, catalog, oid)
        return quote_role(role.name) if role is not None else str(oid)

    return [f"{name(g)}={letters}/{name(by)}" for g, letters, by in acl]


def ordered(letters: set[str], options: set[str]) -> str:
    return "".join(c + ("*" if c in options else "") for c in ORDER if c in letters)


def _split(text: str) -> tuple[set[str], set[str]]:
    letters, options = set(), set()
    for i, c in enumerate(text):
        if c == "*":
            continue
        letters.add(c)
        if text[i + 1 : i + 2] == "*":
            options.add(c)
    return letters, options


def granted(
    acl: list[list[Any]], grantee: int, grantor: int, letters: set[str], option: bool
) -> list[list[Any]]:
    """``acl`` after GRANT ``letters`` TO ``grantee`` by ``grantor``: a new item goes last."""
    out = [list(item) for item in acl]
    for item in out:
        if item[0] == grantee and item[2] == grantor:
            have, opts = _split(item[1])
            item[1] = ordered(have | letters, opts | (letters if option else set()))
            return out
    out.append([grantee, ordered(letters, letters if option else set()), grantor])
    return out


def revoked(
    acl: list[list[Any]], grantee: int, grantor: int, letters: set[str], option_only: bool
) -> list[list[Any]]:
    """``acl`` after REVOKE [GRANT OPTION FOR] ``letters`` FROM ``grantee`` by ``grantor``;
    an item left with nothing goes."""
    out = []
    for item in acl:
        if item[0] == grantee and item[2] == grantor:
            have, opts = _split(item[1])
            opts -= letters
            if not option_only:
                have -= letters
            if not have:
                continue
            item = [grantee, ordered(have, opts), grantor]
        out.append(list(item))
    return out


def grant_options(session: SessionApi, table: TableDef, column: ColumnDef | None) -> set[str]:
    """The privileges current_user may grant on ``table`` (or its ``column``)."""
    catalog = session.catalog()
    me = roles.memberships(catalog, roles.current(session, catalog).oid)
    out: set[str] = set()
    for acl in (acl_of(table), column.acl if column is not None else None):
        for grantee, letters, _ in acl or []:
            if grantee in me:
                out |= _split(letters)[1]
    return out


def depends_on_role(catalog: Catalog, oid: int) -> bool:
    """Objects owned by role ``oid`` or privileges granted to or by it exist."""
    if any(oid == e[0] or any(oid in (g, by) for g, _, by in e[3]) for e in catalog.default_acls):
        return True
    for t in [*catalog.tables.values(), *catalog.types.values()]:
        if t.owner == oid:
            return True
        for acl in [t.acl, *(c.acl for c in t.columns)]:
            if any(oid in (g, by) for g, _, by in acl or []):
                return True
    return False


def has_privilege_function(session: SessionApi, kind: str, args: list[Any]) -> bool | None:
    """has_table_privilege, has_sequence_privilege and has_column_privilege (``kind`` table,
    sequence, column): ([role,] relation, [column,] privileges); NULL in, NULL out."""
    if any(a is None for a in args):
        return None
    catalog = session.catalog()
    want = 3 if kind == "column" else 2
    if len(args) > want:
        who = args[0]
        role = (roles.by_oid(session, catalog, who) if isinstance(who, int)
                else roles.named(session, catalog, str(who)))  # fmt: skip
        if role is None:
            return None
        args = args[1:]
    else:
        role = roles.current(session, catalog)
    table = catalog.by_regclass(args[0], session.search_path())
    if table is None:
        if isinstance(args[0], int):
            return None
        raise UndefinedTable(f'relation "{args[0]}" does not exist')
    letters = ""
    for part in str(args[-1]).split(","):
        word = part.strip().upper().removesuffix(" WITH GRANT OPTION").strip()
        if word not in LETTERS:
            raise InvalidParameterValue(f'unrecognized privilege type: "{part.strip()}"')
        letters += LETTERS[word]
    if kind == "sequence" and table.kind != "sequence":
        raise WrongObjectType(f'"{table.name}" is not a sequence')
    columns = [str(args[1])] if kind == "column" else None
    return role_has(catalog, role, table, letters, columns)
