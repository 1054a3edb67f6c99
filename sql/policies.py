"""Row-level security: which of a table's policies bind the current user, and the
expressions they add (PostgreSQL's rules).

A table with row level security enabled binds every role but superusers, roles with
BYPASSRLS and (unless it is FORCEd) its owner. For a command, the policies FOR that command or
ALL whose roles include the user apply: rows must pass at least one permissive policy and
every restrictive one; with no permissive policy no row passes. New rows (INSERT, UPDATE)
must pass the WITH CHECK expressions (a policy's USING when it has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from sql import roles
from sql.catalog import TableDef
from sql.pg_dialect import DIALECT
from sql.session_api import SessionApi


@dataclass(frozen=True, slots=True)
class Applying:
    """The policies of one command that bind the current user: (name, SQL) pairs."""

    permissive: list[tuple[str, str]]
    restrictive: list[tuple[str, str]]


def binds(session: SessionApi, table: TableDef) -> bool:
    """Whether ``table``'s row level security applies to current_user."""
    if not table.rls or roles.is_superuser(session):
        return False
    catalog = session.catalog()
    me = roles.current(session, catalog)
    if me.bypassrls:
        return False
    return table.rls_forced or table.owner not in roles.memberships(catalog, me.oid)


def applying(session: SessionApi, table: TableDef, command: str, kind: str) -> Applying:
    """The ``kind`` ("using" or "check") expressions of ``table``'s policies for ``command``
    that bind current_user (call when ``binds``)."""
    catalog = session.catalog()
    mine = roles.memberships(catalog, roles.current(session, catalog).oid)
    permissive: list[tuple[str, str]] = []
    restrictive: list[tuple[str, str]] = []
    for p in table.policies:
        if p["command"] not in ("all", command):
            continue
        if p["roles"] and not set(p["roles"]) & mine:
            continue
        text = p.get(kind) if kind == "using" else (p.get("check") or p.get("using"))
        (permissive if p["permissive"] else restrictive).append((p["name"], text or "true"))
    return Applying(permissive, restrictive)


def using_sql(session: SessionApi, table: TableDef, command: str) -> str | None:
    """The condition rows must meet to be read (or changed) by ``command``; None when row
    level security does not bind current_user."""
    if not binds(session, table):
        return None
    found = applying(session, table, command, "using")
    if not found.permissive:
        return "false"
    parts = ["(" + " OR ".join(f"({sql})" for _, sql in found.permissive) + ")"]
    parts += [f"({sql})" for _, sql in found.restrictive]
    return " AND ".join(parts)


def checks(session: SessionApi, table: TableDef, command: str) -> list[tuple[str | None, str]]:
    """WITH CHECK conditions for new rows of ``command``: (policy name for a restrictive
    policy's message, SQL); the permissive ones come first, OR-ed as one (name None)."""
    if not binds(session, table):
        return []
    found = applying(session, table, command, "check")
    if not found.permissive:
        return [(None, "false")]
    first = " OR ".join(f"({sql})" for _, sql in found.permissive)
    out: list[tuple[str | None, Any]] = [(None, first)]
    out += [(name, sql) for name, sql in found.restrictive]
    return out


def expression(sql: str, table: str, label: str) -> exp.Expr:
    """A policy's SQL as an expression over the table read as ``label`` (its columns
    qualified with the table's name are qualified with ``label``)."""
    tree = sqlglot.parse_one(sql, read=DIALECT)
    if label != table:
        for col in tree.find_all(exp.Column):
            if col.table == table and not col.args.get("db"):
                col.set("table", exp.to_identifier(label))
    return tree
