"""PL/pgSQL: a function's body as PostgreSQL's own PL/pgSQL grammar reads it (pglast's
``parse_plpgsql_json``), interpreted statement by statement. Every expression and query runs
through db9's SQL layer as a statement of the caller's transaction, the routine's variables
handed to it as parameters.

libpg_query's JSON leaves out zero-valued fields (a datum number 0 is absent) and the
variable of ``RETURN var`` / ``RETURN NEXT var`` (PostgreSQL keeps it as retvarno, which the
JSON does not carry): those are read back from the source line (``_return_words``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pglast import parser as pg_parser
from sqlglot import exp

from kv import interrupt
from kv.errors import Db9Error
from sql import types as T
from sql.casts import cast_value
from sql.errors import FeatureNotSupported, Raised, SqlError, SyntaxError_
from sql.result import Result
from sql.routine_types import arg_type, drain, result_type, value_type
from sql.session_api import SessionApi

if TYPE_CHECKING:
    from sql.catalog import RoutineDef
    from sql.statements import Statement

# PostgreSQL's elog levels as the JSON numbers them.
_INFO, _NOTICE, _WARNING, _ERROR = 17, 18, 19, 21
CONDITIONS = {
    "division_by_zero": "22012", "unique_violation": "23505", "not_null_violation": "23502",
    "foreign_key_violation": "23503", "check_violation": "23514", "raise_exception": "P0001",
    "no_data_found": "P0002", "too_many_rows": "P0003", "assert_failure": "P0004",
    "numeric_value_out_of_range": "22003", "invalid_text_representation": "22P02",
    "undefined_table": "42P01", "undefined_column": "42703", "undefined_function": "42883",
    "syntax_error": "42601", "data_exception": "22000", "integrity_constraint_violation": "23000",
    "string_data_right_truncation": "22001", "null_value_not_allowed": "22004",
    "invalid_parameter_value": "22023", "feature_not_supported": "0A000",
    "serialization_failure": "40001", "deadlock_detected": "40P01",
    "in_failed_sql_transaction": "25P02", "read_only_sql_transaction": "25006",
    "duplicate_table": "42P07", "duplicate_object": "42710", "wrong_object_type": "42809",
    "invalid_cursor_state": "24000", "cardinality_violation": "21000",
    "query_canceled": "57014", "object_not_in_prerequisite_state": "55000",
    "insufficient_privilege": "42501", "plpgsql_error": "P0000", "internal_error": "XX000",
    "datetime_field_overflow": "22008", "invalid_datetime_format": "22007",
    "array_subscript_error": "2202E", "character_not_in_repertoire": "22021",
    "restrict_violation": "23001", "exclusion_violation": "23P01",
    "invalid_transaction_state": "25000", "active_sql_transaction": "25001",
    "dependent_objects_still_exist": "2BP01", "invalid_schema_name": "3F000",
    "undefined_object": "42704", "ambiguous_column": "42702", "datatype_mismatch": "42804",
    "program_limit_exceeded": "54000", "statement_too_complex": "54001",
    "invalid_column_reference": "42P10", "undefined_parameter": "42P02",
    "duplicate_function": "42723", "ambiguous_function": "42725",
    "successful_completion": "00000", "warning": "01000",
}  # fmt: skip
_STATE_NAMES = {v: k for k, v in CONDITIONS.items()}


class _Exit(Exception):
    def __init__(self, label: str | None, is_exit: bool) -> None:
        self.label, self.is_exit = label, is_exit


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass
class Rec:
    """A record value: a row with its columns' names and types."""

    names: list[str]
    types: list[T.SqlType | None]
    values: list[Any]
    # NEW / OLD where a trigger has none (a statement trigger, OLD of an INSERT): NULL, yet
    # its fields read as NULL, as PostgreSQL's typed record variables do.
    null: bool = False

    def get(self, name: str) -> tuple[Any, T.SqlType | None]:
        if name not in self.names:
            raise SqlError(f'record has no field "{name}"').with_state("42703")
        i = self.names.index(name)
        return self.values[i], self.types[i]


def composite_rec(value: Any, t: T.SqlType) -> Rec:
    """A value of composite type ``t`` (a tuple, its text, or NULL) as a row variable."""
    names = [n for n, _ in t.fields or ()]
    types: list[T.SqlType | None] = [ft for _, ft in t.fields or ()]
    if isinstance(value, str):
        value = T.parse_record(value, t)
    if value is None:
        return Rec(names, types, [None] * len(names), null=True)
    return Rec(names, types, list(value))


_DECLARATION = re.compile(r"^\s*(\w+)\s+(?:constant\s+)?([\w.]+)\s*(?:;|:=|=|default\b|not\b)",
                          re.IGNORECASE | re.MULTILINE)  # fmt: skip


def _declared_types(body: str) -> dict[str, T.SqlType]:
    """The composite types of the variables a body's DECLARE section names (PL/pgSQL's
    parse tree keeps a row variable's name but not its type)."""
    head = re.split(r"\bbegin\b", body, maxsplit=1, flags=re.IGNORECASE)[0]
    parts = re.split(r"\bdeclare\b", head, maxsplit=1, flags=re.IGNORECASE)
    if len(parts) < 2:
        return {}
    found = {}
    for name, type_name in _DECLARATION.findall(parts[1].replace(";", ";\n")):
        t = T.type_by_name(type_name)
        if t is not None and t.fields:
            found[name.lower()] = t
    return found


@dataclass
class TriggerCall:
    """What a trigger function sees: TG_* and NEW / OLD."""

    name: str
    when: str  # BEFORE, AFTER, INSTEAD OF
    level: str  # ROW, STATEMENT
    op: str  # INSERT, UPDATE, DELETE, TRUNCATE
    table: str
    schema: str
    relid: int
    args: list[str]
    new: Rec | None = None
    old: Rec | None = None


@dataclass
class _Func:
    tree: dict[str, Any]
    datums: list[dict[str, Any]]
    lines: list[str]
    returns: dict[int, list[tuple[bool, str]]] = field(default_factory=dict)
    aliases: list[tuple[str, str]] = field(default_factory=list)  # DECLARE a ALIAS FOR b


_CACHE: dict[tuple[str, str, str], _Func] = {}


def _source(r: RoutineDef) -> str:
    """A CREATE FUNCTION statement pglast's PL/pgSQL parser accepts for ``r``."""
    tag = "$db9body$"
    while tag in r.body:
        tag = tag[:-1] + "x$"
    args = []
    table_cols = []
    for a in r.args:
        if a.mode == "t":
            table_cols.append(f'"{a.name}" {a.type}')
            continue
        mode = {"i": "in", "o": "out", "b": "inout", "v": "variadic"}[a.mode]
        args.append(f"{mode} {_ident(a.name)} {a.type}".replace("  ", " "))
    if table_cols:
        returns = f"table({', '.join(table_cols)})"
    elif r.kind == "p":
        returns = ""
    else:
        returns = ("setof " if r.retset else "") + r.returns
    kind = "procedure" if r.kind == "p" else "function"
    ret = (
        f" returns {returns}"
        if returns and not (r.returns == "record" and r.out_args and not r.retset)
        else ""
    )
    return f"create {kind} f({', '.join(args)}){ret} as {tag}{r.body}{tag} language plpgsql"


def _ident(name: str) -> str:
    return f'"{name}"' if name else ""


def compile_routine(r: RoutineDef) -> _Func:
    key = (r.body, r.returns + str(r.retset), repr(r.args))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    try:
        raw = json.loads(pg_parser.parse_plpgsql_json(_source(r)))
    except pg_parser.ParseError as exc:
        raise SyntaxError_(str(exc).split(", at index")[0]) from None
    fn = raw[0]["PLpgSQL_function"]
    lines = r.body.split("\n")
    func = _Func(fn["action"], fn.get("datums", []), lines)
    for n, line in enumerate(lines, start=1):
        found = [
            (bool(m[1]), m[2])
            for m in re.finditer(r"\breturn\s+(next\s+)?([A-Za-z_][\w$]*)\s*;", line, re.I)
        ]
        if found:
            func.returns[n] = found
    # ALIAS FOR leaves no datum of its own in the JSON: its name is read here.
    func.aliases = [
        (m[1].lower(), m[2].lower())
        for m in re.finditer(r"\b(\w+)\s+alias\s+for\s+(\$\d+|\w+)\s*;", r.body, re.I)
    ]
    if len(_CACHE) > 512:
        _CACHE.clear()
    _CACHE[key] = func
    return func


def _kind(node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((name, body),) = node.items()
    return name, body


def run(
    session: SessionApi, routine: RoutineDef, values: list[Any], trigger: TriggerCall | None
) -> Any:
    """Call ``routine`` (PL/pgSQL) with argument ``values``: what it returns (a list of rows
    for SETOF; the NEW / OLD record or None for a row trigger)."""
    frame = _Frame(session, routine, compile_routine(routine), trigger)
    frame.start(values)
    try:
        frame.block(frame.func.tree["PLpgSQL_stmt_block"])
    except _Return as ret:
        return ret.value
    except _Exit:
        raise SyntaxError_("EXIT cannot be used outside a loop, unless it has a label") from None
    if routine.retset:
        return frame.out
    if trigger is not None and trigger.level == "ROW":
        raise SqlError("control reached end of trigger procedure without RETURN").with_state(
            "2F005"
        )
    if routine.returns != "void" and routine.kind == "f" and not routine.out_args:
        raise SqlError("control reached end of function without RETURN").with_state("2F005")
    return frame.out_value()


def _utility(stmt: Statement) -> bool:
    """A statement a routine runs as it is (no variables bound in it): not a query or DML."""
    return stmt.utility is not None or stmt.command.startswith(
        ("CREATE", "DROP", "ALTER", "CALL", "DO", "TRUNCATE", "COMMENT", "GRANT", "REVOKE")
    )


def is_set_target(node: exp.Column) -> bool:
    """Is ``node`` the column an UPDATE's SET assigns (never a variable)?"""
    parent = node.parent
    return (
        isinstance(parent, exp.EQ) and isinstance(parent.parent, exp.Update) and parent.this is node
    )


def row_distinct(node: exp.Expr) -> exp.Expr:
    """``(a, b) IS [NOT] DISTINCT FROM (c, d)`` as the test of each pair (db9 compares rows
    with = and <>, not with IS DISTINCT FROM)."""
    if (
        isinstance(node, exp.NullSafeNEQ | exp.NullSafeEQ)
        and isinstance(node.this, exp.Tuple)
        and isinstance(node.expression, exp.Tuple)
        and len(node.this.expressions) == len(node.expression.expressions)
    ):
        pairs = [
            type(node)(this=a, expression=b)
            for a, b in zip(node.this.expressions, node.expression.expressions, strict=True)
        ]
        join = exp.or_ if isinstance(node, exp.NullSafeNEQ) else exp.and_
        return exp.Paren(this=join(*pairs))
    return node


def _type_of(typname: str) -> T.SqlType | None:
    if not typname or typname in ("record", "UNKNOWN"):
        return None
    if typname.startswith("_"):
        base = _type_of(typname[1:])
        return base.array_of() if base else None
    # The JSON keeps no type modifiers: char(2) arrives as bpchar, and reads as PostgreSQL's
    # bpchar does (no length).
    if typname == "bpchar":
        return T.TEXT  # db9's character without a length is char(1)
    plain = T.type_by_name(typname)
    if plain is not None:
        return plain
    try:
        t = arg_type(typname)
    except SqlError:
        return None
    return None if t.name in ("unknown", "record", "void") else t


def _cast(value: Any, src: T.SqlType | None, dst: T.SqlType | None) -> Any:
    if value is None or dst is None or src is None or src == dst or isinstance(value, Rec):
        return value
    return cast_value(value, src, dst)


def _state_of(exc: Db9Error) -> str:
    return str(getattr(exc, "sqlstate", "XX000"))


def _matches(condition: str, state: str) -> bool:
    """Does an exception handler's condition (a name or a SQLSTATE) catch ``state``?"""
    if condition == "others":
        return state != "57014"
    code = CONDITIONS.get(condition, condition.upper())
    if code.endswith("000") and code != "P0000" and len(code) == 5:
        return state[:2] == code[:2]  # a class condition catches the whole class
    return state == code


class _Frame:
    """One running call: its variables (by datum number) and what it has returned so far."""

    def __init__(
        self, session: SessionApi, routine: RoutineDef, func: _Func, trigger: TriggerCall | None
    ) -> None:
        self.session = session
        self.routine = routine
        self.func = func
        self.trigger = trigger
        n = len(func.datums)
        self.values: list[Any] = [None] * n
        self.types: list[T.SqlType | None] = [None] * n
        self.names: dict[str, int] = {}
        self.out: list[Any] = []  # RETURN NEXT / RETURN QUERY rows
        self.row_count = 0
        self.errors: list[Db9Error] = []  # the exceptions being handled, innermost last
        self.pending_returns = {k: list(v) for k, v in func.returns.items()}
        self.exprs: dict[str, tuple[exp.Expr, list[tuple[int, str | None]]]] = {}

    # -- variables -----------------------------------------------------------------------------

    def datum(self, i: int) -> tuple[str, dict[str, Any]]:
        return _kind(self.func.datums[i])

    def start(self, values: list[Any]) -> None:
        for i, d in enumerate(self.func.datums):
            kind, body = _kind(d)
            name = body.get("refname", "")
            if kind == "PLpgSQL_var":
                typname = body.get("datatype", {}).get("PLpgSQL_type", {}).get("typname", "")
                self.types[i] = _type_of(typname)
            if kind in ("PLpgSQL_var", "PLpgSQL_rec") and name:
                self.names[name] = i
        for alias, target in self.func.aliases:
            dno = int(target[1:]) - 1 if target.startswith("$") else self.names.get(target)
            if dno is not None:
                self.names[alias] = dno
        params = self.routine.args
        ins = iter(values)
        for i, a in enumerate(params):
            if a.mode in ("i", "b", "v"):
                self.values[i] = next(ins, None)
                if self.types[i] is None and a.type.lower() not in ("anyelement", "record"):
                    self.types[i] = arg_type(a.type)
                t = self.types[i]
                if t is not None and t.fields and self.datum(i)[0] == "PLpgSQL_rec":
                    self.values[i] = composite_rec(self.values[i], t)
        declared = _declared_types(self.routine.body)
        for i, d in enumerate(self.func.datums):
            kind, body = _kind(d)
            t = declared.get(body.get("refname", "").lower()) if i >= len(params) else None
            if kind == "PLpgSQL_rec" and t is not None:
                self.values[i] = composite_rec(None, t)  # NULL, its fields assignable
        if self.trigger is not None:
            self._bind_trigger(self.trigger)
        for i, d in enumerate(self.func.datums):
            kind, body = _kind(d)
            if kind == "PLpgSQL_var" and "default_val" in body and i >= len(params):
                v, t = self.eval(body["default_val"]["PLpgSQL_expr"]["query"])
                self.assign(i, v, t)

    def _bind_trigger(self, trigger: TriggerCall) -> None:
        values: dict[str, tuple[Any, T.SqlType | None]] = {
            "tg_name": (trigger.name, T.NAME),
            "tg_when": (trigger.when, T.TEXT),
            "tg_level": (trigger.level, T.TEXT),
            "tg_op": (trigger.op, T.TEXT),
            "tg_relid": (trigger.relid, T.OID),
            "tg_relname": (trigger.table, T.NAME),
            "tg_table_name": (trigger.table, T.NAME),
            "tg_table_schema": (trigger.schema, T.NAME),
            "tg_nargs": (len(trigger.args), T.INT4),
            "tg_argv": (list(trigger.args), T.TEXT.array_of()),
            "new": (trigger.new, None),
            "old": (trigger.old, None),
        }
        for i, d in enumerate(self.func.datums):
            name = _kind(d)[1].get("refname")
            if name in values:
                self.values[i], self.types[i] = values[name]

    def read(self, dno: int, fld: str | None) -> tuple[Any, T.SqlType | None]:
        kind, body = self.datum(dno)
        if kind == "PLpgSQL_recfield":
            return self.read(body.get("recparentno", 0), body["fieldname"])
        if kind == "PLpgSQL_row":
            fields = body.get("fields", [])
            if fld is not None:
                names = [f["name"] for f in fields]
                return self.read(fields[names.index(fld)].get("varno", 0), None)
            raise FeatureNotSupported("a row variable as a value is not supported")
        value = self.values[dno]
        if fld is not None:
            if value is None:
                raise SqlError(
                    f'record "{body.get("refname", "")}" is not assigned yet',
                    detail="The tuple structure of a not-yet-assigned record is indeterminate.",
                ).with_state("55000")
            if not isinstance(value, Rec):
                raise SqlError(f'"{body.get("refname")}" is not a record').with_state("42809")
            if fld == "*":
                return (None if value.null else record_text(value)), T.TEXT
            return value.get(fld)
        if isinstance(value, Rec):
            return (None if value.null else record_text(value)), T.TEXT
        return value, self.types[dno]

    def assign(self, dno: int, value: Any, src: T.SqlType | None, fld: str | None = None) -> None:
        kind, body = self.datum(dno)
        if kind == "PLpgSQL_recfield":
            self.assign(body.get("recparentno", 0), value, src, body["fieldname"])
            return
        if kind == "PLpgSQL_row" and fld is not None:
            fields = body.get("fields", [])
            names = [f["name"] for f in fields]
            self.assign(fields[names.index(fld)].get("varno", 0), value, src)
            return
        if fld is not None:
            rec = self.values[dno]
            if isinstance(rec, Rec) and rec.null:
                rec.null = False  # a field of a NULL row variable: the row, other fields NULL
            if not isinstance(rec, Rec):
                raise SqlError(
                    f'record "{body.get("refname", "")}" is not assigned yet',
                    detail="The tuple structure of a not-yet-assigned record is indeterminate.",
                ).with_state("55000")
            if fld not in rec.names:
                raise SqlError(f'record "{body.get("refname")}" has no field "{fld}"').with_state(
                    "42703"
                )
            i = rec.names.index(fld)
            rec.values[i] = _cast(value, src, rec.types[i])
            return
        if body.get("isconst") and self.values[dno] is not None:
            raise SqlError(f'variable "{body.get("refname")}" is declared CONSTANT').with_state(
                "22005"
            )
        if kind == "PLpgSQL_rec":
            self.values[dno] = value
            return
        value = _cast(value, src, self.types[dno])
        if value is None and body.get("notnull"):
            raise SqlError(
                f'null value cannot be assigned to variable "{body.get("refname")}" '
                "declared NOT NULL"
            ).with_state("22004")
        self.values[dno] = value
        if self.types[dno] is None:
            self.types[dno] = src

    def set_found(self, found: bool) -> None:
        i = self.names.get("found")
        if i is not None:
            self.values[i] = found

    def out_value(self) -> Any:
        """The value of a function whose result is its OUT parameters."""
        outs = [i for i, a in enumerate(self.routine.args) if a.mode in ("o", "b", "t")]
        values = tuple(self.values[i] for i in outs)
        if len(values) == 1:
            return values[0]
        return values if values else ""

    # -- SQL -----------------------------------------------------------------------------------

    def _bound(
        self, text: str
    ) -> tuple[exp.Expr | None, Statement | None, list[tuple[int, str | None]]]:
        """The statement ``text`` parsed, the routine's variables in it read as parameters
        (which datum, which field of a record)."""
        hit = self.exprs.get(text)
        if hit is not None:
            return hit[0].copy(), None, hit[1]
        stmt = self.session.split(text)[0]
        if _utility(stmt):
            return None, stmt, []
        tree = self.session.parse(stmt)
        refs: list[tuple[int, str | None]] = []
        index: dict[tuple[int, str | None], int] = {}
        fname = self.routine.name

        def param(key: tuple[int, str | None], like: exp.Expr | None = None) -> exp.Expr:
            if key not in index:
                refs.append(key)
                index[key] = len(refs)
            out = exp.Parameter(this=exp.Literal.number(index[key]))
            if like is not None:
                out.type = like.type  # a subscript keeps what sqlglot made of it (c_Bracket)
            return out

        def fields(node: exp.Expr) -> list[exp.Expr] | None:
            """``rec.*`` as the parameters of the record's fields; None: no such record."""
            if not (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
                return None
            dno = self.names.get(node.table)
            rec = self.values[dno] if dno is not None else None
            if dno is None or not isinstance(rec, Rec):
                return None
            return [param((dno, n)) for n in rec.names]

        def swap(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Parameter) and str(node.name).isdigit():
                n = int(node.name)  # $n: the routine's n-th parameter
                if not 1 <= n <= len(self.routine.args):
                    raise SqlError(f"there is no parameter ${n}").with_state("42P02")
                return param((n - 1, None), node)
            if (
                isinstance(node, exp.Bracket)
                and isinstance(node.this, exp.Column)
                and node.this.name == "tg_argv"
                and len(node.expressions) == 1
                and not node.args.get("shifted")
            ):
                # TG_ARGV is indexed from 0; db9's arrays from 1.
                first = node.expressions[0]
                inner = first.transform(swap)
                index = exp.Add(this=exp.Paren(this=inner), expression=exp.Literal.number(1))
                index.type = first.type
                return exp.Bracket(this=swap(node.this), expressions=[index], shifted=True)
            if isinstance(node, exp.Anonymous) and node.name.lower() == "row":
                # ROW(a, rec.*): a row of the values, each field of a record its own item.
                items = [y for x in node.expressions for y in fields(x) or [x.transform(swap)]]
                return exp.Tuple(expressions=items)
            if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
                if isinstance(node.parent, exp.Cast):
                    dno = self.names.get(node.table)
                    return node if dno is None else param((dno, "*"))
                star = fields(node)
                return node if star is None else exp.Tuple(expressions=star)
            if not isinstance(node, exp.Column):
                return node
            if is_set_target(node):
                return node
            name, table = node.name, node.table
            if not table and name in self.names:
                return param((self.names[name], None), node)
            if table and table in self.names and self.datum(self.names[table])[0] == "PLpgSQL_rec":
                return param((self.names[table], name), node)
            if table == fname and name in self.names:
                return param((self.names[name], None), node)
            return node

        tree = tree.transform(swap).transform(row_distinct)
        if len(self.exprs) < 256:
            self.exprs[text] = (tree, refs)
        return tree.copy(), None, refs

    def execute(self, text: str, params: list[Any] | None = None, dynamic: bool = False) -> Result:
        """Run one statement of the body (variables bound), or (``dynamic``) an EXECUTE's
        text, which sees no variables, only its USING ``params`` as $1, $2, ..."""
        stmt: Statement | None
        if dynamic:
            stmt = self.session.split(text)[0]
            tree = None if _utility(stmt) else self.session.parse(stmt)
            refs: list[tuple[int, str | None]] = []
            params = params or []
        else:
            tree, stmt, refs = self._bound(text)
        if tree is None:
            assert stmt is not None
            result = self.session.run_nested(stmt)
        else:
            values: list[Any] = []
            types: list[T.SqlType | None] = []
            for dno, fld in refs:
                v, t = self.read(dno, fld)
                values.append(v)
                types.append(t)
            if params is not None:
                values = list(params)
                types = [value_type(v) for v in params]
            result = self.session.run_tree(tree, values, types)
        tag = result.tag.split()
        self.row_count = int(tag[-1]) if len(tag) > 1 and tag[-1].isdigit() else 0
        return result

    def query(
        self, text: str, params: list[Any] | None = None, dynamic: bool = False
    ) -> tuple[list[tuple[Any, ...]], list[tuple[str, T.SqlType]]]:
        result = self.execute(text, params, dynamic)
        rows = drain(result)
        if result.tag.startswith("SELECT") or result.pending is not None:
            self.row_count = len(rows)
        return rows, list(result.columns or [])

    def eval(self, text: str) -> tuple[Any, T.SqlType | None]:
        rows, cols = self.query("SELECT " + text)
        if len(cols) != 1:
            raise SqlError(f'query "SELECT {text}" returned {len(cols)} columns').with_state(
                "42601"
            )
        if len(rows) > 1:
            raise SqlError(f'query "SELECT {text}" returned more than one row').with_state("21000")
        return (rows[0][0] if rows else None), cols[0][1]

    def cond(self, node: dict[str, Any] | None) -> bool:
        if node is None:
            return True
        return self.eval(node["PLpgSQL_expr"]["query"])[0] is True

    def expr(self, node: dict[str, Any]) -> tuple[Any, T.SqlType | None]:
        return self.eval(node["PLpgSQL_expr"]["query"])

    # -- statements ----------------------------------------------------------------------------

    def stmts(self, body: list[dict[str, Any]] | None) -> None:
        for node in body or ():
            interrupt.check()
            kind, b = _kind(node)
            getattr(self, "s_" + kind.removeprefix("PLpgSQL_stmt_"))(b)

    def block(self, b: dict[str, Any]) -> None:
        handlers = b.get("exceptions", {}).get("PLpgSQL_exception_block", {}).get("exc_list")
        label = b.get("label")
        if not handlers:
            try:
                self.stmts(b.get("body"))
            except _Exit as ex:
                if label is None or ex.label != label:
                    raise
            return
        txn = self.session.current_txn()
        mark = txn.savepoint()
        try:
            self.stmts(b.get("body"))
        except (_Exit, _Return):
            txn.release(mark)
            raise
        except Db9Error as exc:
            state = _state_of(exc)
            for h in handlers:
                h = h["PLpgSQL_exception"]
                names = [c["PLpgSQL_condition"].get("condname", "") for c in h["conditions"]]
                if any(_matches(n, state) for n in names):
                    txn.rollback_to(mark)
                    self.errors.append(exc)
                    for var, value in (("sqlstate", state), ("sqlerrm", exc.message)):
                        i = self.names.get(var)
                        if i is not None:
                            self.values[i] = value
                    try:
                        self.stmts(h.get("action"))
                    finally:
                        self.errors.pop()
                    return
            txn.rollback_to(mark)
            raise
        else:
            txn.release(mark)

    def s_block(self, b: dict[str, Any]) -> None:
        self.block(b)

    def s_assign(self, b: dict[str, Any]) -> None:
        text = b["expr"]["PLpgSQL_expr"]["query"]
        m = re.match(r"\s*(.+?)\s*:?=(?!=)\s*(.*)\Z", text, re.S)
        if m is None:
            raise SyntaxError_(f'syntax error at or near "{text}"')
        target, source = m[1], m[2]
        if "[" in target:
            raise FeatureNotSupported("assigning to an array element is not supported")
        v, t = self.eval(source)
        self.assign(b.get("varno", 0), v, t)

    def s_if(self, b: dict[str, Any]) -> None:
        if self.cond(b["cond"]):
            self.stmts(b.get("then_body"))
            return
        for e in b.get("elsif_list", []):
            e = e["PLpgSQL_if_elsif"]
            if self.cond(e["cond"]):
                self.stmts(e.get("stmts"))
                return
        self.stmts(b.get("else_body"))

    def s_case(self, b: dict[str, Any]) -> None:
        if "t_expr" in b:
            v, t = self.expr(b["t_expr"])
            i = b.get("t_varno", 0)
            self.values[i], self.types[i] = v, t
        for w in b.get("case_when_list", []):
            w = w["PLpgSQL_case_when"]
            if self.cond(w["expr"]):
                self.stmts(w.get("stmts"))
                return
        if not b.get("have_else"):
            raise SqlError(
                "case not found", hint="CASE statement is missing ELSE part."
            ).with_state("20000")
        self.stmts(b.get("else_stmts"))

    def _loop_body(self, b: dict[str, Any]) -> bool:
        """One pass of a loop's body; False: the loop ends (EXIT)."""
        label = b.get("label")
        try:
            self.stmts(b.get("body"))
        except _Exit as ex:
            if ex.label is not None and ex.label != label:
                raise
            return not ex.is_exit
        return True

    def s_loop(self, b: dict[str, Any]) -> None:
        while self._loop_body(b):
            interrupt.check()

    def s_while(self, b: dict[str, Any]) -> None:
        while self.cond(b["cond"]):
            interrupt.check()
            if not self._loop_body(b):
                break

    def s_fori(self, b: dict[str, Any]) -> None:
        var = b["var"]["PLpgSQL_var"]
        dno = self.names[var["refname"]]
        lo = self.expr(b["lower"])[0]
        hi = self.expr(b["upper"])[0]
        step = self.expr(b["step"])[0] if "step" in b else 1
        if lo is None or hi is None or step is None:
            raise SqlError("lower bound of FOR loop cannot be null").with_state("22004")
        if step <= 0:
            raise SqlError("BY value of FOR loop must be greater than zero").with_state("22023")
        reverse = b.get("reverse", False)
        i = int(lo)
        found = False
        while (i >= hi) if reverse else (i <= hi):
            interrupt.check()
            found = True
            self.values[dno] = i
            if not self._loop_body(b):
                break
            i = i - step if reverse else i + step
        self.set_found(found)

    def _rows_into(self, b: dict[str, Any], rows: list[Any], cols: list[Any]) -> None:
        found = False
        for row in rows:
            interrupt.check()
            found = True
            self.set_target(b["var"], [row], cols)
            if not self._loop_body(b):
                break
        self.set_found(found)

    def s_fors(self, b: dict[str, Any]) -> None:
        rows, cols = self.query(b["query"]["PLpgSQL_expr"]["query"])
        self._rows_into(b, rows, cols)

    def s_dynfors(self, b: dict[str, Any]) -> None:
        text = self.expr(b["query"])[0]
        params = [self.expr(p)[0] for p in b.get("params", [])]
        rows, cols = self.query(str(text), params, dynamic=True)
        self._rows_into(b, rows, cols)

    def s_foreach_a(self, b: dict[str, Any]) -> None:
        arr, t = self.expr(b["expr"])
        if arr is None:
            raise SqlError("FOREACH expression must not be null").with_state("22004")
        elem = t.element if t is not None else None
        found = False
        for v in T.array_elements(arr, elem) if elem is not None else arr:
            interrupt.check()
            found = True
            self.assign(b.get("varno", 0), v, elem)
            if not self._loop_body(b):
                break
        self.set_found(found)

    def s_exit(self, b: dict[str, Any]) -> None:
        if "cond" in b and not self.cond(b["cond"]):
            return
        raise _Exit(b.get("label"), bool(b.get("is_exit")))

    def _return_word(self, b: dict[str, Any], is_next: bool) -> str | None:
        """The variable of ``RETURN var;`` (see the module's docstring)."""
        queue = self.pending_returns.get(b.get("lineno", 0), [])
        for k, (nxt, word) in enumerate(queue):
            if nxt == is_next:
                queue.append(queue.pop(k))  # a loop returns from the same line again
                return word
        return None

    def s_return(self, b: dict[str, Any]) -> None:
        if "expr" in b:
            v, t = self.expr(b["expr"])
        else:
            word = self._return_word(b, False) if b.get("lineno") else None
            if word is None:
                raise _Return(self.out if self.routine.retset else self.out_value())
            if word.lower() == "null":
                raise _Return(None)
            dno = self.names.get(word.lower())
            if dno is None:
                v, t = self.eval(word)
            else:
                v, t = self.values[dno], self.types[dno]
                if isinstance(v, Rec) or self.datum(dno)[0] == "PLpgSQL_rec":
                    raise _Return(None if isinstance(v, Rec) and v.null else v)
        if self.routine.retset:
            raise _Return(self.out)
        rtype = result_type(self.routine)
        if rtype.name in ("record", "void", "unknown"):
            raise _Return(v)
        raise _Return(_cast(v, t, rtype))

    def s_return_next(self, b: dict[str, Any]) -> None:
        if "expr" in b:
            v, t = self.expr(b["expr"])
        else:
            word = self._return_word(b, True)
            if word is None:
                self.out.append(self.out_value())
                return
            dno = self.names[word.lower()]
            v, t = self.values[dno], self.types[dno]
            if isinstance(v, Rec):
                self.out.append(tuple(v.values))
                return
        rtype = result_type(self.routine)
        self.out.append(v if rtype.name in ("record", "unknown") else _cast(v, t, rtype))

    def s_return_query(self, b: dict[str, Any]) -> None:
        if "query" in b:
            rows, cols = self.query(b["query"]["PLpgSQL_expr"]["query"])
        else:
            text = self.expr(b["dynquery"])[0]
            params = [self.expr(p)[0] for p in b.get("params", [])]
            rows, cols = self.query(str(text), params, dynamic=True)
        rtype = result_type(self.routine)
        for row in rows:
            if len(row) == 1 and rtype.name not in ("record", "unknown"):
                self.out.append(_cast(row[0], cols[0][1], rtype))
            else:
                self.out.append(row[0] if len(row) == 1 else tuple(row))
        self.set_found(bool(rows))

    def s_perform(self, b: dict[str, Any]) -> None:
        rows, _ = self.query(b["expr"]["PLpgSQL_expr"]["query"])
        self.set_found(bool(rows))

    def s_call(self, b: dict[str, Any]) -> None:
        self.execute(b["expr"]["PLpgSQL_expr"]["query"])

    def set_target(self, target: dict[str, Any], rows: list[Any], cols: list[Any]) -> None:
        kind, body = _kind(target)
        row = rows[0] if rows else None
        if kind == "PLpgSQL_rec":
            dno = self.names.get(body.get("refname", ""), body.get("dno", 0))
            self.values[dno] = (
                Rec([c[0] for c in cols], [c[1] for c in cols], list(row))
                if row is not None
                else None
            )
            return
        if kind == "PLpgSQL_var":
            dno = self.names[body["refname"]]
            self.assign(dno, row[0] if row else None, cols[0][1] if cols else None)
            return
        fields = body.get("fields", [])
        if len(fields) == 1 and self.datum(fields[0].get("varno", 0))[0] == "PLpgSQL_rec":
            self.set_target({"PLpgSQL_rec": self.datum(fields[0].get("varno", 0))[1]}, rows, cols)
            return
        for i, f in enumerate(fields):
            v = row[i] if row is not None and i < len(row) else None
            t = cols[i][1] if i < len(cols) else None
            self.assign(f.get("varno", 0), v, t)

    def _into(self, b: dict[str, Any], rows: list[Any], cols: list[Any]) -> None:
        if b.get("strict"):
            if not rows:
                raise SqlError("query returned no rows").with_state("P0002")
            if len(rows) > 1:
                raise SqlError("query returned more than one row").with_state("P0003")
        self.set_target(b["target"], rows, cols)

    def s_execsql(self, b: dict[str, Any]) -> None:
        text = b["sqlstmt"]["PLpgSQL_expr"]["query"]
        if b.get("into"):
            rows, cols = self.query(text)
            self._into(b, rows, cols)
            self.set_found(bool(rows))
            return
        self.query(text)
        self.set_found(self.row_count > 0)

    def s_dynexecute(self, b: dict[str, Any]) -> None:
        text = self.expr(b["query"])[0]
        if text is None:
            raise SqlError("query string argument of EXECUTE is null").with_state("22004")
        params = [self.expr(p)[0] for p in b.get("params", [])]
        rows, cols = self.query(str(text), params, dynamic=True)
        if b.get("into"):
            self._into(b, rows, cols)

    def s_getdiag(self, b: dict[str, Any]) -> None:
        err = self.errors[-1] if self.errors else None
        for item in b.get("diag_items", []):
            item = item["PLpgSQL_diag_item"]
            kind = item.get("kind", "ROW_COUNT")
            value: Any
            if kind == "ROW_COUNT":
                value, t = self.row_count, T.INT8
            elif kind == "RETURNED_SQLSTATE":
                value, t = _state_of(err) if err else None, T.TEXT
            elif kind == "MESSAGE_TEXT":
                value, t = err.message if err else None, T.TEXT
            elif kind == "PG_EXCEPTION_DETAIL":
                value, t = (err.detail or "") if err else None, T.TEXT
            elif kind == "PG_EXCEPTION_HINT":
                value, t = (getattr(err, "hint", None) or "") if err else None, T.TEXT
            else:
                value, t = "", T.TEXT
            self.assign(item.get("target", 0), value, t)

    def s_raise(self, b: dict[str, Any]) -> None:
        level = b.get("elog_level", _ERROR)
        message = b.get("message")
        condname = b.get("condname")
        if message is None and condname is None and not b.get("options"):
            if not self.errors:
                raise SqlError("RAISE without parameters cannot be used outside an exception "
                               "handler").with_state("0Z002")  # fmt: skip
            raise self.errors[-1]
        params = [self.expr(p) for p in b.get("params", [])]
        text = ""
        if message is not None:
            text = _format(message, params)
        code = None
        if condname is not None:
            code = CONDITIONS.get(condname, condname if len(condname) == 5 else None)
            if code is None:
                raise SqlError(f'unrecognized exception condition "{condname}"').with_state("42704")
            text = text or condname
        detail = hint = None
        for opt in b.get("options", []):
            opt = opt["PLpgSQL_raise_option"]
            value = self.expr(opt["expr"])[0]
            value = None if value is None else str(value)
            kind = opt.get("opt_type", 0)
            if kind == 0:
                assert value is not None
                code = CONDITIONS.get(value, value)
            elif kind == 1:
                text = value or ""
            elif kind == 2:
                detail = value
            elif kind == 3:
                hint = value
        if level >= _ERROR:
            # RAISE USING ERRCODE = 'x' alone says the condition's name, as PostgreSQL does.
            err = SqlError(text or _STATE_NAMES.get(code or "", "") or code or "P0001",
                           detail=detail, hint=hint)  # fmt: skip
            raise err.with_state(code or "P0001")
        if level >= _INFO:
            severity = {_INFO: "INFO", _NOTICE: "NOTICE"}.get(level, "WARNING")
            context = f"PL/pgSQL function {self._shown_name()} line {b.get('lineno', 0)} at RAISE"
            self.session.notices.append(Raised(text, severity, code, detail, hint, context))

    def _shown_name(self) -> str:
        """The routine as PostgreSQL's CONTEXT lines name it: ``f(integer)``, or a DO
        block's ``inline_code_block``."""
        r = self.routine
        if not r.oid:
            return r.name
        types = []
        for a in r.args:
            if a.mode in ("i", "b", "v"):
                t = _type_of(a.type)
                types.append(t.name if t is not None else a.type)
        return f"{r.name}({', '.join(types)})"

    def s_assert(self, b: dict[str, Any]) -> None:
        if self.cond(b["cond"]):
            return
        message = self.expr(b["message"])[0] if "message" in b else "assertion failed"
        raise SqlError(str(message)).with_state("P0004")

    def s_commit(self, b: dict[str, Any]) -> None:
        raise FeatureNotSupported("COMMIT inside a procedure is not supported")

    def s_rollback(self, b: dict[str, Any]) -> None:
        raise FeatureNotSupported("ROLLBACK inside a procedure is not supported")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("s_"):
            raise FeatureNotSupported(f"PL/pgSQL statement {name[2:].upper()} is not supported")
        raise AttributeError(name)


def _format(message: str, params: list[tuple[Any, T.SqlType | None]]) -> str:
    """RAISE's message: each % replaced by the next parameter's text, %% by %."""
    out = []
    it = iter(params)
    i = 0
    while i < len(message):
        ch = message[i]
        if ch == "%":
            if message[i + 1 : i + 2] == "%":
                out.append("%")
                i += 2
                continue
            try:
                v, t = next(it)
            except StopIteration:
                raise SqlError("too few parameters specified for RAISE").with_state(
                    "42601"
                ) from None
            out.append(_text(v, t))
        else:
            out.append(ch)
        i += 1
    if next(it, None) is not None:
        raise SqlError("too many parameters specified for RAISE").with_state("42601")
    return "".join(out)


def _text(v: Any, t: T.SqlType | None) -> str:
    if v is None:
        return "<NULL>"
    if isinstance(v, Rec):
        return record_text(v)
    text = T.format_value(v, t or T.TEXT)
    return "<NULL>" if text is None else text


def record_text(rec: Rec) -> str:
    """A record as record_out prints it: (a,b,"c d")."""
    parts = []
    for v, t in zip(rec.values, rec.types, strict=True):
        if v is None:
            parts.append("")
            continue
        s = T.format_value(v, t or T.TEXT) or ""
        if s == "" or any(c in s for c in ' ,()"\\'):
            s = '"' + s.replace("\\", "\\\\").replace('"', '""') + '"'
        parts.append(s)
    return "(" + ",".join(parts) + ")"
