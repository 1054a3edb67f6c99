"""Temporary relations: CREATE TEMP TABLE / SEQUENCE / VIEW, SELECT INTO TEMP.

A session's temporary relations live in a schema of its own, ``pg_temp_<n>`` (n random,
unique in practice), made in the catalog at its first temporary relation. Only that session
searches it, and before every other schema, so a temporary table shadows a permanent one of
the same name; other sessions cannot read it by name (0A000). ON COMMIT DELETE ROWS / DROP
act when the session commits (``at_commit``); the schema and all in it go when the session
closes or runs DISCARD TEMP / ALL (``drop_all``).
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from sql.catalog import Catalog, TableDef
from sql.errors import FeatureNotSupported, InvalidTableDefinition
from sql.session_api import SessionApi
from sql.statements import Statement

log = logging.getLogger(__name__)

ON_COMMIT_PRESERVE = "preserve"
ON_COMMIT_DELETE = "delete"
ON_COMMIT_DROP = "drop"
PREFIX = "pg_temp_"


@dataclass
class TempState:
    """A session's temporary schema (its name, chosen once) and ON COMMIT actions."""

    schema: str = field(default_factory=lambda: f"{PREFIX}{random.randrange(1, 2**31)}")
    used: bool = False  # the session made a temporary relation at some point
    on_commit: dict[int, str] = field(default_factory=dict)  # table id -> delete / drop


def is_temp_schema(name: str | None) -> bool:
    return name is not None and (name == "pg_temp" or name.startswith(PREFIX))


def split_on_commit(stmt: Statement) -> tuple[Statement, str | None]:
    """``stmt`` without the clauses sqlglot cannot read (``ON COMMIT DROP | DELETE ROWS |
    PRESERVE ROWS``, ``LOCAL`` / ``GLOBAL`` before TEMP), and the ON COMMIT action."""
    if stmt.command not in ("CREATE TABLE", "CREATE SEQUENCE", "CREATE VIEW"):
        return stmt, None
    toks = stmt.tokens
    cut: list[tuple[int, int]] = []
    if len(toks) > 2 and str(toks[1].text).upper() in ("LOCAL", "GLOBAL"):
        cut.append((toks[1].start, toks[1].end + 1))
    action = None
    depth = 0
    for i, tok in enumerate(toks):
        word = str(tok.text).upper()
        depth += (word == "(") - (word == ")")
        if depth or word == "AS":
            if word == "AS":
                break
            continue
        if word == "ON" and i + 2 < len(toks) and str(toks[i + 1].text).upper() == "COMMIT":
            what = str(toks[i + 2].text).upper()
            rows = i + 3 < len(toks) and str(toks[i + 3].text).upper() == "ROWS"
            if what == "DROP" or (what in ("DELETE", "PRESERVE") and rows):
                action = {"DROP": ON_COMMIT_DROP, "DELETE": ON_COMMIT_DELETE}.get(
                    what, ON_COMMIT_PRESERVE
                )
                last = toks[i + 3] if what != "DROP" else toks[i + 2]
                cut.append((tok.start, last.end + 1))
                break
    if not cut:
        return stmt, None
    text = stmt.text
    for lo, hi in reversed(cut):
        text = text[:lo] + " " * (hi - lo) + text[hi:]
    return dataclasses.replace(stmt, text=text), action


def is_temp_property(p: exp.Expr) -> bool:
    return isinstance(p, exp.TemporaryProperty | exp.OnCommitProperty | exp.GlobalProperty)


def persistence_of(tree: exp.Create) -> str | None:
    """None for a permanent relation, else its ON COMMIT action."""
    props = tree.args.get("properties")
    found = props.expressions if props is not None else []
    action = tree.meta.get("on_commit")
    if any(isinstance(p, exp.OnCommitProperty) and p.args.get("delete") for p in found):
        action = ON_COMMIT_DELETE
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in found) or (
        isinstance(target, exp.Table) and is_temp_schema(target.db)
    )
    if temporary and any(isinstance(p, exp.UnloggedProperty) for p in found):
        raise InvalidTableDefinition("only temporary relations may be created in temporary "
                                     "schemas")  # fmt: skip
    if not temporary:
        if action is not None:
            raise InvalidTableDefinition("ON COMMIT can only be used on temporary tables")
        return None
    return action or ON_COMMIT_PRESERVE


def schema_for(session: SessionApi, target: exp.Table) -> str:
    """The schema a temporary relation named ``target`` goes in: the session's own."""
    state: TempState = session.temp
    if target.db and target.db not in ("pg_temp", state.schema):
        if is_temp_schema(target.db):
            raise FeatureNotSupported("cannot create relations in temporary schemas of other "
                                      "sessions")  # fmt: skip
        raise InvalidTableDefinition("cannot create temporary relation in non-temporary schema")
    return state.schema


def ensure_schema(session: SessionApi, catalog: Catalog) -> None:
    state: TempState = session.temp
    state.used = True
    if state.schema not in catalog.schemas:
        session.database.catalogs.create_schema(session.current_txn(), state.schema, catalog)


def register(session: SessionApi, table: TableDef, persistence: str) -> None:
    if persistence in (ON_COMMIT_DELETE, ON_COMMIT_DROP):
        session.temp.on_commit[table.id] = persistence


def search_path(state: TempState, names: list[str]) -> list[str]:
    """The schemas a session searches for relations, from its search_path ``names``: its
    temporary schema (once used) where ``pg_temp`` is listed, else first."""
    own = [state.schema] if state.used else []
    if "pg_temp" not in names:
        return [*own, *names]
    out: list[str] = []
    for n in names:
        out += own if n == "pg_temp" else [n]
    return out


def check_access(session: SessionApi, schema: str | None) -> str | None:
    """``schema`` as named in a statement: ``pg_temp`` is the session's own temporary schema;
    another session's is refused."""
    if schema == "pg_temp":
        return str(session.temp.schema)
    if is_temp_schema(schema) and schema != session.temp.schema:
        raise FeatureNotSupported("cannot access temporary tables of other sessions")
    return schema


# How a table is dropped, and its rows deleted (sql.ddl's, passed in by the session).
Drop = Callable[[SessionApi, TableDef, Catalog], None]
Delete = Callable[[SessionApi, TableDef], None]


def at_commit(session: SessionApi, drop: Drop, delete: Delete) -> None:
    """Run the ON COMMIT actions in the committing transaction."""
    state: TempState = session.temp
    if not state.on_commit:
        return
    catalog = session.catalog()
    for tid, action in list(state.on_commit.items()):
        table = catalog.tables.get(tid)
        if table is None:
            del state.on_commit[tid]  # dropped, or its creation rolled back
        elif action == ON_COMMIT_DROP:
            drop(session, table, catalog)
            del state.on_commit[tid]
        else:
            delete(session, table)


def drop_all(session: SessionApi, drop: Drop) -> None:
    """Drop the session's temporary schema and all in it (in the current transaction)."""
    state: TempState = session.temp
    if not state.used:
        return
    catalog = session.catalog()
    for table in catalog.all_tables():
        if table.schema == state.schema:
            drop(session, table, catalog)
    if state.schema in catalog.schemas:
        session.database.catalogs.drop_schema(session.current_txn(), state.schema)
    state.on_commit.clear()
    state.used = False


def is_other_sessions(session: SessionApi, schema: str) -> bool:
    return schema.startswith(PREFIX) and schema != session.temp.schema
