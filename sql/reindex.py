"""REINDEX, checked as PostgreSQL 15 checks it and otherwise a no-op: db9 writes every index
entry in the transaction that writes its row, so an index never needs rebuilding.

    REINDEX [ ( option [, ...] ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM }
        [ CONCURRENTLY ] name
"""

from __future__ import annotations

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import privileges, relations, roles
from sql.errors import (
    ActiveSqlTransaction,
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidSchemaName,
    SyntaxError_,
    UndefinedTable,
    WrongObjectType,
)
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.session_api import SessionApi

_KINDS = ("INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM")
_OPTIONS = ("CONCURRENTLY", "TABLESPACE", "VERBOSE")


def run(session: SessionApi, text: str) -> Result:
    head = DIALECT.tokenize(text)[0]
    # sqlglot hands back the rest of a command it does not parse as one token: read it again.
    tokens, i = [head, *DIALECT.tokenize(text[head.end + 1 :])], 1
    if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
        i += 1
        while i < len(tokens) and tokens[i].token_type != TokenType.R_PAREN:
            word = str(tokens[i].text).upper()
            first = tokens[i - 1].token_type in (TokenType.L_PAREN, TokenType.COMMA)
            if tokens[i].token_type != TokenType.COMMA and word not in _OPTIONS and first:
                raise SyntaxError_(f'unrecognized REINDEX option "{tokens[i].text}"')
            i += 1
        i += 1
    kind = str(tokens[i].text).upper() if i < len(tokens) else ""
    if kind not in _KINDS:
        at = tokens[i].text if i < len(tokens) else "end of input"
        raise SyntaxError_(f'syntax error at or near "{at}"')
    i += 1
    concurrently = i < len(tokens) and str(tokens[i].text).upper() == "CONCURRENTLY"
    i += concurrently
    names, i = relations.read_names(tokens, i)
    if len(names) > 1 or (i < len(tokens) and tokens[i].token_type != TokenType.SEMICOLON):
        at = tokens[i].text if i < len(tokens) else ","
        raise SyntaxError_(f'syntax error at or near "{at}"')
    name = names[0]
    if concurrently and session.in_block:
        raise ActiveSqlTransaction("REINDEX CONCURRENTLY cannot run inside a transaction block")
    catalog = session.catalog()
    if kind in ("INDEX", "TABLE"):
        system = name.schema in ("pg_catalog", "pg_toast")
        rel = None if system else relations.lookup(catalog, name, session.search_path())
        if system or (rel is None and name.schema is None and name.name.startswith("pg_")):
            # PostgreSQL's own catalogs (db9 serves them as views of its catalog).
            if concurrently:
                raise FeatureNotSupported("cannot reindex system catalogs concurrently")
            if not roles.is_superuser(session):  # the bootstrap superuser owns them
                raise InsufficientPrivilege(f"must be owner of {kind.lower()} {name.name}")
            return Result("REINDEX")
        if rel is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        if kind == "INDEX" and rel.kind != "INDEX":
            raise WrongObjectType(f'"{name.name}" is not an index')
        if kind == "TABLE" and rel.kind != "TABLE":
            raise WrongObjectType(f'"{name.name}" is not a table or materialized view')
        privileges.require_owner(session, rel.table, kind.lower(), rel.name)
        if session.in_block and rel.table.partkey is not None:
            # a partitioned table's (or index's) partitions are reindexed each in its own
            # transaction
            raise ActiveSqlTransaction(f"REINDEX {kind} cannot run inside a transaction block")
        return Result("REINDEX")
    if session.in_block:
        raise ActiveSqlTransaction(f"REINDEX {kind} cannot run inside a transaction block")
    if kind == "SCHEMA":
        if name.schema is not None or name.name not in catalog.schemas:
            raise InvalidSchemaName(f'schema "{name.name}" does not exist')
        if not roles.is_superuser(session):  # db9's schemas are the login user's
            raise InsufficientPrivilege(f"must be owner of schema {name.name}")
        if concurrently and name.name == "pg_catalog":
            session.notices.append("cannot reindex system catalogs concurrently, skipping all")
        return Result("REINDEX")
    if name.name != session.info("current_database"):
        raise FeatureNotSupported("can only reindex the currently open database")
    if concurrently and kind == "SYSTEM":
        raise FeatureNotSupported("cannot reindex system catalogs concurrently")
    return Result("REINDEX")
