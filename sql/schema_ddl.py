"""CREATE SCHEMA with schema elements, and ALTER SCHEMA ... RENAME TO / OWNER TO.

``CREATE SCHEMA s CREATE TABLE ... CREATE VIEW ... CREATE INDEX ...`` runs as PostgreSQL's
transformCreateSchemaStmt runs it: the schema first, then its elements by kind (sequences,
tables, views, indexes, grants), each created in the new schema with that schema first on
the search path, so an index or view may name a table that comes later in the text.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import relations
from sql.catalog import SYSTEM_SCHEMAS
from sql.ddl import check_role
from sql.errors import (
    DuplicateSchema,
    FeatureNotSupported,
    InvalidSchemaDefinition,
    InvalidSchemaName,
    ReservedName,
    SyntaxError_,
)
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.session_api import SessionApi
from sql.statements import Statement, split_statements

# The order transformCreateSchemaStmt gives the elements, by leading command.
_ORDER = ("CREATE SEQUENCE", "CREATE TABLE", "CREATE VIEW", "CREATE INDEX", "GRANT")


def elements(stmt: Statement) -> tuple[str, list[Statement]]:
    """The schema's name and the statements of its elements, in the order they run; the
    name is "" when the statement names only an AUTHORIZATION."""
    toks = stmt.tokens
    i = 2
    if relations.words_at(toks, i, "IF", "NOT", "EXISTS"):
        i += 3
    name = ""
    if i < len(toks) and str(toks[i].text).upper() != "AUTHORIZATION":
        name = relations.ident(toks[i])
        i += 1
    if relations.words_at(toks, i, "AUTHORIZATION"):
        i += 2
    starts: list[int] = []
    depth = 0
    for j in range(i, len(toks)):
        kind = toks[j].token_type
        depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
        if depth == 0 and str(toks[j].text).upper() in ("CREATE", "GRANT"):
            starts.append(j)
        elif j == i:
            raise SyntaxError_(f'syntax error at or near "{toks[j].text}"')
    pieces: list[Statement] = []
    for n, j in enumerate(starts):
        end = toks[starts[n + 1]].start if n + 1 < len(starts) else toks[-1].end + 1
        text = stmt.text[toks[j].start - stmt.start : end - stmt.start]
        pieces.extend(split_statements(text))
    for piece in pieces:
        if piece.command not in _ORDER:
            raise SyntaxError_(f'syntax error at or near "{piece.tokens[1].text}"')
    pieces.sort(key=lambda p: _ORDER.index(p.command))
    return name, pieces


def check_element(schema: str, piece: Statement) -> None:
    """42P15 for an element that names another schema for what it creates."""
    if piece.command not in ("CREATE TABLE", "CREATE VIEW", "CREATE SEQUENCE"):
        return
    tree = sqlglot.parse_one(piece.text, read=DIALECT)
    target = tree.this if isinstance(tree, exp.Create) else None
    if isinstance(target, exp.Schema):
        target = target.this
    if isinstance(target, exp.Table) and target.db and target.db != schema:
        raise InvalidSchemaDefinition(
            f"CREATE specifies a schema ({target.db}) different from the one being created "
            f"({schema})"
        )


def create_with_elements(
    session: SessionApi,
    stmt: Statement,
    create: Callable[[str], Result],
    run: Callable[[Statement], Result],
) -> Result:
    """CREATE SCHEMA with elements: ``create`` makes the schema (from its name), ``run`` runs
    one element statement in this transaction."""
    name, pieces = elements(stmt)
    if relations.words_at(stmt.tokens, 2, "IF", "NOT", "EXISTS"):
        raise FeatureNotSupported("CREATE SCHEMA IF NOT EXISTS cannot include schema elements")
    if not name:
        name = session.user
    for piece in pieces:
        check_element(name, piece)
    create(name)
    settings = session.settings
    saved = settings["search_path"]
    settings["search_path"] = f'"{name}", {saved}'
    try:
        for piece in pieces:
            run(piece)
    finally:
        settings["search_path"] = saved
    return Result("CREATE SCHEMA")


def alter(session: SessionApi, stmt: Statement) -> Result:
    """ALTER SCHEMA name RENAME TO new | OWNER TO role (checked; db9's schemas belong to the
    login user)."""
    toks = stmt.tokens
    if len(toks) == 6 and relations.words_at(toks, 3, "RENAME", "TO"):
        return rename(session, relations.ident(toks[2]), relations.ident(toks[5]))
    if len(toks) == 6 and relations.words_at(toks, 3, "OWNER", "TO"):
        name = relations.ident(toks[2])
        if name not in session.catalog().schemas:
            raise InvalidSchemaName(f'schema "{name}" does not exist')
        check_role(session, toks[5])
        return Result("ALTER SCHEMA")
    at = toks[min(3, len(toks) - 1)].text
    raise SyntaxError_(f'syntax error at or near "{at}"')


def rename(session: SessionApi, old: str, new: str) -> Result:
    """ALTER SCHEMA old RENAME TO new: the schema and everything that names it by name
    (its relations, foreign keys to them, views reading them, serial defaults)."""
    catalog = session.catalog()
    if old not in catalog.schemas:
        raise InvalidSchemaName(f'schema "{old}" does not exist')
    if new in catalog.schemas:
        raise DuplicateSchema(f'schema "{new}" already exists')
    if new.startswith("pg_") or old in SYSTEM_SCHEMAS or old.startswith("pg_"):
        shown = new if new.startswith("pg_") else old
        raise ReservedName(
            f'unacceptable schema name "{shown}"',
            detail='The prefix "pg_" is reserved for system schemas.',
        )
    store = session.database.catalogs
    txn = session.current_txn()
    store.rename_schema(txn, old, new)
    renamed = session.catalog()
    for table in renamed.all_tables():
        changed = table.schema == old
        if changed:
            store.rename_table(txn, table, table.name, schema=old)
            table.schema = new
        for con in table.constraints:
            if con.kind == "f" and (con.ref_table or "").startswith(f"{old}."):
                con.ref_table = new + con.ref_table[len(old) :]  # type: ignore[index]
                changed = True
        for col in table.columns:
            if col.default is not None and f"'{old}." in col.default:
                col.default = col.default.replace(f"'{old}.", f"'{new}.")
                changed = True
        if table.kind == "view" and table.query:
            query = sqlglot.parse_one(table.query, read=DIALECT)
            for t in query.find_all(exp.Table):
                if t.db == old:
                    t.set("db", exp.to_identifier(new))
                    changed = True
            table.query = query.sql(dialect="postgres")
        if changed:
            store.put_table(txn, table, renamed, new=table.schema == new)
    return Result("ALTER SCHEMA")
