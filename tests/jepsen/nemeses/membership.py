"""Membership faults: a follower removed from the Raft configuration and added back; a member
that loses its data directory and is readmitted (``db9 cluster readmit``'s call)."""

from __future__ import annotations

import random
import time

from cluster.client import RemoteKv
from kv.errors import Db9Error
from tests.cluster.harness import NodeProc, member_identity
from tests.cluster.interface import Node
from tests.jepsen.nemeses.base import Nemesis, local, local_node
from tests.jepsen.run import Run

VOTERS_WAIT_S = 15.0  # how long a data-destroying strike waits for every member to be a voter


def membership(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    live = [n for n in run.cluster.nodes if n.alive and not n.stopped]
    followers = [n for n in live if n is not leader]
    if leader is None or not followers:
        return "membership: skipped, no leader to ask"
    why = not_all_voters(run)
    if why:  # removing a voter then leaves too few voters to commit the change back
        return f"membership: skipped, {why}"
    target = rng.choice(followers)
    what = f"membership: remove node{target.node_id}, add it back"
    what += change_membership(run, leader, target, "remove")
    run.stop.wait(run.config.fault_s)
    return what + change_membership(run, leader, target, "add")


def wipe(run: Run, rng: random.Random, target: Node, leader: Node | None) -> str:
    why = not_all_voters(run)
    if why:
        return f"wipe: skipped, {why}"
    what = f"wipe node{target.node_id}{' (leader)' if target is leader else ''}"
    return what + wipe_member(run, target)


def wipe_member(run: Run, member: Node) -> str:
    """kill -9 ``member``, empty its data directory and start it: it comes back as a learner
    (it lost its state, so it must not vote). After the fault, readmit it as a voter; returns
    "" or a note of what went wrong."""
    cluster, node = local(run), local_node(member)
    cluster.kill(node)
    empty_data_dir(node)
    cluster.start(node)
    run.stop.wait(run.config.fault_s)
    return readmit(run, node)


def not_all_voters(run: Run) -> str | None:
    """Why a strike that destroys a member's data must not run now: some member is not a
    voter (a wiped one not yet readmitted) or does not answer. Raft keeps acknowledged
    writes through the loss of one member's data, not of a majority's: wiping a second
    member while the first is still a learner leaves one voter of three, which can never
    elect a leader again (etcd and TiKV then need an operator's unsafe recovery). Such a
    run would fail its heal by the harness's doing, not the cluster's."""
    deadline = time.monotonic() + VOTERS_WAIT_S  # a node the last strike restarted may be starting
    while True:
        why = None
        for n in run.cluster.nodes:
            r = member_identity(local_node(n))
            if r is None or r.role != "voter":
                why = f"node{n.node_id} " + ("does not answer" if r is None else f"is a {r.role}")
                break
        if why is None or time.monotonic() > deadline or run.stop.is_set():
            return why
        time.sleep(0.5)


def empty_data_dir(node: NodeProc) -> None:
    """Everything in a stopped node's data directory goes, but its log."""
    for p in sorted(node.data_dir.rglob("*"), reverse=True):
        if p.name != "server.log":
            p.rmdir() if p.is_dir() else p.unlink()


def readmit(run: Run, node: Node) -> str:
    """``db9 cluster readmit``'s call for a member that lost its data: "" or what failed."""
    cluster = run.cluster
    admin = RemoteKv([n.grpc_addr for n in cluster.nodes], retry_s=60, rpc_timeout_s=60)
    try:
        admin.readmit(node.raft_addr, 45)
        return ""
    except Db9Error as exc:
        return f" (readmit failed: {exc.message})"
    finally:
        admin.close()


def change_membership(run: Run, leader: Node, node: Node, how: str) -> str:
    """Remove ``node`` from the Raft configuration or add it back, through any node that
    answers (the leader first); returns "" or a note of what went wrong."""
    # Generous: a change waits for the previous one to commit, and for an election if the
    # last fault deposed the leader.
    admin = RemoteKv([n.grpc_addr for n in [leader, *run.cluster.nodes]], retry_s=15)
    try:
        if how == "remove":
            admin.remove_node(node.raft_addr)
        else:
            admin.add_node(node.raft_addr)
        return ""
    except Db9Error as exc:
        return f" ({how} failed: {exc.message})"
    finally:
        admin.close()


def heal_membership(run: Run) -> None:
    """Add back every node the leader's configuration lacks (a removal may have taken effect
    even when its call timed out)."""
    cluster = run.cluster
    for _ in range(len(cluster.nodes)):
        leader = cluster.wait_leader()
        members = {leader.raft_addr, *(cluster.status(leader) or {}).get("peers", [])}  # type: ignore[misc]
        missing = [n for n in cluster.nodes if n.raft_addr not in members]
        if not missing:
            return
        note = change_membership(run, leader, missing[0], "add")
        if note:
            raise RuntimeError(f"could not heal the membership change:{note}")
    raise RuntimeError("membership did not heal")


NEMESES = [
    # Only the gRPC admin API: the same on every kind of cluster.
    Nemesis("membership", membership, heal=heal_membership, clusters=("local", "compose")),
    Nemesis("wipe", wipe, heal=heal_membership),
]
