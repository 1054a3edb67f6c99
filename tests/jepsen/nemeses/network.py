"""Partitions between nodes (never between clients and nodes, as in Jepsen): nftables rules
between per-node network namespaces (``tests/cluster/netns.py``; root only)."""

from __future__ import annotations

import random

from tests.cluster import netns
from tests.cluster.interface import Node
from tests.jepsen.nemeses.base import Nemesis, local
from tests.jepsen.run import Run


def partition(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    """Isolate the leader, split a random node from the rest, or a bridge; the cut lasts twice
    the fault time, long enough for the cut-off side to notice."""
    net, ids = local(run).net, [n.node_id for n in run.cluster.nodes]
    assert net is not None
    shape = rng.choice(["isolate-leader", "majority-minority", "bridge"])
    by_leader = shape == "isolate-leader" and leader is not None
    alone = leader.node_id if by_leader and leader is not None else rng.choice(ids)
    if shape == "bridge":
        # Two halves that cannot see each other, and one node that sees both.
        rest = [i for i in ids if i != alone]
        rng.shuffle(rest)
        left, right = rest[: len(rest) // 2], rest[len(rest) // 2 :]
        net.partition([(a, b) for a in left for b in right])
        what = f"bridge via node{alone}: {left} | {right}"
    else:
        net.partition([(alone, i) for i in ids if i != alone])
        what = f"isolate leader node{alone}" if by_leader else f"partition node{alone} | rest"
    run.stop.wait(2 * run.config.fault_s)
    net.heal()
    return what


def heal(run: Run) -> None:
    net = local(run).net
    if net is not None:
        net.heal()


def unavailable() -> str | None:
    if netns.available():
        return None
    return "the partition nemesis needs network namespaces: run as root with ip, nft"


NEMESES = [Nemesis("partition", partition, heal=heal, unavailable=unavailable)]
