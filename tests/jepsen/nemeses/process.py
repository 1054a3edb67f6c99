"""Process faults: kill -9 a node and restart it on the same data; SIGSTOP and SIGCONT."""

from __future__ import annotations

import random

from tests.cluster.interface import Node
from tests.jepsen.nemeses.base import Nemesis, local, local_node
from tests.jepsen.run import Run


def kill(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    cluster, node = local(run), local_node(target)
    cluster.kill(node)
    run.stop.wait(run.config.fault_s)
    cluster.start(node)
    return f"kill node{target.node_id}{' (leader)' if target is leader else ''}"


def pause(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    cluster, node = local(run), local_node(target)
    cluster.pause(node)
    run.stop.wait(run.config.fault_s)
    cluster.resume(node)
    return f"pause node{target.node_id}{' (leader)' if target is leader else ''}"


def heal(run: Run) -> None:
    """Every node running: paused ones resumed, dead ones started."""
    cluster = local(run)
    for node in cluster.nodes:
        if node.stopped:
            cluster.resume(node)
        if not node.alive:
            cluster.start(node)


NEMESES = [Nemesis("kill", kill, heal=heal), Nemesis("pause", pause, heal=heal)]
