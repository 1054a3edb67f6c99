"""Rules (CREATE RULE ... ON INSERT/UPDATE/DELETE): how an INSERT, UPDATE or DELETE on a
relation with rules is rewritten into the rules' actions, as PostgreSQL's rewriter does.

The rows the original statement would write are a query of their own, the rule relation
``__rule`` (``_source``): for each column c of the relation, ``__new_c`` (INSERT, UPDATE)
and ``__old_c`` (UPDATE, DELETE). Each action joins it: NEW.c and OLD.c become its columns,
the rule's WHERE joins the action's, so an action runs once over all the rows at once.
Without an unconditional INSTEAD rule the original runs too (before the actions for INSERT,
after them for UPDATE and DELETE), for a conditional INSTEAD rule only on the rows its
condition rejects. The command tag is the last INSTEAD action's of the original's kind;
RETURNING is computed from the rows the unconditional INSTEAD action's RETURNING gives.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from sql.catalog import TableDef
from sql.errors import FeatureNotSupported, InvalidObjectDefinition
from sql.pg_dialect import DIALECT
from sql.result import Result
from sql.scope import Context, Scope, ScopeColumn
from sql.session_api import SessionApi

RULE = "__rule"
DONE = "rules_applied"  # tree.meta key: the tree is a rewrite's original, rules not again

# (session, tree, ctx, ctes) -> a DmlPlan (sql.dml's plan_insert / plan_update / plan_delete)
PlanDml = Callable[..., Any]
# (session, table, tree, ctx, scope) -> RETURNING's columns and functions (sql.dml)
Returning = Callable[..., Any]

_ACTIVE: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "rules_active", default=()
)


@dataclass(frozen=True, slots=True)
class Rewritten:
    run: Callable[[], Result]
    columns: list[tuple[str, Any]] | None


def event_of(tree: exp.Expr) -> str:
    return (
        "insert"
        if isinstance(tree, exp.Insert)
        else "update"
        if isinstance(tree, exp.Update)
        else "delete"
    )


def target_of(session: SessionApi, tree: exp.Expr) -> TableDef | None:
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    if not isinstance(table, exp.Table):
        return None
    return session.catalog().find(table.name, table.db or None, session.search_path())


def rules_for(table: TableDef, event: str) -> list[dict[str, Any]]:
    """The relation's rules for ``event``, in name order (PostgreSQL's order)."""
    return sorted((r for r in table.rules if r["event"] == event), key=lambda r: r["name"])


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _ref(which: str, name: str) -> exp.Column:
    return exp.Column(this=_ident(f"__{which}_{name}"), table=exp.to_identifier(RULE))


def _parse(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read=DIALECT)


def _default_sql(table: TableDef, name: str) -> str:
    col = table.column(name)
    default = col.default if table.kind == "table" else None
    return f"CAST({default or 'NULL'} AS {col.type.display()})"


def _source(table: TableDef, tree: exp.Expr) -> exp.Select:
    """The rule relation's query: the rows ``tree`` would write, old and new versions."""
    cols = [c.name for c in table.live_columns]
    target = tree.this
    if isinstance(tree, exp.Insert):
        names = [i.name for i in target.expressions] if isinstance(target, exp.Schema) else cols
        src = tree.expression
        items = []
        for c in cols:
            t = table.column(c).type.display()
            if c in names and src is not None:
                items.append(f'CAST(__src."{c}" AS {t}) AS "__new_{c}"')
            else:
                items.append(f'{_default_sql(table, c)} AS "__new_{c}"')
        if src is None:
            return _parse("SELECT " + ", ".join(items))  # type: ignore[return-value]
        src = src.copy()
        if isinstance(src, exp.Values):
            for tup in src.expressions:
                for i, item in enumerate(tup.expressions if isinstance(tup, exp.Tuple) else []):
                    if (
                        i < len(names)
                        and item.name.upper() == "DEFAULT"
                        and not item.args.get("table")
                        and isinstance(item, exp.Var | exp.Column)
                    ):
                        item.replace(_parse(_default_sql(table, names[i])))
        width = (
            len(src.expressions[0].expressions)
            if isinstance(src, exp.Values) and isinstance(src.expressions[0], exp.Tuple)
            else len(names)
        )
        alias = ", ".join(f'"{n}"' for n in names[:width])
        text = f"SELECT {', '.join(items)} FROM ({src.sql(dialect='postgres')}) AS __src({alias})"
        return _parse(text)  # type: ignore[return-value]
    rel = target.copy()
    label = rel.alias or rel.name
    old = [
        exp.alias_(exp.Column(this=_ident(c), table=exp.to_identifier(label)), f"__old_{c}",
                   quoted=True)
        for c in cols
    ]  # fmt: skip
    new = []
    if isinstance(tree, exp.Update):
        sets: dict[str, exp.Expr] = {}
        for s in tree.expressions:
            if not isinstance(s, exp.EQ) or not isinstance(s.this, exp.Column):
                raise FeatureNotSupported("this form of UPDATE on a relation with rules")
            sets[table.column(s.this.name).name] = s.expression
        for c in cols:
            value = sets.get(c)
            if value is None:
                value = exp.Column(this=_ident(c), table=exp.to_identifier(label))
            else:
                value = exp.Cast(
                    this=value.copy(),
                    to=exp.DataType.build(table.column(c).type.display(), dialect=DIALECT),
                )
            new.append(exp.alias_(value, f"__new_{c}", quoted=True))
    select = exp.Select(expressions=old + new)
    select.set("from_", exp.From(this=rel))
    extra = tree.args.get("from_") if isinstance(tree, exp.Update) else None
    using = tree.args.get("using") if isinstance(tree, exp.Delete) else None
    for item in ([extra.this] if extra is not None else []) + list(using or []):
        item = item.copy()
        joins = item.args.get("joins") or []
        item.set("joins", None)
        select.append("joins", exp.Join(this=item))
        for j in joins:
            select.append("joins", j)
    where = tree.args.get("where")
    if where is not None:
        select.set("where", where.copy())
    return select


def _bind(node: exp.Expr, cols: list[str]) -> exp.Expr:
    """``node`` with NEW.c / OLD.c (and NEW.* / OLD.*) as the rule relation's columns."""
    for col in list(node.find_all(exp.Column)):
        which = col.table.lower()
        if which not in ("new", "old"):
            continue
        if isinstance(col.this, exp.Star):
            parent, key = col.parent, str(col.arg_key)
            listed = parent.args.get(key) if parent is not None else None
            if parent is not None and isinstance(listed, list):
                i = next(k for k, x in enumerate(listed) if x is col)
                parent.set(key, listed[:i] + [_ref(which, c) for c in cols] + listed[i + 1 :])
            continue
        repl = _ref(which, col.name)
        if col is node:
            return repl
        col.replace(repl)
    return node


def _and(where: exp.Expr | None, cond: exp.Expr | None) -> exp.Expr | None:
    if cond is None:
        return where
    if where is None:
        return cond
    return exp.and_(exp.Paren(this=where), exp.Paren(this=cond))


def _joined(select: exp.Select, rel: exp.Expr, cond: exp.Expr | None) -> exp.Select:
    if select.args.get("from_") is None:
        select.set("from_", exp.From(this=rel))
    else:
        select.append("joins", exp.Join(this=rel))
    w = select.args.get("where")
    where = _and(w.this if w is not None else None, cond)
    if where is not None:
        select.set("where", exp.Where(this=where))
    return select


def action_tree(
    text: str, table: TableDef, source: exp.Select, cond: exp.Expr | None,
    with_: exp.Expr | None,
) -> exp.Expr | None:  # fmt: skip
    """The rule action ``text`` over the rule relation ``source``; None: a no-op (NOTIFY)."""
    cols = [c.name for c in table.live_columns]
    tree = _parse(text)
    if not isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Query):
        return None
    tree = _bind(tree, cols)
    cond = _bind(cond.copy(), cols) if cond is not None else None

    def rel() -> exp.Expr:
        return exp.Subquery(this=source.copy(), alias=exp.TableAlias(
            this=exp.to_identifier(RULE)))  # fmt: skip

    if isinstance(tree, exp.Insert):
        src = tree.expression
        if isinstance(src, exp.Values):
            parts = [
                _joined(exp.Select(expressions=list(t.expressions) if isinstance(
                    t, exp.Tuple) else [t]), rel(), cond.copy() if cond else None)
                for t in src.expressions
            ]  # fmt: skip
            query: exp.Expr = parts[0]
            for p in parts[1:]:
                query = exp.Union(this=query, expression=p, distinct=False)
            tree.set("expression", query)
        elif isinstance(src, exp.Select):
            _joined(src, rel(), cond)
        elif src is not None:
            raise FeatureNotSupported("this form of INSERT rule action is not supported")
    elif isinstance(tree, exp.Update):
        extra = tree.args.get("from_")
        if extra is None:
            tree.set("from_", exp.From(this=rel()))
        else:
            extra.this.append("joins", exp.Join(this=rel()))
        w = tree.args.get("where")
        where = _and(w.this if w is not None else None, cond)
        if where is not None:
            tree.set("where", exp.Where(this=where))
    elif isinstance(tree, exp.Delete):
        using = list(tree.args.get("using") or [])
        if not using:
            tree.set("using", [rel()])
        else:
            using[0].append("joins", exp.Join(this=rel()))
        w = tree.args.get("where")
        where = _and(w.this if w is not None else None, cond)
        if where is not None:
            tree.set("where", exp.Where(this=where))
    elif isinstance(tree, exp.Select):
        _joined(tree, rel(), cond)
    else:
        raise FeatureNotSupported("this form of rule action is not supported")
    if with_ is not None:
        own = tree.args.get("with_")
        merged = with_.copy()
        for cte in own.expressions if own is not None else []:
            merged.append("expressions", cte)
        tree.set("with_", merged)
    return tree


def _rows_for(tree: exp.Expr, text: str, cond: exp.Expr | None, source: exp.Select) -> exp.Select:
    """What an action joins: the rule relation, or for an UPDATE / DELETE with no WHERE and
    no other relations whose action and rule name neither NEW nor OLD, one row: PostgreSQL
    keeps the target in an action's FROM only when something reads it."""
    if isinstance(tree, exp.Insert) or cond is not None or tree.args.get("where"):
        return source
    if tree.args.get("from_") or tree.args.get("using"):
        return source
    if any(c.table.lower() in ("new", "old") for c in _parse(text).find_all(exp.Column)):
        return source
    return exp.Select(expressions=[exp.Literal.number(1)])


def _in_with_errors(rules: list[dict[str, Any]]) -> None:
    """PostgreSQL rewrites a data-modifying statement in WITH only through one
    unconditional, single-statement DO INSTEAD rule."""
    instead = [r for r in rules if r["instead"] and r["where"] is None]
    if len(instead) == 1 and len(rules) == 1:
        acts = instead[0]["actions"]
        if not acts:
            raise FeatureNotSupported(
                "DO INSTEAD NOTHING rules are not supported for data-modifying statements in WITH"
            )
        if len(acts) == 1:
            if acts[0].lstrip().upper().startswith("NOTIFY"):
                raise FeatureNotSupported(
                    "DO INSTEAD NOTIFY rules are not supported for data-modifying statements "
                    "in WITH"
                )
            return
    for r in rules:
        if r["instead"] and r["where"] is not None:
            raise FeatureNotSupported(
                "conditional DO INSTEAD rules are not supported for data-modifying statements "
                "in WITH"
            )
        if not r["instead"]:
            raise FeatureNotSupported(
                "DO ALSO rules are not supported for data-modifying statements in WITH"
            )
    raise FeatureNotSupported(
        "multi-statement DO INSTEAD rules are not supported for data-modifying statements in WITH"
    )


def _modifies(with_: exp.Expr | None) -> bool:
    return with_ is not None and any(
        isinstance(c.this, exp.Insert | exp.Update | exp.Delete) for c in with_.expressions
    )


def _restricted(
    tree: exp.Expr, table: TableDef, source: exp.Select, conds: list[exp.Expr]
) -> exp.Expr:
    """The original statement limited to the rows no conditional INSTEAD rule takes."""
    cols = [c.name for c in table.live_columns]
    tree = tree.copy()
    tree.meta[DONE] = True
    bound = [_bind(c.copy(), cols) for c in conds]
    rejected: exp.Expr = exp.and_(*[exp.Not(this=exp.Is(this=exp.Paren(this=c),
                                  expression=exp.true())) for c in bound])  # fmt: skip
    if isinstance(tree, exp.Insert):
        select = exp.Select(expressions=[_ref("new", c) for c in cols])
        _joined(select, exp.Subquery(this=source.copy(), alias=exp.TableAlias(
            this=exp.to_identifier(RULE))), rejected)  # fmt: skip
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        tree.set("this", exp.Schema(this=target, expressions=[_ident(c) for c in cols]))
        tree.set("expression", select)
        return tree
    label = tree.this.alias or tree.this.name
    # OLD.c is the target's own column here; NEW.c its value after the SET (UPDATE).
    sets = {s.this.name: s.expression for s in tree.expressions} if isinstance(
        tree, exp.Update) else {}  # fmt: skip
    for col in list(rejected.find_all(exp.Column)):
        name = str(col.name)
        if not name.startswith("__"):
            continue
        which, _, c = name[2:].partition("_")
        if which == "new" and c in sets:
            col.replace(exp.Paren(this=sets[c].copy()))
        else:
            col.replace(exp.Column(this=_ident(c), table=exp.to_identifier(label)))
    w = tree.args.get("where")
    tree.set("where", exp.Where(this=_and(w.this if w is not None else None, rejected)))
    return tree


class _QueryAction:
    """A rule action that is a query: its rows are what the statement returns."""

    def __init__(self, session: SessionApi, tree: exp.Expr, ctx: Context, ctes: Any) -> None:
        from sql.plan.binder import Planner

        planner = Planner(session, session.catalog(), ctx)
        planner.ctes = list(ctes or [])
        self.plan = planner.plan_query(tree)

    def run(self) -> Result:
        from sql.executor.execute import run_plan

        cols = [(c.name, c.type) for c in self.plan.columns]
        return Result("SELECT", cols, [tuple(r) for r in run_plan(self.plan)])


def rewrite(
    session: SessionApi,
    tree: exp.Expr,
    ctx: Context,
    ctes: list[Any] | None,
    plan_dml: PlanDml,
    returning: Returning,
) -> Rewritten | None:
    """How to run ``tree`` through its target's rules; None when it has none for it."""
    if tree.meta.get(DONE):
        return None
    table = target_of(session, tree)
    event = event_of(tree)
    if table is None:
        return None
    rules = rules_for(table, event)
    if not rules:
        return None
    if table.id in _ACTIVE.get():
        raise InvalidObjectDefinition(
            f'infinite recursion detected in rules for relation "{table.name}"'
        )
    if isinstance(tree, exp.Insert) and tree.args.get("conflict") is not None:
        raise FeatureNotSupported(
            "INSERT with ON CONFLICT clause cannot be used with table that has INSERT or "
            "UPDATE rules"
        )
    with_ = tree.args.get("with_")
    modifying = _modifies(with_)
    source = _source(table, tree)
    instead_all = any(r["instead"] and r["where"] is None for r in rules)
    conds = [_parse(r["where"]) for r in rules if r["instead"] and r["where"] is not None]
    token = _ACTIVE.set((*_ACTIVE.get(), table.id))
    try:
        plans: list[tuple[Any, bool, bool]] = []  # (plan, INSTEAD, of the original's kind)
        with_returning = None
        for r in rules:
            cond = _parse(r["where"]) if r["where"] is not None else None
            for text in r["actions"]:
                act = action_tree(text, table, _rows_for(tree, text, cond, source), cond, with_)
                if act is None:
                    continue
                if (
                    modifying
                    and isinstance(act, exp.Insert)
                    and not isinstance(_parse(text).expression, exp.Values)
                ):
                    raise FeatureNotSupported(
                        "INSERT...SELECT rule actions are not supported for queries having "
                        "data-modifying statements in WITH"
                    )
                if isinstance(act, exp.Query):
                    plan = _QueryAction(session, act, ctx, ctes)
                else:
                    plan = plan_dml(session, act, ctx, ctes)
                plans.append((plan, r["instead"], type(act) is type(tree)))
                if r["instead"] and cond is None and act.args.get("returning") is not None:
                    with_returning = plan
        if ctes is not None:  # after the actions' own rewriting, as PostgreSQL checks
            _in_with_errors(rules)
        original = None
        if not instead_all:
            kept = _restricted(tree, table, source, conds) if conds else tree.copy()
            kept.meta[DONE] = True
            original = plan_dml(session, kept, ctx, ctes)
    finally:
        _ACTIVE.reset(token)
    ret = None
    if tree.args.get("returning") is not None:
        if with_returning is None:
            verb = event.upper()
            raise FeatureNotSupported(
                f'cannot perform {verb} RETURNING on relation "{table.name}"',
                hint=f"You need an unconditional ON {verb} DO INSTEAD rule with a RETURNING "
                "clause.",
            )
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        label = target.alias or table.name
        scope = Scope([ScopeColumn(label, c.name, c.type) for c in table.live_columns])
        ret = returning(session, table, tree, ctx, scope)
    verb = event.upper()

    def run() -> Result:
        tag = f"{verb} 0 0" if verb == "INSERT" else f"{verb} 0"
        got = None
        shown = None  # the rows of a query run instead, which the statement returns
        if original is not None and event == "insert":
            tag = original.run().tag
        for plan, instead, same in plans:
            res = plan.run()
            if isinstance(plan, _QueryAction):
                shown = res
            if plan is with_returning:
                got = res
            if instead and same:
                tag = res.tag
        if original is not None and event != "insert":
            tag = original.run().tag
        if ret is None:
            return Result(tag, shown.columns, shown.rows) if shown is not None else Result(tag)
        rows = [tuple(f(tuple(row)) for f in ret[1]) for row in (got.rows or [])] if got else []
        return Result(tag, ret[0], rows)

    return Rewritten(run, ret[0] if ret else None)
