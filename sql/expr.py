"""Compiling sqlglot expressions into Python closures over row tuples.

Binding happens once, at plan time: every column reference becomes a tuple index, every
literal a constant of a known SQL type, every operator a function chosen for its operand
types. At run time a row flows through plain closures; no AST is walked per row.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from kv.errors import Db9Error
from sql import (
    array_bounds,
    bits,
    casts,
    extension_catalog,
    functions_range,
    hstore,
    jsonb,
    pseudo_types,
    regclass_text,
    system_oids,
    time_zones,
    trigram,
    user_types,
)
from sql import numeric as N
from sql import types as T
from sql.casts import (
    as_decimal,
    base_type,
    coerce_to,
    comparable,
    numeric_result,
    unify,
)
from sql.errors import (
    AmbiguousFunction,
    ArraySubscriptError,
    CardinalityViolation,
    CheckViolation,
    DatatypeMismatch,
    DivisionByZero,
    FeatureNotSupported,
    GroupingError,
    IndeterminateDatatype,
    InvalidParameterValue,
    InvalidSchemaName,
    NumericValueOutOfRange,
    ProgramLimitExceeded,
    SqlError,
    SyntaxError_,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
    UndefinedParameter,
    UndefinedTable,
    WindowingError,
    WrongObjectType,
)
from sql.executor.context import hashable, unhashable
from sql.executor.execute import run_plan
from sql.functions import compile_function, datetime_arith, pg_function_name, regtype_named
from sql.functions_array import array_append, array_cat, array_prepend
from sql.functions_geometry import compile_geometric
from sql.functions_numeric import bitwise, checked_float, float_arith
from sql.functions_text import quote_ident, strict_call
from sql.functions_text_search import compile_ts_operator
from sql.hashed_subquery import hashed_exists
from sql.like import like_to_regex, similar_to_regex
from sql.memory import check_concat
from sql.operators import SYMBOLS as OPERATOR_SYMBOLS
from sql.operators import compile_operator, geometric_comparison, geometric_subscript
from sql.pg_dialect import DIALECT, PREFIX_OPERATORS
from sql.regex_engine import pg_regex
from sql.relations import parse_name
from sql.scope import STAR_POSITION, Context, Fn, Row, Scope, ScopeColumn, Typed
from sql.types import SqlType

# Types with no comparison operators at all.
_NO_COMPARISON = frozenset(("json", "jsonpath", "pg_snapshot", "txid_snapshot"))


def expr_name(e: exp.Expr) -> str:
    """The column name PostgreSQL gives an unaliased select-list expression."""
    if isinstance(e, exp.Alias):
        return e.alias
    if isinstance(e, exp.Column):
        return e.table if isinstance(e.this, exp.Star) and e.table else e.name
    if isinstance(e, exp.AtTimeZone):
        return "timezone"
    if isinstance(e, exp.Interval):  # interval '1 day': a typed constant, named for its type
        return "interval"
    if isinstance(e, exp.Cast):
        inner = e.this
        # 'x'::int2::int8 is int8, a::int2::int8 and (a)::int8 are a
        while isinstance(inner, exp.Cast | exp.Paren):
            inner = inner.this
        # json '...' is sqlglot's ParseJSON: a typed constant, not a call naming the column
        if isinstance(inner, exp.Column | exp.Func | exp.AtTimeZone) and not isinstance(
            inner, exp.ParseJSON
        ):
            return expr_name(inner)
        if isinstance(inner, exp.Tuple) and len(inner.expressions) > 1:
            return "row"  # (a, b)::t: a row constructor names its column
        polymorphic = _polymorphic_name(e.to)
        if polymorphic is not None:
            return polymorphic
        try:
            t = datatype_to_sql(e.to)
            # x::int[] is named for its type name, int4 (_int4 only when written so)
            written_array = e.to.this == exp.DataType.Type.ARRAY and t.element is not None
            return (t.element if written_array and t.element else t).typname
        except Exception:  # an unknown type fails later, with its own error
            return "?column?"
    if isinstance(e, exp.Anonymous):
        return str(e.this).lower()
    if isinstance(e, exp.Tuple) and len(e.expressions) > 1:
        return "row"
    if isinstance(e, exp.WithinGroup | exp.Filter):  # agg(...) WITHIN GROUP / FILTER (...)
        return expr_name(e.this)
    if isinstance(e, PREFIX_OPERATORS):  # operators that are functions in sqlglot's tree
        return "?column?"
    if isinstance(e, exp.Trim):
        pos = (e.args.get("position") or "").lower()
        return {"leading": "ltrim", "trailing": "rtrim"}.get(pos, "btrim")
    if isinstance(e, exp.JSONExtract) and jsonb.is_function_form(e):
        return "json_extract_path"  # the function, which sqlglot parses as the operator
    if isinstance(e, exp.JSONExtractScalar) and jsonb.is_function_form(e):
        return "json_extract_path_text"
    if isinstance(
        e,
        exp.JSONExtract
        | exp.JSONExtractScalar
        | exp.JSONBContainsTopKey
        | exp.JSONBContainsAnyTopKeys
        | exp.JSONBContainsAllTopKeys
        | exp.JSONBDeleteAtPath
        | exp.JSONBExtract
        | exp.JSONBExtractScalar
        | exp.ArrayContainsAll
        | exp.ArrayContainedBy
        | exp.ArrayOverlaps
        | exp.MatchAgainst
        | exp.RegexpLike
        | exp.RegexpILike,
    ):  # operators, to sqlglot functions (regexp_like() itself stays a call)
        return "?column?"
    if type(e) in OPERATOR_SYMBOLS or isinstance(e, exp.Connector):  # AND, OR
        return "?column?"
    if isinstance(e, exp.Case):
        # named after its ELSE when that is a column or a call (PostgreSQL's FigureColname)
        default = e.args.get("default")
        inner = default
        while isinstance(inner, exp.Cast | exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Column | exp.Func) and not isinstance(inner, exp.Case):
            named = expr_name(default) if default is not None else "case"
            if named != "?column?":
                return named
        return "case"
    pg_name = pg_function_name(e) or jsonb.PG_NAMES.get(type(e).__name__)
    if pg_name:
        return pg_name
    if isinstance(e, exp.Func):
        return e.sql_name().lower()
    if isinstance(e, exp.Case):
        return "case"
    if isinstance(e, exp.Bracket | exp.Paren):  # a subscript is named by what it subscripts
        return expr_name(e.this)
    if isinstance(e, exp.Window | exp.Filter):
        return expr_name(e.this)
    if isinstance(e, exp.Dot) and isinstance(e.this, exp.Paren | exp.Bracket):  # (x).f
        return str(e.expression.name)
    if isinstance(e, exp.Dot) and isinstance(e.this, exp.Identifier):
        return expr_name(e.expression)
    if isinstance(e, exp.Subquery):
        inner = e.this
        if isinstance(inner, exp.Select) and len(inner.expressions) == 1:
            from_ = inner.args.get("from_")
            if isinstance(inner.expressions[0], exp.Star) and from_ is not None:
                inner = from_.this.this if isinstance(from_.this, exp.Subquery) else from_.this
            else:
                return expr_name(inner.expressions[0])
        if isinstance(inner, exp.Values):  # (VALUES ...), (WITH ... VALUES ...)
            return "column1"
    if isinstance(e, exp.Exists):
        return "exists"
    return "?column?"


# -- the compiler ----------------------------------------------------------------------------


def quantified(rhs: exp.Expr) -> tuple[str, exp.Expr] | None:
    """``ANY (x)``, ``SOME (x)`` or ``ALL (x)`` (the right side of a comparison): ("any" or
    "all", x without its parentheses); None for any other expression."""
    if isinstance(rhs, exp.Any):
        quantifier, inner = "any", rhs.this
    elif isinstance(rhs, exp.All):
        quantifier, inner = "all", rhs.this
    elif (
        isinstance(rhs, exp.Anonymous)
        and str(rhs.this).lower() in ("all", "any", "some")
        and len(rhs.expressions) == 1
    ):
        quantifier = "all" if str(rhs.this).lower() == "all" else "any"
        inner = rhs.expressions[0]
    else:
        return None
    while isinstance(inner, exp.Paren):
        inner = inner.this
    return quantifier, inner


def _cast_elements(arr: exp.Array, to: exp.DataType) -> exp.Array:
    """``arr`` with every element (of every nested ARRAY[...]) cast to ``to``."""
    array_of = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[to.copy()], nested=True)
    items: list[exp.Expr] = []
    for x in arr.expressions:
        if not isinstance(x, exp.Array):
            items.append(exp.Cast(this=x, to=to.copy()))
        elif x.expressions:
            items.append(_cast_elements(x, to))
        else:
            items.append(exp.Cast(this=x, to=array_of.copy()))
    out = arr.copy()
    out.set("expressions", items)
    return out


def array_operand(left: SqlType, arr: Typed) -> Typed:
    """The array of ``left op ANY/ALL (arr)``: an untyped literal is an array of ``left``'s
    type, or of text if ``left`` is untyped too (PostgreSQL's resolution of the operator)."""
    if arr.type.name == "unknown":
        elem = T.TEXT if left.name == "unknown" else base_type(left)
        if elem.element is not None:
            raise UndefinedObject(f"could not find array type for data type {elem.display()}")
        return coerce_to(arr, elem.array_of())
    if arr.type.element is None:
        raise WrongObjectType("op ANY/ALL (array) requires array on right side")
    return arr


def _members(xs: list[Any]) -> set[Any] | list[Any]:
    """``xs`` for fast membership tests; a list if its elements are unhashable (jsonb)."""
    try:
        return set(xs)
    except TypeError:
        return xs


def flatten(items: list[Any], elem: SqlType) -> list[Any]:
    """The elements of an array of ``elem``, a multidimensional one's in storage order."""
    out: list[Any] = []
    for x in items:
        if T.is_subarray(x, elem):
            out += flatten(x, elem)
        else:
            out.append(x)
    return out


# NaN (float or numeric; the only value unequal to itself) equals NaN and sorts above every
# other value, as in PostgreSQL.
_CMP: dict[type[exp.Expr], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda x, y: x == y or (x != x and y != y),
    exp.NEQ: lambda x, y: x != y and (x == x or y == y),
    exp.LT: lambda x, y: x < y if x == x and y == y else (x == x and y != y),
    exp.LTE: lambda x, y: x <= y if x == x and y == y else y != y,
    exp.GT: lambda x, y: x > y if x == x and y == y else (x != x and y == y),
    exp.GTE: lambda x, y: x >= y if x == x and y == y else x != x,
}
_OP_NAMES = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}


# Categories with no implicit cast to text (numbers, booleans, dates and times).
_NOT_TEXT = frozenset("NBDT")


def _int_result(v: int, t: SqlType) -> int:
    lo, hi = {"smallint": (-(1 << 15), (1 << 15) - 1), "integer": (-(1 << 31), (1 << 31) - 1)}.get(
        t.name, (-(1 << 63), (1 << 63) - 1)
    )
    if not lo <= v <= hi:
        raise NumericValueOutOfRange(f"{t.name} out of range")
    return v


def _arith(op: str, a: Any, b: Any, t: SqlType) -> Any:
    if t.name in ("smallint", "integer", "bigint"):
        if op == "+":
            return _int_result(a + b, t)
        if op == "-":
            return _int_result(a - b, t)
        if op == "*":
            return _int_result(a * b, t)
        if b == 0:
            raise DivisionByZero("division by zero")
        if op == "/":
            q = abs(a) // abs(b)
            return _int_result(q if (a >= 0) == (b >= 0) else -q, t)
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    if t.name == "numeric":
        return _NUMERIC_OPS[op](as_decimal(a), as_decimal(b))
    if op == "%":
        raise UndefinedFunction(f"operator does not exist: {t.display()} % {t.display()}")
    r = float_arith(op, float(a), float(b))
    if t.name != "real":
        return r
    # Rounded to float4 a finite double can overflow and a non-zero one underflow.
    return checked_float(T.round_float4(r), math.isinf(r), r == 0.0)


_NUMERIC_OPS = {"+": N.add, "-": N.sub, "*": N.mul, "/": N.div, "%": N.mod}


class _PerExecution:
    """A value remembered for one execution of a statement (``SessionApi.executions``): a
    cached plan runs again, and its uncorrelated subqueries must be evaluated again."""

    __slots__ = ("ctx", "run", "value")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.run: int | None = None
        self.value: Any = None

    def _current(self) -> int:
        session = self.ctx.session
        return session.executions if session is not None else 0

    def has(self) -> bool:
        return self.run is not None and self.run == self._current()

    def keep(self, value: Any) -> None:
        self.run, self.value = self._current(), value


class SubqueryColumn(exp.Expression):
    """Column ``index`` of the row sub-SELECT ``this`` that sets ``width`` columns at once:
    UPDATE ... SET (a, b) = (SELECT x, y ...) (sql.dml)."""

    arg_types = {"this": True, "index": True, "width": True}


def _outer_value(cell: list[Any], idx: int) -> Fn:
    """Column ``idx`` of the enclosing query's row, which that query puts in ``cell``."""
    return lambda _r: cell[0][idx]


class Compiler:
    def __init__(self, scope: Scope, ctx: Context) -> None:
        self.scope = scope
        self.ctx = ctx
        # Row sub-SELECTs of SET (a, b) = (SELECT ...): run once per row for all their
        # columns (by the sub-SELECT's id; the tree holds it).
        self._row_subqueries: dict[int, Callable[[Row], Row]] = {}

    def compile(self, e: exp.Expr) -> Typed:
        ctx = self.ctx
        if ctx.outer_aggs:
            key = e.sql(dialect="postgres")
            if key in ctx.outer_aggs:  # the enclosing query's aggregate: an outer reference
                idx, t = ctx.outer_aggs[key]
                self.scope.correlated[0] = True
                return Typed(_outer_value(self.scope.outer_cell, idx), t, name=expr_name(e))
        if ctx.agg_slots is not None:
            key = e.sql(dialect="postgres")
            if key in ctx.agg_slots:
                idx, t = ctx.agg_slots[key]
                return Typed(lambda r: r[idx], t, name=expr_name(e))
            if ctx.group_slots is not None:
                slot = ctx.group_slots.get(key)
                if slot is None and ctx.group_text is not None and not isinstance(e, exp.Literal):
                    slot = ctx.group_slots.get(ctx.group_text(e))
                if slot is not None:
                    idx, t = slot
                    return Typed(lambda r: r[idx], t, name=expr_name(e))
        method = getattr(self, "c_" + type(e).__name__, None)
        if method is None:
            symbol = OPERATOR_SYMBOLS.get(type(e))
            if symbol is not None:
                operands = [e.this] if e.args.get("expression") is None else [e.this, e.expression]
                args = [self.compile(x) for x in operands]
                if trigram.takes(symbol, args) and trigram.available(self.ctx):
                    return trigram.compile_operator(symbol, args, self.ctx)
                return compile_operator(symbol, args)
            if isinstance(e, exp.Anonymous) and str(e.this).lower() == "row":
                return self.compile_row(list(e.expressions))
            found = compile_function(self, e)
            if found is None:
                raise FeatureNotSupported(
                    f"expression {e.sql(dialect='postgres')} is not supported"
                )
            return found
        result: Typed = method(e)
        return result

    def c_Window(self, e: exp.Window) -> Typed:
        # a window call the SELECT list, ORDER BY or a window's own clauses did not bind
        # (WHERE, JOIN ON, GROUP BY, another window's PARTITION BY / ORDER BY, RETURNING)
        raise WindowingError("window functions are not allowed here")

    # leaves

    def c_Column(self, e: exp.Column) -> Typed:
        name, table = e.name, (e.table or None)
        if isinstance(e.this, exp.Star):
            if table is not None and self.ctx.group_slots is None:  # (t.*): t's whole row
                below: Scope | None = None
                at: Scope | None = self.scope
                while at is not None:
                    if at.has_table(table):
                        return self._whole_row(table, at, below)
                    below, at = at, at.outer
            raise FeatureNotSupported("* is not allowed here")
        if self.ctx.group_slots is not None:
            # After GROUP BY only grouped columns are visible (by name).
            for key, (idx, t) in self.ctx.group_slots.items():
                col = key.split(".")[-1].strip('"')
                if col == name and (
                    table is None
                    or key.startswith(f"{table}.")
                    or key.startswith(f'"{table}".')
                    or ("." not in key and self._same_column(name, table))
                ):
                    return Typed(operator.itemgetter(idx), t, name=name)
            found = self.scope.resolve(name, table)
            if found is not None:
                shown = f"{table}.{name}" if table else name
                raise GroupingError(
                    f'column "{shown}" must appear in the GROUP BY clause or be used in an '
                    "aggregate function"
                )
        at = e.meta.get(STAR_POSITION)
        found = (at, self.scope.columns[at].type) if at is not None else None
        found = found or self.scope.resolve(name, table)
        if found is not None:
            idx, t = found
            # an itemgetter, not a lambda: a C call, and batch projections see the position
            return Typed(operator.itemgetter(idx), t, name=name)
        # An outer reference, to the enclosing query or one further out: the row of the
        # query ``level`` is in the cell of the query just inside it (``inner``), which it
        # runs, and every query from here to there depends on it (correlated).
        inner, level = self.scope, self.scope.outer
        while level is not None:
            hit = level.resolve(name, table)
            if hit is not None:
                idx, t = hit
                cell = inner.outer_cell
                s: Scope | None = self.scope
                while s is not None and s is not level:
                    s.correlated[0] = True
                    s = s.outer
                return Typed(_outer_value(cell, idx), t, name=name)
            inner, level = level, level.outer
        if table is None:  # no column of that name anywhere: a FROM item's whole row
            below, at = None, self.scope
            while at is not None:
                if at.has_table(name):
                    return self._whole_row(name, at, below)
                below, at = at, at.outer
        if table and not self.scope.has_table(table):
            raise UndefinedTable(f'missing FROM-clause entry for table "{table}"')
        if table:  # PostgreSQL's errorMissingColumn: a qualified name unquoted
            raise UndefinedColumn(f"column {table}.{name} does not exist")
        raise UndefinedColumn(f'column "{name}" does not exist')

    def _whole_row(
        self, table: str, level: Scope | None = None, inner: Scope | None = None
    ) -> Typed:
        """A FROM item's name as a value: its row, a record of its visible columns; of the
        enclosing query ``level`` (whose row is in ``inner``'s cell) when not this one's."""
        scope = level or self.scope
        at = [
            i for i, c in enumerate(scope.columns)
            if c.table == table and not c.hidden
        ]  # fmt: skip
        cols = scope.columns
        t = replace(T.RECORD, fields=tuple((cols[i].name, cols[i].type) for i in at))
        if inner is None:
            return Typed(lambda r: tuple(r[i] for i in at), t, name=table)
        cell = inner.outer_cell
        s: Scope | None = self.scope
        while s is not None and s is not level:
            s.correlated[0] = True
            s = s.outer
        return Typed(lambda _r: tuple(cell[0][i] for i in at), t, name=table)

    def _same_column(self, name: str, table: str) -> bool:
        """``table.name`` is the column that ``name`` alone names (GROUP BY f1 groups
        ss.f1 when f1 is ss's)."""
        try:
            return self.scope.resolve(name, table) == self.scope.resolve(name, None) is not None
        except SqlError:
            return False

    def c_Literal(self, e: exp.Literal) -> Typed:
        text = e.this
        if e.is_string:
            return Typed(lambda _r: text, T.UNKNOWN, True)
        if re.fullmatch(r"\d{1,19}", text):
            n = int(text)
            t = T.INT4 if n < 2**31 else T.INT8 if n < 2**63 else T.NUMERIC
            value: Any = n if t is not T.NUMERIC else Decimal(n)
        else:  # numeric's input function: its range and no limit on digits
            value, t = T.parse_text(text, T.NUMERIC), T.NUMERIC
        return Typed(lambda _r: value, t, True)

    def c_RawString(self, e: exp.RawString) -> Typed:
        """A dollar-quoted string ($$...$$): an untyped literal, as a quoted one is."""
        return self.c_Literal(exp.Literal.string(e.this))

    def c_ParseJSON(self, e: exp.ParseJSON) -> Typed:
        """``json '...'``, which sqlglot reads as a call: a typed literal."""
        return self.compile(exp.Cast(this=e.this, to=exp.DataType.build("json")))

    def c_BitString(self, e: exp.BitString) -> Typed:
        """``B'0101'``: a bit string constant (bit(n) of its length)."""
        value = bits.parse(str(e.this))
        return Typed(lambda _r: value, replace(T.BIT, length=len(value)), True, "?column?")

    def c_HexString(self, e: exp.HexString) -> Typed:
        """``X'1F'``: a bit string of four bits a digit."""
        value = bits.parse("x" + str(e.this))
        return Typed(lambda _r: value, replace(T.BIT, length=len(value)), True, "?column?")

    def c_ByteString(self, e: exp.ByteString) -> Typed:
        text = str(e.this)  # E'...': sqlglot has already processed the escapes
        return Typed(lambda _r: text, T.UNKNOWN, True)

    def c_Null(self, e: exp.Null) -> Typed:
        return Typed(lambda _r: None, T.UNKNOWN, True, "?column?")

    def c_Boolean(self, e: exp.Boolean) -> Typed:
        value = bool(e.this)
        return Typed(lambda _r: value, T.BOOL, True, "bool")

    def c_Placeholder(self, e: exp.Placeholder) -> Typed:
        return self._param(int(e.name) if e.name and e.name.isdigit() else 0)

    def c_Parameter(self, e: exp.Parameter) -> Typed:
        return self._param(int(e.name))

    def _param(self, n: int) -> Typed:
        if n < 1:
            raise UndefinedParameter("there is no parameter $0")
        ctx = self.ctx
        while len(ctx.param_types) < n:
            ctx.param_types.append(None)
        t = ctx.param_types[n - 1] or T.UNKNOWN

        def get(_r: Row) -> Any:
            if n > len(ctx.params):
                raise UndefinedParameter(f"there is no parameter ${n}")
            return ctx.params[n - 1]

        if t is T.REGCLASS and ctx.session:  # a name bound as text: resolved as regclassin does
            return Typed(_name_to_regclass(ctx.session, get), t, False, "?column?")
        return Typed(get, t, False, "?column?")

    def c_Paren(self, e: exp.Paren) -> Typed:
        return self.compile(e.this)

    def c_Alias(self, e: exp.Alias) -> Typed:
        t = self.compile(e.this)
        return Typed(t.fn, t.type, t.const, e.alias)

    # casts

    def c_AtTimeZone(self, e: exp.AtTimeZone) -> Typed:
        return time_zones.at_time_zone(self.compile(e.this), self.compile(e.args["zone"]))

    def c_Cast(self, e: exp.Cast) -> Typed:
        polymorphic = _polymorphic_name(e.to)
        if polymorphic is not None:
            inner = self.compile(e.this)
            null = inner.const and inner.fn(()) is None
            kept = pseudo_types.cast_type(inner.type, polymorphic, null=null)
            return Typed(inner.fn, kept, inner.const, expr_name(e))
        dst = datatype_to_sql(e.to)
        if isinstance(e.this, exp.Array) and not e.this.expressions and dst.element is not None:
            return Typed(lambda _r: [], dst, True, expr_name(e))  # ARRAY[]::t[]
        if isinstance(e.this, exp.Array) and e.this.expressions and dst.element is not None:
            # ARRAY[...]::t[]: the elements are cast to t, as PostgreSQL's transformArrayExpr
            # types them (ARRAY[1, 'NaN']::float8[] never reads 'NaN' as an integer).
            base = e.to
            while base.this == exp.DataType.Type.ARRAY and base.expressions:
                base = base.expressions[0]
            inner = self.compile(_cast_elements(e.this, base))
        else:
            inner = self.compile(e.this)
        if inner.type.name == "unknown" and not inner.const and dst.name != "unknown":
            self._type_param(e.this, dst)
            inner = self.compile(e.this)
        session = self.ctx.session
        if dst.name == "regclass" and inner.type.name in ("oid", "integer", "bigint") and session:
            return Typed(_oid_to_regclass(session, inner.fn), dst, False, expr_name(e))
        if dst.name == "regclass" and inner.type.name in ("unknown", "text") and session:
            return Typed(_name_to_regclass(session, inner.fn), dst, False, expr_name(e))
        if dst.name == "oid" and inner.type.name == "regclass" and session:
            return Typed(_regclass_to_oid(session, inner.fn), dst, False, expr_name(e))
        if dst.name == "regtype" and inner.type.name in ("oid", "integer", "bigint") and session:
            return Typed(_oid_to_regtype(session, inner.fn), dst, False, expr_name(e))
        if dst.name == "regnamespace" and session and inner.type.name != "regnamespace":
            numeric = inner.type.name in ("oid", "integer", "bigint", "smallint")
            to_ns = _oid_to_regnamespace if numeric else _text_to_regnamespace
            return Typed(to_ns(session, inner.fn), dst, False, expr_name(e))
        if dst.name == "regproc" and session and inner.type.name in ("unknown", "text"):
            return Typed(_text_to_regproc(session, inner.fn), dst, False, expr_name(e))
        if dst.name == "oid" and inner.type.name == "regproc":
            return Typed(_regnamespace_to_oid(inner.fn), dst, False, expr_name(e))
        if dst.name == "oid" and inner.type.name == "regnamespace":
            return Typed(_regnamespace_to_oid(inner.fn), dst, False, expr_name(e))
        if dst.name == "oid" and inner.type.name == "regtype":
            return Typed(_regtype_to_oid(inner.fn), dst, False, expr_name(e))
        t = coerce_to(inner, dst, explicit=True)
        return Typed(t.fn, dst, t.const, expr_name(e))

    c_TryCast = c_Cast

    def _type_param(self, e: exp.Expr, t: SqlType) -> None:
        """Infer an untyped parameter's type from its context (``$1::int``, ``col = $1``)."""
        node = e
        while isinstance(node, exp.Paren):
            node = node.this
        n = None
        if (isinstance(node, exp.Placeholder) and node.name and node.name.isdigit()) or isinstance(
            node, exp.Parameter
        ):
            n = int(node.name)
        if n is not None:
            while len(self.ctx.param_types) < n:
                self.ctx.param_types.append(None)
            if self.ctx.param_types[n - 1] is None:
                self.ctx.param_types[n - 1] = T.without_modifiers(t)

    # operators

    def _typed_like(self, e: exp.Expr, t: Typed, context: SqlType) -> Typed:
        """``t``, compiled from ``e``; if it is a parameter of unspecified type, it takes
        ``context``'s type (``col = $1``: the column's, varchar(5) as text) and is compiled
        again. A literal keeps type unknown here: the operator's resolution converts it."""
        if t.type.name != "unknown" or t.const or context.name == "unknown":
            return t
        self._type_param(e, base_type(context))
        return self.compile(e)

    def common(self, es: list[exp.Expr], ts: list[Typed] | None = None) -> list[Typed]:
        """``es`` compiled (or given compiled, ``ts``) and converted to their common type
        (CASE results, COALESCE, ARRAY[], greatest): untyped literals and parameters take
        it; text if all are."""
        ts = [self.compile(x) for x in es] if ts is None else ts
        t = unify([x.type for x in ts])
        return [coerce_to(self._typed_like(x, y, t), t) for x, y in zip(es, ts, strict=True)]

    def fold(self, t: Typed) -> Typed:
        """``t`` computed now when it is constant and folding is on (Context.fold): an
        immutable operator's error is then raised at planning (Context.raise_folded), as
        PostgreSQL's are."""
        if not (t.const and self.ctx.fold):
            return t
        try:
            value = t.fn(())
        except SqlError as exc:
            if self.ctx.fold_error is None:
                self.ctx.fold_error = exc
            return t
        return Typed(lambda _r: value, t.type, True, t.name)

    def _decided(self, t: Typed) -> tuple[bool, Any]:
        """Whether folding knows ``t``'s value now, and the value: what proves a CASE arm,
        an AND / OR operand or a COALESCE argument dead. An error leaves it to run time."""
        if not (t.const and self.ctx.fold):
            return False, None
        try:
            return True, t.fn(())
        except SqlError:
            return False, None

    @contextmanager
    def _folding(self, on: bool) -> Iterator[None]:
        """Folding off while a dead arm compiles (PostgreSQL drops it before folding it)."""
        was = self.ctx.fold
        self.ctx.fold = was and on
        try:
            yield
        finally:
            self.ctx.fold = was

    def _dead(self, es: list[exp.Expr]) -> list[Typed]:
        """Dead arms compiled unfolded, and not constant, so no cast folds them either."""
        with self._folding(False):
            return [replace(self.compile(x), const=False) for x in es]

    def _operands(self, e: exp.Expr) -> tuple[Typed, Typed]:
        """Both operands of ``e`` compiled, once: an operator that must look at their types
        before choosing its meaning passes them on instead of compiling them again (each
        level of a chain compiling its operands twice costs 2^n)."""
        return self.compile(e.this), self.compile(e.expression)

    def _binary_operands(
        self, e: exp.Expr, operands: tuple[Typed, Typed] | None = None
    ) -> tuple[Typed, Typed]:
        a, b = operands if operands is not None else self._operands(e)
        a = self._typed_like(e.this, a, b.type)
        b = self._typed_like(e.expression, b, a.type)
        return a, b

    def _compare(self, e: exp.Binary) -> Typed:
        rhs = e.expression
        found = quantified(rhs)
        if found is not None:
            return self._quantified(e, *found)
        if isinstance(e.this, exp.Tuple) and isinstance(rhs, exp.Tuple):
            return self._row_compare(e, e.this.expressions, rhs.expressions)
        if _is_row(e.this) and _is_row(rhs):  # ROW(...) op ROW(...): pair by pair
            return self._row_compare(e, list(e.this.expressions), list(rhs.expressions))
        a, b = comparable(*self._binary_operands(e))
        if a.type.category == "G":
            return geometric_comparison(_OP_NAMES[type(e)], a, b)
        op = _CMP[type(e)]
        fa, fb = a.fn, b.fn
        session = self.ctx.session
        if session is not None and {a.type.name, b.type.name} in (
            {"regclass", "oid"},
            {"regclass", "integer"},
        ):
            # db9's regclass values are names: compared with an oid, the name's oid
            if a.type.name == "regclass":
                fa = _regclass_to_oid(session, fa)
            else:
                fb = _regclass_to_oid(session, fb)
        if {a.type.name, b.type.name} in ({"regnamespace", "oid"}, {"regnamespace", "integer"}):
            if a.type.name == "regnamespace":
                fa = _regnamespace_to_oid(fa)
            else:
                fb = _regnamespace_to_oid(fb)
        if {a.type.name, b.type.name} in ({"regtype", "oid"}, {"regtype", "integer"}):
            # and so are regtype values (psycopg's TypeInfo: t.oid = to_regtype(%(name)s))
            if a.type.name == "regtype":
                fa = _regtype_to_oid(fa)
            else:
                fb = _regtype_to_oid(fb)
        name = a.type.name
        if name == b.type.name and (
            name in _NO_COMPARISON or (name == "xid" and type(e) not in (exp.EQ, exp.NEQ))
        ):  # json and the like compare not at all, xid only for equality
            raise UndefinedFunction(f"operator does not exist: {name} {_OP_NAMES[type(e)]} {name}")
        if a.type.name == "jsonb":  # ordered as PostgreSQL orders jsonb, not as Python would
            fa, fb = jsonb.keyed(fa), jsonb.keyed(fb)
        if a.type.fields is not None:  # records: field by field, NULL fields last
            fa, fb = _keyed_record(fa, a.type), _keyed_record(fb, a.type)

        def run(r: Row) -> Any:
            x = fa(r)
            if x is None:
                return None
            y = fb(r)
            if y is None:
                return None
            return op(x, y)

        return Typed(run, T.BOOL, a.const and b.const)

    c_EQ = c_NEQ = c_LT = c_LTE = c_GT = c_GTE = _compare

    def _row_compare(self, e: exp.Binary, xs: list[exp.Expr], ys: list[exp.Expr]) -> Typed:
        """``(a, b) op (x, y)``: =/<> pair by pair; an ordering compares the first pair that
        is not equal, NULL if either of that pair is NULL (PostgreSQL's row comparison)."""
        if len(xs) != len(ys):
            raise SyntaxError_("unequal number of entries in row expressions")
        pairs = [
            comparable(*self._binary_operands(type(e)(this=x, expression=y)))
            for x, y in zip(xs, ys, strict=True)
        ]
        fns = [(a.fn, b.fn) for a, b in pairs]
        const = all(a.const and b.const for a, b in pairs)
        kind = type(e)
        if kind in (exp.EQ, exp.NEQ):
            decisive = kind is exp.NEQ  # the result of one unequal pair

            def equal(r: Row) -> Any:
                saw_null = False
                for fa, fb in fns:
                    x, y = fa(r), fb(r)
                    if x is None or y is None:
                        saw_null = True
                    elif x != y:
                        return decisive
                return None if saw_null else not decisive

            return Typed(equal, T.BOOL, const)
        op = _CMP[kind]
        on_equal = kind in (exp.LTE, exp.GTE)

        def order(r: Row) -> Any:
            for fa, fb in fns:
                x, y = fa(r), fb(r)
                if x is None or y is None:
                    return None
                if x != y:
                    return op(x, y)
            return on_equal

        return Typed(order, T.BOOL, const)

    def _quantified(self, e: exp.Binary, quantifier: str, inner: exp.Expr) -> Typed:
        """``x op ANY (array)`` / ``x op ALL (array)`` with SQL's NULL rules; the elements
        of a multidimensional array are all compared."""
        if isinstance(inner, exp.Select | exp.Subquery | exp.Union | exp.Values):
            values = self._subquery_values(
                inner if not isinstance(inner, exp.Subquery) else inner.this, single_column=True
            )
            arr = Typed(lambda r: [unhashable(v) for v in values(r)], T.TEXT.array_of())
            a = self.compile(e.this)
            elem = T.UNKNOWN
            if a.type.name == "unknown":
                a = coerce_to(a, T.TEXT)
        else:
            a, arr = self.compile(e.this), self.compile(inner)
            if a.type.name != "unknown" and a.type.element is None:
                arr = self._typed_like(inner, arr, base_type(a.type).array_of())
            a = self._typed_like(e.this, a, arr.type.element or T.UNKNOWN)
            arr = array_operand(a.type, arr)
            elem = arr.type.element or T.UNKNOWN
            placeholder = Typed(operator.itemgetter(0), elem)
            a, item = comparable(a, placeholder)
            if item is not placeholder:  # the elements convert, as the right operand would
                conv = item.fn
                farr0 = arr.fn
                arr = Typed(
                    lambda r: None if (xs := farr0(r)) is None else [conv((x,)) for x in xs],
                    item.type.array_of(),
                    arr.const,
                )
                elem = item.type
            session = self.ctx.session
            if session is not None and elem.name == "regclass" and a.type.name in _OID_LIKE:
                # db9's regclass values are names: the elements as the oids they name
                to_oid, farr1 = _regclass_to_oid(session, operator.itemgetter(0)), arr.fn
                arr = Typed(
                    lambda r: (
                        None
                        if (xs := farr1(r)) is None
                        else [None if x is None else to_oid((x,)) for x in xs]
                    ),
                    T.OID.array_of(),
                )
                elem = T.OID
        from_query = isinstance(inner, exp.Select | exp.Subquery | exp.Union | exp.Values)
        op = _CMP[type(e)]
        want_all = quantifier == "all"
        fa, farr = a.fn, arr.fn

        def run(r: Row) -> Any:
            x = fa(r)
            items = farr(r)
            if items is None:
                return None
            if items and not from_query and T.is_subarray(items[0], elem):
                items = flatten(items, elem)  # an array's elements, all of its dimensions
            saw_null = x is None and bool(items)
            for item in items:
                if x is None or item is None:
                    saw_null = True
                    continue
                hit = op(x, item)
                if want_all and not hit:
                    return False
                if not want_all and hit:
                    return True
            if saw_null:
                return None
            return want_all

        return Typed(run, T.BOOL)

    # json and jsonb operators: sql.jsonb owns them (sqlglot names #> and #>> JSONB*)

    def _hstore_operator(
        self, e: exp.Binary, symbol: str, operands: tuple[Typed, Typed] | None = None
    ) -> Typed | None:
        """``e`` as one of hstore's operators (sql.hstore) when an operand is an hstore (in a
        database that installed hstore only: telling costs compiling the operands, unless the
        caller compiled them already: ``operands``)."""
        session = self.ctx.session  # (none for an index expression: the types tell)
        if session is not None and "hstore" not in session.catalog().extensions:
            return None
        if operands is not None:
            return hstore.compile_operator(symbol, *operands)
        try:
            a = self.compile(e.this)
            if not hstore.is_hstore(a.type) and a.type.name != "unknown":
                return None
            right = e.expression
            if isinstance(right, exp.JSONPath):  # h -> 'key': sqlglot's path of one key
                steps = [p for p in right.expressions if not isinstance(p, exp.JSONPathRoot)]
                if len(steps) != 1 or not isinstance(
                    steps[0], exp.JSONPathKey | exp.JSONPathSubscript
                ):
                    return None
                key = str(steps[0].this)
                number = isinstance(steps[0], exp.JSONPathSubscript)  # h -> 1
                right = exp.Literal.number(key) if number else exp.Literal.string(key)
            b = self.compile(right)
        except Db9Error:  # not ours: the operator's own compile reports it
            return None
        return hstore.compile_operator(symbol, a, b)

    def c_JSONExtract(self, e: exp.JSONExtract) -> Typed:
        hs = self._hstore_operator(e, "->")
        if hs is not None:
            return hs
        return jsonb.compile_get(self, e, False, False)

    def c_JSONExtractScalar(self, e: exp.JSONExtractScalar) -> Typed:
        return jsonb.compile_get(self, e, True, False)

    def c_JSONBExtract(self, e: exp.JSONBExtract) -> Typed:
        return jsonb.compile_get(self, e, False, True)

    def c_JSONBExtractScalar(self, e: exp.JSONBExtractScalar) -> Typed:
        return jsonb.compile_get(self, e, True, True)

    def c_JSONBContainsTopKey(self, e: exp.JSONBContainsTopKey) -> Typed:
        hs = self._hstore_operator(e, "?")
        if hs is not None:
            return hs
        return jsonb.compile_operator(self, e, "?")

    def c_JSONBContainsAnyTopKeys(self, e: exp.JSONBContainsAnyTopKeys) -> Typed:
        a = self.compile(e.this)
        if a.type.category == "G":  # ?| is also "vertical" for points
            return compile_operator("?|", [a, self.compile(e.expression)])
        hs = self._hstore_operator(e, "?|")
        if hs is not None:
            return hs
        return jsonb.compile_operator(self, e, "?|")

    def c_JSONBContainsAllTopKeys(self, e: exp.JSONBContainsAllTopKeys) -> Typed:
        hs = self._hstore_operator(e, "?&")
        if hs is not None:
            return hs
        return jsonb.compile_operator(self, e, "?&")

    def c_JSONBDeleteAtPath(self, e: exp.JSONBDeleteAtPath) -> Typed:
        return jsonb.compile_operator(self, e, "#-")

    def _array_operator(self, e: exp.Binary, op: str, contains: bool) -> Typed:
        """``a @> b`` (``contains``: b's elements all in a), ``a <@ b`` (flipped before
        here) and ``a && b`` (an element in common). An untyped literal takes the other
        side's array type; NULL elements match nothing; dimensions do not matter."""
        a, b = self._binary_operands(e)
        if a.type.category in ("G", "R") or b.type.category in ("G", "R"):
            # (a <@ b arrives flipped)
            return compile_operator("@>" if contains else "&&", [a, b])
        if a.type.name == "unknown" and b.type.name != "unknown":
            a = coerce_to(a, base_type(b.type))
        elif b.type.name == "unknown" and a.type.name != "unknown":
            b = coerce_to(b, base_type(a.type))
        ta, tb = a.type, b.type
        if ta.name == "unknown" and tb.name == "unknown":
            raise AmbiguousFunction(f"operator is not unique: unknown {op} unknown")
        if (
            ta.element is None
            or tb.element is None
            or base_type(ta.element).name != base_type(tb.element).name
        ):
            raise UndefinedFunction(f"operator does not exist: {ta.display()} {op} {tb.display()}")
        ea, eb = ta.element, tb.element
        fa, fb = a.fn, b.fn

        def run(r: Row) -> Any:
            x = fa(r)
            if x is None:
                return None
            y = fb(r)
            if y is None:
                return None
            have = _members([v for v in flatten(x, ea) if v is not None])
            wanted = flatten(y, eb)
            if contains:
                return all(v is not None and v in have for v in wanted)
            return any(v is not None and v in have for v in wanted)

        return Typed(run, T.BOOL, a.const and b.const)

    def c_ArrayContainsAll(self, e: exp.ArrayContainsAll) -> Typed:
        hs = self._hstore_operator(e, "@>")
        if hs is not None:
            return hs
        if jsonb.is_jsonb_operation(self, e):
            return jsonb.compile_operator(self, e, "@>")
        return self._array_operator(e, "@>", True)

    def c_ArrayContainedBy(self, e: exp.ArrayContainedBy) -> Typed:
        hs = self._hstore_operator(e, "<@")
        if hs is not None:
            return hs
        if jsonb.is_jsonb_operation(self, e):
            return jsonb.compile_operator(self, e, "<@")
        flipped = exp.ArrayContainsAll(this=e.expression, expression=e.this)
        return self._array_operator(flipped, "<@", True)

    def c_ArrayOverlaps(self, e: exp.ArrayOverlaps) -> Typed:
        ts = compile_ts_operator("&&", list(self._binary_operands(e)), self.ctx)
        return ts if ts is not None else self._array_operator(e, "&&", False)

    def c_MatchAgainst(self, e: exp.MatchAgainst) -> Typed:
        """``a @@ b`` (sqlglot holds b as ``this``): text search matching; the prefix
        ``@@ x``: the center of a geometric value."""
        if e.expressions == [None]:
            a = self.compile(e.this)
            found = compile_geometric("point", [a]) if a.type.category == "G" else None
            if found is not None:
                return Typed(found.fn, found.type, found.const)
            raise UndefinedFunction(f"operator does not exist: @@ {a.type.display()}")
        if len(e.expressions) != 1:
            raise FeatureNotSupported(f"expression {e.sql(dialect='postgres')} is not supported")
        args = [self.compile(e.expressions[0]), self.compile(e.this)]
        found = compile_ts_operator("@@", args, self.ctx)
        if found is None:
            shown = " @@ ".join(a.type.display() for a in args)
            raise UndefinedFunction(f"operator does not exist: {shown}")
        return found

    def c_NullSafeEQ(self, e: exp.NullSafeEQ) -> Typed:
        a, b = comparable(*self._binary_operands(e))
        return Typed(lambda r: a.fn(r) == b.fn(r), T.BOOL)

    def c_NullSafeNEQ(self, e: exp.NullSafeNEQ) -> Typed:
        a, b = comparable(*self._binary_operands(e))
        return Typed(lambda r: a.fn(r) != b.fn(r), T.BOOL)

    def _arith_op(
        self, e: exp.Binary, op: str, operands: tuple[Typed, Typed] | None = None
    ) -> Typed:
        a, b = self._binary_operands(e, operands)
        ta, tb = a.type, b.type
        if ta.category in ("G", "R") or tb.category in ("G", "R"):
            return compile_operator(op, [a, b])
        if "money" in (ta.name, tb.name):
            return _money_arith(op, a, b)
        # date/time arithmetic
        if ta.category in ("D", "T") or tb.category in ("D", "T"):
            return datetime_arith(op, a, b)
        if ta.name == "unknown" and tb.name == "unknown":
            a, b = coerce_to(a, T.NUMERIC), coerce_to(b, T.NUMERIC)
        elif ta.name == "unknown":
            a = coerce_to(a, base_type(tb))
        elif tb.name == "unknown":
            b = coerce_to(b, base_type(ta))
        t = numeric_result(a.type, b.type)
        fa, fb = a.fn, b.fn

        def run(r: Row) -> Any:
            x = fa(r)
            if x is None:
                return None
            y = fb(r)
            if y is None:
                return None
            return _arith(op, x, y, t)

        return self.fold(Typed(run, t, a.const and b.const))

    def c_Add(self, e: exp.Add) -> Typed:
        return self._arith_op(e, "+")

    def c_Sub(self, e: exp.Sub) -> Typed:
        operands = self._operands(e)
        hs = self._hstore_operator(e, "-", operands)
        if hs is not None:
            return hs
        if jsonb.is_jsonb_operands(*operands, left_only=True):
            return jsonb.compile_operator(self, e, "-", operands)
        return self._arith_op(e, "-", operands)

    def c_Mul(self, e: exp.Mul) -> Typed:
        return self._arith_op(e, "*")

    def c_Div(self, e: exp.Div) -> Typed:
        return self._arith_op(e, "/")

    def c_Mod(self, e: exp.Mod) -> Typed:
        args = list(self._binary_operands(e))
        if trigram.takes("%", args) and trigram.available(self.ctx):  # pg_trgm's similarity
            return trigram.compile_operator("%", args, self.ctx)
        return self._arith_op(e, "%")

    def c_BitwiseAnd(self, e: exp.BitwiseAnd) -> Typed:
        return bitwise("&", self.compile(e.this), self.compile(e.expression))

    def c_BitwiseOr(self, e: exp.BitwiseOr) -> Typed:
        return bitwise("|", self.compile(e.this), self.compile(e.expression))

    def c_BitwiseXor(self, e: exp.BitwiseXor) -> Typed:
        return bitwise("#", self.compile(e.this), self.compile(e.expression))

    def c_BitwiseLeftShift(self, e: exp.BitwiseLeftShift) -> Typed:
        return self._shift(e, "<<")

    def c_BitwiseRightShift(self, e: exp.BitwiseRightShift) -> Typed:
        return self._shift(e, ">>")

    def _shift(self, e: exp.Binary, op: str) -> Typed:
        """``<<`` / ``>>``: an integer shift, or left of / right of for points."""
        a, b = self.compile(e.this), self.compile(e.expression)
        if a.type.category in ("G", "R") or b.type.category in ("G", "R"):
            return compile_operator(op, [a, b])
        return bitwise(op, a, b)

    def c_BitwiseNot(self, e: exp.BitwiseNot) -> Typed:
        return bitwise("~", self.compile(e.this), None)

    def c_Neg(self, e: exp.Neg) -> Typed:
        a = self.compile(e.this)
        if a.type.name == "unknown":
            a = coerce_to(a, T.NUMERIC)
        t = a.type
        fa = a.fn

        def run(r: Row) -> Any:
            x = fa(r)
            if x is None:
                return None
            if isinstance(x, int) and not isinstance(x, bool):
                return _int_result(-x, t)
            if isinstance(x, Decimal):
                return x if x.is_zero() or x.is_nan() else x.copy_negate()  # exact
            return -x

        return self.fold(Typed(run, t, a.const))

    def c_DPipe(self, e: exp.DPipe) -> Typed:
        a, b = self._operands(e)
        hs = self._hstore_operator(e, "||", (a, b))
        if hs is not None:
            return hs
        if jsonb.is_jsonb_operands(a, b):
            return jsonb.compile_operator(self, e, "||", (a, b))
        ts = compile_ts_operator("||", [a, b], self.ctx)
        if ts is not None:
            return ts
        if a.type.element is not None or b.type.element is not None:
            arr = a.type if a.type.element is not None else b.type
            # An untyped literal on the other side is an array (array_cat), as in PostgreSQL.
            if a.type.name == "unknown":
                a = coerce_to(a, arr)
            if b.type.name == "unknown":
                b = coerce_to(b, arr)
            fa, fb = a.fn, b.fn
            elem = arr.element
            assert elem is not None
            if a.type.element is not None and b.type.element is not None:
                return Typed(lambda r: array_cat(fa(r), fb(r), elem), arr)
            if a.type.element is not None:
                return Typed(lambda r: array_append(fa(r), fb(r), elem), arr)
            return Typed(lambda r: array_prepend(fa(r), fb(r), elem), arr)
        if a.type.category == "V" and b.type.category in ("V", "X"):  # bitcat
            b = coerce_to(b, T.VARBIT)
            f = bits.binary_op("||")
            return Typed(
                lambda r: None if (x := a.fn(r)) is None or (y := b.fn(r)) is None else f(x, y),
                T.VARBIT,
                a.const and b.const,
            )
        if a.type.name == b.type.name == "bytea":
            return Typed(
                lambda r: None if (x := a.fn(r)) is None or (y := b.fn(r)) is None else x + y,
                T.BYTEA,
                a.const and b.const,
            )
        if a.type.category in _NOT_TEXT and b.type.category in _NOT_TEXT:
            # text || anything needs one text side; 3 || 4.0 has none, as in PostgreSQL.
            raise UndefinedFunction(
                f"operator does not exist: {a.type.display()} || {b.type.display()}"
            )
        ta = coerce_to(a, T.TEXT, explicit=True)
        tb = coerce_to(b, T.TEXT, explicit=True)

        def run(r: Row) -> Any:
            x = ta.fn(r)
            if x is None:
                return None
            y = tb.fn(r)
            if y is None:
                return None
            if len(x) + len(y) > 1 << 16:  # a large value: it must fit (sql/memory.py)
                check_concat(len(x), len(y))
            return x + y

        return Typed(run, T.TEXT, a.const and b.const)

    def _bool(self, e: exp.Expr) -> Typed:
        t = self.compile(e)
        if t.type.name == "unknown":
            return coerce_to(t, T.BOOL)
        if t.type.name != "boolean":
            raise DatatypeMismatch(
                f"argument of {type(e.parent).__name__.upper() if e.parent else 'WHERE'} must be "
                f"type boolean, not type {t.type.display()}"
            )
        return t

    def _logic(self, e: exp.Binary, decisive: bool) -> Typed:
        """AND (decisive=False) and OR (decisive=True) with SQL's three-valued logic: the
        decisive value wins, otherwise NULL if either side is NULL."""
        a = self._bool(e.this)
        known, value = self._decided(a)
        with self._folding(not (known and value is decisive)):  # FALSE AND x: x is dead
            b = self._bool(e.expression)
        fa, fb = a.fn, b.fn

        def run(r: Row) -> Any:
            x = fa(r)
            if x is decisive:
                return decisive
            y = fb(r)
            if y is decisive:
                return decisive
            return None if x is None or y is None else not decisive

        return Typed(run, T.BOOL, a.const and b.const)

    def c_And(self, e: exp.And) -> Typed:
        return self._logic(e, False)

    def c_Or(self, e: exp.Or) -> Typed:
        return self._logic(e, True)

    def c_Not(self, e: exp.Not) -> Typed:
        if isinstance(e.this, exp.Not):  # ``!!q`` (sqlglot reads two NOTs): a tsquery's negation
            inner = self.compile(e.this.this)
            if inner.type.name == "tsquery":
                return compile_operator("!!", [inner])
        inner = e.this
        if isinstance(inner, exp.RegexpLike | exp.RegexpILike) and quantified(inner.expression):
            # x !~ ANY (array): sqlglot reads !~ as NOT ~, but the NOT is each element's
            flags = re.IGNORECASE if isinstance(inner, exp.RegexpILike) else 0
            return self._regex(inner.this, inner.expression, flags, True)
        a = self._bool(e.this)
        fa = a.fn
        return Typed(lambda r: None if (x := fa(r)) is None else not x, T.BOOL, a.const)

    def c_Is(self, e: exp.Is) -> Typed:
        a = self.compile(e.this)
        target = e.expression
        fa = a.fn
        negate = bool(e.args.get("negate"))
        if isinstance(target, exp.Null):
            return Typed(lambda r: (fa(r) is None) != negate, T.BOOL, a.const)
        if isinstance(target, exp.Boolean):
            want = bool(target.this)
            return Typed(lambda r: (fa(r) is want) != negate, T.BOOL, a.const)
        raise FeatureNotSupported(f"IS {target.sql()} is not supported")

    def c_Between(self, e: exp.Between) -> Typed:
        """``x BETWEEN a AND b`` is ``x >= a AND x <= b``; SYMMETRIC is that or the same
        with a and b swapped (PostgreSQL's own expansion, NULLs included)."""
        low, high = e.args["low"], e.args["high"]
        lo = exp.GTE(this=e.this, expression=low)
        hi = exp.LTE(this=e.this, expression=high)
        ordered = exp.And(this=lo, expression=hi)
        if not e.args.get("symmetric"):
            return self.compile(ordered)
        lo2 = exp.GTE(this=e.this.copy(), expression=high.copy())
        hi2 = exp.LTE(this=e.this.copy(), expression=low.copy())
        return self.compile(exp.Or(this=ordered, expression=exp.And(this=lo2, expression=hi2)))

    def c_In(self, e: exp.In) -> Typed:
        query = e.args.get("query")
        if query is not None and (isinstance(e.this, exp.Tuple) or _is_row(e.this)):
            return self._row_in(list(e.this.expressions), query)
        if query is None and (isinstance(e.this, exp.Tuple) or _is_row(e.this)):
            # a row IN a list: the OR of its row comparisons, as the standard defines it
            return self.compile(
                exp.or_(*[exp.EQ(this=e.this.copy(), expression=i.copy()) for i in e.expressions])
            )
        a = self.compile(e.this)
        if query is not None:
            sub, plan = self._subquery_plan_values(query, single_column=True)
            ctype = plan.columns[0].type
            if {a.type.category, ctype.category} == {"N", "S"}:  # no number = text
                raise UndefinedFunction(
                    f"operator does not exist: {a.type.display()} = {ctype.display()}"
                )
            names = {a.type.name, ctype.name}
            session = self.ctx.session
            if session is not None and ctype.name == "regclass" and a.type.name in _OID_LIKE:
                sub = _oids_of_regclasses(session, sub)  # db9's regclass values are names
            if names & {"real", "double precision"} and "numeric" in names:
                # numeric against a float compares as float8
                a = coerce_to(a, T.FLOAT8)
                if ctype.name == "numeric":
                    sub = _as_floats(sub)
            fa = a.fn

            def run_sub(r: Row) -> Any:
                x = fa(r)
                values = sub(r)
                if x is None:
                    return None if values else False
                if hashable(x) in values:
                    return True
                return None if None in values else False

            return Typed(run_sub, T.BOOL)
        items = [self._typed_like(i, self.compile(i), a.type) for i in e.expressions]
        kinds = {a.type.name, *(i.type.name for i in items)}
        if "regclass" in kinds and kinds.intersection(_OID_LIKE):
            # db9's regclass values are names: each one compared with the oid as = does
            return self.compile(
                exp.or_(*[exp.EQ(this=e.this.copy(), expression=i.copy()) for i in e.expressions])
            )
        typed = next((i.type for i in items if i.type.name != "unknown"), T.UNKNOWN)
        a = self._typed_like(e.this, a, typed)
        pairs = [comparable(a, i) for i in items]
        if (
            all(p[1].const for p in pairs)
            and pairs
            and pairs[0][0].type.element is None
            and pairs[0][0].type.name not in ("json", "jsonb")  # objects: not hashable
        ):
            consts = [p[1].fn(()) for p in pairs]
            has_null = None in consts
            lookup = {c for c in consts if c is not None and not isinstance(c, list)}
            fa2 = pairs[0][0].fn
            if len(lookup) == len([c for c in consts if c is not None]):

                def run_set(r: Row) -> Any:
                    x = fa2(r)
                    if x is None:
                        return None
                    if x in lookup:
                        return True
                    return None if has_null else False

                return Typed(run_set, T.BOOL, a.const)

        def run(r: Row) -> Any:
            result: Any = False
            for left, right in pairs:
                x, y = left.fn(r), right.fn(r)
                if x is None or y is None:
                    result = None
                elif x == y:
                    return True
            return result

        return Typed(run, T.BOOL)

    def _row_in(self, xs: list[exp.Expr], query: exp.Expr) -> Typed:
        """``(a, b) IN (SELECT x, y ...)``: true if a row of the query equals (a, b), else
        NULL if one might (a NULL pair, no unequal one), else false."""
        while isinstance(query, exp.Subquery) and not query.alias:
            query = query.this
        if self.ctx.plan_subquery is None:
            raise FeatureNotSupported("subqueries are not supported here")
        plan = self.ctx.plan_subquery(query, self.scope)
        if len(plan.columns) > len(xs):
            raise SyntaxError_("subquery has too many columns")
        if len(plan.columns) < len(xs):
            raise SyntaxError_("subquery has too few columns")
        pairs = []
        for i, (x, col) in enumerate(zip(xs, plan.columns, strict=True)):
            a = self._typed_like(x, self.compile(x), col.type)
            pairs.append(comparable(a, Typed(operator.itemgetter(i), col.type)))
        rows_of = self._subquery_values(query, single_column=False)
        fns = [(a.fn, b.fn) for a, b in pairs]

        def run(r: Row) -> Any:
            mine = [fa(r) for fa, _ in fns]
            result: Any = False
            for row in rows_of(r):
                saw_null = False
                for x, (_, fb) in zip(mine, fns, strict=True):
                    y = fb(row)
                    if x is None or y is None:
                        saw_null = True
                    elif x != y:
                        break
                else:
                    if not saw_null:
                        return True
                    result = None
            return result

        return Typed(run, T.BOOL)

    def _like(self, e: exp.Expr, ci: bool) -> Typed:
        if isinstance(e.expression, exp.Any | exp.All):
            return self._like_quantified(e, ci)
        subject, pat = self.compile(e.this), self.compile(e.expression)
        if subject.type.name == "bytea" or pat.type.name == "bytea":
            # bytea LIKE bytea: one latin-1 character per byte, matched as text
            subject, pat = (_bytes_as_chars(coerce_to(x, T.BYTEA)) for x in (subject, pat))
        if subject.type.category in _NOT_TEXT or pat.type.category in _NOT_TEXT:
            op = "~~*" if ci else "~~"
            raise UndefinedFunction(
                f"operator does not exist: {subject.type.display()} {op} {pat.type.display()}"
            )
        ci = ci or "citext" in (subject.type.name, pat.type.name)  # citext's ~~ ignores case
        a = coerce_to(subject, T.TEXT, explicit=True)
        escape = e.args.get("escape")
        esc = "\\"
        if escape is not None:
            esc = self.compile(escape).fn(()) or ""
        flags = re.IGNORECASE if ci else 0
        negate = bool(e.args.get("negate"))  # sqlglot reads NOT LIKE as Like(negate=True)
        if pat.const:
            pv = pat.fn(())
            rx = None if pv is None else re.compile(like_to_regex(pv, esc).pattern, flags)
            fa = a.fn
            return Typed(
                lambda r: (
                    None if rx is None or (x := fa(r)) is None else bool(rx.fullmatch(x)) != negate
                ),
                T.BOOL,
            )

        def run(r: Row) -> Any:
            x, p = a.fn(r), pat.fn(r)
            if x is None or p is None:
                return None
            return bool(re.compile(like_to_regex(p, esc).pattern, flags).fullmatch(x)) != negate

        return Typed(run, T.BOOL)

    def _like_quantified(self, e: exp.Expr, ci: bool) -> Typed:
        """``x [NOT] [I]LIKE ANY|ALL (array)``: each pattern matched (or not) as LIKE does,
        with SQL's NULL rules for ANY and ALL."""
        quant = e.expression
        inner = quant.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        probe = exp.Like if isinstance(e, exp.Like) else exp.ILike
        # The subject's type and the escape are checked as a plain LIKE checks them.
        self._like(probe(this=e.this, expression=exp.Null(), negate=e.args.get("negate"),
                         escape=e.args.get("escape")), ci)  # fmt: skip
        a = coerce_to(self.compile(e.this), T.TEXT, explicit=True)
        arr = coerce_to(self.compile(inner), T.TEXT.array_of())
        escape = e.args.get("escape")
        esc = (self.compile(escape).fn(()) or "") if escape is not None else "\\"
        flags = re.IGNORECASE if ci else 0
        negate = bool(e.args.get("negate"))
        want_all = isinstance(quant, exp.All)
        fa, farr = a.fn, arr.fn

        def run(r: Row) -> Any:
            x, items = fa(r), farr(r)
            if items is None:
                return None
            saw_null = False
            for p in T.array_elements(items, T.TEXT):
                if x is None or p is None:
                    saw_null = True
                    continue
                hit = bool(re.compile(like_to_regex(p, esc).pattern, flags).fullmatch(x)) != negate
                if hit != want_all:
                    return hit
            return None if saw_null else want_all

        return Typed(run, T.BOOL)

    def c_Like(self, e: exp.Like) -> Typed:
        return self._like(e, False)

    def c_ILike(self, e: exp.ILike) -> Typed:
        return self._like(e, True)

    def c_SimilarTo(self, e: exp.SimilarTo) -> Typed:
        """``x SIMILAR TO pattern [ESCAPE e]``: the SQL regular expression matches all of x
        (sql.like.similar_to_regex); a NULL operand or escape gives NULL."""
        subject = self.compile(e.this)
        if subject.type.category in "NBDT":  # no implicit cast to text: as PostgreSQL's ~
            raise UndefinedFunction(f"operator does not exist: {subject.type.display()} ~ text")
        a = coerce_to(subject, T.TEXT, explicit=True)
        pat = coerce_to(self.compile(e.expression), T.TEXT)
        escape = e.args.get("escape")
        esc = coerce_to(self.compile(escape), T.TEXT) if escape is not None else None
        fa, fp = a.fn, pat.fn
        fe = esc.fn if esc is not None else (lambda _r: "\\")

        def run(r: Row) -> Any:
            x, p, c = fa(r), fp(r), fe(r)
            if x is None or p is None or c is None:
                return None
            return similar_to_regex(p, c or None).match(x) is not None

        return Typed(run, T.BOOL)

    def c_Escape(self, e: exp.Escape) -> Typed:
        inner = e.this
        inner.set("escape", e.expression)
        return self.compile(inner)

    def c_Case(self, e: exp.Case) -> Typed:
        subject = self.compile(e.this) if e.this is not None else None
        ifs = e.args.get("ifs") or []
        conds = []
        live = []  # per arm: not proved dead by an earlier arm's or its own constant test
        reached = True
        for w in ifs:
            with self._folding(reached):
                if subject is not None:
                    value = self._typed_like(w.this, self.compile(w.this), subject.type)
                    cond_l, cond_r = comparable(subject, value)
                    const = cond_l.const and cond_r.const
                    cond = Typed(_equals(cond_l.fn, cond_r.fn), T.BOOL, const)
                else:
                    cond = self._bool(w.this)
            conds.append(cond)
            known, taken = self._decided(cond) if reached else (False, None)
            live.append(reached and not (known and taken is not True))
            reached = reached and not (known and taken is True)
        has_default = e.args.get("default") is not None
        exprs = [w.args["true"] for w in ifs] + ([e.args["default"]] if has_default else [])
        live += [reached] * has_default
        pairs = zip(exprs, live, strict=True)
        ts = [self.compile(x) if on else self._dead([x])[0] for x, on in pairs]
        results = self.common(exprs, ts)
        rtype = results[0].type if results else T.TEXT
        branches = list(zip(conds, results, strict=False))
        dfn = results[-1].fn if has_default else (lambda _r: None)

        def run(r: Row) -> Any:
            for cond, value in branches:
                if cond.fn(r) is True:
                    return value.fn(r)
            return dfn(r)

        return Typed(run, rtype, name="case")

    def c_Coalesce(self, e: exp.Coalesce) -> Typed:
        es, ts = [e.this, *e.expressions], []
        for i, x in enumerate(es):
            arg = self.compile(x)
            ts.append(arg)
            known, value = self._decided(arg)
            if known and value is not None:  # the arguments after it are dead
                ts += self._dead(es[i + 1 :])
                break
        args = self.common(es, ts)
        t = args[0].type
        fns = [a.fn for a in args]

        def run(r: Row) -> Any:
            for f in fns:
                v = f(r)
                if v is not None:
                    return v
            return None

        return Typed(run, t, name="coalesce")

    def c_Nullif(self, e: exp.Nullif) -> Typed:
        a, b = comparable(*self._binary_operands(e))
        return Typed(lambda r: None if (x := a.fn(r)) == b.fn(r) else x, a.type, name="nullif")

    # subqueries

    def _once(self) -> _PerExecution:
        return _PerExecution(self.ctx)

    def _subquery_values(self, query: exp.Expr, *, single_column: bool) -> Callable[[Row], Any]:
        return self._subquery_plan_values(query, single_column=single_column)[0]

    def _subquery_plan_values(
        self, query: exp.Expr, *, single_column: bool
    ) -> tuple[Callable[[Row], Any], Any]:
        """The rows (a set of values when ``single_column``) of ``query`` for a row of the
        enclosing query, and its plan."""
        if self.ctx.plan_subquery is None:
            raise FeatureNotSupported("subqueries are not supported here")
        while isinstance(query, exp.Subquery) and not query.alias:
            # Planned as a derived table, its outer references would read a scope that
            # ``plan.run`` never fills: plan the query itself.
            query = query.this
        plan = self.ctx.plan_subquery(query, self.scope)
        if single_column and len(plan.columns) != 1:
            raise DatatypeMismatch("subquery has too many columns")
        once = self._once()

        def values(r: Row) -> Any:
            if not plan.correlated and once.has():
                return once.value
            rows = run_plan(plan, r)
            # a set of one column's values (arrays and jsonb in their hashable form)
            result = {hashable(row[0]) for row in rows} if single_column else rows
            if not plan.correlated:
                once.keep(result)
            return result

        return values, plan

    def c_Subquery(self, e: exp.Subquery) -> Typed:
        if self.ctx.plan_subquery is None:
            raise FeatureNotSupported("subqueries are not supported here")
        plan = self.ctx.plan_subquery(e.this, self.scope)
        if len(plan.columns) != 1:
            raise DatatypeMismatch("subquery must return only one column")
        once = self._once()

        def run(r: Row) -> Any:
            if not plan.correlated and once.has():
                return once.value
            rows = run_plan(plan, r, limit=2)
            if len(rows) > 1:
                raise CardinalityViolation(
                    "more than one row returned by a subquery used as an expression"
                )
            v = rows[0][0] if rows else None
            if not plan.correlated:
                once.keep(v)
            return v

        return Typed(run, plan.columns[0].type, name=plan.columns[0].name)

    def c_SubqueryColumn(self, e: SubqueryColumn) -> Typed:
        if self.ctx.plan_subquery is None:
            raise FeatureNotSupported("subqueries are not supported here")
        query = e.this
        width, index = int(e.args["width"]), int(e.args["index"])
        plan = self.ctx.plan_subquery(query.this, self.scope)
        if len(plan.columns) != width:
            raise SyntaxError_("number of columns does not match number of values")
        row_of = self._row_subqueries.get(id(query))
        if row_of is None:
            last: list[Any] = [None, None]  # (row, its sub-SELECT row): one run per row

            def run(r: Row) -> Row:
                if last[0] is not r:
                    rows = run_plan(plan, r, limit=2)
                    if len(rows) > 1:
                        raise CardinalityViolation(
                            "more than one row returned by a subquery used as an expression"
                        )
                    last[0], last[1] = r, rows[0] if rows else (None,) * width
                out: Row = last[1]
                return out

            row_of = self._row_subqueries[id(query)] = run
        fetch = row_of
        return Typed(lambda r: fetch(r)[index], plan.columns[index].type,
                     name=plan.columns[index].name)  # fmt: skip

    def c_Exists(self, e: exp.Exists) -> Typed:
        if self.ctx.plan_subquery is None:
            raise FeatureNotSupported("subqueries are not supported here")
        plan = self.ctx.plan_subquery(e.this, self.scope)  # errors as PostgreSQL reports them
        if not plan.correlated:
            once = self._once()

            def run_once(r: Row) -> bool:
                if not once.has():
                    once.keep(bool(run_plan(plan, r, limit=1)))
                result: bool = once.value
                return result

            return Typed(run_once, T.BOOL, name="exists")
        hashed = hashed_exists(e.this, self.ctx.plan_subquery, self.compile, self._once())
        if hashed is not None:
            return hashed
        return Typed(lambda r: bool(run_plan(plan, r, limit=1)), T.BOOL, name="exists")

    def c_Interval(self, e: exp.Interval) -> Typed:
        text = self.compile(e.this).fn(())
        unit = e.args.get("unit")
        if unit is not None:
            text = f"{text} {unit.name}"
        value = T.parse_interval(str(text))
        return Typed(lambda _r: value, T.INTERVAL, True, "interval")

    def _regex(self, e: exp.Expr, pattern_e: exp.Expr, flags: int, negate: bool) -> Typed:
        subject = self.compile(e)
        if subject.type.name == "citext":  # citext's ~ ignores case
            flags |= re.IGNORECASE
        a = coerce_to(subject, T.TEXT, explicit=True)
        letters = "i" if flags & re.IGNORECASE else ""
        found = quantified(pattern_e)
        if found is not None:  # x ~ ANY|ALL (array): each pattern, with SQL's NULL rules
            want_all = found[0] == "all"
            pats = coerce_to(self.compile(found[1]), T.TEXT.array_of())

            def each(r: Row) -> Any:
                x, items = a.fn(r), pats.fn(r)
                if items is None:
                    return None
                saw_null = False
                for p in T.array_elements(items, T.TEXT):
                    if x is None or p is None:
                        saw_null = True
                        continue
                    hit = (pg_regex(p, letters).search(x) is not None) != negate
                    if hit != want_all:
                        return hit
                return None if saw_null else want_all

            return Typed(each, T.BOOL)
        pat = coerce_to(self.compile(pattern_e), T.TEXT, explicit=True)

        def run(r: Row) -> Any:
            x, p = a.fn(r), pat.fn(r)
            if x is None or p is None:
                return None
            return (pg_regex(p, letters).search(x) is not None) != negate

        return Typed(run, T.BOOL)

    def c_RegexpLike(self, e: exp.RegexpLike) -> Typed:
        return self._regex(e.this, e.expression, 0, False)

    def c_RegexpILike(self, e: exp.RegexpILike) -> Typed:
        return self._regex(e.this, e.expression, re.IGNORECASE, False)

    def c_Operator(self, e: exp.Operator) -> Typed:
        """OPERATOR(pg_catalog.~) and friends, as psql writes them."""
        op = str(e.args.get("operator") or "").split(".")[-1].strip()
        regex = {
            "~": (0, False),
            "~*": (re.IGNORECASE, False),
            "!~": (0, True),
            "!~*": (re.IGNORECASE, True),
        }
        if op in regex:
            flags, negate = regex[op]
            return self._regex(e.this, e.expression, flags, negate)
        binary = {
            "=": exp.EQ,
            "<>": exp.NEQ,
            "!=": exp.NEQ,
            "<": exp.LT,
            "<=": exp.LTE,
            ">": exp.GT,
            ">=": exp.GTE,
            "+": exp.Add,
            "-": exp.Sub,
            "*": exp.Mul,
            "/": exp.Div,
        }
        if op in binary:
            return self.compile(binary[op](this=e.this, expression=e.expression))
        raise UndefinedFunction(f"operator does not exist: {op}")

    def c_Collate(self, e: exp.Collate) -> Typed:
        return self.compile(e.this)  # one collation (C): COLLATE changes nothing

    def c_Bracket(self, e: exp.Bracket) -> Typed:
        # a[i][j] arrives as Bracket(Bracket(a, i), j): one subscript per dimension.
        subscripts: list[exp.Expr] = []
        unshifted: list[bool] = []  # sqlglot left this subscript 1-based (see index below)
        base: exp.Expr = e
        while isinstance(base, exp.Bracket):
            if len(base.expressions) != 1:
                raise SyntaxError_('syntax error at or near ","')
            subscripts.insert(0, base.expressions[0])
            known = base.this.type
            unshifted.insert(0, known is not None and known.this not in _SHIFTED_OWNERS)
            base = base.this
        arr = self.compile(base)
        if arr.type.name == "jsonb":
            return jsonb.compile_subscript(self, arr, e)
        if hstore.is_hstore(arr.type) and len(subscripts) == 1:  # h['key']: h -> 'key'
            key = self.compile(subscripts[0])
            if key.type in T.INTEGER_TYPES:  # h[1]: the key '1' (undo sqlglot's shift)
                zero = _one_based(key) if unshifted[0] else _zero_based(key, subscripts[0])
                fz = zero.fn
                key = Typed(lambda r: None if (i := fz(r)) is None else str(i + 1), T.TEXT)
            key = coerce_to(key, T.TEXT, explicit=True)  # any key is read as its text
            found = hstore.compile_operator("->", arr, key)
            assert found is not None
            return Typed(found.fn, found.type, found.const, expr_name(base))
        if (arr.type.category == "G" or arr.type.name == "name") and len(subscripts) == 1:
            # PostgreSQL's point/lseg/box subscripts are 0-based; sqlglot made the subscript
            # one less unless it typed the base as a non-array itself.
            known = base.type
            shifted = known is None or known.this in (exp.DType.ARRAY, exp.DType.UNKNOWN)
            at = coerce_to(self.compile(subscripts[0]), T.INT4)
            rtype, impl = geometric_subscript(arr.type, 1 if shifted else 0)
            return strict_call(expr_name(base), [arr, at], rtype, impl)
        if arr.type.element is None and arr.type.name != "unknown":
            raise DatatypeMismatch(
                f"cannot subscript type {arr.type.display()} because it does not support "
                "subscripting"
            )
        if len(subscripts) > T.MAX_ARRAY_DIMS:
            raise ProgramLimitExceeded(
                f"number of array dimensions ({len(subscripts)}) exceeds the maximum allowed "
                f"({T.MAX_ARRAY_DIMS})"
            )
        elem = arr.type.element or T.TEXT

        # sqlglot turns PostgreSQL's 1-based subscripts into 0-based ones where it can tell
        # they are integers (a literal, an integer expression: rebuilt, so untyped); one it
        # cannot type (a column, a parameter: annotated UNKNOWN) it leaves 1-based, and so
        # every subscript of something it typed as no array (the second of (x::int[])[1][2]).
        # A slice's bounds it leaves as written.
        def index(k: int) -> Fn:
            x = subscripts[k]
            at = coerce_to(self.compile(x), T.INT4)
            return _one_based(at).fn if unshifted[k] else _zero_based(at, x).fn

        def bound(x: exp.Expr | None) -> Fn | None:
            return None if x is None else coerce_to(self.compile(x), T.INT4).fn

        def upper(k: int) -> Fn:  # a plain [u] beside a slice: 1-based u
            at = index(k)
            return lambda r: None if (i := at(r)) is None else i + 1

        if any(isinstance(x, exp.Slice) for x in subscripts):
            ranges = [
                (bound(x.this), bound(x.expression)) if isinstance(x, exp.Slice)
                else (None, upper(k))
                for k, x in enumerate(subscripts)
            ]  # fmt: skip
            plain = [not isinstance(x, exp.Slice) for x in subscripts]
            return Typed(_slicer(arr.fn, ranges, plain, elem), arr.type)
        idxs = [index(k) for k in range(len(subscripts))]
        vector = arr.type.name in ("int2vector", "oidvector")  # subscripts start at 0

        def run(r: Row) -> Any:
            v = arr.fn(r)
            lows = [0] if vector else array_bounds.lower_bounds(v, len(idxs))
            for idx, low in zip(idxs, lows, strict=True):
                i = idx(r)
                if i is not None:
                    i -= low - 1  # a 1-based subscript's offset in an array starting at low
                if not isinstance(v, list) or i is None or not 0 <= i < len(v):
                    return None
                v = v[i]
            # Fewer subscripts than dimensions: NULL, as in PostgreSQL.
            return None if T.is_subarray(v, elem) else v

        return Typed(run, elem)

    def c_Dot(self, e: exp.Dot) -> Typed:
        # pg_catalog.format_type(...): a schema-qualified function call
        if isinstance(e.this, exp.Identifier) and e.this.name.lower() == "pg_catalog":
            return self.compile(e.expression)
        # information_schema._pg_expandarray(...): its one function clients call
        if (
            isinstance(e.this, exp.Identifier)
            and e.this.name.lower() == "information_schema"
            and not isinstance(e.expression, exp.Identifier)
        ):
            return self.compile(e.expression)
        if isinstance(e.this, exp.Paren | exp.Bracket) and isinstance(e.expression, exp.Identifier):
            return self._field(self.compile(e.this), e.expression.name)
        if isinstance(e.this, exp.Identifier) and isinstance(e.expression, exp.Anonymous):
            # s.r(lo, hi): the constructor of a range type created in schema s
            made = T.type_by_name(f"{e.this.name}.{e.expression.name}")
            if made is not None and made.subtype is not None:
                args = [self.compile(a) for a in e.expression.expressions]
                return functions_range.construct(made, args)
        if isinstance(e.this, exp.Identifier) and isinstance(e.expression, exp.Func):
            # public.uuid_generate_v4(): an installed extension's function in its schema (as
            # pg_dump writes calls in defaults)
            call = e.expression
            name = str(call.this).lower() if isinstance(call, exp.Anonymous) else None
            session = self.ctx.session
            if name is not None and extension_catalog.callable_in(
                session.catalog() if session is not None else None, e.this.name, name
            ):
                return self.compile(call)
        raise FeatureNotSupported(f"expression {e.sql(dialect='postgres')} is not supported")

    def _field(self, row: Typed, name: str) -> Typed:
        """``(x).f``: a field of a composite value (42809 when x is not one, 42703 when it
        has no such field)."""
        fields = row.type.fields
        if fields is None or (row.type.name == "record" and not fields):
            raise WrongObjectType(
                f"column notation .{name} applied to type {row.type.display()}, which is not a "
                "composite type"
            )
        at = next((i for i, (n, _) in enumerate(fields) if n == name), None)
        if at is None:
            raise UndefinedColumn(f'column "{name}" not found in data type {row.type.display()}')
        fn = row.fn
        return Typed(
            lambda r: None if (v := fn(r)) is None else v[at], fields[at][1], row.const, name
        )

    def c_Tuple(self, e: exp.Tuple) -> Typed:
        """``(a, b)`` as a value: the row constructor with ROW left out (PostgreSQL's
        implicit ROW, two or more items); comparisons of rows are taken apart before."""
        if len(e.expressions) < 2:
            raise FeatureNotSupported(f"expression {e.sql(dialect='postgres')} is not supported")
        return self.compile_row(list(e.expressions))

    def compile_row(self, args: list[exp.Expr]) -> Typed:
        """``ROW(a, b)``: an anonymous record (fields f1, f2, ...); an untyped literal is text."""
        expanded: list[exp.Expr] = []
        for a in args:  # ROW(t.*): the columns of t
            if isinstance(a, exp.Column) and isinstance(a.this, exp.Star):
                table = a.table or None
                cols = [
                    c for c in self.scope.columns
                    if (table is None or c.table == table) and not c.hidden
                ]  # fmt: skip
                if table is not None and not cols:
                    raise UndefinedTable(f'missing FROM-clause entry for table "{table}"')
                expanded += [exp.column(c.name, c.table) if c.table else exp.column(c.name)
                             for c in cols]  # fmt: skip
            else:
                expanded.append(a)
        items = [self.compile(a) for a in expanded]
        items = [coerce_to(x, T.TEXT) if x.type.name == "unknown" else x for x in items]
        fields = tuple((f"f{i}", x.type) for i, x in enumerate(items, 1))
        fns = [x.fn for x in items]
        t = replace(T.RECORD, fields=fields)
        return Typed(lambda r: tuple(f(r) for f in fns), t, all(x.const for x in items), "row")

    def c_Array(self, e: exp.Array) -> Typed:
        query = e.expressions[0] if len(e.expressions) == 1 else None
        while (  # ARRAY((SELECT ...)): the parentheses belong to the query (Django's Subquery)
            isinstance(query, exp.Subquery | exp.Paren)
            and not e.args.get("value_constructor")
            and not query.args.get("alias")
        ):
            query = query.this
        if isinstance(query, exp.Select | exp.SetOperation):
            # ARRAY(SELECT ...): the subquery's single column as an array
            if self.ctx.plan_subquery is None:
                raise FeatureNotSupported("subqueries are not supported here")
            plan = self.ctx.plan_subquery(query, self.scope)
            if len(plan.columns) != 1:
                raise DatatypeMismatch("subquery must return only one column")
            return Typed(
                lambda r: [row[0] for row in run_plan(plan, r)],
                plan.columns[0].type.array_of(),
                name="array",
            )
        if not e.expressions:
            raise IndeterminateDatatype(
                "cannot determine type of empty array",
                hint="Explicitly cast to the desired type, for example ARRAY[]::integer[].",
            )
        items = self.common(list(e.expressions))
        t = items[0].type
        fns = [i.fn for i in items]
        if t.element is None:
            return Typed(lambda r: [f(r) for f in fns], t.array_of(), name="array")
        elem = t.element

        def nested(r: Row) -> list[Any]:
            # ARRAY[ARRAY[..], ...]: one more dimension; the sub-arrays must all have one
            # shape. NULL and empty ones make an empty array if all are, else an error, as
            # PostgreSQL's ARRAY[] has it.
            values = [f(r) for f in fns]
            subs = [v for v in values if v]
            if len(subs) != len(values):
                if subs:
                    raise ArraySubscriptError(
                        "multidimensional arrays must have array expressions with matching "
                        "dimensions"
                    )
                return []
            T.array_dims(subs, elem)
            return subs

        return Typed(nested, t, name="array")

    def c_Any(self, e: exp.Any) -> Typed:
        if isinstance(e.parent, exp.Binary):  # 33 * ANY (...): an operator, not a predicate
            raise WrongObjectType("op ANY/ALL (array) requires operator to yield boolean")
        raise FeatureNotSupported("ANY outside a comparison")


def _slicer(
    arr: Fn, ranges: list[tuple[Fn | None, Fn | None]], plain: list[bool], elem: SqlType
) -> Fn:
    """``a[l:u]...`` (PostgreSQL's array_get_slice): per subscripted dimension the elements
    from l to u, clamped to the array (an omitted bound is the array's own; a plain ``[u]``
    beside a slice is ``[1:u]``); dimensions past the subscripts are kept whole. A NULL
    bound gives NULL, an empty range an empty array; the result's lower bounds are 1."""

    def run(r: Row) -> Any:
        v = arr(r)
        if v is None:
            return None
        spans = []
        for (lo, hi), is_plain in zip(ranges, plain, strict=True):
            lv = 1 if is_plain else (lo(r) if lo is not None else None)
            uv = hi(r) if hi is not None else None
            if (lo is not None and lv is None) or (hi is not None and uv is None):
                return None
            spans.append((lv, uv))
        dims = T.array_dims(v, elem)
        if len(spans) > len(dims):
            return []
        lows = array_bounds.lower_bounds(v, len(spans))

        def cut(items: list[Any], level: int) -> list[Any] | None:
            if level == len(spans):
                return items
            lv, uv = spans[level]
            low = lows[level]
            first = max(lv if lv is not None else low, low) - low + 1  # as 1-based offsets
            last = min(uv if uv is not None else len(items) + low - 1, len(items) + low - 1)
            last -= low - 1
            if first > last:
                return None
            out = []
            for item in items[first - 1 : last]:
                sub = cut(item, level + 1) if level + 1 < len(spans) else item
                if sub is None:
                    return None
                out.append(sub)
            return out

        return cut(v, 0) or []

    return run


def _bytes_as_chars(t: Typed) -> Typed:
    f = t.fn
    return Typed(lambda r: None if (v := f(r)) is None else v.decode("latin-1"), T.TEXT, t.const)


def _equals(x: Fn, y: Fn) -> Fn:
    def run(r: Row) -> Any:
        a = x(r)
        if a is None:
            return None
        b = y(r)
        return None if b is None else a == b

    return run


def _money_arith(op: str, a: Typed, b: Typed) -> Typed:
    """money + money, money - money, money * / number (rounded to cents), money / money
    (double precision); anything else is 42883."""
    if a.type.name == "unknown":
        a = coerce_to(a, b.type)
    if b.type.name == "unknown":
        b = coerce_to(b, a.type)
    ta, tb = a.type.name, b.type.name
    numbers = ("smallint", "integer", "bigint", "real", "double precision", "numeric")
    impl: Callable[[Any, Any], Any] | None = None
    rtype = T.MONEY
    if ta == tb == "money" and op in ("+", "-"):
        impl = (lambda x, y: T.to_money(x + y)) if op == "+" else (lambda x, y: T.to_money(x - y))
    elif ta == tb == "money" and op == "/":
        rtype = T.FLOAT8

        def impl(x: Any, y: Any) -> Any:
            if not y:
                raise DivisionByZero("division by zero")
            return float(x) / float(y)
    elif op == "*" and {ta, tb} <= {"money", *numbers}:
        impl = lambda x, y: T.to_money(Decimal(x) * Decimal(y))  # noqa: E731
    elif op == "/" and ta == "money" and tb in numbers:

        def impl(x: Any, y: Any) -> Any:
            if not y:
                raise DivisionByZero("division by zero")
            return T.to_money((x / Decimal(y)).quantize(Decimal("0.01"), rounding="ROUND_DOWN"))

    if impl is None:
        raise UndefinedFunction(
            f"operator does not exist: {a.type.display()} {op} {b.type.display()}"
        )
    return strict_call("?column?", [a, b], rtype, impl)


def _as_floats(values: Callable[[Row], Any]) -> Callable[[Row], Any]:
    return lambda r: {None if v is None else float(v) for v in values(r)}


def _is_row(e: exp.Expr) -> bool:
    return isinstance(e, exp.Anonymous) and str(e.this).lower() == "row"


def _keyed_record(f: Fn, t: SqlType) -> Fn:
    return lambda r: None if (v := f(r)) is None else T.record_key(v, t)


def _domain_checker(t: SqlType) -> Callable[[Any], None]:
    """The CHECKs of the domain ``t`` as one function of a value (23514 when one is false)."""
    domain = t.domain
    assert domain is not None
    base = replace(t, domain=None)
    compiler = Compiler(Scope([ScopeColumn(None, "value", base)]), Context())
    checks = [
        (name, compiler.compile(normalize_identifiers(sqlglot.parse_one(sql, read=DIALECT))).fn)
        for name, sql in domain.checks
    ]

    def check(v: Any) -> None:
        for name, fn in checks:
            if fn((v,)) is False:
                raise CheckViolation(
                    f'value for domain {domain.name} violates check constraint "{name}"'
                )

    return check


casts.domain_checker = _domain_checker


_SHIFTED_OWNERS = (exp.DataType.Type.UNKNOWN, exp.DataType.Type.ARRAY)


def _zero_based(index: Typed, e: exp.Expr) -> Typed:
    """A subscript as a 0-based index (see Compiler.c_Bracket)."""
    if e.type is None or e.type.this != exp.DataType.Type.UNKNOWN:
        return index
    return _one_based(index)


def _one_based(index: Typed) -> Typed:
    """A 1-based subscript as a 0-based index."""
    fn = index.fn
    return Typed(lambda r: None if (i := fn(r)) is None else i - 1, index.type, False, index.name)


def _polymorphic_name(dtype: exp.Expr) -> str | None:
    """The polymorphic pseudo-type a cast names (``::anyarray``), or None."""
    name = dtype.name if isinstance(dtype, exp.ObjectIdentifier) else None
    if isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.USERDEFINED:
        name = dtype.sql(dialect="postgres")
    if name is None:
        return None
    name = name.lower().replace('"', "").removeprefix("pg_catalog.")
    return name if name in pseudo_types.POLYMORPHIC else None


def datatype_to_sql(dtype: exp.DataType) -> SqlType:
    """The SqlType of a sqlglot DataType (``varchar(20)``, ``int[]``, ``numeric(10,2)``)."""
    if isinstance(dtype, exp.ObjectIdentifier):
        found = T.type_by_name(dtype.name.lower())
        if found is None:
            raise UndefinedObject(f'type "{dtype.name.lower()}" does not exist')
        return found
    if dtype.this == exp.DataType.Type.ARRAY:
        inner = dtype.expressions[0] if dtype.expressions else None
        if not isinstance(inner, exp.DataType):
            raise FeatureNotSupported(f"type {dtype.sql()} is not supported")
        return datatype_to_sql(inner).array_of()
    kind = dtype.args.get("kind")
    if isinstance(kind, exp.Identifier) and kind.quoted and kind.this == "char":
        return T.CHAR  # "char", the one-byte type (char unquoted is character(1))
    name = dtype.sql(dialect="postgres").lower().replace('"', "")
    if name.startswith("pg_catalog."):
        name = name[len("pg_catalog.") :]
    mods: list[int] = []
    m = re.fullmatch(r"([a-z_ ]+?)\s*\(([-\d, ]+)\)", name) or re.fullmatch(
        r"(interval) (\d+)",
        name,  # sqlglot's interval(6)
    )
    if m:
        name = m[1]
        mods = [int(x) for x in m[2].split(",")]
    if name == "float" and mods:  # float(p): real up to 24 bits, else double precision
        if mods[0] < 1:
            raise InvalidParameterValue("precision for type float must be at least 1 bit")
        if mods[0] > 53:
            raise InvalidParameterValue("precision for type float must be less than 54 bits")
        name, mods = ("real" if mods[0] <= 24 else "double precision"), []
    aliases = {
        "serial": "integer",
        "bigserial": "bigint",
        "smallserial": "smallint",
        "serial2": "smallint",
        "serial4": "integer",
        "serial8": "bigint",
        "int": "integer",
        "timestamptz": "timestamp with time zone",
        "timestamp": "timestamp without time zone",
        "decimal": "numeric",
        "double precision": "double precision",
        "char": "character",
        "varchar": "character varying",
        "bpchar": "character",
    }
    name = aliases.get(name, name)
    base = T.type_by_name(name)
    if base is None:
        raise UndefinedObject(f'type "{name}" does not exist')
    return T.with_modifiers(base, mods)


def check_param_count(n: int) -> None:
    if n > 65535:
        raise InvalidParameterValue("too many parameters")


def _oid_to_regclass(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """oid::regclass: db9's regclass values are relation names, qualified when the schema
    is not on the search path (as regclassout prints them); an oid of no relation stays its
    number, as PostgreSQL prints it."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if v is None:
            return None
        catalog = session.catalog()
        table = catalog.tables.get(v)
        if table is not None:
            found = catalog.find(table.name, None, session.search_path())
            if found is not None and found.id == v:  # visible: the name finds it
                return T.RegclassName(table.name, v)
            qualified = f"{quote_ident(table.schema)}.{quote_ident(table.name)}"
            return T.RegclassName(qualified, v)
        index = catalog.index_by_oid(v)
        if index is not None:
            return T.RegclassName(index.name, v)
        system = system_oids.BY_OID.get(v)
        return T.RegclassName(system, v) if system is not None else str(v)

    return cast


def _name_to_regclass(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """'name'::regclass: the name, once it is known to name a relation (42P01 otherwise).
    System catalogs and indexes, which db9's catalog does not hold as tables, are taken."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if not isinstance(v, str) or v.isdigit():
            return v
        catalog = session.catalog()
        path = session.search_path()
        schema, _, name = v.rpartition(".")
        name = name.strip('"')
        # shown unqualified when its schema is visible, as regclassout does
        shown = name if schema.strip('"') in (*path, "pg_catalog") else v
        rel = catalog.by_regclass(v, path)
        if rel is not None:
            return regclass_text.regclass_name(catalog, rel, path)
        if name.startswith("pg_") or v.startswith(("information_schema.", "pg_catalog.")):
            return shown
        if any(i.name == name for t in catalog.all_tables() for i in t.indexes):
            return shown
        raise UndefinedTable(f'relation "{v}" does not exist')

    return cast


def _text_to_regnamespace(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """'name'::regnamespace: the schema's name, knowing its oid (3F000 for no such schema)."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if v is None or (isinstance(v, str) and v.isdigit()):
            return None if v is None else _oid_to_regnamespace(session, lambda _r: int(v))(row)
        name = str(v).strip('"') if str(v).startswith('"') else str(v).lower()
        oid = session.catalog().schema_oids.get(name)
        if oid is None:
            raise InvalidSchemaName(f'schema "{name}" does not exist')
        return T.RegclassName(name, oid)

    return cast


def _oid_to_regtype(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """oid::regtype: the type's name as format_type prints it; an unknown oid stays its
    number, as PostgreSQL prints it, and 0 (no type) is ``-``."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if v is None:
            return None
        if v == 0:
            return "-"
        t = T.BY_OID.get(v)
        if t is not None:
            return t.display()
        if v in pseudo_types.BY_OID:
            return pseudo_types.BY_OID[v]
        shown = user_types.format_type(session.catalog(), session.search_path(), v)
        return shown if shown is not None else str(v)

    return cast


def _text_to_regproc(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """'name'::regproc: the one function of that name (maybe schema-qualified), knowing its
    oid; 42883 for none, 42725 for more than one, as regprocin. db9's built-in functions
    have no pg_proc rows: only user routines are found."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if v is None or (isinstance(v, str) and v.isdigit()):
            return None if v is None else int(v)
        rel = parse_name(str(v))
        found = session.catalog().routines_named(rel.name, rel.schema, session.search_path())
        if not found:
            raise UndefinedFunction(f'function "{v}" does not exist')
        if len(found) > 1:
            raise AmbiguousFunction(f'more than one function named "{v}"')
        return T.RegclassName(found[0].name, found[0].oid)

    return cast


def _oid_to_regnamespace(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """oid::regnamespace: the schema's name; an oid of no schema stays its number."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if v is None:
            return None
        names = {oid: name for name, oid in session.catalog().schema_oids.items()}
        return T.RegclassName(names[v], v) if v in names else str(v)

    return cast


def _regnamespace_to_oid(fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    def cast(row: Row) -> Any:
        v = fn(row)
        if isinstance(v, T.RegclassName):
            return v.oid
        return int(v) if v is not None else None

    return cast


_OID_LIKE = ("oid", "integer", "bigint")


def _oids_of_regclasses(session: Any, sub: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """An IN subquery's regclass values as the oids they name, to compare with an oid."""
    to_oid = _regclass_to_oid(session, operator.itemgetter(0))

    def run(r: Row) -> set[Any]:
        return {None if v is None else to_oid((v,)) for v in sub(r)}

    return run


def _regclass_to_oid(session: Any, fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """A regclass (a relation's name) as its oid, to compare with an oid column."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if not isinstance(v, str) or v.isdigit():  # an oid ('16384'::regclass too)
            return int(v) if isinstance(v, str) else v
        catalog = session.catalog()
        table = catalog.by_regclass(v, session.search_path())
        if table is None:
            index = catalog.index_by_name(v, session.search_path())
            if index is not None:
                return index.oid
            system = system_oids.oid_of(v)
            if system is not None:
                return system
            raise UndefinedTable(f'relation "{v}" does not exist')
        return table.id

    return cast


def _regtype_to_oid(fn: Callable[[Row], Any]) -> Callable[[Row], Any]:
    """A regtype (a type's name, as db9 holds it) as the type's oid."""

    def cast(row: Row) -> Any:
        v = fn(row)
        if not isinstance(v, str) or v.isdigit():  # an oid ('23'::regtype too)
            return int(v) if isinstance(v, str) else v
        if v == "-":  # no type
            return 0
        pseudo = pseudo_types.CATALOG.get(v.lower().removeprefix("pg_catalog."))
        if pseudo is not None:
            return pseudo[0]
        found = regtype_named(v)
        if found is None:
            raise UndefinedObject(f'type "{v}" does not exist')
        return found.domain.oid if found.domain is not None else found.oid  # a domain's own

    return cast
