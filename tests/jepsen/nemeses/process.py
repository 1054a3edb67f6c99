"""Process faults: kill -9 a node and restart it on the same data; SIGSTOP and SIGCONT."""

from __future__ import annotations

import random

from tests.cluster.harness import NodeProc
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run


def kill(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    run.cluster.kill(target)
    run.stop.wait(run.config.fault_s)
    run.cluster.start(target)
    return f"kill node{target.node_id}{' (leader)' if target is leader else ''}"


def pause(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    run.cluster.pause(target)
    run.stop.wait(run.config.fault_s)
    run.cluster.resume(target)
    return f"pause node{target.node_id}{' (leader)' if target is leader else ''}"


def heal(run: Run) -> None:
    """Every node running: paused ones resumed, dead ones started."""
    for node in run.cluster.nodes:
        if node.stopped:
            run.cluster.resume(node)
        if not node.alive:
            run.cluster.start(node)


NEMESES = [Nemesis("kill", kill, heal=heal), Nemesis("pause", pause, heal=heal)]
