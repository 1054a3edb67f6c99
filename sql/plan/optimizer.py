"""The optimizer: ``RULES``, applied in order, each a module of sql.plan.rules.

The binder offers each logical node (``Join``, ``Where``) to ``optimize`` as soon as it has
built it, its children already optimized. Rules compile expressions (join keys, key bounds),
so applying them then keeps compiling, and so the first error reported, in the order of the
query's text, as PostgreSQL's parse analysis does.
"""

from __future__ import annotations

from sql.plan.nodes import Node
from sql.plan.rule import Binding, Rule
from sql.plan.rules import access_paths, join_order, pushdown

RULES: tuple[Rule, ...] = (
    pushdown.split_conjuncts,  # a WHERE becomes single conditions
    pushdown.push_below_joins,  # those on one side of an inner join go down to that side
    join_order.join_on_where_equalities,  # FROM a, b WHERE a.x = b.y: joined on them
    access_paths.choose_access_path,  # those on a table scan may narrow it
    pushdown.push_join_conditions,  # an ON clause's one-sided conditions go down likewise
    join_order.choose_join_method,  # a hash join for equi-joins, else a nested loop
)


def optimize(node: Node, binding: Binding) -> Node:
    for rule in RULES:
        node = rule(node, binding)
    return node
