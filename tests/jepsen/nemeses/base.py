"""What a nemesis is: a fault the runner can draw while the workload runs.

Invariant: ``strike`` returns with its own fault healed (the node restarted, the link
restored, the disk freed), unless the run is stopping; ``heal`` at the end of the run undoes
whatever a strike cut short, so the final reads and the replica check see a whole cluster.
A nemesis works on the kinds of cluster in its ``clusters`` (``RunConfig.cluster``) and is
never drawn, nor healed, on another.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from tests.cluster.harness import LocalCluster, NodeProc
from tests.cluster.interface import Node
from tests.jepsen.run import Run

#: (run, rng, target, leader) -> a line saying what was done. ``target`` is a live node (the
#: leader half the time); ``leader`` is None when no live node says it leads.
Strike = Callable[[Run, random.Random, Node, "Node | None"], str]


@dataclass(frozen=True)
class Nemesis:
    name: str
    strike: Strike
    #: set up before the nodes start (e.g. mount a file system under each data directory);
    #: the context exits after the nodes have stopped
    prepare: Callable[[Run], AbstractContextManager[None]] | None = None
    #: undo a fault a stopping run left in place, before the final reads
    heal: Callable[[Run], None] | None = None
    #: why it cannot run on this machine, or None
    unavailable: Callable[[], str | None] | None = None
    #: the kinds of cluster it works on
    clusters: tuple[str, ...] = ("local",)


def local(run: Run) -> LocalCluster:
    """The run's cluster, for nemeses that reach into local processes and directories."""
    assert isinstance(run.cluster, LocalCluster), "a local-only nemesis on another cluster"
    return run.cluster


def local_node(node: Node) -> NodeProc:
    assert isinstance(node, NodeProc), "a local-only nemesis on another cluster's node"
    return node
