"""Slow and unreliable links between nodes (never between clients and nodes): packets
delayed, lost or reordered (``Netns.degrade``: an nftables rule for loss, a delay line fed by
NFQUEUE for delay and reordering, since this kernel has no netem; root only).

Each fault degrades every link, or the links of one node (the leader half the time), for
twice the fault time, then heals; its line says how many packets it delayed, dropped or
reordered, so a run shows that the fault touched the cluster's own traffic.
"""

from __future__ import annotations

import random

from tests.cluster import netns
from tests.cluster.harness import NodeProc
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run


def _links(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> tuple[
    list[tuple[int, int]], str
]:  # fmt: skip
    ids = [n.node_id for n in run.cluster.nodes]
    if rng.random() < 0.5:
        return [(a, b) for a in ids for b in ids if a < b], "every link"
    t = target.node_id
    role = " (leader)" if target is leader else ""
    return [(t, i) for i in ids if i != t], f"node{t}'s links{role}"


def _degrade(
    run: Run,
    links: list[tuple[int, int]],
    *,
    delay_ms: float = 0.0,
    jitter_ms: float = 0.0,
    loss_pct: float = 0.0,
    reorder: bool = False,
) -> dict[str, int]:
    net = run.cluster.net
    assert net is not None
    net.degrade(links, delay_ms=delay_ms, jitter_ms=jitter_ms, loss_pct=loss_pct, reorder=reorder)
    try:
        run.stop.wait(2 * run.config.fault_s)
    finally:
        stats = net.undegrade()
    return stats


def delay(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    """20-250 ms each way, 10% jitter, packets kept in order (a slow link): round trips up to
    half a second, near the election timeout (0.4-1 s), while heartbeats keep coming."""
    links, where = _links(run, rng, target, leader)
    ms = rng.randint(20, 250)
    stats = _degrade(run, links, delay_ms=ms, jitter_ms=ms / 10)
    return f"delay {ms}±{ms // 10} ms on {where}: {stats['delayed']} packets delayed"


def loss(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    """5-40% of the packets lost each way: TCP retransmits, with back-off, stall the Raft
    links now and then."""
    links, where = _links(run, rng, target, leader)
    pct = rng.randint(5, 40)
    stats = _degrade(run, links, loss_pct=pct)
    return f"loss {pct}% on {where}: {stats['dropped']} packets dropped"


def reorder(run: Run, rng: random.Random, target: NodeProc, leader: NodeProc | None) -> str:
    """Each packet delayed 0-2x 5-30 ms on its own: packets overtake each other."""
    links, where = _links(run, rng, target, leader)
    ms = rng.randint(5, 30)
    stats = _degrade(run, links, delay_ms=ms, jitter_ms=ms, reorder=True)
    return (
        f"reorder 0-{2 * ms} ms on {where}: {stats['delayed']} packets delayed, "
        f"{stats['reordered']} overtaken"
    )


def heal(run: Run) -> None:
    if run.cluster.net is not None:
        run.cluster.net.undegrade()


def loss_unavailable() -> str | None:
    if netns.available():
        return None
    return "the loss nemesis needs network namespaces: run as root with ip, nft"


def delay_unavailable() -> str | None:
    why = netns.degrade_available()
    return None if why is None else f"the delay and reorder nemeses {why}"


NEMESES = [
    Nemesis("delay", delay, heal=heal, unavailable=delay_unavailable),
    Nemesis("loss", loss, heal=heal, unavailable=loss_unavailable),
    Nemesis("reorder", reorder, heal=heal, unavailable=delay_unavailable),
]
