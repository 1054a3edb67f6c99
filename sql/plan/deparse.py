"""Expressions as PostgreSQL's EXPLAIN prints them (its ruleutils.c deparser): every operator
expression in parentheses, constants with the casts PostgreSQL shows (``'A'::name``, none on
an integer), IN lists as ``= ANY ('{1,2}'::integer[])``, BETWEEN as two comparisons, and
column names qualified when the query reads more than one relation.

A plan node keeps its conditions as SQL text; ``parse_cond`` reads it back, and ``Deparser``
resolves columns in the node's scopes to learn the types the constants take."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from sql import types as T
from sql.expr import datatype_to_sql
from sql.operators import SYMBOLS
from sql.pg_dialect import DIALECT
from sql.scope import Scope, ScopeColumn
from sql.types import SqlType

_OPS: dict[type[exp.Expr], str] = {
    exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">=",
    exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%", exp.DPipe: "||",
    exp.RegexpLike: "~", exp.RegexpILike: "~*", exp.BitwiseAnd: "&", exp.BitwiseOr: "|",
    exp.BitwiseXor: "#",
}  # fmt: skip
_OPS.update({k: v for k, v in SYMBOLS.items() if issubclass(k, exp.Binary)})
_NAMED_OPS = {
    k.sql_name().lower(): v
    for k, v in SYMBOLS.items()
    if issubclass(k, exp.Binary) and issubclass(k, exp.Func)
}
_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_NEGATED: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.EQ: exp.NEQ, exp.NEQ: exp.EQ, exp.LT: exp.GTE, exp.GTE: exp.LT, exp.GT: exp.LTE,
    exp.LTE: exp.GT,
}  # fmt: skip
_FUNC_NAMES = {"GenerateSeries": "generate_series", "ExplodingGenerateSeries": "generate_series"}
_INTS = ("smallint", "integer", "bigint")
_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_$]*")
_RESERVED_WORDS = """all analyse analyze and any array as asc asymmetric both case cast check
collate column constraint create current_catalog current_date current_role current_time
current_timestamp current_user default deferrable desc distinct do else end except false fetch
for foreign from grant group having in initially intersect into lateral leading limit localtime
localtimestamp not null offset on only or order placing primary references returning select
session_user some symmetric table then to trailing true union unique user using variadic when
where window with"""
_RESERVED = frozenset(_RESERVED_WORDS.split())


def quote_ident(name: str) -> str:
    """A name as PostgreSQL's quote_identifier writes it."""
    if _PLAIN_IDENT.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def parse_cond(text: str) -> list[exp.Expr]:
    """A condition's SQL text as the list of its ANDed parts (none for empty text)."""
    if not text:
        return []
    try:
        e = sqlglot.parse_one(text, read=DIALECT)
    except Exception:  # not parseable: shown as it is
        return [exp.Var(this=text)]
    return _conjuncts(e)


def _conjuncts(e: exp.Expr) -> list[exp.Expr]:
    if isinstance(e, exp.And):
        return _conjuncts(e.this) + _conjuncts(e.expression)
    if isinstance(e, exp.Paren):
        return _conjuncts(e.this)
    return [e]


def type_label(t: SqlType) -> str:
    """A type as a constant's cast shows it (no modifiers; bpchar for character)."""
    if t.element is not None:
        return type_label(t.element) + "[]"
    return "bpchar" if t.name == "character" else t.name


@dataclass
class Deparser:
    """Prints expressions bound in ``scopes`` (tried in order); ``prefix``: qualify columns,
    named through ``source`` (a scope column -> the relation and column PostgreSQL names it
    by). A column of an enclosing query (a lateral or correlated reference) is always
    qualified, as PostgreSQL prints the parameter it becomes."""

    scopes: list[Scope]
    prefix: bool
    source: Callable[[ScopeColumn], tuple[str | None, str]] = lambda c: (c.table, c.name)
    # a column none of the scopes holds (a node's scope lacks the enclosing query's): found
    # among the plan's other columns, as an outer reference
    elsewhere: Callable[[exp.Column], ScopeColumn | None] = lambda c: None
    subplans: list[int] = field(default_factory=lambda: [0])

    def qual(self, parts: list[exp.Expr]) -> str:
        """An implicitly ANDed list of conditions, as EXPLAIN's ``Filter:`` shows it."""
        parts = [x for p in parts for x in _flatten(p, exp.And)]
        if len(parts) == 1:
            return self.expr(parts[0])
        return "(" + " AND ".join(self.expr(p) for p in parts) + ")"

    def _column(self, c: exp.Column) -> ScopeColumn | None:
        return self._lookup(c)[0]

    def _lookup(self, c: exp.Column) -> tuple[ScopeColumn | None, bool]:
        """The scope column ``c`` names, and whether it is an enclosing query's."""
        for s in self.scopes:
            scope: Scope | None = s
            outer = False
            while scope is not None:
                try:
                    hit = scope.resolve(c.name, c.table or None)
                except Exception:
                    hit = None
                if hit is not None:
                    return scope.columns[hit[0]], outer
                scope, outer = scope.outer, True
        found = self.elsewhere(c)
        return found, found is not None

    def type_of(self, e: exp.Expr) -> SqlType | None:
        if isinstance(e, exp.Paren):
            return self.type_of(e.this)
        if isinstance(e, exp.Column):
            col = self._column(e)
            return col.type if col is not None else None
        if isinstance(e, exp.Cast):
            try:
                return datatype_to_sql(e.args["to"])
            except Exception:
                return None
        if isinstance(e, exp.Literal):
            if e.is_string:
                return None
            if "." in e.this or "e" in e.this.lower():
                return T.NUMERIC
            return T.INT4 if abs(int(e.this)) < 2**31 else T.INT8
        if isinstance(e, exp.Neg):
            return self.type_of(e.this)
        if isinstance(e, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
            return self.type_of(e.this) or self.type_of(e.expression)
        if isinstance(e, exp.DPipe):
            return T.TEXT
        if isinstance(e, exp.Count):
            return T.INT8
        if isinstance(e, exp.Predicate | exp.Connector | exp.Not | exp.Boolean):
            return T.BOOL
        if isinstance(e, exp.Min | exp.Max | exp.Coalesce):
            return self.type_of(e.this)
        return None

    def expr(self, e: exp.Expr, want: SqlType | None = None) -> str:
        """``e`` as ruleutils prints it; ``want``: the type an untyped constant takes."""
        if isinstance(e, exp.Paren):
            return self.expr(e.this, want)
        if isinstance(e, exp.Column):
            return self._column_text(e)
        if isinstance(e, exp.Literal | exp.Neg) and is_constant(e):
            return self._constant(e, want)
        if isinstance(e, exp.Neg):
            return f"(- {self.expr(e.this)})"
        if isinstance(e, exp.Null):
            return "NULL"
        if isinstance(e, exp.Boolean):
            return "true" if e.this else "false"
        if isinstance(e, exp.And | exp.Or):
            word = " AND " if isinstance(e, exp.And) else " OR "
            parts = _flatten(e, type(e))
            return "(" + word.join(self.expr(p) for p in parts) + ")"
        if isinstance(e, exp.Not):
            inner = e.this.this if isinstance(e.this, exp.Paren) else e.this
            if type(inner) in _NEGATED:
                flip = _NEGATED[type(inner)]
                return self.expr(flip(this=inner.this, expression=inner.expression))
            if isinstance(inner, exp.In):
                return self._in(inner, negate=True)
            if isinstance(inner, exp.Between):
                return self._between(inner, negate=True)
            if isinstance(inner, exp.Like | exp.ILike):
                return self._like(inner, negate=not inner.args.get("negate"))
            if isinstance(inner, exp.Is):
                flipped = inner.copy()
                flipped.set("negate", not inner.args.get("negate"))
                return self.expr(flipped)
            return f"(NOT {self.expr(inner)})"
        if isinstance(e, exp.Is):
            word = "IS NOT" if e.args.get("negate") else "IS"
            target = e.expression
            what = "NULL" if isinstance(target, exp.Null) else self.expr(target).upper()
            return f"({self.expr(e.this)} {word} {what})"
        if isinstance(e, exp.In):
            return self._in(e, negate=False)
        if isinstance(e, exp.Between):
            return self._between(e, negate=False)
        if isinstance(e, exp.Like | exp.ILike):
            return self._like(e, negate=bool(e.args.get("negate")))
        if isinstance(e, _COMPARISONS) and _quantifier(e.expression):
            return self._quantified(e)
        if type(e) in _OPS:
            return self._binary(e, _OPS[type(e)])
        if isinstance(e, exp.Tuple):
            return "ROW(" + ", ".join(self.expr(x) for x in e.expressions) + ")"
        if isinstance(e, exp.NullSafeNEQ | exp.NullSafeEQ):
            word = "IS DISTINCT FROM" if isinstance(e, exp.NullSafeNEQ) else "IS NOT DISTINCT FROM"
            return f"({self.expr(e.this)} {word} {self.expr(e.expression)})"
        if isinstance(e, exp.Cast):
            return self._cast(e)
        if isinstance(e, exp.Count):
            arg = e.this
            if arg is None or isinstance(arg, exp.Star):
                return "count(*)"
            return f"count({self._arg(arg)})"
        if isinstance(e, exp.Sum | exp.Avg | exp.Min | exp.Max):
            return f"{type(e).__name__.lower()}({self._arg(e.this)})"
        if isinstance(e, exp.Coalesce):
            args = [e.this, *e.expressions]
            t = next((x for x in map(self.type_of, args) if x is not None), None)
            return "COALESCE(" + ", ".join(self.expr(a, t) for a in args) + ")"
        if isinstance(e, exp.Case):
            return self._case(e)
        if (
            isinstance(e, exp.Anonymous)
            and e.name.lower() in _NAMED_OPS
            and len(e.expressions) == 2
        ):
            # an operator sqlglot names as a function (@> is ARRAY_CONTAINS_ALL)
            left, right = e.expressions
            return self._binary(exp.Binary(this=left, expression=right), _NAMED_OPS[e.name.lower()])
        if isinstance(e, exp.Anonymous):
            name = e.name if e.name.islower() or '"' in e.sql() else e.name.lower()
            return f"{name}(" + ", ".join(self.expr(a) for a in e.expressions) + ")"
        if isinstance(e, exp.Subquery | exp.Exists):
            self.subplans[0] += 1
            return f"(SubPlan {self.subplans[0]})"
        if isinstance(e, exp.Var):
            return e.name
        if isinstance(e, exp.Func) and not e.args.get("expressions"):
            args = [a for a in e.args.values() if isinstance(a, exp.Expr)]
            name = _FUNC_NAMES.get(type(e).__name__, e.sql_name().lower())
            return f"{name}(" + ", ".join(self.expr(a) for a in args) + ")"
        return e.sql(dialect="postgres")

    def _arg(self, e: exp.Expr) -> str:
        if isinstance(e, exp.Distinct):
            return "DISTINCT " + ", ".join(self.expr(a) for a in e.expressions)
        return self.expr(e)

    def _column_text(self, c: exp.Column) -> str:
        col, outer = self._lookup(c)
        table, name = self.source(col) if col is not None else (c.table or None, c.name)
        if not (self.prefix or outer) or not table:
            return quote_ident(name)
        return f"{quote_ident(table)}.{quote_ident(name)}"

    def _constant(self, e: exp.Expr, want: SqlType | None) -> str:
        neg = isinstance(e, exp.Neg)
        lit = e.this if neg else e
        assert isinstance(lit, exp.Literal)
        value = ("-" if neg else "") + lit.this
        if lit.is_string:
            t = want if want is not None and want.name != "unknown" else T.TEXT
            if t.name == "character varying":
                t = T.TEXT
            return "'" + str(value).replace("'", "''") + "'::" + type_label(t)
        own = self.type_of(lit)
        assert own is not None
        if (
            want is not None
            and want.name in ("numeric", "double precision", "real", "oid")
            and (want.name != "numeric" or own.name != "numeric")
        ):
            return f"'{value}'::{want.name}"
        if own.name == "integer":
            return f"'{value}'::integer" if neg else value
        if own.name == "numeric":
            return f"'{value}'::numeric" if neg else value
        return f"'{value}'::{own.name}"

    def _binary(self, e: exp.Expr, op: str) -> str:
        left, right = e.this, e.expression
        lt, rt = self.type_of(left), self.type_of(right)
        if isinstance(e, _COMPARISONS) and _is_string(right) and _is_varchar(lt):
            return f"(({self.expr(left)})::text {op} {self.expr(right, T.TEXT)})"
        if isinstance(e, _COMPARISONS) and _is_string(left) and _is_varchar(rt):
            return f"({self.expr(left, T.TEXT)} {op} ({self.expr(right)})::text)"
        want_r = T.TEXT if isinstance(e, exp.DPipe) else lt
        want_l = T.TEXT if isinstance(e, exp.DPipe) else rt
        return f"({self.expr(left, want_l)} {op} {self.expr(right, want_r)})"

    def _like(self, e: exp.Like | exp.ILike, negate: bool) -> str:
        op = ("!" if negate else "") + ("~~*" if isinstance(e, exp.ILike) else "~~")
        subject = self.expr(e.this)
        if _is_varchar(self.type_of(e.this)):
            subject = f"({subject})::text"
        return f"({subject} {op} {self.expr(e.expression, T.TEXT)})"

    def _in(self, e: exp.In, negate: bool) -> str:
        items = e.expressions
        if not items or not all(is_constant(i) for i in items):
            if e.args.get("query") is not None:
                self.subplans[0] += 1
                return f"(SubPlan {self.subplans[0]})"
            cmp = exp.NEQ if negate else exp.EQ
            joined = exp.And if negate else exp.Or
            return self.expr(_join([cmp(this=e.this, expression=i) for i in items], joined))
        t = self.type_of(e.this) or next(
            (x for x in map(self.type_of, items) if x is not None), T.TEXT
        )
        subject = self.expr(e.this)
        if t.name == "character varying":
            t, subject = T.TEXT, f"({subject})::text"
        values = [_literal_text(i) for i in items]
        text = "{" + ",".join(_array_item(v) for v in values) + "}"
        quoted = text.replace("'", "''")
        op = "<> ALL" if negate else "= ANY"
        return f"({subject} {op} ('{quoted}'::{type_label(t)}[]))"

    def _quantified(self, e: exp.Expr) -> str:
        """``x op ANY/ALL (array)``: an array of constants as one array constant."""
        q = e.expression
        word = _quantifier(q)
        inner = q.expressions[0] if isinstance(q, exp.Anonymous) else q.this
        inner = inner.this if isinstance(inner, exp.Paren) else inner
        op = _OPS[type(e)]
        if isinstance(inner, exp.Array) and all(is_constant(i) for i in inner.expressions):
            items = [self.type_of(i) for i in inner.expressions]
            t = self.type_of(e.this) or next((x for x in items if x is not None), T.TEXT)
            text = "{" + ",".join(_array_item(_literal_text(i)) for i in inner.expressions) + "}"
            quoted = text.replace("'", "''")
            return f"({self.expr(e.this)} {op} {word} ('{quoted}'::{type_label(t)}[]))"
        return f"({self.expr(e.this)} {op} {word} ({self.expr(inner)}))"

    def _between(self, e: exp.Between, negate: bool) -> str:
        lo, hi = e.args["low"], e.args["high"]
        if negate:
            return self.expr(exp.Or(this=exp.LT(this=e.this, expression=lo),
                                    expression=exp.GT(this=e.this, expression=hi)))  # fmt: skip
        return self.expr(exp.And(this=exp.GTE(this=e.this, expression=lo),
                                 expression=exp.LTE(this=e.this, expression=hi)))  # fmt: skip

    def _cast(self, e: exp.Cast) -> str:
        try:
            t = datatype_to_sql(e.args["to"])
            label = t.display()
        except Exception:
            t, label = None, e.args["to"].sql(dialect="postgres")
        inner = e.this
        if isinstance(inner, exp.Literal | exp.Neg) and is_constant(inner):
            return "'" + _literal_text(inner).replace("'", "''") + "'::" + label
        text = self.expr(inner, t)
        return f"({text})::{label}"

    def _case(self, e: exp.Case) -> str:
        out = ["CASE"]
        if e.this is not None:
            out.append(self.expr(e.this))
        for branch in e.args.get("ifs") or []:
            out += ["WHEN", self.expr(branch.this), "THEN", self.expr(branch.args["true"])]
        default = e.args.get("default")
        if default is not None:
            out += ["ELSE", self.expr(default)]
        return " ".join([*out, "END"])


def qual_cost(e: exp.Expr) -> float:
    """A condition's per-row cost in operator calls, as PostgreSQL's cost_qual_eval counts
    them: it runs the conditions of one list cheapest first (order_qual_clauses)."""
    if isinstance(e, exp.Subquery | exp.Exists) or (isinstance(e, exp.In) and e.args.get("query")):
        return 100.0
    own = 0.0
    if isinstance(e, _COMPARISONS) and _quantifier(e.expression):
        q = e.expression
        inner = q.expressions[0] if isinstance(q, exp.Anonymous) else q.this
        inner = inner.this if isinstance(inner, exp.Paren) else inner
        return 0.5 * max(len(inner.expressions), 1) if isinstance(inner, exp.Array) else 1.0
    if isinstance(e, _COMPARISONS) and isinstance(e.this, exp.Tuple):
        return float(len(e.this.expressions))  # one comparison per column
    if isinstance(e, exp.In):
        own = 0.5 * max(len(e.expressions), 1)
    elif type(e) in _OPS or isinstance(e, exp.Like | exp.ILike | exp.Func | exp.Between):
        own = 2.0 if isinstance(e, exp.Between) else 1.0
    if isinstance(e, exp.Count | exp.Sum | exp.Avg | exp.Min | exp.Max):
        own = 0.0
    return own + sum(qual_cost(c) for c in e.iter_expressions())


def _quantifier(e: exp.Expr) -> str:
    """ANY or ALL for a quantified array operand (sqlglot reads ALL as a function), else ""."""
    if isinstance(e, exp.Any):
        return "ANY"
    if isinstance(e, exp.All):
        return "ALL"
    if (
        isinstance(e, exp.Anonymous)
        and e.name.upper() in ("ANY", "ALL")
        and len(e.expressions) == 1
    ):
        return e.name.upper()
    return ""


def is_constant(e: exp.Expr) -> bool:
    if isinstance(e, exp.Neg):
        return isinstance(e.this, exp.Literal) and not e.this.is_string
    return isinstance(e, exp.Literal)


def _literal_text(e: exp.Expr) -> str:
    return str("-" + e.this.this if isinstance(e, exp.Neg) else e.this)


def _is_string(e: exp.Expr) -> bool:
    return isinstance(e, exp.Literal) and e.is_string


def _is_varchar(t: SqlType | None) -> bool:
    return t is not None and t.name == "character varying"


def _flatten(e: exp.Expr, kind: type[exp.Expr]) -> list[exp.Expr]:
    inner = e.this if isinstance(e, exp.Paren) else e
    if kind is exp.And and isinstance(inner, exp.Between):
        lo, hi = inner.args["low"], inner.args["high"]
        return [exp.GTE(this=inner.this, expression=lo), exp.LTE(this=inner.this, expression=hi)]
    if isinstance(inner, kind):
        return _flatten(inner.this, kind) + _flatten(inner.expression, kind)
    return [e]


def _join(parts: list[exp.Expr], kind: type[exp.Expr]) -> exp.Expr:
    out = parts[0]
    for p in parts[1:]:
        out = kind(this=out, expression=p)
    return out


def _array_item(v: str) -> str:
    if v == "" or any(ch in v for ch in ' ,{}"\\') or v.lower() == "null":
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v
