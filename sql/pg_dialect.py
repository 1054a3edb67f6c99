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

from collections.abc import Collection
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.generators.postgres import PostgresGenerator
from sqlglot.parser import binary_range_parser
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


class Exclude(exp.ExcludeColumnConstraint):
    """``EXCLUDE [USING method] (key WITH op, ...) [WHERE (pred)] [DEFERRABLE ...]``: the
    index parameters as sqlglot reads them, and the DEFERRABLE / INITIALLY options, which it
    does not."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "options": False}


class PowerOperator(exp.Pow):
    """``a ^ b``: power() under another name (its column is ?column?, not power)."""


class SqrtOperator(exp.Sqrt):
    """``|/ x``: sqrt() as a prefix operator (its column is ?column?)."""

    _sql_names = ["SQRT"]


class CbrtOperator(exp.Cbrt):
    """``||/ x``: cbrt() as a prefix operator."""

    _sql_names = ["CBRT"]


PREFIX_OPERATORS = (PowerOperator, SqrtOperator, CbrtOperator)


class SameAs(exp.ArrayOverlaps):  # any plain binary node
    """``a ~= b``: the geometric "same as" operator."""


class Below(exp.ArrayOverlaps):  # any plain binary node
    """``a <^ b``: below (geometric)."""


class Above(exp.ArrayOverlaps):  # any plain binary node
    """``a >^ b``: above (geometric)."""


class Horizontal(exp.ArrayOverlaps):  # any plain binary node
    """``a ?- b``: on a horizontal line (geometric)."""


class StrictlyBelow(exp.ArrayOverlaps):  # any plain binary node
    """``a <<| b``: strictly below (geometric)."""


class StrictlyAbove(exp.ArrayOverlaps):  # any plain binary node
    """``a |>> b``: strictly above (geometric)."""


class PatternLess(exp.ArrayOverlaps):  # any plain binary node
    """``a ~<~ b``: text below, compared byte by byte (text_pattern_ops)."""


class PatternLessEq(exp.ArrayOverlaps):  # any plain binary node
    """``a ~<=~ b``."""


class PatternGreaterEq(exp.ArrayOverlaps):  # any plain binary node
    """``a ~>=~ b``."""


class PatternGreater(exp.ArrayOverlaps):  # any plain binary node
    """``a ~>~ b``."""


class TrgmWordSimilar(exp.ArrayOverlaps):  # any plain binary node
    """``a <% b``: pg_trgm's word similarity above the threshold (``%>``: swapped)."""


class TrgmWordSimilarSwapped(exp.ArrayOverlaps):  # any plain binary node
    """``a %> b``."""


class TrgmStrictSimilar(exp.ArrayOverlaps):  # any plain binary node
    """``a <<% b``: pg_trgm's strict word similarity above the threshold."""


class TrgmStrictSimilarSwapped(exp.ArrayOverlaps):  # any plain binary node
    """``a %>> b``."""


class TrgmWordDistance(exp.ArrayOverlaps):  # any plain binary node
    """``a <<-> b``: 1 - word_similarity(a, b)."""


class TrgmWordDistanceSwapped(exp.ArrayOverlaps):  # any plain binary node
    """``a <->> b``."""


class TrgmStrictDistance(exp.ArrayOverlaps):  # any plain binary node
    """``a <<<-> b``: 1 - strict_word_similarity(a, b)."""


class TrgmStrictDistanceSwapped(exp.ArrayOverlaps):  # any plain binary node
    """``a <->>> b``."""


# PostgreSQL operators sqlglot's tokenizer does not know, each on a token type PostgreSQL's
# grammar in sqlglot leaves unused.
_OPERATOR_TOKENS = {
    "~<~": (TokenType.DSTAR, PatternLess),
    "~<=~": (TokenType.SOUNDS_LIKE, PatternLessEq),
    "~>=~": (TokenType.MEMBER_OF, PatternGreaterEq),
    "~>~": (TokenType.START_WITH, PatternGreater),
    "~=": (TokenType.DCOLONQMARK, SameAs),
    "<^": (TokenType.DCOLONDOLLAR, Below),
    ">^": (TokenType.DCOLONPERCENT, Above),
    "?-": (TokenType.DOTCARET, Horizontal),
    "<<|": (TokenType.COLON_GT, StrictlyBelow),
    "|>>": (TokenType.NCOLON_GT, StrictlyAbove),
    "<%": (TokenType.SYSTIMESTAMP, TrgmWordSimilar),
    "%>": (TokenType.BULK_COLLECT_INTO, TrgmWordSimilarSwapped),
    "<<%": (TokenType.COLUMN_DEF, TrgmStrictSimilar),
    "%>>": (TokenType.CURRENT_USER_ID, TrgmStrictSimilarSwapped),
    "<<->": (TokenType.UNDROP, TrgmWordDistance),
    "<->>": (TokenType.INTEGRATION, TrgmWordDistanceSwapped),
    "<<<->": (TokenType.HIVE_TOKEN_STREAM, TrgmStrictDistance),
    "<->>>": (TokenType.URI_START, TrgmStrictDistanceSwapped),
}


def _binary_sql(symbol: str) -> Any:
    return lambda gen, e: gen.binary(e, symbol)


class SearchClause(exp.Expression):
    """A WITH query's ``SEARCH {DEPTH|BREADTH} FIRST BY col, ... SET seq`` (held in the CTE's
    ``search`` arg; sql.plan.search_cycle rewrites the query to compute ``seq``)."""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "expressions": True, "this": True}


class CycleClause(exp.Expression):
    """A WITH query's ``CYCLE col, ... SET mark [TO v DEFAULT d] USING path`` (the CTE's
    ``cycle`` arg); ``to`` / ``default`` are None for the boolean form."""

    arg_types: ClassVar[dict[str, bool]] = {
        "expressions": True, "this": True, "to": False, "default": False, "using": True,
    }  # fmt: skip


def _cte_sql(gen: Any, e: exp.CTE) -> str:
    text: str = gen.cte_sql(e)
    search, cycle = e.args.get("search"), e.args.get("cycle")
    if search is not None:
        cols = ", ".join(gen.sql(c) for c in search.expressions)
        text += f" SEARCH {search.args['kind']} FIRST BY {cols} SET {gen.sql(search.this)}"
    if cycle is not None:
        cols = ", ".join(gen.sql(c) for c in cycle.expressions)
        text += f" CYCLE {cols} SET {gen.sql(cycle.this)}"
        if cycle.args.get("to") is not None:
            text += f" TO {gen.sql(cycle.args['to'])} DEFAULT {gen.sql(cycle.args['default'])}"
        text += f" USING {gen.sql(cycle.args['using'])}"
    return text


class Db9Postgres(Postgres):
    class Generator(PostgresGenerator):
        TRANSFORMS: ClassVar[dict[Any, Any]] = {
            **PostgresGenerator.TRANSFORMS,
            **{node: _binary_sql(text) for text, (_, node) in _OPERATOR_TOKENS.items()},
            exp.CTE: _cte_sql,
        }

    class Tokenizer(Postgres.Tokenizer):
        KEYWORDS: ClassVar[dict[str, Any]] = {
            **Postgres.Tokenizer.KEYWORDS,
            **{text: token for text, (token, _) in _OPERATOR_TOKENS.items()},
            "CURRENT_ROLE": TokenType.CURRENT_ROLE,
        }

    class Parser(PostgresParser):
        EXPONENT: ClassVar[dict[Any, Any]] = {
            **PostgresParser.EXPONENT,
            TokenType.CARET: PowerOperator,
        }
        UNARY_PARSERS: ClassVar[dict[Any, Any]] = {
            **PostgresParser.UNARY_PARSERS,
            TokenType.PIPE_SLASH: lambda self: self.expression(
                SqrtOperator(this=self._parse_unary())
            ),
            TokenType.DPIPE_SLASH: lambda self: self.expression(
                CbrtOperator(this=self._parse_unary())
            ),
        }
        RANGE_PARSERS: ClassVar[dict[Any, Any]] = {
            **PostgresParser.RANGE_PARSERS,
            **{token: binary_range_parser(node) for token, node in _OPERATOR_TOKENS.values()},
        }
        CONSTRAINT_PARSERS: ClassVar[dict[str, Any]] = {
            **PostgresParser.CONSTRAINT_PARSERS,
            "EXCLUDE": lambda self: self.expression(
                Exclude(
                    this=self._parse_index_params(),
                    options=self._parse_key_constraint_options(),
                )
            ),
        }
        ADD_CONSTRAINT_KEYWORDS: ClassVar[set[str]] = {
            *PostgresParser.ADD_CONSTRAINT_KEYWORDS,
            "EXCLUDE",
        }
        FUNCTIONS: ClassVar[dict[str, Any]] = {
            name: build for name, build in PostgresParser.FUNCTIONS.items() if name in KEPT_BUILDERS
        }
        # delete(hstore, key): hstore's function (SQLAlchemy's HSTORE.delete); DELETE is an
        # unreserved keyword in PostgreSQL
        FUNC_TOKENS: ClassVar[set[Any]] = {*PostgresParser.FUNC_TOKENS, TokenType.DELETE}
        PROPERTY_PARSERS: ClassVar[dict[str, Any]] = {
            **PostgresParser.PROPERTY_PARSERS,
            "WITHOUT": lambda self: self._parse_without_oids(),
        }
        FUNCTION_PARSERS: ClassVar[dict[str, Any]] = {
            name: parse
            for name, parse in PostgresParser.FUNCTION_PARSERS.items()
            if name not in _PLAIN_CALLS
        }

        def _parse_statement(self) -> exp.Expr | None:
            # ``WITH q AS (...) VALUES (...)``: a VALUES list is a query the WITH may lead
            # (sqlglot reads the VALUES as a call); as a SELECT of it, it can hold the WITH
            pending, self._with_pending = self._with_pending, False
            if pending and self._curr is not None and self._curr.token_type == TokenType.VALUES:
                query = self._parse_select()
                if isinstance(query, exp.Values):
                    query = self._values_to_select(query)
                return query
            found: exp.Expr | None = super()._parse_statement()
            return found

        _with_pending = False  # a WITH list was just read: the statement it leads is next

        def _parse_generated_as_identity(
            self,
        ) -> (
            exp.GeneratedAsIdentityColumnConstraint
            | exp.ComputedColumnConstraint
            | exp.GeneratedAsRowColumnConstraint
        ):
            # PostgreSQL takes an identity's sequence options in any order (SeqOptList);
            # sqlglot only in its own (SQLAlchemy writes INCREMENT BY before START WITH).
            index = self._index
            by_default = self._match_text_seq("BY", "DEFAULT")
            if not by_default:
                self._match_text_seq("ALWAYS")
            if not (
                self._match(TokenType.ALIAS)
                and self._match_text_seq("IDENTITY")
                and self._match(TokenType.L_PAREN)
            ):
                self._retreat(index)
                return super()._parse_generated_as_identity()
            this = self.expression(exp.GeneratedAsIdentityColumnConstraint(this=not by_default))
            while not self._match(TokenType.R_PAREN):
                if self._match_text_seq("START"):
                    self._match_text_seq("WITH")
                    this.set("start", self._parse_bitwise())
                elif self._match_text_seq("INCREMENT"):
                    self._match_text_seq("BY")
                    this.set("increment", self._parse_bitwise())
                elif self._match_text_seq("MINVALUE"):
                    this.set("minvalue", self._parse_bitwise())
                elif self._match_text_seq("MAXVALUE"):
                    this.set("maxvalue", self._parse_bitwise())
                elif self._match_text_seq("CACHE"):
                    this.set("cache", self._parse_bitwise())
                elif self._match_text_seq("CYCLE"):
                    this.set("cycle", True)
                elif self._match_text_seq("NO", "CYCLE"):
                    this.set("cycle", False)
                elif not self._match_text_seq("NO", "MINVALUE") and not self._match_text_seq(
                    "NO", "MAXVALUE"
                ):  # NO MINVALUE / MAXVALUE: the type's bound, as when not given
                    self.raise_error("Expecting a sequence option")
            return this

        def _parse_with(self, skip_with_token: bool = False) -> exp.With | None:
            found: exp.With | None = super()._parse_with(skip_with_token)
            self._with_pending = found is not None
            return found

        def _parse_cte(self) -> exp.CTE | exp.FunctionSpecification | None:
            # PostgreSQL's SEARCH / CYCLE clauses follow the query they belong to (sqlglot
            # reads one, of one column, after the whole WITH list)
            cte = super()._parse_cte()
            if not isinstance(cte, exp.CTE):
                return cte
            if self._match_text_seq("SEARCH"):
                kind = self._match_texts(("DEPTH", "BREADTH")) and self._prev.text.upper()
                if not kind or not self._match_text_seq("FIRST", "BY"):
                    self.raise_error("syntax error in SEARCH clause")
                cols = self._parse_csv(self._parse_id_var)
                if not self._match_text_seq("SET"):
                    self.raise_error("syntax error in SEARCH clause: SET expected")
                cte.set("search", SearchClause(kind=kind, expressions=cols,
                                               this=self._parse_id_var()))  # fmt: skip
            if self._match_text_seq("CYCLE"):
                cols = self._parse_csv(self._parse_id_var)
                if not self._match_text_seq("SET"):
                    self.raise_error("syntax error in CYCLE clause: SET expected")
                mark = self._parse_id_var()
                to = default = None
                if self._match_text_seq("TO"):
                    to = self._parse_bitwise()
                    if not self._match(TokenType.DEFAULT):
                        self.raise_error("syntax error in CYCLE clause: DEFAULT expected")
                    default = self._parse_bitwise()
                if not self._match_text_seq("USING"):
                    self.raise_error("syntax error in CYCLE clause: USING expected")
                cte.set("cycle", CycleClause(expressions=cols, this=mark, to=to, default=default,
                                             using=self._parse_id_var()))  # fmt: skip
            return cte

        def _parse_type(
            self, parse_interval: bool = True, fallback_to_identifier: bool = False
        ) -> exp.Expr | None:
            # ``box '(0,0),(1,1)'``: any type name before a string constant is a cast of it
            # (PostgreSQL's GenericType Sconst), not only the names sqlglot knows as types.
            cur, nxt = self._curr, self._next
            if (
                cur is not None
                and nxt is not None
                and cur.token_type == TokenType.VAR
                and nxt.token_type == TokenType.STRING
            ):
                self._advance(2)
                literal = exp.Literal.string(nxt.text)
                to = exp.DataType.build(cur.text, dialect="postgres", udt=True)
                return self.expression(exp.Cast(this=literal, to=to))
            if (
                cur is not None
                and nxt is not None
                and cur.token_type in self.TYPE_TOKENS
                and cur.token_type != TokenType.INTERVAL
                and nxt.token_type == TokenType.STRING
            ):
                # ``timestamptz 'x'::timestamp``: the type applies to the constant alone and
                # ``::`` to the typed constant (sqlglot applies ``::`` to the string first).
                index = self._index
                data_type = self._parse_types(check_func=True, allow_identifiers=False)
                if isinstance(data_type, exp.DataType) and self._match(TokenType.STRING):
                    string = exp.Literal.string(self._prev.text)
                    typed = self.TYPE_LITERAL_PARSERS.get(data_type.this)
                    cast = (
                        typed(self, string, data_type)
                        if typed
                        else self.expression(exp.Cast(this=string, to=data_type))
                    )
                    return self._parse_column_ops(cast)
                self._retreat(index)
            return super()._parse_type(parse_interval, fallback_to_identifier)

        def _parse_interval_span(
            self, this: exp.Expr, parse_function_unit: bool = True
        ) -> exp.Interval:
            # sqlglot reads ``interval '1 day 02:03:04'`` as ``interval '1' day`` (it takes the
            # string's one "number unit" part for all of it); a string that is more than that
            # part stays whole, as PostgreSQL reads it.
            text = this.name if this is not None and this.is_string else None
            parts = exp.INTERVAL_STRING_RE.findall(text) if text is not None else []
            if text is None or len(parts) != 1 or exp.INTERVAL_STRING_RE.fullmatch(text):
                return super()._parse_interval_span(this, parse_function_unit)
            # two "number unit" parts: sqlglot keeps the string and leaves a unit after it
            interval = super()._parse_interval_span(exp.Literal.string("1 day 1 day"))
            interval.set("this", this)
            return interval

        def _parse_types(
            self,
            check_func: bool = False,
            schema: bool = False,
            allow_identifiers: bool = True,
            with_collation: bool = False,
        ) -> exp.Expr | None:
            if (
                self._curr is not None
                and self._curr.token_type == TokenType.BIT
                and self._next is not None
                and self._next.text.upper() == "VARYING"
            ):  # bit varying[(n)]: sqlglot knows only varbit
                self._advance(2)
                params = []
                if self._match(TokenType.L_PAREN):
                    params = [exp.DataTypeParam(this=self._parse_primary())]
                    self._match_r_paren()
                varbit = exp.DataType(
                    this=exp.DType.USERDEFINED,
                    kind=exp.to_identifier("varbit"),
                    expressions=params,
                )
                while self._match(TokenType.L_BRACKET):  # bit varying(3)[]
                    self._match(TokenType.NUMBER)
                    self._match(TokenType.R_BRACKET)
                    varbit = exp.DataType(this=exp.DType.ARRAY, expressions=[varbit], nested=True)
                return varbit
            # sqlglot returns oid/regclass/... (object identifier types) before it looks for
            # an array suffix, so ``oid[]`` (asyncpg's ``any($1::oid[])``) would not parse.
            this = super()._parse_types(check_func, schema, allow_identifiers, with_collation)
            if isinstance(this, exp.DataType) and not isinstance(this, exp.ObjectIdentifier):
                # ``x::integer[2][]``: PostgreSQL's Typename takes array bounds greedily (a
                # size is ignored); sqlglot would read ``[2]`` as a subscript of the cast
                at_bounds = self._at_bounds() and self._prev.token_type != TokenType.ARRAY
                return self._array_bounds(this) if at_bounds else this
            if not isinstance(this, exp.ObjectIdentifier):
                return this
            return self._array_bounds(this, arrays=True)

        def _at_bounds(self) -> bool:
            tokens = [
                self._curr,
                self._next,
                self._tokens[self._index + 2] if self._index + 2 < len(self._tokens) else None,
            ]
            return (
                tokens[0] is not None
                and tokens[0].token_type == TokenType.L_BRACKET
                and tokens[1] is not None
                and tokens[1].token_type == TokenType.NUMBER
                and tokens[2] is not None
                and tokens[2].token_type == TokenType.R_BRACKET
            )

        def _array_bounds(self, this: exp.DataType, arrays: bool = False) -> exp.DataType:
            """``this`` with the ``[]`` / ``[N]`` (and, for ``arrays``, ``ARRAY``) suffixes
            that follow it."""
            result: exp.DataType = this
            while self._curr is not None:
                index = self._index
                if arrays and self._match(TokenType.ARRAY):
                    if not self._match(TokenType.L_BRACKET):
                        result = exp.DataType(
                            this=exp.DType.ARRAY, expressions=[result], nested=True
                        )
                        continue
                elif not self._match(TokenType.L_BRACKET):
                    break
                if not self._match(TokenType.R_BRACKET):
                    size = self._curr if self._curr.token_type == TokenType.NUMBER else None
                    if (
                        size is None
                        or self._next is None
                        or self._next.token_type != TokenType.R_BRACKET
                    ):
                        self._retreat(index)
                        break
                    self._advance(2)
                result = exp.DataType(this=exp.DType.ARRAY, expressions=[result], nested=True)
            return result

        def _parse_type_size(self) -> exp.DataTypeParam | None:
            # numeric(3, -6): PostgreSQL 15 takes a negative scale (rounding left of the point)
            if (
                self._curr is not None
                and self._curr.token_type == TokenType.DASH
                and self._next is not None
                and self._next.token_type == TokenType.NUMBER
            ):
                self._advance(2)
                return self.expression(
                    exp.DataTypeParam(this=exp.Literal.number(f"-{self._prev.text}"))
                )
            found: exp.DataTypeParam | None = super()._parse_type_size()
            return found

        def _parse_id_var(
            self, any_token: bool = True, tokens: Collection[TokenType] | None = None
        ) -> exp.Expr | None:
            # OVER (GROUPS 1 PRECEDING): GROUPS starts a frame, it names no window
            if (
                tokens is self.WINDOW_ALIAS_TOKENS
                and self._curr is not None
                and self._curr.text.upper() == "GROUPS"
                and self._next is not None
                and self._next.token_type != TokenType.R_PAREN
            ):
                return None
            found: exp.Expr | None = super()._parse_id_var(any_token, tokens)
            return found

        def _parse_insert_table(self) -> exp.Expr | None:
            # INSERT's column list takes PostgreSQL's indirection (a[1], a[1:2], c.f), which
            # a CREATE TABLE column list does not
            self._insert_targets = True
            try:
                return super()._parse_insert_table()
            finally:
                self._insert_targets = False

        def _parse_schema(self, this: exp.Expr | None = None) -> exp.Expr | None:
            if not getattr(self, "_insert_targets", False):
                return super()._parse_schema(this)
            index = self._index
            if not self._match(TokenType.L_PAREN):
                return this
            if self._match_set(self.SELECT_START_TOKENS) or self._is_table_query():
                self._retreat(index)
                return this
            self._insert_targets = False

            def target() -> exp.Expr | None:
                col = self._parse_column()
                if isinstance(col, exp.Column) and not col.table:
                    name: exp.Expr = col.this  # a plain name, as sqlglot's own list holds it
                    return name
                return col

            args = self._parse_csv(target)
            self._match_r_paren()
            return self.expression(exp.Schema(this=this, expressions=args))

        def _parse_without_oids(self) -> exp.Expr | None:
            # CREATE TABLE ... WITHOUT OIDS: PostgreSQL's old spelling of WITH (oids = false)
            if not self._match_text_seq("OIDS"):
                self.raise_error("syntax error: expected OIDS after WITHOUT")
            return self.expression(exp.Property(this=exp.var("oids"), value=exp.false()))

        def _parse_check_constraint(self) -> exp.CheckColumnConstraint | None:
            found: exp.CheckColumnConstraint | None = super()._parse_check_constraint()
            if found is not None and self._match_text_seq("NO", "INHERIT"):
                found.set("no_inherit", True)  # PostgreSQL's: children do not get it
            return found

        def _parse_partition_by(self) -> list[exp.Expr]:
            found: list[exp.Expr] = super()._parse_partition_by()
            if found and self._prev is not None and self._prev.token_type == TokenType.COMMA:
                self.raise_error("syntax error: PARTITION BY list ends with a comma")
            return found

        def _parse_window_spec(self) -> dict[str, Any]:
            # UNBOUNDED is a keyword of a frame bound only before PRECEDING or FOLLOWING:
            # unbounded(1) and unbounded.x are expressions, as in PostgreSQL's grammar
            self._match(TokenType.BETWEEN)
            after = self._next.text.upper() if self._next is not None else ""
            curr = self._curr.text.upper() if self._curr is not None else ""
            if curr == "UNBOUNDED" and after not in self.WINDOW_SIDES:
                value = self._parse_bitwise()
                side = self._prev.text if self._match_texts(self.WINDOW_SIDES) else None
                return {"value": value, "side": side}
            spec: dict[str, Any] = super()._parse_window_spec()
            return spec


DIALECT = Db9Postgres()


def unqualify_catalog_calls(tree: exp.Expr) -> exp.Expr:
    """``pg_catalog.array_agg(x ORDER BY y)`` as ``array_agg(x ORDER BY y)``: the parser reads
    a schema-qualified call as a Dot over a plain call, which loses the node db9 compiles
    aggregates and SQL-syntax forms from (pg_dump qualifies every call it writes)."""
    for dot in list(tree.find_all(exp.Dot)):
        call = dot.expression
        if (
            isinstance(dot.this, exp.Identifier)
            and dot.this.name.lower() == "pg_catalog"
            and isinstance(call, exp.Anonymous)
            and str(call.this).upper() in KEPT_BUILDERS
        ):
            dot.replace(exp.maybe_parse(call.sql(dialect=DIALECT), dialect=DIALECT))
    return tree
