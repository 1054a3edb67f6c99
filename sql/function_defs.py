"""pg_get_functiondef: a routine's CREATE OR REPLACE statement as PostgreSQL prints it (psql's
\\sf and \\ef read it): the qualified name and arguments, RETURNS, LANGUAGE, the options that
differ from the defaults, and the body between dollar quotes."""

from __future__ import annotations

from sql import routine_types
from sql.catalog import RoutineDef
from sql.errors import FeatureNotSupported, WrongObjectType
from sql.functions_text import quote_ident

_VOLATILITY = {"i": " IMMUTABLE", "s": " STABLE", "v": ""}


def _dollar_quoted(body: str, tag: str) -> str:
    while f"${tag}$" in body:
        tag = "_" + tag
    return f"${tag}${body}${tag}$"


def definition(r: RoutineDef) -> str:
    if r.kind == "a":
        raise WrongObjectType(f'"{r.name}" is an aggregate function')
    if r.atomic:
        raise FeatureNotSupported("pg_get_functiondef of a BEGIN ATOMIC body is not supported")
    procedure = r.kind == "p"
    kind = "PROCEDURE" if procedure else "FUNCTION"
    name = f"{quote_ident(r.schema)}.{quote_ident(r.name)}"
    out = f"CREATE OR REPLACE {kind} {name}({routine_types.describe_arguments(r)})\n"
    if not procedure:
        out += f" RETURNS {routine_types.describe_result(r)}\n"
    out += f" LANGUAGE {quote_ident(r.language)}\n"
    if not procedure:  # the options that are not the defaults, on one line
        options = _VOLATILITY.get(r.volatility, "") + (" STRICT" if r.strict else "")
        out += f"{options}\n" if options else ""
    tag = "procedure" if procedure else "function"
    return out + f"AS {_dollar_quoted(r.body, tag)}\n"
