"""Relation names inside stored expressions: regclass literals (``'s'::regclass``,
``CAST('s' AS regclass)``) and the sequence argument of nextval/currval/setval.

PostgreSQL resolves such a literal to an oid when the expression is created and prints it back
(pg_get_expr, pg_get_constraintdef, pg_get_indexdef) as regclassout does: unqualified when the
relation is visible on the *current* search path, schema-qualified otherwise. pg_dump empties
the search path, so a dump says ``nextval('public.items_id_seq'::regclass)`` and restores
whatever the restoring session's path is.

db9 stores expressions as text, so the invariants are:

- ``qualify`` runs when an expression is stored: every such literal naming an existing
  relation is rewritten schema-qualified (resolved on the creating session's path), so the
  stored text names the same relation under any later path.
- ``shown`` runs when an expression is printed: every such literal is printed as regclassout
  would under the printing session's path, with an explicit ``::regclass`` on nextval's
  argument. An unqualified stored name (text stored before names were qualified) is resolved on
  the path, then in public.

Only the literal's characters change; the rest of the text is kept as stored.
"""

from __future__ import annotations

from typing import Any

from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql.catalog import Catalog, TableDef
from sql.errors import SqlError
from sql.functions_text import quote_ident, quote_literal
from sql.relations import parse_name

# Functions whose first argument is a regclass: a string literal there is a regclass literal.
_SEQUENCE_FUNCTIONS = {"nextval", "currval", "setval"}


def _literals(tokens: list[Any]) -> list[tuple[int, int, str, str, str]]:
    """The regclass literals among ``tokens``: each as the (first, last) character offsets of
    the text to replace (the string of ``'s'::regclass``, all of ``CAST('s' AS regclass)``, a
    sequence function's name and bare argument), the name it holds, and what precedes and
    follows the new string (a sequence function's name in lower case, as PostgreSQL prints
    it, and ``::regclass`` unless the cast is outside the replaced text)."""
    out: list[tuple[int, int, str, str, str]] = []
    for i, tok in enumerate(tokens):
        if tok.token_type != TokenType.STRING:
            continue
        after = [t.text.lower() for t in tokens[i + 1 : i + 5]]
        before = [t.text.lower() for t in tokens[max(0, i - 2) : i]]
        if len(before) == 2 and before[0] in _SEQUENCE_FUNCTIONS and before[1] == "(":
            cast = "" if after[:1] == ["::"] else "::regclass"
            out.append((tokens[i - 2].start, tok.end, str(tok.text), f"{before[0]}(", cast))
        elif after[:2] == ["::", "regclass"] or after == ["::", "pg_catalog", ".", "regclass"]:
            out.append((tok.start, tok.end, str(tok.text), "", ""))
        elif before == ["cast", "("] and after[:3] == ["as", "regclass", ")"]:
            out.append((tokens[i - 2].start, tokens[i + 3].end, str(tok.text), "", "::regclass"))
    return out


def _rewrite(text: str, literal: Any) -> str:
    """``text`` with each regclass literal spelt ``'name'::regclass``, the name replaced by
    ``literal(name)`` (None: the literal is kept as it is)."""
    try:
        tokens = Postgres().tokenize(text)
    except TokenError:
        return text
    out, at = [], 0
    for first, last, name, before, after in _literals(tokens):
        new = literal(name)
        if new is None:
            continue
        out.append(text[at:first] + before + quote_literal(new) + after)
        at = last + 1
    out.append(text[at:])
    return "".join(out)


def _relation(catalog: Catalog, name: str, path: list[str]) -> TableDef | None:
    """The relation (table, view, sequence) ``name`` names; None when none does."""
    try:
        parsed = parse_name(name)
    except SqlError:
        return None
    return catalog.find(parsed.name, parsed.schema, path)


def qualify(text: str, catalog: Catalog, path: list[str]) -> str:
    """``text`` to store: its regclass literals schema-qualified, resolved on ``path``."""

    def literal(name: str) -> str | None:
        rel = _relation(catalog, name, path)
        return None if rel is None else f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"

    return _rewrite(text, literal)


def regclass_name(catalog: Catalog, rel: TableDef, path: list[str]) -> str:
    """``rel`` as regclassout prints it on ``path``: bare when the first schema of the path
    holding a relation of that name is its own, qualified otherwise."""
    holder = next((s for s in path if catalog.find(rel.name, s, []) is not None), None)
    if holder == rel.schema:
        return quote_ident(rel.name)
    return f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"


def shown(text: str, catalog: Catalog, path: list[str]) -> str:
    """Stored ``text`` as PostgreSQL deparses it on the search path ``path``."""

    def literal(name: str) -> str:
        rel = _relation(catalog, name, path) or _relation(catalog, name, ["public"])
        return name if rel is None else regclass_name(catalog, rel, path)

    return _rewrite(text, literal)
