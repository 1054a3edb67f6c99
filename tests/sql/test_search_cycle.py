"""WITH RECURSIVE ... SEARCH {DEPTH|BREADTH} FIRST BY ... SET and CYCLE ... SET ... USING,
against a live PostgreSQL: the added sequence, mark and path columns (arrays of records, a
breadth-first record with its depth), cycles cut, UNION ALL and DISTINCT, a view keeping the
clauses, and the errors PostgreSQL raises for a misused clause."""

from __future__ import annotations

from tests.sql.differential import Differ

_GRAPH = "with recursive search_graph(f, t, label) as (select * from graph g union all " \
    "select g.* from graph g, search_graph sg where g.f = sg.t) "  # fmt: skip

SCRIPT = [
    "create table graph (f int, t int, label text)",
    "insert into graph values (1, 2, 'arc 1 -> 2'), (1, 3, 'arc 1 -> 3'), "
    "(2, 3, 'arc 2 -> 3'), (1, 4, 'arc 1 -> 4'), (4, 5, 'arc 4 -> 5')",
    _GRAPH + "search depth first by f, t set seq select * from search_graph order by seq",
    _GRAPH + "search breadth first by f, t set seq select * from search_graph order by seq",
    _GRAPH.replace("union all", "union distinct")
    + "search depth first by f, t set seq select * from search_graph order by seq",
    "with recursive test as (select 1 as x union all select x + 1 from test) "
    "search depth first by x set y select * from test limit 5",
    "with recursive test as (select 1 as x union all select x + 1 from test) "
    "search breadth first by x set y select * from test limit 5",
    "insert into graph values (5, 1, 'arc 5 -> 1')",
    _GRAPH + "cycle f, t set is_cycle using path select * from search_graph",
    _GRAPH.replace("union all", "union distinct")
    + "cycle f, t set is_cycle to 'Y' default 'N' using path select * from search_graph",
    _GRAPH + "search depth first by f, t set seq cycle f, t set is_cycle using path "
    "select * from search_graph",
    "with recursive test as (select 0 as x union all select (x + 1) % 10 from test) "
    "cycle x set is_cycle using path select * from test",
    "with recursive a as (select 1 as b union all select * from a) cycle b set c using p "
    "select * from a",
    "create view v_cycle as " + _GRAPH + "cycle f, t set is_cycle using path "
    "select f, t, label from search_graph",
    "select * from v_cycle",
    "select pg_get_viewdef('v_cycle') is not null",
    _GRAPH + "search depth first by foo, tar set seq select * from search_graph",
    _GRAPH + "search depth first by f, t set label select * from search_graph",
    _GRAPH + "search depth first by f, t, f set seq select * from search_graph",
    _GRAPH + "cycle foo, tar set is_cycle using path select * from search_graph",
    _GRAPH + "cycle f, t set label using path select * from search_graph",
    _GRAPH + "cycle f, t set is_cycle using label select * from search_graph",
    _GRAPH + "cycle f, t set foo using foo select * from search_graph",
    _GRAPH + "cycle f, t set is_cycle to true default 55 using path select * from search_graph",
    _GRAPH + "cycle f, t set is_cycle to point '(1,1)' default point '(0,0)' using path "
    "select * from search_graph",
    _GRAPH + "cycle f, t, f set is_cycle using path select * from search_graph",
    _GRAPH + "search depth first by f, t set foo cycle f, t set foo using path "
    "select * from search_graph",
    _GRAPH + "search depth first by f, t set foo cycle f, t set is_cycle using foo "
    "select * from search_graph",
    "with recursive search_graph(f, t, label) as (select * from graph g union all "
    "select * from graph g union all select g.* from graph g, search_graph sg "
    "where g.f = sg.t) search depth first by f, t set seq select * from search_graph",
    "with recursive search_graph(f, t, label) as (select * from graph g union all "
    "(select * from graph limit 0 union all select g.* from graph g, search_graph sg "
    "where g.f = sg.t)) search depth first by f, t set seq select * from search_graph",
    "with recursive x(col) as (select 1 union (with x as (select * from x) "
    "select * from x)) search depth first by col set seq select * from x",
]


def test_search_and_cycle_clauses(differ: Differ) -> None:
    for sql in SCRIPT:
        differ.check(sql)
