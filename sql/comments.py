"""COMMENT ON TABLE / SEQUENCE / INDEX / COLUMN / CONSTRAINT: the text is kept on the object's
own catalog entry (so it follows renames and goes with a drop) and read back through
pg_description, obj_description and col_description."""

from __future__ import annotations

import copy
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql import extensions, privileges, relations
from sql.catalog import Catalog
from sql.errors import SyntaxError_, UndefinedObject
from sql.session_api import SessionApi

PG_CLASS = 1259  # pg_description.classoid of relations and their columns
PG_CONSTRAINT = 2606
PG_NAMESPACE = 2615


def _text(tokens: list[Any], j: int) -> str | None:
    """The IS clause from ``tokens[j]``: the comment, or None for IS NULL (which removes it)."""
    if len(tokens) != j + 2 or str(tokens[j].text).upper() != "IS":
        raise SyntaxError_(f'syntax error at or near "{tokens[min(j, len(tokens) - 1)].text}"')
    tok = tokens[j + 1]
    if tok.token_type == TokenType.NULL:
        return None
    if tok.token_type not in (
        TokenType.STRING,
        TokenType.NATIONAL_STRING,
        TokenType.HEREDOC_STRING,
    ):
        raise SyntaxError_(f'syntax error at or near "{tok.text}"')
    text = str(tok.text)
    return text or None  # an empty comment removes it, as in PostgreSQL


def comment_text(tokens: list[Any], j: int) -> str | None:
    """The IS clause from ``tokens[j]`` (None: IS NULL or '', which remove the comment)."""
    return _text(tokens, j)


def record(session: SessionApi, catalog: Catalog, kind: str, tokens: list[Any], i: int) -> None:
    """Store the comment of ``COMMENT ON <kind> <name> IS ...`` whose name starts at
    ``tokens[i]``; the caller has checked that the object exists."""
    path = session.search_path()
    if kind == "CONSTRAINT":
        con_name = relations.ident(tokens[i])
        if not relations.words_at(tokens, i + 1, "ON"):
            raise SyntaxError_(f'syntax error at or near "{tokens[i + 1].text}"')
        if relations.words_at(tokens, i + 2, "DOMAIN"):
            _domain_constraint(session, catalog, con_name, tokens, i + 3)
            return
        names, j = relations.read_names(tokens, i + 2)
        rel = relations.for_use(catalog, "TABLE", names[0], path)
        privileges.require_owner(session, rel.table, "relation")
        con = next((c for c in rel.table.constraints if c.name == con_name), None)
        if con is None:
            raise UndefinedObject(
                f'constraint "{con_name}" for table "{rel.table.name}" does not exist'
            )
        con.comment = _text(tokens, j)
        table = rel.table
    else:
        if kind == "COLUMN":
            owner, column, j = relations.read_column_name(tokens, i)
            text = _text(tokens, j)
            table = relations.for_use(catalog, "TABLE", owner, path).table
            privileges.require_owner(session, table, "relation")
            table.column(column).comment = text
            session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
            return
        names, j = relations.read_names(tokens, i)
        text = _text(tokens, j)
        n = names[0]
        if kind == "SCHEMA":
            return  # schemas have no catalog entry of their own to hold it
        else:
            rel = relations.for_use(catalog, kind, n, path)
            table = rel.table
            privileges.require_owner(session, table, rel.kind.lower(), rel.name)
            if rel.index is not None:
                rel.index.comment = text
            else:
                table.comment = text
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)


def _domain_constraint(
    session: SessionApi, catalog: Catalog, con_name: str, tokens: list[Any], i: int
) -> None:
    """COMMENT ON CONSTRAINT name ON DOMAIN domain IS ... (the domain from ``tokens[i]``)."""
    names, j = relations.read_names(tokens, i)
    n = names[0]
    domain = catalog.find_type(n.name, n.schema, session.search_path())
    if domain is None or domain.kind != "domain":
        raise UndefinedObject(f'type "{n}" does not exist')
    con = next((c for c in domain.constraints if c.name == con_name), None)
    if con is None:
        raise UndefinedObject(f'constraint "{con_name}" for domain {domain.name} does not exist')
    privileges.require_owner(session, domain, "type")
    domain = copy.deepcopy(domain)
    next(c for c in domain.constraints if c.name == con_name).comment = _text(tokens, j)
    session.database.catalogs.put_table(session.current_txn(), domain, catalog, new=False)


def descriptions(catalog: Catalog) -> list[tuple[int, int, int, str]]:
    """pg_description's rows: (objoid, classoid, objsubid, description)."""
    rows = [(2200, PG_NAMESPACE, 0, "standard public schema")]  # as initdb comments it
    for t in catalog.all_tables():
        if t.comment:
            rows.append((t.id, PG_CLASS, 0, t.comment))
        for num, col in enumerate(t.live_columns, 1):
            if col.comment:
                rows.append((t.id, PG_CLASS, num, col.comment))
        rows += [(i.oid, PG_CLASS, 0, i.comment) for i in t.indexes if i.comment]
        rows += [(c.oid, PG_CONSTRAINT, 0, c.comment) for c in t.constraints if c.comment]
    return rows + extensions.descriptions(catalog)


def description(
    catalog: Catalog, oid: Any, classoid: int | None, subid: int, path: list[str]
) -> str | None:
    """obj_description / col_description: the comment on ``oid`` (of ``classoid``, any when
    None) at column ``subid`` (0: the object itself). A regclass arrives as its name."""
    if isinstance(oid, str):
        name = relations.Name(*oid.split(".")) if "." in oid else relations.Name(None, oid)
        rel = relations.lookup(catalog, name, path)
        if rel is None:
            return None
        oid = rel.index.oid if rel.index is not None else rel.table.id
    for o, c, s, text in descriptions(catalog):
        if o == oid and s == subid and (classoid is None or c == classoid):
            return text
    return None
