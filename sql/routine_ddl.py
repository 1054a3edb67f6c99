"""CREATE / DROP FUNCTION and PROCEDURE, DO, CALL, CREATE / DROP TRIGGER and ALTER TABLE
ENABLE / DISABLE TRIGGER: the statement read by PostgreSQL's own grammar (pglast), the
definition kept in the catalog (sql.catalog's RoutineDef and TriggerDef).
"""

from __future__ import annotations

import re
from typing import Any

import pglast
from pglast import ast
from pglast.enums import FunctionParameterMode
from pglast.parser import ParseError
from pglast.stream import RawStream

from sql import roles, routine_call, routine_types, sql_function_result
from sql.catalog import ArgDef, RoutineDef, TableDef, TriggerDef
from sql.errors import (
    DuplicateObject,
    FeatureNotSupported,
    InvalidParameterValue,
    SqlError,
    SyntaxError_,
    UndefinedFunction,
    UndefinedObject,
    WrongObjectType,
)
from sql.result import Result
from sql.session_api import SessionApi

COMMANDS = frozenset(
    {"CREATE FUNCTION", "CREATE PROCEDURE", "DROP FUNCTION", "DROP PROCEDURE", "DROP ROUTINE",
     "DO", "CALL", "CREATE TRIGGER", "DROP TRIGGER", "ALTER TRIGGER", "DROP AGGREGATE"}
)  # fmt: skip

_MODES = {
    FunctionParameterMode.FUNC_PARAM_IN: "i",
    FunctionParameterMode.FUNC_PARAM_DEFAULT: "i",
    FunctionParameterMode.FUNC_PARAM_OUT: "o",
    FunctionParameterMode.FUNC_PARAM_INOUT: "b",
    FunctionParameterMode.FUNC_PARAM_VARIADIC: "v",
    FunctionParameterMode.FUNC_PARAM_TABLE: "t",
}
# CreateTrigStmt's bits (PostgreSQL's TRIGGER_TYPE_*).
_BEFORE, _INSTEAD = 2, 64
_EVENTS = {4: "insert", 8: "delete", 16: "update", 32: "truncate"}


def parse(text: str) -> Any:
    """The one statement of ``text`` as PostgreSQL's grammar reads it."""
    try:
        return pglast.parse_sql(text)[0].stmt
    except ParseError as exc:
        raise SyntaxError_(str(exc).split(", at index")[0]) from None


def type_sql(t: Any) -> str:
    """A TypeName as SQL db9's types read (``int4``, ``varchar(3)[]``)."""
    names = [n.sval for n in t.names]
    if t.pct_type:
        raise FeatureNotSupported("%TYPE in a routine's signature is not supported")
    base = names[-1] if names[0] == "pg_catalog" or len(names) == 1 else ".".join(names)
    if base == "bpchar" and not t.typmods:
        base = "char"
    if t.typmods:
        base += "(" + ", ".join(RawStream()(m) for m in t.typmods) + ")"
    return base + "[]" * len(t.arrayBounds or ())


def run(session: SessionApi, command: str, text: str) -> Result:
    stmt: Any = parse(text)
    if isinstance(stmt, ast.CreateFunctionStmt):
        return _create_routine(session, stmt, command)
    if isinstance(stmt, ast.DropStmt) and command == "DROP TRIGGER":
        return _drop_trigger(session, stmt)
    if isinstance(stmt, ast.DropStmt):
        return _drop_routines(session, stmt, command)
    if isinstance(stmt, ast.DoStmt):
        opts = {o.defname: str(o.arg.sval) for o in stmt.args or ()}
        body, lang = opts.get("as", ""), opts.get("language", "plpgsql")
        if lang.lower() != "plpgsql":
            raise UndefinedObject(f'language "{lang}" does not exist')
        routine = RoutineDef(0, "pg_temp", "inline_code_block", "p", [], "void", False,
                             "plpgsql", body)  # fmt: skip
        routine_call.invoke(session, routine, [])
        return Result("DO")
    if isinstance(stmt, ast.CallStmt):
        return routine_call.call(session, stmt.funccall, text)
    if isinstance(stmt, ast.CreateTrigStmt):
        return _create_trigger(session, stmt)
    if command == "ALTER TRIGGER":
        return rename_trigger(session, text)
    raise FeatureNotSupported(f"this form of {command} is not supported")


def _create_routine(session: SessionApi, stmt: Any, command: str) -> Result:
    names = [n.sval for n in stmt.funcname]
    catalog = session.catalog()
    schema = names[0] if len(names) > 1 else creation_schema(session)
    name = names[-1]
    opts = {o.defname: o.arg for o in stmt.options or ()}
    language = str(opts["language"].sval).lower() if "language" in opts else "sql"
    args = [
        ArgDef(
            p.name or "",
            type_sql(p.argType),
            _MODES[p.mode],
            RawStream()(p.defexpr) if p.defexpr is not None else None,
        )
        for p in stmt.parameters or ()
    ]
    body_parts = [str(x.sval) for x in opts["as"]] if "as" in opts else []
    if language in ("c", "internal"):
        if language == "c":
            raise SqlError(
                f'could not access file "{body_parts[0] if body_parts else ""}": '
                "No such file or directory"
            ).with_state("58P01")
        known = routine_types.INTERNAL_WINDOW_FUNCTIONS  # the only built-ins one may name
        if not body_parts or body_parts[0] not in known:
            shown = body_parts[0] if body_parts else ""
            raise UndefinedFunction(f'there is no built-in function named "{shown}"')
    elif language not in ("sql", "plpgsql"):
        raise UndefinedObject(f'language "{language}" does not exist')
    atomic: list[str] = []
    if stmt.sql_body is not None:
        if language != "sql":
            raise InvalidParameterValue("inline SQL function body only valid for language SQL")
        body = stmt.sql_body
        nodes = [body] if isinstance(body, ast.ReturnStmt) else [x for g in body for x in g or ()]
        atomic = [_body_statement(x) for x in nodes if x is not None]
    elif not body_parts:
        raise InvalidParameterValue("no function body specified")
    if stmt.is_procedure:
        returns, retset = "void", False
        if any(a.mode == "o" for a in args):
            returns = "record"
    elif stmt.returnType is not None:
        returns, retset = type_sql(stmt.returnType), bool(stmt.returnType.setof)
    else:
        outs = [a for a in args if a.mode in ("o", "b")]
        if not outs:
            raise InvalidParameterValue("function result type must be specified")
        returns, retset = (outs[0].type if len(outs) == 1 else "record"), False
    strict = bool(opts["strict"].boolval) if "strict" in opts else False
    volatility = str(opts["volatility"].sval)[0] if "volatility" in opts else "v"
    routine = RoutineDef(0, schema, name, "p" if stmt.is_procedure else "f", args, returns,
                         retset, language, body_parts[0] if body_parts else "", strict,
                         volatility, atomic)  # fmt: skip
    routine_call.validate(session, routine)
    catalog = session.catalog()
    if schema not in catalog.schemas:
        raise SqlError(f'schema "{schema}" does not exist').with_state("3F000")
    same = [
        r
        for r in catalog.routines_named(name, schema, [])
        if routine_call.signature(r) == routine_call.signature(routine)
    ]
    if same and not stmt.replace:
        kind = "procedure" if same[0].kind == "p" else "function"
        raise SqlError(f'{kind} "{name}" already exists with same argument types').with_state(
            "42723"
        )
    if same:
        old = same[0]
        if old.kind != routine.kind:
            was = "procedure" if old.kind == "p" else "function"
            raise WrongObjectType(
                "cannot change routine kind", detail=f'"{name}" is a {was}.'
            ).with_state("42809")
        if (old.returns, old.retset) != (returns, retset) and old.kind == "f":
            raise SqlError(
                "cannot change return type of existing function",
                hint=f"Use DROP FUNCTION {name}(...) first.",
            ).with_state("42P13")
        routine.oid, routine.owner = old.oid, old.owner
    else:
        routine.oid = session.database.catalogs.next_id(session.current_txn())
        routine.owner = roles.current_oid(session)
    sql_function_result.check(session, routine)
    session.database.catalogs.put_routine(session.current_txn(), routine)
    return Result(command.replace("CREATE ", "CREATE "))


def _body_statement(node: Any) -> str:
    """A statement of a SQL-standard body as SQL db9 reads (``RETURN x`` as ``SELECT x``)."""
    if isinstance(node, ast.ReturnStmt):
        value: Any = node.returnval
        return "SELECT " + str(RawStream()(value))
    return str(RawStream()(node))


def creation_schema(session: SessionApi) -> str:
    """Where an unqualified CREATE puts its object: the search path's first existing schema."""
    schemas = session.catalog().schemas
    found = next((s for s in session.search_path() if s in schemas), None)
    if found is None:
        raise SqlError("no schema has been selected to create in").with_state("3F000")
    return found


def lookup(session: SessionApi, obj: Any, kind: str, missing_ok: bool = False) -> RoutineDef | None:
    """The routine an ObjectWithArgs names, as PostgreSQL's LookupFuncWithArgs finds it for
    ``kind`` ("function", "procedure", "aggregate" or "routine"): by its input argument types
    (a procedure's or routine's also by all of them, OUT ones included), or by name alone when
    no list is given (42725 when that names several). A function lookup takes an aggregate
    too, not a procedure (42809). None when nothing matches and ``missing_ok``, else 42883."""
    names = [n.sval for n in obj.objname]
    schema = names[0] if len(names) > 1 else None
    found = session.catalog().routines_named(names[-1], schema, session.search_path())
    if not obj.args_unspecified:
        params = list(obj.objfuncargs or ())
        given = [routine_types.arg_type(type_sql(p.argType)) for p in params]
        inputs = [t for p, t in zip(params, given, strict=True) if _MODES[p.mode] != "o"]
        found = [r for r in found if routine_types.in_types(r) == inputs
                 or (kind in ("procedure", "routine") and r.kind == "p"
                     and [routine_types.arg_type(a.type) for a in r.args] == given)]  # fmt: skip
    _check_kinds(found, kind)
    if len(found) > 1:
        raise SqlError(
            f'{kind} name "{names[-1]}" is not unique',
            hint="Specify the argument list to select the function unambiguously.",
        ).with_state("42725")
    if found:
        return found[0]
    shown = ".".join(names)
    if not obj.args_unspecified:
        shown += "(" + ", ".join(
            routine_types.arg_type(type_sql(p.argType)).display() for p in obj.objfuncargs or ()
        ) + ")"  # fmt: skip
    if not missing_ok:
        raise UndefinedFunction(f"{kind} {shown} does not exist")
    session.notices.append(f"{kind} {shown} does not exist, skipping")
    return None


def _drop_routines(session: SessionApi, stmt: Any, command: str) -> Result:
    catalog = session.catalog()
    kind = command.split()[1].lower()
    doomed: list[RoutineDef] = []
    for obj in stmt.objects:
        found = lookup(session, obj, kind, missing_ok=stmt.missing_ok)
        if found is not None and found.kind == "a" and kind == "function":
            shown = f"{found.name}({routine_types.describe_arguments(found, defaults=False)})"
            raise WrongObjectType(f"{shown} is an aggregate function").with_state("42809")
        doomed += [found] if found is not None else []
    for r in doomed:
        users = [(t, tr) for t in catalog.all_tables() for tr in t.triggers if tr.function == r.oid]
        if users and stmt.behavior != 1:  # DROP_CASCADE
            t, tr = users[0]
            raise SqlError(
                f"cannot drop function {r.name}() because other objects depend on it",
                detail=f"trigger {tr.name} on table {t.name} depends on function {r.name}()",
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            ).with_state("2BP01")
        for t, tr in users:
            t = _own(t)
            t.triggers = [x for x in t.triggers if x.oid != tr.oid]
            session.database.catalogs.put_table(session.current_txn(), t, catalog, new=False)
        session.database.catalogs.drop_routine(session.current_txn(), r)
    return Result(command)


def _check_kinds(found: list[RoutineDef], kind: str) -> None:
    """A routine of a kind the statement does not take: 42809, as PostgreSQL (a function
    lookup takes aggregates; DROP FUNCTION refuses them itself)."""
    for r in found:
        shown = f"{r.name}({routine_types.describe_arguments(r, defaults=False)})"
        if r.kind == "p" and kind in ("function", "aggregate"):
            raise WrongObjectType(f"{shown} is not a function").with_state("42809")
        if r.kind != "p" and kind == "procedure":
            raise WrongObjectType(f"{shown} is not a procedure").with_state("42809")
        if r.kind == "f" and kind == "aggregate":
            raise WrongObjectType(f"function {shown} is not an aggregate").with_state("42809")


def _own(table: TableDef) -> TableDef:
    """A copy of a catalog's table to change (the catalog may be shared by sessions)."""
    return TableDef.from_json(table.to_json())


def rename_trigger(session: SessionApi, text: str) -> Result:
    """ALTER TRIGGER name ON table RENAME TO new."""
    stmt: Any = parse(text)
    if not isinstance(stmt, ast.RenameStmt):
        raise FeatureNotSupported("this form of ALTER TRIGGER is not supported")
    table = _own(_table(session, stmt.relation))
    trigger = next((t for t in table.triggers if t.name == stmt.subname), None)
    if trigger is None:
        raise UndefinedObject(f'trigger "{stmt.subname}" for table "{table.name}" does not exist')
    if any(t.name == stmt.newname for t in table.triggers):
        raise DuplicateObject(
            f'trigger "{stmt.newname}" for relation "{table.name}" already exists'
        )
    trigger.name = str(stmt.newname)
    session.database.catalogs.put_table(session.current_txn(), table, session.catalog(), new=False)
    return Result("ALTER TRIGGER")


def _table(session: SessionApi, rel: Any) -> Any:
    catalog = session.catalog()
    return catalog.table(rel.relname, rel.schemaname, session.search_path())


def _create_trigger(session: SessionApi, stmt: Any) -> Result:
    if stmt.isconstraint:
        raise FeatureNotSupported("CREATE CONSTRAINT TRIGGER is not supported")
    catalog = session.catalog()
    rel = stmt.relation
    table = catalog.find(rel.relname, rel.schemaname, session.search_path())
    if table is None:
        raise SqlError(f'relation "{rel.relname}" does not exist').with_state("42P01")
    table = _own(table)
    names = [n.sval for n in stmt.funcname]
    found = [
        r
        for r in catalog.routines_named(
            names[-1], names[0] if len(names) > 1 else None, session.search_path()
        )
        if not r.in_args
    ]
    if not found:
        raise UndefinedFunction(f"function {'.'.join(names)}() does not exist")
    func = found[0]
    if func.returns != "trigger":
        raise SqlError(f"function {func.name} must return type trigger").with_state("42P17")
    timing = "before" if stmt.timing & _BEFORE else "instead" if stmt.timing & _INSTEAD else "after"
    events = [name for bit, name in _EVENTS.items() if stmt.events & bit]
    if table.kind == "view" and timing != "instead" and stmt.row:
        raise WrongObjectType(
            f'"{table.name}" is a view',
            detail="Views cannot have row-level BEFORE or AFTER triggers.",
        )
    if table.kind == "view" and "truncate" in events:
        raise WrongObjectType(
            f'"{table.name}" is a view', detail="Views cannot have TRUNCATE triggers."
        )
    if table.kind == "view" and stmt.transitionRels:
        raise WrongObjectType(
            f'"{table.name}" is a view', detail="Triggers on views cannot have transition tables."
        )
    if table.kind == "table" and timing == "instead":
        raise WrongObjectType(
            f'"{table.name}" is a table',
            detail="Tables cannot have INSTEAD OF triggers.",
        )
    if timing == "instead" and not stmt.row:
        raise FeatureNotSupported("INSTEAD OF triggers must be FOR EACH ROW")
    if "truncate" in events and stmt.row:
        raise FeatureNotSupported("TRUNCATE FOR EACH ROW triggers are not supported")
    when = RawStream()(stmt.whenClause) if stmt.whenClause is not None else None
    refs = re.findall(r"\b(new|old)\.", when.lower()) if when else []
    if timing == "instead" and when is not None:
        raise FeatureNotSupported("INSTEAD OF triggers cannot have WHEN conditions")
    if timing == "instead" and stmt.columns:
        raise FeatureNotSupported("INSTEAD OF triggers cannot have column lists")
    if stmt.transitionRels:
        raise FeatureNotSupported("triggers with transition tables (REFERENCING) are not supported")
    system = r"\bnew\.(ctid|xmin|xmax|cmin|cmax|tableoid|oid)\b"
    if timing == "before" and when is not None and re.search(system, when.lower()):
        raise FeatureNotSupported(
            "BEFORE trigger's WHEN condition cannot reference NEW system columns"
        )
    if refs and not stmt.row:
        raise SqlError(
            "statement trigger's WHEN condition cannot reference column values"
        ).with_state("42P17")
    if "insert" in events and "old" in refs:
        raise SqlError("INSERT trigger's WHEN condition cannot reference OLD values").with_state(
            "42P17"
        )
    if "delete" in events and "new" in refs:
        raise SqlError("DELETE trigger's WHEN condition cannot reference NEW values").with_state(
            "42P17"
        )
    existing = next((t for t in table.triggers if t.name == stmt.trigname), None)
    if existing is not None and not stmt.replace:
        raise DuplicateObject(
            f'trigger "{stmt.trigname}" for relation "{table.name}" already exists'
        )
    columns = [c.sval for c in stmt.columns or ()]
    for i, c in enumerate(columns):
        table.column(c)
        if c in columns[:i]:
            raise SqlError(f'column "{c}" specified more than once').with_state("42701")
    trigger = TriggerDef(
        stmt.trigname,
        existing.oid if existing else session.database.catalogs.next_id(session.current_txn()),
        func.oid,
        timing,
        events,
        bool(stmt.row),
        columns,
        when,
        [str(a.sval) for a in stmt.args or ()],
    )
    if existing is not None:
        table.triggers[table.triggers.index(existing)] = trigger
    else:
        table.triggers.append(trigger)
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return Result("CREATE TRIGGER")


def _drop_trigger(session: SessionApi, stmt: Any) -> Result:
    catalog = session.catalog()
    for obj in stmt.objects:
        names = [n.sval for n in obj]
        *rel, name = names
        table = catalog.find(rel[-1], rel[0] if len(rel) > 1 else None, session.search_path())
        if table is None:
            if stmt.missing_ok:
                session.notices.append(f'relation "{rel[-1]}" does not exist, skipping')
                continue
            raise SqlError(f'relation "{rel[-1]}" does not exist').with_state("42P01")
        table = _own(table)
        trigger = next((t for t in table.triggers if t.name == name), None)
        if trigger is None:
            if stmt.missing_ok:
                session.notices.append(
                    f'trigger "{name}" for relation "{table.name}" does not exist, skipping'
                )
                continue
            raise UndefinedObject(f'trigger "{name}" for table "{table.name}" does not exist')
        table.triggers.remove(trigger)
        session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return Result("DROP TRIGGER")


def enable_trigger(session: SessionApi, text: str) -> Result | None:
    """ALTER TABLE ... ENABLE / DISABLE TRIGGER name | ALL | USER; None: not this form."""
    try:
        stmt: Any = pglast.parse_sql(text)[0].stmt
    except ParseError:
        return None
    if not isinstance(stmt, ast.AlterTableStmt) or not stmt.cmds:
        return None
    kinds = {"AT_EnableTrig", "AT_DisableTrig", "AT_EnableTrigAll", "AT_DisableTrigAll",
             "AT_EnableTrigUser", "AT_DisableTrigUser", "AT_EnableAlwaysTrig",
             "AT_EnableReplicaTrig"}  # fmt: skip
    if not all(c.subtype.name in kinds for c in stmt.cmds):
        return None
    table = _own(_table(session, stmt.relation))
    for cmd in stmt.cmds:
        on = "Enable" in cmd.subtype.name
        if cmd.subtype.name.endswith(("All", "User")):
            for t in table.triggers:
                t.enabled = on
            continue
        trigger = next((t for t in table.triggers if t.name == cmd.name), None)
        if trigger is None:
            raise UndefinedObject(f'trigger "{cmd.name}" for table "{table.name}" does not exist')
        trigger.enabled = on
    session.database.catalogs.put_table(session.current_txn(), table, session.catalog(), new=False)
    return Result("ALTER TABLE")
