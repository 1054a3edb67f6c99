"""The plan's stages agree on the node kinds: every node the executor may be given has a
runner and an EXPLAIN line, and the logical nodes the binder makes for the optimizer (Join,
Where) are gone from every plan it hands on."""

from __future__ import annotations

import dataclasses

import sqlglot

from kv.client import TxnClient
from sql.database import Database
from sql.executor.execute import RUNNERS
from sql.plan import nodes
from sql.plan.binder import Planner
from sql.plan.explain import DESCRIBE
from sql.scope import Context
from sql.session import Session
from tests.kv.conftest import local_kv

LOGICAL = {nodes.Join, nodes.Where}


def _node_kinds() -> set[type[nodes.Node]]:
    return {
        v
        for v in vars(nodes).values()
        if isinstance(v, type) and issubclass(v, nodes.Node) and dataclasses.is_dataclass(v)
    }


def test_every_executable_node_kind_runs_and_explains() -> None:
    executable = _node_kinds() - LOGICAL
    assert executable - RUNNERS.keys() == set()
    assert executable - DESCRIBE.keys() == set()
    assert LOGICAL & (RUNNERS.keys() | DESCRIBE.keys()) == set()


def _walk(node: nodes.Node) -> list[nodes.Node]:
    out = [node]
    for child in node.children():
        out += _walk(child)
    for attr in ("anchor", "step"):
        if isinstance(getattr(node, attr, None), nodes.Node):
            out += _walk(getattr(node, attr))
    if isinstance(node, nodes.CteScan):
        out += _walk(node.plan.node)
    return out


def test_planned_queries_hold_no_logical_node() -> None:
    s = Session(Database(TxnClient(local_kv()), b"\x00\x09"))
    s.execute("CREATE TABLE t (a int PRIMARY KEY, b int)")
    s.execute("CREATE TABLE u (a int, b int)")
    s.execute("CREATE INDEX u_b ON u (b)")
    s.execute("BEGIN")
    s.execute("SELECT 1")
    queries = [
        "SELECT * FROM t WHERE a = 1",
        "SELECT * FROM t JOIN u ON t.a = u.a WHERE u.b = 2",
        "SELECT * FROM t LEFT JOIN u USING (a) WHERE t.b > 1 OR u.b < 2",
        "SELECT * FROM t, u WHERE t.a < u.a",
        "WITH c AS (SELECT a FROM t WHERE a > 1) SELECT * FROM c JOIN u ON c.a = u.a",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
        "SELECT * FROM (SELECT * FROM u WHERE b = 1) s WHERE s.a = 2",
    ]
    for q in queries:
        planner = Planner(s, s.catalog(), Context())
        plan = planner.plan_query(sqlglot.parse_one(q, read="postgres"))
        kinds = {type(n) for n in _walk(plan.node)}
        assert kinds & LOGICAL == set(), q
        assert kinds - RUNNERS.keys() == set(), q
    s.execute("ROLLBACK")
