"""What an optimizer rule is: a function from a plan node to the node that replaces it,
given what binding offers (compilers for a scope). A rule returns a node it does not
rewrite unchanged, so every rule can be offered every node."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sql.expr import Compiler
from sql.plan.nodes import Node
from sql.scope import Scope


class Binding(Protocol):
    """What rules need of the binder (sql.plan.binder.Planner)."""

    def compiler(self, scope: Scope) -> Compiler: ...


Rule = Callable[[Node, Binding], Node]
