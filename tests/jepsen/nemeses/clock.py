"""Clock jumps: a node's clock 0.2-8 s ahead or behind, then back (``kv/clock.py``: the nodes
share one kernel clock, so the offset is injected through ``DB9_FAULT_CLOCK_FILE``)."""

from __future__ import annotations

import random

from tests.cluster.interface import Node
from tests.jepsen.nemeses.base import Nemesis, local, local_node
from tests.jepsen.run import Run


def jump(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    offset = rng.choice([-1, 1]) * rng.randint(200, 8000)
    cluster, node = local(run), local_node(target)
    cluster.skew_clock(node, offset)
    run.stop.wait(run.config.fault_s)
    cluster.skew_clock(node, 0)
    return f"clock {offset:+d} ms on node{target.node_id}" + (
        " (leader)" if target is leader else ""
    )


def heal(run: Run) -> None:
    cluster = local(run)
    for node in cluster.nodes:
        if node.alive:
            cluster.skew_clock(node, 0)


NEMESES = [Nemesis("clock", jump, heal=heal)]
