"""The SQL dialect db9 parses: sqlglot's PostgreSQL dialect, except that a function call keeps
the name it was written with.

sqlglot's parser turns many PostgreSQL calls into generic nodes named for other databases
(``version()`` into CurrentVersion, ``to_char`` into TimeToStr, ``sha256`` into SHA2Digest,
``to_timestamp(0)`` into UnixToTime) and sometimes reorders or drops their arguments on the
way. db9 resolves functions by PostgreSQL's name and argument types (sql.functions), so such
calls stay plain calls (exp.Anonymous) with their arguments in the order written. Only the
names whose sqlglot node db9 compiles by class keep sqlglot's builder (aggregates, window
functions, SQL-syntax forms and the few calls it reads structurally).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.parsers.postgres import PostgresParser
from sqlglot.tokens import TokenType  # type: ignore[attr-defined]

# Calls db9 compiles from sqlglot's node (sql.expr, sql.functions._SPECIAL, sql.plan.binder).
KEPT_BUILDERS = frozenset(
    {
        # aggregates and window functions (sql.plan.binder reads their classes)
        "COUNT", "SUM", "AVG", "MIN", "MAX", "ARRAY_AGG", "ARRAYAGG", "STRING_AGG",
        "GROUP_CONCAT", "BOOL_AND", "BOOL_OR", "LOGICAL_AND", "LOGICAL_OR", "ROW_NUMBER",
        # forms that are syntax in PostgreSQL, or nodes compiled by class
        "ARRAY", "CASE", "CAST", "TRY_CAST", "EXISTS", "IF", "COALESCE", "NULLIF", "CONCAT",
        "CONCAT_WS", "ROUND", "GENERATE_SERIES", "EXPLODING_GENERATE_SERIES", "UNNEST",
        "EXPLODE", "DATE_TRUNC", "EXTRACT", "SUBSTRING", "TRIM", "LIKE", "GLOB",
        "JSON_EXTRACT_PATH", "JSON_EXTRACT_PATH_TEXT", "JSONB_EXTRACT", "JSONB_EXTRACT_SCALAR",
        "JSON_EXTRACT", "JSON_EXTRACT_SCALAR", "GREATEST", "LEAST",
        "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_SCHEMA", "CURRENT_USER", "SESSION_USER",
        "CURRENT_ROLE", "CURRENT_TIME", "LOCALTIME", "LOCALTIMESTAMP",
    }
)  # fmt: skip

# Special-syntax parsers for names that are plain calls in PostgreSQL (sqlglot reads
# Oracle's DECODE, and CHR ... USING, for them).
# JSON_OBJECT: PostgreSQL 15's json_object is a plain function (text[] of pairs, or keys and
# values); the SQL/JSON JSON_OBJECT(k VALUE v) form sqlglot parses it as is PostgreSQL 16's.
_PLAIN_CALLS = frozenset({"DECODE", "CHR", "CHAR", "INITCAP", "DATE_PART", "JSON_OBJECT"})


class PowerOperator(exp.Pow):
    """``a ^ b``: power() under another name (its column is ?column?, not power)."""


class Db9Postgres(Postgres):
    # Subscripts stay 1-based as written: sqlglot lowers only those it types as integers
    # (a[2], not a[i] or a[$1]), so db9 lowers them all when it compiles (sql.expr). Each
    # Bracket is marked offset=1, so PostgreSQL text generated from the tree is as written.
    INDEX_OFFSET = 0

    class Parser(PostgresParser):
        def parse(self, raw_tokens: list[Any], sql: str) -> list[Any]:
            trees = super().parse(raw_tokens, sql)
            for tree in trees:
                for bracket in tree.find_all(exp.Bracket) if tree is not None else ():
                    bracket.set("offset", 1)
            return trees

        EXPONENT: ClassVar[dict[Any, Any]] = {
            **PostgresParser.EXPONENT,
            TokenType.CARET: PowerOperator,
        }
        FUNCTIONS: ClassVar[dict[str, Any]] = {
            name: build for name, build in PostgresParser.FUNCTIONS.items() if name in KEPT_BUILDERS
        }
        FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
            name: parse
            for name, parse in PostgresParser.FUNCTION_PARSERS.items()
            if name not in _PLAIN_CALLS
        }


DIALECT = Db9Postgres()
