"""The nemeses: every fault the runner can draw, by name (``REGISTRY``), and the loop that
draws them while a run's workload is under way.

A new nemesis is a module here with a ``NEMESES`` list of ``Nemesis`` (see ``base``), added
to ``_MODULES``. Set-ups run in ``_MODULES`` order too, each once (a lazyfs mount goes over
the disk nemesis's tmpfs). Heals run in ``_MODULES`` order at the end of a run: links first,
then disks, clocks and file systems, then every node running (processes, containers), then
the membership (and learners readmitted).

A nemesis works on the kinds of cluster in its ``clusters``: the local processes' faults
(signals, namespaces, tmpfs, FUSE, the clock file) on ``local``, Docker's on ``compose``, the
membership change (gRPC only) on both. ``--nemesis all`` means every nemesis for the run's kind
of cluster that can run on this machine (``usable``); naming one that cannot is an error.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager

from tests.jepsen.nemeses import (
    clock,
    crash,
    disk,
    docker,
    membership,
    netdegrade,
    network,
    process,
    scenarios,
    unsafe_wipe,
)
from tests.jepsen.nemeses.base import Nemesis
from tests.jepsen.run import Run

_MODULES = [
    network,
    netdegrade,
    disk,
    clock,
    crash,
    process,
    docker,
    membership,
    scenarios,
    unsafe_wipe,
]
REGISTRY: dict[str, Nemesis] = {n.name: n for m in _MODULES for n in m.NEMESES}
NEMESES = tuple(REGISTRY)


def unusable(name: str, cluster: str) -> str | None:
    """Why the nemesis ``name`` cannot run on a ``cluster`` kind of cluster here, or None."""
    nemesis = REGISTRY[name]
    if cluster not in nemesis.clusters:
        return f"the {name} nemesis needs --cluster {' or '.join(nemesis.clusters)}"
    return nemesis.unavailable() if nemesis.unavailable is not None else None


def usable(cluster: str) -> tuple[list[str], dict[str, str]]:
    """What ``all`` stands for on a ``cluster`` kind of cluster: the nemeses that can run; and
    why each other nemesis made for that kind cannot run here."""
    why = {name: unusable(name, cluster) for name in REGISTRY}
    skipped = {n: w for n, w in why.items() if w and cluster in REGISTRY[n].clusters}
    return [n for n, w in why.items() if w is None], skipped


def run_nemeses(run: Run, rng: random.Random) -> None:
    """Until the run stops: every ``interval_s``, one of the run's nemeses strikes a live node
    (the leader half the time) and heals; each fault is recorded with its start and end (a
    strike that raises, as FAILED and why). The nemeses are drawn from a shuffled bag: each
    strikes once per round of ``len(cfg.nemeses)`` faults, in a random order (in the order
    given with ``cycle``), so a long enough run draws every one."""
    cfg, cluster, h = run.config, run.cluster, run.history
    chosen = [REGISTRY[name] for name in cfg.nemeses]
    if not chosen:
        return
    bag: list[Nemesis] = []
    while not run.stop.wait(cfg.interval_s):
        if not bag:
            bag = list(reversed(chosen))
            if not cfg.cycle:
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
        try:
            what = nemesis.strike(run, rng, target, leader)
        except Exception as exc:  # recorded, not lost with this thread; the heal tidies up
            what = f"{nemesis.name} node{target.node_id}: FAILED {type(exc).__name__}: {exc}"
        h.faults.append((start, h.now(), " ".join(what.split())[:160]))


def prepares(names: list[str]) -> list[Callable[[Run], AbstractContextManager[None]]]:
    """The set-ups of the named nemeses, each once, in ``_MODULES`` order."""
    out: list[Callable[[Run], AbstractContextManager[None]]] = []
    for name, nemesis in REGISTRY.items():
        if name in names and nemesis.prepare is not None and nemesis.prepare not in out:
            out.append(nemesis.prepare)
    return out


def heal_all(run: Run) -> None:
    """Undo what any strike left in place (each heal of the run's kind of cluster once, in
    ``_MODULES`` order)."""
    done: list[object] = []
    for nemesis in REGISTRY.values():
        if run.config.cluster not in nemesis.clusters:
            continue
        if nemesis.heal is not None and nemesis.heal not in done:
            done.append(nemesis.heal)
            nemesis.heal(run)


__all__ = [
    "NEMESES",
    "REGISTRY",
    "Nemesis",
    "heal_all",
    "prepares",
    "run_nemeses",
    "unusable",
    "usable",
]
