"""A WITH RECURSIVE query's SEARCH and CYCLE clauses, rewritten into plain SQL as PostgreSQL's
rewriter does (rewriteSearchCycle.c): each adds columns computed in both terms.

    SEARCH DEPTH FIRST BY c SET s     s = ARRAY[ROW(c)], then s || ROW(c)
    SEARCH BREADTH FIRST BY c SET s   s = ROW(0, c), then ROW((s).f1 + 1, c)
    CYCLE c SET m [TO v DEFAULT d] USING p
        m = d, p = ARRAY[ROW(c)]; then m = (ROW(c) = ANY(p) ? v : d), p = p || ROW(c),
        reading only work-table rows whose m <> v

The non-recursive term becomes ``SELECT cols, <added> FROM (term) t(cols)``; the recursive
one ``SELECT cols, <added> FROM (term plus the work table's added columns) t(cols, ...)``.
"""

from __future__ import annotations

from sqlglot import exp

from sql.errors import DuplicateColumn, FeatureNotSupported, SyntaxError_, UndefinedFunction
from sql.plan.recursion import self_references

# Types with no default btree equality: PostgreSQL cannot compare a cycle mark of these.
_NO_EQUALITY = {"point", "line", "lseg", "box", "path", "polygon", "circle", "json", "xml"}


def has_search_or_cycle(cte: exp.CTE) -> bool:
    return cte.args.get("search") is not None or cte.args.get("cycle") is not None


def check_clauses(cte: exp.CTE, names: list[str], recursive: bool) -> None:
    """PostgreSQL's parse-time errors for ``cte``'s SEARCH / CYCLE given its column names."""
    search, cycle = cte.args.get("search"), cte.args.get("cycle")
    if not recursive or not isinstance(cte.this, exp.Union):
        raise SyntaxError_("WITH query is not recursive")
    for clause, what in ((search, "search"), (cycle, "cycle")):
        if clause is None:
            continue
        seen: set[str] = set()
        for col in clause.expressions:
            if col.name not in names:
                raise SyntaxError_(f'{what} column "{col.name}" not in WITH query column list')
            if col.name in seen:
                raise DuplicateColumn(f'{what} column "{col.name}" specified more than once')
            seen.add(col.name)
    if search is not None and search.this.name in names:
        raise SyntaxError_(
            f'search sequence column name "{search.this.name}" already used in WITH query '
            "column list"
        )
    if cycle is not None:
        mark, path = cycle.this.name, cycle.args["using"].name
        if mark in names:
            raise SyntaxError_(
                f'cycle mark column name "{mark}" already used in WITH query column list'
            )
        if path in names:
            raise SyntaxError_(
                f'cycle path column name "{path}" already used in WITH query column list'
            )
        if mark == path:
            raise SyntaxError_("cycle mark column name and cycle path column name are the same")
        to = cycle.args.get("to")
        if isinstance(to, exp.Cast) and to.to.sql(dialect="postgres").lower() in _NO_EQUALITY:
            kind = to.to.sql(dialect="postgres").lower()
            raise UndefinedFunction(f"could not identify an equality operator for type {kind}")
        if search is not None:
            if search.this.name == mark:
                raise SyntaxError_(
                    "search sequence column name and cycle mark column name are the same"
                )
            if search.this.name == path:
                raise SyntaxError_(
                    "search sequence column name and cycle path column name are the same"
                )
    body = cte.this
    assert isinstance(body, exp.Union)
    if not isinstance(body.this, exp.Select):
        raise FeatureNotSupported(
            "with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT"
        )
    if not isinstance(_unwrap(body.expression), exp.Select):
        raise SyntaxError_(
            "with a SEARCH or CYCLE clause, the right side of the UNION must be a SELECT"
        )
    right = _unwrap(body.expression)
    assert isinstance(right, exp.Select)
    _top_reference(cte.alias, right)


def added_columns(cte: exp.CTE) -> list[str]:
    """The names of the columns the clauses add, in order (search's, then cycle's)."""
    search, cycle = cte.args.get("search"), cte.args.get("cycle")
    out = [search.this.name] if search is not None else []
    if cycle is not None:
        out += [cycle.this.name, cycle.args["using"].name]
    return out


def rewrite(cte: exp.CTE, names: list[str]) -> exp.CTE:
    """``cte`` (checked by check_clauses) as a plain recursive query of ``names`` plus the
    added columns."""
    search, cycle = cte.args.get("search"), cte.args.get("cycle")
    body = cte.this
    assert isinstance(body, exp.Union)
    added = added_columns(cte)
    right = _unwrap(body.expression).copy()
    assert isinstance(right, exp.Select)
    ref = _top_reference(cte.alias, right)
    wt = ref.alias_or_name
    right.set("expressions", _expand_stars(right, ref, names))
    # The non-recursive term.
    a = "__tlocrn"
    first: list[exp.Expr] = [_col(a, n) for n in names]
    if search is not None:
        keys = _row(a, search.expressions)
        if search.args["kind"] == "DEPTH":
            first.append(exp.Array(expressions=[keys]))
        else:
            first.append(
                exp.Anonymous(
                    this="ROW",
                    expressions=[
                        exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build("bigint")),
                        *keys.expressions,
                    ],
                )
            )
    if cycle is not None:  # a CASE of both values: 42804 when their types do not match
        first.append(
            exp.Case(ifs=[exp.If(this=exp.false(), true=_to(cycle))], default=_default(cycle))
        )
        first.append(exp.Array(expressions=[_row(a, cycle.expressions)]))
    left = exp.Select(
        expressions=[exp.alias_(e, n) for e, n in zip(first, names + added, strict=True)]
    )
    left.set("from_", exp.From(this=_derived(body.this.copy(), a, names)))
    # The recursive term: the work table's added columns ride along as __prev_<name>.
    r = "__trocrn"
    prev = [f"__prev_{n}" for n in added]
    right.set(
        "expressions",
        [
            *right.expressions,
            *(exp.alias_(_col(wt, n), p) for n, p in zip(added, prev, strict=True)),
        ],
    )
    if cycle is not None:
        mark = exp.NEQ(this=_col(wt, cycle.this.name), expression=_to(cycle))
        right.where(mark, append=True, copy=False)
    nxt: list[exp.Expr] = [_col(r, n) for n in names]
    if search is not None:
        keys = _row(r, search.expressions)
        seq = _col(r, f"__prev_{search.this.name}")
        if search.args["kind"] == "DEPTH":
            nxt.append(exp.DPipe(this=seq, expression=exp.Array(expressions=[keys])))
        else:
            depth = exp.Dot(this=exp.Paren(this=seq), expression=exp.to_identifier("f1"))
            nxt.append(
                exp.Anonymous(
                    this="ROW",
                    expressions=[
                        exp.Add(this=depth, expression=exp.Literal.number(1)),
                        *keys.expressions,
                    ],
                )
            )
    if cycle is not None:
        keys = _row(r, cycle.expressions)
        path = _col(r, f"__prev_{cycle.args['using'].name}")
        hit = exp.EQ(this=keys, expression=exp.Any(this=path))
        nxt.append(exp.Case(ifs=[exp.If(this=hit, true=_to(cycle))], default=_default(cycle)))
        nxt.append(exp.DPipe(this=path.copy(), expression=exp.Array(expressions=[keys.copy()])))
    step = exp.Select(
        expressions=[exp.alias_(e, n) for e, n in zip(nxt, names + added, strict=True)]
    )
    step.set("from_", exp.From(this=_derived(right, r, names + prev)))
    union = body.copy()
    union.set("this", left)
    union.set("expression", step)
    out = cte.copy()
    out.set("this", union)
    out.set("search", None)
    out.set("cycle", None)
    out.set(
        "alias",
        exp.TableAlias(
            this=exp.to_identifier(cte.alias), columns=[exp.to_identifier(n) for n in names + added]
        ),
    )
    return out


def _unwrap(e: exp.Expr) -> exp.Expr:
    while isinstance(e, exp.Subquery) and not e.alias:
        e = e.this
    return e


def _top_reference(name: str, right: exp.Select) -> exp.Table:
    """The recursive reference in ``right``'s own FROM list; 0A000 when it is deeper."""
    with_ = right.args.get("with_")
    own = isinstance(with_, exp.With) and any(c.alias == name for c in with_.expressions)
    for t in [] if own else self_references(name, right):
        holder = t.parent
        if isinstance(holder, exp.From | exp.Join) and holder.parent is right:
            return t
    raise FeatureNotSupported(
        f'with a SEARCH or CYCLE clause, the recursive reference to WITH query "{name}" must '
        "be at the top level of its right-hand SELECT"
    )


def _expand_stars(right: exp.Select, ref: exp.Table, names: list[str]) -> list[exp.Expr]:
    """``right``'s select list with the work table's share of any ``*`` spelled out: the
    work table has the added columns too, which the term as written does not return."""
    wt = ref.alias_or_name
    items = [right.args["from_"].this, *(j.this for j in right.args.get("joins") or [])]
    out: list[exp.Expr] = []
    for e in right.expressions:
        if isinstance(e, exp.Star):
            for item in items:
                if item is ref:
                    out += [_col(wt, n) for n in names]
                else:
                    out.append(
                        exp.Column(this=exp.Star(), table=exp.to_identifier(item.alias_or_name))
                    )
        elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and e.table == wt:
            out += [_col(wt, n) for n in names]
        else:
            out.append(e)
    return out


def _col(table: str, name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True), exp.to_identifier(table, quoted=True))


def _row(table: str, cols: list[exp.Expr]) -> exp.Anonymous:
    return exp.Anonymous(this="ROW", expressions=[_col(table, c.name) for c in cols])


def _derived(query: exp.Expr, alias: str, cols: list[str]) -> exp.Subquery:
    return exp.Subquery(
        this=query,
        alias=exp.TableAlias(
            this=exp.to_identifier(alias, quoted=True),
            columns=[exp.to_identifier(c, quoted=True) for c in cols],
        ),
    )


def _to(cycle: exp.Expr) -> exp.Expr:
    to = cycle.args.get("to")
    return to.copy() if to is not None else exp.true()


def _default(cycle: exp.Expr) -> exp.Expr:
    d = cycle.args.get("default")
    return d.copy() if d is not None else exp.false()
