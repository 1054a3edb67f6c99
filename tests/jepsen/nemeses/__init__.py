"""The nemeses: every fault the runner can draw, by name (``REGISTRY``), and the loop that
draws them while a run's workload is under way.

A new nemesis is a module here with a ``NEMESES`` list of ``Nemesis`` (see ``base``), added
to ``_MODULES``. Heals run in ``_MODULES`` order at the end of a run: links first, then
disks and clocks, then every node running, then the membership.
"""

from __future__ import annotations

import random

from tests.jepsen.nemeses import clock, disk, membership, network, process
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run

_MODULES = [network, disk, clock, process, membership]
REGISTRY: dict[str, Nemesis] = {n.name: n for m in _MODULES for n in m.NEMESES}
NEMESES = tuple(REGISTRY)


def run_nemeses(run: Run, rng: random.Random) -> None:
    """Until the run stops: every ``interval_s``, one of the run's nemeses strikes a live node
    (the leader half the time) and heals; each fault is recorded with its start and end.
    The nemeses are drawn from a shuffled bag: each strikes once per round of
    ``len(cfg.nemeses)`` faults, in a random order, so a long enough run draws every one."""
    cfg, cluster, h = run.config, run.cluster, run.history
    chosen = [REGISTRY[name] for name in cfg.nemeses]
    if not chosen:
        return
    bag: list[Nemesis] = []
    while not run.stop.wait(cfg.interval_s):
        if not bag:
            bag = list(chosen)
            rng.shuffle(bag)
        nemesis = bag.pop()
        live = [n for n in cluster.nodes if n.alive and not n.stopped]
        if not live:  # every node down: only a crash gets here, and the checkers will tell
            bag.append(nemesis)  # its turn comes again
            h.faults.append((h.now(), h.now(), "nemesis: no live node"))
            continue
        leader = next((n for n in live if (cluster.status(n) or {}).get("state") == "leader"), None)
        target = leader if leader is not None and rng.random() < 0.5 else rng.choice(live)
        start = h.now()
        what = nemesis.strike(run, rng, target, leader)
        h.faults.append((start, h.now(), " ".join(what.split())[:160]))


def heal_all(run: Run) -> None:
    """Undo what any strike left in place (each heal once, in ``_MODULES`` order)."""
    done: list[object] = []
    for nemesis in REGISTRY.values():
        if nemesis.heal is not None and nemesis.heal not in done:
            done.append(nemesis.heal)
            nemesis.heal(run)


__all__ = ["NEMESES", "REGISTRY", "Nemesis", "heal_all", "run_nemeses"]
