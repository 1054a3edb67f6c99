"""CREATE [OR REPLACE] RULE and DROP RULE, read with PostgreSQL's own parser (pglast); a
rule is kept on its relation (TableDef.rules) and applied by sql.rules."""

from __future__ import annotations

import copy
from typing import Any

import pglast
from pglast import ast
from pglast.enums import CmdType
from pglast.parser import ParseError
from pglast.stream import RawStream

from sql import dml
from sql.catalog import TableDef
from sql.errors import (
    DuplicateObject,
    FeatureNotSupported,
    InvalidObjectDefinition,
    SqlError,
    SyntaxError_,
    UndefinedObject,
    UndefinedTable,
)
from sql.result import Result
from sql.rules import DONE, action_tree, rules_for
from sql.scope import Context
from sql.session_api import SessionApi

COMMANDS = frozenset({"CREATE RULE", "DROP RULE"})

_EVENTS = {CmdType.CMD_INSERT: "insert", CmdType.CMD_UPDATE: "update",
           CmdType.CMD_DELETE: "delete", CmdType.CMD_SELECT: "select"}  # fmt: skip


def run(session: SessionApi, command: str, text: str) -> Result:
    try:
        stmt = pglast.parse_sql(text)[0].stmt
    except ParseError as e:
        raise SyntaxError_(str(e).split(", at location")[0]) from None
    if isinstance(stmt, ast.RuleStmt):
        return _create(session, stmt)
    assert isinstance(stmt, ast.DropStmt)
    return _drop(session, stmt)


def _relation(session: SessionApi, rel: Any, missing_ok: bool = False) -> TableDef | None:
    found = session.catalog().find(rel.relname, rel.schemaname, session.search_path())
    if found is None or found.kind not in ("table", "view"):
        if missing_ok:
            return None
        shown = f"{rel.schemaname}.{rel.relname}" if rel.schemaname else rel.relname
        raise UndefinedTable(f'relation "{shown}" does not exist')
    return found


def _create(session: SessionApi, stmt: ast.RuleStmt) -> Result:
    table = _relation(session, stmt.relation)
    assert table is not None
    assert stmt.event is not None
    event = _EVENTS[stmt.event]
    if event == "select":
        raise FeatureNotSupported("rules on SELECT are not supported")
    rule = {
        "name": stmt.rulename,
        "event": event,
        "instead": bool(stmt.instead),
        "where": RawStream()(stmt.whereClause) if stmt.whereClause is not None else None,
        "actions": [RawStream()(a) for a in stmt.actions or ()],
    }
    _check(session, table, stmt, rule)
    catalog = copy.deepcopy(session.catalog())
    table = catalog.tables[table.id]
    old = next((r for r in table.rules if r["name"] == rule["name"]), None)
    if old is not None and not stmt.replace:
        raise DuplicateObject(f'rule "{rule["name"]}" for relation "{table.name}" already exists')
    table.rules = [r for r in table.rules if r["name"] != rule["name"]] + [rule]
    session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return Result("CREATE RULE")


def _check(session: SessionApi, table: TableDef, stmt: ast.RuleStmt, rule: dict[str, Any]) -> None:
    """PostgreSQL's checks of a new rule: RETURNING only in one unconditional INSTEAD
    action, and giving the relation's columns; every action plans."""
    returning = [a for a in stmt.actions or () if getattr(a, "returningList", None)
                 or getattr(a, "returningClause", None)]  # fmt: skip
    if returning:
        if not rule["instead"]:
            raise FeatureNotSupported("RETURNING lists are not supported in non-INSTEAD rules")
        if rule["where"] is not None:
            raise FeatureNotSupported("RETURNING lists are not supported in conditional rules")
        if len(returning) > 1 or any(
            r["name"] != rule["name"] and any("RETURNING" in a.upper() for a in r["actions"])
            for r in rules_for(table, rule["event"])
        ):
            raise FeatureNotSupported("cannot have RETURNING lists in multiple rules")
    from sqlglot import exp

    from sql.rules import _parse

    # The rule relation, empty: the actions plan over it as over the rows of a statement.
    dummy = {
        "insert": f"INSERT INTO {_quoted(table)} DEFAULT VALUES",
        "update": f"UPDATE {_quoted(table)} SET {_first(table)} = {_first(table)} WHERE false",
        "delete": f"DELETE FROM {_quoted(table)} WHERE false",
    }[rule["event"]]
    tree = _parse(dummy)
    from sql.rules import _source

    source = _source(table, tree)
    source.set("where", exp.Where(this=exp.false()))
    cond = _parse(rule["where"]) if rule["where"] is not None else None
    ctx = Context()
    cols = table.live_columns
    for text in rule["actions"]:
        _refuse_new_old_in_with(text)
        try:
            if isinstance(_parse(text), exp.Query):
                continue  # a query run instead (applied as sql.rules says)
            act = action_tree(text, table, source, cond, None)
            if act is None:
                continue
            act.meta[DONE] = True
            plan = _plan(session, act, ctx)
        except SqlError:
            raise
        except Exception:  # a form db9 cannot read yet: the rule fails when applied
            continue
        got = plan.columns if act.args.get("returning") is not None else None
        if got is None:
            continue
        if len(got) > len(cols):
            raise InvalidObjectDefinition("RETURNING list has too many entries")
        if len(got) < len(cols):
            raise InvalidObjectDefinition("RETURNING list has too few entries")
        for i, ((_, t), c) in enumerate(zip(got, cols, strict=True), 1):
            if t.name != c.type.name and t.name != "unknown":
                raise InvalidObjectDefinition(
                    f'RETURNING list\'s entry {i} has different type from column "{c.name}"'
                )


def _refuse_new_old_in_with(text: str) -> None:
    from sqlglot import exp

    from sql.rules import _parse

    try:
        tree = _parse(text)
    except Exception:
        return
    for cte in tree.find_all(exp.CTE):
        for col in cte.find_all(exp.Column):
            which = col.table.upper()
            if which in ("OLD", "NEW"):
                raise FeatureNotSupported(f"cannot refer to {which} within WITH query")


def _plan(session: SessionApi, act: Any, ctx: Context) -> dml.DmlPlan:
    from sqlglot import exp

    if isinstance(act, exp.Insert):
        return dml.plan_insert(session, act, ctx)
    if isinstance(act, exp.Update):
        return dml.plan_update(session, act, ctx)
    return dml.plan_delete(session, act, ctx)


def _quoted(table: TableDef) -> str:
    return f'"{table.schema}"."{table.name}"'


def _first(table: TableDef) -> str:
    return f'"{table.live_columns[0].name}"'


def _drop(session: SessionApi, stmt: ast.DropStmt) -> Result:
    for obj in stmt.objects or ():
        names = [n.sval for n in obj]
        *rel_names, rule_name = names
        rel = ast.RangeVar(relname=rel_names[-1],
                           schemaname=rel_names[-2] if len(rel_names) > 1 else None)  # fmt: skip
        table = _relation(session, rel, bool(stmt.missing_ok))
        if table is None:
            session.notices.append(f'relation "{rel.relname}" does not exist, skipping')
            continue
        if not any(r["name"] == rule_name for r in table.rules):
            if stmt.missing_ok:
                continue
            raise UndefinedObject(f'rule "{rule_name}" for relation "{table.name}" does not exist')
        catalog = copy.deepcopy(session.catalog())
        table = catalog.tables[table.id]
        table.rules = [r for r in table.rules if r["name"] != rule_name]
        session.database.catalogs.put_table(session.current_txn(), table, catalog, new=False)
    return Result("DROP RULE")
