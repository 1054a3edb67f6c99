"""CREATE AGGREGATE: a user aggregate kept in the catalog as a RoutineDef of kind "a" whose
``aggregate`` holds the statement's options (pg_aggregate). The functions the options name
are resolved when a query calls the aggregate (sql.plan.user_aggregates); DROP AGGREGATE is
sql.routine_ddl's DROP of routines of that kind.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from sql import routine_call
from sql.catalog import ArgDef, RoutineDef
from sql.errors import SqlError
from sql.result import Result
from sql.routine_ddl import creation_schema, parse, type_sql
from sql.session_api import SessionApi

# options naming a function (their argument list, when given, is not needed: the call's
# types choose the overload) and options naming a type
FUNCTION_OPTIONS = frozenset(
    {"sfunc", "finalfunc", "combinefunc", "serialfunc", "deserialfunc", "msfunc", "minvfunc",
     "mfinalfunc"}
)  # fmt: skip
TYPE_OPTIONS = frozenset({"stype", "mstype", "basetype"})


COMMANDS = frozenset({"CREATE AGGREGATE"})


def run(session: SessionApi, text: str) -> Result:
    stmt: Any = parse(text)
    names = [n.sval for n in stmt.defnames]
    schema = names[0] if len(names) > 1 else creation_schema(session)
    name = names[-1]
    opts: dict[str, str] = {}
    for d in stmt.definition or ():
        key = d.defname.lower()
        if isinstance(d.arg, ast.TypeName):
            if key in FUNCTION_OPTIONS:
                opts[key] = ".".join(n.sval for n in d.arg.names or ())
            else:
                opts[key] = type_sql(d.arg)
        elif isinstance(d.arg, ast.String):
            opts[key] = str(d.arg.sval)
        elif isinstance(d.arg, ast.Integer | ast.Float):
            opts[key] = str(d.arg.ival if isinstance(d.arg, ast.Integer) else d.arg.fval)
        elif d.arg is not None:
            opts[key] = str(d.arg)
    if stmt.oldstyle:
        base = opts.pop("basetype", "")
        args = [] if base.lower() in ("any", "") else [ArgDef("", base)]
    else:
        params = stmt.args[0] if stmt.args else None
        args = [ArgDef(p.name or "", type_sql(p.argType)) for p in params or ()]
    for required in ("stype", "sfunc"):
        if required not in opts:
            raise SqlError(f"aggregate {required} must be specified").with_state("42P13")
    if "msfunc" in opts or "minvfunc" in opts or "mstype" in opts:
        for required in ("mstype", "msfunc", "minvfunc"):
            if required not in opts:
                raise SqlError(
                    f"aggregate {required} must be specified when aggregate "
                    f"{'msfunc' if required != 'msfunc' else 'minvfunc'} is specified"
                ).with_state("42P13")
    routine = RoutineDef(0, schema, name, "a", args, opts["stype"], False, "internal", "",
                         volatility="i", aggregate=opts)  # fmt: skip
    catalog = session.catalog()
    if schema not in catalog.schemas:
        raise SqlError(f'schema "{schema}" does not exist').with_state("3F000")
    same = [
        r
        for r in catalog.routines_named(name, schema, [])
        if routine_call.signature(r) == routine_call.signature(routine)
    ]
    if same and not stmt.replace:
        raise SqlError(f'function "{name}" already exists with same argument types').with_state(
            "42723"
        )
    routine.oid = same[0].oid if same else session.database.catalogs.next_id(session.current_txn())
    session.database.catalogs.put_routine(session.current_txn(), routine)
    return Result("CREATE AGGREGATE")
