"""Scripted faults from the cluster-safety issue (13), replayed as nemeses.

``stale-quorum``: the sequence that lost acknowledged writes before members had durable
identities. Leader A, followers B and C: C is paused while writes are acknowledged by A and B;
A and B are killed; B's data directory is wiped; C resumes and B starts empty, so that C,
which lacks the acknowledged writes, could win an election with B's vote; then A restarts.
A correct cluster does not let the empty B vote until it is readmitted, so C cannot lead
without A, and nothing acknowledged is lost; the workload's checker and the replica check
decide.
"""

from __future__ import annotations

import random

from tests.cluster.harness import NodeProc
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.nemeses.membership import empty_data_dir, not_all_voters, readmit
from tests.jepsen.run import Run


def stale_quorum(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    cluster, wait = run.cluster, run.config.fault_s
    live = [n for n in cluster.nodes if n.alive and not n.stopped]
    if leader is None or len(live) < len(cluster.nodes):
        return "stale-quorum: skipped, needs a leader and every node up"
    why = not_all_voters(run)
    if why:
        return f"stale-quorum: skipped, {why}"
    b, c = rng.sample([n for n in cluster.nodes if n is not leader], 2)
    cluster.pause(c)  # C misses what A and B acknowledge now
    run.stop.wait(wait)
    cluster.kill(leader)
    cluster.kill(b)
    empty_data_dir(b)
    cluster.resume(c)
    cluster.start(b)  # empty: it must not vote for C
    run.stop.wait(wait)
    cluster.start(leader)
    what = (
        f"stale-quorum: node{c.node_id} paused, leader node{leader.node_id} and "
        f"node{b.node_id} killed, node{b.node_id} wiped and started empty"
    )
    return what + readmit(run, b)


NEMESES = [Nemesis("stale-quorum", stale_quorum)]
