"""Named prepared statements: SQL's PREPARE, EXECUTE and DEALLOCATE, as PostgreSQL runs them
(sql.system_catalog lists them in pg_prepared_statements).

A session has one namespace of prepared statements: those SQL's PREPARE makes and those a
client makes with the protocol's Parse (``from_sql`` tells them apart, as in PostgreSQL), so
DEALLOCATE drops either (drivers such as psycopg deallocate protocol statements with SQL) and
a name is taken once (42P05). The unnamed protocol statement is not in it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

from sql.casts import coerce_to
from sql.errors import (
    DatatypeMismatch,
    DuplicatePreparedStatement,
    FeatureNotSupported,
    InvalidSqlStatementName,
    SyntaxError_,
    UndefinedObject,
)
from sql.expr import Compiler, datatype_to_sql
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.scope import Context, Scope
from sql.statements import Statement, command_tokens
from sql.types import SqlType

# What PREPARE takes (PostgreSQL's PreparableStmt).
PREPARABLE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "WITH", "TABLE"})


@dataclass
class Prepared:
    """A parsed statement with its parameter types and result columns (None: no rows).
    ``text``: the query string that prepared it, as pg_prepared_statements shows it."""

    stmt: Statement | None  # None for an empty query string
    param_types: list[SqlType]
    columns: list[tuple[str, SqlType]] | None
    text: str = ""
    from_sql: bool = False
    prepared_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class Session(Protocol):
    """What prepared statements need of the session (sql.session.Session)."""

    prepared: dict[str, Prepared]

    def prepare(self, sql: str, param_oids: list[int] | None = None) -> Prepared: ...

    def run_prepared(self, prepared: Prepared, params: list[Any]) -> Result: ...


def add(session: Session, name: str, prepared: Prepared) -> None:
    """Name ``prepared`` in the session (42P05 if the name is taken)."""
    if name in session.prepared:
        raise DuplicatePreparedStatement(f'prepared statement "{name}" already exists')
    session.prepared[name] = prepared


def find(session: Session, name: str) -> Prepared:
    prepared = session.prepared.get(name)
    if prepared is None:
        raise InvalidSqlStatementName(f'prepared statement "{name}" does not exist')
    return prepared


def _name(tok: Any) -> str:
    return str(tok.text) if tok.token_type == TokenType.IDENTIFIER else str(tok.text).lower()


def _closing(tokens: list[Any], at: int) -> int:
    """The index of the parenthesis closing the one at ``at``."""
    depth = 0
    for k in range(at, len(tokens)):
        if tokens[k].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[k].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return k
    raise SyntaxError_("syntax error at end of input")


def _text(stmt: Statement, first: Any, last: Any) -> str:
    """The statement's text from token ``first`` through ``last`` (token offsets count from
    the query string; the statement's text starts at ``stmt.start``)."""
    return stmt.text[first.start - stmt.start : last.end - stmt.start + 1]


def _param_type(text: str) -> SqlType | None:
    """A PREPARE parameter's declared type; None for ``unknown`` (left to the statement)."""
    if text.strip().lower() == "unknown":
        return None
    text = re.sub(r"^\s*pg_catalog\s*\.\s*", "", text, flags=re.IGNORECASE)  # pg_dump's
    try:
        return datatype_to_sql(exp.DataType.build(text, dialect=DIALECT))
    except (ParseError, ValueError, FeatureNotSupported):
        raise UndefinedObject(f'type "{text.strip()}" does not exist') from None


def prepare(session: Session, stmt: Statement) -> Result:
    """PREPARE name [(type, ...)] AS statement."""
    toks = command_tokens(stmt)
    if len(toks) < 2:
        raise SyntaxError_("syntax error at end of input")
    name = _name(toks[1])
    at = 2
    types: list[SqlType | None] = []
    if at < len(toks) and toks[at].token_type == TokenType.L_PAREN:
        end = _closing(toks, at)
        start, depth = at + 1, 0
        for k in range(at + 1, end + 1):
            kind = toks[k].token_type
            depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
            if k == end or (kind == TokenType.COMMA and depth == 0):
                if k == start:
                    raise SyntaxError_(f'syntax error at or near "{toks[k].text}"')
                types.append(_param_type(_text(stmt, toks[start], toks[k - 1])))
                start = k + 1
        at = end + 1
    if at >= len(toks) or str(toks[at].text).upper() != "AS":
        near = toks[at].text if at < len(toks) else None
        raise SyntaxError_(f'syntax error at or near "{near}"' if near else
                           "syntax error at end of input")  # fmt: skip
    if at + 1 >= len(toks):
        raise SyntaxError_("syntax error at end of input")
    body = stmt.text[toks[at + 1].start - stmt.start :]
    if str(toks[at + 1].text).upper() not in PREPARABLE:
        raise SyntaxError_(f'syntax error at or near "{toks[at + 1].text}"')
    if name in session.prepared:
        raise DuplicatePreparedStatement(f'prepared statement "{name}" already exists')
    # By their oids: a parameter's type has no modifiers (varchar(3) is varchar), as in
    # PostgreSQL.
    prepared = session.prepare(body, [t.oid if t is not None else 0 for t in types])
    prepared.text, prepared.from_sql = stmt.query or stmt.text, True
    add(session, name, prepared)
    return Result("PREPARE")


def _assignable(src: SqlType, dst: SqlType) -> bool:
    """Whether PostgreSQL coerces a value of ``src`` to ``dst`` by assignment (EXECUTE's
    parameters, as its coerce_to_target_type with COERCION_ASSIGNMENT does)."""
    if src.name in ("unknown", dst.name) or dst.category == "S":
        return True
    if src.element is not None or dst.element is not None:
        return (
            src.element is not None
            and dst.element is not None
            and _assignable(src.element, dst.element)
        )
    return src.category == dst.category and src.category in ("N", "D")


def execute(session: Session, stmt: Statement, ctx: Context) -> Result:
    """EXECUTE name [(value, ...)]: the statement with its parameters' values."""
    toks = command_tokens(stmt)
    if len(toks) < 2:
        raise SyntaxError_("syntax error at end of input")
    name = _name(toks[1])
    args: list[exp.Expr] = []
    if len(toks) > 2:
        if toks[2].token_type != TokenType.L_PAREN or _closing(toks, 2) != len(toks) - 1:
            raise SyntaxError_(f'syntax error at or near "{toks[2].text}"')
        inner = _text(stmt, toks[2], toks[-1])
        tree = sqlglot.parse_one(f"SELECT {inner[1:-1]}", read=DIALECT)
        args = list(tree.expressions)
    prepared, values = bind(session, name, args, ctx)
    return session.run_prepared(prepared, values)


def bind(
    session: Session, name: str, args: list[exp.Expr], ctx: Context
) -> tuple[Prepared, list[Any]]:
    """The prepared statement ``name`` and the values of its parameters ``args`` (EXECUTE's
    and CREATE TABLE ... AS EXECUTE's), checked as PostgreSQL checks them."""
    prepared = find(session, name)
    want = prepared.param_types
    if len(args) != len(want):
        raise SyntaxError_(
            f'wrong number of parameters for prepared statement "{name}"',
            detail=f"Expected {len(want)} parameters but got {len(args)}.",
        )
    comp = Compiler(Scope([]), ctx)
    values = []
    for k, (arg, t) in enumerate(zip(args, want, strict=True)):
        if arg.find(exp.Select) is not None:
            raise FeatureNotSupported("cannot use subquery in EXECUTE parameter")
        typed = comp.compile(arg)
        if not _assignable(typed.type, t):
            raise DatatypeMismatch(
                f"parameter ${k + 1} of type {typed.type.display()} cannot be coerced to the "
                f"expected type {t.display()}",
                hint="You will need to rewrite or cast the expression.",
            )
        values.append(coerce_to(typed, t).fn(()))
    return prepared, values


def deallocate(session: Session, words: list[str]) -> Result:
    """DEALLOCATE [PREPARE] name | ALL."""
    rest = words[1:]
    if rest[:1] and rest[0].upper() == "PREPARE":
        rest = rest[1:]
    if len(rest) != 1:
        near = rest[1] if len(rest) > 1 else None
        raise SyntaxError_(f'syntax error at or near "{near}"' if near else
                           "syntax error at end of input")  # fmt: skip
    if rest[0].upper() == "ALL":
        session.prepared.clear()
        return Result("DEALLOCATE ALL")
    word = rest[0]
    name = word[1:-1] if word.startswith('"') else word.lower()
    find(session, name)
    del session.prepared[name]
    return Result("DEALLOCATE")


def columns_of_execute(session: Session, stmt: Statement) -> list[tuple[str, SqlType]] | None:
    """The columns EXECUTE answers with (the protocol describes it before running it)."""
    toks = command_tokens(stmt)
    prepared = session.prepared.get(_name(toks[1])) if len(toks) > 1 else None
    return prepared.columns if prepared is not None else None
