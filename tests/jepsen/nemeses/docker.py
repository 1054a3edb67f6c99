"""Docker's own faults on the compose cluster's containers (``tests/cluster/compose.py``):
``docker kill`` then ``docker start`` (the same container, so the same volume and data);
``docker pause`` then ``unpause`` (the cgroup freezer stops every process of the container);
``docker network disconnect`` from the Compose network then ``connect`` (the peers lose the
node, and so do its clients: the published ports go with the network).

Each fault's line records the container as ``docker inspect`` saw it during the fault and
after its heal, so a run's report shows that the fault really happened and was undone.
"""

from __future__ import annotations

import random

from tests.cluster import compose as compose_cluster
from tests.cluster.compose import ComposeCluster, ComposeNode
from tests.cluster.interface import Node
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run

SERVING_TIMEOUT_S = 120.0  # a started container serves after 10-30 s on 2 busy cores


def compose(run: Run) -> ComposeCluster:
    assert isinstance(run.cluster, ComposeCluster), "a docker nemesis on a non-compose cluster"
    return run.cluster


def _node(node: Node) -> ComposeNode:
    assert isinstance(node, ComposeNode), "a docker nemesis on a non-compose node"
    return node


def seen(cluster: ComposeCluster, node: ComposeNode) -> str:
    """The container's state and whether it is on the Compose network, as ``docker inspect``
    reports them: ``exited(137) on-net``, ``paused on-net``, ``running off-net``, ..."""
    info = node.inspect()
    state = info["State"]
    status = state["Status"] + (f"({state['ExitCode']})" if state["Status"] == "exited" else "")
    on_net = cluster.network in (info["NetworkSettings"]["Networks"] or {})
    return f"{status} {'on-net' if on_net else 'off-net'}"


def _name(node: ComposeNode, leader: Node | None) -> str:
    return f"{node.service}{' (leader)' if node is leader else ''}"


def kill(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    """Returns once the container runs again, as the local kill once the process does: the
    server then takes 10-30 s to serve (Python starting on busy cores), during which the
    next fault may strike elsewhere."""
    cluster, node = compose(run), _node(target)
    cluster.kill(node)
    during = seen(cluster, node)
    run.stop.wait(run.config.fault_s)
    cluster.start(node)
    return f"docker-kill {_name(node, leader)}: during {during}; after {seen(cluster, node)}"


def pause(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    cluster, node = compose(run), _node(target)
    cluster.pause(node)
    during = seen(cluster, node)
    run.stop.wait(run.config.fault_s)
    cluster.resume(node)
    return f"docker-pause {_name(node, leader)}: during {during}; after {seen(cluster, node)}"


def disconnect(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    """Off the network for twice the fault time, as partitions: long enough for the others
    to elect a new leader and for the cut-off node to notice."""
    cluster, node = compose(run), _node(target)
    cluster.disconnect(node)
    during = seen(cluster, node)
    run.stop.wait(2 * run.config.fault_s)
    cluster.connect(node)
    return f"docker-disconnect {_name(node, leader)}: during {during}; after {seen(cluster, node)}"


def heal(run: Run) -> None:
    """Every container on the network, unpaused and running, and every node answering."""
    cluster = compose(run)
    for node in cluster.nodes:
        if cluster.network not in node.networks():
            cluster.connect(node)
        if node.stopped:
            cluster.resume(node)
        if not node.alive:
            cluster.start(node)
    for node in cluster.nodes:
        cluster.wait_serving(node, SERVING_TIMEOUT_S)


def unavailable() -> str | None:
    return compose_cluster.unavailable()


NEMESES = [
    Nemesis("docker-kill", kill, heal=heal, unavailable=unavailable, clusters=("compose",)),
    Nemesis("docker-pause", pause, heal=heal, unavailable=unavailable, clusters=("compose",)),
    Nemesis(
        "docker-disconnect", disconnect, heal=heal, unavailable=unavailable, clusters=("compose",)
    ),
]
