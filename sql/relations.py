"""Relation names resolved against the kind of relation a statement names.

Tables, sequences and indexes share one namespace per schema, as in PostgreSQL. A statement
names a kind (DROP VIEW, ALTER SEQUENCE, TRUNCATE, COMMENT ON INDEX) and must fail with 42809
and PostgreSQL's message when the name is a relation of another kind, and change nothing.
Every statement that acts on a relation by name resolves it here, so that check exists once.
Foreign tables are a kind db9 cannot create: statements naming them resolve all the same and
answer "does not exist" or "is not a foreign table", as PostgreSQL would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql.catalog import Catalog, IndexDef, TableDef
from sql.errors import (
    InvalidName,
    InvalidSchemaName,
    SqlError,
    SyntaxError_,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)

# Kind as a statement names it -> (noun with its article, error for a missing name on DROP)
KINDS: dict[str, tuple[str, type[SqlError]]] = {
    "TABLE": ("a table", UndefinedTable),
    "SEQUENCE": ("a sequence", UndefinedTable),
    "VIEW": ("a view", UndefinedTable),
    "MATERIALIZED VIEW": ("a materialized view", UndefinedTable),
    "INDEX": ("an index", UndefinedObject),
    "FOREIGN TABLE": ("a foreign table", UndefinedObject),
}


@dataclass
class Relation:
    """A resolved relation: a table or sequence, or an index with the table it belongs to."""

    kind: str  # "TABLE", "SEQUENCE", "VIEW", "MATERIALIZED VIEW" or "INDEX"
    table: TableDef
    index: IndexDef | None = None

    @property
    def name(self) -> str:
        return self.index.name if self.index is not None else self.table.name

    @property
    def plural(self) -> str:
        return {"TABLE": "tables", "SEQUENCE": "sequences", "INDEX": "indexes",
                "VIEW": "views", "MATERIALIZED VIEW": "materialized views"}[self.kind]  # fmt: skip


@dataclass(frozen=True)
class Name:
    schema: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def lookup(catalog: Catalog, name: Name, search_path: list[str]) -> Relation | None:
    """The relation ``name`` denotes, or None; 3F000 when its explicit schema is missing."""
    if name.schema is not None and name.schema not in catalog.schemas:
        raise InvalidSchemaName(f'schema "{name.schema}" does not exist')
    for schema in [name.schema] if name.schema is not None else search_path:
        table = catalog.find(name.name, schema, [])
        if table is not None:
            kind = {"sequence": "SEQUENCE", "view": "VIEW"}.get(table.kind, "TABLE")
            if table.materialized:
                kind = "MATERIALIZED VIEW"
            return Relation(kind, table)
        for t in catalog.all_tables():
            index = t.index(name.name) if t.schema == schema else None
            if index is not None:
                return Relation("INDEX", t, index)
    return None


def for_drop(
    catalog: Catalog, kind: str, name: Name, search_path: list[str], notices: list[str]
) -> Relation | None:
    """Resolve a DROP <kind> target as PostgreSQL's RemoveRelations does; None: skipped
    (IF EXISTS is the caller's: it passes ``notices`` only then)."""
    missing_ok = notices is not _RAISE
    noun = kind.lower()
    try:
        rel = lookup(catalog, name, search_path)
    except InvalidSchemaName:
        if not missing_ok:
            raise
        notices.append(f'schema "{name.schema}" does not exist, skipping')
        return None
    if rel is None:
        if not missing_ok:
            raise KINDS[kind][1](f'{noun} "{name.name}" does not exist')
        notices.append(f'{noun} "{name.name}" does not exist, skipping')
        return None
    if rel.kind != kind:
        article = KINDS[rel.kind][0]
        raise WrongObjectType(
            f'"{name.name}" is not {KINDS[kind][0]}',
            hint=f"Use DROP {rel.kind} to remove {article}.",
        )
    return rel


def for_alter(
    catalog: Catalog,
    kind: str,
    name: Name,
    search_path: list[str],
    notices: list[str],
    *,
    rename: bool,
) -> Relation | None:
    """Resolve an ALTER <kind> target as PostgreSQL's RangeVarCallbackForAlterRelation does:
    ALTER TABLE takes any relation (its actions check further), ALTER INDEX any relation
    for RENAME only, the other kinds only their own."""
    missing_ok = notices is not _RAISE
    try:
        rel = lookup(catalog, name, search_path)
    except InvalidSchemaName:
        if not missing_ok:
            raise
        rel = None
    if rel is None:
        if not missing_ok:
            raise UndefinedTable(f'relation "{name.name}" does not exist')
        notices.append(f'relation "{name.name}" does not exist, skipping')
        return None
    if kind == "TABLE" or rel.kind == kind or (kind == "INDEX" and rename):
        return rel
    raise WrongObjectType(f'"{name.name}" is not {KINDS[kind][0]}')


def for_use(catalog: Catalog, kind: str, name: Name, search_path: list[str]) -> Relation:
    """Resolve a relation a statement acts on without IF EXISTS (TRUNCATE, COMMENT ON, GRANT
    ON): 42P01 when missing, 42809 when of another kind."""
    rel = lookup(catalog, name, search_path)
    if rel is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    if rel.kind != kind:
        raise WrongObjectType(f'"{name.name}" is not {KINDS[kind][0]}')
    return rel


# Passed as ``notices`` to mean: no IF EXISTS, a missing name is an error.
_RAISE: list[str] = []


def notices_or_raise(if_exists: bool, notices: list[str]) -> list[str]:
    return notices if if_exists else _RAISE


# -- names in a statement's tokens -----------------------------------------------------------


_NAME_PART = re.compile(r'"((?:[^"]|"")*)"|([^.]+)')


def parse_name(text: str) -> Name:
    """A relation name given as text (nextval('s'), 'x.t'::regclass): unquoted parts fold to
    lower case, quoted ones keep theirs, as PostgreSQL's stringToQualifiedNameList reads
    them; 42602 for text that is no name."""
    parts: list[str] = []
    at = 0
    while True:
        m = _NAME_PART.match(text, at)
        if m is None:
            raise InvalidName("invalid name syntax")
        parts.append(m[1].replace('""', '"') if m[1] is not None else m[2].strip().lower())
        at = m.end()
        if at == len(text):
            break
        if text[at] != ".":
            raise InvalidName("invalid name syntax")
        at += 1
    if len(parts) > 3:
        raise SyntaxError_(f"improper relation name (too many dotted names): {text}")
    if len(parts) == 3:
        parts = parts[1:]  # database.schema.name: the database is this one
    return Name(parts[0] if len(parts) == 2 else None, parts[-1])


def ident(tok: Any) -> str:
    """An identifier as PostgreSQL folds it: unquoted lower-cased, quoted kept."""
    return str(tok.text) if tok.token_type == TokenType.IDENTIFIER else str(tok.text).lower()


def read_names(tokens: list[Any], i: int) -> tuple[list[Name], int]:
    """Comma-separated, possibly schema-qualified names from ``tokens[i]``; returns them and
    the index after the last."""
    names: list[Name] = []
    while True:
        if i >= len(tokens) or tokens[i].token_type in (TokenType.COMMA, TokenType.SEMICOLON):
            raise SyntaxError_("syntax error at end of input")
        first = ident(tokens[i])
        i += 1
        if i + 1 < len(tokens) and tokens[i].token_type == TokenType.DOT:
            names.append(Name(first, ident(tokens[i + 1])))
            i += 2
        else:
            names.append(Name(None, first))
        if i < len(tokens) and tokens[i].token_type == TokenType.COMMA:
            i += 1
            continue
        return names, i


def read_column_name(tokens: list[Any], i: int) -> tuple[Name, str, int]:
    """A column named ``table.column`` or ``schema.table.column`` (COMMENT ON COLUMN) from
    ``tokens[i]``: its table, its name, and the index after it."""
    parts = [ident(tokens[i])]
    i += 1
    while len(parts) < 3 and i + 1 < len(tokens) and tokens[i].token_type == TokenType.DOT:
        parts.append(ident(tokens[i + 1]))
        i += 2
    if len(parts) == 1:
        raise SyntaxError_("column name must be qualified")
    return Name(parts[0] if len(parts) == 3 else None, parts[-2]), parts[-1], i


def words_at(tokens: list[Any], i: int, *words: str) -> bool:
    """Whether the tokens from ``i`` are the keywords ``words``."""
    return len(tokens) >= i + len(words) and all(
        str(tokens[i + k].text).upper() == w for k, w in enumerate(words)
    )


def paren_text(text: str, tokens: list[Any], i: int, start: int) -> tuple[str, int]:
    """The text between the parenthesis at ``tokens[i]`` and its match; the index after it."""
    if i >= len(tokens) or tokens[i].token_type != TokenType.L_PAREN:
        near = tokens[i].text if i < len(tokens) else "end of input"
        raise SyntaxError_(f'syntax error at or near "{near}"')
    depth = 0
    for j in range(i, len(tokens)):
        kind = tokens[j].token_type
        depth += kind == TokenType.L_PAREN
        depth -= kind == TokenType.R_PAREN
        if depth == 0:
            return text[tokens[i].end + 1 - start : tokens[j].start - start], j + 1
    raise SyntaxError_("syntax error at end of input")
